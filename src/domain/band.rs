//! Bands: the class of a minute (bank holiday, weekend, night, day) that chooses rates and pay.

use std::fmt;
use std::str::FromStr;

/// The band of a minute (docs/rules.md B1).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    BankHoliday,
    Day,
    Night,
    Weekend,
}

impl Band {
    pub const ALL: [Band; 4] = [Band::BankHoliday, Band::Weekend, Band::Night, Band::Day];

    /// The name used in files, reports and the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            Band::BankHoliday => "bank_holiday",
            Band::Day => "day",
            Band::Night => "night",
            Band::Weekend => "weekend",
        }
    }
}

/// A band name that is not one of the four.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a band (day, night, weekend or bank_holiday)")]
pub struct BandError(pub String);

impl FromStr for Band {
    type Err = BandError;
    fn from_str(raw: &str) -> Result<Self, BandError> {
        match raw.trim() {
            "bank_holiday" => Ok(Band::BankHoliday),
            "day" => Ok(Band::Day),
            "night" => Ok(Band::Night),
            "weekend" => Ok(Band::Weekend),
            other => Err(BandError(other.to_owned())),
        }
    }
}

impl fmt::Display for Band {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn band_names_round_trip() {
        for band in Band::ALL {
            assert_eq!(band.as_str().parse::<Band>(), Ok(band));
        }
        assert!("evening".parse::<Band>().is_err());
    }
}
