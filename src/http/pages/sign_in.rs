//! Signing in and out: the token form, one-time sign-in links and the session cookie, with the
//! origin check and the per-address limit on failed attempts.

use std::sync::Arc;

use axum::Form;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Duration;
use maud::{Markup, html};

use crate::domain::Principal;
use crate::http::AppState;
use crate::http::auth::{ClientAddress, PageCaller, SESSION_COOKIE};
use crate::http::origin::SignInOrigins;
use crate::http::problem::Problem;
use crate::store::access;

use super::*;

pub(super) fn sign_in_form(error: Option<&str>) -> Markup {
    html! {
        h1 { "Sign in" }
        p { "Use the sign-in code your manager gave you, or the link they sent you." }
        form method="post" action="/sign-in" novalidate {
            div class=@if error.is_some() { "field has-error" } @else { "field" } {
                label for="token" { "Sign-in code" }
                p class="hint" id="token-hint" { "It starts with tms_" }
                @if let Some(error) = error {
                    p class="error" id="token-error" { span class="visually-hidden" { "Error: " } (error) }
                }
                input type="password" id="token" name="token" autocomplete="off" spellcheck="false"
                    aria-describedby=(if error.is_some() { "token-hint token-error" } else { "token-hint" })
                    aria-invalid=[error.map(|_| "true")];
            }
            button type="submit" { "Sign in" }
        }
    }
}

/// A sign-in post sent from tms's own pages ([`super::origin`]); one from another site, which
/// could sign the visitor in as someone else, is refused with 403 before anything is read.
pub(super) struct FromOwnPages;

impl FromRequestParts<Arc<AppState>> for FromOwnPages {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Response> {
        let origins = parts
            .extensions
            .get::<Arc<SignInOrigins>>()
            .cloned()
            .unwrap_or_else(|| Arc::new(SignInOrigins::new(&state.settings.server, None)));
        // A header that is not text names no site of ours.
        let header = |name| {
            parts
                .headers
                .get(name)
                .map(|v: &HeaderValue| v.to_str().unwrap_or_default())
        };
        match origins.check(header(header::ORIGIN), header(header::REFERER)) {
            Ok(()) => Ok(FromOwnPages),
            Err(error) => {
                tracing::warn!(reason = %error, "page sign-in refused");
                Err(message_page(
                    StatusCode::FORBIDDEN,
                    None,
                    "Sign in on the tms page",
                    "This sign-in came from another website, so it was not used. Open the tms sign-in page yourself and sign in there.",
                ))
            }
        }
    }
}

/// The page for a failed sign-in beyond the address's allowance: 429 with `Retry-After`.
pub(super) fn too_many_attempts(wait_seconds: u64) -> Response {
    let mut response = message_page(
        StatusCode::TOO_MANY_REQUESTS,
        None,
        "Too many attempts",
        &format!(
            "Too many sign-ins from here did not work. Wait {wait_seconds} seconds, then try again."
        ),
    );
    if let Ok(value) = HeaderValue::from_str(&wait_seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

pub(super) async fn sign_in_page() -> Response {
    html_response(StatusCode::OK, page("Sign in", None, sign_in_form(None)))
}

pub(super) fn session_cookie(state: &AppState, secret: &str, max_age_seconds: i64) -> HeaderValue {
    let secure = if state.settings.server.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_seconds}{secure}"
    ))
    .expect("a cookie of hex digits is a valid header")
}

pub(super) async fn start_session(state: &AppState, principal: &Principal) -> Response {
    let hours = state.settings.server.session_hours;
    match access::create_session(&state.store, &principal.token_id, Duration::hours(hours)).await {
        Ok(secret) => {
            tracing::info!(role = %principal.role, "signed in");
            let mut response = Redirect::to(landing(principal)).into_response();
            response.headers_mut().insert(
                header::SET_COOKIE,
                session_cookie(state, &secret, hours * 3600),
            );
            response
        }
        Err(error) => Problem::from(error).into_response(),
    }
}

pub(super) async fn sign_in(
    State(state): State<Arc<AppState>>,
    _: FromOwnPages,
    ClientAddress(client): ClientAddress,
    Form(fields): Form<Fields>,
) -> Response {
    let token = field(&fields, "token");
    match access::authenticate(&state.store, token, chrono::Utc::now()).await {
        Ok(Some(principal)) => start_session(&state, &principal).await,
        Ok(None) => {
            tracing::warn!(
                reason = "unknown, expired or revoked token",
                "page sign-in failed"
            );
            let error = if token.is_empty() {
                "Enter your sign-in code"
            } else if let Err(wait) = state.failures.failed(client) {
                return too_many_attempts(wait);
            } else {
                "That sign-in code did not work. Check it, or ask your manager for a new one"
            };
            html_response(
                StatusCode::UNAUTHORIZED,
                page("Sign in", None, sign_in_form(Some(error))),
            )
        }
        Err(error) => Problem::from(error).into_response(),
    }
}

pub(super) async fn link_page(Path(code): Path<String>) -> Response {
    // Mail scanners open links; only pressing the button uses the link up.
    let action = format!("/sign-in/{code}");
    html_response(
        StatusCode::OK,
        page(
            "Sign in",
            None,
            html! {
                h1 { "Sign in to tms" }
                p { "This link works once." }
                form method="post" action=(action) {
                    button type="submit" { "Sign in" }
                }
            },
        ),
    )
}

pub(super) async fn link_sign_in(
    State(state): State<Arc<AppState>>,
    _: FromOwnPages,
    ClientAddress(client): ClientAddress,
    Path(code): Path<String>,
) -> Response {
    match access::use_sign_in_link(&state.store, &code, chrono::Utc::now()).await {
        Ok(Some(principal)) => start_session(&state, &principal).await,
        Ok(None) => {
            tracing::warn!(
                reason = "unknown, used or expired link",
                "page sign-in failed"
            );
            if let Err(wait) = state.failures.failed(client) {
                return too_many_attempts(wait);
            }
            message_page(
                StatusCode::UNAUTHORIZED,
                None,
                "This link does not work",
                "It has been used already or has expired. Ask your manager for a new link, or sign in with your code.",
            )
        }
        Err(error) => Problem::from(error).into_response(),
    }
}

pub(super) async fn sign_out(
    State(state): State<Arc<AppState>>,
    caller: PageCaller,
    Form(fields): Form<Fields>,
) -> Response {
    if let Some(response) = csrf_refusal(&caller, &fields) {
        return response;
    }
    if let Err(error) = access::end_session(&state.store, &caller.session).await {
        return Problem::from(error).into_response();
    }
    let mut response = Redirect::to("/sign-in").into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&state, "", 0));
    response
}
