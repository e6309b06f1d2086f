#!/usr/bin/env bash
# Collector ingest benchmark (issue 7): simulated agents (default 50,000 x
# 100 findings) upload over mutual TLS on loopback to a release collector,
# on SQLite and on PostgreSQL, several runs each: sustained reports/s and
# findings/s, p99 ingest latency, the collector's peak RSS, and /metrics
# scrape time with everything stored. A benchmark, not a test. Installs
# PostgreSQL when missing, builds the release binaries, runs
# bench/collector.py (arguments are passed on, e.g.
# `bench/collector.sh --agents 5000 --runs 3`) and rewrites its section of
# BENCHMARKS.md. Needs root (PostgreSQL runs as the postgres user).
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    echo "bench/collector.sh: installing postgresql" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
export PYTHONDONTWRITEBYTECODE=1
cargo build --release --locked -p trustwatch-collector -p trustwatch-e2e --bins
exec /usr/bin/python3 -B bench/collector.py "$@"
