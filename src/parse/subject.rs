//! Workflow subjects (邮件主题): which of the eight formats a subject is, and what it names.

use std::sync::LazyLock;

use regex::Regex;

use super::{nfkc, simplified};

/// The eight subject formats staff write (mail-formats.md, «Subjects»; tasks.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubjectKind {
    /// 立项 (第九条).
    Initiation,
    /// 客户沟通 report (第十二条).
    Report,
    /// 投诉 (第十三条).
    Complaint,
    /// 撤销投诉.
    ComplaintWithdrawal,
    /// 产品改进申请单 (第二十一条).
    ImprovementRequest,
    /// 故障处理工作单 (第四十四条).
    FaultOrder,
    /// 内部bug反馈表 (第八条).
    BugFeedback,
    /// 集成部任务申请 (设计 or 施工, tasks.md).
    TaskRequest,
}

impl SubjectKind {
    /// JSON name: "initiation" "report" "complaint" "complaint_withdrawal" "improvement_request" "fault_order" "bug_feedback" "task_request"
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::Initiation => "initiation",
            SubjectKind::Report => "report",
            SubjectKind::Complaint => "complaint",
            SubjectKind::ComplaintWithdrawal => "complaint_withdrawal",
            SubjectKind::ImprovementRequest => "improvement_request",
            SubjectKind::FaultOrder => "fault_order",
            SubjectKind::BugFeedback => "bug_feedback",
            SubjectKind::TaskRequest => "task_request",
        }
    }

    /// Every kind.
    pub const ALL: [SubjectKind; 8] = [
        SubjectKind::Initiation,
        SubjectKind::Report,
        SubjectKind::Complaint,
        SubjectKind::ComplaintWithdrawal,
        SubjectKind::ImprovementRequest,
        SubjectKind::FaultOrder,
        SubjectKind::BugFeedback,
        SubjectKind::TaskRequest,
    ];

    /// Canonical subject template, e.g. "客户沟通-项目名称-技服人员名字".
    pub fn template(self) -> &'static str {
        match self {
            SubjectKind::Initiation => "立项-项目名称",
            SubjectKind::Report => "客户沟通-项目名称-技服人员名字",
            SubjectKind::Complaint => "投诉-项目名称沟通问题",
            SubjectKind::ComplaintWithdrawal => "撤销投诉-项目名称",
            SubjectKind::ImprovementRequest => "产品改进申请-项目名称",
            SubjectKind::FaultOrder => "故障处理-项目名称",
            SubjectKind::BugFeedback => "bug反馈-产品或模块名",
            SubjectKind::TaskRequest => "任务申请-任务类型-项目名称",
        }
    }
}

/// A subject read as one of the workflow formats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowSubject {
    /// Which format it is.
    pub kind: SubjectKind,
    /// Project as typed (NFKC, trimmed); None only for BugFeedback.
    pub project: Option<String>,
    /// Report only: the engineer's name as typed (NFKC, trimmed).
    pub engineer: Option<String>,
    /// BugFeedback: product or module name; TaskRequest: the task type, `设计` or `施工`.
    pub topic: Option<String>,
}

/// Placeholders of the templates; a subject that still holds one was not filled in.
const PROJECT_PLACEHOLDER: &str = "项目名称";
const ENGINEER_PLACEHOLDER: &str = "技服人员名字";
const TOPIC_PLACEHOLDER: &str = "产品或模块名";
const TASK_TYPE_PLACEHOLDER: &str = "任务类型";

impl WorkflowSubject {
    /// The canonical subject, e.g. "客户沟通-星河项目-张三"; missing parts show as placeholders.
    pub fn canonical(&self) -> String {
        let project = self.project.as_deref().unwrap_or(PROJECT_PLACEHOLDER);
        match self.kind {
            SubjectKind::Initiation => format!("立项-{project}"),
            SubjectKind::Report => {
                let engineer = self.engineer.as_deref().unwrap_or(ENGINEER_PLACEHOLDER);
                format!("客户沟通-{project}-{engineer}")
            }
            SubjectKind::Complaint => format!("投诉-{project}沟通问题"),
            SubjectKind::ComplaintWithdrawal => format!("撤销投诉-{project}"),
            SubjectKind::ImprovementRequest => format!("产品改进申请-{project}"),
            SubjectKind::FaultOrder => format!("故障处理-{project}"),
            SubjectKind::BugFeedback => {
                format!(
                    "bug反馈-{}",
                    self.topic.as_deref().unwrap_or(TOPIC_PLACEHOLDER)
                )
            }
            SubjectKind::TaskRequest => {
                let kind = self.topic.as_deref().unwrap_or(TASK_TYPE_PLACEHOLDER);
                format!("任务申请-{kind}-{project}")
            }
        }
    }

    /// A subject of `kind` with nothing read yet (its canonical form is the template).
    pub fn empty(kind: SubjectKind) -> Self {
        WorkflowSubject {
            kind,
            project: None,
            engineer: None,
            topic: None,
        }
    }
}

/// What a subject is, as far as the workflow cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubjectClass {
    /// A well-formed workflow subject.
    Workflow(WorkflowSubject),
    /// Clearly tries to be `kind` but cannot be read; `hint` is the canonical form with what could be read filled in, e.g. "客户沟通-星河项目-技服人员名字".
    NearMiss {
        /// The format it tries to be.
        kind: SubjectKind,
        /// The canonical subject to suggest to the sender.
        hint: String,
    },
    /// 自动回复 / Automatic reply / Out of Office / Undeliverable / 退信 …
    AutoReply,
    /// Anything else: ignored by the workflow.
    Ordinary,
}

/// A subject after prefixes and tags are taken off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedSubject {
    /// The n of the first `[SB-n]` tag anywhere in the subject (the bot tags its own mail so).
    pub tag: Option<u64>,
    /// At least one reply prefix (Re:/回复:/答复:) was stripped (forward prefixes alone: false).
    pub is_reply: bool,
    /// What the subject is.
    pub class: SubjectClass,
    /// The subject as [`stripped`] gives it, kept so a query subject is not read twice.
    pub stripped: String,
}

/// Words the bot itself puts after its tag, e.g. "[SB-12] 已退回：客户沟通-星河项目-张三"; stripped like prefixes.
pub const BOT_STATUS_WORDS: &[&str] = &[
    "已记录",
    "已退回",
    "格式提示",
    "请补立项",
    "已转发",
    "通知",
    "提醒",
];

/// Subject keywords, Simplified and Traditional; a keyword comes before any keyword it prefixes.
const KEYWORDS: &[(&str, SubjectKind)] = &[
    ("撤销投诉", SubjectKind::ComplaintWithdrawal),
    ("撤銷投訴", SubjectKind::ComplaintWithdrawal),
    ("撤消投诉", SubjectKind::ComplaintWithdrawal),
    ("产品改进申请单", SubjectKind::ImprovementRequest),
    ("产品改进申请", SubjectKind::ImprovementRequest),
    ("產品改進申請單", SubjectKind::ImprovementRequest),
    ("產品改進申請", SubjectKind::ImprovementRequest),
    ("故障处理工作单", SubjectKind::FaultOrder),
    ("故障处理", SubjectKind::FaultOrder),
    ("故障處理工作單", SubjectKind::FaultOrder),
    ("故障處理", SubjectKind::FaultOrder),
    ("内部bug反馈表", SubjectKind::BugFeedback),
    ("内部bug反馈", SubjectKind::BugFeedback),
    ("bug反馈表", SubjectKind::BugFeedback),
    ("bug反馈", SubjectKind::BugFeedback),
    ("內部bug反饋表", SubjectKind::BugFeedback),
    ("內部bug反饋", SubjectKind::BugFeedback),
    ("bug反饋表", SubjectKind::BugFeedback),
    ("bug反饋", SubjectKind::BugFeedback),
    ("任务申请单", SubjectKind::TaskRequest),
    ("任务申请", SubjectKind::TaskRequest),
    ("任務申請單", SubjectKind::TaskRequest),
    ("任務申請", SubjectKind::TaskRequest),
    ("客户沟通", SubjectKind::Report),
    ("客戶溝通", SubjectKind::Report),
    ("立项", SubjectKind::Initiation),
    ("立項", SubjectKind::Initiation),
    ("投诉", SubjectKind::Complaint),
    ("投訴", SubjectKind::Complaint),
];

/// Starts of auto-replies and bounces (checked ASCII case-insensitively).
const AUTO_REPLY_PREFIXES: &[&str] = &[
    "自动回复",
    "自动答复",
    "自動回覆",
    "自動回復",
    "automatic reply",
    "auto reply",
    "autoreply",
    "auto-reply",
    "out of office",
    "ooo",
    "外出",
    "休假",
    "不在办公室",
    "离开办公室",
    "undeliverable",
    "undelivered mail",
    "delivery status notification",
    "mail delivery failed",
    "退信",
    "系统退信",
];

/// Complaint subjects end in 「沟通问题」 (第十三条); these endings are not part of the project.
const COMPLAINT_SUFFIXES: &[&str] = &["的沟通问题", "沟通问题", "的溝通問題", "溝通問題"];

/// Dash-like separators (after NFKC; `－` is already `-`).
const DASHES: &str = "-—–_~‐‑‒―−〜";

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("constant pattern is a valid regex")
}

static TAG: LazyLock<Regex> = LazyLock::new(|| regex(r"(?i)[\[【]\s*SB\s*-\s*(\d{1,20})\s*[\]】]"));
static REPLY: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^(?i:re|回复|答复|回覆|回復)\s*(?:[\[(]\s*\d*\s*[\])])?\s*:\s*"));
static FORWARD: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^(?i:fwd|fw|转发|轉發|转寄|轉寄)\s*(?:[\[(]\s*\d*\s*[\])])?\s*:\s*"));
static FRONT_TAG: LazyLock<Regex> = LazyLock::new(|| regex(r"^(?:\[[^\]]*\]|【[^】]*】)\s*"));
static STATUS: LazyLock<Regex> = LazyLock::new(|| {
    let words: Vec<String> = BOT_STATUS_WORDS.iter().map(|w| regex::escape(w)).collect();
    regex(&format!(r"^(?:{})\s*:\s*", words.join("|")))
});
static LEAD_SEP: LazyLock<Regex> =
    LazyLock::new(|| regex(&format!(r"^\s*(?:[{}:]\s*)+", regex::escape(DASHES))));
static DASH_SPLIT: LazyLock<Regex> =
    LazyLock::new(|| regex(&format!(r"\s*(?:[{}]\s*)+", regex::escape(DASHES))));

/// Reads a decoded subject: tag, reply prefixes, and which workflow format (if any) it is.
pub fn parse_subject(raw: &str) -> ParsedSubject {
    let unfolded = unfold(raw);
    let tag = TAG
        .captures_iter(&unfolded)
        .find_map(|c| c.get(1).and_then(|n| n.as_str().parse::<u64>().ok()));
    let (rest, is_reply) = strip_prefixes(&unfolded);
    let class = if is_auto_reply(&unfolded) || is_auto_reply(rest) {
        SubjectClass::AutoReply
    } else {
        classify(rest)
    };
    let stripped = rest.to_owned();
    ParsedSubject {
        tag,
        is_reply,
        class,
        stripped,
    }
}

/// The subject with tags, reply/forward prefixes and bot status words taken off (NFKC, one
/// space between words): what a query subject (queries.md §1) is read from.
pub fn stripped(raw: &str) -> String {
    let unfolded = unfold(raw);
    strip_prefixes(&unfolded).0.to_owned()
}

/// CR/LF/TAB and other whitespace become single spaces; NFKC; trimmed.
fn unfold(raw: &str) -> String {
    nfkc(raw).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Takes reply/forward prefixes, front bracket tags and bot status words off the front.
fn strip_prefixes(text: &str) -> (&str, bool) {
    let mut rest = text.trim();
    let mut is_reply = false;
    loop {
        if let Some(m) = REPLY.find(rest) {
            is_reply = true;
            rest = &rest[m.end()..];
        } else if let Some(m) = FORWARD.find(rest).or_else(|| STATUS.find(rest)) {
            rest = &rest[m.end()..];
        } else if let Some(m) = FRONT_TAG
            .find(rest)
            .filter(|m| !rest[m.end()..].trim().is_empty())
        {
            rest = &rest[m.end()..];
        } else {
            return (rest.trim(), is_reply);
        }
    }
}

fn starts_with_ignore_ascii_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

fn is_auto_reply(text: &str) -> bool {
    AUTO_REPLY_PREFIXES
        .iter()
        .any(|p| starts_with_ignore_ascii_case(text, p))
}

/// Classifies prefix-stripped text by its leading keyword (matched in Simplified characters, so
/// 客戶溝通 and 客户沟通 are one keyword; the rest is read as written).
fn classify(text: &str) -> SubjectClass {
    let folded = simplified(text);
    let Some((kw, kind)) = KEYWORDS
        .iter()
        .find(|(kw, _)| starts_with_ignore_ascii_case(&folded, kw))
    else {
        return SubjectClass::Ordinary;
    };
    // The conversion is character for character: the keyword is as many characters of `text`.
    let at = text
        .char_indices()
        .nth(kw.chars().count())
        .map_or(text.len(), |(i, _)| i);
    let after = &text[at..];
    if after.trim().is_empty() {
        return SubjectClass::NearMiss {
            kind: *kind,
            hint: kind.template().to_owned(),
        };
    }
    let separated = LEAD_SEP.find(after).map(|m| &after[m.end()..]);
    let body = separated.or_else(|| after.starts_with(' ').then(|| after.trim_start()));
    match (body, read(*kind, body.unwrap_or(after))) {
        (Some(_), Ok(subject)) => SubjectClass::Workflow(subject),
        (Some(_), Err(hint)) => SubjectClass::NearMiss { kind: *kind, hint },
        // NOTE: no separator (`投诉星河项目`): never guessed, but when what follows the keyword
        // names a project the hint shows the reading. A keyword glued into ordinary words
        // (`客户沟通技巧培训通知`) is ordinary mail (mail-formats.md, near-miss rule).
        (None, reading) if names_a_project(after) => SubjectClass::NearMiss {
            kind: *kind,
            hint: reading.map_or_else(|hint| hint, |subject| subject.canonical()),
        },
        (None, _) => SubjectClass::Ordinary,
    }
}

/// The task type a subject segment names: 设计 (also 技术支持) or 施工, in Simplified.
pub fn task_type(segment: &str) -> Option<&'static str> {
    match simplified(segment.trim()).as_str() {
        "设计" | "技术支持" | "设计任务" => Some("设计"),
        "施工" | "施工任务" => Some("施工"),
        _ => None,
    }
}

/// Whether text glued to a keyword names a project: it holds 项目 (or 項目).
fn names_a_project(text: &str) -> bool {
    simplified(text).contains("项目")
}

/// Splits the text after the separator into non-empty segments, with the joiner to put back.
fn segments(body: &str) -> (Vec<&str>, &'static str) {
    if DASH_SPLIT.is_match(body) {
        let parts = DASH_SPLIT
            .split(body)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        (parts, "-")
    } else {
        (body.split_whitespace().collect(), " ")
    }
}

/// Reads the part after keyword and separator; `Err` carries the hint for a near-miss.
fn read(kind: SubjectKind, body: &str) -> Result<WorkflowSubject, String> {
    let (mut parts, joiner) = segments(body);
    let mut subject = WorkflowSubject::empty(kind);
    match kind {
        SubjectKind::Report => {
            let engineer = if parts.len() >= 2 { parts.pop() } else { None };
            subject.engineer = engineer.map(str::to_owned);
            subject.project = Some(parts.join(joiner)).filter(|p| !p.is_empty());
        }
        SubjectKind::Complaint | SubjectKind::ComplaintWithdrawal => {
            if parts
                .last()
                .is_some_and(|last| COMPLAINT_SUFFIXES.contains(last))
            {
                parts.pop();
            }
            let joined = parts.join(joiner);
            let project = COMPLAINT_SUFFIXES
                .iter()
                .find_map(|s| joined.strip_suffix(s))
                .unwrap_or(&joined)
                .trim();
            // Staff describe the problem after the project: 「投诉-星河项目响应不及时」,
            // 「投诉-星河-文档问题」. The project ends at its first 项目, else at the first separator.
            let project = match project.find("项目").or_else(|| project.find("項目")) {
                Some(at) => &project[..at + "项目".len()],
                None if parts.len() > 1 => parts[0],
                None => project,
            };
            subject.project = Some(project.to_owned()).filter(|p| !p.is_empty());
        }
        SubjectKind::BugFeedback => {
            subject.topic = Some(parts.join(joiner)).filter(|t| !t.is_empty());
        }
        SubjectKind::Initiation | SubjectKind::ImprovementRequest | SubjectKind::FaultOrder => {
            subject.project = Some(parts.join(joiner)).filter(|p| !p.is_empty());
        }
        SubjectKind::TaskRequest => {
            // 任务申请-设计-星河项目: the type first; 技术支持 is the seed's other name for 设计.
            let kind = parts.first().and_then(|first| task_type(first));
            if kind.is_some() {
                parts.remove(0);
            }
            subject.topic = kind.map(str::to_owned);
            subject.project = Some(parts.join(joiner)).filter(|p| !p.is_empty());
        }
    }
    let is_placeholder = |field: &Option<String>, placeholder: &str| {
        field.as_deref().is_none_or(|value| value == placeholder)
    };
    let incomplete = match kind {
        SubjectKind::Report => {
            is_placeholder(&subject.project, PROJECT_PLACEHOLDER)
                || is_placeholder(&subject.engineer, ENGINEER_PLACEHOLDER)
        }
        SubjectKind::BugFeedback => is_placeholder(&subject.topic, TOPIC_PLACEHOLDER),
        SubjectKind::TaskRequest => {
            subject.topic.is_none() || is_placeholder(&subject.project, PROJECT_PLACEHOLDER)
        }
        _ => is_placeholder(&subject.project, PROJECT_PLACEHOLDER),
    };
    if incomplete {
        Err(subject.canonical())
    } else {
        Ok(subject)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(raw: &str) -> SubjectClass {
        parse_subject(raw).class
    }

    fn workflow(kind: SubjectKind, project: Option<&str>, engineer: Option<&str>) -> SubjectClass {
        let mut subject = WorkflowSubject::empty(kind);
        subject.project = project.map(str::to_owned);
        subject.engineer = engineer.map(str::to_owned);
        SubjectClass::Workflow(subject)
    }

    fn near_miss(kind: SubjectKind, hint: &str) -> SubjectClass {
        SubjectClass::NearMiss {
            kind,
            hint: hint.to_owned(),
        }
    }

    #[test]
    fn canonical_report_reads_project_and_engineer() {
        let report = workflow(SubjectKind::Report, Some("星河项目"), Some("张三"));
        assert_eq!(class("客户沟通-星河项目-张三"), report);
    }

    #[test]
    fn full_width_dash_separators_read_as_canonical() {
        let report = workflow(SubjectKind::Report, Some("星河项目"), Some("张三"));
        for raw in [
            "客户沟通－星河项目－张三",
            "客户沟通 —— 星河项目 — 张三",
            "客户沟通_星河项目–张三",
        ] {
            assert_eq!(class(raw), report, "{raw}");
        }
    }

    #[test]
    fn mixed_reply_forward_prefixes_and_tags_are_stripped() {
        let parsed = parse_subject("RE: 转发： Fw: [EXTERNAL] 回复：Re[2]: 客户沟通-星河项目-张三");
        assert!(parsed.is_reply);
        assert_eq!(parsed.tag, None);
        assert_eq!(
            parsed.class,
            workflow(SubjectKind::Report, Some("星河项目"), Some("张三"))
        );
    }

    #[test]
    fn forward_prefix_alone_is_not_a_reply() {
        assert!(!parse_subject("Fwd: 立项-星河项目").is_reply);
        assert!(!parse_subject("立项-星河项目").is_reply);
    }

    #[test]
    fn bot_tag_and_status_word_are_stripped_and_tag_is_recorded() {
        let parsed = parse_subject("回复: [SB-12] 已退回：客户沟通-星河项目-张三");
        assert_eq!(parsed.tag, Some(12));
        assert!(parsed.is_reply);
        assert_eq!(
            parsed.class,
            workflow(SubjectKind::Report, Some("星河项目"), Some("张三"))
        );
    }

    #[test]
    fn tag_anywhere_in_the_subject_is_found() {
        assert_eq!(parse_subject("同意 (re [SB-7])").tag, Some(7));
        assert_eq!(parse_subject("[SB-99999999999999999999999] x").tag, None);
    }

    #[test]
    fn gbk_traditional_keyword_is_a_report() {
        let report = workflow(SubjectKind::Report, Some("星河項目"), Some("張三"));
        assert_eq!(class("回覆: 客戶溝通-星河項目-張三"), report);
    }

    #[test]
    fn folded_header_whitespace_and_full_width_letters_are_unfolded() {
        let report = workflow(SubjectKind::Report, Some("ABC 二期"), Some("李四"));
        assert_eq!(class("客户沟通-ＡＢＣ\r\n\t二期 - 李四"), report);
    }

    #[test]
    fn whitespace_alone_separates_report_segments() {
        let report = workflow(SubjectKind::Report, Some("星河项目"), Some("张三"));
        assert_eq!(class("客户沟通 星河项目 张三"), report);
    }

    #[test]
    fn report_without_engineer_is_a_near_miss_with_hint() {
        let hint = near_miss(SubjectKind::Report, "客户沟通-星河项目-技服人员名字");
        assert_eq!(class("客户沟通 星河项目"), hint);
    }

    #[test]
    fn complaint_without_separator_is_a_near_miss() {
        let hint = near_miss(SubjectKind::Complaint, "投诉-星河项目沟通问题");
        assert_eq!(class("投诉星河项目"), hint);
    }

    #[test]
    fn a_keyword_inside_ordinary_words_is_ordinary_mail() {
        for raw in [
            "客户沟通技巧培训通知",
            "投诉处理流程说明",
            "立项流程培训",
            "Re: 故障处理经验分享",
        ] {
            assert_eq!(class(raw), SubjectClass::Ordinary, "{raw}");
        }
    }

    #[test]
    fn traditional_and_mixed_keywords_read_as_simplified_but_names_stay_as_written() {
        let report = workflow(SubjectKind::Report, Some("藍海項目"), Some("張三"));
        assert_eq!(class("客戶沟通-藍海項目-張三"), report);
        let order = workflow(SubjectKind::FaultOrder, Some("星河"), None);
        assert_eq!(class("故障處理－星河"), order);
    }

    #[test]
    fn complaint_suffix_forms_all_give_the_project() {
        let complaint = |p: &str| workflow(SubjectKind::Complaint, Some(p), None);
        assert_eq!(class("投诉-星河项目沟通问题"), complaint("星河项目"));
        assert_eq!(class("投诉-星河项目-沟通问题"), complaint("星河项目"));
        assert_eq!(class("投訴 - 星河的沟通问题"), complaint("星河"));
        assert_eq!(class("投诉-星河项目响应不及时"), complaint("星河项目"));
        assert_eq!(class("投诉-星河-文档问题"), complaint("星河"));
        assert_eq!(class("投诉 - 星河"), complaint("星河"));
        assert_eq!(
            class("投诉-沟通问题"),
            near_miss(SubjectKind::Complaint, "投诉-项目名称沟通问题")
        );
    }

    #[test]
    fn withdrawal_is_not_read_as_a_complaint() {
        let withdrawal = workflow(SubjectKind::ComplaintWithdrawal, Some("星河项目"), None);
        assert_eq!(class("撤销投诉-星河项目"), withdrawal);
        assert_eq!(class("撤銷投訴：星河项目沟通问题"), withdrawal);
    }

    #[test]
    fn longer_keywords_win_over_their_prefixes() {
        let request = workflow(SubjectKind::ImprovementRequest, Some("星河"), None);
        assert_eq!(class("产品改进申请单-星河"), request);
        let order = workflow(SubjectKind::FaultOrder, Some("星河-二期"), None);
        assert_eq!(class("故障处理工作单：星河 - 二期"), order);
        let bug = WorkflowSubject {
            topic: Some("审计模块".into()),
            ..WorkflowSubject::empty(SubjectKind::BugFeedback)
        };
        assert_eq!(
            class("内部BUG反馈表~审计模块"),
            SubjectClass::Workflow(bug.clone())
        );
        assert_eq!(
            class("Bug反饋 審計模塊"),
            SubjectClass::Workflow(WorkflowSubject {
                topic: Some("審計模塊".into()),
                ..bug
            })
        );
    }

    #[test]
    fn keyword_alone_or_placeholder_is_a_near_miss_with_the_template() {
        for kind in [
            SubjectKind::Initiation,
            SubjectKind::Report,
            SubjectKind::BugFeedback,
        ] {
            assert_eq!(class(kind.template()), near_miss(kind, kind.template()));
        }
        assert_eq!(
            class("Re: 立项"),
            near_miss(SubjectKind::Initiation, "立项-项目名称")
        );
        assert_eq!(
            class("立项 —— "),
            near_miss(SubjectKind::Initiation, "立项-项目名称")
        );
    }

    #[test]
    fn subjects_not_starting_with_a_keyword_are_ordinary() {
        for raw in [
            "周五聚餐",
            "关于客户沟通的建议",
            "",
            "   ",
            "Re:",
            "[EXTERNAL]",
            "【星河】",
        ] {
            assert_eq!(class(raw), SubjectClass::Ordinary, "{raw:?}");
        }
    }

    #[test]
    fn front_bracket_is_stripped_but_a_bracket_after_the_keyword_is_the_project() {
        let initiation = workflow(SubjectKind::Initiation, Some("【星河】项目"), None);
        assert_eq!(class("【外部邮件】立项-【星河】项目"), initiation);
    }

    #[test]
    fn auto_replies_and_bounces_are_recognised() {
        for raw in [
            "自动回复: 客户沟通-星河项目-张三",
            "Automatic reply: 立项-星河",
            "RE: Out of Office",
            "退信：投诉-星河",
            "Undeliverable: x",
            "[SB-3] AUTO-REPLY: 同意",
        ] {
            assert_eq!(class(raw), SubjectClass::AutoReply, "{raw}");
        }
    }

    #[test]
    fn canonical_of_an_empty_subject_is_the_template() {
        for (_, kind) in KEYWORDS {
            assert_eq!(WorkflowSubject::empty(*kind).canonical(), kind.template());
            assert!(!kind.as_str().is_empty());
        }
    }

    fn task(kind: &str, project: &str) -> SubjectClass {
        SubjectClass::Workflow(WorkflowSubject {
            topic: Some(kind.into()),
            project: Some(project.into()),
            ..WorkflowSubject::empty(SubjectKind::TaskRequest)
        })
    }

    #[test]
    fn a_task_request_reads_its_type_and_project_in_any_spelling() {
        assert_eq!(class("任务申请-设计-星河项目"), task("设计", "星河项目"));
        assert_eq!(class("任务申请－施工－星河项目"), task("施工", "星河项目"));
        assert_eq!(
            class("回复: 任務申請 施工 星河項目"),
            task("施工", "星河項目")
        );
        assert_eq!(
            class("[SB-4] 已记录：任务申请单_技术支持_星河-二期"),
            task("设计", "星河-二期")
        );
    }

    #[test]
    fn a_task_request_without_a_known_type_is_a_near_miss_with_the_hint() {
        assert_eq!(
            class("任务申请-星河项目"),
            near_miss(SubjectKind::TaskRequest, "任务申请-任务类型-星河项目")
        );
        assert_eq!(
            class("任务申请-设计"),
            near_miss(SubjectKind::TaskRequest, "任务申请-设计-项目名称")
        );
    }

    #[test]
    fn no_keyword_is_listed_after_a_longer_keyword_it_prefixes() {
        for (i, (earlier, _)) in KEYWORDS.iter().enumerate() {
            for (later, _) in &KEYWORDS[i + 1..] {
                assert!(
                    !later.starts_with(earlier),
                    "{later} must come before {earlier}"
                );
            }
        }
    }
}
