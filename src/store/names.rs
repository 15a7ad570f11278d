//! The names people know things by — services, workers, cost centres — read from the reference
//! tables, so pages and messages can say "Personal care and support" and "Sam Jones" rather than
//! `PERSONAL_CARE` and `W1`.

use std::collections::HashMap;

use super::reference::load_table;
use super::rows::{CostCentreRow, ServiceRow, WorkerRow};
use super::{Store, StoreError};
use crate::domain::{CostCentreId, ServiceCode, WorkerId};

/// Names by id. A thing without a stored name (a service only on the rate card) is not here;
/// [`Names::service`] and friends fall back to something readable.
#[derive(Clone, Debug, Default)]
pub struct Names {
    pub services: HashMap<ServiceCode, String>,
    pub workers: HashMap<WorkerId, String>,
    pub cost_centres: HashMap<CostCentreId, String>,
}

impl Names {
    /// A service's name; for a service without one, its code in words (`SLEEP_IN` → "Sleep in").
    pub fn service(&self, code: &str) -> String {
        ServiceCode::parse(code)
            .ok()
            .and_then(|c| self.services.get(&c))
            .filter(|n| !n.trim().is_empty())
            .cloned()
            .unwrap_or_else(|| code_in_words(code))
    }

    /// A worker's name, or their id when they have none.
    pub fn worker(&self, id: &str) -> String {
        WorkerId::parse(id)
            .ok()
            .and_then(|w| self.workers.get(&w))
            .filter(|n| !n.trim().is_empty())
            .cloned()
            .unwrap_or_else(|| id.to_owned())
    }

    /// A cost centre's name, or its id when it has none.
    pub fn cost_centre(&self, id: &str) -> String {
        CostCentreId::parse(id)
            .ok()
            .and_then(|c| self.cost_centres.get(&c))
            .filter(|n| !n.trim().is_empty())
            .cloned()
            .unwrap_or_else(|| id.to_owned())
    }
}

/// A code as words: underscores become spaces, only the first letter stays a capital.
pub fn code_in_words(code: &str) -> String {
    let lower = code.replace('_', " ").to_lowercase();
    let mut chars = lower.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Reads the names as they are stored now.
pub async fn load_names(store: &Store) -> Result<Names, StoreError> {
    Ok(Names {
        services: load_table::<ServiceRow>(store)
            .await?
            .into_iter()
            .map(|r| (r.service_code, r.name))
            .collect(),
        workers: load_table::<WorkerRow>(store)
            .await?
            .into_iter()
            .map(|r| (r.worker_id, r.name))
            .collect(),
        cost_centres: load_table::<CostCentreRow>(store)
            .await?
            .into_iter()
            .map(|r| (r.cost_centre_id, r.name))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fall_back_to_readable_codes() {
        let mut names = Names::default();
        names.services.insert(
            ServiceCode::parse("PERSONAL_CARE").unwrap(),
            "Personal care and support".into(),
        );
        names
            .workers
            .insert(WorkerId::parse("W1").unwrap(), "Sam Jones".into());
        assert_eq!(names.service("PERSONAL_CARE"), "Personal care and support");
        assert_eq!(names.service("SLEEP_IN"), "Sleep in");
        assert_eq!(names.worker("W1"), "Sam Jones");
        assert_eq!(names.worker("W2"), "W2");
        assert_eq!(names.cost_centre("CC1"), "CC1");
        assert_eq!(code_in_words(""), "");
    }
}
