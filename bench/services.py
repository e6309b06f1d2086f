#!/usr/bin/env python3
"""Service benchmark: Trustwatch's discovery scan vs nmap, on a lab of real
services on loopback inside a network namespace of its own.

A benchmark, not a test. Run it through bench/services.sh, which installs
nmap and time(1) and builds the release binaries first. Everything runs
inside one `unshare -n` namespace (this program re-executes itself there;
its only interface is `lo`): the lab (`trustwatch-service-lab`, every
service on its well-known port of 127.0.0.1, plus two silent ports) and
both tools. Then, side by side:

1. full sweep, REPS times, tools alternating: `nmap -sT -p- -n -Pn` vs
   `trustwatch-agent scan --ports all` (rate limits lifted: see RATE);
   wall time, peak RSS, and both must find the same open TCP ports;
2. identification of the lab's TCP ports (the same list for both):
   `nmap -sT -sV` (NMAP_REPS times; it takes minutes) vs Trustwatch
   (REPS times); Trustwatch once more with UDP 161 added and nmap
   `-sU -sV -p 161` once, for the SNMP row; the identification table;
3. diagnostics: Trustwatch on each port alone (where its time goes), and
   the rules each service is planted to fail, in both exposures.

It writes target/bench-services/results.json and its section of
BENCHMARKS.md (services_report.py). Every run is bounded in time.
"""

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import services_parse as parse  # noqa: E402
import bench_common as common  # noqa: E402
import services_report as report  # noqa: E402
from services_measure import Lab, enter_namespace, measure  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
# Trustwatch's default rate limits are deliberately low, for fragile
# clinical devices; nmap -sT has none. Lifted here (--agent-rate, default
# 1000000 a second overall and per host), and said so in the report, so
# both tools go as fast as they can.
DEFAULT_RATE = "1000000"


def agent(args, ports, *extra):
    rate = ["--rate", args.agent_rate, "--host-rate", args.agent_rate]
    return [str(args.bin_dir / "trustwatch-agent"), "scan", "--hosts", HOST, "--ports", ports,
            *rate, "--format", "json", *extra]


def nmap(args, *extra):
    return [args.nmap, "-n", "-Pn", *extra, HOST]


# Between two runs: inetutils-inetd (the lab's telnet) sleeps a whole
# second whenever a child's exit interrupts its select, so a run starting
# right after the previous one's telnetd exits would wait on it.
PAUSE_S = 1.5


def run(label, cmd, d, stem, limit, results_list=None):
    time.sleep(PAUSE_S)
    r = measure(cmd, d / f"{stem}.out", d / f"{stem}.err", limit)
    r["cmd"] = cmd
    if results_list is not None:
        results_list.append(r)
    print(f"{label}: {r['wall']:.2f} s, {r['maxrss_kb'] / 1024:.1f} MiB (exit {r['returncode']})",
          flush=True)
    return r


def sweep(args, work, res):
    d = work / "sweep"
    d.mkdir(parents=True, exist_ok=True)
    s = res["sweep"] = {"nmap": [], "trustwatch": [], "open": {}}
    for rep in range(1, args.reps + 1):
        tools = ["nmap", "trustwatch"] if rep % 2 else ["trustwatch", "nmap"]
        for tool in tools:
            if tool == "nmap":
                xml = d / f"nmap{rep}.xml"
                run(f"sweep {rep}: nmap", nmap(args, "-sT", "-p-", "-oX", str(xml)), d,
                    f"nmap{rep}", 600, s["nmap"])
                s["open"].setdefault("nmap", []).append(parse.nmap_open_tcp(xml))
            else:
                r = run(f"sweep {rep}: trustwatch", agent(args, "all"), d, f"trustwatch{rep}",
                        600, s["trustwatch"])
                rep_json = parse.ours_report(d / f"trustwatch{rep}.out")
                s["open"].setdefault("trustwatch", []).append(parse.ours_open_tcp(rep_json))
                r["services"] = len(rep_json.get("services", []))
    # Trustwatch's scan identifies whatever it finds open; nmap -sT -p-
    # only connects. The sweep alone: the same scan with the open ports
    # (nmap's first sweep) excluded, so nothing is left to identify.
    opened = ",".join(map(str, s["open"]["nmap"][0]))
    s["trustwatch_sweep_only"] = []
    for rep in range(1, args.reps + 1):
        run(f"sweep {rep}: trustwatch, open ports excluded",
            agent(args, "all", "--exclude-ports", opened), d, f"sweep-only{rep}", 600,
            s["trustwatch_sweep_only"])


def identification(args, work, res, m):
    d = work / "identify"
    d.mkdir(parents=True, exist_ok=True)
    tcp = [x for x in m["services"] if x["transport"] == "tcp"]
    ports = ",".join(str(x["port"]) for x in sorted(tcp, key=lambda x: x["port"]))
    i = res["identify"] = {"ports": ports, "nmap": [], "trustwatch": [], "tally": {}}
    for rep in range(1, args.reps + 1):
        run(f"identify {rep}: trustwatch", agent(args, ports), d, f"trustwatch{rep}", 600,
            i["trustwatch"])
        rows = parse.ours_ports(parse.ours_report(d / f"trustwatch{rep}.out"))
        i["tally"].setdefault("trustwatch", []).append(parse.tally("trustwatch", rows, tcp))
    r = run("identify + UDP 161: trustwatch", agent(args, f"T:{ports},U:161"), d,
            "trustwatch-udp", 600)
    i["trustwatch_udp"] = r
    rows = parse.ours_ports(parse.ours_report(d / "trustwatch-udp.out"))
    i["rows"] = {"trustwatch": {f"{t}/{p}": v for (t, p), v in rows.items()}}
    for rep in range(1, args.nmap_reps + 1):
        xml = d / f"nmap{rep}.xml"
        run(f"identify {rep}: nmap -sV", nmap(args, "-sT", "-sV", "-p", ports, "-oX", str(xml)),
            d, f"nmap{rep}", 1800, i["nmap"])
        rows = parse.nmap_ports(xml)
        i["tally"].setdefault("nmap", []).append(parse.tally("nmap", rows, tcp))
    nrows = parse.nmap_ports(d / "nmap1.xml") if args.nmap_reps else {}
    xml = d / "nmap-udp.xml"
    r = run("identify UDP 161: nmap -sU -sV", nmap(args, "-sU", "-sV", "-p", "161", "-oX",
                                                    str(xml)), d, "nmap-udp", 600)
    i["nmap_udp"] = r
    nrows.update(parse.nmap_ports(xml))
    i["rows"]["nmap"] = {f"{t}/{p}": v for (t, p), v in nrows.items()}


def per_port(args, work, res, m):
    """Trustwatch on each port alone, once: where its time goes."""
    d = work / "per-port"
    d.mkdir(parents=True, exist_ok=True)
    out = res["per_port"] = {}
    for x in m["services"]:
        # UDP is asked only of hosts that answered the TCP sweep: TCP 1
        # (closed, refused at once) makes the host count as up.
        spec = str(x["port"]) if x["transport"] == "tcp" else f"T:1,U:{x['port']}"
        time.sleep(PAUSE_S)
        r = measure(agent(args, spec), d / f"{x['name']}.out", d / f"{x['name']}.err", 300)
        rows = parse.ours_ports(parse.ours_report(d / f"{x['name']}.out"))
        r["ident"] = rows.get((x["transport"], x["port"]))
        out[x["name"]] = r
        print(f"{x['name']} alone: {r['wall'] * 1000:.0f} ms", flush=True)


def planted(args, work, res, m):
    d = work / "planted"
    d.mkdir(parents=True, exist_ok=True)
    ports = "T:" + res["identify"]["ports"] + ",U:161"
    out = res["planted"] = {}
    for exposure in ("external", "internal"):
        run(f"rules, {exposure}", agent(args, ports, "--exposure", exposure), d, exposure, 600)
        rep = parse.ours_report(d / f"{exposure}.out")
        out[exposure] = parse.planted_flags(rep, HOST, m["services"])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--reps", type=int, default=5, help="repetitions of the fast runs")
    p.add_argument("--nmap-reps", type=int, default=1,
                   help="repetitions of nmap -sV (about 150 s each)")
    p.add_argument("--nmap", default="nmap")
    p.add_argument("--agent-rate", default=DEFAULT_RATE, metavar="N|unlimited",
                   help="Trustwatch's --rate and --host-rate for every run (default %(default)s)")
    common.add_path_args(p, "bench-services")
    args = p.parse_args()
    if common.render_only(args, report):
        return
    if args.nmap_reps < 1 or args.reps < 1:
        p.error("--reps and --nmap-reps must be at least 1")
    enter_namespace()
    meta = report.machine(args)
    meta["agent_rate"] = args.agent_rate
    args.work.mkdir(parents=True, exist_ok=True)
    lab = Lab(args.bin_dir, args.work)
    m = lab.manifest
    res = {"meta": meta, "lab": {"startup_s": lab.startup_s}, "manifest": m}
    print(f"lab up in {lab.startup_s:.1f} s: {len(m['services'])} services", flush=True)
    try:
        sweep(args, args.work, res)
        identification(args, args.work, res, m)
        per_port(args, args.work, res, m)
        planted(args, args.work, res, m)
    finally:
        lab.stop()
    res["summary"] = report.summary(res)
    (args.work / "results.json").write_text(json.dumps(res, indent=1, default=str))
    report.write(args.out, report.render(res))
    s = res["summary"]
    print(json.dumps(s, indent=1))
    print(f"wrote {args.out} and {args.work / 'results.json'}")


if __name__ == "__main__":
    main()
