//! Enrolment, renewal and revocation of agents.
//!
//! An operator creates a token (`token create`); an agent presents it with
//! a certificate request at `POST /api/v1/enrol` (no client certificate
//! yet) and gets a short-lived client certificate from the collector CA;
//! before it expires the agent renews at `POST /api/v1/renew` over mutual
//! TLS. `agent revoke` refuses the agent's next request on every collector
//! sharing the store. The wire contract is in ARCHITECTURE.md.

mod admin;
mod gate;
mod http;
mod token;

pub use admin::{
    check_spec, create_token, ingest_url, revoke_agent, revoke_token, CreatedToken, TokenSpec,
};
pub use gate::Gate;
pub use http::{router, EnrolState, ENROL_PATH, MAX_BODY_BYTES, RENEW_PATH};
pub use token::{
    generate, parse_ttl, secret_sha256, EnrolToken, TokenTextError, DEFAULT_TTL, MAX_TTL, MAX_USES,
    MIN_TTL, TOKEN_PREFIX,
};
