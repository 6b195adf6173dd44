//! A query reply before and after rendering: a page of lines and tables, rendered as plain text
//! and as inline-styled HTML (the digests' look, readable in Outlook), a table longer than
//! [`INLINE_ROWS`] cut in the mail and attached whole as .xlsx. Pure: no I/O, no clock.

use crate::digest::esc;
use crate::mail::outbound::Attachment;

pub use super::table::{Cell, INLINE_ROWS, REPLY_ROWS, Section, highlight};

/// A reply before rendering.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Page {
    /// Heading.
    pub title: String,
    /// Lines above the tables.
    pub lines: Vec<String>,
    /// The tables.
    pub sections: Vec<Section>,
    /// Files to attach besides the long tables (the 项目跟踪表 workbook).
    pub attachments: Vec<Attachment>,
    /// Name of the .xlsx holding the long tables.
    pub xlsx_name: String,
}

/// A rendered reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Subject (the engine adds the `[SB-n]` tag).
    pub subject: String,
    /// Plain-text part.
    pub text: String,
    /// HTML part.
    pub html: String,
    /// Attached files.
    pub attachments: Vec<Attachment>,
}

const FOOTER: &str = "本邮件由技术支持流程机器人根据您的查询自动回复；发送主题为「帮助」的邮件可查看所有格式和查询。";

impl Page {
    /// A page with a title and lines.
    pub fn new(title: impl Into<String>, lines: Vec<String>) -> Page {
        Page {
            title: title.into(),
            lines,
            ..Page::default()
        }
    }

    /// The plain-text part.
    pub fn text(&self) -> String {
        let mut s = format!("{}\n\n", self.title);
        for l in &self.lines {
            s += l;
            s += "\n";
        }
        for t in &self.sections {
            s += &format!("\n【{}】\n", t.title);
            if t.rows.is_empty() {
                s += "（无）\n";
                continue;
            }
            let headers: Vec<&str> = t.headers.iter().map(String::as_str).collect();
            let rows: Vec<Vec<String>> = t
                .shown()
                .iter()
                .map(|r| r.iter().map(Cell::plain).collect())
                .collect();
            s += &crate::report::table(&headers, &rows);
            for note in t.note.iter().cloned().chain(t.cut_note()) {
                s += &note;
                s += "\n";
            }
        }
        s += &format!("\n—— {FOOTER}\n");
        s
    }

    /// The HTML part: inline styles only, no scripts (the digests' look, [`crate::mail::html`]).
    pub fn html(&self) -> String {
        use crate::mail::html::{self, MUTED};
        let mut s = html::page_start(&self.title);
        for l in &self.lines {
            s += &format!("<p style=\"margin:0 0 6px 0;\">{}</p>\n", esc(l));
        }
        for t in &self.sections {
            let rows: Vec<html::Row> = t
                .shown()
                .iter()
                .map(|r| html::Row {
                    cells: r.iter().map(Cell::html).collect(),
                    alert: false,
                })
                .collect();
            s += &html::table(&t.title, &t.headers, &rows);
            let cut = t.cut_note().filter(|_| !t.rows.is_empty());
            for note in t.note.iter().cloned().chain(cut) {
                s += &format!("<p style=\"{MUTED}\">{}</p>\n", esc(&note));
            }
        }
        s += &html::page_end(FOOTER);
        s
    }

    /// Rendered: both parts, the long tables attached whole in one workbook.
    pub fn into_reply(self, subject: String) -> anyhow::Result<Reply> {
        let long: Vec<&Section> = self
            .sections
            .iter()
            .filter(|s| s.rows.len() > INLINE_ROWS)
            .collect();
        let mut attachments = self.attachments.clone();
        if !long.is_empty() {
            let name = if self.xlsx_name.is_empty() {
                "查询结果.xlsx"
            } else {
                &self.xlsx_name
            };
            attachments.push(super::xlsx::workbook(name, &long)?);
        }
        Ok(Reply {
            subject,
            text: self.text(),
            html: self.html(),
            attachments,
        })
    }
}

/// At most `max` characters of `text` around the first match of any word (the whole text when
/// short), with `…` where cut.
pub fn excerpt(text: &str, words: &[String], max: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= max {
        return text.to_owned();
    }
    let lower = text.to_ascii_lowercase();
    let first = words
        .iter()
        .filter_map(|w| lower.find(&w.to_ascii_lowercase()))
        .min()
        .map_or(0, |byte| text[..byte].chars().count());
    let start = first.saturating_sub(max / 4).min(chars.len() - max);
    let mut s: String = chars[start..start + max].iter().collect();
    if start > 0 {
        s.insert(0, '…');
    }
    if start + max < chars.len() {
        s.push('…');
    }
    s
}

/// The project names closest to `asked` (edit distance in characters, ties broken by shared
/// characters), at most three, among names near enough to be a typo of it.
pub fn closest(asked: &str, names: &[String]) -> Vec<String> {
    use std::cmp::Reverse;
    let asked_chars: Vec<char> = asked.chars().collect();
    let mut scored: Vec<(usize, Reverse<usize>, &String)> = names
        .iter()
        .map(|n| {
            let shared = n.chars().filter(|c| asked_chars.contains(c)).count();
            (strsim::levenshtein(asked, n), Reverse(shared), n)
        })
        .filter(|(d, shared, n)| {
            let len = asked_chars.len().max(n.chars().count());
            *d <= len.div_ceil(2) && shared.0 > 0
        })
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.2 == b.2);
    scored
        .into_iter()
        .take(3)
        .map(|(_, _, n)| n.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlighting_marks_every_word_and_escapes_the_rest() {
        let h = highlight(
            "导出<审计日志>为 Excel，再导出",
            &["导出".into(), "excel".into()],
        );
        assert_eq!(
            h,
            "<b>导出</b>&lt;审计日志&gt;为 <b>Excel</b>，再<b>导出</b>"
        );
    }

    #[test]
    fn a_table_over_twenty_rows_is_cut_in_the_mail_and_attached_whole() {
        let rows: Vec<Vec<Cell>> = (0..25).map(|i| vec![Cell::from(format!("r{i}"))]).collect();
        let mut s = Section::new("表", &["行"], rows);
        s.keep_last = true;
        let mut page = Page::new("标题", vec![]);
        page.sections.push(s);
        let reply = page.into_reply("主题".into()).expect("renders");
        assert!(reply.text.contains("r24") && !reply.text.contains("r4 "));
        assert!(!reply.html.contains(">r4<") && reply.html.contains(">r5<"));
        assert_eq!(reply.attachments.len(), 1);
        assert!(reply.attachments[0].filename.ends_with(".xlsx"));
    }

    #[test]
    fn a_short_table_is_not_attached() {
        let mut page = Page::new("标题", vec![]);
        page.sections
            .push(Section::new("表", &["行"], vec![vec![Cell::from("一")]]));
        assert!(
            page.into_reply("s".into())
                .expect("renders")
                .attachments
                .is_empty()
        );
    }

    #[test]
    fn an_unknown_project_suggests_the_names_one_typo_away() {
        let names = vec!["星河项目".to_string(), "蓝海项目".into(), "星空银行".into()];
        assert_eq!(closest("星和项目", &names)[0], "星河项目");
        assert!(closest("完全无关的名字", &names).is_empty());
    }

    #[test]
    fn an_excerpt_keeps_the_match_in_view() {
        let text = format!("{}审计日志导出{}", "前".repeat(300), "后".repeat(300));
        let e = excerpt(&text, &["审计日志".into()], 80);
        assert!(e.contains("审计日志") && e.starts_with('…') && e.ends_with('…'));
    }
}
