//! `temper serve --admission`: the Kubernetes admission webhook, judging
//! images with the policy through `temper_serve::policy_judge`; `temper
//! serve --dashboard`: the read-only fleet dashboard over the fleet store.
//! Either or both, each on its own port, in one process.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow};
use temper_cli::{OnTimeoutChoice, ServeArgs};
use temper_serve::policy_judge::{PolicyJudge, Settings};
use temper_serve::{DashboardConfig, Judge, OnTimeout, ServeConfig};
use temper_verdict::CacheSettings;

use super::{db, source_options};

pub fn run(args: &ServeArgs) -> Result<ExitCode> {
    let admission = if args.admission { Some(admission(args)?) } else { None };
    let dashboard = if args.dashboard { Some(dashboard(args)?) } else { None };
    temper_serve::init_json_logs(tracing::Level::INFO);
    temper_serve::serve_all(admission, dashboard)?;
    Ok(ExitCode::SUCCESS)
}

fn admission(args: &ServeArgs) -> Result<(ServeConfig, Arc<dyn Judge>)> {
    let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) else {
        return Err(anyhow!("--admission needs --tls-cert and --tls-key: the API server calls webhooks over HTTPS only"));
    };
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
    let mut config = ServeConfig::new(args.listen, cert.clone(), key.clone());
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
    Ok((config, Arc::new(judge)))
}

fn dashboard(args: &ServeArgs) -> Result<DashboardConfig> {
    let store = temper_fleet::Location::or_default(args.store.as_deref())?;
    let mut config = DashboardConfig::new(args.dashboard_listen, store);
    config.sla = temper_fleet::Sla::parse(&args.sla)?;
    config.tls = args.dashboard_tls_cert.clone().zip(args.dashboard_tls_key.clone());
    config.client_ca = args.dashboard_client_ca.clone();
    if let Some(path) = &args.dashboard_token_file {
        let text = std::fs::read_to_string(path).with_context(|| format!("--dashboard-token-file {}: cannot read it", path.display()))?;
        let token = text.trim();
        if token.is_empty() || token.chars().any(char::is_whitespace) {
            return Err(anyhow!("--dashboard-token-file {}: holds no token (one line, no spaces); write the bearer token into it", path.display()));
        }
        config.token = Some(token.to_owned());
    }
    Ok(config)
}
