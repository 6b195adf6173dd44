//! 知识库 (queries.md §2): the `kb` FTS5 table (trigram tokenizer), filled in the transaction of
//! the mail that solves a problem, and searched by `kb search` and `查询-知识库-…`.

use crate::rules::{Effect, FaultState};
use serde::Serialize;
use sqlx::SqliteConnection;

/// Indexes what the decision's effects solved, for the mail row `message` (call after the
/// effects are applied): an accepted report's 沟通的具体问题, a closed open item (its
/// description and the report that closed it), a closed fault order (what was filed and the
/// closing note).
pub async fn index_effects(
    conn: &mut SqliteConnection,
    message: i64,
    effects: &[Effect],
) -> anyhow::Result<()> {
    for e in effects {
        match e {
            Effect::AddReport(_) => index_report(conn, message).await?,
            Effect::CloseOpenItem { id, .. } => index_open_item(conn, *id, message).await?,
            Effect::MoveFault {
                id,
                to: FaultState::Closed,
                note,
                ..
            } => index_fault(conn, *id, note.as_deref()).await?,
            _ => {}
        }
    }
    Ok(())
}

/// The report recorded from mail row `message`.
async fn index_report(conn: &mut SqliteConnection, message: i64) -> anyhow::Result<()> {
    sqlx::query!(
        "INSERT INTO kb (text, source, project, date, engineer, thread)
         SELECT r.content, 'report', r.project, m.event_at, r.engineer, r.message
         FROM reports r JOIN messages m ON m.id = r.message
         WHERE r.message = ? AND trim(r.content) <> ''",
        message
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Open item `item`, closed by mail row `closing` (whose report, if it is one, is added).
async fn index_open_item(
    conn: &mut SqliteConnection,
    item: i64,
    closing: i64,
) -> anyhow::Result<()> {
    sqlx::query!(
        "INSERT INTO kb (text, source, project, date, engineer, thread)
         SELECT o.description || coalesce(char(10) || c.content, ''), 'open_item', o.project,
                coalesce(o.closed_at, o.opened_at), o.engineer, r.message
         FROM open_items o JOIN reports r ON r.id = o.report
         LEFT JOIN reports c ON c.message = ?2
         WHERE o.id = ?1",
        item,
        closing
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Fault order `fault`, just closed with `note`.
async fn index_fault(
    conn: &mut SqliteConnection,
    fault: i64,
    note: Option<&str>,
) -> anyhow::Result<()> {
    sqlx::query!(
        "INSERT INTO kb (text, source, project, date, engineer, thread)
         SELECT f.filed_text || coalesce(char(10) || ?2, ''), 'fault_order', f.project,
                f.updated_at, f.proposer, f.message
         FROM fault_orders f WHERE f.id = ?1",
        fault,
        note
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// One search hit (interface.md `kb search --format json`, with `tag` and `project_name`
/// added).
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Hit {
    /// `report`, `open_item` or `fault_order`.
    pub source: String,
    /// Project key.
    pub project: String,
    /// The project's name as written, for people.
    pub project_name: String,
    /// RFC 3339 UTC.
    pub date: String,
    /// Who reported it, or filed the order.
    pub engineer: String,
    /// The indexed text, whole.
    pub text: String,
    /// The source mail's Message-ID (or `sha256:` key).
    pub message_id: String,
    /// `SB-n`: a reply tagged so reaches the source's thread.
    pub tag: String,
    /// Relevance, higher is better (−bm25); 0 when every word is shorter than 3 characters.
    pub score: f64,
}

/// A word of 3 characters or more goes through the trigram index; a shorter one cannot (a
/// trigram tokenizer has no token for it) and is matched with LIKE on the rows that are left.
fn is_long(word: &str) -> bool {
    word.chars().count() >= 3
}

/// `word` as an FTS5 phrase: in double quotes, inner quotes doubled, so no word is read as
/// FTS5 syntax (AND, NEAR, `*`, column filters).
fn phrase(word: &str) -> String {
    format!("\"{}\"", word.replace('"', "\"\""))
}

/// `word` as a LIKE pattern matching it anywhere, `\` escaping `%` and `_`.
fn like(word: &str) -> String {
    let escaped = word
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// The entries holding every word (AND), best first (bm25), at most `limit`. With only short
/// words there is no rank and the newest come first.
pub async fn search(
    conn: &mut SqliteConnection,
    words: &[String],
    limit: i64,
) -> anyhow::Result<Vec<Hit>> {
    let words: Vec<&str> = words
        .iter()
        .map(|w| w.trim())
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let long: Vec<String> = words
        .iter()
        .filter(|w| is_long(w))
        .map(|w| phrase(w))
        .collect();
    let short: Vec<String> = words
        .iter()
        .filter(|w| !is_long(w))
        .map(|w| like(w))
        .collect();
    let mut filter: Vec<&str> = Vec::new();
    if !long.is_empty() {
        filter.push("kb MATCH ?");
    }
    filter.extend(short.iter().map(|_| r"kb.text LIKE ? ESCAPE '\'"));
    let (score, order) = if long.is_empty() {
        ("0.0", "kb.date DESC")
    } else {
        ("-bm25(kb)", "bm25(kb)")
    };
    // NOTE: dynamic SQL on purpose: the number of LIKE terms varies, and an FTS5 MATCH cannot be
    // checked by `query!` anyway. Every word is bound, never spliced.
    let sql = format!(
        "SELECT k.source, k.project, coalesce(p.name, k.project) AS project_name, k.date,
                k.engineer, k.text, coalesce(m.dedup_key, '') AS message_id,
                'SB-' || k.thread AS tag, k.score
         FROM (SELECT source, project, date, engineer, text, thread, {score} AS score
               FROM kb WHERE {} ORDER BY {order} LIMIT ?) k
         LEFT JOIN messages m ON m.id = k.thread
         LEFT JOIN projects p ON p.key = k.project
         ORDER BY k.score DESC, k.date DESC",
        filter.join(" AND ")
    );
    let mut q = sqlx::query_as::<_, Hit>(sqlx::AssertSqlSafe(sql));
    if !long.is_empty() {
        q = q.bind(long.join(" AND "));
    }
    for s in &short {
        q = q.bind(s);
    }
    Ok(q.bind(limit).fetch_all(conn).await?)
}

/// Entries in the index (for `status` and the benchmark).
pub async fn count(conn: &mut SqliteConnection) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar!("SELECT count(*) FROM kb")
        .fetch_one(conn)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::{like, phrase};

    #[test]
    fn a_word_never_becomes_fts_or_like_syntax() {
        assert_eq!(phrase(r#"a" OR "b"#), r#""a"" OR ""b""#);
        assert_eq!(like("50%_x"), r"%50\%\_x%");
    }
}
