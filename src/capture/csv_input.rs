//! Reading interchange CSV: BOM, CRLF and quoting tolerated; header checked against the columns a
//! kind requires, allows and ignores; every problem named by file, row and column, with the
//! row's lines in the file where they differ from its row number.

use std::collections::{HashMap, VecDeque};
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
    /// Whether a value may hold a line break (an address may). Where it may not, a row with one
    /// is flagged: in a shift file it is how a quote left open swallows the rows after it.
    pub line_breaks: bool,
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

/// One data row: its spreadsheet row number (the header is row 1), the lines of the file it was
/// read from, and its fields by column. Rows are numbered as a spreadsheet shows them, so a
/// quoted value over several lines is one row; lines count every line of the file.
pub struct CsvRow<'a> {
    pub row_no: u64,
    /// The file line the row starts on, and the one it ends on.
    pub lines: (u64, u64),
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

/// ` (line 7)` or ` (lines 7–9)`: where a row is in the file, when that is not its row number.
pub fn lines_note(row_no: u64, (first, last): (u64, u64)) -> String {
    if first != last {
        format!(" (lines {first}–{last})")
    } else if first != row_no {
        format!(" (line {first})")
    } else {
        String::new()
    }
}

/// A source that remembers where its recent line feeds are, so a record's last line can be told
/// from the reader's byte position whatever the line endings. Only line feeds not yet passed
/// are kept, so memory stays bounded by the read-ahead.
struct LineFeeds {
    inner: Box<dyn Read + Send>,
    read: u64,
    feeds: VecDeque<u64>,
}

impl Read for LineFeeds {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for (i, b) in buf[..n].iter().enumerate() {
            if *b == b'\n' {
                self.feeds.push_back(self.read + i as u64);
            }
        }
        self.read += n as u64;
        Ok(n)
    }
}

impl LineFeeds {
    /// Whether the byte at `offset` is a line feed; forgets the ones before it.
    fn is_feed(&mut self, offset: u64) -> bool {
        while self.feeds.front().is_some_and(|&f| f < offset) {
            self.feeds.pop_front();
        }
        self.feeds.front() == Some(&offset)
    }
}

/// A streaming reader over one CSV file.
pub struct CsvInput {
    file: String,
    reader: csv::Reader<LineFeeds>,
    index: HashMap<String, usize>,
    names: Vec<String>,
    width: usize,
    line_breaks: bool,
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
            .from_reader(LineFeeds {
                inner: source,
                read: 0,
                feeds: VecDeque::new(),
            });
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
        let mut names = Vec::with_capacity(header.len());
        for (i, name) in header.iter().enumerate() {
            let name = name.trim().trim_start_matches('\u{feff}').to_owned();
            if index.insert(name.clone(), i).is_some() {
                return Err(FileError::DuplicateColumn { file, column: name });
            }
            names.push(name);
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
            names,
            width: header.len(),
            line_breaks: columns.line_breaks,
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
        let (read, lines) = loop {
            let read = self.reader.read_record(&mut self.record);
            if matches!(read, Ok(true))
                && self.record.len() == 1
                && self.record[0].trim().is_empty()
            {
                continue;
            }
            if matches!(read, Ok(false)) {
                return None;
            }
            let lines = self.lines_of_last_record(read.is_ok());
            break (read, lines);
        };
        let row_no = self.rows_read + 2;
        let note = lines_note(row_no, lines);
        let problem = match read {
            Ok(_) => self.line_break_problem(lines).or_else(|| {
                (self.record.len() != self.width).then(|| {
                    format!(
                        "has {} fields but the header has {}{note}",
                        self.record.len(),
                        self.width
                    )
                })
            }),
            Err(e) => {
                self.record.clear();
                Some(match e.kind() {
                    csv::ErrorKind::Utf8 { .. } => format!("is not valid UTF-8{note}"),
                    _ => format!("is not valid CSV{note}: {e}"),
                })
            }
        };
        self.rows_read += 1;
        Some(CsvRow {
            row_no,
            lines,
            record: &self.record,
            index: &self.index,
            problem,
        })
    }

    /// The first and last file lines of the record just read. The reader's line count includes
    /// the record's line feed if it has read it (not yet, with CRLF endings, nor at the end of
    /// a file without one); the record's own line feeds, inside quoted values, give its first.
    fn lines_of_last_record(&mut self, decoded: bool) -> (u64, u64) {
        let position = self.reader.position();
        let (line, end) = (position.line(), position.byte());
        let feeds = self.reader.get_mut();
        let last = if end > 0 && feeds.is_feed(end - 1) {
            line - 1
        } else {
            line
        };
        let inside = if decoded {
            self.record
                .as_slice()
                .bytes()
                .filter(|b| *b == b'\n')
                .count() as u64
        } else {
            0
        };
        (last.saturating_sub(inside).max(1), last.max(1))
    }

    /// In a file whose values may not hold line breaks, the row's first value that does.
    fn line_break_problem(&self, (first, last): (u64, u64)) -> Option<String> {
        if self.line_breaks {
            return None;
        }
        let at = self
            .record
            .iter()
            .position(|value| value.contains(['\n', '\r']))?;
        let column = self.names.get(at).map_or("a", String::as_str);
        Some(if first == last {
            format!("has a line break in its {column} value (line {first})")
        } else {
            format!(
                "has a line break in its {column} value, so it spans lines {first}–{last} of the file: a quote left open reads the lines after it into one value, and nothing on those lines is imported"
            )
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
        line_breaks: true,
    };

    const ONE_LINE: Columns = Columns {
        line_breaks: false,
        ..COLS
    };

    fn rows(text: &str, columns: &Columns) -> Vec<(u64, (u64, u64), Option<String>)> {
        let mut csv = CsvInput::from_reader(
            "f.csv".into(),
            Box::new(std::io::Cursor::new(text.as_bytes().to_vec())),
            columns,
        )
        .unwrap();
        let mut out = Vec::new();
        while let Some(row) = csv.next_row() {
            out.push((row.row_no, row.lines, row.problem));
        }
        out
    }

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
    fn rows_know_their_lines_whatever_the_line_endings() {
        for newline in ["\n", "\r\n"] {
            let text = "a,b\n1,2\n\n3,\"x\ny\"\n5,6\n7,8".replace('\n', newline);
            let lines: Vec<(u64, (u64, u64))> =
                rows(&text, &COLS).into_iter().map(|r| (r.0, r.1)).collect();
            assert_eq!(
                lines,
                [(2, (2, 2)), (3, (4, 5)), (4, (6, 6)), (5, (7, 7))],
                "{newline:?}"
            );
        }
    }

    #[test]
    fn a_quote_left_open_is_named_with_the_lines_it_swallowed() {
        // Row 3's note opens a quote that the note on line 5 closes: three lines, one record
        // with the right number of fields.
        let text = "a,b\n1,fine\n2,\"Called GP\n3,x\n4,\"ok\"\n5,y\n6\n";
        let found = rows(text, &ONE_LINE);
        assert_eq!(found.len(), 4);
        assert_eq!((found[0].0, found[0].1, &found[0].2), (2, (2, 2), &None));
        let (row, lines, problem) = &found[1];
        assert_eq!((*row, *lines), (3, (3, 5)));
        let problem = problem.as_deref().expect("the swallowing row is flagged");
        assert!(
            problem.contains("line break in its b value") && problem.contains("lines 3–5"),
            "{problem}"
        );
        assert_eq!((found[2].0, found[2].1, &found[2].2), (4, (6, 6), &None));
        // Later rows are named by row and by line.
        assert_eq!(
            found[3].2.as_deref(),
            Some("has 1 fields but the header has 2 (line 7)")
        );
        // Where values may hold line breaks, the same file reads the quoted value whole.
        assert_eq!(rows(text, &COLS)[1].2, None);
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
