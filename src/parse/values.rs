//! Values typed into task fields and commands: amounts (`5万`, `50000`, `5.5 万元`) and days
//! (`2026-12-10`, `2026/12/10`, `2026年12月10日`). Never panics; `None` when unreadable.

use super::fold;
use chrono::NaiveDate;

/// An amount in yuan: `5万`, `5.5 万元`, `50000`, `50,000元`, `¥50000`, `5w`.
pub fn yuan(text: &str) -> Option<i64> {
    let t: String = fold(text)
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, ',' | '¥' | '￥'))
        .collect::<String>()
        .to_lowercase();
    let t = t.strip_prefix("rmb").unwrap_or(&t);
    let (number, scale) = if let Some(n) = t
        .strip_suffix("万元")
        .or_else(|| t.strip_suffix('万'))
        .or_else(|| t.strip_suffix('w'))
    {
        (n, 10_000.0)
    } else {
        (
            t.strip_suffix("元")
                .or_else(|| t.strip_suffix("rmb"))
                .unwrap_or(t),
            1.0,
        )
    };
    if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let n: f64 = number.parse().ok()?;
    let y = (n * scale).round();
    (y.is_finite() && (0.0..1e13).contains(&y)).then_some(y as i64)
}

/// A calendar day: `2026-12-10`, `2026/12/10`, `2026.12.10`, `2026年12月10日` (a time after it
/// is ignored).
pub fn day(text: &str) -> Option<NaiveDate> {
    let t = fold(text);
    let t = t.trim();
    let first = t.split_whitespace().next()?;
    let normal: String = first
        .replace(['年', '月', '/', '.'], "-")
        .trim_end_matches(['日', '号'])
        .to_string();
    NaiveDate::parse_from_str(&normal, "%Y-%m-%d").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_in_wan_or_yuan() {
        assert_eq!(yuan("5万"), Some(50_000));
        assert_eq!(yuan("50000"), Some(50_000));
        assert_eq!(yuan("5.5 万元"), Some(55_000));
        assert_eq!(yuan("５０，０００元"), Some(50_000));
        assert_eq!(yuan("¥120000"), Some(120_000));
        assert_eq!(yuan("12W"), Some(120_000));
        assert_eq!(yuan("4.99万"), Some(49_900));
    }

    #[test]
    fn unreadable_amounts_are_none() {
        for t in ["", "很多", "五万", "-5万", "5万美元", "1e9", "5..5万"] {
            assert_eq!(yuan(t), None, "{t}");
        }
    }

    #[test]
    fn days_read_in_the_usual_spellings() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 10);
        assert_eq!(day("2026-12-10"), d);
        assert_eq!(day("2026/12/10 18:00"), d);
        assert_eq!(day("2026年12月10日"), d);
        assert_eq!(day("２０２６．１２．１０"), d);
        assert_eq!(day("下周"), None);
        assert_eq!(day("2026-02-30"), None);
    }
}
