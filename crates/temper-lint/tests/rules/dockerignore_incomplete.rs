use temper_lint::Config;

use super::support::lint_with;

const ID: &str = "dockerignore-incomplete";

fn run(src: &str, ignore: &str) -> Vec<(usize, usize, String)> {
    lint_with(ID, src, &Config::default(), Some(ignore))
}

#[test]
fn fires_when_git_env_or_node_modules_are_not_excluded() {
    assert_eq!(run("FROM alpine\n", "*.log\n"), [(1, 1, ".dockerignore does not exclude .git, .env".to_owned())]);
    assert_eq!(run("FROM node:20\nRUN npm ci\n", ".git\n.env\n"), [(1, 1, ".dockerignore does not exclude node_modules".to_owned())]);
    assert_eq!(run("FROM node:20\nCOPY package.json .\n", "# comment\n.git\n.env*\n"), [(1, 1, ".dockerignore does not exclude node_modules".to_owned())]);
    // A later `!` re-includes.
    assert_eq!(run("FROM alpine\n", ".git\n.env\n!.env\n"), [(1, 1, ".dockerignore does not exclude .env".to_owned())]);
}

#[test]
fn patterns_as_docker_reads_them_are_fine() {
    let ok = [
        ".git\n.env\nnode_modules\n",
        "/.git/\n./.env\n**/node_modules\n",
        "**/.git\n*.env\nnode_modules/\n",
        ".git/*\n.env*\nnode_module[s]\n",
        "*\n!src\n!package*.json\n",
    ];
    for ignore in ok {
        assert!(run("FROM node:20\nRUN npm ci\n", ignore).is_empty(), "{ignore}");
    }
    assert!(run("FROM alpine\n", ".git\n.env\n").is_empty());
}
