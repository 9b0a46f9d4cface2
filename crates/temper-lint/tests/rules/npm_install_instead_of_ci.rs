use super::support::{lines, lint};

const ID: &str = "npm-install-instead-of-ci";

#[test]
fn fires_when_a_lockfile_is_copied() {
    assert_eq!(
        lint(ID, "FROM node:20\nCOPY package.json package-lock.json ./\nRUN npm install\n"),
        [(3, 5, "npm install where npm ci installs the lockfile exactly".to_owned())]
    );
    assert_eq!(lines(ID, "FROM node:20\nCOPY package*.json ./\nRUN npm i --omit=dev\n"), [3]);
    assert_eq!(lines(ID, "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm install && npm run build\n"), [4]);
    // The lockfile copied in a stage this one is built from.
    assert_eq!(lines(ID, "FROM node:20 AS deps\nCOPY npm-shrinkwrap.json ./\nFROM deps\nRUN npm install\n"), [4]);
}

#[test]
fn packages_global_and_no_lockfile_are_fine() {
    assert!(lines(ID, "FROM node:20\nCOPY package*.json ./\nRUN npm ci && npm install -g pm2 && npm install left-pad\n").is_empty());
    assert!(lines(ID, "FROM node:20\nCOPY package.json ./\nRUN npm install\n").is_empty());
    assert!(lines(ID, "FROM node:20\nCOPY --from=build /app/package-lock.json ./\nRUN npm install\n").is_empty());
    assert!(lines(ID, "FROM node:20 AS a\nCOPY package-lock.json ./\nFROM node:20\nRUN npm install\n").is_empty());
}
