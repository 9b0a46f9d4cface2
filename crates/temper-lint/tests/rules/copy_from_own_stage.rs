use super::support::{lines, lint};

const ID: &str = "copy-from-own-stage";

#[test]
fn fires_on_the_own_name_or_index() {
    assert_eq!(
        lint(ID, "FROM golang:1 AS build\nCOPY --from=build /out /app\n"),
        [(2, 1, "COPY --from=build names the stage it is in".to_owned())]
    );
    assert_eq!(lines(ID, "FROM golang:1 AS Build\nCOPY --from=BUILD /out /app\n"), [2]);
    assert_eq!(lines(ID, "FROM golang:1 AS a\nFROM debian:12\nCOPY --from=1 /x /x\n"), [3]);
}

#[test]
fn other_stages_are_fine() {
    assert!(lines(ID, "FROM golang:1 AS build\nFROM debian:12 AS run\nCOPY --from=build /out /app\nCOPY --from=0 /x /x\n").is_empty());
    assert!(lines(ID, "FROM debian:12 AS a\nARG S\nCOPY --from=$S /x /x\n").is_empty());
}
