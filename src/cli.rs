//! The command line of interface.md. Every command exits non-zero with a one-line reason on
//! stderr when it cannot do its job.

use crate::config::Config;
use crate::engine::Engine;
use crate::jobs;
use crate::report;
use crate::transport::Outbound;
use anyhow::{Context, bail};
use chrono::Utc;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// supportbot: the technical-support regulation as a mail-driven workflow.
#[derive(Debug, Parser)]
#[command(name = "supportbot", version, about)]
pub struct Cli {
    /// The config file.
    #[arg(long, global = true, default_value = "config/default.toml")]
    pub config: PathBuf,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// `--format` of the commands that print one table or one JSON document (interface.md:
/// `table|json`); clap rejects anything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TextFormat {
    /// Aligned text for people.
    Table,
    /// JSON for scripts (interface.md).
    Json,
}

/// `--format` of `report tracking` and `report tasks` (interface.md: `table|json|csv|xlsx`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SheetFormat {
    /// Aligned text for people.
    Table,
    /// JSON for scripts (interface.md).
    Json,
    /// CSV.
    Csv,
    /// Excel workbook (needs `--output`).
    Xlsx,
}

/// A calendar month as `--month` takes it: `YYYY-MM` (e.g. `2026-11`). Parsed by clap, so a bad
/// month is a usage error naming the expected form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Month(String);

impl Month {
    /// `YYYY-MM`, as the store keys months.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for Month {
    type Err = String;

    fn from_str(s: &str) -> Result<Month, String> {
        let well_formed = s.len() == 7
            && s.as_bytes().get(4) == Some(&b'-')
            && chrono::NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d").is_ok();
        if well_formed {
            Ok(Month(s.to_string()))
        } else {
            Err("expected YYYY-MM, e.g. 2026-11".to_string())
        }
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The daemon: watch the mailbox, process new mail, send queued mail; stops on SIGINT/SIGTERM.
    Run {
        /// Seconds between looks at a Maildir.
        #[arg(long, default_value_t = 2)]
        poll_seconds: u64,
    },
    /// Process everything now in the mailbox, send what is queued, exit.
    Process {
        /// Mails per transaction (1: each mail commits before the next is read, as the daemon
        /// does).
        #[arg(long, default_value_t = 500)]
        batch: usize,
    },
    /// Take .eml files, Maildir folders or mbox files as if they had arrived (in Date order).
    Replay {
        /// Files and folders.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Also send the replies queued.
        #[arg(long)]
        send: bool,
        /// Mails per transaction.
        #[arg(long, default_value_t = 500)]
        batch: usize,
    },
    /// Run the schedules once at TIME: queue every reminder and digest due by then.
    Tick {
        /// RFC 3339 time (default: the clock).
        #[arg(long)]
        now: Option<String>,
    },
    /// Deliver queued outgoing mail now.
    Send,
    /// Reports on the workflow state.
    Report {
        /// Which report.
        #[command(subcommand)]
        what: ReportCommand,
    },
    /// The outgoing mail queue.
    Outbox {
        /// Only rows with this status.
        #[arg(long, value_parser = ["pending", "sent", "failed", "suppressed", "not_sent"])]
        status: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = TextFormat::Table)]
        format: TextFormat,
    },
    /// The knowledge base (知识库, queries.md §2).
    Kb {
        /// What to do with it.
        #[command(subcommand)]
        what: KbCommand,
    },
    /// Validate the config and print what it understood.
    CheckConfig,
    /// Is the daemon working? Heartbeat, mailbox, outbox, last error, next digest (works while
    /// `run` runs).
    Status {
        /// Output format.
        #[arg(long, value_enum, default_value_t = TextFormat::Table)]
        format: TextFormat,
    },
    /// Write a consistent copy of the database to FILE (works while `run` runs).
    Backup {
        /// The new file.
        file: PathBuf,
    },
    /// Replace the database with the backup FILE (refused while `run` or `process` holds it).
    Restore {
        /// A file written by `backup`.
        file: PathBuf,
    },
}

/// `kb …`.
#[derive(Debug, Subcommand)]
pub enum KbCommand {
    /// The top 10 entries holding every word (AND), best first.
    Search {
        /// Words; Chinese needs no spaces (a 2-character word is found too).
        #[arg(required = true)]
        words: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = TextFormat::Table)]
        format: TextFormat,
    },
}

/// `report …`.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// 满意度回访 per presales in a month (the seed's 客户满意度考核).
    Satisfaction {
        /// YYYY-MM.
        #[arg(long)]
        month: Month,
        /// Output format.
        #[arg(long, value_enum, default_value_t = TextFormat::Table)]
        format: TextFormat,
    },
    /// 第十四条 complaint tally of a month.
    Tally {
        /// YYYY-MM.
        #[arg(long)]
        month: Month,
        /// Output format.
        #[arg(long, value_enum, default_value_t = TextFormat::Table)]
        format: TextFormat,
    },
    /// 第十六条 project tracking tables (项目跟踪表).
    Tracking {
        /// Only this presales' table.
        #[arg(long)]
        person: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = SheetFormat::Table)]
        format: SheetFormat,
        /// Write here instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// One project: people, reports, open items, improvement requests, fault orders, complaints.
    Project {
        /// The project's name (any spelling of it: 星河, 星河项目, 【星河】).
        name: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = TextFormat::Table)]
        format: TextFormat,
    },
    /// 故障处理工作单 with their state and who owes the next step.
    Faults {
        /// Only orders in this state.
        #[arg(long, value_parser = ["pending_approval", "with_rd_manager", "assigned", "closure_requested", "closed", "rejected", "converted"])]
        state: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = TextFormat::Table)]
        format: TextFormat,
    },
    /// 集成部 tasks (tasks.md) with their state and who owes the next step.
    Tasks {
        /// Only tasks in this state.
        #[arg(long, value_parser = ["requested", "dispatched", "in_progress", "delay_requested", "completion_requested", "completed", "rejected"])]
        state: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = SheetFormat::Table)]
        format: SheetFormat,
        /// Write here instead of standard output (needed for xlsx).
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Every distinct mail received and what became of it.
    Messages {
        /// Output format.
        #[arg(long, value_enum, default_value_t = TextFormat::Table)]
        format: TextFormat,
    },
}

/// A command line clap refused: `--help` and `--version` print as clap does; anything else is
/// one line on stderr (interface.md: a one-line reason) and exit code 2, clap's usage code.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        e.exit();
    }
    let rendered = e.render().to_string();
    let first = rendered.lines().next().unwrap_or("error: bad command line");
    eprintln!("{first} (supportbot --help lists the commands)");
    ExitCode::from(2)
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    init_tracing();
    if matches!(
        cli.command,
        Command::Process { .. } | Command::Replay { .. }
    ) {
        crate::cpu::keep_to_one_core();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("supportbot: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(execute(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("supportbot: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SUPPORTBOT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    // Colours for a person at a terminal only: journald, a log file or a pipe gets the lines
    // as text (they had terminal escapes in them), and NO_COLOR turns them off anywhere.
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .try_init();
}

/// Runs one command.
pub async fn execute(cli: Cli) -> anyhow::Result<()> {
    let config = Arc::new(Config::load(&cli.config)?);
    if let Command::CheckConfig = cli.command {
        // The transports as `process` and `run` would build them: what they refuse, this does.
        let text = std::fs::read_to_string(&cli.config)
            .with_context(|| format!("cannot read config {}", cli.config.display()))?;
        crate::transport::check::transports(&config, &text)
            .with_context(|| format!("config {}", cli.config.display()))?;
        print!("{}", report::config_summary(&config));
        return Ok(());
    }
    if let Command::Restore { file } = &cli.command {
        crate::backup::restore(&config.database_path, file).await?;
        eprintln!(
            "restored {} from {}",
            config.database_path.display(),
            file.display()
        );
        return Ok(());
    }
    // Commands that only read skip the check of every page (it reads the whole file); those
    // that write, and `backup` (what a restore would rest on), check first.
    let reads_only = matches!(
        cli.command,
        Command::Report { .. }
            | Command::Status { .. }
            | Command::Outbox { .. }
            | Command::Kb { .. }
    );
    let engine = if reads_only {
        Engine::open_for_reading(config.clone()).await?
    } else {
        Engine::open(config.clone()).await?
    };
    let result = dispatch(&engine, &cli.config, cli.command).await;
    engine.store.close().await;
    result
}

async fn dispatch(engine: &Engine, config_path: &Path, command: Command) -> anyhow::Result<()> {
    let config = &engine.config;
    match command {
        Command::CheckConfig | Command::Restore { .. } => Ok(()),
        Command::Backup { file } => {
            crate::backup::backup(&engine.store, &file).await?;
            eprintln!("backup written to {}", file.display());
            Ok(())
        }
        Command::Process { batch } => {
            let _lock = crate::daemon::InstanceLock::acquire(&config.database_path)?;
            let out = Outbound::from_config(config)?;
            let jobs::Processed {
                tally: t, sent: s, ..
            } = jobs::process_and_send(engine, &out, batch).await?;
            eprintln!(
                "processed {} new, {} seen before, {} errors, {} dead-lettered; sent {}, failed {}, deferred {}",
                t.recorded, t.duplicates, t.errors, t.dead_lettered, s.sent, s.failed, s.deferred
            );
            // A dead letter is recorded and moved aside, but it is still mail that failed.
            not_all_handled(
                t.failed(),
                "dead letters are in the dead-letter folder, the rest stay in the mailbox",
            )
        }
        Command::Replay { paths, send, batch } => {
            // Without --send the replies are recorded `not_sent`: importing an archive mails
            // nobody, now or later (interface.md).
            let replies = if send {
                crate::engine::Replies::Queue
            } else {
                crate::engine::Replies::RecordNotSent
            };
            let t = jobs::replay_with(engine, &paths, batch, replies, Utc::now()).await?;
            eprintln!(
                "replayed {} new, {} seen before, {} errors; {} replies {}",
                t.recorded,
                t.duplicates,
                t.errors,
                t.queued,
                if send {
                    "queued"
                } else {
                    "recorded, not sent (use --send to send them)"
                }
            );
            let all = not_all_handled(t.errors, "the log says which");
            if send {
                let out = Outbound::from_config(config)?;
                let s = jobs::send_pending(engine, &out, Utc::now()).await?;
                eprintln!(
                    "sent {}, failed {}, deferred {}",
                    s.sent, s.failed, s.deferred
                );
            }
            all
        }
        Command::Send => {
            let out = Outbound::from_config(config)?;
            let s = jobs::send_pending(engine, &out, Utc::now()).await?;
            eprintln!(
                "sent {}, failed {}, deferred {}",
                s.sent, s.failed, s.deferred
            );
            Ok(())
        }
        Command::Run { poll_seconds } => run(engine, poll_seconds, config_path).await,
        Command::Status { format } => {
            let s = crate::status::gather(config, &engine.store, Utc::now()).await?;
            match format {
                TextFormat::Json => println!("{}", serde_json::to_string_pretty(&s)?),
                TextFormat::Table => print!("{}", crate::status::table(&s)),
            }
            Ok(())
        }
        Command::Tick { now } => {
            let now = match now {
                Some(t) => chrono::DateTime::parse_from_rfc3339(&t)
                    .with_context(|| format!("--now {t:?} is not RFC 3339"))?
                    .with_timezone(&Utc),
                None => Utc::now(),
            };
            let o = crate::schedule::run_due(engine, now).await?;
            eprintln!("queued {} reminders and digests", o.queued);
            Ok(())
        }
        Command::Report { what } => report_command(engine, what).await,
        Command::Kb {
            what: KbCommand::Search { words, format },
        } => kb_search(engine, &words, format).await,
        Command::Outbox { status, format } => {
            let mut conn = engine.store.connection().await?;
            let rows = report::outbox(&mut conn, status.as_deref()).await?;
            match format {
                TextFormat::Json => println!("{}", serde_json::to_string_pretty(&rows)?),
                TextFormat::Table => {
                    let rows = serde_json::to_value(&rows)?;
                    let rows = rows.as_array().cloned().unwrap_or_default();
                    let cols = ["id", "kind", "to", "status", "subject"];
                    print!("{}", report::json_table(&rows, &cols));
                }
            }
            Ok(())
        }
    }
}

/// `kb search WORDS… [--format table|json]`.
async fn kb_search(engine: &Engine, words: &[String], format: TextFormat) -> anyhow::Result<()> {
    let words: Vec<String> = words
        .iter()
        .flat_map(|w| w.split_whitespace())
        .map(String::from)
        .collect();
    let mut conn = engine.store.connection().await?;
    let hits = crate::store::kb::search(&mut conn, &words, crate::query::answer::KB_HITS).await?;
    match format {
        TextFormat::Json => println!("{}", serde_json::to_string_pretty(&hits)?),
        TextFormat::Table => {
            let rows = serde_json::to_value(&hits)?;
            let rows = rows.as_array().cloned().unwrap_or_default();
            let cols = ["tag", "project_name", "date", "engineer", "score", "text"];
            print!("{}", report::json_table(&rows, &cols));
        }
    }
    Ok(())
}

async fn report_command(engine: &Engine, what: ReportCommand) -> anyhow::Result<()> {
    let mut conn = engine.store.connection().await?;
    match what {
        ReportCommand::Messages { format } => {
            let rows = report::messages_json(&mut conn).await?;
            match format {
                TextFormat::Json => println!("{}", serde_json::to_string_pretty(&rows)?),
                TextFormat::Table => {
                    let cols = [
                        "date", "from", "kind", "outcome", "reasons", "project", "subject",
                    ];
                    print!("{}", report::json_table(&rows, &cols));
                }
            }
        }
        ReportCommand::Project { name, format } => {
            let Some(v) = report::project_json(&engine.config, &mut conn, &name).await? else {
                bail!("report project: no project {name:?}");
            };
            match format {
                TextFormat::Json => println!("{}", serde_json::to_string_pretty(&v)?),
                TextFormat::Table => print!("{}", report::project_table(&v)),
            }
        }
        ReportCommand::Faults { state, format } => {
            let rows =
                report::faults_json(&engine.config, &mut conn, None, state.as_deref()).await?;
            match format {
                TextFormat::Json => println!("{}", serde_json::to_string_pretty(&rows)?),
                TextFormat::Table => {
                    let cols = [
                        "thread",
                        "project",
                        "state",
                        "owes",
                        "lead",
                        "priority",
                        "proposer",
                        "updated_at",
                    ];
                    print!("{}", report::json_table(&rows, &cols));
                }
            }
        }
        ReportCommand::Satisfaction { month, format } => {
            let month = month.as_str();
            match format {
                TextFormat::Json => {
                    let v = report::satisfaction(&engine.config, &mut conn, month).await?;
                    println!("{}", serde_json::to_string_pretty(&v)?)
                }
                TextFormat::Table => {
                    let lines =
                        report::satisfaction_lines(&engine.config, &mut conn, month).await?;
                    println!("{month} 满意度回访");
                    print!("{}", report::satisfaction_table(&lines));
                }
            }
        }
        ReportCommand::Tasks {
            state,
            format,
            output,
        } => {
            use crate::report::tasks;
            let state = state
                .as_deref()
                .and_then(crate::rules::task::TaskState::from_name);
            let lines = tasks::lines(&engine.config, &mut conn, state, None, Utc::now()).await?;
            let cells = tasks::cells(&engine.config, &lines)?;
            let bytes = match format {
                SheetFormat::Json => (serde_json::to_string_pretty(&lines)? + "\n").into_bytes(),
                SheetFormat::Table => report::table(&tasks::COLUMNS, &cells).into_bytes(),
                SheetFormat::Csv => tasks::csv(&cells)?.into_bytes(),
                SheetFormat::Xlsx => {
                    if output.is_none() {
                        bail!("report tasks --format xlsx needs --output FILE");
                    }
                    tasks::xlsx(&cells)?
                }
            };
            match output {
                Some(path) => {
                    use std::io::Write;
                    let staged = report::Staged::beside(&path)?;
                    staged
                        .file()?
                        .write_all(&bytes)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    staged.finish()?;
                }
                None => {
                    use std::io::Write;
                    std::io::stdout().write_all(&bytes)?;
                }
            }
        }
        ReportCommand::Tally { month, format } => {
            let month = month.as_str();
            let lines = report::tally(&engine.config, &mut conn, month).await?;
            match format {
                TextFormat::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&report::tally_json(month, &lines))?
                ),
                TextFormat::Table => {
                    println!("{month} 投诉统计（第十四条）");
                    let cells = report::tally_cells(&lines);
                    print!("{}", report::table(&report::TALLY_COLUMNS, &cells));
                }
            }
        }
        ReportCommand::Tracking {
            person,
            format,
            output,
        } => {
            if let Some(p) = &person
                && engine.config.directory.by_name(p).is_none()
            {
                bail!("--person {p:?} is not in [[people]]");
            }
            // The rows are streamed from SQLite into the output (issue 13): the command's
            // memory does not grow with the tables.
            let text = match format {
                SheetFormat::Json => report::TrackingText::Json,
                SheetFormat::Csv => report::TrackingText::Csv,
                SheetFormat::Table => report::TrackingText::Table,
                SheetFormat::Xlsx => {
                    let Some(path) = output else {
                        bail!("report tracking --format xlsx needs --output FILE");
                    };
                    // A sheet for every presales in the directory, then anyone else who is a
                    // project's 第一售前.
                    let owners = match &person {
                        Some(p) => vec![p.clone()],
                        None => {
                            let mut owners: Vec<String> = engine
                                .config
                                .directory
                                .with_role(crate::directory::Role::Presales)
                                .map(|p| p.name.clone())
                                .collect();
                            for o in crate::store::tracking::owners(&mut conn, None).await? {
                                if !owners.contains(&o) {
                                    owners.push(o);
                                }
                            }
                            owners
                        }
                    };
                    report::write_tracking_xlsx(&mut conn, &owners, engine.config.timezone, &path)
                        .await
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    return Ok(());
                }
            };
            match output {
                Some(path) => {
                    // Whole or not at all: a failure half-way leaves the file that was there.
                    let staged = report::Staged::beside(&path)?;
                    let mut out = std::io::BufWriter::new(staged.file()?);
                    report::write_tracking(&mut conn, person.as_deref(), text, &mut out)
                        .await
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    drop(out);
                    staged.finish()?;
                }
                None => {
                    let mut out = std::io::BufWriter::new(std::io::stdout());
                    report::write_tracking(&mut conn, person.as_deref(), text, &mut out).await?;
                }
            }
        }
    }
    Ok(())
}

/// A command never reports success when mail failed: exit 1 with one line.
fn not_all_handled(errors: usize, where_: &str) -> anyhow::Result<()> {
    if errors > 0 {
        bail!("{errors} mails could not be handled; {where_}");
    }
    Ok(())
}

/// The daemon: see [`crate::daemon`].
async fn run(engine: &Engine, poll_seconds: u64, config_path: &Path) -> anyhow::Result<()> {
    crate::daemon::run_with_reload(engine, poll_seconds, Some(config_path)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::error::ErrorKind;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("supportbot").chain(args.iter().copied()))
    }

    #[test]
    fn a_table_or_json_command_rejects_csv_and_xlsx() {
        for args in [
            &["status", "--format", "csv"][..],
            &["outbox", "--format", "xlsx"],
            &["report", "messages", "--format", "csv"],
            &["report", "project", "星河", "--format", "xlsx"],
            &["report", "faults", "--format", "csv"],
            &["report", "tally", "--month", "2026-11", "--format", "csv"],
            &[
                "report",
                "satisfaction",
                "--month",
                "2026-11",
                "--format",
                "xlsx",
            ],
        ] {
            let e = parse(args).err().map(|e| e.kind());
            assert_eq!(e, Some(ErrorKind::InvalidValue), "{args:?}");
        }
    }

    #[test]
    fn every_format_interface_md_lists_is_accepted() {
        for f in ["table", "json"] {
            assert!(parse(&["status", "--format", f]).is_ok());
            assert!(parse(&["outbox", "--format", f]).is_ok());
            assert!(parse(&["report", "messages", "--format", f]).is_ok());
            assert!(parse(&["report", "tally", "--month", "2026-11", "--format", f]).is_ok());
        }
        for f in ["table", "json", "csv", "xlsx"] {
            assert!(parse(&["report", "tracking", "--format", f]).is_ok());
            assert!(parse(&["report", "tasks", "--format", f]).is_ok());
        }
        assert_eq!(
            parse(&["report", "tracking", "--format", "pdf"])
                .err()
                .map(|e| e.kind()),
            Some(ErrorKind::InvalidValue)
        );
    }

    #[test]
    fn a_month_that_is_not_yyyy_mm_is_a_usage_error_naming_the_form() {
        for bad in [
            "November",
            "2026-13",
            "2026-1",
            "2026/11",
            "202611",
            "2026-11-01",
            "",
        ] {
            let e = parse(&["report", "tally", "--month", bad]).err();
            assert_eq!(
                e.as_ref().map(|e| e.kind()),
                Some(ErrorKind::ValueValidation),
                "{bad:?}"
            );
            let text = e.map(|e| e.to_string()).unwrap_or_default();
            assert!(text.contains("YYYY-MM"), "{text}");
        }
        let Ok(Cli {
            command:
                Command::Report {
                    what: ReportCommand::Satisfaction { month, .. },
                },
            ..
        }) = parse(&["report", "satisfaction", "--month", "2026-02"])
        else {
            panic!("2026-02 is a month");
        };
        assert_eq!(month.as_str(), "2026-02");
    }
}
