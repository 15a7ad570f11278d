//! Reference tables: loading them into the engine's context, and applying an imported file as
//! audited inserts and updates.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::Utc;
use sqlx::AssertSqlSafe;

use super::bulk::{TableSpec, load_rows, upsert_rows};
use super::rows::{
    ArrangementRow, BankHolidayRow, BaseRateRow, CostCentreRow, Field, PayEnhancementRow, PayerRow,
    PersonRow, RateCardEntryRow, ReadRow, ReferenceAuditRow, ReferenceRow, ServiceRow,
    SleepInAllowanceRow, TableRow, WorkerRow,
};
use super::{Store, StoreError, Tx, on_pool, on_tx};
use crate::calendar::{BandRules, BankHolidays};
use crate::cost::{BaseRates, PayRules, RateCard, RatingContext, WorkerTerms, card_payer};
use crate::domain::reference::{KnownKeys, Target};
use crate::domain::{CostCentreId, LocalZone, PayerId, PersonId, ServiceCode, WorkerId};

/// The table behind each target, key columns first.
pub fn spec(target: Target) -> &'static TableSpec {
    ReferenceRow::spec_of(target)
}

/// Every stored row of a table, in key order.
pub async fn load_table<R: ReadRow>(store: &Store) -> Result<Vec<R>, StoreError> {
    load_rows(store, R::SPEC)
        .await?
        .iter()
        .map(|values| R::from_values(values))
        .collect()
}

/// The rows of one table after a file is merged over what is stored, with the changes.
#[derive(Clone, Debug, Default)]
pub struct Merged {
    /// Every row after the change, by key.
    pub rows: BTreeMap<String, ReferenceRow>,
    /// Every row as stored before the change, by key.
    pub stored: BTreeMap<String, ReferenceRow>,
    pub inserts: Vec<ReferenceRow>,
    /// `(before, after)` pairs.
    pub updates: Vec<(ReferenceRow, ReferenceRow)>,
    pub deletes: Vec<ReferenceRow>,
}

impl Merged {
    pub fn changed(&self) -> usize {
        self.inserts.len() + self.updates.len() + self.deletes.len()
    }

    /// Puts each row in place of the row of its key, and records the change from what is
    /// stored: an insert, an update, or none when it is the stored row again.
    pub fn set_all(&mut self, rows: Vec<ReferenceRow>) {
        if rows.is_empty() {
            return;
        }
        let keys: HashSet<String> = rows.iter().map(TableRow::key).collect();
        self.inserts.retain(|r| !keys.contains(&r.key()));
        self.updates
            .retain(|(_, after)| !keys.contains(&after.key()));
        for row in rows {
            let key = row.key();
            match self.stored.get(&key) {
                None => self.inserts.push(row.clone()),
                Some(before) if *before != row => {
                    self.updates.push((before.clone(), row.clone()));
                }
                Some(_) => {}
            }
            self.rows.insert(key, row);
        }
    }
}

/// The first key column of a row, rendered: the group a replacing file rewrites.
fn group_of(row: &ReferenceRow) -> String {
    let mut first = None;
    row.each_field(&mut |field| {
        if first.is_none() {
            first = Some(field.render().unwrap_or_default());
        }
    });
    first.unwrap_or_default()
}

/// Merges `incoming` (rows of `target`) over the stored rows of `target`. With `replace_group`
/// (arrangements), rows of the same first key column as an incoming row but absent from the file
/// are deleted.
pub async fn merge(
    store: &Store,
    target: Target,
    incoming: Vec<ReferenceRow>,
    replace_group: bool,
) -> Result<Merged, StoreError> {
    if let Some(other) = incoming.iter().find(|r| r.target() != target) {
        return Err(StoreError::Corrupt(format!(
            "a {:?} row merged into the {:?} table",
            other.target(),
            target
        )));
    }
    let stored: BTreeMap<String, ReferenceRow> = load_rows(store, spec(target))
        .await?
        .iter()
        .map(|values| {
            let row = ReferenceRow::from_values(target, values)?;
            Ok((row.key(), row))
        })
        .collect::<Result<_, StoreError>>()?;
    let groups: HashSet<String> = if replace_group {
        incoming.iter().map(group_of).collect()
    } else {
        HashSet::new()
    };
    let mut merged = Merged {
        rows: stored.clone(),
        stored: stored.clone(),
        ..Merged::default()
    };
    let incoming_keys: HashSet<String> = incoming.iter().map(TableRow::key).collect();
    for (key, row) in &stored {
        if groups.contains(&group_of(row)) && !incoming_keys.contains(key) {
            merged.rows.remove(key);
            merged.deletes.push(row.clone());
        }
    }
    for row in incoming {
        let key = row.key();
        match stored.get(&key) {
            None => merged.inserts.push(row.clone()),
            Some(before) if *before != row => merged.updates.push((before.clone(), row.clone())),
            Some(_) => {}
        }
        merged.rows.insert(key, row);
    }
    Ok(merged)
}

/// Writes the changes of `merged` with one audit row each, inside `tx`.
pub async fn write_merged(
    tx: &mut Tx,
    target: Target,
    kind: &str,
    merged: &Merged,
    source_file: &str,
    actor: &str,
) -> Result<(), StoreError> {
    let spec = spec(target);
    let now = Utc::now();
    let mut audit = Vec::with_capacity(merged.changed());
    let audit_row = |action: &str, key: String, before: Option<String>, after: Option<String>| {
        ReferenceAuditRow {
            kind: kind.to_owned(),
            record_key: key,
            action: action.to_owned(),
            before_json: before,
            after_json: after,
            source_file: source_file.to_owned(),
            changed_at: now,
            actor: actor.to_owned(),
        }
    };
    for row in &merged.deletes {
        let condition: Vec<String> = spec.columns[..spec.key_len]
            .iter()
            .enumerate()
            .map(|(i, (k, _))| format!("{k} = ${}", i + 1))
            .collect();
        let sql = format!(
            "delete from {} where {}",
            spec.table,
            condition.join(" and ")
        );
        let mut keys: Vec<Field<'_>> = Vec::with_capacity(spec.key_len);
        row.each_field(&mut |field| {
            if keys.len() < spec.key_len {
                keys.push(field);
            }
        });
        on_tx!(tx, conn => {
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for value in &keys {
                query = match *value {
                    Field::Text(v) => query.bind(v),
                    Field::Int(v) => query.bind(v),
                    Field::Date(v) => query.bind(v),
                    other => return Err(StoreError::Corrupt(format!("unexpected key value {other:?}"))),
                };
            }
            query.execute(conn).await?;
        });
        audit.push(audit_row("delete", row.key(), Some(row.to_json()), None));
    }
    let mut writes: Vec<ReferenceRow> = merged.inserts.clone();
    writes.extend(merged.updates.iter().map(|(_, after)| after.clone()));
    upsert_rows(tx, &writes).await?;
    for row in &merged.inserts {
        audit.push(audit_row("insert", row.key(), None, Some(row.to_json())));
    }
    for (before, after) in &merged.updates {
        audit.push(audit_row(
            "update",
            after.key(),
            Some(before.to_json()),
            Some(after.to_json()),
        ));
    }
    super::bulk::insert_rows(tx, &audit).await
}

/// Marks the shifts of `worker` that end after `from` (an instant: the start of the first local
/// date a change to the worker's pay affects), so that time before the change keeps its costs.
pub async fn mark_worker_for_costing_from(
    tx: &mut Tx,
    worker: &str,
    from: chrono::DateTime<Utc>,
) -> Result<u64, StoreError> {
    Ok(
        on_tx!(tx, conn => sqlx::query(include_str!("../../sql/mark_worker_for_costing_from.sql"))
        .bind(true)
        .bind(worker)
        .bind(from.timestamp())
        .execute(conn)
        .await?
        .rows_affected()),
    )
}

/// Marks shifts whose costs a reference change may alter: all of them, or one worker's.
pub async fn mark_for_costing(tx: &mut Tx, workers: Option<&[String]>) -> Result<u64, StoreError> {
    let affected = match workers {
        None => {
            on_tx!(tx, conn => sqlx::query(include_str!("../../sql/mark_all_for_costing.sql")).bind(true).execute(conn).await?.rows_affected())
        }
        Some(ids) => {
            let mut total = 0;
            for id in ids {
                total += on_tx!(tx, conn => sqlx::query(include_str!("../../sql/mark_worker_for_costing.sql")).bind(true).bind(id.as_str()).execute(conn).await?.rows_affected());
            }
            total
        }
    };
    Ok(affected)
}

/// The reference version now (see `migrations/*/0004_concurrent_writes.sql`).
pub async fn version(store: &Store) -> Result<i64, StoreError> {
    Ok(
        on_pool!(store, pool => sqlx::query_scalar(include_str!("../../sql/reference_version.sql")).fetch_one(pool).await?),
    )
}

/// The reference version inside a write transaction; on PostgreSQL it is read `FOR SHARE`, so a
/// reference change either committed before it (and the version differs) or waits until this
/// transaction commits (and its marking sees what this transaction wrote).
pub async fn version_in(tx: &mut Tx) -> Result<i64, StoreError> {
    let version = match tx {
        Tx::Sqlite(t) => {
            sqlx::query_scalar(include_str!("../../sql/reference_version.sql"))
                .fetch_one(&mut **t)
                .await?
        }
        Tx::Postgres(t) => {
            sqlx::query_scalar(include_str!(
                "../../sql/postgres/reference_version_share.sql"
            ))
            .fetch_one(&mut **t)
            .await?
        }
    };
    Ok(version)
}

/// Bumps the reference version: the first statement of every transaction that changes reference
/// data.
pub async fn bump_version(tx: &mut Tx) -> Result<(), StoreError> {
    on_tx!(tx, conn => sqlx::query(include_str!("../../sql/reference_version_bump.sql")).execute(conn).await?.rows_affected());
    Ok(())
}

/// The keys reference rows may refer to.
pub async fn known_keys(store: &Store) -> Result<KnownKeys, StoreError> {
    let mut services: HashSet<String> = load_table::<ServiceRow>(store)
        .await?
        .into_iter()
        .map(|r| r.service_code.to_string())
        .collect();
    services.extend(
        load_table::<RateCardEntryRow>(store)
            .await?
            .into_iter()
            .map(|r| r.service_code.to_string()),
    );
    Ok(KnownKeys {
        cost_centres: load_table::<CostCentreRow>(store)
            .await?
            .into_iter()
            .map(|r| r.cost_centre_id.to_string())
            .collect(),
        people: load_table::<PersonRow>(store)
            .await?
            .into_iter()
            .map(|r| r.person_id.to_string())
            .collect(),
        payers: load_table::<PayerRow>(store)
            .await?
            .into_iter()
            .map(|r| r.payer_id.to_string())
            .collect(),
        workers: load_table::<WorkerRow>(store)
            .await?
            .into_iter()
            .map(|r| r.worker_id.to_string())
            .collect(),
        services,
    })
}

/// Everything capture and the engine need from reference data.
#[derive(Clone, Debug, Default)]
pub struct ReferenceData {
    /// The reference version read before the tables: costs computed from this data are stored
    /// marked for recosting when the stored version has moved on by the time they are written.
    pub version: i64,
    pub ctx: RatingContext,
    pub workers: HashMap<WorkerId, WorkerTerms>,
    pub people: HashSet<PersonId>,
    /// Each person's name and cost centre, for scoping and for choosing people on the phone page.
    pub person_details: HashMap<PersonId, (String, CostCentreId)>,
    /// Services from the service list and the rate card.
    pub services: HashSet<ServiceCode>,
    /// What services, workers and cost centres are called, for pages and messages.
    pub names: super::names::Names,
}

impl crate::domain::reference::Directory for ReferenceData {
    fn has_worker(&self, worker: &WorkerId) -> bool {
        self.workers.contains_key(worker)
    }
    fn has_person(&self, person: &PersonId) -> bool {
        self.people.contains(person)
    }
    fn has_service(&self, service: &ServiceCode) -> bool {
        self.services.contains(service)
    }
}

/// Loads reference data for costing in `zone` with `bands` and the named bank-holiday calendar.
pub async fn load_reference(
    store: &Store,
    zone: LocalZone,
    bands: BandRules,
    calendar: &str,
) -> Result<ReferenceData, StoreError> {
    let mut data = ReferenceData {
        version: version(store).await?,
        names: super::names::load_names(store).await?,
        ..ReferenceData::default()
    };
    for row in load_table::<ServiceRow>(store).await? {
        data.ctx
            .pay_elements
            .insert(row.service_code.clone(), row.pay_element);
        data.services.insert(row.service_code);
    }
    let mut histories: HashMap<WorkerId, Vec<crate::cost::BaseRate>> = HashMap::new();
    for row in load_table::<BaseRateRow>(store).await? {
        histories
            .entry(row.worker_id.clone())
            .or_default()
            .push(row.to_base_rate());
    }
    for row in load_table::<WorkerRow>(store).await? {
        let history = histories.remove(&row.worker_id).unwrap_or_default();
        data.workers.insert(
            row.worker_id,
            WorkerTerms {
                base_rates: BaseRates::new(history),
                cost_centre: row.cost_centre_id,
            },
        );
    }
    for row in load_table::<PersonRow>(store).await? {
        data.person_details
            .insert(row.person_id.clone(), (row.name, row.cost_centre_id));
        data.people.insert(row.person_id);
    }
    let entries = load_table::<RateCardEntryRow>(store).await?;
    data.services
        .extend(entries.iter().map(|e| e.service_code.clone()));
    data.ctx.rate_card = RateCard::new(entries.iter().map(RateCardEntryRow::to_entry));
    data.ctx.pay_rules = PayRules {
        enhancements: load_table::<PayEnhancementRow>(store)
            .await?
            .iter()
            .map(PayEnhancementRow::to_enhancement)
            .collect(),
        sleep_in_allowances: load_table::<SleepInAllowanceRow>(store)
            .await?
            .iter()
            .map(SleepInAllowanceRow::to_allowance)
            .collect(),
    };
    data.ctx.full_payers = full_payers(load_table::<ArrangementRow>(store).await?);
    let dates = load_table::<BankHolidayRow>(store)
        .await?
        .into_iter()
        .filter(|r| r.calendar == calendar)
        .map(|r| (r.holiday_date, r.name));
    data.ctx.holidays = BankHolidays::new(calendar, dates);
    data.ctx.zone = zone;
    data.ctx.bands = bands;
    Ok(data)
}

/// Each person's payer whose own rate-card entries apply (docs/rules.md C2): their `full`
/// payer, with or without a `contribution` payer beside it.
fn full_payers(arrangements: Vec<ArrangementRow>) -> HashMap<PersonId, PayerId> {
    let mut by_person: HashMap<PersonId, Vec<ArrangementRow>> = HashMap::new();
    for row in arrangements {
        by_person
            .entry(row.person_id.clone())
            .or_default()
            .push(row);
    }
    by_person
        .into_iter()
        .filter_map(|(person, arrangements)| {
            let payer = card_payer(arrangements.iter().map(|a| (a.kind, &a.payer_id)))?;
            Some((person, payer.clone()))
        })
        .collect()
}

/// Every cost centre id.
pub async fn cost_centre_ids(store: &Store) -> Result<HashSet<String>, StoreError> {
    let ids: Vec<String> = super::on_pool!(store, pool => sqlx::query_scalar(include_str!("../../sql/cost_centre_ids.sql")).fetch_all(pool).await?);
    Ok(ids.into_iter().collect())
}
