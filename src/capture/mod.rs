//! Capture: reading shifts and reference data from CSV, validating them, and importing them.
//! The HTTP API, the phone page and the demo call the same functions as `tms import`.

pub mod csv_input;
pub mod import;
pub mod reference;
pub mod shifts;
pub mod submission;

pub use csv_input::{CsvInput, FileError};
pub use import::{
    ImportError, ReferenceSummary, ShiftImportOptions, ShiftImportSummary, import_reference,
    import_shifts,
};
pub use reference::ReferenceKind;
