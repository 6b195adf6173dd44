//! Reading what staff type: subjects, body fields and project names (the edge of the crate).
//!
//! Every function here takes text that is already decoded (RFC 2047, charsets and HTML are
//! handled by the mail layer), applies Unicode NFKC so full-width letters, digits and
//! punctuation read like ASCII, and never panics on any input.

pub mod body;
pub mod command;
pub mod fields;
pub mod project;
pub mod query;
pub mod subject;
pub mod values;

pub use body::{FieldSchema, Fields, first_line, parse_fields, strip_quoted};
pub use command::{Command, SatisfactionLevel, parse_command};
pub use fields::{
    ComplaintFields, FaultOrderFields, InitiationFields, ReportFields, TaskRequestFields,
};
pub use project::ProjectKey;
pub use subject::{
    BOT_STATUS_WORDS, ParsedSubject, SubjectClass, SubjectKind, WorkflowSubject, parse_subject,
};

use unicode_normalization::UnicodeNormalization;

/// NFKC-normalises `s` (full-width `ＡＢＣ１２：－` become `ABC12:-`). Most typed text is
/// already in that form (ASCII, common CJK): the quick check finds so without decomposing and
/// recomposing every character, which every field and line of every mail went through.
pub fn nfkc(s: &str) -> String {
    match unicode_normalization::is_nfkc_quick(s.chars()) {
        unicode_normalization::IsNormalized::Yes => s.to_string(),
        _ => s.nfkc().collect(),
    }
}

/// Traditional characters turned into Simplified ones (溝通結果 → 沟通结果), character for
/// character, so zh-TW / zh-HK mail matches the same field names, keywords, values and names.
/// Only for matching: what is stored and echoed is what the sender wrote.
pub fn simplified(s: &str) -> String {
    fast2s::convert(s)
}

/// What every match on typed text compares: NFKC, then Simplified characters.
pub fn fold(s: &str) -> String {
    simplified(&nfkc(s))
}
