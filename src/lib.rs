//! tms: shifts in, every worked minute allocated to the people supported, charges and costs out.
//!
//! The modules follow the data, in layers: each uses only the layers below it, and
//! `tests/layers.rs` fails on any use that points sideways or up.
//!
//! ```text
//! main ─► cli ─► http, pipeline ─► usecase, demo ─► capture, ledger, report, delivery
//!                                                  ─► config ─► store ─► cost ─► calendar, allocate ─► domain
//! ```
//!
//! Core, pure and free of I/O:
//! - [`domain`]: ids, money, instants, the shapes of a shift and the reference records shared by
//!   every layer;
//! - [`calendar`]: bank holidays, bands, periods and the nightly schedule;
//! - [`allocate`]: exact shares of time and money between the people supported;
//! - [`cost`]: rating and pay, turning allocated time into charge rows and pay shares, and pricing
//!   one-off items; how an import settles dated entries, and the gaps in reference data that
//!   leave money missing.
//!
//! Leaves of the shell that know nothing of the business: [`failpoint`] (crash points for the
//! recovery tests), [`files`] (private, whole-file writes) and [`progress`] (progress bars).
//!
//! The shell:
//! - [`store`]: one storage API over SQLite and PostgreSQL, and the only module that speaks SQL;
//! - [`config`]: settings from `config/`, a file and `TMS_*` variables, parsed once and handed
//!   down as typed values;
//! - [`capture`]: CSV readers and the checks of shifts and reference data;
//! - [`ledger`]: storing costed shifts, recosting when shifts or rates change, the shift writer;
//! - [`report`]: charges, allocation, rejects and unpriced time;
//! - [`delivery`]: the email outbox (Bacs files and payroll exports will join it);
//! - [`usecase`]: whole operations — importing a file, the shift use cases (submit, amend,
//!   withdraw, approve, reject, accept) and reference data as it stands;
//! - [`demo`]: a synthetic provider for trying tms end to end;
//! - [`http`]: `tms serve`, the API v1 and the phone page;
//! - [`pipeline`]: the nightly run, its steps, lease, workers and schedule;
//! - [`cli`]: the command line.

pub mod allocate;
pub mod calendar;
pub mod capture;
pub mod cli;
pub mod config;
pub mod cost;
pub mod delivery;
pub mod demo;
pub mod domain;
pub mod failpoint;
pub mod files;
pub mod http;
pub mod ledger;
pub mod pipeline;
pub mod progress;
pub mod report;
pub mod store;
pub mod usecase;
