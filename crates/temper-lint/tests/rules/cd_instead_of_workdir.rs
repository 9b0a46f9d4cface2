use super::support::{lines, lint};

const ID: &str = "cd-instead-of-workdir";

#[test]
fn fires_on_cd_in_run_at_the_run_line() {
    assert_eq!(lint(ID, "FROM debian:12\nRUN cd /tmp && make\n"), [(2, 1, "cd in RUN instead of WORKDIR".to_owned())]);
    assert_eq!(lines(ID, "FROM debian:12\nRUN make \\\n && (cd /tmp && make)\n"), [2]);
    assert_eq!(lines(ID, "FROM debian:12\nRUN <<EOF\ncd /src\nmake\nEOF\n"), [2]);
}

#[test]
fn cd_as_an_argument_is_fine() {
    assert!(lines(ID, "FROM debian:12\nRUN echo cd && make -C /tmp\nCMD cd /x && run\n").is_empty());
}
