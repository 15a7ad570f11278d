//! Who may see what: roles, the principal a token stands for, and its scope over workers and
//! people. Pure; the HTTP layer asks these questions and the store applies the same scope in SQL.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};

use super::{CostCentreId, PersonId, WorkerId};

/// What a token may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A support worker: their own shifts.
    Worker,
    /// A manager: the shifts of workers, and the charges of people, in their cost centres.
    Manager,
    /// Finance: everything.
    Finance,
    /// A family or circle of support: read-only, their own people.
    Family,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Worker, Role::Manager, Role::Finance, Role::Family];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Worker => "worker",
            Role::Manager => "manager",
            Role::Finance => "finance",
            Role::Family => "family",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not one of the four.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a role: use worker, manager, finance or family")]
pub struct RoleError(pub String);

impl FromStr for Role {
    type Err = RoleError;
    fn from_str(raw: &str) -> Result<Self, RoleError> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == raw)
            .ok_or_else(|| RoleError(raw.to_owned()))
    }
}

/// What a principal's subjects name, by role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    Worker(WorkerId),
    CostCentres(Vec<CostCentreId>),
    Everything,
    People(Vec<PersonId>),
}

/// Why a token's subjects do not fit its role.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error("a {0} token needs --subject")]
    Missing(Role),
    #[error("a worker token is for exactly one worker")]
    OneWorker,
    #[error("a finance token takes no --subject")]
    FinanceSubject,
    #[error("subject '{0}' {1}")]
    BadId(String, super::ids::IdError),
}

impl Scope {
    /// Builds the scope of a role from its subjects.
    pub fn new(role: Role, subjects: &[String]) -> Result<Scope, ScopeError> {
        let subjects: Vec<&str> = subjects
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect();
        let bad = |raw: &str, e| ScopeError::BadId(raw.to_owned(), e);
        match role {
            Role::Finance if subjects.is_empty() => Ok(Scope::Everything),
            Role::Finance => Err(ScopeError::FinanceSubject),
            _ if subjects.is_empty() => Err(ScopeError::Missing(role)),
            Role::Worker if subjects.len() > 1 => Err(ScopeError::OneWorker),
            Role::Worker => WorkerId::parse(subjects[0])
                .map(Scope::Worker)
                .map_err(|e| bad(subjects[0], e)),
            Role::Manager => subjects
                .iter()
                .map(|s| CostCentreId::parse(s).map_err(|e| bad(s, e)))
                .collect::<Result<Vec<_>, _>>()
                .map(Scope::CostCentres),
            Role::Family => subjects
                .iter()
                .map(|s| PersonId::parse(s).map_err(|e| bad(s, e)))
                .collect::<Result<Vec<_>, _>>()
                .map(Scope::People),
        }
    }

    /// The subjects as stored: ids joined by `;`, which no id contains.
    pub fn subjects(&self) -> String {
        match self {
            Scope::Worker(w) => w.to_string(),
            Scope::CostCentres(cs) => join(cs.iter().map(CostCentreId::as_str)),
            Scope::Everything => String::new(),
            Scope::People(ps) => join(ps.iter().map(PersonId::as_str)),
        }
    }
}

fn join<'a>(ids: impl Iterator<Item = &'a str>) -> String {
    ids.collect::<Vec<_>>().join(";")
}

/// The identity behind a request: a token's role and scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub token_id: String,
    pub role: Role,
    pub scope: Scope,
}

impl Principal {
    /// Who this is, for audit trails and idempotency keys: `worker:W1`, `manager:CC1;CC2`,
    /// `finance:<token>`.
    pub fn key(&self) -> String {
        match &self.scope {
            Scope::Everything => format!("finance:{}", self.token_id),
            scope => format!("{}:{}", self.role, scope.subjects()),
        }
    }

    /// The worker a worker token stands for.
    pub fn own_worker(&self) -> Option<&WorkerId> {
        match &self.scope {
            Scope::Worker(w) => Some(w),
            _ => None,
        }
    }

    /// Whether the shifts of a worker in `cost_centre` are visible.
    pub fn sees_worker(&self, worker: &WorkerId, cost_centre: Option<&CostCentreId>) -> bool {
        match &self.scope {
            Scope::Worker(own) => own == worker,
            Scope::CostCentres(cs) => cost_centre.is_some_and(|c| cs.contains(c)),
            Scope::Everything => true,
            Scope::People(_) => false,
        }
    }

    /// Whether the charges and allocation of a person in `cost_centre` are visible.
    pub fn sees_person(&self, person: &PersonId, cost_centre: Option<&CostCentreId>) -> bool {
        match &self.scope {
            Scope::Worker(_) => false,
            Scope::CostCentres(cs) => cost_centre.is_some_and(|c| cs.contains(c)),
            Scope::Everything => true,
            Scope::People(own) => own.contains(person),
        }
    }

    /// Managers and finance decide on shifts.
    pub fn may_decide(&self) -> bool {
        matches!(self.role, Role::Manager | Role::Finance)
    }

    /// Workers, managers and finance record shifts; families only read.
    pub fn may_record(&self) -> bool {
        self.role != Role::Family
    }

    /// Managers, finance and families read charges; workers do not.
    pub fn may_read_charges(&self) -> bool {
        self.role != Role::Worker
    }
}

/// A fresh secret: 32 random bytes as 64 hex characters.
pub fn new_secret() -> String {
    use rand::TryRngCore;
    let mut bytes = [0_u8; 32];
    rand::rngs::OsRng
        .try_fill_bytes(&mut bytes)
        .expect("the operating system's random source works");
    hex(&bytes)
}

/// A short public id: 8 random bytes as 16 hex characters.
pub fn new_public_id() -> String {
    new_secret()[..16].to_owned()
}

/// The SHA-256 digest of a secret as hex: what is stored in its place.
pub fn digest(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// Compares two digests in time independent of where they differ.
pub fn digests_match(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0_u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A bearer token as shown once to its owner: `tms_<token_id>_<secret>`.
pub fn token_text(token_id: &str, secret: &str) -> String {
    format!("tms_{token_id}_{secret}")
}

/// Splits a bearer token into its id and secret.
pub fn parse_token(text: &str) -> Option<(&str, &str)> {
    let rest = text.trim().strip_prefix("tms_")?;
    let (id, secret) = rest.split_once('_')?;
    let hexy = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hexy(id) && hexy(secret) && id.len() <= 32 && secret.len() <= 128).then_some((id, secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subjects(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn scopes_follow_roles() {
        assert_eq!(
            Scope::new(Role::Worker, &subjects(&["W1"])).unwrap(),
            Scope::Worker(WorkerId::parse("W1").unwrap())
        );
        assert_eq!(
            Scope::new(Role::Worker, &subjects(&["W1", "W2"])),
            Err(ScopeError::OneWorker)
        );
        assert_eq!(Scope::new(Role::Finance, &[]).unwrap(), Scope::Everything);
        assert_eq!(
            Scope::new(Role::Family, &[]),
            Err(ScopeError::Missing(Role::Family))
        );
        let manager = Scope::new(Role::Manager, &subjects(&["CC1", "CC2"])).unwrap();
        assert_eq!(manager.subjects(), "CC1;CC2");
    }

    #[test]
    fn each_role_sees_only_its_own() {
        let w1 = WorkerId::parse("W1").unwrap();
        let w2 = WorkerId::parse("W2").unwrap();
        let cc1 = CostCentreId::parse("CC1").unwrap();
        let cc2 = CostCentreId::parse("CC2").unwrap();
        let p1 = PersonId::parse("P1").unwrap();
        let p2 = PersonId::parse("P2").unwrap();
        let principal = |role, ids: &[&str]| Principal {
            token_id: "t".into(),
            role,
            scope: Scope::new(role, &subjects(ids)).unwrap(),
        };
        let worker = principal(Role::Worker, &["W1"]);
        assert!(worker.sees_worker(&w1, Some(&cc2)));
        assert!(!worker.sees_worker(&w2, Some(&cc1)));
        assert!(!worker.sees_person(&p1, Some(&cc1)));
        let manager = principal(Role::Manager, &["CC1"]);
        assert!(manager.sees_worker(&w2, Some(&cc1)));
        assert!(!manager.sees_worker(&w1, Some(&cc2)));
        assert!(manager.sees_person(&p2, Some(&cc1)));
        let family = principal(Role::Family, &["P1"]);
        assert!(family.sees_person(&p1, Some(&cc2)));
        assert!(!family.sees_person(&p2, Some(&cc2)));
        assert!(!family.sees_worker(&w1, Some(&cc1)));
        assert!(!family.may_record());
        assert!(principal(Role::Finance, &[]).sees_person(&p2, None));
    }

    #[test]
    fn tokens_round_trip_and_digests_compare() {
        let (id, secret) = (new_public_id(), new_secret());
        let text = token_text(&id, &secret);
        assert_eq!(parse_token(&text), Some((id.as_str(), secret.as_str())));
        assert_eq!(parse_token("tms_zz_11"), None);
        assert_eq!(parse_token("Bearer x"), None);
        assert!(digests_match(&digest(&secret), &digest(&secret)));
        assert!(!digests_match(&digest(&secret), &digest("other")));
        assert_ne!(new_secret(), new_secret());
    }
}
