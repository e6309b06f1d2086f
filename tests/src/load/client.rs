//! One upload over mutual TLS: connect, POST, read the answer, close. A
//! new connection per report, as an agent waking for its cycle makes.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::header::{CONTENT_TYPE, HOST, RETRY_AFTER};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use rustls::ClientConfig;
use rustls_pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// Each upload finishes within this or counts as failed.
pub const UPLOAD_BOUND: Duration = Duration::from_secs(60);

#[derive(Debug)]
pub enum Outcome {
    Accepted {
        duplicate: bool,
    },
    /// 429 or 503 with the Retry-After it carried (1 s when absent).
    Busy(Duration),
    Refused(u16, String),
    Failed(String),
}

pub async fn post(addr: SocketAddr, tls: &Arc<ClientConfig>, body: Vec<u8>) -> Outcome {
    match tokio::time::timeout(UPLOAD_BOUND, exchange(addr, tls, body)).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(e)) => Outcome::Failed(e),
        Err(_) => Outcome::Failed(format!("no answer within {}s", UPLOAD_BOUND.as_secs())),
    }
}

async fn exchange(
    addr: SocketAddr,
    tls: &Arc<ClientConfig>,
    body: Vec<u8>,
) -> Result<Outcome, String> {
    let mut session = Session::open(addr, tls).await?;
    let answer = session.send("/api/v1/reports", body).await?;
    Ok(answer.outcome())
}

/// The collector's answer to one request.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<u64>,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }

    fn outcome(self) -> Outcome {
        match StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR) {
            StatusCode::ACCEPTED | StatusCode::OK => Outcome::Accepted {
                duplicate: self.json()["duplicate"] == true,
            },
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
                Outcome::Busy(Duration::from_secs(self.retry_after.unwrap_or(1).min(60)))
            }
            other => Outcome::Refused(other.as_u16(), self.body.chars().take(200).collect()),
        }
    }
}

/// One mutual-TLS connection kept alive for several requests.
#[derive(Debug)]
pub struct Session {
    addr: SocketAddr,
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    driver: tokio::task::JoinHandle<Result<(), hyper::Error>>,
}

impl Session {
    pub async fn open(addr: SocketAddr, tls: &Arc<ClientConfig>) -> Result<Session, String> {
        let tcp = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let _ = tcp.set_nodelay(true);
        let name = ServerName::IpAddress(addr.ip().into());
        let stream = TlsConnector::from(tls.clone())
            .connect(name, tcp)
            .await
            .map_err(|e| format!("TLS: {e}"))?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("HTTP: {e}"))?;
        Ok(Session {
            addr,
            sender,
            driver: tokio::spawn(conn),
        })
    }

    /// POSTs `body` (JSON) to `path` and reads the answer (up to 64 KiB).
    pub async fn send(&mut self, path: &str, body: Vec<u8>) -> Result<Answer, String> {
        self.sender
            .ready()
            .await
            .map_err(|e| format!("connection: {e}"))?;
        let request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(HOST, self.addr.to_string())
            .header(CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        let response = self
            .sender
            .send_request(request)
            .await
            .map_err(|e| format!("request: {e}"))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let body = Limited::new(response.into_body(), 64 * 1024)
            .collect()
            .await
            .map(|b| String::from_utf8_lossy(&b.to_bytes()).into_owned())
            .map_err(|e| format!("reading the answer: {e}"))?;
        Ok(Answer {
            status,
            retry_after,
            body,
        })
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.driver.abort();
    }
}
