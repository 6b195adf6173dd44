//! The knowledge-base benchmark (queries.md §2: `kb search` ≤ 50 ms at 1,000,000 entries): the
//! `kb` FTS5 table filled straight in SQLite with varied Chinese text, then `store::kb::search`
//! timed for a common word, a rare one, several words (AND), a word in no entry, 1–2-character
//! words alone (the LIKE path) and beside a long one, and a query by mail (`查询-知识库-…`)
//! handled by the engine. Run:
//! `cargo bench --bench kb`; size from `SUPPORTBOT_BENCH_KB` (default 1000000). Never a test:
//! it prints figures, it asserts nothing about time.

use chrono::{TimeZone, Utc};
use std::sync::Arc;
use std::time::{Duration, Instant};
use supportbot::config::Config;
use supportbot::engine::Engine;
use supportbot::store::kb;

const CONFIG: &str = include_str!("../config/default.toml");

/// `n` entries: every text names one of 11 problems, one of 7 actions and a project number, so a
/// word matches from a few percent to a tenth of the rows.
const FILL: &str = "
WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?1)
INSERT INTO kb (text, source, project, date, engineer, thread)
SELECT '客户' || (i % 997) || '号反馈' ||
       CASE i % 11 WHEN 0 THEN '审计日志无法导出' WHEN 1 THEN '数据库连接超时' WHEN 2 THEN '防火墙策略未放行'
                   WHEN 3 THEN '报表中文乱码' WHEN 4 THEN '证书过期' WHEN 5 THEN '备份任务失败'
                   WHEN 6 THEN '单点登录跳转错误' WHEN 7 THEN '磁盘空间不足' WHEN 8 THEN '告警邮件收不到'
                   WHEN 9 THEN '审批流程卡住' ELSE '性能下降' END ||
       '，' ||
       CASE i % 7 WHEN 0 THEN '已远程协助处理' WHEN 1 THEN '升级到最新版本后解决' WHEN 2 THEN '调整配置后恢复'
                  WHEN 3 THEN '提交研发定位' WHEN 4 THEN '现场重启服务' WHEN 5 THEN '导出日志给研发'
                  ELSE '客户确认关闭' END ||
       '。项目' || (i % 2000) || '号',
       CASE i % 3 WHEN 0 THEN 'report' WHEN 1 THEN 'open_item' ELSE 'fault_order' END,
       'p' || (i % 2000), strftime('%Y-%m-%dT%H:%M:%SZ', 1767225600 + i * 30, 'unixepoch'),
       CASE i % 3 WHEN 0 THEN '张三' WHEN 1 THEN '李四' ELSE '王五' END, i
FROM seq;
";

/// The median of `times`.
fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let n: i64 = std::env::var("SUPPORTBOT_BENCH_KB")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = Config::from_toml(CONFIG).expect("config");
    config.database_path = dir.path().join("bench.db");
    config.limits.replies_per_recipient_hour = u32::MAX;
    config.limits.replies_per_recipient_day = u32::MAX;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let engine = Engine::open(Arc::new(config)).await.expect("open");
        let t = Instant::now();
        let mut conn = engine.store.connection().await.expect("connection");
        sqlx::query(FILL)
            .bind(n)
            .execute(&mut *conn)
            .await
            .expect("fill");
        println!(
            "kb: {} entries filled in {:.1} s",
            kb::count(&mut conn).await.expect("count"),
            t.elapsed().as_secs_f64()
        );
        // Kinds of words: common (a tenth of the entries), rare (a few dozen), several (AND),
        // one in no entry, 1–2 characters alone (LIKE only) and beside a long one.
        let searches: [&[&str]; 9] = [
            &["审计日志"],
            &["客户996号反馈证书过期"],
            &["审计日志", "研发定位"],
            &["证书过期", "导出", "研发"],
            &["不存在的问题"],
            &["导出"],
            &["日"],
            &["证书过期", "导出"],
            &["不在"],
        ];
        for words in searches {
            let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
            let mut hits = 0;
            let mut times = Vec::new();
            for _ in 0..21 {
                let t = Instant::now();
                hits = kb::search(&mut conn, &words, 10)
                    .await
                    .expect("search")
                    .len();
                times.push(t.elapsed());
            }
            let d = median(times);
            println!(
                "kb search {:<28} {:>8.2} ms (median of 21, {hits} hits; target ≤ 50 ms)",
                words.join(" "),
                d.as_secs_f64() * 1e3
            );
        }
        drop(conn);
        let now = Utc
            .with_ymd_and_hms(2026, 12, 5, 0, 0, 0)
            .single()
            .expect("now");
        let mut times = Vec::new();
        for i in 0..21 {
            let raw = format!(
                "From: 张三 <zhangsan@example.com>\r\nTo: supportbot@example.com\r\n\
                 Subject: 查询-知识库-审计日志 研发定位\r\nDate: Tue, 1 Dec 2026 09:00:00 +0800\r\n\
                 Message-ID: <kb-bench-{i}@example.com>\r\n\r\n"
            );
            let t = Instant::now();
            engine.handle(raw.as_bytes(), now).await.expect("handled");
            times.push(t.elapsed());
        }
        let d = median(times);
        println!(
            "查询-知识库 by mail, handled   {:>8.2} ms (median of 21; target ≤ 100 ms)",
            d.as_secs_f64() * 1e3
        );
    });
}
