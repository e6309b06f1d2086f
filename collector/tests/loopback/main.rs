//! Component tests against a real collector on 127.0.0.1: real mutual TLS,
//! real HTTP, real SQLite, real promtool. No mocks, no retries; every wait
//! is bounded.

mod api;
mod auth;
mod cardinality;
mod enrol;
mod exceptions;
mod ingest;
mod pagination;
mod policy;
mod promtool;
mod replay;
mod support;
mod web;
