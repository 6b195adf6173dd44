//! 客户沟通 reports through [`decide`]: 第四条, 第十一条, 第十二条, 第十五条, 第十六条, 第十七条.

use crate::rules::testkit::*;
use crate::rules::*;

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
    let m = mail(ZHANGSAN, REPORT_SUBJECT, &text);
    let d = run(&m, &initiated());
    assert_eq!(d.outcome, Outcome::Accepted, "{d:?}");
    assert!(
        d.effects
            .iter()
            .any(|e| matches!(e, Effect::AddReport(r) if r.result == "问题遗留"))
    );
    // The SLA deadlines (第七条) ride on the effect, counted from the mail's event time.
    let config = crate::rules::testkit::config();
    assert!(d.effects.contains(&Effect::OpenItem {
        project: key("星河"),
        engineer: s("张三"),
        description: s("客户内网DNS无法解析授权服务器"),
        priority: s("紧急"),
        due: crate::rules::deadlines::of(&config, "紧急", m.date),
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

// --- 第十二条: a report right after the contact ---------------------------------------------

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

// --- 第十七条: a success report and the open items ---------------------------------------------

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
fn the_ack_lists_the_oldest_twenty_of_the_senders_open_items_and_says_how_many_there_are() {
    // 25 open items of 张三 (threads 101..=125): the store gives the oldest (and how many).
    let facts = Facts {
        open_items: (1..=25).map(|i| open_item(i, 100 + i, "张三")).collect(),
        own_open_items: 25,
        ..initiated()
    };
    let d = run(
        &mail(ZHANGSAN, "客户沟通-星河项目-张三", &report_with(&[])),
        &facts,
    );
    let ack = the_one(&d, OutgoingKind::Ack);
    let listed: Vec<String> = (101..=120).map(|t| format!("#{t}")).collect();
    assert!(
        ack.body.contains(&format!(
            "该项目您名下共有25个遗留问题未关闭，以下是最早的20个：{}。",
            listed.join("、")
        )),
        "{}",
        ack.body
    );
    assert!(!ack.body.contains("#121"), "{}", ack.body);
}

#[test]
fn the_ack_counts_out_the_senders_items_the_report_closes_and_still_lists_twenty() {
    // 30 open in all; the store gives the oldest 21 (20 and one more for the one item named).
    let facts = Facts {
        open_items: (1..=21).map(|i| open_item(i, 100 + i, "张三")).collect(),
        own_open_items: 30,
        ..initiated()
    };
    let d = run(
        &mail(
            ZHANGSAN,
            "客户沟通-星河项目-张三",
            &report_with(&[(
                "沟通的具体问题",
                "#103 审计日志导出 Excel 已由补丁解决，客户验证通过",
            )]),
        ),
        &facts,
    );
    assert_eq!(closed_items(&d), vec![3]);
    let ack = the_one(&d, OutgoingKind::Ack);
    let listed: Vec<String> = (101..=121)
        .filter(|t| *t != 103)
        .map(|t| format!("#{t}"))
        .collect();
    assert!(
        ack.body.contains(&format!(
            "该项目您名下共有29个遗留问题未关闭，以下是最早的20个：{}。",
            listed.join("、")
        )),
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
