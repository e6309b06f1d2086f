#!/usr/bin/env bash
# Patch-level benchmark: Trustwatch's package assessment of a host of about
# 2,000 installed packages against about 100,000 OSV advisories, and
# debsecan on the same data. A benchmark, not a test: it installs what it
# needs when missing, builds the release agent, runs bench/packages.py
# (arguments are passed on, e.g. `bench/packages.sh --reps 5`) and rewrites
# its section of BENCHMARKS.md. Nothing opens a socket.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

need=()
[ -x /usr/bin/time ] || need+=(time)
[ -x /usr/bin/debsecan ] || need+=(debsecan)
/usr/bin/python3 -c 'import apt_pkg' >/dev/null 2>&1 || need+=(python3-apt)
if ((${#need[@]})); then
    echo "bench/packages.sh: installing ${need[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# Debian's python3, where python3-apt (libapt's version order, for the
# expectation) is installed; another python3 on PATH may not have it.
python=${TRUSTWATCH_BENCH_PYTHON:-/usr/bin/python3}
# No __pycache__ left in bench/.
export PYTHONDONTWRITEBYTECODE=1
cargo build --release --locked -p trustwatch-agent
exec "$python" bench/packages.py "$@"
