//! The rows tms writes, one struct per table with its columns in order: capture and the ledger
//! build them, the batch writers bind their fields in that order, and reference rows read back
//! into the same structs.

use chrono::{DateTime, NaiveDate, Utc};

use super::StoreError;
use super::bulk::{ColType, TableSpec, Value};
use crate::cost::{BaseRate, Enhancement, RateEntry, SleepInAllowance};
use crate::domain::reference::{
    ArrangementKind, DocumentFormat, PayElement, PayerKind, Target, Unit,
};
use crate::domain::shift::ShiftStatus;
use crate::domain::{
    Band, CostCentreId, PayerId, Pence, PersonId, Rate, ServiceCode, ShiftRef, WorkerId,
};

/// One value of a row as the writers bind it, borrowing the row's text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field<'a> {
    Int(Option<i64>),
    Text(Option<&'a str>),
    Date(Option<NaiveDate>),
    Instant(Option<DateTime<Utc>>),
    Bool(bool),
}

impl Field<'_> {
    /// The storage type of the value.
    pub fn col_type(&self) -> ColType {
        match self {
            Field::Int(_) => ColType::Int,
            Field::Text(_) => ColType::Text,
            Field::Date(_) => ColType::Date,
            Field::Instant(_) => ColType::Instant,
            Field::Bool(_) => ColType::Bool,
        }
    }

    /// A canonical rendering, for keys and audit records (`None` for NULL).
    pub fn render(&self) -> Option<String> {
        match self {
            Field::Int(v) => v.map(|v| v.to_string()),
            Field::Text(v) => v.map(str::to_owned),
            Field::Date(v) => v.map(|v| v.to_string()),
            Field::Instant(v) => v.map(|v| v.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            Field::Bool(v) => Some(v.to_string()),
        }
    }

    /// NULL of a column type (a boolean column has no NULL: false).
    fn null(col_type: ColType) -> Field<'static> {
        match col_type {
            ColType::Int => Field::Int(None),
            ColType::Text => Field::Text(None),
            ColType::Date => Field::Date(None),
            ColType::Instant => Field::Instant(None),
            ColType::Bool => Field::Bool(false),
        }
    }
}

/// A row of one table: which table, and its values in column order.
pub trait TableRow {
    /// The table, with its columns in the order [`TableRow::each_field`] gives them.
    fn spec(&self) -> &'static TableSpec;

    /// Calls `visit` with each value, in column order.
    fn each_field<'a>(&'a self, visit: &mut impl FnMut(Field<'a>));

    /// The row's key: its key columns rendered and joined with `|`.
    fn key(&self) -> String {
        let key_len = self.spec().key_len;
        let mut parts = Vec::with_capacity(key_len);
        self.each_field(&mut |field| {
            if parts.len() < key_len {
                parts.push(field.render().unwrap_or_default());
            }
        });
        parts.join("|")
    }

    /// The row as a JSON object of its columns, each rendered as text (or null), for audit
    /// records.
    fn to_json(&self) -> String {
        let mut columns = self.spec().columns.iter();
        let mut object = serde_json::Map::new();
        self.each_field(&mut |field| {
            if let Some((name, _)) = columns.next() {
                object.insert(
                    (*name).to_owned(),
                    field
                        .render()
                        .map_or(serde_json::Value::Null, serde_json::Value::String),
                );
            }
        });
        serde_json::Value::Object(object).to_string()
    }
}

/// A row type that reads back from its table.
pub trait ReadRow: TableRow + Sized {
    /// The table and its columns, in the order [`ReadRow::from_values`] takes them.
    const SPEC: &'static TableSpec;

    /// The row from its stored values, in column order.
    fn from_values(values: &[Value]) -> Result<Self, StoreError>;
}

/// A Rust type kept in one column.
pub trait Column: Sized {
    const TYPE: ColType;

    /// The value as bound.
    fn field(&self) -> Field<'_>;

    /// The value read back; `None` when the stored value is not one this type holds.
    fn decode(value: &Value) -> Option<Self>;
}

/// Reads the value of `column` (the next of `values`), naming the column when it is missing or
/// not valid.
fn decode_next<'a, T: Column>(
    values: &mut impl Iterator<Item = &'a Value>,
    table: &str,
    column: &str,
) -> Result<T, StoreError> {
    let value = values
        .next()
        .ok_or_else(|| StoreError::Corrupt(format!("a stored {table} row has no {column}")))?;
    T::decode(value).ok_or_else(|| {
        StoreError::Corrupt(format!("stored {table}.{column} {value:?} is not valid"))
    })
}

impl Column for i64 {
    const TYPE: ColType = ColType::Int;
    fn field(&self) -> Field<'_> {
        Field::Int(Some(*self))
    }
    fn decode(value: &Value) -> Option<Self> {
        match value {
            Value::Int(v) => *v,
            _ => None,
        }
    }
}

impl Column for u32 {
    const TYPE: ColType = ColType::Int;
    fn field(&self) -> Field<'_> {
        Field::Int(Some(i64::from(*self)))
    }
    fn decode(value: &Value) -> Option<Self> {
        u32::try_from(i64::decode(value)?).ok()
    }
}

impl Column for bool {
    const TYPE: ColType = ColType::Bool;
    fn field(&self) -> Field<'_> {
        Field::Bool(*self)
    }
    fn decode(value: &Value) -> Option<Self> {
        match value {
            Value::Bool(v) => Some(*v),
            _ => None,
        }
    }
}

impl Column for String {
    const TYPE: ColType = ColType::Text;
    fn field(&self) -> Field<'_> {
        Field::Text(Some(self))
    }
    fn decode(value: &Value) -> Option<Self> {
        match value {
            Value::Text(v) => v.clone(),
            _ => None,
        }
    }
}

impl Column for NaiveDate {
    const TYPE: ColType = ColType::Date;
    fn field(&self) -> Field<'_> {
        Field::Date(Some(*self))
    }
    fn decode(value: &Value) -> Option<Self> {
        match value {
            Value::Date(v) => *v,
            _ => None,
        }
    }
}

impl Column for DateTime<Utc> {
    const TYPE: ColType = ColType::Instant;
    fn field(&self) -> Field<'_> {
        Field::Instant(Some(*self))
    }
    fn decode(value: &Value) -> Option<Self> {
        match value {
            Value::Instant(v) => *v,
            _ => None,
        }
    }
}

/// Amounts are whole pence.
impl Column for Pence {
    const TYPE: ColType = ColType::Int;
    fn field(&self) -> Field<'_> {
        Field::Int(Some(self.get()))
    }
    fn decode(value: &Value) -> Option<Self> {
        i64::decode(value).map(Pence::new)
    }
}

/// Rates are hundredths of a penny.
impl Column for Rate {
    const TYPE: ColType = ColType::Int;
    fn field(&self) -> Field<'_> {
        Field::Int(Some(self.centipence()))
    }
    fn decode(value: &Value) -> Option<Self> {
        i64::decode(value).map(Rate::from_centipence)
    }
}

/// A nullable column.
impl<T: Column> Column for Option<T> {
    const TYPE: ColType = T::TYPE;
    fn field(&self) -> Field<'_> {
        match self {
            Some(v) => v.field(),
            None => Field::null(T::TYPE),
        }
    }
    fn decode(value: &Value) -> Option<Self> {
        let null = match value {
            Value::Int(v) => v.is_none(),
            Value::Text(v) => v.is_none(),
            Value::Date(v) => v.is_none(),
            Value::Instant(v) => v.is_none(),
            Value::Bool(_) => false,
        };
        if null {
            Some(None)
        } else {
            T::decode(value).map(Some)
        }
    }
}

/// A type kept as text: ids and the closed lists of words.
pub trait TextColumn: Sized {
    fn as_text(&self) -> &str;
    fn from_text(text: &str) -> Option<Self>;
}

macro_rules! text_columns {
    ($($ty:ty => $parse:expr),+ $(,)?) => {$(
        impl TextColumn for $ty {
            fn as_text(&self) -> &str {
                self.as_str()
            }
            fn from_text(text: &str) -> Option<Self> {
                let parse: fn(&str) -> Option<Self> = $parse;
                parse(text)
            }
        }

        impl Column for $ty {
            const TYPE: ColType = ColType::Text;
            fn field(&self) -> Field<'_> {
                Field::Text(Some(self.as_text()))
            }
            fn decode(value: &Value) -> Option<Self> {
                match value {
                    Value::Text(Some(text)) => Self::from_text(text),
                    _ => None,
                }
            }
        }
    )+};
}

text_columns!(
    CostCentreId => |t| CostCentreId::parse(t).ok(),
    PayerId => |t| PayerId::parse(t).ok(),
    PersonId => |t| PersonId::parse(t).ok(),
    ServiceCode => |t| ServiceCode::parse(t).ok(),
    ShiftRef => |t| ShiftRef::parse(t).ok(),
    WorkerId => |t| WorkerId::parse(t).ok(),
    Band => |t| t.parse().ok(),
    PayElement => PayElement::from_word,
    Unit => Unit::from_word,
    DocumentFormat => DocumentFormat::from_word,
    ArrangementKind => ArrangementKind::from_word,
    PayerKind => PayerKind::from_word,
    ShiftStatus => ShiftStatus::from_word,
);

/// A text column where the empty string stands for none: a rate-card entry's `payer_id` (the
/// default card) or a sleep-in allowance's `band` (any band).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OrEmpty<T>(pub Option<T>);

impl<T: TextColumn> OrEmpty<T> {
    /// The stored text: empty for none.
    pub fn as_text(&self) -> &str {
        self.0.as_ref().map_or("", TextColumn::as_text)
    }
}

impl<T: TextColumn> Column for OrEmpty<T> {
    const TYPE: ColType = ColType::Text;
    fn field(&self) -> Field<'_> {
        Field::Text(Some(self.as_text()))
    }
    fn decode(value: &Value) -> Option<Self> {
        match value {
            Value::Text(Some(text)) if text.is_empty() => Some(OrEmpty(None)),
            Value::Text(Some(text)) => T::from_text(text).map(|v| OrEmpty(Some(v))),
            _ => None,
        }
    }
}

/// Declares a row struct whose fields are its table's columns, in order, the first `key` of
/// them forming its key.
macro_rules! table_row {
    (
        $(#[$doc:meta])*
        $name:ident in $table:literal, key $key_len:literal {
            $($(#[$field_doc:meta])* $field:ident: $ty:ty),+ $(,)?
        }
    ) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct $name {
            $($(#[$field_doc])* pub $field: $ty,)+
        }

        impl TableRow for $name {
            fn spec(&self) -> &'static TableSpec {
                <Self as ReadRow>::SPEC
            }
            fn each_field<'a>(&'a self, visit: &mut impl FnMut(Field<'a>)) {
                $(visit(Column::field(&self.$field));)+
            }
        }

        impl ReadRow for $name {
            const SPEC: &'static TableSpec = &TableSpec {
                table: $table,
                columns: &[$((stringify!($field), <$ty as Column>::TYPE)),+],
                key_len: $key_len,
            };
            fn from_values(values: &[Value]) -> Result<Self, StoreError> {
                let mut values = values.iter();
                Ok($name {
                    $($field: decode_next(&mut values, $table, stringify!($field))?,)+
                })
            }
        }
    };
}

table_row!(
    /// A cost centre: a team, house or region that owns workers and people.
    CostCentreRow in "cost_centre", key 1 {
        cost_centre_id: CostCentreId,
        name: String,
        region: String,
        manager_email: String,
    }
);

table_row!(
    /// A service on the menu and how its time is paid.
    ServiceRow in "service", key 1 {
        service_code: ServiceCode,
        name: String,
        pay_element: PayElement,
    }
);

table_row!(
    /// A support worker.
    WorkerRow in "worker", key 1 {
        worker_id: WorkerId,
        name: String,
        payroll_number: String,
        cost_centre_id: CostCentreId,
        base_rate_centipence: Rate,
        date_of_birth: Option<NaiveDate>,
    }
);

table_row!(
    /// One entry of a worker's base-rate history: the hourly rate from a date (docs/rules.md K1).
    BaseRateRow in "worker_base_rate", key 2 {
        worker_id: WorkerId,
        effective_from: NaiveDate,
        effective_to: Option<NaiveDate>,
        base_rate_centipence: Rate,
    }
);

table_row!(
    /// A person supported.
    PersonRow in "person", key 1 {
        person_id: PersonId,
        name: String,
        cost_centre_id: CostCentreId,
        document_format: DocumentFormat,
        contact_name: String,
        contact_email: String,
    }
);

table_row!(
    /// A payer: a council, the person, a representative, the NHS or another funder.
    PayerRow in "payer", key 1 {
        payer_id: PayerId,
        name: String,
        kind: PayerKind,
        email: String,
        address: String,
    }
);

table_row!(
    /// One payer's share of a person's charges.
    ArrangementRow in "arrangement", key 2 {
        person_id: PersonId,
        payer_id: PayerId,
        kind: ArrangementKind,
        /// `percentage` only: hundredths of a percent, 33.33% is 3333.
        share_basis_points: Option<i64>,
        /// `contribution` only.
        weekly_amount_pence: Option<Pence>,
    }
);

table_row!(
    /// A rate-card entry: the rate of a service in a band at a ratio, for a payer or the
    /// default card, from a date.
    RateCardEntryRow in "rate_card_entry", key 5 {
        service_code: ServiceCode,
        band: Band,
        ratio: u32,
        /// Empty for the default card.
        payer_id: OrEmpty<PayerId>,
        effective_from: NaiveDate,
        effective_to: Option<NaiveDate>,
        unit: Unit,
        rate_centipence: Rate,
    }
);

table_row!(
    /// A band's pay enhancement per hour, from a date.
    PayEnhancementRow in "pay_enhancement", key 2 {
        band: Band,
        effective_from: NaiveDate,
        effective_to: Option<NaiveDate>,
        rate_centipence: Rate,
    }
);

table_row!(
    /// A sleep-in allowance per night, for a band or (empty) any band, from a date.
    SleepInAllowanceRow in "sleep_in_allowance", key 2 {
        band: OrEmpty<Band>,
        effective_from: NaiveDate,
        effective_to: Option<NaiveDate>,
        amount_pence: Pence,
    }
);

table_row!(
    /// A person's budget for a period.
    BudgetRow in "budget", key 2 {
        person_id: PersonId,
        period_start: NaiveDate,
        period_end: NaiveDate,
        amount_pence: Pence,
        management_costs_pence: Pence,
        contingency_pence: Pence,
    }
);

table_row!(
    /// A bank holiday of a calendar.
    BankHolidayRow in "bank_holiday", key 2 {
        calendar: String,
        holiday_date: NaiveDate,
        name: String,
    }
);

table_row!(
    /// A one-off charge of a fixed-price service to a person on a date.
    OneOffRow in "one_off", key 3 {
        person_id: PersonId,
        service_code: ServiceCode,
        charge_date: NaiveDate,
        description: String,
    }
);

table_row!(
    /// A change to a reference row, with the row before and after as JSON.
    ReferenceAuditRow in "reference_audit", key 0 {
        kind: String,
        record_key: String,
        /// `insert`, `update` or `delete`.
        action: String,
        before_json: Option<String>,
        after_json: Option<String>,
        source_file: String,
        changed_at: DateTime<Utc>,
        /// Who made the change: `cli:USER` for `tms import`, `nightly` for the inbox.
        actor: String,
    }
);

impl RateCardEntryRow {
    /// The entry as the rating engine reads it.
    pub fn to_entry(&self) -> RateEntry {
        RateEntry {
            service: self.service_code.clone(),
            band: self.band,
            ratio: self.ratio,
            payer: self.payer_id.0.clone(),
            effective_from: self.effective_from,
            effective_to: self.effective_to,
            unit: self.unit,
            rate: self.rate_centipence,
        }
    }
}

impl BaseRateRow {
    /// The entry as the engine reads it.
    pub fn to_base_rate(&self) -> BaseRate {
        BaseRate {
            rate: self.base_rate_centipence,
            effective_from: self.effective_from,
            effective_to: self.effective_to,
        }
    }
}

impl PayEnhancementRow {
    /// The enhancement as the pay rules read it.
    pub fn to_enhancement(&self) -> Enhancement {
        Enhancement {
            band: self.band,
            effective_from: self.effective_from,
            effective_to: self.effective_to,
            amount: self.rate_centipence,
        }
    }
}

impl SleepInAllowanceRow {
    /// The allowance as the pay rules read it.
    pub fn to_allowance(&self) -> SleepInAllowance {
        SleepInAllowance {
            band: self.band.0,
            effective_from: self.effective_from,
            effective_to: self.effective_to,
            amount: self.amount_pence,
        }
    }
}

/// Declares [`ReferenceRow`] over the reference tables, one variant per [`Target`].
macro_rules! reference_rows {
    ($($target:ident($row:ident)),+ $(,)?) => {
        /// A reference row of any table, as a file's rows travel from capture to the store.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum ReferenceRow {
            $($target($row),)+
        }

        impl ReferenceRow {
            /// The table the row belongs to.
            pub fn target(&self) -> Target {
                match self {
                    $(ReferenceRow::$target(_) => Target::$target,)+
                }
            }

            /// The table behind a target, key columns first.
            pub fn spec_of(target: Target) -> &'static TableSpec {
                match target {
                    $(Target::$target => <$row as ReadRow>::SPEC,)+
                }
            }

            /// A stored row of `target` from its values in column order.
            pub fn from_values(target: Target, values: &[Value]) -> Result<Self, StoreError> {
                Ok(match target {
                    $(Target::$target => ReferenceRow::$target($row::from_values(values)?),)+
                })
            }
        }

        impl TableRow for ReferenceRow {
            fn spec(&self) -> &'static TableSpec {
                match self {
                    $(ReferenceRow::$target(row) => row.spec(),)+
                }
            }
            fn each_field<'a>(&'a self, visit: &mut impl FnMut(Field<'a>)) {
                match self {
                    $(ReferenceRow::$target(row) => row.each_field(visit),)+
                }
            }
        }

        $(
            impl From<$row> for ReferenceRow {
                fn from(row: $row) -> ReferenceRow {
                    ReferenceRow::$target(row)
                }
            }
        )+
    };
}

reference_rows!(
    CostCentre(CostCentreRow),
    Service(ServiceRow),
    Worker(WorkerRow),
    BaseRate(BaseRateRow),
    Person(PersonRow),
    Payer(PayerRow),
    Arrangement(ArrangementRow),
    RateCardEntry(RateCardEntryRow),
    PayEnhancement(PayEnhancementRow),
    SleepInAllowance(SleepInAllowanceRow),
    Budget(BudgetRow),
    BankHoliday(BankHolidayRow),
    OneOff(OneOffRow),
);

impl ReferenceRow {
    /// For an entry that has a history — a rate-card entry, a pay rule or a base rate — its
    /// dates, `(effective_from, effective_to)`.
    pub fn dates(&self) -> Option<(NaiveDate, Option<NaiveDate>)> {
        match self {
            ReferenceRow::RateCardEntry(r) => Some((r.effective_from, r.effective_to)),
            ReferenceRow::PayEnhancement(r) => Some((r.effective_from, r.effective_to)),
            ReferenceRow::SleepInAllowance(r) => Some((r.effective_from, r.effective_to)),
            ReferenceRow::BaseRate(r) => Some((r.effective_from, r.effective_to)),
            _ => None,
        }
    }

    /// The key of the history an entry belongs to — its key without `effective_from` — and how
    /// messages name it (`rate card PERSONAL_CARE day ratio 1 (the default card)`).
    pub fn history(&self) -> Option<(String, String)> {
        Some(match self {
            ReferenceRow::RateCardEntry(r) => {
                let payer = r
                    .payer_id
                    .0
                    .as_ref()
                    .map_or_else(|| "the default card".to_owned(), |p| format!("payer {p}"));
                (
                    format!(
                        "{}|{}|{}|{}",
                        r.service_code,
                        r.band,
                        r.ratio,
                        r.payer_id.as_text()
                    ),
                    format!(
                        "rate card {} {} ratio {} ({payer})",
                        r.service_code, r.band, r.ratio
                    ),
                )
            }
            ReferenceRow::PayEnhancement(r) => (
                r.band.as_str().to_owned(),
                format!("the {} enhancement", r.band),
            ),
            ReferenceRow::SleepInAllowance(r) => (
                r.band.as_text().to_owned(),
                match r.band.0 {
                    Some(band) => format!("the sleep-in allowance for {band}"),
                    None => "the sleep-in allowance for any band".to_owned(),
                },
            ),
            ReferenceRow::BaseRate(r) => (
                r.worker_id.to_string(),
                format!("the base rate of worker {}", r.worker_id),
            ),
            _ => return None,
        })
    }

    /// The entry with another end date; other rows are returned as they are.
    pub fn with_end(&self, to: Option<NaiveDate>) -> ReferenceRow {
        let mut row = self.clone();
        match &mut row {
            ReferenceRow::RateCardEntry(r) => r.effective_to = to,
            ReferenceRow::PayEnhancement(r) => r.effective_to = to,
            ReferenceRow::SleepInAllowance(r) => r.effective_to = to,
            ReferenceRow::BaseRate(r) => r.effective_to = to,
            _ => {}
        }
        row
    }
}

table_row!(
    /// A new shift's record (an amendment updates the stored one in place).
    NewShiftRow in "shift", key 1 {
        shift_id: i64,
        worker_id: WorkerId,
        shift_ref: ShiftRef,
        status: ShiftStatus,
        /// `csv` or `api`.
        source: String,
        version: i64,
        content_hash: String,
        first_start_utc: DateTime<Utc>,
        last_end_utc: DateTime<Utc>,
        needs_costing: bool,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }
);

table_row!(
    /// One segment of a stored shift.
    ShiftSegmentRow in "segment", key 2 {
        shift_id: i64,
        segment_no: i64,
        worker_id: WorkerId,
        start_utc: DateTime<Utc>,
        end_utc: DateTime<Utc>,
        service_code: ServiceCode,
        /// The people supported in byte order, `;`-separated.
        people: String,
        miles: String,
        notes: String,
    }
);

table_row!(
    /// One entry of a shift's audit trail.
    ShiftAuditRow in "shift_audit", key 0 {
        shift_id: i64,
        worker_id: String,
        shift_ref: String,
        version: i64,
        /// `create`, `amend`, `approve`, `reject` or `withdraw`.
        action: String,
        before_hash: Option<String>,
        after_hash: String,
        source: String,
        source_file: String,
        changed_at: DateTime<Utc>,
        actor: String,
        detail: String,
        /// The shift before the change ([`super::audit::ShiftContent`] as JSON); `None` for a
        /// new shift.
        before_content: Option<String>,
        /// The shift after the change.
        after_content: Option<String>,
    }
);

table_row!(
    /// One row of the allocation ledger: a person's (or nobody's) share of a band run of a
    /// segment on a local date, with its pay and how it is charged.
    AllocationLedgerRow in "allocation", key 2 {
        allocation_id: i64,
        shift_id: i64,
        row_no: i64,
        segment_no: i64,
        start_utc: DateTime<Utc>,
        end_utc: DateTime<Utc>,
        local_date: NaiveDate,
        band: Band,
        service_code: ServiceCode,
        /// `None` for unallocated time.
        person_id: Option<PersonId>,
        cost_centre_id: CostCentreId,
        ratio: u32,
        minutes: i64,
        allocated_ticks: i64,
        pay_pence: Pence,
        /// `None` when nothing is charged (unallocated or unpriced time).
        charge_unit: Option<Unit>,
        entry_rate_centipence: Option<Rate>,
        divisor: u32,
        night_units: i64,
        unpriced: bool,
    }
);

table_row!(
    /// A rejected row of a shift file, with the field at fault and why.
    ShiftRejectRow in "shift_reject", key 2 {
        import_file_id: i64,
        row_no: i64,
        /// As written in the file, which may not be a valid id.
        worker_id: String,
        shift_ref: String,
        field: String,
        reason: String,
    }
);

table_row!(
    /// A closed period and the totals its files held (migration 0007).
    ClosedPeriodRow in "closed_period", key 1 {
        /// `YYYY-MM`.
        period: String,
        closed_at: DateTime<Utc>,
        /// `closed`, or `adopted` for a period closed before totals were kept.
        how: String,
        charge_lines: i64,
        people: i64,
        amount_pence: Pence,
    }
);

table_row!(
    /// A payer's share of a person's charges in a closed period; `payer_id` empty where the
    /// person has no arrangement.
    ClosedPeriodTotalRow in "closed_period_total", key 3 {
        period: String,
        person_id: String,
        payer_id: String,
        amount_pence: Pence,
    }
);

table_row!(
    /// An approved shift's charges to a person in a closed period.
    ClosedPeriodShiftRow in "closed_period_shift", key 3 {
        period: String,
        shift_id: i64,
        person_id: String,
        worker_id: String,
        shift_ref: String,
        content_hash: String,
        first_date: NaiveDate,
        amount_pence: Pence,
    }
);

table_row!(
    /// A priced one-off item in a closed period.
    ClosedPeriodOneOffRow in "closed_period_one_off", key 4 {
        period: String,
        person_id: String,
        service_code: String,
        charge_date: NaiveDate,
        amount_pence: Pence,
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    fn values_of(row: &impl TableRow) -> Vec<Value> {
        let mut values = Vec::new();
        row.each_field(&mut |field| {
            values.push(match field {
                Field::Int(v) => Value::Int(v),
                Field::Text(v) => Value::Text(v.map(str::to_owned)),
                Field::Date(v) => Value::Date(v),
                Field::Instant(v) => Value::Instant(v),
                Field::Bool(v) => Value::Bool(v),
            })
        });
        values
    }

    fn date(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn reference_rows_read_back_as_they_were_written() {
        let rows: Vec<ReferenceRow> = vec![
            RateCardEntryRow {
                service_code: ServiceCode::parse("PC").unwrap(),
                band: Band::Night,
                ratio: 2,
                payer_id: OrEmpty(None),
                effective_from: date("2026-04-01"),
                effective_to: Some(date("2027-03-31")),
                unit: Unit::Hour,
                rate_centipence: Rate::from_centipence(251_000),
            }
            .into(),
            SleepInAllowanceRow {
                band: OrEmpty(Some(Band::Weekend)),
                effective_from: date("2026-04-01"),
                effective_to: None,
                amount_pence: Pence::new(9_000),
            }
            .into(),
            ArrangementRow {
                person_id: PersonId::parse("P1").unwrap(),
                payer_id: PayerId::parse("LA1").unwrap(),
                kind: ArrangementKind::Contribution,
                share_basis_points: None,
                weekly_amount_pence: Some(Pence::new(2_500)),
            }
            .into(),
            PayerRow {
                payer_id: PayerId::parse("LA1").unwrap(),
                name: "Leeds".into(),
                kind: PayerKind::LocalAuthority,
                email: String::new(),
                address: String::new(),
            }
            .into(),
        ];
        for row in rows {
            let values = values_of(&row);
            let spec = row.spec();
            assert_eq!(spec.table, ReferenceRow::spec_of(row.target()).table);
            assert_eq!(values.len(), spec.columns.len(), "{}", spec.table);
            let back = ReferenceRow::from_values(row.target(), &values).expect("reads back");
            assert_eq!(back, row);
        }
    }

    #[test]
    fn keys_and_audit_records_render_the_stored_text() {
        let entry = RateCardEntryRow {
            service_code: ServiceCode::parse("PC").unwrap(),
            band: Band::BankHoliday,
            ratio: 1,
            payer_id: OrEmpty(Some(PayerId::parse("LA1").unwrap())),
            effective_from: date("2026-04-01"),
            effective_to: None,
            unit: Unit::Night,
            rate_centipence: Rate::from_centipence(900_000),
        };
        assert_eq!(entry.key(), "PC|bank_holiday|1|LA1|2026-04-01");
        assert_eq!(
            entry.to_json(),
            r#"{"service_code":"PC","band":"bank_holiday","ratio":"1","payer_id":"LA1","effective_from":"2026-04-01","effective_to":null,"unit":"night","rate_centipence":"900000"}"#
        );
        let any_band = SleepInAllowanceRow {
            band: OrEmpty(None),
            effective_from: date("2026-04-01"),
            effective_to: None,
            amount_pence: Pence::new(9_000),
        };
        assert_eq!(any_band.key(), "|2026-04-01");
    }

    #[test]
    fn a_stored_value_of_the_wrong_kind_is_named() {
        let values = vec![
            Value::text("W1"),
            Value::text("Wayne"),
            Value::text("PR1"),
            Value::text("not a cost centre"),
            Value::int(1_000),
            Value::Date(None),
        ];
        let error = WorkerRow::from_values(&values).expect_err("a space is not in an id");
        assert!(
            error.to_string().contains("worker.cost_centre_id"),
            "{error}"
        );
        assert!(WorkerRow::from_values(&values[..3]).is_err());
    }
}
