"""The service benchmark's plumbing: its own network namespace, the lab
runner, and one measured tool invocation (wall time from a monotonic clock,
peak RSS from `/usr/bin/time -f "%e %M"`).
"""

import json
import os
import select
import shutil
import signal
import subprocess
import time
from pathlib import Path

import bench_common as common

NETNS_ENV = "TRUSTWATCH_BENCH_SERVICES_NETNS"
TIME = "/usr/bin/time"


def enter_namespace():
    """See bench_common.enter_namespace."""
    common.enter_namespace("bench/services.py",
                           "a network namespace of its own, well-known ports", NETNS_ENV)


class Lab:
    """`trustwatch-service-lab` as a child: started with a pipe on its
    stdin, stopped by closing it (then SIGTERM, then SIGKILL)."""

    def __init__(self, bin_dir, work, layout="well-known", ip="127.0.0.1", limit=300):
        lab_dir = work / "lab"
        # The lab wants a fresh folder; the previous run's logs go.
        shutil.rmtree(lab_dir, ignore_errors=True)
        self.stderr = open(work / "lab.stderr", "wb")
        self.proc = subprocess.Popen(
            [str(bin_dir / "trustwatch-service-lab"), "--ip", ip, "--dir", str(lab_dir),
             "--layout", layout, "--max-secs", "14400"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr,
            start_new_session=True)
        t0 = time.perf_counter()
        ready, _, _ = select.select([self.proc.stdout], [], [], limit)
        line = self.proc.stdout.readline() if ready else b""
        self.startup_s = time.perf_counter() - t0
        if not line:
            self.stop()
            why = "exited before printing its manifest" if ready else f"did not start within {limit} s"
            raise RuntimeError(f"the lab {why}; see {work / 'lab.stderr'}")
        self.manifest = json.loads(line)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait()
        self.stderr.close()


def measure(cmd, out_path, err_path, limit, cpu=False):
    """Runs `cmd` under `/usr/bin/time` (bounded by `limit` seconds,
    killed past it). Returns {wall, time_wall, maxrss_kb, returncode}, and
    with `cpu` also {user_s, sys_s}: `wall` from a monotonic clock around
    the whole run, the rest from time(1) (peak RSS of the command, its CPU
    time)."""
    fmt = "%e %M %U %S" if cpu else "%e %M"
    tfile = Path(str(err_path) + ".time")
    tfile.unlink(missing_ok=True)
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen([TIME, "-f", fmt, "-o", str(tfile), *cmd], stdout=out,
                                stderr=err, stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            rc = proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise RuntimeError(f"{' '.join(cmd[:3])} … did not finish within {limit} s")
        wall = time.perf_counter() - t0
    # time(1) writes "Command exited with non-zero status N" before its
    # format line when the command fails: the figures are the last ones.
    f = tfile.read_text().split()[-len(fmt.split()):]
    result = {"wall": wall, "time_wall": float(f[0]), "maxrss_kb": int(f[1]), "returncode": rc}
    if cpu:
        result.update(user_s=float(f[2]), sys_s=float(f[3]))
    return result
