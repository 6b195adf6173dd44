//! `reports` and `open_items`: the 项目跟踪表 (第十六条) and 遗留问题 (第十七条).

use super::ts;
use crate::rules::ReportRow;
use chrono::{DateTime, Utc};
use futures_util::stream::{BoxStream, StreamExt, TryStreamExt};
use serde_json::value::RawValue;
use sqlx::SqliteConnection;
use std::borrow::Cow;

/// Records an accepted report; returns its row id.
pub async fn add_report(
    conn: &mut SqliteConnection,
    message: i64,
    r: &ReportRow,
    at: DateTime<Utc>,
) -> anyhow::Result<i64> {
    let project = r.project.as_str();
    let at = ts(at);
    let id = sqlx::query!(
        "INSERT INTO reports (message, project, engineer, result, contact, method, content, leftover,
                              priority, communicated_at, reported_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        message,
        project,
        r.engineer,
        r.result,
        r.contact,
        r.method,
        r.content,
        r.leftover,
        r.priority,
        r.communicated_at,
        at
    )
    .execute(conn)
    .await?
    .last_insert_rowid();
    Ok(id)
}

/// An open item as a 问题遗留 report opens it (第十七条): its SLA deadlines come with it.
pub struct NewOpenItem<'a> {
    /// The report row that opens it.
    pub report: i64,
    /// The mail row that report was recorded from (the item's thread).
    pub thread: i64,
    /// Project key.
    pub project: &'a str,
    /// Who reported it.
    pub engineer: &'a str,
    /// The 问题遗留 text.
    pub description: &'a str,
    /// Its priority.
    pub priority: &'a str,
    /// When it was opened.
    pub opened_at: DateTime<Utc>,
    /// When a response is due.
    pub response_due: DateTime<Utc>,
    /// When its resolution is due.
    pub resolution_due: DateTime<Utc>,
}

/// Opens an item, deadlines included (the tick's next one, `next_due`, is the response deadline),
/// in one statement; returns its row id.
pub async fn add_open_item(
    conn: &mut SqliteConnection,
    o: &NewOpenItem<'_>,
) -> anyhow::Result<i64> {
    let (at, response_due, resolution_due) =
        (ts(o.opened_at), ts(o.response_due), ts(o.resolution_due));
    Ok(sqlx::query!(
        "INSERT INTO open_items (report, thread, project, engineer, description, priority,
                                 opened_at, response_due, resolution_due, next_due)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?8)",
        o.report,
        o.thread,
        o.project,
        o.engineer,
        o.description,
        o.priority,
        at,
        response_due,
        resolution_due
    )
    .execute(conn)
    .await?
    .last_insert_rowid())
}

/// One row of a 项目跟踪表 (interface.md `report tracking`). `S` is `String` for rows kept, and
/// `Cow<str>` for rows read in place from the text SQLite handed over ([`TrackingRef`]).
#[derive(Debug, Clone, serde::Serialize)]
pub struct TrackingRow<S = String> {
    /// The 第一售前 whose table it is.
    pub owner: S,
    /// Project key, as in `report messages` (interface.md).
    pub project: S,
    /// Date of the report (event time, RFC 3339 UTC).
    pub date: S,
    /// Engineer who reported.
    pub engineer: S,
    /// 成功 / 问题遗留.
    pub result: S,
    /// 沟通的具体问题.
    pub content: S,
    /// The report's Message-ID.
    pub message_id: S,
    /// The project's name as its 立项 (or first report) wrote it, for people to read; last, so
    /// the CSV columns before it keep their places.
    pub project_name: S,
    /// 沟通人 (added after the others, so earlier CSV columns keep their places).
    pub contact: S,
    /// 沟通方式.
    pub method: S,
    /// 遗留的问题描述, when 问题遗留.
    pub leftover: Option<S>,
}

/// A tracking row read in place: a cell is a copy only where JSON escaped something in it.
pub type TrackingRef<'a> = TrackingRow<Cow<'a, str>>;

/// A tracking row whose cells are JSON text as SQLite wrote it (a string with its quotes and
/// escapes, or `null`), serialized as it is.
pub type TrackingJson<'a> = TrackingRow<&'a RawValue>;

impl TrackingRef<'_> {
    /// The row with its own copy of every cell.
    pub fn into_owned(self) -> TrackingRow {
        TrackingRow {
            owner: self.owner.into_owned(),
            project: self.project.into_owned(),
            date: self.date.into_owned(),
            engineer: self.engineer.into_owned(),
            result: self.result.into_owned(),
            content: self.content.into_owned(),
            message_id: self.message_id.into_owned(),
            project_name: self.project_name.into_owned(),
            contact: self.contact.into_owned(),
            method: self.method.into_owned(),
            leftover: self.leftover.map(Cow::into_owned),
        }
    }
}

/// Every presales' tracking table, or one person's: reports on projects whose 第一售前 they are.
/// Everyone's is read one presales at a time, so no more than one table is in flight at once.
pub async fn tracking(
    conn: &mut SqliteConnection,
    owner: Option<&str>,
) -> anyhow::Result<Vec<TrackingRow>> {
    let mut rows = Vec::new();
    for owner in owners(conn, owner).await? {
        each_row(conn, &owner, |r| {
            rows.push(r.into_owned());
            Ok(())
        })
        .await?;
    }
    Ok(rows)
}

/// A tracking row as SQLite's `json_array` hands it over, read in place: project key, date,
/// engineer, result, content, message_id, report id, project name, contact, method, leftover.
/// A cell is `C`: [`Text`] for rows whose cells are read, `&RawValue` for rows written on as
/// JSON ([`each_json_row`]).
#[derive(serde::Deserialize)]
#[serde(bound(deserialize = "C: serde::Deserialize<'de>"))]
struct Row<C>(C, C, C, C, C, C, i64, C, C, C, Option<C>);

/// A cell read in place: a copy only where JSON escaped something in it.
#[derive(serde::Deserialize)]
struct Text<'a>(#[serde(borrow)] Cow<'a, str>);

/// What a day's rows are ordered by: a cell's text.
trait Cell {
    /// The text the date cell is compared by.
    fn ordered_by(&self) -> &str;
}

impl Cell for Text<'_> {
    fn ordered_by(&self) -> &str {
        &self.0
    }
}

/// The cell as JSON, quotes included: a date (RFC 3339, nothing in it that JSON escapes)
/// compares as its text does.
impl Cell for &RawValue {
    fn ordered_by(&self) -> &str {
        self.get()
    }
}

impl<C: Cell> Row<C> {
    /// Puts rows in report order: by date, then report. `json_group_array` promises no order.
    fn order(rows: &mut [Row<C>]) {
        rows.sort_by(|a, b| a.key().cmp(&b.key()));
    }

    /// Where the row stands in report order: its date, then its report.
    fn key(&self) -> (&str, i64) {
        (self.1.ordered_by(), self.6)
    }

    fn into_row<S>(self, owner: S, cell: impl Fn(C) -> S) -> TrackingRow<S> {
        TrackingRow {
            owner,
            project: cell(self.0),
            project_name: cell(self.7),
            date: cell(self.1),
            engineer: cell(self.2),
            result: cell(self.3),
            content: cell(self.4),
            message_id: cell(self.5),
            contact: cell(self.8),
            method: cell(self.9),
            leftover: self.10.map(cell),
        }
    }
}

/// How many rows `owner`'s tracking table has (counted in the index on a report's project).
pub async fn count_of(conn: &mut SqliteConnection, owner: &str) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar!(
        r#"SELECT count(*) AS "rows!: i64"
           FROM projects p JOIN reports r ON r.project = p.key WHERE p.first_presales = ?"#,
        owner
    )
    .fetch_one(conn)
    .await?)
}

/// Whose tables `report tracking` writes: `person` alone, or every 第一售前 of a project, by name.
pub async fn owners(
    conn: &mut SqliteConnection,
    person: Option<&str>,
) -> anyhow::Result<Vec<String>> {
    if let Some(p) = person {
        return Ok(vec![p.to_string()]);
    }
    Ok(sqlx::query_scalar!(
        r#"SELECT DISTINCT first_presales AS "first_presales!" FROM projects
           WHERE first_presales IS NOT NULL ORDER BY first_presales"#
    )
    .fetch_all(conn)
    .await?)
}

/// A day of one presales' table as SQLite hands it over: one JSON text, read in place.
struct Day {
    text: String,
}

impl Day {
    /// The day's rows in report order, each cell read from the day's text as a `C` and made
    /// an `S` by `cell`; `owner` is every row's presales.
    fn rows<'d, C, S>(
        &'d self,
        owner: S,
        cell: impl Fn(C) -> S,
    ) -> anyhow::Result<Vec<TrackingRow<S>>>
    where
        C: serde::Deserialize<'d> + Cell,
        S: Clone,
    {
        let mut rows: Vec<Row<C>> = serde_json::from_str(&self.text)?;
        Row::order(&mut rows);
        Ok(rows
            .into_iter()
            .map(|r| r.into_row(owner.clone(), &cell))
            .collect())
    }
}

/// The UTC days from the one `first` falls on to the one `last` falls on, each as the text
/// bounds `[day, next day)` that RFC 3339 UTC times of the day sort between. One window over
/// everything when either is not such a time (no row is left out either way).
fn days_between(first: &str, last: &str) -> Vec<(String, String)> {
    let day = |t: &str| {
        t.get(..10)
            .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    };
    let (Some(mut d), Some(end)) = (day(first), day(last)) else {
        return vec![(String::new(), char::MAX.to_string())];
    };
    let mut days = Vec::new();
    while d <= end {
        let Some(next) = d.succ_opt() else { break };
        days.push((d.to_string(), next.to_string()));
        d = next;
    }
    days
}

/// One presales' table a day at a time, in report order (date, then report), for
/// `report tracking` and [`tracking`]: what is in memory does not grow with the table.
///
/// No sort: each day is read through the index on a report's project and date, once for each of
/// the presales' projects, and its rows are put in order here (a day across projects is small).
/// The date is the report's own `reported_at`, which is its mail's event time (the engine writes
/// both from the same `Date`); it is what that index holds. The day's JSON is built on SQLite's
/// thread while this one reads the day before, and read in place: handed over row by row, sqlx's
/// per-row cost was as large as SQLite's reading, and copying every cell as large again (perf on
/// the skewed 1M benchmark, 600,000 rows of one presales).
async fn days_of<'c>(
    conn: &'c mut SqliteConnection,
    owner: &'c str,
) -> anyhow::Result<BoxStream<'c, anyhow::Result<Day>>> {
    let span = sqlx::query!(
        r#"SELECT min((SELECT min(reported_at) FROM reports WHERE project = p.key)) AS first,
                  max((SELECT max(reported_at) FROM reports WHERE project = p.key)) AS last
           FROM projects p WHERE p.first_presales = ?"#,
        owner
    )
    .fetch_one(&mut *conn)
    .await?;
    let (Some(first), Some(last)) = (span.first, span.last) else {
        return Ok(futures_util::stream::empty().boxed());
    };
    let days = serde_json::to_string(&days_between(&first, &last))?;
    // json_each walks the array in its order; no ORDER BY, which would hold every day's rows
    // in a temporary b-tree before the first comes out. The order is checked as days come.
    let mut next = 0;
    Ok(sqlx::query!(
        r#"SELECT d.key + 0 AS "day!: i64",
                  (SELECT json_group_array(json_array(p.key, r.reported_at, r.engineer, r.result,
                                                      r.content, m.dedup_key, r.id, p.name,
                                                      r.contact, r.method, r.leftover))
                   FROM projects p
                   JOIN reports r ON r.project = p.key
                                 AND r.reported_at >= d.value ->> 0
                                 AND r.reported_at < d.value ->> 1
                   JOIN messages m ON m.id = r.message
                   WHERE p.first_presales = ?1) AS "rows!: String"
           FROM json_each(?2) d"#,
        owner,
        days
    )
    .fetch(conn)
    .map_err(anyhow::Error::from)
    .and_then(move |d| {
        let in_order = d.day == next;
        next += 1;
        std::future::ready(if in_order {
            Ok(Day { text: d.rows })
        } else {
            Err(anyhow::anyhow!(
                "tracking days out of order: {} for {}",
                d.day,
                next - 1
            ))
        })
    })
    .try_filter(|day| std::future::ready(day.text != "[]"))
    .boxed())
}

/// Calls `f` on every row of `owner`'s table in report order, a day at a time ([`days_of`]);
/// returns how many rows there were.
pub async fn each_row(
    conn: &mut SqliteConnection,
    owner: &str,
    mut f: impl FnMut(TrackingRef<'_>) -> anyhow::Result<()>,
) -> anyhow::Result<u64> {
    each_day(conn, owner, |day| {
        let rows = day.rows(Cow::Borrowed(owner), |t: Text<'_>| t.0)?;
        let n = rows.len() as u64;
        rows.into_iter().try_for_each(&mut f)?;
        Ok(n)
    })
    .await
}

/// Calls `f` on every row of `owner`'s table in report order, as [`each_row`] does, each cell
/// JSON as SQLite wrote it ([`TrackingJson`]: for `report tracking --format json`, which then
/// copies each cell instead of decoding it and escaping it again). SQLite's JSON escapes a
/// string as serde_json does (`\"`, `\\`, `\b \f \n \r \t`, other control characters as
/// `\u00xx`, nothing else), so the text written is the same; a test holds them to it.
pub async fn each_json_row(
    conn: &mut SqliteConnection,
    owner: &str,
    mut f: impl FnMut(TrackingJson<'_>) -> anyhow::Result<()>,
) -> anyhow::Result<u64> {
    let name = serde_json::value::to_raw_value(owner)?;
    each_day(conn, owner, |day| {
        let rows = day.rows(&*name, |c: &RawValue| c)?;
        let n = rows.len() as u64;
        rows.into_iter().try_for_each(&mut f)?;
        Ok(n)
    })
    .await
}

/// Calls `f` on each day of `owner`'s table in date order ([`days_of`]); the rows `f` says
/// each day had, added up.
async fn each_day(
    conn: &mut SqliteConnection,
    owner: &str,
    mut f: impl FnMut(&Day) -> anyhow::Result<u64>,
) -> anyhow::Result<u64> {
    let mut count = 0;
    let mut days = days_of(conn, owner).await?;
    while let Some(day) = days.try_next().await? {
        count += f(&day)?;
    }
    Ok(count)
}

/// Every presales' tracking-table rows reported in `[from, to)` (the monthly digest's month),
/// by presales, then in report order. Read as one JSON row and ordered here: a month of a
/// 1,000,000-mail archive is about 52,000 rows, and handing them over one by one was most of
/// the digest's read.
pub async fn tracking_between(
    conn: &mut SqliteConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> anyhow::Result<Vec<TrackingRow>> {
    let (from, to) = (ts(from), ts(to));
    let text = sqlx::query_scalar!(
        r#"SELECT json_group_array(json_array(p.first_presales,
                  json_array(p.key, m.event_at, r.engineer, r.result, r.content, m.dedup_key,
                             r.id, p.name, r.contact, r.method, r.leftover)))
                  AS "rows!: String"
           FROM messages m JOIN reports r ON r.message = m.id JOIN projects p ON p.key = r.project
           WHERE m.event_at >= ? AND m.event_at < ? AND p.first_presales IS NOT NULL"#,
        from,
        to
    )
    .fetch_one(conn)
    .await?;
    let mut rows: Vec<(Text<'_>, Row<Text<'_>>)> = serde_json::from_str(&text)?;
    rows.sort_by(|(a, x), (b, y)| (&*a.0, x.key()).cmp(&(&*b.0, y.key())));
    Ok(rows
        .into_iter()
        .map(|(owner, r)| r.into_row(owner.0, |t| t.0).into_owned())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::days_between;
    use proptest::prelude::*;

    /// Text with what JSON must escape, and what it must not, well represented.
    fn awkward() -> impl Strategy<Value = String> {
        let c = prop_oneof![
            (0u32..0x20).prop_map(|c| char::from_u32(c).unwrap_or('?')),
            prop::sample::select(vec![
                '"', '\\', '/', '\'', '\u{7f}', '\u{2028}', '\u{fffe}', '😀', '审'
            ]),
            any::<char>(),
        ];
        prop::collection::vec(c, 0..24).prop_map(|cs| cs.into_iter().collect())
    }

    // `report tracking --format json` copies the text SQLite's json_array wrote for each cell
    // (`each_json_row`); the rest of the file is serde_json's. Both must escape alike.
    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn sqlite_writes_a_json_string_as_serde_json_does(a in awkward(), b in awkward()) {
            let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
            let sqlite: String = rt.block_on(async {
                use sqlx::Connection as _;
                let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:").await.expect("connect");
                sqlx::query_scalar("SELECT json_array(?1, ?2, NULL)")
                    .bind(&a)
                    .bind(&b)
                    .fetch_one(&mut conn)
                    .await
                    .expect("json_array")
            });
            let serde = serde_json::to_string(&(&a, &b, None::<String>)).expect("json");
            prop_assert_eq!(sqlite, serde);
        }
    }

    fn days(first: &str, last: &str) -> Vec<(String, String)> {
        days_between(first, last)
    }

    #[test]
    fn the_days_of_a_table_run_from_its_first_report_to_its_last_across_month_and_year() {
        let got = days("2026-12-30T23:59:59Z", "2027-01-01T00:00:00Z");
        let want = [
            ("2026-12-30", "2026-12-31"),
            ("2026-12-31", "2027-01-01"),
            ("2027-01-01", "2027-01-02"),
        ];
        assert_eq!(got, want.map(|(a, b)| (a.to_string(), b.to_string())));
        assert_eq!(
            days("2026-02-28T08:00:00Z", "2026-02-28T09:00:00Z").len(),
            1
        );
        assert_eq!(
            days("2028-02-28T08:00:00Z", "2028-03-01T09:00:00Z").len(),
            3
        );
    }

    #[test]
    fn a_time_that_is_not_rfc_3339_gives_one_window_over_every_text() {
        for (first, last) in [
            ("昨天", "2026-01-01T00:00:00Z"),
            ("2026-01-01T00:00:00Z", ""),
        ] {
            let got = days(first, last);
            assert_eq!(got.len(), 1);
            let (lo, hi) = &got[0];
            assert!(lo.as_str() <= first && lo.as_str() <= last, "{got:?}");
            assert!(hi.as_str() > first && hi.as_str() > last, "{got:?}");
        }
    }
}
