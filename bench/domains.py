#!/usr/bin/env python3
"""Domain benchmark: Trustwatch's mail-domain checks (`scan --domain`) of
1,000 domains against a local Knot DNS server: wall time, DNS queries
sent per domain, peak memory.

A benchmark, not a test. Run it through bench/domains.sh, which installs
knot, dig and time(1) and builds the release agent first. It needs root:
it runs in a network namespace of its own whose only interface is
loopback, so nothing it starts can reach beyond this machine (the agent's
port-25 STARTTLS connects go to the MX hosts' 127.x addresses, where
nothing listens).

1. data (domains_data.py, seeded): one zone file per domain plus the
   shared provider, mail-host, report and reverse zones;
2. knotd serving them all on 127.0.0.1:PORT (a free port) with the
   statistics module (`mod-stats`) on every query; the benchmark waits,
   bounded, until every zone answers its SOA;
3. for each configuration (`--domain-concurrency` default and others),
   one untimed warm-up run, then REPS timed runs of `trustwatch-agent scan
   --domain D1,…,D1000 --resolver 127.0.0.1:PORT --format json` under
   time(1); knot's query counters are read before and after each run, so
   the difference is what that run asked;
4. optionally checkdmarc (PyPI) over the same domains, pointed at the
   same server (it takes no port, so knotd also listens on 127.0.0.77:53
   in the namespace), with `--skip-tls` (no SMTP probe).

Writes WORK/results.json and its section of BENCHMARKS.md
(domains_report.py). Every run is bounded in time.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_common as common  # noqa: E402
import domains_data as data  # noqa: E402
import domains_report as report  # noqa: E402
from services_measure import measure as measure_any  # noqa: E402


def measure(cmd, out_path, err_path, limit):
    """services_measure.measure, with CPU time."""
    return measure_any(cmd, out_path, err_path, limit, cpu=True)

KNOTD = "/usr/sbin/knotd"
KNOTC = "/usr/sbin/knotc"
DIG = "/usr/bin/dig"
NETNS_ENV = "TRUSTWATCH_BENCH_DOMAINS_NETNS"
LIMIT = 900  # seconds, for any one run
PEER_IP = "127.0.0.77"


def enter_namespace():
    """See bench_common.enter_namespace."""
    common.enter_namespace("bench/domains.py", "a network namespace of its own", NETNS_ENV)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def knot_config(work, port, zones, peer):
    listen = f"    listen: 127.0.0.1@{port}\n"
    if peer:
        listen += f"    listen: {PEER_IP}@53\n"
    conf = (f"server:\n    rundir: \"{work}/knot/run\"\n{listen}"
            f"    background-workers: 1\n"
            f"database:\n    storage: \"{work}/knot/db\"\n"
            "log:\n  - target: stderr\n    any: warning\n"
            f"control:\n    listen: \"{work}/knot/run/knot.sock\"\n"
            "mod-stats:\n  - id: bench\n    query-type: on\n    response-code: on\n"
            "    request-protocol: on\n"
            f"template:\n  - id: default\n    storage: \"{work}/zones\"\n"
            "    zonefile-sync: -1\n    journal-content: none\n"
            "    global-module: mod-stats/bench\n"
            "zone:\n")
    conf += "".join(f"  - domain: {z}\n    file: \"{z}.zone\"\n" for z in zones)
    return conf


class Knot:
    def __init__(self, work, port, zones, peer):
        for sub in ("knot/run", "knot/db"):
            shutil.rmtree(work / sub, ignore_errors=True)
            (work / sub).mkdir(parents=True)
        self.conf = work / "knot.conf"
        self.conf.write_text(knot_config(work, port, zones, peer))
        self.port = port
        self.log = open(work / "knotd.log", "wb")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen([KNOTD, "-c", str(self.conf)], stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=self.log, start_new_session=True)
        self._wait_ready(work, zones)
        self.startup_s = time.perf_counter() - t0

    def _wait_ready(self, work, zones, within=120):
        """Until every zone answers its SOA (one `dig -f` batch a try)."""
        batch = work / "soa.batch"
        batch.write_text("".join(f"{z} SOA +norec +short +tries=1 +time=2\n" for z in zones))
        deadline = time.monotonic() + within
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"knotd exited ({self.proc.returncode}); see {work}/knotd.log")
            r = subprocess.run([DIG, "@127.0.0.1", "-p", str(self.port), "-f", str(batch)],
                               capture_output=True, text=True, timeout=within)
            answered = sum(1 for line in r.stdout.splitlines() if " 2026112201 " in line)
            if answered == len(zones):
                return
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"knotd served {answered}/{len(zones)} zones after {within} s")
            time.sleep(0.5)

    def counters(self):
        """mod-stats' counters as {"query-type[TXT]": n, …} (zeros left out)."""
        r = subprocess.run([KNOTC, "-c", str(self.conf), "stats", "mod-stats"],
                           capture_output=True, text=True, timeout=60, check=True)
        out = {}
        for line in r.stdout.splitlines():
            m = re.match(r"mod-stats\.(\S+)\s*=\s*(\d+)", line.strip())
            if m:
                out[m.group(1)] = int(m.group(2))
        return out

    def version(self):
        return common.cmd([KNOTD, "--version"])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()



def diff(after, before):
    d = {k: v - before.get(k, 0) for k, v in after.items()}
    return {k: v for k, v in d.items() if v}


def grouped(counts, prefix):
    return {k[len(prefix) + 1:-1]: v for k, v in counts.items() if k.startswith(prefix + "[")}


def tally(doc):
    """Findings by rule and status, and the statuses overall."""
    findings = doc.get("findings", [])
    by_status = Counter(f.get("status") for f in findings)
    by_rule = {}
    for f in findings:
        by_rule.setdefault(f.get("rule_id"), Counter())[f.get("status")] += 1
    return {"findings": len(findings), "by_status": dict(by_status),
            "by_rule": {r: dict(c) for r, c in sorted(by_rule.items())}}


def run_agent(args, work, knot, domains, conc, name):
    cmd = [str(args.bin_dir / "trustwatch-agent"), "scan", "--domain", ",".join(domains),
           "--resolver", f"127.0.0.1:{knot.port}", "--format", "json"]
    if conc is not None:
        cmd += ["--domain-concurrency", str(conc)]
    out, err = work / f"{name}.json", work / f"{name}.err"
    before = knot.counters()
    r = measure(cmd, out, err, LIMIT)
    after = knot.counters()
    if r["returncode"] not in (0, 1):
        tail = err.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"trustwatch-agent scan --domain exited {r['returncode']}: {tail}")
    q = diff(after, before)
    proto = grouped(q, "request-protocol")
    r["queries"] = sum(proto.values())
    r["query_types"] = grouped(q, "query-type")
    r["response_codes"] = grouped(q, "response-code")
    r["protocols"] = proto
    doc = json.loads(out.read_text())
    r["tally"] = tally(doc)
    r["stderr_lines"] = len(err.read_text(errors="replace").splitlines())
    return r, doc, cmd


def trustwatch(args, work, knot, domains, res):
    res["trustwatch"] = {"configs": []}
    last_doc = None
    for conc in args.concurrency:
        label = "16 (default)" if conc is None else str(conc)
        name = f"scan-c{conc or 'default'}"
        warm, _, _ = run_agent(args, work, knot, domains, conc, name)
        runs = []
        for i in range(args.reps):
            r, doc, cmd = run_agent(args, work, knot, domains, conc, name)
            runs.append(r)
            last_doc = doc
            print(f"  --domain-concurrency {label} {i + 1}/{args.reps}: {r['wall']:.2f} s, "
                  f"{r['maxrss_kb'] / 1024:.1f} MiB, {r['queries']} queries "
                  f"({r['queries'] / len(domains):.1f}/domain), exit {r['returncode']}",
                  flush=True)
        res["trustwatch"]["report_bytes"] = (work / f"{name}.json").stat().st_size
        shown = [c if not c.startswith("--domain=") and len(c) < 200 else "D1,…,D1000"
                 for c in cmd]
        res["trustwatch"]["configs"].append({
            "concurrency": conc, "label": label, "first_run": warm, "runs": runs,
            "command": shown,
            "stderr": (work / f"{name}.err").read_text(errors="replace")[:3000]})
    return last_doc


def checkdmarc(args, work, knot, domains, res):
    """checkdmarc over the same domains, if its venv (made by domains.sh)
    is there; its `-n` takes an address only, so it asks PEER_IP:53."""
    exe = args.checkdmarc
    if not exe or not Path(exe).exists():
        res["checkdmarc"] = {"skipped": f"not installed ({exe})"}
        return
    dfile = work / "domains.txt"
    dfile.write_text("\n".join(domains) + "\n")
    # The domain file first: `-n` and `-o` take one or more values.
    cmd = [exe, str(dfile), "-n", PEER_IP, "-t", "2.0", "-f", "json", "-o",
           str(work / "checkdmarc.json")]
    version = common.cmd([exe, "--version"])
    runs = []
    try:
        for i in range(args.peer_reps):
            before = knot.counters()
            r = measure(cmd, work / "checkdmarc.out", work / "checkdmarc.err", LIMIT)
            q = diff(knot.counters(), before)
            r["queries"] = sum(grouped(q, "request-protocol").values())
            r["query_types"] = grouped(q, "query-type")
            r["response_codes"] = grouped(q, "response-code")
            if r["returncode"] != 0:
                tail = (work / "checkdmarc.err").read_text(errors="replace").strip()[-300:]
                raise RuntimeError(f"checkdmarc exited {r['returncode']}: {tail}")
            runs.append(r)
            print(f"  checkdmarc {i + 1}/{args.peer_reps}: {r['wall']:.2f} s, "
                  f"{r['maxrss_kb'] / 1024:.1f} MiB, {r['queries']} queries, exit {r['returncode']}",
                  flush=True)
    except RuntimeError as e:
        res["checkdmarc"] = {"skipped": str(e), "version": version}
        return
    summary = {}
    try:
        out = json.loads((work / "checkdmarc.json").read_text())
        out = out if isinstance(out, list) else [out]
        summary["domains_reported"] = len(out)
        summary["spf_valid"] = sum(1 for d in out if d.get("spf", {}).get("valid"))
        summary["dmarc_valid"] = sum(1 for d in out if d.get("dmarc", {}).get("valid"))
        summary["mx_hosts"] = sum(len(d.get("mx", {}).get("hosts", [])) for d in out)
    except (OSError, ValueError, AttributeError) as e:
        summary["parse_error"] = str(e)
    res["checkdmarc"] = {"runs": runs, "version": version,
                         "command": [Path(c).name if c.startswith(str(work)) else c
                                     for c in cmd],
                         "stderr": (work / "checkdmarc.err").read_text(errors="replace")[:2000],
                         "summary": summary}


def notes(res, doc):
    """What the runs show beyond the table: which query counts vary from
    run to run, and what the port-25 probes did."""
    out = []
    runs = [r for c in res["trustwatch"]["configs"] for r in c["runs"]]
    spread = {}
    for t in sorted({t for r in runs for t in r["query_types"]}):
        vals = [r["query_types"].get(t, 0) for r in runs]
        spread[t] = (min(vals), max(vals))
    fixed = [t for t, (lo, hi) in spread.items() if lo == hi]
    moving = [f"{t} {lo:,}–{hi:,}" for t, (lo, hi) in spread.items() if lo != hi]
    if moving:
        out.append("Query counts over all timed runs: " + (", ".join(fixed) + " the same in every "
                   "run; " if fixed else "") + ", ".join(moving) + " vary from run to run, at "
                   "every concurrency (1 included): the checks of one domain run side by side "
                   "and sometimes ask the same MX, address or PTR question before the first "
                   "answer is cached (the likely cause).")
    sessions = refused = 0
    for f in doc.get("findings", []):
        if f.get("rule_id") != "MAIL-007":
            continue
        for mx in (f.get("evidence") or {}).get("mx", []):
            for sess in mx.get("sessions", []):
                sessions += 1
                refused += "refused" in (sess.get("error") or "")
    if sessions:
        out.append(f"Port-25 probes (MAIL-007's evidence, last run): {sessions:,} SMTP sessions "
                   f"to MX addresses in 127.0.0.0/8, {refused:,} refused at once (nothing "
                   "listens), so MAIL-007/008 are `error` (could not assess) for every domain "
                   "with an MX and the probes cost a loopback connect each. Against real MX "
                   "hosts each probe is a network connect plus an SMTP dialogue and a TLS "
                   "handshake, bounded by the mail route's 10 s timeout: that, not DNS, would "
                   "dominate the wall time, and these figures do not measure it.")
    return out


def agreement(work, doc):
    """Per domain, where both judge the same thing: checkdmarc's `spf.valid`
    against MAIL-001 passing, its `dmarc.valid` against MAIL-003 passing."""
    try:
        out = json.loads((work / "checkdmarc.json").read_text())
    except (OSError, ValueError):
        return {}
    out = out if isinstance(out, list) else [out]
    res = {}
    for key, rule in (("spf", "MAIL-001"), ("dmarc", "MAIL-003")):
        theirs = {d["domain"] for d in out if (d.get(key) or {}).get("valid")}
        ours = {f["target"] for f in doc.get("findings", [])
                if f.get("rule_id") == rule and f.get("status") == "pass"}
        res[key] = {"rule": rule, "both": len(theirs & ours),
                    "only_checkdmarc": sorted(theirs - ours)[:20],
                    "only_trustwatch": sorted(ours - theirs)[:20]}
    return res


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--reps", type=int, default=3, help="timed runs of each configuration")
    p.add_argument("--seed", type=int, default=6)
    p.add_argument("--domains", type=int, default=1000)
    p.add_argument("--concurrency", type=lambda s: None if s == "default" else int(s),
                   nargs="+", default=[None, 1, 64],
                   help="--domain-concurrency values to run (`default` for the agent's own)")
    p.add_argument("--checkdmarc", default=None,
                   help="the checkdmarc executable to compare with (domains.sh installs one)")
    p.add_argument("--peer-reps", type=int, default=1)
    common.add_path_args(p, "bench-domains")
    args = p.parse_args()
    if common.render_only(args, report):
        return
    if args.reps < 1:
        p.error("--reps must be at least 1")
    enter_namespace()
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    res = {"meta": common.machine(args.bin_dir), "reps": args.reps}
    t0 = time.perf_counter()
    res["data"] = data.generate(work, args.seed, args.domains)
    res["data"]["generate_s"] = time.perf_counter() - t0
    domains = res["data"]["domains"]
    zones = res["data"]["zones"]
    print(f"data: {len(domains)} domains, {len(zones)} zones", flush=True)
    peer = bool(args.checkdmarc and Path(args.checkdmarc).exists())
    knot = Knot(work, free_port(), zones, peer)
    try:
        res["knot"] = {"version": knot.version(), "startup_s": knot.startup_s, "port": knot.port}
        print(f"knotd up on 127.0.0.1:{knot.port} in {knot.startup_s:.1f} s", flush=True)
        last = trustwatch(args, work, knot, domains, res)
        checkdmarc(args, work, knot, domains, res)
    finally:
        knot.stop()
    res["data"].pop("domains")
    res["data"]["count"] = len(domains)
    res["data"]["zones"] = len(zones)
    res["data"]["first_domain"], res["data"]["last_domain"] = domains[0], domains[-1]
    res["findings"] = [{k: f.get(k) for k in ("rule_id", "status", "severity", "target")}
                       for f in (last or {}).get("findings", [])]
    res["notes"] = notes(res, last or {})
    res["agreement"] = agreement(work, last or {}) if res.get("checkdmarc", {}).get("runs") else {}
    res["summary"] = report.summary(res)
    (work / "results.json").write_text(json.dumps(res, indent=1, default=str))
    report.write(args.out, report.render(res))
    print(json.dumps(res["summary"], indent=1, default=str))
    print(f"wrote {args.out} and {work / 'results.json'}")


if __name__ == "__main__":
    main()
