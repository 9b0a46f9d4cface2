//! The cataloger fuzz body: one cataloger over arbitrary bytes, as if they
//! were the file at a given path. Catalogers read files from strangers'
//! images, so whatever they accept must also survive the cache's
//! serialise/restore round trip unchanged.

use temper_inventory::{Fact, catalog};

/// Every cataloger fuzz target: target name, cataloger id, and the path
/// the input pretends to be (a cataloger may parse differently by path).
/// Seeds live in `fuzz/seeds/<target>/`.
pub const TARGETS: &[(&str, &str, &str)] = &[
    ("catalog_dpkg", "dpkg", "var/lib/dpkg/status"),
    ("catalog_os_release", "os-release", "etc/os-release"),
    ("catalog_npm", "npm", "app/node_modules/pkg/package.json"),
    ("catalog_python", "python", "usr/lib/python3/dist-packages/pkg-1.0.dist-info/METADATA"),
    ("catalog_npm_lock", "npm-lock", "app/package-lock.json"),
    ("catalog_yarn_lock", "yarn-lock", "app/yarn.lock"),
    ("catalog_pnpm_lock", "pnpm-lock", "app/pnpm-lock.yaml"),
    ("catalog_poetry_lock", "python-lock", "app/poetry.lock"),
    ("catalog_pipfile_lock", "python-lock", "app/Pipfile.lock"),
    ("catalog_uv_lock", "python-lock", "app/uv.lock"),
    ("catalog_os_release_fallback", "os-release", "etc/redhat-release"),
    ("catalog_dpkg_list", "dpkg", "var/lib/dpkg/info/libc6:amd64.list"),
    ("catalog_dpkg_md5sums", "dpkg", "var/lib/dpkg/status.d/tzdata.md5sums"),
    ("catalog_apk", "apk", "lib/apk/db/installed"),
    ("catalog_rpm_sqlite", "rpm", "var/lib/rpm/rpmdb.sqlite"),
    ("catalog_rpm_bdb", "rpm", "var/lib/rpm/Packages"),
    ("catalog_rpm_ndb", "rpm", "usr/lib/sysimage/rpm/Packages.db"),
    ("catalog_java", "java", "srv/app/shop.war"),
    ("catalog_gem", "gem", "usr/local/bundle/specifications/pkg-1.0.gemspec"),
    ("catalog_composer", "composer", "var/www/vendor/composer/installed.json"),
    ("catalog_dotnet", "dotnet", "app/App.deps.json"),
    ("catalog_go_binary", "go-binary", "usr/local/bin/app"),
    ("catalog_rust_binary", "rust-binary", "usr/local/bin/app"),
    ("catalog_cargo_lock", "cargo-lock", "src/app/Cargo.lock"),
];

/// A parser under fuzzing: true when it accepted the input.
pub type Parser = fn(&[u8]) -> bool;

/// Fuzz targets for parsers that read part of a cataloger's file: target
/// name and the parser. Seeds live in
/// `fuzz/seeds/<target>/` too.
pub const PARSERS: &[(&str, Parser)] = &[("catalog_rpm_header", rpm_header)];

/// One rpm header blob, as every rpm database backend stores them.
fn rpm_header(data: &[u8]) -> bool {
    match catalog::rpm::header_facts(data) {
        Ok(facts) => {
            round_trip(&facts);
            true
        }
        Err(_) => false,
    }
}

/// Facts must survive the cache's JSON round trip unchanged.
fn round_trip(facts: &[Fact]) {
    let json = serde_json::to_vec(facts).expect("facts serialise");
    let back: Vec<Fact> = serde_json::from_slice(&json).expect("facts deserialise");
    assert_eq!(back, facts, "cache round trip changed the facts");
}

/// Runs the cataloger with `id` on `data` read from `path`; true when it
/// accepted the file. Panics when the cataloger panics or its facts do
/// not survive a JSON round trip.
pub fn catalog(id: &str, path: &str, data: &[u8]) -> bool {
    let Some(cataloger) = catalog::registry().into_iter().find(|c| c.id() == id) else {
        panic!("no cataloger {id}");
    };
    match cataloger.analyze(path, data) {
        Ok(facts) => {
            round_trip(&facts);
            true
        }
        Err(_) => false,
    }
}

/// The target entry point: looks the target up in [`TARGETS`], then
/// [`PARSERS`].
pub fn target(name: &str, data: &[u8]) -> bool {
    if let Some((_, parse)) = PARSERS.iter().find(|(t, _)| *t == name) {
        return parse(data);
    }
    let Some((_, id, path)) = TARGETS.iter().find(|(t, _, _)| *t == name) else {
        panic!("no fuzz target {name}");
    };
    catalog(id, path, data)
}
