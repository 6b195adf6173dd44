//! The pipeline benchmark (issues 6 and 13): for each corpus (the even one and the skewed one: a
//! year of one busy project) and each N, in one run,
//! - the floor: parse every mail with mail-parser and insert one row per mail into a fresh
//!   SQLite file in batches (no rules, no replies);
//! - `supportbot process` over the same mails in a Maildir (handles and sends the replies), in
//!   groups of 500 mails per transaction (its default) and one mail per transaction
//!   (`--batch 1`, the daemon's contract);
//! - `supportbot replay` of the same mails into a fresh database;
//!
//! and prints msgs/s, the ratios to the floor, and each one's peak RSS (every step runs as its
//! own process, measured with wait4). `process` and `replay` keep their writer to one core
//! (src/cpu.rs), so the floor does too; it is also run unpinned and printed for reference. Their
//! reader thread (src/read_ahead.rs) runs on the other core, so their CPU time against the
//! one-core floor's is the fairer of the two ratios.
//!
//! Every corpus is written first, then the run goes in rounds (`SUPPORTBOT_BENCH_RUNS`, default
//! 3): each round runs the floor, `process` and replay of every (corpus, N) beside each other,
//! in turn, forward in one round and backward in the next. A shared machine drifts by more than
//! the targets' margins during a run (the fifth round of BENCHMARKS.md: the floor's own
//! 10k→100k scaling moved from 8.25× to 12.39×); interleaved, the drift moves both sides of a
//! ratio alike. Each ratio (how the time scales from the smallest N to each larger one, skewed
//! against even at the same N, replay against the floor run beside it) is taken within a round,
//! and the median of the rounds is printed with every round's figure (figures only: time is
//! never asserted), by the wall clock and by CPU time (user + system of the command, from
//! wait4), which on a shared machine leaves out the time other work held the core.
//! `process --batch 1` and the unpinned floor run once, in the first round.
//! Run: `cargo bench --bench pipeline`; sizes from `SUPPORTBOT_BENCH_N` (comma separated, default
//! `10000,100000`), corpora from `SUPPORTBOT_BENCH_CORPUS` (`even,skewed` by default).

#[path = "support/corpus.rs"]
mod corpus;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// What [`measure`] found of one command.
#[derive(Clone, Copy, Default)]
struct Run {
    /// Wall-clock seconds.
    wall: f64,
    /// CPU seconds, user + system.
    cpu: f64,
    /// Peak RSS, MiB.
    rss: f64,
}

/// Runs `cmd`, returning its wall-clock and CPU time and peak RSS.
fn measure(cmd: &mut Command) -> Run {
    let start = Instant::now();
    // NOTE: reaped with wait4 below (for its rusage), not with Child::wait.
    #[allow(clippy::zombie_processes)]
    let child = cmd.spawn().expect("spawn");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our own child, status and usage are valid for writes.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(waited, pid, "wait4");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{cmd:?} failed"
    );
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Run {
        wall: secs,
        cpu: seconds(usage.ru_utime) + seconds(usage.ru_stime),
        rss: usage.ru_maxrss as f64 / 1024.0,
    }
}

/// The floor, run in a child process: `pipeline --floor DIR`.
fn floor(dir: &Path) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
        use sqlx::{ConnectOptions, Connection};
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(dir.join(format!("floor.db{suffix}")));
        }
        let mut conn = SqliteConnectOptions::new()
            .filename(dir.join("floor.db"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .connect()
            .await
            .expect("open floor db");
        sqlx::query(
            "CREATE TABLE m (id INTEGER PRIMARY KEY, message_id TEXT, subject TEXT, sender TEXT)",
        )
        .execute(&mut conn)
        .await
        .expect("create");
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("mail/new"))
            .expect("read maildir")
            .filter_map(|e| Some(e.ok()?.path()))
            .collect();
        files.sort();
        for chunk in files.chunks(500) {
            let mut tx = conn.begin().await.expect("begin");
            for f in chunk {
                let raw = std::fs::read(f).expect("read mail");
                let msg = mail_parser::MessageParser::default().parse(&raw);
                let (id, subject, sender) = msg
                    .as_ref()
                    .map(|m| {
                        let from = m
                            .from()
                            .and_then(|a| a.first())
                            .and_then(|a| a.address())
                            .unwrap_or_default();
                        (
                            m.message_id().unwrap_or_default().to_string(),
                            m.subject().unwrap_or_default().to_string(),
                            from.to_string(),
                        )
                    })
                    .unwrap_or_default();
                sqlx::query("INSERT INTO m (message_id, subject, sender) VALUES (?, ?, ?)")
                    .bind(id)
                    .bind(subject)
                    .bind(sender)
                    .execute(&mut *tx)
                    .await
                    .expect("insert");
            }
            tx.commit().await.expect("commit");
        }
    });
}

fn fresh_db(dir: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(dir.join(format!("supportbot.db{suffix}")));
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--floor") {
        if args.iter().any(|a| a == "--one-core") {
            supportbot::cpu::keep_to_one_core();
        }
        floor(Path::new(&args[i + 1]));
        return;
    }
    let sizes: Vec<usize> = std::env::var("SUPPORTBOT_BENCH_N")
        .unwrap_or_else(|_| "10000,100000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let bot = env!("CARGO_BIN_EXE_supportbot");
    let me = std::env::current_exe().expect("own path");
    println!(
        "pipeline benchmark: {} cores; sizes {sizes:?}",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let shapes: Vec<corpus::Shape> = std::env::var("SUPPORTBOT_BENCH_CORPUS")
        .unwrap_or_else(|_| "even,skewed".into())
        .split(',')
        .filter_map(|s| match s.trim() {
            "even" => Some(corpus::Shape::Even),
            "skewed" => Some(corpus::Shape::Skewed),
            _ => None,
        })
        .collect();
    // Every corpus is written first; then each round runs every (corpus, N) in turn, the floor,
    // `process` and replay of one beside each other, forward in one round and backward in the
    // next. A machine that drifts during the run then moves both sides of each ratio alike, and
    // each ratio is taken within a round (median over the rounds).
    let mut cases: Vec<Case> = Vec::new();
    for &shape in &shapes {
        for &n in &sizes {
            cases.push(Case::write(shape, n));
        }
    }
    // The corpora (up to ~1 GB at 100k) go to disk before anything is timed, so their
    // writeback does not fall inside the first round's runs.
    // SAFETY: sync(2) takes no arguments and cannot fail.
    unsafe { libc::sync() };
    let rounds = runs();
    let mut samples: Vec<Vec<Sample>> = Vec::new();
    for round in 0..rounds {
        println!("round {} of {rounds}:", round + 1);
        let order: Vec<usize> = if round % 2 == 0 {
            (0..cases.len()).collect()
        } else {
            (0..cases.len()).rev().collect()
        };
        let mut this = vec![Sample::default(); cases.len()];
        for i in order {
            this[i] = cases[i].run(bot, &me, round == 0);
        }
        samples.push(this);
    }
    if rounds > 1 {
        println!("medians of {rounds} rounds:");
        for (i, case) in cases.iter().enumerate() {
            // A step's median times over the rounds and its largest peak RSS.
            let of = |step: fn(&Sample) -> Run| {
                let all: Vec<Run> = samples.iter().map(|r| step(&r[i])).collect();
                Run {
                    wall: median(all.iter().map(|r| r.wall).collect()),
                    cpu: median(all.iter().map(|r| r.cpu).collect()),
                    rss: all.iter().map(|r| r.rss).fold(0.0, f64::max),
                }
            };
            Sample {
                floor: of(|s| s.floor),
                replay: of(|s| s.replay),
                process: of(|s| s.process),
                ..Sample::default()
            }
            .print(case, false);
            let spread = |step: fn(&Sample) -> Run| {
                let all: Vec<f64> = samples.iter().map(|r| step(&r[i]).wall).collect();
                all.iter().copied().fold(0.0, f64::max)
                    / all.iter().copied().fold(f64::MAX, f64::min)
            };
            println!(
                "           slowest/fastest round: floor {:.2}×, replay {:.2}×, process {:.2}×",
                spread(|s| s.floor),
                spread(|s| s.replay),
                spread(|s| s.process),
            );
        }
    }
    // Each ratio within one round, then the median over the rounds, by the wall clock and by
    // CPU time (user + system, from wait4): on a shared machine the wall clock also counts the
    // time other work held the core, CPU time only what the command itself did.
    let wall = Clock {
        name: "wall clock",
        of: |r| r.wall,
    };
    let cpu = Clock {
        name: "CPU time",
        of: |r| r.cpu,
    };
    for clock in [wall, cpu] {
        clock.ratios(&cases, &samples);
    }
}

/// What a ratio is taken of: the wall clock or CPU time.
struct Clock {
    name: &'static str,
    of: fn(&Run) -> f64,
}

impl Clock {
    /// Prints the scaling from each smaller N to each larger one, skewed against even at the
    /// same N, and replay against the floor run beside it: each the median of the rounds'
    /// ratios, with every round's figure.
    fn ratios(&self, cases: &[Case], samples: &[Vec<Sample>]) {
        let Clock { name, of } = *self;
        let floor: fn(&Sample) -> Run = |s| s.floor;
        let replay: fn(&Sample) -> Run = |s| s.replay;
        let process: fn(&Sample) -> Run = |s| s.process;
        println!("by {name}:");
        // Step `step` of case `b` against the same step of case `a`, each round's and the median.
        let ratio = |a: usize, b: usize, step: fn(&Sample) -> Run| -> (f64, String) {
            let each: Vec<f64> = samples
                .iter()
                .map(|r| of(&step(&r[b])) / of(&step(&r[a])))
                .collect();
            let shown = each
                .iter()
                .map(|x| format!("{x:.2}"))
                .collect::<Vec<_>>()
                .join(" ");
            (median(each), shown)
        };
        for (a, small) in cases.iter().enumerate() {
            for (b, large) in cases.iter().enumerate().skip(a + 1) {
                if small.shape != large.shape || large.n <= small.n {
                    continue;
                }
                let k = large.n as f64 / small.n as f64;
                let (f, fs) = ratio(a, b, floor);
                let (r, rs) = ratio(a, b, replay);
                let (p, ps) = ratio(a, b, process);
                println!(
                    "  scaling {} {}→{} ({k:.0}× the mail), median of the rounds: floor {f:.2}× ({fs}), replay {r:.2}× ({rs}), process {p:.2}× ({ps}) the time",
                    small.shape.name(),
                    small.n,
                    large.n,
                );
            }
        }
        for (e, even) in cases.iter().enumerate() {
            let Some(s) = cases
                .iter()
                .position(|c| c.shape == corpus::Shape::Skewed && c.n == even.n)
                .filter(|_| even.shape == corpus::Shape::Even)
            else {
                continue;
            };
            // Same N, so the ratio of msgs/s is the inverse ratio of the times.
            let (r, rs) = ratio(s, e, replay);
            let (p, ps) = ratio(s, e, process);
            let (f, fs) = ratio(s, e, floor);
            println!(
                "  skewed/even N={}, median of the rounds: replay {:.0} % ({rs}), process {:.0} % ({ps}), floor {:.0} % ({fs}) of the even corpus's msgs/s",
                even.n,
                100.0 * r,
                100.0 * p,
                100.0 * f,
            );
        }
        for (i, case) in cases.iter().enumerate() {
            let each: Vec<f64> = samples
                .iter()
                .map(|x| of(&x[i].floor) / of(&x[i].replay))
                .collect();
            let shown = each
                .iter()
                .map(|x| format!("{x:.3}"))
                .collect::<Vec<_>>()
                .join(" ");
            println!(
                "  replay/floor {} N={}, each against the floor run beside it: median {:.3}× ({shown})",
                case.shape.name(),
                case.n,
                median(each),
            );
        }
    }
}

/// One corpus at one size, written once into a temporary directory.
struct Case {
    shape: corpus::Shape,
    n: usize,
    dir: tempfile::TempDir,
}

/// One round of a [`Case`]: each step's [`Run`], and the wall-clock seconds of the steps run in
/// the first round only.
#[derive(Clone, Copy, Default)]
struct Sample {
    floor: Run,
    floor_unpinned: Option<f64>,
    replay: Run,
    process: Run,
    single: Option<f64>,
}

impl Case {
    fn write(shape: corpus::Shape, n: usize) -> Case {
        let dir = tempfile::tempdir().expect("temp dir");
        corpus::write_shape(dir.path(), n, 42, shape).expect("write corpus");
        Case { shape, n, dir }
    }

    /// The floor on one core, `process` and `replay`, one after the other; in the first round
    /// also the unpinned floor and `process --batch 1` (for reference, once).
    fn run(&self, bot: &str, me: &Path, first: bool) -> Sample {
        let d = self.dir.path();
        // The floor reads new/: the mails an earlier round's `process` filed go back there.
        unprocess(d);
        let floor = measure(Command::new(me).arg("--floor").arg(d).arg("--one-core"));
        let floor_unpinned = first.then(|| measure(Command::new(me).arg("--floor").arg(d)).wall);
        let config = d.join("config.toml");
        // `process` on the mails in new/, into a fresh database.
        fresh_db(d);
        let process = measure(
            Command::new(bot)
                .arg("--config")
                .arg(&config)
                .arg("process")
                .env("SUPPORTBOT_LOG", "error"),
        );
        // The daemon's contract, one transaction per mail (`process --batch 1`).
        let single = first.then(|| {
            unprocess(d);
            fresh_db(d);
            measure(
                Command::new(bot)
                    .arg("--config")
                    .arg(&config)
                    .arg("process")
                    .arg("--batch")
                    .arg("1")
                    .env("SUPPORTBOT_LOG", "error"),
            )
            .wall
        });
        fresh_db(d);
        let replay = measure(
            Command::new(bot)
                .arg("--config")
                .arg(&config)
                .arg("replay")
                .arg(d.join("mail"))
                .env("SUPPORTBOT_LOG", "error"),
        );
        let sample = Sample {
            floor,
            floor_unpinned,
            replay,
            process,
            single,
        };
        sample.print(self, true);
        sample
    }
}

impl Sample {
    fn print(&self, case: &Case, with_once: bool) {
        let rate = |s: f64| case.n as f64 / s;
        let (floor, replay, process) = (self.floor, self.replay, self.process);
        println!(
            "{:<6} N={:>7}  floor {:>8.0} msgs/s ({:>5.1} MiB)  replay {:>8.0} msgs/s ({:>5.1} MiB, {:.2}× floor)  process {:>8.0} msgs/s ({:>5.1} MiB, {:.2}× floor)",
            case.shape.name(),
            case.n,
            rate(floor.wall),
            floor.rss,
            rate(replay.wall),
            replay.rss,
            floor.wall / replay.wall,
            rate(process.wall),
            process.rss,
            floor.wall / process.wall,
        );
        println!(
            "           CPU time (user + system): floor {:.2} s, replay {:.2} s, process {:.2} s",
            floor.cpu, replay.cpu, process.cpu,
        );
        if !with_once {
            return;
        }
        if let Some(u) = self.floor_unpinned {
            println!(
                "           floor unpinned {:>8.0} msgs/s: replay {:.2}×, process {:.2}× of it",
                rate(u),
                u / replay.wall,
                u / process.wall,
            );
        }
        if let Some(s) = self.single {
            println!(
                "           process --batch 1 (one transaction per mail, as the daemon) {:>8.0} msgs/s ({:.2}× floor)",
                rate(s),
                floor.wall / s,
            );
        }
    }
}

/// How many rounds: how many times the floor, process and replay run at each size
/// (`SUPPORTBOT_BENCH_RUNS`, default 3).
fn runs() -> usize {
    std::env::var("SUPPORTBOT_BENCH_RUNS")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .filter(|&r| r > 0)
        .unwrap_or(3)
}

/// The median of `all` (the upper one of an even count).
fn median(mut all: Vec<f64>) -> f64 {
    all.sort_by(f64::total_cmp);
    all.get(all.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Puts the mails `process` filed into `cur/` and the dead-letter folder back into `new/` under
/// their names, and moves the sent Maildir aside (into `old-sent/`, removed with the corpus at
/// the end). Not deleted here: this machine's ext4 has no journal, and without one ext4 skips
/// every inode freed in the last few seconds (more while its table block is unwritten) when it
/// allocates a new one; deleting 10,000 replies just before `process` delivered its own made
/// that `process` take ~1.6× the time (sys 1.1 → 3.7 s), a cost no daemon meets.
fn unprocess(d: &Path) {
    // Before the first run there is no cur/ yet.
    let cur = std::fs::read_dir(d.join("mail/cur"))
        .into_iter()
        .flatten()
        .flatten();
    let dead = std::fs::read_dir(d.join("mail/.DeadLetter/new"))
        .into_iter()
        .flatten();
    for e in cur.chain(dead.flatten()) {
        let name = e.file_name().to_string_lossy().into_owned();
        let base = name.split(":2,").next().unwrap_or(&name).to_string();
        std::fs::rename(e.path(), d.join("mail/new").join(base)).expect("back to new");
    }
    let sent = d.join("sent");
    if sent.exists() {
        let old = d.join("old-sent");
        std::fs::create_dir_all(&old).expect("old-sent");
        let n = std::fs::read_dir(&old).expect("old-sent").count();
        std::fs::rename(&sent, old.join(n.to_string())).expect("sent aside");
    }
}
