//! Who may see what: roles, the principal a token stands for, and its scope over workers and
//! people; and who may name whom on a shift. Pure; the HTTP layer asks these questions and the
//! store applies the same scope in SQL.

use std::collections::{BTreeMap, BTreeSet};
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

    /// The people this principal may name on a shift, by their cost centre: the one rule for the
    /// phone page, the API and CSV uploads.
    ///
    /// - a worker: the people of their own cost centre (`own_centre`, the cost centre of the
    ///   token's worker), plus the extra cost centres configured for that worker or that cost
    ///   centre;
    /// - a manager: the people of their cost centres, plus the extras configured for those cost
    ///   centres;
    /// - finance: anyone;
    /// - a family: no one (families only read).
    pub fn reach(&self, own_centre: Option<&CostCentreId>, extra: &ExtraCostCentres) -> Reach {
        match &self.scope {
            Scope::Everything => Reach::Anyone,
            Scope::People(_) => Reach::CostCentres(BTreeSet::new()),
            Scope::Worker(worker) => {
                let mut centres: BTreeSet<CostCentreId> = own_centre.into_iter().cloned().collect();
                centres.extend(extra.of_worker(worker).cloned());
                if let Some(own) = own_centre {
                    centres.extend(extra.of_cost_centre(own).cloned());
                }
                Reach::CostCentres(centres)
            }
            Scope::CostCentres(own) => {
                let mut centres: BTreeSet<CostCentreId> = own.iter().cloned().collect();
                for centre in own {
                    centres.extend(extra.of_cost_centre(centre).cloned());
                }
                Reach::CostCentres(centres)
            }
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

    /// Finance alone reads the audit trails of shifts and reference data.
    pub fn may_read_audit(&self) -> bool {
        self.role == Role::Finance
    }
}

/// The people a principal may name on a shift: anyone, or the people of some cost centres. A
/// person outside it is refused exactly as an unknown person is, so the refusal tells nobody
/// which person ids exist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reach {
    Anyone,
    CostCentres(BTreeSet<CostCentreId>),
}

impl Reach {
    /// Whether a person of `person_centre` (`None`: a person with no known cost centre) may be
    /// named.
    pub fn covers(&self, person_centre: Option<&CostCentreId>) -> bool {
        match self {
            Reach::Anyone => true,
            Reach::CostCentres(centres) => person_centre.is_some_and(|c| centres.contains(c)),
        }
    }
}

/// Extra cost centres whose people may be named on shifts, for support across teams: keyed by a
/// worker (that worker's own submissions) or by a cost centre (its workers' submissions and its
/// managers').
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExtraCostCentres {
    by_worker: BTreeMap<WorkerId, BTreeSet<CostCentreId>>,
    by_cost_centre: BTreeMap<CostCentreId, BTreeSet<CostCentreId>>,
}

/// Why extra cost centres cannot be added.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtraCostCentresError {
    #[error("worker '{0}' is listed more than once")]
    WorkerTwice(WorkerId),
    #[error("cost centre '{0}' is listed more than once")]
    CostCentreTwice(CostCentreId),
    #[error("names no extra cost centres")]
    Empty,
}

impl ExtraCostCentres {
    /// Adds the extra cost centres of one worker; each worker is listed once.
    pub fn add_worker(
        &mut self,
        worker: WorkerId,
        centres: impl IntoIterator<Item = CostCentreId>,
    ) -> Result<(), ExtraCostCentresError> {
        let centres: BTreeSet<CostCentreId> = centres.into_iter().collect();
        if centres.is_empty() {
            return Err(ExtraCostCentresError::Empty);
        }
        if self.by_worker.contains_key(&worker) {
            return Err(ExtraCostCentresError::WorkerTwice(worker));
        }
        self.by_worker.insert(worker, centres);
        Ok(())
    }

    /// Adds the extra cost centres of one cost centre; each cost centre is listed once.
    pub fn add_cost_centre(
        &mut self,
        centre: CostCentreId,
        centres: impl IntoIterator<Item = CostCentreId>,
    ) -> Result<(), ExtraCostCentresError> {
        let centres: BTreeSet<CostCentreId> = centres.into_iter().collect();
        if centres.is_empty() {
            return Err(ExtraCostCentresError::Empty);
        }
        if self.by_cost_centre.contains_key(&centre) {
            return Err(ExtraCostCentresError::CostCentreTwice(centre));
        }
        self.by_cost_centre.insert(centre, centres);
        Ok(())
    }

    /// The extra cost centres of a worker.
    pub fn of_worker(&self, worker: &WorkerId) -> impl Iterator<Item = &CostCentreId> {
        self.by_worker.get(worker).into_iter().flatten()
    }

    /// The extra cost centres of a cost centre.
    pub fn of_cost_centre(&self, centre: &CostCentreId) -> impl Iterator<Item = &CostCentreId> {
        self.by_cost_centre.get(centre).into_iter().flatten()
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

/// Where a token stands, as `tms token list` shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenState {
    /// Works, and will for longer than the warning period.
    Live,
    /// Works, but stops within the warning period: this many whole days are left (0 on its last
    /// day).
    Expiring { days_left: i64 },
    /// Its expiry has passed.
    Expired,
    /// Revoked (whether or not it has also expired since).
    Revoked,
    /// Works, and was made never to expire.
    NoExpiry,
}

impl TokenState {
    /// A token's state at `now`, warning `warning` ahead of its expiry.
    pub fn at(
        expires_at: Option<chrono::DateTime<chrono::Utc>>,
        revoked_at: Option<chrono::DateTime<chrono::Utc>>,
        now: chrono::DateTime<chrono::Utc>,
        warning: chrono::Duration,
    ) -> TokenState {
        match (revoked_at, expires_at) {
            (Some(_), _) => TokenState::Revoked,
            (None, None) => TokenState::NoExpiry,
            (None, Some(at)) if at <= now => TokenState::Expired,
            (None, Some(at)) if at - now <= warning => TokenState::Expiring {
                days_left: (at - now).num_days(),
            },
            (None, Some(_)) => TokenState::Live,
        }
    }

    /// The state in a word or two: `live`, `expires soon`, `expired`, `revoked`, `no expiry`.
    pub fn words(self) -> &'static str {
        match self {
            TokenState::Live => "live",
            TokenState::Expiring { .. } => "expires soon",
            TokenState::Expired => "expired",
            TokenState::Revoked => "revoked",
            TokenState::NoExpiry => "no expiry",
        }
    }
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
    fn each_role_names_only_the_people_within_its_reach() {
        let cc = |id: &str| CostCentreId::parse(id).unwrap();
        let principal = |role, ids: &[&str]| Principal {
            token_id: "t".into(),
            role,
            scope: Scope::new(role, &subjects(ids)).unwrap(),
        };
        let none = ExtraCostCentres::default();
        let worker = principal(Role::Worker, &["W1"]);
        let reach = worker.reach(Some(&cc("CC1")), &none);
        assert!(reach.covers(Some(&cc("CC1"))), "a worker's own cost centre");
        assert!(!reach.covers(Some(&cc("CC2"))), "another cost centre");
        assert!(!reach.covers(None), "a person of no known cost centre");
        // A worker whose own cost centre is not known reaches no one.
        assert!(!worker.reach(None, &none).covers(Some(&cc("CC1"))));

        let manager = principal(Role::Manager, &["CC1", "CC3"]);
        let reach = manager.reach(None, &none);
        assert!(reach.covers(Some(&cc("CC1"))) && reach.covers(Some(&cc("CC3"))));
        assert!(!reach.covers(Some(&cc("CC2"))));

        let finance = principal(Role::Finance, &[]);
        assert_eq!(finance.reach(None, &none), Reach::Anyone);
        assert!(finance.reach(None, &none).covers(Some(&cc("CC9"))));

        let family = principal(Role::Family, &["P1"]);
        assert!(!family.reach(None, &none).covers(Some(&cc("CC1"))));
    }

    #[test]
    fn extra_cost_centres_widen_a_workers_and_a_teams_reach() {
        let cc = |id: &str| CostCentreId::parse(id).unwrap();
        let w = |id: &str| WorkerId::parse(id).unwrap();
        let mut extra = ExtraCostCentres::default();
        extra.add_worker(w("W1"), [cc("CC2")]).unwrap();
        extra.add_cost_centre(cc("CC1"), [cc("CC3")]).unwrap();
        assert_eq!(
            extra.add_worker(w("W1"), [cc("CC4")]),
            Err(ExtraCostCentresError::WorkerTwice(w("W1")))
        );
        assert_eq!(
            extra.add_cost_centre(cc("CC1"), [cc("CC4")]),
            Err(ExtraCostCentresError::CostCentreTwice(cc("CC1")))
        );
        assert_eq!(
            extra.add_cost_centre(cc("CC5"), []),
            Err(ExtraCostCentresError::Empty)
        );
        let principal = |role, ids: &[&str]| Principal {
            token_id: "t".into(),
            role,
            scope: Scope::new(role, &subjects(ids)).unwrap(),
        };
        // W1 (CC1): its own cost centre, its own extra CC2 and its team's extra CC3.
        let reach = principal(Role::Worker, &["W1"]).reach(Some(&cc("CC1")), &extra);
        for centre in ["CC1", "CC2", "CC3"] {
            assert!(reach.covers(Some(&cc(centre))), "W1 reaches {centre}");
        }
        assert!(!reach.covers(Some(&cc("CC4"))));
        // W2 (CC1) has the team's extra, not W1's.
        let reach = principal(Role::Worker, &["W2"]).reach(Some(&cc("CC1")), &extra);
        assert!(reach.covers(Some(&cc("CC3"))));
        assert!(!reach.covers(Some(&cc("CC2"))), "W1's extra is W1's alone");
        // CC1's manager has the team's extra, not one worker's.
        let reach = principal(Role::Manager, &["CC1"]).reach(None, &extra);
        assert!(reach.covers(Some(&cc("CC3"))));
        assert!(!reach.covers(Some(&cc("CC2"))));
        // Another team's manager gains nothing from CC1's extras.
        let reach = principal(Role::Manager, &["CC4"]).reach(None, &extra);
        assert!(!reach.covers(Some(&cc("CC3"))));
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

    #[test]
    fn a_token_warns_before_it_expires_and_then_shows_as_expired() {
        use chrono::{Duration, TimeZone, Utc};
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
        let warn = Duration::days(14);
        let state = |expires: Option<Duration>, revoked: bool| {
            TokenState::at(
                expires.map(|d| now + d),
                revoked.then_some(now - Duration::days(1)),
                now,
                warn,
            )
        };
        assert_eq!(state(Some(Duration::days(15)), false), TokenState::Live);
        assert_eq!(
            state(Some(Duration::days(14)), false),
            TokenState::Expiring { days_left: 14 }
        );
        assert_eq!(
            state(Some(Duration::hours(5)), false),
            TokenState::Expiring { days_left: 0 }
        );
        assert_eq!(state(Some(Duration::zero()), false), TokenState::Expired);
        assert_eq!(state(Some(-Duration::days(3)), false), TokenState::Expired);
        assert_eq!(state(Some(-Duration::days(3)), true), TokenState::Revoked);
        assert_eq!(state(None, false), TokenState::NoExpiry);
        assert_eq!(TokenState::Expired.words(), "expired");
    }
}
