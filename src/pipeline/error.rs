//! Why a run stopped: the pipeline's errors, from its store, email, settings, steps and files.

use super::plan::ForceRefused;
use crate::delivery::email::EmailError;
use crate::store::StoreError;

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Email(#[from] EmailError),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("{0}")]
    Step(String),
    /// A step asked to run again that may not be: nothing ran.
    #[error(transparent)]
    ForceRefused(#[from] ForceRefused),
    /// A money total left the range of 64-bit pence; the step fails rather than record it.
    #[error(transparent)]
    Money(#[from] crate::domain::money::MoneyError),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

impl PipelineError {
    /// Maps a file error to one naming the file.
    pub fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> PipelineError + '_ {
        move |source| PipelineError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}
