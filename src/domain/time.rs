//! Instants and intervals: UTC inside, the provider's zone for reading input and for local dates.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// Why a time string was refused (docs/rules.md T2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("'{0}' is not a time like 2026-10-06T09:00 (optionally :00 seconds and Z or ±HH:MM)")]
    Syntax(String),
    #[error("'{0}' has seconds other than :00; times are whole minutes")]
    Seconds(String),
    #[error(
        "'{0}' is ambiguous: that local time happens twice when the clocks go back; add an offset such as +01:00 or +00:00"
    )]
    Ambiguous(String),
    #[error("'{0}' does not exist: the clocks go forward past it")]
    Nonexistent(String),
    #[error("'{0}' is not a date like 2026-10-06")]
    Date(String),
    #[error("unknown time zone '{0}'")]
    Zone(String),
}

/// The provider's time zone, which decides local dates, bands and periods (docs/rules.md T1).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct LocalZone(Tz);

impl LocalZone {
    pub fn new(tz: Tz) -> Self {
        Self(tz)
    }

    pub fn tz(self) -> Tz {
        self.0
    }

    /// Parses an input time per docs/rules.md T2 and resolves it to a UTC instant.
    pub fn parse_instant(self, raw: &str) -> Result<DateTime<Utc>, TimeError> {
        let text = raw.trim();
        let syntax = || TimeError::Syntax(raw.to_owned());
        let bytes = text.as_bytes();
        if bytes.len() < 16 || bytes[10] != b'T' {
            return Err(syntax());
        }
        let naive =
            NaiveDateTime::parse_from_str(&text[..16], "%Y-%m-%dT%H:%M").map_err(|_| syntax())?;
        if !is_fixed_digits(&text[..16]) {
            return Err(syntax());
        }
        let mut rest = &text[16..];
        if let Some(seconds) = rest.strip_prefix(':') {
            let digits = seconds.get(..2).ok_or_else(syntax)?;
            if !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(syntax());
            }
            if digits != "00" {
                return Err(TimeError::Seconds(raw.to_owned()));
            }
            rest = &seconds[2..];
        }
        match rest {
            "" => self.resolve_local(naive, raw),
            "Z" => Ok(Utc.from_utc_datetime(&naive)),
            offset => {
                let offset = parse_offset(offset).ok_or_else(syntax)?;
                let fixed = offset
                    .from_local_datetime(&naive)
                    .single()
                    .ok_or_else(syntax)?;
                Ok(fixed.with_timezone(&Utc))
            }
        }
    }

    fn resolve_local(self, naive: NaiveDateTime, raw: &str) -> Result<DateTime<Utc>, TimeError> {
        match self.0.from_local_datetime(&naive) {
            LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
            LocalResult::Ambiguous(..) => Err(TimeError::Ambiguous(raw.to_owned())),
            LocalResult::None => Err(TimeError::Nonexistent(raw.to_owned())),
        }
    }

    /// The local wall-clock time of an instant.
    pub fn local(self, instant: DateTime<Utc>) -> NaiveDateTime {
        instant.with_timezone(&self.0).naive_local()
    }

    /// The local date on which the minute starting at `instant` falls (docs/rules.md T4).
    pub fn local_date(self, instant: DateTime<Utc>) -> NaiveDate {
        self.local(instant).date()
    }

    /// The first instant whose local wall time is at or after `wall`: the wall time itself when it
    /// exists (the earlier one when it happens twice), else the moment the clocks jump past it.
    pub fn first_instant_at_or_after(self, wall: NaiveDateTime) -> DateTime<Utc> {
        const GAP_MINUTES_MAX: i64 = 24 * 60;
        for step in 0..=GAP_MINUTES_MAX {
            let probe = wall + chrono::Duration::minutes(step);
            match self.0.from_local_datetime(&probe) {
                LocalResult::Single(t) => return t.with_timezone(&Utc),
                LocalResult::Ambiguous(earliest, _) => return earliest.with_timezone(&Utc),
                // In a gap: the first wall time after it starts at the instant the clocks jump.
                LocalResult::None => continue,
            }
        }
        unreachable!("no time zone skips more than a day");
    }
}

impl FromStr for LocalZone {
    type Err = TimeError;
    fn from_str(name: &str) -> Result<Self, TimeError> {
        name.parse::<Tz>()
            .map(LocalZone)
            .map_err(|_| TimeError::Zone(name.to_owned()))
    }
}

impl Default for LocalZone {
    fn default() -> Self {
        LocalZone(chrono_tz::Europe::London)
    }
}

impl fmt::Debug for LocalZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LocalZone({})", self.0.name())
    }
}

impl fmt::Display for LocalZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name())
    }
}

/// Parses a date written `YYYY-MM-DD`.
pub fn parse_date(raw: &str) -> Result<NaiveDate, TimeError> {
    let text = raw.trim();
    if text.len() != 10 || !is_fixed_digits(text) {
        return Err(TimeError::Date(raw.to_owned()));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| TimeError::Date(raw.to_owned()))
}

/// True when every position that should hold a digit does (chrono accepts `2026-1-6`).
fn is_fixed_digits(text: &str) -> bool {
    text.bytes().enumerate().all(|(i, b)| match i {
        4 | 7 => b == b'-',
        10 => b == b'T',
        13 => b == b':',
        _ => b.is_ascii_digit(),
    })
}

fn parse_offset(raw: &str) -> Option<FixedOffset> {
    let bytes = raw.as_bytes();
    if bytes.len() != 6 || bytes[3] != b':' {
        return None;
    }
    let sign = match bytes[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let hours: i32 = raw.get(1..3)?.parse().ok()?;
    let minutes: i32 = raw.get(4..6)?.parse().ok()?;
    if !raw[1..3]
        .bytes()
        .chain(raw[4..6].bytes())
        .all(|b| b.is_ascii_digit())
        || hours > 23
        || minutes > 59
    {
        return None;
    }
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
}

/// A half-open interval of time `[start, end)` in whole minutes (docs/rules.md T3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Interval {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Interval {
    /// Builds an interval, refusing an empty or backwards one.
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Option<Self> {
        (end > start).then_some(Self { start, end })
    }

    /// Elapsed real time in whole minutes.
    pub fn minutes(&self) -> i64 {
        (self.end - self.start).num_minutes()
    }

    /// True when the two intervals share at least one instant; touching intervals do not.
    pub fn overlaps(&self, other: &Interval) -> bool {
        self.start < other.end && other.start < self.end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn london() -> LocalZone {
        LocalZone::default()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn local_times_resolve_in_the_providers_zone() {
        let z = london();
        assert_eq!(
            z.parse_instant("2026-10-06T09:00").unwrap(),
            utc("2026-10-06T08:00:00Z")
        );
        assert_eq!(
            z.parse_instant("2026-10-06T09:00:00").unwrap(),
            utc("2026-10-06T08:00:00Z")
        );
        assert_eq!(
            z.parse_instant("2026-12-06T09:00").unwrap(),
            utc("2026-12-06T09:00:00Z")
        );
        assert_eq!(
            z.parse_instant("2026-10-06T09:00Z").unwrap(),
            utc("2026-10-06T09:00:00Z")
        );
        assert_eq!(
            z.parse_instant("2026-10-06T09:00+05:30").unwrap(),
            utc("2026-10-06T03:30:00Z")
        );
    }

    #[test]
    fn worked_example_8_ambiguous_and_nonexistent_times() {
        let z = london();
        assert!(matches!(
            z.parse_instant("2026-10-25T01:30"),
            Err(TimeError::Ambiguous(_))
        ));
        assert!(matches!(
            z.parse_instant("2026-03-29T01:30"),
            Err(TimeError::Nonexistent(_))
        ));
        assert_eq!(
            z.parse_instant("2026-10-25T01:30+00:00").unwrap(),
            utc("2026-10-25T01:30:00Z")
        );
    }

    #[test]
    fn malformed_times_are_refused_with_the_reason() {
        let z = london();
        assert!(matches!(
            z.parse_instant("2026-10-06T09:00:30"),
            Err(TimeError::Seconds(_))
        ));
        for bad in [
            "2026-10-06 09:00",
            "06/10/2026 09:00",
            "2026-10-06T24:00",
            "2026-1-06T09:00",
            "2026-10-06T09:00+1",
            "",
            "2026-10-06T09:00:0",
            "2026-10-06T09:00:00.000",
        ] {
            assert!(
                matches!(z.parse_instant(bad), Err(TimeError::Syntax(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn first_instant_skips_the_spring_gap() {
        let z = london();
        let wall = NaiveDateTime::parse_from_str("2026-03-29T01:30", "%Y-%m-%dT%H:%M").unwrap();
        assert_eq!(
            z.first_instant_at_or_after(wall),
            utc("2026-03-29T01:00:00Z")
        );
        let wall = NaiveDateTime::parse_from_str("2026-10-25T01:30", "%Y-%m-%dT%H:%M").unwrap();
        assert_eq!(
            z.first_instant_at_or_after(wall),
            utc("2026-10-25T00:30:00Z")
        );
    }

    #[test]
    fn intervals_are_half_open() {
        let a = Interval::new(utc("2026-10-06T09:00:00Z"), utc("2026-10-06T10:00:00Z")).unwrap();
        let b = Interval::new(utc("2026-10-06T10:00:00Z"), utc("2026-10-06T11:00:00Z")).unwrap();
        assert!(!a.overlaps(&b));
        assert_eq!(a.minutes(), 60);
        assert!(Interval::new(a.end, a.start).is_none());
    }
}
