use super::support::{lines, lint};

const ID: &str = "init-missing";

#[test]
fn fires_on_node_as_pid_1() {
    assert_eq!(lint(ID, "FROM node:20\nCMD [\"node\", \"server.js\"]\n"), [(2, 5, "node runs as PID 1 without an init".to_owned())]);
    assert_eq!(lint(ID, "FROM node:20\nCMD npm start\n"), [(2, 5, "npm runs as PID 1 without an init".to_owned())]);
    assert_eq!(lines(ID, "FROM node:20\nENTRYPOINT [\"yarn\", \"start\"]\n"), [2]);
    // An entrypoint script hands over to CMD.
    assert_eq!(lines(ID, "FROM node:20\nENTRYPOINT [\"docker-entrypoint.sh\"]\nCMD [\"node\", \"index.js\"]\n"), [3]);
    // The final image's CMD, from a stage it is built on.
    assert_eq!(lines(ID, "FROM node:20 AS base\nCMD [\"node\", \"a.js\"]\nFROM base\nRUN true\n"), [2]);
}

#[test]
fn inits_other_programs_and_build_stages_are_fine() {
    let ok = [
        "FROM node:20\nENTRYPOINT [\"/sbin/tini\", \"--\"]\nCMD [\"node\", \"server.js\"]\n",
        "FROM node:20\nENTRYPOINT [\"dumb-init\", \"node\", \"server.js\"]\n",
        "FROM node:20\nCMD [\"pm2-runtime\", \"app.js\"]\n",
        "FROM node:20\nCMD [\"node\"]\n",
        "FROM python:3.12\nCMD [\"python\", \"app.py\"]\n",
        "FROM node:20\nENTRYPOINT [\"/usr/local/bin/app\"]\nCMD [\"node\", \"x.js\"]\n",
        "FROM node:20 AS build\nCMD [\"node\", \"a.js\"]\nFROM nginx\nCOPY --from=build /d /usr/share/nginx/html\n",
    ];
    for src in ok {
        assert!(lines(ID, src).is_empty(), "{src}");
    }
}
