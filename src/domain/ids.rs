//! Case-sensitive string identifiers, one newtype per kind of thing, compared in byte order.
//! Ids are printable ASCII (`!` to `~`) without spaces or `;`, so two ids that look alike on
//! screen are the same id: no zero-width characters, accents or letters from other alphabets.

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
    #[error(
        "contains {0:?}: ids are printable ASCII letters, digits and punctuation, without spaces or ';'"
    )]
    BadCharacter(char),
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parses an identifier: non-empty, at most [`ID_LEN_MAX`] characters of printable ASCII
            /// (`!` to `~`) other than `;`.
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
    if let Some(bad) = raw.chars().find(|&c| !id_character(c)) {
        return Err(IdError::BadCharacter(bad));
    }
    if raw.len() > ID_LEN_MAX {
        return Err(IdError::TooLong);
    }
    Ok(())
}

/// Whether `c` may appear in an id: printable ASCII from `!` (0x21) to `~` (0x7E), except `;`,
/// which separates ids in lists.
fn id_character(c: char) -> bool {
    c.is_ascii_graphic() && c != ';'
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
        assert_eq!(PersonId::parse("A B"), Err(IdError::BadCharacter(' ')));
        assert_eq!(PersonId::parse("A;B"), Err(IdError::BadCharacter(';')));
        assert_eq!(PersonId::parse("A\tB"), Err(IdError::BadCharacter('\t')));
        assert_eq!(PersonId::parse(&"x".repeat(65)), Err(IdError::TooLong));
        assert!(PersonId::parse(&"x".repeat(64)).is_ok());
        assert!(PersonId::parse("a").is_ok());
    }

    #[test]
    fn ids_are_printable_ascii_so_look_alikes_are_refused() {
        // Every printable ASCII character but ';' is allowed.
        let printable: String = ('!'..='~').filter(|&c| c != ';').collect();
        for chunk in printable.as_bytes().chunks(ID_LEN_MAX) {
            let id = std::str::from_utf8(chunk).unwrap();
            assert!(WorkerId::parse(id).is_ok(), "{id}");
        }
        // A zero-width space after P0001 would make a second person who reads as P0001.
        assert_eq!(
            PersonId::parse("P0001\u{200b}"),
            Err(IdError::BadCharacter('\u{200b}'))
        );
        // Cyrillic Р (U+0420) looks like Latin P.
        assert_eq!(
            PersonId::parse("\u{0420}0001"),
            Err(IdError::BadCharacter('\u{0420}'))
        );
        // So do a no-break space, an accented letter and a full-width digit.
        for look_alike in ["P\u{a0}1", "P\u{e9}1", "P\u{ff11}"] {
            assert!(
                matches!(PersonId::parse(look_alike), Err(IdError::BadCharacter(_))),
                "{look_alike:?}"
            );
        }
        // The reason names the character, escaped so an invisible one shows.
        let reason = CostCentreId::parse("CC\u{200b}1").unwrap_err().to_string();
        assert!(reason.contains("'\\u{200b}'"), "{reason}");
        assert!(reason.contains("printable ASCII"), "{reason}");
        // Deserialising goes through the same check.
        assert!(serde_json::from_str::<PersonId>("\"\u{0420}1\"").is_err());
    }
}
