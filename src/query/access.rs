//! Who may see what (queries.md §1), from the directory: a presales sees the projects they are
//! on and their own rows, sales see their projects, managers, the director and the GM see
//! everything.

use crate::directory::{Person, Role};
use crate::store::queries::ProjectRow;

/// The presales manager, the tech director and the GM: they see everything.
pub fn is_manager(p: &Person) -> bool {
    p.has(Role::PresalesManager) || p.has(Role::TechDirector) || p.has(Role::GeneralManager)
}

/// Whether `p` may see `project`: its 责任销售, 第一/第二售前, or a manager.
pub fn may_see_project(p: &Person, project: &ProjectRow) -> bool {
    let named = |n: &Option<String>| n.as_deref() == Some(p.name.as_str());
    is_manager(p)
        || named(&project.responsible_sales)
        || named(&project.first_presales)
        || named(&project.second_presales)
}

/// Whether `p` may see the 集成部 tasks of `project`: as the project, or the engineering
/// manager and engineers who carry tasks out (tasks.md).
pub fn may_see_tasks(p: &Person, project: &ProjectRow) -> bool {
    may_see_project(p, project) || carries_out_tasks(p)
}

/// The engineering manager and engineers: the 集成部 people who carry tasks out (tasks.md).
fn carries_out_tasks(p: &Person) -> bool {
    p.has(Role::EngineeringManager) || p.has(Role::Engineer)
}

/// Whether `p` may see the 集成部 tasks of a project never 立项'd (a task's project need not be,
/// tasks.md): the engineering manager, engineers, managers, and the sales who applied for one
/// of them (`applicants`).
pub fn may_see_tasks_unfiled<'a>(
    p: &Person,
    mut applicants: impl Iterator<Item = &'a str>,
) -> bool {
    is_manager(p) || carries_out_tasks(p) || applicants.any(|a| a == p.name)
}

/// Whether `p` may see `owner`'s 项目跟踪表: their own (a presales), or a manager.
pub fn may_see_tracking(p: &Person, owner: &str) -> bool {
    is_manager(p) || (p.name == owner && p.has(Role::Presales))
}

/// What `p` sees of per-presales figures (the 投诉统计 tally, 遗留问题).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Everyone's rows.
    All,
    /// Only the rows of this presales.
    Own(String),
}

/// Managers see all rows, a presales their own; anyone else nothing (None).
pub fn presales_scope(p: &Person) -> Option<Scope> {
    if is_manager(p) {
        Some(Scope::All)
    } else if p.has(Role::Presales) {
        Some(Scope::Own(p.name.clone()))
    } else {
        None
    }
}

/// Who may ask, for the `not_authorized` reply.
pub const PROJECT_ASKERS: &str = "该项目的责任销售、第一/第二售前、售前经理、技术总监、总经理";
/// Who may ask for someone's tracking table.
pub const TRACKING_ASKERS: &str = "售前本人（查询-我的跟踪表）、售前经理、技术总监、总经理";
/// Who may ask for the tally or the open items.
pub const PRESALES_ASKERS: &str = "售前（只看本人）、售前经理、技术总监、总经理";
/// Who may ask for a project's tasks.
pub const TASK_ASKERS: &str =
    "该项目的责任销售、第一/第二售前、工程技术部经理、工程师、售前经理、技术总监、总经理";

#[cfg(test)]
mod tests {
    use super::*;

    fn person(name: &str, roles: &[Role]) -> Person {
        Person {
            name: name.into(),
            emails: vec![format!("{name}@example.com")],
            roles: roles.to_vec(),
        }
    }

    fn project() -> ProjectRow {
        ProjectRow {
            key: "星河".into(),
            name: "星河项目".into(),
            status: "initiated".into(),
            responsible_sales: Some("孙丽".into()),
            first_presales: Some("张三".into()),
            second_presales: Some("李四".into()),
            support_type: None,
            support_content: None,
            created_at: String::new(),
            initiated_at: None,
        }
    }

    #[test]
    fn a_project_is_seen_by_its_people_and_the_managers_only() {
        let p = project();
        for who in [
            person("孙丽", &[Role::Sales]),
            person("张三", &[Role::Presales]),
            person("李四", &[Role::Presales]),
            person("王芳", &[Role::PresalesManager]),
            person("赵强", &[Role::TechDirector]),
            person("钱伟", &[Role::GeneralManager]),
        ] {
            assert!(may_see_project(&who, &p), "{}", who.name);
        }
        for who in [
            person("王五", &[Role::Presales]),
            person("周涛", &[Role::Sales]),
            person("吴敏", &[Role::SalesHead]),
        ] {
            assert!(!may_see_project(&who, &p), "{}", who.name);
        }
    }

    #[test]
    fn a_presales_sees_only_their_own_table_and_managers_see_everyones() {
        let zhang = person("张三", &[Role::Presales]);
        assert!(may_see_tracking(&zhang, "张三"));
        assert!(!may_see_tracking(&zhang, "李四"));
        assert!(may_see_tracking(
            &person("王芳", &[Role::PresalesManager]),
            "李四"
        ));
        assert!(!may_see_tracking(&person("孙丽", &[Role::Sales]), "孙丽"));
        assert_eq!(presales_scope(&zhang), Some(Scope::Own("张三".into())));
        assert_eq!(presales_scope(&person("孙丽", &[Role::Sales])), None);
    }
}
