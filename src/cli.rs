//! The command line of interface.md. Every command exits non-zero with a one-line reason on
//! stderr when it cannot do its job.

use crate::config::{Config, MailboxUrl};
use crate::engine::Engine;
use crate::jobs;
use crate::report;
use crate::transport::Outbound;
use crate::transport::maildir::MaildirIn;
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

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned text for people.
    Table,
    /// JSON for scripts (interface.md).
    Json,
    /// CSV (tracking only).
    Csv,
    /// Excel workbook (tracking only).
    Xlsx,
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
    Process,
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
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
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
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
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
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

/// `report …`.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// 满意度回访 per presales in a month (the seed's 客户满意度考核).
    Satisfaction {
        /// YYYY-MM.
        #[arg(long)]
        month: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// 第十四条 complaint tally of a month.
    Tally {
        /// YYYY-MM.
        #[arg(long)]
        month: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// 第十六条 project tracking tables (项目跟踪表).
    Tracking {
        /// Only this presales' table.
        #[arg(long)]
        person: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Write here instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// One project: people, reports, open items, improvement requests, fault orders, complaints.
    Project {
        /// The project's name (any spelling of it: 星河, 星河项目, 【星河】).
        name: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// 故障处理工作单 with their state and who owes the next step.
    Faults {
        /// Only orders in this state.
        #[arg(long, value_parser = ["pending_approval", "with_rd_manager", "assigned", "closure_requested", "closed", "rejected", "converted"])]
        state: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// 集成部 tasks (tasks.md) with their state and who owes the next step.
    Tasks {
        /// Only tasks in this state.
        #[arg(long, value_parser = ["requested", "dispatched", "in_progress", "delay_requested", "completion_requested", "completed", "rejected"])]
        state: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Write here instead of standard output (needed for xlsx).
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Every distinct mail received and what became of it.
    Messages {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    if matches!(cli.command, Command::Process | Command::Replay { .. }) {
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
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
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
    let engine = Engine::open(config.clone()).await?;
    let result = dispatch(&engine, &cli.config, cli.command).await;
    engine.store.close().await;
    result
}

fn inbox(config: &Config) -> anyhow::Result<MaildirIn> {
    match &config.mailbox_url {
        MailboxUrl::Maildir(path) => MaildirIn::create(path),
        MailboxUrl::Imap(url) => {
            bail!("mailbox.url {url} is IMAP, not a Maildir")
        }
    }
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
        Command::Process => {
            let _lock = crate::daemon::InstanceLock::acquire(&config.database_path)?;
            let out = Outbound::from_config(config)?;
            let t = match &config.mailbox_url {
                MailboxUrl::Imap(_) => crate::ingest::process_imap(engine).await?,
                MailboxUrl::Maildir(_) => {
                    jobs::process_maildir(engine, &inbox(config)?, Utc::now()).await?
                }
            };
            let s = jobs::send_pending(engine, &out, Utc::now()).await?;
            eprintln!(
                "processed {} new, {} seen before, {} errors; sent {}, failed {}, deferred {}",
                t.recorded, t.duplicates, t.errors, s.sent, s.failed, s.deferred
            );
            not_all_handled(t.errors, "they stay in the mailbox")
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
                Format::Json => println!("{}", serde_json::to_string_pretty(&s)?),
                Format::Table => print!("{}", crate::status::table(&s)),
                other => bail!("status: format {other:?} is not offered; use table or json"),
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
                Format::Json => println!("{}", serde_json::to_string_pretty(&rows)?),
                Format::Table => {
                    let rows = serde_json::to_value(&rows)?;
                    let rows = rows.as_array().cloned().unwrap_or_default();
                    let cols = ["id", "kind", "to", "status", "subject"];
                    print!("{}", report::json_table(&rows, &cols));
                }
                other => bail!("outbox: format {other:?} is not offered; use table or json"),
            }
            Ok(())
        }
    }
}

/// `kb search WORDS… [--format table|json]`.
async fn kb_search(engine: &Engine, words: &[String], format: Format) -> anyhow::Result<()> {
    let words: Vec<String> = words
        .iter()
        .flat_map(|w| w.split_whitespace())
        .map(String::from)
        .collect();
    let mut conn = engine.store.connection().await?;
    let hits = crate::store::kb::search(&mut conn, &words, crate::query::answer::KB_HITS).await?;
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&hits)?),
        Format::Table => {
            let rows = serde_json::to_value(&hits)?;
            let rows = rows.as_array().cloned().unwrap_or_default();
            let cols = ["tag", "project_name", "date", "engineer", "score", "text"];
            print!("{}", report::json_table(&rows, &cols));
        }
        other => bail!("kb search: format {other:?} is not offered; use table or json"),
    }
    Ok(())
}

async fn report_command(engine: &Engine, what: ReportCommand) -> anyhow::Result<()> {
    let mut conn = engine.store.connection().await?;
    match what {
        ReportCommand::Messages { format } => {
            let rows = report::messages_json(&mut conn).await?;
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&rows)?),
                Format::Table => {
                    let cols = [
                        "date", "from", "kind", "outcome", "reasons", "project", "subject",
                    ];
                    print!("{}", report::json_table(&rows, &cols));
                }
                other => {
                    bail!("report messages: format {other:?} is not offered; use table or json")
                }
            }
        }
        ReportCommand::Project { name, format } => {
            let Some(v) = report::project_json(&engine.config, &mut conn, &name).await? else {
                bail!("report project: no project {name:?}");
            };
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&v)?),
                Format::Table => print!("{}", report::project_table(&v)),
                other => {
                    bail!("report project: format {other:?} is not offered; use table or json")
                }
            }
        }
        ReportCommand::Faults { state, format } => {
            let rows =
                report::faults_json(&engine.config, &mut conn, None, state.as_deref()).await?;
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&rows)?),
                Format::Table => {
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
                other => bail!("report faults: format {other:?} is not offered; use table or json"),
            }
        }
        ReportCommand::Satisfaction { month, format } => {
            if month.len() != 7 {
                bail!("--month {month:?}: expected YYYY-MM");
            }
            match format {
                Format::Json => {
                    let v = report::satisfaction(&engine.config, &mut conn, &month).await?;
                    println!("{}", serde_json::to_string_pretty(&v)?)
                }
                Format::Table => {
                    let lines =
                        report::satisfaction_lines(&engine.config, &mut conn, &month).await?;
                    println!("{month} 满意度回访");
                    print!("{}", report::satisfaction_table(&lines));
                }
                other => {
                    bail!("report satisfaction: format {other:?} is not offered; use table or json")
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
            let cells = tasks::cells(&engine.config, &lines);
            let bytes = match format {
                Format::Json => (serde_json::to_string_pretty(&lines)? + "\n").into_bytes(),
                Format::Table => report::table(&tasks::COLUMNS, &cells).into_bytes(),
                Format::Csv => tasks::csv(&cells)?.into_bytes(),
                Format::Xlsx => {
                    if output.is_none() {
                        bail!("report tasks --format xlsx needs --output FILE");
                    }
                    tasks::xlsx(&cells)?
                }
            };
            match output {
                Some(path) => std::fs::write(&path, bytes)
                    .with_context(|| format!("cannot write {}", path.display()))?,
                None => {
                    use std::io::Write;
                    std::io::stdout().write_all(&bytes)?;
                }
            }
        }
        ReportCommand::Tally { month, format } => {
            if chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").is_err()
                || month.len() != 7
            {
                bail!("--month {month:?}: expected YYYY-MM");
            }
            let lines = report::tally(&engine.config, &mut conn, &month).await?;
            match format {
                Format::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&report::tally_json(&month, &lines))?
                ),
                Format::Table => {
                    println!("{month} 投诉统计（第十四条）");
                    let cells = report::tally_cells(&lines);
                    print!("{}", report::table(&report::TALLY_COLUMNS, &cells));
                }
                other => bail!("report tally: format {other:?} is not offered; use table or json"),
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
            let rows = report::tracking(&mut conn, person.as_deref()).await?;
            let text = match format {
                Format::Json => serde_json::to_string_pretty(&rows)? + "\n",
                Format::Csv => report::tracking_csv(&rows)?,
                Format::Table => {
                    let cells: Vec<Vec<String>> = rows
                        .iter()
                        .map(|r| {
                            vec![
                                r.owner.clone(),
                                r.project_name.clone(),
                                r.date.clone(),
                                r.engineer.clone(),
                                r.result.clone(),
                                r.content.clone(),
                            ]
                        })
                        .collect();
                    report::table(
                        &[
                            "第一售前",
                            "项目",
                            "日期",
                            "技服人员",
                            "结果",
                            "沟通的具体问题",
                        ],
                        &cells,
                    )
                }
                Format::Xlsx => {
                    let Some(path) = output else {
                        bail!("report tracking --format xlsx needs --output FILE");
                    };
                    let owners = match &person {
                        Some(p) => vec![p.clone()],
                        None => crate::digest::xlsx::owners(
                            engine
                                .config
                                .directory
                                .with_role(crate::directory::Role::Presales)
                                .map(|p| p.name.clone()),
                            &rows,
                        ),
                    };
                    let book =
                        crate::digest::xlsx::workbook(&owners, &rows, engine.config.timezone)?;
                    std::fs::write(&path, book)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    return Ok(());
                }
            };
            match output {
                Some(path) => std::fs::write(&path, text)
                    .with_context(|| format!("cannot write {}", path.display()))?,
                None => print!("{text}"),
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
