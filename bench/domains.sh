#!/usr/bin/env bash
# Mail-domain benchmark: Trustwatch's `scan --domain` of 1,000 generated
# domains against a local Knot DNS server (wall time, DNS queries per
# domain, peak memory), and checkdmarc over the same domains. A benchmark,
# not a test: it installs what it needs when missing (knot, dig, time(1);
# checkdmarc from PyPI into a venv under target/), builds the release agent,
# runs bench/domains.py (arguments are passed on, e.g.
# `bench/domains.sh --reps 3`) and rewrites its section of BENCHMARKS.md.
# Needs root: everything runs in a network namespace whose only interface
# is loopback.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

need=()
[ -x /usr/bin/time ] || need+=(time)
[ -x /usr/sbin/knotd ] && [ -x /usr/sbin/knotc ] || need+=(knot)
[ -x /usr/bin/dig ] || need+=(bind9-dnsutils)
[ -x /usr/bin/openssl ] || need+=(openssl)
command -v unshare >/dev/null || need+=(util-linux)
command -v ip >/dev/null || need+=(iproute2)
/usr/bin/python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
if ((${#need[@]})); then
    echo "bench/domains.sh: installing ${need[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# The peer: checkdmarc from PyPI, in a venv of its own (skipped, and said
# so in the section, when it cannot be installed).
venv=target/bench-domains/venv
if [ ! -x "$venv/bin/checkdmarc" ]; then
    mkdir -p target/bench-domains
    if /usr/bin/python3 -m venv "$venv" && "$venv/bin/pip" install -q checkdmarc; then
        :
    else
        echo "bench/domains.sh: could not install checkdmarc; running without it" >&2
    fi
fi

python=${TRUSTWATCH_BENCH_PYTHON:-/usr/bin/python3}
# No __pycache__ left in bench/.
export PYTHONDONTWRITEBYTECODE=1
cargo build --release --locked -p trustwatch-agent
exec "$python" -B bench/domains.py --checkdmarc "$PWD/$venv/bin/checkdmarc" "$@"
