//! What the golden corpus's client-shape mails (81-…) leave in the 项目跟踪表, beyond their
//! outcome: values are stored unwrapped (format=flowed), as the sender wrote them (Traditional
//! Chinese), read from every inline text part (Apple Mail), and `report tracking --format json`
//! names the project by its key, as `report messages` does (issue 10, points 3, 4, 5, 7).

mod common;

use serde_json::Value;
use supportbot::engine::Handled;
use supportbot::report;

/// The golden corpus handled in order; `report tracking` rows as `--format json` prints them.
async fn tracking_after_corpus() -> Vec<Value> {
    let (bot, _dir) = common::spawn_bot().await;
    let dir = common::root().join("tests/fixtures/golden");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("golden folder")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".eml"))
        .collect();
    let number = |n: &str| -> u32 {
        n.split('-')
            .next()
            .and_then(|x| x.parse().ok())
            .unwrap_or(u32::MAX)
    };
    names.sort_by_key(|n| (number(n), n.clone()));
    for name in names {
        let raw = std::fs::read(dir.join(&name)).expect("read eml");
        let handled = bot
            .handle(&raw, common::now())
            .await
            .expect("a mail never fails the engine");
        assert!(
            matches!(handled, Handled::Recorded { .. }) || name.starts_with("78-"),
            "{name} recorded"
        );
    }
    let mut conn = bot.store.connection().await.expect("reader");
    let rows = report::tracking(&mut conn, None).await.expect("tracking");
    match serde_json::to_value(&rows).expect("json") {
        Value::Array(rows) => rows,
        other => panic!("tracking JSON is an array: {other}"),
    }
}

/// The tracking row of the report whose Message-ID contains `id` (Null when there is none).
fn row(rows: &[Value], id: &str) -> Value {
    rows.iter()
        .find(|r| r["message_id"].as_str().is_some_and(|m| m.contains(id)))
        .cloned()
        .unwrap_or(Value::Null)
}

/// Asserts each `(what, got, want)`; lists every mismatch.
fn check(checks: &[(&str, &Value, &str)]) {
    let failures: Vec<String> = checks
        .iter()
        .filter(|(_, got, want)| got.as_str() != Some(want))
        .map(|(what, got, want)| format!("{what}: expected {want:?}, got {got}"))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn a_format_flowed_value_is_stored_unwrapped() {
    let rows = tracking_after_corpus().await;
    // 88, Thunderbird format=flowed; delsp=yes: soft breaks between CJK characters are removed.
    let delsp = row(&rows, "5d7f1c2e-3b4a-4c6d-8e9f-0a1b2c3d4e5f@example.com");
    // 100, Thunderbird format=flowed without DelSp: the space before a soft break stays.
    let plain = row(&rows, "0c8e4a6b-1d2f-4e3a-9b5c-7d6e5f4a3b2c@example.com");
    check(&[
        (
            "88 (delsp=yes)",
            &delsp["content"],
            "演示运维工单审批流程，客户确认工单模板字段和两级审批节点，审批人按部门自动带出",
        ),
        (
            "100 (delsp=no)",
            &plain["content"],
            "东方防火墙策略已按客户要求放行审计代理端口 8443 和 9092，代理心跳恢复正常，补采了 12 月 2 日的日志，共 4 个 GB",
        ),
    ]);
}

#[tokio::test]
async fn a_traditional_chinese_report_is_read_and_stored_as_the_sender_wrote_it() {
    let rows = tracking_after_corpus().await;
    // 91, Outlook zh-TW Big5: matched after conversion, stored as written, keyed in Simplified.
    let traditional = row(&rows, "TY0PR03MB6356C1D2E3F4A5B6C7D8E9F0A1B2C3D4@");
    check(&[
        (
            "91 content",
            &traditional["content"],
            "協助客戶設定堡壘機密碼原則，長度 12 碼並每 90 天強制變更，已套用到 312 個帳號",
        ),
        ("91 project key", &traditional["project"], "天河"),
        ("91 owner (第一售前)", &traditional["owner"], "张三"),
    ]);
}

#[tokio::test]
async fn fields_in_the_text_part_after_an_inline_picture_are_read() {
    let rows = tracking_after_corpus().await;
    // 93, Apple Mail text / image / text: 沟通的具体问题 is only in the part after the picture.
    let split = row(&rows, "0E4B7C29-5D1F-4A83-9B6E-2F7C8D9E0A1B@example.com");
    check(&[(
        "93 content",
        &split["content"],
        "截图里的审计报表乱码是导出模板字体缺失，已替换为思源黑体并重新生成 11 月月报",
    )]);
}

#[tokio::test]
async fn report_tracking_json_gives_the_project_key_as_report_messages_does() {
    let rows = tracking_after_corpus().await;
    // 83, QQ Mail report on 天河项目.
    let plain = row(&rows, "tencent_8C3F2B1A0D9E8F7A6B5C4D3E2F1A0B9C8D07@qq.com");
    check(&[("83 project", &plain["project"], "天河")]);
    if !plain["project_name"].is_null() {
        check(&[("83 project_name", &plain["project_name"], "天河项目")]);
    }
}
