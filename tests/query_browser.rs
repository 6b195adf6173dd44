//! Every query reply's HTML rendered in a real browser (issue 14, queries.md §1): each query of
//! §1 is mailed to the inbox Maildir, `process` answers it, the reply's HTML part is taken from
//! the sent Maildir as a mail client reads it (mail-parser), checked for what it must show (the
//! tables' rows), then screenshot by headless Chromium (tests/common/browser.rs); the test fails
//! when the HTML lacks its rows or the page is blank. The screenshots are kept in
//! `target/query-browser/` to look at.

mod common;

use common::browser;
use common::mail::{fault_order, initiation, mail, report, report_on_day};
use common::site::Site;
use mail_parser::{MessageParser, PartType};

const ZHANGSAN: &str = "张三 <zhangsan@example.com>";
const WANGFANG: &str = "王芳 <wangfang@example.com>";
const SUNLI: &str = "孙丽 <sunli@example.com>";

/// A month of 星河: 立项, 22 reports (one about exporting audit logs, 21 routine: more than a
/// reply shows inline), an open item, a complaint on 张三 and an urgent fault order waiting
/// for the presales manager — every table of every reply has rows.
fn story(site: &Site) {
    site.deliver(&initiation("Mon, 2 Nov 2026 09:00:00 +0800"));
    site.deliver(&report_on_day(
        3,
        "kb-source",
        "客户要求把审计日志导出为 Excel 并按月归档，已演示导出步骤",
    ));
    for i in 0..21 {
        site.deliver(&report_on_day(
            4 + i % 20,
            &format!("routine-{i}"),
            &format!("例行巡检第 {i} 次，数据库审计策略运行正常"),
        ));
    }
    site.deliver(&report(
        "星河",
        "Mon, 30 Nov 2026 10:00:00 +0800",
        "left",
        Some("一般"),
    ));
    site.deliver(&mail(
        SUNLI,
        "投诉-星河项目沟通问题",
        "Tue, 1 Dec 2026 08:00:00 +0800",
        "complaint",
        "被投诉人: 张三\r\n情况说明: 客户反映回复不及时",
    ));
    site.deliver(&fault_order("Tue, 1 Dec 2026 08:30:00 +0800"));
    site.ok(&["process"]);
}

/// A query and what its reply must show: (table title, at least this many rows), and text.
struct Case {
    file: &'static str,
    from: &'static str,
    subject: &'static str,
    tables: &'static [(&'static str, usize)],
    shows: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        file: "help",
        from: SUNLI,
        subject: "帮助",
        tables: &[
            ("邮件格式", 5),
            ("线程命令（回复机器人的 [SB-n] 邮件，正文第一行写命令）", 5),
            ("查询（主题即查询，正文可空）", 8),
        ],
        shows: &["查询-知识库-审计日志 导出"],
    },
    Case {
        file: "project",
        from: ZHANGSAN,
        subject: "查询-星河项目",
        tables: &[
            ("跟踪记录（第十六条）", 20),
            ("未关闭的遗留问题（第十七条）", 1),
            ("故障处理工作单（第四十四条）", 1),
            ("投诉（第十三条）", 1),
        ],
        shows: &["第一售前：张三", "共 23 行"],
    },
    Case {
        file: "my-table",
        from: ZHANGSAN,
        subject: "查询-我的跟踪表",
        tables: &[("最近的跟踪记录", 20)],
        shows: &["例行巡检第 19 次"],
    },
    Case {
        file: "table-of",
        from: WANGFANG,
        subject: "查询-跟踪表-张三",
        tables: &[("最近的跟踪记录", 20)],
        shows: &["项目跟踪表：张三"],
    },
    Case {
        file: "complaints",
        from: WANGFANG,
        subject: "查询-投诉统计-2026-12",
        tables: &[("投诉统计", 1)],
        shows: &["张三"],
    },
    Case {
        file: "open-items",
        from: WANGFANG,
        subject: "查询-遗留问题",
        tables: &[("遗留问题", 1)],
        shows: &["客户要求导出审计日志为 Excel"],
    },
    Case {
        file: "todo-presales",
        from: ZHANGSAN,
        subject: "查询-待办",
        tables: &[("待办", 1)],
        shows: &["已解决"],
    },
    Case {
        file: "todo-manager",
        from: WANGFANG,
        subject: "查询-待办",
        tables: &[("待办", 1)],
        // The project as people name it (星河项目), as in every other table.
        shows: &["故障处理工作单", ">星河项目</td>", "同意"],
    },
    Case {
        file: "knowledge",
        from: SUNLI,
        subject: "查询-知识库-审计日志 导出",
        tables: &[("搜索结果", 1)],
        shows: &["<b>审计日志导出</b>"],
    },
    Case {
        file: "unknown-project",
        from: ZHANGSAN,
        subject: "查询-星和项目",
        tables: &[],
        shows: &["没有名为「星和项目」的项目", "查询-星河项目"],
    },
];

/// The HTML part of the one reply to `<id@test.example.com>` in the sent Maildir: a real
/// text/html part, not the plain text a client would wrap.
fn html_reply(site: &Site, id: &str) -> String {
    let want = format!("{id}@test.example.com");
    let found: Vec<String> = site
        .sent()
        .iter()
        .filter_map(|raw| {
            let m = MessageParser::default().parse(raw)?;
            if m.in_reply_to().as_text() != Some(want.as_str()) {
                return None;
            }
            let part = m.html_part(0)?;
            match &part.body {
                PartType::Html(html) => Some(html.to_string()),
                _ => Some(String::new()),
            }
        })
        .collect();
    assert_eq!(found.len(), 1, "exactly one reply to {id}");
    let html = found.into_iter().next().unwrap_or_default();
    assert!(!html.is_empty(), "the reply to {id} has an HTML part");
    html
}

/// The number of data rows of the table under `<h3>title</h3>` (0 for 「（无）」); `None` when
/// the page has no such heading.
fn rows_under(html: &str, title: &str) -> Option<usize> {
    let heading = format!(">{title}</h3>");
    let start = html.find(&heading)? + heading.len();
    let rest = &html[start..];
    let end = rest.find("<h3").unwrap_or(rest.len());
    let block = &rest[..end];
    Some(block.matches("<td").count() / block.matches("<th").count().max(1))
}

#[test]
fn every_query_reply_shows_its_rows_and_renders_legibly_in_chromium() {
    browser::require_chromium();
    let out = browser::output_dir("query-browser");
    let work = tempfile::tempdir().expect("temp dir");
    let site = Site::uncapped();
    story(&site);
    for (i, c) in CASES.iter().enumerate() {
        site.deliver(&mail(
            c.from,
            c.subject,
            "Tue, 1 Dec 2026 09:00:00 +0800",
            &format!("q{i}"),
            "",
        ));
    }
    site.ok(&["process"]);

    for (i, c) in CASES.iter().enumerate() {
        let html = html_reply(&site, &format!("q{i}"));
        for (title, at_least) in c.tables {
            let n = rows_under(&html, title)
                .unwrap_or_else(|| panic!("{}: no table 「{title}」 in {html}", c.subject));
            assert!(
                n >= *at_least,
                "{}: 「{title}」 has {n} rows, expected {at_least} or more",
                c.subject
            );
        }
        for s in c.shows {
            assert!(
                html.contains(s),
                "{}: 「{s}」 missing from {html}",
                c.subject
            );
        }
        let png = out.join(format!("{i:02}-{}.png", c.file));
        let shot = browser::screenshot(&html, &png, work.path(), 1400);
        // The title, a few lines and the footer at the least.
        shot.assert_not_blank(c.subject, 4_000);
        // Each table's header row (grey, #eaeef2) is on the page, not only in the HTML.
        let header = shot.near((0xea, 0xee, 0xf2));
        assert!(
            header >= 3_000 * c.tables.len(),
            "{}: {} tables but {header} header pixels, see {}",
            c.subject,
            c.tables.len(),
            png.display()
        );
    }
}
