//! The HTTP API end to end: a real server bound on port 0 against each database, driven over
//! loopback. Every case runs on SQLite and on PostgreSQL.

// The shared test support serves several suites; not all of it is used here.
#![allow(dead_code)]

#[path = "../storage/support.rs"]
mod support;

mod harness;

mod authorisation;
mod shifts;
