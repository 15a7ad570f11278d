//! The HTTP API end to end: a real server bound on port 0 against each database, driven over
//! loopback. Every case runs on SQLite and on PostgreSQL.

#[path = "../support/mod.rs"]
pub mod support;

pub mod harness;

mod audit;
mod authorisation;
mod phone_form;
mod shifts;
