//! Report output: the same table as CSV, JSON (an array of objects) or an aligned text table,
//! and the two guards on text that came from users: against spreadsheet formulas in CSV, and
//! against control characters wherever text is shown as lines (tables, the run report, email).

use std::borrow::Cow;
use std::fmt;
use std::io::Write;
use std::str::FromStr;

/// One value of a report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    /// Text that came from users (ids, reasons): guarded against spreadsheet formulas in CSV.
    Text(String),
    /// Text tms wrote itself (dates, bands, amounts, rates): written as is.
    Plain(String),
    /// A whole number, a JSON number.
    Number(i64),
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    pub fn plain(s: impl Into<String>) -> Cell {
        Cell::Plain(s.into())
    }

    fn display(&self) -> String {
        match self {
            Cell::Text(s) | Cell::Plain(s) => s.clone(),
            Cell::Number(n) => n.to_string(),
        }
    }

    /// The cell in a text table: one line, control characters shown as escapes.
    fn table(&self) -> String {
        visible(&self.display()).into_owned()
    }

    /// The CSV field: user text is guarded against formulas (see [`guard_formula`]).
    fn csv(&self) -> String {
        match self {
            Cell::Text(s) => guard_formula(s).into_owned(),
            other => other.display(),
        }
    }

    fn json(&self) -> serde_json::Value {
        match self {
            Cell::Text(s) | Cell::Plain(s) => serde_json::Value::String(s.clone()),
            Cell::Number(n) => serde_json::Value::from(*n),
        }
    }
}

/// A CSV field of user text as a spreadsheet may safely open it: text starting with `= + - @`, a
/// tab or a carriage return gets a leading `'`, so the spreadsheet shows it instead of running it.
/// Every CSV file tms writes with user text in it goes through this.
pub fn guard_formula(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

pub use crate::domain::text::is_hidden;

/// Text as it may be shown on a line of a table, the run report or its email: every character
/// of [`is_hidden`] is written as a visible escape (`\n`, `\r`, `\t`, `\u{202e}`), so a file
/// name or a value cannot break a line, forge one, or reorder what is shown after it.
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_hidden(c) => {
                use std::fmt::Write as _;
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// How a report is written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Comma-separated values with a header row (docs/formats.md).
    #[default]
    Csv,
    /// A JSON array of objects, one per row.
    Json,
    /// An aligned text table to read on screen.
    Table,
}

impl FromStr for Format {
    type Err = String;
    fn from_str(raw: &str) -> Result<Self, String> {
        match raw {
            "csv" => Ok(Format::Csv),
            "json" => Ok(Format::Json),
            "table" => Ok(Format::Table),
            other => Err(format!("unknown format '{other}'; csv, json or table")),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Table => "table",
        })
    }
}

/// A report: named columns and rows of cells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn new(headers: &[&'static str]) -> Table {
        Table {
            headers: headers.to_vec(),
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<Cell>) {
        assert_eq!(row.len(), self.headers.len(), "a row has a cell per column");
        self.rows.push(row);
    }

    /// Writes the table in `format`.
    pub fn write(&self, format: Format, out: &mut impl Write) -> std::io::Result<()> {
        match format {
            Format::Csv => {
                let mut writer = csv::Writer::from_writer(out);
                writer.write_record(&self.headers)?;
                for row in &self.rows {
                    writer.write_record(row.iter().map(Cell::csv))?;
                }
                writer.flush()
            }
            Format::Json => {
                let array: Vec<serde_json::Value> = self
                    .rows
                    .iter()
                    .map(|row| {
                        serde_json::Value::Object(
                            self.headers
                                .iter()
                                .zip(row)
                                .map(|(h, c)| ((*h).to_owned(), c.json()))
                                .collect(),
                        )
                    })
                    .collect();
                serde_json::to_writer_pretty(&mut *out, &array)?;
                writeln!(out)
            }
            Format::Table => {
                let mut widths: Vec<usize> =
                    self.headers.iter().map(|h| h.chars().count()).collect();
                for row in &self.rows {
                    for (w, c) in widths.iter_mut().zip(row) {
                        *w = (*w).max(c.table().chars().count());
                    }
                }
                let line = |cells: Vec<String>| -> String {
                    cells
                        .iter()
                        .zip(&widths)
                        .map(|(c, w)| format!("{c:<w$}"))
                        .collect::<Vec<_>>()
                        .join("  ")
                        .trim_end()
                        .to_owned()
                };
                writeln!(
                    out,
                    "{}",
                    line(self.headers.iter().map(|h| (*h).to_owned()).collect())
                )?;
                for row in &self.rows {
                    writeln!(out, "{}", line(row.iter().map(Cell::table).collect()))?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        let mut t = Table::new(&["person_id", "ratio", "amount"]);
        t.push(vec![
            Cell::text("=cmd"),
            Cell::Number(2),
            Cell::plain("-1.26"),
        ]);
        t
    }

    #[test]
    fn csv_guards_user_text_but_not_amounts() {
        let mut out = Vec::new();
        sample().write(Format::Csv, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "person_id,ratio,amount\n'=cmd,2,-1.26\n"
        );
    }

    #[test]
    fn every_formula_start_is_guarded_in_csv() {
        for start in ["=", "+", "-", "@", "\t", "\r"] {
            let text = format!("{start}HYPERLINK(\"x\")");
            assert_eq!(guard_formula(&text), format!("'{text}"));
        }
        assert_eq!(guard_formula("W0001"), "W0001");
        assert_eq!(guard_formula("a=b"), "a=b");
    }

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        assert_eq!(visible("shifts-2026-11.csv"), "shifts-2026-11.csv");
        assert_eq!(visible("a\n  ingest done\r\tb"), "a\\n  ingest done\\r\\tb");
        assert_eq!(
            visible("evil\u{202e}vsc.exe\u{2028}x\u{7}"),
            "evil\\u{202e}vsc.exe\\u{2028}x\\u{7}"
        );
        assert!(
            !visible("\u{2066}\u{200b}\u{feff}\u{85}")
                .chars()
                .any(is_hidden)
        );
        // Letters of every script pass untouched.
        assert_eq!(visible("Zoë Ørsted — 山田"), "Zoë Ørsted — 山田");
    }

    #[test]
    fn a_table_cell_cannot_break_its_line() {
        let mut t = Table::new(&["file", "reason"]);
        t.push(vec![
            Cell::text("shifts.csv\nforged,line"),
            Cell::text("bad\u{202e}"),
        ]);
        let mut out = Vec::new();
        t.write(Format::Table, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(
            text.contains("shifts.csv\\nforged,line  bad\\u{202e}"),
            "{text}"
        );
        // CSV keeps the value as it is, quoted.
        let mut out = Vec::new();
        t.write(Format::Csv, &mut out).unwrap();
        assert!(
            String::from_utf8(out)
                .unwrap()
                .contains("\"shifts.csv\nforged,line\"")
        );
    }

    #[test]
    fn json_keeps_numbers_and_strings_apart() {
        let mut out = Vec::new();
        sample().write(Format::Json, &mut out).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v[0]["ratio"], 2);
        assert_eq!(v[0]["amount"], "-1.26");
    }
}
