//! The rate card and the look-up of docs/rules.md C2, with per-payer overrides.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;

use crate::domain::{ArrangementKind, Band, PayerId, Rate, ServiceCode, Unit};

/// The payer whose own rate-card entries apply to a person (docs/rules.md C2): the person's
/// `full` payer, whether it pays everything or the rest beside a `contribution` payer (the
/// council's contracted rate covers the package). A person whose payers share by `percentage`,
/// or who has no arrangement, gets the default card.
pub fn card_payer<'a>(
    arrangements: impl IntoIterator<Item = (ArrangementKind, &'a PayerId)>,
) -> Option<&'a PayerId> {
    let mut full = None;
    for (kind, payer) in arrangements {
        match kind {
            ArrangementKind::Percentage => return None,
            ArrangementKind::Full if full.is_some() => return None,
            ArrangementKind::Full => full = Some(payer),
            ArrangementKind::Contribution => {}
        }
    }
    full
}

/// One rate-card entry (docs/rules.md C1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateEntry {
    pub service: ServiceCode,
    pub unit: Unit,
    pub band: Band,
    pub ratio: u32,
    pub rate: Rate,
    pub effective_from: NaiveDate,
    /// Inclusive; `None` is open-ended.
    pub effective_to: Option<NaiveDate>,
    /// `None` is the default card.
    pub payer: Option<PayerId>,
}

impl RateEntry {
    /// True when the entry applies on local date `date` (both ends inclusive).
    pub fn is_effective(&self, date: NaiveDate) -> bool {
        self.effective_from <= date && self.effective_to.is_none_or(|to| date <= to)
    }

    /// True when the two entries cover the same key and share at least one date.
    pub fn clashes_with(&self, other: &RateEntry) -> bool {
        let same_key = self.service == other.service
            && self.band == other.band
            && self.ratio == other.ratio
            && self.payer == other.payer;
        let ends_before =
            |a: &RateEntry, b: &RateEntry| a.effective_to.is_some_and(|to| to < b.effective_from);
        same_key && !ends_before(self, other) && !ends_before(other, self)
    }
}

/// The rate C2 chose for a minute: the entry's unit and rate, and the divisor applied when a
/// one-to-one rate was shared by `k` people (1 otherwise).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateChoice {
    pub unit: Unit,
    pub entry_rate: Rate,
    pub divisor: u32,
}

/// All rate-card entries, indexed by service.
#[derive(Clone, Debug, Default)]
pub struct RateCard {
    by_service: HashMap<ServiceCode, Vec<RateEntry>>,
}

impl RateCard {
    /// Builds a card; entries are assumed free of clashes (checked at import by [`RateCard::clashes`]).
    pub fn new(entries: impl IntoIterator<Item = RateEntry>) -> Self {
        let mut by_service: HashMap<ServiceCode, Vec<RateEntry>> = HashMap::new();
        for entry in entries {
            by_service
                .entry(entry.service.clone())
                .or_default()
                .push(entry);
        }
        Self { by_service }
    }

    /// True when the card has any entry for the service.
    pub fn knows(&self, service: &ServiceCode) -> bool {
        self.by_service.contains_key(service)
    }

    /// Every service on the card, in byte order.
    pub fn services(&self) -> BTreeSet<&ServiceCode> {
        self.by_service.keys().collect()
    }

    /// Services with a `night`-unit entry (a flat amount per night, such as a sleep-in) in
    /// force on `date`, in byte order.
    pub fn night_services(&self, date: NaiveDate) -> BTreeSet<&ServiceCode> {
        self.by_service
            .iter()
            .filter(|(_, entries)| {
                entries
                    .iter()
                    .any(|e| e.unit == Unit::Night && e.is_effective(date))
            })
            .map(|(service, _)| service)
            .collect()
    }

    /// Pairs of entries with the same `(service, band, ratio, payer)` whose dates overlap.
    pub fn clashes(entries: &[RateEntry]) -> Vec<(usize, usize)> {
        let mut clashes = Vec::new();
        let mut by_key: HashMap<(&ServiceCode, Band, u32, Option<&PayerId>), Vec<usize>> =
            HashMap::new();
        for (i, e) in entries.iter().enumerate() {
            by_key
                .entry((&e.service, e.band, e.ratio, e.payer.as_ref()))
                .or_default()
                .push(i);
        }
        for positions in by_key.values() {
            for (n, &a) in positions.iter().enumerate() {
                for &b in &positions[n + 1..] {
                    if entries[a].clashes_with(&entries[b]) {
                        clashes.push((a.min(b), a.max(b)));
                    }
                }
            }
        }
        clashes.sort_unstable();
        clashes
    }

    /// Looks up the rate for a minute with `k` people on local date `date` in band `band`
    /// (docs/rules.md C2). `payer` is the person's [`card_payer`], whose own entries override the
    /// default card key by key. `None` means unpriced.
    pub fn lookup(
        &self,
        service: &ServiceCode,
        band: Band,
        k: u32,
        date: NaiveDate,
        payer: Option<&PayerId>,
    ) -> Option<RateChoice> {
        assert!(k >= 1, "only time with people is charged");
        let entries = self.by_service.get(service)?;
        let find = |band: Band, ratio: u32| -> Option<&RateEntry> {
            let effective =
                |e: &&RateEntry| e.band == band && e.ratio == ratio && e.is_effective(date);
            let for_payer = payer.and_then(|p| {
                entries
                    .iter()
                    .filter(effective)
                    .find(|e| e.payer.as_ref() == Some(p))
            });
            for_payer.or_else(|| entries.iter().filter(effective).find(|e| e.payer.is_none()))
        };
        let steps = [
            (band, k, 1),
            (band, 1, k),
            (Band::Day, k, 1),
            (Band::Day, 1, k),
        ];
        steps.into_iter().find_map(|(band, ratio, divisor)| {
            find(band, ratio).map(|e| RateChoice {
                unit: e.unit,
                entry_rate: e.rate,
                divisor,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn entry(band: Band, ratio: u32, rate: &str, payer: Option<&str>) -> RateEntry {
        RateEntry {
            service: ServiceCode::parse("PC").unwrap(),
            unit: Unit::Hour,
            band,
            ratio,
            rate: Rate::parse_pounds(rate).unwrap(),
            effective_from: d("2026-01-01"),
            effective_to: Some(d("2026-12-31")),
            payer: payer.map(|p| PayerId::parse(p).unwrap()),
        }
    }

    #[test]
    fn c2_falls_back_in_order_and_divides_one_to_one_rates() {
        let card = RateCard::new([
            entry(Band::Day, 1, "24", None),
            entry(Band::Night, 1, "26", None),
            entry(Band::Day, 2, "14", None),
        ]);
        let pc = ServiceCode::parse("PC").unwrap();
        let date = d("2026-10-06");
        let choose = |band, k| {
            card.lookup(&pc, band, k, date, None)
                .map(|c| (c.entry_rate.to_string(), c.divisor))
        };
        assert_eq!(choose(Band::Night, 1), Some(("26.0000".into(), 1)));
        assert_eq!(choose(Band::Night, 3), Some(("26.0000".into(), 3)));
        assert_eq!(choose(Band::Weekend, 2), Some(("14.0000".into(), 1)));
        assert_eq!(choose(Band::Weekend, 3), Some(("24.0000".into(), 3)));
        assert_eq!(
            card.lookup(&pc, Band::Day, 1, d("2027-01-01"), None),
            None,
            "nothing effective means unpriced"
        );
        assert_eq!(
            card.lookup(&ServiceCode::parse("X").unwrap(), Band::Day, 1, date, None),
            None
        );
    }

    #[test]
    fn a_payers_entries_override_the_default_key_by_key() {
        let card = RateCard::new([
            entry(Band::Day, 1, "24", None),
            entry(Band::Day, 1, "30", Some("LA1")),
        ]);
        let pc = ServiceCode::parse("PC").unwrap();
        let la1 = PayerId::parse("LA1").unwrap();
        let la2 = PayerId::parse("LA2").unwrap();
        let date = d("2026-10-06");
        assert_eq!(
            card.lookup(&pc, Band::Day, 1, date, Some(&la1))
                .unwrap()
                .entry_rate
                .to_string(),
            "30.0000"
        );
        assert_eq!(
            card.lookup(&pc, Band::Day, 1, date, Some(&la2))
                .unwrap()
                .entry_rate
                .to_string(),
            "24.0000"
        );
        assert_eq!(
            card.lookup(&pc, Band::Day, 1, date, None)
                .unwrap()
                .entry_rate
                .to_string(),
            "24.0000"
        );
    }

    #[test]
    fn overlapping_dates_for_one_key_clash() {
        let mut later = entry(Band::Day, 1, "25", None);
        later.effective_from = d("2026-12-31");
        later.effective_to = None;
        let entries = vec![
            entry(Band::Day, 1, "24", None),
            later.clone(),
            entry(Band::Day, 1, "24", Some("LA1")),
        ];
        assert_eq!(RateCard::clashes(&entries), vec![(0, 1)]);
        later.effective_from = d("2027-01-01");
        assert!(RateCard::clashes(&[entry(Band::Day, 1, "24", None), later]).is_empty());
    }

    #[test]
    fn the_full_payers_card_applies_beside_a_contribution_but_not_with_percentages() {
        let la1 = PayerId::parse("LA1").unwrap();
        let family = PayerId::parse("FAM").unwrap();
        use ArrangementKind::{Contribution, Full, Percentage};
        assert_eq!(card_payer([(Full, &la1)]), Some(&la1));
        assert_eq!(
            card_payer([(Contribution, &family), (Full, &la1)]),
            Some(&la1),
            "the council's contracted rate covers the package the person contributes to"
        );
        assert_eq!(
            card_payer([(Full, &la1), (Contribution, &family)]),
            Some(&la1)
        );
        assert_eq!(
            card_payer([(Percentage, &la1), (Percentage, &family)]),
            None,
            "shares between payers use the default card"
        );
        assert_eq!(card_payer([]), None);
        assert_eq!(
            card_payer([(Full, &la1), (Full, &family)]),
            None,
            "two full payers (refused at import) choose neither"
        );
    }
}
