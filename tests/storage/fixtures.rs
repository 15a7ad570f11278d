//! The docs/rules.md worked-example fixtures and report rendering shared by the storage cases.

use std::path::{Path, PathBuf};

use tms::cli::ExitStatus;

use crate::support::TestDb;

/// The folder of the docs/rules.md worked-example fixtures.
pub(crate) fn rules_fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules")
}

/// Imports the worked-example reference data (cost centres to rate card).
pub(crate) async fn load_rules_reference(db: &TestDb) {
    for kind in ["cost-centres", "services", "workers", "people", "rate-card"] {
        let status = db
            .import(kind, &rules_fixtures().join(format!("{kind}.csv")))
            .await;
        assert_eq!(status, ExitStatus::Ok, "importing {kind}");
    }
}

/// Runs a report into a string.
pub(crate) fn render(table: &tms::report::Table, format: tms::report::Format) -> String {
    let mut out = Vec::new();
    table.write(format, &mut out).expect("write report");
    String::from_utf8(out).expect("utf-8")
}
