//! The `temper` command: parses arguments, calls the library crates and
//! renders their results. Exit codes: 0 success, 1 a threshold or policy
//! failed, 2 an error.

mod cli;
mod check;
mod cli_vuln;
mod config;
mod gate;
mod lint;
mod progress;
mod render;
mod size;
mod term;
mod vuln;

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use clap::Parser;
use temper_image::registry::credentials::Credentials;
use temper_image::{Image, OpenOptions, Platform, RegistryOptions, Source};
use temper_inventory::format;
use temper_layer::{Amount, LayerIndex, LayerReport, Threshold};

use cli::{Cli, Command, Format, ImageArgs};

fn main() -> ExitCode {
    let cli = Cli::parse();
    term::init(cli.color, cli.quiet);
    let result = match cli.command {
        Command::Inspect(args) => inspect(&args),
        Command::Layers(args) => layers(&args),
        Command::Sbom(args) => sbom(&args),
        Command::Scan(args) => vuln::scan(&args),
        Command::Check(args) => check::check(&args),
        Command::Lint(args) => lint::lint(&args),
        Command::Db(cli_vuln::DbCommand::Import { paths, db }) => vuln::db_import(&paths, &db),
        Command::Db(cli_vuln::DbCommand::Status { db, format }) => vuln::db_status(&db, format),
        Command::Db(cli_vuln::DbCommand::Check { db, config, format }) => vuln::db_check(&db, config.as_deref(), format),
        Command::Db(cli_vuln::DbCommand::Update { db, config, feeds }) => vuln::db_update(&db, config.as_deref(), &feeds),
        Command::Cache(cli::CacheCommand::Clean { cache_dir }) => cache_clean(cache_dir),
        Command::Completions { shell } => completions(shell),
        Command::Man { output } => man(output.as_deref()),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            let _ = writeln!(std::io::stderr(), "temper: error: {}", one_line(&e));
            ExitCode::from(2)
        }
    }
}

mod man_pages {
    include!(concat!(env!("OUT_DIR"), "/man_pages.rs"));
}

fn completions(shell: cli::CompletionShell) -> Result<ExitCode> {
    use clap_complete::Shell;
    let shell = match shell {
        cli::CompletionShell::Bash => Shell::Bash,
        cli::CompletionShell::Zsh => Shell::Zsh,
        cli::CompletionShell::Fish => Shell::Fish,
        cli::CompletionShell::Powershell => Shell::PowerShell,
        cli::CompletionShell::Elvish => Shell::Elvish,
    };
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut <Cli as clap::CommandFactory>::command(), "temper", &mut script);
    std::io::stdout().lock().write_all(&script)?;
    Ok(ExitCode::SUCCESS)
}

/// The man pages were generated at build time from the argument definitions (build.rs).
fn man(output: Option<&std::path::Path>) -> Result<ExitCode> {
    let Some(dir) = output else {
        let (_, page) = man_pages::PAGES.iter().find(|(name, _)| *name == "temper.1").ok_or_else(|| anyhow!("this build has no man page"))?;
        print(page)?;
        return Ok(ExitCode::SUCCESS);
    };
    std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create the directory", dir.display()))?;
    for (name, page) in man_pages::PAGES {
        write_whole(&dir.join(name), page)?;
    }
    print(&format!("wrote {} man pages to {}\n", man_pages::PAGES.len(), dir.display()))?;
    Ok(ExitCode::SUCCESS)
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
}

/// The longest error line printed, in characters: a cause can quote a
/// whole header of a binary file, which helps nobody.
const MAX_ERROR_CHARS: usize = 1000;

/// The error and its causes on one line, [`render::escape`]d (every
/// message printed goes through here): messages quote file names, tags,
/// config values and bytes of the input, which must not reach the
/// terminal raw. A cause its wrapper already quotes is left out, and so is
/// one that only restates such a cause (SQLite's "Error code 26: file is
/// not a database" under "file is not a database").
fn one_line(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut quoted = String::new();
    for c in e.chain() {
        let s = c.to_string();
        let restated = !quoted.is_empty() && s.contains(&quoted);
        if parts.iter().any(|p| p.contains(&s)) || restated {
            quoted = s;
        } else {
            quoted.clear();
            parts.push(s);
        }
    }
    let line = render::escape(&parts.join(": ").replace('\n', " ")).into_owned();
    match line.char_indices().nth(MAX_ERROR_CHARS) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

fn open_image(args: &ImageArgs) -> Result<Image> {
    Ok(open_source(args)?.1)
}

/// The parsed source and the image opened from it.
fn open_source(args: &ImageArgs) -> Result<(Source, Image)> {
    let platform = args.platform.as_deref().map(Platform::parse).transpose()?;
    let credentials = args
        .creds
        .as_deref()
        .map(|c| Credentials::parse_user_pass(c).ok_or_else(|| anyhow!("--creds takes USER:PASSWORD")))
        .transpose()?;
    let opts = OpenOptions {
        platform,
        limits: temper_image::Limits {
            archive_bytes: size::parse_size(&args.max_image_size).map_err(|e| anyhow!("--max-image-size: {e}"))?,
            ..Default::default()
        },
        registry: RegistryOptions {
            insecure: args.insecure,
            ca_certs: args.ca_certs.clone(),
            credentials,
            docker_config: args.docker_config.clone(),
            retry: temper_image::registry::RetryPolicy {
                notice: Some(std::sync::Arc::new(|m: &str| term::note(m))),
                ..temper_image::registry::RetryPolicy::from_env()
            },
        },
    };
    let source = Source::parse(&args.image)?;
    let image = temper_image::open(&source, &opts)?;
    Ok((source, image))
}

fn walk(image: &Image, args: &ImageArgs) -> Result<Vec<LayerIndex>> {
    walk_with(image, args, &temper_layer::NoFiles)
}

fn walk_with(image: &Image, args: &ImageArgs, sink: &dyn temper_layer::FileSink) -> Result<Vec<LayerIndex>> {
    let limits = limits(args)?;
    let bars = progress::Bars::new("reading", layer_labels(image));
    let walked = temper_layer::walk_image_with(image, &limits, &bars, sink);
    bars.clear();
    walked.with_context(|| image.name.clone())
}

fn limits(args: &ImageArgs) -> Result<temper_layer::Limits> {
    Ok(temper_layer::Limits {
        max_layer_bytes: size::parse_size(&args.max_layer_size).map_err(|e| anyhow!("--max-layer-size: {e}"))?,
        max_image_bytes: size::parse_size(&args.max_image_size).map_err(|e| anyhow!("--max-image-size: {e}"))?,
        max_ratio: args.max_ratio,
        max_entries: args.max_entries,
    })
}

fn layer_labels(image: &Image) -> Vec<progress::LayerLabel> {
    image
        .layers
        .iter()
        .map(|l| progress::LayerLabel { digest: l.digest.as_ref().or(l.diff_id.as_ref()).map_or_else(String::new, |d| d.short().to_owned()), size: l.size })
        .collect()
}

fn print(out: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(out.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

fn inspect(args: &cli::InspectArgs) -> Result<ExitCode> {
    let image = open_image(&args.image)?;
    let walked = walk(&image, &args.image)?;
    let view = render::inspect::View::new(&image, &walked);
    match args.format {
        Format::Json => print(&(serde_json::to_string_pretty(&view)? + "\n"))?,
        Format::Table => print(&render::inspect::table(&view))?,
    }
    Ok(ExitCode::SUCCESS)
}

fn ratio(s: &str) -> Result<f64> {
    let v = match s.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|p| p / 100.0),
        None => s.trim().parse::<f64>(),
    }
    .map_err(|_| anyhow!("--min-efficiency takes a ratio such as 0.9 or 90%, not '{s}'"))?;
    if !(0.0..=1.0).contains(&v) {
        return Err(anyhow!("--min-efficiency must be between 0 and 1 (or 0% and 100%)"));
    }
    Ok(v)
}

fn layers(args: &cli::LayersArgs) -> Result<ExitCode> {
    let mut thresholds = Vec::new();
    if let Some(e) = &args.min_efficiency {
        thresholds.push(Threshold::MinEfficiency(ratio(e)?));
    }
    if let Some(w) = &args.max_wasted {
        let amount = match w.strip_suffix('%') {
            Some(p) => Amount::Percent(p.trim().parse().map_err(|_| anyhow!("--max-wasted: '{w}' is not a percentage"))?),
            None => Amount::Bytes(size::parse_size(w).map_err(|e| anyhow!("--max-wasted: {e}"))?),
        };
        thresholds.push(Threshold::MaxWasted(amount));
    }
    if let Some(s) = &args.max_size {
        thresholds.push(Threshold::MaxSize(size::parse_size(s).map_err(|e| anyhow!("--max-size: {e}"))?));
    }
    let image = open_image(&args.image)?;
    if let Some(n) = args.layer
        && n >= image.layers.len()
    {
        return Err(anyhow!("--layer {n}: the image has {} layers (0..{})", image.layers.len(), image.layers.len().saturating_sub(1)));
    }
    let walked = walk(&image, &args.image)?;
    let analysis = temper_layer::analyze(&walked).with_context(|| image.name.clone())?;
    let report = LayerReport::build(&image, &walked, &analysis);
    let results = report.check(&thresholds);

    if args.tree {
        let text = match args.layer {
            Some(n) => render::tree::layer(&walked[n].entries),
            None => render::tree::merged(&analysis.merged),
        };
        print(&text)?;
    } else {
        match args.format {
            Format::Json => {
                let mut value = serde_json::to_value(&report)?;
                value["thresholds"] = serde_json::to_value(&results)?;
                print(&(serde_json::to_string_pretty(&value)? + "\n"))?;
            }
            Format::Table => print(&render::layers::table(&report, &results, args.top))?,
        }
    }
    let mut verdict = gate::Verdict::new(args.exit_code);
    for failed in results.iter().filter(|r| !r.passed) {
        verdict.fail(failed.reason.clone().unwrap_or_else(|| "threshold not met".to_owned()));
    }
    Ok(verdict.finish())
}

/// Writes `text` to `path` through a temporary file renamed into place, so
/// a failure never leaves half a file. Errors name `path`, never the
/// temporary file the user did not ask for.
fn write_whole(path: &std::path::Path, text: &str) -> Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
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

fn sbom(args: &cli::SbomArgs) -> Result<ExitCode> {
    let (source, image) = open_source(&args.image)?;
    // The standard formats' document time, resolved before the scan so that
    // a malformed SOURCE_DATE_EPOCH fails fast.
    let time = || format::Timestamp::resolve(source_date_epoch()?.as_deref(), image.config.created.as_deref()).map_err(anyhow::Error::from);
    let document: Option<(Encoder, format::Timestamp)> = match args.format {
        cli::SbomFormat::Cyclonedx => Some((format::cyclonedx::encode, time()?)),
        cli::SbomFormat::Spdx => Some((format::spdx::encode, time()?)),
        cli::SbomFormat::Json | cli::SbomFormat::Table => None,
    };
    let Scanned { layers, inventory, .. } = scan_inventory(&image, &args.image, &args.run, args.all_layers, &[])?;
    let text = match (document, args.format) {
        (Some((encode, timestamp)), _) => {
            let subject = render::sbom::subject(&source, &image, &layers);
            encode(&format::Sbom { subject: &subject, inventory: &inventory, timestamp, tool_version: env!("CARGO_PKG_VERSION") })?
        }
        (None, cli::SbomFormat::Json) => {
            let doc = serde_json::json!({
                "image": image.name,
                "digest": image.manifest.as_ref().map(|m| m.digest.to_string()),
                "platform": image.platform().map(|p| p.to_string()),
                "os": inventory.os,
                "packages": inventory.packages,
                "unknowns": inventory.unknowns,
            });
            serde_json::to_string_pretty(&doc)? + "\n"
        }
        (None, _) => render::sbom::table(&inventory),
    };
    match &args.run.output {
        Some(path) => write_whole(path, &text)?,
        None => print(&text)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// An image after the layer pass.
struct Scanned {
    /// Every layer's index.
    layers: Vec<LayerIndex>,
    /// The merged filesystem and waste figures.
    analysis: temper_layer::Analysis,
    /// Packages and what the extra analysers found.
    inventory: temper_inventory::Inventory,
}

/// The walked layers and merged inventory of `image`, with the catalogers
/// and `extra` analysers fed in the one pass, through the per-layer cache
/// unless told otherwise.
fn scan_inventory(image: &Image, args: &ImageArgs, run: &cli::RunArgs, all_layers: bool, extra: &[&'static dyn temper_layer::Analyzer<temper_inventory::Fact>]) -> Result<Scanned> {
    let mut catalogers = temper_inventory::catalog::registry();
    catalogers.extend_from_slice(extra);
    let cache = if run.no_cache {
        None
    } else {
        match run.cache_dir.clone().or_else(temper_inventory::cache::default_dir).map(|d| temper_inventory::cache::LayerCache::open(&d)).transpose() {
            Ok(c) => c.map(|c| c.verify_blobs(args.verify_blobs)),
            Err(e) => {
                term::warn(&format!("{e}; scanning without the cache (`temper cache clean` removes it, --no-cache skips it)"));
                None
            }
        }
    };
    let bars = progress::Bars::new("scanning", layer_labels(image));
    let scanned = temper_inventory::scan(image, &limits(args)?, &bars, &catalogers, cache.as_ref());
    bars.clear();
    if let Some(notice) = cache.as_ref().and_then(temper_inventory::cache::LayerCache::take_notice) {
        term::warn(&notice);
    }
    let scanned = scanned.with_context(|| image.name.clone())?;
    let analysis = temper_layer::analyze(&scanned.layers).with_context(|| image.name.clone())?;
    let inventory = temper_inventory::Inventory::build(scanned.found, &scanned.layers, &analysis.merged, all_layers);
    Ok(Scanned { layers: scanned.layers, analysis, inventory })
}

/// A standard SBOM format's encoder.
type Encoder = fn(&format::Sbom<'_>) -> Result<String, format::FormatError>;

/// `SOURCE_DATE_EPOCH` (reproducible-builds.org): unset or empty is none.
fn source_date_epoch() -> Result<Option<String>> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(s) if !s.trim().is_empty() => Ok(Some(s)),
        Ok(_) | Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(anyhow!("SOURCE_DATE_EPOCH is not valid UTF-8")),
    }
}

fn cache_clean(dir: Option<std::path::PathBuf>) -> Result<ExitCode> {
    let dir = dir.or_else(temper_inventory::cache::default_dir).ok_or_else(|| anyhow!("no cache directory: set --cache-dir or HOME"))?;
    let freed = temper_inventory::cache::clean(&dir)?;
    print(&format!("removed {} from {}\n", size::human(freed), dir.display()))?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Cause(&'static str, Option<Box<Cause>>);

    impl std::fmt::Display for Cause {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Cause {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|c| c as &(dyn std::error::Error + 'static))
        }
    }

    #[test]
    fn one_line_says_each_cause_once_escaped_and_bounded() {
        // SQLite's shape: the wrapper quotes the cause, whose cause restates it with a code.
        let sqlite = Cause("file is not a database", Some(Box::new(Cause("Error code 26: file is not a database", None))));
        let e = anyhow::Error::new(sqlite).context("db.sqlite: file is not a database");
        assert_eq!(one_line(&e), "db.sqlite: file is not a database");
        // A context that the cause repeats is kept: it is not a restatement.
        let e = anyhow::Error::new(Cause("img.tar: bad\x1b[2J\nheader", None)).context("img.tar");
        assert_eq!(one_line(&e), "img.tar: img.tar: bad\\x1b[2J header");
        let long = anyhow!("{}", "x".repeat(5000));
        assert_eq!(one_line(&long).chars().count(), MAX_ERROR_CHARS + 1);
    }
}
