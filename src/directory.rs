//! The staff directory (workflow.md §1): who is who, matched by address or Chinese name.

use serde::Deserialize;
use std::collections::HashMap;

/// A role key of workflow.md §1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 销售 / 责任销售
    Sales,
    /// 销售负责人
    SalesHead,
    /// 售前 / 技服
    Presales,
    /// 售前经理 = 技术支持部经理
    PresalesManager,
    /// 技术总监
    TechDirector,
    /// 总经理
    GeneralManager,
    /// 研发经理
    RdManager,
    /// 研发
    Rd,
    /// 测试组
    TestGroup,
    /// 系统管理员
    Admin,
    /// 工程技术部经理 (集成部): dispatches tasks, approves delays and completion (tasks.md).
    EngineeringManager,
    /// 工程师（集成/施工）: carries out tasks.
    Engineer,
}

impl Role {
    /// Every role, in the order `check-config` prints them.
    pub const ALL: [Role; 12] = [
        Role::Sales,
        Role::SalesHead,
        Role::Presales,
        Role::PresalesManager,
        Role::TechDirector,
        Role::GeneralManager,
        Role::RdManager,
        Role::Rd,
        Role::TestGroup,
        Role::Admin,
        Role::EngineeringManager,
        Role::Engineer,
    ];

    /// The config key of the role.
    pub fn key(self) -> &'static str {
        match self {
            Role::Sales => "sales",
            Role::SalesHead => "sales_head",
            Role::Presales => "presales",
            Role::PresalesManager => "presales_manager",
            Role::TechDirector => "tech_director",
            Role::GeneralManager => "general_manager",
            Role::RdManager => "rd_manager",
            Role::Rd => "rd",
            Role::TestGroup => "test_group",
            Role::Admin => "admin",
            Role::EngineeringManager => "engineering_manager",
            Role::Engineer => "engineer",
        }
    }
}

/// One member of staff as the config lists them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Person {
    /// Chinese name, as staff write it in subjects and bodies.
    pub name: String,
    /// Every address the person sends from; the first is where the bot writes to.
    pub emails: Vec<String>,
    /// What the person may do in the workflow.
    pub roles: Vec<Role>,
}

impl Person {
    /// The address the bot writes to.
    pub fn address(&self) -> &str {
        self.emails.first().map(String::as_str).unwrap_or_default()
    }

    /// Whether the person holds `role`.
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// The staff directory: lookups by address (case-insensitive) and by name.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    people: Vec<Person>,
    by_email: HashMap<String, usize>,
    by_name: HashMap<String, usize>,
}

impl Directory {
    /// Builds the directory; fails on an address or name listed twice.
    pub fn new(people: Vec<Person>) -> Result<Self, String> {
        let mut by_email = HashMap::new();
        let mut by_name = HashMap::new();
        for (i, p) in people.iter().enumerate() {
            let name = normalize_name(&p.name);
            if name.is_empty() {
                return Err("a [[people]] entry has an empty name".into());
            }
            if p.emails.is_empty() {
                return Err(format!("{} has no e-mail address", p.name));
            }
            if by_name.insert(name, i).is_some() {
                return Err(format!("{} is listed twice in [[people]]", p.name));
            }
            for e in &p.emails {
                if !e.contains('@') {
                    return Err(format!("{}: {e:?} is not an e-mail address", p.name));
                }
                if by_email.insert(e.trim().to_ascii_lowercase(), i).is_some() {
                    return Err(format!("{e} is listed for two people"));
                }
            }
        }
        Ok(Self {
            people,
            by_email,
            by_name,
        })
    }

    /// The person who sends from `address`, if any.
    pub fn by_email(&self, address: &str) -> Option<&Person> {
        let key = address.trim().to_ascii_lowercase();
        self.by_email.get(&key).map(|&i| &self.people[i])
    }

    /// The person called `name` (spaces and full-width forms ignored), if any.
    pub fn by_name(&self, name: &str) -> Option<&Person> {
        self.by_name
            .get(&normalize_name(name))
            .map(|&i| &self.people[i])
    }

    /// A person named by a field value: a name, an address, or `名字 <address>`.
    pub fn lookup(&self, text: &str) -> Option<&Person> {
        let text = text.trim();
        if let Some(p) = self.by_name(text).or_else(|| self.by_email(text)) {
            return Some(p);
        }
        // `张三 <zhangsan@example.com>` or `张三（zhangsan@example.com）`
        let inner: String = text
            .chars()
            .map(|c| if "<>()（）".contains(c) { ' ' } else { c })
            .collect();
        inner
            .split_whitespace()
            .find_map(|w| self.by_email(w).or_else(|| self.by_name(w)))
    }

    /// Everyone with `role`.
    pub fn with_role(&self, role: Role) -> impl Iterator<Item = &Person> {
        self.people.iter().filter(move |p| p.has(role))
    }

    /// Everyone, in config order.
    pub fn people(&self) -> &[Person] {
        &self.people
    }
}

/// Names compare without spaces and after NFKC.
fn normalize_name(name: &str) -> String {
    crate::parse::fold(name)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> Directory {
        Directory::new(vec![Person {
            name: "张三".into(),
            emails: vec!["ZhangSan@example.com".into(), "zs@163.com".into()],
            roles: vec![Role::Presales],
        }])
        .expect("valid directory")
    }

    #[test]
    fn addresses_match_case_insensitively() {
        assert_eq!(
            dir()
                .by_email("zhangsan@EXAMPLE.com")
                .map(|p| p.name.as_str()),
            Some("张三")
        );
        assert!(dir().by_email("nobody@example.com").is_none());
    }

    #[test]
    fn a_field_value_with_name_and_address_finds_the_person() {
        assert!(dir().lookup("张 三").is_some());
        assert!(dir().lookup("张三 <zs@163.com>").is_some());
        assert!(dir().lookup("李四").is_none());
    }

    #[test]
    fn an_address_listed_twice_is_a_config_error() {
        let p = Person {
            name: "甲".into(),
            emails: vec!["a@x.com".into()],
            roles: vec![],
        };
        let mut q = p.clone();
        q.name = "乙".into();
        assert!(Directory::new(vec![p, q]).is_err());
    }
}
