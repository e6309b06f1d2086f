#!/usr/bin/env bash
# TLS benchmark: Trustwatch vs sslyze vs testssl.sh over the TLS lab on
# loopback. A benchmark, not a test: it installs what it needs when missing,
# builds the release binaries, runs bench/tls.py (arguments are passed on,
# e.g. `bench/tls.sh --reps 5 --testssl-reps 2`) and rewrites BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

need=()
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v testssl >/dev/null 2>&1 || need+=(testssl.sh)
[ -x /usr/sbin/nginx ] || need+=(nginx-light)
[ -x /usr/lib/dovecot/submission ] || need+=(dovecot-submissiond)
[ -x /usr/bin/time ] || need+=(time)
if ((${#need[@]})); then
    echo "bench/tls.sh: installing ${need[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

python=${TRUSTWATCH_LAB_PYTHON:-python3}
pip_need=()
"$python" -c 'import tlslite' 2>/dev/null || pip_need+=(tlslite-ng)
"$python" -c 'import sslyze' 2>/dev/null || pip_need+=(sslyze)
if ((${#pip_need[@]})); then
    echo "bench/tls.sh: pip installing ${pip_need[*]}" >&2
    "$python" -m pip install --quiet "${pip_need[@]}"
fi

cargo build --release --locked -p trustwatch-agent -p trustwatch-e2e --bins
exec "$python" bench/tls.py "$@"
