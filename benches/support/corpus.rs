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
        let mut people = Vec::new();
        let mut add = |count: usize, role: &'static str, tag: &str| {
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
        };
        add(2, "presales_manager", "psm");
        add(1, "tech_director", "cto");
        add(60, "presales", "ps");
        add(30, "sales", "sa");
        add(2, "sales_head", "sh");
        add(2, "rd_manager", "rdm");
        add(10, "rd", "rd");
        add(3, "test_group", "qa");
        add(1, "admin", "admin");
        let count = (n / 50).clamp(20, 2000);
        let projects = (0..count)
            .map(|i| format!("{}{}号", PLACES[i % PLACES.len()], i))
            .collect();
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
        let (bytes, _, _) = encoding_rs::GBK.encode(&text);
        let body = Body::new_with_encoding(bytes.into_owned(), ContentTransferEncoding::Base64)
            .unwrap_or_else(|_| Body::new(text.clone()));
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
        SinglePart::plain(text)
    };
    let msg = if rng.chance(5) {
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

/// Writes `n` mails as files of a Maildir's `new/` under `dir/mail`, and `dir/config.toml`.
pub fn write(dir: &Path, n: usize, seed: u64) -> std::io::Result<()> {
    let company = Company::new(n);
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(dir.join("mail").join(sub))?;
    }
    std::fs::write(dir.join("config.toml"), company.config(dir))?;
    for i in 0..n {
        std::fs::write(
            dir.join("mail/new")
                .join(format!("{:010}.M{i}.bench", 1_767_225_600 + i)),
            mail(&company, seed, i),
        )?;
    }
    Ok(())
}
