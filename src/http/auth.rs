//! Who is asking: a bearer token for the API, a session cookie for the pages, and a rate limit per
//! token. Failures are logged with the reason, never with the token.

use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
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
            return Err(unauthorized());
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
        let Some(session) = session_cookie(parts) else {
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
            return Err(to_sign_in());
        };
        state.limiter.check(&principal.token_id).map_err(too_many)?;
        Ok(PageCaller { principal, session })
    }
}
