//! Every digest's HTML rendered in a real browser (queries.md §4): headless Chromium
//! (`/usr/bin/chromium`, Debian packages `chromium` and `fonts-noto-cjk`, installed by
//! `.ci/run`) screenshots each one to PNG; the test fails when a page is blank or when the
//! monthly digest's chart image is missing from the page. The cid: image is swapped for a
//! data: URI, as a mail client swaps it for the inline part. The screenshots are kept in
//! `target/digest-browser/` to look at.

mod common;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use common::mail::{initiation, mail, report};
use std::path::{Path, PathBuf};
use supportbot::digest::chart::{FILENAME, PALETTE};
use supportbot::mail::outbound::Queued;
use supportbot::schedule::run_due;
use supportbot::store::outbox;

const CHROMIUM: &str = "/usr/bin/chromium";

fn bj(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("{s}+08:00"))
        .expect("test time")
        .with_timezone(&Utc)
}

/// The daily, weekly, monthly and personal digests of 1 December after a month of mail.
async fn digests() -> Vec<(String, Queued)> {
    let (bot, _dir) = common::spawn_bot().await;
    let mails = [
        initiation("Mon, 2 Nov 2026 09:00:00 +0800"),
        report("星河", "Tue, 3 Nov 2026 10:00:00 +0800", "r0", None),
        report(
            "星河",
            "Fri, 27 Nov 2026 17:00:00 +0800",
            "r1",
            Some("紧急"),
        ),
        report("东方", "Mon, 30 Nov 2026 10:00:00 +0800", "r2", None),
        mail(
            "张三 <zhangsan@example.com>",
            "客户沟通-星河项目-张三",
            "Mon, 30 Nov 2026 11:00:00 +0800",
            "r3",
            "沟通结果: 成功\r\n项目名称: 星河项目\r\n沟通人: 客户王工\r\n沟通方式: 电话",
        ),
    ];
    for m in &mails {
        bot.handle(m, common::now()).await.expect("mail");
    }
    run_due(&bot, bj("2026-11-30T09:30:00"))
        .await
        .expect("tick");
    run_due(&bot, bj("2026-12-01T10:00:00"))
        .await
        .expect("tick");
    let mut conn = bot.store.connection().await.expect("reader");
    let kinds = outbox::list(&mut conn, None).await.expect("list");
    outbox::pending(&mut conn, 0, 500)
        .await
        .expect("pending")
        .into_iter()
        .filter_map(|q| {
            let k = kinds.iter().find(|r| r.id == q.id)?.kind.clone();
            k.ends_with("_digest").then_some((k, q))
        })
        .collect()
}

/// The HTML with each inline image's cid: replaced by a data: URI of its bytes.
fn with_images_inline(q: &Queued) -> String {
    let mut html = q.html.clone().expect("a digest has an HTML part");
    for a in q
        .attachments
        .iter()
        .filter(|a| a.content_type == "image/png")
    {
        let data = base64::engine::general_purpose::STANDARD.encode(&a.content);
        html = html.replace(
            &format!("cid:{}", a.filename),
            &format!("data:image/png;base64,{data}"),
        );
    }
    html
}

fn screenshot(html: &Path, png: &Path, profile: &Path) {
    let status = std::process::Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            "--window-size=1000,1600",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", html.display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("chromium runs");
    assert!(status.success(), "chromium failed on {}", html.display());
}

/// RGB pixels of a PNG.
fn pixels(path: &Path) -> Vec<[u8; 3]> {
    let file = std::fs::File::open(path).expect("screenshot exists");
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().expect("png");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("frame");
    let step = info.color_type.samples();
    buf[..info.buffer_size()]
        .chunks(step)
        .map(|p| [p[0], p[1], p[2]])
        .collect()
}

fn near(a: [u8; 3], b: (u8, u8, u8)) -> bool {
    let d = |x: u8, y: u8| (x as i16 - y as i16).abs() <= 6;
    d(a[0], b.0) && d(a[1], b.1) && d(a[2], b.2)
}

#[tokio::test]
async fn every_digest_renders_legibly_in_chromium_and_the_monthly_chart_shows() {
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} missing: apt-get install chromium fonts-noto-cjk (.ci/run does)"
    );
    let out: PathBuf = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| common::root().join("target"))
        .join("digest-browser");
    std::fs::create_dir_all(&out).expect("output folder");
    let work = tempfile::tempdir().expect("temp dir");
    let all = digests().await;
    let kinds: Vec<&str> = all.iter().map(|(k, _)| k.as_str()).collect();
    for k in ["daily_digest", "monthly_digest", "personal_digest"] {
        assert!(kinds.contains(&k), "no {k} among {kinds:?}");
    }
    for (i, (kind, q)) in all.iter().enumerate() {
        let html = work.path().join(format!("{i}-{kind}.html"));
        std::fs::write(&html, with_images_inline(q)).expect("write html");
        let png = out.join(format!("{i}-{kind}.png"));
        screenshot(&html, &png, &work.path().join("profile"));
        let px = pixels(&png);
        let ink = px.iter().filter(|p| p.iter().any(|c| *c < 200)).count();
        assert!(
            ink * 200 > px.len(),
            "{kind}: the page is blank ({ink} dark pixels of {}), see {}",
            px.len(),
            png.display()
        );
        if kind == "monthly_digest" {
            assert!(
                q.attachments.iter().any(|a| a.filename == FILENAME),
                "the monthly digest carries its chart"
            );
            let bars = px.iter().filter(|p| near(**p, PALETTE[0])).count();
            assert!(
                bars > 50,
                "the chart's bars are not on the page ({bars} pixels), see {}",
                png.display()
            );
        }
    }
}
