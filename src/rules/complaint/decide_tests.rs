//! 投诉 and 撤销投诉 through [`decide`]: 第十三条, 第十四条.

use crate::rules::testkit::*;
use crate::rules::*;
use std::collections::HashSet;

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
    // The rejection gives the form to fill in: the subject and the complaint's fields.
    assert!(
        d.outgoing[0]
            .body
            .contains("标题：投诉-星河项目沟通问题\n被投诉人: \n情况说明: "),
        "{}",
        d.outgoing[0].body
    );
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
fn a_notice_over_many_complaints_lists_the_newest_twenty_and_says_how_many_there_are() {
    // 第十四条 notice: 29 complaints in 2026-11 before this one (level 14), the 30th docks
    // level 15; a mail listing 30 lines is not read, so the newest 20 with the total.
    let earlier: Vec<ComplaintEntry> = (1..=29)
        .map(|i| ComplaintEntry {
            id: i,
            project: "星河".into(),
            complainant: "孙丽".into(),
            target: "张三".into(),
            month: "2026-11".into(),
            filed_at: chrono::DateTime::from_timestamp(1_762_000_000 + i * 3_600, 0)
                .unwrap_or_default(),
        })
        .collect();
    let facts = Facts {
        complaint_months: months(&[("张三", "2026-11", 29)]),
        target_complaints: earlier,
        ..initiated()
    };
    let d = run(&mail(SUNLI, COMPLAINT_SUBJECT, ""), &facts);
    let notice = the_one(&d, OutgoingKind::ComplaintThreshold);
    assert!(
        notice.body.contains("计入的投诉共30起，以下是最近20起："),
        "{}",
        notice.body
    );
    assert!(notice.body.contains("\n20. "), "{}", notice.body);
    assert!(!notice.body.contains("\n21. "), "{}", notice.body);
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
