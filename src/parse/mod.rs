//! Reading what staff type: subjects, body fields and project names (the edge of the crate).
//!
//! Every function here takes text that is already decoded (RFC 2047, charsets and HTML are
//! handled by the mail layer), applies Unicode NFKC so full-width letters, digits and
//! punctuation read like ASCII, and never panics on any input.

pub mod body;
pub mod command;
pub mod project;
pub mod subject;

pub use body::{FieldSchema, Fields, first_line, parse_fields, strip_quoted};
pub use command::{Command, parse_command};
pub use project::ProjectKey;
pub use subject::{
    BOT_STATUS_WORDS, ParsedSubject, SubjectClass, SubjectKind, WorkflowSubject, parse_subject,
};

use unicode_normalization::UnicodeNormalization;

/// NFKC-normalises `s` (full-width `ＡＢＣ１２：－` become `ABC12:-`).
pub fn nfkc(s: &str) -> String {
    s.nfkc().collect()
}
