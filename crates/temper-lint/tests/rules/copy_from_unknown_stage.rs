use super::support::{lines, lint};

const ID: &str = "copy-from-unknown-stage";

#[test]
fn fires_on_a_name_that_is_no_stage() {
    assert_eq!(
        lint(ID, "FROM golang:1 AS build\nRUN go build\nFROM debian:12\nCOPY --from=biuld /out /app\n"),
        [(4, 1, "COPY --from=biuld names no stage; BuildKit would pull an image called `biuld`".to_owned())]
    );
    assert_eq!(lines(ID, "FROM debian:12 AS a\nFROM debian:12\nCOPY --from=2 /x /x\n"), [3]);
    // An ARG default is expanded.
    assert_eq!(lines(ID, "FROM golang:1 AS build\nFROM debian:12\nARG SRC=bild\nCOPY --from=$SRC /out /app\n"), [4]);
}

#[test]
fn stages_indexes_and_images_are_fine() {
    let ok = [
        "FROM golang:1 AS Build\nFROM debian:12\nCOPY --from=build /out /app\nCOPY --from=BUILD /out /app\n",
        "FROM golang:1\nFROM debian:12\nCOPY --from=0 /out /app\n",
        "FROM debian:12\nCOPY --from=nginx:1.27 /etc/nginx /etc/nginx\nCOPY --from=ghcr.io/org/tool /bin/t /bin/t\nCOPY --from=busybox@sha256:abc /bin/sh /bin/sh\n",
        // A later stage: BuildKit resolves names across the file.
        "FROM debian:12 AS a\nCOPY --from=b /x /x\nFROM debian:12 AS b\n",
        // The value is only known at build time.
        "FROM debian:12\nARG SRC\nCOPY --from=$SRC /x /x\n",
        "FROM debian:12\nCOPY /x /x\n",
    ];
    for source in ok {
        assert!(lines(ID, source).is_empty(), "{source}");
    }
}
