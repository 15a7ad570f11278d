//! The demo provider's menu: services, rate card, pay rules and bank holidays, plus a rough
//! charge estimate per segment used only to size people's budgets.

use super::clock::{self, DAY, Wall};

/// A service on the demo menu.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Svc {
    PersonalCare,
    CommunityAccess,
    WakingNight,
    SleepIn,
    SleepInAwake,
    Travel,
    Handover,
    PcpFacilitation,
}

impl Svc {
    pub(crate) const ALL: [Svc; 8] = [
        Svc::PersonalCare,
        Svc::CommunityAccess,
        Svc::WakingNight,
        Svc::SleepIn,
        Svc::SleepInAwake,
        Svc::Travel,
        Svc::Handover,
        Svc::PcpFacilitation,
    ];

    /// The service code in files.
    pub(crate) const fn code(self) -> &'static str {
        match self {
            Svc::PersonalCare => "PERSONAL_CARE",
            Svc::CommunityAccess => "COMMUNITY_ACCESS",
            Svc::WakingNight => "WAKING_NIGHT",
            Svc::SleepIn => "SLEEP_IN",
            Svc::SleepInAwake => "SLEEP_IN_AWAKE",
            Svc::Travel => "TRAVEL",
            Svc::Handover => "HANDOVER",
            Svc::PcpFacilitation => "PCP_FACILITATION",
        }
    }

    /// The service's name on the menu.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Svc::PersonalCare => "Personal care and support",
            Svc::CommunityAccess => "Community access",
            Svc::WakingNight => "Waking night",
            Svc::SleepIn => "Sleep-in",
            Svc::SleepInAwake => "Sleep-in: awake period",
            Svc::Travel => "Travel between visits",
            Svc::Handover => "Handover",
            Svc::PcpFacilitation => "Person-centred plan facilitation",
        }
    }

    /// How the worker is paid for the time (formats.md `pay_element`).
    pub(crate) const fn pay_element(self) -> &'static str {
        match self {
            Svc::PersonalCare | Svc::CommunityAccess | Svc::PcpFacilitation => "contact",
            Svc::WakingNight => "waking_night",
            Svc::SleepIn => "sleep_in",
            Svc::SleepInAwake => "awake",
            Svc::Travel => "travel",
            Svc::Handover => "admin",
        }
    }
}

/// The band names in files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DemoBand {
    Day,
    Night,
    Weekend,
    BankHoliday,
}

impl DemoBand {
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            DemoBand::Day => "day",
            DemoBand::Night => "night",
            DemoBand::Weekend => "weekend",
            DemoBand::BankHoliday => "bank_holiday",
        }
    }
}

/// A rate-card entry: service, unit, band, ratio and the rate in pence.
pub(crate) struct RateEntry {
    pub(crate) svc: Svc,
    pub(crate) unit: &'static str,
    pub(crate) band: DemoBand,
    pub(crate) ratio: u32,
    pub(crate) pence: i64,
}

const fn entry(svc: Svc, unit: &'static str, band: DemoBand, ratio: u32, pence: i64) -> RateEntry {
    RateEntry {
        svc,
        unit,
        band,
        ratio,
        pence,
    }
}

/// The default card: the docs/rules.md worked-example rates, and similar ones for the other services.
pub(crate) const DEFAULT_CARD: [RateEntry; 17] = [
    entry(Svc::PersonalCare, "hour", DemoBand::Day, 1, 2_400),
    entry(Svc::PersonalCare, "hour", DemoBand::Night, 1, 2_600),
    entry(Svc::PersonalCare, "hour", DemoBand::Weekend, 1, 2_700),
    entry(Svc::PersonalCare, "hour", DemoBand::BankHoliday, 1, 3_600),
    entry(Svc::PersonalCare, "hour", DemoBand::Day, 2, 1_400),
    entry(Svc::PersonalCare, "hour", DemoBand::Weekend, 2, 1_550),
    entry(Svc::CommunityAccess, "hour", DemoBand::Day, 1, 2_250),
    entry(Svc::CommunityAccess, "hour", DemoBand::Night, 1, 2_450),
    entry(Svc::CommunityAccess, "hour", DemoBand::Weekend, 1, 2_550),
    entry(
        Svc::CommunityAccess,
        "hour",
        DemoBand::BankHoliday,
        1,
        3_400,
    ),
    entry(Svc::CommunityAccess, "hour", DemoBand::Day, 2, 1_300),
    entry(Svc::WakingNight, "hour", DemoBand::Day, 1, 2_200),
    entry(Svc::WakingNight, "hour", DemoBand::Weekend, 1, 2_400),
    entry(Svc::WakingNight, "hour", DemoBand::BankHoliday, 1, 3_300),
    entry(Svc::SleepIn, "night", DemoBand::Day, 1, 9_000),
    entry(Svc::SleepInAwake, "hour", DemoBand::Day, 1, 2_000),
    entry(Svc::PcpFacilitation, "fixed", DemoBand::Day, 1, 15_000),
];

/// One council's own prices for personal care (payer-specific overrides, docs/rules.md C1).
pub(crate) const COUNCIL_OVERRIDES: [RateEntry; 5] = [
    entry(Svc::PersonalCare, "hour", DemoBand::Day, 1, 2_350),
    entry(Svc::PersonalCare, "hour", DemoBand::Night, 1, 2_550),
    entry(Svc::PersonalCare, "hour", DemoBand::Weekend, 1, 2_650),
    entry(Svc::PersonalCare, "hour", DemoBand::BankHoliday, 1, 3_500),
    entry(Svc::PersonalCare, "hour", DemoBand::Day, 2, 1_375),
];

/// Pay rules: `(rule, band, amount in pence)`; an empty band is any band.
pub(crate) const PAY_RULES: [(&str, &str, i64); 5] = [
    ("enhancement", "night", 150),
    ("enhancement", "weekend", 100),
    ("enhancement", "bank_holiday", 650),
    ("sleep_in_allowance", "", 8_000),
    ("sleep_in_allowance", "bank_holiday", 12_000),
];

/// England and Wales bank holidays 2025–2028 (GOV.UK), as `(year, month, day)`.
const BANK_HOLIDAYS: [(i32, u32, u32); 32] = [
    (2025, 1, 1),
    (2025, 4, 18),
    (2025, 4, 21),
    (2025, 5, 5),
    (2025, 5, 26),
    (2025, 8, 25),
    (2025, 12, 25),
    (2025, 12, 26),
    (2026, 1, 1),
    (2026, 4, 3),
    (2026, 4, 6),
    (2026, 5, 4),
    (2026, 5, 25),
    (2026, 8, 31),
    (2026, 12, 25),
    (2026, 12, 28),
    (2027, 1, 1),
    (2027, 3, 26),
    (2027, 3, 29),
    (2027, 5, 3),
    (2027, 5, 31),
    (2027, 8, 30),
    (2027, 12, 27),
    (2027, 12, 28),
    (2028, 1, 3),
    (2028, 4, 14),
    (2028, 4, 17),
    (2028, 5, 1),
    (2028, 5, 29),
    (2028, 8, 28),
    (2028, 12, 25),
    (2028, 12, 26),
];

/// True when `day` is an England and Wales bank holiday in the years listed.
pub(crate) fn is_bank_holiday(day: i64) -> bool {
    let (y, m, d) = clock::civil_from_days(day);
    BANK_HOLIDAYS.contains(&(y, m, d))
}

/// The band of the minute starting at `wall` (docs/rules.md B1 with the default night window).
pub(crate) fn band_at(wall: Wall) -> DemoBand {
    let day = wall.div_euclid(DAY);
    let minute = wall.rem_euclid(DAY);
    if is_bank_holiday(day) {
        DemoBand::BankHoliday
    } else if clock::is_weekend(day) {
        DemoBand::Weekend
    } else if !(7 * 60..22 * 60).contains(&minute) {
        DemoBand::Night
    } else {
        DemoBand::Day
    }
}

fn find(svc: Svc, band: DemoBand, ratio: u32) -> Option<i64> {
    DEFAULT_CARD
        .iter()
        .find(|e| e.svc == svc && e.band == band && e.ratio == ratio)
        .map(|e| e.pence)
}

/// The per-person rate in pence for `k` people in `band` (docs/rules.md C2 on the default card).
pub(crate) fn rate_per_person(svc: Svc, band: DemoBand, k: u32) -> Option<f64> {
    let k = k.max(1);
    let divided = |p: i64| p as f64 / f64::from(k);
    find(svc, band, k)
        .map(|p| p as f64)
        .or_else(|| find(svc, band, 1).map(divided))
        .or_else(|| find(svc, DemoBand::Day, k).map(|p| p as f64))
        .or_else(|| find(svc, DemoBand::Day, 1).map(divided))
}

/// A rough charge per person, in pence, for `minutes` of an hourly service starting at `wall`.
/// The band of the first minute stands for the whole segment: this only sizes budgets.
pub(crate) fn estimate_hourly(svc: Svc, wall: Wall, minutes: i64, k: u32) -> f64 {
    match svc {
        Svc::SleepIn | Svc::Travel | Svc::Handover | Svc::PcpFacilitation => 0.0,
        _ => rate_per_person(svc, band_at(wall), k).map_or(0.0, |r| r * minutes as f64 / 60.0),
    }
}

/// The sleep-in charge per person, in pence, for a night shared by `k`.
pub(crate) fn estimate_night(wall: Wall, k: u32) -> f64 {
    rate_per_person(Svc::SleepIn, band_at(wall), k).unwrap_or(0.0)
}

/// The fixed price of person-centred plan facilitation, in pence.
pub(crate) fn pcp_price() -> i64 {
    find(Svc::PcpFacilitation, DemoBand::Day, 1).unwrap_or(0)
}
