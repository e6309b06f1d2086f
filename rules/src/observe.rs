//! What probes observe, as plain data. Probes in the agent fill these in;
//! the evaluator turns them into findings. "Port closed", "handshake
//! refused" and "certificate expired" are observations here, not errors.

pub mod dnshealth;
pub mod http;
pub mod mail;
pub mod mailroute;
pub mod packages;
pub mod service;
pub mod spf;
pub mod tls;

// The register is read beside the observations it is compared with.
pub use crate::register::{ApprovedService, ServiceRegister};
pub use dnshealth::{
    AxfrProbe, CaaObservation, CaaRecord, ChainEnd, CnameChain, DanglingObservation,
    DnsHealthObservation, DnssecObservation, NameServerObservation, NameServerOutcome,
    NameServerProbe, RecursionProbe, Validation, ValidationStep,
};
pub use http::{Header, HttpObservation, HttpResponse, HttpsOutcome, PlainHttp};
pub use mail::{
    DkimKey, DkimObservation, DkimSelector, DmarcObservation, DmarcPolicy, DmarcRecord, DnsLookup,
    LookupFailure, MxHost, MxObservation, TlsRptObservation, TlsRptRecord,
};
// The route's own MX types (`mailroute::MxHost`, `mailroute::MxObservation`)
// carry the SMTP sessions; they are named through their module.
pub use mailroute::{
    AccreditedLookup, MailRouteObservation, MailService, MtaStsObservation, MxCoverage, MxOutcome,
    NegotiatedTls, PolicyFetch, SmtpSession, StsMode, StsPolicy, StsRecord,
};
pub use packages::{
    AdvisoryMatch, AdvisorySeverity, AutoUpdates, DataSource, InstalledPackage, KernelState,
    OsRelease, PackageFormat, RebootState, SystemObservation,
};
pub use service::{
    CleartextDetail, DicomDetail, HttpDetail, IdentifiedBy, RdpDetail, ServiceDetail,
    ServiceObservation, SmbDetail, SnmpAnswer, SnmpDetail, SshDetail, SshHostKey, Transport,
};
pub use spf::{
    MechanismKind, PermErrorKind, PtrCheck, Qualifier, SpfMechanism, SpfNetwork, SpfNode,
    SpfObservation, SpfRecord, SpfResult, SpfVia,
};
pub use tls::{
    AttemptOutcome, CertificateSummary, ChainObservation, CipherSuite, KeyAlgorithm,
    KeyExchangeGroup, ProtocolAttempt, PublicKeySummary, SuiteClass, TlsFeatures, TlsObservation,
    TlsVersion, TrustVerdict, VersionSuites,
};
