//! tms: shifts in, every worked minute allocated to the people supported, charges and costs out.
//!
//! The modules follow the data:
//! - [`domain`]: ids, money, instants and reference records shared by every layer;
//! - [`calendar`]: bank holidays, bands and periods;
//! - [`capture`]: CSV readers and validation for shifts and reference data;
//! - [`allocate`]: exact shares of time and money between the people supported;
//! - [`cost`]: rating and pay, turning allocated time into charge rows and pay shares;
//! - [`ledger`]: storing engine results, recomputing when shifts or rates change;
//! - [`report`]: charges, allocation, rejects and unpriced time;
//! - [`store`]: one storage API over SQLite and PostgreSQL;
//! - [`http`]: `tms serve`, the API v1 and the phone page;
//! - [`demo`]: a synthetic provider for trying tms end to end;
//! - [`config`] and [`cli`]: settings and the command line.
//!
//! `domain`, `calendar`, `allocate` and `cost` are pure and never touch `store`.

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
