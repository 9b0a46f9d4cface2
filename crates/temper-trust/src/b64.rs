//! Base64 as the formats write it: standard with padding on output; on input
//! the standard and URL-safe alphabets, padded or not (the DSSE spec and the
//! protobuf JSON mapping both allow either).

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);

/// Standard base64 with padding.
pub fn encode(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Either alphabet, padding optional; line breaks are skipped, as Go's
/// decoder (which reads these formats in cosign) skips them.
pub fn decode(text: &str) -> Result<Vec<u8>, String> {
    let text: String = text.trim().chars().filter(|c| *c != '\n' && *c != '\r').collect();
    let engine = if text.contains(['-', '_']) { &URL_SAFE } else { &STANDARD };
    engine.decode(&text).map_err(|e| format!("not base64 ({e})"))
}
