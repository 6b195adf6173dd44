//! What people read (issue 19): every mail the bot sends, read back as a mail client reads it —
//! recipients, subject and text part of the rendered message — and checked for the facts in it.

mod common;

use common::mail::{initiation, mail};
use mail_parser::MessageParser;
use supportbot::engine::Engine;
use supportbot::store::outbox;

/// A sent mail as its reader sees it.
#[derive(Debug, Clone)]
struct Read {
    kind: String,
    to: Vec<String>,
    cc: Vec<String>,
    subject: String,
    text: String,
}

impl Read {
    fn reaches_to(&self, address: &str) -> bool {
        self.to.iter().any(|a| a == address)
    }
    fn copies(&self, address: &str) -> bool {
        self.cc.iter().any(|a| a == address)
    }
}

fn addresses(a: Option<&mail_parser::Address<'_>>) -> Vec<String> {
    a.map(|a| {
        a.iter()
            .filter_map(|m| m.address())
            .map(|s| s.to_ascii_lowercase())
            .collect()
    })
    .unwrap_or_default()
}

/// Every mail queued so far, rendered and parsed back.
async fn outbox_of(bot: &Engine) -> Vec<Read> {
    let mut conn = bot.store.connection().await.expect("reader");
    let rows = outbox::list(&mut conn, None).await.expect("list");
    let queued = outbox::pending(&mut conn, 0, 1000).await.expect("pending");
    queued
        .into_iter()
        .map(|q| {
            let kind = rows
                .iter()
                .find(|r| r.id == q.id)
                .map(|r| r.kind.clone())
                .unwrap_or_default();
            let raw = q.render(&bot.config.bot).expect("renders");
            let m = MessageParser::default().parse(&raw).expect("parses");
            Read {
                kind,
                to: addresses(m.to()),
                cc: addresses(m.cc()),
                subject: m.subject().unwrap_or_default().to_string(),
                text: m.body_text(0).unwrap_or_default().to_string(),
            }
        })
        .collect()
}

fn of_kind<'a>(all: &'a [Read], kind: &str) -> Vec<&'a Read> {
    all.iter().filter(|r| r.kind == kind).collect()
}

async fn fed(mails: &[Vec<u8>]) -> (Engine, tempfile::TempDir) {
    let (bot, dir) = common::spawn_bot().await;
    for m in mails {
        bot.handle(m, common::now()).await.expect("handled");
    }
    (bot, dir)
}

const ZHANGSAN: &str = "zhangsan@example.com";
const WANGFANG: &str = "wangfang@example.com";
const ZHAOQIANG: &str = "zhaoqiang@example.com";

fn complaint(date: &str, id: &str) -> Vec<u8> {
    mail(
        "孙丽 <sunli@example.com>",
        "投诉-星河项目沟通问题",
        date,
        id,
        "被投诉人: 张三\r\n情况说明: 客户反映回复不及时",
    )
}

// --- 第十四条 ----------------------------------------------------------------------------------

#[tokio::test]
async fn a_complaint_crossing_the_month_and_permanent_levels_sends_one_notice_saying_both() {
    let (bot, _dir) = fed(&[
        initiation("Mon, 2 Nov 2026 09:00:00 +0800"),
        complaint("Tue, 15 Sep 2026 10:00:00 +0800", "c1"),
        complaint("Thu, 15 Oct 2026 10:00:00 +0800", "c2"),
        complaint("Tue, 3 Nov 2026 10:00:00 +0800", "c3"),
        complaint("Mon, 16 Nov 2026 10:00:00 +0800", "c4"),
    ])
    .await;
    let all = outbox_of(&bot).await;
    let notices = of_kind(&all, "complaint_threshold");
    assert_eq!(notices.len(), 1, "{notices:#?}");
    let n = notices[0];
    assert_eq!(n.to, vec![ZHANGSAN.to_string()]);
    assert!(n.copies(WANGFANG) && n.copies(ZHAOQIANG), "{n:?}");
    assert!(n.text.contains("您2026年11月被投诉2次"), "{}", n.text);
    assert!(n.text.contains("您累计被投诉4次"), "{}", n.text);
    assert!(n.text.contains("永久降1级"), "{}", n.text);
    for line in [
        "2026年9月15日，孙丽投诉（星河项目）",
        "2026年10月15日，孙丽投诉（星河项目）",
        "2026年11月3日，孙丽投诉（星河项目）",
        "2026年11月16日，孙丽投诉（星河项目）",
    ] {
        assert!(n.text.contains(line), "{line} in {}", n.text);
    }
    assert!(n.text.contains("第十四条规定"), "{}", n.text);
    assert!(n.text.contains("请联系售前经理王芳"), "{}", n.text);
    assert!(!n.text.contains("2026-11"), "{}", n.text);
    assert!(!n.subject.contains("2026-11"), "{}", n.subject);
    assert!(!n.text.contains(" 的投诉"), "{}", n.text);
}

#[tokio::test]
async fn the_second_complaint_of_a_month_lists_that_months_complaints_to_the_engineer() {
    let (bot, _dir) = fed(&[
        initiation("Mon, 2 Nov 2026 09:00:00 +0800"),
        complaint("Thu, 15 Oct 2026 10:00:00 +0800", "c0"),
        complaint("Tue, 3 Nov 2026 10:00:00 +0800", "c1"),
        complaint("Mon, 16 Nov 2026 10:00:00 +0800", "c2"),
    ])
    .await;
    let all = outbox_of(&bot).await;
    let notices = of_kind(&all, "complaint_threshold");
    assert_eq!(notices.len(), 1, "{notices:#?}");
    let n = notices[0];
    assert!(n.reaches_to(ZHANGSAN));
    assert!(n.text.starts_with("张三："), "{}", n.text);
    assert!(n.text.contains("2026年11月的绩效工资扣发1级"), "{}", n.text);
    assert!(n.text.contains("2026年11月16日，孙丽投诉"), "{}", n.text);
    assert!(
        !n.text.contains("2026年10月15日"),
        "October's complaint does not count for November's level: {}",
        n.text
    );
}
