//! The nightly pipeline's records, a module each: the run lease, job runs and run reports, the
//! email outbox, worker partitions and the ingest step's files.

pub mod ingest_files;
pub mod job_runs;
pub mod lease;
pub mod outbox;
pub mod partitions;

pub use ingest_files::*;
pub use job_runs::*;
pub use lease::*;
pub use outbox::*;
pub use partitions::*;
