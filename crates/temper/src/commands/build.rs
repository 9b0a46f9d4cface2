//! `temper build`: a golden image from a spec, through `temper-build`.

use std::process::ExitCode;

use anyhow::Context as _;
use anyhow::Result;
use temper_cli::{BuildArgs, BuildFormat};

use super::{print, source_date_epoch, source_options};
use crate::progress::Terminal;
use crate::render;

pub fn run(args: &BuildArgs) -> Result<ExitCode> {
    if args.print_schema {
        print(&temper_build::spec::schema())?;
        return Ok(ExitCode::SUCCESS);
    }
    let (scratch, output) = super::output_or_scratch(args.output.as_deref(), args.push.is_some())?;
    let open = source_options(&args.registry)?;
    let labels = args.labels.iter().map(|l| l.split_once('=').filter(|(k, _)| !k.is_empty()).map(|(k, v)| (k.to_owned(), v.to_owned())).ok_or_else(|| anyhow::anyhow!("--label {l}: give KEY=VALUE"))).collect::<Result<_>>()?;
    let opts = temper_build::Options { output, open, limits: temper_layer::Limits::default(), source_date_epoch: source_date_epoch()?, locked: args.locked, update: args.update, now: time::OffsetDateTime::now_utc(), cache: temper_verdict::CacheSettings { disabled: args.no_cache, dir: args.cache_dir.clone(), verify_blobs: false, shared: None }, labels, strict_scripts: args.strict_scripts };
    if args.plan {
        let plans = temper_build::plan(&args.spec, &opts, &Terminal)?;
        match args.format {
            BuildFormat::Json => {
                let doc: Vec<serde_json::Value> = plans.iter().map(|(platform, plan)| serde_json::json!({ "platform": platform, "packages": plan })).collect();
                print(&(serde_json::to_string_pretty(&doc)? + "\n"))?;
            }
            BuildFormat::Table => print(&render_plan(&plans))?,
        }
        return Ok(ExitCode::SUCCESS);
    }
    if args.check_reproducible {
        let r = temper_build::reproduce::check(&args.spec, &opts, &Terminal)?;
        return Ok(match r.difference {
            None => {
                print(&format!("reproducible: both builds are {}\n", r.digests[0]))?;
                ExitCode::SUCCESS
            }
            Some(d) => {
                print(&format!("not reproducible: {} then {}\nfirst difference: {}\n", r.digests[0], r.digests[1], render::escape(&d)))?;
                ExitCode::from(1)
            }
        });
    }
    let built = temper_build::build(&args.spec, &opts, &Terminal)?;
    for change in &built.lock_changes {
        crate::term::note(&format!("lock: {change}"));
    }
    let pushed = match &args.push {
        Some(reference) => {
            let pushed = temper_build::output::push(&built.output, reference, &opts.open.registry, &[&built.base])?;
            let s = &pushed.stats;
            crate::term::note(&format!("pushed {}: {} blobs uploaded, {} already present, {} mounted", pushed.reference, s.uploaded, s.present, s.mounted));
            Some(pushed.reference)
        }
        None => None,
    };
    let signed = match &args.sign {
        Some(key) => Some(sign_and_attest(&built, pushed.as_deref(), key, &opts.open)?),
        None => None,
    };
    match args.format {
        BuildFormat::Json => {
            let doc = serde_json::json!({ "digest": built.digest, "output": built.output, "layers_added": built.layers_added, "lock": built.lock, "lock_changes": built.lock_changes, "platforms": built.platforms, "sboms": built.sboms, "provenance": built.provenance, "pushed": pushed, "signed": signed });
            print(&(serde_json::to_string_pretty(&doc)? + "\n"))?;
        }
        BuildFormat::Table => match (&pushed, scratch.is_some()) {
            (Some(reference), true) => print(&format!("{reference}  ({})\n", added(&built)))?,
            _ => print(&format!("{}@{}  ({})\n", render::escape(&built.output), built.digest, added(&built)))?,
        },
    }
    Ok(ExitCode::SUCCESS)
}

/// `--sign`: the image signed where it now lives (the registry it was
/// pushed to, else the layout; each platform too), its provenance attested
/// to it, and each SBOM to the manifest it describes.
fn sign_and_attest(built: &temper_build::Built, pushed: Option<&str>, key: &std::path::Path, open: &temper_image::OpenOptions) -> Result<serde_json::Value> {
    use temper_verdict::trust::{self, SignOptions, Storage};
    let key = super::sign::read_key(key)?;
    let target = pushed.map_or_else(|| built.output.clone(), str::to_owned);
    let signed = trust::sign(&target, &key, open, &SignOptions { storage: Storage::Both, annotations: Default::default(), recursive: built.platforms > 1 })?;
    let read = |path: &std::path::Path| -> Result<serde_json::Value> {
        let text = std::fs::read(path).with_context(|| format!("{}", path.display()))?;
        Ok(serde_json::from_slice(&text)?)
    };
    let provenance = read(&built.provenance)?["predicate"].clone();
    let mut attested = trust::attest(&target, &key, temper_trust::statement::SLSA_PROVENANCE_V1, provenance, open, Storage::Both)?;
    if let [sbom] = built.sboms.as_slice() {
        attested.extend(trust::attest(&target, &key, temper_trust::statement::CYCLONEDX, read(sbom)?, open, Storage::Both)?);
    } else {
        // Each platform's SBOM is about its own manifest.
        for (sbom, (digest, media_type, size)) in built.sboms.iter().zip(&built.sbom_manifests) {
            let digest = temper_image::Digest::parse(digest).map_err(|e| anyhow::anyhow!("{}: {e}", sbom.display()))?;
            attested.push(trust::attest_manifest(&target, (&digest, media_type, *size), &key, temper_trust::statement::CYCLONEDX, read(sbom)?, open, Storage::Both)?);
        }
    }
    crate::term::note(&format!("signed {target} with key {}; attested its provenance and {}", key.public().key_id(), if built.sboms.len() == 1 { "SBOM".to_owned() } else { format!("each platform's SBOM ({})", built.sboms.len()) }));
    Ok(serde_json::json!({ "key_id": key.public().key_id(), "signed": signed, "attested": attested }))
}

/// What the build added, for the summary line.
fn added(built: &temper_build::Built) -> String {
    match built.platforms {
        0 | 1 => format!("{} layer(s) added", built.layers_added),
        n => format!("{n} platforms, {} layer(s) added to each", built.layers_added),
    }
}

/// `--plan` as a table: one line per package, per platform.
fn render_plan(plans: &[(String, Vec<temper_build::packages::Planned>)]) -> String {
    let mut out = String::new();
    for (platform, plan) in plans {
        if plans.len() > 1 {
            out.push_str(&format!("{}:\n", render::escape(platform)));
        }
        if plan.is_empty() {
            out.push_str("nothing to install or upgrade\n");
            continue;
        }
        let (mut upgrades, mut installs, mut bytes) = (0, 0, 0);
        for p in plan {
            let change = match &p.from {
                Some(from) => {
                    upgrades += 1;
                    format!("upgrade  {}:{} {} -> {}", p.name, p.architecture, from, p.to)
                }
                None => {
                    installs += 1;
                    format!("install  {}:{} {}", p.name, p.architecture, p.to)
                }
            };
            bytes += p.size;
            out.push_str(&format!("{}  ({})\n", render::escape(&change), crate::size::human(p.size)));
        }
        out.push_str(&format!("{installs} to install, {upgrades} to upgrade, {} to fetch\n", crate::size::human(bytes)));
    }
    out
}
