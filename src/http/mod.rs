//! `tms serve`: the JSON API v1 for integrations and the phone page for support workers, over
//! one axum app. Handlers are thin: they check who is asking, then call the same use cases
//! (`usecase`) and reports as the command line.
//!
//! Every endpoint is listed once in `api::routes` or `pages::routes`, which build the
//! router; the authorisation-matrix test reads the same lists, so an endpoint cannot be added
//! without being tested.

pub mod api;
pub mod auth;
pub mod limits;
pub mod linger;
pub mod origin;
pub mod pages;
pub mod problem;

use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::MethodRouter;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::sync::watch;
use tower::ServiceExt;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::config::Settings;
use crate::domain::{ExtraCostCentres, LocalZone};
use crate::ledger::changes::{ShiftWriter, WriterSettings};
use crate::store::{Store, StoreError};
use crate::usecase::reference::ReferenceCache;
use crate::usecase::shifts::ShiftDesk;

/// How often expired idempotency keys are forgotten.
const PRUNE_INTERVAL: Duration = Duration::from_secs(3_600);

/// One endpoint: its method and path template, and what it is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Endpoint {
    pub method: &'static str,
    pub path: &'static str,
}

/// An endpoint with its handler.
pub(crate) type Route = (Endpoint, MethodRouter<Arc<AppState>>);

/// What every handler shares.
pub struct AppState {
    pub store: Store,
    pub settings: Arc<Settings>,
    pub zone: LocalZone,
    /// Extra cost centres whose people may be named on shifts (`access.extra_cost_centres`).
    pub extra_cost_centres: ExtraCostCentres,
    pub reference: ReferenceCache,
    pub writer: ShiftWriter,
    pub limiter: auth::RateLimiter,
    pub failures: auth::FailureLimiter,
}

impl AppState {
    /// What the shift use cases need of the state.
    pub fn desk(&self) -> ShiftDesk<'_> {
        ShiftDesk {
            store: &self.store,
            reference: &self.reference,
            writer: &self.writer,
            zone: self.zone,
            extra_cost_centres: &self.extra_cost_centres,
        }
    }

    /// Builds the state and starts the shift writer; the writer stops when the state is dropped.
    pub async fn new(store: Store, settings: Settings) -> Result<Arc<AppState>, StoreError> {
        let settings = Arc::new(settings);
        let zone = settings.zone();
        let extra_cost_centres = settings.extra_cost_centres().clone();
        let reference = ReferenceCache::load(&store, settings.clone()).await?;
        let writer = ShiftWriter::start(
            &store,
            WriterSettings {
                zone,
                auto_approve: settings.api.auto_approve,
            },
        )?;
        Ok(Arc::new(AppState {
            limiter: auth::RateLimiter::new(
                settings.server.rate_limit_per_second,
                settings.server.rate_limit_burst,
            ),
            failures: auth::FailureLimiter::new(
                settings.server.failed_auth_per_minute,
                settings.server.failed_auth_burst,
            ),
            reference,
            store,
            zone,
            extra_cost_centres,
            settings,
            writer,
        }))
    }
}

/// Every endpoint the app serves: the API, then the pages.
pub fn endpoints() -> Vec<Endpoint> {
    api::routes()
        .into_iter()
        .chain(pages::routes())
        .map(|(endpoint, _)| endpoint)
        .collect()
}

/// The app with its protections: body limits per endpoint ([`limits`]), a timeout, responses
/// that caches may not keep unless they say otherwise, and request logs that carry the route
/// template, never the path itself (a sign-in link's code is in its path) or any header.
pub fn app(state: Arc<AppState>) -> Router {
    let server = &state.settings.server;
    let mut router = Router::new();
    for (endpoint, handler) in api::routes().into_iter().chain(pages::routes()) {
        let handler = match limits::BodyLimit::before_handler(&endpoint, server) {
            Some(limit) => handler
                .layer(DefaultBodyLimit::max(limit.bytes))
                .layer(from_fn_with_state(limit, limits::refuse_declared_over)),
            None => handler,
        };
        router = router.route(endpoint.path, handler);
    }
    let trace = TraceLayer::new_for_http()
        .make_span_with(|request: &Request| {
            let route = request
                .extensions()
                .get::<MatchedPath>()
                .map_or("unmatched", MatchedPath::as_str);
            tracing::info_span!("request", method = %request.method(), route)
        })
        .on_request(())
        .on_response(
            tower_http::trace::DefaultOnResponse::new()
                .level(tracing::Level::INFO)
                .latency_unit(tower_http::LatencyUnit::Micros),
        );
    router
        .fallback(|| async { problem::Problem::not_found() })
        // Shifts, reports and signed-in pages carry personal data: no cache may keep them. Only
        // the stylesheet says it may be kept.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(server.request_timeout_seconds),
        ))
        .layer(trace)
        .layer(from_fn(limits::close_after_refusing_a_body))
        .with_state(state)
}

/// A server bound to its address, ready to run.
pub struct Server {
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
}

impl Server {
    /// Binds `listen` (port 0 picks a free port).
    pub async fn bind(state: Arc<AppState>, listen: &str) -> std::io::Result<Server> {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        Ok(Server { listener, state })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` resolves, then stops accepting and lets requests in flight finish
    /// (up to the configured grace period).
    ///
    /// Each connection is served by hyper's HTTP/1 server with a header read timeout: a client
    /// that has not sent a request's whole headers within `server.header_read_timeout_seconds`
    /// (a slow sender, or a connection left idle between requests) is disconnected. Each request
    /// carries its client's address ([`ConnectInfo`]) and the origins sign-in forms are accepted
    /// from ([`origin::SignInOrigins`]). A closed connection lingers briefly ([`linger`]) so that
    /// an answer sent before the request's body was read reaches the client.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let state = self.state.clone();
        let settings = &state.settings.server;
        let grace = Duration::from_secs(settings.shutdown_grace_seconds);
        let origins = Arc::new(origin::SignInOrigins::new(
            settings,
            self.listener.local_addr().ok(),
        ));
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(Duration::from_secs(settings.header_read_timeout_seconds));
        let router = app(state.clone());
        let pruner = tokio::spawn(prune_keys(state.clone()));
        // Every connection holds a receiver: the sender sees them all gone when the last closes.
        let (stopping, stop) = watch::channel(false);
        let (open, connection_open) = watch::channel(());
        let mut shutdown = pin!(shutdown);
        loop {
            let (stream, remote) = tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        accept_failed(error).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let origins = origins.clone();
            let service =
                router
                    .clone()
                    .map_request(move |request: Request<hyper::body::Incoming>| {
                        let mut request = request.map(Body::new);
                        request.extensions_mut().insert(ConnectInfo(remote));
                        request.extensions_mut().insert(origins.clone());
                        request
                    });
            let connection = http.serve_connection(
                TokioIo::new(linger::Lingering::new(stream)),
                TowerToHyperService::new(service),
            );
            let mut stop = stop.clone();
            let connection_open = connection_open.clone();
            tokio::spawn(async move {
                let mut connection = pin!(connection);
                let mut stopping = false;
                loop {
                    tokio::select! {
                        _ = connection.as_mut() => break,
                        _ = stop.wait_for(|stop| *stop), if !stopping => {
                            // Idle connections close now; a request in flight finishes first.
                            connection.as_mut().graceful_shutdown();
                            stopping = true;
                        }
                    }
                }
                drop(connection_open);
            });
        }
        tracing::info!("shutting down: finishing requests in flight");
        drop(self.listener);
        let _ = stopping.send(true);
        drop(connection_open);
        if tokio::time::timeout(grace, open.closed()).await.is_err() {
            tracing::warn!(
                grace_seconds = grace.as_secs(),
                "requests still running after the grace period; stopping"
            );
        }
        pruner.abort();
        Ok(())
    }
}

/// An accept that failed: a connection reset before it was accepted is nothing; anything else
/// (such as running out of file descriptors) is logged and waited out briefly.
async fn accept_failed(error: std::io::Error) {
    use std::io::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::warn!(%error, "cannot accept a connection; retrying in 1 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

async fn prune_keys(state: Arc<AppState>) {
    let retention = chrono::Duration::hours(state.settings.api.idempotency_retention_hours);
    let mut tick = tokio::time::interval(PRUNE_INTERVAL);
    loop {
        tick.tick().await;
        match crate::store::shift_records::prune_responses(
            &state.store,
            chrono::Utc::now() - retention,
        )
        .await
        {
            Ok(0) => {}
            Ok(pruned) => tracing::info!(pruned, "expired idempotency keys forgotten"),
            Err(error) => tracing::warn!(%error, "could not prune idempotency keys"),
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
