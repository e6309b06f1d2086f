//! A real nginx on 127.0.0.1 for the HTTP component tests (Debian's
//! `nginx-light` or `nginx`), run in the foreground as one process from a
//! temp folder: killed on drop, every wait bounded.
//!
//! One instance serves three HTTPS sites, each paired with a plain-HTTP
//! listener, so that every HTTP rule has a passing and a failing case:
//!
//! | site     | HTTPS headers                                     | plain HTTP           |
//! |----------|---------------------------------------------------|----------------------|
//! | hardened | HSTS 2 years + includeSubDomains + preload, nosniff, CSP frame-ancestors, Referrer-Policy; `server_tokens off` | 301 to https://same host |
//! | weak     | HSTS max-age=86400 only, `Server: nginx/x.y.z`   | 302 to https://       |
//! | bare     | none, `Server: nginx/x.y.z`                      | 200 with a page      |

#![allow(dead_code)] // each test binary uses a different part

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const NGINX: &str = "/usr/sbin/nginx";

/// An HTTPS port and the plain-HTTP port paired with it.
#[derive(Debug, Clone, Copy)]
pub struct Site {
    pub https: u16,
    pub plain: u16,
}

#[derive(Debug)]
pub struct Nginx {
    child: Child,
    dir: tempfile::TempDir,
    pub hardened: Site,
    pub weak: Site,
    pub bare: Site,
}

fn tls(cert: &Path, key: &Path) -> String {
    format!(
        "ssl_certificate {};\n    ssl_certificate_key {};\n    ssl_protocols TLSv1.2 TLSv1.3;",
        cert.display(),
        key.display()
    )
}

fn config(dir: &Path, cert: &Path, key: &Path, h: Site, w: Site, b: Site) -> String {
    let d = dir.display();
    let tls = tls(cert, key);
    format!(
        r#"daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 64; }}
http {{
  access_log {d}/access.log;
  client_body_temp_path {d}/body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;
  default_type text/html;
  server_tokens on;

  server {{
    listen 127.0.0.1:{h_https} ssl;
    {tls}
    server_tokens off;
    add_header Strict-Transport-Security "max-age=63072000; includeSubDomains; preload" always;
    add_header X-Content-Type-Options nosniff always;
    add_header Content-Security-Policy "default-src 'self'; frame-ancestors 'none'" always;
    add_header Referrer-Policy strict-origin-when-cross-origin always;
    location / {{ return 200 "hardened\n"; }}
  }}
  server {{
    listen 127.0.0.1:{h_plain};
    server_tokens off;
    location / {{ return 301 https://$host:{h_https}$request_uri; }}
  }}

  server {{
    listen 127.0.0.1:{w_https} ssl;
    {tls}
    add_header Strict-Transport-Security "max-age=86400" always;
    add_header X-Frame-Options SAMEORIGIN always;
    location / {{ return 200 "weak\n"; }}
  }}
  server {{
    listen 127.0.0.1:{w_plain};
    location / {{ return 302 https://$host:{w_https}$request_uri; }}
  }}

  server {{
    listen 127.0.0.1:{b_https} ssl;
    {tls}
    location / {{ return 200 "bare\n"; }}
  }}
  server {{
    listen 127.0.0.1:{b_plain};
    location / {{ return 200 "<html><body>{page}</body></html>\n"; }}
  }}
}}
"#,
        h_https = h.https,
        h_plain = h.plain,
        w_https = w.https,
        w_plain = w.plain,
        b_https = b.https,
        b_plain = b.plain,
        // A page well past a redirect notice's size.
        page = "Patient portal. ".repeat(200),
    )
}

/// `n` distinct ports of 127.0.0.1 that were free a moment ago: all bound
/// at once, so none repeats, then released for nginx.
fn free_ports(n: usize) -> Vec<u16> {
    let held: Vec<std::net::TcpListener> = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    held.iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect()
}

impl Nginx {
    /// Starts nginx with `cert`/`key` for the HTTPS sites, on six free
    /// ports of 127.0.0.1, and waits until every listener accepts.
    pub fn start(cert: &Path, key: &Path) -> Nginx {
        assert!(
            Path::new(NGINX).exists(),
            "{NGINX} is missing: these component tests need nginx (apt-get install -y nginx-light)"
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let ports = free_ports(6);
        let site = |i: usize| Site {
            https: ports[i],
            plain: ports[i + 1],
        };
        let (hardened, weak, bare) = (site(0), site(2), site(4));
        let conf: PathBuf = dir.path().join("nginx.conf");
        std::fs::write(&conf, config(dir.path(), cert, key, hardened, weak, bare)).unwrap();
        let child = Command::new(NGINX)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&conf)
            // The error log nginx opens before reading its config.
            .arg("-e")
            .arg(dir.path().join("startup.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {NGINX}: {e}"));
        let mut nginx = Nginx {
            child,
            dir,
            hardened,
            weak,
            bare,
        };
        nginx.wait_ready(&ports);
        nginx
    }

    fn log(&self) -> String {
        ["startup.log", "error.log"]
            .iter()
            .filter_map(|f| std::fs::read_to_string(self.dir.path().join(f)).ok())
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn wait_ready(&mut self, ports: &[u16]) {
        let deadline = Instant::now() + Duration::from_secs(10);
        for &port in ports {
            let addr: SocketAddr = ([127, 0, 0, 1], port).into();
            loop {
                if let Ok(Some(status)) = self.child.try_wait() {
                    panic!("nginx exited early with {status}: {}", self.log());
                }
                if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "nginx did not listen on {addr} within 10s: {}",
                    self.log()
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
