//! CSV output for the generator: a streaming shift-file writer that counts rows, and a small
//! helper for the reference files.

use std::fs::File;
use std::path::{Path, PathBuf};

use super::DemoError;

/// The shift file's columns, in the order written (docs/formats.md).
pub(crate) const SHIFT_HEADER: [&str; 8] = [
    "shift_ref",
    "worker_id",
    "start",
    "end",
    "service",
    "people",
    "miles",
    "notes",
];

/// Output buffer: large enough that a million rows are a few hundred writes.
const BUFFER_BYTES: usize = 1 << 18;

fn csv_error(path: &Path, source: csv::Error) -> DemoError {
    DemoError::Csv {
        path: path.to_path_buf(),
        source,
    }
}

fn writer(path: &Path) -> Result<csv::Writer<File>, DemoError> {
    let file = crate::files::create_private_file(path).map_err(|source| DemoError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(csv::WriterBuilder::new()
        .buffer_capacity(BUFFER_BYTES)
        .from_writer(file))
}

/// One month's shift file, written row by row.
pub(crate) struct ShiftFile {
    path: PathBuf,
    out: csv::Writer<File>,
    rows: u64,
}

impl ShiftFile {
    /// Creates the file and writes the header.
    pub(crate) fn create(path: &Path) -> Result<Self, DemoError> {
        let mut out = writer(path)?;
        out.write_record(SHIFT_HEADER)
            .map_err(|e| csv_error(path, e))?;
        Ok(Self {
            path: path.to_path_buf(),
            out,
            rows: 0,
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Writes one segment row (fields in [`SHIFT_HEADER`] order) and returns its row number,
    /// counting the header as row 1 as tms's reject reports do.
    pub(crate) fn write_row(&mut self, fields: [&[u8]; 8]) -> Result<u64, DemoError> {
        self.out
            .write_record(fields)
            .map_err(|e| csv_error(&self.path, e))?;
        self.rows += 1;
        Ok(self.rows + 1)
    }

    /// Data rows written so far.
    pub(crate) fn rows_written(&self) -> u64 {
        self.rows
    }

    /// Flushes the file to disk.
    pub(crate) fn finish(mut self) -> Result<(), DemoError> {
        self.out.flush().map_err(|source| DemoError::Io {
            path: self.path.clone(),
            source,
        })
    }
}

/// Writes a small CSV file: the header, then whatever `rows` writes.
pub(crate) fn write_table<F>(path: &Path, header: &[&str], rows: F) -> Result<(), DemoError>
where
    F: FnOnce(&mut csv::Writer<File>) -> Result<(), csv::Error>,
{
    let mut out = writer(path)?;
    out.write_record(header).map_err(|e| csv_error(path, e))?;
    rows(&mut out).map_err(|e| csv_error(path, e))?;
    out.flush().map_err(|source| DemoError::Io {
        path: path.to_path_buf(),
        source,
    })
}
