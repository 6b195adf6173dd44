//! A workbook of text tables written as a stream (the 项目跟踪表, `report tracking --format
//! xlsx`, and the monthly digest's attachment): each sheet's XML is made a row at a time on the
//! caller's thread and deflated into the `.xlsx` package by the `zip` crate on a thread of its
//! own, so formatting and compressing run on both cores and nothing grows with the table.
//!
//! Why not rust_xlsxwriter here (it writes every other workbook of the project): its
//! constant-memory sheets copy each cell twice, keep it in a map until the row ends, write the
//! XML to a temporary file and deflate that file after the last row, all on one thread. For the
//! skewed 1M database's 600,000-row table that was 1.6 s of the 2.1 s `report tracking` took
//! (BENCHMARKS.md, queries section, sixteenth round). A table of text cells needs little of the
//! format: the parts below are what ECMA-376 Part 1 requires of a workbook with styled text
//! cells, and the tests read every workbook back with calamine.

use anyhow::Context;
use std::io::{Seek, Write};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

/// The most rows a sheet holds (Excel's limit).
pub const MAX_ROWS: u32 = 1_048_576;

/// The most UTF-16 code units a cell holds (Excel's limit). Longer text is cut, ending in `…`.
pub const MAX_CELL: usize = 32_767;

/// How a cell looks: the index of its format in the styles part below.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Plain text.
    Plain = 0,
    /// Bold (a table's title).
    Bold = 1,
    /// Bold on a light grey fill (column headings).
    Heading = 2,
}

/// A sheet's XML is handed to the compressing thread in pieces of about this size: large enough
/// that handing over is rare, small enough that two in flight are little memory.
const PIECE: usize = 1 << 20;

/// What the compressing thread is given.
enum Part {
    /// Starts the package member at this path.
    Member(String),
    /// Bytes of the current member.
    Bytes(Vec<u8>),
}

/// A workbook being written into `W` (a file, or memory).
pub struct Book<W: Write + Seek + Send + 'static> {
    to_zip: Option<SyncSender<Part>>,
    zipper: Option<JoinHandle<anyhow::Result<W>>>,
    /// XML not yet handed over.
    piece: Vec<u8>,
    /// The sheets' names, in order.
    sheets: Vec<String>,
    /// Rows written on the open sheet, if one is open.
    rows: Option<u32>,
}

impl<W: Write + Seek + Send + 'static> Book<W> {
    /// A workbook written into `out`, deflated at zip `level` (1–9).
    pub fn new(out: W, level: i64) -> anyhow::Result<Book<W>> {
        let (to_zip, parts) = sync_channel::<Part>(2);
        let zipper = std::thread::Builder::new()
            .name("xlsx-deflate".into())
            .spawn(move || zip_parts(out, level, parts))
            .context("cannot start the xlsx writer's thread")?;
        Ok(Book {
            to_zip: Some(to_zip),
            zipper: Some(zipper),
            piece: Vec::with_capacity(PIECE + (64 << 10)),
            sheets: Vec::new(),
            rows: None,
        })
    }

    /// Starts a sheet named `name` (made one Excel accepts, and unlike the sheets before it);
    /// `widths` are column widths in characters, from column A. The rows that follow go on it.
    pub fn sheet(&mut self, name: &str, widths: &[f64]) -> anyhow::Result<()> {
        self.end_sheet()?;
        let name = unique_sheet_name(name, &self.sheets);
        self.sheets.push(name);
        let number = self.sheets.len();
        self.send(Part::Member(format!("xl/worksheets/sheet{number}.xml")))?;
        self.piece.extend_from_slice(
            concat!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
                "\n",
                r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" "#,
                r#"xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">"#,
                r#"<sheetViews><sheetView "#
            )
            .as_bytes(),
        );
        if number == 1 {
            self.piece.extend_from_slice(br#"tabSelected="1" "#);
        }
        self.piece.extend_from_slice(
            br#"workbookViewId="0"/></sheetViews><sheetFormatPr defaultRowHeight="15"/>"#,
        );
        if !widths.is_empty() {
            self.piece.extend_from_slice(b"<cols>");
            for (i, w) in widths.iter().enumerate() {
                let c = i + 1;
                write!(
                    self.piece,
                    r#"<col min="{c}" max="{c}" width="{}" customWidth="1"/>"#,
                    stored_width(*w)
                )?;
            }
            self.piece.extend_from_slice(b"</cols>");
        }
        self.piece.extend_from_slice(b"<sheetData>");
        self.rows = Some(0);
        Ok(())
    }

    /// Adds a row of text cells to the open sheet, every cell in `style`. An empty cell is left
    /// out, as Excel writes it.
    pub fn row<S: AsRef<str>>(&mut self, cells: &[S], style: Style) -> anyhow::Result<()> {
        let row = self.next_row()?;
        // The row's number is written once and copied into each cell's reference.
        let mut digits = [0u8; 10];
        let number = {
            let mut rest = &mut digits[..];
            write!(rest, "{row}")?;
            let len = 10 - rest.len();
            &digits[..len]
        };
        self.piece.extend_from_slice(b"<row r=\"");
        self.piece.extend_from_slice(number);
        self.piece.extend_from_slice(b"\">");
        let style: &[u8] = match style {
            Style::Plain => b"\" t=\"inlineStr\"><is>",
            Style::Bold => b"\" s=\"1\" t=\"inlineStr\"><is>",
            Style::Heading => b"\" s=\"2\" t=\"inlineStr\"><is>",
        };
        for (i, cell) in cells.iter().enumerate() {
            let text = cell.as_ref();
            if text.is_empty() {
                continue;
            }
            self.piece.extend_from_slice(b"<c r=\"");
            push_column(&mut self.piece, i);
            self.piece.extend_from_slice(number);
            self.piece.extend_from_slice(style);
            push_text(&mut self.piece, text);
            self.piece.extend_from_slice(b"</is></c>");
        }
        self.piece.extend_from_slice(b"</row>");
        if self.piece.len() >= PIECE {
            self.hand_over()?;
        }
        Ok(())
    }

    /// Leaves a row empty on the open sheet.
    pub fn empty_row(&mut self) -> anyhow::Result<()> {
        self.next_row().map(drop)
    }

    /// Ends the workbook and gives back what it was written into.
    pub fn finish(mut self) -> anyhow::Result<W> {
        if self.sheets.is_empty() {
            // A workbook has at least one sheet.
            self.sheet("Sheet1", &[])?;
        }
        self.end_sheet()?;
        let sheets = std::mem::take(&mut self.sheets);
        for (member, xml) in package_parts(&sheets) {
            self.send(Part::Member(member.into()))?;
            self.piece.extend_from_slice(xml.as_bytes());
            self.hand_over()?;
        }
        drop(self.to_zip.take());
        self.join()
    }

    /// The open sheet's next row number (1-based).
    fn next_row(&mut self) -> anyhow::Result<u32> {
        let Some(rows) = self.rows else {
            anyhow::bail!("a row before any sheet");
        };
        anyhow::ensure!(
            rows < MAX_ROWS,
            "a sheet holds at most {MAX_ROWS} rows (Excel's limit)"
        );
        self.rows = Some(rows + 1);
        Ok(rows + 1)
    }

    fn end_sheet(&mut self) -> anyhow::Result<()> {
        if self.rows.take().is_some() {
            self.piece.extend_from_slice(
                br#"</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>"#,
            );
            self.hand_over()?;
        }
        Ok(())
    }

    fn hand_over(&mut self) -> anyhow::Result<()> {
        if self.piece.is_empty() {
            return Ok(());
        }
        let piece = std::mem::replace(&mut self.piece, Vec::with_capacity(PIECE + (64 << 10)));
        self.send(Part::Bytes(piece))
    }

    fn send(&mut self, part: Part) -> anyhow::Result<()> {
        if let Part::Member(_) = part {
            self.hand_over()?;
        }
        let sent = match &self.to_zip {
            Some(to_zip) => to_zip.send(part).is_ok(),
            None => false,
        };
        if sent {
            return Ok(());
        }
        // The thread stopped: its error says why.
        drop(self.to_zip.take());
        match self.join() {
            Err(e) => Err(e),
            Ok(_) => anyhow::bail!("the xlsx writer's thread stopped"),
        }
    }

    fn join(&mut self) -> anyhow::Result<W> {
        self.zipper
            .take()
            .context("the xlsx writer has finished")?
            .join()
            .map_err(|_| anyhow::anyhow!("the xlsx writer's thread panicked"))?
    }
}

impl<W: Write + Seek + Send + 'static> Drop for Book<W> {
    fn drop(&mut self) {
        // Given up on (an error on the caller's side): let the thread end.
        drop(self.to_zip.take());
        if let Some(t) = self.zipper.take() {
            let _ = t.join();
        }
    }
}

/// The compressing thread: each member deflated into the package as its bytes come.
fn zip_parts<W: Write + Seek>(out: W, level: i64, parts: Receiver<Part>) -> anyhow::Result<W> {
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(level))
        // A fixed time, so the same workbook is the same bytes.
        .last_modified_time(zip::DateTime::default());
    let mut zip = zip::ZipWriter::new(QuietAfterFailure::new(out));
    for part in parts {
        match part {
            Part::Member(path) => zip.start_file(path, options).map_err(plain)?,
            Part::Bytes(bytes) => zip.write_all(&bytes)?,
        }
    }
    Ok(zip.finish().map_err(plain)?.inner)
}

/// A zip error as itself, or the I/O error under it: "No space left on device", not that
/// wrapped in "i/o error: …" and said twice.
fn plain(e: zip::result::ZipError) -> anyhow::Error {
    match e {
        zip::result::ZipError::Io(io) => io.into(),
        other => other.into(),
    }
}

/// The package's output, which after its first failure takes everything and writes nothing.
/// The failure is returned where it happens; the zip writer, dropped then, tries to finish
/// the archive again and prints its own failure to standard error, in the middle of the one
/// line the command ends with. After a failure the package is thrown away anyway (the caller
/// writes under a temporary name, [`crate::report::Staged`], or in memory). Positions go on
/// as a file's would (the zip writer does arithmetic on them while it finishes).
struct QuietAfterFailure<W> {
    inner: W,
    failed: bool,
    /// Where the next byte goes, and the furthest any went.
    at: u64,
    end: u64,
}

impl<W> QuietAfterFailure<W> {
    fn new(inner: W) -> Self {
        QuietAfterFailure {
            inner,
            failed: false,
            at: 0,
            end: 0,
        }
    }

    fn note<T>(&mut self, r: std::io::Result<T>) -> std::io::Result<T> {
        if r.as_ref()
            .is_err_and(|e| e.kind() != std::io::ErrorKind::Interrupted)
        {
            self.failed = true;
        }
        r
    }

    fn moved_to(&mut self, at: u64) -> u64 {
        self.at = at;
        self.end = self.end.max(at);
        at
    }
}

impl<W: Write> Write for QuietAfterFailure<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = if self.failed {
            buf.len()
        } else {
            let r = self.inner.write(buf);
            self.note(r)?
        };
        self.moved_to(self.at.saturating_add(n as u64));
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.failed {
            return Ok(());
        }
        let r = self.inner.flush();
        self.note(r)
    }
}

impl<W: Seek> Seek for QuietAfterFailure<W> {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        use std::io::SeekFrom;
        let at = if self.failed {
            match pos {
                SeekFrom::Start(n) => n,
                SeekFrom::Current(d) => self.at.saturating_add_signed(d),
                SeekFrom::End(d) => self.end.saturating_add_signed(d),
            }
        } else {
            let r = self.inner.seek(pos);
            self.note(r)?
        };
        Ok(self.moved_to(at))
    }
}

/// The package's parts other than the sheets: content types, relationships, the workbook and
/// its styles.
fn package_parts(sheets: &[String]) -> [(&'static str, String); 5] {
    const HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#;
    let mut types = format!(
        r#"{HEAD}
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>"#
    );
    let mut book = format!(
        r#"{HEAD}
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><bookViews><workbookView/></bookViews><sheets>"#
    );
    let mut links = format!(
        r#"{HEAD}
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#
    );
    for (i, name) in sheets.iter().enumerate() {
        let n = i + 1;
        types += &format!(
            r#"<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#
        );
        book += r#"<sheet name=""#;
        push_attribute(&mut book, name);
        book += &format!(r#"" sheetId="{n}" r:id="rId{n}"/>"#);
        links += &format!(
            r#"<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>"#
        );
    }
    types += "</Types>";
    book += "</sheets></workbook>";
    links += &format!(
        r#"<Relationship Id="rId{}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#,
        sheets.len() + 1
    );
    let root = format!(
        r#"{HEAD}
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
    );
    // The cell formats [`Style`] names: 0 plain, 1 bold, 2 bold on #EAEEF2.
    let styles = format!(
        r#"{HEAD}
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font><font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts><fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill><fill><patternFill patternType="solid"><fgColor rgb="FFEAEEF2"/><bgColor indexed="64"/></patternFill></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/><xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"#
    );
    [
        ("[Content_Types].xml", types),
        ("_rels/.rels", root),
        ("xl/workbook.xml", book),
        ("xl/_rels/workbook.xml.rels", links),
        ("xl/styles.xml", styles),
    ]
}

/// Appends a column's letters: 0 → A, 25 → Z, 26 → AA.
fn push_column(out: &mut Vec<u8>, index: usize) {
    if index < 26 {
        out.push(b'A' + index as u8);
        return;
    }
    let start = out.len();
    let mut n = index + 1;
    while n > 0 {
        out.push(b'A' + ((n - 1) % 26) as u8);
        n = (n - 1) / 26;
    }
    out[start..].reverse();
}

/// A width in characters as the file stores it: the characters' pixels at Calibri 11's 7 pixels
/// a digit, plus 5 of padding, in 1/256ths of a character (ECMA-376 Part 1, 18.3.1.13).
fn stored_width(chars: f64) -> f64 {
    ((chars * 7.0 + 5.0) / 7.0 * 256.0).trunc() / 256.0
}

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\` nor a control
/// character (an XML attribute cannot keep them), not starting or ending with `'`, not blank,
/// not `History` (Excel keeps that name for itself and refuses a workbook that uses it), and
/// unlike every name in `taken` (Excel compares them ignoring case).
fn unique_sheet_name(name: &str, taken: &[String]) -> String {
    let clean: String = name
        .chars()
        .map(|c| {
            if "[]:*?/\\".contains(c) || c.is_control() || matches!(c, '\u{FFFE}' | '\u{FFFF}') {
                '_'
            } else {
                c
            }
        })
        .take(31)
        .collect();
    let clean = clean.trim_matches('\'');
    let base = if clean.trim().is_empty() {
        "未命名"
    } else {
        clean
    };
    let free = |n: &str| {
        let n = n.to_lowercase();
        n != "history" && !taken.iter().any(|t| t.to_lowercase() == n)
    };
    if free(base) {
        return base.to_owned();
    }
    (2..)
        .map(|i| {
            let suffix = format!(" ({i})");
            let keep = 31 - suffix.chars().count();
            format!("{}{suffix}", base.chars().take(keep).collect::<String>())
        })
        .find(|n| free(n))
        .unwrap_or_default()
}

/// Appends a cell's text as a `<t>` element: XML's escapes, `_xHHHH_` for the control
/// characters XML cannot carry (Excel's own escape, which readers undo), a literal `_xHHHH_`
/// escaped in turn, space kept where it leads or trails, and cut at [`MAX_CELL`].
fn push_text(out: &mut Vec<u8>, text: &str) {
    let text = cut(text);
    if text.starts_with([' ', '\t', '\n']) || text.ends_with([' ', '\t', '\n']) {
        out.extend_from_slice(br#"<t xml:space="preserve">"#);
    } else {
        out.extend_from_slice(b"<t>");
    }
    let bytes = text.as_bytes();
    let mut plain = 0;
    // Most bytes need nothing: look only at those that might.
    for (i, &b) in bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| MAY_ESCAPE[usize::from(**b)])
    {
        let control;
        // What to write in place of the next `consumed` bytes.
        let (escape, consumed): (&[u8], usize) = match b {
            b'&' => (b"&amp;", 1),
            b'<' => (b"&lt;", 1),
            b'>' => (b"&gt;", 1),
            b'\t' | b'\n' => continue,
            0..=0x1f => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                control = [
                    b'_',
                    b'x',
                    b'0',
                    b'0',
                    HEX[usize::from(b >> 4)],
                    HEX[usize::from(b & 0xf)],
                    b'_',
                ];
                (&control, 1)
            }
            // Written before the `_`, which follows as it is.
            b'_' if is_escape_like(&bytes[i..]) => (b"_x005F", 0),
            // U+FFFE and U+FFFF, which XML cannot carry either.
            0xEF if bytes.get(i + 1..i + 3) == Some(&[0xBF, 0xBE]) => (b"_xFFFE_", 3),
            0xEF if bytes.get(i + 1..i + 3) == Some(&[0xBF, 0xBF]) => (b"_xFFFF_", 3),
            _ => continue,
        };
        out.extend_from_slice(&bytes[plain..i]);
        out.extend_from_slice(escape);
        plain = i + consumed;
    }
    out.extend_from_slice(&bytes[plain..]);
    out.extend_from_slice(b"</t>");
}

/// The bytes [`push_text`] looks at: XML's specials, control characters, `_` and the first byte
/// of U+FFFE / U+FFFF.
const MAY_ESCAPE: [bool; 256] = {
    let mut may = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        may[b] = true;
        b += 1;
    }
    may[b'&' as usize] = true;
    may[b'<' as usize] = true;
    may[b'>' as usize] = true;
    may[b'_' as usize] = true;
    may[0xEF] = true;
    may
};

/// `_xHHHH_` at the start of `bytes`.
fn is_escape_like(bytes: &[u8]) -> bool {
    bytes.len() >= 7
        && bytes[1] == b'x'
        && bytes[2..6].iter().all(u8::is_ascii_hexdigit)
        && bytes[6] == b'_'
}

/// `text` cut to fit a cell: at most [`MAX_CELL`] UTF-16 code units, the last of them `…`
/// when cut.
fn cut(text: &str) -> std::borrow::Cow<'_, str> {
    // Fewer bytes than the limit means fewer code units too.
    if text.len() <= MAX_CELL || text.encode_utf16().count() <= MAX_CELL {
        return text.into();
    }
    let mut units = 0;
    let mut end = 0;
    for (i, c) in text.char_indices() {
        if units + c.len_utf16() > MAX_CELL - 1 {
            break;
        }
        units += c.len_utf16();
        end = i + c.len_utf8();
    }
    format!("{}…", &text[..end]).into()
}

/// Appends an attribute value with XML's escapes.
fn push_attribute(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Data, Reader, Xlsx};
    use proptest::prelude::*;

    fn read_back(bytes: Vec<u8>) -> Xlsx<std::io::Cursor<Vec<u8>>> {
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("xlsx opens")
    }

    /// The text of the package's member `name`.
    fn member(bytes: Vec<u8>, name: &str) -> String {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("zip");
        let mut text = String::new();
        std::io::Read::read_to_string(&mut zip.by_name(name).expect("member"), &mut text)
            .expect("read");
        text
    }

    fn book_of(sheets: &[(&str, Vec<Vec<String>>)]) -> Vec<u8> {
        let mut book = Book::new(std::io::Cursor::new(Vec::new()), 2).expect("book");
        for (name, rows) in sheets {
            book.sheet(name, &[10.0, 20.0]).expect("sheet");
            for r in rows {
                book.row(r, Style::Plain).expect("row");
            }
        }
        book.finish().expect("finish").into_inner()
    }

    #[test]
    fn column_names_run_past_z() {
        let got: Vec<String> = [0, 1, 25, 26, 27, 51, 52, 701, 702]
            .into_iter()
            .map(|i| {
                let mut out = b"x".to_vec();
                push_column(&mut out, i);
                String::from_utf8_lossy(&out[1..]).into_owned()
            })
            .collect();
        assert_eq!(got, ["A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"]);
    }

    #[test]
    fn widths_are_stored_as_excel_stores_them() {
        // Excel shows a column of width 16 as 16.7109375 in its XML, 10 as 10.7109375.
        assert_eq!(stored_width(16.0), 16.7109375);
        assert_eq!(stored_width(10.0), 10.7109375);
        assert_eq!(stored_width(60.0), 60.7109375);
    }

    #[test]
    fn sheet_names_are_made_acceptable_and_unique() {
        let taken = vec!["张三".to_owned(), "Sales".to_owned()];
        assert_eq!(unique_sheet_name("a/b:c", &taken), "a_b_c");
        assert_eq!(unique_sheet_name("张三", &taken), "张三 (2)");
        assert_eq!(unique_sheet_name("SALES", &taken), "SALES (2)");
        assert_eq!(unique_sheet_name("'引号'", &taken), "引号");
        assert_eq!(unique_sheet_name("  ", &taken), "未命名");
        assert_eq!(unique_sheet_name("History", &taken), "History (2)");
        assert_eq!(unique_sheet_name("'HISTORY'", &taken), "HISTORY (2)");
        let long = "项".repeat(40);
        let once = unique_sheet_name(&long, &[]);
        assert_eq!(once.chars().count(), 31);
        let twice = unique_sheet_name(&long, std::slice::from_ref(&once));
        assert_eq!(twice.chars().count(), 31);
        assert!(twice.ends_with(" (2)"), "{twice}");
    }

    #[test]
    fn a_workbook_reads_back_with_its_sheets_rows_styles_and_widths() {
        let mut book = Book::new(std::io::Cursor::new(Vec::new()), 2).expect("book");
        book.sheet("汇总", &[16.0]).expect("sheet");
        book.row(&["标题"], Style::Bold).expect("row");
        book.row(&["列一", "列二"], Style::Heading).expect("row");
        book.row(&["1", ""], Style::Plain).expect("row");
        book.empty_row().expect("empty");
        book.row(&["", "右"], Style::Plain).expect("row");
        book.sheet("李四", &[]).expect("sheet");
        book.row(&["a & <b>", " 前后空格 "], Style::Plain)
            .expect("row");
        let bytes = book.finish().expect("finish").into_inner();
        let mut wb = read_back(bytes.clone());
        assert_eq!(wb.sheet_names(), ["汇总", "李四"]);
        let s = wb.worksheet_range("汇总").expect("sheet");
        assert_eq!(s.get_value((0, 0)), Some(&Data::String("标题".into())));
        assert_eq!(s.get_value((1, 1)), Some(&Data::String("列二".into())));
        assert_eq!(s.get_value((2, 0)), Some(&Data::String("1".into())));
        assert_eq!(s.get_value((2, 1)), Some(&Data::Empty));
        assert_eq!(s.get_value((3, 0)), Some(&Data::Empty));
        assert_eq!(s.get_value((4, 1)), Some(&Data::String("右".into())));
        let s = wb.worksheet_range("李四").expect("sheet");
        assert_eq!(s.get_value((0, 0)), Some(&Data::String("a & <b>".into())));
        assert_eq!(
            s.get_value((0, 1)),
            Some(&Data::String(" 前后空格 ".into()))
        );
        // The styles and widths as the file says them.
        let sheet = member(bytes, "xl/worksheets/sheet1.xml");
        assert!(
            sheet.contains(r#"<c r="A1" s="1" t="inlineStr">"#),
            "{sheet}"
        );
        assert!(
            sheet.contains(r#"<c r="B2" s="2" t="inlineStr">"#),
            "{sheet}"
        );
        assert!(sheet.contains(r#"<c r="A3" t="inlineStr">"#), "{sheet}");
        assert!(sheet.contains(r#"<col min="1" max="1" width="16.7109375" customWidth="1"/>"#));
        assert!(sheet.contains(r#"<row r="5"><c r="B5""#), "{sheet}");
    }

    #[test]
    fn every_row_lands_where_it_was_written() {
        let rows: Vec<Vec<String>> = (1..=1_200)
            .map(|i| (0..30).map(|c| format!("{i}-{c}")).collect())
            .collect();
        let mut wb = read_back(book_of(&[("多行", rows)]));
        let s = wb.worksheet_range("多行").expect("sheet");
        assert_eq!(s.end(), Some((1_199, 29)));
        for (r, c) in [(0, 0), (8, 9), (9, 25), (99, 26), (999, 29), (1_199, 1)] {
            assert_eq!(
                s.get_value((r, c)),
                Some(&Data::String(format!("{}-{c}", r + 1))),
                "({r}, {c})"
            );
        }
    }

    #[test]
    fn the_same_workbook_is_the_same_bytes() {
        let rows = vec![vec!["x".to_owned(), "y".to_owned()]];
        assert_eq!(book_of(&[("a", rows.clone())]), book_of(&[("a", rows)]));
    }

    #[test]
    fn a_workbook_with_no_sheet_still_opens() {
        let book = Book::new(std::io::Cursor::new(Vec::new()), 2).expect("book");
        let wb = read_back(book.finish().expect("finish").into_inner());
        assert_eq!(wb.sheet_names(), ["Sheet1"]);
    }

    #[test]
    fn a_row_before_any_sheet_is_refused() {
        let mut book = Book::new(std::io::Cursor::new(Vec::new()), 2).expect("book");
        assert!(book.row(&["x"], Style::Plain).is_err());
    }

    #[test]
    fn text_longer_than_a_cell_holds_is_cut_with_an_ellipsis() {
        let long = "汉".repeat(MAX_CELL + 10);
        let cut = cut(&long);
        assert_eq!(cut.encode_utf16().count(), MAX_CELL);
        assert!(cut.ends_with('…'));
        // Characters outside the BMP are two code units each; none is split.
        let wide = "😀".repeat(MAX_CELL);
        let cut = super::cut(&wide);
        assert!(cut.encode_utf16().count() <= MAX_CELL);
        assert!(cut.ends_with('…'));
        let fits = "a".repeat(MAX_CELL);
        assert_eq!(super::cut(&fits), fits.as_str());
    }

    #[test]
    fn a_failing_output_is_an_error_not_a_hang() {
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("disk full"))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        impl Seek for Full {
            fn seek(&mut self, _: std::io::SeekFrom) -> std::io::Result<u64> {
                Ok(0)
            }
        }
        let mut book = Book::new(Full, 2).expect("book");
        let mut first = book.sheet("a", &[]).err();
        for _ in 0..50_000 {
            if first.is_some() {
                break;
            }
            first = book.row(&["0123456789".repeat(10)], Style::Plain).err();
        }
        let error = first.or_else(|| book.finish().err()).expect("an error");
        assert!(format!("{error:#}").contains("disk full"), "{error:#}");
    }

    #[test]
    fn an_output_that_fails_at_any_byte_gives_its_own_error_once() {
        // Full after `room` bytes, wherever that falls: a member's header, its data, the
        // central directory, the end of the archive.
        struct Room {
            out: std::io::Cursor<Vec<u8>>,
            room: u64,
        }
        impl Write for Room {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                let at = self.out.position();
                if at + buf.len() as u64 > self.room {
                    return Err(std::io::Error::other("disk full"));
                }
                self.out.write(buf)
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        impl Seek for Room {
            fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
                self.out.seek(pos)
            }
        }
        let write = |room: u64| -> anyhow::Result<u64> {
            let out = Room {
                out: std::io::Cursor::new(Vec::new()),
                room,
            };
            let mut book = Book::new(out, 2)?;
            for sheet in ["甲", "乙"] {
                book.sheet(sheet, &[12.0])?;
                for i in 0..300 {
                    book.row(&[format!("{sheet}{i}"), "行".repeat(i % 40)], Style::Plain)?;
                }
            }
            Ok(book.finish()?.out.into_inner().len() as u64)
        };
        let whole = write(u64::MAX).expect("room enough");
        let mut rooms: Vec<u64> = (0..whole).step_by(whole as usize / 50).collect();
        rooms.extend([1, 29, 30, 31, whole - 23, whole - 22, whole - 1]);
        for room in rooms {
            let e = write(room).expect_err("a workbook larger than the room");
            let said = format!("{e:#}");
            assert_eq!(said.matches("disk full").count(), 1, "{room}: {said}");
            assert!(!said.contains("i/o error"), "{room}: {said}");
        }
        write(whole).expect("exactly the room it needs");
    }

    /// Text of any characters: XML's specials, every control character, `_xHHHH_` look-alikes,
    /// spaces at the ends, CJK and characters outside the BMP.
    fn any_text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            proptest::char::range('\u{0}', '\u{7f}').prop_map(String::from),
            Just("_x000D_".to_owned()),
            Just("_x005F_".to_owned()),
            Just("_xABCG_".to_owned()),
            Just("_x41".to_owned()),
            Just("&amp;".to_owned()),
            Just("]]>".to_owned()),
            Just("项目跟踪".to_owned()),
            Just("😀".to_owned()),
            Just("\u{FFFE}\u{FFFF}".to_owned()),
            Just("\u{FFFD}\u{EFBF}".to_owned()),
            Just(" ".to_owned()),
            Just("\r\n".to_owned()),
        ];
        proptest::collection::vec(piece, 0..12).prop_map(|p| p.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Sheet names made of anything (a name in the config) give a workbook that opens, with
        /// the names [`unique_sheet_name`] chose, in order and all different.
        #[test]
        fn any_sheet_names_read_back_as_chosen(names in proptest::collection::vec(any_text(), 1..5)) {
            let mut book = Book::new(std::io::Cursor::new(Vec::new()), 2).expect("book");
            let mut chosen: Vec<String> = Vec::new();
            for n in &names {
                chosen.push(unique_sheet_name(n, &chosen));
                book.sheet(n, &[]).expect("sheet");
                book.row(&[n.as_str()], Style::Plain).expect("row");
            }
            let wb = read_back(book.finish().expect("finish").into_inner());
            prop_assert_eq!(wb.sheet_names(), chosen.clone());
            let lower: std::collections::HashSet<String> =
                chosen.iter().map(|n| n.to_lowercase()).collect();
            prop_assert_eq!(lower.len(), chosen.len());
            for n in &chosen {
                prop_assert!(n.chars().count() <= 31, "{}", n);
                prop_assert!(!n.is_empty());
                prop_assert!(!n.eq_ignore_ascii_case("history"), "{:?}", n);
                // XML cannot carry these in an attribute (calamine reads them all the same).
                prop_assert!(!n.chars().any(|c| c.is_control() || c == '\u{FFFE}'), "{:?}", n);
            }
        }

        /// Whatever a mail carried comes back from the workbook as it was written.
        #[test]
        fn any_text_reads_back_as_it_was(cells in proptest::collection::vec(any_text(), 1..6)) {
            let bytes = book_of(&[("表", vec![cells.clone()])]);
            // No character XML 1.0 leaves out (its `Char` production) is in the sheet's XML.
            let xml = member(bytes.clone(), "xl/worksheets/sheet1.xml");
            prop_assert!(
                !xml.chars().any(|c| (c < ' ' && !matches!(c, '\t' | '\n' | '\r'))
                    || matches!(c, '\u{FFFE}' | '\u{FFFF}')),
                "{:?}",
                xml
            );
            let mut wb = read_back(bytes);
            let s = wb.worksheet_range("表").expect("sheet");
            for (i, want) in cells.iter().enumerate() {
                let got = match s.get_value((0, i as u32)) {
                    Some(Data::String(t)) => t.clone(),
                    Some(Data::Empty) | None => String::new(),
                    Some(other) => format!("{other:?}"),
                };
                prop_assert_eq!(&got, want);
            }
        }
    }
}
