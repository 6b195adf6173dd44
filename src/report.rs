//! What `report …`, `outbox` and `check-config` print: tables for people, JSON for scripts
//! (interface.md "JSON output" — those field names are a contract).

pub mod tasks;

use crate::config::Config;
use crate::directory::Role;
use crate::store::{complaints, messages, outbox, queries, tracking};
use anyhow::Context as _;
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

/// `report tracking` rows, all in memory (for callers that need them together; the command
/// itself streams them: [`write_tracking`]).
pub async fn tracking(
    conn: &mut SqliteConnection,
    person: Option<&str>,
) -> anyhow::Result<Vec<tracking::TrackingRow>> {
    tracking::tracking(conn, person).await
}

/// The columns of `report tracking --format csv`: interface.md's fields, then the later ones.
const TRACKING_CSV: [&str; 11] = [
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
];

/// One CSV record of a tracking row, every cell made inert (borrowed: a row is written as it
/// comes, with no copy of its cells).
fn tracking_record<S: AsRef<str>>(r: &tracking::TrackingRow<S>) -> [std::borrow::Cow<'_, str>; 11] {
    [
        r.owner.as_ref(),
        r.project.as_ref(),
        r.date.as_ref(),
        r.engineer.as_ref(),
        r.result.as_ref(),
        r.content.as_ref(),
        r.message_id.as_ref(),
        r.project_name.as_ref(),
        r.contact.as_ref(),
        r.method.as_ref(),
        r.leftover.as_ref().map_or("", AsRef::as_ref),
    ]
    .map(csv_cell)
}

/// `report tracking --format csv`: a header line, then one line per row, every cell made inert.
pub fn tracking_csv(rows: &[tracking::TrackingRow]) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(TRACKING_CSV)?;
    for r in rows {
        w.write_record(tracking_record(r).iter().map(|c| c.as_bytes()))?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

/// Headings of `report tracking`'s text table.
const TRACKING_TABLE: [&str; 6] = [
    "第一售前",
    "项目",
    "日期",
    "技服人员",
    "结果",
    "沟通的具体问题",
];

fn tracking_cells<S: Into<String>>(r: tracking::TrackingRow<S>) -> Vec<String> {
    vec![
        r.owner.into(),
        r.project_name.into(),
        r.date.into(),
        r.engineer.into(),
        r.result.into(),
        r.content.into(),
    ]
}

/// The text formats of `report tracking` (xlsx: [`write_tracking_xlsx`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackingText {
    /// An aligned table for people.
    Table,
    /// interface.md's JSON array, pretty-printed.
    Json,
    /// CSV with every cell made inert.
    Csv,
}

/// Writes `report tracking` (`person`'s table, or every 第一售前's in name order) to `out` in
/// `format` as the rows come from SQLite: the memory it takes does not grow with the tables.
/// The text table reads the rows twice, first to fit its columns. Returns how many rows.
pub async fn write_tracking(
    conn: &mut SqliteConnection,
    person: Option<&str>,
    format: TrackingText,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<u64> {
    let owners = tracking::owners(conn, person).await?;
    let mut count = 0u64;
    match format {
        TrackingText::Json => {
            // serde_json's pretty printer fed one element at a time writes the same text as
            // serde_json::to_string_pretty of the whole array, straight into `out`.
            use serde::ser::{SerializeSeq as _, Serializer as _};
            use std::io::Write as _;
            // Through a buffer of its own type: the serializer's many small writes are then
            // copies in place, not each a call through `dyn Write`.
            let mut buffered = std::io::BufWriter::with_capacity(1 << 16, &mut *out);
            let mut json = serde_json::Serializer::pretty(&mut buffered);
            let mut array = json.serialize_seq(None)?;
            for owner in &owners {
                count += tracking::each_json_row(conn, owner, |r| Ok(array.serialize_element(&r)?))
                    .await?;
            }
            array.end()?;
            buffered.write_all(b"\n")?;
            buffered.flush()?;
        }
        TrackingText::Csv => {
            let mut w = csv::Writer::from_writer(&mut *out);
            w.write_record(TRACKING_CSV)?;
            for owner in &owners {
                count += tracking::each_row(conn, owner, |r| {
                    Ok(w.write_record(tracking_record(&r).iter().map(|c| c.as_bytes()))?)
                })
                .await?;
            }
            w.flush()?;
        }
        TrackingText::Table => {
            let mut columns = Columns::new(&TRACKING_TABLE);
            for owner in &owners {
                tracking::each_row(conn, owner, |r| {
                    columns.fit(&tracking_cells(r));
                    Ok(())
                })
                .await?;
            }
            out.write_all(columns.head(&TRACKING_TABLE).as_bytes())?;
            for owner in &owners {
                count += tracking::each_row(conn, owner, |r| {
                    Ok(out.write_all(columns.row(&tracking_cells(r)).as_bytes())?)
                })
                .await?;
            }
        }
    }
    out.flush()?;
    Ok(count)
}

/// `report tracking --format xlsx`: a sheet for each of `owners` (in order), their rows written
/// as they come from SQLite ([`crate::digest::xlsx::Streamed`]), saved to `path` ([`Staged`]:
/// whole or not at all). Returns how many rows.
pub async fn write_tracking_xlsx(
    conn: &mut SqliteConnection,
    owners: &[String],
    tz: chrono_tz::Tz,
    path: &std::path::Path,
) -> anyhow::Result<u64> {
    let staged = Staged::beside(path)?;
    let mut book = crate::digest::xlsx::Streamed::into_file(tz, staged.file()?)?;
    let mut count = 0u64;
    for owner in owners {
        book.sheet(owner)?;
        count += tracking::each_row(conn, owner, |r| book.row(&r)).await?;
    }
    book.save()?;
    staged.finish()?;
    Ok(count)
}

/// A report's `--output` file, written under a temporary name in the same folder and renamed
/// to its own name once whole ([`Staged::finish`]), so a command that fails half-way (a full
/// disk, a broken database) leaves the file that was there, not a truncated one; the
/// temporary file is removed when it is dropped unfinished.
pub struct Staged {
    temp: tempfile::NamedTempFile,
    path: std::path::PathBuf,
}

impl Staged {
    /// A temporary file beside `path`, with the permissions a new file would get.
    pub fn beside(path: &std::path::Path) -> anyhow::Result<Staged> {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => std::path::Path::new("."),
        };
        let temp = tempfile::Builder::new()
            .prefix(".supportbot-")
            .suffix(".partial")
            // As `File::create` asks: the umask takes its share.
            .permissions(std::fs::Permissions::from_mode(0o666))
            .tempfile_in(dir)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(Staged {
            temp,
            path: path.to_path_buf(),
        })
    }

    /// Another handle on the temporary file, to write it.
    pub fn file(&self) -> anyhow::Result<std::fs::File> {
        Ok(self.temp.as_file().try_clone()?)
    }

    /// Renames the written file to its own name.
    pub fn finish(self) -> anyhow::Result<()> {
        let path = self.path;
        self.temp
            .persist(&path)
            .map_err(|e| e.error)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(())
    }
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
    let mut columns = Columns::new(header);
    for r in rows {
        columns.fit(r);
    }
    let mut out = columns.head(header);
    for r in rows {
        out += &columns.row(r);
    }
    out
}

/// Display width of a cell: CJK counted double.
fn cell_width(s: &str) -> usize {
    s.chars()
        .map(|c| if (c as u32) >= 0x1100 { 2 } else { 1 })
        .sum()
}

/// A cell on one line, cut to 40 characters.
fn clip(s: &str) -> String {
    let one_line = s.replace(['\n', '\r'], " ");
    if one_line.chars().count() > 40 {
        format!("{}…", one_line.chars().take(39).collect::<String>())
    } else {
        one_line
    }
}

/// The column widths of a text table, fitted to every row first, so that the rows can then be
/// written one at a time (`report tracking` reads its rows twice rather than hold them).
pub struct Columns {
    widths: Vec<usize>,
}

impl Columns {
    /// Widths that fit the headings.
    pub fn new(header: &[&str]) -> Columns {
        Columns {
            widths: header.iter().map(|h| cell_width(h)).collect(),
        }
    }

    /// Widens the columns to fit a row.
    pub fn fit(&mut self, cells: &[String]) {
        for (i, c) in cells.iter().enumerate() {
            if let Some(w) = self.widths.get_mut(i) {
                *w = (*w).max(cell_width(&clip(c)));
            }
        }
    }

    fn line(&self, cells: &[&str]) -> String {
        let mut s = cells
            .iter()
            .zip(&self.widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w.saturating_sub(cell_width(c)))))
            .collect::<Vec<_>>()
            .join("  ");
        s.truncate(s.trim_end().len());
        s + "\n"
    }

    /// The heading line and the rule under it.
    pub fn head(&self, header: &[&str]) -> String {
        let rule: Vec<String> = self.widths.iter().map(|w| "-".repeat(*w)).collect();
        self.line(header) + &self.line(&rule.iter().map(String::as_str).collect::<Vec<_>>())
    }

    /// One row's line.
    pub fn row(&self, cells: &[String]) -> String {
        let clipped: Vec<String> = cells.iter().map(|c| clip(c)).collect();
        self.line(&clipped.iter().map(String::as_str).collect::<Vec<_>>())
    }
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

    /// A database holding two presales' tables: 李四 owns 星河 and 蓝海, 王五 owns 北辰; the
    /// reports arrive out of date order and across projects, one of them with a formula, a line
    /// break and a 遗留问题.
    async fn tables() -> (tempfile::TempDir, crate::store::Store) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = crate::store::Store::open(&dir.path().join("t.db"))
            .await
            .expect("open");
        let mut conn = store.connection().await.expect("connection");
        // The 立项 the projects point at.
        crate::store::testkit::initiation(&mut conn, 100, "2026-01-01T00:00:00Z").await;
        for (key, owner) in [("星河", "李四"), ("蓝海", "李四"), ("北辰", "王五")] {
            sqlx::query(
                "INSERT INTO projects (key, name, status, responsible_sales, first_presales,
                                       created_at, message)
                 VALUES (?, ? || '项目', 'initiated', '孙丽', ?, '2026-01-01T00:00:00Z', 100)",
            )
            .bind(key)
            .bind(key)
            .bind(owner)
            .execute(&mut *conn)
            .await
            .expect("project");
        }
        let reports = [
            ("蓝海", "2026-03-02T01:00:00Z", "=1+1", None),
            ("星河", "2026-03-01T01:00:00Z", "升级审计引擎\n并验证", None),
            ("北辰", "2026-02-01T01:00:00Z", "巡检", Some("导出 Excel")),
            ("星河", "2026-03-02T01:00:00Z", "同一时刻的第二份", None),
            ("蓝海", "2026-01-15T01:00:00Z", "演示审计规则", None),
        ];
        for (i, (project, at, content, leftover)) in reports.into_iter().enumerate() {
            let report = crate::store::testkit::Report {
                id: i as i64 + 1,
                project,
                at,
                contact: "客户王工",
                content,
                leftover,
                ..Default::default()
            };
            crate::store::testkit::report(&mut conn, report).await;
        }
        drop(conn);
        (dir, store)
    }

    async fn streamed(
        conn: &mut SqliteConnection,
        person: Option<&str>,
        format: TrackingText,
    ) -> String {
        let mut out = Vec::new();
        write_tracking(conn, person, format, &mut out)
            .await
            .expect("write");
        String::from_utf8(out).expect("utf-8")
    }

    #[tokio::test]
    async fn report_tracking_streamed_prints_what_the_rows_in_memory_print_in_every_text_format() {
        let (_dir, store) = tables().await;
        let mut conn = store.connection().await.expect("connection");
        for person in [None, Some("李四"), Some("王五"), Some("无人")] {
            let rows = tracking(&mut conn, person).await.expect("rows");
            assert_eq!(
                streamed(&mut conn, person, TrackingText::Json).await,
                serde_json::to_string_pretty(&rows).expect("json") + "\n",
                "{person:?}"
            );
            assert_eq!(
                streamed(&mut conn, person, TrackingText::Csv).await,
                tracking_csv(&rows).expect("csv"),
                "{person:?}"
            );
            let cells: Vec<Vec<String>> = rows.into_iter().map(tracking_cells).collect();
            assert_eq!(
                streamed(&mut conn, person, TrackingText::Table).await,
                table(&TRACKING_TABLE, &cells),
                "{person:?}"
            );
        }
    }

    #[tokio::test]
    async fn report_tracking_json_holds_every_awkward_character_as_serde_json_writes_it() {
        // The JSON format copies each cell as SQLite's json_array wrote it: every control
        // character, quotes, backslashes, a separator JavaScript treats as a line end, a
        // noncharacter and an astral character, in a presales' name, a project's name and the
        // report's cells, come out as serde_json writes them, and read back as they went in.
        let dir = tempfile::tempdir().expect("temp dir");
        let store = crate::store::Store::open(&dir.path().join("t.db"))
            .await
            .expect("open");
        let mut conn = store.connection().await.expect("connection");
        let controls: String = (0u8..0x20).map(char::from).collect();
        let awkward = format!("{controls}\u{7f}\"\\/'\u{2028}\u{2029}\u{fffe}😀审");
        let owner = format!("李\"四\\{awkward}");
        crate::store::testkit::initiation(&mut conn, 100, "2026-01-01T00:00:00Z").await;
        sqlx::query(
            "INSERT INTO projects (key, name, status, responsible_sales, first_presales,
                                   created_at, message)
             VALUES ('星河', ?, 'initiated', '孙丽', ?, '2026-01-01T00:00:00Z', 100)",
        )
        .bind(format!("星河\t{awkward}"))
        .bind(&owner)
        .execute(&mut *conn)
        .await
        .expect("project");
        let report = crate::store::testkit::Report {
            contact: &awkward,
            content: &awkward,
            leftover: Some(&awkward),
            ..Default::default()
        };
        crate::store::testkit::report(&mut conn, report).await;
        let rows = tracking(&mut conn, None).await.expect("rows");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].owner, owner);
        assert_eq!(rows[0].content, awkward);
        let json = streamed(&mut conn, None, TrackingText::Json).await;
        assert_eq!(
            json,
            serde_json::to_string_pretty(&rows).expect("json") + "\n"
        );
        let back: serde_json::Value = serde_json::from_str(&json).expect("reads back");
        assert_eq!(back[0]["leftover"], awkward.as_str());
        assert_eq!(back[0]["owner"], owner.as_str());
        assert_eq!(back[0]["project_name"], format!("星河\t{awkward}").as_str());
    }

    /// The rows of [`tables`] in table order: by presales, then by date, then by report.
    const IN_ORDER: [(&str, &str); 5] = [
        ("李四", "m5@example.com"),
        ("李四", "m2@example.com"),
        ("李四", "m1@example.com"),
        ("李四", "m4@example.com"),
        ("王五", "m3@example.com"),
    ];

    #[tokio::test]
    async fn report_tracking_streams_each_table_in_date_order_across_its_projects() {
        let (_dir, store) = tables().await;
        let mut conn = store.connection().await.expect("connection");
        let json = streamed(&mut conn, None, TrackingText::Json).await;
        let rows: Vec<serde_json::Value> = serde_json::from_str(&json).expect("json array");
        let got: Vec<(&str, &str)> = rows
            .iter()
            .map(|r| {
                (
                    r["owner"].as_str().unwrap_or_default(),
                    r["message_id"].as_str().unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(got, IN_ORDER);
    }

    #[tokio::test]
    async fn the_monthly_digests_rows_come_by_presales_then_in_report_order() {
        let (_dir, store) = tables().await;
        let mut conn = store.connection().await.expect("connection");
        use chrono::TimeZone;
        let from = chrono::Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap();
        let to = chrono::Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap();
        let rows = crate::store::tracking::tracking_between(&mut conn, from, to)
            .await
            .expect("rows");
        let got: Vec<(&str, &str)> = rows
            .iter()
            .map(|r| (r.owner.as_str(), r.message_id.as_str()))
            .collect();
        assert_eq!(got, IN_ORDER);
    }

    #[tokio::test]
    async fn report_tracking_xlsx_written_row_by_row_holds_the_workbook_built_in_memory() {
        use calamine::{Reader, Xlsx};
        let (dir, store) = tables().await;
        let mut conn = store.connection().await.expect("connection");
        let tz = chrono_tz::Asia::Shanghai;
        let owners = vec!["李四".to_string(), "赵六".to_string(), "王五".to_string()];
        let path = dir.path().join("t.xlsx");
        let n = write_tracking_xlsx(&mut conn, &owners, tz, &path)
            .await
            .expect("xlsx");
        assert_eq!(n, 5);
        let rows = tracking(&mut conn, None).await.expect("rows");
        let want = crate::digest::xlsx::workbook(&owners, &rows, tz).expect("in memory");
        let sheets = |bytes: Vec<u8>| {
            let mut book: Xlsx<_> =
                calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("opens");
            book.sheet_names()
                .into_iter()
                .map(|name| {
                    let cells: Vec<Vec<String>> = book
                        .worksheet_range(&name)
                        .expect("sheet")
                        .rows()
                        .map(|r| r.iter().map(|c| c.to_string()).collect())
                        .collect();
                    (name, cells)
                })
                .collect::<Vec<_>>()
        };
        let got = sheets(std::fs::read(&path).expect("read"));
        assert_eq!(got, sheets(want));
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].1.len(), 5, "李四: the headings and four rows");
        assert_eq!(got[0].1[3][6], "=1+1", "a formula stays a string");
    }

    #[tokio::test]
    async fn a_tracking_workbook_that_fails_half_way_leaves_the_file_that_was_there() {
        let (dir, store) = tables().await;
        let mut conn = store.connection().await.expect("connection");
        let tz = chrono_tz::Asia::Shanghai;
        let path = dir.path().join("t.xlsx");
        std::fs::write(&path, b"last month's workbook").expect("old file");
        // A stored time that is not one: the row that carries it fails, after others.
        sqlx::query("UPDATE reports SET reported_at = 'not a time' WHERE id = 2")
            .execute(&mut *conn)
            .await
            .expect("spoil");
        let owners = vec!["李四".to_string()];
        let failed = write_tracking_xlsx(&mut conn, &owners, tz, &path).await;
        assert!(failed.is_err());
        assert_eq!(
            std::fs::read(&path).expect("read"),
            b"last month's workbook"
        );
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .expect("dir")
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".partial"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
        // Once the data is right the file is replaced whole.
        sqlx::query("UPDATE reports SET reported_at = '2026-03-01T01:00:00Z' WHERE id = 2")
            .execute(&mut *conn)
            .await
            .expect("mend");
        write_tracking_xlsx(&mut conn, &owners, tz, &path)
            .await
            .expect("written");
        let book: calamine::Xlsx<_> = calamine::open_workbook(&path).expect("a workbook now");
        assert_eq!(calamine::Reader::sheet_names(&book), ["李四"]);
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_ne!(mode & 0o044, 0, "readable as a new file would be: {mode:o}");
    }
}
