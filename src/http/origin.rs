//! Where a sign-in post came from: sign-in forms are accepted only from tms's own pages, judged by
//! the `Origin` header (or `Referer` when a browser sends no `Origin`) against the public URL and
//! the address tms listens on, so another site cannot sign a visitor in under someone else's name.

use std::net::SocketAddr;

use crate::config::{ServerSettings, origin_of};

/// Why a sign-in post was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OriginError {
    #[error("the form was sent from another site")]
    OtherSite,
    #[error("the form was sent from a page that hides where it is")]
    Hidden,
}

/// The origins tms's own pages are served from, as `scheme://host:port`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignInOrigins(Vec<String>);

impl SignInOrigins {
    /// The public URL, the configured listen address, and the address actually bound (which
    /// differs when listening on port 0); a loopback address may also be reached as `localhost`.
    pub fn new(server: &ServerSettings, bound: Option<SocketAddr>) -> SignInOrigins {
        let mut origins = Vec::new();
        let mut add = |origin: Option<String>| {
            if let Some(origin) = origin
                && !origins.contains(&origin)
            {
                origins.push(origin);
            }
        };
        add(origin_of(&server.public_url));
        add(origin_of(&format!("http://{}", server.listen)));
        if let Some(bound) = bound {
            add(origin_of(&format!("http://{bound}")));
            if bound.ip().is_loopback() {
                add(Some(format!("http://localhost:{}", bound.port())));
            }
        }
        SignInOrigins(origins)
    }

    /// Checks the `Origin` and `Referer` of a sign-in post. A request with neither comes from a
    /// program, not a browser page (browsers send `Origin` with every form post), and passes.
    pub fn check(&self, origin: Option<&str>, referer: Option<&str>) -> Result<(), OriginError> {
        let Some(sent) = origin.or(referer).map(str::trim) else {
            return Ok(());
        };
        if sent.eq_ignore_ascii_case("null") {
            return Err(OriginError::Hidden);
        }
        match origin_of(sent) {
            Some(found) if self.0.contains(&found) => Ok(()),
            _ => Err(OriginError::OtherSite),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origins(public_url: &str, listen: &str, bound: Option<&str>) -> SignInOrigins {
        let mut server = crate::config::Settings::load(None).unwrap().server;
        server.public_url = public_url.into();
        server.listen = listen.into();
        SignInOrigins::new(&server, bound.map(|b| b.parse().unwrap()))
    }

    #[test]
    fn origins_are_normalised() {
        assert_eq!(
            origin_of("HTTPS://Tms.Example.org/sign-in?x=1").as_deref(),
            Some("https://tms.example.org:443")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8080").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(
            origin_of("http://[::1]:8080/").as_deref(),
            Some("http://[::1]:8080")
        );
        assert_eq!(
            origin_of("http://[::1]").as_deref(),
            Some("http://[::1]:80")
        );
        assert_eq!(origin_of("ftp://example.org"), None);
        assert_eq!(origin_of("http://:80"), None);
        assert_eq!(origin_of("http://host:port"), None);
        assert_eq!(origin_of("tms.example.org"), None);
    }

    #[test]
    fn own_pages_pass_and_other_sites_do_not() {
        let ours = origins(
            "https://tms.example.org/",
            "127.0.0.1:8080",
            Some("127.0.0.1:41234"),
        );
        for own in [
            "https://tms.example.org",
            "https://tms.example.org:443",
            "http://127.0.0.1:8080",
            "http://127.0.0.1:41234",
            "http://localhost:41234",
        ] {
            assert_eq!(ours.check(Some(own), None), Ok(()), "{own}");
        }
        assert_eq!(
            ours.check(None, Some("https://tms.example.org/sign-in")),
            Ok(())
        );
        assert_eq!(ours.check(None, None), Ok(()));
        for other in [
            "https://evil.example",
            "http://tms.example.org",
            "https://tms.example.org.evil.example",
            "http://127.0.0.1:9999",
            "garbage",
        ] {
            assert_eq!(
                ours.check(Some(other), None),
                Err(OriginError::OtherSite),
                "{other}"
            );
        }
        assert_eq!(
            ours.check(Some("null"), Some("https://tms.example.org/")),
            Err(OriginError::Hidden)
        );
        // Origin, when sent, decides; Referer is only a stand-in for it.
        assert_eq!(
            ours.check(
                Some("https://evil.example"),
                Some("https://tms.example.org/")
            ),
            Err(OriginError::OtherSite)
        );
        assert_eq!(
            ours.check(None, Some("https://evil.example/page")),
            Err(OriginError::OtherSite)
        );
    }
}
