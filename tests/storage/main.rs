//! Storage conformance: every case runs on SQLite and on PostgreSQL through the same code paths
//! as `tms import` and `tms report`.

mod support;

mod imports;
mod mime;
mod money;
mod outbox;
mod properties;
mod reference;
mod rules_examples;
mod runs;
