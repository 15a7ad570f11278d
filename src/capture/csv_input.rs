//! Reading interchange CSV: BOM, CRLF and quoting tolerated; header checked against the columns a
//! kind requires, allows and ignores; every problem named by file, row and column.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

/// The columns of one kind of file.
#[derive(Clone, Copy, Debug)]
pub struct Columns {
    pub required: &'static [&'static str],
    pub optional: &'static [&'static str],
    /// Accepted and not read (documented as ignored).
    pub ignored: &'static [&'static str],
}

/// A file that cannot be read at all (nothing from it is imported).
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{file}: cannot read: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}: the file is empty (0 bytes); expected a header row and data")]
    Empty { file: String },
    #[error(
        "{file}: row 1: missing column(s) {missing}; the first row must be the header ({expected})"
    )]
    MissingColumns {
        file: String,
        missing: String,
        expected: String,
    },
    #[error("{file}: row 1: unknown column(s) {unknown}; allowed: {allowed}")]
    UnknownColumns {
        file: String,
        unknown: String,
        allowed: String,
    },
    #[error("{file}: row 1: column '{column}' appears twice")]
    DuplicateColumn { file: String, column: String },
    #[error("{file}: row 1: the header is not valid CSV/UTF-8: {reason}")]
    Header { file: String, reason: String },
}

/// One data row: its spreadsheet row number (the header is row 1) and its fields by column.
pub struct CsvRow<'a> {
    pub row_no: u64,
    record: &'a csv::StringRecord,
    index: &'a HashMap<String, usize>,
    /// Set when the row could not be read cleanly (bad UTF-8, wrong number of fields).
    pub problem: Option<String>,
}

impl CsvRow<'_> {
    /// The trimmed value of a column; empty when absent from the header or the row.
    pub fn get(&self, column: &str) -> &str {
        self.index
            .get(column)
            .and_then(|&i| self.record.get(i))
            .map_or("", str::trim)
    }
}

/// A streaming reader over one CSV file.
pub struct CsvInput {
    file: String,
    reader: csv::Reader<Box<dyn Read + Send>>,
    index: HashMap<String, usize>,
    width: usize,
    record: csv::StringRecord,
    rows_read: u64,
}

impl CsvInput {
    /// Opens `path` and checks its header against `columns`.
    pub fn open(path: &Path, columns: &Columns) -> Result<CsvInput, FileError> {
        let file = display_name(path);
        let handle = File::open(path).map_err(|source| FileError::Io {
            file: file.clone(),
            source,
        })?;
        let length = handle
            .metadata()
            .map_err(|source| FileError::Io {
                file: file.clone(),
                source,
            })?
            .len();
        if length == 0 {
            return Err(FileError::Empty { file });
        }
        Self::from_reader(
            file,
            Box::new(BufReader::with_capacity(1 << 16, handle)),
            columns,
        )
    }

    /// Reads CSV from any source (the HTTP upload path uses this too).
    pub fn from_reader(
        file: String,
        source: Box<dyn Read + Send>,
        columns: &Columns,
    ) -> Result<CsvInput, FileError> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(true)
            .from_reader(source);
        let header = reader
            .headers()
            .map_err(|e| FileError::Header {
                file: file.clone(),
                reason: e.to_string(),
            })?
            .clone();
        if header.is_empty() || (header.len() == 1 && header[0].trim().is_empty()) {
            return Err(FileError::Empty { file });
        }
        let mut index = HashMap::new();
        for (i, name) in header.iter().enumerate() {
            let name = name.trim().trim_start_matches('\u{feff}').to_owned();
            if index.insert(name.clone(), i).is_some() {
                return Err(FileError::DuplicateColumn { file, column: name });
            }
        }
        let missing: Vec<&str> = columns
            .required
            .iter()
            .copied()
            .filter(|c| !index.contains_key(*c))
            .collect();
        if !missing.is_empty() {
            return Err(FileError::MissingColumns {
                file,
                missing: missing.join(", "),
                expected: columns.required.join(","),
            });
        }
        let known = |c: &str| {
            columns.required.contains(&c)
                || columns.optional.contains(&c)
                || columns.ignored.contains(&c)
        };
        let mut unknown: Vec<&str> = index
            .keys()
            .map(String::as_str)
            .filter(|c| !known(c))
            .collect();
        if !unknown.is_empty() {
            unknown.sort_unstable();
            let allowed = columns
                .required
                .iter()
                .chain(columns.optional)
                .copied()
                .collect::<Vec<_>>()
                .join(",");
            return Err(FileError::UnknownColumns {
                file,
                unknown: unknown.join(", "),
                allowed,
            });
        }
        Ok(CsvInput {
            file,
            reader,
            index,
            width: header.len(),
            record: csv::StringRecord::new(),
            rows_read: 0,
        })
    }

    /// The file name used in messages.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Data rows read so far.
    pub fn rows_read(&self) -> u64 {
        self.rows_read
    }

    /// Reads the next row, or `None` at the end. A row that cannot be decoded is returned with
    /// its `problem` set, so the caller can reject it (and its shift) and go on.
    pub fn next_row(&mut self) -> Option<CsvRow<'_>> {
        let problem = loop {
            match self.reader.read_record(&mut self.record) {
                Ok(false) => return None,
                Ok(true) if self.record.len() == 1 && self.record[0].trim().is_empty() => continue,
                Ok(true) if self.record.len() != self.width => {
                    break Some(format!(
                        "has {} fields but the header has {}",
                        self.record.len(),
                        self.width
                    ));
                }
                Ok(true) => break None,
                Err(e) => {
                    self.record.clear();
                    break Some(match e.kind() {
                        csv::ErrorKind::Utf8 { .. } => "is not valid UTF-8".to_owned(),
                        _ => format!("is not valid CSV: {e}"),
                    });
                }
            }
        };
        self.rows_read += 1;
        Some(CsvRow {
            row_no: self.rows_read + 1,
            record: &self.record,
            index: &self.index,
            problem,
        })
    }
}

/// The file's name without its folder, as reports show it.
pub fn display_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLS: Columns = Columns {
        required: &["a", "b"],
        optional: &["c"],
        ignored: &["x"],
    };

    fn input(text: &str) -> Result<CsvInput, FileError> {
        CsvInput::from_reader(
            "f.csv".into(),
            Box::new(std::io::Cursor::new(text.as_bytes().to_vec())),
            &COLS,
        )
    }

    #[test]
    fn bom_crlf_and_quoted_commas_are_read() {
        let mut csv = input("\u{feff}a,b,x\r\n\"1,5\",2,ignored\r\n").unwrap();
        let row = csv.next_row().unwrap();
        assert_eq!(
            (row.row_no, row.get("a"), row.get("b"), row.get("c")),
            (2, "1,5", "2", "")
        );
        assert!(row.problem.is_none());
        assert!(csv.next_row().is_none());
    }

    #[test]
    fn headers_are_checked() {
        assert!(matches!(
            input("a,c\n1,2\n"),
            Err(FileError::MissingColumns { .. })
        ));
        assert!(matches!(
            input("a,b,zzz\n"),
            Err(FileError::UnknownColumns { .. })
        ));
        assert!(matches!(
            input("a,b,a\n"),
            Err(FileError::DuplicateColumn { .. })
        ));
        assert!(
            matches!(input("1,2\n"), Err(FileError::MissingColumns { .. })),
            "a data row where the header should be"
        );
        let mut header_only = input("a,b\n").unwrap();
        assert!(header_only.next_row().is_none());
    }

    #[test]
    fn ragged_and_non_utf8_rows_are_flagged_not_fatal() {
        let mut bytes = b"a,b\n1\n".to_vec();
        bytes.extend_from_slice(b"\xff\xfe,2\n3,4\n");
        let mut csv =
            CsvInput::from_reader("f.csv".into(), Box::new(std::io::Cursor::new(bytes)), &COLS)
                .unwrap();
        assert!(
            csv.next_row()
                .unwrap()
                .problem
                .unwrap()
                .contains("1 fields")
        );
        assert!(csv.next_row().unwrap().problem.unwrap().contains("UTF-8"));
        let last = csv.next_row().unwrap();
        assert_eq!(
            (last.row_no, last.get("a"), last.problem.is_none()),
            (4, "3", true)
        );
    }
}
