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
    ("catalog_go_binary", "go-binary", "usr/local/bin/app"),
    ("catalog_rust_binary", "rust-binary", "usr/local/bin/app"),
    ("catalog_cargo_lock", "cargo-lock", "src/app/Cargo.lock"),
];

/// Runs the cataloger with `id` on `data` read from `path`; true when it
/// accepted the file. Panics when the cataloger panics or its facts do
/// not survive a JSON round trip.
pub fn catalog(id: &str, path: &str, data: &[u8]) -> bool {
    let Some(cataloger) = catalog::registry().into_iter().find(|c| c.id() == id) else {
        panic!("no cataloger {id}");
    };
    match cataloger.analyze(path, data) {
        Ok(facts) => {
            let json = serde_json::to_vec(&facts).expect("facts serialise");
            let back: Vec<Fact> = serde_json::from_slice(&json).expect("facts deserialise");
            assert_eq!(back, facts, "cache round trip changed the facts");
            true
        }
        Err(_) => false,
    }
}

/// The target entry point: looks the target up in [`TARGETS`].
pub fn target(name: &str, data: &[u8]) -> bool {
    let Some((_, id, path)) = TARGETS.iter().find(|(t, _, _)| *t == name) else {
        panic!("no fuzz target {name}");
    };
    catalog(id, path, data)
}
