//! What `report …`, `outbox` and `check-config` print: tables for people, JSON for scripts
//! (interface.md "JSON output" — those field names are a contract).

use crate::config::Config;
use crate::directory::Role;
use crate::rules::complaint::Tally;
use crate::store::{complaints, messages, outbox, tracking};
use serde::Serialize;
use serde_json::json;
use sqlx::SqliteConnection;

/// `report messages` rows as JSON values.
pub async fn messages_json(conn: &mut SqliteConnection) -> anyhow::Result<Vec<serde_json::Value>> {
    let rows = messages::list(conn).await?;
    Ok(rows
        .into_iter()
        .map(|m| {
            let list = |s: &str| serde_json::from_str::<Vec<String>>(s).unwrap_or_default();
            json!({
                "message_id": m.dedup_key,
                "subject": m.subject,
                "from": m.sender,
                "kind": m.kind,
                "outcome": m.outcome,
                "reasons": list(&m.reasons),
                "project": m.project,
                "flags": list(&m.flags),
                "date": m.event_at,
                "id": m.id,
            })
        })
        .collect())
}

/// One engineer's line of `report tally` (第十四条).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TallyLine {
    /// Engineer.
    pub name: String,
    /// Complaints in the month.
    pub month_count: i64,
    /// Complaints up to the end of the month.
    pub cumulative_count: i64,
    /// floor(month_count / 2).
    pub levels_docked: i64,
    /// floor(cumulative_count / 4).
    pub permanent_levels: i64,
}

/// `report tally --month M`: everyone with an active complaint in M or before.
pub async fn tally(
    config: &Config,
    conn: &mut SqliteConnection,
    month: &str,
) -> anyhow::Result<Vec<TallyLine>> {
    let rows = complaints::month_counts(conn).await?;
    let mut names: Vec<&String> = rows
        .iter()
        .filter(|(_, m, n)| m.as_str() <= month && *n > 0)
        .map(|(t, _, _)| t)
        .collect();
    names.sort();
    names.dedup();
    let window = config.rules.complaint_cumulative_window_months;
    Ok(names
        .into_iter()
        .map(|name| {
            let t = Tally::of(&rows, name, month, window);
            TallyLine {
                name: name.clone(),
                month_count: t.month_count,
                cumulative_count: t.cumulative_count,
                levels_docked: t.levels_docked(),
                permanent_levels: t.permanent_levels(),
            }
        })
        .collect())
}

/// `report tally` as JSON.
pub fn tally_json(month: &str, lines: &[TallyLine]) -> serde_json::Value {
    json!({ "month": month, "engineers": lines })
}

/// `report tracking` rows.
pub async fn tracking(
    conn: &mut SqliteConnection,
    person: Option<&str>,
) -> anyhow::Result<Vec<tracking::TrackingRow>> {
    tracking::tracking(conn, person).await
}

/// `outbox` rows.
pub async fn outbox(
    conn: &mut SqliteConnection,
    status: Option<&str>,
) -> anyhow::Result<Vec<outbox::OutboxRow>> {
    outbox::list(conn, status).await
}

/// Renders rows as an aligned text table (CJK counted double width).
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    fn width(s: &str) -> usize {
        s.chars()
            .map(|c| if (c as u32) >= 0x1100 { 2 } else { 1 })
            .sum()
    }
    let clip = |s: &str| -> String {
        let one_line = s.replace(['\n', '\r'], " ");
        if one_line.chars().count() > 40 {
            format!("{}…", one_line.chars().take(39).collect::<String>())
        } else {
            one_line
        }
    };
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| clip(c)).collect())
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(width(c));
            }
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let mut s = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w.saturating_sub(width(c)))))
            .collect::<Vec<_>>()
            .join("  ");
        s.truncate(s.trim_end().len());
        s + "\n"
    };
    let mut out = line(header.to_vec());
    out += &line(
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str)
            .collect(),
    );
    for r in &rows {
        out += &line(r.iter().map(String::as_str).collect());
    }
    out
}

/// What `check-config` prints: what the config was understood to say.
pub fn config_summary(config: &Config) -> String {
    let mut s = String::new();
    s += &format!(
        "mailbox:   {:?} (user {})\n",
        config.mailbox_url, config.mailbox.user
    );
    s += &format!("smtp:      {:?} (from {})\n", config.smtp_url, config.bot);
    s += &format!("database:  {}\n", config.database_path.display());
    s += &format!("timezone:  {}\n", config.timezone);
    s += &format!(
        "rules:     min_concrete_chars={} vague_phrases={} generic_words={} complaint_requires_responsible_sales={} complaint_cumulative_window_months={}\n",
        config.rules.min_concrete_chars,
        config.rules.vague_phrases.len(),
        config.rules.generic_words.len(),
        config.rules.complaint_requires_responsible_sales,
        config.rules.complaint_cumulative_window_months
    );
    for (k, v) in &config.synonyms {
        s += &format!("synonyms:  {k} = {}\n", v.join(" / "));
    }
    s += &format!("people:    {}\n", config.directory.people().len());
    for role in Role::ALL {
        let names: Vec<&str> = config
            .directory
            .with_role(role)
            .map(|p| p.name.as_str())
            .collect();
        s += &format!(
            "  {:<17} {}\n",
            role.key(),
            if names.is_empty() {
                "(nobody)".into()
            } else {
                names.join(" ")
            }
        );
    }
    for role in [Role::PresalesManager, Role::TechDirector, Role::Admin] {
        if config.directory.with_role(role).next().is_none() {
            s += &format!(
                "warning: nobody has role {}; mail meant for them goes to no one\n",
                role.key()
            );
        }
    }
    s
}
