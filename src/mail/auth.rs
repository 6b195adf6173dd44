//! Sender authenticity (RFC 8601 `Authentication-Results`): whether the department's own
//! receiving server vouched for the From domain. Pure functions over the raw header block.
//!
//! Only the topmost `Authentication-Results` carrying the trusted authserv-id counts: the sender
//! can write any header it likes below it, and headers of other servers say nothing we trust.
//! The value is lexed per RFC 8601 §2.2: quoted strings and comments (nested, with quoted
//! pairs) may hold `;` and `=` and never split a result; the header block ends at the first
//! empty line, whether lines end in CRLF or LF, so nothing in a body is ever read as a header.

/// Whether a mail may be acted on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The trusted server saw an aligned `dmarc=pass` or `dkim=pass` for the From domain.
    Pass(&'static str),
    /// It did not, and why (for the log; the recorded reason is `unauthenticated`).
    Fail(String),
}

/// Every `Authentication-Results` value in the header block, topmost first, unfolded.
pub fn results_headers(raw: &[u8]) -> Vec<String> {
    let head = String::from_utf8_lossy(header_block(raw));
    let mut fields: Vec<String> = Vec::new();
    for line in head.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.starts_with([' ', '\t']) {
            if let Some(last) = fields.last_mut() {
                last.push(' ');
                last.push_str(line.trim());
            }
        } else {
            fields.push(line.trim_end().to_string());
        }
    }
    fields
        .into_iter()
        .filter_map(|f| {
            let (name, value) = f.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("Authentication-Results")
                .then(|| value.trim().to_string())
        })
        .collect()
}

/// The bytes before the first empty line (`\n\n`, `\r\n\r\n`, or a mix of both).
fn header_block(raw: &[u8]) -> &[u8] {
    let mut start = 0;
    while start < raw.len() {
        let end = raw[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(raw.len(), |p| start + p);
        let line = &raw[start..end];
        if line.is_empty() || line == b"\r" {
            return &raw[..start];
        }
        start = end + 1;
    }
    raw
}

/// One lexical item of an `Authentication-Results` value, comments and whitespace dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Lexeme {
    /// A run of token characters and quoted strings (quotes removed, quoted pairs resolved),
    /// such as `dkim/1`, `example.com` or `"x;y"@evil.example`.
    Word(String),
    /// `=`
    Equals,
    /// `;`
    Semicolon,
}

/// Lexes a value per RFC 8601 §2.2 (CFWS of RFC 5322): `;` and `=` inside a quoted string or
/// a comment are text; an unterminated quote or comment runs to the end of the value.
fn lex(s: &str) -> Vec<Lexeme> {
    let mut out = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = s.chars();
    let flush = |word: &mut Option<String>, out: &mut Vec<Lexeme>| {
        if let Some(w) = word.take() {
            out.push(Lexeme::Word(w));
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                let w = word.get_or_insert_with(String::new);
                while let Some(q) = chars.next() {
                    match q {
                        '"' => break,
                        '\\' => w.extend(chars.next()),
                        q => w.push(q),
                    }
                }
            }
            '(' => {
                flush(&mut word, &mut out);
                let mut depth = 1usize;
                while depth > 0 {
                    match chars.next() {
                        None => break,
                        Some('\\') => {
                            chars.next();
                        }
                        Some('(') => depth += 1,
                        Some(')') => depth -= 1,
                        Some(_) => {}
                    }
                }
            }
            ';' => {
                flush(&mut word, &mut out);
                out.push(Lexeme::Semicolon);
            }
            '=' => {
                flush(&mut word, &mut out);
                out.push(Lexeme::Equals);
            }
            c if c.is_whitespace() => flush(&mut word, &mut out),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    flush(&mut word, &mut out);
    out
}

/// One parsed `Authentication-Results` value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Results {
    /// The authserv-id: the server that wrote the header.
    authserv_id: String,
    /// Each resinfo: `method=result` and its `ptype.property=value` pairs.
    resinfo: Vec<ResInfo>,
}

/// One `method=result` with its properties (`reason` among them).
#[derive(Debug, Clone, PartialEq, Eq)]
struct ResInfo {
    /// The method without its version (`dkim/1` → `dkim`), lowercase.
    method: String,
    /// The result, lowercase (`pass`, `fail`, …).
    result: String,
    /// `(name, value)` pairs in order, names lowercase (`header.from`, `reason`).
    props: Vec<(String, String)>,
}

impl ResInfo {
    fn prop(&self, name: &str) -> Option<String> {
        self.props
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.to_lowercase())
    }
}

/// Parses a value: `authserv-id [version] *( ";" resinfo )`, best effort, never panics.
/// A resinfo that is not `method=result …` is skipped (it can vouch for nothing).
fn parse(value: &str) -> Results {
    let lexemes = lex(value);
    let mut groups = lexemes.split(|l| *l == Lexeme::Semicolon);
    let authserv_id = groups
        .next()
        .and_then(|g| match g.first() {
            Some(Lexeme::Word(w)) => Some(w.clone()),
            _ => None,
        })
        .unwrap_or_default();
    let resinfo = groups.filter_map(parse_resinfo).collect();
    Results {
        authserv_id,
        resinfo,
    }
}

fn parse_resinfo(group: &[Lexeme]) -> Option<ResInfo> {
    let mut pairs = Vec::new();
    let mut i = 0;
    while i < group.len() {
        match (group.get(i), group.get(i + 1), group.get(i + 2)) {
            (Some(Lexeme::Word(k)), Some(Lexeme::Equals), Some(Lexeme::Word(v))) => {
                pairs.push((k.to_ascii_lowercase(), v.clone()));
                i += 3;
            }
            _ => i += 1,
        }
    }
    let mut pairs = pairs.into_iter();
    let (method, result) = pairs.next()?;
    // The first pair must open the group: `x y dmarc=pass` is not a dmarc result.
    if !matches!(group.first(), Some(Lexeme::Word(w)) if w.eq_ignore_ascii_case(&method)) {
        return None;
    }
    let method = method.split('/').next().unwrap_or_default().to_string();
    Some(ResInfo {
        method,
        result: result.to_ascii_lowercase(),
        props: pairs.collect(),
    })
}

/// The verdict of `trusted` (an authserv-id) on a mail from `from` (an address).
pub fn verdict(results: &[String], trusted: &str, from: Option<&str>) -> Verdict {
    let Some(domain) = from
        .and_then(|f| f.rsplit_once('@'))
        .map(|(_, d)| d.to_lowercase())
    else {
        return Verdict::Fail("no From address".into());
    };
    let Some(header) = results
        .iter()
        .map(|h| parse(h))
        .find(|r| r.authserv_id.eq_ignore_ascii_case(trusted))
    else {
        return Verdict::Fail(format!("no Authentication-Results from {trusted}"));
    };
    for info in header.resinfo.iter().filter(|i| i.result == "pass") {
        match info.method.as_str() {
            "dmarc" if info.prop("header.from").is_none_or(|d| d == domain) => {
                return Verdict::Pass("dmarc");
            }
            "dkim" => {
                let signer = info.prop("header.d").or_else(|| {
                    info.prop("header.i")
                        .map(|i| i.rsplit('@').next().unwrap_or_default().to_string())
                });
                if signer.is_some_and(|d| aligned(&domain, &d)) {
                    return Verdict::Pass("dkim");
                }
            }
            _ => {}
        }
    }
    Verdict::Fail(format!(
        "{trusted} saw no aligned dmarc or dkim pass for {domain}"
    ))
}

/// Relaxed alignment: the signer is the From domain or a parent of it.
fn aligned(from_domain: &str, signer: &str) -> bool {
    let signer = signer.trim_start_matches('.');
    !signer.is_empty()
        && (from_domain == signer || from_domain.ends_with(&format!(".{signer}")))
        && signer.contains('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    const MX: &str = "mx.example.com";

    fn mail(headers: &[&str]) -> Vec<u8> {
        let mut raw = headers.join("\r\n");
        raw.push_str("\r\nFrom: 张三 <zhangsan@example.com>\r\nSubject: x\r\n\r\nbody\r\n");
        raw.push_str("Authentication-Results: mx.example.com; dmarc=pass\r\n");
        raw.into_bytes()
    }

    fn judge(headers: &[&str]) -> Verdict {
        verdict(
            &results_headers(&mail(headers)),
            MX,
            Some("zhangsan@example.com"),
        )
    }

    #[test]
    fn aligned_dmarc_pass_from_the_trusted_server_passes() {
        let v = judge(&[
            "Authentication-Results: mx.example.com;\r\n dkim=none;\r\n dmarc=pass (p=reject) header.from=example.com",
        ]);
        assert_eq!(v, Verdict::Pass("dmarc"));
    }

    #[test]
    fn dkim_pass_for_the_from_domain_passes_and_for_another_domain_does_not() {
        let ok = judge(&[
            "Authentication-Results: mx.example.com 1; dkim=pass header.d=example.com header.s=sel; dmarc=none",
        ]);
        assert_eq!(ok, Verdict::Pass("dkim"));
        let other = judge(&[
            "Authentication-Results: mx.example.com; dkim=pass header.d=evil.test; dmarc=fail header.from=example.com",
        ]);
        assert!(matches!(other, Verdict::Fail(_)));
    }

    #[test]
    fn a_pass_written_below_the_trusted_header_is_not_trusted() {
        let v = judge(&[
            "Authentication-Results: mx.example.com; dmarc=fail header.from=example.com",
            "Authentication-Results: mx.example.com; dmarc=pass header.from=example.com",
        ]);
        assert!(matches!(v, Verdict::Fail(_)));
    }

    #[test]
    fn a_pass_from_another_server_above_or_below_is_not_trusted() {
        let v = judge(&[
            "Authentication-Results: relay.internal; dmarc=pass header.from=example.com",
            "Authentication-Results: mx.example.com; dmarc=fail header.from=example.com",
            "Authentication-Results: sender.evil; dmarc=pass header.from=example.com",
        ]);
        assert!(matches!(v, Verdict::Fail(_)));
    }

    #[test]
    fn a_header_in_the_body_is_not_a_header() {
        let v = judge(&["Received: by mx.example.com"]);
        assert_eq!(
            v,
            Verdict::Fail(format!("no Authentication-Results from {MX}"))
        );
    }

    #[test]
    fn comments_and_quotes_do_not_confuse_the_parser() {
        let v = judge(&[
            "Authentication-Results: (x; y) mx.example.com; dkim=fail reason=\"bad; sig\" (dmarc=pass); dmarc=pass (aligned) header.from=\"example.com\"",
        ]);
        assert_eq!(v, Verdict::Pass("dmarc"));
        let v = judge(&[
            "Authentication-Results: mx.example.com; dkim=fail (dmarc=pass header.from=example.com)",
        ]);
        assert!(matches!(v, Verdict::Fail(_)));
    }

    #[test]
    fn a_subdomain_signature_aligns_relaxed_but_a_bare_tld_does_not() {
        assert!(aligned("mail.example.com", "example.com"));
        assert!(!aligned("example.com", "com"));
        assert!(!aligned("badexample.com", "example.com"));
    }

    #[test]
    fn a_semicolon_inside_a_quoted_string_does_not_start_a_new_result() {
        let v = judge(&[
            "Authentication-Results: mx.example.com; spf=pass smtp.mailfrom=\"x;dmarc=pass \"@evil.example; dmarc=fail",
        ]);
        assert!(matches!(v, Verdict::Fail(_)), "{v:?}");
    }

    #[test]
    fn a_semicolon_inside_a_comment_does_not_start_a_new_result() {
        let v = judge(&[
            "Authentication-Results: mx.example.com; spf=pass (looks; dmarc=pass) smtp.mailfrom=a@evil.example; dmarc=fail",
        ]);
        assert!(matches!(v, Verdict::Fail(_)), "{v:?}");
    }

    #[test]
    fn an_escaped_quote_does_not_end_a_quoted_string() {
        let v = judge(&[
            "Authentication-Results: mx.example.com; spf=pass smtp.mailfrom=\"a\\\";dmarc=pass\"@evil.example; dmarc=fail",
        ]);
        assert!(matches!(v, Verdict::Fail(_)), "{v:?}");
    }

    #[test]
    fn an_authentication_results_line_in_the_body_of_an_lf_only_mail_is_not_a_header() {
        let raw = "From: 张三 <zhangsan@example.com>\nSubject: x\n\nAuthentication-Results: mx.example.com; dmarc=pass\n\r\n\r\nmore\r\n";
        let found = results_headers(raw.as_bytes());
        assert!(found.is_empty(), "{found:?}");
        let v = verdict(&found, MX, Some("zhangsan@example.com"));
        assert!(matches!(v, Verdict::Fail(_)));
    }

    #[test]
    fn the_header_block_ends_at_the_first_empty_line_whatever_the_line_ending() {
        for (raw, head) in [
            ("A: 1\r\nB: 2\r\n\r\nbody\n\nmore", "A: 1\r\nB: 2\r\n"),
            ("A: 1\nB: 2\n\nbody\r\n\r\nmore", "A: 1\nB: 2\n"),
            ("A: 1\r\nB: 2\n\r\nbody\n\nmore", "A: 1\r\nB: 2\n"),
        ] {
            assert_eq!(header_block(raw.as_bytes()), head.as_bytes());
        }
        assert_eq!(header_block(b"\r\nA: 1"), b"");
        assert_eq!(header_block(b"A: 1"), b"A: 1");
    }

    #[test]
    fn a_quoted_authserv_id_is_read_as_the_id() {
        let v = judge(&[
            "Authentication-Results: \"mx.example.com\"; dmarc=pass header.from=example.com",
        ]);
        assert_eq!(v, Verdict::Pass("dmarc"));
    }

    #[test]
    fn a_result_that_does_not_open_its_resinfo_is_not_a_result() {
        let v = judge(&[
            "Authentication-Results: mx.example.com; junk dmarc=pass header.from=example.com",
        ]);
        assert!(matches!(v, Verdict::Fail(_)), "{v:?}");
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

            #[test]
            fn any_text_inside_a_quoted_string_never_turns_a_fail_into_a_pass(
                inner in "[^\"\\\\]{0,40}",
            ) {
                let header = format!(
                    "mx.example.com; spf=pass smtp.mailfrom=\"{inner}\"@evil.example; dmarc=fail header.from=example.com"
                );
                let v = verdict(&[header], MX, Some("zhangsan@example.com"));
                prop_assert!(matches!(v, Verdict::Fail(_)), "{:?}", v);
            }

            #[test]
            fn any_text_inside_a_comment_never_turns_a_fail_into_a_pass(
                inner in "[^()\\\\]{0,40}",
            ) {
                let header = format!("mx.example.com; dkim=fail ({inner}); dmarc=fail ({inner})");
                let v = verdict(&[header], MX, Some("zhangsan@example.com"));
                prop_assert!(matches!(v, Verdict::Fail(_)), "{:?}", v);
            }

            #[test]
            fn a_pass_written_in_the_body_is_never_read_whatever_the_line_endings(
                crlf_head in any::<bool>(),
                crlf_body in any::<bool>(),
                extra in "[A-Za-z-]{1,10}: [ -~]{0,30}",
            ) {
                let (h, b) = (if crlf_head { "\r\n" } else { "\n" }, if crlf_body { "\r\n" } else { "\n" });
                let raw = format!(
                    "From: a@example.com{h}{extra}{h}{h}Authentication-Results: mx.example.com; dmarc=pass{b}{b}x{b}"
                );
                let found = results_headers(raw.as_bytes());
                prop_assert!(found.iter().all(|f| !f.contains("dmarc=pass")), "{:?}", found);
            }

            #[test]
            fn parsing_any_header_value_never_panics(value in any::<String>(), trusted in "[a-z.]{0,12}") {
                let _ = verdict(&[value], &trusted, Some("a@example.com"));
            }

            #[test]
            fn reading_any_bytes_as_a_header_block_never_panics(raw in proptest::collection::vec(any::<u8>(), 0..512)) {
                let _ = results_headers(&raw);
            }
        }
    }
}
