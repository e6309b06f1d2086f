#!/usr/bin/env bash
# Service benchmark: Trustwatch's discovery scan vs nmap over the service
# lab, on loopback inside a network namespace of its own. A benchmark, not
# a test: it installs what it needs when missing, builds the release
# binaries, runs bench/services.py as root (arguments are passed on, e.g.
# `bench/services.sh --reps 5 --nmap-reps 1`) and rewrites its section of
# BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

need=()
command -v nmap >/dev/null 2>&1 || need+=(nmap)
[ -x /usr/bin/time ] || need+=(time)
command -v unshare >/dev/null 2>&1 || need+=(util-linux)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
if ((${#need[@]})); then
    echo "bench/services.sh: installing ${need[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# The lab's own daemons (openssh-server, samba, xrdp, … and python's hl7)
# are the test suite's: scripts/test installs them; the lab names any that
# is missing when it starts.

python=${TRUSTWATCH_LAB_PYTHON:-python3}
# No __pycache__ left in bench/.
export PYTHONDONTWRITEBYTECODE=1
cargo build --release --locked -p trustwatch-agent -p trustwatch-e2e --bins
# Root: a network namespace of its own and the well-known ports in it.
exec $sudo "$python" bench/services.py "$@"
