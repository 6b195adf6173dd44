//! The tables of a query reply: cells and sections, shared by the text/HTML rendering
//! ([`super::render`]) and the .xlsx attachment ([`super::xlsx`]).

use crate::digest::esc;

/// A table longer than this is attached whole as .xlsx (queries.md §1).
pub const INLINE_ROWS: usize = 20;

/// A table in a query reply holds at most this many rows, the .xlsx included (the newest of a
/// 项目跟踪表, the oldest open items, …); the reply says when more were left out. An answer is
/// due within 100 ms of the mail being read (issue 14), and a 项目跟踪表 of a million-mail
/// archive has 200,000 rows: reading them and writing them to a workbook takes seconds, and the
/// workbook would pass mail servers' attachment limits. The whole table is `report tracking`.
pub const REPLY_ROWS: usize = 500;

/// One cell of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// Plain text.
    Text(String),
    /// Overdue or breached: red with ⚠ in HTML, `!` in plain text.
    Alert(String),
    /// Text with `words` highlighted (`<b>` in HTML), the knowledge base's matches.
    Marked {
        /// The text.
        text: String,
        /// The words to highlight.
        words: Vec<String>,
    },
}

impl Cell {
    /// The cell's text, unmarked.
    pub fn text(&self) -> &str {
        match self {
            Cell::Text(t) | Cell::Alert(t) | Cell::Marked { text: t, .. } => t,
        }
    }

    pub(super) fn plain(&self) -> String {
        match self {
            Cell::Alert(t) => format!("! {t}"),
            c => c.text().to_owned(),
        }
    }

    pub(super) fn html(&self) -> String {
        match self {
            Cell::Text(t) => esc(t),
            Cell::Alert(t) => format!("<span style=\"color:#cf222e;\">⚠ {}</span>", esc(t)),
            Cell::Marked { text, words } => highlight(text, words),
        }
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_owned())
    }
}

/// A table of a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Heading.
    pub title: String,
    /// Column names.
    pub headers: Vec<String>,
    /// Every row (the mail shows at most [`INLINE_ROWS`]).
    pub rows: Vec<Vec<Cell>>,
    /// When cut, keep the last rows (a tracking table's newest) rather than the first.
    pub keep_last: bool,
    /// The rows are [`REPLY_ROWS`] of more (the first, or the last with `keep_last`): the
    /// .xlsx holds them, not every row.
    pub bounded: bool,
    /// A line under the table saying which rows it holds, when the reply chose them.
    pub note: Option<String>,
}

impl Section {
    /// A table from headings and rows.
    pub fn new(title: &str, headers: &[&str], rows: Vec<Vec<Cell>>) -> Section {
        Section {
            title: title.to_owned(),
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows,
            keep_last: false,
            bounded: false,
            note: None,
        }
    }

    /// A table of at most [`REPLY_ROWS`] of `rows` (read with one more than that, to know
    /// whether there were more): the newest with `keep_last`, else the first.
    pub fn bounded(
        title: &str,
        headers: &[&str],
        mut rows: Vec<Vec<Cell>>,
        keep_last: bool,
    ) -> Section {
        let bounded = rows.len() > REPLY_ROWS;
        if bounded && keep_last {
            rows.drain(..rows.len() - REPLY_ROWS);
        } else {
            rows.truncate(REPLY_ROWS);
        }
        let mut s = Section::new(title, headers, rows);
        s.keep_last = keep_last;
        s.bounded = bounded;
        s
    }

    /// The rows the mail shows.
    pub(super) fn shown(&self) -> &[Vec<Cell>] {
        if self.rows.len() <= INLINE_ROWS {
            &self.rows
        } else if self.keep_last {
            &self.rows[self.rows.len() - INLINE_ROWS..]
        } else {
            &self.rows[..INLINE_ROWS]
        }
    }

    pub(super) fn cut_note(&self) -> Option<String> {
        (self.rows.len() > INLINE_ROWS).then(|| {
            let which = if self.keep_last { "最近" } else { "前" };
            if self.bounded {
                let kept = if self.keep_last { "最近" } else { "最早" };
                format!(
                    "超过 {REPLY_ROWS} 行：此处显示{which} {INLINE_ROWS} 行，附件中是{kept}的 \
                     {REPLY_ROWS} 行；完整的表格请系统管理员导出。"
                )
            } else {
                format!(
                    "共 {} 行，此处显示{which} {INLINE_ROWS} 行，完整表格见附件。",
                    self.rows.len()
                )
            }
        })
    }
}

/// `text` HTML-escaped with every occurrence of each word wrapped in `<b>` (ASCII letters
/// matched regardless of case).
pub fn highlight(text: &str, words: &[String]) -> String {
    let lower = text.to_ascii_lowercase();
    let mut marks = vec![false; text.len()];
    for w in words.iter().filter(|w| !w.is_empty()) {
        let w = w.to_ascii_lowercase();
        let mut from = 0;
        while let Some(i) = lower[from..].find(&w) {
            let start = from + i;
            marks[start..start + w.len()]
                .iter_mut()
                .for_each(|m| *m = true);
            from = start + w.len();
        }
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut open = false;
    for (i, c) in text.char_indices() {
        if marks[i] != open {
            out += if marks[i] { "<b>" } else { "</b>" };
            open = marks[i];
        }
        out += &esc(c.encode_utf8(&mut [0; 4]));
    }
    if open {
        out += "</b>";
    }
    out
}
