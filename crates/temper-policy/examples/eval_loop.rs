//! Evaluations per second of a loaded policy on stored assessments, from
//! one thread and from several sharing the policy (the admission webhook's
//! case: 1,000 requests a second). `scripts/bench-policy.sh` runs it.
//!
//!     eval_loop POLICY.toml RUNS THREADS INPUT.json...

use std::process::ExitCode;
use std::time::Instant;

use temper_policy::{Policy, Request};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(policy), Some(runs), Some(threads)) = (args.first(), args.get(1).and_then(|r| r.parse::<usize>().ok()), args.get(2).and_then(|t| t.parse::<usize>().ok())) else {
        eprintln!("usage: eval_loop POLICY.toml RUNS THREADS INPUT.json...");
        return ExitCode::from(2);
    };
    match run(policy, runs, threads.max(1), &args[3..]) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("eval_loop: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(policy: &str, runs: usize, threads: usize, inputs: &[String]) -> Result<(), String> {
    let started = Instant::now();
    let policy = Policy::load(std::path::Path::new(policy)).map_err(|e| e.to_string())?;
    println!("load: {:.1} ms", started.elapsed().as_secs_f64() * 1000.0);
    let docs: Vec<serde_json::Value> = inputs.iter().map(|i| std::fs::read(i).map_err(|e| format!("{i}: {e}")).and_then(|b| serde_json::from_slice(&b).map_err(|e| format!("{i}: {e}")))).collect::<Result<_, _>>()?;
    if docs.is_empty() {
        return Err("no input".into());
    }
    let request = Request::now();
    // One thread: latency of a single evaluation.
    let mut times = Vec::with_capacity(runs);
    for k in 0..runs {
        let t = Instant::now();
        policy.evaluate(&docs[k % docs.len()], request).map_err(|e| e.to_string())?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let pick = |q: f64| times.get(((times.len() as f64 - 1.0) * q) as usize).copied().unwrap_or(0.0);
    println!("one thread: median {:.3} ms, p90 {:.3} ms, p99 {:.3} ms over {runs}", pick(0.5), pick(0.9), pick(0.99));
    // Several threads sharing the policy: throughput.
    let t = Instant::now();
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads).map(|w| s.spawn({
            let (policy, docs) = (&policy, &docs);
            move || (0..runs).try_for_each(|k| policy.evaluate(&docs[(k + w) % docs.len()], request).map(|_| ()).map_err(|e| e.to_string()))
        })).collect();
        workers.into_iter().try_for_each(|w| w.join().map_err(|_| "a worker panicked".to_owned())?)
    })?;
    let total = runs * threads;
    println!("{threads} threads: {total} evaluations in {:.2} s, {:.0} per second", t.elapsed().as_secs_f64(), total as f64 / t.elapsed().as_secs_f64());
    Ok(())
}
