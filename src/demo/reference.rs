//! Reference files of the synthetic provider, one per import kind, with the columns of
//! docs/formats.md: cost centres, services, payers, workers, people, arrangements, rate card,
//! pay rules, budgets and one-offs.

use std::path::{Path, PathBuf};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::DemoError;
use super::clock::date_string;
use super::menu::{self, COUNCIL_OVERRIDES, DEFAULT_CARD, PAY_RULES, RateEntry, Svc};
use super::provider::Provider;
use super::rows::write_table;
use crate::domain::Pence;
use crate::domain::money::MoneyError;

/// Each reference kind in a valid import order: its kind name, file name and columns.
pub(crate) const REFERENCE_FILES: [(&str, &str, &[&str]); 10] = [
    (
        "cost-centres",
        "cost-centres.csv",
        &["cost_centre", "name", "region", "manager_email"],
    ),
    (
        "services",
        "services.csv",
        &["service", "name", "pay_element"],
    ),
    (
        "payers",
        "payers.csv",
        &["payer_id", "name", "kind", "email", "address"],
    ),
    (
        "workers",
        "workers.csv",
        &[
            "worker_id",
            "name",
            "payroll_number",
            "cost_centre",
            "base_rate",
            "date_of_birth",
        ],
    ),
    (
        "people",
        "people.csv",
        &[
            "person_id",
            "name",
            "cost_centre",
            "document_format",
            "contact_name",
            "contact_email",
        ],
    ),
    (
        "arrangements",
        "arrangements.csv",
        &[
            "person_id",
            "payer_id",
            "arrangement",
            "share_percent",
            "weekly_amount",
        ],
    ),
    (
        "rate-card",
        "rate-card.csv",
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
    ),
    (
        "pay-rules",
        "pay-rules.csv",
        &["rule", "band", "amount", "effective_from", "effective_to"],
    ),
    (
        "budgets",
        "budgets.csv",
        &[
            "person_id",
            "period_start",
            "period_end",
            "amount",
            "management_costs",
            "contingency",
        ],
    ),
    (
        "one-offs",
        "one-offs.csv",
        &["person_id", "service", "date", "description"],
    ),
];

/// Share of a budget set aside as management costs and as contingency.
const MANAGEMENT_SHARE: f64 = 0.08;
const CONTINGENCY_SHARE: f64 = 0.03;

/// Pounds with two decimal places from whole pence.
pub(crate) fn pounds(pence: i64) -> String {
    let sign = if pence < 0 { "-" } else { "" };
    let p = pence.unsigned_abs();
    format!("{sign}{}.{:02}", p / 100, p % 100)
}

/// Financial years (1 April – 31 March) as day-number pairs, covering `first_day..=last_day`.
pub(crate) fn financial_years(first_day: i64, last_day: i64) -> Vec<(i64, i64)> {
    let start_year = |day: i64| {
        let (y, m, _) = super::clock::civil_from_days(day);
        if m >= 4 { y } else { y - 1 }
    };
    (start_year(first_day)..=start_year(last_day))
        .map(|y| {
            (
                super::clock::days_from_civil(y, 4, 1),
                super::clock::days_from_civil(y + 1, 4, 1) - 1,
            )
        })
        .collect()
}

/// Writes every reference file except budgets (which need the shifts' estimated spending);
/// returns `(kind, path)` in import order with the budgets path in its place.
pub(crate) fn write_reference(
    provider: &Provider,
    dir: &Path,
    effective_from: i64,
) -> Result<Vec<(&'static str, PathBuf)>, DemoError> {
    let from = date_string(effective_from);
    let path_of = |i: usize| dir.join(REFERENCE_FILES[i].1);
    write_table(&path_of(0), REFERENCE_FILES[0].2, |out| {
        for cc in &provider.cost_centres {
            let region = super::names::REGIONS[cc.region].name;
            out.write_record([cc.id.as_str(), &cc.name, region, &cc.manager_email])?;
        }
        Ok(())
    })?;
    write_table(&path_of(1), REFERENCE_FILES[1].2, |out| {
        for svc in Svc::ALL {
            out.write_record([svc.code(), svc.name(), svc.pay_element()])?;
        }
        Ok(())
    })?;
    write_table(&path_of(2), REFERENCE_FILES[2].2, |out| {
        for payer in &provider.payers {
            out.write_record([
                payer.id.as_str(),
                &payer.name,
                payer.kind,
                &payer.email,
                &payer.address,
            ])?;
        }
        Ok(())
    })?;
    write_table(&path_of(3), REFERENCE_FILES[3].2, |out| {
        for w in &provider.workers {
            let cc = &provider.cost_centres[w.cost_centre].id;
            let rate = pounds(w.base_rate_pence);
            out.write_record([
                w.id.as_str(),
                &w.name,
                &w.payroll_number,
                cc,
                &rate,
                &date_string(w.date_of_birth),
            ])?;
        }
        Ok(())
    })?;
    write_table(&path_of(4), REFERENCE_FILES[4].2, |out| {
        for p in &provider.people {
            let cc = &provider.cost_centres[p.cost_centre].id;
            out.write_record([
                p.id.as_str(),
                &p.name,
                cc,
                p.document_format,
                &p.contact_name,
                &p.contact_email,
            ])?;
        }
        Ok(())
    })?;
    write_table(&path_of(5), REFERENCE_FILES[5].2, |out| {
        for a in &provider.arrangements {
            let share = a
                .share_percent
                .map(|s| format!("{s}.00"))
                .unwrap_or_default();
            let weekly = a.weekly_pence.map(pounds).unwrap_or_default();
            let person = &provider.people[a.person as usize].id;
            out.write_record([
                person.as_str(),
                &provider.payers[a.payer].id,
                a.kind,
                &share,
                &weekly,
            ])?;
        }
        Ok(())
    })?;
    write_table(&path_of(6), REFERENCE_FILES[6].2, |out| {
        let mut entry = |e: &RateEntry, payer: &str| {
            out.write_record([
                e.svc.code(),
                e.unit,
                e.band.as_str(),
                &e.ratio.to_string(),
                &pounds(e.pence),
                &from,
                "",
                payer,
            ])
        };
        for e in &DEFAULT_CARD {
            entry(e, "")?;
        }
        let payer = provider
            .payers
            .get(provider.override_payer)
            .map_or("", |p| p.id.as_str());
        if !payer.is_empty() {
            for e in &COUNCIL_OVERRIDES {
                entry(e, payer)?;
            }
        }
        Ok(())
    })?;
    write_table(&path_of(7), REFERENCE_FILES[7].2, |out| {
        for (rule, band, pence) in PAY_RULES {
            out.write_record([rule, band, &pounds(pence), &from, ""])?;
        }
        Ok(())
    })?;
    write_table(&path_of(9), REFERENCE_FILES[9].2, |out| {
        for (&day, people) in &provider.one_offs {
            for &p in people {
                let person = &provider.people[p as usize].id;
                out.write_record([
                    person.as_str(),
                    Svc::PcpFacilitation.code(),
                    &date_string(day),
                    Svc::PcpFacilitation.name(),
                ])?;
            }
        }
        Ok(())
    })?;
    Ok(REFERENCE_FILES
        .iter()
        .map(|&(kind, file, _)| (kind, dir.join(file)))
        .collect())
}

/// Writes budgets for each financial year the months touch, sized from the estimated charges of
/// the generated days (scaled to a year), some a little over and some a little under.
pub(crate) fn write_budgets(
    provider: &Provider,
    dir: &Path,
    seed: u64,
    charges: &[f64],
    generated_days: i64,
    years: &[(i64, i64)],
) -> Result<(), DemoError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6275_6467_6574_7321);
    let path = dir.join(REFERENCE_FILES[8].1);
    let mut one_off_pence = vec![Pence::ZERO; provider.people.len()];
    for people in provider.one_offs.values() {
        for &p in people {
            let total = &mut one_off_pence[p as usize];
            *total = total
                .checked_add(Pence::new(menu::pcp_price()))
                .map_err(|_| {
                    let person = &provider.people[p as usize].id;
                    MoneyError::overflow(format!("the one-off charges of {person}"))
                })?;
        }
    }
    write_table(&path, REFERENCE_FILES[8].2, |out| {
        for (p, person) in provider.people.iter().enumerate() {
            let factor: f64 = rng.random_range(0.88..1.15);
            for &(start, end) in years {
                let year_days = (end - start + 1) as f64;
                let support = charges.get(p).copied().unwrap_or(0.0) * year_days
                    / generated_days.max(1) as f64;
                let gross = (support * factor + one_off_pence[p].get() as f64)
                    / (1.0 - MANAGEMENT_SHARE - CONTINGENCY_SHARE);
                // Whole tens of pounds, and never less than a thousand.
                let amount = ((gross / 1_000.0).round() as i64 * 1_000).max(100_000);
                let management = (amount as f64 * MANAGEMENT_SHARE).round() as i64;
                let contingency = (amount as f64 * CONTINGENCY_SHARE).round() as i64;
                out.write_record([
                    person.id.as_str(),
                    &date_string(start),
                    &date_string(end),
                    &pounds(amount),
                    &pounds(management),
                    &pounds(contingency),
                ])?;
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pounds_and_financial_years() {
        assert_eq!(pounds(2_400), "24.00");
        assert_eq!(pounds(5), "0.05");
        let aug = super::super::clock::days_from_civil(2026, 8, 1);
        let oct = super::super::clock::days_from_civil(2026, 10, 31);
        let years = financial_years(aug, oct);
        assert_eq!(years.len(), 1);
        assert_eq!(
            (date_string(years[0].0), date_string(years[0].1)),
            ("2026-04-01".into(), "2027-03-31".into())
        );
        let may27 = super::super::clock::days_from_civil(2027, 5, 1);
        assert_eq!(financial_years(aug, may27).len(), 2);
    }
}
