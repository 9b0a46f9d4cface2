use super::support::{lines, lint};

const ID: &str = "copy-without-chown";

#[test]
fn fires_on_root_owned_copies_before_a_non_root_user() {
    assert_eq!(
        lint(ID, "FROM node:20\nWORKDIR /app\nCOPY . .\nUSER node\n"),
        [(3, 1, "COPY without --chown before USER node: the files stay owned by root".to_owned())]
    );
    assert_eq!(lines(ID, "FROM alpine\nADD app.tgz /srv/\nCOPY --from=build /out /srv/bin\nUSER root\nRUN true\nUSER 1000\n"), [2, 3]);
}

#[test]
fn chown_system_dirs_and_root_users_are_fine() {
    let ok = [
        "FROM node:20\nCOPY --chown=node:node . /app\nUSER node\n",
        "FROM alpine\nCOPY entrypoint.sh /usr/local/bin/\nCOPY nginx.conf /etc/nginx/\nUSER nobody\n",
        "FROM alpine\nCOPY . /app\n",
        "FROM alpine\nUSER app\nCOPY . /app\n",
        "FROM alpine\nCOPY . /app\nUSER app\nUSER root\n",
        "FROM alpine\nCOPY . /app\nUSER 0:0\n",
        "FROM alpine\nCOPY <<EOF /app/config\nx\nEOF\nUSER app\n",
    ];
    for src in ok {
        assert!(lines(ID, src).is_empty(), "{src}");
    }
}
