//! Every digest's HTML rendered in a real browser (queries.md §4): headless Chromium
//! (tests/common/browser.rs) screenshots each one to PNG; the test fails when a page is blank
//! or when the monthly digest's chart image is missing from the page. The cid: image is swapped
//! for a data: URI, as a mail client swaps it for the inline part. The screenshots are kept in
//! `target/digest-browser/` to look at; the query replies' in `target/query-browser/`
//! (tests/query_browser.rs).

mod common;

use base64::Engine as _;
use common::browser;
use common::mail::{initiation, mail, report};
use common::schedule::tick;
use supportbot::digest::chart::{FILENAME, PALETTE};
use supportbot::mail::outbound::Queued;
use supportbot::store::outbox;

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
    tick(&bot, "2026-11-30T09:30:00").await;
    tick(&bot, "2026-12-01T10:00:00").await;
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

#[tokio::test]
async fn every_digest_renders_legibly_in_chromium_and_the_monthly_chart_shows() {
    browser::require_chromium();
    let out = browser::output_dir("digest-browser");
    let work = tempfile::tempdir().expect("temp dir");
    let all = digests().await;
    let kinds: Vec<&str> = all.iter().map(|(k, _)| k.as_str()).collect();
    for k in ["daily_digest", "monthly_digest", "personal_digest"] {
        assert!(kinds.contains(&k), "no {k} among {kinds:?}");
    }
    for (i, (kind, q)) in all.iter().enumerate() {
        let png = out.join(format!("{i}-{kind}.png"));
        let shot = browser::screenshot(&with_images_inline(q), &png, work.path(), 1600);
        shot.assert_not_blank(kind, shot.pixels.len() / 200);
        if kind == "monthly_digest" {
            assert!(
                q.attachments.iter().any(|a| a.filename == FILENAME),
                "the monthly digest carries its chart"
            );
            let bars = shot.near(PALETTE[0]);
            assert!(
                bars > 50,
                "the chart's bars are not on the page ({bars} pixels), see {}",
                png.display()
            );
        }
    }
}
