"""Reading the two tools' output into one shape, and judging it against
the lab's manifest.

One identification per port: {service, product, version, extra, method}.

Counting, precisely (the same for both tools):
- **product identified**: the product field is non-empty (nmap's
  `product` attribute in -oX; Trustwatch's `product`).
- **version identified**: the version field is non-empty (nmap's `version`
  attribute; Trustwatch's `version`). nmap's `extrainfo` (e.g. `protocol
  2.0`) is shown but never counted.
- **service identified**: a service name found by talking to the port, not
  guessed from its number: nmap `method="probed"`; Trustwatch
  `identified_by` banner or probe.
- **product right**: the product (or, failing that, the version string)
  names the program really running, by the keywords in PRODUCT_WORDS.
- **version right**: the version contains the installed upstream version
  (dpkg's, without epoch and Debian revision) as a whole token.
"""

import json
import re
import xml.etree.ElementTree as ET

# nmap's service names → Trustwatch's, to judge the service column.
NMAP_SERVICE = {
    "microsoft-ds": "smb", "netbios-ssn": "smb", "ms-wbt-server": "rdp",
    "memcache": "memcached", "acr-nema": "dicom", "dicom": "dicom", "hl7": "hl7-mllp",
    "ssl/http": "https", "postgresql": "postgresql", "mysql": "mysql",
}

# What counts as naming the real program (lower-case substrings).
PRODUCT_WORDS = {
    "OpenSSH": ["openssh"],
    "vsftpd": ["vsftpd"],
    "GNU inetutils telnetd": ["inetutils", "telnetd"],
    "Exim": ["exim"],
    "Dovecot": ["dovecot"],
    "OpenLDAP": ["openldap"],
    "nginx": ["nginx"],
    "Samba": ["samba"],
    "xrdp": ["xrdp"],
    "PostgreSQL": ["postgresql"],
    "MariaDB": ["mariadb"],
    "Redis": ["redis"],
    "memcached": ["memcache"],
    "DCMTK storescp": ["dcmtk", "storescp"],
    "python-hl7": ["python-hl7", "hl7"],
    "TigerVNC": ["tigervnc"],
    "Net-SNMP": ["net-snmp", "netsnmp"],
}


def nmap_ports(xml_path):
    """{(transport, port): {state, service, product, version, extra, method}}
    from nmap -oX."""
    out = {}
    root = ET.parse(xml_path).getroot()
    for port in root.iter("port"):
        state = port.find("state")
        svc = port.find("service")
        name = svc.get("name", "") if svc is not None else ""
        if svc is not None and svc.get("tunnel") == "ssl" and name == "http":
            name = "ssl/http"
        out[(port.get("protocol"), int(port.get("portid")))] = {
            "state": state.get("state") if state is not None else "",
            "service": name,
            "product": svc.get("product", "") if svc is not None else "",
            "version": svc.get("version", "") if svc is not None else "",
            "extra": svc.get("extrainfo", "") if svc is not None else "",
            "method": svc.get("method", "") if svc is not None else "",
        }
    return out


def nmap_open_tcp(xml_path):
    return sorted(p for (t, p), v in nmap_ports(xml_path).items()
                  if t == "tcp" and v["state"] == "open")


def ours_report(json_path):
    """Trustwatch's JSON report; a run that printed none is an error that
    quotes its stderr (kept next to it as `<stem>.err`)."""
    text = open(json_path).read()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        err = str(json_path)[: -len(".out")] + ".err" if str(json_path).endswith(".out") else ""
        detail = open(err).read()[-2000:] if err else ""
        raise RuntimeError(f"{json_path} holds no JSON report: {text[:200]!r}\n{detail}")


def ours_ports(report):
    """{(transport, port): {service, product, version, extra, method, note,
    banner}} from Trustwatch's JSON report."""
    out = {}
    for s in report.get("services", []):
        out[(s["transport"], s["port"])] = {
            "state": "open",
            "service": s.get("service") or "",
            "product": s.get("product") or "",
            "version": s.get("version") or "",
            "extra": "",
            "method": s.get("identified_by", ""),
            "note": s.get("note") or "",
            "banner": s.get("banner") or "",
        }
    return out


def ours_open_tcp(report):
    return sorted(p for (t, p) in ours_ports(report) if t == "tcp")


def service_identified(tool, ident):
    if not ident or not ident["service"]:
        return False
    if tool == "nmap":
        return ident["method"] == "probed" and not ident["service"].endswith("?")
    return ident["method"] in ("banner", "probe")


def service_right(tool, ident, expected):
    if not expected or not service_identified(tool, ident):
        return False
    name = ident["service"]
    if tool == "nmap":
        name = NMAP_SERVICE.get(name, name)
    return name == expected


def product_right(ident, expected):
    if not expected or not ident or not ident["product"]:
        return False
    text = (ident["product"] + " " + ident["version"]).lower()
    return any(w in text for w in PRODUCT_WORDS.get(expected, [expected.lower()]))


def version_right(ident, installed):
    if not installed or not ident or not ident["version"]:
        return False
    # A whole token: 1.22.1 is in "nginx/1.22.1" and "1.22.1", not in
    # "11.22.10".
    pattern = r"(?<![0-9A-Za-z.])" + re.escape(installed) + r"(?![0-9A-Za-z])"
    return re.search(pattern, ident["version"]) is not None


def tally(tool, rows, services):
    """Counts over the manifest's services for one tool's identifications
    ({(transport, port): ident})."""
    n = {"ports": 0, "service": 0, "service_right": 0, "product": 0, "product_right": 0,
         "version": 0, "version_right": 0}
    for s in services:
        ident = rows.get((s["transport"], s["port"]))
        n["ports"] += 1
        n["service"] += service_identified(tool, ident)
        n["service_right"] += service_right(tool, ident, s["service"])
        n["product"] += bool(ident and ident["product"])
        n["product_right"] += product_right(ident, s["product"])
        n["version"] += bool(ident and ident["version"])
        n["version_right"] += version_right(ident, s["version"])
    return n


def planted_flags(report, host, services):
    """{service name: {rule: flagged?}} for each planted rule: a failing
    finding on `host:port` (per-service rules) or on `host` listing the
    port in its evidence (host-level rules)."""
    out = {}
    for s in services:
        row = {}
        for rule in s["planted"]:
            flagged = False
            for f in report.get("findings", []):
                if f.get("rule_id") != rule or f.get("status") != "fail":
                    continue
                ev = f.get("evidence") or {}
                if f.get("target") == f"{host}:{s['port']}":
                    flagged = True
                elif f.get("target") == host and s["port"] in (ev.get("ports") or []):
                    flagged = True
            row[rule] = flagged
        out[s["name"]] = row
    return out
