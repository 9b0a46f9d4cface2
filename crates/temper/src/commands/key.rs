//! `temper key generate`: a key pair in cosign's formats, through `temper-trust`.

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use temper_cli::{KeyAlgorithm, KeyCommand, KeyGenerateArgs};
use temper_trust::key::{Algorithm, SigningKey};

use crate::term;

pub fn run(command: KeyCommand) -> Result<ExitCode> {
    match command {
        KeyCommand::Generate(args) => generate(&args),
    }
}

/// A private key's password: TEMPER_PASSWORD, else asked on the terminal.
pub fn read_password() -> Result<String> {
    if let Some(p) = std::env::var_os("TEMPER_PASSWORD") {
        return p.into_string().map_err(|_| anyhow::anyhow!("TEMPER_PASSWORD is not UTF-8"));
    }
    if !std::io::stdin().is_terminal() {
        bail!("no password: set TEMPER_PASSWORD (stdin is not a terminal to ask on)");
    }
    rpassword::prompt_password("Password for the private key: ").context("reading the password")
}

/// A new key's password: TEMPER_PASSWORD, else asked twice on the terminal.
fn password() -> Result<String> {
    if std::env::var_os("TEMPER_PASSWORD").is_some() {
        return read_password();
    }
    let first = read_password()?;
    let again = rpassword::prompt_password("Password again: ").context("reading the password")?;
    if first != again {
        bail!("the two passwords differ; run again");
    }
    Ok(first)
}

fn with_extension(prefix: &Path, ext: &str) -> PathBuf {
    let mut name = prefix.as_os_str().to_owned();
    name.push(ext);
    PathBuf::from(name)
}

/// Writes `bytes` to `path` through a temporary file in the same directory,
/// so a failure leaves nothing half-written.
fn write_new(path: &Path, bytes: &[u8], mode: u32, force: bool) -> Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).with_context(|| format!("{}: cannot write here", dir.display()))?;
    tmp.as_file().set_permissions(std::fs::Permissions::from_mode(mode))?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    if force {
        tmp.persist(path).with_context(|| format!("{}: cannot write", path.display()))?;
    } else {
        tmp.persist_noclobber(path).map_err(|e| anyhow::anyhow!("{}: {}", path.display(), if e.error.kind() == std::io::ErrorKind::AlreadyExists { "exists; give --force to replace it or --output-prefix to write elsewhere".to_owned() } else { e.error.to_string() }))?;
    }
    Ok(())
}

fn generate(args: &KeyGenerateArgs) -> Result<ExitCode> {
    let (key_path, pub_path) = (with_extension(&args.output_prefix, ".key"), with_extension(&args.output_prefix, ".pub"));
    if !args.force {
        for p in [&key_path, &pub_path] {
            if p.exists() {
                bail!("{}: exists; give --force to replace it or --output-prefix to write elsewhere", p.display());
            }
        }
    }
    let password = password()?;
    let algorithm = match args.algorithm {
        KeyAlgorithm::EcdsaP256 => Algorithm::EcdsaP256,
        KeyAlgorithm::Ed25519 => Algorithm::Ed25519,
    };
    let key = SigningKey::generate(algorithm)?;
    let private = key.to_encrypted_pem(password.as_bytes())?;
    let public = key.public().to_pem();
    write_new(&key_path, private.as_bytes(), 0o600, args.force)?;
    write_new(&pub_path, public.as_bytes(), 0o644, args.force)?;
    term::note(&format!("private key written to {}, public key to {} (key id {})", key_path.display(), pub_path.display(), key.public().key_id()));
    Ok(ExitCode::SUCCESS)
}
