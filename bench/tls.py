#!/usr/bin/env python3
"""TLS benchmark: Trustwatch vs sslyze vs testssl.sh over the TLS lab.

A benchmark, not a test. Run it through bench/tls.sh, which installs the
tools and builds the release binaries first. It starts the lab once
(`trustwatch-tls-lab`, every endpoint on its own 127.a.b.N address), then:

1. whole lab, REPS times, tools interleaved: Trustwatch (`scan --targets`,
   one invocation), sslyze (one invocation, every endpoint), testssl.sh
   (its own mass mode, `--file … --parallel`);
2. each endpoint alone, REPS times: Trustwatch and sslyze (testssl's
   per-endpoint figure is its own `scanTime` inside the whole-lab run);
3. the floor: Trustwatch's handshakes per endpoint (from its debug log)
   times the median of one loopback handshake;
4. the detection matrix: each planted weakness × tool (tls_mapping.py).

It rewrites its section of BENCHMARKS.md (tls_report.py) and writes the raw
figures as JSON.
Loopback only; every run is bounded in time.
"""

import argparse
import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tls_mapping  # noqa: E402
import tls_report  # noqa: E402
from tls_measure import handshake_seconds, hello_round_trip_seconds, measure  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SSLYZE_COMMANDS = [
    # sslyze's default scan set, plus --http_headers (not in the default
    # set) because the HTTP rules are part of the assessment compared.
    "--certinfo", "--sslv2", "--sslv3", "--tlsv1", "--tlsv1_1", "--tlsv1_2", "--tlsv1_3",
    "--compression", "--early_data", "--openssl_ccs", "--fallback", "--heartbleed",
    "--robot", "--reneg", "--resum", "--elliptic_curves", "--ems", "--http_headers",
]
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def start_lab(bin_dir, work):
    lab_dir = work / "lab"
    proc = subprocess.Popen(
        [str(bin_dir / "trustwatch-tls-lab"), "--dir", str(lab_dir), "--max-secs", "10800"],
        stdout=subprocess.PIPE, stderr=open(work / "lab.stderr", "wb"), text=True,
        start_new_session=True)
    deadline = time.time() + 180
    manifest = None
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("the lab exited before it was ready; see lab.stderr")
        if line.startswith("manifest "):
            manifest = Path(line.split(" ", 1)[1].strip())
        if line.strip() == "ready":
            return proc, json.loads(manifest.read_text())
    raise RuntimeError("the lab was not ready within 180 s")


def stop_lab(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def trustwatch_cmd(bin_dir, targets, ca):
    return [str(bin_dir / "trustwatch-agent"), "scan", "--targets", str(targets),
            "--ca", str(ca), "--format", "json"]


def sslyze_cmd(endpoints, ca, json_out, starttls):
    targets = [f"{e['sni']}:{e['port']}{{{e['host']}}}" for e in endpoints]
    return [sys.executable, "-m", "sslyze", "--quiet", "--mozilla_config", "disable",
            "--starttls", starttls, "--certinfo_ca_file", str(ca), *SSLYZE_COMMANDS,
            "--json_out", str(json_out), *targets]


def testssl_line(e):
    """One line of testssl.sh's mass-testing file; the shared options
    (--add-ca, --jsonfile, …) are given once on its own command line."""
    starttls = f"--starttls {e['starttls']} " if e["starttls"] else ""
    return f"{starttls}--ip {e['host']} {e['sni']}:{e['port']}\n"


def whole_lab(args, m, work, results):
    eps = m["endpoints"]
    for rep in range(1, args.reps + 1):
        d = work / f"rep{rep}"
        d.mkdir(parents=True, exist_ok=True)
        r = measure(trustwatch_cmd(args.bin_dir, m["targets_file"], m["ca"]),
                    d / "trustwatch.json", d / "trustwatch.stderr", 600)
        results["lab"]["trustwatch"].append(vars(r))
        print(f"rep {rep}: trustwatch {r.wall:.2f} s (exit {r.returncode})", flush=True)
        r = measure(sslyze_cmd(eps, m["ca"], d / "sslyze.json", "auto"),
                    d / "sslyze.out", d / "sslyze.stderr", 1800)
        results["lab"]["sslyze"].append(vars(r))
        print(f"rep {rep}: sslyze {r.wall:.2f} s (exit {r.returncode})", flush=True)
        if rep <= args.testssl_reps:
            tdir = d / "testssl"
            tdir.mkdir(exist_ok=True)
            with open(tdir / "cmds.txt", "w") as f:
                for e in eps:
                    f.write(testssl_line(e))
            (tdir / "all.json").unlink(missing_ok=True)
            r = measure([args.testssl, "--parallel", "--quiet", "--color", "0",
                         "--warnings", "off", "--add-ca", str(m["ca"]),
                         "--jsonfile", "all.json", "--file", "cmds.txt"],
                        tdir / "run.out", tdir / "run.stderr", 3600, cwd=tdir)
            results["lab"]["testssl"].append(vars(r))
            print(f"rep {rep}: testssl {r.wall:.1f} s (exit {r.returncode})", flush=True)


def per_endpoint(args, m, work, results):
    d = work / "single"
    d.mkdir(exist_ok=True)
    for e in m["endpoints"]:
        one = d / f"{e['name']}.targets"
        line = next(l for l in Path(m["targets_file"]).read_text().splitlines()
                    if l.startswith(e["address"] + " "))
        one.write_text(line + "\n")
        tw, sy = [], []
        for rep in range(args.reps):
            r = measure(trustwatch_cmd(args.bin_dir, one, m["ca"]),
                        d / f"{e['name']}.tw.json", d / f"{e['name']}.tw.err", 300)
            tw.append(r.wall)
            starttls = e["starttls"] or "auto"
            r = measure(sslyze_cmd([e], m["ca"], d / f"{e['name']}.sslyze.json", starttls),
                        d / f"{e['name']}.sslyze.out", d / f"{e['name']}.sslyze.err", 600)
            sy.append(r.wall)
        results["endpoint"][e["name"]] = {"trustwatch": tw, "sslyze": sy}
        print(f"{e['name']}: trustwatch {min(tw):.3f} s, sslyze {min(sy):.2f} s", flush=True)


def handshake_counts(args, m, work):
    env = dict(os.environ, RUST_LOG="trustwatch_agent::probe::tls=debug", NO_COLOR="1")
    measure(trustwatch_cmd(args.bin_dir, m["targets_file"], m["ca"]),
            work / "debug.json", work / "debug.stderr", 600, env=env)
    counts = {}
    for line in (work / "debug.stderr").read_text(errors="replace").splitlines():
        line = ANSI.sub("", line)
        hit = re.search(r"TLS probe done target=(\S+) handshakes=(\d+)", line)
        if hit:
            counts[hit.group(1)] = int(hit.group(2))
    return counts


def detections(m, work, reps_with_testssl):
    """{tool: {endpoint: {rule: bool}}} from the first repetition's outputs."""
    d = work / "rep1"
    now = dt.datetime.now(dt.timezone.utc)
    tw = json.loads((d / "trustwatch.json").read_text())
    out = {"trustwatch": {}, "sslyze": {}, "testssl": {}}
    for e in m["endpoints"]:
        row = {}
        for f in tw["findings"]:
            host = f["target"].split("://")[-1].rsplit(":", 1)[0]
            if host == e["host"] and f["status"] in ("pass", "fail"):
                row[f["rule_id"]] = row.get(f["rule_id"], False) or f["status"] == "fail"
        out["trustwatch"][e["name"]] = row
    sy = json.loads((d / "sslyze.json").read_text())
    by_ip = {s["server_location"]["ip_address"]: s for s in sy["server_scan_results"]}
    for e in m["endpoints"]:
        s = by_ip.get(e["host"])
        out["sslyze"][e["name"]] = tls_mapping.sslyze_rules(s, now, m["ca"]) if s else {}
    if reps_with_testssl:
        items = json.loads((d / "testssl" / "all.json").read_text())
        for e in m["endpoints"]:
            # testssl.sh names an endpoint "sni/ip" and its port as a string.
            mine = [it for it in items if it.get("ip", "").endswith("/" + e["host"])
                    and it.get("port") == str(e["port"])]
            out["testssl"][e["name"]] = tls_mapping.testssl_rules(mine)
    return out


def testssl_scan_times(m, work, reps):
    """Each endpoint's own scan time inside testssl.sh's parallel run, from
    its closing line ` Done <date> [  602s] -->> 127.a.b.N:443 (localhost) <<--`."""
    names = {e["address"]: e["name"] for e in m["endpoints"]}
    times = {}
    done = re.compile(r"Done .*\[\s*(\d+)s\] -->> (\S+) ")
    for rep in range(1, reps + 1):
        p = work / f"rep{rep}" / "testssl" / "run.out"
        if not p.exists():
            continue
        for line in p.read_text(errors="replace").splitlines():
            hit = done.search(line)
            if hit and hit.group(2) in names:
                times.setdefault(names[hit.group(2)], []).append(float(hit.group(1)))
    return times


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--testssl-reps", type=int, default=None,
                   help="whole-lab testssl.sh runs (default: --reps; 0 skips testssl)")
    p.add_argument("--bin-dir", type=Path, default=ROOT / "target" / "release")
    p.add_argument("--work", type=Path, default=ROOT / "target" / "bench-tls")
    p.add_argument("--testssl", default="testssl")
    p.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    p.add_argument("--render", type=Path, metavar="RESULTS_JSON",
                   help="only rewrite the BENCHMARKS.md section from a results.json")
    args = p.parse_args()
    if args.render:
        tls_report.write(args.out, tls_report.render(json.loads(args.render.read_text()), args))
        print(f"wrote {args.out}")
        return
    if args.testssl_reps is None:
        args.testssl_reps = args.reps
    args.work.mkdir(parents=True, exist_ok=True)
    lab, m = start_lab(args.bin_dir, args.work)
    results = {"lab": {"trustwatch": [], "sslyze": [], "testssl": []}, "endpoint": {}}
    try:
        whole_lab(args, m, args.work, results)
        per_endpoint(args, m, args.work, results)
        results["handshakes"] = handshake_counts(args, m, args.work)
        good = next(e for e in m["endpoints"] if e["name"] == "good")
        hs, n = handshake_seconds(good["host"], good["port"], good["sni"])
        results["one_handshake"] = {"median_s": hs, "samples": n}
        rt, n = hello_round_trip_seconds(good["host"], good["port"], good["sni"])
        results["one_hello"] = {"median_s": rt, "samples": n}
        smtp = next((e for e in m["endpoints"] if e["starttls"] == "smtp"), None)
        if smtp:
            rt, n = hello_round_trip_seconds(smtp["host"], smtp["port"], smtp["sni"],
                                             count=50, starttls="smtp")
            results["one_hello_smtp"] = {"median_s": rt, "samples": n}
        results["testssl_scan_time"] = testssl_scan_times(m, args.work, args.testssl_reps)
        results["detections"] = detections(m, args.work, args.testssl_reps)
    finally:
        stop_lab(lab)
    results["manifest"] = m
    results["meta"] = tls_report.machine(args)
    (args.work / "results.json").write_text(json.dumps(results, indent=1, default=str))
    tls_report.write(args.out, tls_report.render(results, args))
    print(f"wrote {args.out} and {args.work / 'results.json'}")


if __name__ == "__main__":
    main()
