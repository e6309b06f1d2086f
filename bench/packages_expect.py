"""What the patch-level benchmark's tools ought to find, worked out again
from the files they read (the host's status file and os-release, the OSV
zip) with libapt's own version order (python3-apt's
`apt_pkg.version_compare`), and the readers of each tool's output.

Nothing here trusts the generator's intentions: a record affects the host
when its ecosystem is the host's (from os-release), it names a source
package installed there, and that source's installed version is below the
record's fixed version.
"""

import datetime as dt
import json
import math
import re
import zipfile

import apt_pkg

import packages_data as data

apt_pkg.init_system()

# PATCH-001 (shared/spec/baseline.md): a fix with vendor rating
# critical/high, CVSS >= 7 or no rating, released more than 14 days ago.
OVERDUE_DAYS = 14
CVSS_HIGH = 7.0


def host_ecosystem(os_release_text):
    """OSV's ecosystem string for a Debian or Ubuntu os-release."""
    f = {}
    for line in os_release_text.splitlines():
        k, _, v = line.partition("=")
        f[k.strip()] = v.strip().strip('"')
    if f.get("ID") == "debian":
        return f"Debian:{f['VERSION_ID']}"
    if f.get("ID") == "ubuntu":
        return f"Ubuntu:{f['VERSION_ID']}" + (":LTS" if "LTS" in f.get("VERSION", "") else "")
    raise ValueError(f"os-release: no OSV ecosystem for ID={f.get('ID')!r}")


def installed_binaries(status_text):
    """[(binary, binary version, source, source version)] of every
    installed package in a dpkg status file."""
    out = []
    for _, f in data.parse_status(status_text):
        if data.installed(f):
            src, sv = data.source_of(f)
            out.append((f["Package"], f["Version"], src, sv))
    return out


def records(zip_path):
    with zipfile.ZipFile(zip_path) as z:
        for name in z.namelist():
            yield json.loads(z.read(name))


def _roundup(x):
    # CVSS v3.1 specification, Appendix A: Roundup avoids float artefacts.
    i = round(x * 100000)
    return i / 100000.0 if i % 10000 == 0 else (math.floor(i / 10000) + 1) / 10.0


def cvss3_base(vector):
    """CVSS v3.x base score of a vector string (FIRST's v3.1 formulas)."""
    m = dict(p.split(":", 1) for p in vector.split("/")[1:])
    scope_changed = m["S"] == "C"
    av = {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2}[m["AV"]]
    ac = {"L": 0.77, "H": 0.44}[m["AC"]]
    pr = {"N": 0.85, "L": 0.68 if scope_changed else 0.62,
          "H": 0.5 if scope_changed else 0.27}[m["PR"]]
    ui = {"N": 0.85, "R": 0.62}[m["UI"]]
    cia = {"H": 0.56, "L": 0.22, "N": 0.0}
    iss = 1 - (1 - cia[m["C"]]) * (1 - cia[m["I"]]) * (1 - cia[m["A"]])
    impact = 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 if scope_changed else 6.42 * iss
    if impact <= 0:
        return 0.0
    expl = 8.22 * av * ac * pr * ui
    return _roundup(min((1.08 if scope_changed else 1) * (impact + expl), 10))


def _parse_time(s):
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


def high_enough(rec):
    """Whether a record's severity puts it under PATCH-001: unrated,
    CVSS >= 7, or a vendor rating of high or critical."""
    sev = rec.get("severity") or []
    if not sev:
        return True
    for s in sev:
        if s["type"].startswith("CVSS_V3"):
            if cvss3_base(s["score"]) >= CVSS_HIGH:
                return True
        elif s["score"].lower() in ("high", "critical", "important"):
            return True
    return False


def expected(root, zip_path, now):
    """The matches a correct assessment finds on the host under `root`,
    as sets of (advisory id, source package):

      matches   every record of the host's ecosystem whose fixed version
                is above an installed version of the source it names;
      overdue   those PATCH-001 fails on (high enough, published more than
                14 days before `now`);
      by_binary (advisory id, binary package) for every installed binary
                built from a matched source: what debsecan reports.
    """
    eco = host_ecosystem((root / "etc/os-release").read_text())
    bins = installed_binaries((root / "var/lib/dpkg/status").read_text())
    src_versions = {}
    for b, bv, s, sv in bins:
        src_versions.setdefault(s, set()).add(sv)
    matches, overdue, fixed_of = set(), set(), {}
    below_bar, recent = set(), set()
    cutoff = now - dt.timedelta(days=OVERDUE_DAYS)
    rated = unrated = 0
    seen = {"records": 0, "host_ecosystem": 0, "on_installed": 0, "fixed_equal": 0}
    for rec in records(zip_path):
        seen["records"] += 1
        mine = [a for a in rec["affected"] if a["package"]["ecosystem"] == eco]
        if not mine:
            continue
        seen["host_ecosystem"] += 1
        for a in mine:
            name = a["package"]["name"]
            if name not in src_versions:
                continue
            seen["on_installed"] += 1
            fixed = [e["fixed"] for r in a["ranges"] for e in r["events"] if "fixed" in e]
            for sv in src_versions[name]:
                c = apt_pkg.version_compare(sv, fixed[0])
                if c == 0:
                    seen["fixed_equal"] += 1
                if c < 0:
                    key = (rec["id"], name)
                    matches.add(key)
                    fixed_of[key] = fixed[0]
                    if not high_enough(rec):
                        below_bar.add(key)
                    elif _parse_time(rec["published"]) < cutoff:
                        overdue.add(key)
                    else:
                        recent.add(key)
                    if rec.get("severity"):
                        rated += 1
                    else:
                        unrated += 1
    matched_sources = {}
    for rid, s in matches:
        matched_sources.setdefault(s, set()).add(rid)
    by_binary = set()
    for b, bv, s, sv in bins:
        for rid in matched_sources.get(s, ()):
            if apt_pkg.version_compare(sv, fixed_of[(rid, s)]) < 0:
                by_binary.add((rid, b))
    return {
        "ecosystem": eco, "installed": len(bins), "installed_sources": len(src_versions),
        "matches": matches, "overdue": overdue, "by_binary": by_binary,
        "counts": {**seen, "matches": len(matches), "overdue": len(overdue),
                   "below_severity_bar": len(below_bar), "within_14_days": len(recent),
                   "by_binary": len(by_binary), "matches_rated": rated,
                   "matches_unrated": unrated,
                   "sources_matched": len(matched_sources)},
    }


def debsecan_pairs(stdout):
    """(vulnerability, binary package) pairs from `debsecan --format
    summary`: one `NAME PACKAGE (notes)` line each."""
    out = set()
    for line in stdout.splitlines():
        m = re.match(r"^(\S+) (\S+)(?: \(.*\))?$", line.strip())
        if m:
            out.add((m.group(1), m.group(2)))
    return out


ID_KEYS = ("id", "advisory", "advisory_id")
PACKAGE_KEYS = ("package", "source", "source_package")


def _walk(node, path, found):
    if isinstance(node, dict):
        rid = next((node[k] for k in ID_KEYS if isinstance(node.get(k), str)), None)
        pkg = next((node[k] for k in PACKAGE_KEYS if isinstance(node.get(k), str)), None)
        if rid and pkg:
            found.setdefault(path, set()).add((rid, pkg))
        for k, v in node.items():
            _walk(v, f"{path}.{k}", found)
    elif isinstance(node, list):
        for v in node:
            _walk(v, f"{path}[]", found)


def trustwatch_pairs(report):
    """(advisory id, package) pairs found anywhere in a Trustwatch JSON
    report, grouped by where they were found: `RULE_ID:path` for those in
    a finding, the JSON path otherwise. Written without knowing the
    evidence's exact layout: any object with an id-like and a
    package-like string key counts."""
    found = {}
    for f in report.get("findings", []) if isinstance(report, dict) else []:
        sub = {}
        _walk(f.get("evidence"), "evidence", sub)
        for path, pairs in sub.items():
            found[f"{f.get('rule_id', '?')}:{path}"] = pairs
    rest = {k: v for k, v in report.items() if k != "findings"} if isinstance(report, dict) else {}
    _walk(rest, "$", found)
    return found


# Counts PATCH-001's evidence gives beside its list (rules/src/evaluate/
# patch/overdue.rs), and the expectation's names for them.
EVIDENCE_COUNTS = {"matches": "matches", "overdue_count": "overdue",
                   "within_14_days": "within_14_days",
                   "below_severity_bar": "below_severity_bar"}


def evidence_counts(report, counts):
    """{rule: {key: (reported, expected)}} for the counts above wherever a
    finding's evidence has them as integers."""
    out = {}
    for f in report.get("findings", []) if isinstance(report, dict) else []:
        ev = f.get("evidence")
        if not isinstance(ev, dict):
            continue
        got = {k: (ev[k], counts[w]) for k, w in EVIDENCE_COUNTS.items()
               if isinstance(ev.get(k), int) and not isinstance(ev.get(k), bool)}
        if got:
            out[f.get("rule_id", "?")] = got
    return out


def compare(got, want):
    """Agreement of two sets of pairs: counts and a few examples each way."""
    return {"got": len(got), "want": len(want), "agree": got == want,
            "missing": sorted(want - got)[:5], "missing_count": len(want - got),
            "extra": sorted(got - want)[:5], "extra_count": len(got - want)}
