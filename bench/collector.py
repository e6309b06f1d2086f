#!/usr/bin/env python3
"""Collector ingest benchmark: a release `trustwatch-collector serve` on
loopback, fed by `trustwatch-ingest-load` (simulated agents, each with its
own client certificate from the collector's CA, one report of N findings
each, new TLS connection per report as a waking agent makes), on SQLite
and on PostgreSQL.

Per run and backend: a fresh collector (and for PostgreSQL a fresh
cluster, default durability settings), the load, then with everything
stored: /metrics scraped SCRAPES times (the first and the median
reported), the collector's peak RSS (VmHWM) and the store's size on disk.
Medians over RUNS runs go into BENCHMARKS.md (collector_report.py); every
run's figures are in WORK/results.json. Everything is bounded in time and
only ever touches 127.0.0.1.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_common as common  # noqa: E402
import collector_report as report  # noqa: E402

LIMIT = 3600  # seconds for any one load run
SCRAPES = 10


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, limit=60):
    end = time.time() + limit
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"nothing listens on 127.0.0.1:{port} after {limit}s")


class Postgres:
    """A throwaway cluster owned by the postgres user, default settings."""

    def __init__(self, work):
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"))
        self.bin = bins[-1].parent
        self.dir = work / "pg"
        self.dir.mkdir(parents=True)
        shutil.chown(self.dir, "postgres", "postgres")
        os.chmod(work, 0o755)
        self.port = free_port()
        as_pg = ["runuser", "-u", "postgres", "--"]
        subprocess.run(as_pg + [str(self.bin / "initdb"), "-D", str(self.dir / "data"),
                                "-U", "trustwatch", "--auth=trust", "-E", "UTF8"],
                       check=True, capture_output=True, timeout=300)
        self.proc = subprocess.Popen(
            as_pg + [str(self.bin / "postgres"), "-D", str(self.dir / "data"),
                     "-h", "127.0.0.1", "-p", str(self.port), "-k", str(self.dir),
                     "-c", "max_connections=200"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port)
        time.sleep(1)
        subprocess.run([str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                        "-U", "trustwatch", "trustwatch"], check=True, timeout=60)

    def url(self):
        return f"host=127.0.0.1 port={self.port} user=trustwatch dbname=trustwatch"

    def size_bytes(self):
        out = subprocess.run([str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port),
                              "-U", "trustwatch", "-At", "-c",
                              "SELECT pg_database_size('trustwatch')"],
                             capture_output=True, text=True, timeout=60)
        return int(out.stdout.strip() or 0)

    def stop(self):
        # `runuser` does not pass signals on: ask the postmaster itself
        # (its pid is the first line of postmaster.pid) for a fast shutdown.
        pid_file = self.dir / "data" / "postmaster.pid"
        try:
            os.kill(int(pid_file.read_text().split()[0]), signal.SIGINT)
        except (OSError, ValueError, IndexError):
            pass
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def rss_peak_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def scrape_ms(port):
    """Milliseconds for each of SCRAPES GETs of /metrics, and the series count."""
    times, series = [], 0
    for _ in range(SCRAPES):
        start = time.perf_counter()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=60) as r:
            body = r.read().decode()
        times.append((time.perf_counter() - start) * 1000)
        series = sum(1 for line in body.splitlines() if line and not line.startswith("#"))
    return times, series


def one_run(args, backend, run_dir):
    run_dir.mkdir(parents=True)
    pg = Postgres(run_dir) if backend == "postgres" else None
    ingest, http = free_port(), free_port()
    store = f'\n[store]\nbackend = "postgres"\nurl = "{pg.url()}"\n' if pg else ""
    (run_dir / "collector.toml").write_text(
        f'data_dir = "data"\n[ingest]\nlisten = "127.0.0.1:{ingest}"\n'
        f'[http]\nlisten = "127.0.0.1:{http}"\n{store}')
    log = open(run_dir / "collector.log", "w")
    proc = subprocess.Popen([str(args.bin_dir / "trustwatch-collector"), "serve", "--config",
                             str(run_dir / "collector.toml")], stdout=log, stderr=log)
    try:
        wait_port(ingest)
        wait_port(http)
        load = subprocess.run(
            [str(args.bin_dir / "trustwatch-ingest-load"), "--ingest", f"127.0.0.1:{ingest}",
             "--data-dir", str(run_dir / "data"), "--agents", str(args.agents),
             "--findings", str(args.findings), "--concurrency", str(args.concurrency),
             "--limit-secs", str(LIMIT)],
            capture_output=True, text=True, timeout=LIMIT + 120, check=True)
        result = json.loads(load.stdout)
        times, series = scrape_ms(http)
        result.update({
            "backend": backend,
            "scrape_first_ms": times[0],
            "scrape_median_ms": statistics.median(times),
            "series": series,
            "rss_peak_mib": rss_peak_kib(proc.pid) / 1024,
            "store_mib": (pg.size_bytes() if pg else
                          sum(f.stat().st_size for f in (run_dir / "data").glob("trustwatch.db*")))
            / 1024 / 1024,
        })
        return result
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
        if pg:
            pg.stop()
        if not args.keep:
            shutil.rmtree(run_dir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    common.add_path_args(parser, "bench-collector")
    parser.add_argument("--agents", type=int, default=50_000)
    parser.add_argument("--findings", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--keep", action="store_true", help="keep each run's folder")
    args = parser.parse_args()
    if common.render_only(args, report):
        return
    if args.work.exists():
        shutil.rmtree(args.work)
    args.work.mkdir(parents=True)
    results = {
        "machine": common.machine(args.bin_dir),
        "plan": {"agents": args.agents, "findings": args.findings,
                 "concurrency": args.concurrency, "runs": args.runs},
        "runs": [],
    }
    for n in range(args.runs):
        for backend in args.backends.split(","):
            print(f"run {n + 1}/{args.runs}: {backend} ...", flush=True)
            r = one_run(args, backend, args.work / f"{backend}-{n}")
            r["run"] = n
            print(f"  {r['findings_per_sec']:.0f} findings/s, p99 {r['latency_p99_ms']:.0f} ms, "
                  f"scrape {r['scrape_median_ms']:.1f} ms, RSS {r['rss_peak_mib']:.0f} MiB",
                  flush=True)
            results["runs"].append(r)
            (args.work / "results.json").write_text(json.dumps(results, indent=2))
    report.write(args.out, report.render(results))
    print(f"wrote {args.out} and {args.work / 'results.json'}")


if __name__ == "__main__":
    main()
