//! `[[certificates]]`: each CA certificate is checked (it parses, it is a
//! CA, it is valid at the build's time), installed as its own file where
//! the base's OS keeps extra CAs, and appended to the bundle its TLS
//! libraries read — what `update-ca-certificates` or `update-ca-trust`
//! would do, without running a program in the image. Certificates are
//! re-encoded from their DER and sorted by file name, so the bundle does
//! not depend on how the input PEM was wrapped.

use std::path::Path;

use base64::Engine as _;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::Error;
use crate::base::{Base, DEBIAN_BUNDLE, RHEL_BUNDLE};
use crate::layer::{Content, Entry, Node};
use crate::spec::Certificate;

/// Where an OS family keeps extra CAs and its bundle.
struct Layout {
    anchors: Option<&'static str>,
    bundle: &'static str,
}

const DEBIAN_FAMILY: [&str; 6] = ["debian", "ubuntu", "alpine", "wolfi", "chainguard", "postmarketos"];
const RHEL_FAMILY: [&str; 8] = ["rhel", "fedora", "centos", "almalinux", "rocky", "ol", "amzn", "mariner"];

fn layout(base: &Base) -> Result<Layout, Error> {
    let ids = base.os_ids();
    if ids.iter().any(|i| DEBIAN_FAMILY.contains(&i.as_str())) {
        return Ok(Layout { anchors: Some("usr/local/share/ca-certificates"), bundle: DEBIAN_BUNDLE });
    }
    if ids.iter().any(|i| RHEL_FAMILY.contains(&i.as_str())) {
        return Ok(Layout { anchors: Some("etc/pki/ca-trust/source/anchors"), bundle: RHEL_BUNDLE });
    }
    // No os-release the build knows: the bundle it has is the one read.
    if base.exists(RHEL_BUNDLE) {
        return Ok(Layout { anchors: None, bundle: RHEL_BUNDLE });
    }
    if base.exists(DEBIAN_BUNDLE) || ids.is_empty() {
        return Ok(Layout { anchors: None, bundle: DEBIAN_BUNDLE });
    }
    Err(Error::Spec(format!("[[certificates]]: the base's OS ({}) keeps its CA bundle in no place temper knows; add the certificate as a [[files]] entry where its TLS library reads it", ids.join(" "))))
}

/// One checked certificate.
struct Checked {
    name: String,
    pem: String,
}

/// PEM of `der`, 64 characters a line.
fn pem(der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

/// Every certificate of one `[[certificates]]` entry, checked.
fn check(entry: &Certificate, index: usize, spec_dir: &Path, now: time::OffsetDateTime) -> Result<Vec<Checked>, Error> {
    let (what, text) = match (&entry.path, &entry.content) {
        (Some(p), None) => {
            let path = spec_dir.join(p);
            let bytes = std::fs::read(&path).map_err(|source| Error::Read { path: path.clone(), source })?;
            (path.display().to_string(), bytes)
        }
        (None, Some(c)) => (format!("[[certificates]] #{}", index + 1), c.clone().into_bytes()),
        _ => return Err(Error::Spec(format!("[[certificates]] #{}: give exactly one of `path` and `content`", index + 1))),
    };
    let stem = entry.name.clone().or_else(|| entry.path.as_ref().and_then(|p| p.file_stem()).map(|s| s.to_string_lossy().into_owned())).unwrap_or_else(|| format!("cert-{}", index + 1));
    if stem.is_empty() || stem.contains(['/', '\0']) || stem.starts_with('.') {
        return Err(Error::Spec(format!("{what}: `{stem}` cannot name a certificate file")));
    }
    let pems = parse(&what, &text, now)?;
    let many = pems.len() > 1;
    Ok(pems.into_iter().enumerate().map(|(i, pem)| Checked { name: if many { format!("{stem}-{}", i + 1) } else { stem.clone() }, pem }).collect())
}

/// The certificates of the PEM text `text` (other blocks skipped), each
/// checked — X.509, a CA, valid at `now` — and re-encoded as PEM from its
/// DER; errors name `input`.
pub fn parse(input: &str, text: &[u8], now: time::OffsetDateTime) -> Result<Vec<String>, Error> {
    let bad = |why: String| Error::Certificate { input: input.to_owned(), reason: why };
    let mut out = Vec::new();
    for (n, block) in x509_parser::pem::Pem::iter_from_buffer(text).enumerate() {
        let block = block.map_err(|e| bad(format!("PEM block {}: {e}", n + 1)))?;
        if block.label != "CERTIFICATE" {
            continue;
        }
        let (_, cert) = X509Certificate::from_der(&block.contents).map_err(|e| bad(format!("certificate {}: not X.509: {e}", n + 1)))?;
        // A subject is the certificate's own text: control characters in it
        // must not reach the terminal or split the one-line error.
        let mut subject = String::new();
        for c in cert.subject().to_string().chars() {
            if c.is_control() { subject.extend(c.escape_default()) } else { subject.push(c) }
        }
        if !cert.is_ca() {
            return Err(bad(format!("{subject} is not a CA certificate (no basicConstraints CA:TRUE); only CAs belong in the trust store")));
        }
        let validity = cert.validity();
        let ts = x509_parser::time::ASN1Time::from_timestamp(now.unix_timestamp()).map_err(|e| bad(e.to_string()))?;
        if validity.not_after < ts {
            return Err(bad(format!("{subject} expired on {}", validity.not_after)));
        }
        if validity.not_before > ts {
            return Err(bad(format!("{subject} is not valid before {}", validity.not_before)));
        }
        out.push(pem(&block.contents));
    }
    if out.is_empty() {
        return Err(bad("holds no PEM certificate".into()));
    }
    Ok(out)
}

/// The entries that install `certs` into `base`; `now` is when they must be
/// valid. `bundle` is the bundle an earlier step wrote, when it did.
pub fn step(certs: &[Certificate], spec_dir: &Path, base: &Base, bundle: Option<&[u8]>, now: time::OffsetDateTime) -> Result<Vec<Entry>, Error> {
    if certs.is_empty() {
        return Ok(Vec::new());
    }
    let layout = layout(base)?;
    let mut checked = Vec::new();
    for (i, c) in certs.iter().enumerate() {
        checked.extend(check(c, i, spec_dir, now)?);
    }
    checked.sort_by(|a, b| a.name.cmp(&b.name));
    if let Some(dup) = checked.windows(2).find(|w| w[0].name == w[1].name) {
        return Err(Error::Spec(format!("[[certificates]]: two certificates are named `{}`; give one a `name`", dup[0].name)));
    }
    let mut entries = Vec::new();
    if let Some(dir) = layout.anchors {
        for c in &checked {
            entries.push(Entry { path: format!("{dir}/{}.crt", c.name), node: Node::File { content: Content::Bytes(c.pem.clone().into_bytes()), mode: 0o644 }, uid: 0, gid: 0 });
        }
    }
    let written = bundle.filter(|_| layout.bundle == crate::base::DEBIAN_BUNDLE);
    if written.is_none() && base.exists(layout.bundle) && base.file(layout.bundle).is_none() {
        return Err(Error::Spec(format!("[[certificates]]: /{} in the base is not a regular file (a link?); temper edits the bundle itself, not what a link points to", layout.bundle)));
    }
    let mut bundle = written.or_else(|| base.file(layout.bundle)).map(<[u8]>::to_vec).unwrap_or_default();
    if !bundle.is_empty() && !bundle.ends_with(b"\n") {
        bundle.push(b'\n');
    }
    for c in &checked {
        bundle.extend_from_slice(c.pem.as_bytes());
    }
    let (mode, uid, gid) = base.entry(layout.bundle).map_or((0o644, 0, 0), |e| (e.mode & 0o7777, e.uid as u32, e.gid as u32));
    entries.push(Entry { path: layout.bundle.to_owned(), node: Node::File { content: Content::Bytes(bundle), mode }, uid, gid });
    Ok(entries)
}
