//! 满意度回访 (workflow.md "Satisfaction follow-up"; the seed's 问题跟踪与评估：在一定时间后联系客户
//! 进行满意度评估, and 客户满意度考核): after an open item or a fault order closes, the engineer who
//! owned it asks the customer and replies 「满意度: 满意 / 基本满意 / 不满意」 on the item's thread.
//! A typed state machine beside the fault order's: [`State`], [`transition`], [`next_actor`].

use super::{Ctx, Decision, Effect, MailKind, Outcome};
use crate::directory::Role;
use crate::mail::{Outgoing, OutgoingKind};
use crate::parse::ProjectKey;
use chrono::{DateTime, Utc};

/// The customer's answer (read at the edge, in [`crate::parse`]).
pub use crate::parse::SatisfactionLevel as Level;

/// Where a follow-up stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// The item closed; the request is not due yet.
    Closed,
    /// The request went to the owner.
    Requested,
    /// Answered: nothing more to do.
    Answered(Level),
}

/// A follow-up as the rules and schedules see it.
#[derive(Debug, Clone, PartialEq)]
pub struct SatisfactionRef {
    /// Row id.
    pub id: i64,
    /// The item's thread (the n of its [SB-n]).
    pub thread: i64,
    /// Project key.
    pub project: String,
    /// The engineer who owned the item.
    pub owner: String,
    /// 沟通人 of the report that opened it.
    pub contact: Option<String>,
    /// What the item was about.
    pub description: String,
    /// When it closed.
    pub closed_at: DateTime<Utc>,
    /// When the request fell due, once it has.
    pub requested_at: Option<DateTime<Utc>>,
    /// The answer, once given.
    pub answer: Option<Level>,
}

impl SatisfactionRef {
    /// Its state.
    pub fn state(&self) -> State {
        match (self.answer, self.requested_at) {
            (Some(level), _) => State::Answered(level),
            (None, Some(_)) => State::Requested,
            (None, None) => State::Closed,
        }
    }
}

/// Who owes the next step: the owner until it is answered (the presales manager may answer too).
pub fn next_actor(s: &SatisfactionRef) -> Option<&str> {
    match s.state() {
        State::Answered(_) => None,
        State::Closed | State::Requested => Some(&s.owner),
    }
}

/// Why a move is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Only the owner or the presales manager answers.
    NotAuthorized,
    /// Answered already.
    AlreadyAnswered(Level),
}

/// The one move: an answer, by the owner or the presales manager, once.
pub fn transition(s: &SatisfactionRef, by: &str, is_manager: bool) -> Result<State, Refusal> {
    if by != s.owner && !is_manager {
        return Err(Refusal::NotAuthorized);
    }
    match s.state() {
        State::Answered(level) => Err(Refusal::AlreadyAnswered(level)),
        State::Closed | State::Requested => Ok(State::Requested),
    }
}

/// 「满意度: 不满意」 on the item's thread, with the optional 说明 line.
pub fn answer(ctx: &Ctx<'_>, s: &SatisfactionRef, level: Level) -> Decision {
    let manager = ctx.sender.has(Role::PresalesManager);
    let refused = |code: &str, why: String| {
        let mut d = Decision::rejected(
            MailKind::ThreadCommand,
            vec![code.to_string()],
            ctx.reply(
                OutgoingKind::Rejection,
                format!("未记录：满意度回访 {}", s.project),
                format!("{why}{}", super::text::SIGNATURE),
            ),
        );
        d.project = ProjectKey::new(&s.project);
        d
    };
    match transition(s, &ctx.sender.name, manager) {
        Err(Refusal::NotAuthorized) => {
            return refused(
                "not_authorized",
                format!(
                    "{}：这项满意度回访由负责的技服人员{}或售前经理回复，您无需操作。",
                    ctx.sender.name, s.owner
                ),
            );
        }
        Err(Refusal::AlreadyAnswered(before)) => {
            return refused(
                "invalid_state",
                format!(
                    "{}：这项满意度回访已记录为「{}」，不再更改。如需更正，请联系售前经理。",
                    ctx.sender.name,
                    before.as_str()
                ),
            );
        }
        Ok(_) => {}
    }
    let note = note_of(&ctx.mail.body);
    let mut d = Decision::new(MailKind::ThreadCommand, Outcome::Accepted);
    d.project = ProjectKey::new(&s.project);
    d.effects.push(Effect::AnswerSatisfaction {
        id: s.id,
        level,
        note: note.clone(),
    });
    d.outgoing.push(ctx.reply(
        OutgoingKind::Ack,
        format!("已记录：满意度回访 {}", s.project),
        format!(
            "{}：已记录客户满意度「{}」。{}{}",
            ctx.sender.name,
            level.as_str(),
            if level == Level::Dissatisfied {
                "售前经理已收到通知。"
            } else {
                "谢谢。"
            },
            super::text::SIGNATURE
        ),
    ));
    if level == Level::Dissatisfied {
        let to: Vec<String> = ctx
            .config
            .directory
            .with_role(Role::PresalesManager)
            .map(|p| p.address().to_string())
            .collect();
        let owner = ctx
            .config
            .directory
            .by_name(&s.owner)
            .map(|p| p.address().to_string());
        d.outgoing.push(Outgoing {
            kind: OutgoingKind::DissatisfactionAlert,
            cc: owner.into_iter().filter(|a| !to.contains(a)).collect(),
            to,
            subject: format!("客户不满意：{}（#{}）", s.project, s.thread),
            body: dissatisfaction_text(ctx, s, note.as_deref()),
        });
    }
    d
}

/// The 说明 line of the sender's own words, if any.
fn note_of(body: &str) -> Option<String> {
    crate::parse::strip_quoted(body)
        .lines()
        .map(str::trim)
        .find_map(|l| {
            let folded = crate::parse::fold(l);
            let rest = folded.strip_prefix("说明")?;
            let rest = rest.trim_start().strip_prefix(':')?;
            // The value as written: as many characters as the folded form has after the colon.
            let skip = l.chars().count() - rest.chars().count();
            Some(l.chars().skip(skip).collect::<String>().trim().to_string())
        })
        .filter(|n| !n.is_empty())
}

fn dissatisfaction_text(ctx: &Ctx<'_>, s: &SatisfactionRef, note: Option<&str>) -> String {
    let tz = ctx.config.timezone;
    let day = |t: DateTime<Utc>| t.with_timezone(&tz).format("%Y年%-m月%-d日").to_string();
    format!(
        "售前经理：\n\n{}回访客户{}后，客户对以下问题的处理表示不满意。\n\n\
         项目：{}\n问题（#{}）：{}\n关闭日期：{}\n负责人：{}\n客户意见：{}\n\n\
         本系统不会因此重新打开问题；是否需要再次跟进，请您与{}商定。问题的完整往来邮件可在主题带 [SB-{}] 的邮件中查看。{}",
        ctx.sender.name,
        s.contact
            .as_deref()
            .map(|c| format!("（{c}）"))
            .unwrap_or_default(),
        s.project,
        s.thread,
        s.description,
        day(s.closed_at),
        s.owner,
        note.unwrap_or("（未填写说明）"),
        s.owner,
        s.thread,
        super::text::SIGNATURE
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn follow_up(answer: Option<Level>) -> SatisfactionRef {
        SatisfactionRef {
            id: 1,
            thread: 12,
            project: "星河".into(),
            owner: "张三".into(),
            contact: Some("客户王工".into()),
            description: "审计日志导出 Excel".into(),
            closed_at: DateTime::parse_from_rfc3339("2026-11-20T02:00:00Z")
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_default(),
            requested_at: None,
            answer,
        }
    }

    #[test]
    fn only_the_owner_or_the_presales_manager_answers_and_only_once() {
        let open = follow_up(None);
        assert_eq!(transition(&open, "张三", false), Ok(State::Requested));
        assert_eq!(transition(&open, "王芳", true), Ok(State::Requested));
        assert_eq!(
            transition(&open, "李四", false),
            Err(Refusal::NotAuthorized)
        );
        let done = follow_up(Some(Level::Satisfied));
        assert_eq!(
            transition(&done, "张三", false),
            Err(Refusal::AlreadyAnswered(Level::Satisfied))
        );
        assert_eq!(next_actor(&open), Some("张三"));
        assert_eq!(next_actor(&done), None);
    }

    #[test]
    fn the_note_is_read_from_the_own_words_as_written() {
        assert_eq!(
            note_of("满意度: 基本满意\n說明：導出速度偏慢\n\n在 2026年11月25日 写道：\n> 说明: 旧"),
            Some("導出速度偏慢".into())
        );
        assert_eq!(note_of("满意度: 满意"), None);
    }
}
