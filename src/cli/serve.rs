//! `tms serve` and `tms token`: running the API and phone page, and managing who may use them.

use std::io::Write;

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use clap::{Args, Subcommand};

use super::expiry::parse_expiry;
use super::{ExitStatus, open_store, reference};
use crate::config::Settings;
use crate::domain::access::TokenState;
use crate::domain::{Role, Scope};
use crate::http::{AppState, Server, shutdown_signal};
use crate::report::output::visible;
use crate::report::{Cell, Format, Table};
use crate::store::access;

/// Options of `tms serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on, overriding server.listen (port 0 picks a free port).
    #[arg(long)]
    pub listen: Option<String>,
}

/// `tms token ...`
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token; it is shown once and stored only as a digest.
    Create {
        /// What the token may do (see the README's table of what each reaches).
        #[arg(long, value_parser = role_parser())]
        role: Role,
        /// The worker (worker), a cost centre (manager) or a person (family); repeat for more.
        #[arg(long)]
        subject: Vec<String>,
        /// A note on whose token this is.
        #[arg(long, default_value = "")]
        label: String,
        /// When it stops working: a duration like 90d, 12h or 30m (one minute to five years), a
        /// future date (YYYY-MM-DD, the start of that day), or `never`. Without it the token lasts
        /// its role's default life (the settings' tokens section: 90 days for workers and families,
        /// 30 for managers and finance).
        #[arg(long)]
        expires: Option<String>,
        /// Also print a one-time sign-in link for the phone page.
        #[arg(long)]
        link: bool,
    },
    /// List tokens (never their secrets).
    List {
        /// How the list is written.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Revoke a token; its sessions and sign-in links stop working too.
    Revoke {
        /// The token's id, as `tms token list` shows it.
        token_id: String,
    },
    /// Print a one-time sign-in link for a token.
    Link {
        /// The token's id, as `tms token list` shows it.
        token_id: String,
    },
}

/// `--role`: the four roles, each with what it may do.
fn role_parser() -> impl clap::builder::TypedValueParser<Value = Role> {
    use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
    let help = |role: Role| match role {
        Role::Worker => {
            "a support worker: records and corrects their own shifts (--subject WORKER)"
        }
        Role::Manager => {
            "a manager: approves and corrects their cost centres' shifts, reads their charges (--subject COST_CENTRE...)"
        }
        Role::Finance => "finance: every shift, charge and audit trail (no --subject)",
        Role::Family => {
            "a family or circle of support: reads their people's charges (--subject PERSON...)"
        }
    };
    PossibleValuesParser::new(
        Role::ALL.map(|role| PossibleValue::new(role.as_str()).help(help(role))),
    )
    .map(|name| name.parse::<Role>().expect("one of the listed roles"))
}

/// Runs the server until Ctrl-C or SIGTERM.
pub async fn serve(mut settings: Settings, args: ServeArgs) -> anyhow::Result<ExitStatus> {
    let store = open_store(&settings).await?;
    if let Some(listen) = &args.listen {
        settings.server.listen_on(listen);
    }
    let listen = settings.server.listen.clone();
    let (stop_schedule, stopped) = tokio::sync::watch::channel(false);
    let scheduler = settings.runner.in_serve.then(|| {
        tokio::spawn(crate::pipeline::run_on_schedule(
            store.clone(),
            settings.clone(),
            stopped,
        ))
    });
    let state = AppState::new(store.clone(), settings)
        .await
        .context("loading reference data")?;
    let server = Server::bind(state, &listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let address = server.local_addr()?;
    println!("tms serve: listening on http://{address}");
    tracing::info!(%address, "serving");
    server.run(shutdown_signal()).await?;
    let _ = stop_schedule.send(true);
    if let Some(scheduler) = scheduler {
        // A run in progress finishes its step; anything interrupted resumes next time.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(30), scheduler).await;
    }
    store.close().await;
    Ok(ExitStatus::Ok)
}

/// The sign-in link for `code`, at the public URL. When that URL was not set and follows the
/// listen address, a note on standard error says so.
fn link_text(settings: &Settings, code: &str) -> String {
    if settings.server.public_url_follows_listen {
        eprintln!(
            "note: the link's address comes from server.listen ({}); set server.public_url \
             (TMS_SERVER__PUBLIC_URL) to the address people open tms at",
            settings.server.listen
        );
    }
    format!(
        "{}/sign-in/{code}",
        settings.server.public_url.trim_end_matches('/')
    )
}

/// When a new token stops working: `--expires` as given (`never` for not at all), or the role's
/// default life from now.
fn token_expiry(
    settings: &Settings,
    role: Role,
    expires: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, super::expiry::ExpiryError> {
    match expires.map(str::trim) {
        Some("never") => Ok(None),
        Some(raw) => parse_expiry(raw, now, settings.zone()).map(Some),
        None => Ok(Some(now + settings.tokens.lifetime(role))),
    }
}

/// A moment as the provider's operators read it: local date and time with the zone's
/// abbreviation.
fn local_moment(settings: &Settings, at: DateTime<Utc>) -> String {
    at.with_timezone(&settings.zone().tz())
        .format("%a %-d %b %Y %H:%M %Z")
        .to_string()
}

/// Checks that a token's subjects exist, so a typo fails now rather than at sign-in.
async fn check_subjects(
    store: &crate::store::Store,
    settings: &Settings,
    scope: &Scope,
) -> anyhow::Result<Option<String>> {
    let reference = reference(store, settings).await?;
    let missing = match scope {
        Scope::Worker(w) => (!reference.workers.contains_key(w)).then(|| format!("worker '{w}'")),
        Scope::People(people) => people
            .iter()
            .find(|p| !reference.people.contains(*p))
            .map(|p| format!("person '{p}'")),
        Scope::CostCentres(centres) => {
            let known = crate::store::reference::cost_centre_ids(store).await?;
            centres
                .iter()
                .find(|c| !known.contains(c.as_str()))
                .map(|c| format!("cost centre '{c}'"))
        }
        Scope::Everything => None,
    };
    Ok(missing)
}

/// Runs a token command.
pub async fn token(settings: Settings, command: TokenCommand) -> anyhow::Result<ExitStatus> {
    let store = open_store(&settings).await?;
    let status = match command {
        TokenCommand::Create {
            role,
            subject,
            label,
            expires,
            link,
        } => {
            let expires_at = match token_expiry(&settings, role, expires.as_deref(), Utc::now()) {
                Ok(at) => at,
                Err(e) => {
                    eprintln!("error: {e}");
                    return Ok(ExitStatus::Usage);
                }
            };
            let scope = match Scope::new(role, &subject) {
                Ok(scope) => scope,
                Err(e) => {
                    eprintln!("error: {e}");
                    return Ok(ExitStatus::Usage);
                }
            };
            if let Some(missing) = check_subjects(&store, &settings, &scope).await? {
                eprintln!("error: unknown {missing}; import it first");
                return Ok(ExitStatus::Usage);
            }
            let (record, text) =
                access::create_token(&store, role, &scope, &label, expires_at).await?;
            println!(
                "token {} ({} {})",
                record.token_id, record.role, record.subjects
            );
            println!("{text}");
            println!("keep it safe: it is shown only this once");
            match (expires_at, expires.is_some()) {
                (None, _) => println!("it does not expire; revoke it when it is no longer needed"),
                (Some(at), true) => println!("it expires {}", local_moment(&settings, at)),
                (Some(at), false) => println!(
                    "it expires {} ({} days, the default for {role} tokens; --expires sets another)",
                    local_moment(&settings, at),
                    settings.tokens.lifetime(role).num_days()
                ),
            }
            if link {
                let lasts = Duration::minutes(settings.server.sign_in_link_minutes);
                if let Some(code) =
                    access::create_sign_in_link(&store, &record.token_id, lasts).await?
                {
                    println!("sign-in link (works once): {}", link_text(&settings, &code));
                }
            }
            ExitStatus::Ok
        }
        TokenCommand::List { format } => {
            let mut table = Table::new(&[
                "token_id",
                "role",
                "subjects",
                "label",
                "created_at",
                "expires_at",
                "revoked_at",
                "status",
            ]);
            let now = Utc::now();
            let mut warnings = Vec::new();
            let at = |t: Option<DateTime<Utc>>| {
                Cell::plain(
                    t.map(|t| t.format("%Y-%m-%dT%H:%MZ").to_string())
                        .unwrap_or_default(),
                )
            };
            for token in access::list_tokens(&store).await? {
                let state = TokenState::at(
                    token.expires_at,
                    token.revoked_at,
                    now,
                    settings.tokens.warning(),
                );
                if let (TokenState::Expiring { days_left }, Some(at)) = (state, token.expires_at) {
                    let left = match days_left {
                        0 => "today".to_owned(),
                        1 => "in 1 day".to_owned(),
                        n => format!("in {n} days"),
                    };
                    // Whose it is: role, subjects and label, those there are.
                    let whose: Vec<String> = [token.role.as_str(), &token.subjects, &token.label]
                        .iter()
                        .filter(|part| !part.is_empty())
                        .map(|part| visible(part).into_owned())
                        .collect();
                    warnings.push(format!(
                        "warning: token {} ({}) expires {left}, {}: make its holder a new one \
                         with `tms token create` before then",
                        token.token_id,
                        whose.join(", "),
                        local_moment(&settings, at)
                    ));
                }
                table.push(vec![
                    Cell::plain(token.token_id),
                    Cell::plain(token.role),
                    Cell::text(token.subjects),
                    Cell::text(token.label),
                    at(Some(token.created_at)),
                    at(token.expires_at),
                    at(token.revoked_at),
                    Cell::plain(state.words()),
                ]);
            }
            let mut out = std::io::stdout().lock();
            table.write(format, &mut out)?;
            out.flush()?;
            drop(out);
            for warning in warnings {
                eprintln!("{warning}");
            }
            ExitStatus::Ok
        }
        TokenCommand::Revoke { token_id } => {
            if access::revoke_token(&store, &token_id).await? {
                println!("token {token_id} revoked");
                ExitStatus::Ok
            } else {
                eprintln!("error: no live token {token_id}");
                ExitStatus::Usage
            }
        }
        TokenCommand::Link { token_id } => {
            let lasts = Duration::minutes(settings.server.sign_in_link_minutes);
            match access::create_sign_in_link(&store, &token_id, lasts).await? {
                Some(code) => {
                    println!("sign-in link (works once): {}", link_text(&settings, &code));
                    ExitStatus::Ok
                }
                None => {
                    eprintln!("error: no live token {token_id}");
                    ExitStatus::Usage
                }
            }
        }
    };
    store.close().await;
    Ok(status)
}
