//! Wall-clock minutes for the generator: integer date arithmetic, zone-aware instants and fast
//! formatting of input times that are always valid in the provider's zone.

use chrono::{DateTime, LocalResult, NaiveDateTime, Offset, TimeZone};

use crate::domain::LocalZone;

/// Minutes of local wall-clock time since 1970-01-01T00:00 (no zone applied).
pub(crate) type Wall = i64;

/// Minutes in a calendar day.
pub(crate) const DAY: i64 = 1_440;

/// The longest formatted time: `YYYY-MM-DDTHH:MM+HH:MM`.
pub(crate) const STAMP_LEN: usize = 22;

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
pub(crate) fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day number from [`days_from_civil`].
pub(crate) fn civil_from_days(days: i64) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    // The ranges are bounded by construction: month 1..=12, day 1..=31.
    (year as i32, month as u32, day as u32)
}

/// Day of the week, 0 = Monday .. 6 = Sunday (1970-01-01 was a Thursday).
pub(crate) fn weekday(day: i64) -> u32 {
    (day + 3).rem_euclid(7) as u32
}

/// True on Saturdays and Sundays.
pub(crate) fn is_weekend(day: i64) -> bool {
    weekday(day) >= 5
}

/// The wall minute of `hh:mm` on `day`.
pub(crate) const fn at(day: i64, hour: i64, minute: i64) -> Wall {
    day * DAY + hour * 60 + minute
}

fn naive(wall: Wall) -> Option<NaiveDateTime> {
    DateTime::from_timestamp(wall * 60, 0).map(|t| t.naive_utc())
}

/// Writes `YYYY-MM-DDTHH:MM` into the first 16 bytes of `out`.
pub(crate) fn write_plain(wall: Wall, out: &mut [u8; STAMP_LEN]) {
    let (y, mo, d) = civil_from_days(wall.div_euclid(DAY));
    let minutes = wall.rem_euclid(DAY);
    let (h, mi) = (minutes / 60, minutes % 60);
    let y = y.clamp(0, 9_999) as u32;
    out[0] = b'0' + (y / 1_000) as u8;
    out[1] = b'0' + (y / 100 % 10) as u8;
    out[2] = b'0' + (y / 10 % 10) as u8;
    out[3] = b'0' + (y % 10) as u8;
    out[4] = b'-';
    two(&mut out[5..7], mo as i64);
    out[7] = b'-';
    two(&mut out[8..10], d as i64);
    out[10] = b'T';
    two(&mut out[11..13], h);
    out[13] = b':';
    two(&mut out[14..16], mi);
}

fn two(out: &mut [u8], value: i64) {
    out[0] = b'0' + (value / 10) as u8;
    out[1] = b'0' + (value % 10) as u8;
}

/// Writes `YYYY-MM-DD` for a day number.
pub(crate) fn write_date(day: i64, out: &mut [u8; 10]) {
    let mut stamp = [0u8; STAMP_LEN];
    write_plain(day * DAY, &mut stamp);
    out.copy_from_slice(&stamp[..10]);
}

/// `YYYY-MM-DD` of a day number, as a string.
pub(crate) fn date_string(day: i64) -> String {
    let mut out = [0u8; 10];
    write_date(day, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// The provider's zone over the generated days: wall minutes to UTC minutes, and formatting that
/// adds an offset only where a bare local time would be ambiguous or would not exist.
pub(crate) struct Clock {
    zone: LocalZone,
    first_day: i64,
    /// Per day: the UTC offset in minutes when it is the same all day, `None` on a change day.
    offsets: Vec<Option<i64>>,
}

impl Clock {
    /// A clock covering the days `first_day..=last_day` (and one day either side).
    pub(crate) fn new(zone: LocalZone, first_day: i64, last_day: i64) -> Self {
        let first = first_day - 1;
        let offsets = (first..=last_day + 2)
            .map(|day| {
                let here = offset_at(zone, at(day, 0, 0));
                let next = offset_at(zone, at(day + 1, 0, 0));
                (here == next).then_some(here)
            })
            .collect();
        Self {
            zone,
            first_day: first,
            offsets,
        }
    }

    fn fixed_offset(&self, day: i64) -> Option<i64> {
        let index = usize::try_from(day - self.first_day).ok()?;
        self.offsets.get(index).copied().flatten()
    }

    /// True when the clocks change on `day`.
    pub(crate) fn is_change_day(&self, day: i64) -> bool {
        self.fixed_offset(day).is_none()
    }

    /// The UTC minute of a wall time: the earlier instant when it happens twice, the moment the
    /// clocks jump when it does not exist.
    pub(crate) fn utc(&self, wall: Wall) -> i64 {
        if let Some(offset) = self.fixed_offset(wall.div_euclid(DAY)) {
            return wall - offset;
        }
        match naive(wall) {
            Some(n) => self
                .zone
                .first_instant_at_or_after(n)
                .timestamp()
                .div_euclid(60),
            None => wall,
        }
    }

    /// The first ambiguous wall minute of `day` (a time that happens twice), if any.
    pub(crate) fn first_ambiguous(&self, day: i64) -> Option<Wall> {
        if !self.is_change_day(day) {
            return None;
        }
        (at(day, 0, 0)..at(day + 1, 0, 0)).find(|&w| {
            naive(w).is_some_and(|n| {
                matches!(
                    self.zone.tz().from_local_datetime(&n),
                    LocalResult::Ambiguous(..)
                )
            })
        })
    }

    /// Writes a time that tms reads back as the instant [`Clock::utc`] gives; returns its length.
    pub(crate) fn write(&self, wall: Wall, out: &mut [u8; STAMP_LEN]) -> usize {
        write_plain(wall, out);
        if self.fixed_offset(wall.div_euclid(DAY)).is_some() {
            return 16;
        }
        let Some(n) = naive(wall) else { return 16 };
        match self.zone.tz().from_local_datetime(&n) {
            LocalResult::Single(_) => 16,
            LocalResult::Ambiguous(earliest, _) => {
                write_offset(
                    earliest.offset().fix().local_minus_utc() / 60,
                    &mut out[16..],
                );
                22
            }
            LocalResult::None => {
                let instant = self.zone.first_instant_at_or_after(n);
                write_plain(instant.timestamp().div_euclid(60), out);
                out[16] = b'Z';
                17
            }
        }
    }
}

fn offset_at(zone: LocalZone, wall: Wall) -> i64 {
    match naive(wall) {
        Some(n) => wall - zone.first_instant_at_or_after(n).timestamp().div_euclid(60),
        None => 0,
    }
}

fn write_offset(minutes: i32, out: &mut [u8]) {
    out[0] = if minutes < 0 { b'-' } else { b'+' };
    let m = i64::from(minutes.unsigned_abs());
    two(&mut out[1..3], m / 60);
    out[3] = b':';
    two(&mut out[4..6], m % 60);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip_and_weekdays() {
        for day in -1_000..40_000 {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day);
        }
        let d = days_from_civil(2026, 10, 24);
        assert_eq!(weekday(d), 5, "2026-10-24 is a Saturday");
        assert_eq!(date_string(d), "2026-10-24");
    }

    #[test]
    fn times_are_written_so_they_read_back_to_the_same_instant() {
        let zone = LocalZone::default();
        let first = days_from_civil(2026, 3, 1);
        let last = days_from_civil(2026, 11, 30);
        let clock = Clock::new(zone, first, last);
        let mut buf = [0u8; STAMP_LEN];
        for wall in (at(first, 0, 0)..at(last, 0, 0)).step_by(15) {
            let len = clock.write(wall, &mut buf);
            let text = std::str::from_utf8(&buf[..len]).unwrap();
            let parsed = zone
                .parse_instant(text)
                .unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(parsed.timestamp() / 60, clock.utc(wall), "{text}");
        }
        let autumn = days_from_civil(2026, 10, 25);
        assert!(clock.is_change_day(autumn));
        assert_eq!(clock.first_ambiguous(autumn), Some(at(autumn, 1, 0)));
        assert_eq!(
            clock.utc(at(autumn, 8, 0)) - clock.utc(at(autumn - 1, 22, 0)),
            11 * 60
        );
    }
}
