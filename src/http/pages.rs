//! The phone page for support workers and the approval page for managers: server-rendered HTML
//! that works without JavaScript.

use super::Route;

/// Every page with its handler.
pub(crate) fn routes() -> Vec<Route> {
    Vec::new()
}
