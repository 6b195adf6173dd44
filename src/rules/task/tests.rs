//! The 集成部 task flow, rule by rule, as unit tests of [`decide`](crate::rules::decide). People
//! are those of `config/default.toml`: 孙丽 (sales), 何军 (engineering manager), 罗斌 and 高翔
//! (engineers), 张三 (presales).

use super::*;
use crate::config::Config;
use crate::mail::{Inbound, OutgoingKind};
use crate::parse::parse_subject;
use crate::rules::{Decision, Effect, Facts, Outcome, ThreadItem, ThreadRef, decide};
use chrono::{DateTime, Utc};

const SUNLI: &str = "sunli@example.com";
const ZHOUTAO: &str = "zhoutao@example.com";
const HEJUN: &str = "hejun@example.com";
const LUOBIN: &str = "luobin@example.com";
const GAOXIANG: &str = "gaoxiang@example.com";
const ZHANGSAN: &str = "zhangsan@example.com";

fn config() -> Config {
    Config::from_toml(include_str!("../../../config/default.toml"))
        .expect("config/default.toml is a valid config")
}

fn mail(from: &str, subject: &str, body: &str) -> Inbound {
    Inbound {
        key: format!("<{from}-{subject}@test>"),
        from: Some(from.to_string()),
        to: vec!["supportbot@example.com".into()],
        cc: Vec::new(),
        subject: subject.to_string(),
        date: DateTime::parse_from_rfc3339("2026-12-01T02:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default(),
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

fn run_with(config: &Config, m: &Inbound, facts: &Facts) -> Decision {
    decide(config, m, &parse_subject(&m.subject), facts)
}

fn request(from: &str, subject: &str, body: &str) -> Decision {
    run_with(&config(), &mail(from, subject, body), &Facts::default())
}

fn assert_rejected(d: &Decision, reasons: &[&str]) {
    assert_eq!(d.outcome, Outcome::Rejected, "{d:?}");
    assert_eq!(d.reasons, reasons, "{d:?}");
    assert!(d.effects.is_empty());
    assert_eq!(d.outgoing.len(), 1);
    assert_eq!(d.outgoing[0].kind, OutgoingKind::Rejection);
}

fn filed(d: &Decision) -> &NewTask {
    assert_eq!(d.outcome, Outcome::Accepted, "{d:?}");
    match d.effects.as_slice() {
        [Effect::FileTask(t)] => t,
        other => panic!("expected one FileTask, got {other:?}"),
    }
}

const DESIGN: &str = "任务申请-设计-星河项目";
const BUILD: &str = "任务申请-施工-星河项目";

// --- 任务申请 -------------------------------------------------------------------------------

#[test]
fn a_design_request_below_both_thresholds_is_rejected_quoting_rule_one() {
    let d = request(
        SUNLI,
        DESIGN,
        "任务内容: 技术方案\n工程金额: 4万\n设备金额: 9万\n",
    );
    assert_rejected(&d, &["below_threshold"]);
    let body = &d.outgoing[0].body;
    assert!(
        body.contains("超过5万的工程项目或超过10万的设备安装调试项目"),
        "{body}"
    );
    assert!(body.contains("4万") && body.contains("9万"), "{body}");
}

#[test]
fn a_design_request_for_a_project_of_five_wan_is_accepted() {
    let d = request(SUNLI, DESIGN, "任务内容: 标书制作\n工程金额: 5万\n");
    assert_eq!(filed(&d).amount_yuan, 50_000);
    assert_eq!(filed(&d).kind, TaskKind::Design);
}

#[test]
fn a_design_request_for_equipment_of_ten_wan_is_accepted_though_the_project_is_small() {
    let d = request(
        SUNLI,
        DESIGN,
        "任务内容: 现场查勘\n工程金额: 1万\n设备金额: 100000元\n",
    );
    assert_eq!(filed(&d).amount_yuan, 110_000);
}

#[test]
fn amounts_read_the_same_in_wan_and_in_yuan() {
    for amount in ["5万", "50000", "5.0 万元", "５００００元"] {
        let d = request(
            SUNLI,
            DESIGN,
            &format!("任务内容: 技术方案\n工程金额: {amount}\n"),
        );
        assert_eq!(filed(&d).amount_yuan, 50_000, "{amount}");
    }
    let d = request(SUNLI, DESIGN, "任务内容: 技术方案\n工程金额: 5.5 万元\n");
    assert_eq!(filed(&d).amount_yuan, 55_000);
}

#[test]
fn an_unreadable_amount_is_rejected_naming_the_field() {
    let d = request(SUNLI, DESIGN, "任务内容: 技术方案\n工程金额: 很多\n");
    assert_rejected(&d, &["invalid_value:工程金额"]);
}

#[test]
fn a_request_with_no_amount_is_rejected() {
    let d = request(SUNLI, BUILD, "任务内容: 安装调试\n合同号: HT-1\n");
    assert_rejected(&d, &["missing_field:工程金额"]);
}

#[test]
fn a_construction_contract_of_five_wan_without_contract_number_is_not_dispatched() {
    let d = request(SUNLI, BUILD, "任务内容: 机房施工\n工程金额: 50000\n");
    assert_rejected(&d, &["missing_field:合同号"]);
    assert!(
        d.outgoing[0]
            .body
            .contains("「5万以上的合同必须关联合同号，否则不予派工」")
    );
}

#[test]
fn a_construction_contract_of_five_wan_with_its_number_is_accepted() {
    let d = request(
        SUNLI,
        BUILD,
        "任务内容: 机房施工\n工程金额: 3万\n设备金额: 2万\n合同号: HT-2026-118\n期望完工: 2026-12-20\n",
    );
    let t = filed(&d);
    assert_eq!(t.contract_no.as_deref(), Some("HT-2026-118"));
    assert_eq!(t.due, chrono::NaiveDate::from_ymd_opt(2026, 12, 20));
}

#[test]
fn a_small_construction_job_needs_no_contract_number() {
    let d = request(SUNLI, BUILD, "任务内容: 工程维修\n工程金额: 4.9万\n");
    assert_eq!(filed(&d).amount_yuan, 49_000);
}

#[test]
fn the_thresholds_come_from_the_tasks_config() {
    let text = include_str!("../../../config/default.toml")
        .replace(
            "construction_contract_wan = 5 ",
            "construction_contract_wan = 2 ",
        )
        .replace("design_min_project_wan = 5 ", "design_min_project_wan = 1 ");
    let config = Config::from_toml(&text).expect("valid config");
    let m = mail(SUNLI, BUILD, "任务内容: 工程维修\n工程金额: 3万\n");
    assert_rejected(
        &run_with(&config, &m, &Facts::default()),
        &["missing_field:合同号"],
    );
    let m = mail(SUNLI, DESIGN, "任务内容: 技术方案\n工程金额: 1万\n");
    assert_eq!(
        run_with(&config, &m, &Facts::default()).outcome,
        Outcome::Accepted
    );
}

#[test]
fn a_subject_whose_project_reads_as_no_name_is_rejected_not_filed() {
    let d = request(
        SUNLI,
        "任务申请-施工-【】",
        "任务内容: 安装\n工程金额: 1万\n",
    );
    assert_rejected(&d, &["missing_field:项目名称"]);
}

#[test]
fn a_task_request_from_someone_who_is_not_a_sales_is_not_authorized() {
    let d = request(ZHANGSAN, DESIGN, "任务内容: 技术方案\n工程金额: 8万\n");
    assert_rejected(&d, &["not_authorized"]);
}

#[test]
fn a_task_type_field_that_contradicts_the_subject_is_rejected() {
    let d = request(
        SUNLI,
        DESIGN,
        "任务类型: 施工\n任务内容: 安装\n工程金额: 8万\n",
    );
    assert_rejected(&d, &["invalid_value:任务类型"]);
}

#[test]
fn a_request_missing_its_content_is_rejected() {
    let d = request(SUNLI, DESIGN, "工程金额: 8万\n");
    assert_rejected(&d, &["missing_field:任务内容"]);
}

#[test]
fn an_accepted_request_is_acknowledged_to_the_sales_copying_the_engineering_manager() {
    let d = request(
        SUNLI,
        "任務申請－施工－星河項目",
        "任務內容: 安裝調試\n工程金額: 3万\n",
    );
    filed(&d);
    let ack = &d.outgoing[0];
    assert_eq!(ack.kind, OutgoingKind::TaskAck);
    assert_eq!(ack.to, vec![SUNLI.to_string()]);
    assert_eq!(ack.cc, vec![HEJUN.to_string()]);
}

// --- the state machine ----------------------------------------------------------------------

#[test]
fn the_transition_table_is_the_one_of_tasks_md() {
    use TaskState::*;
    let cases: Vec<(TaskState, Command, Option<TaskState>)> = vec![
        (
            Requested,
            Command::Dispatch(vec!["罗斌".into()]),
            Some(Dispatched),
        ),
        (Requested, Command::Reject("x".into()), Some(Rejected)),
        (Dispatched, Command::Start(None), Some(InProgress)),
        (
            InProgress,
            Command::DelayRequest("x".into()),
            Some(DelayRequested),
        ),
        (DelayRequested, Command::Approve, Some(InProgress)),
        (
            DelayRequested,
            Command::Reject("x".into()),
            Some(InProgress),
        ),
        (
            InProgress,
            Command::CompletionRequest(None),
            Some(CompletionRequested),
        ),
        (
            CompletionRequested,
            Command::ConfirmCompletion,
            Some(Completed),
        ),
        (
            CompletionRequested,
            Command::NotCompleted("x".into()),
            Some(InProgress),
        ),
        (Requested, Command::Start(None), None),
        (Dispatched, Command::CompletionRequest(None), None),
        (Completed, Command::NotCompleted("x".into()), None),
        (Rejected, Command::Dispatch(vec!["罗斌".into()]), None),
    ];
    for (from, cmd, to) in cases {
        assert_eq!(
            transition(from, &cmd).map(|(_, t)| t),
            to,
            "{from:?} {cmd:?}"
        );
    }
}

#[test]
fn the_next_actor_is_whoever_the_table_lets_move_the_task() {
    for state in TaskState::ALL {
        let movers: Vec<Actor> = [
            Command::Dispatch(vec![]),
            Command::Start(None),
            Command::DelayRequest(String::new()),
            Command::Approve,
            Command::CompletionRequest(None),
            Command::ConfirmCompletion,
        ]
        .iter()
        .filter_map(|c| transition(state, c))
        .flat_map(|(who, _)| who.iter().copied())
        .collect();
        match next_actor(state) {
            Some(a) => assert!(movers.contains(&a), "{state:?}"),
            None => assert!(movers.is_empty(), "{state:?}"),
        }
    }
}

fn task(state: TaskState) -> Task {
    Task {
        id: 7,
        thread: 40,
        kind: TaskKind::Construction,
        project: "星河项目".into(),
        sales: "孙丽".into(),
        engineers: if state == TaskState::Requested {
            vec![]
        } else {
            vec!["罗斌".into()]
        },
        state,
        due: chrono::NaiveDate::from_ymd_opt(2026, 12, 20),
        requested_due: (state == TaskState::DelayRequested)
            .then(|| chrono::NaiveDate::from_ymd_opt(2026, 12, 27))
            .flatten(),
    }
}

fn on_task(state: TaskState) -> Facts {
    Facts {
        thread: Some(ThreadRef {
            message: 40,
            sender: SUNLI.into(),
            outcome: "accepted".into(),
            kind: crate::rules::MailKind::Workflow(crate::parse::SubjectKind::TaskRequest),
            project: Some("星河".into()),
            chain: 40,
        }),
        item: Some(ThreadItem::Task(task(state))),
        ..Facts::default()
    }
}

fn reply(from: &str, state: TaskState, line: &str) -> Decision {
    let m = mail(from, "Re: [SB-40] 已记录：任务申请-施工-星河项目", line);
    run_with(&config(), &m, &on_task(state))
}

fn moved(d: &Decision) -> (TaskState, TaskState, &TaskChange) {
    assert_eq!(d.outcome, Outcome::Accepted, "{d:?}");
    match d.effects.as_slice() {
        [
            Effect::MoveTask {
                from, to, change, ..
            },
        ] => (*from, *to, change),
        other => panic!("expected one MoveTask, got {other:?}"),
    }
}

#[test]
fn the_engineering_manager_dispatches_a_requested_task_to_engineers() {
    let d = reply(HEJUN, TaskState::Requested, "派工: 罗斌、高翔");
    let (_, to, change) = moved(&d);
    assert_eq!(to, TaskState::Dispatched);
    assert_eq!(change.engineers, Some(vec!["罗斌".into(), "高翔".into()]));
    let ack = &d.outgoing[0];
    assert_eq!(ack.kind, OutgoingKind::TaskAck);
    assert_eq!(ack.to, vec![SUNLI, LUOBIN, GAOXIANG]);
    assert_eq!(ack.cc, vec![HEJUN]);
}

#[test]
fn dispatch_to_someone_who_is_not_an_engineer_is_rejected() {
    let d = reply(HEJUN, TaskState::Requested, "派工: 张三");
    assert_rejected(&d, &["invalid_value:派工"]);
}

#[test]
fn only_the_engineering_manager_may_dispatch_and_the_answer_says_so() {
    let d = reply(SUNLI, TaskState::Requested, "派工: 罗斌");
    assert_rejected(&d, &["not_authorized"]);
    assert!(
        d.outgoing[0].body.contains("工程技术部经理（何军）"),
        "{}",
        d.outgoing[0].body
    );
}

#[test]
fn the_engineering_manager_may_reject_a_request() {
    let d = reply(HEJUN, TaskState::Requested, "驳回: 金额不足");
    let (_, to, change) = moved(&d);
    assert_eq!(to, TaskState::Rejected);
    assert_eq!(change.note.as_deref(), Some("金额不足"));
}

#[test]
fn an_assigned_engineer_starts_the_task() {
    let d = reply(LUOBIN, TaskState::Dispatched, "开工: 2026-12-03");
    let (_, to, change) = moved(&d);
    assert_eq!(to, TaskState::InProgress);
    assert_eq!(
        change.started_on,
        chrono::NaiveDate::from_ymd_opt(2026, 12, 3)
    );
}

#[test]
fn an_engineer_not_assigned_to_the_task_may_not_start_it() {
    let d = reply(GAOXIANG, TaskState::Dispatched, "开工");
    assert_rejected(&d, &["not_authorized"]);
    assert!(d.outgoing[0].body.contains("派工的工程师（罗斌）"));
}

#[test]
fn a_command_not_valid_in_the_state_is_rejected_saying_what_may_be_done_now() {
    let d = reply(LUOBIN, TaskState::Dispatched, "完工申请");
    assert_rejected(&d, &["invalid_state"]);
    let body = &d.outgoing[0].body;
    assert!(
        body.contains("已派工（待开工）") && body.contains("开工"),
        "{body}"
    );
}

#[test]
fn an_engineer_applies_for_a_delay_with_a_date_and_a_reason() {
    let d = reply(
        LUOBIN,
        TaskState::InProgress,
        "延期申请：2026-12-27，设备未到货",
    );
    let (_, to, change) = moved(&d);
    assert_eq!(to, TaskState::DelayRequested);
    assert_eq!(
        change.requested_due,
        chrono::NaiveDate::from_ymd_opt(2026, 12, 27)
    );
    assert_eq!(change.note.as_deref(), Some("设备未到货"));
}

#[test]
fn a_delay_without_a_later_date_or_a_reason_is_rejected() {
    let d = reply(
        LUOBIN,
        TaskState::InProgress,
        "延期申请: 2026-12-10, 设备未到货",
    );
    assert_rejected(&d, &["invalid_value:延期申请"]);
    let d = reply(LUOBIN, TaskState::InProgress, "延期申请: 2026-12-27");
    assert_rejected(&d, &["missing_field:延期理由"]);
}

#[test]
fn the_engineering_manager_approves_a_delay_which_moves_the_due_date() {
    let d = reply(HEJUN, TaskState::DelayRequested, "同意");
    let (_, to, change) = moved(&d);
    assert_eq!(to, TaskState::InProgress);
    assert_eq!(
        change.delay_granted,
        chrono::NaiveDate::from_ymd_opt(2026, 12, 27).map(|d| (d, 7))
    );
}

#[test]
fn a_rejected_delay_keeps_the_due_date() {
    let d = reply(HEJUN, TaskState::DelayRequested, "驳回: 请加派人手");
    let (_, to, change) = moved(&d);
    assert_eq!(to, TaskState::InProgress);
    assert_eq!(change.delay_granted, None);
}

#[test]
fn an_engineer_may_not_approve_their_own_delay() {
    assert_rejected(
        &reply(LUOBIN, TaskState::DelayRequested, "同意"),
        &["not_authorized"],
    );
}

#[test]
fn an_engineer_applies_for_completion_with_a_note() {
    let d = reply(LUOBIN, TaskState::InProgress, "完工申请: 已调试通过");
    let (_, to, change) = moved(&d);
    assert_eq!(to, TaskState::CompletionRequested);
    assert_eq!(change.note.as_deref(), Some("已调试通过"));
}

#[test]
fn the_requesting_sales_or_the_manager_confirms_completion() {
    let (_, to, _) = moved(&reply(SUNLI, TaskState::CompletionRequested, "确认完工"));
    assert_eq!(to, TaskState::Completed);
    let (_, to, _) = moved(&reply(HEJUN, TaskState::CompletionRequested, "确认完工"));
    assert_eq!(to, TaskState::Completed);
    assert_rejected(
        &reply(ZHOUTAO, TaskState::CompletionRequested, "确认完工"),
        &["not_authorized"],
    );
}

#[test]
fn not_completed_sends_the_task_back_to_work() {
    let (_, to, _) = moved(&reply(
        SUNLI,
        TaskState::CompletionRequested,
        "未完工: 机柜未封堵",
    ));
    assert_eq!(to, TaskState::InProgress);
}

#[test]
fn a_completed_task_takes_no_more_commands() {
    assert_rejected(
        &reply(HEJUN, TaskState::Completed, "未完工: 再看看"),
        &["invalid_state"],
    );
}
