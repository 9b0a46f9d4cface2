//! PEM read the way Go's `pem.Decode` reads it (cosign's keys come from Go):
//! the first block of the file, text before it skipped, base64 lines of any
//! width. pem-rfc7468 (which writes here) insists on 64-column lines, so
//! reading is these few lines instead.

use base64::Engine as _;

/// A PEM block: its label and the base64 text between its lines.
pub struct Block {
    /// The label of the BEGIN line.
    pub label: String,
    body: String,
}

/// The first PEM block in `bytes`.
pub fn first_block(bytes: &[u8]) -> Result<Block, String> {
    let text = String::from_utf8_lossy(bytes);
    let mut lines = text.lines().map(str::trim);
    let label = lines
        .by_ref()
        .find_map(|l| l.strip_prefix("-----BEGIN ").and_then(|l| l.strip_suffix("-----")))
        .ok_or("no PEM block (no -----BEGIN line)")?
        .to_owned();
    let end = format!("-----END {label}-----");
    let mut body = String::new();
    for line in lines {
        if line == end {
            return Ok(Block { label, body });
        }
        body.push_str(line);
    }
    Err(format!("no {} line", crate::one_line(&end, 80)))
}

impl Block {
    /// The block's bytes. Encapsulated headers (`Proc-Type:`, old OpenSSL
    /// encryption) are refused: none of the formats read here has them.
    pub fn der(&self) -> Result<Vec<u8>, String> {
        if self.body.contains(':') {
            return Err(format!("PEM block {:?} has headers (an OpenSSL-encrypted key?); give an unencrypted or cosign-encrypted key", crate::one_line(&self.label, 60)));
        }
        base64::engine::general_purpose::STANDARD.decode(&self.body).map_err(|e| format!("PEM block {:?}: not base64 ({e})", crate::one_line(&self.label, 60)))
    }
}

/// PEM with 64-column lines and LF endings, as Go's `pem.EncodeToMemory` writes.
pub fn encode(label: &str, der: &[u8]) -> String {
    // Labels are this crate's constants, which RFC 7468 accepts.
    pem_rfc7468::encode_string(label, pem_rfc7468::LineEnding::LF, der).unwrap_or_default()
}
