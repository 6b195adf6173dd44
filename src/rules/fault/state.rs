//! The 故障处理工作单 state machine (第四十四条–第四十七条), in one place: the states as an enum
//! stored by name, one [`transition`] table that says who may move an order where, and one
//! [`next_actor`] that the rules' refusals, the reminders, the digests and the reports ask. A
//! sibling of the 集成部 task's machine ([`crate::rules::task`]), shaped the same way.

use crate::config::Config;
use crate::directory::Role;
use crate::parse::Command;

/// States of a 故障处理工作单 (第四十四条–第四十七条); stored as its snake_case name
/// ([`FaultState::as_str`]), the TEXT the `fault_orders.state` column has always held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, sqlx::Type, serde::Serialize)]
#[sqlx(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum FaultState {
    /// Waiting for the presales manager's 同意.
    PendingApproval,
    /// Waiting for the R&D manager: 分配 or 驳回.
    WithRdManager,
    /// With the R&D lead.
    Assigned,
    /// The lead asked to close; the proposer confirms or sends it back.
    ClosureRequested,
    /// Closed by the proposer.
    Closed,
    /// Rejected with advice (第四十五条).
    Rejected,
    /// Turned into custom development (第四十七条).
    Converted,
}

impl FaultState {
    /// Every state, for `report faults --state`.
    pub const ALL: [FaultState; 7] = [
        FaultState::PendingApproval,
        FaultState::WithRdManager,
        FaultState::Assigned,
        FaultState::ClosureRequested,
        FaultState::Closed,
        FaultState::Rejected,
        FaultState::Converted,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            FaultState::PendingApproval => "pending_approval",
            FaultState::WithRdManager => "with_rd_manager",
            FaultState::Assigned => "assigned",
            FaultState::ClosureRequested => "closure_requested",
            FaultState::Closed => "closed",
            FaultState::Rejected => "rejected",
            FaultState::Converted => "converted",
        }
    }

    /// Reads a stored name.
    pub fn from_name(s: &str) -> Option<FaultState> {
        FaultState::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// Someone still owes a step: not closed, rejected or converted.
    pub fn is_open(self) -> bool {
        next_actor(self, false).is_some()
    }
}

/// Who may move a fault order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// 售前经理 (role `presales_manager`): approves or rejects a filed order (第四十四条).
    PresalesManager,
    /// 研发经理 (role `rd_manager`): assigns a lead or rejects (第四十五条).
    RdManager,
    /// The R&D lead the order was assigned to (第四十六条).
    Lead,
    /// The presales who filed the order (第四十六条, 第四十七条).
    Proposer,
}

/// One move of the table: who makes it, where the order goes, and whether the move leaves a
/// 转定制 proposal waiting for the proposer (第四十七条).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Move {
    /// The one actor who may make it.
    pub by: Actor,
    /// The state after it.
    pub to: FaultState,
    /// The order then waits for the proposer to agree to 转定制.
    pub conversion_proposed: bool,
}

/// The one table of moves: which command in which state (and with a 转定制 proposal pending or
/// not), by whom, to which state. `None`: the command does nothing there.
pub fn transition(state: FaultState, conversion_proposed: bool, cmd: &Command) -> Option<Move> {
    use Actor::*;
    use FaultState::*;
    let go = |by, to| Move {
        by,
        to,
        conversion_proposed: false,
    };
    Some(match (state, cmd) {
        (PendingApproval, Command::Approve) => go(PresalesManager, WithRdManager),
        (PendingApproval, Command::Reject(_)) => go(PresalesManager, Rejected),
        (WithRdManager, Command::Reject(_)) => go(RdManager, Rejected),
        (WithRdManager, Command::Assign(_)) => go(RdManager, Assigned),
        (Assigned, Command::RequestClosure) => go(Lead, ClosureRequested),
        (Assigned, Command::Convert) if !conversion_proposed => Move {
            by: Lead,
            to: Assigned,
            conversion_proposed: true,
        },
        (Assigned, Command::Convert | Command::Approve) if conversion_proposed => {
            go(Proposer, Converted)
        }
        (ClosureRequested, Command::ConfirmClosure) => go(Proposer, Closed),
        (ClosureRequested, Command::NotSolved) => go(Proposer, Assigned),
        _ => return None,
    })
}

/// Who owes the next step of an order in `state` (with a 转定制 proposal pending or not);
/// `None` once it is closed, rejected or converted.
pub fn next_actor(state: FaultState, conversion_proposed: bool) -> Option<Actor> {
    match state {
        FaultState::PendingApproval => Some(Actor::PresalesManager),
        FaultState::WithRdManager => Some(Actor::RdManager),
        FaultState::Assigned if conversion_proposed => Some(Actor::Proposer),
        FaultState::Assigned => Some(Actor::Lead),
        FaultState::ClosureRequested => Some(Actor::Proposer),
        FaultState::Closed | FaultState::Rejected | FaultState::Converted => None,
    }
}

/// The reply that makes the awaited decision of an order in `state` (the first line of a reply on
/// its thread, as [`super::command`] reads it) and the article it comes from; None when the
/// next step is work rather than a decision (the lead solving it) or nobody owes one.
pub fn awaited_reply(
    state: FaultState,
    conversion_proposed: bool,
) -> Option<(&'static str, &'static str)> {
    match (next_actor(state, conversion_proposed)?, state) {
        (Actor::PresalesManager, _) => Some(("同意\n（或：驳回: 理由）", "第四十四条")),
        (Actor::RdManager, _) => Some(("分配: 研发负责人姓名\n（或：驳回: 理由）", "第四十五条")),
        (Actor::Proposer, FaultState::Assigned) => Some(("同意", "第四十七条")),
        (Actor::Proposer, _) => Some(("确认关闭\n（或：未解决）", "第四十六条")),
        (Actor::Lead, _) => None,
    }
}

/// The names of whoever plays `actor` on an order filed by `proposer` and led by `lead`.
pub fn names_of(config: &Config, proposer: &str, lead: Option<&str>, actor: Actor) -> Vec<String> {
    let role = |r: Role| {
        config
            .directory
            .with_role(r)
            .map(|p| p.name.clone())
            .collect()
    };
    match actor {
        Actor::PresalesManager => role(Role::PresalesManager),
        Actor::RdManager => role(Role::RdManager),
        Actor::Lead => lead.map(String::from).into_iter().collect(),
        Actor::Proposer => vec![proposer.to_string()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_awaited_reply_is_the_decision_the_next_actor_owes_and_none_for_the_leads_work() {
        use FaultState::*;
        let first = |s, c| awaited_reply(s, c).map(|(reply, _)| reply.lines().next());
        assert_eq!(first(PendingApproval, false), Some(Some("同意")));
        assert_eq!(
            first(WithRdManager, false),
            Some(Some("分配: 研发负责人姓名"))
        );
        assert_eq!(first(Assigned, true), Some(Some("同意")));
        assert_eq!(first(Assigned, false), None);
        assert_eq!(first(ClosureRequested, false), Some(Some("确认关闭")));
        for done in [Closed, Rejected, Converted] {
            assert_eq!(awaited_reply(done, false), None);
        }
    }

    fn every_command() -> Vec<Command> {
        vec![
            Command::Approve,
            Command::Reject("理由".into()),
            Command::Assign("王五".into()),
            Command::RequestClosure,
            Command::ConfirmClosure,
            Command::NotSolved,
            Command::Convert,
            Command::Solved,
        ]
    }

    #[test]
    fn stored_names_read_back_as_the_same_state() {
        for s in FaultState::ALL {
            assert_eq!(FaultState::from_name(s.as_str()), Some(s));
        }
        assert_eq!(FaultState::from_name("open"), None);
    }

    #[test]
    fn the_presales_manager_approves_or_rejects_a_filed_order() {
        let approve = transition(FaultState::PendingApproval, false, &Command::Approve);
        assert_eq!(
            approve.map(|m| (m.by, m.to)),
            Some((Actor::PresalesManager, FaultState::WithRdManager))
        );
        let reject = transition(
            FaultState::PendingApproval,
            false,
            &Command::Reject("x".into()),
        );
        assert_eq!(reject.map(|m| m.to), Some(FaultState::Rejected));
    }

    #[test]
    fn the_rd_manager_assigns_a_lead() {
        let m = transition(
            FaultState::WithRdManager,
            false,
            &Command::Assign("王五".into()),
        );
        assert_eq!(
            m.map(|m| (m.by, m.to)),
            Some((Actor::RdManager, FaultState::Assigned))
        );
    }

    #[test]
    fn a_lead_proposes_conversion_and_only_the_proposer_agrees_to_it() {
        let proposed = transition(FaultState::Assigned, false, &Command::Convert);
        assert_eq!(
            proposed,
            Some(Move {
                by: Actor::Lead,
                to: FaultState::Assigned,
                conversion_proposed: true
            })
        );
        for cmd in [Command::Convert, Command::Approve] {
            let agreed = transition(FaultState::Assigned, true, &cmd);
            assert_eq!(
                agreed.map(|m| (m.by, m.to)),
                Some((Actor::Proposer, FaultState::Converted))
            );
        }
        assert_eq!(
            transition(FaultState::Assigned, false, &Command::Approve),
            None
        );
    }

    #[test]
    fn the_proposer_confirms_closure_or_sends_it_back_to_the_lead() {
        let closed = transition(
            FaultState::ClosureRequested,
            false,
            &Command::ConfirmClosure,
        );
        assert_eq!(
            closed.map(|m| (m.by, m.to)),
            Some((Actor::Proposer, FaultState::Closed))
        );
        let back = transition(FaultState::ClosureRequested, false, &Command::NotSolved);
        assert_eq!(back.map(|m| m.to), Some(FaultState::Assigned));
    }

    #[test]
    fn nothing_moves_a_closed_rejected_or_converted_order() {
        for state in [
            FaultState::Closed,
            FaultState::Rejected,
            FaultState::Converted,
        ] {
            for proposed in [false, true] {
                for cmd in every_command() {
                    assert_eq!(transition(state, proposed, &cmd), None, "{state:?} {cmd:?}");
                }
                assert_eq!(next_actor(state, proposed), None);
            }
            assert!(!state.is_open());
        }
    }

    #[test]
    fn whoever_owes_the_next_step_is_the_one_who_may_move_the_order_on() {
        // Every move out of a state is made by the state's next actor, except the lead's
        // 申请关闭 while a 转定制 proposal waits for the proposer.
        for state in FaultState::ALL {
            for proposed in [false, true] {
                for cmd in every_command() {
                    let Some(m) = transition(state, proposed, &cmd) else {
                        continue;
                    };
                    if state == FaultState::Assigned
                        && proposed
                        && matches!(cmd, Command::RequestClosure)
                    {
                        assert_eq!(m.by, Actor::Lead);
                        continue;
                    }
                    assert_eq!(Some(m.by), next_actor(state, proposed), "{state:?} {cmd:?}");
                }
            }
        }
    }

    #[test]
    fn an_assigned_order_is_owed_by_the_lead_until_conversion_is_proposed() {
        assert_eq!(next_actor(FaultState::Assigned, false), Some(Actor::Lead));
        assert_eq!(
            next_actor(FaultState::Assigned, true),
            Some(Actor::Proposer)
        );
        assert_eq!(
            next_actor(FaultState::PendingApproval, false),
            Some(Actor::PresalesManager)
        );
        assert_eq!(
            next_actor(FaultState::WithRdManager, false),
            Some(Actor::RdManager)
        );
        assert_eq!(
            next_actor(FaultState::ClosureRequested, false),
            Some(Actor::Proposer)
        );
    }
}
