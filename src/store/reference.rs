//! Reference tables: their shapes, loading them into the engine's context, and applying an
//! imported file as audited inserts and updates.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::Utc;
use sqlx::AssertSqlSafe;

use super::bulk::{ColType, TableSpec, Value, load_rows, upsert_rows};
use super::{Store, StoreError, Tx, on_pool, on_tx};
use crate::calendar::{BandRules, BankHolidays};
use crate::cost::{
    Enhancement, PayRules, RateCard, RateEntry, RatingContext, SleepInAllowance, WorkerTerms,
};
use crate::domain::reference::{ArrangementKind, PayElement, Unit};
use crate::domain::reference::{KnownKeys, Target};
use crate::domain::{
    Band, CostCentreId, LocalZone, PayerId, Pence, PersonId, Rate, ServiceCode, WorkerId,
};

use ColType::{Date, Int, Text};

/// The table behind each target, key columns first.
pub fn spec(target: Target) -> &'static TableSpec {
    const COST_CENTRE: TableSpec = TableSpec {
        table: "cost_centre",
        columns: &[
            ("cost_centre_id", Text),
            ("name", Text),
            ("region", Text),
            ("manager_email", Text),
        ],
        key_len: 1,
    };
    const SERVICE: TableSpec = TableSpec {
        table: "service",
        columns: &[
            ("service_code", Text),
            ("name", Text),
            ("pay_element", Text),
        ],
        key_len: 1,
    };
    const WORKER: TableSpec = TableSpec {
        table: "worker",
        columns: &[
            ("worker_id", Text),
            ("name", Text),
            ("payroll_number", Text),
            ("cost_centre_id", Text),
            ("base_rate_centipence", Int),
            ("date_of_birth", Date),
        ],
        key_len: 1,
    };
    const PERSON: TableSpec = TableSpec {
        table: "person",
        columns: &[
            ("person_id", Text),
            ("name", Text),
            ("cost_centre_id", Text),
            ("document_format", Text),
            ("contact_name", Text),
            ("contact_email", Text),
        ],
        key_len: 1,
    };
    const PAYER: TableSpec = TableSpec {
        table: "payer",
        columns: &[
            ("payer_id", Text),
            ("name", Text),
            ("kind", Text),
            ("email", Text),
            ("address", Text),
        ],
        key_len: 1,
    };
    const ARRANGEMENT: TableSpec = TableSpec {
        table: "arrangement",
        columns: &[
            ("person_id", Text),
            ("payer_id", Text),
            ("kind", Text),
            ("share_basis_points", Int),
            ("weekly_amount_pence", Int),
        ],
        key_len: 2,
    };
    const RATE_CARD_ENTRY: TableSpec = TableSpec {
        table: "rate_card_entry",
        columns: &[
            ("service_code", Text),
            ("band", Text),
            ("ratio", Int),
            ("payer_id", Text),
            ("effective_from", Date),
            ("effective_to", Date),
            ("unit", Text),
            ("rate_centipence", Int),
        ],
        key_len: 5,
    };
    const PAY_ENHANCEMENT: TableSpec = TableSpec {
        table: "pay_enhancement",
        columns: &[
            ("band", Text),
            ("effective_from", Date),
            ("effective_to", Date),
            ("rate_centipence", Int),
        ],
        key_len: 2,
    };
    const SLEEP_IN_ALLOWANCE: TableSpec = TableSpec {
        table: "sleep_in_allowance",
        columns: &[
            ("band", Text),
            ("effective_from", Date),
            ("effective_to", Date),
            ("amount_pence", Int),
        ],
        key_len: 2,
    };
    const BUDGET: TableSpec = TableSpec {
        table: "budget",
        columns: &[
            ("person_id", Text),
            ("period_start", Date),
            ("period_end", Date),
            ("amount_pence", Int),
            ("management_costs_pence", Int),
            ("contingency_pence", Int),
        ],
        key_len: 2,
    };
    const BANK_HOLIDAY: TableSpec = TableSpec {
        table: "bank_holiday",
        columns: &[("calendar", Text), ("holiday_date", Date), ("name", Text)],
        key_len: 2,
    };
    const ONE_OFF: TableSpec = TableSpec {
        table: "one_off",
        columns: &[
            ("person_id", Text),
            ("service_code", Text),
            ("charge_date", Date),
            ("description", Text),
        ],
        key_len: 3,
    };
    match target {
        Target::CostCentre => &COST_CENTRE,
        Target::Service => &SERVICE,
        Target::Worker => &WORKER,
        Target::Person => &PERSON,
        Target::Payer => &PAYER,
        Target::Arrangement => &ARRANGEMENT,
        Target::RateCardEntry => &RATE_CARD_ENTRY,
        Target::PayEnhancement => &PAY_ENHANCEMENT,
        Target::SleepInAllowance => &SLEEP_IN_ALLOWANCE,
        Target::Budget => &BUDGET,
        Target::BankHoliday => &BANK_HOLIDAY,
        Target::OneOff => &ONE_OFF,
    }
}

const AUDIT: TableSpec = TableSpec {
    table: "reference_audit",
    columns: &[
        ("kind", Text),
        ("record_key", Text),
        ("action", Text),
        ("before_json", Text),
        ("after_json", Text),
        ("source_file", Text),
        ("changed_at", ColType::Instant),
    ],
    key_len: 0,
};

/// A stored row's key, rendered: the join of its key columns with `|`.
pub fn key_of(spec: &TableSpec, row: &[Value]) -> String {
    row[..spec.key_len]
        .iter()
        .map(|v| v.render().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("|")
}

fn to_json(spec: &TableSpec, row: &[Value]) -> String {
    let object: serde_json::Map<String, serde_json::Value> = spec
        .columns
        .iter()
        .zip(row)
        .map(|((name, _), v)| {
            (
                (*name).to_owned(),
                v.render()
                    .map_or(serde_json::Value::Null, serde_json::Value::String),
            )
        })
        .collect();
    serde_json::Value::Object(object).to_string()
}

/// The rows of one table after a file is merged over what is stored, with the changes.
#[derive(Clone, Debug, Default)]
pub struct Merged {
    /// Every row after the change, by key.
    pub rows: BTreeMap<String, Vec<Value>>,
    pub inserts: Vec<Vec<Value>>,
    /// `(before, after)` pairs.
    pub updates: Vec<(Vec<Value>, Vec<Value>)>,
    pub deletes: Vec<Vec<Value>>,
}

impl Merged {
    pub fn changed(&self) -> usize {
        self.inserts.len() + self.updates.len() + self.deletes.len()
    }
}

/// Merges `incoming` over the stored rows of `target`. With `replace_group` (arrangements), rows
/// of the same first key column as an incoming row but absent from the file are deleted.
pub async fn merge(
    store: &Store,
    target: Target,
    incoming: Vec<Vec<Value>>,
    replace_group: bool,
) -> Result<Merged, StoreError> {
    let spec = spec(target);
    let stored: BTreeMap<String, Vec<Value>> = load_rows(store, spec)
        .await?
        .into_iter()
        .map(|r| (key_of(spec, &r), r))
        .collect();
    let groups: HashSet<Value> = if replace_group {
        incoming.iter().map(|r| r[0].clone()).collect()
    } else {
        HashSet::new()
    };
    let mut merged = Merged {
        rows: stored.clone(),
        ..Merged::default()
    };
    let incoming_keys: HashSet<String> = incoming.iter().map(|r| key_of(spec, r)).collect();
    for (key, row) in &stored {
        if groups.contains(&row[0]) && !incoming_keys.contains(key) {
            merged.rows.remove(key);
            merged.deletes.push(row.clone());
        }
    }
    for row in incoming {
        let key = key_of(spec, &row);
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
) -> Result<(), StoreError> {
    let spec = spec(target);
    let now = Utc::now();
    let mut audit = Vec::with_capacity(merged.changed());
    let audit_row = |action: &str, key: String, before: Option<String>, after: Option<String>| {
        vec![
            Value::text(kind),
            Value::text(key),
            Value::text(action),
            Value::Text(before),
            Value::Text(after),
            Value::text(source_file),
            Value::Instant(Some(now)),
        ]
    };
    for row in &merged.deletes {
        let keys: Vec<&str> = spec.columns[..spec.key_len]
            .iter()
            .map(|(n, _)| *n)
            .collect();
        let condition: Vec<String> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| format!("{k} = ${}", i + 1))
            .collect();
        let sql = format!(
            "delete from {} where {}",
            spec.table,
            condition.join(" and ")
        );
        on_tx!(tx, conn => {
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for value in &row[..spec.key_len] {
                query = match value {
                    Value::Text(v) => query.bind(v.as_deref()),
                    Value::Int(v) => query.bind(*v),
                    Value::Date(v) => query.bind(*v),
                    other => return Err(StoreError::Corrupt(format!("unexpected key value {other:?}"))),
                };
            }
            query.execute(conn).await?;
        });
        audit.push(audit_row(
            "delete",
            key_of(spec, row),
            Some(to_json(spec, row)),
            None,
        ));
    }
    let mut writes: Vec<Vec<Value>> = merged.inserts.clone();
    writes.extend(merged.updates.iter().map(|(_, after)| after.clone()));
    upsert_rows(tx, spec, &writes).await?;
    for row in &merged.inserts {
        audit.push(audit_row(
            "insert",
            key_of(spec, row),
            None,
            Some(to_json(spec, row)),
        ));
    }
    for (before, after) in &merged.updates {
        audit.push(audit_row(
            "update",
            key_of(spec, after),
            Some(to_json(spec, before)),
            Some(to_json(spec, after)),
        ));
    }
    super::bulk::insert_rows(tx, &AUDIT, &audit).await
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
    let firsts = |rows: Vec<Vec<Value>>| {
        rows.into_iter()
            .filter_map(|r| r[0].render())
            .collect::<HashSet<String>>()
    };
    let mut services = firsts(load_rows(store, spec(Target::Service)).await?);
    services.extend(firsts(load_rows(store, spec(Target::RateCardEntry)).await?));
    Ok(KnownKeys {
        cost_centres: firsts(load_rows(store, spec(Target::CostCentre)).await?),
        people: firsts(load_rows(store, spec(Target::Person)).await?),
        payers: firsts(load_rows(store, spec(Target::Payer)).await?),
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

fn corrupt(what: &str, value: &Value) -> StoreError {
    StoreError::Corrupt(format!("stored {what} {value:?} is not valid"))
}

fn text_of(v: &Value) -> &str {
    match v {
        Value::Text(Some(s)) => s,
        _ => "",
    }
}

fn int_of(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => *i,
        _ => None,
    }
}

fn date_of(v: &Value) -> Option<chrono::NaiveDate> {
    match v {
        Value::Date(d) => *d,
        _ => None,
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
        ..ReferenceData::default()
    };
    for row in load_rows(store, spec(Target::Service)).await? {
        let code = ServiceCode::parse(text_of(&row[0])).map_err(|_| corrupt("service", &row[0]))?;
        let element: PayElement = text_of(&row[2])
            .parse()
            .map_err(|_| corrupt("pay element", &row[2]))?;
        data.ctx.pay_elements.insert(code.clone(), element);
        data.services.insert(code);
    }
    for row in load_rows(store, spec(Target::Worker)).await? {
        let id = WorkerId::parse(text_of(&row[0])).map_err(|_| corrupt("worker", &row[0]))?;
        let cost_centre =
            CostCentreId::parse(text_of(&row[3])).map_err(|_| corrupt("cost centre", &row[3]))?;
        let base_rate =
            Rate::from_centipence(int_of(&row[4]).ok_or_else(|| corrupt("base rate", &row[4]))?);
        data.workers.insert(
            id,
            WorkerTerms {
                base_rate,
                cost_centre,
            },
        );
    }
    for row in load_rows(store, spec(Target::Person)).await? {
        let id = PersonId::parse(text_of(&row[0])).map_err(|_| corrupt("person", &row[0]))?;
        let cost_centre =
            CostCentreId::parse(text_of(&row[2])).map_err(|_| corrupt("cost centre", &row[2]))?;
        data.person_details
            .insert(id.clone(), (text_of(&row[1]).to_owned(), cost_centre));
        data.people.insert(id);
    }
    data.ctx.rate_card = RateCard::new(load_rate_entries(store, &mut data.services).await?);
    data.ctx.pay_rules = load_pay_rules(store).await?;
    data.ctx.full_payers = load_full_payers(store).await?;
    let holidays = load_rows(store, spec(Target::BankHoliday)).await?;
    let dates = holidays
        .iter()
        .filter(|r| text_of(&r[0]) == calendar)
        .filter_map(|r| Some((date_of(&r[1])?, text_of(&r[2]).to_owned())));
    data.ctx.holidays = BankHolidays::new(calendar, dates);
    data.ctx.zone = zone;
    data.ctx.bands = bands;
    Ok(data)
}

async fn load_rate_entries(
    store: &Store,
    services: &mut HashSet<ServiceCode>,
) -> Result<Vec<RateEntry>, StoreError> {
    let mut entries = Vec::new();
    for row in load_rows(store, spec(Target::RateCardEntry)).await? {
        let service =
            ServiceCode::parse(text_of(&row[0])).map_err(|_| corrupt("service", &row[0]))?;
        services.insert(service.clone());
        let payer = match text_of(&row[3]) {
            "" => None,
            p => Some(PayerId::parse(p).map_err(|_| corrupt("payer", &row[3]))?),
        };
        entries.push(RateEntry {
            service,
            band: text_of(&row[1])
                .parse::<Band>()
                .map_err(|_| corrupt("band", &row[1]))?,
            ratio: u32::try_from(int_of(&row[2]).unwrap_or(0))
                .map_err(|_| corrupt("ratio", &row[2]))?,
            payer,
            effective_from: date_of(&row[4]).ok_or_else(|| corrupt("date", &row[4]))?,
            effective_to: date_of(&row[5]),
            unit: text_of(&row[6])
                .parse::<Unit>()
                .map_err(|_| corrupt("unit", &row[6]))?,
            rate: Rate::from_centipence(int_of(&row[7]).ok_or_else(|| corrupt("rate", &row[7]))?),
        });
    }
    Ok(entries)
}

async fn load_pay_rules(store: &Store) -> Result<PayRules, StoreError> {
    let mut rules = PayRules::default();
    for row in load_rows(store, spec(Target::PayEnhancement)).await? {
        rules.enhancements.push(Enhancement {
            band: text_of(&row[0])
                .parse()
                .map_err(|_| corrupt("band", &row[0]))?,
            effective_from: date_of(&row[1]).ok_or_else(|| corrupt("date", &row[1]))?,
            effective_to: date_of(&row[2]),
            amount: Rate::from_centipence(int_of(&row[3]).ok_or_else(|| corrupt("rate", &row[3]))?),
        });
    }
    for row in load_rows(store, spec(Target::SleepInAllowance)).await? {
        let band = match text_of(&row[0]) {
            "" => None,
            b => Some(b.parse().map_err(|_| corrupt("band", &row[0]))?),
        };
        rules.sleep_in_allowances.push(SleepInAllowance {
            band,
            effective_from: date_of(&row[1]).ok_or_else(|| corrupt("date", &row[1]))?,
            effective_to: date_of(&row[2]),
            amount: Pence::new(int_of(&row[3]).ok_or_else(|| corrupt("amount", &row[3]))?),
        });
    }
    Ok(rules)
}

/// People whose only arrangement is one `full` payer.
async fn load_full_payers(store: &Store) -> Result<HashMap<PersonId, PayerId>, StoreError> {
    let mut by_person: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for row in load_rows(store, spec(Target::Arrangement)).await? {
        by_person
            .entry(text_of(&row[0]).to_owned())
            .or_default()
            .push((text_of(&row[1]).to_owned(), text_of(&row[2]).to_owned()));
    }
    let mut full = HashMap::new();
    for (person, arrangements) in by_person {
        if let [(payer, kind)] = arrangements.as_slice()
            && kind == ArrangementKind::Full.as_str()
        {
            let person = PersonId::parse(&person)
                .map_err(|_| StoreError::Corrupt(format!("person {person}")))?;
            let payer =
                PayerId::parse(payer).map_err(|_| StoreError::Corrupt(format!("payer {payer}")))?;
            full.insert(person, payer);
        }
    }
    Ok(full)
}

/// Every cost centre id.
pub async fn cost_centre_ids(store: &Store) -> Result<HashSet<String>, StoreError> {
    let ids: Vec<String> = super::on_pool!(store, pool => sqlx::query_scalar(include_str!("../../sql/cost_centre_ids.sql")).fetch_all(pool).await?);
    Ok(ids.into_iter().collect())
}
