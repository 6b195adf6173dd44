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

// --- 第四十四条–第四十七条 -----------------------------------------------------------------------

/// The `.eml` files of a scenario in tests/fixtures/threads/, in order.
fn scenario(folder: &str) -> Vec<Vec<u8>> {
    let dir = common::root().join("tests/fixtures/threads").join(folder);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("scenario folder")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".eml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|n| std::fs::read(dir.join(n)).expect("eml"))
        .collect()
}

const FENGLEI: &str = "fenglei@example.com";
const ZHENGHAO: &str = "zhenghao@example.com";

#[tokio::test]
async fn the_rd_lead_is_sent_the_whole_fault_order_and_whoever_must_act_is_in_to() {
    let mails = scenario("fault-lifecycle");
    // Filed: the 售前经理 must approve, so she is in To and the filer copied.
    let (bot, _dir) = fed(&mails[..2]).await;
    let all = outbox_of(&bot).await;
    let ack = of_kind(&all, "ack").pop().expect("the order's ack");
    assert_eq!(ack.to, vec![WANGFANG.to_string()], "{ack:?}");
    assert!(ack.copies(ZHANGSAN), "{ack:?}");
    assert!(
        ack.text.contains("王芳：请审阅后在本邮件回复「同意」"),
        "{}",
        ack.text
    );
    // Approved, then assigned to 冯磊, who was never on the original mail.
    for m in &mails[2..4] {
        bot.handle(m, common::now()).await.expect("handled");
    }
    let all = outbox_of(&bot).await;
    let assigned = all
        .iter()
        .find(|r| r.reaches_to(FENGLEI))
        .expect("a notice to the R&D lead");
    assert_eq!(assigned.to, vec![FENGLEI.to_string()], "{assigned:?}");
    for filed in [
        "环境: 堡垒机 V3.8，CentOS 7.9，双机 HA",
        "操作过程: 主机断电后备机接管；按手册重启 rdp-proxy 服务三次",
        "现象: 备机接管后 RDP 会话全部断开且无法重连",
        "日志: ha.log 第 2031 行起：proxy: session table lost",
        "尝试次数: 3",
        "优先级: 重要",
    ] {
        assert!(
            assigned.text.contains(filed),
            "{filed} in {}",
            assigned.text
        );
    }
    assert!(
        assigned.text.contains("冯磊：您已被指定为研发负责人"),
        "{}",
        assigned.text
    );
    // Closed: both managers are told.
    for m in &mails[4..] {
        bot.handle(m, common::now()).await.expect("handled");
    }
    let all = outbox_of(&bot).await;
    let closed = all
        .iter()
        .find(|r| r.subject.contains("已关闭"))
        .expect("a closing notice");
    let reached: Vec<&String> = closed.to.iter().chain(&closed.cc).collect();
    for who in [WANGFANG, ZHENGHAO, FENGLEI, ZHANGSAN] {
        assert!(reached.iter().any(|a| *a == who), "{who} told: {closed:?}");
    }
}

#[tokio::test]
async fn a_fault_orders_notice_says_how_many_files_the_original_mail_carried() {
    let (bot, _dir) = fed(&scenario("fault-log-attached")).await;
    let all = outbox_of(&bot).await;
    let ack = of_kind(&all, "ack").pop().expect("the order's ack");
    assert!(ack.text.contains("原邮件带有1个附件"), "{}", ack.text);
}

// --- thread commands refused: who may act now, the state, one article -------------------------

#[tokio::test]
async fn an_approval_by_someone_else_says_who_may_approve_and_asks_nothing_of_the_sender() {
    let (bot, _dir) = fed(&scenario("fault-presales-approves")).await;
    let all = outbox_of(&bot).await;
    let r = of_kind(&all, "rejection").pop().expect("a rejection");
    assert_eq!(r.to, vec![ZHANGSAN.to_string()]);
    assert!(
        r.text
            .contains("「同意」须由售前经理王芳回复（第四十四条），您无需操作"),
        "{}",
        r.text
    );
    assert!(r.text.contains("待售前经理同意"), "{}", r.text);
    for wrong in [
        "请修改后重新发送",
        "按以下格式更正",
        "第四十四条–第四十七条",
    ] {
        assert!(!r.text.contains(wrong), "{wrong} in {}", r.text);
    }
}

#[tokio::test]
async fn a_presales_third_improvement_request_is_sent_to_the_manager_by_name_and_copies_her() {
    let mails = scenario("improvement-numbering");
    let (bot, _dir) = fed(&mails[..4]).await;
    let all = outbox_of(&bot).await;
    let r = of_kind(&all, "rejection").pop().expect("a rejection");
    assert!(r.copies(WANGFANG), "{r:?}");
    assert!(r.text.contains("由售前经理王芳发出"), "{}", r.text);
    assert!(r.text.contains("第二十一条"), "{}", r.text);
    assert!(!r.text.contains("请修改后重新发送"), "{}", r.text);
}
