"""BENCHMARKS.md from the TLS benchmark's results (see tls.py)."""

import statistics
import sys
from pathlib import Path

import bench_common as common
import tls_mapping

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ("trustwatch", "sslyze", "testssl")
CHECK = {True: "✔", False: "✘", None: "n/c"}


def machine(args):
    testssl = common.cmd([args.testssl, "--version"])
    testssl = next((l.split("testssl", 1)[1].split("from")[0].strip()
                    for l in testssl.splitlines() if "testssl" in l and "from" in l), "?")
    return {
        **common.machine(args.bin_dir),
        "sslyze": common.cmd([sys.executable, "-c",
                          "import importlib.metadata as m; print(m.version('sslyze'))"]),
        "testssl": testssl,
        "openssl": common.cmd(["openssl", "version"]),
        "reps": args.reps,
        "testssl_reps": args.testssl_reps,
    }


def _med(xs):
    return statistics.median(xs) if xs else None


def _fmt(x, unit="s", digits=2):
    return "–" if x is None else f"{x:.{digits}f} {unit}"


def _lab_table(r):
    runs = r["lab"]
    tw = _med([x["wall"] for x in runs["trustwatch"]])
    rows = ["| tool | median wall | min – max | × Trustwatch | peak RSS, largest process | "
            "peak RSS, whole process tree | runs |", "|---|---|---|---|---|---|---|"]
    for tool in TOOLS:
        xs = runs[tool]
        if not xs:
            continue
        walls = [x["wall"] for x in xs]
        med = _med(walls)
        rss = max(x["maxrss_kb"] for x in xs) / 1024
        tree = max(x["tree_peak_kb"] for x in xs) / 1024
        ratio = "1" if tool == "trustwatch" else f"{med / tw:.0f}×"
        rows.append(f"| {tool} | {med:.2f} s | {min(walls):.2f} – {max(walls):.2f} s | {ratio} | "
                    f"{rss:.0f} MiB | {tree:.0f} MiB | {len(xs)} |")
    return "\n".join(rows), tw


def _endpoint_table(r):
    m = r["manifest"]
    rows = ["| endpoint | Trustwatch alone | sslyze alone | × | testssl.sh (its own time inside the parallel lab run) | Trustwatch connections |",
            "|---|---|---|---|---|---|"]
    for e in m["endpoints"]:
        one = r["endpoint"].get(e["name"], {})
        tw, sy = _med(one.get("trustwatch", [])), _med(one.get("sslyze", []))
        ts = _med(r.get("testssl_scan_time", {}).get(e["name"], []))
        ratio = f"{sy / tw:.0f}×" if tw and sy else "–"
        hs = r.get("handshakes", {}).get(e["address"], "–")
        rows.append(f"| {e['name']} | {_fmt(tw and tw * 1000, 'ms', 0)} | {_fmt(sy)} | {ratio} | "
                    f"{_fmt(ts, 's', 0)} | {hs} |")
    return "\n".join(rows)


def _floor(r):
    hs = r["one_handshake"]["median_s"]
    hello = r["one_hello"]["median_s"]
    rows = ["| endpoint | connections | × one hello round trip | × one full handshake | "
            "Trustwatch alone | ÷ hello floor | ÷ handshake floor |",
            "|---|---|---|---|---|---|---|"]
    for e in r["manifest"]["endpoints"]:
        n = r.get("handshakes", {}).get(e["address"])
        tw = _med(r["endpoint"].get(e["name"], {}).get("trustwatch", []))
        if not n or not tw:
            continue
        # A STARTTLS connection also pays for its plaintext prelude.
        smtp = r.get("one_hello_smtp", {}).get("median_s")
        prelude = smtp - hello if e["starttls"] == "smtp" and smtp else 0.0
        low, high = n * (hello + prelude), n * (hs + prelude)
        rows.append(f"| {e['name']} | {n} | {low * 1000:.1f} ms | {high * 1000:.1f} ms | "
                    f"{tw * 1000:.0f} ms | {tw / low:.1f}× | {tw / high:.1f}× |")
    return hs, hello, "\n".join(rows)


def _matrix(r):
    det = r["detections"]
    m = r["manifest"]
    rows = ["| endpoint | planted | Trustwatch | sslyze | testssl.sh |", "|---|---|---|---|---|"]
    found = {t: 0 for t in TOOLS}
    total = 0
    for e in m["endpoints"]:
        for rule in e["planted"]:
            total += 1
            cells = []
            for t in TOOLS:
                v = det.get(t, {}).get(e["name"], {}).get(rule) if det.get(t) else None
                found[t] += v is True
                cells.append(CHECK[v])
            rows.append(f"| {e['name']} | {rule} | " + " | ".join(cells) + " |")
    tally = " | ".join(f"{found[t]}/{total}" if det.get(t) else "–" for t in TOOLS)
    rows.append(f"| **flagged** | | {tally} |")
    false = []
    for t in TOOLS:
        bad = []
        for e in m["endpoints"]:
            for rule, flagged in det.get(t, {}).get(e["name"], {}).items():
                if rule.startswith("HTTP-") and not e["http"]:
                    continue  # HTTP rules are only asked of the web endpoints
                if flagged and rule not in e["planted"] and rule not in e["also"]:
                    bad.append(f"{e['name']} {rule}")
        false.append(f"- **{t}**: " + (", ".join(bad) if bad else "none"))
    return "\n".join(rows), "\n".join(false)


def render(r, args):
    meta = r["meta"]
    lab, tw = _lab_table(r)
    hs, hello, floor = _floor(r)
    matrix, false = _matrix(r)
    sy = _med([x["wall"] for x in r["lab"]["sslyze"]])
    mapping = tls_mapping.__doc__.split("(baseline thresholds from shared/spec/baseline.md):", 1)[1]
    n = len(r["manifest"]["endpoints"])
    return f"""## TLS assessment: Trustwatch vs sslyze vs testssl.sh

Run {meta['date']} at commit `{meta['commit']}`, {meta['reps']} repetitions
({meta['testssl_reps']} for testssl.sh). Figures are medians. Generated by
`bench/tls.sh`; the raw numbers are in `target/bench-tls/results.json`.

**Machine:** {meta['cores']} cores ({meta['cpu']}), {meta['memory_gib']} GiB, Linux
{meta['kernel']} — a shared, noisy VM: the lab's servers and the scanner
share the same two cores, so treat differences under ~20 % as noise.
**Tools:** {meta['trustwatch']} (release build) · sslyze {meta['sslyze']} ·
testssl.sh {meta['testssl']} · {meta['openssl']}.

**Reproduce:** `bench/tls.sh` (options after it go to `bench/tls.py`, e.g.
`bench/tls.sh --reps 5 --testssl-reps 2`). It installs what is missing
(`pip install sslyze tlslite-ng`; `apt-get install testssl.sh nginx-light
dovecot-submissiond time`), builds `trustwatch-agent` and `trustwatch-tls-lab`
in release mode, starts the lab once and rewrites this section.

### The lab

{n} endpoints, each on its own loopback address (so a per-host limit never
serialises two of them), made by `trustwatch-tls-lab` (tests/src/tlslab.rs):

| endpoint | server | planted (must fail) | may also fail |
|---|---|---|---|
""" + "\n".join(
        f"| {e['name']} | {e['description']} | {', '.join(e['planted']) or '— (clean)'} | "
        f"{', '.join(e['also']) or '—'} |" for e in r["manifest"]["endpoints"]) + f"""

### Whole lab, one invocation per tool

- Trustwatch: `trustwatch-agent scan --targets lab/targets.txt --ca lab/root.pem --format json`
  (defaults: 32 endpoints at once, 1 per host).
- sslyze: one `python -m sslyze` over all {n} endpoints, `--starttls auto`,
  `--certinfo_ca_file lab/root.pem`, its default scan commands plus `--http_headers`.
- testssl.sh: its mass mode, `testssl --parallel --file cmds.txt`, one line per
  endpoint (`--add-ca lab/root.pem --ip 127.a.b.N localhost:PORT`, `--starttls smtp`
  for the mail endpoint), default checks.

{lab}

sslyze / Trustwatch = **{(sy / tw) if sy and tw else float('nan'):.0f}×** on the whole lab.
Peak RSS "largest process" is exact (`wait4`); "whole process tree" sums the
RSS of every descendant, sampled every 10 ms (testssl.sh is hundreds of short
bash and openssl processes), so it can miss the peak of a sub-second run.
Trustwatch's whole-lab time is set by its slowest endpoint (the STARTTLS one,
where Dovecot starts a login process per connection) plus the servers'
own CPU on the shared two cores.

### Per endpoint (each scanned alone)

{_endpoint_table(r)}

### The floor: connections × one loopback round trip

Connections are those Trustwatch opened that sent a ClientHello, from its debug
log (`TLS probe done … handshakes=N`); one endpoint's scan opens them one at a
time. Two references on the `good` endpoint (Python's ssl module, TCP connect
included, medians of {r['one_hello']['samples']} and {r['one_handshake']['samples']}):
one **hello round trip** (connect, ClientHello, first bytes of the answer,
close) = **{hello * 1000:.2f} ms** — what most of Trustwatch's crafted hellos
cost — and one **full TLS 1.3 handshake** = **{hs * 1000:.2f} ms**. The true
floor lies between the two products. For the SMTP endpoint each connection also
pays for its plaintext prelude (greeting, EHLO, STARTTLS), measured the same way
on it: one hello round trip there = **{r.get('one_hello_smtp', {}).get('median_s', float('nan')) * 1000:.2f} ms**.

{floor}

### Detection matrix (planted weakness × tool)

✔ flagged · ✘ not flagged · n/c the tool does not assess it. Taken from the first
repetition's output of each tool.

{matrix}

False failures (a rule flagged where the lab planted nothing that explains it):

{false}

### How the peers' output maps onto rule ids (bench/tls_mapping.py)

Thresholds are the baseline's (shared/spec/baseline.md).
{mapping}"""


START = "<!-- bench/tls.sh: start -->"
END = "<!-- bench/tls.sh: end -->"


def write(path, section):
    common.write_section(path, START, END, section)
