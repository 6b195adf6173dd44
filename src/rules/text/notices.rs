//! The wording of the mails the schedule sends on its own (workflow.md §4): 第十一条's reminder
//! and 支持可能暂停 notice, the open-item reminder and escalation (第七条, 第十七条), the
//! fault-order reminder (第四十三条–第四十七条) and the 满意度回访 request and reminder. Each
//! returns the subject and the body; who gets it and when is the schedule's.
//!
//! Times arrive already written for people (`2026年11月13日 10:00`), so the wording never formats
//! a date itself.

use super::{SIGNATURE, project_name};

/// 第十一条, once `stop_support_after` working days have passed with no 立项.
pub fn support_may_stop(project: &str, since: &str, days: u32) -> (String, String) {
    let project = project_name(project);
    (
        format!("{project}仍未立项，技术支持可能暂停"),
        format!(
            "{project}自{since}开始技术支持，已超过{days}个工作日仍未立项（第十一条）。\n\
             按第十一条，技术支持人员督促后销售仍未走立项流程的，技术支持可以停止，\
             项目由此出现的延误由销售自己承担。请责任销售尽快发送立项邮件。{SIGNATURE}"
        ),
    )
}

/// 第十一条, the reminder after `remind_uninitiated_after` working days: `ask` says who should
/// send the 立项 (the sales, or the engineer to pass it on), `template` is the 立项 to copy.
pub fn uninitiated_reminder(
    project: &str,
    since: &str,
    ask: &str,
    stop_after: u32,
    template: &str,
) -> (String, String) {
    let project = project_name(project);
    (
        format!("提醒：{project}尚未立项"),
        format!(
            "再次提醒：{project}自{since}开始技术支持，至今仍未立项（第十一条）。{ask}。\n\
             满{stop_after}个工作日仍未立项的，技术支持可能暂停，项目由此出现的延误由销售自己承担。\
             \n\n{template}{SIGNATURE}"
        ),
    )
}

/// One open item as the reminders name it.
pub fn open_item_line(
    project: &str,
    thread: i64,
    priority: &str,
    opened: &str,
    description: &str,
) -> String {
    format!(
        "{}的遗留问题 #{thread}（优先级：{priority}，{opened}提出）：{description}",
        project_name(project)
    )
}

/// 第七条 / 第十七条: the resolution deadline passed with the item still open (to the presales
/// manager).
pub fn open_item_escalation(
    project: &str,
    thread: i64,
    item: &str,
    due: &str,
    engineer: &str,
) -> (String, String) {
    (
        format!(
            "[SB-{thread}] 提醒：{}的遗留问题 #{thread} 已超过解决时限",
            project_name(project)
        ),
        format!(
            "{item}\n\n解决时限{due}已过，问题仍未关闭（第七条、第十七条）。负责人：{engineer}。{SIGNATURE}"
        ),
    )
}

/// 第七条: the response deadline passed with no follow-up report (to the engineer).
pub fn open_item_reminder(
    project: &str,
    thread: i64,
    item: &str,
    response: &str,
    resolution: &str,
) -> (String, String) {
    (
        format!(
            "[SB-{thread}] 提醒：{}的遗留问题 #{thread} 待跟进",
            project_name(project)
        ),
        format!(
            "{item}\n\n响应时限{response}已到，尚无跟进报告（第七条）。请跟进并发送客户沟通报告；\
             解决时限为{resolution}。\n已解决的，请直接回复本邮件「已解决」（第十七条）。{SIGNATURE}"
        ),
    )
}

/// 第四十三条–第四十七条: whoever owes the next step of a fault order, once its time is up.
pub fn fault_reminder(
    id: i64,
    project: &str,
    since: &str,
    state: &str,
    due: &str,
) -> (String, String) {
    let project = project_name(project);
    (
        format!("[SB-{id}] 提醒：{project}的故障处理工作单 #{id} 待您处理"),
        format!(
            "{project}的故障处理工作单 #{id} 自{since}起处于「{state}」，时限{due}已到，\
             下一步由您处理。\n可直接回复本邮件给出指令。{SIGNATURE}"
        ),
    )
}

/// The reply a 满意度回访 asks for.
const SATISFACTION_REPLY: &str = "请联系客户了解对处理结果的满意程度，并直接回复本邮件，第一行写：\n\n\
     满意度: 满意（或 基本满意 / 不满意）\n说明: （可选，客户的原话或意见）\n";

/// 满意度回访: the item, as the request and the reminder name it.
pub fn satisfaction_item(project: &str, thread: i64, closed: &str, description: &str) -> String {
    format!(
        "{}的问题（#{thread}）已于{closed}关闭：{description}",
        project_name(project)
    )
}

/// 满意度回访: the request to the owner of a closed item.
pub fn satisfaction_request(
    owner: &str,
    project: &str,
    thread: i64,
    item: &str,
    contact: Option<&str>,
) -> (String, String) {
    let contact = contact.map(|c| format!("（{c}）")).unwrap_or_default();
    (
        format!("[SB-{thread}] 满意度回访：{}", project_name(project)),
        format!(
            "{owner}：\n\n{item}\n\n按制度，问题解决后要在一定时间后联系客户进行满意度评估。\
             {SATISFACTION_REPLY}\n客户的评价计入售前的客户满意度考核。\n客户联系人{contact}见原汇报。{SIGNATURE}"
        ),
    )
}

/// 满意度回访: the reminder, `days` working days after the request.
pub fn satisfaction_reminder(
    owner: &str,
    project: &str,
    thread: i64,
    item: &str,
    days: u32,
) -> (String, String) {
    (
        format!(
            "[SB-{thread}] 提醒：满意度回访尚未回复 {}",
            project_name(project)
        ),
        format!(
            "{owner}：\n\n{item}\n\n满意度回访请求已发出{days}个工作日，尚未收到回复。{SATISFACTION_REPLY}{SIGNATURE}"
        ),
    )
}

/// The 第十五条 report an engineer can send as it is once the content is written: the subject and
/// every field the bot knows filled in (names from the one field table), 沟通的具体问题 left.
pub fn report_to_send(
    project: &str,
    engineer: &str,
    contact: Option<&str>,
    method: Option<&str>,
) -> String {
    use crate::parse::fields::name::{
        CONTACT, CONTENT, LEFTOVER, METHOD, PRIORITY, PROJECT, RESULT,
    };
    let name = project_name(project);
    format!(
        "标题：客户沟通-{name}-{engineer}\n\
         {RESULT}: 成功\n\
         {PROJECT}: {name}\n\
         {CONTACT}: {}\n\
         {METHOD}: {}\n\
         {CONTENT}: （请填写本次与客户沟通的具体内容）\n\
         {LEFTOVER}: \n\
         {PRIORITY}: 一般\n\
         （{RESULT}填「成功」或「问题遗留」；问题遗留时须写{LEFTOVER}和{PRIORITY}，第十五条）",
        contact.unwrap_or(""),
        method.unwrap_or("电话"),
    )
}

/// queries.md §3: a report is due (`why` says which rule is about to be broken).
pub fn report_nudge(
    project: &str,
    engineer: &str,
    why: &str,
    contact: Option<&str>,
    method: Option<&str>,
) -> (String, String) {
    (
        format!("提醒：请发送{}的客户沟通报告", project_name(project)),
        format!(
            "{engineer}：\n\n{why}\n请在与客户沟通后发送客户沟通报告（第十二条、第十五条）。\
             下面的报告已填好标题和字段，复制到新邮件，写上沟通的具体问题即可发送：\n\n{}{SIGNATURE}",
            report_to_send(project, engineer, contact, method)
        ),
    )
}

/// queries.md §3: a decision waits on the recipient; `reply` is the exact first line to send.
pub fn approval_nudge(tag: i64, title: &str, what: &str, reply: &str) -> (String, String) {
    (
        format!("[SB-{tag}] 待您处理：{title}"),
        format!("{what}\n\n请直接回复本邮件，第一行写：\n\n{reply}\n{SIGNATURE}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_name_the_project_as_people_do_and_cite_the_article() {
        let (subject, body) = support_may_stop("东方", "2026年11月13日 10:00", 5);
        assert_eq!(subject, "东方项目仍未立项，技术支持可能暂停");
        assert!(
            body.contains("已超过5个工作日仍未立项（第十一条）"),
            "{body}"
        );
        assert!(body.ends_with(SIGNATURE.trim_start_matches('\n').trim_start_matches('\n')));
        let (subject, _) = fault_reminder(14, "星河项目", "11月6日", "待售前经理同意", "11月7日");
        assert_eq!(
            subject,
            "[SB-14] 提醒：星河项目的故障处理工作单 #14 待您处理"
        );
    }
}
