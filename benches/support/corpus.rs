//! A synthetic shared mailbox for benchmarks: deterministic from a seed, any size, with the mix
//! a real one has — mostly 客户沟通 reports (UTF-8 and GBK, plain and HTML-only, many with
//! quoted history), complaints, 立项, improvement and fault mail, thread replies, ordinary mail,
//! auto-replies and about 1 % malformed — over many projects and people, plus a matching config.

#![allow(dead_code)]

use base64::Engine as _;
use lettre::message::header::{ContentTransferEncoding, ContentType, HeaderName, HeaderValue};
use lettre::message::{Body, Mailbox, Message, MultiPart, SinglePart};
use std::fmt::Write as _;
use std::path::Path;

/// A small deterministic generator (SplitMix64), so a seed gives the same corpus everywhere.
pub struct Rng(u64);

impl Rng {
    /// Seeded generator.
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    /// Next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in 0..n.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    /// True with probability `percent` %.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超",
];
const PLACES: &[&str] = &[
    "星河", "蓝海", "北辰", "东方", "青松", "银河", "海星", "长城", "白云", "金桥", "天衢", "远航",
];
const CONTENT: &[&str] = &[
    "解决 vista 下远程控制网络参数设置；确认客户防火墙放行 3389 端口",
    "现场演示审计规则配置，导入客户提供的 20 条 SQL 注入样本并全部命中",
    "协助排查 Oracle RAC 节点审计日志采集中断，重新配置 syslog 转发",
    "升级审计引擎到 V5.2 并验证 Oracle 19c 的协议解析",
    "指导客户在测试库开启细粒度审计，验证存储过程调用的审计记录完整",
    "巡检审计服务器磁盘使用率 83%，清理 90 天前的归档并调整保留策略",
];

/// One member of the synthetic staff.
pub struct Person {
    /// Chinese name (unique).
    pub name: String,
    /// Address.
    pub email: String,
    /// Role key.
    pub role: &'static str,
}

/// The synthetic company.
pub struct Company {
    /// Everyone.
    pub people: Vec<Person>,
    /// Project names.
    pub projects: Vec<String>,
}

impl Company {
    /// A company sized for `n` mails.
    pub fn new(n: usize) -> Company {
        let count = (n / 50).clamp(20, 2000);
        let projects = (0..count)
            .map(|i| format!("{}{}号", PLACES[i % PLACES.len()], i))
            .collect();
        Company::with_staff(
            &[
                (2, "presales_manager", "psm"),
                (1, "tech_director", "cto"),
                (60, "presales", "ps"),
                (30, "sales", "sa"),
                (2, "sales_head", "sh"),
                (2, "rd_manager", "rdm"),
                (10, "rd", "rd"),
                (3, "test_group", "qa"),
                (1, "admin", "admin"),
            ],
            projects,
        )
    }

    /// The skewed corpus's company: one busy project (星河), three presales, a few sales.
    pub fn skewed() -> Company {
        Company::with_staff(
            &[
                (1, "presales_manager", "psm"),
                (1, "tech_director", "cto"),
                (3, "presales", "ps"),
                (4, "sales", "sa"),
                (1, "sales_head", "sh"),
                (1, "rd_manager", "rdm"),
                (4, "rd", "rd"),
                (2, "test_group", "qa"),
                (1, "admin", "admin"),
            ],
            vec![SKEWED_PROJECT.to_string()],
        )
    }

    /// `staff`: (how many, role key, address tag), in the order names are handed out.
    fn with_staff(staff: &[(usize, &'static str, &str)], projects: Vec<String>) -> Company {
        let mut people = Vec::new();
        for &(count, role, tag) in staff {
            for i in 0..count {
                let k = people.len();
                let name = format!(
                    "{}{}{}",
                    SURNAMES[k % SURNAMES.len()],
                    GIVEN[(k / SURNAMES.len()) % GIVEN.len()],
                    i
                );
                people.push(Person {
                    name,
                    email: format!("{tag}{i}@corp.example"),
                    role,
                });
            }
        }
        Company { people, projects }
    }

    fn of(&self, role: &str) -> Vec<&Person> {
        self.people.iter().filter(|p| p.role == role).collect()
    }

    /// The TOML config for this company, with its paths under `dir`.
    pub fn config(&self, dir: &Path) -> String {
        let d = dir.display();
        let mut s = format!(
            "[mailbox]\nurl = \"maildir:{d}/mail\"\nuser = \"supportbot@corp.example\"\n\n[smtp]\nurl = \"maildir:{d}/sent\"\nfrom = \"技术支持流程 <supportbot@corp.example>\"\n\n[database]\nurl = \"sqlite:{d}/supportbot.db\"\n"
        );
        for p in &self.people {
            let _ = write!(
                s,
                "\n[[people]]\nname = \"{}\"\nemails = [\"{}\"]\nroles = [\"{}\"]\n",
                p.name, p.email, p.role
            );
        }
        s
    }
}

fn mailbox(p: &Person) -> Mailbox {
    format!("{} <{}>", p.name, p.email)
        .parse()
        .unwrap_or_else(|_| Mailbox::new(None, "x@corp.example".parse().expect("literal")))
}

fn header(name: &'static str, value: String) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value)
}

/// Mail `i` of the corpus (bytes), deterministic from `seed`.
pub fn mail(company: &Company, seed: u64, i: usize) -> Vec<u8> {
    let mut rng = Rng::new(seed.wrapping_mul(1_000_003).wrapping_add(i as u64));
    let presales = company.of("presales");
    let sales = company.of("sales");
    let managers = company.of("presales_manager");
    let director = company.of("tech_director");
    let rd = company.of("rd");
    let qa = company.of("test_group");
    let pi = rng.below(company.projects.len());
    let project = &company.projects[pi];
    let first = presales[pi % presales.len()];
    let second = presales[(pi + 7) % presales.len()];
    let owner = sales[pi % sales.len()];
    let bot: Mailbox = "supportbot@corp.example".parse().expect("literal");
    let when =
        chrono::DateTime::from_timestamp(1_767_225_600 + (i as i64) * 37, 0).unwrap_or_default();
    let roll = rng.below(100);
    let id = format!("<m{i}.s{seed}@corp.example>");
    let mut b = Message::builder()
        .to(bot.clone())
        .message_id(Some(id))
        .date(when.into());
    let (from, subject, text, html_only, gbk) = match roll {
        // 第九条: the first mails of a project are its 立项; later ones re-file.
        0..=2 => (
            owner,
            format!("立项-{project}项目"),
            format!(
                "项目名称: {project}项目\n责任销售: {}\n第一售前: {}\n第二售前: {}\n支持类型: 产品测试\n支持内容: POC 测试，覆盖 Oracle 与 MySQL\n",
                owner.name, first.name, second.name
            ),
            false,
            false,
        ),
        3..=62 => {
            let engineer = if rng.chance(80) { first } else { second };
            let content = if rng.chance(8) {
                "解决了技术问题"
            } else {
                CONTENT[rng.below(CONTENT.len())]
            };
            let left = rng.chance(15);
            let mut t = format!(
                "沟通结果: {}\n项目名称: {project}项目\n沟通人: 客户{}工\n沟通方式: 电话\n沟通的具体问题: {content}\n",
                if left { "问题遗留" } else { "成功" },
                SURNAMES[rng.below(SURNAMES.len())]
            );
            if left {
                t += "遗留的问题描述: 客户要求导出审计日志为 Excel，当前版本不支持\n优先级: 重要\n";
            }
            t += "\n谢谢\n";
            if rng.chance(40) {
                t += &format!(
                    "\n-----原始邮件-----\n发件人: {}\n发送时间: 2026年1月1日 9:00\n主题: 回复: 项目进展\n\n> 沟通结果: 成功\n> 上次的问题已处理\n",
                    owner.name
                );
            }
            (
                engineer,
                format!("客户沟通-{project}项目-{}", engineer.name),
                t,
                rng.chance(15),
                rng.chance(25),
            )
        }
        63..=67 => (
            owner,
            format!("投诉-{project}项目沟通问题"),
            format!(
                "被投诉人: {}\n情况说明: 客户现场沟通后未发汇报邮件\n",
                first.name
            ),
            false,
            rng.chance(20),
        ),
        68..=70 => (
            first,
            format!("产品改进申请-{project}项目"),
            "需求描述: 审计日志支持导出为 Excel\n".into(),
            false,
            false,
        ),
        71..=72 => (
            first,
            format!("故障处理-{project}项目"),
            "环境: V3.8 双机\n操作过程: 主机断电\n现象: 会话断开\n日志: 见附件\n严重: 是\n".into(),
            false,
            false,
        ),
        73..=74 => (
            rd[rng.below(rd.len())],
            "bug反馈-审计模块".to_string(),
            "现象: 分页重复\n".into(),
            false,
            false,
        ),
        75..=82 => {
            let earlier = rng.below(i.max(1));
            b = b.in_reply_to(format!("<m{earlier}.s{seed}@corp.example>"));
            let line = ["谢谢，收到", "已解决", "同意", "研发工时: 1天"][rng.below(4)];
            (
                first,
                format!(
                    "Re: [SB-{}] 已记录：客户沟通-{project}项目-{}",
                    earlier + 1,
                    first.name
                ),
                format!("{line}\n\n在 2026-01-01 写道：\n> 原文\n"),
                false,
                false,
            )
        }
        83..=92 => (
            presales[rng.below(presales.len())],
            "周五部门聚餐安排".to_string(),
            "大家周五晚上六点楼下集合。\n".into(),
            rng.chance(30),
            false,
        ),
        93..=98 => {
            b = b.raw_header(header("Auto-Submitted", "auto-replied".into()));
            (
                presales[rng.below(presales.len())],
                format!("自动回复: 客户沟通-{project}项目"),
                "我正在休假，回来后回复您。\n".into(),
                false,
                false,
            )
        }
        _ => {
            // ~1 %: a truncated multipart with bytes that are no charset at all.
            let mut raw = format!("From: {}\r\nTo: supportbot@corp.example\r\nSubject: 客户沟通-{project}项目-{}\r\nMessage-ID: <m{i}.s{seed}@corp.example>\r\nContent-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\nContent-Type: text/plain; charset=gbk\r\nContent-Transfer-Encoding: base64\r\n\r\n", first.email, first.name).into_bytes();
            raw.extend_from_slice(b"\xff\xfe\x80%%%%\r\n");
            return raw;
        }
    };
    let cc: Vec<&Person> = if subject.starts_with("投诉") {
        vec![managers[0], director[0]]
    } else if subject.starts_with("bug反馈") {
        qa.iter().chain(presales.iter()).copied().collect()
    } else {
        vec![owner]
    };
    let attach = rng.chance(5);
    finish(b, from, &cc, subject, &text, html_only, gbk, attach)
}

/// Adds sender, copies, subject and body to `b` (GBK-encoded, HTML-only, with a 2 KiB
/// attachment as asked) and returns the mail's bytes.
#[allow(clippy::too_many_arguments)]
fn finish(
    mut b: lettre::message::MessageBuilder,
    from: &Person,
    cc: &[&Person],
    subject: String,
    text: &str,
    html_only: bool,
    gbk: bool,
    attach: bool,
) -> Vec<u8> {
    b = b.from(mailbox(from));
    for p in cc {
        b = b.cc(mailbox(p));
    }
    if gbk {
        let (bytes, _, _) = encoding_rs::GBK.encode(&subject);
        let encoded = format!(
            "=?GBK?B?{}?=",
            base64::engine::general_purpose::STANDARD.encode(&bytes)
        );
        b = b.raw_header(HeaderValue::dangerous_new_pre_encoded(
            HeaderName::new_from_ascii_str("Subject"),
            subject.clone(),
            encoded,
        ));
    } else {
        b = b.subject(subject);
    }
    let part = if gbk {
        let (bytes, _, _) = encoding_rs::GBK.encode(text);
        let body = Body::new_with_encoding(bytes.into_owned(), ContentTransferEncoding::Base64)
            .unwrap_or_else(|_| Body::new(text.to_string()));
        SinglePart::builder()
            .header(
                ContentType::parse("text/plain; charset=gbk").unwrap_or(ContentType::TEXT_PLAIN),
            )
            .body(body)
    } else if html_only {
        let html = format!(
            "<html><body><p>{}</p></body></html>",
            text.replace('\n', "<br>")
        );
        SinglePart::html(html)
    } else {
        SinglePart::plain(text.to_string())
    };
    let msg = if attach {
        b.multipart(
            MultiPart::mixed().singlepart(part).singlepart(
                SinglePart::builder()
                    .header(
                        ContentType::parse("application/octet-stream")
                            .unwrap_or(ContentType::TEXT_PLAIN),
                    )
                    .body(vec![7u8; 2048]),
            ),
        )
    } else {
        b.singlepart(part)
    };
    msg.map(|m| m.formatted()).unwrap_or_default()
}

/// Writes `n` mails of the even corpus as files of a Maildir's `new/` under `dir/mail`, and
/// `dir/config.toml`.
pub fn write(dir: &Path, n: usize, seed: u64) -> std::io::Result<()> {
    write_shape(dir, n, seed, Shape::Even)
}

/// Which corpus: today's even one, or a year of one busy project.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Many projects and people (the issue-6 corpus).
    Even,
    /// One project, three presales, 20 % complaints, long threads (issue 13).
    Skewed,
}

impl Shape {
    /// Its name on command lines and in the benchmark's output.
    pub fn name(self) -> &'static str {
        match self {
            Shape::Even => "even",
            Shape::Skewed => "skewed",
        }
    }
}

/// The skewed corpus's one project.
pub const SKEWED_PROJECT: &str = "星河";

/// What mail `i` of the skewed corpus is, decided before its text so that a later reply can
/// look back at what it answers without building it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// The project's 立项 (mail 0).
    Initiation,
    /// 投诉 by sales `from`; `named` is the 被投诉人 presales (else the 第一售前 is meant).
    Complaint { from: usize, named: Option<usize> },
    /// 撤销投诉 by sales `from` (their latest active complaint).
    Withdrawal { from: usize },
    /// 客户沟通 by presales `engineer` (0 is 第一售前, 1 第二售前, 2 neither); `left`: 问题遗留.
    Report { engineer: usize, left: bool },
    /// 产品改进申请; the 3rd and later are valid only from the presales manager.
    Improvement { by_manager: bool },
    /// 故障处理 by the 第一售前.
    Fault,
    /// A reply on the thread of mail `to` (which may itself be a reply).
    Reply { to: usize },
    /// Mail that is no workflow kind.
    Ordinary,
    /// An out-of-office reply.
    Auto,
    /// A truncated multipart with bytes in no charset.
    Malformed,
}

/// The plan of mail `i` of the skewed corpus (mixed per 100: 20 complaints, 2 withdrawals,
/// 34 reports of which 40 % 问题遗留, 10 improvement requests, 3 fault orders, 15 thread
/// replies, 10 ordinary, 5 auto-replies, 1 malformed).
pub fn skewed_plan(seed: u64, i: usize) -> Plan {
    if i == 0 {
        return Plan::Initiation;
    }
    let mut rng = Rng::new(seed.wrapping_mul(7_000_003).wrapping_add(i as u64) ^ 0x5EED);
    match rng.below(100) {
        // 第十三条: complaints come from the project's 责任销售 (sales 0); a few from others,
        // which are refused.
        0..=19 => Plan::Complaint {
            from: if rng.chance(90) { 0 } else { rng.below(4) },
            named: rng.chance(70).then(|| rng.below(3)),
        },
        20..=21 => Plan::Withdrawal {
            from: if rng.chance(90) { 0 } else { rng.below(4) },
        },
        22..=55 => Plan::Report {
            engineer: [0, 0, 0, 0, 0, 0, 1, 1, 1, 2][rng.below(10)],
            left: rng.chance(40),
        },
        56..=65 => Plan::Improvement {
            by_manager: rng.chance(75),
        },
        66..=68 => Plan::Fault,
        69..=83 => {
            // Most replies answer something of the last few weeks; some reach far back.
            let window = if rng.chance(80) { 300 } else { 5000 };
            let mut to = i - 1 - rng.below(window.min(i));
            // Step back to the nearest mail a person would answer on a thread.
            for _ in 0..20 {
                if to == 0
                    || !matches!(
                        skewed_plan(seed, to),
                        Plan::Ordinary | Plan::Auto | Plan::Malformed | Plan::Withdrawal { .. }
                    )
                {
                    break;
                }
                to -= 1;
            }
            Plan::Reply { to }
        }
        84..=93 => Plan::Ordinary,
        94..=98 => Plan::Auto,
        _ => Plan::Malformed,
    }
}

/// The thread mail `i` replies on: its root (the mail that is not a reply) and the chain from
/// the root to the mail it answers, at most 20 long.
fn skewed_thread(seed: u64, to: usize) -> (usize, Vec<usize>) {
    let mut chain = vec![to];
    let mut cur = to;
    while let Plan::Reply { to: up } = skewed_plan(seed, cur) {
        cur = up;
        chain.push(cur);
        if chain.len() >= 20 {
            break;
        }
    }
    chain.reverse();
    (cur, chain)
}

fn skewed_id(seed: u64, i: usize) -> String {
    format!("<k{i}.s{seed}@corp.example>")
}

/// Mail `i` of the skewed corpus of `n` mails (bytes): a year of the one project.
pub fn skewed_mail(company: &Company, seed: u64, n: usize, i: usize) -> Vec<u8> {
    let mut rng = Rng::new(seed.wrapping_mul(1_000_003).wrapping_add(i as u64) ^ 0xBEEF);
    let presales = company.of("presales");
    let sales = company.of("sales");
    let manager = company.of("presales_manager")[0];
    let director = company.of("tech_director")[0];
    let rd = company.of("rd");
    let project = SKEWED_PROJECT;
    let owner = sales[0];
    let bot: Mailbox = "supportbot@corp.example".parse().expect("literal");
    let step = (31_536_000 / n.max(1)).max(1) as i64;
    let when =
        chrono::DateTime::from_timestamp(1_767_225_600 + (i as i64) * step, 0).unwrap_or_default();
    let mut b = Message::builder()
        .to(bot.clone())
        .message_id(Some(skewed_id(seed, i)))
        .date(when.into());
    let plan = skewed_plan(seed, i);
    let (from, cc, subject, text, html_only, gbk): (&Person, Vec<&Person>, _, String, _, _) =
        match plan {
            Plan::Initiation => (
                owner,
                vec![manager],
                format!("立项-{project}项目"),
                format!(
                    "项目名称: {project}项目\n责任销售: {}\n第一售前: {}\n第二售前: {}\n支持类型: 产品实施\n支持内容: 全年驻场支持，覆盖 Oracle 与 MySQL\n",
                    owner.name, presales[0].name, presales[1].name
                ),
                false,
                false,
            ),
            Plan::Complaint { from, named } => {
                let mut t = String::new();
                if let Some(k) = named {
                    let _ = writeln!(t, "被投诉人: {}", presales[k].name);
                }
                t += "情况说明: 客户现场沟通后未发汇报邮件，客户再次来电催问\n";
                // Now and then the director is not copied: the bot forwards.
                let cc = if rng.chance(90) {
                    vec![manager, director]
                } else {
                    vec![manager]
                };
                (
                    sales[from],
                    cc,
                    format!("投诉-{project}项目沟通问题"),
                    t,
                    false,
                    rng.chance(20),
                )
            }
            Plan::Withdrawal { from } => (
                sales[from],
                vec![manager, director],
                format!("撤销投诉-{project}项目"),
                "情况说明: 已与客户核实，误会已澄清\n".into(),
                false,
                false,
            ),
            Plan::Report { engineer, left } => {
                let who = presales[engineer];
                let content = if rng.chance(5) {
                    "解决了技术问题"
                } else {
                    CONTENT[rng.below(CONTENT.len())]
                };
                let mut t = format!(
                    "沟通结果: {}\n项目名称: {project}项目\n沟通人: 客户{}工\n沟通方式: {}\n沟通的具体问题: {content}\n",
                    if left { "问题遗留" } else { "成功" },
                    SURNAMES[rng.below(SURNAMES.len())],
                    ["电话", "现场", "邮件"][rng.below(3)],
                );
                if left {
                    let _ = writeln!(
                        t,
                        "遗留的问题描述: 客户要求导出审计日志为 Excel，当前版本不支持（第{}次提出）\n优先级: {}",
                        i % 97 + 1,
                        ["紧急", "重要", "一般", "一般"][rng.below(4)]
                    );
                }
                t += "\n谢谢\n";
                if rng.chance(40) {
                    let _ = write!(
                        t,
                        "\n-----原始邮件-----\n发件人: {}\n发送时间: 2026年1月1日 9:00\n主题: 回复: 项目进展\n\n> 沟通结果: 成功\n> 上次的问题已处理\n",
                        owner.name
                    );
                }
                (
                    who,
                    vec![owner],
                    format!("客户沟通-{project}项目-{}", who.name),
                    t,
                    rng.chance(15),
                    rng.chance(25),
                )
            }
            Plan::Improvement { by_manager } => (
                if by_manager { manager } else { presales[0] },
                vec![owner],
                format!("产品改进申请-{project}项目"),
                format!(
                    "需求描述: 审计日志支持导出为 Excel（客户第{}次提出）\n",
                    i % 89 + 1
                ),
                false,
                false,
            ),
            Plan::Fault => (
                presales[0],
                vec![manager],
                format!("故障处理-{project}项目"),
                "环境: V5.2 双机\n操作过程: 主机断电后切换\n现象: 会话断开，审计日志丢失\n日志: 见附件\n严重: 是\n优先级: 重要\n".into(),
                false,
                false,
            ),
            Plan::Reply { to } => {
                let (root, chain) = skewed_thread(seed, to);
                b = b.in_reply_to(skewed_id(seed, to)).references(
                    chain
                        .iter()
                        .map(|&k| skewed_id(seed, k))
                        .collect::<Vec<_>>()
                        .join(" "),
                );
                // Who answers and what: the command the root's kind takes, now and then a
                // plain thank-you (which the bot answers at most once a day per thread).
                let thanks = rng.chance(15);
                let (who, line, what) = match skewed_plan(seed, root) {
                    _ if thanks => (owner, "谢谢，收到".to_string(), "客户沟通"),
                    Plan::Report {
                        engineer,
                        left: true,
                    } => (presales[engineer], "已解决".to_string(), "客户沟通"),
                    Plan::Complaint { from, .. } => (sales[from], "撤销".to_string(), "投诉"),
                    Plan::Improvement { .. } => (
                        rd[rng.below(rd.len())],
                        format!("研发工时: {}小时", 2 + rng.below(14)),
                        "产品改进申请",
                    ),
                    Plan::Fault => (manager, "同意".to_string(), "故障处理"),
                    _ => (owner, "谢谢，收到".to_string(), "立项"),
                };
                (
                    who,
                    vec![owner],
                    format!("Re: [SB-{}] 已记录：{what}-{project}项目", root + 1),
                    format!("{line}\n\n在 2026-01-01 写道：\n> 原文\n"),
                    false,
                    false,
                )
            }
            Plan::Ordinary => (
                presales[rng.below(presales.len())],
                vec![owner],
                "周五部门聚餐安排".to_string(),
                "大家周五晚上六点楼下集合。\n".into(),
                rng.chance(30),
                false,
            ),
            Plan::Auto => {
                b = b.raw_header(header("Auto-Submitted", "auto-replied".into()));
                (
                    presales[rng.below(presales.len())],
                    vec![],
                    format!("自动回复: 客户沟通-{project}项目"),
                    "我正在休假，回来后回复您。\n".into(),
                    false,
                    false,
                )
            }
            Plan::Malformed => {
                let who = presales[0];
                let mut raw = format!("From: {}\r\nTo: supportbot@corp.example\r\nSubject: 客户沟通-{project}项目-{}\r\nMessage-ID: {}\r\nContent-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\nContent-Type: text/plain; charset=gbk\r\nContent-Transfer-Encoding: base64\r\n\r\n", who.email, who.name, skewed_id(seed, i)).into_bytes();
                raw.extend_from_slice(b"\xff\xfe\x80%%%%\r\n");
                return raw;
            }
        };
    let attach = matches!(plan, Plan::Fault) || rng.chance(3);
    finish(b, from, &cc, subject, &text, html_only, gbk, attach)
}

/// Writes `n` mails of the corpus `shape` as files of a Maildir's `new/` under `dir/mail`, and
/// `dir/config.toml`.
pub fn write_shape(dir: &Path, n: usize, seed: u64, shape: Shape) -> std::io::Result<()> {
    let company = match shape {
        Shape::Even => Company::new(n),
        Shape::Skewed => Company::skewed(),
    };
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(dir.join("mail").join(sub))?;
    }
    std::fs::write(dir.join("config.toml"), company.config(dir))?;
    for i in 0..n {
        let bytes = match shape {
            Shape::Even => mail(&company, seed, i),
            Shape::Skewed => skewed_mail(&company, seed, n, i),
        };
        std::fs::write(
            dir.join("mail/new")
                .join(format!("{:010}.M{i}.bench", 1_767_225_600 + i)),
            bytes,
        )?;
    }
    Ok(())
}
