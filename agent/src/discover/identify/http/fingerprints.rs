//! Fingerprints of default pages, directory listings (HTTP-006) and
//! management interfaces (HTTP-007), matched against the answer to `GET /`.
//!
//! Each fingerprint is a set of marks that must all be present; the first
//! fingerprint that matches names the page. Marks are product names and
//! phrases as the products print them (case matters), in the title, the
//! authentication realm, the body, the `Server` header or a header's
//! presence. A bare "login" never matches: a router or switch login page
//! counts only when it names its vendor.

/// Where a mark is looked for.
#[derive(Debug, Clone, Copy)]
enum At {
    Title,
    /// A whole word of the title (for short tokens such as `EWS`).
    TitleWord,
    Realm,
    Body,
    Server,
    /// A header with this (lower-case) name is present.
    Header,
}

#[derive(Debug)]
struct Fingerprint {
    label: &'static str,
    marks: &'static [(At, &'static str)],
}

/// What the fingerprints are matched against.
#[derive(Debug, Clone, Copy)]
pub(super) struct Page<'a> {
    pub title: Option<&'a str>,
    pub realm: Option<&'a str>,
    pub server: Option<&'a str>,
    pub body: &'a str,
    /// Lower-case header names.
    pub header_names: &'a [&'a str],
}

const fn fp(label: &'static str, marks: &'static [(At, &'static str)]) -> Fingerprint {
    Fingerprint { label, marks }
}

const DIRECTORY_LISTING: &str = "directory listing";

/// Default pages of web servers and directory listings (HTTP-006).
const DEFAULT_PAGES: &[Fingerprint] = &[
    fp("nginx default page", &[(At::Body, "Welcome to nginx!")]),
    fp(
        "Apache Debian default page",
        &[(At::Body, "Apache2 Debian Default Page")],
    ),
    fp(
        "Apache Ubuntu default page",
        &[(At::Body, "Apache2 Ubuntu Default Page")],
    ),
    fp(
        "Apache test page",
        &[(At::Title, "Test Page for the Apache HTTP Server")],
    ),
    fp(
        "Apache test page",
        &[(At::Title, "Apache HTTP Server Test Page")],
    ),
    // Apache's own index.html, shipped unchanged by many builds.
    fp("Apache default page", &[(At::Body, "<h1>It works!</h1>")]),
    fp("IIS default page", &[(At::Title, "IIS Windows Server")]),
    fp(
        "IIS default page",
        &[(At::Title, "Internet Information Services")],
    ),
    fp(
        "Tomcat default page",
        &[
            (At::Title, "Apache Tomcat"),
            (At::Body, "If you're seeing this"),
        ],
    ),
    fp(
        "lighttpd placeholder page",
        &[(At::Body, "lighttpd"), (At::Body, "Placeholder page")],
    ),
    fp(
        "lighttpd placeholder page",
        &[
            (At::Body, "lighttpd"),
            (At::Body, "not put up any web pages yet"),
        ],
    ),
    // nginx and Apache autoindex.
    fp(DIRECTORY_LISTING, &[(At::Title, "Index of /")]),
    // Python's http.server.
    fp(DIRECTORY_LISTING, &[(At::Title, "Directory listing for /")]),
    // IIS directory browsing titles the page `<host> - /`.
    fp(DIRECTORY_LISTING, &[(At::Body, "- /</title>")]),
];

/// Management interfaces (HTTP-007).
const ADMIN_INTERFACES: &[Fingerprint] = &[
    fp("phpMyAdmin", &[(At::Title, "phpMyAdmin")]),
    fp(
        "Tomcat Manager",
        &[(At::Realm, "Tomcat Manager Application")],
    ),
    fp(
        "Tomcat Host Manager",
        &[(At::Realm, "Tomcat Host Manager Application")],
    ),
    fp("HP iLO", &[(At::Title, "HPE iLO")]),
    fp("HP iLO", &[(At::Title, "HP iLO")]),
    fp("HP iLO", &[(At::Body, "Integrated Lights-Out")]),
    fp("HP iLO", &[(At::Server, "HPE-iLO-Server")]),
    fp("HP iLO", &[(At::Server, "HP-iLO-Server")]),
    fp("Dell iDRAC", &[(At::Title, "iDRAC")]),
    fp(
        "Dell iDRAC",
        &[(At::Body, "Integrated Dell Remote Access Controller")],
    ),
    fp("VMware ESXi", &[(At::Title, "VMware ESXi")]),
    fp("VMware ESXi", &[(At::Body, "ID_EESX_Welcome")]),
    fp("VMware ESXi", &[(At::Body, "VMware ESXi")]),
    fp("VMware vSphere", &[(At::Title, "vSphere")]),
    fp("VMware vSphere", &[(At::Body, "VMware vSphere")]),
    // Cisco IOS's HTTP server challenges with the privilege level.
    fp("Cisco", &[(At::Realm, "level_15_access")]),
    fp("Cisco", &[(At::Realm, "level_15 access")]),
    fp("Cisco", &[(At::Title, "Cisco")]),
    fp("FortiGate", &[(At::Title, "FortiGate")]),
    fp("FortiGate", &[(At::Body, "ftnt-fortinet-grid")]),
    // FortiOS really does send this placeholder as its Server header.
    fp("FortiGate", &[(At::Server, "xxxxxxxx-xxxxx")]),
    fp("pfSense", &[(At::Title, "pfSense")]),
    fp("Webmin", &[(At::Title, "Webmin")]),
    fp("Webmin", &[(At::Server, "MiniServ")]),
    fp("Jenkins", &[(At::Header, "x-jenkins")]),
    fp("Jenkins", &[(At::Title, "[Jenkins]")]),
    fp("Grafana", &[(At::Title, "Grafana")]),
    fp("Kibana", &[(At::Header, "kbn-name")]),
    fp("Kibana", &[(At::Title, "Kibana")]),
    fp(
        "HP Embedded Web Server",
        &[(At::Body, "HP Embedded Web Server")],
    ),
    fp(
        "HP Embedded Web Server",
        &[(At::Body, "HPE Embedded Web Server")],
    ),
    fp("HP Embedded Web Server", &[(At::Server, "HP HTTP Server")]),
    fp("printer panel (EWS)", &[(At::TitleWord, "EWS")]),
    fp("Synology DSM", &[(At::Title, "Synology")]),
    fp("RabbitMQ Management", &[(At::Title, "RabbitMQ Management")]),
    fp("MikroTik RouterOS", &[(At::Title, "RouterOS")]),
    fp(
        "Juniper J-Web",
        &[(At::Title, "Juniper Web Device Manager")],
    ),
    fp("SonicWall", &[(At::Title, "SonicWall")]),
    fp("SonicWall", &[(At::Title, "SonicWALL")]),
];

/// The default page or directory listing `page` is, if any.
pub(super) fn default_page(page: &Page<'_>) -> Option<&'static str> {
    first_match(DEFAULT_PAGES, page)
}

/// The management interface `page` belongs to, if any.
pub(super) fn admin_interface(page: &Page<'_>) -> Option<&'static str> {
    first_match(ADMIN_INTERFACES, page)
}

/// What TLS servers answer, in HTTP, to a plain-HTTP request (instead of
/// a TLS alert): nginx, Apache httpd, Go's net/http.
const PLAIN_HTTP_ON_TLS: &[&str] = &[
    "The plain HTTP request was sent to HTTPS port",
    "speaking plain HTTP to an SSL-enabled server port",
    "Client sent an HTTP request to an HTTPS server",
];

/// A plain-HTTP request reached a TLS port and the server said so in HTTP.
pub(super) fn asks_for_tls(status: u16, body: &str) -> bool {
    status == 400 && PLAIN_HTTP_ON_TLS.iter().any(|text| body.contains(text))
}

fn first_match(table: &[Fingerprint], page: &Page<'_>) -> Option<&'static str> {
    table
        .iter()
        .find(|f| f.marks.iter().all(|&(at, text)| has(page, at, text)))
        .map(|f| f.label)
}

fn has(page: &Page<'_>, at: At, text: &str) -> bool {
    match at {
        At::Title => page.title.is_some_and(|t| t.contains(text)),
        At::TitleWord => page.title.is_some_and(|t| {
            t.split(|c: char| !c.is_ascii_alphanumeric())
                .any(|w| w == text)
        }),
        At::Realm => page.realm.is_some_and(|r| r.contains(text)),
        At::Body => page.body.contains(text),
        At::Server => page.server.is_some_and(|s| s.contains(text)),
        At::Header => page.header_names.contains(&text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page<'a>(title: Option<&'a str>, body: &'a str) -> Page<'a> {
        Page {
            title,
            realm: None,
            server: None,
            body,
            header_names: &[],
        }
    }

    #[test]
    fn default_pages() {
        let nginx = "<title>Welcome to nginx!</title><h1>Welcome to nginx!</h1>";
        assert_eq!(
            default_page(&page(Some("Welcome to nginx!"), nginx)),
            Some("nginx default page")
        );
        let debian = "<title>Apache2 Debian Default Page: It works</title>\
                      <h1>It works!</h1>";
        assert_eq!(
            default_page(&page(Some("Apache2 Debian Default Page: It works"), debian)),
            Some("Apache Debian default page")
        );
        assert_eq!(
            default_page(&page(None, "<html><body><h1>It works!</h1></body></html>")),
            Some("Apache default page")
        );
        assert_eq!(
            default_page(&page(Some("IIS Windows Server"), "")),
            Some("IIS default page")
        );
        assert_eq!(
            default_page(&page(
                Some("Apache Tomcat/9.0.65"),
                "<h2>If you're seeing this, you've successfully installed Tomcat.</h2>"
            )),
            Some("Tomcat default page")
        );
        assert_eq!(
            default_page(&page(
                Some("Placeholder page"),
                "<h1>Placeholder page</h1> ... lighttpd ..."
            )),
            Some("lighttpd placeholder page")
        );
        // A Tomcat error page is not its default page.
        assert_eq!(
            default_page(&page(Some("Apache Tomcat/9.0.65 - Error report"), "404")),
            None
        );
    }

    #[test]
    fn directory_listings() {
        for (title, body) in [
            (Some("Index of /"), "<h1>Index of /</h1>"),
            (Some("Index of /files/"), ""),
            (Some("Directory listing for /"), ""),
            (Some("host - /"), "<head><title>host - /</title></head>"),
        ] {
            assert_eq!(
                default_page(&page(title, body)),
                Some(DIRECTORY_LISTING),
                "{title:?}"
            );
        }
    }

    #[test]
    fn admin_interfaces() {
        assert_eq!(
            admin_interface(&page(Some("phpMyAdmin"), "")),
            Some("phpMyAdmin")
        );
        let tomcat = Page {
            realm: Some("Tomcat Manager Application"),
            ..page(None, "")
        };
        assert_eq!(admin_interface(&tomcat), Some("Tomcat Manager"));
        let jenkins = Page {
            header_names: &["x-jenkins", "server"],
            ..page(Some("Dashboard"), "")
        };
        assert_eq!(admin_interface(&jenkins), Some("Jenkins"));
        let webmin = Page {
            server: Some("MiniServ/2.021"),
            ..page(None, "")
        };
        assert_eq!(admin_interface(&webmin), Some("Webmin"));
        assert_eq!(
            admin_interface(&page(Some("iLO 5"), "HPE Integrated Lights-Out 5")),
            Some("HP iLO")
        );
        assert_eq!(
            admin_interface(&page(Some("Printer EWS"), "")),
            Some("printer panel (EWS)")
        );
        assert_eq!(
            admin_interface(&page(Some("NEWSROOM"), "")),
            None,
            "EWS must be a whole word"
        );
    }

    #[test]
    fn generic_logins_do_not_match() {
        for title in ["Login", "Router Login", "Switch management", "Admin"] {
            assert_eq!(admin_interface(&page(Some(title), "login password")), None);
            assert_eq!(default_page(&page(Some(title), "login password")), None);
        }
    }

    #[test]
    fn tls_complaints() {
        assert!(asks_for_tls(
            400,
            "<center>The plain HTTP request was sent to HTTPS port</center>"
        ));
        assert!(asks_for_tls(
            400,
            "Reason: You're speaking plain HTTP to an SSL-enabled server port."
        ));
        assert!(!asks_for_tls(
            200,
            "The plain HTTP request was sent to HTTPS port"
        ));
    }
}
