//! The regulation, article by article, as unit tests of [`decide`]: one test per rule, each named
//! as the sentence it proves. People and addresses are those of `config/default.toml`.

use super::*;
use crate::parse::parse_subject;
use chrono::{DateTime, Utc};
use std::collections::HashSet;

// --- builder -------------------------------------------------------------------------------

const DEFAULT_TOML: &str = include_str!("../../config/default.toml");

const BOT: &str = "supportbot@example.com";
const WANGFANG: &str = "wangfang@example.com"; // 售前经理
const ZHAOQIANG: &str = "zhaoqiang@example.com"; // 技术总监
const ZHANGSAN: &str = "zhangsan@example.com"; // 售前, 星河's 第一售前
const LISI: &str = "lisi@example.com"; // 售前, 星河's 第二售前
const WANGWU: &str = "wangwu@example.com"; // 售前, not on 星河
const SUNLI: &str = "sunli@example.com"; // 销售, 星河's 责任销售
const ZHOUTAO: &str = "zhoutao@example.com"; // 销售, not 星河's

const CONCRETE: &str = "解决vista下远程控制网络参数设置";

fn config() -> Config {
    Config::from_toml(DEFAULT_TOML).expect("config/default.toml is a valid config")
}

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .expect("valid RFC 3339 date")
        .with_timezone(&Utc)
}

/// A mail as a person sends it: to the presales manager, copying the tech director.
fn mail(from: &str, subject: &str, body: &str) -> Inbound {
    Inbound {
        key: format!("<{from}-{subject}@test>"),
        from: Some(from.to_string()),
        to: vec![WANGFANG.to_string()],
        cc: vec![ZHAOQIANG.to_string()],
        subject: subject.to_string(),
        date: at("2026-11-16T02:00:00Z"),
        date_replaced: false,
        in_reply_to: Vec::new(),
        references: Vec::new(),
        body: body.to_string(),
        attachments: 0,
        auto_signal: None,
        readable: true,
        auth_results: Vec::new(),
    }
}

fn decide_with(config: &Config, mail: &Inbound, facts: &Facts) -> Decision {
    decide(config, mail, &parse_subject(&mail.subject), facts)
}

fn run(mail: &Inbound, facts: &Facts) -> Decision {
    decide_with(&config(), mail, facts)
}

fn key(name: &str) -> ProjectKey {
    ProjectKey::new(name).expect("a project name gives a key")
}

fn s(v: &str) -> String {
    v.to_string()
}

/// 星河项目, initiated by 孙丽 with 第一售前 张三 and 第二售前 李四.
fn xinghe() -> Project {
    Project {
        key: key("星河"),
        name: s("星河项目"),
        initiated: true,
        responsible_sales: Some(s("孙丽")),
        first_presales: Some(s("张三")),
        second_presales: Some(s("李四")),
    }
}

fn initiated() -> Facts {
    Facts {
        project: Some(xinghe()),
        ..Facts::default()
    }
}

fn body(fields: &[(&str, &str)]) -> String {
    fields.iter().map(|(k, v)| format!("{k}: {v}\n")).collect()
}

/// The five fields of 第十五条, all well filled.
fn report_fields() -> Vec<(&'static str, &'static str)> {
    vec![
        ("沟通结果", "成功"),
        ("项目名称", "星河项目"),
        ("沟通人", "客户王工"),
        ("沟通方式", "电话"),
        ("沟通的具体问题", CONCRETE),
    ]
}

/// A good report with some fields replaced (or added when absent).
fn report_with(changes: &[(&'static str, &'static str)]) -> String {
    let mut fields = report_fields();
    for (name, value) in changes {
        match fields.iter_mut().find(|(n, _)| n == name) {
            Some(f) => f.1 = value,
            None => fields.push((name, value)),
        }
    }
    body(&fields)
}

fn report_without(name: &str) -> String {
    let fields: Vec<_> = report_fields()
        .into_iter()
        .filter(|(n, _)| *n != name)
        .collect();
    body(&fields)
}

fn initiation_fields() -> Vec<(&'static str, &'static str)> {
    vec![
        ("项目名称", "星河项目"),
        ("第一售前", "张三"),
        ("第二售前", "李四"),
        ("支持类型", "产品实施"),
        ("支持内容", "部署星河平台并完成双机热备配置"),
    ]
}

fn initiation_with(name: &'static str, value: &'static str) -> String {
    let fields: Vec<_> = initiation_fields()
        .into_iter()
        .map(|(n, v)| if n == name { (n, value) } else { (n, v) })
        .collect();
    body(&fields)
}

fn kinds(d: &Decision) -> Vec<OutgoingKind> {
    d.outgoing.iter().map(|o| o.kind).collect()
}

fn the_one(d: &Decision, kind: OutgoingKind) -> &Outgoing {
    let found: Vec<_> = d.outgoing.iter().filter(|o| o.kind == kind).collect();
    assert_eq!(found.len(), 1, "exactly one {kind:?} in {:?}", kinds(d));
    found[0]
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

fn notices(d: &Decision) -> Vec<(NoticeKey, bool)> {
    d.effects
        .iter()
        .filter_map(|e| match e {
            Effect::Notice { key, sent } => Some((key.clone(), *sent)),
            _ => None,
        })
        .collect()
}

fn notice_key(engineer: &str, scope: &str, period: &str, level: i64) -> NoticeKey {
    (s(engineer), s(scope), s(period), level)
}

fn months(rows: &[(&str, &str, i64)]) -> Vec<(String, String, i64)> {
    rows.iter().map(|(t, m, n)| (s(t), s(m), *n)).collect()
}

fn complaint(id: i64, complainant: &str, target: &str, month: &str) -> ActiveComplaint {
    ActiveComplaint {
        project: s("星河"),
        id,
        complainant: s(complainant),
        target: s(target),
        month: s(month),
    }
}

fn assert_rejected(d: &Decision, reasons: &[&str]) {
    assert_eq!(d.outcome, Outcome::Rejected, "{d:?}");
    assert_eq!(d.reasons, strings(reasons));
    assert!(d.effects.is_empty(), "a rejection changes nothing: {d:?}");
    assert_eq!(kinds(d), vec![OutgoingKind::Rejection]);
}

const REPORT_SUBJECT: &str = "客户沟通-星河项目-张三";
const COMPLAINT_SUBJECT: &str = "投诉-星河项目沟通问题";
const WITHDRAWAL_SUBJECT: &str = "撤销投诉-星河项目";
const REPORT: MailKind = MailKind::Workflow(SubjectKind::Report);
const COMPLAINT: MailKind = MailKind::Workflow(SubjectKind::Complaint);

// --- 第十五条: what a report must say ---------------------------------------------------------

#[test]
fn a_report_missing_any_required_field_is_rejected_naming_that_field() {
    // 第十五条
    for name in [
        "沟通结果",
        "项目名称",
        "沟通人",
        "沟通方式",
        "沟通的具体问题",
    ] {
        let d = run(
            &mail(ZHANGSAN, REPORT_SUBJECT, &report_without(name)),
            &initiated(),
        );
        assert_eq!(d.kind, REPORT);
        assert_rejected(&d, &[&format!("missing_field:{name}")]);
    }
}

#[test]
fn a_required_field_left_empty_counts_as_missing() {
    // 第十五条
    let d = run(
        &mail(ZHANGSAN, REPORT_SUBJECT, &report_with(&[("沟通人", "")])),
        &initiated(),
    );
    assert_rejected(&d, &["missing_field:沟通人"]);
}

#[test]
fn a_result_other_than_success_or_open_issue_is_rejected() {
    // 第十五条: 沟通结果 “成功/问题遗留”
    let d = run(
        &mail(
            ZHANGSAN,
            REPORT_SUBJECT,
            &report_with(&[("沟通结果", "基本完成")]),
        ),
        &initiated(),
    );
    assert_rejected(&d, &["invalid_value:沟通结果"]);
}

#[test]
fn an_open_issue_without_its_description_is_rejected() {
    // 第十五条, 第十七条
    let d = run(
        &mail(
            ZHANGSAN,
            REPORT_SUBJECT,
            &report_with(&[("沟通结果", "问题遗留")]),
        ),
        &initiated(),
    );
    assert_rejected(&d, &["missing_field:遗留的问题描述"]);
}

#[test]
fn solved_a_technical_problem_is_too_vague_to_record() {
    // 第十五条: 不得写“解决了技术问题”这样的笼统语句
    let d = run(
        &mail(
            ZHANGSAN,
            REPORT_SUBJECT,
            &report_with(&[("沟通的具体问题", "解决了技术问题")]),
        ),
        &initiated(),
    );
    assert_rejected(&d, &["vague_content"]);
}

#[test]
fn a_concrete_sentence_is_accepted() {
    // 第十五条: 必须写成“解决vista下远程控制网络参数设置”这样的明确语句
    let d = run(
        &mail(ZHANGSAN, REPORT_SUBJECT, &report_with(&[])),
        &initiated(),
    );
    assert_eq!(d.outcome, Outcome::Accepted, "{d:?}");
    assert!(d.reasons.is_empty());
    assert!(
        d.effects
            .iter()
            .any(|e| matches!(e, Effect::AddReport(r) if r.content == CONCRETE))
    );
}

#[test]
fn every_problem_is_listed_in_one_rejection() {
    // 第十五条
    let text = body(&[
        ("沟通结果", "还行"),
        ("项目名称", "星河项目"),
        ("沟通方式", "电话"),
        ("沟通的具体问题", "解决了技术问题"),
    ]);
    let d = run(&mail(ZHANGSAN, REPORT_SUBJECT, &text), &initiated());
    assert_rejected(
        &d,
        &[
            "missing_field:沟通人",
            "invalid_value:沟通结果",
            "vague_content",
        ],
    );
    let reply = &d.outgoing[0].body;
    for item in [
        "1. ",
        "2. ",
        "3. ",
        "「沟通人」",
        "「还行」",
        "解决了技术问题",
    ] {
        assert!(reply.contains(item), "{item:?} missing from {reply}");
    }
}

#[test]
fn the_rejection_goes_to_the_sender_cites_the_article_and_is_prefilled() {
    // 第十五条
    let d = run(
        &mail(ZHANGSAN, REPORT_SUBJECT, &report_without("沟通方式")),
        &initiated(),
    );
    let reply = the_one(&d, OutgoingKind::Rejection);
    assert_eq!(reply.to, strings(&[ZHANGSAN]));
    assert!(reply.cc.is_empty());
    assert_eq!(reply.subject, "已退回：客户沟通-星河项目-张三");
    for line in [
        "第十五条",
        "标题：客户沟通-星河项目-张三",
        "沟通结果: 成功\n",
        "项目名称: 星河项目\n",
        "沟通人: 客户王工\n",
        "沟通方式: \n",
        "沟通的具体问题: 解决vista下远程控制网络参数设置\n",
    ] {
        assert!(
            reply.body.contains(line),
            "{line:?} missing from {}",
            reply.body
        );
    }
}

// --- 第十二条: who sends a report, about what ----------------------------------------------

#[test]
fn a_report_whose_subject_names_another_engineer_is_rejected() {
    // 第十二条: 客户沟通-XX项目-技服人员名字, sent by that person
    let d = run(&mail(LISI, REPORT_SUBJECT, &report_with(&[])), &initiated());
    assert_rejected(&d, &["sender_mismatch"]);
    assert_eq!(d.outgoing[0].to, strings(&[LISI]));
}

#[test]
fn a_report_whose_subject_project_differs_from_its_body_is_rejected() {
    // 第十二条, 第十五条
    let d = run(
        &mail(ZHANGSAN, "客户沟通-银河项目-张三", &report_with(&[])),
        &initiated(),
    );
    assert_rejected(&d, &["project_mismatch"]);
}

#[test]
fn a_report_from_a_sales_is_not_authorized() {
    // 第十二条: 技术支持人员 send reports
    let d = run(
        &mail(SUNLI, "客户沟通-星河项目-孙丽", &report_with(&[])),
        &initiated(),
    );
    assert_rejected(&d, &["not_authorized"]);
    let reply = &d.outgoing[0];
    assert_eq!(reply.to, strings(&[SUNLI]));
    assert!(reply.body.contains("第十二条"), "{}", reply.body);
}

// --- 第十六条 / 第六条: the tracking table and the 第二售前 -------------------------------------

#[test]
fn a_report_from_the_second_presales_is_sent_on_to_the_first_presales_copying_the_manager() {
    // 第六条, 第十六条
    let d = run(
        &mail(LISI, "客户沟通-星河项目-李四", &report_with(&[])),
        &initiated(),
    );
    assert_eq!(d.outcome, Outcome::Accepted, "{d:?}");
    assert!(d.flags.is_empty());
    assert_eq!(
        kinds(&d),
        vec![
            OutgoingKind::Ack,
            OutgoingKind::Forward,
            OutgoingKind::SecondPresalesNotice
        ]
    );
    assert_eq!(the_one(&d, OutgoingKind::Ack).to, strings(&[LISI]));
    let notice = the_one(&d, OutgoingKind::SecondPresalesNotice);
    assert_eq!(notice.to, strings(&[ZHANGSAN]));
    assert_eq!(notice.cc, strings(&[WANGFANG]));
    assert!(notice.body.contains("2026年11月16日"), "{}", notice.body);
    assert!(notice.body.contains(CONCRETE), "{}", notice.body);
    assert!(d.effects.iter().any(
        |e| matches!(e, Effect::AddReport(r) if r.engineer == "李四" && r.project == key("星河"))
    ));
}

#[test]
fn a_report_from_the_first_presales_is_only_acknowledged() {
    // 第十六条
    let d = run(
        &mail(
            ZHANGSAN,
            REPORT_SUBJECT,
            &report_with(&[("沟通时间", "2026-11-16 09:30")]),
        ),
        &initiated(),
    );
    assert_eq!(d.outcome, Outcome::Accepted, "{d:?}");
    assert_eq!(d.project, Some(key("星河")));
    assert_eq!(
        kinds(&d),
        vec![OutgoingKind::Ack, OutgoingKind::Forward],
        "第十二条: the 责任销售 was not on the mail"
    );
    assert_eq!(d.outgoing[0].to, strings(&[ZHANGSAN]));
    assert_eq!(
        d.effects,
        vec![Effect::AddReport(ReportRow {
            project: key("星河"),
            engineer: s("张三"),
            result: s("成功"),
            contact: s("客户王工"),
            method: s("电话"),
            content: s(CONCRETE),
            leftover: None,
            priority: s("一般"),
            communicated_at: Some(s("2026-11-16 09:30")),
        })]
    );
}

#[test]
fn the_second_presales_notice_dates_the_support_in_the_department_time_zone() {
    // 第十六条: 支持日期; workflow.md §3: Asia/Shanghai. 17:00Z is 01:00 the next day in Shanghai.
    let mut m = mail(LISI, "客户沟通-星河项目-李四", &report_with(&[]));
    m.date = at("2026-11-16T17:00:00Z");
    let d = run(&m, &initiated());
    let notice = the_one(&d, OutgoingKind::SecondPresalesNotice);
    assert!(
        notice.body.contains("支持日期：2026年11月17日"),
        "{}",
        notice.body
    );
}

// --- 第四条: only the 第一 and 第二售前 --------------------------------------------------------

#[test]
fn a_report_from_a_presales_not_assigned_to_the_project_is_recorded_and_flagged() {
    // 第四条: 其他人员须经技术支持部经理、技术总监和总经理批准
    let d = run(
        &mail(WANGWU, "客户沟通-星河项目-王五", &report_with(&[])),
        &initiated(),
    );
    assert_eq!(d.outcome, Outcome::Accepted, "{d:?}");
    assert_eq!(d.flags, strings(&["not_assigned"]));
    assert!(
        d.effects
            .iter()
            .any(|e| matches!(e, Effect::AddReport(r) if r.engineer == "王五"))
    );
    assert_eq!(
        kinds(&d),
        vec![OutgoingKind::Ack, OutgoingKind::Forward],
        "第十二条: the 责任销售 was not on the mail"
    );
}

// --- 第十七条: 问题遗留 opens an item -----------------------------------------------------------

#[test]
fn an_open_issue_opens_an_item_with_the_given_priority() {
    // 第十七条
    let text = report_with(&[
        ("沟通结果", "问题遗留"),
        ("遗留的问题描述", "客户内网DNS无法解析授权服务器"),
        ("优先级", "紧急"),
    ]);
    let d = run(&mail(ZHANGSAN, REPORT_SUBJECT, &text), &initiated());
    assert_eq!(d.outcome, Outcome::Accepted, "{d:?}");
    assert!(
        d.effects
            .iter()
            .any(|e| matches!(e, Effect::AddReport(r) if r.result == "问题遗留"))
    );
    assert!(d.effects.contains(&Effect::OpenItem {
        project: key("星河"),
        engineer: s("张三"),
        description: s("客户内网DNS无法解析授权服务器"),
        priority: s("紧急"),
    }));
}

#[test]
fn an_open_issue_without_a_priority_is_normal() {
    // 第十七条; workflow.md §2: default 一般
    let text = report_with(&[
        ("沟通结果", "问题遗留"),
        ("遗留的问题描述", "客户内网DNS无法解析授权服务器"),
    ]);
    let d = run(&mail(ZHANGSAN, REPORT_SUBJECT, &text), &initiated());
    let priorities: Vec<_> = d
        .effects
        .iter()
        .filter_map(|e| match e {
            Effect::OpenItem { priority, .. } => Some(priority.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(priorities, vec!["一般"]);
}

// --- 第十一条: a report on a project with no 立项 ---------------------------------------------

#[test]
fn a_report_on_a_project_without_initiation_asks_the_named_sales_to_file_it() {
    // 第十一条: 督促项目销售尽快走技术支持立项流程
    let text = report_with(&[("责任销售", "孙丽")]);
    let d = run(&mail(ZHANGSAN, REPORT_SUBJECT, &text), &Facts::default());
    assert_eq!(d.outcome, Outcome::Accepted, "{d:?}");
    assert_eq!(d.reasons, strings(&["unknown_project"]));
    assert!(d.effects.contains(&Effect::CreateUninitiated {
        key: key("星河"),
        name: s("星河项目"),
        responsible_sales: Some(s("孙丽")),
    }));
    assert!(d.effects.iter().any(|e| matches!(e, Effect::AddReport(_))));
    assert_eq!(kinds(&d), vec![OutgoingKind::InitiationRequest]);
    let request = &d.outgoing[0];
    assert_eq!(request.to, strings(&[SUNLI]));
    assert_eq!(request.cc, strings(&[ZHANGSAN]));
    assert!(request.body.contains("第十一条"), "{}", request.body);
}

#[test]
fn a_report_on_a_project_without_initiation_or_sales_asks_the_engineer_alone() {
    // 第十一条: with no 责任销售 known, the engineer forwards the request
    let d = run(
        &mail(ZHANGSAN, REPORT_SUBJECT, &report_with(&[])),
        &Facts::default(),
    );
    assert_eq!(d.reasons, strings(&["unknown_project"]));
    assert!(d.effects.contains(&Effect::CreateUninitiated {
        key: key("星河"),
        name: s("星河项目"),
        responsible_sales: None,
    }));
    let request = the_one(&d, OutgoingKind::InitiationRequest);
    assert_eq!(request.to, strings(&[ZHANGSAN]));
    assert!(request.cc.is_empty());
}

#[test]
fn a_second_report_on_an_uninitiated_project_does_not_create_it_again() {
    // 第十一条
    let facts = Facts {
        project: Some(Project {
            initiated: false,
            first_presales: None,
            second_presales: None,
            ..xinghe()
        }),
        ..Facts::default()
    };
    let d = run(&mail(ZHANGSAN, REPORT_SUBJECT, &report_with(&[])), &facts);
    assert_eq!(d.outcome, Outcome::Accepted, "{d:?}");
    assert_eq!(d.reasons, strings(&["unknown_project"]));
    assert!(
        !d.effects
            .iter()
            .any(|e| matches!(e, Effect::CreateUninitiated { .. })),
        "{:?}",
        d.effects
    );
    assert!(d.effects.iter().any(|e| matches!(e, Effect::AddReport(_))));
    // The 责任销售 an earlier report named is still the one asked.
    assert_eq!(
        the_one(&d, OutgoingKind::InitiationRequest).to,
        strings(&[SUNLI])
    );
}

// --- 第九条: 立项 -----------------------------------------------------------------------------

#[test]
fn initiation_by_a_sales_creates_the_project_and_copies_both_presales() {
    // 第九条: 通过《技术支持立项单》事先进行项目立项、确立责任售前
    let d = run(
        &mail(SUNLI, "立项-星河项目", &body(&initiation_fields())),
        &Facts::default(),
    );
    assert_eq!(d.kind, MailKind::Workflow(SubjectKind::Initiation));
    assert_eq!(d.outcome, Outcome::Accepted, "{d:?}");
    assert_eq!(d.project, Some(key("星河")));
    assert_eq!(
        d.effects,
        vec![Effect::InitiateProject(ProjectSheet {
            key: key("星河"),
            name: s("星河项目"),
            responsible_sales: s("孙丽"),
            first_presales: s("张三"),
            second_presales: Some(s("李四")),
            support_type: s("产品实施"),
            support_content: s("部署星河平台并完成双机热备配置"),
            extras: Vec::new(),
        })]
    );
    assert_eq!(kinds(&d), vec![OutgoingKind::Ack]);
    assert_eq!(d.outgoing[0].to, strings(&[SUNLI]));
    assert_eq!(d.outgoing[0].cc, strings(&[ZHANGSAN, LISI]));
}

#[test]
fn initiation_by_a_presales_is_not_authorized() {
    // 第九条: 立项 is the sales' form
    let d = run(
        &mail(ZHANGSAN, "立项-星河项目", &body(&initiation_fields())),
        &Facts::default(),
    );
    assert_rejected(&d, &["not_authorized"]);
    assert!(d.outgoing[0].body.contains("第九条"));
}

#[test]
fn initiation_naming_an_unknown_first_presales_is_rejected() {
    // 第九条: 确立责任售前
    let d = run(
        &mail(SUNLI, "立项-星河项目", &initiation_with("第一售前", "刘备")),
        &Facts::default(),
    );
    assert_rejected(&d, &["invalid_value:第一售前"]);
}

#[test]
fn initiation_with_an_unknown_support_type_is_rejected() {
    // 第九条; workflow.md §2: 售前交流/客户培训/技术文档/产品测试/产品实施/售后服务
    let d = run(
        &mail(
            SUNLI,
            "立项-星河项目",
            &initiation_with("支持类型", "喝茶聊天"),
        ),
        &Facts::default(),
    );
    assert_rejected(&d, &["invalid_value:支持类型"]);
}

// --- 第十三条: who complains, about whom, to whom -------------------------------------------

#[test]
fn a_complaint_from_someone_who_is_not_a_sales_is_not_authorized() {
    // 第十三条: 某项目的责任销售 … 可以发投诉邮件
    let d = run(&mail(LISI, COMPLAINT_SUBJECT, ""), &initiated());
    assert_eq!(d.kind, COMPLAINT);
    assert_rejected(&d, &["not_authorized"]);
}

#[test]
fn a_complaint_from_a_sales_who_is_not_the_projects_responsible_sales_is_not_authorized() {
    // 第十三条
    let d = run(&mail(ZHOUTAO, COMPLAINT_SUBJECT, ""), &initiated());
    assert_rejected(&d, &["not_authorized"]);
    assert!(
        d.outgoing[0].body.contains("孙丽"),
        "{}",
        d.outgoing[0].body
    );
}

#[test]
fn any_sales_may_complain_when_the_setting_allows_it() {
    // 第十三条, relaxed by rules.complaint_requires_responsible_sales = false
    let mut config = config();
    config.rules.complaint_requires_responsible_sales = false;
    let d = decide_with(&config, &mail(ZHOUTAO, COMPLAINT_SUBJECT, ""), &initiated());
    assert_eq!(d.outcome, Outcome::Accepted, "{d:?}");
    assert!(d.effects.contains(&Effect::AddComplaint {
        project: key("星河"),
        complainant: s("周涛"),
        target: s("张三"),
        month: s("2026-11"),
    }));
}

#[test]
fn a_complaint_counts_against_the_first_presales_by_default() {
    // 第十三条
    let d = run(
        &mail(SUNLI, COMPLAINT_SUBJECT, "情况说明: 上周现场沟通后没有汇报"),
        &initiated(),
    );
    assert_eq!(d.outcome, Outcome::Accepted, "{d:?}");
    assert_eq!(d.project, Some(key("星河")));
    assert_eq!(
        d.effects,
        vec![Effect::AddComplaint {
            project: key("星河"),
            complainant: s("孙丽"),
            target: s("张三"),
            month: s("2026-11"),
        }]
    );
    assert_eq!(kinds(&d), vec![OutgoingKind::Ack]);
}

#[test]
fn the_person_named_as_complained_about_overrides_the_first_presales() {
    // 第十三条
    let d = run(
        &mail(SUNLI, COMPLAINT_SUBJECT, "被投诉人: 李四"),
        &initiated(),
    );
    assert_eq!(
        d.effects,
        vec![Effect::AddComplaint {
            project: key("星河"),
            complainant: s("孙丽"),
            target: s("李四"),
            month: s("2026-11"),
        }]
    );
}

#[test]
fn a_complaint_naming_no_one_on_a_project_without_a_first_presales_is_rejected() {
    // 第十三条
    let facts = Facts {
        project: Some(Project {
            initiated: false,
            first_presales: None,
            second_presales: None,
            ..xinghe()
        }),
        ..Facts::default()
    };
    let d = run(
        &mail(SUNLI, COMPLAINT_SUBJECT, "情况说明: 没有汇报"),
        &facts,
    );
    assert_rejected(&d, &["missing_field:被投诉人"]);
}

#[test]
fn a_complaint_not_sent_to_the_manager_is_forwarded_to_her() {
    // 第十三条: 发投诉邮件给技术支持部经理，抄送技术总监
    let mut m = mail(SUNLI, COMPLAINT_SUBJECT, "情况说明: 没有汇报");
    m.to = strings(&[BOT]);
    let d = run(&m, &initiated());
    assert_eq!(d.outcome, Outcome::Accepted, "{d:?}");
    assert_eq!(kinds(&d), vec![OutgoingKind::Ack, OutgoingKind::Forward]);
    let forward = the_one(&d, OutgoingKind::Forward);
    assert_eq!(forward.to, strings(&[WANGFANG]));
    assert!(forward.body.contains("没有汇报"), "{}", forward.body);
    let ack = the_one(&d, OutgoingKind::Ack);
    assert!(ack.body.contains("已代为转发"), "{}", ack.body);
}

#[test]
fn a_complaint_to_the_manager_copying_the_director_is_not_forwarded() {
    // 第十三条
    let d = run(
        &mail(SUNLI, COMPLAINT_SUBJECT, "情况说明: 没有汇报"),
        &initiated(),
    );
    assert_eq!(kinds(&d), vec![OutgoingKind::Ack]);
    assert!(!d.outgoing[0].body.contains("已代为转发"));
}

// --- 第十四条: levels docked and lowered ----------------------------------------------------

#[test]
fn the_second_complaint_in_a_month_docks_a_level_and_tells_engineer_manager_and_director() {
    // 第十四条: 每收到2次投诉邮件，当月绩效工资扣发1级
    let facts = Facts {
        complaint_months: months(&[("张三", "2026-11", 1)]),
        ..initiated()
    };
    let d = run(&mail(SUNLI, COMPLAINT_SUBJECT, ""), &facts);
    let notice = the_one(&d, OutgoingKind::ComplaintThreshold);
    assert_eq!(notice.to, strings(&[ZHANGSAN]));
    assert_eq!(notice.cc, strings(&[WANGFANG, ZHAOQIANG]));
    assert_eq!(
        notices(&d),
        vec![(notice_key("张三", "month", "2026-11", 1), true)]
    );
}

#[test]
fn a_level_already_notified_is_not_notified_twice() {
    // 第十四条; workflow.md §2: never twice for the same crossing
    let facts = Facts {
        complaint_months: months(&[("张三", "2026-11", 1)]),
        notices: HashSet::from([notice_key("张三", "month", "2026-11", 1)]),
        ..initiated()
    };
    let d = run(&mail(SUNLI, COMPLAINT_SUBJECT, ""), &facts);
    assert_eq!(d.outcome, Outcome::Accepted, "{d:?}");
    assert_eq!(kinds(&d), vec![OutgoingKind::Ack]);
    assert!(notices(&d).is_empty());
}

#[test]
fn the_fourth_complaint_ever_lowers_pay_permanently() {
    // 第十四条: 每收到4次投诉邮件，绩效工资永久降1级
    let facts = Facts {
        complaint_months: months(&[("张三", "2026-08", 3)]),
        ..initiated()
    };
    let d = run(&mail(SUNLI, COMPLAINT_SUBJECT, ""), &facts);
    let notice = the_one(&d, OutgoingKind::ComplaintThreshold);
    assert_eq!(notice.to, strings(&[ZHANGSAN]));
    assert_eq!(notice.cc, strings(&[WANGFANG, ZHAOQIANG]));
    assert_eq!(
        notices(&d),
        vec![(notice_key("张三", "permanent", "all", 1), true)]
    );
}

#[test]
fn the_month_of_a_complaint_is_taken_in_shanghai_time() {
    // 第十四条 (当月); workflow.md §2: Asia/Shanghai time of the mail's Date
    let mut m = mail(SUNLI, COMPLAINT_SUBJECT, "");
    m.date = at("2026-11-30T16:30:00Z"); // 2026-12-01 00:30 in Shanghai
    let facts = Facts {
        complaint_months: months(&[("张三", "2026-11", 1)]),
        ..initiated()
    };
    let d = run(&m, &facts);
    assert_eq!(
        d.effects,
        vec![Effect::AddComplaint {
            project: key("星河"),
            complainant: s("孙丽"),
            target: s("张三"),
            month: s("2026-12"),
        }]
    );
    assert_eq!(kinds(&d), vec![OutgoingKind::Ack], "first of December");
}

// --- 撤销投诉 ----------------------------------------------------------------------------------

fn with_complaints() -> Facts {
    Facts {
        project_complaints: vec![
            complaint(9, "周涛", "李四", "2026-11"),
            complaint(7, "孙丽", "张三", "2026-11"),
            complaint(3, "孙丽", "张三", "2026-10"),
        ],
        complaint_months: months(&[
            ("张三", "2026-10", 1),
            ("张三", "2026-11", 1),
            ("李四", "2026-11", 1),
        ]),
        ..initiated()
    }
}

#[test]
fn the_complainant_withdraws_their_latest_complaint() {
    // 撤销投诉 by its sender (workflow.md §2)
    let d = run(&mail(SUNLI, WITHDRAWAL_SUBJECT, ""), &with_complaints());
    assert_eq!(d.kind, MailKind::Workflow(SubjectKind::ComplaintWithdrawal));
    assert_eq!(d.outcome, Outcome::Accepted, "{d:?}");
    assert_eq!(
        d.effects,
        vec![Effect::WithdrawComplaint {
            id: 7,
            voided: false
        }]
    );
    assert_eq!(kinds(&d), vec![OutgoingKind::Ack]);
    assert_eq!(d.outgoing[0].to, strings(&[SUNLI]));
    assert_eq!(d.outgoing[0].cc, strings(&[WANGFANG]));
}

#[test]
fn the_presales_manager_voids_the_latest_complaint() {
    // 撤销投诉: voided by the presales manager (workflow.md §2)
    let d = run(&mail(WANGFANG, WITHDRAWAL_SUBJECT, ""), &with_complaints());
    assert_eq!(d.outcome, Outcome::Accepted, "{d:?}");
    assert_eq!(
        d.effects,
        vec![Effect::WithdrawComplaint {
            id: 9,
            voided: true
        }]
    );
}

#[test]
fn a_withdrawal_by_anyone_else_is_not_authorized() {
    // 撤销投诉: only its sender or the presales manager
    let d = run(&mail(ZHANGSAN, WITHDRAWAL_SUBJECT, ""), &with_complaints());
    assert_eq!(d.kind, MailKind::Workflow(SubjectKind::ComplaintWithdrawal));
    assert_rejected(&d, &["not_authorized"]);
}

#[test]
fn a_withdrawal_with_no_active_complaint_is_rejected() {
    // 撤销投诉
    let d = run(&mail(SUNLI, WITHDRAWAL_SUBJECT, ""), &initiated());
    assert_rejected(&d, &["unknown_project"]);
}

#[test]
fn a_withdrawal_that_lowers_a_level_takes_the_notice_back() {
    // 第十四条; workflow.md §2: tallies and notices follow a withdrawal
    let facts = Facts {
        project_complaints: vec![complaint(7, "孙丽", "张三", "2026-11")],
        complaint_months: months(&[("张三", "2026-11", 2)]),
        notices: HashSet::from([notice_key("张三", "month", "2026-11", 1)]),
        ..initiated()
    };
    let d = run(&mail(SUNLI, WITHDRAWAL_SUBJECT, ""), &facts);
    assert_eq!(d.outcome, Outcome::Accepted, "{d:?}");
    assert_eq!(
        notices(&d),
        vec![(notice_key("张三", "month", "2026-11", 1), false)]
    );
    let notice = the_one(&d, OutgoingKind::ComplaintThreshold);
    assert_eq!(notice.to, strings(&[ZHANGSAN]));
    assert_eq!(notice.cc, strings(&[WANGFANG, ZHAOQIANG]));
}

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
fn a_report_sent_more_than_a_working_day_after_the_contact_is_flagged_late() {
    // 第十二条: report right after the contact. Friday 14:30 → Monday 16:00 is 3.5 + 7 = 10.5
    // working hours (the weekend does not count), more than the default 9.
    let facts = Facts {
        project: Some(xinghe()),
        ..Facts::default()
    };
    let mut m = mail(
        ZHANGSAN,
        "客户沟通-星河项目-张三",
        &report_with(&[("沟通时间", "2026-11-13 14:30")]),
    );
    m.date = at("2026-11-16T08:00:00Z");
    let d = run(&m, &facts);
    assert_eq!(d.outcome, Outcome::Accepted);
    assert_eq!(d.flags, strings(&["late"]));
    // Monday 10:00 is 4.5 working hours later: on time. Full-width and 年月日 forms read too.
    m.date = at("2026-11-16T02:00:00Z");
    assert!(run(&m, &facts).flags.is_empty());
    let m = mail(
        ZHANGSAN,
        "客户沟通-星河项目-张三",
        &report_with(&[("沟通时间", "２０２６年11月13日 14:30")]),
    );
    let mut m2 = m.clone();
    m2.date = at("2026-11-16T08:00:00Z");
    assert_eq!(run(&m2, &facts).flags, strings(&["late"]));
}

#[test]
fn an_unreadable_contact_time_flags_nothing() {
    let facts = Facts {
        project: Some(xinghe()),
        ..Facts::default()
    };
    let mut m = mail(
        ZHANGSAN,
        "客户沟通-星河项目-张三",
        &report_with(&[("沟通时间", "上周五下午")]),
    );
    m.date = at("2026-11-30T08:00:00Z");
    let d = run(&m, &facts);
    assert_eq!(d.outcome, Outcome::Accepted);
    assert!(d.flags.is_empty());
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

/// 张三's earlier report on 星河 (row 7) as the thread a reply points at.
fn on_report_thread() -> Facts {
    Facts {
        thread: Some(ThreadRef {
            message: 7,
            sender: s(SUNLI),
            outcome: s("ignored"),
            kind: s("report"),
            project: Some(s("星河")),
            chain: 7,
        }),
        ..initiated()
    }
}

fn reply(from: &str, subject: &str, body: &str) -> Inbound {
    let mut m = mail(from, subject, body);
    m.in_reply_to = vec![s("sales-reply@example.com")];
    m
}

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

fn open_item(id: i64, thread: i64, engineer: &str) -> OpenItemRef {
    OpenItemRef {
        id,
        thread,
        project: s("星河"),
        engineer: s(engineer),
        open: true,
    }
}

fn closed_items(d: &Decision) -> Vec<i64> {
    d.effects
        .iter()
        .filter_map(|e| match e {
            Effect::CloseOpenItem { id, .. } => Some(*id),
            _ => None,
        })
        .collect()
}

#[test]
fn another_engineers_success_report_never_closes_an_item_it_does_not_name() {
    let facts = Facts {
        open_items: vec![open_item(1, 5, "李四")],
        ..initiated()
    };
    let d = run(
        &mail(ZHANGSAN, "客户沟通-星河项目-张三", &report_with(&[])),
        &facts,
    );
    assert_eq!(d.outcome, Outcome::Accepted);
    assert!(closed_items(&d).is_empty(), "{:?}", d.effects);
}

#[test]
fn a_success_report_naming_no_item_closes_nothing_and_asks_about_the_engineers_one_item() {
    let facts = Facts {
        open_items: vec![open_item(1, 5, "张三")],
        ..initiated()
    };
    let d = run(
        &mail(ZHANGSAN, "客户沟通-星河项目-张三", &report_with(&[])),
        &facts,
    );
    assert!(closed_items(&d).is_empty());
    let ack = the_one(&d, OutgoingKind::Ack);
    assert!(
        ack.body
            .contains("该项目还有遗留问题 #5 未关闭，已解决请回复「已解决」"),
        "{}",
        ack.body
    );
}

#[test]
fn a_success_report_naming_another_engineers_item_closes_it_and_copies_that_engineer() {
    let facts = Facts {
        open_items: vec![open_item(1, 5, "李四"), open_item(2, 6, "张三")],
        ..initiated()
    };
    let d = run(
        &mail(
            ZHANGSAN,
            "客户沟通-星河项目-张三",
            &report_with(&[(
                "沟通的具体问题",
                "#5 审计日志导出 Excel 已由补丁解决，客户验证通过",
            )]),
        ),
        &facts,
    );
    assert_eq!(closed_items(&d), vec![1]);
    let ack = the_one(&d, OutgoingKind::Ack);
    assert_eq!(ack.cc, strings(&[LISI]));
}

#[test]
fn solved_on_the_ack_of_a_success_report_closes_the_engineers_one_open_item() {
    let facts = Facts {
        open_items: vec![open_item(1, 5, "张三"), open_item(2, 6, "李四")],
        ..on_report_thread()
    };
    let d = run(
        &reply(
            ZHANGSAN,
            "Re: [SB-7] 已记录：客户沟通-星河项目-张三",
            "已解决",
        ),
        &facts,
    );
    assert_eq!(d.outcome, Outcome::Accepted);
    assert_eq!(closed_items(&d), vec![1]);
}

#[test]
fn a_traditional_chinese_report_is_read_and_stored_as_written() {
    let body = "溝通結果: 問題遺留\n項目名稱: 星河項目\n溝通人: 客戶王工\n溝通方式: 電話\n溝通的具體問題: 確認客戶防火牆放行 3389 端口\n遺留的問題描述: 客戶要求匯出審計日誌為 Excel\n優先級: 緊急\n";
    let d = run(
        &mail(ZHANGSAN, "客戶溝通-星河項目-張三", body),
        &initiated(),
    );
    assert_eq!(d.outcome, Outcome::Accepted, "{:?}", d.reasons);
    let row = d
        .effects
        .iter()
        .find_map(|e| match e {
            Effect::AddReport(r) => Some(r),
            _ => None,
        })
        .expect("a tracking row");
    assert_eq!(row.result, "问题遗留");
    assert_eq!(row.priority, "紧急");
    assert_eq!(row.content, "確認客戶防火牆放行 3389 端口");
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
