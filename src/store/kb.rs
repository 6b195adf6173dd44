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
            Effect::AddReport(_) => index_reports(conn, &[message]).await?,
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

/// The reports recorded from mail rows `messages`, in that order (one statement for a replay
/// batch's reports, [`super::batch`]).
pub async fn index_reports(conn: &mut SqliteConnection, messages: &[i64]) -> anyhow::Result<()> {
    if messages.is_empty() {
        return Ok(());
    }
    let messages = sqlx::types::Json(messages);
    sqlx::query!(
        "INSERT INTO kb (text, source, project, date, engineer, thread)
         SELECT r.content, 'report', r.project, m.event_at, r.engineer, r.message
         FROM json_each(?) j JOIN reports r ON r.message = j.value
         JOIN messages m ON m.id = r.message
         WHERE trim(r.content) <> '' ORDER BY j.key",
        messages
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
                coalesce(o.closed_at, o.opened_at), o.engineer, o.thread
         FROM open_items o LEFT JOIN reports c ON c.message = ?2
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
    /// Relevance, higher is better ([`score`]); 0 when every word is shorter than 3 characters.
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

/// Matches of the trigram index ranked: the newest this many entries holding every word are
/// scored ([`score`]), and the best `limit` of them returned.
///
/// What the bound trades away: ranking every match costs all of them (a common word matches a
/// tenth of a million entries: 70–550 ms), so an older entry that would score higher than every
/// one of the newest `RANKED` matches is not shown. A word that common is rarely what people
/// search for alone, and among so many matches the newest are usually the most useful (same
/// product versions); adding a second word brings older entries back into reach.
pub const RANKED: i64 = 1_000;

/// With only words of 1–2 characters (no trigram for them), entries are read newest first with
/// LIKE, and at most this many are read.
///
/// What the bound trades away: such a word alone finds nothing older than the newest
/// `SCANNED` entries (reading all of a million takes longer than the 50 ms a search may take).
/// A word of 3 characters or more, alone or beside short ones, searches the whole index.
pub const SCANNED: i64 = 50_000;

/// Relevance of `text` to `words` (higher is better): BM25's term-frequency part (k1 = 1.2,
/// b = 0.75) summed over the words, the length against `average` (characters), without BM25's
/// inverse document frequency. Every candidate holds every word, so the IDF only weighs the words
/// against each other, and FTS5's `bm25()` computes it by reading every match of every word once
/// per search (two common words at 1M entries: 116 ms with it, 8 ms without, sqlite3 shell).
pub fn score(text: &str, words: &[&str], average: f64) -> f64 {
    const K1: f64 = 1.2;
    const B: f64 = 0.75;
    let lower = text.to_lowercase();
    let len = lower.chars().count() as f64;
    let norm = K1 * (1.0 - B + B * len / average.max(1.0));
    words
        .iter()
        .map(|w| {
            let tf = lower.matches(&w.to_lowercase()).count() as f64;
            tf * (K1 + 1.0) / (tf + norm)
        })
        .sum()
}

/// The entries holding every word (AND), best first ([`score`] among the newest [`RANKED`] matches),
/// at most `limit`. With only short words there is no rank: the newest come first, among the
/// newest [`SCANNED`] entries.
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
    if long.is_empty() {
        // FTS5 walks its rows newest first (rowid order) and takes a rowid range from the
        // index, so only the newest SCANNED are read.
        filter.push("kb.rowid > (SELECT rowid FROM kb ORDER BY rowid DESC LIMIT 1) - ?");
    } else {
        filter.push("kb MATCH ?");
    }
    filter.extend(short.iter().map(|_| r"kb.text LIKE ? ESCAPE '\'"));
    // NOTE: dynamic SQL on purpose: the number of LIKE terms varies, and an FTS5 MATCH cannot be
    // checked by `query!` anyway. Every word is bound, never spliced.
    // The inner query takes matches newest first (`ORDER BY rowid DESC` is FTS5's own order,
    // so it stops after the LIMIT instead of sorting every match); those are scored here.
    let sql = format!(
        "SELECT k.source, k.project, coalesce(p.name, k.project) AS project_name, k.date,
                k.engineer, k.text, coalesce(m.dedup_key, '') AS message_id,
                'SB-' || k.thread AS tag, 0.0 AS score
         FROM (SELECT source, project, date, engineer, text, thread
               FROM kb WHERE {} ORDER BY kb.rowid DESC LIMIT ?) k
         LEFT JOIN messages m ON m.id = k.thread
         LEFT JOIN projects p ON p.key = k.project
         ORDER BY k.date DESC",
        filter.join(" AND ")
    );
    let mut q = sqlx::query_as::<_, Hit>(sqlx::AssertSqlSafe(sql));
    if long.is_empty() {
        q = q.bind(SCANNED);
    } else {
        q = q.bind(long.join(" AND "));
    }
    for s in &short {
        q = q.bind(s);
    }
    let candidates = if long.is_empty() {
        limit
    } else {
        RANKED.max(limit)
    };
    let mut hits = q.bind(candidates).fetch_all(conn).await?;
    if !long.is_empty() && !hits.is_empty() {
        let average =
            hits.iter().map(|h| h.text.chars().count()).sum::<usize>() as f64 / hits.len() as f64;
        for h in &mut hits {
            h.score = score(&h.text, &words, average);
        }
        // Stable: equal scores keep the newest first.
        hits.sort_by(|a, b| b.score.total_cmp(&a.score));
    }
    hits.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(hits)
}

/// Entries in the index (for `status` and the benchmark).
pub async fn count(conn: &mut SqliteConnection) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar!("SELECT count(*) FROM kb")
        .fetch_one(conn)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::{RANKED, like, phrase, search};
    use crate::store::Store;

    /// A store whose `kb` holds `texts`, oldest first.
    async fn index(texts: &[String]) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("t.db")).await.expect("open");
        let mut conn = store.connection().await.expect("connection");
        for (i, t) in texts.iter().enumerate() {
            sqlx::query(
                "INSERT INTO kb (text, source, project, date, engineer, thread)
                 VALUES (?, 'report', 'p', ?, '张三', ?)",
            )
            .bind(t)
            .bind(format!("2026-01-01T00:00:{:02}Z", i % 60))
            .bind(i64::try_from(i).expect("small"))
            .execute(&mut *conn)
            .await
            .expect("insert");
        }
        drop(conn);
        (dir, store)
    }

    #[tokio::test]
    async fn a_common_word_is_ranked_best_first_among_its_newest_matches_only() {
        let mut texts = vec!["证书过期证书过期证书过期证书过期".to_string()];
        let newest = usize::try_from(RANKED).expect("small");
        texts.extend((0..newest - 1).map(|i| format!("客户{i}号反馈证书过期，已更换")));
        texts.push("证书过期又证书过期".into());
        let (_dir, store) = index(&texts).await;
        let mut conn = store.connection().await.expect("connection");
        let hits = search(&mut conn, &["证书过期".into()], 10)
            .await
            .expect("search");
        assert_eq!(hits.len(), 10);
        assert_eq!(hits[0].text, "证书过期又证书过期", "best first: {hits:?}");
        assert!(hits[0].score > hits[1].score);
        assert!(
            hits.iter().all(|h| h.tag != "SB-0"),
            "the oldest match is past the ranked bound: {hits:?}"
        );
        // A more precise word reaches it again.
        let hits = search(&mut conn, &["证书过期证书过期证书过期".into()], 10)
            .await
            .expect("search");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].tag, "SB-0");
    }

    #[tokio::test]
    async fn short_words_alone_find_the_newest_entries_holding_them() {
        let texts: Vec<String> = (0..30)
            .map(|i| format!("第{i}条：审计{}", if i % 2 == 0 { "导出" } else { "备份" }))
            .collect();
        let (_dir, store) = index(&texts).await;
        let mut conn = store.connection().await.expect("connection");
        let hits = search(&mut conn, &["导出".into(), "审计".into()], 3)
            .await
            .expect("search");
        let tags: Vec<&str> = hits.iter().map(|h| h.tag.as_str()).collect();
        assert_eq!(tags, ["SB-28", "SB-26", "SB-24"]);
        assert!(hits.iter().all(|h| h.score == 0.0));
    }

    #[test]
    fn a_word_never_becomes_fts_or_like_syntax() {
        assert_eq!(phrase(r#"a" OR "b"#), r#""a"" OR ""b""#);
        assert_eq!(like("50%_x"), r"%50\%\_x%");
    }
}
