//! `format=flowed` text (RFC 3676, sent by Thunderbird and Apple Mail): soft line breaks — a
//! line that ends in a space — are joined back into the line the sender typed, so a wrapped field
//! value reads as one line. Quote depth (`>`) and space-stuffing are kept as RFC 3676 §4 says.

/// Joins the soft-wrapped lines of a `format=flowed` body. With `delsp` (`DelSp=yes`) the space
/// that marks a soft break is deleted as well (Chinese text wrapped without a space of its own).
pub fn unflow(text: &str, delsp: bool) -> String {
    let mut out = String::with_capacity(text.len());
    // The paragraph being joined: its quote depth and text so far.
    let mut open: Option<(usize, String)> = None;
    for raw in text.split_terminator('\n') {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let depth = line.bytes().take_while(|&b| b == b'>').count();
        let rest = &line[depth..];
        let rest = rest.strip_prefix(' ').unwrap_or(rest);
        // The signature separator `-- ` is never a soft break (RFC 3676 §4.3).
        let soft = rest.ends_with(' ') && rest != "-- ";
        if open.as_ref().is_some_and(|(d, _)| *d != depth) {
            push_line(&mut out, open.take());
        }
        let piece = if soft && delsp {
            &rest[..rest.len() - 1]
        } else {
            rest
        };
        let (_, joined) = open.get_or_insert_with(|| (depth, String::new()));
        joined.push_str(piece);
        if !soft {
            push_line(&mut out, open.take());
        }
    }
    push_line(&mut out, open.take());
    // Every line was written with a line break; the text's last line may have had none.
    if !text.ends_with('\n') && out.ends_with('\n') {
        out.pop();
    }
    out
}

fn push_line(out: &mut String, line: Option<(usize, String)>) {
    let Some((depth, text)) = line else { return };
    if depth > 0 {
        out.extend(std::iter::repeat_n('>', depth));
        out.push(' ');
    }
    out.push_str(&text);
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::unflow;

    #[test]
    fn a_soft_wrapped_value_is_joined_into_one_line() {
        let text =
            "沟通的具体问题: 调整审计策略，按表名过滤 \r\n并导出为 Excel\r\n优先级: 重要\r\n";
        assert_eq!(
            unflow(text, false),
            "沟通的具体问题: 调整审计策略，按表名过滤 并导出为 Excel\n优先级: 重要\n"
        );
    }

    #[test]
    fn delsp_removes_the_space_that_marked_the_soft_break() {
        let text = "沟通的具体问题: 调整审计 \r\n策略\r\n";
        assert_eq!(unflow(text, true), "沟通的具体问题: 调整审计策略\n");
    }

    #[test]
    fn quoted_lines_join_only_within_their_depth_and_keep_their_marker() {
        let text = "> 旧的 \r\n> 一行\r\n>> 更旧 \r\n新的\r\n";
        assert_eq!(unflow(text, false), "> 旧的 一行\n>> 更旧 \n新的\n");
    }

    #[test]
    fn space_stuffing_is_removed_and_the_signature_separator_stays_hard() {
        let text = " From here\r\n-- \r\n张三\r\n";
        assert_eq!(unflow(text, false), "From here\n-- \n张三\n");
    }

    #[test]
    fn text_without_a_final_line_break_gains_none() {
        assert_eq!(unflow("a \r\nb", false), "a b");
        assert_eq!(unflow("", false), "");
    }
}
