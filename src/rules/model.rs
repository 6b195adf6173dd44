//! The regulation's shared domain types: what the rules produce and what `text` words. This
//! module imports nothing from `rules/` that imports it, so `text` (which words these types)
//! and the rule modules (which build them) both sit above it.

use crate::parse::ProjectKey;

/// 第十四条: every 2 complaints in a month dock that month's performance pay one level.
pub const PER_MONTH_LEVEL: i64 = 2;
/// 第十四条: every 4 complaints lower performance pay permanently one level.
pub const PERMANENT_LEVEL: i64 = 4;

/// Notice scope of the monthly level.
pub const SCOPE_MONTH: &str = "month";
/// Notice scope of the permanent level.
pub const SCOPE_PERMANENT: &str = "permanent";

/// Complaint counts of one engineer as 第十四条 reads them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    /// Complaints in the month.
    pub month_count: i64,
    /// Complaints up to the end of the month (within the configured window).
    pub cumulative_count: i64,
}

impl Tally {
    /// Levels of this month's performance pay docked: floor(month / 2).
    pub fn levels_docked(self) -> i64 {
        self.month_count / PER_MONTH_LEVEL
    }

    /// Permanent levels: floor(cumulative / 4).
    pub fn permanent_levels(self) -> i64 {
        self.cumulative_count / PERMANENT_LEVEL
    }

    /// Counts of `target` for `month` from per-(target, month) counts; `window` months (0 = all).
    pub fn of(rows: &[(String, String, i64)], target: &str, month: &str, window: u32) -> Tally {
        let first = window_start(month, window);
        rows.iter()
            .filter(|(t, m, _)| t == target && m.as_str() <= month)
            .fold(Tally::default(), |acc, (_, m, n)| Tally {
                month_count: acc.month_count + if m == month { *n } else { 0 },
                cumulative_count: acc.cumulative_count
                    + if first.as_deref().is_none_or(|f| m.as_str() >= f) {
                        *n
                    } else {
                        0
                    },
            })
    }
}

/// The first month counted for permanent levels when the window is `window` months.
pub(crate) fn window_start(month: &str, window: u32) -> Option<String> {
    if window == 0 {
        return None;
    }
    let (y, m) = month.split_once('-')?;
    let index = y.parse::<i64>().ok()? * 12 + m.parse::<i64>().ok()? - 1 - (i64::from(window) - 1);
    Some(format!(
        "{:04}-{:02}",
        index.div_euclid(12),
        index.rem_euclid(12) + 1
    ))
}

/// One engineer's line of the 第十四条 tally of a month (`report tally`, the monthly digest).
#[derive(Debug, Clone, serde::Serialize, PartialEq, Eq)]
pub struct TallyLine {
    /// Engineer.
    pub name: String,
    /// Complaints in the month.
    pub month_count: i64,
    /// Complaints up to the end of the month.
    pub cumulative_count: i64,
    /// floor(month_count / 2).
    pub levels_docked: i64,
    /// floor(cumulative_count / 4).
    pub permanent_levels: i64,
}

/// The tally of `month` from per-(target, month) counts: everyone with a complaint counted in
/// the month or before, by name; `window` months of cumulative counting (0 = all).
pub fn tally_of_month(rows: &[(String, String, i64)], month: &str, window: u32) -> Vec<TallyLine> {
    let mut names: Vec<&String> = rows
        .iter()
        .filter(|(_, m, n)| m.as_str() <= month && *n > 0)
        .map(|(t, _, _)| t)
        .collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            let t = Tally::of(rows, name, month, window);
            TallyLine {
                name: name.clone(),
                month_count: t.month_count,
                cumulative_count: t.cumulative_count,
                levels_docked: t.levels_docked(),
                permanent_levels: t.permanent_levels(),
            }
        })
        .collect()
}

/// A level crossed: (scope, period, level).
pub type Crossing = (&'static str, String, i64);

/// The 《技术支持立项单》 as accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectSheet {
    /// Project key.
    pub key: ProjectKey,
    /// Name as written in the subject.
    pub name: String,
    /// 责任销售 (name).
    pub responsible_sales: String,
    /// 第一售前 (name).
    pub first_presales: String,
    /// 第二售前 (name).
    pub second_presales: Option<String>,
    /// 支持类型.
    pub support_type: String,
    /// 支持内容.
    pub support_content: String,
    /// 期望时间, 合同号, 合同金额 as written.
    pub extras: Vec<(String, String)>,
}

/// One row of the 项目跟踪表 (第十六条): an accepted report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRow {
    /// Project key.
    pub project: ProjectKey,
    /// The engineer who reported (name).
    pub engineer: String,
    /// 成功 or 问题遗留.
    pub result: String,
    /// 沟通人.
    pub contact: String,
    /// 沟通方式.
    pub method: String,
    /// 沟通的具体问题.
    pub content: String,
    /// 遗留的问题描述.
    pub leftover: Option<String>,
    /// 优先级.
    pub priority: String,
    /// 沟通时间 as written.
    pub communicated_at: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tally_of_a_month_lists_everyone_counted_by_then_in_name_order() {
        let rows: Vec<(String, String, i64)> = [
            ("张三", "2026-10", 1),
            ("张三", "2026-11", 2),
            ("李四", "2026-12", 1),
            ("王五", "2026-09", 0),
        ]
        .iter()
        .map(|(t, m, n)| (t.to_string(), m.to_string(), *n))
        .collect();
        let lines = tally_of_month(&rows, "2026-11", 0);
        assert_eq!(
            lines,
            vec![TallyLine {
                name: "张三".into(),
                month_count: 2,
                cumulative_count: 3,
                levels_docked: 1,
                permanent_levels: 0,
            }]
        );
    }
}
