//! No statement reads a set that grows with the archive unless it is meant to (issue 13): every
//! statement the code runs (each `sqlx::query!` macro's SQL, kept in `.sqlx/*.json`) is planned
//! with `EXPLAIN QUERY PLAN` against a migrated database, and one that scans a growing table,
//! sorts or groups rows of one in a temporary b-tree, or aggregates over one fails the test —
//! unless it is on [`ALLOWED`] with the reason it is a whole-table statement by design (reports,
//! exports, digests, schedules) or why the set it reads is bounded.

use serde::Deserialize;
use sqlx::{Connection, SqliteConnection};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// Tables that do not grow with the archive: one row per mailbox or daemon, or sqlite's own.
/// Every other table is taken to grow, so a new table is checked until it is listed here.
const BOUNDED_TABLES: &[&str] = &[
    "imap_state",
    "daemon_health",
    "_sqlx_migrations",
    "sqlite_master",
    "sqlite_schema",
];

/// Statements allowed to read a growing set, each by a piece of its SQL (whitespace collapsed)
/// and why. An entry that matches no statement fails the test, so the list stays true.
const ALLOWED: &[(&str, &str)] = &[
    (
        "FROM (SELECT * FROM (SELECT id, project, complainant, target, month, filed_at FROM complaints WHERE target = ?1 AND status = 'active' AND +month",
        "what a 第十四条 notice lists when the window is all time (store::complaints::listable), \
         as one JSON row: the target's complaints newest first by the index (target, status, \
         filed_at, id), stopped at the LIMIT, and the month's newest by the index (target, \
         status, month, filed_at, id), stopped at the LIMIT",
    ),
    (
        "FROM json_each(?2) m CROSS JOIN complaints c WHERE c.id IN (SELECT id FROM complaints INDEXED BY complaints_target_month_newest",
        "what a 第十四条 notice lists (store::complaints::listable), as one JSON row: for each \
         month of one counting window, at most its LIMIT of the target's complaints, walked \
         newest first by the index (target, status, month, filed_at, id)",
    ),
    // --- Reports, exports, digests and schedules: whole-table by design, never per mail.
    (
        "FROM outbox GROUP BY status",
        "`status` and health: counts the whole outbox by design",
    ),
    (
        "FROM outbox WHERE ?1 IS NULL OR status = ?1 ORDER BY id",
        "`report outbox`: lists the outbox",
    ),
    (
        "FROM messages ORDER BY id",
        "`report messages` / export: every mail by design",
    ),
    (
        "FROM projects ORDER BY name",
        "`report projects`: every project",
    ),
    (
        "FROM projects WHERE status = 'uninitiated' AND responsible_sales = ?",
        "the daily reminder of one sales's uninitiated projects (schedule tick, not per mail)",
    ),
    (
        "FROM projects p JOIN messages m ON m.id = p.message WHERE p.status = 'uninitiated'",
        "schedule tick: the uninitiated projects to remind about",
    ),
    (
        "json_extract(p.extras, '$.期望时间')",
        "nudges (schedule tick): every project's last report",
    ),
    (
        "SELECT (SELECT count(*) FROM open_items o WHERE o.status = 'open' AND (?1 IS NULL OR o.engineer = ?1)) AS \"open!: i64\"",
        "daily, weekly and personal digests (once per digest, not per mail): how many items are \
         open and how many overdue, counted in the index (status, resolution deadline, engineer); \
         only the items not yet past their resolution deadline are read, for the response rule",
    ),
    (
        "FROM open_items o INDEXED BY open_items_open_due JOIN projects p ON p.key = o.project WHERE o.status = 'open' AND coalesce(o.resolution_due, o.opened_at) > ?1 AND coalesce(o.response_due, o.opened_at) > ?1",
        "schedule tick, report-due nudges: the open items before their response deadline — in \
         the range after now of (status, resolution deadline), the items opened within the \
         longest resolution time, not the archive; sorted by opening",
    ),
    (
        "FROM open_items o INDEXED BY open_items_open_due JOIN projects p ON p.key = o.project WHERE o.status = 'open' AND coalesce(o.resolution_due, o.opened_at) > ?2",
        "daily, weekly and personal digests: the open items not overdue, after the overdue ones \
         when fewer than the LIMIT are — in the range after now of (status, resolution \
         deadline), the recent items, not the archive; the top of them by opening",
    ),
    (
        "FROM open_items o INDEXED BY open_items_next_due JOIN projects p ON p.key = o.project",
        "schedule tick: the open items whose next deadline came by now — the range of the \
         partial index of items with a deadline still to settle (what fell due since the last \
         tick), sorted by opening; the follow-up test is an EXISTS, one step into the index",
    ),
    (
        "UPDATE open_items INDEXED BY open_items_next_due SET next_due",
        "schedule tick: moves on the items whose next deadline came by now — the range of the \
         partial index of open items with a deadline still to settle, which holds what fell due \
         since the last tick, not the archive",
    ),
    (
        "FROM open_items WHERE response_due IS NULL ORDER BY id",
        "startup backfill of open items' deadlines (once per item, then never again)",
    ),
    (
        "(SELECT count(*) FROM reports r WHERE r.project = p.key AND r.reported_at >= ?1",
        "monthly digest: per-project counts of the month",
    ),
    (
        "SELECT engineer, coalesce(sum(opened_at >= ?1 AND opened_at < ?2), 0)",
        "monthly digest: per-engineer open-item figures",
    ),
    (
        "coalesce(sum(outcome = 'accepted'), 0) AS \"accepted!: i64\"",
        "monthly digest: a month's report mails counted per sender, one range of the covering \
         index messages_report_month",
    ),
    (
        "SELECT target, count(*) AS \"n!: i64\" FROM complaints WHERE status = 'active' AND filed_at >= ?1",
        "monthly digest: a month's complaints counted per target, one range of the covering \
         index complaints_filed_month",
    ),
    (
        "SELECT owner, count(CASE WHEN requested_at >= ?1",
        "monthly digest: per-owner 满意度 figures",
    ),
    (
        "FROM fault_orders WHERE (?1 IS NULL OR project = ?1) AND (?2 IS NULL OR state = ?2)",
        "`report faults`: lists fault orders",
    ),
    (
        "FROM open_items o JOIN projects p ON p.key = o.project WHERE o.status = 'open'",
        "查询-待办 and the schedule: lists open items by design",
    ),
    (
        "FROM improvement_requests i WHERE i.project = ? ORDER BY i.number",
        "`report project`: one project's improvement requests with their hours",
    ),
    (
        "FROM tasks WHERE (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR project = ?2)",
        "`report tasks`: lists the 集成部 tasks (every task ever when no state or project \
         narrows them)",
    ),
    (
        "FROM tasks WHERE state IN ('requested', 'dispatched', 'in_progress', 'delay_requested', 'completion_requested') ORDER BY requested_at, id",
        "the schedule tick, 查询-待办 and the daily task digest: the tasks not over yet, by the \
         state index, sorted by request",
    ),
    (
        "FROM tasks INDEXED BY tasks_completed WHERE state = 'completed' AND completed_at >= ?1 AND completed_at < ?2 ORDER BY completed_at, id",
        "the monthly task digest: the tasks completed in one month, a range of the partial index \
         on completion",
    ),
    (
        "SELECT max(id) IS NOT NULL AS \"any!: bool\" FROM tasks",
        "whether the task digests go out: the largest row id, one step down the table's b-tree \
         (SQLite's min/max optimisation; the plan names no index)",
    ),
    (
        "FROM tasks INDEXED BY tasks_project_state WHERE project = ?1 AND state IN ('requested', 'dispatched', 'in_progress', 'delay_requested', 'completion_requested') ORDER BY requested_at, id",
        "查询-任务: one project's tasks not over yet, by the index on (project, state), sorted by \
         request (the finished ones are read newest first up to the reply's rows)",
    ),
    (
        "FROM fault_orders INDEXED BY fault_orders_project_state WHERE project = ?1 AND state IN ('pending_approval', 'with_rd_manager', 'assigned', 'closure_requested') ORDER BY id",
        "查询-项目: one project's fault orders not finished, by the index on (project, state), \
         sorted by filing (the finished ones are read newest first up to the reply's rows)",
    ),
    (
        "SELECT count(*) AS \"n!: i64\" FROM ( SELECT 1 FROM projects p JOIN open_items o INDEXED BY open_items_project_since ON o.project = p.key AND o.status = 'open' WHERE p.first_presales = ?1 LIMIT (SELECT ?2))",
        "查询-遗留问题 of a presales: their projects' open items counted up to a bound (5,000), to \
         choose between sorting them and walking every open item",
    ),
    (
        "WHERE p2.first_presales = ?1) ORDER BY o.opened_at, o.id LIMIT (SELECT ?2)",
        "查询-遗留问题 of a presales whose projects have fewer than 5,000 open items: those, and \
         the first of their own by the engineer index, sorted",
    ),
    (
        "SELECT count(*) FROM kb",
        "知识库 rebuild and status: the whole index by design",
    ),
    (
        "SELECT target, month, n FROM complaint_counts WHERE n > 0",
        "`report tally` and the monthly digest: every engineer's counts",
    ),
    (
        "SELECT filed_at, complainant, target, month, status FROM complaints WHERE project = ?",
        "`report project`: one project's complaints",
    ),
    (
        "FROM open_items o WHERE o.project = ? ORDER BY o.id",
        "`report project`: one project's open items",
    ),
    (
        "FROM reports r JOIN messages m ON m.id = r.message WHERE r.project = ? ORDER BY m.event_at",
        "`report project` / 查询-项目: one project's reports by design",
    ),
    (
        "(SELECT json_group_array(json_array(p.key, r.reported_at, r.engineer, r.result,",
        "`report tracking` / export: the presales' reports, a day at a time",
    ),
    (
        "SELECT count(*) AS \"rows!: i64\" FROM projects p JOIN reports r ON r.project = p.key",
        "personal digest: how many rows a presales' table has (index entries only, no row)",
    ),
    (
        "SELECT min((SELECT min(reported_at) FROM reports WHERE project = p.key)) AS first",
        "`report tracking`: the first and last day of a presales' table (each from an index end)",
    ),
    (
        "SELECT json_group_array(json_array(p.first_presales, json_array(p.key, m.event_at,",
        "monthly digest: the month's tracking rows of every presales, one JSON row",
    ),
    (
        "SELECT DISTINCT first_presales AS \"first_presales!\" FROM projects",
        "digests: the owners to send to",
    ),
    (
        "FROM due_events d JOIN outbox o ON o.message_id = d.message_id WHERE d.schedule IN",
        "digest: the nudges of the period",
    ),
    (
        "SELECT max(due_at) AS \"due?: DateTime<Utc>\" FROM due_events WHERE schedule = ?",
        "schedule tick: max() of an index prefix is one step down the index",
    ),
    (
        "FROM satisfaction INDEXED BY satisfaction_pending WHERE answered_at IS NULL AND settled = 0",
        "schedule tick: the 满意度回访 not answered whose reminder is not recorded yet — the \
         partial index of those, the requests of the last few working days, not every request \
         never answered",
    ),
    (
        "UPDATE satisfaction INDEXED BY satisfaction_pending SET settled = 1",
        "schedule tick: settles the requests of that partial index whose reminder is recorded",
    ),
    (
        "FROM satisfaction WHERE (answer = '不满意' AND answered_at >= ?1",
        "digest: the month's unsatisfied answers",
    ),
    (
        "FROM fault_orders WHERE state",
        "schedule tick: the fault orders still moving",
    ),
    (
        "SELECT min(event_at) AS \"at?: DateTime<Utc>\" FROM messages",
        "min() of an index is its first entry (the archive's start, for reports)",
    ),
    (
        "FROM messages WHERE kind = 'report' AND outcome IN ('accepted', 'rejected') AND event_at >",
        "digest: the period's reports",
    ),
    (
        "FROM messages WHERE event_at >= ? AND event_at < ? AND reasons LIKE '%\"unauthenticated\"%'",
        "digest: the period's unauthenticated mail",
    ),
    (
        "FROM complaints WHERE status = 'active' AND filed_at >= ? AND filed_at < ?",
        "digest: the period's complaints",
    ),
    (
        "INSERT INTO kb (text, source, project, date, engineer, thread) SELECT",
        "知识库 rebuild: every closed item by design",
    ),
    (
        "SELECT mail, tries FROM mail_tries WHERE inbox = ?",
        "startup: the tries of one inbox's mails still failing (rows go when a mail is handled)",
    ),
    (
        "FROM reports r CROSS JOIN projects p CROSS JOIN messages m WHERE p.key = r.project",
        "查询-我的跟踪表 / 查询-跟踪表-<name>: walks reports newest first and stops at the reply's \
         500 rows; a presales with few reports among many makes it walk far (a query mail, not \
         a workflow rule; BENCHMARKS.md has its time at 1M mails)",
    ),
    // --- Per mail, over a set that is bounded.
    (
        "SELECT queued_at FROM reply_log WHERE recipient = ? AND queued_at > ? AND queued_at <= ?",
        "the per-recipient reply cap: one recipient's replies inside the cap's 24 hours, at most \
         the daily cap (suppressed replies are not logged)",
    ),
    (
        "SELECT max(rowid) AS \"last?: i64\" FROM reply_log",
        "whether another writer logged a reply since a group's cap lines were read \
         (store::batch::Carried): the last row of the table's b-tree",
    ),
    (
        "SELECT filename, content_type, content FROM outbox_attachments WHERE outbox = ?",
        "one outgoing mail's attachments",
    ),
    (
        "FROM open_items o JOIN reports r ON r.id = o.report WHERE r.message = ?",
        "the open items of one report (one per report: the report's 遗留问题)",
    ),
    (
        "SELECT target, month, n FROM complaint_counts WHERE target IN",
        "a complaint's targets' counts: one row per month of the counting window",
    ),
    (
        "INSERT INTO projects (key, name, status, responsible_sales, first_presales, second_presales",
        "立项 of an existing project: the foreign-key lookups SQLite plans for the rows that \
         reference projects (improvement requests, open items, reports, each by its index); \
         the upsert never changes the key they check",
    ),
    (
        "INSERT INTO outbox (message, kind, to_addrs, cc_addrs, subject, body, message_id, in_reply_to, references_, created_at, status) SELECT",
        "a replay batch's held replies in one statement (store::batch): the sort is over the \
         batch's JSON, at most a batch; the lookups are SQLite's foreign-key checks of the rows \
         that reference an outbox row, each by its index",
    ),
    (
        "INSERT INTO reports (message, project, engineer, result, contact, method, content, leftover, priority, communicated_at, reported_at) SELECT",
        "a replay batch's held reports in one statement (store::batch): the sort is over the \
         batch's JSON, at most a batch; the lookup is SQLite's foreign-key check of open items \
         by their index on report",
    ),
    (
        "(SELECT json_group_array(json_object('id', id, 'thread', thread,",
        "a report's project with the sender's own open items and those the mail names (each \
         found by an index; the sender's own are what the ack lists)",
    ),
];

#[derive(Deserialize)]
struct Offline {
    query: String,
}

fn collapse(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every statement of `.sqlx/`, whitespace collapsed.
fn statements() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(".sqlx");
    let mut out: Vec<String> = std::fs::read_dir(&dir)
        .expect(".sqlx/ is committed")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("readable");
            let o: Offline = serde_json::from_str(&text).expect("sqlx offline data");
            collapse(&o.query)
        })
        .collect();
    out.sort();
    out
}

/// A database migrated as the daemon migrates it.
async fn migrated() -> (SqliteConnection, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("plans.db");
    let store = supportbot::store::Store::open(&path)
        .await
        .expect("migrated");
    drop(store);
    let url = format!("sqlite://{}", path.display());
    let conn = SqliteConnection::connect(&url).await.expect("connect");
    (conn, dir)
}

async fn tables(conn: &mut SqliteConnection) -> HashSet<String> {
    sqlx::query_scalar::<_, String>("SELECT name FROM sqlite_master WHERE type = 'table'")
        .fetch_all(conn)
        .await
        .expect("tables")
        .into_iter()
        .collect()
}

/// The plan's lines of `sql`. Plain `sqlx::query`: the SQL is read from `.sqlx/` at run time,
/// so no macro can check it; its parameters are bound to NULL (their number is found by trying).
async fn plan(conn: &mut SqliteConnection, sql: &str) -> Vec<String> {
    let explain = format!("EXPLAIN QUERY PLAN {sql}");
    let mut last = None;
    for n in 0..40 {
        // The SQL is the project's own, from `.sqlx/`: nothing from outside.
        let sql = sqlx::AssertSqlSafe(explain.clone());
        let mut q = sqlx::query_as::<_, (i64, i64, i64, String)>(sql);
        for _ in 0..n {
            q = q.bind(None::<i64>);
        }
        match q.fetch_all(&mut *conn).await {
            Ok(rows) => return rows.into_iter().map(|r| r.3).collect(),
            Err(e) => last = Some(e),
        }
    }
    panic!("cannot plan {sql}: {last:?}");
}

/// Table names by the alias a statement gives them (`FROM open_items o`, `JOIN reports AS r`).
fn aliases(sql: &str) -> HashMap<String, String> {
    const NOT_ALIAS: &[&str] = &[
        "where",
        "join",
        "on",
        "left",
        "inner",
        "cross",
        "group",
        "order",
        "limit",
        "set",
        "using",
        "values",
        "select",
        "union",
        "natural",
        "outer",
        "having",
        "returning",
        "default",
        "window",
        "as",
        "and",
        "or",
        "not",
        "indexed",
    ];
    let words: Vec<&str> = sql
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    let mut map = HashMap::new();
    for (i, w) in words.iter().enumerate() {
        let lw = w.to_ascii_lowercase();
        if !matches!(lw.as_str(), "from" | "join" | "update" | "into") {
            continue;
        }
        let Some(table) = words.get(i + 1) else {
            continue;
        };
        let mut next = words.get(i + 2).map(|n| n.to_ascii_lowercase());
        let mut at = i + 2;
        if next.as_deref() == Some("as") {
            at += 1;
            next = words.get(at).map(|n| n.to_ascii_lowercase());
        }
        if let Some(alias) = next.filter(|n| !NOT_ALIAS.contains(&n.as_str())) {
            map.insert(alias, table.to_string());
        }
        map.insert(table.to_ascii_lowercase(), table.to_string());
    }
    map
}

/// The unique keys of the schema: index name (and `PRIMARY KEY <table>` for a table's own key)
/// → number of columns. A SEARCH with that many `=` constraints on one finds one row.
async fn unique_keys(conn: &mut SqliteConnection, all: &HashSet<String>) -> HashMap<String, usize> {
    let mut keys = HashMap::new();
    for table in all {
        // PRAGMA: no macro can run it.
        let list = format!("SELECT name, \"unique\", origin FROM pragma_index_list('{table}')");
        let indexes: Vec<(String, bool, String)> = sqlx::query_as(sqlx::AssertSqlSafe(list))
            .fetch_all(&mut *conn)
            .await
            .expect("index list");
        for (name, unique, origin) in indexes.into_iter().filter(|i| i.1) {
            let info = format!("SELECT count(*) FROM pragma_index_info('{name}')");
            let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(info))
                .fetch_one(&mut *conn)
                .await
                .expect("index info");
            let n = usize::try_from(n).expect("columns");
            if origin == "pk" {
                keys.insert(format!("PRIMARY KEY {table}"), n);
            }
            let _ = unique;
            keys.insert(name, n);
        }
    }
    keys
}

/// Whether a SEARCH line finds at most one row: by rowid, or by every column of a unique key.
fn finds_one(line: &str, table: &str, unique: &HashMap<String, usize>) -> bool {
    if line.contains("INTEGER PRIMARY KEY") {
        return true;
    }
    let key = if line.contains(" USING PRIMARY KEY ") {
        Some(format!("PRIMARY KEY {table}"))
    } else {
        line.split_whitespace()
            .skip_while(|w| *w != "INDEX")
            .nth(1)
            .map(str::to_string)
    };
    let Some(columns) = key.and_then(|k| unique.get(&k)) else {
        return false;
    };
    let constraints = line
        .split_once('(')
        .and_then(|(_, c)| c.split_once(')'))
        .map_or("", |(c, _)| c);
    let equal = constraints
        .split(" AND ")
        .filter(|c| c.ends_with("=?") && !c.ends_with(">=?") && !c.ends_with("<=?"))
        .count();
    equal >= *columns
}

/// What is wrong with `sql`'s plan: the growing tables it scans, reads a range of (without a
/// LIMIT), or sorts or aggregates rows of.
fn problems(
    sql: &str,
    plan: &[String],
    all: &HashSet<String>,
    unique: &HashMap<String, usize>,
) -> Vec<String> {
    let names = aliases(sql);
    let growing = |name: &str| -> Option<String> {
        let table = if all.contains(name) {
            name.to_string()
        } else {
            names.get(&name.to_ascii_lowercase())?.clone()
        };
        (all.contains(&table) && !BOUNDED_TABLES.contains(&table.as_str())).then_some(table)
    };
    let lower = sql.to_ascii_lowercase();
    let limited = lower.contains(" limit ");
    let mut out = Vec::new();
    let mut reads_many = false;
    for line in plan {
        let mut words = line.split_whitespace();
        let (Some(verb), Some(name)) = (words.next(), words.next()) else {
            continue;
        };
        if !matches!(verb, "SCAN" | "SEARCH") {
            continue;
        }
        let Some(table) = growing(name) else { continue };
        if verb == "SCAN" {
            reads_many = true;
            out.push(format!("scans {table}: {line}"));
        } else if line.contains("AUTOMATIC") {
            reads_many = true;
            out.push(format!(
                "builds a temporary index over all of {table}: {line}"
            ));
        } else if !finds_one(line, &table, unique) {
            reads_many = true;
            if !limited {
                out.push(format!("reads every row of {table} in a range: {line}"));
            }
        }
    }
    if reads_many {
        for line in plan.iter().filter(|l| l.contains("USE TEMP B-TREE")) {
            out.push(format!("sorts or groups rows of a growing table: {line}"));
        }
        for f in [
            "count(",
            "sum(",
            "total(",
            "avg(",
            "group_concat(",
            "json_group_array(",
            "json_group_object(",
        ] {
            if lower.contains(f) {
                out.push(format!("aggregates ({f}…) over rows of a growing table"));
            }
        }
    }
    out
}

fn allowed(sql: &str) -> bool {
    ALLOWED.iter().any(|(piece, _)| sql.contains(piece))
}

#[tokio::test]
async fn no_statement_reads_a_set_that_grows_with_the_archive_unless_listed_with_its_reason() {
    let (mut conn, _dir) = migrated().await;
    let all = tables(&mut conn).await;
    let unique = unique_keys(&mut conn, &all).await;
    let statements = statements();
    assert!(
        statements.len() > 50,
        "found {} statements",
        statements.len()
    );
    let mut failures = Vec::new();
    for sql in &statements {
        let plan = plan(&mut conn, sql).await;
        let found = problems(sql, &plan, &all, &unique);
        if !found.is_empty() && !allowed(sql) {
            failures.push(format!("{sql}\n  {}", found.join("\n  ")));
        }
    }
    assert!(
        failures.is_empty(),
        "statements that read a growing set ({}):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// A bare `LIMIT ?` lets the bundled SQLite plan with the bound value, and it prepares the
/// statement again whenever the value is bound anew: a report's project read took 132 µs a call
/// instead of 19 in a replay of 10,000 mails. `LIMIT (SELECT ?)` hides the value; the plans stay
/// the same.
#[test]
fn no_statement_binds_its_limit_bare() {
    let bare = regex::Regex::new(r"(?i)\b(LIMIT|OFFSET)\s+\?").expect("pattern");
    let found: Vec<String> = statements()
        .into_iter()
        .filter(|s| bare.is_match(s))
        .collect();
    assert!(
        found.is_empty(),
        "a bare LIMIT or OFFSET parameter in: {found:#?}"
    );
}

#[test]
fn every_allowed_entry_names_a_statement_that_exists() {
    let statements = statements();
    let stale: Vec<&str> = ALLOWED
        .iter()
        .map(|(piece, _)| *piece)
        .filter(|piece| !statements.iter().any(|s| s.contains(piece)))
        .collect();
    assert!(
        stale.is_empty(),
        "allow-list entries matching nothing: {stale:?}"
    );
}

#[tokio::test]
async fn the_check_rejects_what_a_complaint_read_before_issue_13() {
    let (mut conn, _dir) = migrated().await;
    let all = tables(&mut conn).await;
    let unique = unique_keys(&mut conn, &all).await;
    // Every active complaint on the project, newest first (the old `active_on_project`), the
    // counts of every complaint of the targets, and the project's improvement requests counted.
    for old in [
        "SELECT id, project, complainant, target, month FROM complaints \
         WHERE project = ? AND status = 'active' ORDER BY filed_at DESC, id DESC",
        "SELECT target, month, count(*) AS n FROM complaints WHERE status = 'active' \
         AND target IN (SELECT value FROM json_each(?)) GROUP BY target, month",
        "SELECT count(*) FROM improvement_requests WHERE project = ?",
        "SELECT id FROM open_items WHERE engineer = ?",
    ] {
        let plan = plan(&mut conn, old).await;
        assert!(
            !problems(old, &plan, &all, &unique).is_empty(),
            "not caught: {old}\n{plan:?}"
        );
        assert!(!allowed(&collapse(old)), "allowed by the list: {old}");
    }
}
