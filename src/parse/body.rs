//! Body fields (`字段: 值`) and the sender's own words, with quoted history removed.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use super::{fold, nfkc};

/// The known field names (canonical → synonyms), from config.
#[derive(Debug, Clone, Default)]
pub struct FieldSchema {
    /// Folded name (NFKC, no whitespace, ASCII lower case) → canonical name.
    names: HashMap<String, String>,
}

impl FieldSchema {
    /// Builds a schema from `(canonical, synonyms)` pairs; the first claim on a name wins.
    pub fn new<I, S>(entries: I) -> Self
    where
        I: IntoIterator<Item = (S, Vec<S>)>,
        S: Into<String>,
    {
        let mut schema = FieldSchema::default();
        for (canonical, synonyms) in entries {
            let canonical: String = canonical.into();
            schema.add(&canonical, &canonical);
            for synonym in synonyms {
                schema.add(&synonym.into(), &canonical);
            }
        }
        schema
    }

    /// Adds canonical names with no synonyms (no-op for names already present).
    pub fn with_names(mut self, names: &[&str]) -> Self {
        for name in names {
            self.add(name, name);
        }
        self
    }

    fn add(&mut self, name: &str, canonical: &str) {
        let folded = fold_name(name);
        if !folded.is_empty() {
            self.names
                .entry(folded)
                .or_insert_with(|| canonical.to_owned());
        }
    }

    fn canonical(&self, name: &str) -> Option<&str> {
        self.names.get(&fold_name(name)).map(String::as_str)
    }
}

/// Fields read from a body, in order of appearance, keyed by canonical name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields {
    /// Every field line read, repeats included, in order.
    entries: Vec<(String, String)>,
}

impl Fields {
    /// The value, trimmed; Some("") when the field is present but empty; the first occurrence wins.
    pub fn get(&self, canonical: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(name, _)| name == canonical)
            .map(|(_, value)| value.as_str())
    }

    /// All `(canonical name, value)` pairs in order of appearance, repeats included.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
    }

    /// No field was read.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("constant pattern is a valid regex")
}

/// Optional list marker before a field name (after NFKC; circled numbers are made `•` first).
static BULLET: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^\s*(?:\d{1,3}\s*[.、)]|\(\s*\d{1,3}\s*\)|[-*•●·◆■])?\s*"));
static SEPARATOR_LINE: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)^\s*-{3,}\s*(?:原始邮件|原始郵件|邮件原件|original message|forwarded message)\s*-{3,}\s*$",
    )
});
static UNDERSCORE_LINE: LazyLock<Regex> = LazyLock::new(|| regex(r"^\s*_{10,}\s*$"));
static HEADER_FROM: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?i)^\s*\**\s*(?:发件人|發件人|寄件者|寄件人|from)\s*\**\s*:"));
static HEADER_NEXT: LazyLock<Regex> = LazyLock::new(|| {
    regex(concat!(
        r"(?i)^\s*\**\s*(?:发送时间|發送時間|寄件日期|日期|时间|時間|sent|date|收件人|收件者",
        r"|to|主题|主題|主旨|subject)\s*\**\s*:"
    ))
});
static WROTE_START: LazyLock<Regex> = LazyLock::new(|| regex(r"(?i)^\s*(?:在|on\s)"));
static WROTE_END: LazyLock<Regex> = LazyLock::new(|| regex(r"(?i)(?:写道|寫道|wrote)\s*:\s*$"));

/// Reads `字段: 值` lines from the new (non-quoted) part of a plain-text body.
///
/// Names are matched after NFKC; values are kept as written. A value runs on until the next
/// known field line (the last one until a blank line or `-- `).
pub fn parse_fields(text: &str, schema: &FieldSchema) -> Fields {
    let mut fields = Fields::default();
    let mut current: Option<(String, Vec<String>)> = None;
    for (raw_line, folded) in own_lines(text) {
        let first = raw_line.trim_start().chars().next();
        let circled = first.is_some_and(|c| ('\u{2460}'..='\u{2473}').contains(&c));
        let line = if circled {
            normalise_line(raw_line)
        } else {
            folded
        };
        if let Some((name, _)) = field_line(schema, &line) {
            push_field(&mut fields, current.take());
            current = Some((name.to_owned(), vec![raw_value(raw_line).to_owned()]));
        } else if let Some((_, lines)) = current.as_mut() {
            lines.push(raw_line.trim().to_owned());
        }
    }
    // The last field runs to the end of the body, where a closing line or a signature follows
    // (「谢谢」, a name, a phone number): its value ends at the first blank line after text, or
    // at a `-- ` signature delimiter.
    if let Some((_, lines)) = current.as_mut() {
        let mut seen_text = false;
        let end = lines.iter().position(|l| {
            let blank_after_text = l.is_empty() && seen_text;
            seen_text |= !l.is_empty();
            blank_after_text || l == "--"
        });
        if let Some(end) = end {
            lines.truncate(end);
        }
    }
    push_field(&mut fields, current);
    fields
}

/// The value of a field line as the sender wrote it (full-width punctuation kept): what follows
/// the first colon or closing bracket. Field names hold neither, so that is the separator.
fn raw_value(raw_line: &str) -> &str {
    let after = raw_line
        .find([':', '：', '】', ']'])
        .and_then(|at| raw_line.get(at..))
        .and_then(|rest| rest.chars().next().map(|c| &rest[c.len_utf8()..]))
        .unwrap_or_default()
        .trim_start();
    after.strip_prefix([':', '：']).unwrap_or(after).trim()
}

fn push_field(fields: &mut Fields, field: Option<(String, Vec<String>)>) {
    if let Some((name, lines)) = field {
        fields
            .entries
            .push((name, lines.join("\n").trim().to_owned()));
    }
}

/// NFKC, with a leading circled number (①–⑳) turned into a bullet so it does not become digits.
fn normalise_line(line: &str) -> String {
    let trimmed = line.trim_start();
    match trimmed.chars().next() {
        Some(c @ '\u{2460}'..='\u{2473}') => fold(&format!("•{}", &trimmed[c.len_utf8()..])),
        _ => fold(line),
    }
}

/// Name folding: NFKC, Simplified characters, whitespace removed, ASCII lower case.
fn fold_name(name: &str) -> String {
    fold(name)
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// `Some((canonical, raw value))` when `line` (already NFKC) starts a known field.
fn field_line<'s, 'l>(schema: &'s FieldSchema, line: &'l str) -> Option<(&'s str, &'l str)> {
    let start = BULLET.find(line).map_or(0, |m| m.end());
    let rest = line.get(start..)?;
    for (open, close) in [('[', ']'), ('【', '】')] {
        if let Some(inner) = rest.strip_prefix(open) {
            let (name, value) = inner.split_once(close)?;
            let value = value.trim_start();
            let value = value.strip_prefix(':').unwrap_or(value);
            return schema.canonical(name).map(|c| (c, value));
        }
    }
    let (name, value) = rest.split_once(':')?;
    schema.canonical(name).map(|c| (c, value))
}

/// The part of a body that is the sender's own words: quoted history removed.
///
/// Lines quoted with `>` are dropped; everything from the first history marker (original-message
/// separator, Outlook underscores, a `发件人:`/`From:` header block, `在 … 写道：`/`On … wrote:`)
/// is cut. Lines are returned as written, joined with LF, trailing whitespace trimmed.
pub fn strip_quoted(text: &str) -> String {
    let kept: Vec<&str> = own_lines(text).into_iter().map(|(line, _)| line).collect();
    kept.join("\n").trim_end().to_owned()
}

/// The lines [`strip_quoted`] keeps, each as written and [`fold`]ed. Only the lines up to the
/// history marker and the four after it (what [`history_starts_at`] reads) are folded: quoted
/// history is often the longer part of a reply, and nothing reads it.
fn own_lines(text: &str) -> Vec<(&str, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut folded: Vec<String> = Vec::with_capacity(lines.len());
    let mut cut = lines.len();
    for i in 0..lines.len() {
        let needed = (i + 5).min(lines.len());
        folded.extend(lines[folded.len()..needed].iter().map(|l| fold(l)));
        if history_starts_at(&folded, i) {
            cut = i;
            break;
        }
    }
    lines
        .into_iter()
        .zip(folded)
        .take(cut)
        .filter(|(_, norm)| !norm.trim_start().starts_with('>'))
        .collect()
}

/// Whether line `i` of the NFKC-normalised lines begins quoted history.
fn history_starts_at(lines: &[String], i: usize) -> bool {
    let Some(line) = lines.get(i) else {
        return false;
    };
    let next = lines.get(i + 1);
    SEPARATOR_LINE.is_match(line)
        || UNDERSCORE_LINE.is_match(line)
        || (HEADER_FROM.is_match(line)
            && lines.iter().skip(i + 1).take(4).any(|l| HEADER_NEXT.is_match(l)))
        || (WROTE_END.is_match(line) && (WROTE_START.is_match(line) || line.contains('@')))
        // NOTE: clients wrap a long "On … wrote:" line; the wrapped form needs a date or address.
        || (WROTE_START.is_match(line)
            && next.is_some_and(|n| {
                WROTE_END.is_match(n)
                    && format!("{line}{n}").contains(|c: char| c.is_ascii_digit() || c == '@')
            }))
}

/// First non-empty line of the sender's own words (used for thread commands), trimmed.
///
/// The line is NFKC-normalised, so `驳回：理由` reads as `驳回:理由`.
pub fn first_line(text: &str) -> Option<String> {
    strip_quoted(text)
        .lines()
        .map(|line| nfkc(line).trim().to_owned())
        .find(|line| !line.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> FieldSchema {
        FieldSchema::new([
            ("沟通结果", vec!["结果"]),
            ("沟通人", vec!["客户联系人"]),
            ("沟通的具体问题", vec!["具体问题", "沟通内容"]),
            ("遗留的问题描述", vec!["遗留问题"]),
        ])
        .with_names(&["项目名称", "优先级", "沟通时间", "Contract No"])
    }

    #[test]
    fn a_signature_after_the_last_field_is_not_part_of_it() {
        let body = "沟通结果: 成功\n沟通的具体问题: 调整审计策略\n按表名过滤\n\n张三\n技术支持部 138-0000-0000\n";
        let fields = parse_fields(body, &schema());
        assert_eq!(
            fields.get("沟通的具体问题"),
            Some("调整审计策略\n按表名过滤")
        );
        let body = "沟通结果: 成功\n具体问题: 调整审计策略\n-- \n张三";
        assert_eq!(
            parse_fields(body, &schema()).get("沟通的具体问题"),
            Some("调整审计策略")
        );
    }

    #[test]
    fn a_blank_line_inside_the_fields_keeps_the_value_whole() {
        let body = "具体问题: 第一段\n\n第二段\n沟通结果: 成功\n";
        assert_eq!(
            parse_fields(body, &schema()).get("沟通的具体问题"),
            Some("第一段\n\n第二段")
        );
    }

    #[test]
    fn report_fields_are_read_with_either_colon() {
        let fields = parse_fields("沟通结果: 问题遗留\n项目名称：星河项目\n", &schema());
        assert_eq!(fields.get("沟通结果"), Some("问题遗留"));
        assert_eq!(fields.get("项目名称"), Some("星河项目"));
        assert_eq!(fields.get("沟通人"), None);
    }

    #[test]
    fn synonyms_bullets_and_numbering_map_to_the_canonical_name() {
        let text = "1. 结果: 成功\r\n2、客户联系人：王工\r\n（3）遗留问题: 无\r\n① 优先级: 重要\r\n● 沟通内容: 调试\r\n【项目名称】星河\r\n[沟通时间] 14:30";
        let fields = parse_fields(text, &schema());
        let read: Vec<_> = fields.iter().collect();
        assert_eq!(
            read,
            [
                ("沟通结果", "成功"),
                ("沟通人", "王工"),
                ("遗留的问题描述", "无"),
                ("优先级", "重要"),
                ("沟通的具体问题", "调试"),
                ("项目名称", "星河"),
                ("沟通时间", "14:30"),
            ]
        );
    }

    #[test]
    fn field_names_ignore_case_inner_spaces_and_full_width_letters() {
        let fields = parse_fields("ＣＯＮＴＲＡＣＴ　no: HT-1\n沟 通 结 果 ： 成功", &schema());
        assert_eq!(fields.get("Contract No"), Some("HT-1"));
        assert_eq!(fields.get("沟通结果"), Some("成功"));
    }

    #[test]
    fn value_continues_until_the_next_known_field() {
        let text = "沟通内容: 第一行\n  备注: 第二行\n\n第三行\n\n优先级: 一般\n\n";
        let fields = parse_fields(text, &schema());
        assert_eq!(
            fields.get("沟通的具体问题"),
            Some("第一行\n备注: 第二行\n\n第三行")
        );
        assert_eq!(fields.get("优先级"), Some("一般"));
    }

    #[test]
    fn empty_field_is_present_and_first_occurrence_wins() {
        let fields = parse_fields("遗留问题:\n优先级: 紧急\n优先级: 一般", &schema());
        assert_eq!(fields.get("遗留的问题描述"), Some(""));
        assert_eq!(fields.get("优先级"), Some("紧急"));
        assert_eq!(fields.iter().count(), 3);
    }

    #[test]
    fn text_before_the_first_field_and_unknown_names_are_ignored() {
        let fields = parse_fields("王经理好：\n备注: 无\n", &schema());
        assert!(fields.is_empty());
    }

    #[test]
    fn quoted_history_after_original_message_is_not_read() {
        let text = "结果: 成功\n\n------------------ 原始邮件 ------------------\n结果: 问题遗留";
        assert_eq!(parse_fields(text, &schema()).get("沟通结果"), Some("成功"));
        let text = "同意\n-----Original Message-----\nFrom: a";
        assert_eq!(strip_quoted(text), "同意");
    }

    #[test]
    fn quoted_lines_are_dropped_but_inline_answers_kept() {
        let text = "> 结果: 问题遗留\n结果: 成功\n  >> 旧\n再说";
        assert_eq!(strip_quoted(text), "结果: 成功\n再说");
    }

    #[test]
    fn outlook_header_block_starts_the_history() {
        let text =
            "已解决\n\n发件人: 张三 <zs@example.com>\n发送时间: 2026年11月25日 14:30\n收件人: 支持";
        assert_eq!(strip_quoted(text), "已解决");
        let text = "ok\n*From:* a@b.c\n*Sent:* Monday\n";
        assert_eq!(strip_quoted(text), "ok");
        let text = "ok\n__________\nx";
        assert_eq!(strip_quoted(text), "ok");
    }

    #[test]
    fn from_line_without_header_block_is_kept() {
        let text = "From: 客户王工的反馈\n内容很多";
        assert_eq!(strip_quoted(text), text);
    }

    #[test]
    fn wrote_lines_start_the_history_even_when_wrapped() {
        assert_eq!(
            strip_quoted("同意\n在 2026年11月25日 14:30，张三 写道：\n> x"),
            "同意"
        );
        assert_eq!(
            strip_quoted("ok\nOn Wed, Nov 25, 2026 at 2:30 PM Zhang <\nzs@x.com> wrote:\nold"),
            "ok"
        );
        assert_eq!(
            strip_quoted("ok\n张三 <zs@x.com> 于2026年11月25日写道：\nold"),
            "ok"
        );
        let own = "在客户现场调试\n客户说明如下";
        assert_eq!(strip_quoted(own), own);
    }

    #[test]
    fn first_line_skips_blank_lines_and_quotes() {
        assert_eq!(
            first_line("\r\n  \r\n> 旧\r\n 驳回：理由不足 \r\n"),
            Some("驳回:理由不足".into())
        );
        assert_eq!(first_line("> only quoted"), None);
        assert_eq!(first_line(""), None);
    }

    #[test]
    fn with_names_does_not_override_an_existing_synonym() {
        let schema = schema().with_names(&["结果"]);
        assert_eq!(
            parse_fields("结果: 成功", &schema).get("沟通结果"),
            Some("成功")
        );
    }

    /// [`strip_quoted`] written the plain way: every line folded, then the first marker.
    fn strip_quoted_by_every_line(text: &str) -> String {
        let lines: Vec<&str> = text.lines().collect();
        let normalised: Vec<String> = lines.iter().map(|l| fold(l)).collect();
        let cut = (0..normalised.len())
            .find(|&i| history_starts_at(&normalised, i))
            .unwrap_or(normalised.len());
        let kept: Vec<&str> = lines
            .iter()
            .zip(&normalised)
            .take(cut)
            .filter(|(_, n)| !n.trim_start().starts_with('>'))
            .map(|(l, _)| *l)
            .collect();
        kept.join("\n").trim_end().to_owned()
    }

    proptest::proptest! {
        /// Folding only up to the history marker keeps what folding every line kept.
        #[test]
        fn the_lines_kept_do_not_depend_on_folding_the_history(
            lines in proptest::collection::vec(
                "(>|-----原始邮件-----|_{10}|发件人:|From: a|Sent: x|主题: y|在 2026年 a@b.c 写道：|On Mon wrote:|沟通结果：成功|ｏｋ|①问题|谢谢| )*",
                0..12,
            ),
        ) {
            let text = lines.join("\n");
            proptest::prop_assert_eq!(strip_quoted(&text), strip_quoted_by_every_line(&text));
        }
    }
}
