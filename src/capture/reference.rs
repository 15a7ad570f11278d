//! Reference-data rows: parsing and checking each kind of file into table rows.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use super::csv_input::{Columns, CsvRow};
use super::shifts::RowProblem;
use crate::domain::money::{ALLOWANCE_MAX, BUDGET_MAX, RATE_MAX};
use crate::domain::reference::{ArrangementKind, DocumentFormat, PayElement, Unit, WordError};
use crate::domain::time::parse_date;
use crate::domain::{Band, CostCentreId, PayerId, Pence, PersonId, Rate, ServiceCode, WorkerId};
use crate::store::Value;

pub use crate::domain::reference::{KnownKeys, Target};

/// The kinds of reference file `tms import` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReferenceKind {
    CostCentres,
    Services,
    Workers,
    People,
    Payers,
    Arrangements,
    RateCard,
    PayRules,
    Budgets,
    BankHolidays,
    OneOffs,
}

impl ReferenceKind {
    pub const ALL: [ReferenceKind; 11] = [
        ReferenceKind::CostCentres,
        ReferenceKind::Services,
        ReferenceKind::Workers,
        ReferenceKind::People,
        ReferenceKind::Payers,
        ReferenceKind::Arrangements,
        ReferenceKind::RateCard,
        ReferenceKind::PayRules,
        ReferenceKind::Budgets,
        ReferenceKind::BankHolidays,
        ReferenceKind::OneOffs,
    ];

    /// The name on the command line and in reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            ReferenceKind::CostCentres => "cost-centres",
            ReferenceKind::Services => "services",
            ReferenceKind::Workers => "workers",
            ReferenceKind::People => "people",
            ReferenceKind::Payers => "payers",
            ReferenceKind::Arrangements => "arrangements",
            ReferenceKind::RateCard => "rate-card",
            ReferenceKind::PayRules => "pay-rules",
            ReferenceKind::Budgets => "budgets",
            ReferenceKind::BankHolidays => "bank-holidays",
            ReferenceKind::OneOffs => "one-offs",
        }
    }

    /// The columns of the kind's CSV file (docs/formats.md).
    pub const fn columns(self) -> Columns {
        const fn cols(
            required: &'static [&'static str],
            optional: &'static [&'static str],
        ) -> Columns {
            Columns {
                required,
                optional,
                ignored: &[],
                // Names and addresses may run over lines when quoted.
                line_breaks: true,
            }
        }
        match self {
            ReferenceKind::CostCentres => {
                cols(&["cost_centre", "name"], &["region", "manager_email"])
            }
            ReferenceKind::Services => cols(&["service", "name", "pay_element"], &[]),
            ReferenceKind::Workers => cols(
                &[
                    "worker_id",
                    "name",
                    "payroll_number",
                    "cost_centre",
                    "base_rate",
                ],
                &["date_of_birth"],
            ),
            ReferenceKind::People => cols(
                &[
                    "person_id",
                    "name",
                    "cost_centre",
                    "document_format",
                    "contact_name",
                    "contact_email",
                ],
                &[],
            ),
            ReferenceKind::Payers => cols(&["payer_id", "name", "kind"], &["email", "address"]),
            ReferenceKind::Arrangements => cols(
                &["person_id", "payer_id", "arrangement"],
                &["share_percent", "weekly_amount"],
            ),
            ReferenceKind::RateCard => cols(
                &[
                    "service",
                    "unit",
                    "band",
                    "ratio",
                    "rate",
                    "effective_from",
                    "effective_to",
                    "payer",
                ],
                &[],
            ),
            ReferenceKind::PayRules => cols(
                &["rule", "band", "amount", "effective_from"],
                &["effective_to"],
            ),
            ReferenceKind::Budgets => cols(
                &["person_id", "period_start", "period_end", "amount"],
                &["management_costs", "contingency"],
            ),
            ReferenceKind::BankHolidays => cols(&["calendar", "date", "name"], &[]),
            ReferenceKind::OneOffs => cols(&["person_id", "service", "date"], &["description"]),
        }
    }

    /// True when a change to this kind can change the cost of stored shifts.
    pub const fn affects_costing(self) -> bool {
        matches!(
            self,
            ReferenceKind::Services
                | ReferenceKind::Workers
                | ReferenceKind::Arrangements
                | ReferenceKind::RateCard
                | ReferenceKind::PayRules
                | ReferenceKind::BankHolidays
        )
    }
}

impl FromStr for ReferenceKind {
    type Err = String;
    fn from_str(raw: &str) -> Result<Self, String> {
        ReferenceKind::ALL
            .into_iter()
            .find(|k| k.as_str() == raw)
            .ok_or_else(|| {
                let names: Vec<&str> = ReferenceKind::ALL.iter().map(|k| k.as_str()).collect();
                format!("unknown kind '{raw}'; one of: shifts, {}", names.join(", "))
            })
    }
}

impl fmt::Display for ReferenceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn bad(field: &'static str, reason: impl Into<String>) -> RowProblem {
    RowProblem {
        field,
        reason: reason.into(),
    }
}

fn text(row: &CsvRow<'_>, column: &'static str) -> Result<Value, RowProblem> {
    let value = row.get(column);
    if value.is_empty() {
        return Err(bad(column, format!("{column} is empty")));
    }
    Ok(Value::text(value))
}

fn optional_text(row: &CsvRow<'_>, column: &'static str) -> Value {
    Value::text(row.get(column))
}

fn id<T>(
    row: &CsvRow<'_>,
    column: &'static str,
    parse: fn(&str) -> Result<T, crate::domain::ids::IdError>,
) -> Result<Value, RowProblem> {
    let raw = row.get(column);
    parse(raw).map_err(|e| bad(column, format!("{column} '{raw}' {e}")))?;
    Ok(Value::text(raw))
}

fn word<T: FromStr<Err = WordError>>(
    row: &CsvRow<'_>,
    column: &'static str,
) -> Result<(T, Value), RowProblem> {
    let raw = row.get(column);
    let parsed = raw
        .parse::<T>()
        .map_err(|e| bad(column, format!("{column} {e}")))?;
    Ok((parsed, Value::text(raw)))
}

fn date(row: &CsvRow<'_>, column: &'static str, required: bool) -> Result<Value, RowProblem> {
    let raw = row.get(column);
    if raw.is_empty() && !required {
        return Ok(Value::Date(None));
    }
    let parsed = parse_date(raw).map_err(|e| bad(column, format!("{column}: {e}")))?;
    Ok(Value::Date(Some(parsed)))
}

/// An amount in pounds from zero to `max` (per `per`: "a night", "a period"); an empty optional
/// column is zero.
fn pounds(
    row: &CsvRow<'_>,
    column: &'static str,
    default_zero: bool,
    max: Pence,
    per: &str,
) -> Result<Value, RowProblem> {
    let raw = row.get(column);
    if raw.is_empty() && default_zero {
        return Ok(Value::int(0));
    }
    let pence = Pence::parse_pounds(raw).map_err(|e| bad(column, format!("{column}: {e}")))?;
    within(column, raw, pence, max, per)?;
    Ok(Value::int(pence.get()))
}

/// A rate in pounds from zero to [`RATE_MAX`] per `per` ("an hour", "a night", "an item").
fn rate(row: &CsvRow<'_>, column: &'static str, per: &str) -> Result<Value, RowProblem> {
    let raw = row.get(column);
    let rate = Rate::parse_pounds(raw).map_err(|e| bad(column, format!("{column}: {e}")))?;
    if rate > RATE_MAX {
        return Err(bad(
            column,
            format!("{column} {raw} is above the limit of £{RATE_MAX} {per}"),
        ));
    }
    Ok(Value::int(rate.centipence()))
}

/// Refuses a negative amount or one above `max`, naming the column and the limit.
fn within(
    column: &'static str,
    raw: &str,
    amount: Pence,
    max: Pence,
    per: &str,
) -> Result<(), RowProblem> {
    if amount < Pence::ZERO {
        return Err(bad(column, format!("{column} {raw} is negative")));
    }
    if amount > max {
        return Err(bad(
            column,
            format!("{column} {raw} is above the limit of £{max} {per}"),
        ));
    }
    Ok(())
}

fn must_know(
    set: &HashSet<String>,
    value: &Value,
    column: &'static str,
    what: &str,
) -> Result<(), RowProblem> {
    let key = value.render().unwrap_or_default();
    if set.contains(&key) {
        Ok(())
    } else {
        Err(bad(column, format!("unknown {what} '{key}'")))
    }
}

fn ordered_dates(from: &Value, to: &Value, column: &'static str) -> Result<(), RowProblem> {
    if let (Value::Date(Some(f)), Value::Date(Some(t))) = (from, to)
        && t < f
    {
        return Err(bad(column, format!("{column} {t} is before the start {f}")));
    }
    Ok(())
}

/// Parses one row of `kind` into the table row it becomes. A problem names the row's line in
/// the file where its row number does not say it.
pub fn parse_reference_row(
    kind: ReferenceKind,
    row: &CsvRow<'_>,
    known: &KnownKeys,
) -> Result<(Target, Vec<Value>), RowProblem> {
    if let Some(p) = &row.problem {
        return Err(bad("row", format!("the row {p}")));
    }
    reference_row(kind, row, known).map_err(|mut problem| {
        problem
            .reason
            .push_str(&super::csv_input::lines_note(row.row_no, row.lines));
        problem
    })
}

fn reference_row(
    kind: ReferenceKind,
    row: &CsvRow<'_>,
    known: &KnownKeys,
) -> Result<(Target, Vec<Value>), RowProblem> {
    Ok(match kind {
        ReferenceKind::CostCentres => (
            Target::CostCentre,
            vec![
                id(row, "cost_centre", CostCentreId::parse)?,
                text(row, "name")?,
                optional_text(row, "region"),
                optional_text(row, "manager_email"),
            ],
        ),
        ReferenceKind::Services => {
            let (_, element) = word::<PayElement>(row, "pay_element")?;
            (
                Target::Service,
                vec![
                    id(row, "service", ServiceCode::parse)?,
                    text(row, "name")?,
                    element,
                ],
            )
        }
        ReferenceKind::Workers => {
            let cost_centre = id(row, "cost_centre", CostCentreId::parse)?;
            must_know(
                &known.cost_centres,
                &cost_centre,
                "cost_centre",
                "cost centre",
            )?;
            let worker = vec![
                id(row, "worker_id", WorkerId::parse)?,
                text(row, "name")?,
                text(row, "payroll_number")?,
                cost_centre,
                rate(row, "base_rate", "an hour")?,
                date(row, "date_of_birth", false)?,
            ];
            (Target::Worker, worker)
        }
        ReferenceKind::People => {
            let cost_centre = id(row, "cost_centre", CostCentreId::parse)?;
            must_know(
                &known.cost_centres,
                &cost_centre,
                "cost_centre",
                "cost centre",
            )?;
            let (_, format) = word::<DocumentFormat>(row, "document_format")?;
            let person = vec![
                id(row, "person_id", PersonId::parse)?,
                text(row, "name")?,
                cost_centre,
                format,
                optional_text(row, "contact_name"),
                optional_text(row, "contact_email"),
            ];
            (Target::Person, person)
        }
        ReferenceKind::Payers => {
            let kind = row.get("kind");
            if ![
                "local_authority",
                "person",
                "representative",
                "nhs",
                "other",
            ]
            .contains(&kind)
            {
                return Err(bad(
                    "kind",
                    format!(
                        "kind '{kind}' is not one of: local_authority person representative nhs other"
                    ),
                ));
            }
            let payer = vec![
                id(row, "payer_id", PayerId::parse)?,
                text(row, "name")?,
                Value::text(kind),
                optional_text(row, "email"),
                optional_text(row, "address"),
            ];
            (Target::Payer, payer)
        }
        ReferenceKind::Arrangements => parse_arrangement(row, known)?,
        ReferenceKind::RateCard => parse_rate_card(row, known)?,
        ReferenceKind::PayRules => parse_pay_rule(row)?,
        ReferenceKind::Budgets => {
            let person = id(row, "person_id", PersonId::parse)?;
            must_know(&known.people, &person, "person_id", "person")?;
            let (start, end) = (
                date(row, "period_start", true)?,
                date(row, "period_end", true)?,
            );
            ordered_dates(&start, &end, "period_end")?;
            let budget = vec![
                person,
                start,
                end,
                pounds(row, "amount", false, BUDGET_MAX, "a period")?,
                pounds(row, "management_costs", true, BUDGET_MAX, "a period")?,
                pounds(row, "contingency", true, BUDGET_MAX, "a period")?,
            ];
            (Target::Budget, budget)
        }
        ReferenceKind::BankHolidays => (
            Target::BankHoliday,
            vec![
                text(row, "calendar")?,
                date(row, "date", true)?,
                text(row, "name")?,
            ],
        ),
        ReferenceKind::OneOffs => {
            let person = id(row, "person_id", PersonId::parse)?;
            must_know(&known.people, &person, "person_id", "person")?;
            let service = id(row, "service", ServiceCode::parse)?;
            must_know(&known.services, &service, "service", "service")?;
            (
                Target::OneOff,
                vec![
                    person,
                    service,
                    date(row, "date", true)?,
                    optional_text(row, "description"),
                ],
            )
        }
    })
}

fn parse_arrangement(
    row: &CsvRow<'_>,
    known: &KnownKeys,
) -> Result<(Target, Vec<Value>), RowProblem> {
    let person = id(row, "person_id", PersonId::parse)?;
    must_know(&known.people, &person, "person_id", "person")?;
    let payer = id(row, "payer_id", PayerId::parse)?;
    must_know(&known.payers, &payer, "payer_id", "payer")?;
    let (kind, kind_value) = word::<ArrangementKind>(row, "arrangement")?;
    let (share, weekly) = (row.get("share_percent"), row.get("weekly_amount"));
    let mut share_value = Value::Int(None);
    let mut weekly_value = Value::Int(None);
    match kind {
        ArrangementKind::Full => {
            if !share.is_empty() || !weekly.is_empty() {
                return Err(bad(
                    "arrangement",
                    "a full arrangement has no share_percent or weekly_amount",
                ));
            }
        }
        ArrangementKind::Percentage => {
            let basis_points = Pence::parse_pounds(share)
                .map_err(|e| bad("share_percent", format!("share_percent: {e}")))?
                .get();
            if !(1..=10_000).contains(&basis_points) {
                return Err(bad(
                    "share_percent",
                    format!("share_percent {share} must be more than 0 and at most 100"),
                ));
            }
            share_value = Value::int(basis_points);
        }
        ArrangementKind::Contribution => {
            let amount = Pence::parse_pounds(weekly)
                .map_err(|e| bad("weekly_amount", format!("weekly_amount: {e}")))?;
            if amount.get() <= 0 {
                return Err(bad("weekly_amount", "weekly_amount must be more than 0"));
            }
            within("weekly_amount", weekly, amount, ALLOWANCE_MAX, "a week")?;
            weekly_value = Value::int(amount.get());
        }
    }
    Ok((
        Target::Arrangement,
        vec![person, payer, kind_value, share_value, weekly_value],
    ))
}

fn parse_rate_card(
    row: &CsvRow<'_>,
    known: &KnownKeys,
) -> Result<(Target, Vec<Value>), RowProblem> {
    let service = id(row, "service", ServiceCode::parse)?;
    let (unit_kind, unit) = word::<Unit>(row, "unit")?;
    let band_raw = row.get("band");
    band_raw
        .parse::<Band>()
        .map_err(|e| bad("band", e.to_string()))?;
    let ratio_raw = row.get("ratio");
    let ratio: i64 = ratio_raw.parse().map_err(|_| {
        bad(
            "ratio",
            format!("ratio '{ratio_raw}' is not a whole number"),
        )
    })?;
    if !(1..=crate::allocate::PEOPLE_PER_SEGMENT_MAX as i64).contains(&ratio) {
        return Err(bad(
            "ratio",
            format!(
                "ratio {ratio} must be from 1 to {}",
                crate::allocate::PEOPLE_PER_SEGMENT_MAX
            ),
        ));
    }
    let payer = row.get("payer");
    if !payer.is_empty() {
        PayerId::parse(payer).map_err(|e| bad("payer", format!("payer '{payer}' {e}")))?;
        must_know(&known.payers, &Value::text(payer), "payer", "payer")?;
    }
    let (from, to) = (
        date(row, "effective_from", true)?,
        date(row, "effective_to", false)?,
    );
    ordered_dates(&from, &to, "effective_to")?;
    let entry = vec![
        service,
        Value::text(band_raw),
        Value::int(ratio),
        Value::text(payer),
        from,
        to,
        unit,
        rate(row, "rate", per_unit(unit_kind))?,
    ];
    Ok((Target::RateCardEntry, entry))
}

/// What a rate-card rate is charged per.
fn per_unit(unit: Unit) -> &'static str {
    match unit {
        Unit::Hour => "an hour",
        Unit::Night => "a night",
        Unit::Fixed => "an item",
    }
}

fn parse_pay_rule(row: &CsvRow<'_>) -> Result<(Target, Vec<Value>), RowProblem> {
    let band_raw = row.get("band");
    if !band_raw.is_empty() {
        band_raw
            .parse::<Band>()
            .map_err(|e| bad("band", e.to_string()))?;
    }
    let (from, to) = (
        date(row, "effective_from", true)?,
        date(row, "effective_to", false)?,
    );
    ordered_dates(&from, &to, "effective_to")?;
    match row.get("rule") {
        "enhancement" => {
            if band_raw.is_empty() {
                return Err(bad("band", "an enhancement needs a band"));
            }
            Ok((
                Target::PayEnhancement,
                vec![
                    Value::text(band_raw),
                    from,
                    to,
                    rate(row, "amount", "an hour")?,
                ],
            ))
        }
        "sleep_in_allowance" => Ok((
            Target::SleepInAllowance,
            vec![
                Value::text(band_raw),
                from,
                to,
                pounds(row, "amount", false, ALLOWANCE_MAX, "a night")?,
            ],
        )),
        other => Err(bad(
            "rule",
            format!("rule '{other}' is not one of: enhancement sleep_in_allowance"),
        )),
    }
}
