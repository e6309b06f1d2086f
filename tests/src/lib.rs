//! Helpers shared by the end-to-end tests: the real binaries, real servers
//! (`openssl s_server`, the collector, Prometheus) on 127.0.0.1, a test PKI,
//! a minimal HTTP client, promtool, the Grafana dashboards as tests read
//! them, and root filesystems for the package tests.
//! Nothing here reaches beyond loopback.

pub mod dnslab;
pub mod grafana;
pub mod http;
pub mod lab;
pub mod load;
pub mod net;
pub mod pki;
pub mod postgres;
pub mod process;
pub mod prometheus;
pub mod promtool;
pub mod roots;
pub mod scrape;
pub mod svclab;
pub mod tlslab;

pub use process::{binary, Child, Collector, OpensslServer};
