//! Tokens, phone-page sessions and one-time sign-in links. Only digests of secrets are stored; a
//! secret is shown once, when it is made.

use chrono::{DateTime, Duration, Utc};

use super::bulk::{instant_from_seconds, instant_seconds};
use super::{Store, StoreError, on_pool};
use crate::domain::access::{
    Principal, Role, Scope, digest, digests_match, new_public_id, new_secret, parse_token,
    token_text,
};

/// A token as listed: never its secret.
#[derive(Clone, Debug, serde::Serialize)]
pub struct TokenRecord {
    pub token_id: String,
    pub role: String,
    pub subjects: String,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    token_id: String,
    secret_sha256: String,
    role: String,
    subjects: String,
    label: String,
    created_at: i64,
    expires_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl TokenRow {
    fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e > instant_seconds(&now))
    }

    fn principal(&self) -> Result<Principal, StoreError> {
        let corrupt = || StoreError::Corrupt(format!("token {}", self.token_id));
        let role: Role = self.role.parse().map_err(|_| corrupt())?;
        let subjects: Vec<String> = self
            .subjects
            .split(';')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        Ok(Principal {
            token_id: self.token_id.clone(),
            role,
            scope: Scope::new(role, &subjects).map_err(|_| corrupt())?,
        })
    }

    fn record(self) -> TokenRecord {
        let at = |s: i64| instant_from_seconds(s).unwrap_or_default();
        TokenRecord {
            token_id: self.token_id,
            role: self.role,
            subjects: self.subjects,
            label: self.label,
            created_at: at(self.created_at),
            expires_at: self.expires_at.map(at),
            revoked_at: self.revoked_at.map(at),
        }
    }
}

/// Creates a token and returns its record and its text, which is never stored.
pub async fn create_token(
    store: &Store,
    role: Role,
    scope: &Scope,
    label: &str,
    expires_at: Option<DateTime<Utc>>,
) -> Result<(TokenRecord, String), StoreError> {
    let token_id = new_public_id();
    let secret = new_secret();
    let now = Utc::now();
    on_pool!(store, pool => sqlx::query(include_str!("../../sql/create_token.sql"))
        .bind(&token_id)
        .bind(digest(&secret))
        .bind(role.as_str())
        .bind(scope.subjects())
        .bind(label)
        .bind(instant_seconds(&now))
        .bind(expires_at.as_ref().map(instant_seconds))
        .execute(pool)
        .await?
        .rows_affected());
    let record = TokenRecord {
        token_id: token_id.clone(),
        role: role.as_str().to_owned(),
        subjects: scope.subjects(),
        label: label.to_owned(),
        created_at: DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now),
        expires_at,
        revoked_at: None,
    };
    Ok((record, token_text(&token_id, &secret)))
}

/// Every token, newest first.
pub async fn list_tokens(store: &Store) -> Result<Vec<TokenRecord>, StoreError> {
    let rows: Vec<TokenRow> = on_pool!(store, pool => sqlx::query_as(include_str!("../../sql/list_tokens.sql")).fetch_all(pool).await?);
    Ok(rows.into_iter().map(TokenRow::record).collect())
}

/// Revokes a token (and so its sessions and links); false when there is no such live token.
pub async fn revoke_token(store: &Store, token_id: &str) -> Result<bool, StoreError> {
    let now = instant_seconds(&Utc::now());
    let changed = on_pool!(store, pool => sqlx::query(include_str!("../../sql/revoke_token.sql"))
        .bind(token_id)
        .bind(now)
        .execute(pool)
        .await?
        .rows_affected());
    Ok(changed == 1)
}

async fn live_token(
    store: &Store,
    token_id: &str,
    now: DateTime<Utc>,
) -> Result<Option<TokenRow>, StoreError> {
    let row: Option<TokenRow> = on_pool!(store, pool => sqlx::query_as(include_str!("../../sql/token_by_id.sql")).bind(token_id).fetch_optional(pool).await?);
    Ok(row.filter(|r| r.is_live(now)))
}

/// The principal of a bearer token, if it is known, unexpired and not revoked.
pub async fn authenticate(
    store: &Store,
    text: &str,
    now: DateTime<Utc>,
) -> Result<Option<Principal>, StoreError> {
    let Some((token_id, secret)) = parse_token(text) else {
        return Ok(None);
    };
    match live_token(store, token_id, now).await? {
        Some(row) if digests_match(&row.secret_sha256, &digest(secret)) => {
            row.principal().map(Some)
        }
        _ => Ok(None),
    }
}

/// The principal of a token id, while the token is live.
async fn principal_of(
    store: &Store,
    token_id: Option<String>,
    now: DateTime<Utc>,
) -> Result<Option<Principal>, StoreError> {
    let Some(token_id) = token_id else {
        return Ok(None);
    };
    match live_token(store, &token_id, now).await? {
        Some(row) => row.principal().map(Some),
        None => Ok(None),
    }
}

/// Starts a phone-page session for a token; returns the cookie secret.
pub async fn create_session(
    store: &Store,
    token_id: &str,
    lasts: Duration,
) -> Result<String, StoreError> {
    let secret = new_secret();
    let now = Utc::now();
    on_pool!(store, pool => sqlx::query(include_str!("../../sql/create_session.sql"))
        .bind(digest(&secret))
        .bind(token_id)
        .bind(instant_seconds(&now))
        .bind(instant_seconds(&(now + lasts)))
        .execute(pool)
        .await?
        .rows_affected());
    Ok(secret)
}

/// The principal of a session cookie, while the session and its token are live.
pub async fn session_principal(
    store: &Store,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<Option<Principal>, StoreError> {
    principal_by_secret(
        store,
        include_str!("../../sql/session_token.sql"),
        secret,
        now,
    )
    .await
}

/// Runs `sql` (which takes a secret's digest and the time, and returns a token id) for a secret
/// of the shape tms hands out, and gives the principal of that token while it is live.
async fn principal_by_secret(
    store: &Store,
    sql: &'static str,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<Option<Principal>, StoreError> {
    if secret.len() != 64 || !secret.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let token_id: Option<String> = on_pool!(store, pool => sqlx::query_scalar(sql)
        .bind(digest(secret))
        .bind(instant_seconds(&now))
        .fetch_optional(pool)
        .await?);
    principal_of(store, token_id, now).await
}

/// Ends a session.
pub async fn end_session(store: &Store, secret: &str) -> Result<(), StoreError> {
    on_pool!(store, pool => sqlx::query(include_str!("../../sql/end_session.sql"))
        .bind(digest(secret))
        .execute(pool)
        .await?
        .rows_affected());
    Ok(())
}

/// Makes a one-time sign-in code for a live token.
pub async fn create_sign_in_link(
    store: &Store,
    token_id: &str,
    lasts: Duration,
) -> Result<Option<String>, StoreError> {
    let now = Utc::now();
    if live_token(store, token_id, now).await?.is_none() {
        return Ok(None);
    }
    let code = new_secret();
    on_pool!(store, pool => sqlx::query(include_str!("../../sql/create_sign_in_link.sql"))
        .bind(digest(&code))
        .bind(token_id)
        .bind(instant_seconds(&now))
        .bind(instant_seconds(&(now + lasts)))
        .execute(pool)
        .await?
        .rows_affected());
    Ok(Some(code))
}

/// Uses a sign-in code: the token it stands for, the first time only.
pub async fn use_sign_in_link(
    store: &Store,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Option<Principal>, StoreError> {
    principal_by_secret(
        store,
        include_str!("../../sql/use_sign_in_link.sql"),
        code,
        now,
    )
    .await
}
