use super::support::{lines, lint};

const ID: &str = "toolchain-in-final-stage";

#[test]
fn fires_once_on_the_first_sign_of_a_toolchain() {
    assert_eq!(
        lint(ID, "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends gcc libpq-dev\nRUN pip install -r r.txt\n"),
        [(2, 66, "Single-stage build with gcc installed".to_owned())]
    );
    assert_eq!(lint(ID, "FROM golang:1.22\nCOPY . .\nRUN go build -o /app .\n"), [(1, 6, "Single-stage build on the toolchain image golang:1.22".to_owned())]);
    assert_eq!(lint(ID, "FROM debian\nRUN cargo build --release\n"), [(2, 5, "Single-stage build with `cargo build`".to_owned())]);
    assert_eq!(lines(ID, "FROM alpine\nRUN apk add --no-cache build-base\n"), [2]);
    assert_eq!(lines(ID, "FROM eclipse-temurin:21-jdk\nRUN ./mvnw -B package\n"), [2]);
}

#[test]
fn multi_stage_removed_build_deps_and_runtimes_are_fine() {
    let ok = [
        "FROM golang:1.22 AS build\nRUN go build -o /app .\nFROM gcr.io/distroless/static\nCOPY --from=build /app /app\n",
        "FROM alpine\nRUN apk add --no-cache --virtual .build-deps gcc musl-dev && pip install x && apk del .build-deps\n",
        "FROM debian\nRUN apt-get install -y gcc && make && apt-get purge -y --auto-remove gcc\n",
        "FROM eclipse-temurin:21-jdk\nCOPY app.jar /app.jar\n",
        "FROM buildpack-deps:bookworm-curl\nRUN make install\n",
        "FROM python:3.12-slim\nRUN apt-get install -y libpq5\n",
    ];
    for src in ok {
        assert!(lines(ID, src).is_empty(), "{src}");
    }
}
