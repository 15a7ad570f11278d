//! Case-sensitive string identifiers, one newtype per kind of thing, compared in byte order.

use std::fmt;

/// Longest identifier accepted anywhere; longer input is refused rather than truncated.
pub const ID_LEN_MAX: usize = 64;

/// Why a string is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("is empty")]
    Empty,
    #[error("is longer than {ID_LEN_MAX} characters")]
    TooLong,
    #[error("contains whitespace, a control character or ';'")]
    BadCharacter,
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize, sqlx::Type)]
        #[serde(try_from = "String", into = "String")]
        #[sqlx(transparent)]
        pub struct $name(String);

        impl $name {
            /// Parses an identifier: non-empty, at most [`ID_LEN_MAX`] characters, no whitespace or `;`.
            pub fn parse(raw: &str) -> Result<Self, IdError> {
                check_id(raw)?;
                Ok(Self(raw.to_owned()))
            }

            /// The identifier as written.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(raw: String) -> Result<Self, IdError> {
                check_id(&raw)?;
                Ok(Self(raw))
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

fn check_id(raw: &str) -> Result<(), IdError> {
    if raw.is_empty() {
        return Err(IdError::Empty);
    }
    if raw.chars().count() > ID_LEN_MAX {
        return Err(IdError::TooLong);
    }
    if raw
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == ';')
    {
        return Err(IdError::BadCharacter);
    }
    Ok(())
}

string_id!(
    /// A person supported (the customer whose budget pays for support).
    PersonId
);
string_id!(
    /// A support worker.
    WorkerId
);
string_id!(
    /// A service code from the service list or rate card, e.g. `PERSONAL_CARE`.
    ServiceCode
);
string_id!(
    /// A payer: council, person, family member or other funder.
    PayerId
);
string_id!(
    /// A cost centre (team, house or region) that owns workers and people.
    CostCentreId
);
string_id!(
    /// The submitter's reference for a shift; unique per worker.
    ShiftRef
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_compare_in_byte_order() {
        let p10 = PersonId::parse("P10").unwrap();
        let p9 = PersonId::parse("P9").unwrap();
        assert!(p10 < p9, "byte order puts P10 before P9");
    }

    #[test]
    fn ids_refuse_empty_spaces_and_separators() {
        assert_eq!(PersonId::parse(""), Err(IdError::Empty));
        assert_eq!(PersonId::parse("A B"), Err(IdError::BadCharacter));
        assert_eq!(PersonId::parse("A;B"), Err(IdError::BadCharacter));
        assert_eq!(PersonId::parse(&"x".repeat(65)), Err(IdError::TooLong));
        assert!(PersonId::parse("a").is_ok());
    }
}
