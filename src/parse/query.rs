//! Query and help subjects (queries.md §1): `帮助`, `查询-星河项目`, `查询-我的跟踪表`, … read once
//! into a [`Query`]. What a query answers is [`crate::query`]'s; reading its subject is parsing.

use super::simplified;
use super::subject::stripped;
use chrono::NaiveDate;

/// One query, as its subject asks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// `帮助`, `help`, `使用说明` (or a bare `查询`).
    Help,
    /// `查询-星河项目`: the project, by name as typed.
    Project(String),
    /// `查询-我的跟踪表`.
    MyTracking,
    /// `查询-跟踪表-张三`: someone's 项目跟踪表 (第十六条).
    Tracking(String),
    /// `查询-投诉统计[-YYYY-MM]`: the 第十四条 tally of that month (None: the current one).
    Complaints(Option<String>),
    /// `查询-投诉统计-…` with a month that is not `YYYY-MM`: answered with how to write it.
    BadMonth(String),
    /// `查询-遗留问题`: open items, oldest first.
    OpenItems,
    /// `查询-待办`: what the sender owes now.
    Todo,
    /// `查询-知识库-词 词…`: the knowledge base (queries.md §2); the words as typed.
    Kb(Vec<String>),
    /// `查询-任务-星河项目`: the project's 集成部 tasks (tasks.md).
    Tasks(String),
}

/// Separators between a subject's parts (after NFKC), as in mail-formats.md.
const SEPARATORS: &[char] = &[
    '-', '—', '–', '_', '~', '‐', '‑', '‒', '―', '−', '〜', ':', ' ',
];

/// What follows `keyword` at the start of `text` after separators; None when `text` does not
/// start with it. `Some("")` when nothing follows.
fn after<'a>(text: &'a str, keyword: &str) -> Option<&'a str> {
    let rest = text.strip_prefix(keyword)?;
    let trimmed = rest.trim_start_matches(SEPARATORS);
    // `查询星河` (keyword glued to a word) is not a query: a separator must come first.
    (rest.is_empty() || trimmed.len() < rest.len()).then_some(trimmed.trim_end())
}

impl Query {
    /// Reads a decoded subject; None when it is not a query or help subject.
    pub fn parse(subject: &str) -> Option<Query> {
        Query::from_stripped(&stripped(subject))
    }

    /// [`Query::parse`] of a subject already [`stripped`] (what
    /// [`crate::parse::ParsedSubject::stripped`] keeps).
    pub fn from_stripped(text: &str) -> Option<Query> {
        let text = simplified(text);
        let text = text.trim();
        if ["帮助", "使用说明", "查询"].contains(&text) || text.eq_ignore_ascii_case("help")
        {
            return Some(Query::Help);
        }
        let rest = after(text, "查询")?;
        if rest.is_empty() {
            return Some(Query::Help);
        }
        if rest == "我的跟踪表" {
            return Some(Query::MyTracking);
        }
        if let Some(name) = after(rest, "跟踪表") {
            return Some(if name.is_empty() {
                Query::MyTracking
            } else {
                Query::Tracking(name.to_owned())
            });
        }
        if let Some(month) = after(rest, "投诉统计") {
            return Some(read_month(month));
        }
        if rest == "遗留问题" {
            return Some(Query::OpenItems);
        }
        if rest == "待办" {
            return Some(Query::Todo);
        }
        if let Some(words) = after(rest, "知识库") {
            let words = words
                .split(|c: char| c.is_whitespace() || "、,，;；".contains(c))
                .filter(|w| !w.is_empty())
                .map(String::from)
                .collect();
            return Some(Query::Kb(words));
        }
        if let Some(project) = after(rest, "任务").filter(|p| !p.is_empty()) {
            return Some(Query::Tasks(project.to_owned()));
        }
        Some(Query::Project(rest.to_owned()))
    }
}

/// `2026-11` (any dash, or 2026年11月) → Complaints; empty → the current month.
fn read_month(text: &str) -> Query {
    if text.is_empty() {
        return Query::Complaints(None);
    }
    let digits: Vec<&str> = text
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .collect();
    let month = match digits.as_slice() {
        [y, m] if y.len() == 4 && m.len() <= 2 => format!("{y}-{m:0>2}"),
        _ => return Query::BadMonth(text.to_owned()),
    };
    match NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d") {
        Ok(_) => Query::Complaints(Some(month)),
        Err(_) => Query::BadMonth(text.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::Query;

    #[test]
    fn help_is_asked_in_chinese_or_english_with_any_reply_prefix() {
        for s in [
            "帮助",
            "help",
            "HELP",
            "使用说明",
            "Re: 帮助",
            "回复：使用说明",
            "查询",
        ] {
            assert_eq!(Query::parse(s), Some(Query::Help), "{s}");
        }
    }

    #[test]
    fn every_query_of_the_table_is_read_from_its_subject() {
        let cases = [
            ("查询-星河项目", Query::Project("星河项目".into())),
            ("查询－星河项目", Query::Project("星河项目".into())),
            (
                "Re: [SB-12] 查询-星河项目",
                Query::Project("星河项目".into()),
            ),
            ("查询-我的跟踪表", Query::MyTracking),
            ("查询-跟踪表-张三", Query::Tracking("张三".into())),
            ("查询-投诉统计", Query::Complaints(None)),
            (
                "查询-投诉统计-2026-11",
                Query::Complaints(Some("2026-11".into())),
            ),
            (
                "查询-投诉统计-2026年1月",
                Query::Complaints(Some("2026-01".into())),
            ),
            ("查询-投诉统计-2026-13", Query::BadMonth("2026-13".into())),
            ("查询-投诉统计-上月", Query::BadMonth("上月".into())),
            ("查询-遗留问题", Query::OpenItems),
            ("查询-待办", Query::Todo),
            (
                "查询-知识库-审计日志 导出",
                Query::Kb(vec!["审计日志".into(), "导出".into()]),
            ),
            ("查询-知识库", Query::Kb(vec![])),
            ("查询-任务-星河项目", Query::Tasks("星河项目".into())),
            ("查詢-遺留問題", Query::OpenItems),
        ];
        for (s, q) in cases {
            assert_eq!(Query::parse(s), Some(q), "{s}");
        }
    }

    #[test]
    fn a_keyword_glued_to_other_words_or_an_ordinary_subject_is_no_query() {
        for s in [
            "查询星河项目进度",
            "关于查询功能的建议",
            "客户沟通-星河项目-张三",
            "帮助一下",
            "",
        ] {
            assert_eq!(Query::parse(s), None, "{s}");
        }
    }
}
