"""BENCHMARKS.md's patch-level section from the benchmark's results (see
packages.py): the targets, the figures of both tools, and whether their
matches agree with the expectation."""

import statistics
from pathlib import Path

import bench_common as common
import packages_data as gen

ROOT = Path(__file__).resolve().parent.parent
START = "<!-- bench/packages.sh: start -->"
END = "<!-- bench/packages.sh: end -->"
# The issue's targets. 100 MB is read as 100,000,000 bytes (time(1)'s %M
# is in KiB), the stricter of the two readings.
SCAN_TARGET_S = 0.300
RSS_TARGET_KIB = 100_000_000 / 1024


def machine(args):
    debsecan = common.cmd(["dpkg-query", "-W", "-f", "${Version}", "debsecan"])
    apt = common.cmd(["dpkg-query", "-W", "-f", "${Version}", "python3-apt"])
    return {
        **common.machine(args.bin_dir),
        "debsecan": f"debsecan {debsecan}",
        "python_apt": apt,
        "reps": args.reps,
    }


def _med(runs, key="wall"):
    return statistics.median(r[key] for r in runs) if runs else None


def _max(runs, key="maxrss_kb"):
    return max(r[key] for r in runs) if runs else None


def _best_group(groups):
    """The place in Trustwatch's report whose matches agree with one of
    the expected sets; else the largest."""
    if not groups:
        return None, None
    for want in ("vs_overdue", "vs_matches"):
        for where, g in sorted(groups.items()):
            if g[want]["agree"]:
                return where, want
    where = max(groups, key=lambda w: groups[w]["vs_matches"]["got"])
    return where, None


def summary(res):
    tw, ds = res.get("trustwatch", {}), res.get("debsecan", {})
    imp, scan, zscan = tw.get("import", []), tw.get("scan", []), tw.get("scan_zip", [])
    ds_runs = ds.get("runs", [])
    out = {
        "trustwatch": {
            "import_s": _med(imp), "import_rss_kib": _max(imp),
            "index_bytes": imp[-1]["index_bytes"] if imp else None,
            "scan_s": _med(scan), "scan_rss_kib": _max(scan),
            "scan_exit": sorted({r["returncode"] for r in scan}),
            "scan_zip_s": _med(zscan), "scan_zip_rss_kib": _max(zscan),
        },
        "debsecan": {"s": _med(ds_runs), "rss_kib": _max(ds_runs)},
    }
    t, d = out["trustwatch"], out["debsecan"]
    if t["scan_s"] and d["s"]:
        out["ratios"] = {
            "debsecan_vs_scan": d["s"] / t["scan_s"],
            "debsecan_vs_import_plus_scan": d["s"] / (t["import_s"] + t["scan_s"]),
            "debsecan_vs_scan_zip": d["s"] / t["scan_zip_s"] if t["scan_zip_s"] else None,
            "rss_debsecan_vs_scan": d["rss_kib"] / t["scan_rss_kib"],
        }
    if t["scan_s"] is not None:
        out["targets"] = {"scan_time": t["scan_s"] < SCAN_TARGET_S,
                          "scan_rss": t["scan_rss_kib"] < RSS_TARGET_KIB}
    where, want = _best_group(res.get("accuracy", {}).get("trustwatch_groups"))
    out["trustwatch_matches"] = {"where": where, "agrees_with": want}
    return out


def _spread(runs, key="wall", ms=False):
    xs = [r[key] for r in runs]
    if not xs:
        return "–"
    return (f"{min(xs) * 1000:.0f} – {max(xs) * 1000:.0f} ms" if ms
            else f"{min(xs):.2f} – {max(xs):.2f} s")


def _mib(kib):
    return "–" if kib is None else f"{kib / 1024:.1f} MiB"


def _pairs(xs):
    return ", ".join(f"`{a} {b}`" for a, b in xs[:3]) or "—"


def _agree_text(c, what):
    if c["agree"]:
        return f"**agree** ({c['got']} = {c['want']} {what})"
    return (f"**disagree**: {c['got']} reported, {c['want']} expected {what}; "
            f"{c['missing_count']} missing (e.g. {_pairs(c['missing'])}), "
            f"{c['extra_count']} extra (e.g. {_pairs(c['extra'])})")


def _trustwatch_rows(res, s):
    tw, t = res.get("trustwatch", {}), s["trustwatch"]
    if not tw.get("scan"):
        return ("| Trustwatch | not measured in this run | | | |\n")
    rows = [
        f"| Trustwatch `advisories import all.zip --index FILE` (fresh index each run) | "
        f"{t['import_s']:.2f} s | {_spread(tw['import'])} | {_mib(t['import_rss_kib'])} | "
        f"{len(tw['import'])} |",
        f"| Trustwatch `scan --packages --advisories FILE`, warm | "
        f"**{t['scan_s'] * 1000:.0f} ms** | {_spread(tw['scan'], ms=True)} | "
        f"**{_mib(t['scan_rss_kib'])}** | {len(tw['scan'])} |",
    ]
    if tw.get("scan_zip"):
        rows.append(f"| Trustwatch `scan --packages --advisories all.zip` (no index: reads "
                    f"the zip every run) | {t['scan_zip_s']:.2f} s | {_spread(tw['scan_zip'])} | "
                    f"{_mib(t['scan_zip_rss_kib'])} | {len(tw['scan_zip'])} |")
    return "\n".join(rows) + "\n"


def _accuracy(res, s):
    acc = res.get("accuracy", {})
    e = acc.get("expected", {})
    lines = [
        f"- **Expected** (bench/packages_expect.py, from the same files, libapt's "
        f"`apt_pkg.version_compare`): of the {e.get('host_ecosystem', 0):,} {acc.get('ecosystem')} "
        f"records, {e.get('on_installed', 0):,} name a source package installed here; "
        f"**{e.get('matches', 0)}** (advisory, source package) pairs are pending (installed "
        f"source version below the fix) over {e.get('sources_matched', 0)} sources "
        f"({e.get('matches_rated', 0)} rated, {e.get('matches_unrated', 0)} unrated); "
        f"**{e.get('overdue', 0)}** of them are PATCH-001's (unrated, CVSS ≥ 7 or vendor "
        f"high/critical, published more than 14 days ago; {e.get('within_14_days', 0)} more "
        f"are within the 14 days, {e.get('below_severity_bar', 0)} below the severity bar); "
        f"{e.get('by_binary', 0)} "
        f"(advisory, installed binary package) pairs. {e.get('fixed_equal', 0)} records' fix "
        f"is exactly the installed version (not pending).",
    ]
    if "debsecan" in acc:
        lines.append(f"- **debsecan** (one line per vulnerable binary package): "
                     f"{_agree_text(acc['debsecan'], '(advisory, binary) pairs')}.")
    groups = acc.get("trustwatch_groups")
    if groups is not None:
        if not groups:
            lines.append("- **Trustwatch**: no (advisory, package) pairs found in its JSON "
                         "report (bench/packages_expect.py `trustwatch_pairs` looks for any "
                         "object with an `id` and a `package`).")
        else:
            for w, g in sorted(groups.items()):
                if g["vs_overdue"]["agree"]:
                    text = ("with PATCH-001's overdue set: "
                            + _agree_text(g["vs_overdue"], "(advisory, source) pairs"))
                elif g["vs_matches"]["agree"]:
                    text = ("with all pending matches: "
                            + _agree_text(g["vs_matches"], "(advisory, source) pairs"))
                else:
                    text = (f"vs all pending matches {_agree_text(g['vs_matches'], 'pairs')}; "
                            f"vs PATCH-001's overdue set {_agree_text(g['vs_overdue'], 'pairs')}")
                lines.append(f"- **Trustwatch**, (advisory, package) pairs in `{w}`, {text}.")
        for rule, counts in sorted((acc.get("trustwatch_counts") or {}).items()):
            lines.append(f"- Counts in {rule}'s evidence (reported / expected): " + ", ".join(
                f"`{k}` {got} / {want}{'' if got == want else ' ✘'}"
                for k, (got, want) in counts.items()) + ".")
        f = acc.get("trustwatch_findings") or []
        if f:
            lines.append("- Trustwatch's findings: " + ", ".join(
                f"{x['rule_id']} {x['status']}" for x in f) + ".")
    return "\n".join(lines)


def render(res):
    meta, s, d = res["meta"], res.get("summary") or summary(res), res["data"]
    t, ds = s["trustwatch"], s["debsecan"]
    r = s.get("ratios")
    tg = s.get("targets")
    ok = lambda b: "**met**" if b else "**missed**"  # noqa: E731
    host = d["host"]
    eco = ", ".join(f"{k} {v:,}" for k, v in sorted(d["by_ecosystem"].items()))
    tw = res.get("trustwatch", {})
    targets = ""
    if tg:
        targets = f"""### Targets (issue 5)

| target | Trustwatch | debsecan (for comparison) | |
|---|---|---|---|
| warm assessment < 300 ms | {t['scan_s'] * 1000:.0f} ms | {ds['s']:.2f} s | {ok(tg['scan_time'])} |
| assessment peak RSS < 100 MB | {_mib(t['scan_rss_kib'])} | {_mib(ds['rss_kib'])} | {ok(tg['scan_rss'])} |

"""
    ratios = ""
    if r:
        def times(x):
            # "3.4× as fast" reads better than "0.29× the time" either way round.
            return f"**{x:.1f}×** as fast as" if x >= 1 else f"**{1 / x:.1f}×** the time of"
        scratch = t["import_s"] + t["scan_s"]
        zip_part = (f"; given the zip itself (`--advisories all.zip`: imported in memory for "
                    f"that scan only), {t['scan_zip_s']:.2f} s, {times(r['debsecan_vs_scan_zip'])} "
                    f"debsecan, at {_mib(t['scan_zip_rss_kib'])}" if r.get("debsecan_vs_scan_zip")
                    else "")
        ratios = (f"A warm assessment from the index is {times(r['debsecan_vs_scan'])} debsecan's "
                  f"run, with **1/{r['rss_debsecan_vs_scan']:.1f}** of its peak RSS. debsecan has "
                  f"no index (it parses its data file on every run), so from scratch a single "
                  f"Trustwatch assessment — import, then assess — takes {scratch:.2f} s, "
                  f"{times(r['debsecan_vs_import_plus_scan'])} debsecan{zip_part}. The import is "
                  f"paid once per data update, the assessment on every scan.")
    refused = tw.get("scan_zip_refused")
    refused_line = (f"\n\nThe agent does not assess straight from the zip (`--advisories "
                    f"all.zip` → {refused.splitlines()[0] if refused else ''}): only the "
                    f"index is measured." if refused else "")
    index_line = ""
    if t.get("index_bytes") is not None:
        files = ", ".join(tw["import"][-1]["index_files"])
        index_line = (f"**Index on disk:** {t['index_bytes'] / 1e6:.1f} MB ({t['index_bytes']:,} "
                      f"bytes; files: {files}) for {d['records']:,} records, against "
                      f"{d['zip_bytes'] / 1e6:.1f} MB for the zip and "
                      f"{res['debsecan']['data_bytes'] / 1e6:.1f} MB for debsecan's "
                      f"zlib-compressed file (Debian:12 records only).\n\n")
    return f"""## Patch levels: Trustwatch vs debsecan

Run {meta['date']} at commit `{meta['commit']}`; {meta['reps']} timed runs of each
measurement, medians. Generated by `bench/packages.sh`; the raw numbers are in
`target/bench-packages/results.json`.

**Machine:** {meta['cores']} cores ({meta['cpu']}), {meta['memory_gib']} GiB, Linux
{meta['kernel']} — a shared, noisy VM: treat differences under ~20 % as noise.
**Tools:** {meta['trustwatch']} (release build) · {meta['debsecan']} (Debian's package;
python3-apt {meta['python_apt']}).

**Reproduce:** `bench/packages.sh` (options go to `bench/packages.py`, e.g.
`bench/packages.sh --reps 5`). It installs time(1), debsecan and python3-apt if
missing, builds `trustwatch-agent` in release mode, writes the data under
`target/bench-packages/` and rewrites this section. Nothing opens a socket.

### The data (bench/packages_data.py, seed {d['seed']})

- **Host:** {host['installed']:,} installed packages from {host['installed_sources']:,} source
  packages: this machine's real `/var/lib/dpkg/status` ({host['real_installed']} installed
  packages of Debian 12, kept as they are) plus {host['installed'] - host['real_installed']}
  generated ones from {host['generated_sources']} generated sources (library, tool and python
  families; versions with epochs, `+deb12uN`, `~deb12uN`, `~rc`, `+dfsg`, binNMUs with
  `Source: name (version)`), plus {host['removed_with_config']} removed packages whose
  configuration files remain (`deinstall ok config-files`: never assessed). `etc/os-release`
  is this machine's (Debian 12).
- **Advisories:** {d['records']:,} synthetic OSV records in osv.dev's Debian shape (ids
  `DEBIAN-SYNTH-DSA-…`, `DEBIAN-SYNTH-DLA-…`, `UBUNTU-SYNTH-USN-…`; CVE aliases in the
  9,000,000 range, which no real CVE uses; one ECOSYSTEM range `introduced 0, fixed V`;
  {gen.TWO_PACKAGES:.0%} name two packages; {gen.RATED:.0%} carry a CVSS v3 vector (Ubuntu's: its own rating);
  {gen.RECENT:.0%} published in the 30 days before {d['today'][:10]}), by ecosystem: {eco}.
  {gen.ON_INSTALLED:.0%} name an installed source package (a few sources carry many, as `linux` does),
  the rest a pool of {gen.NOT_INSTALLED_POOL:,} sources not installed here; of the Debian:12 ones on
  installed sources, {gen.PENDING:.1%} were drawn with a fix above the installed version and
  {gen.EQUAL:.0%} with the installed version itself. Debian:11 and Ubuntu records on installed packages often
  have fixes above the installed version: a tool that mixed ecosystems would report them.
  Written as an osv.dev export `all.zip` ({d['zip_bytes'] / 1e6:.1f} MB, one pretty-printed
  `ID.json` per entry) and, the {d['debsecan']['vulnerabilities']:,} Debian:12 records, in
  debsecan's data format.

**debsecan offline:** debsecan fetches `SOURCE/SUITE` from security-tracker.debian.org
(not reachable here); given `--source file://…/` it reads the same zlib-compressed
format from disk. Each Debian:12 record becomes one vulnerability (named by its OSV id)
and one line per package with the fix as the "unstable" version and no other-branch
versions — debsecan then reports a source's binaries when the installed source version
is below the fix: exactly the OSV range's meaning. Run as `debsecan --config EMPTY
--suite bookworm --source file://… --status ROOT/var/lib/dpkg/status --format summary`.

{targets}### Figures

| measurement | median wall | min – max | peak RSS (max of runs) | runs |
|---|---|---|---|---|
{_trustwatch_rows(res, s)}| debsecan (parses its data, then assesses: every run) | {ds['s']:.2f} s | {_spread(res['debsecan']['runs'])} | {_mib(ds['rss_kib'])} | {len(res['debsecan']['runs'])} |

{index_line}"Warm": the index (or debsecan's data file) and the status file were read by an
untimed run just before, so they come from the page cache. Wall time is measured around
each process (start-up included); peak RSS is time(1)'s `%M`. Trustwatch's scan exits
{'/'.join(map(str, t['scan_exit'])) if t.get('scan_exit') else '–'} (1: findings failed, as
they should with pending fixes).

{ratios}{refused_line}

### Do the matches agree?

{_accuracy(res, s)}
"""


def write(path, section):
    common.write_section(path, START, END, section)
