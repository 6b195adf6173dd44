//! What each digest holds (workflow.md §4), read from the store inside the tick's transaction:
//! the dispatch, the monthly and the personal digests.

use super::activity::{activity, open_item_table, open_items_shown, start_of, trend};
use super::{Digest, Table, xlsx};
use crate::config::Config;
use crate::directory::Role;
use crate::mail::outbound::Attachment;
use crate::mail::{Outgoing, OutgoingKind};
use crate::report;
use crate::schedule::occurrences::{Occurrence, What};
use crate::store::schedule as store;
use crate::store::tracking;
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

/// Builds the mail of a due digest or warning; `None` when it has nobody to go to.
pub async fn build(
    config: &Config,
    conn: &mut SqliteConnection,
    o: &Occurrence,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<Prepared>> {
    let addresses = |r: Role| -> Vec<String> {
        config
            .directory
            .with_role(r)
            .map(|p| p.address().to_string())
            .collect()
    };
    let (kind, to, digest, attachments) = match &o.what {
        What::CalendarWarning(year) => {
            let mail = calendar_warning_mail(config, *year);
            let has_to = !mail.to.is_empty();
            return Ok(has_to.then_some(Prepared {
                mail,
                html: None,
                attachments: Vec::new(),
            }));
        }
        What::Daily => {
            let mut d = activity(config, conn, o, now, "日报").await?;
            d.tables
                .push(satisfaction_attention(config, conn, o).await?);
            d.tables.push(nudges_sent(config, conn, o).await?);
            (
                OutgoingKind::DailyDigest,
                addresses(Role::PresalesManager),
                d,
                vec![],
            )
        }
        What::Weekly => {
            let mut d = activity(config, conn, o, now, "周报").await?;
            d.tables.insert(0, trend(config, conn, o).await?);
            (
                OutgoingKind::WeeklyDigest,
                addresses(Role::TechDirector),
                d,
                vec![],
            )
        }
        What::Monthly => {
            // A month that ended before the bot's first mail has nothing to report (workflow.md §4).
            let first = store::first_mail_at(conn).await?;
            if first.is_none_or(|f| f >= start_of(config, o.to)) {
                return Ok(None);
            }
            let (mut d, book, chart, chart_html) = monthly(config, conn, o).await?;
            let mut to = addresses(Role::PresalesManager);
            to.extend(addresses(Role::TechDirector));
            if to.is_empty() {
                return Ok(None);
            }
            let html = d.html();
            d.intro += "（月度回顾图表见邮件的 HTML 版本）";
            let mail = Outgoing {
                kind: OutgoingKind::MonthlyDigest,
                to,
                cc: Vec::new(),
                subject: d.title.clone(),
                body: d.text(),
            };
            // The chart goes before the first table; its PNG rides inline (cid:).
            let html = html.replacen("<h3 ", &format!("{chart_html}<h3 "), 1);
            return Ok(Some(Prepared {
                mail,
                html: Some(html),
                attachments: vec![chart, book],
            }));
        }
        What::Personal(name) => {
            let d = personal(config, conn, name, now, super::LISTED_ROWS).await?;
            let to: Vec<String> = config
                .directory
                .by_name(name)
                .map(|p| p.address().to_string())
                .into_iter()
                .collect();
            (OutgoingKind::PersonalDigest, to, d, vec![])
        }
    };
    if to.is_empty() {
        return Ok(None);
    }
    let mail = Outgoing {
        kind,
        to,
        cc: Vec::new(),
        subject: digest.title.clone(),
        body: digest.text(),
    };
    Ok(Some(Prepared {
        mail,
        html: Some(digest.html()),
        attachments,
    }))
}

/// 第十四条 tally of the month before and every presales' 项目跟踪表 (第十六条) as .xlsx.
async fn monthly(
    config: &Config,
    conn: &mut SqliteConnection,
    o: &Occurrence,
) -> anyhow::Result<(Digest, Attachment, Attachment, String)> {
    let review = super::review::review(config, conn, o.from).await?;
    let month = o.from.format("%Y-%m").to_string();
    let month_cn = crate::rules::text::month_cn(&month);
    let lines = report::tally(config, conn, &month).await?;
    // The month's rows: the whole table (`report tracking`) grows without end, and as an
    // attachment it would pass mail servers' size limits within a year or two.
    let (from, to) = (start_of(config, o.from), start_of(config, o.to));
    let rows = tracking::tracking_between(conn, from, to).await?;
    let owners = xlsx::owners(
        config
            .directory
            .with_role(Role::Presales)
            .map(|p| p.name.clone()),
        &rows,
    );
    let book = xlsx::workbook_with_summary(&owners, &rows, config.timezone, &review.tables)?;
    let tally_rows = crate::report::tally_cells(&lines);
    let table_rows = owners
        .iter()
        .map(|n| {
            vec![
                n.clone(),
                rows.iter().filter(|r| &r.owner == n).count().to_string(),
            ]
        })
        .collect();
    let digest = Digest {
        title: format!("技术支持月报：{month_cn}"),
        intro: format!(
            "{month_cn}的投诉统计（第十四条：每月每收到2次投诉，当月绩效工资扣发1级；累计每收到4次，绩效工资永久降1级），及各售前当月的项目跟踪表记录（第十六条，见附件，每人一页）。"
        ),
        figures: vec![
            (
                "当月投诉".into(),
                lines.iter().map(|l| l.month_count).sum::<i64>().to_string(),
            ),
            (
                "当月扣发级数合计".into(),
                lines
                    .iter()
                    .map(|l| l.levels_docked)
                    .sum::<i64>()
                    .to_string(),
            ),
            ("当月项目跟踪表记录".into(), rows.len().to_string()),
        ],
        tables: vec![
            Table::new("投诉统计", &crate::report::TALLY_COLUMNS, tally_rows),
            Table::new(
                "当月项目跟踪表（附件中每人一页）",
                &["第一售前", "记录数"],
                table_rows,
            ),
        ],
    };
    let mut digest = digest;
    digest
        .tables
        .push(satisfaction_month(conn, from, to).await?);
    digest.tables.splice(0..0, review.tables);
    let attachment = Attachment {
        filename: format!("项目跟踪表-{month_cn}.xlsx"),
        content_type: xlsx::CONTENT_TYPE.into(),
        content: book,
    };
    let chart = Attachment {
        filename: super::chart::FILENAME.into(),
        content_type: "image/png".into(),
        content: review.chart,
    };
    Ok((digest, chart, attachment, review.chart_html))
}

/// Each presales, weekly: their own tracking table (the newest `shown` rows, [`super::LISTED_ROWS`])
/// and open items (as many, the overdue first).
async fn personal(
    config: &Config,
    conn: &mut SqliteConnection,
    name: &str,
    now: DateTime<Utc>,
    shown: i64,
) -> anyhow::Result<Digest> {
    let total = tracking::count_of(conn, name).await?;
    let rows = crate::store::query_data::tracking_latest(conn, name, shown).await?;
    let open = store::open_item_counts(conn, Some(name), now).await?;
    let items = store::open_items_overdue_first(conn, Some(name), now, shown).await?;
    let table = rows
        .iter()
        .map(|r| {
            Ok(vec![
                r.project_name.clone(),
                crate::rules::text::datetime_cn(crate::store::parse_ts(&r.date)?, config.timezone),
                r.engineer.clone(),
                r.result.clone(),
                r.content.clone(),
            ])
        })
        .collect::<anyhow::Result<_>>()?;
    let mut intro = format!(
        "截至{}：您作为第一售前的项目跟踪表（第十六条）和您负责的未关闭遗留问题（第十七条）。",
        crate::rules::text::datetime_cn(now, config.timezone)
    );
    if total > rows.len() as i64 {
        intro += &format!(
            "跟踪表共 {} 行，下表是最近的 {} 行；完整的项目跟踪表请系统管理员导出（report tracking）。",
            super::grouped(&total.to_string()),
            rows.len()
        );
    }
    intro += &open_items_shown(open, items.len());
    Ok(Digest {
        title: format!(
            "{name}的项目跟踪表与遗留问题（截至{}）",
            crate::rules::text::date_cn(now.with_timezone(&config.timezone).date_naive())
        ),
        intro,
        figures: vec![
            ("跟踪表记录".into(), total.to_string()),
            ("未关闭的遗留问题".into(), open.open.to_string()),
        ],
        tables: vec![
            Table::new(
                "项目跟踪表",
                &["项目", "日期", "技服人员", "结果", "沟通的具体问题"],
                table,
            ),
            open_item_table(config, &items, now),
        ],
    })
}

/// The daily digest's 满意度回访 table: 不满意 answered yesterday, and requests unanswered after
/// their reminder (workflow.md "Satisfaction follow-up").
async fn satisfaction_attention(
    config: &Config,
    conn: &mut SqliteConnection,
    o: &Occurrence,
) -> anyhow::Result<Table> {
    let (from, to) = (start_of(config, o.from), start_of(config, o.to));
    let rows = crate::store::satisfaction::attention(conn, from, to)
        .await?
        .into_iter()
        .map(|a| {
            let (what, note) = match a.dissatisfied_note {
                Some(note) => ("客户不满意", crate::store::cell_or_blank(note)),
                None => ("提醒后仍未回复", String::new()),
            };
            vec![
                what.to_string(),
                crate::rules::text::project_name(&a.project),
                format!("#{}", a.thread),
                a.owner,
                a.description,
                config
                    .calendar
                    .date_of(a.at)
                    .format("%Y年%-m月%-d日")
                    .to_string(),
                note,
            ]
        })
        .collect();
    Ok(Table::new(
        "满意度回访：客户不满意与超期未回复",
        &[
            "情况",
            "项目",
            "问题",
            "负责人",
            "问题内容",
            "日期",
            "客户意见",
        ],
        rows,
    ))
}

/// The monthly digest's 客户满意度考核 figures per presales.
async fn satisfaction_month(
    conn: &mut SqliteConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> anyhow::Result<Table> {
    let rows = crate::store::satisfaction::month(conn, from, to)
        .await?
        .iter()
        .map(|l| l.cells())
        .collect();
    Ok(Table::new(
        "满意度回访（客户满意度考核）",
        &crate::store::satisfaction::COLUMNS,
        rows,
    ))
}

/// A mail ready to queue under a due event.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Kind, recipients, subject, plain text.
    pub mail: Outgoing,
    /// HTML alternative.
    pub html: Option<String>,
    /// Attached files.
    pub attachments: Vec<Attachment>,
}

/// The admins' weekly warning that the calendar lacks `year` (workflow.md §1 `admin`).
pub fn calendar_warning_mail(config: &Config, year: i32) -> Outgoing {
    Outgoing {
        kind: OutgoingKind::CalendarWarning,
        to: config
            .directory
            .with_role(Role::Admin)
            .map(|p| p.address().to_string())
            .collect(),
        cc: Vec::new(),
        subject: format!("工作日历缺少 {year} 年的节假日安排"),
        body: format!(
            "工作日历没有 {year} 年的节假日和调休安排，{year} 年的时限将只按周一至周五计算。\n\
             国务院办公厅发布通知后，请按 docs/schedules.md 添加 config/calendar/cn-{year}.toml，\n\
             并把它加入配置的 [calendar] files。补齐之前每周提醒一次。\n"
        ),
    }
}

/// The daily digest's list of the nudges queued in its period (queries.md §3: managers see
/// them).
async fn nudges_sent(
    config: &Config,
    conn: &mut SqliteConnection,
    o: &Occurrence,
) -> anyhow::Result<Table> {
    let (from, to) = (start_of(config, o.from), start_of(config, o.to));
    let rows = crate::store::nudges::queued_between(conn, from, to)
        .await?
        .into_iter()
        .map(|n| {
            let to: Vec<String> =
                n.to.iter()
                    .map(|a| {
                        config
                            .directory
                            .by_email(a)
                            .map_or_else(|| a.clone(), |p| p.name.clone())
                    })
                    .collect();
            vec![
                crate::rules::text::datetime_cn(n.queued_at, config.timezone),
                match n.kind.as_str() {
                    "approval_nudge" => "待审批提醒",
                    _ => "报告提醒",
                }
                .to_string(),
                to.join("、"),
                n.subject,
            ]
        })
        .collect();
    Ok(Table::new(
        "提前提醒（违反制度之前发出）",
        &["时间", "类型", "发给", "标题"],
        rows,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    /// 张三's table of three reports on 星河, a day apart.
    async fn three_reports() -> (tempfile::TempDir, crate::store::Store) {
        let dir = tempfile::tempdir().expect("dir");
        let store = crate::store::Store::open(&dir.path().join("t.db"))
            .await
            .expect("open");
        let mut conn = store.connection().await.expect("connection");
        crate::store::testkit::initiation(&mut conn, 10, "2026-11-01T01:00:00Z").await;
        sqlx::query(
            "INSERT INTO projects (key, name, status, first_presales, created_at, message)
             VALUES ('星河', '星河项目', 'initiated', '张三', '2026-11-01T01:00:00Z', 10)",
        )
        .execute(&mut *conn)
        .await
        .expect("project");
        // Each report leaves an item of 张三's: on 9 November, the first is past its resolution
        // deadline, the second past its response deadline but followed up by the third report,
        // the third past its response deadline with nothing after it.
        for (id, content, at, response_due, resolution_due) in [
            (
                1,
                "第一次",
                "2026-11-02T01:00:00Z",
                "2026-11-03T01:00:00Z",
                "2026-11-05T01:00:00Z",
            ),
            (
                2,
                "第二次",
                "2026-11-03T01:00:00Z",
                "2026-11-04T01:00:00Z",
                "2026-12-31T01:00:00Z",
            ),
            (
                3,
                "第三次",
                "2026-11-04T01:00:00Z",
                "2026-11-05T01:00:00Z",
                "2026-12-31T01:00:00Z",
            ),
        ] {
            let report = crate::store::testkit::Report {
                id,
                at,
                engineer: "李四",
                content,
                ..Default::default()
            };
            crate::store::testkit::report(&mut conn, report).await;
            sqlx::query(
                "INSERT INTO open_items (report, thread, project, engineer, description, priority,
                                         opened_at, response_due, resolution_due)
                 VALUES (?1, ?1, '星河', '张三', '问题' || ?1, '一般', ?2, ?3, ?4)",
            )
            .bind(id)
            .bind(at)
            .bind(response_due)
            .bind(resolution_due)
            .execute(&mut *conn)
            .await
            .expect("open item");
        }
        drop(conn);
        (dir, store)
    }

    #[tokio::test]
    async fn a_personal_digest_shows_the_newest_rows_and_says_how_many_the_table_has() {
        let (_dir, store) = three_reports().await;
        let mut conn = store.connection().await.expect("connection");
        let config = Config::from_toml(include_str!("../../config/default.toml")).expect("config");
        let now = Utc.with_ymd_and_hms(2026, 11, 9, 1, 30, 0).unwrap();
        let d = personal(&config, &mut conn, "张三", now, 2)
            .await
            .expect("digest");
        assert_eq!(d.figures[0], ("跟踪表记录".to_string(), "3".to_string()));
        assert!(
            d.intro.contains("跟踪表共 3 行，下表是最近的 2 行"),
            "{}",
            d.intro
        );
        let text = d.text();
        assert!(text.contains("第二次") && text.contains("第三次"), "{text}");
        assert!(!text.contains("第一次"), "{text}");
        assert!(
            text.find("第二次") < text.find("第三次"),
            "in report order: {text}"
        );
        assert_eq!(
            d.figures[1],
            ("未关闭的遗留问题".to_string(), "3".to_string())
        );
        assert!(
            d.intro
                .contains("未关闭的遗留问题共 3 个，其中超时 2 个；下表列出 2 个，超时的在前"),
            "{}",
            d.intro
        );
        // The two overdue, oldest first; the one followed up in time is left out.
        assert!(text.contains("问题1") && text.contains("问题3"), "{text}");
        assert!(text.find("问题1") < text.find("问题3"), "{text}");
        assert!(!text.contains("问题2"), "{text}");
        // All of it fits: nothing is said about the rest.
        let d = personal(&config, &mut conn, "张三", now, 3)
            .await
            .expect("digest");
        assert!(!d.intro.contains("共"), "{}", d.intro);
        let text = d.text();
        assert!(text.contains("第一次"));
        // Overdue first, then the one within its deadlines.
        assert!(
            text.find("问题1") < text.find("问题3") && text.find("问题3") < text.find("问题2"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn the_overdue_counted_and_listed_in_sql_are_the_items_past_a_deadline_in_rust() {
        let (_dir, store) = three_reports().await;
        let mut conn = store.connection().await.expect("connection");
        for (day, hour) in [
            (2, 12),
            (3, 12),
            (4, 2),
            (4, 12),
            (5, 0),
            (5, 1),
            (5, 2),
            (9, 1),
            (40, 0),
        ] {
            let now = Utc.with_ymd_and_hms(2026, 11, 1, hour, 0, 0).unwrap()
                + chrono::Duration::days(day - 1);
            // All three fit in a list of 10: the list is every open item.
            let all = store::open_items_overdue_first(&mut conn, None, now, 10)
                .await
                .expect("all");
            assert_eq!(all.len(), 3);
            let late = all.iter().filter(|i| i.overdue(now)).count() as i64;
            for engineer in [None, Some("张三"), Some("李四")] {
                let counts = store::open_item_counts(&mut conn, engineer, now)
                    .await
                    .expect("counts");
                let mine = |i: &&store::OpenItemRow| engineer.is_none_or(|e| i.engineer == e);
                assert_eq!(counts.open, all.iter().filter(mine).count() as i64);
                assert_eq!(
                    counts.overdue,
                    all.iter().filter(mine).filter(|i| i.overdue(now)).count() as i64,
                    "at {now}"
                );
            }
            let listed = all;
            let flags: Vec<bool> = listed.iter().map(|i| i.overdue(now)).collect();
            assert!(
                flags.iter().take(late as usize).all(|&o| o),
                "at {now}: {flags:?}"
            );
            assert!(
                flags.iter().skip(late as usize).all(|&o| !o),
                "at {now}: {flags:?}"
            );
            for part in [&listed[..late as usize], &listed[late as usize..]] {
                assert!(part.windows(2).all(|w| w[0].opened_at <= w[1].opened_at));
            }
        }
    }
}
