"""Map sslyze's and testssl.sh's JSON results onto Trustwatch rule ids.

Each function returns {rule_id: True|False} for one endpoint: True when the
tool's output shows the rule's weakness, False when it shows its absence.
A rule the tool does not assess is left out (shown as "n/c", not covered).

The mapping, rule by rule (baseline thresholds from shared/spec/baseline.md):

| rule     | sslyze (facts; our thresholds applied)            | testssl.sh (its ids; its verdicts where it gives one) |
|----------|---------------------------------------------------|-------------------------------------------------------|
| TLS-001  | ssl_2_0 / ssl_3_0 accepted suites non-empty       | SSLv2 / SSLv3 finding "offered"                        |
| TLS-002  | tls_1_0 / tls_1_1 accepted suites non-empty       | TLS1 / TLS1_1 finding "offered"                        |
| TLS-003  | neither tls_1_2 nor tls_1_3 accepted              | TLS1_2 and TLS1_3 both "not offered"                   |
| TLS-004  | tls_1_3 accepted suites empty                     | TLS1_3 "not offered"                                   |
| TLS-005  | an accepted suite named NULL/anon/EXPORT/RC4/DES  | cipherlist_NULL/aNULL/EXPORT/LOW/3DES_IDEA "offered", or RC4 not OK |
| TLS-006  | a TLS<=1.2 suite without ephemeral key exchange,  | a cipher_x* line whose IANA name is not (EC)DHE/anon,  |
|          | or an ephemeral DH key < 2048 bits, or an ECDH    | or "DH <2048" in a cipher_x* line, or LOGJAM not OK    |
|          | curve < 256 bits (X25519/X448 are fine)           |                                                        |
| TLS-007  | a TLS 1.2 suite that is not GCM/CCM/ChaCha20      | TLS1_2 offered and (a non-AEAD suite in cipherorder_TLSv1_2, or LUCKY13 not OK) |
| TLS-008  | compression supported, or no secure renegotiation | CRIME_TLS or secure_renego not OK                      |
| CERT-001 | leaf not_valid_after < now (or before > now)      | cert_expirationStatus "expired"                        |
| CERT-002 | leaf expires within 30 days                       | cert_expirationStatus not OK and not expired           |
| CERT-003 | path validation against the supplied CA fails    | cert_chain_of_trust not OK, unless "expired"           |
|          | for a reason other than the host name or dates    |                                                        |
| CERT-004 | validation error "no matching subjectAltName"     | cert_trust not OK                                      |
| CERT-005 | leaf RSA < 2048 / EC < 256 bits, or a SHA-1/MD5   | cert_signatureAlgorithm or cert_keySize not OK         |
|          | signature in the served chain                     |                                                        |
| CERT-006 | leaf validity > 3 years (private CA)              | cert_validityPeriod not OK / not "No finding"          |
| HTTP-001 | not assessed (sslyze never speaks plain HTTP)     | not assessed (testssl never speaks plain HTTP)         |
| HTTP-002 | http_headers: no Strict-Transport-Security        | HSTS "not offered"                                     |
| HTTP-003 | HSTS max_age < 31536000 or no includeSubDomains   | HSTS_time not OK, or HSTS_subdomains not "includes subdomains" |
| HTTP-004 | not assessed (no banner check)                    | banner_server shows a version number                   |
| HTTP-005 | not assessed (HSTS only)                          | security_headers not OK (none sent), or one of X-Frame-Options, X-Content-Type-Options, Referrer-Policy missing |

"Not OK" for testssl.sh means a severity of LOW, MEDIUM, HIGH or CRITICAL;
WARN (testssl could not run the check, e.g. its OpenSSL refused a 1024-bit DH
handshake) counts as neither. sslyze reports facts without verdicts, so the
baseline's thresholds are applied to them; testssl.sh's own verdicts are used
where it gives one, its facts otherwise.
"""

import datetime as dt
import re

BROKEN = re.compile(r"NULL|_anon_|EXPORT|RC4|DES")
AEAD = re.compile(r"GCM|CCM|CHACHA20")
ONE_YEAR = 31536000
THREE_YEARS_DAYS = 3 * 365 + 1


def _ts(text):
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _accepted(sr, key):
    part = sr.get(key) or {}
    result = part.get("result") or {}
    return result.get("accepted_cipher_suites") or []


def sslyze_rules(server, now, ca_path):
    """Rule verdicts for one entry of sslyze's server_scan_results."""
    out = {}
    if server.get("scan_status") != "COMPLETED":
        return out
    sr = server["scan_result"]
    versions = {
        "ssl2": _accepted(sr, "ssl_2_0_cipher_suites"),
        "ssl3": _accepted(sr, "ssl_3_0_cipher_suites"),
        "tls10": _accepted(sr, "tls_1_0_cipher_suites"),
        "tls11": _accepted(sr, "tls_1_1_cipher_suites"),
        "tls12": _accepted(sr, "tls_1_2_cipher_suites"),
        "tls13": _accepted(sr, "tls_1_3_cipher_suites"),
    }
    out["TLS-001"] = bool(versions["ssl2"] or versions["ssl3"])
    out["TLS-002"] = bool(versions["tls10"] or versions["tls11"])
    out["TLS-003"] = not (versions["tls12"] or versions["tls13"])
    out["TLS-004"] = not versions["tls13"]
    every = [a for v in versions.values() for a in v]
    out["TLS-005"] = any(
        BROKEN.search(a["cipher_suite"]["name"]) or a["cipher_suite"].get("is_anonymous")
        for a in every
    )
    weak_kex = False
    for key in ("ssl3", "tls10", "tls11", "tls12"):
        for a in versions[key]:
            name = a["cipher_suite"]["name"]
            eph = a.get("ephemeral_key")
            if "DHE_" not in name and "_anon_" not in name:
                weak_kex = True  # static RSA / DH / ECDH: no forward secrecy
            if eph and eph.get("type_name") == "DH" and eph.get("size", 0) < 2048:
                weak_kex = True
            if eph and eph.get("type_name") == "ECDH":
                curve = (eph.get("curve_name") or "").upper()
                if curve not in ("X25519", "X448") and eph.get("size", 0) < 256:
                    weak_kex = True
    out["TLS-006"] = weak_kex
    out["TLS-007"] = any(not AEAD.search(a["cipher_suite"]["name"]) for a in versions["tls12"])
    comp = (sr.get("tls_compression") or {}).get("result")
    reneg = (sr.get("session_renegotiation") or {}).get("result")
    if comp is not None and reneg is not None:
        out["TLS-008"] = bool(comp["supports_compression"]) or not reneg[
            "supports_secure_renegotiation"
        ]
    _sslyze_cert(sr, now, ca_path, out)
    hh = (sr.get("http_headers") or {}).get("result")
    if hh is not None and hh.get("http_error_trace") is None:
        hsts = hh.get("strict_transport_security_header")
        out["HTTP-002"] = hsts is None
        out["HTTP-003"] = hsts is not None and (
            (hsts.get("max_age") or 0) < ONE_YEAR or not hsts.get("include_subdomains")
        )
    return out


def _sslyze_cert(sr, now, ca_path, out):
    ci = (sr.get("certificate_info") or {}).get("result")
    if not ci or not ci.get("certificate_deployments"):
        return
    dep = ci["certificate_deployments"][0]
    chain = dep["received_certificate_chain"]
    leaf = chain[0]
    before, after = _ts(leaf["not_valid_before"]), _ts(leaf["not_valid_after"])
    out["CERT-001"] = now > after or now < before
    out["CERT-002"] = now <= after <= now + dt.timedelta(days=30)
    mine = [
        p for p in dep["path_validation_results"]
        if p["trust_store"].get("path") == str(ca_path) or "Supplied" in p["trust_store"]["name"]
    ]
    if mine:
        p = mine[0]
        error = p.get("validation_error") or ""
        name_error = "subjectAltName" in error or "hostname" in error.lower()
        # Dates are CERT-001's business, as in Trustwatch.
        date_error = "not valid at validation time" in error or "expired" in error.lower()
        out["CERT-004"] = name_error
        out["CERT-003"] = not p["was_validation_successful"] and not (name_error or date_error)
    key = leaf["public_key"]
    weak_key = (key["algorithm"].startswith("RSA") and key["key_size"] < 2048) or (
        key["algorithm"].startswith("EllipticCurve") and key["key_size"] < 256
    )
    weak_sig = any(
        (c.get("signature_hash_algorithm") or {}).get("name") in ("sha1", "md5")
        for c in chain
    )
    out["CERT-005"] = weak_key or weak_sig or bool(dep.get("verified_chain_has_sha1_signature"))
    out["CERT-006"] = (after - before).days > THREE_YEARS_DAYS


def _bad(item):
    """A testssl.sh verdict of a problem. WARN is its own failure to test
    (e.g. its OpenSSL refused the handshake), so it says nothing either way."""
    return item["severity"] in ("LOW", "MEDIUM", "HIGH", "CRITICAL")


def _offered(item):
    f = item["finding"].lower()
    return "offered" in f and "not offered" not in f


def _ephemeral(iana):
    return any(k in iana for k in ("_DHE_", "_ECDHE_", "_anon_")) or iana.startswith(
        ("TLS_AES_", "TLS_CHACHA20_")
    )


def testssl_rules(items):
    """Rule verdicts for one endpoint's findings in testssl.sh's flat JSON."""
    by = {}
    for it in items:
        by.setdefault(it["id"], []).append(it)

    def one(i):
        return by.get(i, [None])[0]

    out = {}
    if one("SSLv2") and one("SSLv3"):
        out["TLS-001"] = _offered(one("SSLv2")) or _offered(one("SSLv3"))
    if one("TLS1") and one("TLS1_1"):
        out["TLS-002"] = _offered(one("TLS1")) or _offered(one("TLS1_1"))
    if one("TLS1_2") and one("TLS1_3"):
        out["TLS-003"] = not (_offered(one("TLS1_2")) or _offered(one("TLS1_3")))
        out["TLS-004"] = not _offered(one("TLS1_3"))
    lists = ["cipherlist_NULL", "cipherlist_aNULL", "cipherlist_EXPORT", "cipherlist_LOW",
             "cipherlist_3DES_IDEA"]
    if any(one(i) for i in lists):
        out["TLS-005"] = any(one(i) and _offered(one(i)) for i in lists) or bool(
            one("RC4") and _bad(one("RC4"))
        )
    # cipher_xNNNN: "x2f  AES128-SHA  RSA  AES  128  TLS_RSA_WITH_AES_128_CBC_SHA";
    # the key-exchange column reads "ECDH 253" / "DH 1024" for ephemeral
    # exchanges too, so the IANA name (last column) decides.
    ciphers = [it["finding"].split() for k, v in by.items() if k.startswith("cipher_x") for it in v]
    if ciphers:
        weak = any(not _ephemeral(c[-1]) for c in ciphers)
        weak |= any(c[2] == "DH" and c[3].isdigit() and int(c[3]) < 2048 for c in ciphers)
        weak |= any(one(i) and _bad(one(i)) for i in ("LOGJAM", "LOGJAM-common_primes"))
        weak |= any(_bad(it) for it in by.get("LOGJAM", []))
        out["TLS-006"] = weak
    if one("TLS1_2"):
        order = one("cipherorder_TLSv1_2")
        cbc = bool(order and any(not AEAD.search(n) for n in order["finding"].split()))
        cbc |= _offered(one("TLS1_2")) and bool(one("LUCKY13") and _bad(one("LUCKY13")))
        out["TLS-007"] = _offered(one("TLS1_2")) and cbc
    crime, reneg = one("CRIME_TLS"), one("secure_renego")
    if crime and reneg and crime["severity"] != "WARN" and reneg["severity"] != "WARN":
        out["TLS-008"] = _bad(crime) or _bad(reneg)
    exp = one("cert_expirationStatus")
    if exp:
        expired = "expired" in exp["finding"].lower()
        out["CERT-001"] = expired
        out["CERT-002"] = _bad(exp) and not expired
    chain = one("cert_chain_of_trust")
    if chain:
        # "failed (expired)." is CERT-001's business, as in Trustwatch.
        out["CERT-003"] = _bad(chain) and "expired" not in chain["finding"].lower()
    if one("cert_trust"):
        out["CERT-004"] = _bad(one("cert_trust"))
    if one("cert_signatureAlgorithm") and one("cert_keySize"):
        out["CERT-005"] = _bad(one("cert_signatureAlgorithm")) or _bad(one("cert_keySize"))
    if one("cert_validityPeriod"):
        v = one("cert_validityPeriod")
        out["CERT-006"] = _bad(v) or "no finding" not in v["finding"].lower()
    if one("HSTS"):  # only present when HSTS is missing or broken
        out["HTTP-002"] = "not offered" in one("HSTS")["finding"].lower()
    elif one("HSTS_time"):
        out["HTTP-002"] = False
        sub = one("HSTS_subdomains")
        out["HTTP-003"] = _bad(one("HSTS_time")) or bool(
            sub and "includes subdomains" not in sub["finding"].lower()
        )
    if one("banner_server"):
        out["HTTP-004"] = bool(re.search(r"/\d", one("banner_server")["finding"]))
    if one("security_headers"):  # only present when none is sent
        out["HTTP-005"] = _bad(one("security_headers"))
    elif one("X-Frame-Options") or one("X-Content-Type-Options"):
        out["HTTP-005"] = not (one("X-Frame-Options") and one("X-Content-Type-Options")
                               and one("Referrer-Policy"))
    return out
