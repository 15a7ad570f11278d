//! Request body limits per endpoint: a small one for page forms (the sign-in form included), a
//! larger one for JSON, and the upload limit only for the bulk shift upload, which reads its body
//! itself once the caller is known to be allowed to upload. A body whose declared length is over
//! its limit is refused with 413 before any of it is read; one sent without a length is cut off
//! at the limit.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::Endpoint;
use super::problem::Problem;
use crate::config::ServerSettings;

/// The one endpoint that takes large bodies.
pub const UPLOAD_PATH: &str = "/api/v1/imports/shifts";

/// The most a request may send, and the setting that says so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BodyLimit {
    pub bytes: usize,
    pub setting: &'static str,
}

impl BodyLimit {
    /// The limit of the bulk upload.
    pub fn upload(server: &ServerSettings) -> BodyLimit {
        BodyLimit {
            bytes: server.upload_limit_bytes,
            setting: "server.upload_limit_bytes",
        }
    }

    /// The limit applied to `endpoint` before its handler runs, or `None` for the bulk upload,
    /// whose handler checks the caller first and then reads under [`BodyLimit::upload`].
    pub fn before_handler(endpoint: &Endpoint, server: &ServerSettings) -> Option<BodyLimit> {
        if endpoint.path == UPLOAD_PATH {
            None
        } else if endpoint.path.starts_with("/api/") {
            Some(BodyLimit {
                bytes: server.body_limit_bytes,
                setting: "server.body_limit_bytes",
            })
        } else {
            Some(BodyLimit {
                bytes: server.form_limit_bytes,
                setting: "server.form_limit_bytes",
            })
        }
    }

    /// The 413 answer for a body of `length` bytes (or more).
    pub fn refusal(&self, length: u64) -> Problem {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Request too large",
            format!(
                "the body is {length} bytes or more; the most here is {} ({})",
                self.bytes, self.setting
            ),
        )
    }

    /// Whether `length` bytes are more than this limit allows.
    pub fn exceeded_by(&self, length: u64) -> bool {
        usize::try_from(length).map_or(true, |length| length > self.bytes)
    }
}

/// The body length a request declares, if it declares one.
pub fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// Middleware: refuses a request whose declared length is over `limit` without reading its body.
pub async fn refuse_declared_over(
    State(limit): State<BodyLimit>,
    request: Request,
    next: Next,
) -> Response {
    match declared_length(request.headers()) {
        Some(length) if limit.exceeded_by(length) => limit.refusal(length).into_response(),
        _ => next.run(request).await,
    }
}

/// Middleware: an error answered to a request that carries a body closes the connection. The
/// body may not have been read (a caller refused, a body over its limit), and a client that kept
/// the connection for its next request would find it closed under that request.
pub async fn close_after_refusing_a_body(request: Request, next: Next) -> Response {
    let headers = request.headers();
    let has_body = declared_length(headers).is_some_and(|length| length > 0)
        || headers.contains_key(header::TRANSFER_ENCODING);
    let mut response = next.run(request).await;
    let status = response.status();
    if has_body && (status.is_client_error() || status.is_server_error()) {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_json_and_the_upload_have_their_own_limits() {
        let server = crate::config::Settings::load(None).unwrap().server;
        let limit = |method, path| BodyLimit::before_handler(&Endpoint { method, path }, &server);
        assert_eq!(limit("POST", "/sign-in").map(|l| l.bytes), Some(65_536));
        assert_eq!(limit("POST", "/shifts").map(|l| l.bytes), Some(65_536));
        assert_eq!(
            limit("POST", "/api/v1/shifts").map(|l| l.bytes),
            Some(262_144)
        );
        assert_eq!(limit("POST", UPLOAD_PATH), None);
        assert_eq!(BodyLimit::upload(&server).bytes, 67_108_864);
        let form = limit("POST", "/sign-in").unwrap();
        assert!(!form.exceeded_by(65_536));
        assert!(form.exceeded_by(65_537));
        assert!(
            form.refusal(70_000)
                .detail
                .contains("server.form_limit_bytes")
        );
    }
}
