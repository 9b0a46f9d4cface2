use super::support::{lines, lint};

const ID: &str = "broad-copy-before-install";

#[test]
fn fires_on_whole_context_copy_before_an_install() {
    assert_eq!(lint(ID, "FROM node:20\nCOPY . .\nRUN npm ci\n"), [(2, 6, "`COPY .` copies the whole context before `npm ci`".to_owned())]);
    assert_eq!(
        lint(ID, "FROM python:3.12\nWORKDIR /app\nCOPY ./ /app\nRUN python -m pip install -r requirements.txt\n"),
        [(3, 6, "`COPY ./` copies the whole context before `python -m pip install -r`".to_owned())]
    );
    let more = "FROM golang:1.22\nCOPY . .\nRUN go mod download\nFROM ruby:3\nCOPY . /app\nRUN bundle install\nFROM composer\nADD . /app\nRUN composer install\n";
    assert_eq!(lines(ID, more), [2, 5, 8]);
}

#[test]
fn manifest_first_builds_and_other_stages_are_fine() {
    let ok = [
        "FROM node:20\nCOPY package*.json ./\nRUN npm ci\nCOPY . .\nRUN npm run build\n",
        "FROM rust:1\nCOPY . .\nRUN cargo build --release\n",
        "FROM golang:1.22\nCOPY . .\nRUN go build ./...\n",
        "FROM node:20\nCOPY . .\nFROM node:20\nRUN npm ci\n",
        "FROM node:20\nCOPY --from=build . .\nRUN npm ci\n",
        "FROM node:20\nCOPY src/ ./src\nRUN npm install express\n",
    ];
    for src in ok {
        assert!(lines(ID, src).is_empty(), "{src}");
    }
}
