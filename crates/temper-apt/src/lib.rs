//! Debian and Ubuntu repositories, read the way apt reads them but with
//! no program of the image run: sources (one-line and deb822) name the
//! repositories; `InRelease` is verified against OpenPGP keyrings before
//! anything it lists is trusted; `Packages` indexes and `.deb`s are
//! checked against the hashes the signed release gives; a resolver picks
//! what to install or upgrade; the installer turns `.deb`s into layer
//! entries and the dpkg database files that describe them.

pub mod ca_store;
pub mod control;
pub mod deb;
pub mod index;
pub mod install;
pub mod keyring;
pub mod relation;
pub mod release;
pub mod repo;
pub mod resolve;
pub mod scripts;
pub mod sources;
