"""Running one tool invocation and measuring it: wall time, the peak RSS of
its largest process (exact, from wait4), and the peak RSS summed over its
whole process tree (sampled), since testssl.sh is hundreds of short-lived
bash and openssl processes while Trustwatch and sslyze are one process each.
"""

import os
import signal
import ssl
import socket
import statistics
import subprocess
import threading
import time

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def _tree_rss_kb(root):
    """Summed RSS of `root` and all its descendants, from /proc."""
    children = {}
    rss = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
            # comm may contain spaces: fields after the closing parenthesis.
            fields = stat[stat.rindex(")") + 2:].split()
            ppid, pages = int(fields[1]), int(fields[21])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(pid))
        rss[int(pid)] = pages * PAGE_KB
    total, stack = 0, [root]
    while stack:
        p = stack.pop()
        total += rss.get(p, 0)
        stack.extend(children.get(p, []))
    return total


class Run:
    def __init__(self, wall, maxrss_kb, tree_peak_kb, returncode):
        self.wall = wall
        self.maxrss_kb = maxrss_kb
        self.tree_peak_kb = tree_peak_kb
        self.returncode = returncode


def measure(cmd, stdout_path, stderr_path, limit, env=None, cwd=None):
    """Runs `cmd` (bounded by `limit` seconds) and measures it."""
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                env=env, cwd=cwd, start_new_session=True)
        peak = [0]
        done = threading.Event()

        def sample():
            while not done.is_set():
                peak[0] = max(peak[0], _tree_rss_kb(proc.pid))
                done.wait(0.01)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        deadline = start + limit
        status, usage = None, None
        while status is None:
            pid, st, ru = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                status, usage = st, ru
                break
            if time.perf_counter() > deadline:
                os.killpg(proc.pid, signal.SIGKILL)
                _, status, usage = os.wait4(proc.pid, 0)
                done.set()
                raise RuntimeError(f"{cmd[0]} did not finish within {limit} s")
            time.sleep(0.005)
        wall = time.perf_counter() - start
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    return Run(wall, usage.ru_maxrss, peak[0], proc.returncode)


def handshake_seconds(host, port, sni, count=200, limit=60):
    """Median wall time of one full TLS handshake on loopback (TCP connect
    included), by Python's ssl module (OpenSSL 3), `count` times in a row."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    times = []
    stop = time.perf_counter() + limit
    for _ in range(count):
        if time.perf_counter() > stop:
            break
        t0 = time.perf_counter()
        with socket.create_connection((host, port), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname=sni):
                pass
        times.append(time.perf_counter() - t0)
    return statistics.median(times), len(times)



def _smtp_starttls(raw):
    """Greeting, EHLO, STARTTLS: the plaintext prelude of every connection
    to an SMTP endpoint (each reply read up to its last line)."""
    f = raw.makefile("rb")

    def reply():
        for _ in range(50):
            line = f.readline(1024)
            if len(line) < 4 or line[3:4] != b"-":
                return
    reply()
    raw.sendall(b"EHLO bench.localhost\r\n")
    reply()
    raw.sendall(b"STARTTLS\r\n")
    reply()


def hello_round_trip_seconds(host, port, sni, count=200, limit=60, starttls=None):
    """Median wall time of the cheapest probe connection: TCP connect (and
    the SMTP STARTTLS prelude if `starttls` is "smtp"), one ClientHello, the
    first bytes of the server's answer, close — what most of a scanner's
    crafted hellos cost."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    times = []
    stop = time.perf_counter() + limit
    for _ in range(count):
        if time.perf_counter() > stop:
            break
        t0 = time.perf_counter()
        with socket.create_connection((host, port), timeout=5) as raw:
            if starttls == "smtp":
                _smtp_starttls(raw)
            incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
            tls = ctx.wrap_bio(incoming, outgoing, server_hostname=sni)
            try:
                tls.do_handshake()
            except ssl.SSLWantReadError:
                pass  # the ClientHello is written; the answer is not read yet
            raw.sendall(outgoing.read())
            raw.recv(16384)  # the start of the server's first flight
        times.append(time.perf_counter() - t0)
    return statistics.median(times), len(times)
