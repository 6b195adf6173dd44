//! The words of the bot's mail: Chinese, short, one purpose each (mail-formats.md "Replies").
//!
//! Every template people read lives here (the schedule's reminders and the digests take their
//! dates, durations, project names and reasons from here too), in natural office Chinese, in the
//! second person to whoever receives the mail, citing the one article a rule comes from
//! (the regulation's clean copy). Glossary of the terms the templates use:
//!
//! - **技服人员**: a technical-support engineer (a presales in the directory) who talks to the
//!   customer and sends the 客户沟通 report (第十二条); the subject names them.
//! - **第一售前 / 第二售前**: the presales named in a project's 立项 (第九条). The 第一售前
//!   coordinates the project (第六条) and owns its 项目跟踪表; the 第二售前 helps.
//! - **项目跟踪表**: each 第一售前's table of reports on their projects (第十六条), the basis of
//!   project bonuses. The bot fills it from accepted reports; nobody fills it by hand.
//! - **遗留问题**: what a report with 沟通结果「问题遗留」 leaves open (第十七条–第十九条); it has a
//!   number (#n, the n of the report's [SB-n]) and stays open until someone replies 「已解决」.
//! - **工作日**: a working day of the configured calendar (Monday–Friday, public holidays and
//!   调休 applied), working hours 09:00–18:00 by default; every deadline and duration counts
//!   working time only (「3个工作日5小时」).

pub mod notices;

use super::ActiveComplaint;
use super::model::{Crossing, ProjectSheet, ReportRow, SCOPE_MONTH, Tally};
use crate::directory::Person;
use crate::mail::Inbound;
use crate::parse::{Fields, SubjectKind, WorkflowSubject};

pub(crate) const SIGNATURE: &str = "\n\n—— 技术支持流程机器人（本邮件由系统自动发送）";

/// A thread command that could not be carried out: why, and nothing to re-send.
pub fn command_not_done(problem: &str) -> String {
    format!("您的指令未执行：{problem}。{SIGNATURE}")
}

/// 分配 naming someone who is not in R&D: the R&D manager can fix it on the thread.
pub fn fault_assign_unknown(name: &str) -> String {
    format!(
        "「分配」须写研发人员的名字，「{name}」不是人员名单中的研发。请在本邮件回复「分配: 研发人员姓名」（第四十五条）。{SIGNATURE}"
    )
}

/// A rejection: every problem, then the corrected template filled with what was written.
pub fn rejection(what: &str, problems: &[String], template: &str) -> String {
    let list: String = problems
        .iter()
        .enumerate()
        .map(|(i, p)| format!("{}. {p}\n", i + 1))
        .collect();
    format!(
        "您的{what}邮件未被记录，请修改后重新发送：\n\n{list}\n按以下格式更正（已填入您写的内容）：\n\n{template}\n\n可直接回复本邮件，把更正后的内容写在最上面。{SIGNATURE}"
    )
}

/// Someone not entitled to send this kind of mail.
pub fn not_authorized(sender: &Person, rule: &str, article: &str) -> String {
    format!(
        "{}：按《技术支持工作管理流程》{article}，{rule}。您的邮件未被记录。{SIGNATURE}",
        sender.name
    )
}

/// A subject that tries to be a workflow mail but cannot be read.
pub fn near_miss(subject: &str, kind: SubjectKind, hint: &str) -> String {
    format!(
        "您的邮件标题「{}」无法识别，未被记录。\n标准格式：{}\n您是否想写：{hint}\n\n请按标准格式修改标题后重新发送。{SIGNATURE}",
        crate::mail::outbound::cut(subject.trim(), crate::mail::outbound::SUBJECT_ECHO_CHARS),
        kind.template()
    )
}

/// A value the sender wrote, as far as a reply echoes it (mail-formats.md "Limits on what is
/// echoed"): a subject to 200 characters, anything else to 2,000.
fn echo(value: &str) -> std::borrow::Cow<'_, str> {
    crate::mail::outbound::cut(value, crate::mail::outbound::FIELD_ECHO_CHARS)
}

fn field_lines(names: &[&str], fields: &Fields) -> String {
    names
        .iter()
        .map(|n| format!("{n}: {}\n", echo(fields.get(n).unwrap_or_default().trim())))
        .collect()
}

/// 第十五条 template, filled.
pub fn report_template(subject: &WorkflowSubject, sender: &str, fields: &Fields) -> String {
    let project = subject.project.as_deref().unwrap_or("项目名称");
    // The report's fields from the one table, but for 责任销售 (asked only when a 立项 is missing).
    let names: Vec<&str> = SubjectKind::Report
        .fields()
        .iter()
        .copied()
        .filter(|n| *n != crate::parse::fields::name::RESPONSIBLE_SALES)
        .collect();
    let mut lines = field_lines(&names, fields);
    if fields.get("项目名称").is_none_or(|v| v.trim().is_empty()) {
        lines = lines.replacen("项目名称: \n", &format!("项目名称: {project}\n"), 1);
    }
    format!(
        "标题：客户沟通-{project}-{sender}\n{lines}（沟通结果填「成功」或「问题遗留」；问题遗留时须写遗留的问题描述）"
    )
}

/// 第九条 template, filled.
pub fn initiation_template(subject: &WorkflowSubject, fields: &Fields) -> String {
    let project = subject.project.as_deref().unwrap_or("项目名称");
    let lines = field_lines(SubjectKind::Initiation.fields(), fields);
    format!(
        "标题：立项-{project}\n{lines}（支持类型：售前交流/客户培训/技术文档/产品测试/产品实施/售后服务；第二售前、期望时间、合同号、合同金额可不填）"
    )
}

/// Report recorded. `still_open` is the sender's open items after it (the oldest of them when
/// there are more) and how many there are in all.
pub fn report_ack(
    row: &ReportRow,
    first: Option<&str>,
    project: &str,
    closed: &[i64],
    (still_open, still_open_total): (&[i64], usize),
) -> String {
    let owner = first.map_or(String::new(), |f| {
        format!("，已记入第一售前{f}的项目跟踪表（第十六条）")
    });
    let open = if row.leftover.is_some() {
        format!(
            "\n遗留问题已登记为待办（优先级：{}）。接下来请：\n\
             1. 立即启动内部处理流程（第十七条）；\n\
             2. 技术支持部内部可以处理的，处理完成后立即发邮件向销售汇报；如再与客户沟通，须再发汇报（第十八条）；\n\
             3. 需要研发配合的，提交产品改进申请单或故障处理工作单（第十九条）。\n\
             问题解决后，请在本邮件回复「已解决」。",
            row.priority
        )
    } else {
        String::new()
    };
    let numbers = |ns: &[i64]| {
        ns.iter()
            .map(|n| format!("#{n}"))
            .collect::<Vec<_>>()
            .join("、")
    };
    let closed = if closed.is_empty() {
        String::new()
    } else {
        format!(
            "\n本汇报写明的遗留问题 {} 已关闭（第十七条）。",
            numbers(closed)
        )
    };
    // `still_open` is the oldest of them when there are more than it lists.
    let asked = match still_open {
        [] => String::new(),
        [n] if still_open_total <= 1 => {
            format!("\n该项目还有遗留问题 #{n} 未关闭，已解决请回复「已解决」（第十七条）。")
        }
        ns if still_open_total <= ns.len() => format!(
            "\n该项目还有您的遗留问题 {} 未关闭；已解决的，请在该问题的邮件上回复「已解决」，或在下次汇报中写明编号（第十七条）。",
            numbers(ns)
        ),
        ns => format!(
            "\n该项目您名下共有{still_open_total}个遗留问题未关闭，以下是最早的{}个：{}。已解决的，请在该问题的邮件上回复「已解决」，或在下次汇报中写明编号（第十七条）。",
            ns.len(),
            numbers(ns)
        ),
    };
    format!(
        "{}的客户沟通汇报已记录{owner}。\n沟通结果：{}\n沟通的具体问题：{}{open}{closed}{asked}{SIGNATURE}",
        project_name(project),
        row.result,
        row.content
    )
}

/// 第十二条: the ack of a report forwarded to the 责任销售 says so.
pub fn with_forward_note(ack: &str, sales: &str) -> String {
    let note = format!(
        "\n本汇报未发给责任销售{sales}，已代为转发（第十二条）；以后请直接发给或抄送{sales}。"
    );
    match ack.strip_suffix(SIGNATURE) {
        Some(head) => format!("{head}{note}{SIGNATURE}"),
        None => format!("{ack}{note}"),
    }
}

/// A blank 立项 (第九条) for `project`, with the 责任销售 when known.
pub fn initiation_blank(project: &str, sales: Option<&str>) -> String {
    let project = project_name(project);
    format!(
        "标题：立项-{project}\n项目名称: {project}\n责任销售: {}\n第一售前: \n第二售前: \n支持类型: \n支持内容: \n（支持类型：售前交流/客户培训/技术文档/产品测试/产品实施/售后服务；第二售前可不填）",
        sales.unwrap_or_default()
    )
}

/// 第十一条: ask for the missing 立项. No blame yet: that comes only after a reminder is ignored.
pub fn initiation_request(project: &str, engineer: &str, sales: Option<&str>) -> String {
    let name = project_name(project);
    let ask = match sales {
        Some(s) => format!(
            "{s}：技术支持人员{engineer}已开始支持{name}，该项目还没有立项。请发送立项邮件（第九条、第十一条），可直接复制下面的模板填写："
        ),
        None => format!(
            "{engineer}：{name}还没有立项，汇报中也没有写明责任销售。请把本邮件转给该项目的责任销售，请其发送立项邮件（第十一条），模板如下："
        ),
    };
    format!("{ask}\n\n{}{SIGNATURE}", initiation_blank(project, sales))
}

/// 第六条 / 第十六条: what the 第二售前 did, for the 第一售前's tracking table.
pub fn second_presales_notice(row: &ReportRow, date: &str, first: &str, project: &str) -> String {
    format!(
        "{first}：第二售前{}支持了{}，已代为记入您的项目跟踪表（第十六条）。\n支持日期：{}\n沟通结果：{}\n沟通的具体问题：{}\n遗留的问题描述：{}\n之后此项目的协调仍由第一售前负责（第六条）。{SIGNATURE}",
        row.engineer,
        project_name(project),
        date,
        row.result,
        row.content,
        row.leftover.as_deref().unwrap_or("无"),
    )
}

/// 立项 recorded.
pub fn initiation_ack(sheet: &ProjectSheet, existed: bool) -> String {
    let verb = if existed { "已更新" } else { "已登记" };
    let second = sheet.second_presales.as_deref().unwrap_or("（无）");
    format!(
        "{}立项{verb}。\n责任销售：{}\n第一售前：{}\n第二售前：{second}\n支持类型：{}\n支持内容：{}\n\n之后每份客户沟通汇报由机器人记入第一售前的项目跟踪表（第十六条），无需手工填写。汇报标题为：客户沟通-{}-汇报人姓名（第十二条）。{SIGNATURE}",
        sheet.name,
        sheet.responsible_sales,
        sheet.first_presales,
        sheet.support_type,
        sheet.support_content,
        sheet.name
    )
}

/// Complaint recorded.
pub fn complaint_ack(target: &str, forwarded: bool, inferred: bool, project: &str) -> String {
    let fwd = if forwarded {
        "\n按第十三条投诉应发给技术支持部经理并抄送技术总监；本邮件未发给其中的人，已代为转发。"
    } else {
        ""
    };
    let guess = if inferred {
        format!(
            "\n投诉中没有写明被投诉人，已按{}的第一售前{target}记录。如不是{target}，请发送「撤销投诉-{}」，再重新投诉并写明「被投诉人: 姓名」。",
            project_name(project),
            project_name(project)
        )
    } else {
        String::new()
    };
    format!("对{target}的投诉已记录（第十三条、第十四条）。{guess}{fwd}{SIGNATURE}")
}

/// A mail forwarded to whoever it should have gone to, and why.
pub fn forward(mail: &Inbound, date: &str, sender: &str, why: &str) -> String {
    format!(
        "{sender}的邮件未发给或抄送您。{why}，现代为转发：\n\n-----原始邮件-----\n发件人: {}\n时间: {date}\n主题: {}\n\n{}{SIGNATURE}",
        mail.from.as_deref().unwrap_or_default(),
        crate::mail::outbound::cut(
            mail.subject.trim(),
            crate::mail::outbound::SUBJECT_ECHO_CHARS
        ),
        mail.body.trim()
    )
}

/// 第八条: who the bug feedback should also have gone to.
pub fn missing_recipients(names: &[&str]) -> String {
    format!(
        "按第八条，内部bug反馈须发给测试组成员并抄送全体售前。本邮件未发给：{}。\n已代为转发给他们；以后请直接发送给测试组并抄送全体售前。{SIGNATURE}",
        names.join("、")
    )
}

/// A project as people name it: 「星河项目」 for the key 「星河」 (第九条 names projects 「…项目」).
pub fn project_name(key_or_name: &str) -> String {
    let name = key_or_name.trim();
    if name.ends_with("项目") || name.ends_with("項目") {
        name.to_string()
    } else {
        format!("{name}项目")
    }
}

/// The time zone as people say it: 北京时间 for Asia/Shanghai (and the other zones of China).
pub fn zone_name(tz: chrono_tz::Tz) -> String {
    match tz.name() {
        "Asia/Shanghai" | "Asia/Chongqing" | "Asia/Harbin" | "PRC" => "北京时间".into(),
        "Asia/Hong_Kong" => "香港时间".into(),
        "Asia/Taipei" => "台北时间".into(),
        "Asia/Tokyo" => "东京时间".into(),
        "Asia/Singapore" => "新加坡时间".into(),
        "UTC" | "Etc/UTC" => "协调世界时".into(),
        other => format!("当地时间（{}）", other.rsplit('/').next().unwrap_or(other)),
    }
}

/// 2026年11月26日 10:00 in `tz`.
pub fn datetime_cn(t: chrono::DateTime<chrono::Utc>, tz: chrono_tz::Tz) -> String {
    let l = t.with_timezone(&tz);
    format!("{} {}", date_cn(l.date_naive()), l.format("%H:%M"))
}

/// Working time as people say it: 「3个工作日5小时」, 「5小时20分」, given the working day's length.
pub fn working_duration(d: chrono::Duration, day: chrono::Duration) -> String {
    let minutes = d.num_minutes().max(0);
    let day_minutes = day.num_minutes().max(1);
    let (days, rest) = (minutes / day_minutes, minutes % day_minutes);
    let (h, m) = (rest / 60, rest % 60);
    let mut s = String::new();
    if days > 0 {
        s += &format!("{days}个工作日");
    }
    if h > 0 {
        s += &format!("{h}小时");
    }
    if m > 0 && days == 0 {
        s += &format!("{m}分");
    }
    if s.is_empty() {
        s = "不到1分钟".into();
    }
    s
}

/// A reason code (interface.md) as people read it: Chinese, with the article it comes from.
pub fn reason(code: &str) -> String {
    let (head, arg) = code.split_once(':').unwrap_or((code, ""));
    match head {
        "missing_field" => format!("缺少字段：{arg}（第十五条）"),
        "invalid_value" => format!("填写有误：{arg}（第十五条）"),
        "vague_content" => "沟通的具体问题写得笼统（第十五条）".into(),
        "project_mismatch" => "标题与项目名称中的项目不一致（第十二条）".into(),
        "sender_mismatch" => "发件人不是标题中的技服人员（第十二条）".into(),
        "not_authorized" => "发件人无权发送此类邮件".into(),
        "unknown_project" => "项目尚未立项（第十一条）".into(),
        "unauthenticated" => "发件人未通过认证".into(),
        "limit_exceeded" => "第三次起须由售前经理发出（第二十一条）".into(),
        "invalid_state" => "当前状态下不能执行".into(),
        _ => "格式有误".into(),
    }
}

/// 2026年11月26日.
pub fn date_cn(d: chrono::NaiveDate) -> String {
    d.format("%Y年%-m月%-d日").to_string()
}

/// `YYYY-MM` as 2026年11月 (as written when it is not a month).
pub fn month_cn(month: &str) -> String {
    match month.split_once('-') {
        Some((y, m)) if m.parse::<u32>().is_ok() => {
            format!("{y}年{}月", m.trim_start_matches('0'))
        }
        _ => month.to_string(),
    }
}

/// 第十四条: levels crossed by one complaint (or taken back by a withdrawal), told to the
/// engineer in one mail.
pub struct Threshold<'a> {
    /// The engineer complained about.
    pub target: &'a str,
    /// The complaint's month, `YYYY-MM`.
    pub month: &'a str,
    /// The counts after this mail.
    pub now: Tally,
    /// Levels reached (true) or taken back (false).
    pub raised: bool,
    /// What was crossed: (scope, period, level).
    pub crossed: &'a [Crossing],
    /// The complaints counted, oldest first: the newest of them when there are many.
    pub listed: &'a [&'a super::ComplaintEntry],
    /// How many were counted (more than `listed` holds when only the newest are listed).
    pub total: i64,
    /// The presales manager's name, whom to ask.
    pub manager: &'a str,
    /// The department's time zone, for the complaints' dates.
    pub timezone: chrono_tz::Tz,
}

impl Threshold<'_> {
    fn parts(&self) -> Vec<String> {
        let month = month_cn(self.month);
        self.crossed
            .iter()
            .map(|(scope, _, level)| {
                if *scope == SCOPE_MONTH {
                    if self.raised {
                        format!(
                            "您{month}被投诉{}次，{month}的绩效工资扣发{}级",
                            self.now.month_count,
                            self.now.levels_docked()
                        )
                    } else {
                        format!("{month}绩效工资扣发的第{level}级")
                    }
                } else if self.raised {
                    format!(
                        "您累计被投诉{}次，绩效工资永久降{}级",
                        self.now.cumulative_count,
                        self.now.permanent_levels()
                    )
                } else {
                    format!("绩效工资永久降的第{level}级")
                }
            })
            .collect()
    }

    /// The subject.
    pub fn subject(&self) -> String {
        if self.raised {
            format!(
                "通知：您的投诉次数已达第十四条的扣发标准（{}）",
                month_cn(self.month)
            )
        } else {
            format!(
                "通知：投诉撤销后，第十四条的扣发已变更（{}）",
                month_cn(self.month)
            )
        }
    }

    /// The text.
    pub fn body(&self) -> String {
        let head = if self.raised {
            format!(
                "按《技术支持工作管理流程》第十四条：{}。",
                self.parts().join("；")
            )
        } else {
            format!(
                "因一次投诉被撤销，按第十四条，{}不再执行。",
                self.parts().join("、")
            )
        };
        let list: String = if self.listed.is_empty() {
            "（无）\n".to_string()
        } else {
            self.listed
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    format!(
                        "{}. {}，{}投诉（{}）\n",
                        i + 1,
                        date_cn(c.filed_at.with_timezone(&self.timezone).date_naive()),
                        c.complainant,
                        project_name(&c.project)
                    )
                })
                .collect()
        };
        let ask = if self.manager.is_empty() {
            "如有疑问，请联系售前经理。".to_string()
        } else {
            format!("如有疑问，或认为投诉不实，请联系售前经理{}。", self.manager)
        };
        let heading = if self.total > self.listed.len() as i64 {
            format!(
                "计入的投诉共{}起，以下是最近{}起：",
                self.total,
                self.listed.len()
            )
        } else {
            "计入的投诉：".to_string()
        };
        format!(
            "{}：\n\n{head}\n\n{heading}\n{list}\n第十四条规定：同一月内每被投诉2次，当月绩效工资扣发1级；累计每被投诉4次，绩效工资永久降1级。\n{ask}{SIGNATURE}",
            self.target
        )
    }
}

/// 撤销投诉 recorded.
pub fn withdrawal_ack(c: &ActiveComplaint, voided: bool) -> String {
    let verb = if voided { "已作废" } else { "已撤销" };
    format!(
        "{}对{}的投诉（{}）{verb}，不再计入第十四条的统计。{SIGNATURE}",
        c.complainant,
        c.target,
        month_cn(&c.month)
    )
}

/// 产品改进申请 recorded.
pub fn improvement_ack(project: &str, number: i64) -> String {
    let next = if number >= 2 {
        "\n注意：本项目再提交产品改进申请单须由售前经理发出（第二十一条）。"
    } else {
        ""
    };
    format!(
        "{}第{number}号产品改进申请单已记录，已抄送研发经理（第十九条）。\n研发人员请在本邮件回复「研发工时: N天」或「研发工时: N小时」登记净研发时间（第二十二条）。{next}{SIGNATURE}",
        project_name(project)
    )
}

/// 第二十一条: a presales' third (or later) 产品改进申请 goes through the 售前经理.
pub fn improvement_through_manager(
    sender: &str,
    project: &str,
    count: i64,
    manager: &str,
) -> String {
    format!(
        "{sender}：{project}已提交{count}次产品改进申请单。按第二十一条，第三次起须由销售、责任售前与售前经理沟通后，由售前经理{manager}发出，售前发出无效，因此本申请未登记。\n请与{manager}沟通；本邮件已抄送{manager}。{SIGNATURE}",
        project = project_name(project)
    )
}

/// A thread command that is not the sender's to give, or not now: who may act now, the state,
/// and the one article it comes from. Nothing for the sender to fix.
pub fn command_refused(
    what: &str,
    cmd: &str,
    state: &str,
    next: Option<&NextStep>,
    own_turn: bool,
) -> String {
    let body = match next {
        Some(n) if !own_turn => format!(
            "「{cmd}」须由{}{}回复（{}），您无需操作。{what}当前状态：{state}。",
            n.role, n.name, n.article
        ),
        Some(n) => format!(
            "{what}当前状态为「{state}」，此时不能「{cmd}」。下一步由{}{}{}（{}），您无需操作。",
            n.role, n.name, n.action, n.article
        ),
        None => format!("{what}已{state}，无需再操作。"),
    };
    format!("{body}{SIGNATURE}")
}

/// Who acts next on an item, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextStep {
    /// The role as people say it: 售前经理, 研发经理, 研发负责人, 故障提出人.
    pub role: &'static str,
    /// The person's name.
    pub name: String,
    /// What they do: 回复「同意」或「驳回: 理由」.
    pub action: &'static str,
    /// The one article it comes from.
    pub article: &'static str,
}

/// 研发工时 recorded.
pub fn rd_time_ack(number: i64, hours: f64, total: f64, per_day: f64) -> String {
    format!(
        "第 {number} 号产品改进申请单登记研发工时 {hours} 小时；本项目累计 {total} 小时（约 {:.1} 天）。{SIGNATURE}",
        total / per_day
    )
}

/// 第二十二条 notice.
pub fn rd_cost_notice(project: &str, total: f64, per_day: f64) -> (String, String) {
    let project = project_name(project);
    // 48 → 「48」, 4.5 → 「4.5」: hours and days as people write them.
    let num = |x: f64| {
        let s = format!("{x:.1}");
        s.strip_suffix(".0").map_or(s.clone(), String::from)
    };
    (
        format!("通知：{project}研发工时超过一周"),
        format!(
            "{project}执行产品改进申请单的净研发时间已达{}小时（约{}个工作日），超过一周。\n\
             按第二十二条，此项目的销售奖金将把研发成本扣除后再计算。{SIGNATURE}",
            num(total),
            num(total / per_day)
        ),
    )
}

/// 第四十四条 template, filled.
pub fn fault_template(subject: &WorkflowSubject, fields: &Fields) -> String {
    let project = subject.project.as_deref().unwrap_or("项目名称");
    let lines = field_lines(SubjectKind::FaultOrder.fields(), fields);
    format!("标题：故障处理-{project}\n{lines}（日志也可作为附件；须尝试次数 3 次以上或严重: 是）")
}

/// Chinese name of a fault order state.
pub fn fault_state_name(state: super::FaultState) -> &'static str {
    use super::FaultState::*;
    match state {
        PendingApproval => "待售前经理同意",
        WithRdManager => "待研发经理处理",
        Assigned => "研发处理中",
        ClosureRequested => "待提出人确认关闭",
        Closed => "已关闭",
        Rejected => "已驳回",
        Converted => "已转定制",
    }
}

/// The fields of a fault order as filed (第四十四条), one 「名称: 内容」 a line.
pub fn fault_fields(fields: &Fields) -> String {
    SubjectKind::FaultOrder
        .fields()
        .iter()
        .filter_map(|n| {
            let v = fields.get(n)?.trim();
            (!v.is_empty()).then(|| format!("{n}: {v}\n"))
        })
        .collect()
}

/// The order as filed, for whoever was not on the original mail.
fn fault_order_text(proposer: &str, text: &str, attachments: i64) -> String {
    let files = if attachments > 0 {
        format!(
            "\n原邮件带有{attachments}个附件（日志等），见{proposer}的原邮件；如未收到，请向{proposer}索取。"
        )
    } else {
        String::new()
    };
    format!(
        "\n\n-----工作单原文（{proposer}提交）-----\n{}{files}",
        text.trim_end()
    )
}

/// A fault order filed: to whoever must act next.
pub fn fault_filed(
    state: super::FaultState,
    proposer: &str,
    project: &str,
    manager: &str,
    rd_manager: &str,
    text: &str,
    attachments: i64,
) -> String {
    let next = if state == super::FaultState::PendingApproval {
        format!(
            "{manager}：请审阅后在本邮件回复「同意」（转研发经理{rd_manager}处理）或「驳回: 理由」（第四十四条）。"
        )
    } else {
        format!(
            "{rd_manager}：请在本邮件回复「分配: 研发负责人姓名」或「驳回: 理由」（第四十五条）。"
        )
    };
    format!(
        "{proposer}提交的{project}故障处理工作单已记录，状态：{}。\n{next}{}{SIGNATURE}",
        fault_state_name(state),
        fault_order_text(proposer, text, attachments)
    )
}

/// A fault order moved.
pub fn fault_moved(
    order: &super::FaultOrder,
    to: super::FaultState,
    by: &str,
    conversion_proposed: bool,
    note: Option<&str>,
    lead: Option<&str>,
) -> String {
    use super::FaultState::*;
    let next = match to {
        WithRdManager => {
            "请研发经理回复「分配: 研发负责人姓名」或「驳回: 理由」（第四十五条）。".to_string()
        }
        Assigned if conversion_proposed => format!(
            "研发负责人建议转定制。请故障提出人{}回复「同意」（第四十七条）。",
            order.proposer
        ),
        Assigned if order.state == WithRdManager => format!(
            "{}：您已被指定为研发负责人，负责整个故障的处理；解决后请在本邮件回复「申请关闭」（第四十六条）。工作单全文如下。{}",
            lead.unwrap_or(""),
            fault_order_text(&order.proposer, &order.filed_text, order.attachments)
        ),
        Assigned => format!(
            "研发负责人{}负责整个故障的处理；解决后回复「申请关闭」（第四十六条）。",
            lead.unwrap_or("")
        ),
        ClosureRequested => format!(
            "请故障提出人{}确认：回复「确认关闭」或「未解决」（第四十六条）。",
            order.proposer
        ),
        Closed => "故障已关闭（第四十六条）。".to_string(),
        Rejected => format!("驳回意见：{}（第四十五条）", note.unwrap_or("（未写理由）")),
        Converted => "问题已转入定制研发流程（第四十七条）。".to_string(),
        PendingApproval => String::new(),
    };
    format!(
        "{}的故障处理工作单（优先级：{}）：{by}操作后，状态为「{}」。\n{next}{SIGNATURE}",
        project_name(&order.project),
        order.priority,
        fault_state_name(to)
    )
}

/// 第十七条: an open item closed.
pub fn open_item_closed(project: &str, how: &str) -> String {
    format!(
        "{}的遗留问题已关闭（{how}，第十七条）。{SIGNATURE}",
        project_name(project)
    )
}
