//! The 项目跟踪表 workbook (第十六条): one sheet per presales, the basis of project bonuses.
//! Attached to the monthly digest and written by `report tracking --format xlsx`.

use crate::store::parse_ts;
use crate::store::tracking::TrackingRow;
use chrono_tz::Tz;
use rust_xlsxwriter::{Format, Workbook};

/// MIME type of an .xlsx file.
pub const CONTENT_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Column headings of a sheet.
pub const HEADERS: [&str; 8] = [
    "项目",
    "日期",
    "技服人员",
    "结果",
    "沟通人",
    "沟通方式",
    "沟通的具体问题",
    "遗留的问题描述",
];

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(name: &str) -> String {
    let clean: String = name
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .take(31)
        .collect();
    if clean.trim().is_empty() {
        "未命名".into()
    } else {
        clean
    }
}

/// The local date-time of a stored timestamp, for people.
pub fn local(tz: Tz, stored: &str) -> anyhow::Result<String> {
    Ok(parse_ts(stored)?
        .with_timezone(&tz)
        .format("%Y-%m-%d %H:%M")
        .to_string())
}

/// Column widths of a sheet.
const WIDTHS: [f64; 8] = [16.0, 17.0, 10.0, 10.0, 12.0, 10.0, 60.0, 40.0];

/// A row's cells, under [`HEADERS`], with its local `date` ([`local`]): the row's own text,
/// not copies of it (a 600,000-row table copied every cell once more).
fn cells<'a, S: AsRef<str>>(r: &'a TrackingRow<S>, date: &'a str) -> [&'a str; 8] {
    [
        r.project_name.as_ref(),
        date,
        r.engineer.as_ref(),
        r.result.as_ref(),
        r.contact.as_ref(),
        r.method.as_ref(),
        r.content.as_ref(),
        // NULL: a blank cell, as `store::cell_or_blank` shows it.
        r.leftover.as_ref().map_or("", AsRef::as_ref),
    ]
}

/// The same workbook as [`workbook`], written a row at a time (`report tracking --format xlsx`,
/// and the monthly digest's attachment through [`workbook_with_summary`]): each presales' sheet
/// is in rust_xlsxwriter's constant-memory mode, which writes a row out to a temporary file once
/// the next one starts, so the memory does not grow with the table, and writes each cell's text
/// in place rather than through the shared-strings table it would otherwise hash every cell
/// into (the monthly digest's 51,840 rows on the skewed 1M database: 0.55 s → 0.19 s with the
/// compression level below).
pub struct Streamed {
    wb: Workbook,
    bold: Format,
    tz: Tz,
    /// Sheets added so far.
    sheets: usize,
    /// The current presales' sheet and its last row written.
    sheet: Option<(usize, u32)>,
}

impl Streamed {
    /// An empty workbook. Compressed at zip level 2, not rust_xlsxwriter's default 6: most of
    /// the time a large table takes is deflating its sheet XML, and level 2 takes about half as
    /// long for a file about a tenth bigger (rust_xlsxwriter's performance notes).
    pub fn new(tz: Tz) -> Streamed {
        let mut wb = Workbook::new();
        wb.set_zip_compression_level(2);
        Streamed {
            wb,
            bold: Format::new().set_bold().set_background_color("#EAEEF2"),
            tz,
            sheets: 0,
            sheet: None,
        }
    }

    /// A sheet 「汇总」 holding `tables` one under another (the monthly review, queries.md §4).
    fn summary(&mut self, tables: &[super::Table]) -> anyhow::Result<()> {
        let ws = self.wb.add_worksheet();
        self.sheets += 1;
        ws.set_name("汇总")?;
        let title = Format::new().set_bold();
        let mut row = 0u32;
        for t in tables {
            ws.write_string_with_format(row, 0, &t.title, &title)?;
            row += 1;
            for (c, h) in t.headers.iter().enumerate() {
                ws.write_string_with_format(row, c as u16, h, &self.bold)?;
            }
            row += 1;
            for r in &t.rows {
                for (c, v) in r.iter().enumerate() {
                    ws.write_string(row, c as u16, v)?;
                }
                row += 1;
            }
            row += 1;
        }
        ws.set_column_width(0, 16.0)?;
        Ok(())
    }

    /// Starts `owner`'s sheet (after the ones before); the rows that follow go on it.
    pub fn sheet(&mut self, owner: &str) -> anyhow::Result<()> {
        let index = self.sheets;
        let ws = self.wb.add_worksheet_with_constant_memory()?;
        self.sheets += 1;
        ws.set_name(sheet_name(owner))?;
        for (c, w) in WIDTHS.iter().enumerate() {
            ws.set_column_width(c as u16, *w)?;
        }
        for (c, h) in HEADERS.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &self.bold)?;
        }
        self.sheet = Some((index, 0));
        Ok(())
    }

    /// Adds a row to the current sheet.
    pub fn row<S: AsRef<str>>(&mut self, r: &TrackingRow<S>) -> anyhow::Result<()> {
        let Some((index, last)) = self.sheet else {
            anyhow::bail!("a tracking row before any sheet");
        };
        let row = last + 1;
        let ws = self.wb.worksheet_from_index(index)?;
        let date = local(self.tz, r.date.as_ref())?;
        for (c, v) in cells(r, &date).into_iter().enumerate() {
            ws.write_string(row, c as u16, v)?;
        }
        self.sheet = Some((index, row));
        Ok(())
    }

    /// Writes the workbook to `path`.
    pub fn save(mut self, path: &std::path::Path) -> anyhow::Result<()> {
        self.wb.save(path)?;
        Ok(())
    }

    /// The workbook's bytes.
    fn into_bytes(mut self) -> anyhow::Result<Vec<u8>> {
        Ok(self.wb.save_to_buffer()?)
    }
}

/// A workbook with a sheet for each of `owners` (in order) holding their rows of `rows`.
pub fn workbook(owners: &[String], rows: &[TrackingRow], tz: Tz) -> anyhow::Result<Vec<u8>> {
    workbook_with_summary(owners, rows, tz, &[])
}

/// [`workbook`] with a first sheet 「汇总」 holding `summary`'s tables one under another (the
/// monthly review, queries.md §4); none when `summary` is empty.
pub fn workbook_with_summary(
    owners: &[String],
    rows: &[TrackingRow],
    tz: Tz,
    summary: &[super::Table],
) -> anyhow::Result<Vec<u8>> {
    let mut book = Streamed::new(tz);
    if !summary.is_empty() {
        book.summary(summary)?;
    }
    for owner in owners {
        book.sheet(owner)?;
        for r in rows.iter().filter(|r| &r.owner == owner) {
            book.row(r)?;
        }
    }
    book.into_bytes()
}

/// The sheet owners: every presales in the directory, then anyone else who owns rows.
pub fn owners(presales: impl Iterator<Item = String>, rows: &[TrackingRow]) -> Vec<String> {
    let mut out: Vec<String> = presales.collect();
    for r in rows {
        if !out.contains(&r.owner) {
            out.push(r.owner.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Data, Reader, Xlsx};

    #[test]
    fn a_formula_written_by_a_sender_is_a_string_cell_in_the_workbook() {
        let row = TrackingRow {
            owner: "李四".into(),
            project: "=1+1".into(),
            project_name: "=1+1".into(),
            contact: "客户王工".into(),
            method: "电话".into(),
            leftover: None,
            date: "2026-12-01T02:00:00Z".into(),
            engineer: "张三".into(),
            result: "成功".into(),
            content: "=cmd|'/c calc'!A1".into(),
            message_id: "<a@example.com>".into(),
        };
        let bytes =
            workbook(&["李四".into()], &[row], chrono_tz::Asia::Shanghai).unwrap_or_default();
        let mut wb: Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("xlsx opens");
        let sheet = wb.worksheet_range("李四").expect("sheet");
        assert_eq!(sheet.get((1, 0)), Some(&Data::String("=1+1".into())));
        assert_eq!(
            sheet.get((1, 6)),
            Some(&Data::String("=cmd|'/c calc'!A1".into()))
        );
        let formulas = wb.worksheet_formula("李四").expect("formulas");
        assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()));
    }
}
