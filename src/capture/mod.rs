//! Capture: reading shifts and reference data from CSV and checking them, row by row and shift by
//! shift. Pure apart from reading the file; the import use case (`usecase::import`) stores what
//! passes. The HTTP API, the phone page and the demo check shifts with the same functions.

pub mod csv_input;
pub mod reference;
pub mod shifts;
pub mod submission;

pub use csv_input::{CsvInput, FileError};
pub use reference::ReferenceKind;
