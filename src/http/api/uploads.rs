//! Bulk shift uploads: the body streamed to a file under the upload limit, then imported exactly
//! as `tms import shifts` would, within the caller's reach.

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::domain::Scope;
use crate::http::AppState;
use crate::http::auth::ApiCaller;
use crate::http::limits::{BodyLimit, declared_length};
use crate::http::problem::Problem;
use crate::report::Format;
use crate::usecase::shifts;
use crate::usecase::{ShiftImportOptions, import_shifts};

/// An uploaded file being received, removed unless the upload completes.
struct Receiving {
    path: PathBuf,
    kept: bool,
}

impl Drop for Receiving {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn cannot_keep(error: std::io::Error) -> Problem {
    tracing::error!(%error, "cannot keep the uploaded file");
    Problem::internal()
}

/// Receives an upload's body into a file in `uploads`, hashing it as it arrives and never holding
/// more than one piece of it in memory. A declared length over the upload limit is refused before
/// anything is read; a body that runs over it is refused as soon as it does, and its file removed.
async fn receive_upload(
    state: &AppState,
    uploads: &std::path::Path,
    headers: &HeaderMap,
    body: Body,
) -> Result<(Receiving, String), Problem> {
    let limit = BodyLimit::upload(&state.settings.server);
    if let Some(length) = declared_length(headers)
        && limit.exceeded_by(length)
    {
        return Err(limit.refusal(length));
    }
    // Kept private (0600 in a 0700 folder), like every file tms writes.
    crate::files::create_private_dir_all(uploads).map_err(cannot_keep)?;
    let receiving = Receiving {
        path: uploads.join(format!(
            ".receiving-{}",
            crate::domain::access::new_public_id()
        )),
        kept: false,
    };
    let mut file = tokio::fs::File::from_std(
        crate::files::create_private_file(&receiving.path).map_err(cannot_keep)?,
    );
    let mut hasher = Sha256::new();
    let mut received: u64 = 0;
    let mut stream = body.into_data_stream();
    while let Some(piece) = stream.next().await {
        let piece = piece.map_err(|_| {
            Problem::bad_request("the upload stopped before its end; send the file again")
        })?;
        received += piece.len() as u64;
        if limit.exceeded_by(received) {
            return Err(limit.refusal(received));
        }
        hasher.update(&piece);
        file.write_all(&piece).await.map_err(cannot_keep)?;
    }
    file.flush().await.map_err(cannot_keep)?;
    drop(file);
    let digest = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok((receiving, digest))
}

/// Uploads a shift file: the same import as `tms import shifts`, answered with its counts and
/// every rejected row. A manager's upload only reaches workers in their cost centres and people
/// within their reach; rows naming anyone else are rejected as naming unknown workers or people.
/// The caller is checked from the headers before any of the body is read, and only then is
/// the body received, under `server.upload_limit_bytes`.
pub(super) async fn upload(
    State(state): State<Arc<AppState>>,
    ApiCaller(caller): ApiCaller,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    if !caller.may_decide() {
        return Err(Problem::forbidden(
            "only managers and finance upload shift files",
        ));
    }
    let uploads = state.settings.paths.data_dir.join("uploads");
    let (mut receiving, digest) = receive_upload(&state, &uploads, &headers, body).await?;
    let reference = state.reference.get(&state.store).await?;
    let scoped = match &caller.scope {
        Scope::CostCentres(_) => {
            let reach = shifts::naming_reach(&state.desk(), &caller, &reference);
            let mut scoped = (*reference).clone();
            scoped
                .workers
                .retain(|id, terms| caller.sees_worker(id, Some(&terms.cost_centre)));
            scoped
                .people
                .retain(|id| reach.covers(reference.person_details.get(id).map(|d| &d.1)));
            Arc::new(scoped)
        }
        _ => reference,
    };
    let name = headers
        .get("x-file-name")
        .and_then(|v| v.to_str().ok())
        .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).to_owned())
        .filter(|n| !n.is_empty() && n.len() <= 100 && !n.starts_with('.'))
        .unwrap_or_else(|| format!("upload-{}.csv", &digest[..12]));
    let folder = uploads.join(&digest[..16]);
    let path = folder.join(&name);
    crate::files::create_private_dir_all(&folder).map_err(cannot_keep)?;
    tokio::fs::rename(&receiving.path, &path)
        .await
        .map_err(cannot_keep)?;
    receiving.kept = true;
    let import_scope = match &caller.scope {
        Scope::CostCentres(centres) => {
            let mut ids: Vec<&str> = centres.iter().map(|c| c.as_str()).collect();
            ids.sort_unstable();
            ids.dedup();
            format!("cost-centres:{}", ids.join(";"))
        }
        _ => String::new(),
    };
    let options = ShiftImportOptions {
        approve: state.settings.import.auto_approve,
        output_dir: state.settings.paths.output_dir.clone(),
        job_run_id: None,
        scope: import_scope,
        actor: caller.key(),
    };
    let summary = import_shifts(
        &state.store,
        &scoped,
        &path,
        &options,
        &indicatif::ProgressBar::hidden(),
    )
    .await;
    let summary = match summary {
        Ok(summary) => summary,
        Err(crate::usecase::ImportError::Store(e)) => return Err(e.into()),
        Err(other) => {
            return Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "The file was refused",
                other.to_string(),
            ));
        }
    };
    let rejects = crate::report::rejects_of_import(&state.store, summary.import_file_id).await?;
    let mut rejects_json = Vec::new();
    rejects
        .write(Format::Json, &mut rejects_json)
        .map_err(|_| Problem::internal())?;
    let rejects_json: serde_json::Value =
        serde_json::from_slice(&rejects_json).unwrap_or(serde_json::Value::Null);
    Ok(axum::Json(serde_json::json!({
        "file": summary.file,
        "counts": summary.counts,
        "rejects": rejects_json,
    }))
    .into_response())
}
