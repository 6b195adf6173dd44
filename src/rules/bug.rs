//! 内部bug反馈表 (第八条): goes to the test group, copying every presales.

use super::{Ctx, Decision, Effect, MailKind, Outcome, text};
use crate::directory::Role;
use crate::mail::{Outgoing, OutgoingKind};
use crate::parse::{SubjectKind, WorkflowSubject};

/// Records the feedback; tells the sender who was left out and forwards it to them.
pub fn file(ctx: &Ctx<'_>, subject: &WorkflowSubject) -> Decision {
    let mut d = Decision::new(
        MailKind::Workflow(SubjectKind::BugFeedback),
        Outcome::Accepted,
    );
    let dir = &ctx.config.directory;
    let mut missing = Vec::new();
    for p in dir
        .with_role(Role::TestGroup)
        .chain(dir.with_role(Role::Presales))
    {
        let reached = p
            .emails
            .iter()
            .any(|e| ctx.mail.recipients().any(|r| r.eq_ignore_ascii_case(e)));
        if p.name != ctx.sender.name && !reached && !missing.contains(&p) {
            missing.push(p);
        }
    }
    let topic = subject.topic.clone().unwrap_or_default();
    d.effects.push(Effect::FileBug {
        topic: topic.clone(),
        missing: missing.iter().map(|p| p.name.clone()).collect(),
    });
    if !missing.is_empty() {
        let names: Vec<&str> = missing.iter().map(|p| p.name.as_str()).collect();
        d.outgoing.push(ctx.reply(
            OutgoingKind::MissingRecipients,
            format!("请补充收件人：{}", subject.canonical()),
            text::missing_recipients(&names),
        ));
        d.outgoing.push(Outgoing {
            kind: OutgoingKind::Forward,
            to: missing.iter().map(|p| p.address().to_string()).collect(),
            cc: Vec::new(),
            subject: format!("已转发：{}", ctx.mail.subject.trim()),
            body: text::forward(
                ctx.mail,
                &ctx.local_time(),
                &ctx.sender.name,
                "第八条：内部bug反馈须发给测试组并抄送全体售前",
            ),
        });
    }
    d
}
