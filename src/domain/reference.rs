//! Reference records: services, workers, people, rate-card units and payer arrangements.

use std::collections::HashSet;

use chrono::NaiveDate;

use super::ids::{CostCentreId, PayerId, PersonId, ServiceCode, WorkerId};
use super::money::{Pence, Rate};

/// A value outside a closed list of words, with the list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{value}' is not one of: {allowed}")]
pub struct WordError {
    pub value: String,
    pub allowed: &'static str,
}

macro_rules! word_enum {
    ($(#[$doc:meta])* $name:ident {
        $($(#[$variant_doc:meta])* $variant:ident => $word:literal),+ $(,)?
    }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($(#[$variant_doc])* $variant),+ }

        impl $name {
            pub const ALLOWED: &'static str = concat!($($word, " "),+);

            /// Every value, in the order of [`Self::ALLOWED`].
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The word used in files and the database.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }

            /// The value written exactly as `word` (no surrounding spaces), if any.
            pub fn from_word(word: &str) -> Option<Self> {
                match word {
                    $($word => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        /// Parses a word from a file: surrounding spaces are ignored.
        impl ::std::str::FromStr for $name {
            type Err = $crate::domain::reference::WordError;
            fn from_str(raw: &str) -> Result<Self, $crate::domain::reference::WordError> {
                let trimmed = raw.trim();
                Self::from_word(trimmed).ok_or_else(|| $crate::domain::reference::WordError {
                    value: trimmed.to_owned(),
                    allowed: Self::ALLOWED.trim_end(),
                })
            }
        }

        /// Reads a stored word back: it must be exactly one of the words.
        impl TryFrom<String> for $name {
            type Error = $crate::domain::reference::WordError;
            fn try_from(stored: String) -> Result<Self, $crate::domain::reference::WordError> {
                Self::from_word(&stored).ok_or_else(|| $crate::domain::reference::WordError {
                    value: stored,
                    allowed: Self::ALLOWED.trim_end(),
                })
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use word_enum;

word_enum!(
    /// How a service's time is paid to the worker (docs/formats.md services).
    PayElement {
        Contact => "contact",
        Travel => "travel",
        SleepIn => "sleep_in",
        Awake => "awake",
        WakingNight => "waking_night",
        Admin => "admin",
        Unpaid => "unpaid",
    }
);

impl PayElement {
    /// True when the worker is paid per minute for this time (K1); a sleep-in pays a flat
    /// allowance instead and unpaid time pays nothing.
    pub fn is_paid_by_the_minute(self) -> bool {
        !matches!(self, PayElement::SleepIn | PayElement::Unpaid)
    }
}

word_enum!(
    /// How a rate-card entry charges (docs/rules.md C1).
    Unit {
        Hour => "hour",
        Night => "night",
        Fixed => "fixed",
    }
);

word_enum!(
    /// The format a person's documents are produced in.
    DocumentFormat {
        Standard => "standard",
        LargePrint => "large_print",
        EasyRead => "easy_read",
    }
);

word_enum!(
    /// What kind of payer a payer is.
    PayerKind {
        LocalAuthority => "local_authority",
        Person => "person",
        Representative => "representative",
        Nhs => "nhs",
        Other => "other",
    }
);

word_enum!(
    /// How a payer shares a person's charges (docs/rules.md P2).
    ArrangementKind {
        Full => "full",
        Percentage => "percentage",
        Contribution => "contribution",
    }
);

/// A service on the menu.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Service {
    pub code: ServiceCode,
    pub name: String,
    pub pay_element: PayElement,
}

/// A support worker as the engine needs them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Worker {
    pub worker_id: WorkerId,
    pub name: String,
    pub payroll_number: String,
    pub cost_centre: CostCentreId,
    pub base_rate: Rate,
    pub date_of_birth: Option<NaiveDate>,
}

/// A person supported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    pub person_id: PersonId,
    pub name: String,
    pub cost_centre: CostCentreId,
    pub document_format: DocumentFormat,
    pub contact_name: String,
    pub contact_email: String,
}

/// One payer's share of a person's charges.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arrangement {
    pub person_id: PersonId,
    pub payer_id: PayerId,
    pub kind: ArrangementKind,
    /// Percentage share in hundredths of a percent (`percentage` only): 33.33% is 3333.
    pub share_basis_points: Option<i64>,
    /// Fixed weekly contribution (`contribution` only).
    pub weekly_amount: Option<Pence>,
}

/// What the validator needs to know exists.
pub trait Directory {
    fn has_worker(&self, worker: &WorkerId) -> bool;
    fn has_person(&self, person: &PersonId) -> bool;
    fn has_service(&self, service: &ServiceCode) -> bool;
}

/// The first date of every history: a base rate a workers file gives a new worker applies from
/// here, that is from the beginning (docs/formats.md, base rates).
pub const FROM_THE_BEGINNING: NaiveDate = match NaiveDate::from_ymd_opt(1900, 1, 1) {
    Some(date) => date,
    None => panic!("1900-01-01 is a date"),
};

/// Which table a parsed row goes to (pay rules feed two tables).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    CostCentre,
    Service,
    Worker,
    BaseRate,
    Person,
    Payer,
    Arrangement,
    RateCardEntry,
    PayEnhancement,
    SleepInAllowance,
    Budget,
    BankHoliday,
    OneOff,
}

/// Keys that rows may refer to, loaded from the database plus the file itself.
#[derive(Clone, Debug, Default)]
pub struct KnownKeys {
    pub cost_centres: HashSet<String>,
    pub workers: HashSet<String>,
    pub people: HashSet<String>,
    pub payers: HashSet<String>,
    pub services: HashSet<String>,
}
