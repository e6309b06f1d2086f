//! nginx (Debian's nginx-light) serving one site, with a private config,
//! prefix and logs in the lab folder: Debian's default page, an autoindex
//! directory listing, an admin-page fixture, or the default page over
//! HTTPS with a generated self-signed certificate.

use std::fs;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::tlslab::launch::{spawn_logged, Server};

const NGINX: &str = "/usr/sbin/nginx";
/// The page Debian's nginx package installs as the default site.
const DEBIAN_DEFAULT_PAGE: &str = "/var/www/html/index.nginx-debian.html";
/// The same page as nginx ships it upstream (also in the package).
const UPSTREAM_DEFAULT_PAGE: &str = "/usr/share/nginx/html/index.html";

/// What the site serves at `/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Site {
    /// Debian's "Welcome to nginx!" page, unchanged.
    DefaultPage,
    /// `autoindex on` over a folder of a few files.
    DirectoryListing,
    /// [`ADMIN_FIXTURE`]: a page titled as phpMyAdmin's login page.
    AdminPage,
    /// The default page over HTTPS (self-signed certificate for
    /// `localhost` and the address).
    Https,
}

/// A FIXTURE, not phpMyAdmin: a small page carrying phpMyAdmin's login
/// page title (`phpMyAdmin`) and form field names, so the lab has a
/// management interface without running PHP.
pub const ADMIN_FIXTURE: &str = r#"<!DOCTYPE html>
<html lang="en" dir="ltr">
<head>
  <meta charset="utf-8">
  <meta name="robots" content="noindex,nofollow">
  <title>phpMyAdmin</title>
</head>
<body class="loginform">
  <!-- Trustwatch lab fixture: not phpMyAdmin, only its login page's shape. -->
  <div class="container">
    <h1>Welcome to <bdo dir="ltr" lang="en">phpMyAdmin</bdo></h1>
    <form method="post" action="index.php?route=/" name="login_form" class="disableAjax">
      <fieldset>
        <legend>Log in</legend>
        <label for="input_username">Username:</label>
        <input type="text" name="pma_username" id="input_username" value="" autocomplete="username">
        <label for="input_password">Password:</label>
        <input type="password" name="pma_password" id="input_password" value="" autocomplete="current-password">
      </fieldset>
      <input value="Log in" type="submit" id="input_go">
    </form>
  </div>
</body>
</html>
"#;

/// Starts nginx in the foreground on `ip:port`, its files under
/// `dir/nginx-<port>`; stopped when the returned server is dropped.
pub fn start(dir: &Path, ip: Ipv4Addr, port: u16, site: Site) -> Server {
    assert!(
        Path::new(NGINX).exists(),
        "nginx is not installed: apt-get install nginx-light (scripts/test installs it)"
    );
    let root = dir.join(format!("nginx-{port}"));
    let html = root.join("html");
    fs::create_dir_all(&html).expect("nginx folder");
    let tls = match site {
        Site::DefaultPage | Site::Https => {
            fs::write(html.join("index.html"), default_page()).expect("write default page");
            (site == Site::Https).then(|| self_signed(&root, ip))
        }
        Site::DirectoryListing => {
            for (name, text) in [
                ("notes.txt", "lab notes\n"),
                ("backup-2024.tar.gz", "not really a tarball\n"),
                ("export.csv", "id,name\n1,lab\n"),
            ] {
                fs::write(html.join(name), text).expect("write listed file");
            }
            None
        }
        Site::AdminPage => {
            fs::write(html.join("index.html"), ADMIN_FIXTURE).expect("write admin fixture");
            None
        }
    };
    let conf = root.join("nginx.conf");
    fs::write(&conf, config(&root, &html, ip, port, site, tls.as_ref())).expect("write nginx.conf");
    let mut cmd = Command::new(NGINX);
    cmd.arg("-p")
        .arg(&root)
        .arg("-c")
        .arg(&conf)
        .arg("-e")
        .arg(root.join("error.log"));
    spawn_logged(&format!("nginx-{port}"), cmd, &ip.to_string(), port, dir)
}

/// Debian's default page, as installed by the nginx package.
fn default_page() -> String {
    [DEBIAN_DEFAULT_PAGE, UPSTREAM_DEFAULT_PAGE]
        .iter()
        .find_map(|p| fs::read_to_string(p).ok())
        .unwrap_or_else(|| {
            panic!(
                "neither {DEBIAN_DEFAULT_PAGE} nor {UPSTREAM_DEFAULT_PAGE}: reinstall nginx-common"
            )
        })
}

/// A self-signed certificate and key, PEM, under `root`.
fn self_signed(root: &Path, ip: Ipv4Addr) -> (PathBuf, PathBuf) {
    let names = vec!["localhost".to_owned(), ip.to_string()];
    let certified = rcgen::generate_simple_self_signed(names).expect("self-signed certificate");
    let cert = root.join("cert.pem");
    let key = root.join("key.pem");
    fs::write(&cert, certified.cert.pem()).expect("write certificate");
    fs::write(&key, certified.signing_key.serialize_pem()).expect("write key");
    (cert, key)
}

fn config(
    root: &Path,
    html: &Path,
    ip: Ipv4Addr,
    port: u16,
    site: Site,
    tls: Option<&(PathBuf, PathBuf)>,
) -> String {
    let listen = match tls {
        Some((cert, key)) => format!(
            "listen {ip}:{port} ssl;\n        ssl_certificate {};\n        ssl_certificate_key {};",
            cert.display(),
            key.display()
        ),
        None => format!("listen {ip}:{port};"),
    };
    let autoindex = if site == Site::DirectoryListing {
        "on"
    } else {
        "off"
    };
    let server = format!(
        "root {html};\n        index index.html;\n        autoindex {autoindex};",
        html = html.display()
    );
    http_config(root, &listen, &server)
}

/// An nginx configuration for one server in the foreground, all its files
/// under `root`: `listen` is the listen (and TLS) directives, `server` the
/// rest of the server block.
pub fn http_config(root: &Path, listen: &str, server: &str) -> String {
    let r = root.display();
    format!(
        r#"daemon off;
master_process off;
worker_processes 1;
pid {r}/nginx.pid;
error_log {r}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {r}/access.log;
    types {{ text/html html; text/plain txt csv; application/gzip gz; }}
    default_type application/octet-stream;
    client_body_temp_path {r}/body;
    proxy_temp_path {r}/proxy;
    fastcgi_temp_path {r}/fastcgi;
    uwsgi_temp_path {r}/uwsgi;
    scgi_temp_path {r}/scgi;
    server {{
        {listen}
        server_name _;
        {server}
    }}
}}
"#
    )
}
