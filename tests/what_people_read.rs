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
async fn a_fault_orders_notices_say_how_many_files_the_original_mail_carried() {
    let (bot, _dir) = fed(&scenario("fault-log-attached")).await;
    let all = outbox_of(&bot).await;
    let filed = all
        .iter()
        .find(|r| r.kind == "ack" && r.text.contains("工作单原文"))
        .expect("the order's ack");
    assert!(filed.text.contains("原邮件带有1个附件"), "{}", filed.text);
    // The R&D lead's notice is written on assignment, from the stored order, not from the mail.
    let assigned = all
        .iter()
        .find(|r| r.reaches_to(FENGLEI))
        .expect("a notice to the R&D lead");
    assert!(
        assigned.text.contains("原邮件带有1个附件"),
        "{}",
        assigned.text
    );
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

// --- 第十七条–第十九条: 问题遗留 ----------------------------------------------------------------

const LISI: &str = "lisi@example.com";

fn leftover_by_lisi() -> Vec<u8> {
    mail(
        "李四 <lisi@example.com>",
        "客户沟通-星河项目-李四",
        "Fri, 27 Nov 2026 17:00:00 +0800",
        "lisi-leftover",
        "沟通结果: 问题遗留\r\n项目名称: 星河项目\r\n沟通人: 客户王工\r\n沟通方式: 电话\r\n\
         沟通的具体问题: 确认客户防火墙放行 3389 端口并配置审计策略\r\n\
         遗留的问题描述: 客户要求导出审计日志为 Excel\r\n优先级: 紧急\r\n",
    )
}

#[tokio::test]
async fn a_leftover_ack_gives_the_next_steps_and_copies_the_first_presales() {
    let (bot, _dir) = fed(&[
        initiation("Mon, 2 Nov 2026 09:00:00 +0800"),
        leftover_by_lisi(),
    ])
    .await;
    let all = outbox_of(&bot).await;
    let ack = all
        .iter()
        .find(|r| r.kind == "ack" && r.reaches_to(LISI))
        .expect("the report's ack");
    assert!(ack.copies(ZHANGSAN), "the 第一售前 is copied: {ack:?}");
    for step in [
        "立即启动内部处理流程（第十七条）",
        "向销售汇报",
        "（第十八条）",
        "产品改进申请单或故障处理工作单（第十九条）",
    ] {
        assert!(ack.text.contains(step), "{step} in {}", ack.text);
    }
}

#[tokio::test]
async fn a_reply_of_solved_to_an_open_item_reminder_closes_that_item() {
    let (bot, _dir) = fed(&[
        initiation("Mon, 2 Nov 2026 09:00:00 +0800"),
        leftover_by_lisi(),
    ])
    .await;
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-30T10:00:00+08:00")
        .expect("time")
        .with_timezone(&chrono::Utc);
    supportbot::schedule::run_due(&bot, at).await.expect("tick");
    let all = outbox_of(&bot).await;
    let reminder = of_kind(&all, "open_item_reminder")
        .pop()
        .expect("a reminder");
    assert_eq!(reminder.to, vec![LISI.to_string()]);
    // The report is mail 2: its thread tag and the item's number.
    assert!(
        reminder.subject.starts_with("[SB-2] "),
        "{}",
        reminder.subject
    );
    assert!(reminder.subject.contains("#2"), "{}", reminder.subject);
    assert!(reminder.text.contains("#2"), "{}", reminder.text);
    let reply = mail(
        "李四 <lisi@example.com>",
        &format!("Re: {}", reminder.subject),
        "Mon, 30 Nov 2026 11:00:00 +0800",
        "lisi-solved",
        "已解决\r\n\r\n> 提醒",
    );
    bot.handle(&reply, common::now()).await.expect("handled");
    let mut conn = bot.store.connection().await.expect("reader");
    let open = supportbot::store::schedule::open_item_counts(&mut conn, None, common::now())
        .await
        .expect("items");
    assert_eq!(open.open, 0, "the item is closed: {open:?}");
}

// --- 第十二条 -----------------------------------------------------------------------------------

const SUNLI: &str = "sunli@example.com";

#[tokio::test]
async fn a_report_not_sent_to_the_responsible_sales_is_forwarded_to_her_and_the_ack_says_so() {
    let (bot, _dir) = fed(&[
        initiation("Mon, 2 Nov 2026 09:00:00 +0800"),
        common::mail::report("星河", "Tue, 3 Nov 2026 10:00:00 +0800", "r1", None),
    ])
    .await;
    let all = outbox_of(&bot).await;
    let forwards = of_kind(&all, "forward");
    assert_eq!(forwards.len(), 1, "{all:#?}");
    assert_eq!(forwards[0].to, vec![SUNLI.to_string()]);
    assert!(
        forwards[0].text.contains("确认客户防火墙放行 3389 端口"),
        "the report itself: {}",
        forwards[0].text
    );
    let ack = of_kind(&all, "ack").pop().expect("ack");
    assert!(
        ack.text.contains("本汇报未发给责任销售孙丽，已代为转发"),
        "{}",
        ack.text
    );
}

#[tokio::test]
async fn a_report_copied_to_the_responsible_sales_is_not_forwarded() {
    let raw = String::from_utf8(common::mail::report(
        "星河",
        "Tue, 3 Nov 2026 10:00:00 +0800",
        "r1",
        None,
    ))
    .expect("utf-8")
    .replacen(
        "To: supportbot@example.com\r\n",
        "To: supportbot@example.com\r\nCc: 孙丽 <SunLi@example.com>\r\n",
        1,
    );
    let (bot, _dir) = fed(&[
        initiation("Mon, 2 Nov 2026 09:00:00 +0800"),
        raw.into_bytes(),
    ])
    .await;
    let all = outbox_of(&bot).await;
    assert!(of_kind(&all, "forward").is_empty(), "{all:#?}");
    let ack = of_kind(&all, "ack").pop().expect("ack");
    assert!(!ack.text.contains("代为转发"), "{}", ack.text);
}

// --- contradictions and overstatement ----------------------------------------------------------

#[tokio::test]
async fn the_initiation_ack_does_not_ask_the_first_presales_to_fill_the_tracking_table_by_hand() {
    let (bot, _dir) = fed(&[initiation("Mon, 2 Nov 2026 09:00:00 +0800")]).await;
    let all = outbox_of(&bot).await;
    let ack = of_kind(&all, "ack").pop().expect("ack");
    assert!(!ack.text.contains("请填写项目跟踪表"), "{}", ack.text);
    assert!(ack.text.contains("无需手工填写"), "{}", ack.text);
}

#[tokio::test]
async fn the_initiation_request_blames_no_one_and_its_reminder_says_something_new_with_a_template()
{
    let (bot, _dir) = fed(&[common::mail::report(
        "东方",
        "Fri, 13 Nov 2026 10:00:00 +0800",
        "u1",
        None,
    )])
    .await;
    let all = outbox_of(&bot).await;
    let request = of_kind(&all, "initiation_request").pop().expect("request");
    assert_eq!(request.to, vec![SUNLI.to_string()]);
    assert!(!request.text.contains("承担"), "{}", request.text);
    assert!(!request.text.contains("责任由"), "{}", request.text);
    assert!(
        request.text.contains("标题：立项-东方项目"),
        "{}",
        request.text
    );
    assert!(request.text.contains("支持内容: "), "{}", request.text);
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-18T10:00:00+08:00")
        .expect("time")
        .with_timezone(&chrono::Utc);
    supportbot::schedule::run_due(&bot, at).await.expect("tick");
    let all = outbox_of(&bot).await;
    let reminder = of_kind(&all, "uninitiated_reminder")
        .pop()
        .expect("reminder");
    let first_line = |t: &str| t.lines().next().unwrap_or_default().to_string();
    assert_ne!(first_line(&reminder.text), first_line(&request.text));
    assert!(reminder.text.contains("再次提醒"), "{}", reminder.text);
    assert!(
        reminder.text.contains("标题：立项-东方项目"),
        "{}",
        reminder.text
    );
    assert!(
        reminder.text.contains("2026年11月13日"),
        "{}",
        reminder.text
    );
}

#[tokio::test]
async fn a_complaint_naming_no_one_says_the_target_was_inferred_and_how_to_correct_it() {
    let (bot, _dir) = fed(&[
        initiation("Mon, 2 Nov 2026 09:00:00 +0800"),
        mail(
            "孙丽 <sunli@example.com>",
            "投诉-星河项目沟通问题",
            "Tue, 3 Nov 2026 10:00:00 +0800",
            "c1",
            "情况说明: 客户反映回复不及时",
        ),
    ])
    .await;
    let all = outbox_of(&bot).await;
    let ack = all
        .iter()
        .find(|r| r.kind == "ack" && r.reaches_to(SUNLI) && r.subject.contains("投诉"))
        .expect("the complaint's ack");
    assert!(ack.text.contains("对张三的投诉已记录"), "{}", ack.text);
    assert!(ack.text.contains("没有写明被投诉人"), "{}", ack.text);
    assert!(ack.text.contains("第一售前张三"), "{}", ack.text);
    assert!(ack.text.contains("撤销投诉-星河项目"), "{}", ack.text);
    assert!(ack.text.contains("被投诉人: 姓名"), "{}", ack.text);
}

// --- machine-looking text ----------------------------------------------------------------------

#[tokio::test]
async fn digests_read_as_office_chinese_without_zone_ids_codes_or_commands() {
    let (bot, _dir) = fed(&[
        initiation("Mon, 2 Nov 2026 09:00:00 +0800"),
        common::mail::report(
            "星河",
            "Fri, 27 Nov 2026 17:00:00 +0800",
            "r1",
            Some("紧急"),
        ),
        mail(
            "张三 <zhangsan@example.com>",
            "客户沟通-星河项目-张三",
            "Mon, 30 Nov 2026 11:00:00 +0800",
            "r3",
            "沟通结果: 成功\r\n项目名称: 星河项目\r\n沟通人: 客户王工\r\n沟通方式: 电话",
        ),
    ])
    .await;
    let at = chrono::DateTime::parse_from_rfc3339("2026-12-01T10:00:00+08:00")
        .expect("time")
        .with_timezone(&chrono::Utc);
    supportbot::schedule::run_due(&bot, at).await.expect("tick");
    let all = outbox_of(&bot).await;
    let daily = of_kind(&all, "daily_digest").pop().expect("daily");
    assert!(
        daily.subject.contains("2026年11月30日"),
        "{}",
        daily.subject
    );
    assert!(daily.text.contains("北京时间"), "{}", daily.text);
    assert!(daily.text.contains("时限状态"), "{}", daily.text);
    assert!(daily.text.contains("1个工作日2小时"), "{}", daily.text);
    assert!(
        daily.text.contains("缺少字段：沟通的具体问题（第十五条）"),
        "{}",
        daily.text
    );
    for machine in [
        "Asia/Shanghai",
        "SLA",
        "missing_field",
        "2026-11-",
        "小时00分",
    ] {
        assert!(!daily.text.contains(machine), "{machine} in {}", daily.text);
    }
    let monthly = of_kind(&all, "monthly_digest").pop().expect("monthly");
    assert!(
        monthly.subject.contains("2026年11月"),
        "{}",
        monthly.subject
    );
    assert!(!monthly.text.contains("supportbot "), "{}", monthly.text);
}

#[tokio::test]
async fn the_monthly_workbook_shows_contact_method_and_leftover_but_no_message_id() {
    use calamine::{Reader, Xlsx};
    let (bot, _dir) = fed(&[
        initiation("Mon, 2 Nov 2026 09:00:00 +0800"),
        common::mail::report(
            "星河",
            "Fri, 27 Nov 2026 17:00:00 +0800",
            "r1",
            Some("紧急"),
        ),
    ])
    .await;
    let at = chrono::DateTime::parse_from_rfc3339("2026-12-01T10:00:00+08:00")
        .expect("time")
        .with_timezone(&chrono::Utc);
    supportbot::schedule::run_due(&bot, at).await.expect("tick");
    let mut conn = bot.store.connection().await.expect("reader");
    let queued = outbox::pending(&mut conn, 0, 1000).await.expect("pending");
    let book = queued
        .iter()
        .find_map(|q| q.attachments.first())
        .expect("the monthly workbook");
    let mut wb: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(book.content.clone())).expect("xlsx");
    let rows: Vec<Vec<String>> = wb
        .worksheet_range("张三")
        .expect("sheet")
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    for h in ["沟通人", "沟通方式", "遗留的问题描述"] {
        assert!(rows[0].iter().any(|c| c == h), "{h} in {:?}", rows[0]);
    }
    assert!(
        !rows[0].iter().any(|c| c.contains("Message")),
        "{:?}",
        rows[0]
    );
    assert!(rows[1].iter().any(|c| c == "客户王工"), "{:?}", rows[1]);
    assert!(rows[1].iter().any(|c| c == "电话"), "{:?}", rows[1]);
    assert!(
        rows[1].iter().any(|c| c == "客户要求导出审计日志为 Excel"),
        "{:?}",
        rows[1]
    );
}
