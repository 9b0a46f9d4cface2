//! `temper serve --admission`: the Kubernetes admission webhook, judging
//! images with the policy through `temper_serve::policy_judge`.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use temper_cli::{OnTimeoutChoice, ServeArgs};
use temper_serve::policy_judge::{PolicyJudge, Settings};
use temper_serve::{OnTimeout, ServeConfig};
use temper_verdict::CacheSettings;

use super::{db, source_options};

pub fn run(args: &ServeArgs) -> Result<ExitCode> {
    let policy = temper_policy::Policy::from_paths(&args.policy)?;
    let secrets_allowed = temper_verdict::config::load(args.config.as_deref())?.secrets;
    let settings = Settings {
        policy,
        db: db::path(&args.db)?,
        open: source_options(&args.registry)?,
        limits: temper_layer::Limits::default(),
        cache: CacheSettings { dir: args.cache_dir.clone(), ..Default::default() },
        secrets_allowed,
    };
    let judge = PolicyJudge::new(settings)?;
    let mut config = ServeConfig::new(args.listen, args.tls_cert.clone(), args.tls_key.clone());
    config.budget = Duration::from_millis(args.budget_ms);
    config.on_timeout = match args.on_timeout {
        OnTimeoutChoice::Deny => OnTimeout::Deny,
        OnTimeoutChoice::Allow => OnTimeout::Allow,
    };
    config.exclude_namespaces.extend(args.exclude_namespaces.iter().cloned());
    config.cache_ttl = Duration::from_secs(args.cache_ttl);
    config.cache_size = args.cache_size;
    config.resolve_ttl = Duration::from_secs(args.resolve_ttl);
    config.max_parallel = args.max_parallel;
    temper_serve::init_json_logs(tracing::Level::INFO);
    temper_serve::serve(config, Arc::new(judge))?;
    Ok(ExitCode::SUCCESS)
}
