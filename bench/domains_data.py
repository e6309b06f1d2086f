"""The domain benchmark's data: seeded zone files for N mail domains
(`trust0001.test` …) and the few shared zones they point at.

Every domain has a realistic mix of the records the agent checks:

- SPF (90 %): `ip4:` senders in 192.0.2.0/24 (TEST-NET-1: data only; the
  agent only asks for their PTRs, never connects), `mx`, and 0–3 includes
  of a handful of shared provider zones (`spf.provider1.test` …, one of
  which includes another); about 8 % are broken: more than 10 lookups,
  an include loop, two SPF records, an include of a missing name; the
  qualifier of `all` varies (mostly `-all` and `~all`, some `?all`, a few
  `+all`);
- DMARC (85 %) with varied `p=`, `sp=`, `pct=` and `rua=` (some to another
  domain, with or without its authorisation record), a few malformed;
- DKIM at `selector1` (70 %), one of two real RSA public keys (base64 of
  the SubjectPublicKeyInfo DER), made once with openssl and reused;
- MX (95 %): `mx.<zone>` (sometimes also `mx2.<zone>`, or a shared
  `mx.mailhost.test`) whose A records are in 127.0.0.0/8, so the agent's
  port-25 STARTTLS connects stay on loopback (nothing listens there: the
  connect is refused); a few domains publish a null MX;
- TLS-RPT (`_smtp._tls`, 30 %);
- no `_mta-sts` record anywhere, so the agent fetches no policy over HTTPS.

The reverse zone `2.0.192.in-addr.arpa` holds PTRs for the odd host
numbers of 192.0.2.0/24 (some forward-confirmed, some not); the even ones
have none (NXDOMAIN).
"""

import base64
import random
import subprocess

OPENSSL = "/usr/bin/openssl"
PROVIDERS = 5
# 192.0.2.0/24 is documentation space: nothing here connects to it.
SENDER_NET = "192.0.2"
REVERSE_ZONE = "2.0.192.in-addr.arpa"


def domain_name(i):
    return f"trust{i:04d}.test"


def dkim_keys(work):
    """Two RSA public keys (2048 and 1024 bits) as DKIM `p=` values,
    generated once under WORK/keys and reused by later runs."""
    kdir = work / "keys"
    kdir.mkdir(parents=True, exist_ok=True)
    keys = []
    for bits in (2048, 1024):
        pem = kdir / f"dkim-rsa{bits}.pem"
        if not pem.exists():
            subprocess.run([OPENSSL, "genpkey", "-algorithm", "RSA", "-pkeyopt",
                            f"rsa_keygen_bits:{bits}", "-out", str(pem)],
                           check=True, capture_output=True, timeout=120)
        der = subprocess.run([OPENSSL, "pkey", "-in", str(pem), "-pubout", "-outform", "DER"],
                             check=True, capture_output=True, timeout=60).stdout
        keys.append(base64.b64encode(der).decode())
    return keys


def txt(value):
    """A TXT record's data: split into quoted strings of at most 255
    characters (RFC 1035), as DKIM keys need."""
    parts = [value[i:i + 255] for i in range(0, len(value), 255)] or [""]
    return " ".join('"' + p.replace('"', '\\"') + '"' for p in parts)


def soa(origin):
    return (f"$ORIGIN {origin}.\n$TTL 3600\n"
            f"@ SOA ns.{origin}. hostmaster.{origin}. 2026112201 3600 900 604800 300\n"
            f"@ NS ns.{origin}.\n")


def _provider_zones():
    """`providerN.test`, each with `spf.providerN.test`; provider 1
    includes provider 2 (a nested include); `heavy.test` has a record of
    nine lookups, for domains that go over the limit of ten."""
    zones = {}
    for n in range(1, PROVIDERS + 1):
        z = f"provider{n}.test"
        base = 200 + 8 * (n - 1)
        inner = " include:spf.provider2.test" if n == 1 else ""
        zones[z] = (soa(z) + f"ns A 127.0.0.1\n"
                    f"spf TXT {txt(f'v=spf1 ip4:{SENDER_NET}.{base}/29{inner} ~all')}\n")
    z = "heavy.test"
    body = " ".join(f"a:h{k}.heavy.test" for k in range(1, 10))
    zones[z] = soa(z) + "ns A 127.0.0.1\n" + f"spf TXT {txt(f'v=spf1 {body} -all')}\n" + "".join(
        f"h{k} A 127.0.1.{k}\n" for k in range(1, 10))
    z = "mailhost.test"
    zones[z] = soa(z) + "ns A 127.0.0.1\nmx A 127.0.2.1\nmx A 127.0.2.2\n"
    # The parent zone, so that questions above the domains (a DMARC
    # organisational-domain walk, a checker's `_dmarc.test`) get an
    # authoritative NXDOMAIN rather than REFUSED.
    zones["test"] = soa("test") + "ns A 127.0.0.1\n"
    z = "reports.test"
    # Authorises some domains' DMARC reports to go here (RFC 7489 7.1).
    zones[z] = soa(z) + "ns A 127.0.0.1\n"
    return zones


def _spf(rng, name, own_ips, stats):
    r = rng.random()
    alls = rng.choices(["-all", "~all", "?all", "+all"], weights=[55, 35, 7, 3])[0]
    mechs = [f"ip4:{ip}" for ip in own_ips]
    if rng.random() < 0.6:
        mechs.append("mx")
    k = rng.choices([0, 1, 2, 3], weights=[35, 35, 20, 10])[0]
    mechs += [f"include:spf.provider{p}.test" for p in rng.sample(range(1, PROVIDERS + 1), k)]
    extra = []
    if r < 0.10:
        stats["spf"]["none"] += 1
        return None, extra
    if r < 0.13:
        stats["spf"]["too_many_lookups"] += 1
        mechs += ["include:spf.heavy.test", "a:mail", "a:www"]
    elif r < 0.15:
        stats["spf"]["loop"] += 1
        mechs.append(f"include:_spf.{name}")
        extra.append(f"_spf TXT {txt(f'v=spf1 include:{name} -all')}")
    elif r < 0.165:
        stats["spf"]["two_records"] += 1
        extra.append(f"@ TXT {txt('v=spf1 -all')}")
    elif r < 0.18:
        stats["spf"]["missing_include"] += 1
        mechs.append(f"include:spf.gone.{name}")
    else:
        stats["spf"]["plain"] += 1
    return "v=spf1 " + " ".join(mechs + [alls]), extra


def _dmarc(rng, name, stats):
    r = rng.random()
    if r < 0.15:
        stats["dmarc"]["absent"] += 1
        return None
    if r < 0.18:
        stats["dmarc"]["malformed"] += 1
        return rng.choice(["v=DMARC1 p=reject", "v=DMARC1; p=blocked", "p=none; v=DMARC1"])
    p = rng.choices(["reject", "quarantine", "none"], weights=[45, 30, 25])[0]
    stats["dmarc"][p] += 1
    tags = ["v=DMARC1", f"p={p}"]
    if rng.random() < 0.3:
        tags.append(f"sp={rng.choice(['reject', 'quarantine', 'none'])}")
    if rng.random() < 0.2:
        tags.append(f"pct={rng.choice([10, 25, 50, 100])}")
    rr = rng.random()
    if rr < 0.65:
        tags.append(f"rua=mailto:dmarc@{name}")
    elif rr < 0.85:
        tags.append("rua=mailto:agg@reports.test")
    if rng.random() < 0.2:
        tags.append(f"ruf=mailto:forensic@{name}")
    return "; ".join(tags)


def generate(work, seed, count):
    """Writes WORK/zones/*.zone for `count` domains plus the shared zones,
    and returns what was planted (for the report) with the zone names."""
    rng = random.Random(seed)
    zdir = work / "zones"
    zdir.mkdir(parents=True, exist_ok=True)
    for old in zdir.glob("*.zone"):
        old.unlink()
    keys = dkim_keys(work)
    stats = {"spf": dict.fromkeys(["plain", "none", "too_many_lookups", "loop", "two_records",
                                   "missing_include"], 0),
             "dmarc": dict.fromkeys(["reject", "quarantine", "none", "malformed", "absent"], 0),
             "dkim": 0, "mx": dict.fromkeys(["own", "own_two", "shared", "null", "none"], 0),
             "tlsrpt": 0, "spf_ip4": 0}
    zones = _provider_zones()
    reports = []
    ptrs = {}
    for i in range(1, count + 1):
        name = domain_name(i)
        lines = [soa(name).rstrip("\n"), "ns A 127.0.0.1", f"www A 127.0.3.{i % 250 + 1}",
                 f"mail A 127.0.4.{i % 250 + 1}"]
        own_ips = [f"{SENDER_NET}.{rng.randint(1, 190)}" for _ in range(rng.choice([0, 1, 1, 2]))]
        stats["spf_ip4"] += len(own_ips)
        for ip in own_ips:
            host = int(ip.rsplit(".", 1)[1])
            # Odd host numbers get a PTR: to this domain's mail host
            # (forward-confirmed only when the A record matches, which it
            # does not: the A records are loopback) or to a provider name.
            if host % 2 and host not in ptrs:
                ptrs[host] = f"mail.{name}."
        spf, extra = _spf(rng, name, own_ips, stats)
        if spf:
            lines.append(f"@ TXT {txt(spf)}")
        lines += extra
        lines.append(f"@ TXT {txt(f'site-verification={rng.getrandbits(64):016x}')}")
        dmarc = _dmarc(rng, name, stats)
        if dmarc:
            lines.append(f"_dmarc TXT {txt(dmarc)}")
            if "reports.test" in dmarc and rng.random() < 0.5:
                reports.append(name)
        if rng.random() < 0.70:
            stats["dkim"] += 1
            key = keys[0] if rng.random() < 0.85 else keys[1]
            lines.append(f"selector1._domainkey TXT {txt(f'v=DKIM1; k=rsa; p={key}')}")
        mr = rng.random()
        a, b = rng.randint(5, 254), rng.randint(1, 254)
        if mr < 0.03:
            stats["mx"]["none"] += 1
        elif mr < 0.05:
            stats["mx"]["null"] += 1
            lines.append("@ MX 0 .")
        elif mr < 0.15:
            stats["mx"]["shared"] += 1
            lines.append("@ MX 10 mx.mailhost.test.")
        elif mr < 0.35:
            stats["mx"]["own_two"] += 1
            lines += ["@ MX 10 mx", "@ MX 20 mx2", f"mx A 127.{a}.{b}.1", f"mx2 A 127.{a}.{b}.2"]
        else:
            stats["mx"]["own"] += 1
            lines += ["@ MX 10 mx", f"mx A 127.{a}.{b}.1"]
        if rng.random() < 0.30:
            stats["tlsrpt"] += 1
            lines.append(f"_smtp._tls TXT {txt(f'v=TLSRPTv1; rua=mailto:tlsrpt@{name}')}")
        zones[name] = "\n".join(lines) + "\n"
    zones["reports.test"] += "".join(
        f"{d}._report._dmarc TXT {txt('v=DMARC1')}\n" for d in reports)
    zones[REVERSE_ZONE] = soa(REVERSE_ZONE).replace(f"NS ns.{REVERSE_ZONE}.", "NS ns.provider1.test.") + "".join(
        f"{h} PTR {target}\n" for h, target in sorted(ptrs.items()))
    for z, text in zones.items():
        (zdir / f"{z}.zone").write_text(text)
    stats["ptr_records"] = len(ptrs)
    stats["dmarc_report_authorisations"] = len(reports)
    return {"seed": seed, "domains": [domain_name(i) for i in range(1, count + 1)],
            "zones": sorted(zones), "planted": stats,
            "zone_bytes": sum((zdir / f"{z}.zone").stat().st_size for z in zones)}
