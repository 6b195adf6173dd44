//! A long table of a query reply, whole, as an .xlsx workbook (queries.md §1: more than 20 rows).
//! The 项目跟踪表 keeps its own workbook ([`crate::digest::xlsx`]); this one is for the rest.

use super::table::Section;
use crate::mail::outbound::Attachment;
use rust_xlsxwriter::{Format, Workbook};

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`, unique in the book.
fn sheet_name(title: &str, taken: &[String]) -> String {
    let clean: String = title
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .take(28)
        .collect();
    let base = if clean.trim().is_empty() {
        "表".to_string()
    } else {
        clean
    };
    let mut name = base.clone();
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{base}{n}");
        n += 1;
    }
    name
}

/// One workbook with a sheet per section, every row of each; the file is named `file`.
pub fn workbook(file: &str, sections: &[&Section]) -> anyhow::Result<Attachment> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold().set_background_color("#EAEEF2");
    let mut taken = Vec::new();
    for s in sections {
        let ws = wb.add_worksheet();
        let name = sheet_name(&s.title, &taken);
        ws.set_name(&name)?;
        taken.push(name);
        for (c, h) in s.headers.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, h, &bold)?;
        }
        for (r, row) in s.rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                ws.write_string(r as u32 + 1, c as u16, cell.text())?;
            }
        }
        ws.autofit();
    }
    Ok(Attachment {
        filename: file.to_owned(),
        content_type: crate::digest::xlsx::CONTENT_TYPE.to_owned(),
        content: wb.save_to_buffer()?,
    })
}
