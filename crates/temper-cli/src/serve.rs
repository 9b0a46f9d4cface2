//! `temper serve --admission` and `--dashboard`: the Kubernetes admission
//! webhook's flags and the fleet dashboard's.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{ArgGroup, Args, ValueEnum};

use crate::image::RegistryArgs;

/// What a review answers when an image could not be judged in time (or its registry failed).
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum OnTimeoutChoice {
    /// Refuse the object, saying which images were not judged and why (fail closed).
    Deny,
    /// Admit it with a warning saying which images were not judged and why (fail open).
    Allow,
}

/// Flags of `temper serve`: the webhook, the dashboard, or both.
#[derive(Args, Debug)]
#[command(group(ArgGroup::new("servers").required(true).multiple(true).args(["admission", "dashboard"])))]
pub struct ServeArgs {
    /// Serve the Kubernetes admission webhook: POST /validate and /mutate (AdmissionReview v1), GET /healthz, /readyz and /metrics.
    #[arg(long)]
    pub admission: bool,
    /// The webhook's certificate chain (PEM); re-read when it changes (cert-manager rotation needs no restart).
    #[arg(long, value_name = "PEM", required_if_eq("admission", "true"))]
    pub tls_cert: Option<PathBuf>,
    /// The webhook certificate's private key (PEM); re-read with the certificate.
    #[arg(long, value_name = "PEM", required_if_eq("admission", "true"))]
    pub tls_key: Option<PathBuf>,
    /// Serve the read-only fleet dashboard from the fleet store: HTML pages at /, /images, /images/ID, /advisories/ID,
    /// /golden/ID and the same data as JSON under /api/.
    #[arg(long)]
    pub dashboard: bool,
    /// The dashboard's fleet store: a SQLite file or a postgres:// URL (as `temper fleet` takes it).
    #[arg(long, value_name = "URL", env = "TEMPER_FLEET_STORE")]
    pub store: Option<String>,
    /// The dashboard's address (its own port, apart from the webhook's).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub dashboard_listen: SocketAddr,
    /// A file holding the bearer token every dashboard request must carry (Authorization: Bearer TOKEN).
    #[arg(long, value_name = "FILE")]
    pub dashboard_token_file: Option<PathBuf>,
    /// The dashboard's certificate chain (PEM) for HTTPS; plain HTTP without (loopback, or behind an ingress).
    #[arg(long, value_name = "PEM", requires = "dashboard_tls_key")]
    pub dashboard_tls_cert: Option<PathBuf>,
    /// The dashboard certificate's private key (PEM).
    #[arg(long, value_name = "PEM", requires = "dashboard_tls_cert")]
    pub dashboard_tls_key: Option<PathBuf>,
    /// CA certificates (PEM): dashboard clients must present a certificate they issued (mutual TLS; needs --dashboard-tls-cert).
    #[arg(long, value_name = "PEM", requires = "dashboard_tls_cert")]
    pub dashboard_client_ca: Option<PathBuf>,
    /// The patch SLA the dashboard judges breaches by: days a known fix may stay unapplied, per severity.
    #[arg(long, value_name = "LIMITS", default_value = "critical=7d,high=30d,medium=90d")]
    pub sla: String,
    /// The address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "0.0.0.0:8443")]
    pub listen: SocketAddr,
    /// One review's whole time budget in milliseconds; keep it below the webhook's timeoutSeconds.
    #[arg(long, value_name = "MS", default_value_t = 8000)]
    pub budget_ms: u64,
    /// The answer when the budget runs out or an image cannot be judged (the reason is always given).
    #[arg(long, value_enum, value_name = "ANSWER", default_value_t = OnTimeoutChoice::Deny)]
    pub on_timeout: OnTimeoutChoice,
    /// A namespace admitted without a look, beside the defaults ($POD_NAMESPACE or temper-system, and kube-system); repeatable.
    #[arg(long = "exclude-namespace", value_name = "NAMESPACE")]
    pub exclude_namespaces: Vec<String>,
    /// How long a verdict is reused, in seconds (a new policy or advisory DB starts afresh anyway).
    #[arg(long, value_name = "SECONDS", default_value_t = 900)]
    pub cache_ttl: u64,
    /// Most verdicts kept in memory.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub cache_size: usize,
    /// How long a tag's digest is reused without asking the registry, in seconds (0: ask every time).
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub resolve_ttl: u64,
    /// Most images judged at once (bounds registry connections).
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub max_parallel: usize,
    /// The registry flags; --docker-config takes the mounted imagePullSecret (a .dockerconfigjson).
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Policy files: `policy.toml`, `.rego` files and their data, or directories of them (as `temper gate` takes them); without one, the default policy.
    #[arg(long, short, value_name = "FILE|DIR")]
    pub policy: Vec<PathBuf>,
    /// The advisory database.
    #[command(flatten)]
    pub db: crate::db::DbArgs,
    /// Config file (secret allow-list).
    #[arg(long, value_name = "FILE", env = "TEMPER_CONFIG")]
    pub config: Option<PathBuf>,
    /// The per-layer cache directory (default: the user cache directory).
    #[arg(long, value_name = "DIR", env = "TEMPER_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory as _, Parser as _};

    use crate::{Cli, Command, OnTimeoutChoice};

    #[test]
    fn serve_flags_parse_beside_the_registry_flags() {
        Cli::command().debug_assert();
        let cli = Cli::try_parse_from(["temper", "serve", "--admission", "--tls-cert", "/tls/tls.crt", "--tls-key", "/tls/tls.key", "--on-timeout", "allow", "--exclude-namespace", "monitoring", "--exclude-namespace", "ci", "--docker-config", "/creds/config.json", "--insecure"]).unwrap();
        let Command::Serve(args) = cli.command else { panic!("not serve: {:?}", cli.command) };
        assert_eq!(args.on_timeout, OnTimeoutChoice::Allow);
        assert_eq!(args.exclude_namespaces, ["monitoring", "ci"]);
        assert_eq!(args.listen.to_string(), "0.0.0.0:8443");
        assert_eq!(args.budget_ms, 8000);
        assert!(args.registry.insecure);
        assert!(Cli::try_parse_from(["temper", "serve", "--tls-cert", "c", "--tls-key", "k"]).is_err(), "--admission or --dashboard is required");
        assert!(Cli::try_parse_from(["temper", "serve", "--admission"]).is_err(), "the webhook needs its certificate");
    }

    #[test]
    fn dashboard_alone_or_beside_the_webhook() {
        let cli = Cli::try_parse_from(["temper", "serve", "--dashboard", "--store", "fleet.db", "--dashboard-listen", "127.0.0.1:9000", "--sla", "critical=3d"]).unwrap();
        let Command::Serve(args) = cli.command else { panic!("not serve: {:?}", cli.command) };
        assert!(args.dashboard && !args.admission && args.tls_cert.is_none());
        assert_eq!((args.store.as_deref(), args.dashboard_listen.to_string(), args.sla.as_str()), (Some("fleet.db"), "127.0.0.1:9000".to_owned(), "critical=3d"));
        let both = Cli::try_parse_from(["temper", "serve", "--admission", "--tls-cert", "c", "--tls-key", "k", "--dashboard", "--dashboard-token-file", "t"]).unwrap();
        let Command::Serve(args) = both.command else { panic!("not serve") };
        assert!(args.admission && args.dashboard && args.dashboard_token_file.is_some());
        assert!(Cli::try_parse_from(["temper", "serve", "--dashboard", "--dashboard-tls-cert", "c"]).is_err(), "a certificate needs its key");
        assert!(Cli::try_parse_from(["temper", "serve", "--dashboard", "--dashboard-client-ca", "ca.pem"]).is_err(), "mTLS needs HTTPS");
    }
}
