//! supportbot: the technical-support regulation (《技术支持工作管理流程》) as a mail-driven daemon.
//!
//! Staff send ordinary mail in the formats the regulation prescribes; supportbot reads the shared
//! mailbox, checks each mail against the rules, keeps the workflow state in SQLite and answers.
//!
//! # Layout
//! - [`config`]: the TOML config, the staff directory ([`directory`]) and the rule settings.
//! - [`parse`]: subjects, bodies and project keys, from untrusted text to domain types.
//! - [`mail`]: one inbound mail read from raw bytes ([`mail::Inbound`]), and outgoing mail.
//! - [`rules`]: the regulation as pure functions: `(facts, mail) → decision`. No I/O, no clock.
//!   Each workflow is a typed state machine in its own module: the fault order
//!   ([`rules::fault::state`]: `FaultState`, `transition`, `next_actor`), and the 集成部
//!   task ([`rules::task`]: `TaskState`, `transition`, `next_actor`), which [`store::tasks`],
//!   [`schedule::tasks`], [`digest::tasks`] and [`report::tasks`] ask, and the 满意度回访
//!   ([`rules::satisfaction`], with [`store::satisfaction`] and the schedules' reminders).
//! - [`store`]: all SQL; one small function per query; migrations run at startup.
//! - [`engine`]: one mail → one transaction: record, decide, apply, queue replies.
//! - [`transport`]: Maildir in and out (the embedded default), IMAP in, SMTP out; replay sources;
//!   [`transport::inbox::Inbox`]: one inbox (list, fetch, file as processed or as dead letter).
//! - [`ingest`]: the one ingest step for every inbox: new mail → engine → processed, or after the
//!   size cap, unreadable bytes or `[limits] max_tries` failed tries → dead letter.
//! - [`read_ahead`]: replay's reader thread, which reads and parses mail ahead of the writer.
//! - [`alerts`]: mail to the admins about the transport (dead letters, undeliverable replies).
//! - [`backup`]: `backup` / `restore` of the database and the daemon's daily copies.
//! - [`daemon`]: `run`: the workers, SIGHUP reload, the health row, systemd notifications and
//!   the metrics endpoint.
//! - [`shutdown`]: the shutdown signal handed to every worker, and backoff (a leaf: imports
//!   nothing of the crate, so transports can wait on it without importing the daemon).
//! - [`lock`]: the one-instance lock on the database (a leaf: `run`, `status`, `backup` and
//!   `restore` share it).
//! - [`status`]: the `status` command's figures (and the metrics text).
//! - [`report`]: the `report` and `outbox` commands' tables and JSON.
//! - [`cli`]: the command line of `interface.md`.
//! - [`calendar`]: working time (holidays, 调休) for every deadline.
//! - [`schedule`]: SLAs, reminders and the `tick` step [`schedule::run_due`].
//! - [`digest`]: the managers' and presales' digests (HTML + text) and the tracking workbook.
//! - [`query`]: asking the bot by mail (`帮助`, `查询-…`, queries.md §1) and the 知识库 search
//!   ([`store::kb`], queries.md §2).
//!
//! # Layering
//! Each file imports only files below it: no import cycle (`farm-studio look` draws the floors
//! and finds no circle). By folder, from the top: [`cli`] → [`daemon`] → [`jobs`], [`status`]
//! → [`ingest`], [`read_ahead`] → [`schedule`]'s tick → [`digest`] → [`engine`] → [`query`] → [`alerts`] →
//! [`transport`], [`backup`], [`report`] → [`store`] → [`rules`] → [`config`] → [`directory`] →
//! the leaves, which import nothing above them: [`parse`] (subjects, bodies, the field table,
//! query subjects), [`mail`] (with [`mail::html`], the look of every HTML part), [`calendar`],
//! [`shutdown`], [`lock`], [`cpu`].
//! Some folders span floors by file, never in a circle: `schedule::run_due` (the tick) sits
//! above [`digest`] and [`engine`], while `schedule`'s occurrences, reminders, nudges and settings
//! sit below them; [`query`]'s answers use [`digest::xlsx`] (the workbook writer) and
//! [`report::table`], which sit below [`engine`]; `report` and `digest` use each other's files
//! (the tally cells, the workbook), never in a circle. Inside [`rules`]: the rule modules
//! (complaint, initiation, report, fault, …) → [`rules::text`] (the wording) → [`rules::model`]
//! (the shared domain types) and the facts; the two state machines, [`rules::fault::state`] and
//! [`rules::task`], ask nothing above them; SLA deadlines are computed in [`rules::deadlines`]
//! and only written by the store.

#![forbid(unsafe_code)]

pub mod alerts;
pub mod backup;
pub mod calendar;
pub mod cli;
pub mod config;
pub mod cpu;
pub mod daemon;
pub mod digest;
pub mod directory;
pub mod engine;
pub mod ingest;
pub mod jobs;
pub mod lock;
pub mod mail;
pub mod parse;
pub mod query;
pub mod read_ahead;
pub mod report;
pub mod rules;
pub mod schedule;
pub mod shutdown;
pub mod status;
pub mod store;
pub mod transport;
