//! Layered settings: config/default.toml (built in) < an optional file < TMS_* environment.

use std::fmt;
use std::path::{Path, PathBuf};

use chrono::NaiveTime;
use serde::Deserialize;

use crate::calendar::BandRules;
use crate::calendar::schedule::Schedule;
use crate::domain::{Band, CostCentreId, ExtraCostCentres, LocalZone, Role, WorkerId};
pub use crate::store::redact_url;

/// The built-in defaults: the same file that ships as `config/default.toml`.
const DEFAULTS: &str = include_str!("../config/default.toml");

/// Why settings could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read settings: {0}")]
    Load(#[from] config::ConfigError),
    #[error("setting {key}: {reason}")]
    Invalid { key: &'static str, reason: String },
}

/// Every setting tms reads, as written in the files and the environment.
#[derive(Clone, Debug, Deserialize)]
struct SettingsFile {
    pub database: DatabaseSettings,
    pub provider: ProviderSettings,
    pub bands: BandSettings,
    pub paths: PathSettings,
    pub import: ImportSettings,
    pub server: ServerSettings,
    pub api: ApiSettings,
    pub runner: RunnerSettings,
    pub email: EmailSettings,
    #[serde(default)]
    access: AccessSettings,
    pub tokens: TokenSettings,
}

/// Every setting tms reads: the sections as written, and the values that need parsing (the zone,
/// the band rules, the schedule and the extra cost centres) parsed once, at load. Code that
/// changes a written section afterwards calls [`Settings::reparse`].
#[derive(Clone, Debug)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub provider: ProviderSettings,
    pub bands: BandSettings,
    pub paths: PathSettings,
    pub import: ImportSettings,
    pub server: ServerSettings,
    pub api: ApiSettings,
    pub runner: RunnerSettings,
    pub email: EmailSettings,
    pub access: AccessSettings,
    pub tokens: TokenSettings,
    parsed: Parsed,
}

/// How long tokens last: the life `tms token create` gives each role when `--expires` does not
/// say, and how far ahead `tms token list` warns.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSettings {
    pub worker_days: i64,
    pub family_days: i64,
    pub manager_days: i64,
    pub finance_days: i64,
    /// Live tokens expiring within this many days are listed with a warning.
    pub warn_days: i64,
}

/// The longest default life a role's tokens may be given: five years, as `--expires` allows.
pub const TOKEN_DAYS_MAX: i64 = 5 * 365 + 1;

impl TokenSettings {
    /// The life a new token of `role` gets when `--expires` does not say.
    pub fn lifetime(&self, role: Role) -> chrono::Duration {
        let days = match role {
            Role::Worker => self.worker_days,
            Role::Family => self.family_days,
            Role::Manager => self.manager_days,
            Role::Finance => self.finance_days,
        };
        chrono::Duration::days(days)
    }

    /// How far ahead `tms token list` warns of expiry.
    pub fn warning(&self) -> chrono::Duration {
        chrono::Duration::days(self.warn_days)
    }

    fn check(&self) -> Result<(), ConfigError> {
        for (key, days) in [
            ("tokens.worker_days", self.worker_days),
            ("tokens.family_days", self.family_days),
            ("tokens.manager_days", self.manager_days),
            ("tokens.finance_days", self.finance_days),
        ] {
            if !(1..=TOKEN_DAYS_MAX).contains(&days) {
                return Err(ConfigError::Invalid {
                    key,
                    reason: format!(
                        "{days}: a token lasts from 1 to {TOKEN_DAYS_MAX} days (five years); give a token that never expires `--expires never` when it is made"
                    ),
                });
            }
        }
        if !(0..=TOKEN_DAYS_MAX).contains(&self.warn_days) {
            return Err(ConfigError::Invalid {
                key: "tokens.warn_days",
                reason: format!("{}: use 0 to {TOKEN_DAYS_MAX} days", self.warn_days),
            });
        }
        Ok(())
    }
}

/// The settings that are read from text, parsed.
#[derive(Clone, Debug)]
struct Parsed {
    zone: LocalZone,
    band_rules: BandRules,
    schedule: Schedule,
    extra_cost_centres: ExtraCostCentres,
}

/// Who may name whom on a shift beyond their own cost centres: support across teams.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct AccessSettings {
    /// Each entry names one worker or one cost centre and the extra cost centres whose people
    /// it may name.
    #[serde(default)]
    pub extra_cost_centres: Vec<ExtraCostCentresEntry>,
}

/// One worker's or one cost centre's extra cost centres, as written in the settings.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtraCostCentresEntry {
    /// The worker whose own submissions may name these cost centres' people.
    #[serde(default)]
    pub worker: Option<String>,
    /// The cost centre whose workers and managers may name these cost centres' people.
    #[serde(default)]
    pub cost_centre: Option<String>,
    pub cost_centres: Vec<String>,
}

/// The nightly pipeline: its inbox, schedule, lease and partitions.
#[derive(Clone, Debug, Deserialize)]
pub struct RunnerSettings {
    /// CSV files dropped here are ingested each night; `done/` and `rejects/` are inside it.
    pub inbox_dir: PathBuf,
    /// A file changed more recently than this waits for the next run (it may still be arriving).
    pub settle_seconds: u64,
    /// Cron pattern (minute hour day month weekday) in the provider's zone.
    pub schedule: String,
    /// Whether `tms serve` runs the schedule itself.
    pub in_serve: bool,
    /// Missed nights caught up at most.
    pub catch_up_days: u32,
    /// Days after a period's last day before its period steps run.
    pub period_close_days: i64,
    /// How long the run lease and a partition claim last without renewal.
    pub lease_seconds: i64,
    /// Whether the run itself works on partitions or leaves them all to `tms worker`.
    pub local_partitions: bool,
    /// Finance addresses the run report is emailed to.
    pub report_to: Vec<String>,
}

/// How email leaves the outbox.
#[derive(Clone, Deserialize)]
pub struct EmailSettings {
    /// `file` writes each message to `outbox_dir` as MESSAGE-ID.eml; `smtp` sends to `smtp_url`.
    pub transport: String,
    pub outbox_dir: PathBuf,
    /// e.g. smtp://mail.example.org:587?tls=required (credentials from TMS_EMAIL__SMTP_URL).
    pub smtp_url: String,
    pub smtp_timeout_seconds: u64,
    /// The sender, e.g. "Care Finance <finance@example.org>".
    pub from: String,
    /// The domain part of every Message-ID tms makes.
    pub message_id_domain: String,
}

/// `tms serve`: where it listens and how it protects itself.
#[derive(Clone, Debug, Deserialize)]
pub struct ServerSettings {
    pub listen: String,
    /// The address people use to reach tms, for sign-in links. Left empty, it is `http://` and
    /// the listen address (see [`public_url_for`]).
    pub public_url: String,
    /// Whether `public_url` was left empty and so follows `listen`.
    #[serde(skip)]
    pub public_url_follows_listen: bool,
    pub request_timeout_seconds: u64,
    /// A connection that has not sent a request's whole headers within this time is closed.
    pub header_read_timeout_seconds: u64,
    /// Largest body of a page form, the sign-in form included.
    pub form_limit_bytes: usize,
    /// Largest body of a JSON API request.
    pub body_limit_bytes: usize,
    /// Largest bulk shift upload, read only once the caller may upload.
    pub upload_limit_bytes: usize,
    pub rate_limit_per_second: u32,
    pub rate_limit_burst: u32,
    /// Failed authentications allowed per client address, a minute and in a burst.
    pub failed_auth_per_minute: u32,
    pub failed_auth_burst: u32,
    pub session_hours: i64,
    pub sign_in_link_minutes: i64,
    pub secure_cookies: bool,
    pub shutdown_grace_seconds: u64,
}

impl ServerSettings {
    /// Listens on `listen` instead (`tms serve --listen`); a public URL that was not set follows.
    pub fn listen_on(&mut self, listen: &str) {
        self.listen = listen.to_owned();
        if self.public_url_follows_listen {
            self.public_url = public_url_for(listen, host_name);
        }
    }
}

/// The public URL for a server listening on `listen` when none is set: `http://` and that
/// address, with the machine's name (`host`) in place of an address that means "every
/// interface" (`0.0.0.0`, `[::]`), which no browser can reach.
pub fn public_url_for(listen: &str, host: impl FnOnce() -> Option<String>) -> String {
    let listen = listen.trim();
    let (address, port) = match listen.rsplit_once(':') {
        Some((address, port)) => (address, Some(port)),
        None => (listen, None),
    };
    let everywhere = matches!(address, "" | "0.0.0.0" | "[::]" | "::" | "*");
    let address = if everywhere {
        host().unwrap_or_else(|| "localhost".to_owned())
    } else {
        address.to_owned()
    };
    match port {
        Some(port) => format!("http://{address}:{port}"),
        None => format!("http://{address}"),
    }
}

/// The machine's name, as the kernel knows it.
fn host_name() -> Option<String> {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .map(|name| name.trim().to_owned())
        .find(|name| {
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        })
}

/// Shifts recorded through the API and the phone page.
#[derive(Clone, Debug, Deserialize)]
pub struct ApiSettings {
    /// Store shifts as approved on submission, instead of waiting for a manager.
    pub auto_approve: bool,
    /// How long an Idempotency-Key is remembered.
    pub idempotency_retention_hours: i64,
}

/// Where the data lives.
#[derive(Clone, Deserialize)]
pub struct DatabaseSettings {
    pub url: String,
    pub max_connections: u32,
}

impl fmt::Debug for DatabaseSettings {
    /// Passwords in the URL never reach logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &redact_url(&self.url))
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

impl fmt::Debug for EmailSettings {
    /// SMTP credentials in the URL never reach logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmailSettings")
            .field("transport", &self.transport)
            .field("outbox_dir", &self.outbox_dir)
            .field("smtp_url", &redact_url(&self.smtp_url))
            .field("smtp_timeout_seconds", &self.smtp_timeout_seconds)
            .field("from", &self.from)
            .field("message_id_domain", &self.message_id_domain)
            .finish()
    }
}

/// The provider's zone and calendar.
#[derive(Clone, Debug, Deserialize)]
pub struct ProviderSettings {
    pub time_zone: String,
    pub bank_holiday_calendar: String,
}

/// The night window and band precedence.
#[derive(Clone, Debug, Deserialize)]
pub struct BandSettings {
    pub night_start: String,
    pub night_end: String,
    pub precedence: Vec<String>,
}

/// Folders for data and outputs.
#[derive(Clone, Debug, Deserialize)]
pub struct PathSettings {
    pub data_dir: PathBuf,
    pub output_dir: PathBuf,
}

/// How imports behave.
#[derive(Clone, Debug, Deserialize)]
pub struct ImportSettings {
    pub auto_approve: bool,
}

impl Settings {
    /// Loads the defaults, then `file` if given, then `TMS_<SECTION>__<KEY>` variables.
    pub fn load(file: Option<&Path>) -> Result<Settings, ConfigError> {
        let mut builder = config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml));
        if let Some(path) = file {
            builder = builder.add_source(
                config::File::from(path)
                    .format(config::FileFormat::Toml)
                    .required(true),
            );
        }
        builder = builder.add_source(
            config::Environment::with_prefix("TMS")
                .prefix_separator("_")
                .separator("__")
                .list_separator(",")
                .with_list_parse_key("bands.precedence")
                .with_list_parse_key("runner.report_to")
                .try_parsing(true),
        );
        let file: SettingsFile = builder.build()?.try_deserialize()?;
        let mut settings = Settings {
            parsed: Parsed::of(&file)?,
            database: file.database,
            provider: file.provider,
            bands: file.bands,
            paths: file.paths,
            import: file.import,
            server: file.server,
            api: file.api,
            runner: file.runner,
            email: file.email,
            access: file.access,
            tokens: file.tokens,
        };
        settings.tokens.check()?;
        if settings.server.public_url.trim().is_empty() {
            settings.server.public_url = public_url_for(&settings.server.listen, host_name);
            settings.server.public_url_follows_listen = true;
        }
        if settings.runner.inbox_dir.as_os_str().is_empty() {
            settings.runner.inbox_dir = settings.paths.data_dir.join("inbox");
        }
        if settings.email.outbox_dir.as_os_str().is_empty() {
            settings.email.outbox_dir = settings.paths.output_dir.join("outbox");
        }
        if settings.server.header_read_timeout_seconds == 0 {
            return Err(ConfigError::Invalid {
                key: "server.header_read_timeout_seconds",
                reason: "must be at least 1".into(),
            });
        }
        if origin_of(&settings.server.public_url).is_none() {
            return Err(ConfigError::Invalid {
                key: "server.public_url",
                reason: format!(
                    "{:?}: use the address people reach tms at, like https://tms.example.org",
                    settings.server.public_url
                ),
            });
        }
        if !matches!(settings.email.transport.as_str(), "file" | "smtp") {
            return Err(ConfigError::Invalid {
                key: "email.transport",
                reason: format!("{:?}: use file or smtp", settings.email.transport),
            });
        }
        Ok(settings)
    }

    /// Parses the written sections again after code changed them.
    pub fn reparse(&mut self) -> Result<(), ConfigError> {
        self.parsed = Parsed::parse(&self.provider, &self.bands, &self.runner, &self.access)?;
        Ok(())
    }

    /// The provider's time zone: days, bands and periods are decided in it.
    pub fn zone(&self) -> LocalZone {
        self.parsed.zone
    }

    /// The band rules built from `[bands]`.
    pub fn band_rules(&self) -> &BandRules {
        &self.parsed.band_rules
    }

    /// When the nightly pipeline is due.
    pub fn schedule(&self) -> &Schedule {
        &self.parsed.schedule
    }

    /// The extra cost centres of `[access]`.
    pub fn extra_cost_centres(&self) -> &ExtraCostCentres {
        &self.parsed.extra_cost_centres
    }
}

impl Parsed {
    fn of(file: &SettingsFile) -> Result<Parsed, ConfigError> {
        Parsed::parse(&file.provider, &file.bands, &file.runner, &file.access)
    }

    fn parse(
        provider: &ProviderSettings,
        bands: &BandSettings,
        runner: &RunnerSettings,
        access: &AccessSettings,
    ) -> Result<Parsed, ConfigError> {
        let zone = parse_zone(provider)?;
        Ok(Parsed {
            zone,
            band_rules: parse_band_rules(bands)?,
            schedule: Schedule::parse(&runner.schedule, zone.tz()).map_err(|e| {
                ConfigError::Invalid {
                    key: "runner.schedule",
                    reason: e.to_string(),
                }
            })?,
            extra_cost_centres: parse_extra_cost_centres(access)?,
        })
    }
}

/// The extra cost centres of `[access]`, checked: each entry names exactly one worker or
/// one cost centre, once, and at least one extra cost centre, all valid ids.
fn parse_extra_cost_centres(access: &AccessSettings) -> Result<ExtraCostCentres, ConfigError> {
    let mut extra = ExtraCostCentres::default();
    for (i, entry) in access.extra_cost_centres.iter().enumerate() {
        let invalid = |reason: String| ConfigError::Invalid {
            key: "access.extra_cost_centres",
            reason: format!("entry {}: {reason}", i + 1),
        };
        let centres = entry
            .cost_centres
            .iter()
            .map(|c| CostCentreId::parse(c).map_err(|e| invalid(format!("cost centre '{c}' {e}"))))
            .collect::<Result<Vec<_>, _>>()?;
        let added = match (&entry.worker, &entry.cost_centre) {
            (Some(worker), None) => {
                let worker = WorkerId::parse(worker)
                    .map_err(|e| invalid(format!("worker '{worker}' {e}")))?;
                extra.add_worker(worker, centres)
            }
            (None, Some(centre)) => {
                let centre = CostCentreId::parse(centre)
                    .map_err(|e| invalid(format!("cost centre '{centre}' {e}")))?;
                extra.add_cost_centre(centre, centres)
            }
            _ => {
                return Err(invalid(
                    "give either worker or cost_centre, not both or neither".into(),
                ));
            }
        };
        added.map_err(|e| invalid(e.to_string()))?;
    }
    Ok(extra)
}

/// The provider's time zone.
fn parse_zone(provider: &ProviderSettings) -> Result<LocalZone, ConfigError> {
    provider
        .time_zone
        .parse()
        .map_err(|e: crate::domain::time::TimeError| ConfigError::Invalid {
            key: "provider.time_zone",
            reason: e.to_string(),
        })
}

/// The band rules built from `[bands]`.
fn parse_band_rules(bands: &BandSettings) -> Result<BandRules, ConfigError> {
    let time = |key: &'static str, raw: &str| {
        NaiveTime::parse_from_str(raw, "%H:%M").map_err(|_| ConfigError::Invalid {
            key,
            reason: format!("'{raw}' is not a time like 22:00"),
        })
    };
    let precedence = bands
        .precedence
        .iter()
        .map(|b| b.parse::<Band>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ConfigError::Invalid {
            key: "bands.precedence",
            reason: e.to_string(),
        })?;
    BandRules::new(
        time("bands.night_start", &bands.night_start)?,
        time("bands.night_end", &bands.night_end)?,
        precedence,
    )
    .map_err(|e| ConfigError::Invalid {
        key: "bands",
        reason: e.to_string(),
    })
}

/// The origin of an `http` or `https` URL as `scheme://host:port`, with the default port filled
/// in and the scheme and host in lower case; `None` for anything else.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.trim().split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port: u16 = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit('@').next()?.to_ascii_lowercase();
    let (host, port) = match authority.rfind(':') {
        Some(colon) if !authority[colon..].contains(']') => {
            (&authority[..colon], authority[colon + 1..].parse().ok()?)
        }
        _ => (authority.as_str(), default_port),
    };
    let bracketed = host.starts_with('[') && host.ends_with(']');
    if host.is_empty() || (host.contains(['[', ']']) && !bracketed) {
        return None;
    }
    Some(format!("{scheme}://{host}:{port}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_load_and_make_sense() {
        let settings = Settings::load(None).unwrap();
        assert_eq!(settings.provider.time_zone, "Europe/London");
        assert_eq!(settings.band_rules(), &BandRules::default());
        assert!(settings.import.auto_approve);
    }

    fn load_with(toml: &str) -> Result<Settings, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.toml");
        std::fs::write(&path, toml).unwrap();
        Settings::load(Some(&path))
    }

    #[test]
    fn extra_cost_centres_are_empty_by_default_and_read_from_a_file() {
        let defaults = Settings::load(None).unwrap();
        assert_eq!(defaults.extra_cost_centres(), &ExtraCostCentres::default());
        let settings = load_with(
            r#"
[[access.extra_cost_centres]]
worker = "W0042"
cost_centres = ["YH-SL02"]

[[access.extra_cost_centres]]
cost_centre = "YH-SL01"
cost_centres = ["YH-SL03", "YH-SL04"]
"#,
        )
        .unwrap();
        let extra = settings.extra_cost_centres();
        let ids = |it: &mut dyn Iterator<Item = &CostCentreId>| {
            it.map(|c| c.as_str().to_owned()).collect::<Vec<_>>()
        };
        assert_eq!(
            ids(&mut extra.of_worker(&WorkerId::parse("W0042").unwrap())),
            ["YH-SL02"]
        );
        assert_eq!(
            ids(&mut extra.of_cost_centre(&CostCentreId::parse("YH-SL01").unwrap())),
            ["YH-SL03", "YH-SL04"]
        );
        assert!(
            extra
                .of_worker(&WorkerId::parse("w0042").unwrap())
                .next()
                .is_none(),
            "ids keep their case"
        );
    }

    #[test]
    fn bad_extra_cost_centres_are_refused_at_load() {
        let cases = [
            (
                "[[access.extra_cost_centres]]\ncost_centres = [\"CC2\"]\n",
                "entry 1: give either worker or cost_centre",
            ),
            (
                "[[access.extra_cost_centres]]\nworker = \"W1\"\ncost_centre = \"CC1\"\ncost_centres = [\"CC2\"]\n",
                "entry 1: give either worker or cost_centre",
            ),
            (
                "[[access.extra_cost_centres]]\nworker = \"W1\"\ncost_centres = []\n",
                "entry 1: names no extra cost centres",
            ),
            (
                "[[access.extra_cost_centres]]\nworker = \"W 1\"\ncost_centres = [\"CC2\"]\n",
                "entry 1: worker 'W 1' contains ' '",
            ),
            (
                "[[access.extra_cost_centres]]\ncost_centre = \"CC1\"\ncost_centres = [\"CC\\u200b2\"]\n",
                "entry 1: cost centre 'CC\u{200b}2' contains '\\u{200b}'",
            ),
            (
                "[[access.extra_cost_centres]]\ncost_centre = \"CC1\"\ncost_centres = [\"CC2\"]\n\
                 [[access.extra_cost_centres]]\ncost_centre = \"CC1\"\ncost_centres = [\"CC3\"]\n",
                "entry 2: cost centre 'CC1' is listed more than once",
            ),
        ];
        for (toml, expected) in cases {
            let error = load_with(toml).unwrap_err().to_string();
            assert!(
                error.starts_with("setting access.extra_cost_centres: ")
                    && error.contains(expected),
                "{toml}: {error}"
            );
        }
        let unknown_key =
            load_with("[[access.extra_cost_centres]]\nteam = \"CC1\"\ncost_centres = [\"CC2\"]\n");
        assert!(unknown_key.is_err(), "an unknown key is refused");
    }

    #[test]
    fn the_public_url_follows_the_listen_address_unless_it_is_set() {
        let defaults = Settings::load(None).unwrap();
        assert_eq!(defaults.server.public_url, "http://127.0.0.1:8080");
        let moved = load_with("[server]\nlisten = \"127.0.0.1:9123\"\n").unwrap();
        assert_eq!(moved.server.public_url, "http://127.0.0.1:9123");
        let mut served = moved;
        served.server.listen_on("192.0.2.7:8443");
        assert_eq!(served.server.public_url, "http://192.0.2.7:8443");
        let set = load_with(
            "[server]\nlisten = \"127.0.0.1:9123\"\npublic_url = \"https://tms.example.org\"\n",
        )
        .unwrap();
        assert_eq!(set.server.public_url, "https://tms.example.org");
        let mut served = set;
        served.server.listen_on("0.0.0.0:9000");
        assert_eq!(
            served.server.public_url, "https://tms.example.org",
            "a public URL that is set wins"
        );
        assert_eq!(served.server.listen, "0.0.0.0:9000");
        assert_eq!(
            public_url_for("0.0.0.0:9000", || Some("care-office".into())),
            "http://care-office:9000"
        );
        assert_eq!(
            public_url_for("[::]:9000", || None),
            "http://localhost:9000"
        );
        assert_eq!(public_url_for("[::1]:9000", || None), "http://[::1]:9000");
    }

    #[test]
    fn tokens_last_by_role_and_bad_lifetimes_are_refused() {
        let defaults = Settings::load(None).unwrap();
        let days = |role| defaults.tokens.lifetime(role).num_days();
        assert_eq!(
            [Role::Worker, Role::Family, Role::Manager, Role::Finance].map(days),
            [90, 90, 30, 30]
        );
        assert_eq!(defaults.tokens.warning().num_days(), 14);
        let longer = load_with("[tokens]\nmanager_days = 7\n").unwrap();
        assert_eq!(longer.tokens.lifetime(Role::Manager).num_days(), 7);
        assert_eq!(longer.tokens.lifetime(Role::Worker).num_days(), 90);
        for (toml, key) in [
            ("[tokens]\nworker_days = 0\n", "tokens.worker_days"),
            ("[tokens]\nfinance_days = 1827\n", "tokens.finance_days"),
            ("[tokens]\nwarn_days = -1\n", "tokens.warn_days"),
        ] {
            let error = load_with(toml).unwrap_err().to_string();
            assert!(
                error.starts_with(&format!("setting {key}: ")),
                "{toml}: {error}"
            );
        }
        assert!(
            load_with("[tokens]\npayroll_dayz = 3\n").is_err(),
            "a misspelt key is refused"
        );
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://tms:secret@db:5432/tms"),
            "postgres://tms:***@db:5432/tms"
        );
        assert_eq!(
            redact_url("sqlite://./data/tms.db"),
            "sqlite://./data/tms.db"
        );
        let s = DatabaseSettings {
            url: "postgres://a:b@h/d".into(),
            max_connections: 1,
        };
        assert!(!format!("{s:?}").contains(":b@"));
    }
}
