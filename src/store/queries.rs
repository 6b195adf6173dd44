//! Read-only queries behind `report project` and `report faults`.

use serde::Serialize;
use sqlx::SqliteConnection;

/// A project's sheet.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ProjectRow {
    /// Key.
    pub key: String,
    /// Name.
    pub name: String,
    /// initiated / uninitiated.
    pub status: String,
    /// 责任销售.
    pub responsible_sales: Option<String>,
    /// 第一售前.
    pub first_presales: Option<String>,
    /// 第二售前.
    pub second_presales: Option<String>,
    /// 支持类型.
    pub support_type: Option<String>,
    /// 支持内容.
    pub support_content: Option<String>,
    /// When it became known.
    pub created_at: String,
    /// When the 立项 came.
    pub initiated_at: Option<String>,
}

/// The project with this key.
pub async fn project(conn: &mut SqliteConnection, key: &str) -> anyhow::Result<Option<ProjectRow>> {
    Ok(sqlx::query_as!(
        ProjectRow,
        r#"SELECT key AS "key!", name, status, responsible_sales, first_presales, second_presales,
                  support_type, support_content, created_at, initiated_at
           FROM projects WHERE key = ?"#,
        key
    )
    .fetch_optional(conn)
    .await?)
}

/// An accepted report of the project.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ReportLine {
    /// Event time.
    pub date: String,
    /// Engineer.
    pub engineer: String,
    /// 成功 / 问题遗留.
    pub result: String,
    /// 沟通的具体问题.
    pub content: String,
    /// Thread (n of [SB-n]).
    pub thread: i64,
}

/// The project's accepted reports, oldest first.
pub async fn reports(conn: &mut SqliteConnection, key: &str) -> anyhow::Result<Vec<ReportLine>> {
    Ok(sqlx::query_as!(
        ReportLine,
        "SELECT m.event_at AS date, r.engineer, r.result, r.content, r.message AS thread
         FROM reports r JOIN messages m ON m.id = r.message WHERE r.project = ?
         ORDER BY m.event_at, r.id",
        key
    )
    .fetch_all(conn)
    .await?)
}

/// An open item of the project.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct OpenItemLine {
    /// Thread (n of [SB-n]).
    pub thread: i64,
    /// Engineer.
    pub engineer: String,
    /// 遗留的问题描述.
    pub description: String,
    /// Priority.
    pub priority: String,
    /// open / closed.
    pub status: String,
    /// Opened.
    pub opened_at: String,
    /// Closed.
    pub closed_at: Option<String>,
}

/// The project's open items, open and closed.
pub async fn open_items(
    conn: &mut SqliteConnection,
    key: &str,
) -> anyhow::Result<Vec<OpenItemLine>> {
    Ok(sqlx::query_as!(
        OpenItemLine,
        r#"SELECT o.thread AS "thread!", o.engineer, o.description, o.priority, o.status,
                  o.opened_at, o.closed_at
           FROM open_items o WHERE o.project = ? ORDER BY o.id"#,
        key
    )
    .fetch_all(conn)
    .await?)
}

/// An improvement request with its R&D time.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ImprovementLine {
    /// Number within the project.
    pub number: i64,
    /// Proposer.
    pub proposer: String,
    /// Filed.
    pub filed_at: String,
    /// R&D hours on it.
    pub rd_hours: f64,
    /// Thread (n of [SB-n]).
    pub thread: i64,
}

/// The project's improvement requests by number.
pub async fn improvements(
    conn: &mut SqliteConnection,
    key: &str,
) -> anyhow::Result<Vec<ImprovementLine>> {
    Ok(sqlx::query_as!(
        ImprovementLine,
        r#"SELECT i.number, i.proposer, i.filed_at, i.message AS thread,
                  (SELECT coalesce(sum(hours), 0.0) FROM rd_time t WHERE t.request = i.id)
                      AS "rd_hours!: f64"
           FROM improvement_requests i WHERE i.project = ? ORDER BY i.number"#,
        key
    )
    .fetch_all(conn)
    .await?)
}

/// A fault order.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct FaultLine {
    /// Thread (n of [SB-n]).
    pub thread: i64,
    /// Project key.
    pub project: String,
    /// Proposer.
    pub proposer: String,
    /// Priority.
    pub priority: String,
    /// State.
    pub state: String,
    /// R&D lead.
    pub lead: Option<String>,
    /// 转定制 awaits the proposer.
    pub conversion_proposed: bool,
    /// Filed.
    pub filed_at: String,
    /// Last move.
    pub updated_at: String,
    /// SLA response deadline from filing.
    pub response_due: Option<String>,
    /// SLA resolution deadline from filing.
    pub resolution_due: Option<String>,
}

impl FaultLine {
    /// Who owes the next step (names), asked of the one fault-order machine
    /// ([`crate::rules::fault::state::next_actor`]); nobody when the stored state is unknown.
    pub fn owes(&self, config: &crate::config::Config) -> Vec<String> {
        use crate::rules::fault::state::{names_of, next_actor};
        crate::rules::FaultState::from_name(&self.state)
            .and_then(|s| next_actor(s, self.conversion_proposed))
            .map_or_else(Vec::new, |a| {
                names_of(config, &self.proposer, self.lead.as_deref(), a)
            })
    }
}

/// Fault orders, of one project and/or in one state.
pub async fn faults(
    conn: &mut SqliteConnection,
    project: Option<&str>,
    state: Option<&str>,
) -> anyhow::Result<Vec<FaultLine>> {
    Ok(sqlx::query_as!(
        FaultLine,
        r#"SELECT message AS thread, project, proposer, priority, state, lead,
                  conversion_proposed AS "conversion_proposed: bool", filed_at, updated_at,
                  response_due, resolution_due
           FROM fault_orders WHERE (?1 IS NULL OR project = ?1) AND (?2 IS NULL OR state = ?2)
           ORDER BY id"#,
        project,
        state
    )
    .fetch_all(conn)
    .await?)
}

/// The fault orders in `state`, in filing order, from the index on the state: what the tick and
/// the daily digest read of the open ones ([`faults`] with a state reads every order, the closed
/// ones too, to filter them).
pub async fn faults_in_state(
    conn: &mut SqliteConnection,
    state: &str,
) -> anyhow::Result<Vec<FaultLine>> {
    Ok(sqlx::query_as!(
        FaultLine,
        r#"SELECT message AS thread, project, proposer, priority, state, lead,
                  conversion_proposed AS "conversion_proposed: bool", filed_at, updated_at,
                  response_due, resolution_due
           FROM fault_orders WHERE state = ?1 ORDER BY id"#,
        state
    )
    .fetch_all(conn)
    .await?)
}

/// A complaint on the project.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ComplaintLine {
    /// Filed.
    pub filed_at: String,
    /// Sales who filed it.
    pub complainant: String,
    /// Engineer.
    pub target: String,
    /// Month counted in.
    pub month: String,
    /// active / withdrawn / voided.
    pub status: String,
}

/// The project's complaints.
pub async fn complaints(
    conn: &mut SqliteConnection,
    key: &str,
) -> anyhow::Result<Vec<ComplaintLine>> {
    Ok(sqlx::query_as!(
        ComplaintLine,
        "SELECT filed_at, complainant, target, month, status FROM complaints WHERE project = ?
         ORDER BY id",
        key
    )
    .fetch_all(conn)
    .await?)
}
