//! Who is asking: a bearer token for the API, a session cookie for the pages, a rate limit per
//! token, and a limit on failed authentications per client address. Failures are logged with the
//! reason, never with the token.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use governor::{DefaultKeyedRateLimiter, Quota};

use super::AppState;
use super::problem::Problem;
use crate::domain::Principal;
use crate::store::access;

/// The phone page's session cookie.
pub const SESSION_COOKIE: &str = "tms_session";

/// Requests allowed per token.
pub struct RateLimiter(DefaultKeyedRateLimiter<String>);

impl RateLimiter {
    pub fn new(per_second: u32, burst: u32) -> RateLimiter {
        let per_second = NonZeroU32::new(per_second.max(1)).expect("at least one");
        let burst = NonZeroU32::new(burst.max(1)).expect("at least one");
        RateLimiter(DefaultKeyedRateLimiter::keyed(
            Quota::per_second(per_second).allow_burst(burst),
        ))
    }

    /// Whether this token may make another request now; if not, how long to wait.
    pub fn check(&self, token_id: &str) -> Result<(), u64> {
        self.0.check_key(&token_id.to_owned()).map_err(|not_until| {
            let wait = not_until.wait_time_from(governor::clock::Clock::now(
                &governor::clock::DefaultClock::default(),
            ));
            wait.as_secs().max(1)
        })
    }
}

/// Client addresses remembered by [`FailureLimiter`] before those with nothing left to count are
/// forgotten.
const FAILURE_ADDRESSES_KEPT: usize = 10_000;

/// Failed authentications allowed per client address: a bad, unknown, expired or revoked token,
/// an unknown session, a sign-in code that did not work or a used or unknown sign-in link. Only
/// failures count, so a valid token works from an address that others have used up: a care
/// office behind one address is not locked out by one phone with an old code. Tokens, sessions
/// and links are 256-bit secrets, so the limit is there to slow down floods of bad credentials
/// rather than guessing, which cannot succeed.
pub struct FailureLimiter(DefaultKeyedRateLimiter<IpAddr>);

impl FailureLimiter {
    pub fn new(per_minute: u32, burst: u32) -> FailureLimiter {
        let per_minute = NonZeroU32::new(per_minute.max(1)).expect("at least one");
        let burst = NonZeroU32::new(burst.max(1)).expect("at least one");
        FailureLimiter(DefaultKeyedRateLimiter::keyed(
            Quota::per_minute(per_minute).allow_burst(burst),
        ))
    }

    /// Counts a failure from `address`. Within the allowance the caller answers as usual (401);
    /// beyond it, this says how long the address must wait.
    pub fn failed(&self, address: IpAddr) -> Result<(), u64> {
        if self.0.len() > FAILURE_ADDRESSES_KEPT {
            self.0.retain_recent();
            self.0.shrink_to_fit();
        }
        let key = address_key(address);
        self.0.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(governor::clock::Clock::now(
                &governor::clock::DefaultClock::default(),
            ));
            tracing::warn!(client = %key, "too many failed authentications from one address");
            wait.as_secs().max(1)
        })
    }
}

/// The key an address is counted under: IPv4 as it is, IPv6 by its /64 network (one
/// subscriber's block), an IPv4 address mapped into IPv6 as the IPv4 address.
fn address_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// The address a request came from: the connection's peer (as `tms serve` records it).
pub fn client_address(extensions: &Extensions) -> IpAddr {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |ConnectInfo(peer)| {
            peer.ip()
        })
}

/// The address a request came from, for handlers.
pub struct ClientAddress(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(ClientAddress(client_address(&parts.extensions)))
    }
}

/// The answer to a failure beyond the address's allowance: 429 with `Retry-After`.
fn too_many_failures(wait_seconds: u64) -> Response {
    let mut response = Problem::new(
        axum::http::StatusCode::TOO_MANY_REQUESTS,
        "Too many failed attempts",
        format!("too many failed sign-ins from this address: try again in {wait_seconds} s"),
    )
    .into_response();
    if let Ok(value) = HeaderValue::from_str(&wait_seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

fn too_many(wait_seconds: u64) -> Response {
    let mut response = Problem::new(
        axum::http::StatusCode::TOO_MANY_REQUESTS,
        "Too many requests",
        format!("slow down: try again in {wait_seconds} s"),
    )
    .into_response();
    if let Ok(value) = HeaderValue::from_str(&wait_seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// The caller of an API endpoint, from `Authorization: Bearer tms_...`.
pub struct ApiCaller(pub Principal);

impl FromRequestParts<Arc<AppState>> for ApiCaller {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let unauthorized = || {
            let mut response = Problem::unauthorized().into_response();
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"tms\""),
            );
            response
        };
        let Some(text) = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
        else {
            tracing::info!(reason = "no bearer token", "authentication failed");
            return Err(unauthorized());
        };
        let principal = access::authenticate(&state.store, text, chrono::Utc::now())
            .await
            .map_err(|e| Problem::from(e).into_response())?;
        let Some(principal) = principal else {
            tracing::warn!(
                reason = "unknown, expired or revoked token",
                "authentication failed"
            );
            return Err(
                match state.failures.failed(client_address(&parts.extensions)) {
                    Ok(()) => unauthorized(),
                    Err(wait) => too_many_failures(wait),
                },
            );
        };
        state.limiter.check(&principal.token_id).map_err(too_many)?;
        Ok(ApiCaller(principal))
    }
}

/// The cookie's value, if the request carries one.
pub fn session_cookie(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// The signed-in caller of a page, with their session secret (for the forms' CSRF field). A
/// visitor who is not signed in is sent to the sign-in page.
pub struct PageCaller {
    pub principal: Principal,
    pub session: String,
}

impl PageCaller {
    /// The value every form of this session carries, derived from the session secret.
    pub fn csrf(&self) -> String {
        crate::domain::access::digest(&format!("csrf:{}", self.session))
    }
}

impl FromRequestParts<Arc<AppState>> for PageCaller {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let to_sign_in = || axum::response::Redirect::to("/sign-in").into_response();
        let Some(session) = session_cookie(parts).filter(|s| !s.is_empty()) else {
            return Err(to_sign_in());
        };
        let principal = access::session_principal(&state.store, &session, chrono::Utc::now())
            .await
            .map_err(|e| Problem::from(e).into_response())?;
        let Some(principal) = principal else {
            tracing::info!(
                reason = "unknown or expired session",
                "authentication failed"
            );
            return Err(
                match state.failures.failed(client_address(&parts.extensions)) {
                    Ok(()) => to_sign_in(),
                    Err(wait) => too_many_failures(wait),
                },
            );
        };
        state.limiter.check(&principal.token_id).map_err(too_many)?;
        Ok(PageCaller { principal, session })
    }
}
