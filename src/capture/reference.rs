//! Reference-data rows: parsing and checking each kind of file into table rows.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use super::csv_input::{Columns, CsvRow};
use super::shifts::RowProblem;
use chrono::NaiveDate;

use crate::domain::money::{ALLOWANCE_MAX, BUDGET_MAX, RATE_MAX};
use crate::domain::reference::{
    ArrangementKind, DocumentFormat, PayElement, PayerKind, Unit, WordError,
};
use crate::domain::time::parse_date;
use crate::domain::{Band, CostCentreId, PayerId, Pence, PersonId, Rate, ServiceCode, WorkerId};
use crate::store::rows::{
    ArrangementRow, BankHolidayRow, BaseRateRow, BudgetRow, CostCentreRow, OneOffRow, OrEmpty,
    PayEnhancementRow, PayerRow, PersonRow, RateCardEntryRow, ReferenceRow, ServiceRow,
    SleepInAllowanceRow, WorkerRow,
};

pub use crate::domain::reference::{KnownKeys, Target};

/// The kinds of reference file `tms import` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReferenceKind {
    CostCentres,
    Services,
    Workers,
    BaseRates,
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
    pub const ALL: [ReferenceKind; 12] = [
        ReferenceKind::CostCentres,
        ReferenceKind::Services,
        ReferenceKind::Workers,
        ReferenceKind::BaseRates,
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
            ReferenceKind::BaseRates => "base-rates",
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
            ReferenceKind::BaseRates => cols(
                &["worker_id", "base_rate", "effective_from"],
                &["effective_to"],
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
                | ReferenceKind::BaseRates
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

fn text(row: &CsvRow<'_>, column: &'static str) -> Result<String, RowProblem> {
    let value = row.get(column);
    if value.is_empty() {
        return Err(bad(column, format!("{column} is empty")));
    }
    Ok(value.to_owned())
}

fn optional_text(row: &CsvRow<'_>, column: &'static str) -> String {
    row.get(column).to_owned()
}

fn id<T>(
    row: &CsvRow<'_>,
    column: &'static str,
    parse: fn(&str) -> Result<T, crate::domain::ids::IdError>,
) -> Result<T, RowProblem> {
    let raw = row.get(column);
    parse(raw).map_err(|e| bad(column, format!("{column} '{raw}' {e}")))
}

fn word<T: FromStr<Err = WordError>>(
    row: &CsvRow<'_>,
    column: &'static str,
) -> Result<T, RowProblem> {
    row.get(column)
        .parse::<T>()
        .map_err(|e| bad(column, format!("{column} {e}")))
}

fn date(row: &CsvRow<'_>, column: &'static str) -> Result<NaiveDate, RowProblem> {
    parse_date(row.get(column)).map_err(|e| bad(column, format!("{column}: {e}")))
}

fn optional_date(row: &CsvRow<'_>, column: &'static str) -> Result<Option<NaiveDate>, RowProblem> {
    if row.get(column).is_empty() {
        return Ok(None);
    }
    date(row, column).map(Some)
}

/// An amount in pounds from zero to `max` (per `per`: "a night", "a period"); an empty optional
/// column is zero.
fn pounds(
    row: &CsvRow<'_>,
    column: &'static str,
    default_zero: bool,
    max: Pence,
    per: &str,
) -> Result<Pence, RowProblem> {
    let raw = row.get(column);
    if raw.is_empty() && default_zero {
        return Ok(Pence::ZERO);
    }
    let pence = Pence::parse_pounds(raw).map_err(|e| bad(column, format!("{column}: {e}")))?;
    within(column, raw, pence, max, per)?;
    Ok(pence)
}

/// A rate in pounds from zero to [`RATE_MAX`] per `per` ("an hour", "a night", "an item").
fn rate(row: &CsvRow<'_>, column: &'static str, per: &str) -> Result<Rate, RowProblem> {
    let raw = row.get(column);
    let rate = Rate::parse_pounds(raw).map_err(|e| bad(column, format!("{column}: {e}")))?;
    if rate > RATE_MAX {
        return Err(bad(
            column,
            format!("{column} {raw} is above the limit of £{RATE_MAX} {per}"),
        ));
    }
    Ok(rate)
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
    key: &str,
    column: &'static str,
    what: &str,
) -> Result<(), RowProblem> {
    if set.contains(key) {
        Ok(())
    } else {
        Err(bad(column, format!("unknown {what} '{key}'")))
    }
}

fn ordered_dates(
    from: NaiveDate,
    to: Option<NaiveDate>,
    column: &'static str,
) -> Result<(), RowProblem> {
    if let Some(to) = to
        && to < from
    {
        return Err(bad(
            column,
            format!("{column} {to} is before the start {from}"),
        ));
    }
    Ok(())
}

/// Parses one row of `kind` into the table row it becomes. A problem names the row's line in
/// the file where its row number does not say it.
pub fn parse_reference_row(
    kind: ReferenceKind,
    row: &CsvRow<'_>,
    known: &KnownKeys,
) -> Result<ReferenceRow, RowProblem> {
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
) -> Result<ReferenceRow, RowProblem> {
    Ok(match kind {
        ReferenceKind::CostCentres => CostCentreRow {
            cost_centre_id: id(row, "cost_centre", CostCentreId::parse)?,
            name: text(row, "name")?,
            region: optional_text(row, "region"),
            manager_email: optional_text(row, "manager_email"),
        }
        .into(),
        ReferenceKind::Services => {
            let pay_element = word::<PayElement>(row, "pay_element")?;
            ServiceRow {
                service_code: id(row, "service", ServiceCode::parse)?,
                name: text(row, "name")?,
                pay_element,
            }
            .into()
        }
        ReferenceKind::Workers => {
            let cost_centre_id = id(row, "cost_centre", CostCentreId::parse)?;
            must_know(
                &known.cost_centres,
                cost_centre_id.as_str(),
                "cost_centre",
                "cost centre",
            )?;
            WorkerRow {
                worker_id: id(row, "worker_id", WorkerId::parse)?,
                name: text(row, "name")?,
                payroll_number: text(row, "payroll_number")?,
                cost_centre_id,
                base_rate_centipence: rate(row, "base_rate", "an hour")?,
                date_of_birth: optional_date(row, "date_of_birth")?,
            }
            .into()
        }
        ReferenceKind::BaseRates => {
            let worker_id = id(row, "worker_id", WorkerId::parse)?;
            must_know(&known.workers, worker_id.as_str(), "worker_id", "worker")?;
            let (effective_from, effective_to) = (
                date(row, "effective_from")?,
                optional_date(row, "effective_to")?,
            );
            ordered_dates(effective_from, effective_to, "effective_to")?;
            BaseRateRow {
                worker_id,
                effective_from,
                effective_to,
                base_rate_centipence: rate(row, "base_rate", "an hour")?,
            }
            .into()
        }
        ReferenceKind::People => {
            let cost_centre_id = id(row, "cost_centre", CostCentreId::parse)?;
            must_know(
                &known.cost_centres,
                cost_centre_id.as_str(),
                "cost_centre",
                "cost centre",
            )?;
            let document_format = word::<DocumentFormat>(row, "document_format")?;
            PersonRow {
                person_id: id(row, "person_id", PersonId::parse)?,
                name: text(row, "name")?,
                cost_centre_id,
                document_format,
                contact_name: optional_text(row, "contact_name"),
                contact_email: optional_text(row, "contact_email"),
            }
            .into()
        }
        ReferenceKind::Payers => {
            let kind = word::<PayerKind>(row, "kind")?;
            PayerRow {
                payer_id: id(row, "payer_id", PayerId::parse)?,
                name: text(row, "name")?,
                kind,
                email: optional_text(row, "email"),
                address: optional_text(row, "address"),
            }
            .into()
        }
        ReferenceKind::Arrangements => parse_arrangement(row, known)?.into(),
        ReferenceKind::RateCard => parse_rate_card(row, known)?.into(),
        ReferenceKind::PayRules => parse_pay_rule(row)?,
        ReferenceKind::Budgets => {
            let person_id = id(row, "person_id", PersonId::parse)?;
            must_know(&known.people, person_id.as_str(), "person_id", "person")?;
            let (period_start, period_end) = (date(row, "period_start")?, date(row, "period_end")?);
            ordered_dates(period_start, Some(period_end), "period_end")?;
            BudgetRow {
                person_id,
                period_start,
                period_end,
                amount_pence: pounds(row, "amount", false, BUDGET_MAX, "a period")?,
                management_costs_pence: pounds(
                    row,
                    "management_costs",
                    true,
                    BUDGET_MAX,
                    "a period",
                )?,
                contingency_pence: pounds(row, "contingency", true, BUDGET_MAX, "a period")?,
            }
            .into()
        }
        ReferenceKind::BankHolidays => BankHolidayRow {
            calendar: text(row, "calendar")?,
            holiday_date: date(row, "date")?,
            name: text(row, "name")?,
        }
        .into(),
        ReferenceKind::OneOffs => {
            let person_id = id(row, "person_id", PersonId::parse)?;
            must_know(&known.people, person_id.as_str(), "person_id", "person")?;
            let service_code = id(row, "service", ServiceCode::parse)?;
            must_know(&known.services, service_code.as_str(), "service", "service")?;
            OneOffRow {
                person_id,
                service_code,
                charge_date: date(row, "date")?,
                description: optional_text(row, "description"),
            }
            .into()
        }
    })
}

fn parse_arrangement(row: &CsvRow<'_>, known: &KnownKeys) -> Result<ArrangementRow, RowProblem> {
    let person_id = id(row, "person_id", PersonId::parse)?;
    must_know(&known.people, person_id.as_str(), "person_id", "person")?;
    let payer_id = id(row, "payer_id", PayerId::parse)?;
    must_know(&known.payers, payer_id.as_str(), "payer_id", "payer")?;
    let kind = word::<ArrangementKind>(row, "arrangement")?;
    let (share, weekly) = (row.get("share_percent"), row.get("weekly_amount"));
    let mut share_basis_points = None;
    let mut weekly_amount_pence = None;
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
            share_basis_points = Some(basis_points);
        }
        ArrangementKind::Contribution => {
            let amount = Pence::parse_pounds(weekly)
                .map_err(|e| bad("weekly_amount", format!("weekly_amount: {e}")))?;
            if amount.get() <= 0 {
                return Err(bad("weekly_amount", "weekly_amount must be more than 0"));
            }
            within("weekly_amount", weekly, amount, ALLOWANCE_MAX, "a week")?;
            weekly_amount_pence = Some(amount);
        }
    }
    Ok(ArrangementRow {
        person_id,
        payer_id,
        kind,
        share_basis_points,
        weekly_amount_pence,
    })
}

fn parse_rate_card(row: &CsvRow<'_>, known: &KnownKeys) -> Result<RateCardEntryRow, RowProblem> {
    let service_code = id(row, "service", ServiceCode::parse)?;
    let unit = word::<Unit>(row, "unit")?;
    let band = row
        .get("band")
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
    let ratio = u32::try_from(ratio).expect("a ratio within the limit fits");
    let payer = row.get("payer");
    let payer_id = if payer.is_empty() {
        OrEmpty(None)
    } else {
        let id = PayerId::parse(payer).map_err(|e| bad("payer", format!("payer '{payer}' {e}")))?;
        must_know(&known.payers, payer, "payer", "payer")?;
        OrEmpty(Some(id))
    };
    let (effective_from, effective_to) = (
        date(row, "effective_from")?,
        optional_date(row, "effective_to")?,
    );
    ordered_dates(effective_from, effective_to, "effective_to")?;
    Ok(RateCardEntryRow {
        service_code,
        band,
        ratio,
        payer_id,
        effective_from,
        effective_to,
        unit,
        rate_centipence: rate(row, "rate", per_unit(unit))?,
    })
}

/// What a rate-card rate is charged per.
fn per_unit(unit: Unit) -> &'static str {
    match unit {
        Unit::Hour => "an hour",
        Unit::Night => "a night",
        Unit::Fixed => "an item",
    }
}

fn parse_pay_rule(row: &CsvRow<'_>) -> Result<ReferenceRow, RowProblem> {
    let band_raw = row.get("band");
    let band = if band_raw.is_empty() {
        None
    } else {
        Some(
            band_raw
                .parse::<Band>()
                .map_err(|e| bad("band", e.to_string()))?,
        )
    };
    let (effective_from, effective_to) = (
        date(row, "effective_from")?,
        optional_date(row, "effective_to")?,
    );
    ordered_dates(effective_from, effective_to, "effective_to")?;
    match row.get("rule") {
        "enhancement" => {
            let Some(band) = band else {
                return Err(bad("band", "an enhancement needs a band"));
            };
            Ok(PayEnhancementRow {
                band,
                effective_from,
                effective_to,
                rate_centipence: rate(row, "amount", "an hour")?,
            }
            .into())
        }
        "sleep_in_allowance" => Ok(SleepInAllowanceRow {
            band: OrEmpty(band),
            effective_from,
            effective_to,
            amount_pence: pounds(row, "amount", false, ALLOWANCE_MAX, "a night")?,
        }
        .into()),
        other => Err(bad(
            "rule",
            format!("rule '{other}' is not one of: enhancement sleep_in_allowance"),
        )),
    }
}
