//! Report output: the same table as CSV, JSON (an array of objects) or an aligned text table.

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

    /// The CSV field: user text starting with `= + - @` (or a tab or carriage return) gets a
    /// leading `'` so a spreadsheet shows it instead of running it.
    fn csv(&self) -> String {
        match self {
            Cell::Text(s) if s.starts_with(['=', '+', '-', '@', '\t', '\r']) => format!("'{s}"),
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

/// How a report is written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    #[default]
    Csv,
    Json,
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
                        *w = (*w).max(c.display().chars().count());
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
                    writeln!(out, "{}", line(row.iter().map(Cell::display).collect()))?;
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
    fn json_keeps_numbers_and_strings_apart() {
        let mut out = Vec::new();
        sample().write(Format::Json, &mut out).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v[0]["ratio"], 2);
        assert_eq!(v[0]["amount"], "-1.26");
    }
}
