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

#[test]
fn copy_without_chown_is_not_suggested_on_windows() {
    assert!(lines(ID, "FROM mcr.microsoft.com/windows/servercore:ltsc2022\nCOPY app C:/app/\nUSER ContainerUser\n").is_empty());
    assert!(lines(ID, "# escape=`\nFROM example.invalid/base:1\nCOPY app C:/app/\nUSER ContainerUser\n").is_empty());
    assert!(lines(ID, "FROM example.invalid/base:1\nSHELL [\"powershell\", \"-Command\"]\nCOPY app C:/app/\nUSER ContainerUser\n").is_empty());
}
