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

/// ENV and ARG lines as the official images (node, php, python, nginx,
/// mysql, postgres, redis, golang, openjdk, httpd, mongo, ruby…) and
/// application Dockerfiles write them, each with whether it holds a secret
/// (token-shaped values assembled from pieces, so this file does not trip
/// secret scanners itself).
const REAL_WORLD: &[(&str, bool)] = &[
    ("ENV NODE_VERSION=20.11.1", false),
    ("ENV YARN_VERSION=1.22.19", false),
    ("ENV NPM_CONFIG_LOGLEVEL=info", false),
    ("ENV GPG_KEYS=\"4ED778F539E3634C779C87C6D7062848A1AB005C 141F07595B7B3FFE74309A937405533BE57C7D57 74F12602B6F1C4E913FAA37AD3A89613643B6201\"", false),
    ("ENV GPG_KEYS 39B641343D8C104B2B146DC3F9C39DC0B9698544 E60913E4DF209907D8E30D96659A97C9CF2A795A 1198C0117593497A5EC5C199286AF1F9897469DC", false),
    ("ENV PHP_VERSION=8.3.4", false),
    ("ENV PHP_URL=\"https://www.php.net/distributions/php-8.3.4.tar.xz\" PHP_ASC_URL=\"https://www.php.net/distributions/php-8.3.4.tar.xz.asc\"", false),
    ("ENV PHP_SHA256=\"39a337036a546e5c28aea76cf424ac172db5156bd8a8fd85252e389409a5ba63\"", false),
    ("ENV PHP_CFLAGS=\"-fstack-protector-strong -fpic -fpie -O2 -D_LARGEFILE_SOURCE -D_FILE_OFFSET_BITS=64\"", false),
    ("ENV PHPIZE_DEPS autoconf dpkg-dev file g++ gcc libc-dev make pkg-config re2c", false),
    ("ENV PHP_INI_DIR /usr/local/etc/php", false),
    ("ENV GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D", false),
    ("ENV GPG_KEY 7169605F62C751356D054A26A821E680E5FA6305", false),
    ("ENV PYTHON_VERSION=3.12.2", false),
    ("ENV PYTHON_PIP_VERSION=24.0 PYTHON_SETUPTOOLS_VERSION=69.1.1", false),
    ("ENV PYTHON_GET_PIP_URL=https://github.com/pypa/get-pip/raw/dbf0c85f76fb6e1ab42aa672ffca6f0a675d9ee4/public/get-pip.py", false),
    ("ENV PYTHON_GET_PIP_SHA256=dfe9fd5c28dc98b5ac17979a953ea550cec37ae1b47a5116007395bfacff2ab9", false),
    ("ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1", false),
    ("ENV NGINX_VERSION=1.25.4", false),
    ("ENV NJS_VERSION=0.8.3", false),
    ("ENV PKG_RELEASE=1~bookworm", false),
    ("ENV NGINX_GPGKEY=573BFD6B3D8FBC641079A6ABABF5BD827BD9BF62", false),
    ("ENV NGINX_GPGKEYS=\"573BFD6B3D8FBC641079A6ABABF5BD827BD9BF62 8540A6F18833A80E9C1653A42FD21310B49F6B46\"", false),
    ("ENV NGINX_SIGNING_KEY=\"573B FD6B 3D8F BC64 1079  A6AB ABF5 BD82 7BD9 BF62\"", false),
    ("ARG NGINX_CHANNEL=mainline", false),
    ("ARG NGINX_CHANNEL=stable", false),
    ("ENV NGINX_GPGKEY_PATH=/usr/share/keyrings/nginx-archive-keyring.gpg", false),
    ("ENV MYSQL_MAJOR=8.0", false),
    ("ENV MYSQL_VERSION=8.0.36-1.el8", false),
    ("ENV MYSQL_SHELL_VERSION=8.0.36-1.el8", false),
    ("ENV MYSQL_ROOT_PASSWORD_FILE=/run/secrets/mysql-root", false),
    ("ENV MYSQL_ROOT_PASSWORD_SCRIPT=init.sh", false),
    ("ENV MYSQL_PASSWORD_SCRIPT=/docker-entrypoint-initdb.d/set-password.sh", false),
    ("ENV MYSQL_RANDOM_ROOT_PASSWORD=yes", false),
    ("ENV MYSQL_ALLOW_EMPTY_PASSWORD=true", false),
    ("ENV MYSQL_ROOT_PASSWORD=$MYSQL_ROOT_PASSWORD", false),
    ("ARG DB_PASSWORD\nENV DB_PASSWORD_FILE=/run/secrets/${DB_PASSWORD}", true),
    ("ENV PG_MAJOR=16", false),
    ("ENV PG_VERSION=16.2-1.pgdg120+2", false),
    ("ENV PGDATA=/var/lib/postgresql/data", false),
    ("ENV POSTGRES_PASSWORD_FILE=/run/secrets/postgres-passwd", false),
    ("ENV POSTGRES_HOST_AUTH_METHOD=trust", false),
    ("ENV POSTGRES_PASSWORD=\"\"", false),
    ("ENV GOSU_VERSION=1.17", false),
    ("ENV REDIS_VERSION=7.2.4", false),
    ("ENV REDIS_DOWNLOAD_URL=http://download.redis.io/releases/redis-7.2.4.tar.gz", false),
    ("ENV REDIS_DOWNLOAD_SHA=8d104c26a154b29fd67d6568b4f375212212ad41e0c2caa3d66480e78dbd3b59", false),
    ("ENV GOLANG_VERSION=1.22.1", false),
    ("ENV GOTOOLCHAIN=local GOPATH=/go", false),
    ("ENV PATH=$GOPATH/bin:/usr/local/go/bin:$PATH", false),
    ("ENV GOPROXY=https://proxy.golang.org,direct GOSUMDB=sum.golang.org", false),
    ("ENV JAVA_HOME=/opt/java/openjdk", false),
    ("ENV JAVA_VERSION=jdk-21.0.2+13", false),
    ("ENV LANG='en_US.UTF-8' LANGUAGE='en_US:en' LC_ALL='en_US.UTF-8'", false),
    ("ENV HTTPD_VERSION=2.4.58 HTTPD_SHA256=fa16d72a078210a54c47dd5bef2f8b9b8a01d94909a51453956b3ec6442ea4c5", false),
    ("ENV HTTPD_PATCHES=\"\"", false),
    ("ENV MONGO_MAJOR=7.0 MONGO_VERSION=7.0.6", false),
    ("ENV MONGO_PACKAGE=mongodb-org MONGO_REPO=repo.mongodb.org", false),
    ("ENV MONGO_INITDB_ROOT_PASSWORD_FILE=/run/secrets/mongo-root", false),
    ("ENV RUBY_VERSION=3.3.0 RUBY_DOWNLOAD_SHA256=676b65a36e637e90f982b57b059189b3276b9045034dcd186a7e9078847b975b", false),
    ("ENV BUNDLE_SILENCE_ROOT_WARNING=1 BUNDLE_APP_CONFIG=/usr/local/bundle", false),
    ("ENV TOMCAT_MAJOR=10 TOMCAT_VERSION=10.1.19", false),
    ("ENV TOMCAT_SHA512=d4ef0a6ab16b4fa07e2b6c1ab4f2d0e4f4a2b7c53fb0e7c3f5dd2b2a7a4e9c7c9e1a6d3e3d0f4f4e9a6f2c3a0d0b7b1e1c6e8f4f4a2d2b9c7c2a1b0e6f5d8", false),
    ("ENV ELASTIC_CONTAINER=true ES_JAVA_OPTS=\"-Xms512m -Xmx512m\"", false),
    ("ENV RABBITMQ_VERSION=3.13.0 RABBITMQ_PGP_KEY_ID=0x0A9AF2115F4687BD29803A206B73A36E6026DFCA", false),
    ("ENV RABBITMQ_DEFAULT_PASS_FILE=/run/secrets/rabbit", false),
    ("ENV WORDPRESS_DB_PASSWORD_FILE=/run/secrets/wp-db", false),
    ("ENV KEYCLOAK_ADMIN_PASSWORD_ENV=KC_ADMIN_PASS", false),
    ("ENV JENKINS_UC=https://updates.jenkins.io JENKINS_INCREMENTALS_REPO_MIRROR=https://repo.jenkins-ci.org/incrementals", false),
    ("ENV JENKINS_SHA=1fb95a4d2d3f5e7c8a9b0c1d2e3f405162738495a6b7c8d9e0f1a2b3c4d5e6f7", false),
    ("ENV SECRET_KEY_BASE_DUMMY=1", false),
    ("ENV TOKEN_FILE=token.txt", false),
    ("ENV API_TOKEN_PATH=/var/run/secrets/kubernetes.io/serviceaccount/token", false),
    ("ARG GITHUB_TOKEN_SECRET_ID=gh_token", false),
    ("ENV VAULT_ADDR=https://vault.internal.example:8200", false),
    ("ENV DATABASE_URL=postgres://db:5432/app", false),
    ("ENV SIGNING_KEY_URL=https://download.example.org/keys/release.asc", false),
    ("ENV KEYRING_PASSWORD_BACKEND=keyring.backends.null.Keyring", false),
    ("ENV CONFLUENT_PASSWORD_FILE_NAME=password.properties", false),
    ("ENV DOTNET_VERSION=8.0.2 ASPNET_VERSION=8.0.2", false),
    ("ARG TARGETARCH", false),
    ("ARG BUILDKIT_INLINE_CACHE=1", false),
    ("ENV TZ=Etc/UTC DEBIAN_FRONTEND=noninteractive", false),
    ("ENV HASHICORP_RELEASES=https://releases.hashicorp.com", false),
    ("ENV CADDY_VERSION=v2.7.6", false),
    ("ENV TINI_VERSION=v0.19.0", false),
    ("ENV HOME=/home/app APP_HOME=/home/app/web", false),
    ("ENV SERVICE_PASSWORD_MIN_LENGTH=12", false),
    // From the corpus of real Dockerfiles (tests/secret_precision.rs).
    ("ENV AUDITWHEEL_PLAT manylinux_2_17_$AUDITWHEEL_ARCH", false),
    ("ARG commit\nENV COMMIT=${commit}", false),
    ("ARG token\nENV TOKEN=${token}", true),
    // Secrets.
    ("ENV DB_PASSWORD=hunter2xY!9", true),
    ("ENV MYSQL_ROOT_PASSWORD=Sup3rS3cret!", true),
    ("ENV POSTGRES_PASSWORD=postgres", true),
    ("ARG NPM_TOKEN", true),
    (concat!("ENV AWS_ACCESS_KEY_ID=AK", "IA2E0A8F3B244C9986 AWS_SECRET_ACCESS_KEY=Wq5d0nT9p2zXcV8bN1mL", "4kJ7hG3fD6sA0qW9eR2t"), true),
    (concat!("ENV AWS_KEY=AK", "IA2E0A8F3B244C9986"), true),
    (concat!("ENV GITHUB_TOKEN=gh", "p_Zq8t5Rk2Lm9Xw3Vb7Nc1Pd4Fg6Hj0Ks2Qa5Ty"), true),
    (concat!("ENV GH_AUTH=gh", "p_Zq8t5Rk2Lm9Xw3Vb7Nc1Pd4Fg6Hj0Ks2Qa5Ty"), true),
    (concat!("ENV PIP_INDEX_URL=https://deploy:", "Xk29fLq81mZp@pypi.corp.internal/simple"), true),
    ("ENV SENTRY_DSN_VALUE=aB3dE5fG7hJ9kL1mN3pQ5rS7tU9", true),
    ("ARG SSH_PRIVATE_KEY", true),
    (concat!("ENV STRIPE_API_KEY=sk", "_live_4eC39HqLyjWDarjtT1zdp7dc"), true),
    ("ENV JWT_SECRET=c2VjcmV0LXNpZ25pbmcta2V5LTIwMjQ", true),
    ("ENV SIGNING_KEY=9f8e7d6c5b4a39281706f5e4d3c2b1a0ffeeddccbbaa99887766554433221100aa", true),
];

/// The lines of [`REAL_WORLD`] the rule fires on.
fn fired(entries: &[(&str, bool)]) -> Vec<bool> {
    entries.iter().map(|(l, _)| !lines(ID, &format!("FROM debian:12\n{l}\n")).is_empty()).collect()
}

#[test]
fn secret_in_env_or_arg_precision_on_real_world_lines() {
    let hits = fired(REAL_WORLD);
    let tp = REAL_WORLD.iter().zip(&hits).filter(|((_, s), h)| *s && **h).count();
    let fp: Vec<&str> = REAL_WORLD.iter().zip(&hits).filter(|((_, s), h)| !*s && **h).map(|((l, _), _)| *l).collect();
    let missed: Vec<&str> = REAL_WORLD.iter().zip(&hits).filter(|((_, s), h)| *s && !**h).map(|((l, _), _)| *l).collect();
    let precision = tp as f64 / (tp + fp.len()).max(1) as f64;
    eprintln!("secret-in-env-or-arg: {tp} true, {} false positives, {} missed, precision {precision:.3}", fp.len(), missed.len());
    assert!(precision >= 0.95, "precision {precision:.3}; false positives: {fp:#?}");
    assert!(missed.is_empty(), "missed secrets: {missed:#?}");
}

#[test]
fn secret_in_env_or_arg_accepts_fingerprints_channels_file_names_and_references() {
    let ok = [
        "ENV NGINX_SIGNING_KEY=\"573B FD6B 3D8F BC64 1079  A6AB ABF5 BD82 7BD9 BF62\"",
        "ENV RELEASE_SIGNING_KEY=0x573BFD6B3D8FBC641079A6ABABF5BD827BD9BF62",
        "ENV NGINX_GPGKEY=573BFD6B3D8FBC641079A6ABABF5BD827BD9BF62",
        "ARG SECRET_CHANNEL=mainline",
        "ENV MYSQL_ROOT_PASSWORD_SCRIPT=init.sh",
        "ENV ADMIN_PASSWORD=/opt/app/admin-password",
        "ENV MYSQL_ROOT_PASSWORD=$MYSQL_ROOT_PASSWORD",
        "ENV DB_PASSWORD=${DB_PASSWORD:-}",
        "ENV API_TOKEN=https://auth.corp.internal/token",
        "ENV SECRET_VERSION=8.0.36-1.el8",
        "ENV AGENT_SECRET=agent-1.2.3.jar",
    ];
    for l in ok {
        assert!(lines(ID, &format!("FROM alpine\n{l}\n")).is_empty(), "{l}");
    }
    // A short hex value under a signing-key name is not a fingerprint, and
    // a known value behind a reference is judged as BuildKit stores it.
    assert_eq!(lines(ID, "FROM alpine\nENV SIGNING_KEY=9f8e7d6c5b4a3928\nARG P=hunter2xY\nENV DB_PASSWORD=$P\n"), [2, 4]);
}

#[test]
fn secret_in_env_or_arg_value_built_from_a_variable_is_no_credential() {
    // gRPC's manylinux images: mixed case, digits and 4+ bits of entropy,
    // but a platform tag assembled from another variable.
    assert!(lines(ID, "FROM alpine\nENV AUDITWHEEL_PLAT manylinux_2_17_$AUDITWHEEL_ARCH\n").is_empty());
    assert!(lines(ID, "FROM alpine\nENV BUILD_TAG=Release2024Q3_${TARGETARCH}_Xk29fLq8\n").is_empty());
    // A credential-shaped literal keeps firing, and so does a known format
    // reached through a variable.
    assert_eq!(lines(ID, "FROM alpine\nENV BUILD_TAG=Release2024Q3Xk29fLq81mZpW\n"), [2]);
    assert_eq!(lines(ID, concat!("FROM alpine\nARG K=AK", "IA2E0A8F3B244C9986\nENV BUILD_REF=$K\n")), [2, 3]);
}

#[test]
fn secret_in_env_or_arg_env_copying_a_build_argument_fires() {
    // frr's coverage image: the token given with --build-arg is written
    // into the image config by ENV; both lines are reported.
    assert_eq!(
        lint(ID, "FROM alpine:3.7\nARG commit\nARG token\nENV COMMIT=${commit}\nENV TOKEN=${token}\n"),
        [(3, 5, "ARG token looks like a secret".to_owned()), (5, 5, "ENV TOKEN stores the build argument token in the image".to_owned())]
    );
    // A reference to nothing declared, to an ARG with a known default
    // (judged by that value), or to an ARG of another stage stays as before.
    assert!(lines(ID, "FROM alpine\nENV MYSQL_ROOT_PASSWORD=$MYSQL_ROOT_PASSWORD\n").is_empty());
    assert!(lines(ID, "FROM alpine\nARG PASS_VERSION=1.7.4\nENV DB_PASSWORD=$PASS_VERSION\n").is_empty());
    assert!(lines(ID, "FROM alpine AS a\nARG tok\nFROM alpine\nENV API_TOKEN=$tok\n").is_empty());
}

#[test]
fn secret_in_env_or_arg_uses_the_scanners_known_formats() {
    assert_eq!(
        lint(ID, concat!("FROM alpine\nENV BUILD_REF=AK", "IA2E0A8F3B244C9986\n")),
        [(2, 15, "ENV BUILD_REF holds a secret (aws-access-key-id)".to_owned())]
    );
    assert_eq!(lines(ID, concat!("FROM alpine\nENV GIT_URL=https://ci:", "Xk29fLq81mZp@git.corp.internal/app.git\n")), [2]);
}

#[test]
fn secret_in_env_or_arg_takes_forty_hex_digits_as_a_fingerprint_only_under_signing_names() {
    assert_eq!(lines(ID, "FROM alpine\nENV GITHUB_TOKEN=0f3a9c1e5b7d2f4a6c8e0b1d3f5a7c9e2b4d6f8a\n"), [2]);
    assert!(lines(ID, "FROM alpine\nENV RELEASE_SIGNING_KEY=0F3A9C1E5B7D2F4A6C8E0B1D3F5A7C9E2B4D6F8A\n").is_empty());
}
