#!/usr/bin/env python3
"""The patch-level benchmark's data: a host of about 2,000 installed Debian
packages and about 100,000 synthetic OSV advisory records, written the way
the real things are laid out.

Deterministic for a given seed, real status file and `--today`: the host
starts from THIS machine's `/var/lib/dpkg/status` and `/etc/os-release`
(real names, versions, Source fields) and is topped up with generated
packages to the size asked. The advisories are synthetic (ids
`DEBIAN-SYNTH-…`, `UBUNTU-SYNTH-…`; CVE aliases in the 9,000,000 range,
which no real CVE uses) in the shape of osv.dev's Debian records
(`affected[].package = {ecosystem: "Debian:12", name: SOURCE}`, one
ECOSYSTEM range `introduced: "0"`, `fixed: VERSION`), and are written as
an osv.dev per-ecosystem export (`all.zip`, one `ID.json` per entry) and,
for the Debian:12 ones, in debsecan's own data format (see
`write_debsecan`) so that both tools read the same advisories.

Writes, under WORK:
  root/etc/os-release, root/var/lib/dpkg/status   the host
  osv/all.zip                                     every record
  debsecan/bookworm                               the Debian:12 records for debsecan
  data.json                                       parameters and counts

Which advisories affect the host is NOT recorded here: packages_expect.py
works it out again from these files with libapt's version order, so the
generator's intentions are never taken as the truth.
"""

import argparse
import datetime as dt
import json
import random
import re
import zipfile
import zlib
from pathlib import Path

# Shares of the records by ecosystem. Only Debian:12 applies to the host;
# the others name installed packages too, with fixes above their versions,
# so that a tool mixing ecosystems up reports too much.
ECOSYSTEMS = [("Debian:12", 0.70), ("Debian:11", 0.15), ("Ubuntu:22.04:LTS", 0.15)]
# Share of records that name a package installed on the host.
ON_INSTALLED = 0.35
# For a Debian:12 record on an installed package: the share whose fix is
# above the installed version (pending), and the share whose fix is the
# installed version itself (fixed exactly by what is installed).
PENDING = 0.025
EQUAL = 0.02
# Share of records with two affected packages (a DSA covering two sources).
TWO_PACKAGES = 0.05
# Share of records carrying a CVSS v3 vector (the rest are unrated, like
# most of Debian's OSV records).
RATED = 0.30
# Share published within the last few days before --today (so the 14-day
# rule has something to leave out), and just past 14 days.
RECENT = 0.01
NOT_INSTALLED_POOL = 6000
SYNTH_CVE_BASE = 9_000_000
EPOCH = dt.datetime(2014, 1, 1, tzinfo=dt.timezone.utc)
LAST = dt.datetime(2025, 10, 31, tzinfo=dt.timezone.utc)
ZIP_TIME = (2025, 1, 1, 0, 0, 0)

SYLLABLES = ["ba", "ber", "cal", "cor", "da", "del", "fen", "fir", "gal", "gor", "han",
             "hil", "jar", "kal", "ken", "lor", "lum", "mar", "mel", "nor", "nix", "pal",
             "per", "quin", "ral", "rim", "sal", "sor", "tal", "tor", "ul", "van", "vel",
             "wen", "xan", "yor", "zel", "zor", "ox", "ix", "ab", "ev", "on", "ar"]
SUFFIXES = ["", "", "", "d", "x", "kit", "fs", "io", "db", "ssl", "xml", "gl", "net"]


def parse_status(text):
    """The paragraphs of a dpkg status file: (raw text, {field: value})."""
    out = []
    for raw in text.split("\n\n"):
        raw = raw.strip("\n")
        if not raw:
            continue
        fields = {}
        key = None
        for line in raw.split("\n"):
            if line[:1] in (" ", "\t") and key:
                fields[key] += "\n" + line[1:]
            else:
                key, _, value = line.partition(":")
                fields[key] = value.strip()
        out.append((raw, fields))
    return out


def source_of(fields):
    """(source name, source version) of a status paragraph, as dpkg means
    it: `Source: name (version)` when the binary's version differs."""
    src = fields.get("Source", "").strip()
    m = re.match(r"^(\S+)(?:\s+\((\S+)\))?$", src) if src else None
    if not m:
        return fields["Package"], fields["Version"]
    return m.group(1), m.group(2) or fields["Version"]


def installed(fields):
    return "installed" in fields.get("Status", "").split()


class Names:
    """Unique generated package names, never one already taken."""

    def __init__(self, rng, taken):
        self.rng = rng
        self.taken = set(taken)

    def word(self):
        for _ in range(1000):
            n = self.rng.choice([2, 2, 3, 3, 4])
            w = "".join(self.rng.choice(SYLLABLES) for _ in range(n)) + self.rng.choice(SUFFIXES)
            if w not in self.taken and 3 <= len(w) <= 20:
                return w
        raise RuntimeError("ran out of names")

    def claim(self, names):
        if any(n in self.taken for n in names):
            return False
        self.taken.update(names)
        return True


def gen_upstream(rng):
    a, b, c = rng.randint(0, 12), rng.randint(0, 40), rng.randint(0, 30)
    form = rng.random()
    if form < 0.45:
        return f"{a}.{b}.{c}"
    if form < 0.65:
        return f"{a}.{b}"
    if form < 0.73:
        return f"{a}.{b}.{c}+dfsg"
    if form < 0.79:
        return f"{a}.{b}+ds{rng.randint(1, 3)}"
    if form < 0.86:
        return f"{a}.{b}~rc{rng.randint(1, 4)}"
    if form < 0.93:
        return f"{rng.randint(2015, 2024)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    return f"{a}.{b}.{c}+git{rng.randint(2016, 2023)}{rng.randint(1, 12):02d}01.{rng.randint(1, 9)}"


def gen_version(rng):
    """A Debian version in one of the forms bookworm's archive uses."""
    up = gen_upstream(rng)
    form = rng.random()
    if form < 0.05:
        rev = None  # native package
    elif form < 0.55:
        rev = str(rng.randint(1, 6))
    elif form < 0.70:
        rev = f"{rng.randint(1, 6)}.{rng.randint(1, 3)}"
    elif form < 0.90:
        rev = f"{rng.randint(1, 6)}+deb12u{rng.randint(1, 9)}"
    else:
        rev = f"{rng.randint(1, 3)}~deb12u{rng.randint(1, 3)}"
    epoch = rng.choice(["1:", "2:"]) if rng.random() < 0.08 else ""
    return f"{epoch}{up}" + (f"-{rev}" if rev else "")


def split_version(v):
    epoch, _, rest = v.rpartition(":") if ":" in v else ("", "", v)
    up, sep, rev = rest.rpartition("-")
    if not sep:
        up, rev = rest, None
    return epoch, up, rev


def join_version(epoch, up, rev):
    return (f"{epoch}:" if epoch else "") + up + (f"-{rev}" if rev is not None else "")


def bump_last_number(s, delta):
    ms = list(re.finditer(r"\d+", s))
    if not ms:
        return None
    m = ms[-1]
    n = int(m.group()) + delta
    if n < 0:
        return None
    return s[:m.start()] + str(n) + s[m.end():]


def above(rng, v):
    """A fix version meant to sort after `v` (libapt decides in the end)."""
    epoch, up, rev = split_version(v)
    r = rng.random()
    if r < 0.55:
        if rev is None:
            return join_version(epoch, up + "+deb12u1", None)
        m = re.search(r"\+deb12u(\d+)$", rev)
        if m:
            return join_version(epoch, up, rev[:m.start()] + f"+deb12u{int(m.group(1)) + 1}")
        return join_version(epoch, up, re.sub(r"~deb12u\d+$", "", rev) + "+deb12u1")
    if r < 0.93:
        return join_version(epoch, bump_last_number(up, 1) or up + ".1", "1~deb12u1")
    return join_version(str(int(epoch or 0) + 1), up, rev)


def below(rng, v):
    """A fix version meant to sort before `v`: an older security update,
    an older upstream, a pre-release, or a higher upstream without the
    installed version's epoch."""
    epoch, up, rev = split_version(v)
    r = rng.random()
    if r < 0.35 and rev:
        m = re.search(r"\+deb12u(\d+)$", rev)
        if m and int(m.group(1)) > 1:
            return join_version(epoch, up, rev[:m.start()] + f"+deb12u{int(m.group(1)) - 1}")
        older = bump_last_number(rev, -1)
        if older and older != rev:
            return join_version(epoch, up, older)
    if r < 0.75:
        older = bump_last_number(up, -1)
        if older:
            return join_version(epoch, older, "1")
    if r < 0.88:
        return join_version(epoch, up + "~rc1", "1" if rev else None)
    if epoch:
        return join_version("", bump_last_number(up, 3) or up + ".9", "1")
    return join_version(epoch, up + "~pre1", rev)


BINARY_KINDS = [
    # (binary name template, section, share of sources that have one)
    ("lib{w}{so}", "libs", None),
    ("lib{w}-dev", "libdevel", 0.6),
    ("{w}-utils", "utils", 0.35),
    ("{w}-common", "misc", 0.3),
    ("{w}-doc", "doc", 0.2),
    ("lib{w}-plugins{so}", "libs", 0.1),
]


def gen_source(rng, names):
    """One generated source package: (source, version, [(binary, binary
    version, section)]). About half are libraries (libX + libX-dev + …),
    the rest tools and python modules."""
    version = gen_version(rng)
    for _ in range(1000):
        w = names.word()
        kind = rng.random()
        if kind < 0.5:
            so = rng.choice(["0", "1", "2", "3", "4", "5", "6", "-1.0-0", "-2.0-0", "c2", "t64"])
            src = w if rng.random() < 0.6 else f"lib{w}"
            bins = [("lib" + w + so, "libs")]
            for tpl, section, share in BINARY_KINDS[1:]:
                if rng.random() < share:
                    bins.append((tpl.format(w=w, so=so), section))
        elif kind < 0.8:
            src = w
            bins = [(w, rng.choice(["utils", "net", "admin", "devel", "text"]))]
            for tpl, section, share in BINARY_KINDS[2:5]:
                if rng.random() < share:
                    bins.append((tpl.format(w=w), section))
        else:
            src = f"python-{w}"
            bins = [(f"python3-{w}", "python")]
            if rng.random() < 0.2:
                bins.append((f"python-{w}-doc", "doc"))
        if names.claim([src] + [b for b, _ in bins]):
            break
    else:
        raise RuntimeError("could not find a free source name")
    out = []
    for b, section in bins:
        # A binNMU now and then: the binary's version is the source's plus
        # +bN, and its paragraph names the source version in Source:.
        bv = f"{version}+b{rng.randint(1, 3)}" if rng.random() < 0.06 else version
        out.append((b, bv, section))
    return src, version, out


def status_paragraph(rng, binary, bversion, section, src, sversion, status="install ok installed"):
    lines = [f"Package: {binary}", f"Status: {status}", "Priority: optional",
             f"Section: {section}", f"Installed-Size: {rng.randint(8, 40000)}",
             "Maintainer: Synthetic Maintainers <synthetic@example.invalid>",
             f"Architecture: {'all' if section in ('doc', 'misc', 'python') else 'amd64'}"]
    if section == "libs":
        lines.append("Multi-Arch: same")
    if src != binary or sversion != bversion:
        lines.append(f"Source: {src}" + (f" ({sversion})" if sversion != bversion else ""))
    lines.append(f"Version: {bversion}")
    lines.append("Depends: libc6 (>= 2.34)")
    lines.append(f"Description: synthetic package {binary} (benchmark data)")
    lines.append(" Generated by bench/packages_data.py for the patch-level benchmark;")
    lines.append(" not a real Debian package.")
    return "\n".join(lines)


def gen_host(rng, real_status, target):
    """The host's status file: every real paragraph kept as it is, then
    generated packages until `target` are installed, then a few removed
    ones whose configuration files remain (dpkg keeps those paragraphs;
    they are not installed and must not be assessed)."""
    paras = parse_status(real_status)
    taken = set()
    for _, f in paras:
        taken.add(f["Package"])
        taken.add(source_of(f)[0])
    names = Names(rng, taken)
    texts = [raw for raw, _ in paras]
    count = sum(1 for _, f in paras if installed(f))
    real_installed = count
    generated_sources = 0
    while count < target:
        src, version, bins = gen_source(rng, names)
        bins = bins[:target - count]
        for b, bv, section in bins:
            texts.append(status_paragraph(rng, b, bv, section, src, version))
        count += len(bins)
        generated_sources += 1
    leftovers = []
    for _ in range(12):
        src, version, bins = gen_source(rng, names)
        b, bv, section = bins[0]
        texts.append(status_paragraph(rng, b, bv, section, src, version,
                                      status="deinstall ok config-files"))
        leftovers.append((src, version))
    # Sources installed on the host: name -> the source versions installed.
    sources = {}
    for _, f in parse_status("\n\n".join(texts)):
        if installed(f):
            s, sv = source_of(f)
            sources.setdefault(s, set()).add(sv)
    return ("\n\n".join(texts) + "\n", sources, leftovers,
            {"real_installed": real_installed, "installed": count,
             "generated_sources": generated_sources})


def cvss_vector(rng):
    pick = lambda *xs: rng.choice(xs)  # noqa: E731
    return (f"CVSS:3.1/AV:{pick('N', 'N', 'A', 'L', 'P')}/AC:{pick('L', 'L', 'H')}/"
            f"PR:{pick('N', 'L', 'H')}/UI:{pick('N', 'R')}/S:{pick('U', 'U', 'C')}/"
            f"C:{pick('H', 'L', 'N')}/I:{pick('H', 'L', 'N')}/A:{pick('H', 'L', 'N')}")


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def gen_advisories(rng, count, sources, leftovers, today):
    """`count` OSV records. Names: installed sources (weighted so a few
    carry many advisories, as `linux` or `chromium` do), the removed
    packages' sources, and a pool of sources not installed here."""
    inst = sorted(sources)
    rng.shuffle(inst)
    inst_weights = [1 / (i + 1) ** 0.7 for i in range(len(inst))]
    names = Names(rng, set(inst) | {s for s, _ in leftovers})
    pool = []
    while len(pool) < NOT_INSTALLED_POOL:
        w = names.word()
        if names.claim([w]):
            pool.append(w)
    pool_weights = [1 / (i + 1) ** 0.5 for i in range(len(pool))]
    leftover_names = [s for s, _ in leftovers]
    span = (LAST - EPOCH).total_seconds()
    eco_names = [e for e, _ in ECOSYSTEMS]
    eco_weights = [w for _, w in ECOSYSTEMS]
    serial = {e: 0 for e in eco_names}
    records = []
    for n in range(count):
        eco = rng.choices(eco_names, eco_weights)[0]
        serial[eco] += 1
        k = serial[eco]
        r = rng.random()
        if r < RECENT / 2:
            published = today - dt.timedelta(days=rng.randint(1, 12), hours=rng.randint(0, 23))
        elif r < RECENT:
            published = today - dt.timedelta(days=rng.randint(16, 30), hours=rng.randint(0, 23))
        else:
            published = EPOCH + dt.timedelta(seconds=rng.random() * span)
            published = published.replace(microsecond=0)
        modified = min(published + dt.timedelta(days=rng.randint(0, 400)), max(published, LAST))
        affected = []
        npk = 2 if rng.random() < TWO_PACKAGES else 1
        used = set()
        for _ in range(npk):
            for _ in range(20):
                if rng.random() < ON_INSTALLED:
                    name = rng.choices(inst, inst_weights)[0]
                    sv = rng.choice(sorted(sources[name]))
                    if eco != "Debian:12":
                        fixed = above(rng, sv) if rng.random() < 0.5 else below(rng, sv)
                    else:
                        x = rng.random()
                        fixed = (above(rng, sv) if x < PENDING else sv if x < PENDING + EQUAL
                                 else below(rng, sv))
                elif rng.random() < 0.003:
                    # A removed package (config files left): pending, and
                    # not to be reported since it is not installed.
                    name = rng.choice(leftover_names)
                    fixed = gen_version(rng) + "+deb12u9"
                else:
                    name = rng.choices(pool, pool_weights)[0]
                    fixed = gen_version(rng)
                    if eco == "Ubuntu:22.04:LTS":
                        fixed = re.sub(r"[+~]deb12u", "ubuntu0.22.04.", fixed)
                    elif eco == "Debian:11":
                        fixed = fixed.replace("deb12u", "deb11u")
                if name not in used:
                    used.add(name)
                    break
            affected.append({
                "package": {"ecosystem": eco, "name": name},
                "ranges": [{"type": "ECOSYSTEM",
                            "events": [{"introduced": "0"}, {"fixed": fixed}]}],
            })
        year = published.year
        ncve = rng.choice([1, 1, 1, 2, 3])
        cves = [f"CVE-{year}-{SYNTH_CVE_BASE + n * 3 + i}" for i in range(ncve)]
        if eco == "Ubuntu:22.04:LTS":
            rid = f"UBUNTU-SYNTH-USN-{k:06d}-1"
        elif eco == "Debian:11":
            rid = f"DEBIAN-SYNTH-DLA-{k:06d}-1"
        else:
            rid = f"DEBIAN-SYNTH-DSA-{k:06d}-1"
        rec = {
            "schema_version": "1.6.0",
            "id": rid,
            "modified": iso(modified),
            "published": iso(published),
            "aliases": cves,
            "summary": f"{affected[0]['package']['name']} - security update (synthetic)",
            "details": ("Synthetic advisory written by bench/packages_data.py for the "
                        "patch-level benchmark. It describes no real vulnerability; its "
                        "CVE ids are in a range no real CVE uses."),
            "affected": affected,
        }
        if rng.random() < RATED:
            if eco == "Ubuntu:22.04:LTS":
                rec["severity"] = [{"type": "Ubuntu",
                                    "score": rng.choice(["low", "medium", "high", "critical"])}]
            else:
                rec["severity"] = [{"type": "CVSS_V3", "score": cvss_vector(rng)}]
        records.append(rec)
    return records


def write_zip(path, records):
    """An osv.dev-style export: one pretty-printed `ID.json` per record,
    deflated, with fixed timestamps so the same records give the same
    bytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for rec in records:
            info = zipfile.ZipInfo(f"{rec['id']}.json", ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, json.dumps(rec, indent=2))


def write_debsecan(path, records, ecosystem="Debian:12"):
    """The records of one ecosystem in debsecan's data format
    (security-tracker.debian.org/tracker/debsecan/release/1/SUITE, read by
    fetch_data() in /usr/bin/debsecan): zlib over text made of three
    blank-line-terminated sections after a `VERSION 1` line:

      NAME,FLAGS,DESCRIPTION                      one per vulnerability
      PACKAGE,VNUM,FLAGS,UNSTABLE_FIX,OTHER_FIXES one per (vulnerability, package)
      SOURCE,BINARIES                             (left empty here)

    VNUM indexes the first section. FLAGS in the second are four
    characters: S/B (source or binary package), urgency (' ' none), remote
    ('?' unknown), F (a fix is available). debsecan reports a source
    package as vulnerable when its installed version is below UNSTABLE_FIX
    and equal to none of OTHER_FIXES: with OTHER_FIXES empty, that is
    exactly OSV's `introduced 0, fixed V` range. The advisory's OSV id is
    the vulnerability name, so the two tools' findings compare one to one."""
    names, lines = [], []
    for rec in records:
        mine = [a for a in rec["affected"] if a["package"]["ecosystem"] == ecosystem]
        if not mine:
            continue
        vnum = len(names)
        names.append(f"{rec['id']},,{rec['summary'].replace(chr(10), ' ')}")
        for a in mine:
            fixed = [e["fixed"] for r in a["ranges"] for e in r["events"] if "fixed" in e]
            flags = "S ?" + ("F" if fixed else " ")
            lines.append(f"{a['package']['name']},{vnum},{flags},{fixed[0] if fixed else ''},")
    text = "VERSION 1\n" + "\n".join(names) + "\n\n" + "\n".join(lines) + "\n\n\n"
    path.write_bytes(zlib.compress(text.encode(), 6))
    return {"vulnerabilities": len(names), "package_lines": len(lines)}


def generate(work, seed=5, packages=2000, advisories=100_000, today=None,
             status=Path("/var/lib/dpkg/status"), os_release=Path("/etc/os-release")):
    """Writes the host and the advisories under `work`; returns data.json's
    content."""
    today = today or dt.datetime.now(dt.timezone.utc).replace(hour=0, minute=0, second=0,
                                                                microsecond=0)
    rng = random.Random(seed)
    root = work / "root"
    (root / "etc").mkdir(parents=True, exist_ok=True)
    (root / "var/lib/dpkg").mkdir(parents=True, exist_ok=True)
    (root / "etc/os-release").write_text(os_release.read_text())
    status_text, sources, leftovers, host = gen_host(rng, status.read_text(), packages)
    (root / "var/lib/dpkg/status").write_text(status_text)
    records = gen_advisories(rng, advisories, sources, leftovers, today)
    if len(records) != advisories:
        raise AssertionError(f"generated {len(records)} records, asked for {advisories}")
    (work / "osv").mkdir(exist_ok=True)
    write_zip(work / "osv/all.zip", records)
    (work / "debsecan").mkdir(exist_ok=True)
    deb = write_debsecan(work / "debsecan/bookworm", records)
    by_eco = {}
    for rec in records:
        e = rec["affected"][0]["package"]["ecosystem"]
        by_eco[e] = by_eco.get(e, 0) + 1
    meta = {
        "seed": seed, "today": iso(today), "records": len(records), "by_ecosystem": by_eco,
        "host": {**host, "installed_sources": len(sources), "removed_with_config": len(leftovers)},
        "debsecan": deb,
        "zip_bytes": (work / "osv/all.zip").stat().st_size,
        "status_source": str(status), "os_release_source": str(os_release),
    }
    (work / "data.json").write_text(json.dumps(meta, indent=1))
    return meta


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--work", type=Path, required=True)
    p.add_argument("--seed", type=int, default=5)
    p.add_argument("--packages", type=int, default=2000, help="installed packages on the host")
    p.add_argument("--advisories", type=int, default=100_000, help="OSV records to write")
    p.add_argument("--today", help="YYYY-MM-DD the recent advisories count back from "
                   "(default: today, UTC)")
    a = p.parse_args()
    today = (dt.datetime.strptime(a.today, "%Y-%m-%d").replace(tzinfo=dt.timezone.utc)
             if a.today else None)
    a.work.mkdir(parents=True, exist_ok=True)
    print(json.dumps(generate(a.work, a.seed, a.packages, a.advisories, today), indent=1))


if __name__ == "__main__":
    main()
