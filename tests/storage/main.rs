//! Storage conformance: every case runs on SQLite and on PostgreSQL through the same code paths
//! as `tms import` and `tms report`.

mod support;

mod copy;
mod imports;
mod money;
mod properties;
mod reference;
mod rules_examples;
mod runs;
