//! Prometheus exposition. The collector's own health lives in long-lived
//! counters; the posture gauges are rebuilt from the store on every scrape,
//! so a series disappears when what it counted does (no stale gauges).
//! Labels are site, severity, status, rule, control family and baseline:
//! never a host or target, whatever the estate's size.

mod compliance;
mod coverage;
mod enrol;
mod exceptions;
mod health;
mod ingest;
mod posture;
mod siem;

use std::time::Instant;

use prometheus::{
    Gauge, Histogram, HistogramOpts, IntCounter, IntCounterVec, Opts, Registry, TextEncoder,
};
use trustwatch_rules::Catalogue;

use crate::error::Result;
use crate::store::Aggregates;

pub use compliance::{compliance, control_family, ComplianceRatio};
pub use enrol::{CertRequestRejection, EnrolMetrics, IssuedVia};
pub use ingest::IngestCounters;
pub use siem::{SiemMetrics, SiemResult};

/// The content type of the text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Why an upload was refused, as the `reason` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectReason {
    TooLarge,
    Malformed,
    SchemaVersion,
    Storage,
    /// Too many reports waiting to be stored: answered 429 + Retry-After.
    Busy,
}

impl RejectReason {
    pub const ALL: [RejectReason; 5] = [
        RejectReason::TooLarge,
        RejectReason::Malformed,
        RejectReason::SchemaVersion,
        RejectReason::Storage,
        RejectReason::Busy,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::TooLarge => "too_large",
            RejectReason::Malformed => "malformed",
            RejectReason::SchemaVersion => "schema_version",
            RejectReason::Storage => "storage",
            RejectReason::Busy => "busy",
        }
    }
}

/// Why a request was refused for who sent it (not for what it carried),
/// as the `reason` label of `trustwatch_collector_auth_refusals_total`.
/// A closed set: the label can never grow with the estate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthRefusal {
    /// An ingest request without a client certificate.
    NoClientCertificate,
    /// A client certificate the collector CA did not issue.
    UnknownCa,
    /// A chain-valid certificate that is expired or not yet valid, or
    /// otherwise refused at the handshake.
    BadCertificate,
    /// A certificate issued to an agent that has since been revoked.
    Revoked,
    /// A report whose `agent` is not the name in the client certificate.
    IdentityMismatch,
    /// A report id reused with a different body, or an older sequence.
    ReplayedReport,
    /// An enrolment token that does not exist or whose secret is wrong.
    TokenInvalid,
    TokenExpired,
    TokenUsedUp,
    /// A missing, unknown, expired or revoked API token.
    ApiTokenInvalid,
    /// A valid API token whose role does not allow the request.
    RoleForbidden,
}

impl AuthRefusal {
    pub const ALL: [AuthRefusal; 11] = [
        AuthRefusal::NoClientCertificate,
        AuthRefusal::UnknownCa,
        AuthRefusal::BadCertificate,
        AuthRefusal::Revoked,
        AuthRefusal::IdentityMismatch,
        AuthRefusal::ReplayedReport,
        AuthRefusal::TokenInvalid,
        AuthRefusal::TokenExpired,
        AuthRefusal::TokenUsedUp,
        AuthRefusal::ApiTokenInvalid,
        AuthRefusal::RoleForbidden,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuthRefusal::NoClientCertificate => "no_client_certificate",
            AuthRefusal::UnknownCa => "unknown_ca",
            AuthRefusal::BadCertificate => "bad_certificate",
            AuthRefusal::Revoked => "revoked",
            AuthRefusal::IdentityMismatch => "identity_mismatch",
            AuthRefusal::ReplayedReport => "replayed_report",
            AuthRefusal::TokenInvalid => "token_invalid",
            AuthRefusal::TokenExpired => "token_expired",
            AuthRefusal::TokenUsedUp => "token_used_up",
            AuthRefusal::ApiTokenInvalid => "api_token_invalid",
            AuthRefusal::RoleForbidden => "role_forbidden",
        }
    }
}

/// The collector's own health metrics.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    pub reports_ingested: IntCounter,
    pub findings_ingested: IntCounter,
    rejected: IntCounterVec,
    auth_refusals: IntCounterVec,
    pub ingest_duration: Histogram,
    scrape_duration: Gauge,
    pub ingest: IngestCounters,
    health: health::Health,
    pub enrol: EnrolMetrics,
    pub siem: SiemMetrics,
}

impl Metrics {
    pub fn new() -> Result<Metrics> {
        let registry = Registry::new();
        let reports_ingested = IntCounter::new(
            "trustwatch_collector_reports_ingested_total",
            "Reports accepted and stored since the collector started.",
        )?;
        let findings_ingested = IntCounter::new(
            "trustwatch_collector_findings_ingested_total",
            "Findings in reports accepted and stored since the collector started.",
        )?;
        let rejected = IntCounterVec::new(
            Opts::new(
                "trustwatch_collector_reports_rejected_total",
                "Report uploads refused since the collector started, by reason.",
            ),
            &["reason"],
        )?;
        let auth_refusals = IntCounterVec::new(
            Opts::new(
                "trustwatch_collector_auth_refusals_total",
                "Requests refused for who sent them (certificate, revocation, identity, token, role) since the collector started, by reason.",
            ),
            &["reason"],
        )?;
        let ingest_duration = Histogram::with_opts(HistogramOpts::new(
            "trustwatch_collector_ingest_duration_seconds",
            "Time to read, validate and durably store one report upload.",
        ))?;
        let scrape_duration = Gauge::new(
            "trustwatch_collector_scrape_duration_seconds",
            "Time the latest /metrics scrape took to compute posture aggregates from the store.",
        )?;
        registry.register(Box::new(reports_ingested.clone()))?;
        registry.register(Box::new(findings_ingested.clone()))?;
        registry.register(Box::new(rejected.clone()))?;
        registry.register(Box::new(auth_refusals.clone()))?;
        registry.register(Box::new(ingest_duration.clone()))?;
        registry.register(Box::new(scrape_duration.clone()))?;
        let ingest = IngestCounters::register(&registry)?;
        let health = health::Health::register(&registry)?;
        // Every reason is exported from the start, so a rate() over a
        // reason that has not happened yet is 0 rather than absent.
        for reason in RejectReason::ALL {
            rejected.with_label_values(&[reason.as_str()]);
        }
        for reason in AuthRefusal::ALL {
            auth_refusals.with_label_values(&[reason.as_str()]);
        }
        let enrol = EnrolMetrics::register(&registry)?;
        let siem = SiemMetrics::register(&registry)?;
        Ok(Metrics {
            registry,
            reports_ingested,
            findings_ingested,
            rejected,
            auth_refusals,
            ingest_duration,
            scrape_duration,
            ingest,
            health,
            enrol,
            siem,
        })
    }

    pub fn reject(&self, reason: RejectReason) {
        self.rejected.with_label_values(&[reason.as_str()]).inc();
    }

    pub fn rejected(&self, reason: RejectReason) -> u64 {
        self.rejected.with_label_values(&[reason.as_str()]).get()
    }

    /// Counts one refusal; the caller logs the one tracing event.
    pub fn refuse(&self, reason: AuthRefusal) {
        self.auth_refusals
            .with_label_values(&[reason.as_str()])
            .inc();
    }

    pub fn refused(&self, reason: AuthRefusal) -> u64 {
        self.auth_refusals
            .with_label_values(&[reason.as_str()])
            .get()
    }

    /// Records the store backend (`sqlite` or `postgres`) for the info metric.
    pub fn set_store_backend(&self, backend: &str) {
        self.health.set_backend(backend);
    }

    /// Renders the full exposition: posture from `aggregates` plus health.
    /// `None`: the store did not answer; only health is rendered, with
    /// `trustwatch_collector_store_up` 0. `started` is when the scrape
    /// began (before the store was read).
    pub fn render(
        &self,
        aggregates: Option<&Aggregates>,
        catalogue: &Catalogue,
        started: Instant,
    ) -> Result<String> {
        self.health.set_store_up(aggregates.is_some());
        // Without aggregates the posture families are empty (and so left
        // out); rule and build info still come out.
        let empty = Aggregates::default();
        let mut families = posture::registry(aggregates.unwrap_or(&empty), catalogue)?.gather();
        self.scrape_duration.set(started.elapsed().as_secs_f64());
        families.extend(self.registry.gather());
        families.sort_by(|a, b| a.name().cmp(b.name()));
        Ok(TextEncoder::new().encode_to_string(&families)?)
    }
}
