//! Token expiry on the command line: `--expires 90d`, `12h`, `30m` or a date, checked to be a
//! useful, future time within five years, with checked arithmetic so no input can panic.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::domain::LocalZone;

/// The shortest life a token may be given: anything shorter would expire before it is used.
pub const EXPIRY_MIN: Duration = Duration::minutes(1);

/// The longest life a token may be given: five years (1,826 days, leap days included). Longer
/// is a token that never expires in practice; `--expires never` says so.
pub const EXPIRY_MAX: Duration = Duration::days(5 * 365 + 1);

/// Why an `--expires` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExpiryError {
    #[error(
        "--expires '{0}': use a duration like 90d, 12h or 30m (days, hours, minutes), or a date (YYYY-MM-DD)"
    )]
    Unreadable(String),
    #[error("--expires '{0}' is too short: a token must last at least one minute")]
    TooShort(String),
    #[error(
        "--expires '{0}' is too far ahead: a token may last at most five years (1826d); use --expires never for a token that does not expire"
    )]
    TooLong(String),
    #[error("--expires '{raw}' is in the past: the token would never work (today is {today})")]
    Past { raw: String, today: NaiveDate },
}

/// Parses `raw` into the instant the token stops working, from `now` in the provider's `zone`.
///
/// A duration counts from `now`; a date means the start of that day in the provider's zone, and
/// must be after `now`.
pub fn parse_expiry(
    raw: &str,
    now: DateTime<Utc>,
    zone: LocalZone,
) -> Result<DateTime<Utc>, ExpiryError> {
    let raw = raw.trim();
    let unreadable = || ExpiryError::Unreadable(raw.to_owned());
    let lasts = if let Some(date) = as_date(raw) {
        let at = zone.first_instant_at_or_after(date.into());
        if at <= now {
            return Err(ExpiryError::Past {
                raw: raw.to_owned(),
                today: zone.local_date(now),
            });
        }
        at - now
    } else {
        let split = raw
            .find(|c: char| !c.is_ascii_digit())
            .ok_or_else(unreadable)?;
        let (digits, unit) = raw.split_at(split);
        if digits.is_empty() {
            return Err(unreadable());
        }
        // Anything past i64 is far beyond the maximum anyway.
        let amount: i64 = digits.parse().unwrap_or(i64::MAX);
        let lasts = match unit {
            "d" => Duration::try_days(amount),
            "h" => Duration::try_hours(amount),
            "m" => Duration::try_minutes(amount),
            _ => return Err(unreadable()),
        };
        lasts.ok_or_else(|| ExpiryError::TooLong(raw.to_owned()))?
    };
    if lasts < EXPIRY_MIN {
        return Err(ExpiryError::TooShort(raw.to_owned()));
    }
    if lasts > EXPIRY_MAX {
        return Err(ExpiryError::TooLong(raw.to_owned()));
    }
    now.checked_add_signed(lasts)
        .ok_or_else(|| ExpiryError::TooLong(raw.to_owned()))
}

/// `YYYY-MM-DD`, or `None` when `raw` does not look like a date at all.
fn as_date(raw: &str) -> Option<NaiveDate> {
    crate::domain::time::parse_date(raw).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        // 10:30 on 1 December 2026 in London (GMT).
        "2026-12-01T10:30:00Z".parse().unwrap()
    }

    fn parse(raw: &str) -> Result<DateTime<Utc>, ExpiryError> {
        parse_expiry(raw, now(), LocalZone::default())
    }

    #[test]
    fn durations_count_from_now() {
        assert_eq!(parse("30d"), Ok(now() + Duration::days(30)));
        assert_eq!(parse("12h"), Ok(now() + Duration::hours(12)));
        assert_eq!(parse("90m"), Ok(now() + Duration::minutes(90)));
        assert_eq!(parse(" 1m "), Ok(now() + Duration::minutes(1)));
        assert_eq!(parse("1826d"), Ok(now() + EXPIRY_MAX));
    }

    #[test]
    fn a_date_is_the_start_of_that_day_in_the_providers_zone() {
        // 1 June 2027 starts at 23:00 UTC the day before (British Summer Time).
        assert_eq!(
            parse("2027-06-01"),
            Ok("2027-05-31T23:00:00Z".parse().unwrap())
        );
        assert_eq!(
            parse("2026-12-02"),
            Ok("2026-12-02T00:00:00Z".parse().unwrap())
        );
    }

    #[test]
    fn too_short_and_too_long_are_refused_without_panicking() {
        for raw in ["0m", "0d", "0h"] {
            assert_eq!(parse(raw), Err(ExpiryError::TooShort(raw.into())), "{raw}");
        }
        for raw in [
            "1827d",
            "999999999d",
            "9223372036854775807d",
            "99999999999999999999999999h",
            "43849h",
        ] {
            assert_eq!(parse(raw), Err(ExpiryError::TooLong(raw.into())), "{raw}");
        }
        assert_eq!(
            parse("2031-12-02"),
            Err(ExpiryError::TooLong("2031-12-02".into()))
        );
    }

    #[test]
    fn past_dates_and_today_are_refused() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        for raw in ["2026-12-01", "2025-01-01", "1970-01-01"] {
            assert_eq!(
                parse(raw),
                Err(ExpiryError::Past {
                    raw: raw.into(),
                    today
                }),
                "{raw}"
            );
        }
    }

    #[test]
    fn other_forms_are_unreadable() {
        for raw in [
            "",
            "1s",
            "d",
            "-5d",
            "5",
            "5 d",
            "5dd",
            "1.5d",
            "tomorrow",
            "2026-13-01",
        ] {
            assert_eq!(
                parse(raw),
                Err(ExpiryError::Unreadable(raw.trim().into())),
                "{raw:?}"
            );
        }
        assert!(
            ExpiryError::Unreadable("1s".into())
                .to_string()
                .contains("like 90d, 12h or 30m")
        );
    }
}
