//! The hot pieces of handling one mail, each alone: subject parse, body parse, reading the
//! mail's bytes, and the rules' decision. Run: `cargo bench --bench parsing`.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use supportbot::config::Config;
use supportbot::mail::Inbound;
use supportbot::parse::{ProjectKey, parse_fields, parse_subject};
use supportbot::rules::{Facts, Project, decide};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/golden/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture")
}

fn benches(c: &mut Criterion) {
    let config = Config::from_toml(include_str!("../config/default.toml")).expect("config");
    let now = chrono::Utc::now();
    let raw = fixture("25-report-numbered-fullwidth.eml");
    let mail = Inbound::parse(&raw, now);
    let subject = "RE: 转发： Fw: [EXTERNAL] 回复：Re[2]: 客户沟通——星河项目——张三";

    c.bench_function("subject_parse", |b| {
        b.iter(|| parse_subject(black_box(subject)))
    });
    c.bench_function("body_parse", |b| {
        b.iter(|| parse_fields(black_box(&mail.body), &config.fields))
    });
    c.bench_function("inbound_read", |b| {
        b.iter(|| Inbound::parse(black_box(&raw), now))
    });

    let key = ProjectKey::new("星河").expect("key");
    let facts = Facts {
        project: Some(Project {
            key,
            name: "星河项目".into(),
            initiated: true,
            responsible_sales: Some("孙丽".into()),
            first_presales: Some("张三".into()),
            second_presales: Some("李四".into()),
        }),
        ..Facts::default()
    };
    let parsed = parse_subject(&mail.subject);
    c.bench_function("rule_decide_report", |b| {
        b.iter(|| decide(&config, black_box(&mail), &parsed, &facts))
    });
}

criterion_group!(parsing, benches);
criterion_main!(parsing);
