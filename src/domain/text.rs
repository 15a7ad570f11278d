//! Text that reaches people and files: which characters may not pass as they are.

/// Whether a character must not reach a line of text as it is: control characters (line feed,
/// carriage return and tab among them), the line and paragraph separators, bidirectional
/// overrides and isolates, and invisible joiners and marks.
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00ad}'
                | '\u{061c}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2069}'
                | '\u{feff}'
        )
}
