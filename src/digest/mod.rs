//! Digests (workflow.md §4): one model — figures and tables — rendered twice, as plain text and
//! as HTML (inline CSS, no scripts: readable in Outlook and phone clients), so both parts carry
//! the same figures by construction.

mod activity;
mod build;
pub mod chart;
mod ooxml;
pub mod review;
pub mod tasks;
pub mod xlsx;

pub use build::{Prepared, build, calendar_warning_mail};

/// A table of a digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Heading.
    pub title: String,
    /// Column names.
    pub headers: Vec<String>,
    /// Cells.
    pub rows: Vec<Vec<String>>,
}

/// A digest before rendering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    /// Heading (also the subject).
    pub title: String,
    /// One line on what it covers.
    pub intro: String,
    /// Headline figures: (label, value).
    pub figures: Vec<(String, String)>,
    /// The tables.
    pub tables: Vec<Table>,
}

/// The first cell of an overdue row begins with this (SLA breached, uninitiated past its
/// reminder, a step owed too long): HTML shows the row in red with ⚠, plain text with `!`, and
/// the tables sort such rows first (queries.md §4).
pub const OVERDUE: &str = "⚠ ";

/// How many rows a digest lists of a table that grows with the archive (a presales' tracking
/// rows, the open items): as many as a reply to 查询-遗留问题 or 查询-我的跟踪表 lists. The whole
/// of such a table made the weekly personal digest a 500 MB mail on the skewed 1M benchmark; the
/// figures still count everything and the intro says how many are not shown.
pub(crate) const LISTED_ROWS: i64 = 500;

/// How managers ask for more, by mail (queries.md §1): never a command line.
pub const ASK_BY_MAIL: &str = "需要更多信息时，给技术支持流程机器人发一封新邮件即可：标题写「帮助」可收到全部用法；\
     也可写「查询-星河项目」（换成项目名）、「查询-跟踪表-张三」、「查询-投诉统计」、「查询-遗留问题」或「查询-待办」。";

fn overdue(row: &[String]) -> bool {
    row.first().is_some_and(|c| c.starts_with(OVERDUE))
}

impl Table {
    /// A table from string slices.
    pub fn new(title: &str, headers: &[&str], rows: Vec<Vec<String>>) -> Table {
        Table {
            title: title.into(),
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows,
        }
    }
}

/// A count as people read it: `300,000` for `300000` (千分位, as Chinese reports print figures);
/// anything but a plain whole number (`25%`, `12.5万`, `—`) as it is.
pub fn grouped(value: &str) -> String {
    let (sign, digits) = value.strip_prefix('-').map_or(("", value), |d| ("-", d));
    if digits.len() <= 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return value.to_string();
    }
    let mut out = String::from(sign);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Digest {
    /// The plain-text part.
    pub fn text(&self) -> String {
        let mut s = format!("{}\n{}\n\n", self.title, self.intro);
        for (label, value) in &self.figures {
            s += &format!("  {label}：{}\n", grouped(value));
        }
        for t in &self.tables {
            s += &format!("\n【{}】\n", t.title);
            if t.rows.is_empty() {
                s += "（无）\n";
            } else {
                let headers: Vec<&str> = t.headers.iter().map(String::as_str).collect();
                let rows: Vec<Vec<String>> = t
                    .rows
                    .iter()
                    .map(|r| {
                        let mut r = r.clone();
                        if let Some(first) = r.first_mut()
                            && let Some(rest) = first.strip_prefix(OVERDUE)
                        {
                            *first = format!("! {rest}");
                        }
                        r
                    })
                    .collect();
                s += &crate::report::table(&headers, &rows);
            }
        }
        if self
            .tables
            .iter()
            .any(|t| t.rows.iter().any(|r| overdue(r)))
        {
            s += "\n（行首的 ! 表示已超时限）\n";
        }
        s += &format!("\n{ASK_BY_MAIL}\n");
        s += "\n—— 本邮件由技术支持流程机器人自动发送，请勿直接回复。\n";
        s
    }

    /// The HTML part.
    pub fn html(&self) -> String {
        use crate::mail::html::{self, CELL, TABLE};
        let mut s = html::page_start(&self.title);
        s += &format!(
            "<p style=\"margin:0 0 10px 0;color:#57606a;\">{}</p>\n",
            esc(&self.intro)
        );
        s += &format!("<table style=\"{TABLE}\">\n");
        for (label, value) in &self.figures {
            s += &format!(
                "<tr><td style=\"{CELL}background:#f6f8fa;\">{}</td><td style=\"{CELL}font-weight:bold;\">{}</td></tr>\n",
                esc(label),
                esc(&grouped(value))
            );
        }
        s += "</table>\n";
        for t in &self.tables {
            let rows: Vec<html::Row> = t
                .rows
                .iter()
                .map(|r| html::Row {
                    cells: r.iter().map(|c| esc(c)).collect(),
                    alert: overdue(r),
                })
                .collect();
            s += &html::table(&t.title, &t.headers, &rows);
        }
        s += &format!(
            "<p style=\"margin:16px 0 0 0;font-size:13px;color:#1f2328;\">{}</p>\n",
            esc(ASK_BY_MAIL)
        );
        s += &html::page_end("本邮件由技术支持流程机器人自动发送，请勿直接回复。");
        s
    }
}

pub use crate::mail::html::esc;

#[cfg(test)]
mod tests {
    use super::grouped;

    #[test]
    fn counts_are_grouped_by_thousands_and_nothing_else_is_touched() {
        for (value, shown) in [
            ("0", "0"),
            ("999", "999"),
            ("1000", "1,000"),
            ("12345", "12,345"),
            ("300000", "300,000"),
            ("1000000", "1,000,000"),
            ("-1234", "-1,234"),
            ("25%", "25%"),
            ("12.5万", "12.5万"),
            ("—", "—"),
            ("", ""),
        ] {
            assert_eq!(grouped(value), shown, "{value}");
        }
        for n in [0_u64, 7, 1_000, 999_999, 1_000_001, u64::MAX] {
            let shown = grouped(&n.to_string());
            assert_eq!(shown.replace(',', ""), n.to_string());
            assert!(shown.split(',').skip(1).all(|g| g.len() == 3), "{shown}");
        }
    }
}
