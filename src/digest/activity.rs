//! The daily and weekly digests (workflow.md §4): activity in the period and the state now.

use super::Digest;
use super::Table;
use crate::config::Config;
use crate::rules::text::{date_cn, datetime_cn, reason, working_duration, zone_name};
use crate::schedule::occurrences::Occurrence;
use crate::store::schedule::{self as store, OpenItemRow, ReportMail};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use sqlx::SqliteConnection;
use std::collections::BTreeMap;

pub(super) fn start_of(config: &Config, d: NaiveDate) -> DateTime<Utc> {
    config.calendar.at(d, NaiveTime::MIN).unwrap_or_default()
}

fn name_of(config: &Config, address: &str) -> String {
    config
        .directory
        .by_email(address)
        .map(|p| p.name.clone())
        .unwrap_or_else(|| address.to_string())
}

fn period(o: &Occurrence) -> String {
    let last = o.to.pred_opt().unwrap_or(o.to);
    if last == o.from {
        date_cn(o.from)
    } else {
        format!("{}至{}", date_cn(o.from), date_cn(last))
    }
}

/// SLA state of an open item at `now`.
fn sla_state(i: &OpenItemRow, now: DateTime<Utc>) -> &'static str {
    if i.resolution_due <= now {
        "超解决时限"
    } else if i.overdue(now) {
        "超响应时限"
    } else {
        "正常"
    }
}

/// What the intro says when the open-item table lists fewer than are open: how many there are,
/// which are shown, and how to ask for the rest by mail (queries.md §4: never a command line).
pub(super) fn open_items_shown(open: store::OpenCounts, shown: usize) -> String {
    if open.open <= shown as i64 {
        return String::new();
    }
    format!(
        "未关闭的遗留问题共 {} 个，其中超时 {} 个；下表列出 {} 个，超时的在前，各按开启时间从早到晚。\
         更多可发邮件「查询-遗留问题」或「查询-项目名」查询。",
        super::grouped(&open.open.to_string()),
        super::grouped(&open.overdue.to_string()),
        shown
    )
}

pub(super) fn open_item_table(config: &Config, items: &[OpenItemRow], now: DateTime<Utc>) -> Table {
    // Overdue first (queries.md §4), each group oldest first as the store gives them.
    let mut items: Vec<&OpenItemRow> = items.iter().collect();
    items.sort_by_key(|i| sla_state(i, now) == "正常");
    let rows = items
        .iter()
        .map(|i| {
            let late = sla_state(i, now) != "正常";
            vec![
                if late {
                    format!("{}{}", super::OVERDUE, i.project)
                } else {
                    i.project.clone()
                },
                i.engineer.clone(),
                i.priority.clone(),
                datetime_cn(i.opened_at, config.timezone),
                working_duration(
                    config.calendar.working_time_between(i.opened_at, now),
                    config.calendar.day_length(),
                ),
                sla_state(i, now).into(),
                i.description.clone(),
            ]
        })
        .collect();
    Table::new(
        "遗留问题（第十七条）",
        &[
            "项目",
            "负责人",
            "优先级",
            "提出时间",
            "已过工作时间",
            "时限状态",
            "问题",
        ],
        rows,
    )
}

/// Reports per engineer in the period: (accepted, rejected, not_assigned, late).
fn per_engineer(config: &Config, mails: &[ReportMail]) -> BTreeMap<String, [usize; 4]> {
    let mut m: BTreeMap<String, [usize; 4]> = BTreeMap::new();
    for r in mails {
        let e = m.entry(name_of(config, &r.sender)).or_default();
        let flags = &r.flags;
        match r.outcome.as_str() {
            "accepted" => e[0] += 1,
            "rejected" => e[1] += 1,
            _ => {}
        }
        e[2] += usize::from(flags.iter().any(|f| f == "not_assigned"));
        e[3] += usize::from(flags.iter().any(|f| f == "late"));
    }
    m
}

/// The daily and weekly digests' body: activity in the period and the state now.
pub(super) async fn activity(
    config: &Config,
    conn: &mut SqliteConnection,
    o: &Occurrence,
    now: DateTime<Utc>,
    label: &str,
) -> anyhow::Result<Digest> {
    let (from, to) = (start_of(config, o.from), start_of(config, o.to));
    let mails = store::report_mails(conn, from, to).await?;
    let open = store::open_item_counts(conn, None, now).await?;
    let items = store::open_items_overdue_first(conn, None, now, super::LISTED_ROWS).await?;
    let complaints = store::complaints_filed(conn, from, to).await?;
    let uninit = store::uninitiated(conn).await?;
    let faults = open_faults(config, conn, now).await?;
    let unauthenticated = store::unauthenticated(conn, from, to).await?;
    let per = per_engineer(config, &mails);
    let sum = |k: usize| per.values().map(|v| v[k]).sum::<usize>();
    let figures = vec![
        ("收到的报告".to_string(), mails.len().to_string()),
        ("接受".into(), sum(0).to_string()),
        ("退回".into(), sum(1).to_string()),
        ("未关闭的遗留问题".into(), open.open.to_string()),
        ("其中超时".into(), open.overdue.to_string()),
        ("新投诉".into(), complaints.len().to_string()),
        ("未完成的故障处理工作单".into(), faults.len().to_string()),
        ("未立项项目".into(), uninit.len().to_string()),
        (
            "未通过发件人认证的邮件".into(),
            unauthenticated.len().to_string(),
        ),
    ];
    let eng = per
        .iter()
        .map(|(n, v)| {
            vec![
                n.clone(),
                v[0].to_string(),
                v[1].to_string(),
                v[2].to_string(),
                v[3].to_string(),
            ]
        })
        .collect();
    let rejected = mails
        .iter()
        .filter(|m| m.outcome == "rejected")
        .map(|m| {
            vec![
                name_of(config, &m.sender),
                crate::store::cell_or_blank(
                    m.project.as_deref().map(crate::rules::text::project_name),
                ),
                m.reasons
                    .iter()
                    .map(|r| reason(r))
                    .collect::<Vec<_>>()
                    .join("；"),
            ]
        })
        .collect();
    let flagged = mails
        .iter()
        .flat_map(|m| m.flags.iter().map(move |f| (m, f.clone())))
        .map(|(m, f)| {
            vec![
                name_of(config, &m.sender),
                crate::store::cell_or_blank(m.project.clone()),
                if f == "not_assigned" {
                    "未指派（第四条）".to_string()
                } else if f == "late" {
                    "迟报（第十二条）".into()
                } else {
                    f
                },
            ]
        })
        .collect();
    let complaint_rows = complaints
        .into_iter()
        .map(|(t, p, c)| vec![t, p, c])
        .collect();
    let mut uninit_rows: Vec<Vec<String>> = uninit
        .iter()
        .map(|u| {
            // Past its 第十一条 reminder: overdue.
            let reminded = config
                .calendar
                .add_working_days(u.created_at, config.schedules.remind_uninitiated_after);
            vec![
                marked(reminded <= now, u.name.clone()),
                u.responsible_sales
                    .clone()
                    .unwrap_or_else(|| "（未知）".into()),
                date_cn(u.created_at.with_timezone(&config.timezone).date_naive()),
                if u.support_stopped {
                    "可能暂停支持".into()
                } else {
                    "未立项".into()
                },
            ]
        })
        .collect();
    overdue_first(&mut uninit_rows);
    Ok(Digest {
        title: format!("技术支持{label}：{}", period(o)),
        intro: format!(
            "统计期间：{}（{}）；各项状态截至{}。{}",
            period(o),
            zone_name(config.timezone),
            datetime_cn(now, config.timezone),
            open_items_shown(open, items.len())
        ),
        figures,
        tables: vec![
            Table::new(
                "各技服人员的报告",
                &["技服人员", "接受", "退回", "未指派", "迟报"],
                eng,
            ),
            Table::new("被退回的报告", &["发送人", "项目", "原因"], rejected),
            open_item_table(config, &items, now),
            Table::new(
                "未完成的故障处理工作单",
                &[
                    "项目",
                    "编号",
                    "状态",
                    "下一步由",
                    "研发负责人",
                    "优先级",
                    "进入状态",
                ],
                faults,
            ),
            Table::new("投诉", &["被投诉人", "项目", "投诉人"], complaint_rows),
            Table::new(
                "未立项或可能暂停支持的项目（第十一条）",
                &["项目", "责任销售", "首次报告", "状态"],
                uninit_rows,
            ),
            Table::new("未指派或迟报的报告", &["发送人", "项目", "标记"], flagged),
            Table::new(
                "未通过发件人认证、已忽略的邮件",
                &["发件人", "主题", "时间"],
                unauthenticated
                    .into_iter()
                    .map(|(sender, subject, at)| {
                        let at = crate::store::parse_ts(&at)?;
                        Ok(vec![sender, subject, datetime_cn(at, config.timezone)])
                    })
                    .collect::<anyhow::Result<_>>()?,
            ),
        ],
    })
}

/// Fault orders not yet closed, rejected or converted, by state, with who owes the next step.
async fn open_faults(
    config: &Config,
    conn: &mut SqliteConnection,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<Vec<String>>> {
    let mut rows = Vec::new();
    for state in [
        "pending_approval",
        "with_rd_manager",
        "assigned",
        "closure_requested",
    ] {
        for f in crate::store::queries::faults_in_state(conn, state).await? {
            let name = crate::rules::FaultState::from_name(&f.state).map_or(f.state.clone(), |s| {
                crate::rules::fault_state_name(s).to_string()
            });
            let since = crate::store::parse_ts(&f.updated_at)?;
            let due = crate::rules::deadlines::of(config, &f.priority, since).response;
            rows.push(vec![
                marked(due <= now, crate::rules::text::project_name(&f.project)),
                format!("#{}", f.thread),
                name,
                f.owes(config).join("、"),
                crate::store::cell_or_blank(f.lead.clone()),
                f.priority.clone(),
                datetime_cn(since, config.timezone),
            ]);
        }
    }
    overdue_first(&mut rows);
    Ok(rows)
}

/// A first cell, with the overdue marker when `late`.
fn marked(late: bool, cell: String) -> String {
    if late {
        format!("{}{cell}", super::OVERDUE)
    } else {
        cell
    }
}

/// Overdue rows first, the order otherwise kept.
fn overdue_first(rows: &mut [Vec<String>]) {
    rows.sort_by_key(|r| !r.first().is_some_and(|c| c.starts_with(super::OVERDUE)));
}

/// The weekly trend: this week against the week before.
pub(super) async fn trend(
    config: &Config,
    conn: &mut SqliteConnection,
    o: &Occurrence,
) -> anyhow::Result<Table> {
    let week = |d: NaiveDate| start_of(config, d);
    let before = o.from - chrono::Duration::days(7);
    let this = store::report_mails(conn, week(o.from), week(o.to)).await?;
    let prev = store::report_mails(conn, week(before), week(o.from)).await?;
    let c_this = store::complaints_filed(conn, week(o.from), week(o.to))
        .await?
        .len();
    let c_prev = store::complaints_filed(conn, week(before), week(o.from))
        .await?
        .len();
    let count = |v: &[ReportMail], outcome: &str| v.iter().filter(|m| m.outcome == outcome).count();
    let rows = [
        (
            "报告（接受）",
            count(&prev, "accepted"),
            count(&this, "accepted"),
        ),
        (
            "报告（退回）",
            count(&prev, "rejected"),
            count(&this, "rejected"),
        ),
        ("投诉", c_prev, c_this),
    ]
    .into_iter()
    .map(|(l, a, b)| {
        vec![
            l.to_string(),
            a.to_string(),
            b.to_string(),
            format!("{:+}", b as i64 - a as i64),
        ]
    })
    .collect();
    Ok(Table::new(
        "趋势（与前一周相比）",
        &["指标", "前一周", "本周", "变化"],
        rows,
    ))
}
