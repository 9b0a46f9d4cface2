//! Every manifest in `deploy/` parses as YAML, and the facts the webhook's
//! safety rests on hold: both webhook configurations have `sideEffects:
//! None`, `admissionReviewVersions: ["v1"]`, a `timeoutSeconds` above the
//! server's budget, a failurePolicy and a namespace selector excluding
//! kube-system and the webhook's own namespace, routes the server serves
//! and every pod-template resource; the Deployment runs two replicas with
//! requests, limits and probes; a PodDisruptionBudget covers it. The
//! fleet workers' Deployment (`fleet-worker.yaml`) runs two non-root
//! replicas on a read-only root with an emptyDir cache, its store URL from
//! a Secret and the advisory database as the webhook gets it; its CronJob
//! runs `db update`, `fleet sync --no-scan` and `fleet rematch` in order.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::PathBuf;

use serde::Deserialize as _;
use yaml_serde::Value;

fn documents() -> Vec<(String, Value)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../deploy");
    let mut out = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "yaml")).collect();
    files.sort();
    assert!(files.len() >= 5, "{files:?}");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for doc in yaml_serde::Deserializer::from_str(&text) {
            let value = Value::deserialize(doc).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let kind = value["kind"].as_str().unwrap_or_else(|| panic!("{}: a document without kind", file.display())).to_string();
            assert!(value["apiVersion"].is_string() && value["metadata"]["name"].is_string(), "{}: {kind} lacks apiVersion or name", file.display());
            out.push((kind, value));
        }
    }
    out
}

fn one<'a>(docs: &'a [(String, Value)], kind: &str) -> &'a Value {
    let found: Vec<&Value> = docs.iter().filter(|(k, _)| k == kind).map(|(_, v)| v).collect();
    assert_eq!(found.len(), 1, "one {kind}");
    found[0]
}

/// The one `kind` named `name`.
fn named<'a>(docs: &'a [(String, Value)], kind: &str, name: &str) -> &'a Value {
    let found: Vec<&Value> = docs.iter().filter(|(k, v)| k == kind && v["metadata"]["name"] == name).map(|(_, v)| v).collect();
    assert_eq!(found.len(), 1, "one {kind} {name}");
    found[0]
}

fn strings(v: &Value) -> Vec<String> {
    v.as_sequence().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect()
}

#[test]
fn webhook_configurations_are_safe_to_register() {
    let docs = documents();
    let deployment = named(&docs, "Deployment", "temper-webhook");
    let args = strings(&deployment["spec"]["template"]["spec"]["containers"][0]["args"]);
    let budget_ms: u64 = args.iter().find_map(|a| a.strip_prefix("--budget-ms=")).unwrap().parse().unwrap();
    for (kind, path) in [("ValidatingWebhookConfiguration", "/validate"), ("MutatingWebhookConfiguration", "/mutate")] {
        let config = one(&docs, kind);
        assert_eq!(config["metadata"]["annotations"]["cert-manager.io/inject-ca-from"], "temper-system/temper-webhook");
        for hook in config["webhooks"].as_sequence().unwrap() {
            assert_eq!(hook["sideEffects"], "None", "{kind}");
            assert_eq!(strings(&hook["admissionReviewVersions"]), ["v1"], "{kind}");
            let timeout = hook["timeoutSeconds"].as_u64().unwrap();
            assert!((1..=30).contains(&timeout) && timeout * 1000 > budget_ms, "{kind}: timeoutSeconds {timeout} must exceed --budget-ms {budget_ms}");
            assert!(matches!(hook["failurePolicy"].as_str(), Some("Fail" | "Ignore")), "{kind}");
            assert_eq!(hook["clientConfig"]["service"]["path"], path);
            assert_eq!(hook["clientConfig"]["service"]["name"], "temper-webhook");
            let excluded = hook["namespaceSelector"]["matchExpressions"].as_sequence().unwrap().iter().find(|e| e["key"] == "kubernetes.io/metadata.name" && e["operator"] == "NotIn").unwrap();
            let excluded = strings(&excluded["values"]);
            assert!(excluded.contains(&"kube-system".to_string()) && excluded.contains(&"temper-system".to_string()), "{excluded:?}");
            let resources: Vec<String> = hook["rules"].as_sequence().unwrap().iter().flat_map(|r| strings(&r["resources"])).collect();
            for r in ["pods", "pods/ephemeralcontainers", "deployments", "replicasets", "statefulsets", "daemonsets", "jobs", "cronjobs"] {
                assert!(resources.contains(&r.to_string()), "{kind} lacks {r}");
            }
        }
    }
    assert_eq!(one(&docs, "MutatingWebhookConfiguration")["webhooks"][0]["reinvocationPolicy"], "IfNeeded");
}

#[test]
fn the_deployment_is_replicated_bounded_probed_and_covered_by_a_pdb() {
    let docs = documents();
    let deployment = named(&docs, "Deployment", "temper-webhook");
    assert_eq!(deployment["spec"]["replicas"].as_u64(), Some(2));
    let pod = &deployment["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    for (kind, resource) in [("requests", "cpu"), ("requests", "memory"), ("limits", "cpu"), ("limits", "memory")] {
        assert!(!container["resources"][kind][resource].is_null(), "{kind}.{resource}");
    }
    assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert_eq!(container["readinessProbe"]["httpGet"]["scheme"], "HTTPS");
    let args = strings(&container["args"]);
    assert_eq!(args[..2], ["serve", "--admission"]);
    assert!(args.iter().any(|a| a == "--tls-cert=/tls/tls.crt") && args.iter().any(|a| a.starts_with("--docker-config=/registry/")));
    let volumes = pod["volumes"].as_sequence().unwrap();
    let secret = |name: &str| volumes.iter().find(|v| v["name"] == name).map(|v| v["secret"]["secretName"].as_str().unwrap().to_string());
    assert_eq!(secret("tls").as_deref(), Some("temper-webhook-tls"));
    assert_eq!(secret("registry").as_deref(), Some("temper-registry-credentials"));
    assert_eq!(container["env"][0]["valueFrom"]["fieldRef"]["fieldPath"], "metadata.namespace");
    let pdb = one(&docs, "PodDisruptionBudget");
    assert_eq!(pdb["spec"]["selector"]["matchLabels"], deployment["spec"]["selector"]["matchLabels"]);
    assert_eq!(pdb["spec"]["minAvailable"].as_u64(), Some(1));
    let service = one(&docs, "Service");
    assert_eq!(service["spec"]["ports"][0]["port"].as_u64(), Some(443));
    // The certificate cert-manager makes is the Secret the Deployment mounts, for the Service's name.
    let certificate = docs.iter().find(|(k, v)| k == "Certificate" && v["metadata"]["name"] == "temper-webhook").unwrap();
    assert_eq!(certificate.1["spec"]["secretName"], "temper-webhook-tls");
    assert!(strings(&certificate.1["spec"]["dnsNames"]).contains(&"temper-webhook.temper-system.svc".to_string()));
}

/// Runs as a non-root user on a read-only root filesystem, without privilege escalation, with requests and limits.
fn assert_hardened(pod: &Value, container: &Value) {
    let name = container["name"].as_str().unwrap();
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true, "{name}");
    assert!(pod["securityContext"]["runAsUser"].as_u64().is_some_and(|u| u > 0), "{name}");
    assert_eq!(container["securityContext"]["readOnlyRootFilesystem"], true, "{name}");
    assert_eq!(container["securityContext"]["allowPrivilegeEscalation"], false, "{name}");
    for (kind, resource) in [("requests", "cpu"), ("requests", "memory"), ("limits", "cpu"), ("limits", "memory")] {
        assert!(!container["resources"][kind][resource].is_null(), "{name}: {kind}.{resource}");
    }
}

/// The store URL comes from the temper-fleet-store Secret, in the environment `--store` reads.
fn assert_store_from_secret(container: &Value) {
    let env = container["env"].as_sequence().unwrap();
    let store = env.iter().find(|e| e["name"] == "TEMPER_FLEET_STORE").unwrap_or_else(|| panic!("{}: no TEMPER_FLEET_STORE", container["name"].as_str().unwrap()));
    assert_eq!(store["valueFrom"]["secretKeyRef"]["name"], "temper-fleet-store");
    assert_eq!(store["valueFrom"]["secretKeyRef"]["key"], "url");
}

#[test]
fn the_fleet_workers_are_replicated_hardened_and_fed_by_a_cronjob() {
    let docs = documents();
    let webhook = named(&docs, "Deployment", "temper-webhook");
    let worker = named(&docs, "Deployment", "temper-fleet-worker");
    assert_eq!(worker["spec"]["replicas"].as_u64(), Some(2));
    assert_eq!(worker["spec"]["selector"]["matchLabels"], worker["spec"]["template"]["metadata"]["labels"]);
    let pod = &worker["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    assert_hardened(pod, container);
    assert_store_from_secret(container);
    let args = strings(&container["args"]);
    assert_eq!(args[..2], ["fleet", "worker"]);
    assert!(!args.iter().any(|a| a.contains("postgres://")), "no password on the command line");
    assert!(!args.iter().any(|a| a == "--exit-when-idle" || a == "--no-shared-cache"), "a long-running worker sharing the cache: {args:?}");
    // The advisory database as the webhook gets it: the same init container, into the volume the worker reads.
    let init = &pod["initContainers"][0];
    assert_eq!(init["args"], webhook["spec"]["template"]["spec"]["initContainers"][0]["args"]);
    assert!(args.contains(&"--db=/data/advisories.db".to_string()));
    let mounts = |c: &Value| -> Vec<(String, String)> { c["volumeMounts"].as_sequence().unwrap().iter().map(|m| (m["name"].as_str().unwrap().to_string(), m["mountPath"].as_str().unwrap().to_string())).collect() };
    assert!(mounts(init).contains(&("data".into(), "/data".into())) && mounts(container).contains(&("data".into(), "/data".into())));
    // The cache directory is an emptyDir: the root filesystem is read-only.
    let cache = args.iter().find_map(|a| a.strip_prefix("--cache-dir=")).unwrap();
    let (volume, _) = mounts(container).into_iter().find(|(_, path)| path == cache).unwrap();
    let volumes = pod["volumes"].as_sequence().unwrap();
    assert!(volumes.iter().any(|v| v["name"] == volume.as_str() && v["emptyDir"].is_mapping()), "{volume}");

    let cron = named(&docs, "CronJob", "temper-fleet-sync");
    assert_eq!(cron["spec"]["concurrencyPolicy"], "Forbid");
    assert!(cron["spec"]["schedule"].is_string());
    let pod = &cron["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    let steps: Vec<&Value> = pod["initContainers"].as_sequence().unwrap().iter().chain(pod["containers"].as_sequence().unwrap()).collect();
    let commands: Vec<Vec<String>> = steps.iter().map(|c| strings(&c["args"]).into_iter().take_while(|a| !a.starts_with('-')).collect()).collect();
    assert_eq!(commands, [vec!["db", "update"], vec!["fleet", "sync"], vec!["fleet", "rematch"]]);
    assert!(strings(&steps[1]["args"]).contains(&"--no-scan".to_string()), "the workers scan");
    for step in &steps {
        assert_hardened(pod, step);
    }
    assert_store_from_secret(steps[1]);
    assert_store_from_secret(steps[2]);
}
