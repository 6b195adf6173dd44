//! The monthly digest's review of the month (queries.md §4): per presales and per project, each
//! figure beside the previous month's (▲/▼), and the chart of the last 6 months.

use super::Table;
use super::activity::start_of;
use super::chart::{self, Series};
use crate::config::Config;
use crate::directory::Role;
use crate::store::review;
use chrono::{Months, NaiveDate};
use sqlx::SqliteConnection;
use std::collections::BTreeMap;

/// Months the chart covers, this one included.
pub const CHART_MONTHS: u32 = 6;

/// The review: its tables (also the .xlsx summary sheet), the chart PNG and the HTML that shows
/// it with its key.
#[derive(Debug, Clone)]
pub struct Review {
    /// Per presales, then per project.
    pub tables: Vec<Table>,
    /// The chart (PNG).
    pub chart: Vec<u8>,
    /// `<img src="cid:…">` with the colour key and the months.
    pub chart_html: String,
}

/// One presales' month.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Month {
    accepted: i64,
    rejected: i64,
    items: review::ItemCounts,
    complaints: i64,
    docked: i64,
}

impl Month {
    /// Rejected of all reports, in whole per cent.
    fn rejection_rate(&self) -> i64 {
        let all = self.accepted + self.rejected;
        if all == 0 {
            0
        } else {
            self.rejected * 100 / all
        }
    }

    /// Closed within the resolution deadline, of all closed, in whole per cent.
    fn in_time_rate(&self) -> i64 {
        if self.items.closed == 0 {
            0
        } else {
            self.items.closed_in_time * 100 / self.items.closed
        }
    }
}

/// `now` beside `before`: 「5 ▲2」, 「3 ▼1」, 「4」; a rate's change in percentage points, as
/// Chinese reports write it: 「25% ▼25个百分点」 (not 「▼25」, which reads as 25 %).
pub fn beside(now: i64, before: i64, unit: &str) -> String {
    let points = if unit == "%" { "个百分点" } else { "" };
    match now.cmp(&before) {
        std::cmp::Ordering::Greater => format!("{now}{unit} ▲{}{points}", now - before),
        std::cmp::Ordering::Less => format!("{now}{unit} ▼{}{points}", before - now),
        std::cmp::Ordering::Equal => format!("{now}{unit}"),
    }
}

fn name_of(config: &Config, address: &str) -> String {
    config
        .directory
        .by_email(address)
        .map_or_else(|| address.to_string(), |p| p.name.clone())
}

/// One month's report mails and complaints, counted per person (name).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Counts {
    /// Report mails per sender: (accepted, rejected).
    reports: BTreeMap<String, (i64, i64)>,
    /// Active complaints filed, per target.
    complaints: BTreeMap<String, i64>,
}

/// The month starting `first`, counted once for the review and the chart (each a grouped
/// statement: the month's mails are never read one by one).
async fn counts_of(
    config: &Config,
    conn: &mut SqliteConnection,
    first: NaiveDate,
) -> anyhow::Result<Counts> {
    let (from, to) = (
        start_of(config, first),
        start_of(config, first + Months::new(1)),
    );
    let mut out = Counts::default();
    for (sender, accepted, rejected) in review::report_counts(conn, from, to).await? {
        let e = out.reports.entry(name_of(config, &sender)).or_default();
        e.0 += accepted;
        e.1 += rejected;
    }
    for (target, n) in review::complaint_counts(conn, from, to).await? {
        *out.complaints.entry(target).or_default() += n;
    }
    Ok(out)
}

async fn month_of(
    config: &Config,
    conn: &mut SqliteConnection,
    first: NaiveDate,
    counts: &Counts,
) -> anyhow::Result<BTreeMap<String, Month>> {
    let next = first + Months::new(1);
    let (from, to) = (start_of(config, first), start_of(config, next));
    let mut out: BTreeMap<String, Month> = BTreeMap::new();
    for (name, (accepted, rejected)) in &counts.reports {
        let e = out.entry(name.clone()).or_default();
        e.accepted += accepted;
        e.rejected += rejected;
    }
    for (engineer, items) in review::items_by_engineer(conn, from, to).await? {
        out.entry(engineer).or_default().items = items;
    }
    let month = first.format("%Y-%m").to_string();
    for l in crate::report::tally(config, conn, &month).await? {
        let e = out.entry(l.name.clone()).or_default();
        e.complaints = l.month_count;
        e.docked = l.levels_docked;
    }
    Ok(out)
}

/// The review of the month starting `first`.
pub async fn review(
    config: &Config,
    conn: &mut SqliteConnection,
    first: NaiveDate,
) -> anyhow::Result<Review> {
    let before = first - Months::new(1);
    // The chart's months, oldest first; the review's two are among them.
    let mut months = Vec::new();
    for back in (0..CHART_MONTHS).rev() {
        let m = first - Months::new(back);
        months.push((m, counts_of(config, conn, m).await?));
    }
    let this_c = counted(config, conn, &months, first).await?;
    let last_c = counted(config, conn, &months, before).await?;
    let this = month_of(config, conn, first, &this_c).await?;
    let last = month_of(config, conn, before, &last_c).await?;
    let mut people: Vec<String> = config
        .directory
        .with_role(Role::Presales)
        .map(|p| p.name.clone())
        .collect();
    for n in this.keys().chain(last.keys()) {
        if !people.contains(n) && config.directory.by_name(n).is_some() {
            people.push(n.clone());
        }
    }
    let empty = Month::default();
    let rows = people
        .iter()
        .map(|n| {
            let (a, b) = (this.get(n).unwrap_or(&empty), last.get(n).unwrap_or(&empty));
            vec![
                n.clone(),
                beside(a.accepted, b.accepted, ""),
                beside(a.rejected, b.rejected, ""),
                beside(a.rejection_rate(), b.rejection_rate(), "%"),
                beside(a.items.opened, b.items.opened, ""),
                beside(a.items.closed, b.items.closed, ""),
                beside(a.in_time_rate(), b.in_time_rate(), "%"),
                beside(a.complaints, b.complaints, ""),
                beside(a.docked, b.docked, ""),
            ]
        })
        .collect();
    let presales = Table::new(
        "本月回顾：各售前（数字为本月，▲/▼ 为比上月增减）",
        &[
            "售前",
            "报告接受",
            "报告退回",
            "退回率",
            "遗留问题新增",
            "遗留问题关闭",
            "按时关闭率",
            "投诉",
            "扣发级数",
        ],
        rows,
    );
    let next = first + Months::new(1);
    let (from, to) = (start_of(config, first), start_of(config, next));
    let this_p = review::by_project(conn, from, to).await?;
    let last_p: BTreeMap<String, review::ProjectCounts> =
        review::by_project(conn, start_of(config, before), from)
            .await?
            .into_iter()
            .collect();
    let zero = review::ProjectCounts::default();
    let project_rows = this_p
        .iter()
        .filter_map(|(name, a)| {
            let b = last_p.get(name).unwrap_or(&zero);
            (*a != zero || *b != zero).then(|| {
                vec![
                    crate::rules::text::project_name(name),
                    beside(a.reports, b.reports, ""),
                    beside(a.open_items, b.open_items, ""),
                    beside(a.fault_orders, b.fault_orders, ""),
                ]
            })
        })
        .collect();
    let projects = Table::new(
        "本月回顾：各项目",
        &["项目", "报告", "遗留问题", "故障处理工作单"],
        project_rows,
    );
    let (png, chart_html) = chart_of(&months, &people)?;
    Ok(Review {
        tables: vec![presales, projects],
        chart: png,
        chart_html,
    })
}

/// The counts of the month starting `m`: from `months` when it is there, else read.
async fn counted(
    config: &Config,
    conn: &mut SqliteConnection,
    months: &[(NaiveDate, Counts)],
    m: NaiveDate,
) -> anyhow::Result<Counts> {
    match months.iter().find(|(d, _)| *d == m) {
        Some((_, c)) => Ok(c.clone()),
        None => counts_of(config, conn, m).await,
    }
}

fn chart_of(
    months: &[(NaiveDate, Counts)],
    people: &[String],
) -> anyhow::Result<(Vec<u8>, String)> {
    let mut series: Vec<Series> = people
        .iter()
        .map(|n| Series {
            name: n.clone(),
            reports: Vec::new(),
            complaints: Vec::new(),
        })
        .collect();
    for (_, c) in months {
        for s in &mut series {
            let reports = c.reports.get(&s.name).map_or(0, |r| r.0);
            let filed = c.complaints.get(&s.name).copied().unwrap_or(0);
            s.reports.push(u32::try_from(reports).unwrap_or(u32::MAX));
            s.complaints.push(u32::try_from(filed).unwrap_or(u32::MAX));
        }
    }
    let months: Vec<String> = months
        .iter()
        .map(|(m, _)| m.format("%-m月").to_string())
        .collect();
    let png = chart::png(months.len(), &series)?;
    let key: String = series
        .iter()
        .enumerate()
        .map(|(i, s)| {
            format!(
                "<span style=\"display:inline-block;margin-right:12px;\">\
                 <span style=\"display:inline-block;width:10px;height:10px;background:{};\"></span> {}</span>",
                chart::css_colour(i),
                super::esc(&s.name)
            )
        })
        .collect();
    let html = format!(
        "<h3 style=\"font-size:15px;margin:14px 0 4px 0;\">近{CHART_MONTHS}个月：各售前的报告（左）与投诉（右）</h3>\n\
         <img src=\"cid:{}\" width=\"{}\" height=\"{}\" alt=\"近{CHART_MONTHS}个月各售前的报告与投诉柱状图\" style=\"display:block;border:1px solid #c8ced6;\">\n\
         <p style=\"margin:4px 0 10px 0;font-size:12px;color:#57606a;\">{key}<br>两图中的柱组从左到右依次为：{}</p>\n",
        chart::FILENAME,
        chart::WIDTH,
        chart::HEIGHT,
        months.join("、")
    );
    Ok((png, html))
}

#[cfg(test)]
mod tests {
    use super::beside;

    #[test]
    fn a_figure_shows_its_change_from_the_previous_month() {
        assert_eq!(beside(5, 3, ""), "5 ▲2");
        assert_eq!(beside(1, 4, ""), "1 ▼3");
        assert_eq!(beside(2, 2, ""), "2");
        assert_eq!(beside(25, 50, "%"), "25% ▼25个百分点");
        assert_eq!(beside(50, 25, "%"), "50% ▲25个百分点");
        assert_eq!(beside(50, 50, "%"), "50%");
    }
}
