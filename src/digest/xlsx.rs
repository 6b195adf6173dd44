//! The 项目跟踪表 workbook (第十六条): one sheet per presales, the basis of project bonuses.
//! Attached to the monthly digest and written by `report tracking --format xlsx`.

use super::ooxml::{Book, Style};
use crate::store::parse_ts;
use crate::store::tracking::TrackingRow;
use chrono_tz::Tz;

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

/// The local date-time of a stored timestamp, for people: `2026-12-01 10:00`.
pub fn local(tz: Tz, stored: &str) -> anyhow::Result<String> {
    let mut out = String::with_capacity(16);
    push_local(&mut out, tz, stored)?;
    Ok(out)
}

/// [`local`] appended to `out`: chrono's `%Y-%m-%d %H:%M` without reading the pattern again for
/// each of a 600,000-row table's dates (6 % of `report tracking --format xlsx`).
fn push_local(out: &mut String, tz: Tz, stored: &str) -> anyhow::Result<()> {
    use chrono::{Datelike as _, Timelike as _};
    use std::fmt::Write as _;
    let at = parse_ts(stored)?.with_timezone(&tz);
    write!(
        out,
        "{:04}-{:02}-{:02} {:02}:{:02}",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute()
    )?;
    Ok(())
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
/// and the monthly digest's attachment through [`workbook_with_summary`]) by
/// [`super::ooxml::Book`]: the sheets' XML deflated into the file on a second thread as the rows
/// come, so the memory does not grow with the table.
pub struct Streamed<W: std::io::Write + std::io::Seek + Send + 'static> {
    book: Book<W>,
    tz: Tz,
    /// The current row's local date, reused from row to row.
    date: String,
}

/// Zip compression level 2, not the usual 6: most of the time a large table takes is deflating
/// its sheet XML, and level 2 takes about half as long for a file about a tenth bigger
/// (measured with rust_xlsxwriter's packager, which this writer replaced; BENCHMARKS.md).
const LEVEL: i64 = 2;

impl Streamed<std::io::BufWriter<std::fs::File>> {
    /// An empty workbook to be written into `file` (from its start).
    pub fn into_file(tz: Tz, file: std::fs::File) -> anyhow::Result<Self> {
        Streamed::writing(tz, std::io::BufWriter::with_capacity(1 << 16, file))
    }

    /// Ends the workbook and makes sure its file is written.
    pub fn save(self) -> anyhow::Result<()> {
        let mut out = self.book.finish()?;
        std::io::Write::flush(&mut out)?;
        Ok(())
    }
}

impl<W: std::io::Write + std::io::Seek + Send + 'static> Streamed<W> {
    /// An empty workbook written into `out`.
    fn writing(tz: Tz, out: W) -> anyhow::Result<Self> {
        Ok(Streamed {
            book: Book::new(out, LEVEL)?,
            tz,
            date: String::new(),
        })
    }

    /// A sheet 「汇总」 holding `tables` one under another (the monthly review, queries.md §4).
    fn summary(&mut self, tables: &[super::Table]) -> anyhow::Result<()> {
        self.book.sheet("汇总", &[16.0])?;
        for t in tables {
            self.book.row(&[&t.title], Style::Bold)?;
            self.book.row(&t.headers, Style::Heading)?;
            for r in &t.rows {
                self.book.row(r, Style::Plain)?;
            }
            self.book.empty_row()?;
        }
        Ok(())
    }

    /// Starts `owner`'s sheet (after the ones before); the rows that follow go on it.
    pub fn sheet(&mut self, owner: &str) -> anyhow::Result<()> {
        self.book.sheet(owner, &WIDTHS)?;
        self.book.row(&HEADERS, Style::Heading)
    }

    /// Adds a row to the current sheet.
    pub fn row<S: AsRef<str>>(&mut self, r: &TrackingRow<S>) -> anyhow::Result<()> {
        let Streamed { book, tz, date } = self;
        date.clear();
        push_local(date, *tz, r.date.as_ref())?;
        book.row(&cells(r, date), Style::Plain)
    }
}

impl Streamed<std::io::Cursor<Vec<u8>>> {
    /// An empty workbook written in memory.
    fn in_memory(tz: Tz) -> anyhow::Result<Self> {
        Streamed::writing(tz, std::io::Cursor::new(Vec::new()))
    }

    /// The workbook's bytes.
    fn into_bytes(self) -> anyhow::Result<Vec<u8>> {
        Ok(self.book.finish()?.into_inner())
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
    let mut book = Streamed::in_memory(tz)?;
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
    fn a_local_date_is_written_as_chrono_formats_it() {
        let tz = chrono_tz::Asia::Shanghai;
        for stored in [
            "2026-12-01T02:00:00Z",
            "2026-12-31T16:00:00Z",
            "2026-02-28T15:59:59Z",
            "0999-01-01T00:00:00Z",
            "2026-06-30T23:05:00+08:00",
        ] {
            let want = parse_ts(stored)
                .expect("stored")
                .with_timezone(&tz)
                .format("%Y-%m-%d %H:%M")
                .to_string();
            assert_eq!(local(tz, stored).expect("local"), want, "{stored}");
        }
        assert!(local(tz, "yesterday").is_err());
    }

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
