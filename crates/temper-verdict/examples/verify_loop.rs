//! Times signature verification in one process, for scripts/bench-verify.sh:
//!
//!   verify_loop IMAGE PUBLIC_KEY COUNT warm|oneshot
//!
//! `warm` keeps one [`Verifier`] (one connection, one token) for every
//! verification; `oneshot` calls [`trust::verify`] each time, which connects
//! afresh. The registry is reached as `--insecure` does (plain HTTP allowed),
//! since the bench runs it on loopback. One verification comes first to warm
//! the connection and is not counted; every counted one must verify. Prints
//! `median_us N p90_us N` over the counted ones.

use std::error::Error;
use std::time::Instant;

use temper_image::OpenOptions;
use temper_trust::VerifyingKey;
use temper_verdict::trust::{self, Outcome, Policy, Verification, Verifier};

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [image, key, count, mode] = args.as_slice() else {
        return Err("usage: verify_loop IMAGE PUBLIC_KEY COUNT warm|oneshot".into());
    };
    let count: usize = count.parse().map_err(|e| format!("COUNT {count}: {e}"))?;
    if count == 0 {
        return Err("COUNT must be at least 1".into());
    }
    let keys = vec![VerifyingKey::from_pem(&std::fs::read(key).map_err(|e| format!("{key}: {e}"))?).map_err(|e| format!("{key}: {e}"))?];
    let policy = Policy { keys: keys.clone(), keyless: None };
    let mut opts = OpenOptions::default();
    opts.registry.insecure = true;
    let verifier = match mode.as_str() {
        "warm" => Some(Verifier::new(image, &opts)?),
        "oneshot" => None,
        other => return Err(format!("mode {other}: give warm or oneshot").into()),
    };
    let once = || -> Result<Verification, Box<dyn Error>> {
        let report = match &verifier {
            Some(v) => v.verify(image, &policy)?,
            None => trust::verify(image, &keys, &opts)?,
        };
        if report.outcome() != Some(Outcome::Verified) {
            return Err(format!("{image}: not verified ({:?})", report.outcome()).into());
        }
        Ok(report)
    };
    once()?;
    let mut micros = Vec::with_capacity(count);
    for _ in 0..count {
        let start = Instant::now();
        once()?;
        micros.push(start.elapsed().as_micros());
    }
    micros.sort_unstable();
    // Nearest-rank percentiles: the value at rank ceil(p * n).
    let rank = |p: usize| micros[(p * count).div_ceil(100).saturating_sub(1)];
    println!("median_us {} p90_us {}", rank(50), rank(90));
    Ok(())
}
