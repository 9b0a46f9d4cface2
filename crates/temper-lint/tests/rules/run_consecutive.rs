use super::support::{lines, lint};

const ID: &str = "run-consecutive";

#[test]
fn fires_on_one_command_runs_in_a_row() {
    assert_eq!(
        lint(ID, "FROM debian:12\nRUN mkdir /app\n# why not\n\nRUN chown app /app\n"),
        [(5, 1, "RUN right after the one-command RUN on line 2; they could be one".to_owned())]
    );
    assert_eq!(lines(ID, "FROM debian:12\nRUN a\nRUN b\nRUN c\n"), [3, 4]);
    assert_eq!(lines(ID, "FROM debian:12\nRUN [\"a\"]\nRUN x=1\nRUN <<EOT\nd\nEOT\n"), [3, 4]);
    // The same flags in another order.
    assert_eq!(lines(ID, "FROM debian:12\nRUN --network=none --mount=type=cache,target=/c a\nRUN --mount=type=cache,target=/c --network=none b\n"), [3]);
}

#[test]
fn longer_runs_other_flags_and_gaps_are_fine() {
    let ok = [
        "FROM debian:12\nRUN a && b\nRUN c\n",
        "FROM debian:12\nRUN a\nRUN b; c\n",
        "FROM debian:12\nRUN a\nRUN b | c\n",
        "FROM debian:12\nRUN a\nRUN b $(cat list)\n",
        "FROM debian:12\nRUN a\nRUN if x; then y; fi\n",
        "FROM debian:12\nRUN --network=none a\nRUN b\n",
        "FROM debian:12\nRUN a\nENV X=1\nRUN b\n",
        "FROM debian:12 AS a\nRUN a\nFROM debian:12\nRUN b\n",
        "FROM debian:12\nRUN a\nONBUILD RUN b\n",
    ];
    for source in ok {
        assert!(lines(ID, source).is_empty(), "{source}");
    }
}
