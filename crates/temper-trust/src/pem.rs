//! The first PEM block of a file, as Go's `pem.Decode` finds it: text before
//! the block (comments, a certificate's description) is skipped.

/// Label and DER bytes of the first PEM block in `bytes`.
pub fn first_block(bytes: &[u8]) -> Result<(String, Vec<u8>), String> {
    const BEGIN: &[u8] = b"-----BEGIN ";
    let start = find(bytes, BEGIN).ok_or("no PEM block (no -----BEGIN line)")?;
    let block = &bytes[start..];
    let label_end = find(block, b"-----\n").or_else(|| find(block, b"-----\r\n")).ok_or("a -----BEGIN line without its end")?;
    let label = &block[BEGIN.len()..label_end];
    let mut end_line = b"-----END ".to_vec();
    end_line.extend_from_slice(label);
    end_line.extend_from_slice(b"-----");
    let end = find(block, &end_line).ok_or_else(|| format!("no -----END {}----- line", crate::one_line(&String::from_utf8_lossy(label), 60)))?;
    let block = &block[..end + end_line.len()];
    let (label, der) = pem_rfc7468::decode_vec(block).map_err(|e| format!("PEM block {:?}: {e}", crate::one_line(&String::from_utf8_lossy(label), 60)))?;
    Ok((label.to_owned(), der))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// PEM with 64-column lines and LF endings, as Go's `pem.EncodeToMemory` writes.
pub fn encode(label: &str, der: &[u8]) -> String {
    // Labels are this crate's constants, which RFC 7468 accepts.
    pem_rfc7468::encode_string(label, pem_rfc7468::LineEnding::LF, der).unwrap_or_default()
}
