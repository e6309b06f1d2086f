#!/usr/bin/env python3
"""Patch-level benchmark: Trustwatch's package assessment of a host of
about 2,000 installed packages against about 100,000 OSV advisories, and
debsecan (Debian's own tool for the same question) on the same data.

A benchmark, not a test. Run it through bench/packages.sh, which installs
time(1), debsecan and python3-apt and builds the release agent first.
Nothing here opens a socket: debsecan reads its data from a file:// URL.

1. data (packages_data.py, seeded): the host under WORK/root (this
   machine's real dpkg status and os-release, topped up with generated
   packages), the records as an osv.dev `all.zip` export and, for the
   Debian:12 ones, in debsecan's format;
2. Trustwatch, REPS times each: `advisories import all.zip --index FILE`
   into a fresh folder (wall, peak RSS, the index's size on disk), then
   `scan --packages --root WORK/root --advisories FILE --format json`:
   once to warm the page cache, then REPS timed runs; and, where the agent
   accepts it, the scan straight from the zip (importing in memory);
3. debsecan, once to warm, then REPS timed runs: `debsecan --suite
   bookworm --source file://… --status WORK/root/…/status --format
   summary`; it has no index: every run parses its data file;
4. the matches both report, checked against packages_expect.py's, which
   works them out again from the same files with libapt's version order.

Writes WORK/results.json and its section of BENCHMARKS.md
(packages_report.py). Every run is bounded in time.
"""

import argparse
import datetime as dt
import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import packages_data as data  # noqa: E402
import packages_expect as expect  # noqa: E402
import bench_common as common  # noqa: E402
import packages_report as report  # noqa: E402
from services_measure import measure  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 600  # seconds, for any one run


def _fail(what, run, err_path):
    tail = err_path.read_text(errors="replace").strip()[-2000:] if err_path.exists() else ""
    raise RuntimeError(f"{what} exited with status {run['returncode']}: {tail}")


def _dir_bytes(d):
    return sum(p.stat().st_size for p in d.rglob("*") if p.is_file())


def trustwatch_import(args, work, res):
    agent = str(args.bin_dir / "trustwatch-agent")
    runs = []
    for i in range(args.reps):
        idx_dir = work / "index"
        shutil.rmtree(idx_dir, ignore_errors=True)
        idx_dir.mkdir()
        idx = idx_dir / "advisories.index"
        cmd = [agent, "advisories", "import", str(work / "osv/all.zip"), "--index", str(idx)]
        r = measure(cmd, work / "import.out", work / "import.err", LIMIT)
        if r["returncode"] != 0:
            _fail("trustwatch-agent advisories import", r, work / "import.err")
        r["index_bytes"] = _dir_bytes(idx_dir)
        r["index_files"] = sorted(p.name for p in idx_dir.iterdir())
        runs.append(r)
        print(f"  import {i + 1}/{args.reps}: {r['wall']:.2f} s, {r['maxrss_kb'] / 1024:.1f} MiB, "
              f"index {r['index_bytes'] / 1e6:.1f} MB", flush=True)
    res["trustwatch"]["import"] = runs
    res["trustwatch"]["import_stdout"] = (work / "import.out").read_text(errors="replace")[:4000]
    res["trustwatch"]["import_stderr"] = (work / "import.err").read_text(errors="replace")[:4000]
    res["trustwatch"]["index"] = str(idx)
    return idx


def _scan(args, work, advisories, name):
    cmd = [str(args.bin_dir / "trustwatch-agent"), "scan", "--packages", "--root",
           str(work / "root"), "--advisories", str(advisories), "--format", "json"]
    out, err = work / f"{name}.json", work / f"{name}.err"
    return measure(cmd, out, err, LIMIT), out, err


def trustwatch_scan(args, work, res, idx):
    # Exit status 1 means findings failed, which they do here; 2 is an error.
    warm, out, err = _scan(args, work, idx, "scan")
    if warm["returncode"] not in (0, 1):
        _fail("trustwatch-agent scan --packages", warm, err)
    runs = []
    for i in range(args.reps):
        r, out, err = _scan(args, work, idx, "scan")
        if r["returncode"] not in (0, 1):
            _fail("trustwatch-agent scan --packages", r, err)
        runs.append(r)
        print(f"  scan {i + 1}/{args.reps}: {r['wall'] * 1000:.0f} ms, "
              f"{r['maxrss_kb'] / 1024:.1f} MiB, exit {r['returncode']}", flush=True)
    res["trustwatch"]["warm_run"] = warm
    res["trustwatch"]["scan"] = runs
    res["trustwatch"]["scan_stderr"] = err.read_text(errors="replace")[:4000]
    return json.loads(out.read_text())


def trustwatch_scan_zip(args, work, res):
    """The scan given the zip itself, where the agent accepts that: the
    like-for-like comparison with debsecan, which parses its data on
    every run. Left out (with the agent's reason) when it does not."""
    runs = []
    for i in range(min(args.reps, 3)):
        r, _, err = _scan(args, work, work / "osv/all.zip", "scan-zip")
        if r["returncode"] not in (0, 1):
            res["trustwatch"]["scan_zip_refused"] = err.read_text(errors="replace").strip()[:500]
            print(f"  scan from the zip: not accepted (exit {r['returncode']})", flush=True)
            return
        runs.append(r)
        print(f"  scan from the zip {i + 1}: {r['wall']:.2f} s, {r['maxrss_kb'] / 1024:.1f} MiB",
              flush=True)
    res["trustwatch"]["scan_zip"] = runs


def debsecan(args, work, res):
    conf = work / "debsecan.conf"
    # An empty configuration: /etc/default/debsecan's SOURCE or SUITE
    # must not change what is measured.
    conf.write_text("")
    cmd = [args.debsecan, "--config", str(conf), "--suite", "bookworm",
           "--source", f"file://{work / 'debsecan'}/",
           "--status", str(work / "root/var/lib/dpkg/status"),
           "--whitelist", str(work / "debsecan.whitelist"), "--format", "summary"]
    out, err = work / "debsecan.out", work / "debsecan.err"
    warm = measure(cmd, out, err, LIMIT)
    if warm["returncode"] != 0:
        _fail("debsecan", warm, err)
    runs = []
    for i in range(args.reps):
        r = measure(cmd, out, err, LIMIT)
        if r["returncode"] != 0:
            _fail("debsecan", r, err)
        runs.append(r)
        print(f"  debsecan {i + 1}/{args.reps}: {r['wall']:.2f} s, "
              f"{r['maxrss_kb'] / 1024:.1f} MiB", flush=True)
    res["debsecan"] = {"runs": runs, "warm_run": warm, "command": cmd,
                       "stderr": err.read_text(errors="replace")[:2000],
                       "data_bytes": (work / "debsecan/bookworm").stat().st_size}
    return expect.debsecan_pairs(out.read_text())


def check(res, want, tw_report, ds_pairs):
    """Each tool's matches against the expectation."""
    acc = {"expected": want["counts"], "ecosystem": want["ecosystem"]}
    if ds_pairs is not None:
        acc["debsecan"] = expect.compare(ds_pairs, want["by_binary"])
    if tw_report is not None:
        groups = expect.trustwatch_pairs(tw_report)
        acc["trustwatch_groups"] = {}
        for where, pairs in groups.items():
            acc["trustwatch_groups"][where] = {
                "vs_matches": expect.compare(pairs, want["matches"]),
                "vs_overdue": expect.compare(pairs, want["overdue"]),
            }
        acc["trustwatch_counts"] = expect.evidence_counts(tw_report, want["counts"])
        acc["trustwatch_findings"] = [
            {k: f.get(k) for k in ("rule_id", "status", "severity", "target")}
            for f in tw_report.get("findings", [])]
    return acc


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--reps", type=int, default=5, help="timed runs of each measurement")
    p.add_argument("--seed", type=int, default=5)
    p.add_argument("--packages", type=int, default=2000)
    p.add_argument("--advisories", type=int, default=100_000)
    p.add_argument("--today", help="YYYY-MM-DD for the data's recent advisories (default today)")
    p.add_argument("--debsecan", default="/usr/bin/debsecan")
    p.add_argument("--skip-trustwatch", action="store_true",
                   help="only the data, the expectation and debsecan")
    common.add_path_args(p, "bench-packages")
    args = p.parse_args()
    if common.render_only(args, report):
        return
    if args.reps < 1:
        p.error("--reps must be at least 1")
    today = (dt.datetime.strptime(args.today, "%Y-%m-%d").replace(tzinfo=dt.timezone.utc)
             if args.today else None)
    args.work.mkdir(parents=True, exist_ok=True)
    res = {"meta": report.machine(args), "trustwatch": {}}
    t0 = time.perf_counter()
    res["data"] = data.generate(args.work, args.seed, args.packages, args.advisories, today)
    res["data"]["generate_s"] = time.perf_counter() - t0
    print(f"data: {res['data']['records']} records, {res['data']['host']['installed']} "
          f"installed packages ({res['data']['generate_s']:.1f} s)", flush=True)
    tw_report = None
    if not args.skip_trustwatch:
        idx = trustwatch_import(args, args.work, res)
        tw_report = trustwatch_scan(args, args.work, res, idx)
        trustwatch_scan_zip(args, args.work, res)
    scanned_at = dt.datetime.now(dt.timezone.utc)
    ds_pairs = debsecan(args, args.work, res)
    want = expect.expected(args.work / "root", args.work / "osv/all.zip", scanned_at)
    res["accuracy"] = check(res, want, tw_report, ds_pairs)
    res["summary"] = report.summary(res)
    (args.work / "results.json").write_text(json.dumps(res, indent=1, default=str))
    report.write(args.out, report.render(res))
    print(json.dumps({"summary": res["summary"], "accuracy": res["accuracy"]}, indent=1,
                     default=str))
    print(f"wrote {args.out} and {args.work / 'results.json'}")


if __name__ == "__main__":
    main()
