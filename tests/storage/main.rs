//! Storage conformance: every case runs on SQLite and on PostgreSQL through the same code paths
//! as `tms import` and `tms report`.

#[path = "../support/mod.rs"]
pub mod support;

mod fixtures;

mod cleanup;
mod closed;
mod copy;
mod histories;
mod imports;
mod mime;
mod money;
mod outbox;
mod properties;
mod reference;
mod rejects;
mod rules_examples;
mod runs;
