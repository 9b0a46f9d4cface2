//! The seam between the server and the assessment: the binary plugs in a
//! [`Judge`] built from the advisory DB, the policy and the registry client;
//! the tests plug in fakes that count and sleep.

/// What one image's verdict says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Admit without comment.
    Allow,
    /// Admit, with the warn rules' messages shown to the user.
    Warn,
    /// Refuse, naming the failed rules.
    Deny,
}

/// The policy's verdict on one image at one digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageVerdict {
    /// Allow, warn or deny.
    pub decision: Decision,
    /// One line per failed deny rule (`rule-id: why`), for the denial's message.
    pub denials: Vec<String>,
    /// One line per failed warn rule, shown as admission warnings.
    pub warnings: Vec<String>,
    /// The manifest digest that was verified (`sha256:…`): `/mutate` pins the image to it.
    pub digest: String,
}

/// Why an image could not be judged: the server answers as `on-timeout` says, with this reason.
#[derive(Debug, thiserror::Error)]
pub enum JudgeError {
    /// The registry could not be read (network, authentication, missing manifest).
    #[error("registry: {0}")]
    Registry(String),
    /// The image reference does not parse.
    #[error("image reference: {0}")]
    Reference(String),
    /// Anything else the assessment refused.
    #[error("{0}")]
    Other(String),
}

/// Decides about one image; the real one (assessment + policy) is plugged in by the binary.
///
/// Every method may be called from many threads at once. `resolve` and
/// `judge` may block (registry reads, signature checks): the server calls
/// them on its bounded blocking pool, never on the reactor, and stops
/// waiting when the review's budget runs out.
pub trait Judge: Send + Sync + 'static {
    /// Whether the policy exempts `image` in `namespace` without looking at it: when true, neither `resolve` nor `judge` is called for it. Called on the server's async threads: pattern matching only, no I/O.
    fn exempt(&self, image: &str, namespace: &str) -> bool;
    /// The manifest digest `image` names now (a registry call for a tag; none for a digest reference).
    fn resolve(&self, image: &str) -> Result<String, JudgeError>;
    /// The verdict for `image` at `digest` in `namespace`. With `dry_run` the judge must record nothing outside the process (the request itself changes nothing in the cluster).
    fn judge(&self, image: &str, digest: &str, namespace: &str, dry_run: bool) -> Result<ImageVerdict, JudgeError>;
    /// What the verdict cache key needs beside the digest: the policy's digest and the advisory DB's version. Called once per review on the server's async threads: cheap, no I/O.
    fn generation(&self) -> String;
    /// Ready to answer (advisory DB and policies loaded); `/readyz` asks it at every probe, so it must be cheap.
    fn ready(&self) -> bool;
}
