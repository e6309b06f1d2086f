//! nginx endpoints: HTTPS with or without the security headers, and plain
//! HTTP on the same address that either redirects or serves content. nginx
//! runs in the foreground, one process, with everything under the lab's
//! folder.

use std::fs;
use std::path::Path;
use std::process::Command;

use super::catalogue::WebStyle;
use super::certs::CertFiles;
use super::launch::{spawn_logged, Server};
use super::openssl::MODERN_ECDSA;

const NGINX: &str = "/usr/sbin/nginx";

/// Starts nginx for one endpoint: HTTPS on `https_port`, plain HTTP on
/// `http_port`, both on `host`.
pub fn start(
    name: &str,
    style: WebStyle,
    host: &str,
    https_port: u16,
    http_port: u16,
    cert: &CertFiles,
    dir: &Path,
) -> Server {
    assert!(
        Path::new(NGINX).exists(),
        "nginx is not installed: apt-get install nginx-light (scripts/test installs it)"
    );
    let root = dir.join(name);
    fs::create_dir_all(&root).expect("nginx folder");
    let conf = root.join("nginx.conf");
    fs::write(
        &conf,
        config(style, host, https_port, http_port, cert, &root),
    )
    .expect("write nginx.conf");
    let mut cmd = Command::new(NGINX);
    cmd.arg("-p")
        .arg(&root)
        .arg("-c")
        .arg(&conf)
        .arg("-e")
        .arg(root.join("error.log"));
    spawn_logged(name, cmd, host, https_port, dir)
}

fn config(
    style: WebStyle,
    host: &str,
    https_port: u16,
    http_port: u16,
    cert: &CertFiles,
    root: &Path,
) -> String {
    let r = root.display();
    let tokens = if style == WebStyle::Plain {
        "on"
    } else {
        "off"
    };
    let headers = match style {
        WebStyle::Hardened => security_headers("max-age=31536000; includeSubDomains"),
        WebStyle::WeakHsts => security_headers("max-age=300"),
        WebStyle::Plain => String::new(),
    };
    // Plain HTTP: a redirect to the same host over HTTPS, or the page itself.
    let https_authority = if https_port == 443 {
        "$host".to_owned()
    } else {
        format!("$host:{https_port}")
    };
    let plain = match style {
        WebStyle::Plain => "return 200 \"Trustwatch lab page over plain HTTP\\n\";".to_owned(),
        _ => format!("return 301 https://{https_authority}$request_uri;"),
    };
    format!(
        r#"daemon off;
master_process off;
worker_processes 1;
pid {r}/nginx.pid;
error_log {r}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    default_type text/plain;
    client_body_temp_path {r}/body;
    proxy_temp_path {r}/proxy;
    fastcgi_temp_path {r}/fastcgi;
    uwsgi_temp_path {r}/uwsgi;
    scgi_temp_path {r}/scgi;
    server_tokens {tokens};
    server {{
        listen {host}:{https_port} ssl;
        server_name localhost;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_ciphers {MODERN_ECDSA};
        ssl_prefer_server_ciphers on;
{headers}        location / {{ return 200 "Trustwatch lab page\n"; }}
    }}
    server {{
        listen {host}:{http_port};
        server_name localhost;
        location / {{ {plain} }}
    }}
}}
"#,
        cert = cert.fullchain.display(),
        key = cert.key.display(),
    )
}

fn security_headers(hsts: &str) -> String {
    format!(
        "        add_header Strict-Transport-Security \"{hsts}\" always;\n\
         \x20       add_header X-Content-Type-Options nosniff always;\n\
         \x20       add_header X-Frame-Options DENY always;\n\
         \x20       add_header Referrer-Policy no-referrer always;\n"
    )
}
