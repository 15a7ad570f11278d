//! Test support shared by every test binary: throwaway databases on SQLite and PostgreSQL that
//! remove themselves when dropped, a migrated store on one, and [`on_both!`](crate::on_both),
//! which declares a test once and runs it on both backends.
//!
//! A binary declares it at its root as `pub mod support;` (with `#[path = "../support/mod.rs"]`
//! from a folder): what a binary does not use is then part of its public items rather than dead
//! code.
//!
//! PostgreSQL cases need `TMS_TEST_DATABASE_URL` naming a server (any database on it; each case
//! makes its own, named `tms_test_...`). Without it they say they were not run, and under
//! `CI=true` they fail.

mod database;
mod store;

use std::future::Future;

pub use database::{Backend, DATABASE_PREFIX, TestDatabase, in_ci, postgres_server};
pub use store::TestDb;

/// A test body that [`on_both!`](crate::on_both) can run on a backend. Implemented for
/// - `async fn(Backend)`: the case makes its own databases;
/// - `async fn(&TestDb)`: the case is given a migrated store, closed and dropped afterwards
///   (not run, after saying so, when the backend is not configured);
/// - `fn(Backend)`: a blocking case, run as it is.
pub trait Case<Form> {
    fn run_on(self, backend: Backend) -> impl Future<Output = ()>;
}

/// [`Case`] form of an `async fn(Backend)`.
pub enum GivenBackend {}
/// [`Case`] form of an `async fn(&TestDb)`.
pub enum GivenStore {}
/// [`Case`] form of a blocking `fn(Backend)`.
pub enum Blocking {}

impl<F> Case<GivenBackend> for F
where
    F: AsyncFnOnce(Backend),
{
    async fn run_on(self, backend: Backend) {
        self(backend).await;
    }
}

impl<F> Case<GivenStore> for F
where
    F: AsyncFnOnce(&TestDb),
{
    async fn run_on(self, backend: Backend) {
        let Some(db) = TestDb::new(backend).await else {
            return;
        };
        self(&db).await;
        db.finish().await;
    }
}

impl<F> Case<Blocking> for F
where
    F: FnOnce(Backend),
{
    async fn run_on(self, backend: Backend) {
        self(backend);
    }
}

/// `on_both!(name)` declares the tests `name::sqlite` and `name::postgres`, each running the
/// function `name` (any [`Case`](crate::support::Case)) on its backend in a multi-threaded
/// runtime of 2 worker threads; `on_both!(name, worker_threads = N)` gives it N.
#[macro_export]
macro_rules! on_both {
    ($name:ident) => {
        $crate::on_both!($name, worker_threads = 2);
    };
    ($name:ident, worker_threads = $threads:tt) => {
        mod $name {
            use $crate::support::{Backend, Case};

            #[tokio::test(flavor = "multi_thread", worker_threads = $threads)]
            async fn sqlite() {
                Case::run_on(super::$name, Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = $threads)]
            async fn postgres() {
                Case::run_on(super::$name, Backend::Postgres).await;
            }
        }
    };
}
