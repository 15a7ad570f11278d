//! The run lease and its fencing token: one run works at a time, and a run that lost its lease
//! cannot record anything.

use chrono::{DateTime, Utc};

use crate::store::bulk::{instant_from_seconds, instant_seconds};
use crate::store::{Store, StoreError, Tx, on_tx};

/// The lease every pipeline run takes.
pub const NIGHTLY_LEASE: &str = "nightly";

/// A lease this process holds: its token fences out any earlier holder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    pub name: String,
    pub holder: String,
    pub token: i64,
}

/// Where the process holding a lease runs: enough for another process on the same machine to
/// tell whether it is still alive.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HolderProcess {
    pub host: String,
    /// The kernel's boot id: a process id means nothing after a reboot.
    pub boot_id: String,
    /// The process id namespace: a process id means nothing in another container.
    pub pid_namespace: String,
    pub pid: i64,
}

/// The answer to a request for the lease.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeaseClaim {
    Acquired(Lease),
    /// Someone else holds it until `expires_at`, under `token`.
    Held {
        holder: String,
        expires_at: DateTime<Utc>,
        token: i64,
        process: HolderProcess,
    },
}

type LeaseRow = (Option<String>, i64, i64, String, String, String, i64);

async fn lease_state(tx: &mut Tx, name: &str) -> Result<LeaseRow, StoreError> {
    Ok(
        on_tx!(tx, conn => sqlx::query_as(include_str!("../../../sql/lease_state.sql"))
        .bind(name).fetch_one(conn).await?),
    )
}

/// Takes the lease `name` for `ttl` unless a live holder has it.
pub async fn acquire_lease(
    store: &Store,
    name: &str,
    holder: &str,
    process: &HolderProcess,
    ttl: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<LeaseClaim, StoreError> {
    let expires = instant_seconds(&(now + ttl));
    let mut tx = store.begin().await?;
    let token: Option<i64> = on_tx!(&mut tx, conn => sqlx::query_scalar(include_str!("../../../sql/lease_acquire.sql"))
        .bind(name).bind(holder).bind(expires).bind(instant_seconds(&now))
        .bind(&process.host).bind(&process.boot_id).bind(&process.pid_namespace).bind(process.pid)
        .fetch_optional(conn).await?);
    let claim = match token {
        Some(token) => LeaseClaim::Acquired(Lease {
            name: name.to_owned(),
            holder: holder.to_owned(),
            token,
        }),
        None => {
            let (holder, token, expires_at, host, boot_id, pid_namespace, pid) =
                lease_state(&mut tx, name).await?;
            LeaseClaim::Held {
                holder: holder.unwrap_or_default(),
                expires_at: instant_from_seconds(expires_at).unwrap_or_default(),
                token,
                process: HolderProcess {
                    host,
                    boot_id,
                    pid_namespace,
                    pid,
                },
            }
        }
    };
    tx.commit().await?;
    Ok(claim)
}

/// Takes the lease `name` from a holder found dead, before it expires; `None` when someone else
/// has taken it since `held_token` was read. The token still grows, fencing out the old holder
/// should it not be dead after all.
pub async fn take_over_lease(
    store: &Store,
    name: &str,
    holder: &str,
    process: &HolderProcess,
    ttl: chrono::Duration,
    held_token: i64,
    now: DateTime<Utc>,
) -> Result<Option<Lease>, StoreError> {
    let expires = instant_seconds(&(now + ttl));
    let mut tx = store.begin().await?;
    let token: Option<i64> = on_tx!(&mut tx, conn => sqlx::query_scalar(include_str!("../../../sql/lease_take_over.sql"))
        .bind(name).bind(holder).bind(expires).bind(held_token)
        .bind(&process.host).bind(&process.boot_id).bind(&process.pid_namespace).bind(process.pid)
        .fetch_optional(conn).await?);
    tx.commit().await?;
    Ok(token.map(|token| Lease {
        name: name.to_owned(),
        holder: holder.to_owned(),
        token,
    }))
}

/// Extends the lease; `false` when another run has taken it over.
pub async fn renew_lease(
    store: &Store,
    lease: &Lease,
    ttl: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let expires = instant_seconds(&(now + ttl));
    let mut tx = store.begin().await?;
    let renewed = on_tx!(&mut tx, conn => sqlx::query(include_str!("../../../sql/lease_renew.sql"))
        .bind(&lease.name).bind(lease.token).bind(expires).execute(conn).await?.rows_affected());
    tx.commit().await?;
    Ok(renewed == 1)
}

/// Gives the lease up, if this holder still has it.
pub async fn release_lease(store: &Store, lease: &Lease) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, conn => sqlx::query(include_str!("../../../sql/lease_release.sql"))
        .bind(&lease.name).bind(lease.token).execute(conn).await?.rows_affected());
    tx.commit().await
}

/// Fails the transaction unless `lease` is still held: the check and the writes it guards commit
/// together, so a run that lost its lease changes nothing.
pub async fn check_lease(tx: &mut Tx, lease: &Lease) -> Result<(), StoreError> {
    let (holder, token, ..) = lease_state(tx, &lease.name).await?;
    if token == lease.token && holder.as_deref() == Some(lease.holder.as_str()) {
        Ok(())
    } else {
        Err(StoreError::LeaseLost(lease.name.clone()))
    }
}
