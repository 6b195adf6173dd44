//! Project key (项目 key): the one name under which a project's mail is filed.

use std::fmt;

use super::fold;

/// Brackets people put around project names; removed wherever they appear.
const BRACKETS: &[char] = &['【', '】', '[', ']', '「', '」', '《', '》'];

/// Suffixes meaning "project" that are not part of the name (第九条 names projects loosely).
const PROJECT_SUFFIXES: &[&str] = &["项目", "項目"];

/// 项目 key: the project name normalised so 「星河项目」「星河」「【星河】项目」 are one project.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProjectKey(String);

impl ProjectKey {
    /// Normalises `raw` into a key; `None` if nothing is left after normalising.
    pub fn new(raw: &str) -> Option<ProjectKey> {
        let folded: String = fold(raw)
            .chars()
            .filter(|c| !c.is_whitespace() && !BRACKETS.contains(c))
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let mut key = folded.as_str();
        while let Some(shorter) = PROJECT_SUFFIXES
            .iter()
            .find_map(|suffix| key.strip_suffix(suffix))
            .filter(|shorter| !shorter.is_empty())
        {
            key = shorter;
        }
        if key.is_empty() {
            None
        } else {
            Some(ProjectKey(key.to_owned()))
        }
    }

    /// The normalised key text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::ProjectKey;

    fn key(raw: &str) -> Option<String> {
        ProjectKey::new(raw).map(|k| k.as_str().to_owned())
    }

    #[test]
    fn project_with_and_without_suffix_and_brackets_is_one_project() {
        let expected = ProjectKey::new("星河");
        assert!(expected.is_some());
        for raw in [
            "星河项目",
            "星河",
            "【星河】项目",
            "  星河 项目 ",
            "「星河」",
            "《星河》項目",
        ] {
            assert_eq!(ProjectKey::new(raw), expected, "{raw}");
        }
    }

    #[test]
    fn doubled_project_suffix_is_stripped_repeatedly() {
        assert_eq!(key("星河项目项目"), Some("星河".into()));
        assert_eq!(key("星河項目项目"), Some("星河".into()));
    }

    #[test]
    fn project_suffix_alone_is_kept_rather_than_emptied() {
        assert_eq!(key("项目"), Some("项目".into()));
        assert_eq!(key("【项目项目】"), Some("项目".into()));
    }

    #[test]
    fn full_width_and_upper_case_letters_fold_to_ascii_lower_case() {
        assert_eq!(key("ＡＢＣ１２３项目"), Some("abc123".into()));
        assert_eq!(ProjectKey::new("ＡＢＣ项目"), ProjectKey::new("abc"));
    }

    #[test]
    fn empty_or_bracket_only_names_have_no_key() {
        assert_eq!(key(""), None);
        assert_eq!(key("   "), None);
        assert_eq!(key("【】 []"), None);
        assert_eq!(key("\u{3000}"), None);
    }

    #[test]
    fn display_shows_the_key_text() {
        let k = ProjectKey::new("【星河】项目");
        assert_eq!(k.map(|k| k.to_string()), Some("星河".into()));
    }
}
