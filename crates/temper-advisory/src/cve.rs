//! CVE JSON 5 records (the CVE Program's format, also what CISA's
//! Vulnrichment publishes), read only for their CVSS metrics: they name no
//! package ranges, so they are never matched against an inventory, only
//! looked up by CVE id to rate findings whose own advisory has no score.
//!
//! A record holds one container per author: the CNA's (the organisation
//! that assigned the id) and any number of ADP containers (CISA's
//! `CISA-ADP` adds CVSS 3.1 where the CNA gave none). Each metric is kept
//! with the container it came from, so a finding can say whose score it
//! shows.

use serde_json::Value;

/// Who wrote a metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Origin {
    /// The CVE Numbering Authority that assigned the id.
    Cna,
    /// An Authorized Data Publisher (CISA's Vulnrichment, …).
    Adp,
}

impl Origin {
    /// `cna` or `adp`, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Cna => "cna",
            Origin::Adp => "adp",
        }
    }

    /// The inverse of [`Origin::as_str`].
    pub fn parse(s: &str) -> Option<Origin> {
        match s {
            "cna" => Some(Origin::Cna),
            "adp" => Some(Origin::Adp),
            _ => None,
        }
    }
}

/// One CVSS metric of a CVE record.
#[derive(Clone, Debug, PartialEq)]
pub struct Metric {
    /// Whose container it is in.
    pub origin: Origin,
    /// The container's `providerMetadata.shortName` (`GitHub_M`, `CISA-ADP`).
    pub provider: Option<String>,
    /// The CVSS vector string as given.
    pub vector: String,
}

/// What a CVE record says about severity.
#[derive(Clone, Debug, PartialEq)]
pub struct CveRecord {
    /// `CVE-YYYY-NNNN`.
    pub id: String,
    /// `cveMetadata.dateUpdated`.
    pub modified: Option<String>,
    /// The record was rejected: it names no vulnerability.
    pub rejected: bool,
    /// Every CVSS vector, CNA first.
    pub metrics: Vec<Metric>,
}

/// Whether `value` is a CVE JSON 5 record.
pub fn is_cve_record(value: &Value) -> bool {
    value.get("dataType").and_then(Value::as_str) == Some("CVE_RECORD") && value.get("cveMetadata").is_some()
}

/// The metrics of one container, each CVSS version the container gives.
fn metrics_of(container: &Value, origin: Origin, out: &mut Vec<Metric>) {
    let provider = container.pointer("/providerMetadata/shortName").and_then(Value::as_str).map(str::to_owned);
    for metric in container.get("metrics").and_then(Value::as_array).into_iter().flatten() {
        for key in ["cvssV4_0", "cvssV3_1", "cvssV3_0", "cvssV2_0"] {
            if let Some(vector) = metric.get(key).and_then(|m| m.get("vectorString")).and_then(Value::as_str) {
                out.push(Metric { origin, provider: provider.clone(), vector: vector.trim().to_owned() });
            }
        }
    }
}

/// Reads the CVSS metrics of a CVE JSON 5 record.
pub fn parse(value: &Value) -> Result<CveRecord, String> {
    let meta = value.get("cveMetadata").ok_or("a CVE record without cveMetadata")?;
    let id = meta.get("cveId").and_then(Value::as_str).ok_or("a CVE record without cveMetadata.cveId")?;
    if !id.starts_with("CVE-") || id.len() > 64 {
        return Err(format!("{id:?} is not a CVE id"));
    }
    let rejected = meta.get("state").and_then(Value::as_str) == Some("REJECTED");
    let mut metrics = Vec::new();
    if !rejected {
        if let Some(cna) = value.pointer("/containers/cna") {
            metrics_of(cna, Origin::Cna, &mut metrics);
        }
        for adp in value.pointer("/containers/adp").and_then(Value::as_array).into_iter().flatten() {
            metrics_of(adp, Origin::Adp, &mut metrics);
        }
    }
    Ok(CveRecord { id: id.to_owned(), modified: meta.get("dateUpdated").and_then(Value::as_str).map(str::to_owned), rejected, metrics })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cna_and_adp_metrics_of_a_real_record_shape() {
        let v: Value = serde_json::from_str(
            r#"{"dataType":"CVE_RECORD","dataVersion":"5.1","cveMetadata":{"cveId":"CVE-2024-24790","state":"PUBLISHED","dateUpdated":"2024-08-01T00:00:00Z"},
            "containers":{"cna":{"providerMetadata":{"shortName":"Go"},"metrics":[{"format":"CVSS","scenarios":[{"lang":"en","value":"GENERAL"}]}]},
            "adp":[{"providerMetadata":{"shortName":"CISA-ADP"},"metrics":[{"cvssV3_1":{"version":"3.1","baseScore":9.8,"vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}},{"other":{"type":"ssvc"}}]}]}}"#,
        )
        .unwrap();
        assert!(is_cve_record(&v));
        let r = parse(&v).unwrap();
        assert_eq!(r.id, "CVE-2024-24790");
        assert_eq!(r.metrics, [Metric { origin: Origin::Adp, provider: Some("CISA-ADP".into()), vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into() }]);
        let rejected: Value = serde_json::from_str(r#"{"dataType":"CVE_RECORD","cveMetadata":{"cveId":"CVE-2024-1","state":"REJECTED"},"containers":{"cna":{"metrics":[{"cvssV3_1":{"vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}]}}}"#).unwrap();
        assert!(parse(&rejected).unwrap().metrics.is_empty());
        assert!(parse(&serde_json::json!({"dataType":"CVE_RECORD","cveMetadata":{"cveId":"GHSA-x"}})).is_err());
    }
}
