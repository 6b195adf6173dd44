//! What makes a config error useful (the line and the key, from toml's spans) and the checks of
//! meaning: a config that parses but cannot work is refused at start, not discovered in use.

use super::{Config, FIELD_NAMES};
use anyhow::anyhow;

/// 1-based line of byte offset `at` in `text`.
fn line_at(text: &str, at: usize) -> usize {
    let at = at.min(text.len());
    text.as_bytes()[..at]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The table header (`[smtp]`, `[[people]]`) in force at byte `at`.
fn table_at(text: &str, at: usize) -> Option<&str> {
    let at = at.min(text.len());
    text.get(..at)?
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
}

/// `name = "…"` of the table at `span`, for naming a `[[people]]` entry.
fn name_in(text: &str, span: &std::ops::Range<usize>) -> Option<String> {
    let start = span.start.min(text.len());
    let rest = text.get(start..)?;
    // The entry runs to the next table header.
    let end = rest
        .match_indices("\n[")
        .next()
        .map_or(rest.len(), |(i, _)| i);
    let re = regex::Regex::new(r#"(?m)^\s*name\s*=\s*"([^"]*)""#).ok()?;
    re.captures(&rest[..end])
        .and_then(|c| c.get(1))
        .map(|m| m.as_str().to_string())
}

/// A toml error as `line N, [table] key: message`, naming the person for a `[[people]]` entry.
pub(super) fn toml_error(text: &str, e: &toml::de::Error) -> anyhow::Error {
    let message = e.message().trim();
    let Some(span) = e.span() else {
        return anyhow!("{message}");
    };
    let line = line_at(text, span.start);
    let this_line = text
        .lines()
        .nth(line - 1)
        .map(str::trim)
        .unwrap_or_default();
    let table = if this_line.starts_with('[') {
        Some(this_line)
    } else {
        table_at(text, span.start)
    };
    let key = this_line
        .split_once('=')
        .map(|(k, _)| k.trim())
        .filter(|_| !this_line.starts_with('['));
    let mut place = format!("line {line}");
    if let Some(t) = table {
        place.push_str(&format!(", {t}"));
    }
    if table == Some("[[people]]")
        && let Some(name) = name_in(text, &span)
    {
        place.push_str(&format!(" (name = {name:?})"));
    }
    if let Some(k) = key {
        place.push_str(&format!(" {k}"));
    }
    anyhow!("{place}: {message}")
}

/// The line where `key` is set inside `[section]` (or the section's header line), for errors
/// found after parsing.
pub(super) fn line_of(text: &str, section: &str, key: &str) -> Option<usize> {
    let header = format!("[{section}]");
    let mut inside = false;
    let mut header_line = None;
    for (i, raw) in text.lines().enumerate() {
        let l = raw.trim();
        if l.starts_with('[') {
            inside = l == header;
            if inside && header_line.is_none() {
                header_line = Some(i + 1);
            }
            continue;
        }
        let set = l.split_once('=').map(|(k, _)| k.trim().trim_matches('"'));
        if inside && set == Some(key) {
            return Some(i + 1);
        }
    }
    header_line
}

/// "line N, [section] key" for an error found after parsing.
pub(crate) fn at(text: &str, section: &str, key: &str) -> String {
    match line_of(text, section, key) {
        Some(n) => format!("line {n}, [{section}] {key}"),
        None => format!("[{section}] {key}"),
    }
}

/// Settings that parse but cannot mean what was meant.
pub(super) fn meaning(config: &Config, text: &str) -> anyhow::Result<()> {
    if let Some(id) = &config.mailbox.trusted_authserv_id
        && id.trim().is_empty()
    {
        return Err(anyhow!(
            "{}: is empty, so no mail would ever count as authenticated (all mail ignored); set your MTA's authserv-id or remove the key",
            at(text, "mailbox", "trusted_authserv_id")
        ));
    }
    for (canonical, synonyms) in &config.synonyms {
        if let Some(s) = synonyms
            .iter()
            .find(|s| FIELD_NAMES.contains(&s.trim()) && s.trim() != canonical)
        {
            return Err(anyhow!(
                "{}: the synonym {s:?} is itself a field name, so that field could never be read; remove it",
                at(text, "synonyms", canonical)
            ));
        }
    }
    let user = config.mailbox.user.trim().to_ascii_lowercase();
    for p in config.directory.people() {
        if let Some(own) = p.emails.iter().find(|e| {
            let e = e.trim().to_ascii_lowercase();
            e == config.bot_address || e == user
        }) {
            let line = text
                .lines()
                .position(|l| l.contains(own.as_str()) && l.trim_start().starts_with("emails"))
                .map_or(String::new(), |i| format!("line {}, ", i + 1));
            return Err(anyhow!(
                "{line}[[people]] (name = {:?}) emails: {own:?} is the bot's own address; its mail would be ignored as the bot's own",
                p.name
            ));
        }
    }
    Ok(())
}
