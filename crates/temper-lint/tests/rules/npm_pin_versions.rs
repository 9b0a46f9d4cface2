use super::support::{lines, lint};

const ID: &str = "npm-pin-versions";

#[test]
fn fires_on_unpinned_packages() {
    assert_eq!(
        lint(ID, "FROM node:20\nRUN npm install -g yarn @scope/x@1 @scope/y\n"),
        [(2, 1, "npm install without version pins: yarn, @scope/y".to_owned())]
    );
    assert_eq!(lines(ID, "FROM node:20\nRUN npm i express\nRUN npm add lodash\n"), [2, 3]);
}

#[test]
fn specifiers_lockfile_installs_and_local_packages_are_fine() {
    assert!(lines(ID, "FROM node:20\nRUN npm install && npm ci && npm install --production\n").is_empty());
    assert!(
        lines(ID, "FROM node:20\nRUN npm install express@4 @scope/x@1.0 lodash@^4 'react@<19' ./local x.tgz git+https://example.invalid/a.git#v1\n").is_empty()
    );
    assert!(lines(ID, "FROM node:20\nRUN npm install --prefix /app $PKG user/repo#v1\n").is_empty());
}
