//! Shared builders for the rule tests: people and addresses of `config/default.toml`, mails,
//! facts, and small assertions on a [`Decision`].

use super::*;
use crate::parse::parse_subject;
use chrono::{DateTime, Utc};

// --- builder -------------------------------------------------------------------------------

pub(super) const DEFAULT_TOML: &str = include_str!("../../config/default.toml");

pub(super) const BOT: &str = "supportbot@example.com";
pub(super) const WANGFANG: &str = "wangfang@example.com"; // 售前经理
pub(super) const ZHAOQIANG: &str = "zhaoqiang@example.com"; // 技术总监
pub(super) const ZHANGSAN: &str = "zhangsan@example.com"; // 售前, 星河's 第一售前
pub(super) const LISI: &str = "lisi@example.com"; // 售前, 星河's 第二售前
pub(super) const WANGWU: &str = "wangwu@example.com"; // 售前, not on 星河
pub(super) const SUNLI: &str = "sunli@example.com"; // 销售, 星河's 责任销售
pub(super) const ZHOUTAO: &str = "zhoutao@example.com"; // 销售, not 星河's

pub(super) const CONCRETE: &str = "解决vista下远程控制网络参数设置";

pub(super) fn config() -> Config {
    Config::from_toml(DEFAULT_TOML).expect("config/default.toml is a valid config")
}

pub(super) fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .expect("valid RFC 3339 date")
        .with_timezone(&Utc)
}

/// A mail as a person sends it: to the presales manager, copying the tech director.
pub(super) fn mail(from: &str, subject: &str, body: &str) -> Inbound {
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

pub(super) fn decide_with(config: &Config, mail: &Inbound, facts: &Facts) -> Decision {
    decide(config, mail, &parse_subject(&mail.subject), facts)
}

pub(super) fn run(mail: &Inbound, facts: &Facts) -> Decision {
    decide_with(&config(), mail, facts)
}

pub(super) fn key(name: &str) -> ProjectKey {
    ProjectKey::new(name).expect("a project name gives a key")
}

pub(super) fn s(v: &str) -> String {
    v.to_string()
}

/// 星河项目, initiated by 孙丽 with 第一售前 张三 and 第二售前 李四.
pub(super) fn xinghe() -> Project {
    Project {
        key: key("星河"),
        name: s("星河项目"),
        initiated: true,
        responsible_sales: Some(s("孙丽")),
        first_presales: Some(s("张三")),
        second_presales: Some(s("李四")),
    }
}

pub(super) fn initiated() -> Facts {
    Facts {
        project: Some(xinghe()),
        ..Facts::default()
    }
}

pub(super) fn body(fields: &[(&str, &str)]) -> String {
    fields.iter().map(|(k, v)| format!("{k}: {v}\n")).collect()
}

/// The five fields of 第十五条, all well filled.
pub(super) fn report_fields() -> Vec<(&'static str, &'static str)> {
    vec![
        ("沟通结果", "成功"),
        ("项目名称", "星河项目"),
        ("沟通人", "客户王工"),
        ("沟通方式", "电话"),
        ("沟通的具体问题", CONCRETE),
    ]
}

/// A good report with some fields replaced (or added when absent).
pub(super) fn report_with(changes: &[(&'static str, &'static str)]) -> String {
    let mut fields = report_fields();
    for (name, value) in changes {
        match fields.iter_mut().find(|(n, _)| n == name) {
            Some(f) => f.1 = value,
            None => fields.push((name, value)),
        }
    }
    body(&fields)
}

pub(super) fn report_without(name: &str) -> String {
    let fields: Vec<_> = report_fields()
        .into_iter()
        .filter(|(n, _)| *n != name)
        .collect();
    body(&fields)
}

pub(super) fn initiation_fields() -> Vec<(&'static str, &'static str)> {
    vec![
        ("项目名称", "星河项目"),
        ("第一售前", "张三"),
        ("第二售前", "李四"),
        ("支持类型", "产品实施"),
        ("支持内容", "部署星河平台并完成双机热备配置"),
    ]
}

pub(super) fn initiation_with(name: &'static str, value: &'static str) -> String {
    let fields: Vec<_> = initiation_fields()
        .into_iter()
        .map(|(n, v)| if n == name { (n, value) } else { (n, v) })
        .collect();
    body(&fields)
}

pub(super) fn kinds(d: &Decision) -> Vec<OutgoingKind> {
    d.outgoing.iter().map(|o| o.kind).collect()
}

pub(super) fn the_one(d: &Decision, kind: OutgoingKind) -> &Outgoing {
    let found: Vec<_> = d.outgoing.iter().filter(|o| o.kind == kind).collect();
    assert_eq!(found.len(), 1, "exactly one {kind:?} in {:?}", kinds(d));
    found[0]
}

pub(super) fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

pub(super) fn notices(d: &Decision) -> Vec<(NoticeKey, bool)> {
    d.effects
        .iter()
        .filter_map(|e| match e {
            Effect::Notice { key, sent } => Some((key.clone(), *sent)),
            _ => None,
        })
        .collect()
}

pub(super) fn notice_key(engineer: &str, scope: &str, period: &str, level: i64) -> NoticeKey {
    (s(engineer), s(scope), s(period), level)
}

pub(super) fn months(rows: &[(&str, &str, i64)]) -> Vec<(String, String, i64)> {
    rows.iter().map(|(t, m, n)| (s(t), s(m), *n)).collect()
}

pub(super) fn complaint(id: i64, complainant: &str, target: &str, month: &str) -> ActiveComplaint {
    ActiveComplaint {
        project: s("星河"),
        id,
        complainant: s(complainant),
        target: s(target),
        month: s(month),
    }
}

pub(super) fn assert_rejected(d: &Decision, reasons: &[&str]) {
    assert_eq!(d.outcome, Outcome::Rejected, "{d:?}");
    assert_eq!(d.reasons, strings(reasons));
    assert!(d.effects.is_empty(), "a rejection changes nothing: {d:?}");
    assert_eq!(kinds(d), vec![OutgoingKind::Rejection]);
}

pub(super) const REPORT_SUBJECT: &str = "客户沟通-星河项目-张三";
pub(super) const COMPLAINT_SUBJECT: &str = "投诉-星河项目沟通问题";
pub(super) const WITHDRAWAL_SUBJECT: &str = "撤销投诉-星河项目";
pub(super) const REPORT: MailKind = MailKind::Workflow(SubjectKind::Report);
pub(super) const COMPLAINT: MailKind = MailKind::Workflow(SubjectKind::Complaint);

// --- threads and open items ---------------------------------------------------------------

/// 张三's earlier report on 星河 (row 7) as the thread a reply points at.
pub(super) fn on_report_thread() -> Facts {
    Facts {
        thread: Some(ThreadRef {
            message: 7,
            sender: s(SUNLI),
            outcome: s("ignored"),
            kind: crate::rules::MailKind::Workflow(crate::parse::SubjectKind::Report),
            project: Some(s("星河")),
            chain: 7,
        }),
        ..initiated()
    }
}

pub(super) fn reply(from: &str, subject: &str, body: &str) -> Inbound {
    let mut m = mail(from, subject, body);
    m.in_reply_to = vec![s("sales-reply@example.com")];
    m
}

pub(super) fn open_item(id: i64, thread: i64, engineer: &str) -> OpenItemRef {
    OpenItemRef {
        id,
        thread,
        project: s("星河"),
        engineer: s(engineer),
        open: true,
    }
}

pub(super) fn closed_items(d: &Decision) -> Vec<i64> {
    d.effects
        .iter()
        .filter_map(|e| match e {
            Effect::CloseOpenItem { id, .. } => Some(*id),
            _ => None,
        })
        .collect()
}
