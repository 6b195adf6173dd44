//! Memory on a huge mail (issue 12): the peak RSS of `supportbot process` (its own process,
//! measured with wait4) on
//! - a 30 MB mail just under a raised `max_message_bytes` (32 MiB): a 客户沟通 report with a
//!   30 MB attachment, and the same size as one plain-text body;
//! - a mail over the limit (default 10 MiB; the file is 200 MB, `SUPPORTBOT_BENCH_OVERSIZE_MB`),
//!   which must be recorded `too_large` without being read.
//!
//! Target: ≤ 150 MB each. Not a timed test; run: `cargo bench --bench memory`.

use std::io::Write;
use std::path::Path;
use std::process::Command;

/// Target of issue 12, in MiB (150 MB ≈ 143 MiB; the smaller is used).
const TARGET_MIB: f64 = 143.0;

/// Runs `cmd` to its end, which must exit with `code`; its peak RSS in MiB.
fn peak_rss(cmd: &mut Command, code: i32) -> f64 {
    // NOTE: reaped with wait4 below (for its rusage), not with Child::wait.
    #[allow(clippy::zombie_processes)]
    let child = cmd.spawn().expect("spawn");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our own child, status and usage are valid for writes.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == code,
        "{cmd:?}: expected exit {code}"
    );
    usage.ru_maxrss as f64 / 1024.0
}

fn config(dir: &Path, max_bytes: u64) -> String {
    let d = dir.display();
    format!(
        "[mailbox]\nurl = \"maildir:{d}/mail\"\nuser = \"supportbot@example.com\"\n\
         max_message_bytes = {max_bytes}\n\n\
         [smtp]\nurl = \"maildir:{d}/sent\"\nfrom = \"技术支持流程 <supportbot@example.com>\"\n\n\
         [database]\nurl = \"sqlite:{d}/supportbot.db\"\n\n\
         [[people]]\nname = \"张三\"\nemails = [\"zhangsan@example.com\"]\nroles = [\"presales\"]\n\n\
         [[people]]\nname = \"孙丽\"\nemails = [\"sunli@example.com\"]\nroles = [\"sales\"]\n\n\
         [[people]]\nname = \"系统管理员\"\nemails = [\"admin@example.com\"]\nroles = [\"admin\"]\n"
    )
}

const REPORT: &str = "沟通结果: 成功\r\n项目名称: 星河项目\r\n沟通人: 客户王工\r\n沟通方式: 电话\r\n\
                      沟通的具体问题: 确认客户防火墙放行 3389 端口并配置审计策略\r\n责任销售: 孙丽\r\n";

fn headers(id: &str) -> String {
    format!(
        "From: 张三 <zhangsan@example.com>\r\nTo: supportbot@example.com\r\n\
         Subject: 客户沟通-星河项目-张三\r\nDate: Thu, 03 Dec 2026 10:00:00 +0800\r\n\
         Message-ID: <{id}@example.com>\r\nMIME-Version: 1.0\r\n"
    )
}

/// A report with a base64 attachment, `size` bytes in all (about).
fn with_attachment(path: &Path, size: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    write!(
        f,
        "{}Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{REPORT}\r\n\
         --b1\r\nContent-Type: application/octet-stream; name=\"capture.pcap\"\r\n\
         Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"capture.pcap\"\r\n\r\n",
        headers("attachment")
    )
    .expect("write");
    let line = b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAx\r\n";
    for _ in 0..size / line.len() {
        f.write_all(line).expect("write");
    }
    f.write_all(b"--b1--\r\n").expect("write");
}

/// A report whose plain-text body is `size` bytes (the report, then lines of log pasted in).
fn plain_body(path: &Path, size: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    write!(
        f,
        "{}Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{REPORT}\r\n",
        headers("plain")
    )
    .expect("write");
    let line =
        "2026-12-03 10:00:00 审计 日志 audit log line pasted into the mail body\r\n".as_bytes();
    for _ in 0..size / line.len() {
        f.write_all(line).expect("write");
    }
}

/// One `process` over a Maildir holding only the mail `write` makes, which must exit with
/// `code` (1 when the mail is dead-lettered: `process` reports a mail it could not handle);
/// its peak RSS.
fn process_one(max_bytes: u64, code: i32, write: impl FnOnce(&Path)) -> f64 {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(d.join("mail").join(sub)).expect("maildir");
    }
    write(&d.join("mail/new/1.mail"));
    std::fs::write(d.join("config.toml"), config(d, max_bytes)).expect("config");
    peak_rss(
        Command::new(env!("CARGO_BIN_EXE_supportbot"))
            .arg("--config")
            .arg(d.join("config.toml"))
            .arg("process")
            .env("SUPPORTBOT_LOG", "error"),
        code,
    )
}

fn verdict(mib: f64) -> &'static str {
    if mib <= TARGET_MIB { "met" } else { "MISSED" }
}

fn main() {
    const MB: usize = 1_000_000;
    let oversize_mb: usize = std::env::var("SUPPORTBOT_BENCH_OVERSIZE_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let raised = 32 * 1024 * 1024;
    println!("memory benchmark: peak RSS of `supportbot process` (target ≤ 150 MB)");
    let empty = process_one(raised, 0, |_| {});
    println!("  an empty Maildir                                   {empty:>6.1} MiB");
    let att = process_one(raised, 0, |p| with_attachment(p, 30 * MB));
    println!(
        "  30 MB report with an attachment (limit 32 MiB)     {att:>6.1} MiB  {}",
        verdict(att)
    );
    let plain = process_one(raised, 0, |p| plain_body(p, 30 * MB));
    println!(
        "  30 MB report as plain text (limit 32 MiB)          {plain:>6.1} MiB  {}",
        verdict(plain)
    );
    let over = process_one(10 * 1024 * 1024, 1, |p| {
        with_attachment(p, oversize_mb * MB)
    });
    println!(
        "  {oversize_mb} MB mail over the default 10 MiB limit       {over:>6.1} MiB  {}",
        verdict(over)
    );
}
