//! Reference data as the engine needs it: what is stored, read in the provider's zone, bands and
//! bank-holiday calendar.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::RwLock;

use crate::config::Settings;
use crate::store::reference::{ReferenceData, load_reference};
use crate::store::{Store, StoreError};

/// Loads the reference data as it stands now.
pub async fn current(store: &Store, settings: &Settings) -> Result<ReferenceData, StoreError> {
    load_reference(
        store,
        settings.zone(),
        settings.band_rules().clone(),
        &settings.provider.bank_holiday_calendar,
    )
    .await
}

/// How often the reference data is checked for changes made by another process.
const REFERENCE_CHECK_INTERVAL: Duration = Duration::from_secs(2);

/// Reference data as the server last loaded it, with when it last checked the stored reference
/// version; reloaded when another process has changed it.
pub struct ReferenceCache {
    current: RwLock<(Arc<ReferenceData>, Instant)>,
    settings: Arc<Settings>,
}

impl ReferenceCache {
    /// Loads the reference data as it stands now and keeps it.
    pub async fn load(
        store: &Store,
        settings: Arc<Settings>,
    ) -> Result<ReferenceCache, StoreError> {
        let reference = current(store, &settings).await?;
        Ok(ReferenceCache {
            current: RwLock::new((Arc::new(reference), Instant::now())),
            settings,
        })
    }

    /// The reference data, reloaded first if it changed since it was last checked.
    pub async fn get(&self, store: &Store) -> Result<Arc<ReferenceData>, StoreError> {
        {
            let current = self.current.read().await;
            if current.1.elapsed() < REFERENCE_CHECK_INTERVAL {
                return Ok(current.0.clone());
            }
        }
        let mut current = self.current.write().await;
        if current.1.elapsed() < REFERENCE_CHECK_INTERVAL {
            return Ok(current.0.clone());
        }
        if crate::store::reference::version(store).await? != current.0.version {
            tracing::info!("reference data changed; reloading");
            current.0 = Arc::new(self::current(store, &self.settings).await?);
        }
        current.1 = Instant::now();
        Ok(current.0.clone())
    }
}
