//! The mail gallery (issue 19): `cargo run --example gallery [-- DIR]` plays a realistic month
//! through the bot — the example story in `examples/mail/`, some thread scenarios from
//! `tests/fixtures/threads/`, a report on a project with no 立项 yet, a 集成部 task request, a few
//! queries by mail (帮助, 查询-…), and a `tick` at 10:00 and 17:30 Beijing time on every day of
//! November 2026 — and writes every outgoing mail into DIR (default `var/gallery/`): its text part
//! (`NN-kind.txt`, with the recipients and subject), its HTML part (`NN-kind.html`; mails with no
//! HTML part are shown as their text), a PNG screenshot of the HTML from headless Chromium
//! (`/usr/bin/chromium`, skipped when it is missing) and an `index.html` listing them all.

use anyhow::Context;
use chrono::{DateTime, Duration, TimeZone, Utc};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use supportbot::config::Config;
use supportbot::engine::Engine;
use supportbot::store::outbox;

/// Thread scenarios played with the story. (rd-time-over-a-week is left out: its replies name
/// threads by the scenario's own [SB-n] numbers, which are other mails' numbers here.)
const SCENARIOS: &[&str] = &[
    "fault-lifecycle",
    "fault-presales-approves",
    "fault-log-attached",
    "improvement-numbering",
    "bug-feedback-missing-recipients",
    "complaint-withdrawn-on-thread",
    "open-item-solved-on-thread",
    "report-not-assigned",
];

fn emls(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    v.sort();
    Ok(v)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn text_as_html(subject: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{}</title></head>\n\
         <body style=\"margin:0;padding:12px;font-family:'Microsoft YaHei','PingFang SC','Noto Sans CJK SC',sans-serif;font-size:14px;\">\n\
         <pre style=\"white-space:pre-wrap;font-family:inherit;margin:0;\">{}</pre>\n</body></html>\n",
        esc(subject),
        esc(body)
    )
}

fn screenshot(html: &Path, png: &Path, profile: &Path) -> bool {
    let chromium = Path::new("/usr/bin/chromium");
    if !chromium.exists() {
        return false;
    }
    let Ok(abs) = std::fs::canonicalize(html) else {
        return false;
    };
    std::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg("--window-size=1000,1400")
        .arg(format!("file://{}", abs.display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Plays `mails` through a fresh bot (each at its Date, with the month's ticks between them) and
/// returns every outgoing mail with its kind, in the order it was queued.
async fn play(
    config_text: &str,
    db: &Path,
    mails: Vec<PathBuf>,
) -> anyhow::Result<Vec<(String, supportbot::mail::outbound::Queued)>> {
    let mut config = Config::from_toml(config_text)?;
    config.database_path = db.to_path_buf();
    let bot = Engine::open(Arc::new(config)).await?;
    // Each mail arrives at its Date; the ticks due before it run first, so every digest shows
    // the state at its own time.
    let mut dated: Vec<(DateTime<Utc>, Vec<u8>, PathBuf)> = Vec::new();
    for m in mails {
        let raw = std::fs::read(&m)?;
        let at = mail_parser::MessageParser::default()
            .parse(&raw)
            .and_then(|p| p.date().map(|d| d.to_timestamp()))
            .and_then(|t| Utc.timestamp_opt(t, 0).single())
            .with_context(|| format!("{}: no Date", m.display()))?;
        dated.push((at, raw, m));
    }
    dated.sort_by_key(|(at, _, _)| *at);
    // A tick at 10:00 and 17:30 Beijing time (02:00 and 09:30 UTC) on every day of the month.
    let start: DateTime<Utc> = Utc
        .with_ymd_and_hms(2026, 11, 2, 2, 0, 0)
        .single()
        .context("date")?;
    let ticks: Vec<DateTime<Utc>> = (0..30)
        .flat_map(|day| {
            [Duration::zero(), Duration::minutes(7 * 60 + 30)]
                .map(|offset| start + Duration::days(day) + offset)
        })
        .collect();
    let mut next_tick = 0;
    for (at, raw, path) in &dated {
        while next_tick < ticks.len() && ticks[next_tick] <= *at {
            supportbot::schedule::run_due(&bot, ticks[next_tick]).await?;
            next_tick += 1;
        }
        if let Err(e) = bot.handle(raw, *at + Duration::minutes(1)).await {
            eprintln!("{}: {e:#}", path.display());
        }
    }
    for t in &ticks[next_tick..] {
        supportbot::schedule::run_due(&bot, *t).await?;
    }
    let mut conn = bot.store.connection().await?;
    let rows = outbox::list(&mut conn, None).await?;
    let queued = outbox::pending(&mut conn, 0, 100_000).await?;
    Ok(queued
        .into_iter()
        .map(|q| {
            let kind = rows
                .iter()
                .find(|r| r.id == q.id)
                .map_or("unknown", |r| r.kind.as_str())
                .to_string();
            (kind, q)
        })
        .collect())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("var/gallery"));
    std::fs::create_dir_all(&out)?;
    let work = tempfile::tempdir()?;
    let text = std::fs::read_to_string(root.join("config/default.toml"))?;

    // The story, the thread scenarios, and one report on a project nobody has filed a 立项 for
    // (the 第十一条 request, then the reminder and the 支持可能暂停 notice as the month goes on).
    let mut mails = emls(&root.join("examples/mail"))?;
    for s in SCENARIOS {
        mails.extend(emls(&root.join("tests/fixtures/threads").join(s))?);
    }
    mails.push(root.join("tests/fixtures/golden/39-report-unknown-project-with-sales.eml"));
    // A 集成部 task request, and people asking the bot by mail (queries.md §1).
    mails.push(root.join("tests/fixtures/tasks/01-outlook-zhcn-construction-request-xinghe.eml"));
    let asked = [
        (
            "zhangsan@example.com",
            "帮助",
            "Fri, 20 Nov 2026 09:00:00 +0800",
        ),
        (
            "wangfang@example.com",
            "查询-星河项目",
            "Wed, 25 Nov 2026 16:00:00 +0800",
        ),
        (
            "lisi@example.com",
            "查询-知识库-审计日志",
            "Thu, 26 Nov 2026 11:00:00 +0800",
        ),
        (
            "zhangsan@example.com",
            "查询-待办",
            "Fri, 27 Nov 2026 09:30:00 +0800",
        ),
    ];
    for (n, (from, subject, date)) in asked.iter().enumerate() {
        let path = work.path().join(format!("query-{n}.eml"));
        std::fs::write(
            &path,
            format!(
                "From: <{from}>\r\nTo: <supportbot@example.com>\r\nSubject: {subject}\r\n\
                 Date: {date}\r\nMessage-ID: <gallery-query-{n}@example.com>\r\n\
                 MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\r\n"
            ),
        )?;
        mails.push(path);
    }
    let mut sent = play(&text, &work.path().join("story.db"), mails).await?;
    // rd-time-over-a-week names threads by its own [SB-n] numbers, so it runs on a bot of its own;
    // it is where the 研发费用 notice comes from.
    let apart = emls(&root.join("tests/fixtures/threads/rd-time-over-a-week"))?;
    sent.extend(play(&text, &work.path().join("apart.db"), apart).await?);

    let profile = work.path().join("chromium");
    let mut index = String::from(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>supportbot 邮件一览</title></head>\n\
         <body style=\"font-family:'Noto Sans CJK SC',sans-serif;font-size:14px;\">\n<h1>supportbot 邮件一览</h1>\n\
         <table border=\"1\" cellpadding=\"4\" style=\"border-collapse:collapse;\">\n\
         <tr><th>#</th><th>kind</th><th>To</th><th>Cc</th><th>Subject</th><th>files</th></tr>\n",
    );
    let mut shots = 0;
    for (n, (kind, q)) in sent.iter().enumerate() {
        let stem = format!("{:03}-{kind}", n + 1);
        let head = format!(
            "To: {}\nCc: {}\nSubject: {}\n\n",
            q.to.join(", "),
            q.cc.join(", "),
            q.subject
        );
        std::fs::write(out.join(format!("{stem}.txt")), format!("{head}{}", q.body))?;
        let mut html = q
            .html
            .clone()
            .unwrap_or_else(|| text_as_html(&q.subject, &format!("{head}{}", q.body)));
        // An inline image (the monthly chart) is sent as a `cid:` part named by its file name:
        // written beside the page so the browser shows what a mail client would.
        for a in q
            .attachments
            .iter()
            .filter(|a| a.content_type.starts_with("image/"))
        {
            let file = format!("{stem}-{}", a.filename);
            std::fs::write(out.join(&file), &a.content)?;
            html = html.replace(&format!("cid:{}", a.filename), &file);
        }
        let html_path = out.join(format!("{stem}.html"));
        std::fs::write(&html_path, html)?;
        let png = out.join(format!("{stem}.png"));
        let shot = screenshot(&html_path, &png, &profile);
        shots += usize::from(shot);
        index += &format!(
            "<tr><td>{}</td><td>{kind}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td><a href=\"{stem}.txt\">text</a> <a href=\"{stem}.html\">html</a>{}</td></tr>\n",
            n + 1,
            esc(&q.to.join(", ")),
            esc(&q.cc.join(", ")),
            esc(&q.subject),
            if shot {
                format!(" <a href=\"{stem}.png\">png</a>")
            } else {
                String::new()
            }
        );
    }
    index += "</table>\n</body></html>\n";
    std::fs::write(out.join("index.html"), index)?;
    println!(
        "{} mails ({} screenshots) in {}",
        sent.len(),
        shots,
        out.display()
    );
    Ok(())
}
