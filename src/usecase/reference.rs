//! Reference data as the engine needs it: what is stored, read in the provider's zone, bands and
//! bank-holiday calendar.

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
