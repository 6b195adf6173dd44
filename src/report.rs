//! What `report …`, `outbox` and `check-config` print: tables for people, JSON for scripts
//! (interface.md "JSON output" — those field names are a contract).

pub mod tasks;

use crate::config::Config;
use crate::directory::Role;
use crate::store::{complaints, messages, outbox, queries, tracking};
use serde_json::json;
use sqlx::SqliteConnection;

/// `report messages` rows as JSON values.
pub async fn messages_json(conn: &mut SqliteConnection) -> anyhow::Result<Vec<serde_json::Value>> {
    let rows = messages::list(conn).await?;
    Ok(rows
        .into_iter()
        .map(|m| {
            json!({
                "message_id": m.dedup_key,
                "subject": m.subject,
                "from": m.sender,
                "kind": m.kind,
                "outcome": m.outcome,
                "reasons": m.reasons,
                "project": m.project,
                "flags": m.flags,
                "date": m.event_at,
                "id": m.id,
            })
        })
        .collect())
}

pub use crate::rules::model::TallyLine;

/// `report tally --month M`: everyone with an active complaint in M or before
/// ([`crate::rules::model::tally_of_month`]).
pub async fn tally(
    config: &Config,
    conn: &mut SqliteConnection,
    month: &str,
) -> anyhow::Result<Vec<TallyLine>> {
    let rows = complaints::month_counts(conn).await?;
    let window = config.rules.complaint_cumulative_window_months;
    Ok(crate::rules::model::tally_of_month(&rows, month, window))
}

/// `report tally` lines as table cells, in the column order of [`TALLY_COLUMNS`].
pub fn tally_cells(lines: &[TallyLine]) -> Vec<Vec<String>> {
    lines
        .iter()
        .map(|l| {
            vec![
                l.name.clone(),
                l.month_count.to_string(),
                l.cumulative_count.to_string(),
                l.levels_docked.to_string(),
                l.permanent_levels.to_string(),
            ]
        })
        .collect()
}

/// Column heads of the 第十四条 tally, for people.
pub const TALLY_COLUMNS: [&str; 5] = [
    "技服人员",
    "当月投诉",
    "累计投诉",
    "当月扣发级数",
    "永久降级",
];

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

/// `report tracking --format csv`: a header line, then one line per row, every cell made inert.
pub fn tracking_csv(rows: &[tracking::TrackingRow]) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "owner",
        "project",
        "date",
        "engineer",
        "result",
        "content",
        "message_id",
        "project_name",
        "contact",
        "method",
        "leftover",
    ])?;
    for r in rows {
        w.write_record(
            [
                &r.owner,
                &r.project,
                &r.date,
                &r.engineer,
                &r.result,
                &r.content,
                &r.message_id,
                &r.project_name,
                &r.contact,
                &r.method,
                r.leftover.as_deref().unwrap_or_default(),
            ]
            .map(|c| csv_cell(c).into_owned()),
        )?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

/// A cell a spreadsheet will not run (OWASP "CSV Injection"): text that starts with `=`, `+`,
/// `-`, `@`, a tab or a carriage return gets a leading `'`, so it is shown, not evaluated.
pub fn csv_cell(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}").into()
    } else {
        text.into()
    }
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

/// `report faults` rows as JSON, with who owes the next step.
pub async fn faults_json(
    config: &Config,
    conn: &mut SqliteConnection,
    project: Option<&str>,
    state: Option<&str>,
) -> anyhow::Result<Vec<serde_json::Value>> {
    let rows = queries::faults(conn, project, state).await?;
    Ok(rows
        .iter()
        .map(|f| {
            let mut v = serde_json::to_value(f).unwrap_or_default();
            v["owes"] = json!(f.owes(config));
            v
        })
        .collect())
}

/// `report project NAME`: the project, its people, reports, open items, improvement requests
/// with numbers and R&D time, fault orders with state and who owes the next step, complaints.
pub async fn project_json(
    config: &Config,
    conn: &mut SqliteConnection,
    name: &str,
) -> anyhow::Result<Option<serde_json::Value>> {
    let Some(key) = crate::parse::ProjectKey::new(name) else {
        return Ok(None);
    };
    let Some(project) = queries::project(conn, key.as_str()).await? else {
        return Ok(None);
    };
    Ok(Some(json!({
        "project": project,
        "reports": queries::reports(conn, key.as_str()).await?,
        "open_items": queries::open_items(conn, key.as_str()).await?,
        "improvement_requests": queries::improvements(conn, key.as_str()).await?,
        "fault_orders": faults_json(config, conn, Some(key.as_str()), None).await?,
        "complaints": queries::complaints(conn, key.as_str()).await?,
    })))
}

/// A JSON value as a table cell: strings bare, lists joined with commas, null empty.
pub fn json_cell(x: &serde_json::Value) -> String {
    match x {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        serde_json::Value::Array(a) => a.iter().map(json_cell).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// JSON rows as a text table of the fields `cols`.
pub fn json_table(rows: &[serde_json::Value], cols: &[&str]) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| cols.iter().map(|c| json_cell(&r[*c])).collect())
        .collect();
    table(cols, &cells)
}

/// `report project` as text: one section per part.
pub fn project_table(v: &serde_json::Value) -> String {
    let p = |k: &str| json_cell(&v["project"][k]);
    let mut out = format!(
        "项目 {}（{}）  状态 {}\n责任销售 {}  第一售前 {}  第二售前 {}\n支持类型 {}  支持内容 {}\n",
        p("name"),
        p("key"),
        p("status"),
        p("responsible_sales"),
        p("first_presales"),
        p("second_presales"),
        p("support_type"),
        p("support_content"),
    );
    let sections: [(&str, &str, &[&str]); 5] = [
        (
            "客户沟通汇报",
            "reports",
            &["date", "engineer", "result", "content", "thread"],
        ),
        (
            "遗留问题",
            "open_items",
            &["thread", "engineer", "priority", "status", "description"],
        ),
        (
            "产品改进申请单",
            "improvement_requests",
            &["number", "proposer", "rd_hours", "filed_at", "thread"],
        ),
        (
            "故障处理工作单",
            "fault_orders",
            &["thread", "state", "owes", "lead", "priority", "proposer"],
        ),
        (
            "投诉",
            "complaints",
            &["filed_at", "complainant", "target", "month", "status"],
        ),
    ];
    for (title, field, cols) in sections {
        let rows = v[field].as_array().cloned().unwrap_or_default();
        out += &format!("\n{title}（{}）\n", rows.len());
        if !rows.is_empty() {
            out += &json_table(&rows, cols);
        }
    }
    out
}

/// `report satisfaction --month M`: per presales, the 满意度回访 requests that fell due and the
/// answers received in the month (local time), the counts per answer and the satisfaction rate
/// (满意 + 基本满意 over answers) — the seed's 客户满意度考核 figure.
pub async fn satisfaction_lines(
    config: &Config,
    conn: &mut SqliteConnection,
    month: &str,
) -> anyhow::Result<Vec<crate::store::satisfaction::Line>> {
    let first = chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
        .map_err(|_| anyhow::anyhow!("--month {month:?}: expected YYYY-MM"))?;
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .ok_or_else(|| anyhow::anyhow!("--month {month:?} is out of range"))?;
    let start = |d: chrono::NaiveDate| {
        config
            .calendar
            .at(d, chrono::NaiveTime::MIN)
            .ok_or_else(|| anyhow::anyhow!("{d} has no midnight in {}", config.timezone))
    };
    crate::store::satisfaction::month(conn, start(first)?, start(next)?).await
}

/// `report satisfaction --format json`: `{"month", "presales": [lines]}`.
pub async fn satisfaction(
    config: &Config,
    conn: &mut SqliteConnection,
    month: &str,
) -> anyhow::Result<serde_json::Value> {
    let lines = satisfaction_lines(config, conn, month).await?;
    Ok(serde_json::json!({"month": month, "presales": lines}))
}

/// `report satisfaction` as a table.
pub fn satisfaction_table(lines: &[crate::store::satisfaction::Line]) -> String {
    let rows: Vec<Vec<String>> = lines.iter().map(|l| l.cells()).collect();
    table(&crate::store::satisfaction::COLUMNS, &rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(content: &str) -> tracking::TrackingRow {
        tracking::TrackingRow {
            owner: "李四".into(),
            project: "@SUM(1+1)*cmd|' /C calc'!A0".into(),
            date: "2026-12-01T02:00:00Z".into(),
            engineer: "张三".into(),
            result: "成功".into(),
            content: content.into(),
            message_id: "<a@example.com>".into(),
            project_name: "星河项目".into(),
            contact: "客户王工".into(),
            method: "电话".into(),
            leftover: None,
        }
    }

    #[test]
    fn csv_cells_that_a_spreadsheet_would_evaluate_get_a_leading_quote() {
        for (raw, cell) in [
            ("=cmd|'/c calc'!A1", "'=cmd|'/c calc'!A1"),
            ("+1+1", "'+1+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
        ] {
            assert_eq!(csv_cell(raw), cell);
        }
        assert_eq!(csv_cell("a=b"), "a=b");
        assert_eq!(csv_cell("调试成功"), "调试成功");
        assert_eq!(csv_cell(""), "");
    }

    #[test]
    fn report_tracking_csv_writes_no_cell_that_starts_a_formula() {
        let text = tracking_csv(&[row("=cmd|'/c calc'!A1")]).unwrap_or_default();
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let records: Vec<csv::StringRecord> = r.records().filter_map(Result::ok).collect();
        assert_eq!(records.len(), 1);
        assert_eq!(&records[0][5], "'=cmd|'/c calc'!A1");
        assert_eq!(&records[0][1], "'@SUM(1+1)*cmd|' /C calc'!A0");
        assert!(
            records[0]
                .iter()
                .all(|c| !c.starts_with(['=', '+', '-', '@', '\t', '\r']))
        );
    }
}
