//! Slack: API tokens are `xox` plus a type letter (`b` bot, `p` user, `a`
//! app, `o`, `r`, `s`), a dash, the numeric team id and more dash-separated
//! parts; incoming webhooks are URLs under Slack's hooks host whose path
//! (team, channel, secret) is the credential.

use super::Rule;
use crate::Severity;
use crate::secrets::values;

pub(crate) static TOKEN: Rule = Rule {
    id: "slack-token",
    title: "Slack API token",
    severity: Severity::High,
    keywords: &["xoxb-", "xoxp-", "xoxa-", "xoxo-", "xoxr-", "xoxs-"],
    pattern: r"\b(xox[abposr]-[0-9]{6,}-[A-Za-z0-9-]{10,})",
    min_entropy: 3.0,
    paths: None,
    accept: values::token,
    shown: 4,
    noisy: false,
};

pub(crate) static WEBHOOK: Rule = Rule {
    id: "slack-webhook",
    title: "Slack incoming webhook URL",
    severity: Severity::Medium,
    keywords: &["hooks.slack.com"],
    pattern: r"hooks\.slack\.com/(?:services|workflows|triggers)/(T[A-Z0-9]{6,}/[AB][A-Z0-9]{6,}/[A-Za-z0-9]{20,})",
    min_entropy: 3.0,
    paths: None,
    accept: values::token,
    shown: 4,
    noisy: false,
};
