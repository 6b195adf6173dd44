//! What each digest holds (workflow.md §4), read from the store inside the tick's transaction.

use super::{Digest, Table, xlsx};
use crate::config::Config;
use crate::directory::Role;
use crate::mail::outbound::Attachment;
use crate::mail::{Outgoing, OutgoingKind};
use crate::report;
use crate::schedule::Prepared;
use crate::schedule::occurrences::{Occurrence, What};
use crate::store::schedule::{self as store, OpenItemRow, ReportMail};
use crate::store::tracking;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use sqlx::SqliteConnection;
use std::collections::BTreeMap;

/// Builds the mail of a due digest or warning; `None` when it has nobody to go to.
pub async fn build(
    config: &Config,
    conn: &mut SqliteConnection,
    o: &Occurrence,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<Prepared>> {
    let addresses = |r: Role| -> Vec<String> {
        config
            .directory
            .with_role(r)
            .map(|p| p.address().to_string())
            .collect()
    };
    let (kind, to, digest, attachments) = match &o.what {
        What::CalendarWarning(year) => {
            let mail = crate::schedule::calendar_warning_mail(config, *year);
            let has_to = !mail.to.is_empty();
            return Ok(has_to.then_some(Prepared {
                mail,
                html: None,
                attachments: Vec::new(),
            }));
        }
        What::Daily => {
            let d = activity(config, conn, o, now, "日报").await?;
            (
                OutgoingKind::DailyDigest,
                addresses(Role::PresalesManager),
                d,
                vec![],
            )
        }
        What::Weekly => {
            let mut d = activity(config, conn, o, now, "周报").await?;
            d.tables.insert(0, trend(config, conn, o).await?);
            (
                OutgoingKind::WeeklyDigest,
                addresses(Role::TechDirector),
                d,
                vec![],
            )
        }
        What::Monthly => {
            let (d, book) = monthly(config, conn, o).await?;
            let mut to = addresses(Role::PresalesManager);
            to.extend(addresses(Role::TechDirector));
            (OutgoingKind::MonthlyDigest, to, d, vec![book])
        }
        What::Personal(name) => {
            let d = personal(config, conn, name, now).await?;
            let to: Vec<String> = config
                .directory
                .by_name(name)
                .map(|p| p.address().to_string())
                .into_iter()
                .collect();
            (OutgoingKind::PersonalDigest, to, d, vec![])
        }
    };
    if to.is_empty() {
        return Ok(None);
    }
    let mail = Outgoing {
        kind,
        to,
        cc: Vec::new(),
        subject: digest.title.clone(),
        body: digest.text(),
    };
    Ok(Some(Prepared {
        mail,
        html: Some(digest.html()),
        attachments,
    }))
}

fn start_of(config: &Config, d: NaiveDate) -> DateTime<Utc> {
    config.calendar.at(d, NaiveTime::MIN).unwrap_or_default()
}

fn name_of(config: &Config, address: &str) -> String {
    config
        .directory
        .by_email(address)
        .map(|p| p.name.clone())
        .unwrap_or_else(|| address.to_string())
}

fn list(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

fn period(o: &Occurrence) -> String {
    let last = o.to.pred_opt().unwrap_or(o.to);
    if last == o.from {
        format!("{}", o.from)
    } else {
        format!("{} 至 {}", o.from, last)
    }
}

/// Working time as 「N小时M分」.
fn hours(d: chrono::Duration) -> String {
    format!("{}小时{:02}分", d.num_hours(), d.num_minutes() % 60)
}

/// SLA state of an open item at `now`.
fn sla_state(i: &OpenItemRow, now: DateTime<Utc>) -> &'static str {
    if i.resolution_due <= now {
        "超解决时限"
    } else if i.response_due <= now && !i.followed_up {
        "超响应时限"
    } else {
        "正常"
    }
}

fn open_item_table(config: &Config, items: &[OpenItemRow], now: DateTime<Utc>) -> Table {
    let rows = items
        .iter()
        .map(|i| {
            vec![
                i.project.clone(),
                i.engineer.clone(),
                i.priority.clone(),
                i.opened_at
                    .with_timezone(&config.timezone)
                    .format("%Y-%m-%d %H:%M")
                    .to_string(),
                hours(config.calendar.working_time_between(i.opened_at, now)),
                sla_state(i, now).into(),
                i.description.clone(),
            ]
        })
        .collect();
    Table::new(
        "遗留问题（按时长与 SLA 状态）",
        &[
            "项目",
            "负责人",
            "优先级",
            "提出时间",
            "已过工作时间",
            "SLA 状态",
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
        let flags = list(&r.flags);
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
async fn activity(
    config: &Config,
    conn: &mut SqliteConnection,
    o: &Occurrence,
    now: DateTime<Utc>,
    label: &str,
) -> anyhow::Result<Digest> {
    let (from, to) = (start_of(config, o.from), start_of(config, o.to));
    let mails = store::report_mails(conn, from, to).await?;
    let items = store::open_items(conn, None).await?;
    let complaints = store::complaints_filed(conn, from, to).await?;
    let uninit = store::uninitiated(conn).await?;
    let per = per_engineer(config, &mails);
    let sum = |k: usize| per.values().map(|v| v[k]).sum::<usize>();
    let overdue = items.iter().filter(|i| sla_state(i, now) != "正常").count();
    let figures = vec![
        ("收到的报告".to_string(), mails.len().to_string()),
        ("接受".into(), sum(0).to_string()),
        ("退回".into(), sum(1).to_string()),
        ("未关闭的遗留问题".into(), items.len().to_string()),
        ("其中超时".into(), overdue.to_string()),
        ("新投诉".into(), complaints.len().to_string()),
        ("未立项项目".into(), uninit.len().to_string()),
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
                m.project.clone().unwrap_or_default(),
                list(&m.reasons).join("、"),
            ]
        })
        .collect();
    let flagged = mails
        .iter()
        .flat_map(|m| list(&m.flags).into_iter().map(move |f| (m, f)))
        .map(|(m, f)| {
            vec![
                name_of(config, &m.sender),
                m.project.clone().unwrap_or_default(),
                if f == "not_assigned" {
                    "未指派（第四条）".to_string()
                } else if f == "late" {
                    "迟报".into()
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
    let uninit_rows = uninit
        .iter()
        .map(|u| {
            vec![
                u.name.clone(),
                u.responsible_sales
                    .clone()
                    .unwrap_or_else(|| "（未知）".into()),
                u.created_at
                    .with_timezone(&config.timezone)
                    .format("%Y-%m-%d")
                    .to_string(),
                if u.support_stopped {
                    "可能暂停支持".into()
                } else {
                    "未立项".into()
                },
            ]
        })
        .collect();
    Ok(Digest {
        title: format!("技术支持{label}：{}", period(o)),
        intro: format!(
            "统计期间 {}（{}），状态截至 {}。",
            period(o),
            config.timezone,
            now.with_timezone(&config.timezone).format("%Y-%m-%d %H:%M")
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
            Table::new("投诉", &["被投诉人", "项目", "投诉人"], complaint_rows),
            Table::new(
                "未立项或可能暂停支持的项目（第十一条）",
                &["项目", "责任销售", "首次报告", "状态"],
                uninit_rows,
            ),
            Table::new("未指派或迟报的报告", &["发送人", "项目", "标记"], flagged),
        ],
    })
}

/// The weekly trend: this week against the week before.
async fn trend(
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

/// 第十四条 tally of the month before and every presales' 项目跟踪表 (第十六条) as .xlsx.
async fn monthly(
    config: &Config,
    conn: &mut SqliteConnection,
    o: &Occurrence,
) -> anyhow::Result<(Digest, Attachment)> {
    let month = o.from.format("%Y-%m").to_string();
    let lines = report::tally(config, conn, &month).await?;
    let rows = tracking::tracking(conn, None).await?;
    let owners = xlsx::owners(
        config
            .directory
            .with_role(Role::Presales)
            .map(|p| p.name.clone()),
        &rows,
    );
    let book = xlsx::workbook(&owners, &rows, config.timezone)?;
    let tally_rows = lines
        .iter()
        .map(|l| {
            vec![
                l.name.clone(),
                l.month_count.to_string(),
                l.cumulative_count.to_string(),
                l.levels_docked.to_string(),
                l.permanent_levels.to_string(),
            ]
        })
        .collect();
    let table_rows = owners
        .iter()
        .map(|n| {
            vec![
                n.clone(),
                rows.iter().filter(|r| &r.owner == n).count().to_string(),
            ]
        })
        .collect();
    let digest = Digest {
        title: format!("技术支持月报：{month}"),
        intro: format!(
            "{month} 投诉统计（第十四条：每月每 2 次扣发当月绩效一级，累计每 4 次永久降一级），及各售前的项目跟踪表（第十六条，见附件）。"
        ),
        figures: vec![
            (
                "当月投诉".into(),
                lines.iter().map(|l| l.month_count).sum::<i64>().to_string(),
            ),
            (
                "当月扣发级数合计".into(),
                lines
                    .iter()
                    .map(|l| l.levels_docked)
                    .sum::<i64>()
                    .to_string(),
            ),
            ("项目跟踪表记录".into(), rows.len().to_string()),
        ],
        tables: vec![
            Table::new(
                "投诉统计",
                &[
                    "技服人员",
                    "当月投诉",
                    "累计投诉",
                    "当月扣发级数",
                    "永久降级",
                ],
                tally_rows,
            ),
            Table::new(
                "项目跟踪表（附件中每人一页）",
                &["第一售前", "记录数"],
                table_rows,
            ),
        ],
    };
    let attachment = Attachment {
        filename: format!("项目跟踪表-{month}.xlsx"),
        content_type: xlsx::CONTENT_TYPE.into(),
        content: book,
    };
    Ok((digest, attachment))
}

/// Each presales, weekly: their own tracking table and open items.
async fn personal(
    config: &Config,
    conn: &mut SqliteConnection,
    name: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Digest> {
    let rows = tracking::tracking(conn, Some(name)).await?;
    let items = store::open_items(conn, Some(name)).await?;
    let table = rows
        .iter()
        .map(|r| {
            vec![
                r.project.clone(),
                xlsx::local(config.timezone, &r.date),
                r.engineer.clone(),
                r.result.clone(),
                r.content.clone(),
            ]
        })
        .collect();
    Ok(Digest {
        title: format!("{name} 的项目跟踪表与遗留问题"),
        intro: format!(
            "截至 {}：您作为第一售前的项目跟踪表（第十六条）和您负责的未关闭遗留问题（第十七条）。",
            now.with_timezone(&config.timezone).format("%Y-%m-%d %H:%M")
        ),
        figures: vec![
            ("跟踪表记录".into(), rows.len().to_string()),
            ("未关闭的遗留问题".into(), items.len().to_string()),
        ],
        tables: vec![
            Table::new(
                "项目跟踪表",
                &["项目", "日期", "技服人员", "结果", "沟通的具体问题"],
                table,
            ),
            open_item_table(config, &items, now),
        ],
    })
}
