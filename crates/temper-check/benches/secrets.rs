//! What secret scanning adds to the layer pass: walks the corpus's
//! big-node image (every layer decompressed and digested, as `temper
//! layers` does) with no analyser, then with the secret scanner, several
//! rounds each, interleaved, and prints the best time of each and the
//! overhead. Run by `scripts/bench-secrets.sh`.
//!   cargo bench -p temper-check --bench secrets [-- IMAGE_DIR [ROUNDS]]
#![allow(missing_docs, clippy::print_stdout)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use temper_image::{OpenOptions, Source};
use temper_inventory::Fact;
use temper_layer::{AnalyzerSet, FileSink, NoFiles, NoProgress};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let dir = args.first().map(PathBuf::from).unwrap_or_else(|| {
        let corpus = std::env::var_os("TEMPER_CORPUS").map_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/temper-corpus"), PathBuf::from);
        corpus.join("oci/big-node")
    });
    let rounds: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(5);
    let image = match Source::parse(&format!("oci:{}", dir.display())).map_err(|e| e.to_string()).and_then(|s| temper_image::open(&s, &OpenOptions::default()).map_err(|e| e.to_string())) {
        Ok(image) => image,
        Err(e) => {
            eprintln!("cannot open {}: {e}", dir.display());
            return ExitCode::from(2);
        }
    };
    // Wall time, and the process's CPU time, which a busy machine disturbs less.
    let walk = |sink: &dyn FileSink| -> Result<(Duration, f64), String> {
        let (start, cpu) = (Instant::now(), cpu_seconds());
        temper_layer::walk_image_with(&image, &Default::default(), &NoProgress, sink).map_err(|e| e.to_string())?;
        Ok((start.elapsed(), cpu_seconds() - cpu))
    };
    let (mut plain, mut scanned) = (Duration::MAX, Duration::MAX);
    let (mut plain_cpu, mut scanned_cpu) = (f64::MAX, f64::MAX);
    let mut files = 0;
    let mut secrets = 0;
    for _ in 0..rounds {
        match walk(&NoFiles) {
            Ok((t, c)) => (plain, plain_cpu) = (plain.min(t), plain_cpu.min(c)),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(1);
            }
        }
        let set = AnalyzerSet::<Fact>::new(vec![temper_check::secrets::analyzer()]);
        match walk(&set) {
            Ok((t, c)) => (scanned, scanned_cpu) = (scanned.min(t), scanned_cpu.min(c)),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(1);
            }
        }
        let found = set.into_found();
        files = found.len();
        secrets = found.iter().filter_map(|f| f.result.as_ref().ok()).map(Vec::len).sum::<usize>();
    }
    let overhead = 100.0 * (scanned.as_secs_f64() / plain.as_secs_f64() - 1.0);
    println!("image                         : {}", dir.display());
    println!("files scanned                 : {files} ({secrets} secrets)");
    println!("layer pass, no analyser       : {:7.3} s (best of {rounds})", plain.as_secs_f64());
    println!("layer pass + secret scanner   : {:7.3} s (best of {rounds})", scanned.as_secs_f64());
    println!("overhead                      : {overhead:6.1} % (target <= 15 %)");
    let cpu_overhead = 100.0 * (scanned_cpu / plain_cpu - 1.0);
    println!("CPU time, no analyser         : {plain_cpu:7.3} s (best of {rounds})");
    println!("CPU time + secret scanner     : {scanned_cpu:7.3} s (best of {rounds})");
    println!("CPU overhead                  : {cpu_overhead:6.1} %");
    ExitCode::SUCCESS
}

/// User plus system CPU seconds of this process so far, from
/// `/proc/self/stat` (Linux; 0 elsewhere), in clock ticks of 1/100 s.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name, which may itself hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}
