//! `.env` files (`.env`, `.env.production`…), read by dotenv libraries and
//! compose: a variable whose name says it is secret (`*_PASSWORD`,
//! `*_TOKEN`, `*_SECRET`, `*API_KEY`…) set to a real value. Templates meant
//! to be copied (`.env.example`, `.env.sample`, `.env.template`,
//! `.env.dist`) are not read.

use super::Rule;
use crate::Severity;
use crate::secrets::values;

pub(crate) static SECRET: Rule = Rule {
    id: "dotenv-secret",
    title: "Secret in a .env file",
    severity: Severity::High,
    keywords: &[],
    pattern: concat!(
        r#"(?m)^[ \t]*(?:export[ \t]+)?[A-Za-z0-9_]*(?i:PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIALS?)[A-Za-z0-9_]*"#,
        r#"[ \t]*=[ \t]*(?:"([^"\r\n]+)"|'([^'\r\n]+)'|([^\s"'#]+))"#,
    ),
    min_entropy: 0.0,
    paths: Some(is_dotenv),
    accept: values::config_value,
    shown: 4,
    noisy: false,
};

fn is_dotenv(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let Some(suffix) = name.strip_prefix(".env") else { return false };
    suffix.is_empty() || (suffix.starts_with('.') && !matches!(&suffix[1..], "example" | "sample" | "template" | "dist" | "defaults" | "tpl"))
}
