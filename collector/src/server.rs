//! `serve`: the collector assembled from a validated config. `start` does
//! everything that can fail on the operator's input (CA, certificates,
//! store, binding both listeners) so errors surface before anything runs;
//! `run` then serves until the caller's shutdown future completes.

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use time::OffsetDateTime;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;
use trustwatch_rules::Catalogue;

use crate::api::{self, ApiState};
use crate::ca::{Ca, CaOrigin};
use crate::config::Config;
use crate::enrol::{self, EnrolState, Gate};
use crate::error::{Error, Result};
use crate::ingest::{self, IngestState};
use crate::metrics::Metrics;
use crate::store::Store;
use crate::tls;

/// One POST to the SIEM's HEC, connect to last byte.
const SIEM_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// A collector with its listeners bound, ready to `run`.
pub struct Collector {
    config: Config,
    ca: Arc<Ca>,
    ca_origin: CaOrigin,
    server_cert_issued: bool,
    server_cert_not_after: OffsetDateTime,
    store: Store,
    metrics: Metrics,
    catalogue: Arc<Catalogue>,
    acceptor: TlsAcceptor,
    ingest_listener: TcpListener,
    http_listener: TcpListener,
    stored: watch::Sender<u64>,
    /// The OCSF push to a Splunk HEC, when `[siem.hec]` is set.
    siem: Option<crate::siem::Pump>,
}

impl std::fmt::Debug for Collector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Collector")
            .field("ingest", &self.ingest_listener)
            .field("http", &self.http_listener)
            .field("data_dir", &self.config.data_dir)
            .finish_non_exhaustive()
    }
}

impl Collector {
    pub async fn start(config: Config) -> Result<Collector> {
        let catalogue = Arc::new(Catalogue::embedded()?);
        let (ca, ca_origin) = Ca::load_or_create(&config.data_dir)?;
        let server = ca.server_cert(&config.data_dir, &config.ingest.server_names)?;
        let server_cert_issued = server.issued;
        let server_cert_not_after = server.not_after;
        let acceptor = TlsAcceptor::from(tls::ingest_server_config(&ca, server)?);
        let store = Store::connect(&config.store, &config.data_dir).await?;
        let metrics = Metrics::new()?;
        metrics.set_store_backend(store.backend_name());
        // The HEC client's TLS settings and the cursor are checked before
        // any socket opens, like the rest of the configuration.
        let siem = match &config.siem.hec {
            None => None,
            Some(hec) => Some(crate::siem::Pump::new(
                store.clone(),
                catalogue.clone(),
                crate::siem::Hec::new(hec.clone(), SIEM_TIMEOUT)?,
                &config.data_dir,
                metrics.siem.clone(),
            )?),
        };
        let ingest_listener = bind("ingest listener", config.ingest.listen).await?;
        let http_listener = bind("HTTP listener", config.http.listen).await?;
        Ok(Collector {
            config,
            ca: Arc::new(ca),
            ca_origin,
            server_cert_issued,
            server_cert_not_after,
            store,
            metrics,
            catalogue,
            acceptor,
            ingest_listener,
            http_listener,
            stored: watch::channel(0).0,
            siem,
        })
    }

    /// The real ingest address (port 0 in the config is resolved here).
    pub fn ingest_addr(&self) -> SocketAddr {
        self.ingest_listener
            .local_addr()
            .unwrap_or(self.config.ingest.listen)
    }

    pub fn http_addr(&self) -> SocketAddr {
        self.http_listener
            .local_addr()
            .unwrap_or(self.config.http.listen)
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn ca(&self) -> &Ca {
        &self.ca
    }

    pub fn ca_origin(&self) -> CaOrigin {
        self.ca_origin
    }

    /// Whether this start issued a new server certificate, and its expiry.
    pub fn server_cert(&self) -> (bool, OffsetDateTime) {
        (self.server_cert_issued, self.server_cert_not_after)
    }

    pub fn data_dir(&self) -> PathBuf {
        self.config.data_dir.clone()
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Counts reports stored since start; changes on every report.
    pub fn subscribe_reports(&self) -> watch::Receiver<u64> {
        self.stored.subscribe()
    }

    /// Serves both listeners until `shutdown` completes, then drains.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let stopped = |mut rx: watch::Receiver<bool>| async move {
            crate::shutdown::stopped(&mut rx).await;
        };
        let ingest_app = ingest::router(IngestState {
            store: self.store.clone(),
            metrics: self.metrics.clone(),
            max_report_bytes: self.config.ingest.max_report_bytes,
            body_read_timeout: self.config.ingest.limits.body_read_timeout,
            stored: self.stored.clone(),
            queue: Arc::new(tokio::sync::Semaphore::new(
                self.config.ingest.max_queued_reports,
            )),
        })
        .merge(enrol::router(EnrolState {
            store: self.store.clone(),
            metrics: self.metrics.clone(),
            ca: self.ca.clone(),
            cert_days: self.config.enrol.cert_days,
            body_read_timeout: self.config.ingest.limits.body_read_timeout,
        }));
        let gate = Gate {
            store: self.store.clone(),
            metrics: self.metrics.clone(),
        };
        let api_app = api::router(ApiState {
            store: self.store.clone(),
            metrics: self.metrics.clone(),
            catalogue: self.catalogue.clone(),
            stale_after: self.config.agents.stale_after,
            config: Arc::new(self.config.clone()),
        });
        let ingest_task = tokio::spawn(ingest::serve(
            self.ingest_listener,
            self.acceptor,
            ingest_app,
            gate,
            self.config.ingest.limits.clone(),
            stopped(stop_rx.clone()),
        ));
        let retention_task = tokio::spawn(crate::retention::run(
            self.store.clone(),
            self.config.retention,
            self.metrics.clone(),
            stopped(stop_rx.clone()),
        ));
        let siem_task = self
            .siem
            .map(|pump| tokio::spawn(pump.run(self.stored.subscribe(), stop_rx.clone())));
        let http_task = tokio::spawn(
            axum::serve(self.http_listener, api_app)
                .with_graceful_shutdown(stopped(stop_rx))
                .into_future(),
        );
        shutdown.await;
        let _ = stop_tx.send(true);
        let task_err = |e: tokio::task::JoinError| Error::Task {
            what: "listener",
            reason: e.to_string(),
        };
        ingest_task.await.map_err(task_err)?;
        retention_task.await.map_err(task_err)?;
        if let Some(task) = siem_task {
            task.await.map_err(task_err)?;
        }
        http_task
            .await
            .map_err(task_err)?
            .map_err(|source| Error::Serve {
                what: "HTTP listener",
                addr: self.config.http.listen,
                source,
            })
    }
}

async fn bind(what: &'static str, addr: SocketAddr) -> Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| Error::Bind { what, addr, source })
}
