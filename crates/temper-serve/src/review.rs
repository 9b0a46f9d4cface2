//! AdmissionReview v1 in and out: the request's fields the webhook needs,
//! every container image of the workload kinds with the JSON pointer of its
//! `image` field, and the response envelope (uid echoed, status on denial,
//! warnings, a base64 JSONPatch).
//!
//! The object is kept as a `serde_json::Value` rather than typed Kubernetes
//! structs: only the pod spec's container lists are read, and an unknown
//! field or a newer API version must not make a review fail to decode.

use std::collections::{BTreeMap, HashSet};

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The only review version served (deploy/ registers `admissionReviewVersions: ["v1"]`).
pub const API_VERSION: &str = "admission.k8s.io/v1";

/// The longest warning the API server shows whole (Kubernetes' guidance); longer ones are clipped.
pub const MAX_WARNING_CHARS: usize = 120;

/// The most warnings written: the API server and kubectl truncate long lists, so the last one says how many more there were.
pub const MAX_WARNINGS: usize = 20;

/// The longest denial message written; a Deployment with hundreds of denied images must not make a huge response.
const MAX_MESSAGE_CHARS: usize = 16 * 1024;

/// Why a request body is not a review the webhook can answer (HTTP 400).
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    /// Not JSON, or not the AdmissionReview shape.
    #[error("the body is not an AdmissionReview: {0}")]
    Json(#[from] serde_json::Error),
    /// Another apiVersion or kind.
    #[error("the body is apiVersion {api_version:?} kind {kind:?}, not an {API_VERSION} AdmissionReview (register the webhook with admissionReviewVersions: [\"v1\"])")]
    Version {
        /// What the body said.
        api_version: String,
        /// What the body said.
        kind: String,
    },
    /// No `request` (a response was posted, or the field is missing).
    #[error("the AdmissionReview has no request")]
    NoRequest,
    /// An empty uid: the response could not be matched to the request.
    #[error("the AdmissionReview's request has an empty uid")]
    NoUid,
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "apiVersion", default)]
    api_version: String,
    #[serde(default)]
    kind: String,
    request: Option<AdmissionRequest>,
}

/// A group, version and kind (`request.kind`).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct GroupVersionKind {
    /// API group (empty for the core group).
    #[serde(default)]
    pub group: String,
    /// API version.
    #[serde(default)]
    pub version: String,
    /// Kind (`Pod`, `Deployment`, …).
    #[serde(default)]
    pub kind: String,
}

/// The fields of `request` the webhook reads.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionRequest {
    /// Echoed in the response.
    pub uid: String,
    /// The object's kind.
    pub kind: GroupVersionKind,
    /// `ephemeralcontainers`, `status`, `scale`, … when the request is to a subresource.
    #[serde(default)]
    pub sub_resource: Option<String>,
    /// The object's name (may be empty on CREATE with generateName).
    #[serde(default)]
    pub name: Option<String>,
    /// The object's namespace.
    #[serde(default)]
    pub namespace: Option<String>,
    /// CREATE, UPDATE, DELETE or CONNECT.
    #[serde(default)]
    pub operation: String,
    /// The object as it would be stored.
    #[serde(default)]
    pub object: Option<Value>,
    /// The object as stored before an UPDATE.
    #[serde(default)]
    pub old_object: Option<Value>,
    /// Set by `kubectl --dry-run=server`: nothing is persisted.
    #[serde(default)]
    pub dry_run: Option<bool>,
}

impl AdmissionRequest {
    /// Parses a review body, refusing other versions and reviews without a request.
    pub fn parse(body: &[u8]) -> Result<AdmissionRequest, ReviewError> {
        let envelope: Envelope = serde_json::from_slice(body)?;
        if envelope.api_version != API_VERSION || envelope.kind != "AdmissionReview" {
            return Err(ReviewError::Version { api_version: clip(&envelope.api_version, 64), kind: clip(&envelope.kind, 64) });
        }
        let request = envelope.request.ok_or(ReviewError::NoRequest)?;
        if request.uid.is_empty() {
            return Err(ReviewError::NoUid);
        }
        Ok(request)
    }

    /// Whether the images of this request are judged: CREATE and UPDATE of the object itself or of a pod's ephemeral containers.
    pub fn judged(&self) -> bool {
        let operation = self.operation == "CREATE" || self.operation == "UPDATE";
        let sub = matches!(self.sub_resource.as_deref(), None | Some("") | Some("ephemeralcontainers"));
        operation && sub
    }

    /// Whether the request is a dry run.
    pub fn dry_run(&self) -> bool {
        self.dry_run.unwrap_or(false)
    }

    /// The container images this request brings, with the pointer of each `image` field (empty for kinds without a pod template): on CREATE all of them; on UPDATE those no container of the stored object has.
    ///
    /// An UPDATE that leaves an image alone (a label, the replica count, an
    /// ephemeral container added through its subresource) neither re-judges
    /// nor re-pins it: re-pinning would change a running pod's spec (its
    /// container restarts) or a template's (a rollout), and the API server
    /// refuses any change but ephemeral containers through that subresource.
    /// Images are gated when they enter the cluster; a policy made stricter
    /// later applies at the next change. The stored images are compared as a
    /// set, not by position: a sidecar inserted before a container, or a
    /// reordering, moves that container's image without bringing it anew.
    pub fn images(&self) -> Vec<ContainerImage> {
        let Some(object) = &self.object else { return Vec::new() };
        let mut images = container_images(&self.kind.kind, object);
        if let Some(old) = self.old_object.as_ref().filter(|_| self.operation == "UPDATE") {
            let stored: HashSet<String> = container_images(&self.kind.kind, old).into_iter().map(|c| c.image).collect();
            images.retain(|c| !stored.contains(&c.image));
        }
        images
    }
}

/// Where a kind keeps its pod spec, as a JSON pointer.
pub fn pod_spec_pointer(kind: &str) -> Option<&'static str> {
    match kind {
        "Pod" => Some("/spec"),
        "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" | "Job" | "ReplicationController" => Some("/spec/template/spec"),
        "CronJob" => Some("/spec/jobTemplate/spec/template/spec"),
        "PodTemplate" => Some("/template/spec"),
        _ => None,
    }
}

/// The container lists of a pod spec.
const CONTAINER_LISTS: [&str; 3] = ["initContainers", "containers", "ephemeralContainers"];

/// One container's image and where it sits in the object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerImage {
    /// The JSON pointer of the `image` field (e.g. `/spec/template/spec/containers/0/image`).
    pub pointer: String,
    /// The image reference as written.
    pub image: String,
}

/// Every container image of `object` of kind `kind`, in the order initContainers, containers, ephemeralContainers.
pub fn container_images(kind: &str, object: &Value) -> Vec<ContainerImage> {
    let Some(spec_pointer) = pod_spec_pointer(kind) else { return Vec::new() };
    let Some(spec) = object.pointer(spec_pointer) else { return Vec::new() };
    let mut out = Vec::new();
    for list in CONTAINER_LISTS {
        let Some(containers) = spec.get(list).and_then(Value::as_array) else { continue };
        for (i, container) in containers.iter().enumerate() {
            // A container without a string image cannot run; the API server's validation refuses it after the webhooks.
            if let Some(image) = container.get("image").and_then(Value::as_str).filter(|i| !i.is_empty()) {
                out.push(ContainerImage { pointer: format!("{spec_pointer}/{list}/{i}/image"), image: image.to_string() });
            }
        }
    }
    out
}

/// One JSONPatch operation (RFC 6902); the webhook only replaces image fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PatchOp {
    /// Always `replace`.
    pub op: &'static str,
    /// The image field's pointer.
    pub path: String,
    /// The pinned reference.
    pub value: String,
}

/// The webhook's answer to one review, before encoding.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Answer {
    /// Admit or refuse.
    pub allowed: bool,
    /// On refusal: the message naming each image and failed rule.
    pub message: Option<String>,
    /// Shown to the user (each clipped to [`MAX_WARNING_CHARS`]).
    pub warnings: Vec<String>,
    /// `/mutate` only: tags pinned to digests.
    pub patch: Vec<PatchOp>,
    /// Recorded in the API server's audit log; keys without a `/`, as the API server prefixes them with the webhook's name.
    pub audit: BTreeMap<String, String>,
}

impl Answer {
    /// Admit, without comment.
    pub fn allow() -> Answer {
        Answer { allowed: true, ..Answer::default() }
    }
}

#[derive(Serialize)]
struct Status<'a> {
    code: u16,
    reason: &'static str,
    message: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResponseOut<'a> {
    uid: &'a str,
    allowed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<Status<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    patch_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    patch: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    audit_annotations: &'a BTreeMap<String, String>,
}

#[derive(Serialize)]
struct ReviewOut<'a> {
    #[serde(rename = "apiVersion")]
    api_version: &'static str,
    kind: &'static str,
    response: ResponseOut<'a>,
}

/// The AdmissionReview response for `uid`.
pub fn encode_response(uid: &str, answer: &Answer) -> Vec<u8> {
    let message = answer.message.as_deref().map(|m| clip(m, MAX_MESSAGE_CHARS));
    let patch = (!answer.patch.is_empty()).then(|| base64::engine::general_purpose::STANDARD.encode(serde_json::to_vec(&answer.patch).unwrap_or_default()));
    let review = ReviewOut {
        api_version: API_VERSION,
        kind: "AdmissionReview",
        response: ResponseOut {
            uid,
            allowed: answer.allowed,
            status: message.as_deref().filter(|_| !answer.allowed).map(|message| Status { code: 403, reason: "Forbidden", message }),
            warnings: warnings(&answer.warnings),
            patch_type: patch.is_some().then_some("JSONPatch"),
            patch,
            audit_annotations: &answer.audit,
        },
    };
    serde_json::to_vec(&review).unwrap_or_default()
}

fn warnings(all: &[String]) -> Vec<String> {
    if all.len() <= MAX_WARNINGS {
        return all.iter().map(|w| clip(w, MAX_WARNING_CHARS)).collect();
    }
    let mut out: Vec<String> = all[..MAX_WARNINGS - 1].iter().map(|w| clip(w, MAX_WARNING_CHARS)).collect();
    out.push(format!("… and {} more warnings (temper's review log has them all)", all.len() - (MAX_WARNINGS - 1)));
    out
}

/// `text` on one line of at most `max` characters, control characters made spaces, `…` marking a cut.
pub fn clip(text: &str, max: usize) -> String {
    let clean: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if clean.chars().count() <= max {
        return clean;
    }
    let mut out: String = clean.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_keeps_short_and_cuts_long_on_a_char_boundary() {
        assert_eq!(clip("short", 120), "short");
        let long = "é".repeat(200);
        let clipped = clip(&long, 120);
        assert_eq!(clipped.chars().count(), 120);
        assert!(clipped.ends_with('…'));
        assert_eq!(clip("a\nb", 10), "a b");
    }

    #[test]
    fn long_warning_lists_end_with_a_count() {
        let all: Vec<String> = (0..50).map(|i| format!("warning {i}")).collect();
        let out = warnings(&all);
        assert_eq!(out.len(), MAX_WARNINGS);
        assert_eq!(out[MAX_WARNINGS - 2], "warning 18");
        assert_eq!(out[MAX_WARNINGS - 1], "… and 31 more warnings (temper's review log has them all)");
        assert_eq!(warnings(&all[..3]), ["warning 0", "warning 1", "warning 2"]);
    }

    #[test]
    fn cronjob_images_have_their_pointers() {
        let object = serde_json::json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": {
            "initContainers": [{"name": "i", "image": "init:1"}],
            "containers": [{"name": "a", "image": "app:1"}, {"name": "b"}, {"name": "c", "image": 7}],
        }}}}}});
        let images = container_images("CronJob", &object);
        assert_eq!(images, vec![
            ContainerImage { pointer: "/spec/jobTemplate/spec/template/spec/initContainers/0/image".into(), image: "init:1".into() },
            ContainerImage { pointer: "/spec/jobTemplate/spec/template/spec/containers/0/image".into(), image: "app:1".into() },
        ]);
        assert!(container_images("ConfigMap", &object).is_empty());
    }

    #[test]
    fn an_update_brings_only_the_images_the_stored_object_lacks() {
        let deployment = |containers: &[(&str, &str)]| {
            let containers: Vec<Value> = containers.iter().map(|(name, image)| serde_json::json!({"name": name, "image": image})).collect();
            serde_json::json!({"spec": {"template": {"spec": {"containers": containers}}}})
        };
        let update = |old: Value, new: Value| AdmissionRequest {
            uid: "u".into(),
            kind: GroupVersionKind { group: "apps".into(), version: "v1".into(), kind: "Deployment".into() },
            sub_resource: None,
            name: None,
            namespace: None,
            operation: "UPDATE".into(),
            object: Some(new),
            old_object: Some(old),
            dry_run: None,
        };
        let old = deployment(&[("web", "web:1")]);
        // A sidecar inserted before the container: the container's image moved, it did not arrive.
        let inserted = update(old.clone(), deployment(&[("proxy", "proxy:2"), ("web", "web:1")]));
        assert_eq!(inserted.images(), [ContainerImage { pointer: "/spec/template/spec/containers/0/image".into(), image: "proxy:2".into() }]);
        let appended = update(old.clone(), deployment(&[("web", "web:1"), ("proxy", "proxy:2")]));
        assert_eq!(appended.images(), [ContainerImage { pointer: "/spec/template/spec/containers/1/image".into(), image: "proxy:2".into() }]);
        let reordered = update(deployment(&[("a", "a:1"), ("b", "b:1")]), deployment(&[("b", "b:1"), ("a", "a:1")]));
        assert!(reordered.images().is_empty());
        let bumped = update(old, deployment(&[("web", "web:2")]));
        assert_eq!(bumped.images(), [ContainerImage { pointer: "/spec/template/spec/containers/0/image".into(), image: "web:2".into() }]);
    }

    #[test]
    fn other_versions_are_refused_by_name() {
        let e = AdmissionRequest::parse(br#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"u","kind":{}}}"#).unwrap_err();
        assert!(e.to_string().contains("admission.k8s.io/v1beta1"), "{e}");
        assert!(matches!(AdmissionRequest::parse(br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#), Err(ReviewError::NoRequest)));
    }
}
