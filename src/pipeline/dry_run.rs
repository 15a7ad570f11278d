//! Dry runs: the real pipeline, run against a throwaway copy of the database
//! ([`crate::store::copy`]: a temporary file on SQLite, a scratch schema on PostgreSQL, dropped
//! afterwards). The inbox is copied too (with its files' times), output goes to a temporary
//! folder and no email leaves, so the live tables, files and outbox are untouched while
//! everything is computed exactly as a real run would.

use std::path::Path;

use super::{PipelineError, RunOutcome, RunRequest};
use crate::config::Settings;
use crate::store::Store;
use crate::store::copy::DatabaseCopy;

/// Runs `request` on a copy and throws the copy away.
pub async fn run(
    store: &Store,
    settings: &Settings,
    request: &RunRequest,
) -> Result<RunOutcome, PipelineError> {
    let folder = std::env::temp_dir().join(format!("tms-dry-run-{:016x}", rand::random::<u64>()));
    crate::files::create_private_dir_all(&folder).map_err(PipelineError::io(&folder))?;
    let result = run_in(store, settings, request, &folder).await;
    let _ = std::fs::remove_dir_all(&folder);
    result
}

async fn run_in(
    store: &Store,
    settings: &Settings,
    request: &RunRequest,
    folder: &Path,
) -> Result<RunOutcome, PipelineError> {
    let mut copy_settings = settings.clone();
    copy_settings.runner.inbox_dir = folder.join("inbox");
    copy_settings.paths.output_dir = folder.join("out");
    copy_settings.email.outbox_dir = folder.join("outbox");
    // Workers serve the live database, never the copy: the dry run does its partitions itself.
    copy_settings.runner.local_partitions = true;
    copy_inbox(&settings.runner.inbox_dir, &copy_settings.runner.inbox_dir)?;
    let snapshot = DatabaseCopy::take(store, folder).await?;
    let span = tracing::info_span!("run", business_date = %request.business_date, dry_run = true);
    let result = tracing::Instrument::instrument(
        super::run::run_on(snapshot.store(), &copy_settings, request),
        span,
    )
    .await;
    snapshot.drop_copy().await?;
    result
}

/// Copies the inbox's files (not `done/` or `rejects/`), keeping their modification times so
/// the settle rule sees them as the real run would. A file that cannot be copied (it cannot be
/// read) is left out of the dry run, as the log says.
fn copy_inbox(from: &Path, to: &Path) -> Result<(), PipelineError> {
    let io = PipelineError::io;
    crate::files::create_private_dir_all(to).map_err(io(to))?;
    let Ok(entries) = std::fs::read_dir(from) else {
        return Ok(());
    };
    for entry in entries {
        let entry = entry.map_err(io(from))?;
        let Ok(meta) = entry.metadata() else {
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        let target = to.join(entry.file_name());
        if let Err(error) = crate::files::copy_private(&entry.path(), &target) {
            tracing::warn!(file = %crate::report::output::visible(&entry.file_name().to_string_lossy()), %error, "an inbox file cannot be copied; the dry run leaves it out");
            let _ = std::fs::remove_file(&target);
            continue;
        }
        if let Ok(modified) = meta.modified() {
            let file = std::fs::File::options()
                .write(true)
                .open(&target)
                .map_err(io(&target))?;
            file.set_modified(modified).map_err(io(&target))?;
        }
    }
    Ok(())
}
