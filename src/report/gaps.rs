//! The gaps in reference data that leave money zero or missing, with the ledger's part read from
//! the store: unpriced time and one-off items, and the shifts of workers whose base-rate history
//! has gaps. The checks themselves are `cost::gaps`.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::ReportError;
use crate::cost::{EngineError, Gap, LedgerFacts, UnpricedTime, price_one_off, reference_gaps};
use crate::domain::{PersonId, ServiceCode};
use crate::store::Store;
use crate::store::bulk::instant_from_seconds;
use crate::store::reference::ReferenceData;
use crate::store::reports;

/// The first and last dates every one-off item is looked for between.
const ALL_DATES: (NaiveDate, NaiveDate) = (
    crate::domain::reference::FROM_THE_BEGINNING,
    match NaiveDate::from_ymd_opt(2999, 12, 31) {
        Some(date) => date,
        None => panic!("2999-12-31 is a date"),
    },
);

/// The gaps in reference data as it stands on `date`, with what the ledger holds now.
pub async fn gaps(
    store: &Store,
    reference: &ReferenceData,
    date: NaiveDate,
) -> Result<Vec<Gap>, ReportError> {
    let overflow = super::sum_error(|| "the unpriced time".to_owned());
    let unpriced = reports::unpriced_totals(store)
        .await
        .map_err(overflow)?
        .into_iter()
        .map(|t| UnpricedTime {
            service: t.service_code,
            person: t.person_id,
            first: t.first_date,
            last: t.last_date,
            minutes: t.minutes,
        })
        .collect();
    let mut unpriced_one_offs = 0;
    for one_off in reports::one_offs(store, ALL_DATES.0, ALL_DATES.1, "").await? {
        let (Ok(person), Ok(service)) = (
            PersonId::parse(&one_off.person_id),
            ServiceCode::parse(&one_off.service_code),
        ) else {
            continue;
        };
        match price_one_off(&reference.ctx, person, service, one_off.charge_date) {
            Ok(Some(_)) => {}
            Ok(None) => unpriced_one_offs += 1,
            // A date the calendar does not cover, or an amount out of range, fails the charges
            // report with its own message; it is not a gap in the rate card.
            Err(EngineError::Calendar(_) | EngineError::Money(_)) => {}
        }
    }
    let zone = reference.ctx.zone;
    let mut shifts = HashMap::new();
    for (worker, terms) in &reference.workers {
        if terms.base_rates.gaps().is_empty() {
            continue;
        }
        let spans = reports::worker_shift_spans(store, worker.as_str())
            .await?
            .into_iter()
            .filter_map(|(start, end)| {
                let (start, end) = (instant_from_seconds(start)?, instant_from_seconds(end)?);
                // The last minute of the shift starts a minute before its end.
                let last = end - chrono::Duration::minutes(1);
                Some((zone.local_date(start), zone.local_date(last.max(start))))
            })
            .collect::<Vec<_>>();
        if !spans.is_empty() {
            shifts.insert(worker.clone(), spans);
        }
    }
    let ledger = LedgerFacts {
        unpriced,
        unpriced_one_offs,
        shifts,
    };
    Ok(reference_gaps(
        &reference.ctx,
        &reference.workers,
        &ledger,
        date,
    ))
}
