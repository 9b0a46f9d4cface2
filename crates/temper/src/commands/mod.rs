//! One module per subcommand, each a `run` over its parsed arguments
//! (defined in `temper-cli`): it turns them into the library's options,
//! calls `temper-verdict` and the stage crates, and hands the results to
//! `render`. What the subcommands share lives here: image options from
//! flags, output to stdout or a file, `SOURCE_DATE_EPOCH`.

pub mod build;
pub mod attest;
pub mod cache;
pub mod check;
pub mod completions;
pub mod db;
pub mod fleet;
pub mod gate;
pub mod inspect;
pub mod key;
pub mod layers;
pub mod lint;
pub mod man;
pub mod policy;
pub mod push;
pub mod rebase;
pub mod registry;
pub mod report;
pub mod sbom;
pub mod scan;
pub mod serve;
pub mod sign;
pub mod tree;
pub mod verify;
#[path = "verify-attestation.rs"]
pub mod verify_attestation;

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Result, anyhow};
use temper_cli::{Command, ImageArgs, LimitArgs, RegistryArgs, RunArgs};
use temper_image::registry::credentials::Credentials;
use temper_image::{OpenOptions, Platform, RegistryOptions};
use temper_verdict::CacheSettings;

use crate::size;

/// Runs the subcommand.
pub fn run(command: Command) -> Result<ExitCode> {
    match command {
        Command::Inspect(args) => inspect::run(&args),
        Command::Layers(args) => layers::run(&args),
        Command::Sbom(args) => sbom::run(&args),
        Command::Scan(args) => scan::run(&args),
        Command::Check(args) => check::run(&args),
        Command::Gate(args) => gate::run(&args),
        Command::Report(args) => report::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Lint(args) => lint::run(&args),
        Command::Build(args) => build::run(&args),
        Command::Push(args) => push::run(&args),
        Command::Rebase(args) => rebase::run(&args),
        Command::Sign(args) => sign::run(&args),
        Command::Verify(args) => verify::run(&args),
        Command::Attest(args) => attest::run(&args),
        Command::VerifyAttestation(args) => verify_attestation::run(&args),
        Command::Tree(args) => tree::run(&args),
        Command::Registry(command) => registry::run(command),
        Command::Key(command) => key::run(command),
        Command::Policy(command) => policy::run(command),
        Command::Db(command) => db::run(command),
        Command::Fleet(command) => fleet::run(command),
        Command::Cache(command) => cache::run(command),
        Command::Completions { shell } => completions::run(shell),
        Command::Man { output } => man::run(output.as_deref()),
    }
}

/// How to open an image by the platform and registry flags alone.
pub fn source_options(args: &RegistryArgs) -> Result<OpenOptions> {
    let platform = args.platform.as_deref().map(Platform::parse).transpose()?;
    let credentials = args.creds.as_deref().map(|c| Credentials::parse_user_pass(c).ok_or_else(|| anyhow!("--creds takes USER:PASSWORD"))).transpose()?;
    Ok(OpenOptions {
        platform,
        registry: RegistryOptions {
            insecure: args.insecure,
            ca_certs: args.ca_certs.clone(),
            credentials,
            docker_config: args.docker_config.clone(),
            retry: temper_image::registry::RetryPolicy { notice: Some(std::sync::Arc::new(|m: &str| crate::term::note(m))), ..temper_image::registry::RetryPolicy::from_env() },
        },
        ..Default::default()
    })
}

/// How to open the image the flags describe.
pub fn open_options(args: &ImageArgs) -> Result<OpenOptions> {
    limited(source_options(&args.registry)?, &args.limits)
}

/// `opts` with the archive size limit `--max-image-size` sets.
pub fn limited(mut opts: OpenOptions, args: &LimitArgs) -> Result<OpenOptions> {
    opts.limits = temper_image::Limits { archive_bytes: size::parse_size(&args.max_image_size).map_err(|e| anyhow!("--max-image-size: {e}"))?, ..Default::default() };
    Ok(opts)
}

/// The image the flags name, opened.
pub fn open(args: &ImageArgs) -> Result<temper_verdict::Opened> {
    Ok(temper_verdict::target::open(&args.image, &open_options(args)?)?)
}

/// The layer pass's limits from the flags.
pub fn limits(args: &LimitArgs) -> Result<temper_layer::Limits> {
    Ok(temper_layer::Limits {
        max_layer_bytes: size::parse_size(&args.max_layer_size).map_err(|e| anyhow!("--max-layer-size: {e}"))?,
        max_image_bytes: size::parse_size(&args.max_image_size).map_err(|e| anyhow!("--max-image-size: {e}"))?,
        max_ratio: args.max_ratio,
        max_entries: args.max_entries,
    })
}

/// The VEX documents and the ignore file (`--ignore-file`, else
/// `./.temperignore` when present) that suppress findings.
pub fn suppressions(vex: &[std::path::PathBuf], ignore_file: Option<&Path>) -> Result<temper_finding::vex::Suppressions> {
    let default_ignore = Path::new(".temperignore");
    let ignore_file = ignore_file.or_else(|| default_ignore.is_file().then_some(default_ignore));
    Ok(temper_verdict::vulnerabilities::suppressions(vex, ignore_file)?)
}

/// The per-layer cache the flags ask for.
pub fn cache_settings(image: &ImageArgs, run: &RunArgs) -> CacheSettings {
    CacheSettings { disabled: run.no_cache, dir: run.cache_dir.clone(), verify_blobs: image.verify_blobs, shared: None }
}

/// Writes `text` to stdout.
pub fn print(out: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(out.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

/// Writes `text` to `--output` when given, else to stdout.
pub fn emit(output: Option<&Path>, text: &str) -> Result<()> {
    match output {
        Some(path) => write_whole(path, text),
        None => print(text),
    }
}

/// Writes `text` to `path` through a temporary file renamed into place, so
/// a failure never leaves half a file. Errors name `path`, never the
/// temporary file the user did not ask for. A path that is not a regular
/// file (`/dev/null`, `/dev/stdout`, a FIFO, a symlink) is written through:
/// the rename would replace it, and as root `-o /dev/null` would leave the
/// machine without one.
pub fn write_whole(path: &Path, text: &str) -> Result<()> {
    if std::fs::symlink_metadata(path).is_ok_and(|m| !m.file_type().is_file()) {
        return std::fs::write(path, text).map_err(|e| anyhow!("{}: cannot write the output: {e}", path.display()));
    }
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(anyhow!("{}: cannot write the output: the directory {} does not exist; create it or choose another --output", path.display(), dir.display()));
    }
    let tmp = dir.join(format!(".{}.temper-tmp", path.file_name().and_then(|n| n.to_str()).unwrap_or("out")));
    std::fs::write(&tmp, text).map_err(|e| anyhow!("{}: cannot write the output: {e}", path.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        anyhow!("{}: cannot write the output: {e}", path.display())
    })
}

/// `SOURCE_DATE_EPOCH` (reproducible-builds.org): unset or empty is none.
pub fn source_date_epoch() -> Result<Option<String>> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(s) if !s.trim().is_empty() => Ok(Some(s)),
        Ok(_) | Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(anyhow!("SOURCE_DATE_EPOCH is not valid UTF-8")),
    }
}

/// `--output` as given; with `--push` alone, a temporary layout the image
/// is written to, pushed from, and removed with the returned directory.
pub fn output_or_scratch(output: Option<&str>, push: bool) -> Result<(Option<tempfile::TempDir>, String)> {
    match (output, push) {
        (Some(o), _) => Ok((None, o.to_owned())),
        (None, true) => {
            let dir = tempfile::tempdir()?;
            let layout = format!("oci:{}:latest", dir.path().join("layout").display());
            Ok((Some(dir), layout))
        }
        (None, false) => Ok((None, String::new())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_through_a_symlink_keeps_the_link() {
        let dir = tempfile::tempdir().unwrap();
        let (target, link) = (dir.path().join("target.json"), dir.path().join("link.json"));
        std::fs::write(&target, "old").unwrap();
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write_whole(&link, "new").unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        // A regular file is still replaced whole, and no temporary file is left.
        write_whole(&target, "again").unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "again");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }
}
