//! Every row the engine wrote, as text: two runs that must leave the same database compare
//! these (tests/replay_batches.rs, tests/process_groups.rs).

use supportbot::engine::Engine;

/// Every row of every table the engine writes, as text, in id order (the FTS5 index's own
/// tables and the migrations' install times left out: they record how, not what).
pub async fn dump(bot: &Engine) -> Vec<String> {
    let mut conn = bot.store.connection().await.expect("reader");
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table'
           AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%' AND name NOT LIKE 'kb_%'
         ORDER BY name",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("tables");
    let mut out = Vec::new();
    for t in tables {
        let cols: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info(?)")
            .bind(&t)
            .fetch_all(&mut *conn)
            .await
            .expect("columns");
        let row = cols
            .iter()
            .map(|c| format!("quote(\"{c}\")"))
            .collect::<Vec<_>>()
            .join(" || ',' || ");
        let order = if t == "kb" { "rowid" } else { "1" };
        // Variable SQL (a test's dump of every table): plain sqlx::query.
        let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT {row} FROM \"{t}\" ORDER BY {order}"
        )))
        .fetch_all(&mut *conn)
        .await
        .expect("rows");
        out.extend(rows.into_iter().map(|r| format!("{t}: {r}")));
    }
    out
}

/// Fails, naming the first rows that differ, unless `a` and `b` hold the same rows in the same
/// order (`what` says which runs are compared).
pub fn assert_same(a: &[String], b: &[String], what: &str) {
    let differ: Vec<_> = a.iter().zip(b).filter(|(x, y)| x != y).take(5).collect();
    assert!(
        differ.is_empty(),
        "{what}: first rows that differ: {differ:#?}"
    );
    assert_eq!(a.len(), b.len(), "{what}: as many rows");
}
