//! Use cases: the operations people and jobs ask of tms, each one whole. They join capture, the
//! ledger, reports and delivery over the store; the command line, the HTTP server and the
//! nightly pipeline call them and hold no business steps of their own.

mod histories;
pub mod import;
pub mod reference;
pub mod shifts;

pub use import::{
    ImportError, ReferenceSummary, ShiftImportOptions, ShiftImportSummary, import_reference,
    import_shifts, reference_warnings,
};
