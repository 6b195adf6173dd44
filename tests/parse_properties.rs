//! Property tests for `supportbot::parse`: hostile input never panics, and the ways real people
//! type a workflow subject or a body field all read the same as the canonical form.

use proptest::prelude::*;
use supportbot::parse::{
    FieldSchema, SubjectClass, SubjectKind, first_line, parse_fields, parse_subject, strip_quoted,
};

const KINDS: &[(SubjectKind, &str)] = &[
    (SubjectKind::Initiation, "立项"),
    (SubjectKind::Report, "客户沟通"),
    (SubjectKind::Complaint, "投诉"),
    (SubjectKind::ComplaintWithdrawal, "撤销投诉"),
    (SubjectKind::ImprovementRequest, "产品改进申请"),
    (SubjectKind::FaultOrder, "故障处理"),
    (SubjectKind::BugFeedback, "bug反馈"),
];

const PREFIXES: &[&str] = &[
    "Re: ",
    "RE：",
    "re:",
    "Fw: ",
    "FW：",
    "Fwd:",
    "回复：",
    "回复:",
    "答复: ",
    "转发: ",
    "转发：",
    "Re[2]: ",
    "[EXTERNAL] ",
    "[外部邮件]",
    "【外部邮件】 ",
    "[SB-12] ",
    "[SB-3] 已退回：",
    "格式提示: ",
];

/// Separators allowed right after the keyword.
const LEAD_SEPS: &[&str] = &[
    "-", "－", "—", "——", "–", "_", "~", ":", "：", " - ", " —— ", " ", "- ", " －", "：  ",
];

/// Separators allowed between segments (no colon).
const SEGMENT_SEPS: &[&str] = &["-", "－", "—", "——", "–", "_", " - ", " — ", " ", " _ "];

/// Chars with a full-width form map onto it (`A` → `Ａ`, `1` → `１`).
fn full_width(s: &str, mask: &[bool]) -> String {
    s.chars()
        .zip(mask.iter().chain(std::iter::repeat(&false)))
        .map(|(c, &wide)| match c {
            '!'..='~' if wide => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect()
}

fn canonical_and_variant(
    kind: usize,
    project: &str,
    engineer: &str,
    prefixes: &[usize],
    seps: (usize, usize),
    mask: &[bool],
) -> (String, String) {
    let (kind, keyword) = KINDS[kind % KINDS.len()];
    let lead = LEAD_SEPS[seps.0 % LEAD_SEPS.len()];
    let between = SEGMENT_SEPS[seps.1 % SEGMENT_SEPS.len()];
    let wide = full_width(project, mask);
    let (canonical, tail) = match kind {
        SubjectKind::Report => (
            format!("{keyword}-{project}-{engineer}"),
            format!("{wide}{between}{engineer}"),
        ),
        SubjectKind::Complaint => {
            // The canonical form glues 沟通问题 on; people also set it off as a segment.
            let glue = if seps.1.is_multiple_of(2) {
                ""
            } else {
                between
            };
            (
                format!("{keyword}-{project}沟通问题"),
                format!("{wide}{glue}沟通问题"),
            )
        }
        _ => (format!("{keyword}-{project}"), wide),
    };
    let chain: String = prefixes
        .iter()
        .map(|&p| PREFIXES[p % PREFIXES.len()])
        .collect();
    (canonical, format!("{chain}{keyword}{lead}{tail}"))
}

proptest! {
    #[test]
    fn subject_parsing_never_panics_on_any_string(raw in any::<String>()) {
        let _ = parse_subject(&raw);
    }

    /// `parse::nfkc` skips the work when the quick check says the text is already NFKC; it
    /// must still be NFKC, for any text and for the full-width, compatibility and combining
    /// characters staff type.
    #[test]
    fn the_quick_nfkc_is_the_full_nfkc(
        any_text in any::<String>(),
        typed in "[a-zA-Z0-9:：ＡＺａｚ０９－—（）①②ｶﾞ\u{F900}\u{2F00}\u{0301}\u{00E9}e星河沟通 ]{0,40}",
    ) {
        use unicode_normalization::UnicodeNormalization;
        for s in [&any_text, &typed] {
            let full: String = s.nfkc().collect();
            prop_assert_eq!(supportbot::parse::nfkc(s), full, "{:?}", s);
        }
    }

    #[test]
    fn subject_parsing_never_panics_on_near_workflow_noise(
        raw in "[客户沟通立项投诉撤销故障处理bugBUG反馈\\-—–_~:：\\[\\]【】 SBRe回复0-9ＡＺ①\r\n\t项目]{0,40}"
    ) {
        let _ = parse_subject(&raw);
    }

    #[test]
    fn every_way_of_typing_a_canonical_subject_reads_the_same(
        kind in 0..KINDS.len(),
        project in "[星河月光云ABCxyz019]{1,6}(项目)?",
        engineer in "[张李王三四五]{1,3}",
        prefixes in prop::collection::vec(0..PREFIXES.len(), 0..=4),
        seps in (0..LEAD_SEPS.len(), 0..SEGMENT_SEPS.len()),
        mask in prop::collection::vec(any::<bool>(), 8),
    ) {
        let (canonical, variant) =
            canonical_and_variant(kind, &project, &engineer, &prefixes, seps, &mask);
        let expected = parse_subject(&canonical).class;
        prop_assert!(matches!(expected, SubjectClass::Workflow(_)), "{canonical}: {expected:?}");
        prop_assert_eq!(parse_subject(&variant).class, expected, "{}", variant);
    }
}

fn schema() -> FieldSchema {
    FieldSchema::new([
        ("沟通结果", vec!["结果"]),
        ("沟通人", vec!["客户联系人"]),
        ("沟通方式", vec!["方式"]),
        ("沟通的具体问题", vec!["具体问题", "沟通内容"]),
        ("遗留的问题描述", vec!["遗留问题"]),
    ])
    .with_names(&["项目名称", "优先级", "沟通时间"])
}

/// (canonical, every name it may be written as)
const NAMES: &[(&str, &[&str])] = &[
    ("沟通结果", &["沟通结果", "结果"]),
    ("沟通人", &["沟通人", "客户联系人"]),
    ("沟通方式", &["沟通方式", "方式"]),
    (
        "沟通的具体问题",
        &["沟通的具体问题", "具体问题", "沟通内容"],
    ),
    ("遗留的问题描述", &["遗留的问题描述", "遗留问题"]),
    ("项目名称", &["项目名称"]),
    ("优先级", &["优先级"]),
    ("沟通时间", &["沟通时间"]),
];

const BULLETS: &[&str] = &[
    "", "1. ", "2、", "3)", "4）", "(5) ", "（6）", "① ", "⑳", "- ", "* ", "• ", "● ", "· ", "◆ ",
    "■ ", "  ",
];

/// A body field: which name, how it is written, its value and continuation lines.
type FieldSpec = (usize, usize, usize, bool, String, Vec<String>);

fn field_spec() -> impl Strategy<Value = FieldSpec> {
    (
        0..NAMES.len(),
        0..3usize,
        0..BULLETS.len(),
        any::<bool>(),
        "[一-龥a-z0-9 ]{0,12}",
        prop::collection::vec("[一-龥a-z0-9]{1,8}", 0..3),
    )
}

fn quoted_block(style: usize, conflict: &str) -> String {
    match style % 6 {
        0 => format!("\n-----原始邮件-----\n{conflict}"),
        1 => format!("\n----- Original Message -----\nFrom: a@b.c\n{conflict}"),
        2 => format!("\n发件人: 张三\n发送时间: 2026年1月1日\n收件人: 支持\n{conflict}"),
        3 => format!("\nOn Mon, 1 Jan 2026 a@b.c wrote:\n{conflict}"),
        4 => format!("\n在 2026年1月1日 张三 写道：\n{conflict}"),
        _ => conflict.lines().map(|l| format!("\n> {l}")).collect(),
    }
}

proptest! {
    #[test]
    fn body_parsing_never_panics_on_any_string(raw in any::<String>()) {
        let _ = parse_fields(&raw, &schema());
        let _ = strip_quoted(&raw);
        let _ = first_line(&raw);
    }

    #[test]
    fn fields_read_the_same_however_they_are_written(
        specs in prop::collection::vec(field_spec(), 1..6),
        crlf in any::<bool>(),
        style in 0..6usize,
    ) {
        let mut plain = String::new();
        let mut dressed = String::new();
        let mut conflict = String::new();
        let mut expected = Vec::new();
        for (name, synonym, bullet, wide_colon, value, more) in &specs {
            let (canonical, spellings) = NAMES[*name];
            let spelling = spellings[synonym % spellings.len()];
            let colon = if *wide_colon { " ：" } else { ": " };
            plain.push_str(&format!("{canonical}: {value}\n"));
            dressed.push_str(&format!("{}{spelling}{colon}{value}\n", BULLETS[*bullet]));
            conflict.push_str(&format!("{canonical}: 冲突{value}\n"));
            for line in more {
                plain.push_str(&format!("{line}\n"));
                dressed.push_str(&format!("  {line}\n"));
            }
            let mut lines = vec![value.trim().to_owned()];
            lines.extend(more.iter().cloned());
            expected.push((canonical, lines.join("\n").trim().to_owned()));
        }
        dressed.push_str(&quoted_block(style, &conflict));
        if crlf {
            dressed = dressed.replace('\n', "\r\n");
        }
        let plain_fields = parse_fields(&plain, &schema());
        let read: Vec<(&str, &str)> = plain_fields.iter().collect();
        let expected: Vec<(&str, &str)> = expected.iter().map(|(n, v)| (*n, v.as_str())).collect();
        prop_assert_eq!(read, expected);
        prop_assert_eq!(parse_fields(&dressed, &schema()), plain_fields);
    }
}
