//! Enrolment and renewal: certificates issued, and certificate requests
//! refused for what they carried (refusals for WHO sent them are
//! `trustwatch_collector_auth_refusals_total`).

use prometheus::{IntCounterVec, Opts, Registry};

use crate::error::Result;

/// How a certificate came to be issued, as the `via` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssuedVia {
    Enrol,
    Renew,
}

impl IssuedVia {
    pub const ALL: [IssuedVia; 2] = [IssuedVia::Enrol, IssuedVia::Renew];

    pub fn as_str(self) -> &'static str {
        match self {
            IssuedVia::Enrol => "enrol",
            IssuedVia::Renew => "renew",
        }
    }
}

/// Why an enrolment or renewal request was refused for its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertRequestRejection {
    BadCsr,
    Malformed,
    TooLarge,
    NameTaken,
    Storage,
}

impl CertRequestRejection {
    pub const ALL: [CertRequestRejection; 5] = [
        CertRequestRejection::BadCsr,
        CertRequestRejection::Malformed,
        CertRequestRejection::TooLarge,
        CertRequestRejection::NameTaken,
        CertRequestRejection::Storage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CertRequestRejection::BadCsr => "bad_csr",
            CertRequestRejection::Malformed => "malformed",
            CertRequestRejection::TooLarge => "too_large",
            CertRequestRejection::NameTaken => "name_taken",
            CertRequestRejection::Storage => "storage",
        }
    }
}

#[derive(Debug, Clone)]
pub struct EnrolMetrics {
    issued: IntCounterVec,
    rejected: IntCounterVec,
}

impl EnrolMetrics {
    pub(super) fn register(registry: &Registry) -> Result<EnrolMetrics> {
        let issued = IntCounterVec::new(
            Opts::new(
                "trustwatch_collector_certificates_issued_total",
                "Agent certificates issued since the collector started, by enrolment or renewal.",
            ),
            &["via"],
        )?;
        let rejected = IntCounterVec::new(
            Opts::new(
                "trustwatch_collector_certificate_requests_rejected_total",
                "Enrolment and renewal requests refused for their content since the collector started, by reason.",
            ),
            &["reason"],
        )?;
        registry.register(Box::new(issued.clone()))?;
        registry.register(Box::new(rejected.clone()))?;
        for via in IssuedVia::ALL {
            issued.with_label_values(&[via.as_str()]);
        }
        for reason in CertRequestRejection::ALL {
            rejected.with_label_values(&[reason.as_str()]);
        }
        Ok(EnrolMetrics { issued, rejected })
    }

    pub fn issue(&self, via: IssuedVia) {
        self.issued.with_label_values(&[via.as_str()]).inc();
    }

    pub fn issued(&self, via: IssuedVia) -> u64 {
        self.issued.with_label_values(&[via.as_str()]).get()
    }

    pub fn reject(&self, reason: CertRequestRejection) {
        self.rejected.with_label_values(&[reason.as_str()]).inc();
    }

    pub fn rejected(&self, reason: CertRequestRejection) -> u64 {
        self.rejected.with_label_values(&[reason.as_str()]).get()
    }
}
