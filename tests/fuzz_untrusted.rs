//! Fuzzing what takes untrusted bytes (issue 12): MIME → fields, subjects,
//! `Authentication-Results` and thread commands, seeded from the golden corpus and the public
//! hostile samples in `../shared/corpora/mail-parser/` (read from there at test time, never
//! copied here), mutated by proptest. The property is the project's first rule: bad input never
//! panics, and what a reply would echo stays bounded. Each property runs a bounded number of
//! cases (a few seconds in CI); `PROPTEST_CASES` raises it for a longer local run.

mod common;

use proptest::prelude::*;
use std::path::Path;
use std::sync::OnceLock;
use supportbot::config::Config;
use supportbot::mail::Inbound;
use supportbot::mail::auth;
use supportbot::mail::outbound::{FIELD_ECHO_CHARS, SUBJECT_ECHO_CHARS, cut};
use supportbot::parse::{
    ParsedSubject, SubjectClass, first_line, parse_command, parse_fields, parse_subject,
    strip_quoted,
};
use supportbot::rules::{Facts, decide};

fn eml_files(dir: &Path) -> Vec<Vec<u8>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<_> = entries
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .filter_map(|p| std::fs::read(p).ok())
        .collect()
}

/// Every seed: the golden corpus, and the shared public samples when the checkout has them.
fn seeds() -> &'static [Vec<u8>] {
    static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let root = common::root();
        let mut all = eml_files(&root.join("tests/fixtures/golden"));
        assert!(all.len() > 50, "the golden corpus is there");
        let shared = root.join("../shared/corpora/mail-parser");
        for sub in ["malformed", "thirdparty"] {
            all.extend(eml_files(&shared.join(sub)));
        }
        all
    })
}

fn config() -> &'static Config {
    static CONFIG: OnceLock<Config> = OnceLock::new();
    CONFIG.get_or_init(|| {
        let mut c = common::config_in(Path::new("/nonexistent"));
        c.mailbox.trusted_authserv_id = Some("mx.example.com".into());
        c
    })
}

/// One mutation of a seed.
#[derive(Debug, Clone)]
enum Mutation {
    /// Cut the mail here.
    Truncate(prop::sample::Index),
    /// Overwrite a byte.
    Flip(prop::sample::Index, u8),
    /// Insert bytes (CR, LF, quotes, `;`, MIME boundaries…) here.
    Insert(prop::sample::Index, Vec<u8>),
    /// Repeat a slice of the mail (a header or boundary written many times).
    Repeat(prop::sample::Index, prop::sample::Index, u8),
    /// Splice in part of another seed.
    Splice(
        prop::sample::Index,
        prop::sample::Index,
        prop::sample::Index,
    ),
}

fn tricky_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"\r\n".to_vec()),
        Just(b"\n\n".to_vec()),
        Just(b"\r\n\r\n".to_vec()),
        Just(b"\"".to_vec()),
        Just(b";".to_vec()),
        Just(b"(".to_vec()),
        Just(b"\\".to_vec()),
        Just(b"=?UTF-8?B?".to_vec()),
        Just(b"=?GB2312?Q?=C4=E3".to_vec()),
        Just(b"--boundary\r\nContent-Type: multipart/mixed; boundary=\"".to_vec()),
        Just(b"Authentication-Results: mx.example.com; dmarc=pass\r\n".to_vec()),
        Just(b"Subject: [SB-99999999999999999999] Re: \xef\xbc\xbb".to_vec()),
        Just("客户沟通-项目-张三：".as_bytes().to_vec()),
        Just(vec![0xff, 0xfe, 0x00]),
        proptest::collection::vec(any::<u8>(), 0..32),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let i = any::<prop::sample::Index>;
    prop_oneof![
        i().prop_map(Mutation::Truncate),
        (i(), any::<u8>()).prop_map(|(a, b)| Mutation::Flip(a, b)),
        (i(), tricky_bytes()).prop_map(|(a, b)| Mutation::Insert(a, b)),
        (i(), i(), 1u8..50).prop_map(|(a, b, n)| Mutation::Repeat(a, b, n)),
        (i(), i(), i()).prop_map(|(a, b, c)| Mutation::Splice(a, b, c)),
    ]
}

fn mutate(mut raw: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    let all = seeds();
    for m in mutations {
        let at = |i: &prop::sample::Index, len: usize| i.index(len + 1);
        match m {
            Mutation::Truncate(i) => raw.truncate(at(i, raw.len())),
            Mutation::Flip(i, b) if !raw.is_empty() => {
                let k = i.index(raw.len());
                raw[k] = *b;
            }
            Mutation::Flip(..) => {}
            Mutation::Insert(i, bytes) => {
                let k = at(i, raw.len());
                raw.splice(k..k, bytes.iter().copied());
            }
            Mutation::Repeat(a, b, n) => {
                let (x, y) = (at(a, raw.len()), at(b, raw.len()));
                let (x, y) = (x.min(y), x.max(y).min(x.min(y) + 256));
                let piece = raw[x..y].to_vec();
                for _ in 0..*n {
                    raw.splice(y..y, piece.iter().copied());
                }
            }
            Mutation::Splice(s, a, b) => {
                let other = &all[s.index(all.len())];
                let (x, y) = (at(a, other.len()), at(b, other.len()));
                let k = at(a, raw.len());
                raw.splice(k..k, other[x.min(y)..x.max(y)].iter().copied());
            }
        }
    }
    raw
}

/// The whole path of untrusted bytes, with the LF-only form too (mail-parser's corpus habit).
fn read_everything(raw: &[u8]) {
    let config = config();
    for bytes in [raw.to_vec(), lf_only(raw)] {
        let mail = Inbound::parse(&bytes, common::now());
        let subject = parse_subject(&mail.subject);
        canonical(&subject);
        let fields = parse_fields(&mail.body, &config.fields);
        for (_, v) in fields.iter() {
            assert!(cut(v, FIELD_ECHO_CHARS).chars().count() <= FIELD_ECHO_CHARS);
        }
        let own = strip_quoted(&mail.body);
        if let Some(line) = first_line(&own) {
            let _ = parse_command(&line, config.rules.rd_hours_per_day);
        }
        let _ = auth::verdict(
            &auth::results_headers(&bytes),
            "mx.example.com",
            mail.from.as_deref(),
        );
        let d = decide(config, &mail, &subject, &Facts::default());
        for out in &d.outgoing {
            assert!(cut(&out.subject, SUBJECT_ECHO_CHARS).chars().count() <= SUBJECT_ECHO_CHARS);
        }
    }
}

fn canonical(s: &ParsedSubject) {
    if let SubjectClass::Workflow(w) = &s.class {
        let _ = w.canonical();
    }
}

fn lf_only(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    for (i, &b) in raw.iter().enumerate() {
        if !(b == b'\r' && raw.get(i + 1) == Some(&b'\n')) {
            out.push(b);
        }
    }
    out
}

/// 256 cases per property, or `PROPTEST_CASES`.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

#[test]
fn every_seed_as_it_is_reads_without_a_panic() {
    let shared = common::root().join("../shared/corpora/mail-parser/malformed");
    if shared.is_dir() {
        assert!(seeds().len() > eml_files(&common::root().join("tests/fixtures/golden")).len());
    }
    for raw in seeds() {
        read_everything(raw);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn a_mutated_real_mail_never_panics_from_mime_to_fields_commands_and_auth(
        pick in any::<prop::sample::Index>(),
        mutations in proptest::collection::vec(mutation(), 1..8),
    ) {
        let all = seeds();
        read_everything(&mutate(all[pick.index(all.len())].clone(), &mutations));
    }

    #[test]
    fn any_subject_text_never_panics(
        parts in proptest::collection::vec(
            prop_oneof![
                Just("客户沟通".to_string()), Just("立项".to_string()), Just("投诉".to_string()),
                Just("故障处理".to_string()), Just("-".to_string()), Just("－".to_string()),
                Just("Re: ".to_string()), Just("回复：".to_string()), Just("[SB-".to_string()),
                Just("]".to_string()), Just("【".to_string()), Just("项目".to_string()),
                Just("\u{200b}".to_string()), any::<String>(),
            ],
            0..12,
        ),
    ) {
        let raw: String = parts.concat();
        canonical(&parse_subject(&raw));
    }

    #[test]
    fn any_first_line_never_panics_as_a_thread_command(
        word in prop_oneof![
            Just("研发工时"), Just("驳回"), Just("分配"), Just("同意"), Just("撤销"), Just("已解决"),
        ],
        sep in prop_oneof![Just(":"), Just("："), Just(""), Just(" ")],
        arg in prop_oneof![
            "[0-9.eE+-]{0,24}(天|小时|h|d|人天)?",
            any::<String>(),
        ],
    ) {
        let _ = parse_command(&format!("{word}{sep}{arg}"), 8.0);
        let _ = parse_command(&arg, 8.0);
    }

    #[test]
    fn any_authentication_results_value_in_a_real_header_block_never_panics(
        pick in any::<prop::sample::Index>(),
        value in prop_oneof![
            any::<String>(),
            "[ -~]{0,200}",
            "mx\\.example\\.com;[ a-z=\";().@\\\\/0-9]{0,120}",
        ],
        lf in any::<bool>(),
    ) {
        let all = seeds();
        let nl = if lf { "\n" } else { "\r\n" };
        let mut raw = format!("Authentication-Results: {value}{nl}").into_bytes();
        raw.extend_from_slice(&all[pick.index(all.len())]);
        let headers = auth::results_headers(&raw);
        let _ = auth::verdict(&headers, "mx.example.com", Some("zhangsan@example.com"));
    }
}
