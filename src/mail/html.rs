//! The look of every HTML part the bot sends (digests, query replies): one page frame and one
//! table writer, inline styles only and no scripts, so Outlook and phone clients show them and
//! a digest and a query reply look alike.

/// A table cell's style.
pub const CELL: &str =
    "border:1px solid #c8ced6;padding:4px 8px;text-align:left;vertical-align:top;";
/// A table's style.
pub const TABLE: &str = "border-collapse:collapse;margin:4px 0 12px 0;font-size:13px;";
/// A muted line (「（无）」, a note under a table).
pub const MUTED: &str = "margin:0 0 10px 0;color:#57606a;";

/// The page up to and including its `<h2>` title.
pub fn page_start(title: &str) -> String {
    let mut s = String::from(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
    );
    s += &format!("<title>{}</title></head>\n", esc(title));
    s += "<body style=\"margin:0;padding:12px;font-family:'Microsoft YaHei','PingFang SC',\
          Arial,sans-serif;font-size:14px;color:#1f2328;background:#ffffff;\">\n";
    s += &format!(
        "<h2 style=\"font-size:18px;margin:0 0 6px 0;\">{}</h2>\n",
        esc(title)
    );
    s
}

/// The small grey footer line and the end of the page.
pub fn page_end(footer: &str) -> String {
    format!(
        "<p style=\"margin:16px 0 0 0;font-size:12px;color:#8c959f;\">{}</p>\n</body></html>\n",
        esc(footer)
    )
}

/// One row of a table: its cells as HTML (already escaped), and whether it stands out (an
/// overdue row: red and bold).
pub struct Row {
    /// Cells, as HTML.
    pub cells: Vec<String>,
    /// Shown in red.
    pub alert: bool,
}

/// A titled table; 「（无）」 when it has no rows.
pub fn table(title: &str, headers: &[String], rows: &[Row]) -> String {
    let mut s = format!(
        "<h3 style=\"font-size:15px;margin:14px 0 4px 0;\">{}</h3>\n",
        esc(title)
    );
    if rows.is_empty() {
        s += &format!("<p style=\"{MUTED}\">（无）</p>\n");
        return s;
    }
    s += &format!("<table style=\"{TABLE}\">\n<tr>");
    for h in headers {
        s += &format!("<th style=\"{CELL}background:#eaeef2;\">{}</th>", esc(h));
    }
    s += "</tr>\n";
    for r in rows {
        s += if r.alert {
            "<tr style=\"color:#cf222e;font-weight:bold;\">"
        } else {
            "<tr>"
        };
        for c in &r.cells {
            s += &format!("<td style=\"{CELL}\">{c}</td>");
        }
        s += "</tr>\n";
    }
    s += "</table>\n";
    s
}

/// HTML-escapes text; a line break becomes `<br>`.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out += "&amp;",
            '<' => out += "&lt;",
            '>' => out += "&gt;",
            '"' => out += "&quot;",
            '\'' => out += "&#39;",
            '\n' => out += "<br>",
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_table_says_none_and_an_alert_row_is_red() {
        assert!(table("投诉", &["日期".into()], &[]).contains("（无）"));
        let html = table(
            "遗留问题",
            &["问题".into()],
            &[Row {
                cells: vec![esc("<b>")],
                alert: true,
            }],
        );
        assert!(html.contains("color:#cf222e"));
        assert!(html.contains("&lt;b&gt;"));
    }
}
