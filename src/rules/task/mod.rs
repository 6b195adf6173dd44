//! 集成部任务 (《集成部（技术支持、施工）管理流程》, tasks.md): a sales person's 任务申请 for a
//! 设计 (technical support) or 施工 task, and its state machine 任务申请 → 派工 → 在建 →
//! 延期（延期申请）→ 完工（完工申请）. A sibling of the fault order: the states as an enum stored by
//! name, one [`transition`] table that says who may move a task where, and one [`next_actor`]
//! that reminders, digests and reports ask.

mod command;
pub mod request;

pub use command::{TaskChange, command};
pub use request::{NewTask, file};

use crate::config::Config;
use crate::directory::Role;
use crate::parse::Command;
use chrono::NaiveDate;

const SIGNATURE: &str = "\n\n—— 技术支持流程机器人（本邮件由系统自动发送）";

/// 任务类型: 设计 (技术支持: 技术方案、标书制作、现场查勘…) or 施工 (安装、调试、工程维修、工程施工…).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKind {
    /// 设计, the seed's 技术支持.
    Design,
    /// 施工.
    Construction,
}

impl TaskKind {
    /// The stored and reported name: `设计` or `施工`.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskKind::Design => "设计",
            TaskKind::Construction => "施工",
        }
    }

    /// Reads a stored name, or a subject's type segment (技术支持 is 设计).
    pub fn from_name(s: &str) -> Option<TaskKind> {
        match crate::parse::subject::task_type(s)? {
            "设计" => Some(TaskKind::Design),
            _ => Some(TaskKind::Construction),
        }
    }
}

/// Where a task stands (任务状态); stored as its snake_case name ([`TaskState::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, sqlx::Type)]
#[sqlx(rename_all = "snake_case")]
pub enum TaskState {
    /// 任务申请: waiting for the engineering manager's 派工 or 驳回.
    Requested,
    /// 派工: waiting for an assigned engineer's 开工.
    Dispatched,
    /// 在建.
    InProgress,
    /// 延期申请: waiting for the engineering manager's 同意 or 驳回.
    DelayRequested,
    /// 完工申请: waiting for 确认完工 or 未完工.
    CompletionRequested,
    /// 完工.
    Completed,
    /// 驳回: not dispatched.
    Rejected,
}

impl TaskState {
    /// Every state, in the order of the flow (`report tasks --state`, digests).
    pub const ALL: [TaskState; 7] = [
        TaskState::Requested,
        TaskState::Dispatched,
        TaskState::InProgress,
        TaskState::DelayRequested,
        TaskState::CompletionRequested,
        TaskState::Completed,
        TaskState::Rejected,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Requested => "requested",
            TaskState::Dispatched => "dispatched",
            TaskState::InProgress => "in_progress",
            TaskState::DelayRequested => "delay_requested",
            TaskState::CompletionRequested => "completion_requested",
            TaskState::Completed => "completed",
            TaskState::Rejected => "rejected",
        }
    }

    /// Reads a stored name.
    pub fn from_name(s: &str) -> Option<TaskState> {
        TaskState::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The seed's word for the state.
    pub fn name_zh(self) -> &'static str {
        match self {
            TaskState::Requested => "任务申请（待派工）",
            TaskState::Dispatched => "已派工（待开工）",
            TaskState::InProgress => "在建",
            TaskState::DelayRequested => "延期申请（待审批）",
            TaskState::CompletionRequested => "完工申请（待确认）",
            TaskState::Completed => "完工",
            TaskState::Rejected => "已驳回",
        }
    }
}

/// Who may move a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// 工程技术部经理 (role `engineering_manager`).
    EngineeringManager,
    /// An engineer the task was dispatched to.
    AssignedEngineer,
    /// The sales person who applied for the task.
    Sales,
}

impl Actor {
    /// How a mail names the actor.
    pub fn name_zh(self) -> &'static str {
        match self {
            Actor::EngineeringManager => "工程技术部经理",
            Actor::AssignedEngineer => "派工的工程师",
            Actor::Sales => "提出申请的销售",
        }
    }
}

/// A task as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    /// Row id.
    pub id: i64,
    /// Its thread: the row id of the 任务申请 mail.
    pub thread: i64,
    /// 设计 or 施工.
    pub kind: TaskKind,
    /// The project as the subject named it.
    pub project: String,
    /// The sales person who applied (name).
    pub sales: String,
    /// Engineers dispatched (names).
    pub engineers: Vec<String>,
    /// Where it stands.
    pub state: TaskState,
    /// 期望完工, as approved so far.
    pub due: Option<NaiveDate>,
    /// The new 期望完工 a pending 延期申请 asks for.
    pub requested_due: Option<NaiveDate>,
}

impl Task {
    /// The canonical subject, e.g. `任务申请-施工-星河项目`.
    pub fn title(&self) -> String {
        format!("任务申请-{}-{}", self.kind.as_str(), self.project)
    }
}

/// The one table of moves (tasks.md «Thread commands»): which command in which state, by
/// whom, to which state. `None`: the command does nothing in that state.
pub fn transition(state: TaskState, cmd: &Command) -> Option<(&'static [Actor], TaskState)> {
    use Actor::*;
    use TaskState::*;
    const MANAGER: &[Actor] = &[EngineeringManager];
    const ENGINEER: &[Actor] = &[AssignedEngineer];
    const MANAGER_OR_SALES: &[Actor] = &[EngineeringManager, Sales];
    Some(match (state, cmd) {
        (Requested, Command::Dispatch(_)) => (MANAGER, Dispatched),
        (Requested, Command::Reject(_)) => (MANAGER, Rejected),
        (Dispatched, Command::Start(_)) => (ENGINEER, InProgress),
        (InProgress, Command::DelayRequest(_)) => (ENGINEER, DelayRequested),
        (DelayRequested, Command::Approve | Command::Reject(_)) => (MANAGER, InProgress),
        (InProgress, Command::CompletionRequest(_)) => (ENGINEER, CompletionRequested),
        (CompletionRequested, Command::ConfirmCompletion) => (MANAGER_OR_SALES, Completed),
        (CompletionRequested, Command::NotCompleted(_)) => (MANAGER_OR_SALES, InProgress),
        _ => return None,
    })
}

/// Who owes the next step of a task in `state`; `None` once it is completed or rejected.
pub fn next_actor(state: TaskState) -> Option<Actor> {
    match state {
        TaskState::Requested | TaskState::DelayRequested | TaskState::CompletionRequested => {
            Some(Actor::EngineeringManager)
        }
        TaskState::Dispatched | TaskState::InProgress => Some(Actor::AssignedEngineer),
        TaskState::Completed | TaskState::Rejected => None,
    }
}

/// The commands that move a task in `state`, as staff write them.
pub fn commands_in(state: TaskState) -> &'static str {
    match state {
        TaskState::Requested => {
            "派工: 姓名[, 姓名…]（工程技术部经理） / 驳回: 理由（工程技术部经理）"
        }
        TaskState::Dispatched => "开工 或 开工: 日期（派工的工程师）",
        TaskState::InProgress => "延期申请: 日期, 理由 / 完工申请（派工的工程师）",
        TaskState::DelayRequested => "同意 / 驳回: 理由（工程技术部经理）",
        TaskState::CompletionRequested => {
            "确认完工 / 未完工: 理由（工程技术部经理或提出申请的销售）"
        }
        TaskState::Completed | TaskState::Rejected => "无（任务已结束）",
    }
}

/// The names of whoever plays `actor` on `task`.
pub fn names_of(config: &Config, task: &Task, actor: Actor) -> Vec<String> {
    match actor {
        Actor::EngineeringManager => config
            .directory
            .with_role(Role::EngineeringManager)
            .map(|p| p.name.clone())
            .collect(),
        Actor::AssignedEngineer => task.engineers.clone(),
        Actor::Sales => vec![task.sales.clone()],
    }
}

/// The names of whoever owes the task's next step (empty when it is over).
pub fn owes(config: &Config, task: &Task) -> Vec<String> {
    next_actor(task.state).map_or_else(Vec::new, |a| names_of(config, task, a))
}

/// `12.5万` for 125000 yuan: amounts as people write them.
pub fn wan(yuan: i64) -> String {
    let w = format!("{:.4}", yuan as f64 / 10_000.0);
    let w = w.trim_end_matches('0').trim_end_matches('.');
    format!("{w}万")
}

#[cfg(test)]
mod tests;
