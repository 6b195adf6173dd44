//! mail-formats.md, "A reply is still a workflow mail": nothing a known sender writes in a
//! workflow format is dropped without an answer. The whole golden corpus goes into one fresh
//! database (in the order golden.rs uses); every mail from a directory address whose subject is a
//! workflow subject must end in one of:
//! - an answer to the sender: an `ack` or `rejection` (or, for a report on a project with no
//!   立项, the `initiation_request` that goes to or copies the sender, 第十一条);
//! - `ignored` for one of the listed reasons (`auto_reply`, `own_mail`, `unauthenticated`,
//!   `unknown_thread`, `unreadable`, `too_large`);
//! - a duplicate re-delivery;
//! - a thread command that was answered, or ignored as conversation — and then its own
//!   (non-quoted) words carry no command and fewer than two field names of the subject's kind
//!   (for a complaint: none of 被投诉人/情况说明);
//! - internal bug feedback, accepted: workflow.md asks for a reply only when recipients are missing.
//!
//! The field names are listed here, Simplified and Traditional, independently of the parser.

mod common;

use std::collections::BTreeSet;
use supportbot::engine::Handled;
use supportbot::mail::Inbound;
use supportbot::parse::strip_quoted;
use supportbot::parse::subject::{SubjectClass, SubjectKind, parse_subject};
use supportbot::report;
use supportbot::store::outbox;

/// Reasons for which a workflow-format mail from a known sender may be ignored.
const LISTED_REASONS: &[&str] = &[
    "auto_reply",
    "own_mail",
    "unauthenticated",
    "unknown_thread",
    "unreadable",
    "too_large",
];

/// Field names of each kind (canonical names, their default synonyms, Traditional spellings).
fn field_names(kind: SubjectKind) -> &'static [&'static str] {
    match kind {
        SubjectKind::Report => &[
            "沟通结果",
            "溝通結果",
            "结果",
            "結果",
            "项目名称",
            "項目名稱",
            "沟通人",
            "溝通人",
            "客户联系人",
            "客戶聯繫人",
            "沟通方式",
            "溝通方式",
            "沟通的具体问题",
            "溝通的具體問題",
            "具体问题",
            "具體問題",
            "沟通内容",
            "溝通內容",
            "遗留的问题描述",
            "遺留的問題描述",
            "遗留问题",
            "遺留問題",
        ],
        SubjectKind::Initiation => &[
            "项目名称",
            "項目名稱",
            "责任销售",
            "責任銷售",
            "第一售前",
            "第二售前",
            "支持类型",
            "支持類型",
            "支持内容",
            "支持內容",
        ],
        SubjectKind::Complaint => &["被投诉人", "被投訴人", "情况说明", "情況說明", "投诉内容"],
        SubjectKind::FaultOrder => &[
            "环境",
            "環境",
            "操作过程",
            "操作過程",
            "现象",
            "現象",
            "日志",
        ],
        _ => &["项目名称", "項目名稱"],
    }
}

/// How many of its field names make a reply that kind (a complaint: one of 被投诉人/情况说明).
fn fields_that_make_a_kind(kind: SubjectKind) -> usize {
    if kind == SubjectKind::Complaint { 1 } else { 2 }
}

/// Thread commands (mail-formats.md), as the first word of the sender's own first line.
const COMMANDS: &[&str] = &[
    "同意",
    "批准",
    "驳回",
    "駁回",
    "分配",
    "申请关闭",
    "申請關閉",
    "确认关闭",
    "確認關閉",
    "未解决",
    "未解決",
    "转定制",
    "轉定制",
    "已解决",
    "已解決",
    "研发工时",
    "研發工時",
    "撤销",
    "撤銷",
    "满意度",
    "滿意度",
];

/// How many distinct field names of `kind` start a line (`名: 值`, optional number or bullet).
fn fields_carried(own: &str, kind: SubjectKind) -> usize {
    let mut seen = BTreeSet::new();
    for line in own.lines() {
        let line = line
            .trim()
            .trim_start_matches(|c: char| c.is_ascii_digit() || ".、①②③④⑤⑥⑦⑧⑨-●·*) ".contains(c))
            .trim_start();
        for name in field_names(kind) {
            if let Some(rest) = line.strip_prefix(name)
                && (rest.trim_start().starts_with(':') || rest.trim_start().starts_with('：'))
            {
                seen.insert(*name);
            }
        }
    }
    seen.len()
}

fn starts_with_command(own: &str) -> bool {
    own.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .is_some_and(|first| COMMANDS.iter().any(|c| first.starts_with(c)))
}

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = common::root().join("tests/fixtures/golden");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("golden folder")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".eml"))
        .collect();
    let number = |n: &str| -> u32 {
        n.split('-')
            .next()
            .and_then(|x| x.parse().ok())
            .unwrap_or(u32::MAX)
    };
    names.sort_by_key(|n| (number(n), n.clone()));
    names
        .into_iter()
        .map(|n| {
            let raw = std::fs::read(dir.join(&n)).expect("read eml");
            (n, raw)
        })
        .collect()
}

#[tokio::test]
async fn nothing_a_known_sender_writes_in_a_workflow_format_is_dropped_without_an_answer() {
    let (bot, _dir) = common::spawn_corpus_bot().await;
    let config = bot.config.clone();
    let mut failures = Vec::new();
    let mut checked = 0;
    for (name, raw) in fixtures() {
        let handled = bot
            .handle(&raw, common::now())
            .await
            .expect("a mail never fails the engine");
        let id = match handled {
            Handled::Duplicate => continue,
            Handled::Recorded { id, .. } => id,
        };
        let mail = Inbound::parse(&raw, common::now());
        let Some(from) = mail.from.clone() else {
            continue;
        };
        let subject = parse_subject(&mail.subject);
        let SubjectClass::Workflow(workflow) = &subject.class else {
            continue;
        };
        if config.directory.by_email(&from).is_none() {
            continue;
        }
        checked += 1;

        let mut conn = bot.store.connection().await.expect("reader");
        let rows = report::messages_json(&mut conn).await.expect("messages");
        let Some(row) = rows.iter().find(|r| r["id"] == id) else {
            failures.push(format!("{name}: recorded as #{id} but not listed"));
            continue;
        };
        let kind = row["kind"].as_str().unwrap_or_default();
        let outcome = row["outcome"].as_str().unwrap_or_default();
        let reasons: Vec<&str> = row["reasons"]
            .as_array()
            .map(|a| a.iter().filter_map(|r| r.as_str()).collect())
            .unwrap_or_default();
        let sender = from.to_lowercase();
        let answered = outbox::list(&mut conn, None)
            .await
            .expect("outbox")
            .into_iter()
            .filter(|o| o.message == Some(id))
            .any(|o| {
                let to_sender =
                    o.to.iter()
                        .chain(o.cc.iter())
                        .any(|a| a.to_lowercase() == sender);
                to_sender && ["ack", "rejection", "initiation_request"].contains(&o.kind.as_str())
            });
        let own = strip_quoted(&mail.body);
        let listed_reason = outcome == "ignored"
            && !reasons.is_empty()
            && reasons.iter().all(|r| LISTED_REASONS.contains(r));
        let conversation = kind == "thread_command"
            && outcome == "ignored"
            && reasons.is_empty()
            && !starts_with_command(&own)
            && fields_carried(&own, workflow.kind) < fields_that_make_a_kind(workflow.kind);
        let bug_feedback = kind == "bug_feedback" && outcome == "accepted";
        if !(answered || listed_reason || conversation || bug_feedback) {
            failures.push(format!(
                "{name}: {} from {from} ended {kind}/{outcome} {reasons:?} with no answer \
                 (own words carry {} field names of the kind)",
                mail.subject,
                fields_carried(&own, workflow.kind)
            ));
        }
    }
    assert!(
        checked >= 60,
        "the corpus holds at least 60 workflow-format mails from known senders (checked {checked})"
    );
    assert!(
        failures.is_empty(),
        "{} workflow mails dropped without an answer:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_field_count_sees_simplified_and_traditional_field_lines_only_at_line_start() {
    let own = "周總您好：\n溝通結果：問題遺留\n1. 项目名称: 天河项目\n谢谢，沟通结果我明天发";
    assert_eq!(fields_carried(own, SubjectKind::Report), 2);
    assert_eq!(fields_carried("谢谢，收到", SubjectKind::Report), 0);
    let complaint = "王经理：\n情況說明: 演示環境未準備好";
    assert!(
        fields_carried(complaint, SubjectKind::Complaint)
            >= fields_that_make_a_kind(SubjectKind::Complaint)
    );
    assert!(starts_with_command("\n已解决\n客户已确认"));
    assert!(!starts_with_command("好的，谢谢。"));
}
