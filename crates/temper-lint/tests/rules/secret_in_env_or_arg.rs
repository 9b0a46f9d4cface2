use super::support::{lines, lint};

const ID: &str = "secret-in-env-or-arg";

#[test]
fn fires_on_secret_names() {
    assert_eq!(lint(ID, "FROM alpine\nENV DB_PASSWORD=hunter2\n"), [(2, 5, "ENV DB_PASSWORD looks like a secret".to_owned())]);
    assert_eq!(lint(ID, "FROM alpine\nARG NPM_TOKEN\n"), [(2, 5, "ARG NPM_TOKEN looks like a secret".to_owned())]);
    assert_eq!(lines(ID, "FROM alpine\nENV AWS_SECRET_ACCESS_KEY=x API_KEY=y\nARG GITHUB_TOKEN=abc\nENV MYSQLPASSWORD secret\n"), [2, 2, 3, 4]);
    assert_eq!(lines(ID, "FROM alpine\nARG STRIPE_APIKEY\nARG SSH_PRIVATE_KEY\nENV GOOGLE_APPLICATION_CREDENTIALS_JSON={}\n"), [2, 3, 4]);
}

#[test]
fn fires_on_credential_like_values() {
    assert_eq!(
        lint(ID, "FROM alpine\nENV SENTRY_DSN_VALUE=\"aB3dE5fG7hJ9kL1mN3pQ5rS7tU9\"\n"),
        [(2, 22, "ENV SENTRY_DSN_VALUE has a value that looks like a credential".to_owned())]
    );
}

#[test]
fn close_cases_that_are_fine() {
    let ok = [
        "ENV POSTGRES_PASSWORD_FILE=/run/secrets/db",
        "ENV PASSWORD_MIN_LENGTH=8",
        "ARG SECRET_ENABLED=true",
        "ENV GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D",
        "ENV GPG_KEYS=\"A035C8C19219BA821ECEA86B64E628F8D684696D B0C6C22C\"",
        "ENV AWS_ACCESS_KEY_ID_NAME=x",
        "ENV TOKENIZERS_PARALLELISM=false",
        "ENV PWD_DIR=/app",
        "ENV MINIO_UPDATE_MINISIGN_PUBKEY=RWTx5Zr1tiHQLwG9keckT0c45M3AGeHD6IvimQHpyRywVWGbP1aVSGav",
        "ENV NODE_SHA256=9fa1c4d2e0b7f8a3c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c",
        "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "ENV JAVA_VERSION=jdk-21.0.4+7 LANG=C.UTF-8",
        "ENV DB_PASSWORD=\"\"",
        "ENV API_TOKEN_HEADER=Authorization",
    ];
    for l in ok {
        assert!(lines(ID, &format!("FROM alpine\n{l}\n")).is_empty(), "{l}");
    }
}
