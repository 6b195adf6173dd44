//! Thread commands (mail-formats.md): the first line of the sender's own words in a reply on a
//! bot thread — 同意, 驳回: 理由, 分配: 姓名, 研发工时: 3天 …

use super::{nfkc, simplified};

/// A command written on a thread.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// 同意 / 批准: the manager approves a fault order, or the proposer agrees to 转定制.
    Approve,
    /// 驳回: 理由 — the R&D manager (or presales manager) rejects, with advice.
    Reject(String),
    /// 分配: 姓名 — the R&D manager assigns an R&D lead.
    Assign(String),
    /// 申请关闭: the lead asks the proposer to close.
    RequestClosure,
    /// 确认关闭: the proposer closes.
    ConfirmClosure,
    /// 未解决: the proposer sends it back to the lead.
    NotSolved,
    /// 转定制: turn the fault into a custom-development job (第四十七条).
    Convert,
    /// 已解决: the engineer closes an open item.
    Solved,
    /// 研发工时: N天 | N小时, in hours.
    RdTime(f64),
    /// 撤销: withdraw (a complaint).
    Withdraw,
    /// 满意度: 满意 | 基本满意 | 不满意 — the customer's answer to the follow-up after closure.
    Satisfaction(SatisfactionLevel),
    /// 派工: 姓名[, 姓名…] — the engineering manager dispatches a task to engineers (tasks.md).
    Dispatch(Vec<String>),
    /// 开工 (optionally `开工: 日期`): an assigned engineer starts the task.
    Start(Option<String>),
    /// 延期申请: 日期, 理由 — as written; the rules read the date.
    DelayRequest(String),
    /// 完工申请 (optionally with a 完工说明 after the colon).
    CompletionRequest(Option<String>),
    /// 确认完工: the engineering manager (or the requesting sales) accepts the completion.
    ConfirmCompletion,
    /// 未完工: 理由 — the completion is sent back.
    NotCompleted(String),
}

/// The customer's answer in a 满意度回访 (workflow.md "Satisfaction follow-up").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SatisfactionLevel {
    /// 满意.
    Satisfied,
    /// 基本满意.
    MostlySatisfied,
    /// 不满意.
    Dissatisfied,
}

impl SatisfactionLevel {
    /// As stored and written.
    pub fn as_str(self) -> &'static str {
        match self {
            SatisfactionLevel::Satisfied => "满意",
            SatisfactionLevel::MostlySatisfied => "基本满意",
            SatisfactionLevel::Dissatisfied => "不满意",
        }
    }

    /// Reads an answer (Simplified characters).
    pub fn from_name(s: &str) -> Option<SatisfactionLevel> {
        [
            SatisfactionLevel::Satisfied,
            SatisfactionLevel::MostlySatisfied,
            SatisfactionLevel::Dissatisfied,
        ]
        .into_iter()
        .find(|l| l.as_str() == s)
    }
}

impl Command {
    /// The word as staff write it.
    pub fn word(&self) -> &'static str {
        match self {
            Command::Approve => "同意",
            Command::Reject(_) => "驳回",
            Command::Assign(_) => "分配",
            Command::RequestClosure => "申请关闭",
            Command::ConfirmClosure => "确认关闭",
            Command::NotSolved => "未解决",
            Command::Convert => "转定制",
            Command::Solved => "已解决",
            Command::RdTime(_) => "研发工时",
            Command::Withdraw => "撤销",
            Command::Satisfaction(_) => "满意度",
            Command::Dispatch(_) => "派工",
            Command::Start(_) => "开工",
            Command::DelayRequest(_) => "延期申请",
            Command::CompletionRequest(_) => "完工申请",
            Command::ConfirmCompletion => "确认完工",
            Command::NotCompleted(_) => "未完工",
        }
    }
}

/// Reads a command from the first line of a reply; `hours_per_day` converts 天 to hours.
/// `None` when the line is not a command (then the reply is just conversation).
pub fn parse_command(first_line: &str, hours_per_day: f64) -> Option<Command> {
    let line = nfkc(first_line);
    let line = line.trim().trim_end_matches(['。', '.', '!', '！']);
    let (word, arg) = match line.split_once(':') {
        Some((w, a)) => (w.trim(), a.trim()),
        None => (line, ""),
    };
    // The command word is matched in Simplified characters (駁回 is 驳回); the argument (a reason,
    // a name) stays as written.
    let word: String = simplified(word)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let text_arg = || Some(arg.to_string()).filter(|a| !a.is_empty());
    match word.as_str() {
        "同意" | "批准" | "同意转定制" if arg.is_empty() => Some(Command::Approve),
        "驳回" => Some(Command::Reject(text_arg().unwrap_or_default())),
        "分配" => text_arg().map(Command::Assign),
        "申请关闭" => Some(Command::RequestClosure),
        "确认关闭" => Some(Command::ConfirmClosure),
        "未解决" => Some(Command::NotSolved),
        "转定制" => Some(Command::Convert),
        "已解决" => Some(Command::Solved),
        "撤销" | "撤销投诉" => Some(Command::Withdraw),
        "派工" => Some(names(arg))
            .filter(|n| !n.is_empty())
            .map(Command::Dispatch),
        "开工" => Some(Command::Start(text_arg())),
        "延期申请" | "申请延期" => text_arg().map(Command::DelayRequest),
        "完工申请" | "申请完工" => Some(Command::CompletionRequest(text_arg())),
        "确认完工" => Some(Command::ConfirmCompletion),
        "未完工" => Some(Command::NotCompleted(text_arg().unwrap_or_default())),
        "研发工时" => rd_hours(&simplified(arg), hours_per_day).map(Command::RdTime),
        "满意度" => {
            let level: String = simplified(arg)
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            SatisfactionLevel::from_name(&level).map(Command::Satisfaction)
        }
        _ => None,
    }
}

/// `冯磊, 陈工`, `冯磊、陈工`, `冯磊 陈工` → the names, in order, once each.
fn names(arg: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in arg.split([',', '，', '、', ';', '；', ' ', '/']) {
        let n = n.trim();
        if !n.is_empty() && !out.iter().any(|o| o == n) {
            out.push(n.to_string());
        }
    }
    out
}

/// `3天`, `1.5 天`, `16小时`, `16h`, `2d` → hours.
fn rd_hours(arg: &str, hours_per_day: f64) -> Option<f64> {
    let arg: String = arg
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    let split = arg.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (number, unit) = arg.split_at(split);
    let n: f64 = number
        .parse()
        .ok()
        .filter(|n: &f64| n.is_finite() && *n > 0.0 && *n < 10_000.0)?;
    match unit {
        "天" | "d" | "day" | "days" | "人天" => Some(n * hours_per_day),
        "小时" | "h" | "hour" | "hours" | "个小时" => Some(n),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_read_with_either_colon() {
        assert_eq!(
            parse_command("驳回：请先收集日志", 8.0),
            Some(Command::Reject("请先收集日志".into()))
        );
        assert_eq!(
            parse_command("分配: 冯磊", 8.0),
            Some(Command::Assign("冯磊".into()))
        );
        assert_eq!(parse_command(" 同意。", 8.0), Some(Command::Approve));
        assert_eq!(
            parse_command("确认关闭", 8.0),
            Some(Command::ConfirmClosure)
        );
    }

    #[test]
    fn traditional_commands_read_as_simplified_and_keep_their_argument() {
        assert_eq!(
            parse_command("駁回：請先收集日誌", 8.0),
            Some(Command::Reject("請先收集日誌".into()))
        );
        assert_eq!(parse_command("已解決", 8.0), Some(Command::Solved));
        assert_eq!(
            parse_command("研發工時: 2小時", 8.0),
            Some(Command::RdTime(2.0))
        );
    }

    #[test]
    fn a_satisfaction_answer_is_read_in_every_form_staff_write_it() {
        use SatisfactionLevel::*;
        for (line, level) in [
            ("满意度：满意", Satisfied),
            ("满意度: 基本满意。", MostlySatisfied),
            ("满意度:不满意", Dissatisfied),
            ("滿意度：基本滿意", MostlySatisfied),
            (" 满意度 ： 满 意 ", Satisfied),
        ] {
            assert_eq!(
                parse_command(line, 8.0),
                Some(Command::Satisfaction(level)),
                "{line}"
            );
        }
        assert_eq!(parse_command("满意度: 还行吧", 8.0), None);
    }

    #[test]
    fn rd_time_is_read_in_days_or_hours() {
        assert_eq!(
            parse_command("研发工时: 3天", 8.0),
            Some(Command::RdTime(24.0))
        );
        assert_eq!(
            parse_command("研发工时：16 小时", 8.0),
            Some(Command::RdTime(16.0))
        );
        assert_eq!(
            parse_command("研发工时: 1.5d", 8.0),
            Some(Command::RdTime(12.0))
        );
        assert_eq!(parse_command("研发工时: 很多", 8.0), None);
        assert_eq!(parse_command("研发工时: -3天", 8.0), None);
    }

    #[test]
    fn task_commands_read_with_their_arguments() {
        assert_eq!(
            parse_command("派工：冯工程、陈工程, 冯工程", 8.0),
            Some(Command::Dispatch(vec!["冯工程".into(), "陈工程".into()]))
        );
        assert_eq!(parse_command("派工:", 8.0), None);
        assert_eq!(parse_command("開工", 8.0), Some(Command::Start(None)));
        assert_eq!(
            parse_command("开工: 2026-12-03", 8.0),
            Some(Command::Start(Some("2026-12-03".into())))
        );
        assert_eq!(
            parse_command("延期申請：2026-12-20，设备未到货", 8.0),
            Some(Command::DelayRequest("2026-12-20,设备未到货".into()))
        );
        assert_eq!(parse_command("延期申请", 8.0), None);
        assert_eq!(
            parse_command("完工申请", 8.0),
            Some(Command::CompletionRequest(None))
        );
        assert_eq!(
            parse_command("确认完工。", 8.0),
            Some(Command::ConfirmCompletion)
        );
        assert_eq!(
            parse_command("未完工: 机柜未封堵", 8.0),
            Some(Command::NotCompleted("机柜未封堵".into()))
        );
    }

    #[test]
    fn conversation_is_not_a_command() {
        assert_eq!(parse_command("谢谢，收到", 8.0), None);
        assert_eq!(parse_command("沒問題", 8.0), None);
        assert_eq!(parse_command("同意你的看法，但是…", 8.0), None);
        assert_eq!(parse_command("分配:", 8.0), None);
    }
}
