//! Observations of the web server behind one HTTPS endpoint: the response to
//! `GET /` over TLS, and what the same host answers on plain HTTP.
//!
//! Only the headers the baseline's rules read are kept, so that an
//! observation stays small and carries no cookies or other session data.

use serde::{Deserialize, Serialize};

/// Response headers the HTTP rules look at (lower-case). Everything else a
/// server sends is dropped by the probe.
pub const SELECTED_HEADERS: &[&str] = &[
    "strict-transport-security",
    "server",
    "x-powered-by",
    "x-aspnet-version",
    "x-aspnetmvc-version",
    "x-content-type-options",
    "x-frame-options",
    "content-security-policy",
    "referrer-policy",
    "location",
];

/// One response header, name lower-cased, value as sent (trimmed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub name: String,
    pub value: String,
}

/// The status line and selected headers of one HTTP response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpResponse {
    pub status: u16,
    /// In the order received; a header sent twice appears twice.
    pub headers: Vec<Header>,
}

impl HttpResponse {
    /// The first value of `name` (case-insensitive). RFC 6797 §8.1: only the
    /// first Strict-Transport-Security header counts, and the same reading
    /// is used for every header here.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    }

    /// Every value of `name` (case-insensitive), in order.
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    }
}

/// What the HTTPS request got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum HttpsOutcome {
    Response(HttpResponse),
    /// No HTTP response: the TLS handshake failed, the server timed out,
    /// closed early or answered with something that is not HTTP.
    Failed {
        reason: String,
    },
}

/// What the same host answered on its plain-HTTP port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum PlainHttp {
    /// No plain-HTTP port was configured for this endpoint.
    NotChecked { reason: String },
    /// Nothing listens: the connection was refused, or the connect got no
    /// answer at all (a filtered port serves nothing to this vantage point).
    Closed { reason: String },
    /// A server answered.
    Response {
        #[serde(flatten)]
        response: HttpResponse,
        /// Body bytes received after the headers, counted up to the probe's
        /// cap (a redirect notice is a few hundred bytes).
        body_bytes: u64,
    },
    /// Connected, but no usable HTTP response: timed out, closed early or
    /// answered with something that is not HTTP.
    Failed { reason: String },
}

/// Everything the HTTP step of the TLS probe saw of one endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpObservation {
    /// `host:port` of the TLS endpoint, exactly as given.
    pub target: String,
    /// The host as it appears in a URL (IPv6 in brackets): the Host header
    /// sent, and the host a plain-HTTP redirect must point back to.
    pub host: String,
    /// `https://host[:port]/`, the URL fetched over TLS.
    pub https_url: String,
    pub https: HttpsOutcome,
    /// `http://host[:port]/`, when a plain-HTTP port was checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plain_url: Option<String>,
    pub plain: PlainHttp,
}
