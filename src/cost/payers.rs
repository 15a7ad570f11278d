//! Dividing a person's charges for a period between their payers (docs/rules.md P2): a `full`
//! payer pays everything, or the rest beside contributions; `percentage` payers share by largest
//! remainder, odd pence to the lowest payer id; a `contribution` is `weekly × days ÷ 7`, rounded
//! once, capped at what is left of the charges.

use crate::allocate::largest_remainder;
use crate::domain::money::{MoneyError, div_round_half_away};
use crate::domain::{Arrangement, ArrangementKind, PayerId, Pence};

/// One payer's share of a person's charges. `payer` is `None` for charges no arrangement covers:
/// a person with no payer, or the rest beside contributions when there is no `full` payer.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PayerShare {
    pub payer: Option<PayerId>,
    pub amount: Pence,
}

/// A contribution for a period of `days` days: `weekly × days ÷ 7`, half away from zero.
pub fn contribution_for(weekly: Pence, days: i64) -> Result<Pence, MoneyError> {
    let exact = div_round_half_away(i128::from(weekly.get()) * i128::from(days), 7);
    Pence::from_wide(exact, "a contribution for the period")
}

/// Divides `total` (a person's charges for a period of `days` days) between the person's
/// `arrangements`. Shares come in byte order of payer id (the uncovered share, if any, first);
/// shares of zero are left out, and the shares add up to `total` exactly.
pub fn divide(
    total: Pence,
    arrangements: &[Arrangement],
    days: i64,
) -> Result<Vec<PayerShare>, MoneyError> {
    let mut sorted: Vec<&Arrangement> = arrangements.iter().collect();
    sorted.sort_by(|a, b| a.payer_id.as_str().cmp(b.payer_id.as_str()));
    let mut shares: Vec<PayerShare> = Vec::new();
    let mut left = total;
    for contribution in sorted
        .iter()
        .filter(|a| a.kind == ArrangementKind::Contribution)
    {
        let weekly = contribution.weekly_amount.unwrap_or(Pence::ZERO);
        let due = contribution_for(weekly, days)?;
        let paid = due.min(left.max(Pence::ZERO)).max(Pence::ZERO);
        left = Pence::new(left.get() - paid.get());
        shares.push(PayerShare {
            payer: Some(contribution.payer_id.clone()),
            amount: paid,
        });
    }
    let percentage: Vec<&&Arrangement> = sorted
        .iter()
        .filter(|a| a.kind == ArrangementKind::Percentage)
        .collect();
    let full: Vec<&&Arrangement> = sorted
        .iter()
        .filter(|a| a.kind == ArrangementKind::Full)
        .collect();
    let weights: Vec<i64> = percentage
        .iter()
        .map(|a| a.share_basis_points.unwrap_or(0).max(0))
        .collect();
    if !percentage.is_empty() && weights.iter().any(|&w| w > 0) {
        for (payer, amount) in percentage
            .iter()
            .zip(largest_remainder(left.get(), &weights))
        {
            shares.push(PayerShare {
                payer: Some(payer.payer_id.clone()),
                amount: Pence::new(amount),
            });
        }
    } else if !full.is_empty() {
        // One full payer; were there several, they would share equally.
        let equal = vec![1; full.len()];
        for (payer, amount) in full.iter().zip(largest_remainder(left.get(), &equal)) {
            shares.push(PayerShare {
                payer: Some(payer.payer_id.clone()),
                amount: Pence::new(amount),
            });
        }
    } else {
        shares.push(PayerShare {
            payer: None,
            amount: left,
        });
    }
    shares.retain(|s| s.amount != Pence::ZERO);
    shares.sort();
    Ok(shares)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PersonId;

    fn arrangement(
        payer: &str,
        kind: ArrangementKind,
        bp: Option<i64>,
        weekly: Option<i64>,
    ) -> Arrangement {
        Arrangement {
            person_id: PersonId::parse("P1").unwrap(),
            payer_id: PayerId::parse(payer).unwrap(),
            kind,
            share_basis_points: bp,
            weekly_amount: weekly.map(Pence::new),
        }
    }

    fn shares(list: &[PayerShare]) -> Vec<(String, i64)> {
        list.iter()
            .map(|s| {
                (
                    s.payer.as_ref().map_or("", PayerId::as_str).to_owned(),
                    s.amount.get(),
                )
            })
            .collect()
    }

    #[test]
    fn a_full_payer_pays_everything_and_no_payer_leaves_it_uncovered() {
        let full = [arrangement("LA1", ArrangementKind::Full, None, None)];
        assert_eq!(
            shares(&divide(Pence::new(12_345), &full, 31).unwrap()),
            [("LA1".into(), 12_345)]
        );
        assert_eq!(
            shares(&divide(Pence::new(12_345), &[], 31).unwrap()),
            [(String::new(), 12_345)]
        );
        assert!(divide(Pence::ZERO, &full, 31).unwrap().is_empty());
    }

    #[test]
    fn percentage_shares_give_odd_pence_to_the_lowest_payer_id() {
        // 10 and 9 in byte order: "LA10" before "LA9".
        let split = [
            arrangement("LA9", ArrangementKind::Percentage, Some(5_000), None),
            arrangement("LA10", ArrangementKind::Percentage, Some(5_000), None),
        ];
        assert_eq!(
            shares(&divide(Pence::new(1_001), &split, 31).unwrap()),
            [("LA10".into(), 501), ("LA9".into(), 500)]
        );
        let thirds = [
            arrangement("A", ArrangementKind::Percentage, Some(3_333), None),
            arrangement("B", ArrangementKind::Percentage, Some(3_333), None),
            arrangement("C", ArrangementKind::Percentage, Some(3_334), None),
        ];
        let divided = divide(Pence::new(100), &thirds, 30).unwrap();
        assert_eq!(divided.iter().map(|s| s.amount.get()).sum::<i64>(), 100);
        assert_eq!(
            shares(&divided),
            [("A".into(), 33), ("B".into(), 33), ("C".into(), 34)]
        );
    }

    #[test]
    fn a_contribution_is_weekly_times_days_over_seven_capped_at_the_charges() {
        let with_contribution = [
            arrangement("LA1", ArrangementKind::Full, None, None),
            arrangement("FAM", ArrangementKind::Contribution, None, Some(2_500)),
        ];
        // £25.00 a week for 31 days: 2500 × 31 ÷ 7 = 11071.43 → £110.71.
        assert_eq!(
            contribution_for(Pence::new(2_500), 31).unwrap(),
            Pence::new(11_071)
        );
        assert_eq!(
            shares(&divide(Pence::new(50_000), &with_contribution, 31).unwrap()),
            [("FAM".into(), 11_071), ("LA1".into(), 38_929)]
        );
        // Charges below the contribution: the contribution is all of them.
        assert_eq!(
            shares(&divide(Pence::new(9_000), &with_contribution, 31).unwrap()),
            [("FAM".into(), 9_000)]
        );
        // Rounded once to the nearest penny: 4 ÷ 7 of a penny is one, 3 ÷ 7 none.
        assert_eq!(contribution_for(Pence::new(1), 7).unwrap(), Pence::new(1));
        assert_eq!(contribution_for(Pence::new(7), 3).unwrap(), Pence::new(3));
        assert_eq!(contribution_for(Pence::new(1), 4).unwrap(), Pence::new(1));
        assert_eq!(contribution_for(Pence::new(1), 3).unwrap(), Pence::new(0));
    }

    #[test]
    fn the_shares_always_add_up_to_the_charges() {
        let arrangements = [
            arrangement("LA1", ArrangementKind::Full, None, None),
            arrangement("FAM", ArrangementKind::Contribution, None, Some(1_999)),
            arrangement("REP", ArrangementKind::Contribution, None, Some(3_001)),
        ];
        for total in [0, 1, 2_000, 8_566, 21_431, 1_000_000] {
            for days in [28, 29, 30, 31] {
                let divided = divide(Pence::new(total), &arrangements, days).unwrap();
                assert_eq!(divided.iter().map(|s| s.amount.get()).sum::<i64>(), total);
                assert!(divided.iter().all(|s| s.amount.get() > 0));
            }
        }
    }
}
