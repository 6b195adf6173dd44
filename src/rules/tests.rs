//! What [`decide`] does before any article applies: mail it never acts on (workflow.md §5) and how
//! a mail is classified (mail-formats.md). Each article's tests sit beside its rule, in
//! `<rule>/decide_tests.rs`; shared builders are in `testkit.rs`.

use crate::parse::parse_subject;
use crate::rules::testkit::*;
use crate::rules::*;

// --- workflow.md §5: what the bot never acts on ---------------------------------------------

#[test]
fn the_bots_own_mail_is_ignored() {
    // workflow.md §5
    let d = run(&mail(BOT, REPORT_SUBJECT, &report_with(&[])), &initiated());
    assert_eq!(d.outcome, Outcome::Ignored);
    assert_eq!(d.reasons, strings(&["own_mail"]));
    assert!(d.outgoing.is_empty() && d.effects.is_empty());
}

#[test]
fn an_auto_reply_is_ignored() {
    // workflow.md §5: Auto-Submitted
    let mut m = mail(ZHANGSAN, REPORT_SUBJECT, &report_with(&[]));
    m.auto_signal = Some(s("Auto-Submitted: auto-replied"));
    let d = run(&m, &initiated());
    assert_eq!(d.kind, MailKind::AutoReply);
    assert_eq!(d.outcome, Outcome::Ignored);
    assert_eq!(d.reasons, strings(&["auto_reply"]));
    assert!(d.outgoing.is_empty() && d.effects.is_empty());
}

#[test]
fn a_complaint_from_an_unknown_sender_is_ignored() {
    // workflow.md §1, §5: mail from an address not in the directory is never acted on
    let d = run(
        &mail(
            "stranger@other.example",
            COMPLAINT_SUBJECT,
            "被投诉人: 张三",
        ),
        &initiated(),
    );
    assert_eq!(d.kind, COMPLAINT);
    assert_eq!(d.outcome, Outcome::Ignored);
    assert_eq!(d.reasons, strings(&["unknown_sender"]));
    assert_eq!(d.project, Some(key("星河")));
    assert!(d.outgoing.is_empty() && d.effects.is_empty());
}

#[test]
fn a_near_miss_subject_gets_one_hint() {
    // workflow.md §5: near-misses get a hint
    let d = run(
        &mail(ZHANGSAN, "客户沟通 星河项目", &report_with(&[])),
        &initiated(),
    );
    assert_eq!(d.kind, MailKind::NearMiss);
    assert_eq!(d.outcome, Outcome::Rejected);
    assert!(d.effects.is_empty());
    assert_eq!(kinds(&d), vec![OutgoingKind::NearMissHint]);
    assert_eq!(d.outgoing[0].to, strings(&[ZHANGSAN]));
    assert!(
        d.outgoing[0].body.contains("客户沟通-星河项目-张三"),
        "the hint names the sender the bot knows: {}",
        d.outgoing[0].body
    );
}

#[test]
fn ordinary_mail_is_ignored_in_silence() {
    // workflow.md §5: silence for mail not in a workflow format
    let d = run(
        &mail(ZHANGSAN, "周五部门聚餐", "大家几点到？"),
        &initiated(),
    );
    assert_eq!(d.kind, MailKind::Ordinary);
    assert_eq!(d.outcome, Outcome::Ignored);
    assert!(d.reasons.is_empty());
    assert!(d.outgoing.is_empty() && d.effects.is_empty());
}

#[test]
fn an_unreadable_mail_is_ignored_as_unreadable() {
    // workflow.md §1 (admin is told elsewhere); the rules never act on it
    let mut m = mail(ZHANGSAN, REPORT_SUBJECT, &report_with(&[]));
    m.readable = false;
    let d = run(&m, &initiated());
    assert_eq!(d.outcome, Outcome::Ignored);
    assert_eq!(d.reasons, strings(&["unreadable"]));
    assert!(d.outgoing.is_empty() && d.effects.is_empty());
}

#[test]
fn with_a_trusted_server_set_a_mail_it_did_not_vouch_for_is_ignored_as_unauthenticated() {
    let mut config = config();
    config.mailbox.trusted_authserv_id = Some("mx.example.com".into());
    let mut m = mail(ZHANGSAN, REPORT_SUBJECT, &report_with(&[]));
    m.auth_results = vec!["mx.example.com; dmarc=fail header.from=example.com".into()];
    let d = decide_with(&config, &m, &initiated());
    assert_eq!(d.outcome, Outcome::Ignored);
    assert_eq!(d.reasons, strings(&["unauthenticated"]));
    assert!(d.outgoing.is_empty() && d.effects.is_empty());
    m.auth_results = vec!["mx.example.com; dmarc=pass header.from=example.com".into()];
    assert_ne!(
        decide_with(&config, &m, &initiated()).reasons,
        strings(&["unauthenticated"])
    );
}

// --- mail-formats.md: a reply is still a workflow mail; real clients ---------------------------

#[test]
fn a_reply_that_carries_a_new_report_is_a_report_and_is_acknowledged() {
    let body = format!(
        "王经理好，今天的沟通情况如下：\n\n{}\n-----邮件原件-----\n发件人: 孙丽\n发送时间: 2026年11月16日\n主题: Re:客户沟通-星河项目-张三\n",
        report_with(&[])
    );
    let d = run(
        &reply(ZHANGSAN, "答复: Re:客户沟通-星河项目-张三", &body),
        &on_report_thread(),
    );
    assert_eq!(d.kind, MailKind::Workflow(SubjectKind::Report));
    assert_eq!(d.outcome, Outcome::Accepted);
    assert_eq!(
        kinds(&d),
        vec![OutgoingKind::Ack, OutgoingKind::Forward],
        "第十二条: the 责任销售 was not on the mail"
    );
}

#[test]
fn a_tagged_reply_that_carries_a_new_report_is_a_report_too() {
    let d = run(
        &reply(
            ZHANGSAN,
            "Re: [SB-7] 已记录：客户沟通-星河项目-张三",
            &report_with(&[]),
        ),
        &on_report_thread(),
    );
    assert_eq!(d.kind, MailKind::Workflow(SubjectKind::Report));
    assert_eq!(d.outcome, Outcome::Accepted);
}

#[test]
fn a_reply_whose_first_line_is_a_command_stays_a_thread_command() {
    let body = format!(
        "已解决\n\n在 2026年11月16日 10:00，张三 写道：\n> {}",
        report_with(&[])
    );
    let d = run(
        &reply(ZHANGSAN, "Re: 客户沟通-星河项目-张三", &body),
        &on_report_thread(),
    );
    assert_eq!(d.kind, MailKind::ThreadCommand);
}

#[test]
fn a_reply_with_no_fields_and_no_command_is_conversation_and_gets_no_answer() {
    let body = "谢谢，收到\n\n-----Original Message-----\nFrom: 张三\nSent: Monday\n沟通结果: 成功";
    let d = run(
        &reply(SUNLI, "RE: 客户沟通-星河项目-张三", body),
        &on_report_thread(),
    );
    assert_eq!(
        (d.kind, d.outcome),
        (MailKind::ThreadCommand, Outcome::Ignored)
    );
    assert!(d.outgoing.is_empty());
}

#[test]
fn a_keyword_glued_into_ordinary_words_is_ordinary_mail_without_a_hint() {
    let d = run(
        &mail(
            ZHANGSAN,
            "客户沟通技巧培训通知",
            "周五下午三点，三楼会议室。",
        ),
        &initiated(),
    );
    assert_eq!((d.kind, d.outcome), (MailKind::Ordinary, Outcome::Ignored));
    assert!(d.outgoing.is_empty());
}

#[test]
fn an_ordinary_subject_over_a_body_with_two_report_fields_gets_a_hint() {
    let d = run(
        &mail(ZHANGSAN, "今天的情况", &report_with(&[])),
        &initiated(),
    );
    assert_eq!((d.kind, d.outcome), (MailKind::NearMiss, Outcome::Rejected));
    let hint = the_one(&d, OutgoingKind::NearMissHint);
    assert!(
        hint.body.contains("客户沟通-星河项目-张三"),
        "{}",
        hint.body
    );
}

#[test]
fn the_rules_decide_on_the_fields_read_at_the_edge_and_do_not_read_the_body_again() {
    // issue 11: a body is parsed once, by read_body; every rule receives what it read.
    let config = config();
    let read = mail(ZHANGSAN, REPORT_SUBJECT, &report_with(&[]));
    let fields = read_body(&config, &read);
    let mut blank = read.clone();
    blank.body = String::new();
    let subject = parse_subject(REPORT_SUBJECT);
    let d = decide_read(&config, &blank, &subject, &fields, &initiated());
    assert_eq!(d.outcome, Outcome::Accepted, "{:?}", d.reasons);
    let d = decide_read(&config, &read, &subject, &Fields::default(), &initiated());
    assert_eq!(d.outcome, Outcome::Rejected);
    assert!(d.reasons.contains(&s("missing_field:沟通结果")), "{d:?}");
}

#[test]
fn an_unreadable_mail_has_no_fields_read() {
    let mut m = mail(ZHANGSAN, REPORT_SUBJECT, &report_with(&[]));
    assert!(!read_body(&config(), &m).is_empty());
    m.readable = false;
    assert!(read_body(&config(), &m).is_empty());
}
