"""What every benchmark report shares: the machine it ran on, the commit it
measured, and rewriting its own marked section of BENCHMARKS.md."""

import datetime as dt
import json
import os
import platform
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def cmd(args):
    """A command's output, trimmed, or `?` when it cannot be run."""
    try:
        out = subprocess.run(args, capture_output=True, text=True, timeout=60)
        return (out.stdout or out.stderr).strip()
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def machine(bin_dir):
    """Date, commit (marked when the tree has uncommitted changes), CPU,
    cores, memory, kernel and the agent's version."""
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    commit = cmd(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    dirty = cmd(["git", "-C", str(ROOT), "status", "--porcelain"])
    return {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit + (" + uncommitted changes" if dirty else ""),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "trustwatch": cmd([str(Path(bin_dir) / "trustwatch-agent"), "--version"]),
    }


def write_section(path, start, end, section):
    """Puts `section` between the `start` and `end` markers in `path`,
    keeping everything else (the other benchmarks); appends it when the
    markers are missing, and creates the file if need be."""
    block = f"{start}\n{section.rstrip(chr(10))}\n{end}\n"
    text = path.read_text() if path.exists() else "# Benchmarks\n\n"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        tail = rest.split(end, 1)[1].lstrip("\n")
        text = head + block + ("\n" + tail if tail else "")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.write_text(text)


def add_path_args(parser, work):
    """The arguments every driver takes: where the release binaries are,
    its work folder under target/, the file to write, and --render."""
    parser.add_argument("--bin-dir", type=Path, default=ROOT / "target" / "release")
    parser.add_argument("--work", type=Path, default=ROOT / "target" / work)
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument("--render", type=Path, metavar="RESULTS_JSON",
                        help="only rewrite the BENCHMARKS.md section from a results.json")


def render_only(args, report):
    """With --render, rewrites the section from saved results and says so;
    True when that was all there was to do."""
    args.work = args.work.resolve()
    args.bin_dir = args.bin_dir.resolve()
    if not args.render:
        return False
    report.write(args.out, report.render(json.loads(args.render.read_text())))
    print(f"wrote {args.out}")
    return True


def enter_namespace(program, why, env="TRUSTWATCH_BENCH_NETNS"):
    """Re-executes this Python program inside a new network namespace
    (`unshare -n`, root only) unless already there, then brings `lo` up.
    Nothing the benchmark starts can reach beyond that namespace: its only
    interface is loopback, which is checked before anything runs."""
    import sys
    if os.environ.get(env) != "1":
        if os.geteuid() != 0:
            sys.exit(f"{program}: needs root ({why}); run it as root or through sudo")
        os.environ[env] = "1"
        argv = [sys.executable, os.path.abspath(sys.argv[0]), *sys.argv[1:]]
        os.execvp("unshare", ["unshare", "--net", "--", *argv])
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True, timeout=30)
    links = subprocess.run(["ip", "-o", "link", "show"], check=True, capture_output=True,
                           text=True, timeout=30).stdout
    names = [line.split(":")[1].strip().split("@")[0] for line in links.splitlines() if line]
    if names != ["lo"]:
        sys.exit(f"{program}: expected a namespace with only lo, found {names}")
