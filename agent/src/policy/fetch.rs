//! `GET /api/v1/policy` over mutual TLS.

use std::time::Duration;

use hyper::{Method, StatusCode};

use super::Policy;
use crate::https::Response;
use crate::net::Resolver;
use crate::upload::Collector;

pub const POLICY_PATH: &str = "/api/v1/policy";

/// What the collector said about this agent's policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    Policy(Policy),
    /// 404: the site has no policy (a collector without the endpoint says
    /// the same); the local config applies alone.
    NoPolicy,
    /// No usable answer; the cached policy applies. Why, for the log.
    Unavailable(String),
}

impl Fetched {
    pub fn from_response(r: &Response) -> Fetched {
        match r.status {
            StatusCode::OK => match serde_json::from_slice::<Policy>(&r.body) {
                Ok(policy) => Fetched::Policy(policy),
                Err(e) => Fetched::Unavailable(format!(
                    "the collector's policy is not valid JSON of the expected shape ({e})"
                )),
            },
            StatusCode::NOT_FOUND => Fetched::NoPolicy,
            status => {
                Fetched::Unavailable(format!("the collector answered {status}: {}", r.message()))
            }
        }
    }
}

pub async fn fetch(collector: &Collector, resolver: &Resolver, timeout: Duration) -> Fetched {
    match collector
        .call(Method::GET, POLICY_PATH, None, resolver, timeout)
        .await
    {
        Ok(response) => Fetched::from_response(&response),
        Err(u) => Fetched::Unavailable(u.reason),
    }
}
