//! Sender authenticity (RFC 8601 `Authentication-Results`): whether the department's own
//! receiving server vouched for the From domain. Pure functions over the raw header block.
//!
//! Only the topmost `Authentication-Results` carrying the trusted authserv-id counts: the sender
//! can write any header it likes below it, and headers of other servers say nothing we trust.

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
    let end = find(raw, b"\r\n\r\n")
        .or_else(|| find(raw, b"\n\n"))
        .unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut fields: Vec<String> = Vec::new();
    for line in head.lines() {
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

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
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
        .find(|h| authserv_id(h).eq_ignore_ascii_case(trusted))
    else {
        return Verdict::Fail(format!("no Authentication-Results from {trusted}"));
    };
    let text = strip_comments(header);
    for resinfo in text.split(';').skip(1) {
        let tokens = tokenize(resinfo);
        let Some((method, result)) = tokens.first().and_then(|t| t.split_once('=')) else {
            continue;
        };
        let method = method
            .split('/')
            .next()
            .unwrap_or(method)
            .to_ascii_lowercase();
        if !result.eq_ignore_ascii_case("pass") {
            continue;
        }
        let prop = |name: &str| {
            tokens.iter().skip(1).find_map(|t| {
                let (k, v) = t.split_once('=')?;
                k.eq_ignore_ascii_case(name)
                    .then(|| v.trim_matches('"').to_lowercase())
            })
        };
        match method.as_str() {
            "dmarc" if prop("header.from").is_none_or(|d| d == domain) => {
                return Verdict::Pass("dmarc");
            }
            "dkim" => {
                let signer = prop("header.d").or_else(|| {
                    prop("header.i").map(|i| i.rsplit('@').next().unwrap_or_default().to_string())
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

fn authserv_id(header: &str) -> String {
    let text = strip_comments(header);
    let first = text.split(';').next().unwrap_or_default();
    first
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Drops RFC 5322 comments `( … )`, nested, outside quoted strings.
fn strip_comments(s: &str) -> String {
    let (mut out, mut depth, mut quoted, mut escaped) = (String::new(), 0usize, false, false);
    for c in s.chars() {
        if escaped {
            escaped = false;
            if depth == 0 {
                out.push(c);
            }
            continue;
        }
        match c {
            '\\' => {
                escaped = true;
                if depth == 0 {
                    out.push(c);
                }
            }
            '"' if depth == 0 => {
                quoted = !quoted;
                out.push(c);
            }
            '(' if !quoted => depth += 1,
            ')' if !quoted && depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// Splits on whitespace outside quotes; `a = b` becomes `a=b`.
fn tokenize(s: &str) -> Vec<String> {
    let normal = s.replace(" =", "=").replace("= ", "=");
    let (mut tokens, mut cur, mut quoted) = (Vec::new(), String::new(), false);
    for c in normal.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    tokens.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        tokens.push(cur);
    }
    tokens
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
}
