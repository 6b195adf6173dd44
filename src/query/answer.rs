//! The answer to one query, read from the store inside the mail's transaction (so it is what
//! the database says when the mail is handled) and laid out as a [`Page`]. Reads only.

use super::Query;
use super::access::{self, Scope};
use super::render::{Cell, Page, REPLY_ROWS, Reply, Section, closest, excerpt};
use crate::config::Config;
use crate::directory::Person;
use crate::mail::OutgoingKind;
use crate::parse::{ProjectKey, SubjectKind};
use crate::rules::Outcome;
use crate::store::{self, kb, parse_ts, queries, query_data};
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;
use std::collections::HashSet;

/// Entries a knowledge-base answer lists (queries.md §2).
pub const KB_HITS: i64 = 10;

/// Rows read for a table of a reply: one more than it holds, to know whether there were more.
const READ_ROWS: i64 = REPLY_ROWS as i64 + 1;

/// What a query mail gets.
#[derive(Debug, Clone)]
pub struct Answer {
    /// `accepted`, or `rejected` (not authorized, unknown project, nothing to search).
    pub outcome: Outcome,
    /// Reason codes when rejected.
    pub reasons: Vec<String>,
    /// The project it asked about, when it named a known one.
    pub project: Option<ProjectKey>,
    /// `query_reply` or `help_reply`.
    pub kind: OutgoingKind,
    /// The reply.
    pub reply: Reply,
}

/// Answers `query` from `sender` (known to the directory), asked with `subject`, at `now`.
pub async fn answer(
    config: &Config,
    conn: &mut SqliteConnection,
    sender: &Person,
    query: &Query,
    subject: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Answer> {
    let asked = crate::mail::outbound::cut(
        &crate::parse::subject::stripped(subject),
        crate::mail::outbound::SUBJECT_ECHO_CHARS,
    )
    .into_owned();
    let cx = Cx {
        config,
        sender,
        asked: &asked,
        now,
    };
    let (page, outcome) = match query {
        Query::Help => (help(), Ok(None)),
        Query::Project(name) => project(&cx, conn, name).await?,
        Query::Tasks(name) => tasks(&cx, conn, name).await?,
        Query::MyTracking => tracking_of(&cx, conn, &sender.name).await?,
        Query::Tracking(name) => tracking_of(&cx, conn, name).await?,
        Query::Complaints(month) => complaints(&cx, conn, month.as_deref()).await?,
        Query::BadMonth(text) => (
            Page::new(
                "月份无法识别",
                vec![format!(
                    "「{text}」不是月份。请写成 查询-投诉统计-YYYY-MM，例如 查询-投诉统计-2026-11；不写月份即为本月。"
                )],
            ),
            Err(vec!["invalid_value:月份".to_string()]),
        ),
        Query::OpenItems => open_items(&cx, conn).await?,
        Query::Todo => (todo(&cx, conn).await?, Ok(None)),
        Query::Kb(words) => knowledge(&cx, conn, words).await?,
    };
    let (outcome, reasons, project) = match outcome {
        Ok(project) => (Outcome::Accepted, Vec::new(), project),
        Err(reasons) => (Outcome::Rejected, reasons, None),
    };
    let kind = if *query == Query::Help {
        OutgoingKind::HelpReply
    } else {
        OutgoingKind::QueryReply
    };
    Ok(Answer {
        outcome,
        reasons,
        project,
        kind,
        reply: page.into_reply(asked)?,
    })
}

/// Who asks what, when.
struct Cx<'a> {
    config: &'a Config,
    sender: &'a Person,
    asked: &'a str,
    now: DateTime<Utc>,
}

/// Accepted (with the project it concerns) or rejected with reason codes.
type Verdict = Result<Option<ProjectKey>, Vec<String>>;

impl Cx<'_> {
    fn local(&self, stored: &str) -> anyhow::Result<String> {
        crate::digest::xlsx::local(self.config.timezone, stored)
    }

    fn day(&self, stored: &str) -> anyhow::Result<String> {
        Ok(parse_ts(stored)?
            .with_timezone(&self.config.timezone)
            .format("%Y-%m-%d")
            .to_string())
    }

    /// Working time from `stored` to now, `N个工作日M小时`.
    fn age(&self, stored: &str) -> anyhow::Result<String> {
        let cal = &self.config.calendar;
        let worked = cal.working_time_between(parse_ts(stored)?, self.now);
        let day = cal.day_length().num_minutes().max(1);
        let minutes = worked.num_minutes().max(0);
        Ok(format!(
            "{}个工作日{}小时",
            minutes / day,
            (minutes % day) / 60
        ))
    }

    /// SLA state of something due by `response` / `resolution`.
    fn sla(&self, response: Option<&str>, resolution: Option<&str>) -> anyhow::Result<Cell> {
        let resolution = resolution.map(parse_ts).transpose()?;
        let response = response.map(parse_ts).transpose()?;
        Ok(match (resolution, response) {
            (Some(r), _) if r < self.now => {
                Cell::Alert(format!("已超出解决时限（{}）", self.local(&store::ts(r))?))
            }
            (Some(r), _) => Cell::Text(format!("解决时限 {}", self.local(&store::ts(r))?)),
            (None, Some(r)) if r < self.now => Cell::Alert("已超出响应时限".into()),
            _ => Cell::Text("—".into()),
        })
    }

    fn not_authorized(&self, askers: &str) -> (Page, Verdict) {
        (
            Page::new(
                "无权查询",
                vec![format!(
                    "「{}」只有{askers}可以查询；您（{}）不在其中。如需了解，请联系售前经理。",
                    self.asked, self.sender.name
                )],
            ),
            Err(vec!["not_authorized".into()]),
        )
    }
}

/// A tag for people: `[SB-12]`.
fn tag(thread: i64) -> String {
    format!("[SB-{thread}]")
}

/// The project named `name`, or the reply for an unknown one (with the closest names the
/// sender may see).
async fn find_project(
    cx: &Cx<'_>,
    conn: &mut SqliteConnection,
    name: &str,
    visible: fn(&Person, &queries::ProjectRow) -> bool,
) -> anyhow::Result<Result<queries::ProjectRow, (Page, Verdict)>> {
    if let Some(key) = ProjectKey::new(name)
        && let Some(row) = queries::project(conn, key.as_str()).await?
    {
        return Ok(Ok(row));
    }
    let names: Vec<String> = query_data::projects(conn)
        .await?
        .into_iter()
        .filter(|p| visible(cx.sender, p))
        .map(|p| p.name)
        .collect();
    let near = closest(name, &names);
    let mut lines = vec![format!("没有名为「{name}」的项目。")];
    if near.is_empty() {
        lines.push("请检查项目名称（与立项邮件中的项目名称一致）。".into());
    } else {
        lines.push(format!("您是否要查询：{}？", near.join("、")));
        lines.extend(near.iter().map(|n| format!("  查询-{n}")));
    }
    Ok(Err((
        Page::new("项目不存在", lines),
        Err(vec!["unknown_project".into()]),
    )))
}

async fn project(
    cx: &Cx<'_>,
    conn: &mut SqliteConnection,
    name: &str,
) -> anyhow::Result<(Page, Verdict)> {
    let p = match find_project(cx, conn, name, access::may_see_project).await? {
        Ok(p) => p,
        Err(reply) => return Ok(reply),
    };
    if !access::may_see_project(cx.sender, &p) {
        return Ok(cx.not_authorized(access::PROJECT_ASKERS));
    }
    let key = p.key.clone();
    let state = if p.status == "initiated" {
        "正常（已立项）".to_string()
    } else if query_data::support_may_stop(conn, &key).await? {
        "未立项，已通知技术支持可能暂停（第十一条）".to_string()
    } else {
        "未立项（第十一条：请责任销售补立项）".to_string()
    };
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".into());
    let mut page = Page::new(
        format!("项目：{}", p.name),
        vec![
            format!("状态：{state}"),
            format!("责任销售：{}", opt(&p.responsible_sales)),
            format!("第一售前：{}", opt(&p.first_presales)),
            format!("第二售前：{}", opt(&p.second_presales)),
            format!("支持类型：{}", opt(&p.support_type)),
            format!("支持内容：{}", opt(&p.support_content)),
            format!(
                "立项时间：{}",
                match p.initiated_at.as_deref() {
                    Some(t) => cx.local(t)?,
                    None => "—".into(),
                }
            ),
        ],
    );
    page.xlsx_name = format!("{}.xlsx", p.name);
    let reports = query_data::reports_latest(conn, &key, READ_ROWS).await?;
    page.sections.push(Section::bounded(
        "跟踪记录（第十六条）",
        &["日期", "技服人员", "结果", "沟通的具体问题", "编号"],
        reports
            .iter()
            .map(|r| -> anyhow::Result<Vec<Cell>> {
                Ok(vec![
                    cx.local(&r.date)?.into(),
                    r.engineer.clone().into(),
                    r.result.clone().into(),
                    r.content.clone().into(),
                    tag(r.thread).into(),
                ])
            })
            .collect::<anyhow::Result<Vec<_>>>()?,
        true,
    ));
    let open = query_data::open_items(conn, query_data::Whose::Project(&key), READ_ROWS).await?;
    page.sections.push(open_section(
        cx,
        "未关闭的遗留问题（第十七条）",
        &open,
        false,
    )?);
    let (faults, open_faults, more) = open_then_latest(
        query_data::active_faults_of(conn, &key).await?,
        query_data::faults_latest(conn, &key, READ_ROWS).await?,
        |f| f.thread,
    );
    let note = more.then(|| {
        format!(
            "故障处理工作单超过 {REPLY_ROWS} 张：此表列出未结束的 {open_faults} 张和最近结束的 {} 张，\
             更早的请系统管理员导出（report faults）。",
            faults.len() - open_faults
        )
    });
    let mut section = Section::new(
        "故障处理工作单（第四十四条）",
        &["编号", "提出人", "优先级", "状态", "下一步由"],
        faults
            .iter()
            .map(|f| {
                vec![
                    tag(f.thread).into(),
                    f.proposer.clone().into(),
                    f.priority.clone().into(),
                    fault_state(&f.state).into(),
                    f.owes(cx.config).join("、").into(),
                ]
            })
            .collect(),
    );
    section.note = note;
    page.sections.push(section);
    let improvements = queries::improvements(conn, &key).await?;
    page.sections.push(Section::new(
        "产品改进申请（第二十一条）",
        &["序号", "提出人", "日期", "研发工时", "编号"],
        improvements
            .iter()
            .map(|i| -> anyhow::Result<Vec<Cell>> {
                Ok(vec![
                    i.number.to_string().into(),
                    i.proposer.clone().into(),
                    cx.day(&i.filed_at)?.into(),
                    format!("{}小时", i.rd_hours).into(),
                    tag(i.thread).into(),
                ])
            })
            .collect::<anyhow::Result<Vec<_>>>()?,
    ));
    let complaints = query_data::complaints_latest(conn, &key, READ_ROWS).await?;
    page.sections.push(Section::bounded(
        "投诉（第十三条）",
        &["日期", "投诉人", "被投诉人", "计入月份", "状态"],
        complaints
            .iter()
            .map(|c| -> anyhow::Result<Vec<Cell>> {
                let status = match c.status.as_str() {
                    "active" => "有效",
                    "withdrawn" => "已撤销",
                    _ => "已作废",
                };
                Ok(vec![
                    cx.day(&c.filed_at)?.into(),
                    c.complainant.clone().into(),
                    c.target.clone().into(),
                    c.month.clone().into(),
                    status.into(),
                ])
            })
            .collect::<anyhow::Result<Vec<_>>>()?,
        true,
    ));
    Ok((page, Ok(ProjectKey::new(&key))))
}

/// A fault order's state for people.
fn fault_state(state: &str) -> &'static str {
    match state {
        "pending_approval" => "待售前经理同意",
        "with_rd_manager" => "待研发经理分配",
        "assigned" => "研发处理中",
        "closure_requested" => "待提出人确认关闭",
        "closed" => "已关闭",
        "rejected" => "已驳回",
        "converted" => "已转定制",
        _ => "未知",
    }
}

/// Open items, with age in working time and SLA state; `with_project` adds the project column.
fn open_section(
    cx: &Cx<'_>,
    title: &str,
    items: &[query_data::OpenLine],
    with_project: bool,
) -> anyhow::Result<Section> {
    let mut headers = vec!["编号"];
    if with_project {
        headers.push("项目");
    }
    headers.extend([
        "技服人员",
        "遗留的问题描述",
        "优先级",
        "已过（工作时间）",
        "时限状态",
    ]);
    let rows = items
        .iter()
        .map(|o| -> anyhow::Result<Vec<Cell>> {
            let mut row: Vec<Cell> = vec![tag(o.thread).into()];
            if with_project {
                row.push(o.project_name.clone().into());
            }
            row.extend([
                o.engineer.clone().into(),
                o.description.clone().into(),
                o.priority.clone().into(),
                cx.age(&o.opened_at)?.into(),
                cx.sla(o.response_due.as_deref(), o.resolution_due.as_deref())?,
            ]);
            Ok(row)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Section::bounded(title, &headers, rows, false))
}

async fn tasks(
    cx: &Cx<'_>,
    conn: &mut SqliteConnection,
    name: &str,
) -> anyhow::Result<(Page, Verdict)> {
    let (key, title, (rows, open, more)) =
        match find_project(cx, conn, name, access::may_see_tasks).await? {
            Ok(p) => {
                if !access::may_see_tasks(cx.sender, &p) {
                    return Ok(cx.not_authorized(access::TASK_ASKERS));
                }
                let rows = project_tasks(conn, &p.key).await?;
                (p.key, p.name, rows)
            }
            Err(reply) => {
                // A task's project need not be 立项'd (tasks.md): its tasks are found by its key.
                let Some(key) = ProjectKey::new(name) else {
                    return Ok(reply);
                };
                let rows = project_tasks(conn, key.as_str()).await?;
                if rows.0.is_empty() {
                    return Ok(reply);
                }
                let applicants = rows.0.iter().map(|t| t.task.sales.as_str());
                if !access::may_see_tasks_unfiled(cx.sender, applicants) {
                    return Ok(cx.not_authorized(access::TASK_ASKERS));
                }
                (key.as_str().to_owned(), name.to_owned(), rows)
            }
        };
    let mut page = Page::new(format!("集成部任务：{title}"), vec![]);
    let note = more.then(|| {
        format!(
            "任务超过 {REPLY_ROWS} 项：此表列出未完工的 {open} 项和最近结束的 {} 项，\
             更早的请系统管理员导出（report tasks）。",
            rows.len() - open
        )
    });
    page.xlsx_name = format!("{title}-任务.xlsx");
    let mut section = Section::new(
        "任务",
        &[
            "编号",
            "类型",
            "任务内容",
            "销售",
            "工程师",
            "状态",
            "期望完工",
            "延期次数",
            "下一步",
        ],
        rows.iter()
            .map(|t| {
                vec![
                    tag(t.task.thread).into(),
                    t.task.kind.as_str().into(),
                    t.content.clone().into(),
                    t.task.sales.clone().into(),
                    t.task.engineers.join("、").into(),
                    t.task.state.name_zh().into(),
                    t.task.due.map_or("—".into(), |d| d.to_string()).into(),
                    t.delays.to_string().into(),
                    crate::rules::task::commands_in(t.task.state).into(),
                ]
            })
            .collect(),
    );
    section.note = note;
    page.sections.push(section);
    Ok((page, Ok(ProjectKey::new(&key))))
}

/// The open ones (oldest first), then the latest of the others (newest first, `latest` read
/// with [`READ_ROWS`]), at most [`REPLY_ROWS`] in all; with how many open ones lead and whether
/// any were left out.
fn open_then_latest<T>(
    open: Vec<T>,
    latest: Vec<T>,
    id: impl Fn(&T) -> i64,
) -> (Vec<T>, usize, bool) {
    let opened: HashSet<i64> = open.iter().map(&id).collect();
    let mut rows = open;
    rows.extend(latest.into_iter().filter(|t| !opened.contains(&id(t))));
    let more = rows.len() > REPLY_ROWS;
    rows.truncate(REPLY_ROWS);
    (rows, opened.len().min(REPLY_ROWS), more)
}

/// A project's 集成部 tasks as 查询-任务 lists them ([`open_then_latest`]).
async fn project_tasks(
    conn: &mut SqliteConnection,
    key: &str,
) -> anyhow::Result<(Vec<store::tasks::TaskRow>, usize, bool)> {
    Ok(open_then_latest(
        store::tasks::open_of_project(conn, key).await?,
        store::tasks::latest_of_project(conn, key, READ_ROWS).await?,
        |t| t.task.id,
    ))
}

async fn tracking_of(
    cx: &Cx<'_>,
    conn: &mut SqliteConnection,
    name: &str,
) -> anyhow::Result<(Page, Verdict)> {
    let Some(owner) = cx.config.directory.by_name(name) else {
        return Ok((
            Page::new(
                "查无此人",
                vec![format!(
                    "通讯录中没有「{name}」。请写售前的中文姓名，例如 查询-跟踪表-张三。"
                )],
            ),
            Err(vec!["invalid_value:姓名".into()]),
        ));
    };
    if !access::may_see_tracking(cx.sender, &owner.name) {
        return Ok(cx.not_authorized(access::TRACKING_ASKERS));
    }
    // One row more than a reply holds, to know whether there were more (counting a table of
    // 600,000 rows would cost more than the rest of the answer).
    let mut rows = query_data::tracking_latest(conn, &owner.name, READ_ROWS).await?;
    let more = rows.len() > REPLY_ROWS;
    if more {
        rows.remove(0);
    }
    let inline = rows.len().min(super::render::INLINE_ROWS);
    let mut page = Page::new(
        format!("项目跟踪表：{}（第十六条）", owner.name),
        vec![if more {
            format!(
                "超过 {REPLY_ROWS} 行；邮件中是最近 {inline} 行，附件中是最近 {REPLY_ROWS} 行。完整的项目跟踪表请系统管理员导出（report tracking）。"
            )
        } else {
            format!(
                "共 {} 行；邮件中是最近 {inline} 行，完整的项目跟踪表见附件。",
                rows.len()
            )
        }],
    );
    let shown = &rows[rows.len().saturating_sub(super::render::INLINE_ROWS)..];
    page.sections.push(Section::new(
        "最近的跟踪记录",
        &["项目", "日期", "技服人员", "结果", "沟通的具体问题"],
        shown
            .iter()
            .map(|r| -> anyhow::Result<Vec<Cell>> {
                Ok(vec![
                    r.project_name.clone().into(),
                    cx.local(&r.date)?.into(),
                    r.engineer.clone().into(),
                    r.result.clone().into(),
                    r.content.clone().into(),
                ])
            })
            .collect::<anyhow::Result<Vec<_>>>()?,
    ));
    page.attachments.push(crate::mail::outbound::Attachment {
        filename: format!("项目跟踪表-{}.xlsx", owner.name),
        content_type: crate::digest::xlsx::CONTENT_TYPE.into(),
        content: crate::digest::xlsx::workbook(
            std::slice::from_ref(&owner.name),
            &rows,
            cx.config.timezone,
        )?,
    });
    Ok((page, Ok(None)))
}

async fn complaints(
    cx: &Cx<'_>,
    conn: &mut SqliteConnection,
    month: Option<&str>,
) -> anyhow::Result<(Page, Verdict)> {
    let Some(scope) = access::presales_scope(cx.sender) else {
        return Ok(cx.not_authorized(access::PRESALES_ASKERS));
    };
    let month = month.map_or_else(
        || {
            cx.now
                .with_timezone(&cx.config.timezone)
                .format("%Y-%m")
                .to_string()
        },
        String::from,
    );
    let mut lines = crate::report::tally(cx.config, conn, &month).await?;
    if let Scope::Own(me) = &scope {
        lines.retain(|l| &l.name == me);
    }
    let mut page = Page::new(
        format!("投诉统计 {month}（第十四条）"),
        vec!["当月每 2 次有效投诉扣发一级；累计每 4 次永久降一级。已撤销或作废的投诉不计。".into()],
    );
    if lines.is_empty() {
        page.lines.push(match scope {
            Scope::Own(_) => format!("{month} 及以前没有针对您的有效投诉。"),
            Scope::All => format!("{month} 及以前没有有效投诉。"),
        });
    }
    page.xlsx_name = format!("投诉统计-{month}.xlsx");
    let rows = crate::report::tally_cells(&lines)
        .into_iter()
        .map(|r| r.into_iter().map(Cell::from).collect())
        .collect();
    page.sections.push(Section::new(
        "投诉统计",
        &crate::report::TALLY_COLUMNS,
        rows,
    ));
    Ok((page, Ok(None)))
}

async fn open_items(cx: &Cx<'_>, conn: &mut SqliteConnection) -> anyhow::Result<(Page, Verdict)> {
    let Some(scope) = access::presales_scope(cx.sender) else {
        return Ok(cx.not_authorized(access::PRESALES_ASKERS));
    };
    let whose = match &scope {
        Scope::Own(me) => query_data::Whose::Presales(me),
        Scope::All => query_data::Whose::All,
    };
    let items = query_data::open_items(conn, whose, READ_ROWS).await?;
    let mut page = Page::new(
        "未关闭的遗留问题（第十七条）",
        vec![if items.len() > REPLY_ROWS {
            format!("超过 {REPLY_ROWS} 项，最早的在前。")
        } else {
            format!("共 {} 项，最早的在前。", items.len())
        }],
    );
    page.xlsx_name = "遗留问题.xlsx".into();
    page.sections
        .push(open_section(cx, "遗留问题", &items, true)?);
    Ok((page, Ok(None)))
}

async fn todo(cx: &Cx<'_>, conn: &mut SqliteConnection) -> anyhow::Result<Page> {
    let me = cx.sender.name.as_str();
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    for f in query_data::active_faults(conn).await? {
        if f.owes(cx.config).iter().any(|n| n == me) {
            let what = match f.state.as_str() {
                "pending_approval" => "回复「同意」或「驳回: 理由」",
                "with_rd_manager" => "回复「分配: 姓名」或「驳回: 理由」",
                "assigned" if f.conversion_proposed => "回复「同意」接受转定制",
                "assigned" => "处理后回复「申请关闭」",
                _ => "确认后回复「确认关闭」",
            };
            rows.push(vec![
                tag(f.thread).into(),
                "故障处理工作单".into(),
                crate::rules::text::project_name(&f.project).into(),
                fault_state(&f.state).into(),
                what.into(),
            ]);
        }
    }
    let mut mine = query_data::open_items(conn, query_data::Whose::Engineer(me), READ_ROWS).await?;
    let more_items = mine.len() > REPLY_ROWS;
    mine.truncate(REPLY_ROWS);
    for o in mine {
        let due = cx.sla(o.response_due.as_deref(), o.resolution_due.as_deref())?;
        let state = match due {
            Cell::Alert(t) => Cell::Alert(t),
            other => Cell::Text(format!("未关闭，{}", other.text())),
        };
        rows.push(vec![
            tag(o.thread).into(),
            "遗留问题".into(),
            o.project_name.clone().into(),
            state,
            "解决后回复「已解决」，或发送解决它的客户沟通报告".into(),
        ]);
    }
    for p in query_data::uninitiated_of(conn, me).await? {
        rows.push(vec![
            "—".into(),
            "补立项（第十一条）".into(),
            p.name.clone().into(),
            "未立项".into(),
            format!(
                "发送主题为「{}」的立项邮件",
                SubjectKind::Initiation
                    .template()
                    .replace("项目名称", &p.name)
            )
            .into(),
        ]);
    }
    for t in store::tasks::open(conn).await? {
        if crate::rules::task::owes(cx.config, &t.task)
            .iter()
            .any(|n| n == me)
        {
            rows.push(vec![
                tag(t.task.thread).into(),
                "集成部任务".into(),
                crate::rules::text::project_name(&t.task.project).into(),
                t.task.state.name_zh().into(),
                crate::rules::task::commands_in(t.task.state).into(),
            ]);
        }
    }
    let mut page = Page::new(
        format!("{}的待办", cx.sender.name),
        vec![if rows.is_empty() {
            "目前没有等您处理的事项。".to_string()
        } else if more_items {
            format!(
                "共 {} 项（未关闭的遗留问题超过 {REPLY_ROWS} 项，只列出最早的 {REPLY_ROWS} 项）。请在对应编号的邮件线程上回复。",
                rows.len()
            )
        } else {
            format!("共 {} 项。请在对应编号的邮件线程上回复。", rows.len())
        }],
    );
    page.xlsx_name = "待办.xlsx".into();
    page.sections.push(Section::new(
        "待办",
        &["编号", "事项", "项目", "状态", "要做的"],
        rows,
    ));
    Ok(page)
}

async fn knowledge(
    cx: &Cx<'_>,
    conn: &mut SqliteConnection,
    words: &[String],
) -> anyhow::Result<(Page, Verdict)> {
    if words.is_empty() {
        return Ok((
            Page::new(
                "请写要搜索的词",
                vec!["例如 查询-知识库-审计日志 导出（多个词用空格分开，须全部出现）。".into()],
            ),
            Err(vec!["missing_field:关键词".into()]),
        ));
    }
    let hits = kb::search(conn, words, KB_HITS).await?;
    let mut page = Page::new(
        format!("知识库：{}", words.join(" ")),
        vec![if hits.is_empty() {
            "没有同时包含这些词的记录。可以少写一个词，或换个说法再查。".to_string()
        } else {
            format!(
                "最相关的 {} 条（全部词都出现）。回复时在主题里保留 [SB-n] 编号即可到达原邮件线程。",
                hits.len()
            )
        }],
    );
    page.sections.push(Section::new(
        "搜索结果",
        &["项目", "日期", "技服人员", "内容", "来源"],
        hits.iter()
            .map(|h| -> anyhow::Result<Vec<Cell>> {
                let source = match h.source.as_str() {
                    "report" => "客户沟通",
                    "open_item" => "已关闭的遗留问题",
                    _ => "已关闭的故障单",
                };
                Ok(vec![
                    h.project_name.clone().into(),
                    cx.day(&h.date)?.into(),
                    h.engineer.clone().into(),
                    Cell::Marked {
                        text: excerpt(&h.text, words, 160),
                        words: words.to_vec(),
                    },
                    format!("[{}] {source}", h.tag).into(),
                ])
            })
            .collect::<anyhow::Result<Vec<_>>>()?,
    ));
    Ok((page, Ok(None)))
}

/// The help reply: every subject format with a filled example, the thread commands and the
/// queries (queries.md §1).
pub fn help() -> Page {
    let mut page = Page::new(
        "技术支持流程机器人：使用说明",
        vec!["把邮件发到流程邮箱即可；主题决定邮件是什么，正文每行写「字段: 内容」。".into()],
    );
    let formats: Vec<Vec<Cell>> = [
        (SubjectKind::Initiation, "立项-星河项目", "第九条"),
        (SubjectKind::Report, "客户沟通-星河项目-张三", "第十二条"),
        (SubjectKind::Complaint, "投诉-星河项目沟通问题", "第十三条"),
        (
            SubjectKind::ComplaintWithdrawal,
            "撤销投诉-星河项目",
            "第十三条",
        ),
        (
            SubjectKind::ImprovementRequest,
            "产品改进申请-星河项目",
            "第二十一条",
        ),
        (SubjectKind::FaultOrder, "故障处理-星河项目", "第四十四条"),
        (SubjectKind::BugFeedback, "bug反馈-审计模块", "第八条"),
        (
            SubjectKind::TaskRequest,
            "任务申请-施工-星河项目",
            "集成部流程",
        ),
    ]
    .into_iter()
    .map(|(k, example, article)| {
        let fields = k.fields();
        vec![
            k.template().into(),
            example.into(),
            if fields.is_empty() {
                "（正文自由书写）".into()
            } else {
                fields.join("、").into()
            },
            article.into(),
        ]
    })
    .collect();
    page.sections.push(Section::new(
        "邮件格式",
        &["主题格式", "例子", "正文字段", "依据"],
        formats,
    ));
    let commands = [
        ("已解决", "遗留问题的线程", "关闭遗留问题"),
        ("同意 / 驳回: 理由", "故障处理工作单（售前经理）", "审批"),
        ("分配: 姓名", "故障处理工作单（研发经理）", "指定研发负责人"),
        ("申请关闭 / 确认关闭", "故障处理工作单", "关闭工单"),
        ("研发工时: 8小时", "产品改进申请", "登记研发工时"),
        (
            "派工: 姓名 / 开工 / 延期申请: 日期, 理由 / 完工申请 / 确认完工",
            "集成部任务",
            "任务流转",
        ),
        ("满意 / 基本满意 / 不满意", "满意度回访", "回访答复"),
    ]
    .into_iter()
    .map(|(c, w, d)| vec![c.into(), w.into(), d.into()])
    .collect();
    page.sections.push(Section::new(
        "线程命令（回复机器人的 [SB-n] 邮件，正文第一行写命令）",
        &["命令", "在哪个线程", "作用"],
        commands,
    ));
    let queries = [
        ("帮助（或 help、使用说明）", "通讯录中的任何人", "本说明"),
        (
            "查询-星河项目",
            "该项目的销售、第一/第二售前、售前经理、技术总监、总经理",
            "立项信息、状态、跟踪记录、遗留问题、故障单、改进申请、投诉",
        ),
        ("查询-我的跟踪表", "售前", "本人的项目跟踪表（附 .xlsx）"),
        (
            "查询-跟踪表-张三",
            "售前经理、技术总监、总经理",
            "张三的项目跟踪表（附 .xlsx）",
        ),
        (
            "查询-投诉统计 / 查询-投诉统计-2026-11",
            "售前（本人）、经理（全部）",
            "第十四条投诉统计",
        ),
        (
            "查询-遗留问题",
            "售前（本人）、经理（全部）",
            "未关闭的遗留问题及 SLA",
        ),
        ("查询-待办", "任何人", "等您处理的事项"),
        (
            "查询-知识库-审计日志 导出",
            "通讯录中的任何人",
            "已解决问题的搜索（前 10 条）",
        ),
        (
            "查询-任务-星河项目",
            "项目相关人员、工程技术部",
            "集成部任务",
        ),
    ]
    .into_iter()
    .map(|(q, w, a)| vec![q.into(), w.into(), a.into()])
    .collect();
    page.sections.push(Section::new(
        "查询（主题即查询，正文可空）",
        &["主题", "谁可以查", "回复内容"],
        queries,
    ));
    page
}
