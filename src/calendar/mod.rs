//! Calendars: bank holidays, the band of every minute, and splitting time at local boundaries.

pub mod bands;
pub mod holidays;
pub mod periods;
pub mod schedule;

pub use bands::{BandRules, BandRun, band_runs};
pub use holidays::{BankHolidays, CalendarError};
pub use periods::Period;
