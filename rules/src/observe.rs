//! What probes observe, as plain data. Probes in the agent fill these in;
//! the evaluator turns them into findings. "Port closed", "handshake
//! refused" and "certificate expired" are observations here, not errors.

pub mod http;
pub mod mailroute;
pub mod packages;
pub mod service;
pub mod tls;

// The register is read beside the observations it is compared with.
pub use crate::register::{ApprovedService, ServiceRegister};
pub use http::{Header, HttpObservation, HttpResponse, HttpsOutcome, PlainHttp};
pub use mailroute::{
    AccreditedLookup, MailRouteObservation, MailService, MtaStsObservation, MxCoverage, MxHost,
    MxObservation, MxOutcome, NegotiatedTls, PolicyFetch, SmtpSession, StsMode, StsPolicy,
    StsRecord,
};
pub use packages::{
    AdvisoryMatch, AdvisorySeverity, AutoUpdates, DataSource, InstalledPackage, KernelState,
    OsRelease, PackageFormat, RebootState, SystemObservation,
};
pub use service::{
    CleartextDetail, DicomDetail, HttpDetail, IdentifiedBy, RdpDetail, ServiceDetail,
    ServiceObservation, SmbDetail, SnmpAnswer, SnmpDetail, SshDetail, SshHostKey, Transport,
};
pub use tls::{
    AttemptOutcome, CertificateSummary, ChainObservation, CipherSuite, KeyAlgorithm,
    KeyExchangeGroup, ProtocolAttempt, PublicKeySummary, SuiteClass, TlsFeatures, TlsObservation,
    TlsVersion, TrustVerdict, VersionSuites,
};
