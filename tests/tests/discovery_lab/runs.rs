//! Running the lab and every scan once, in one network namespace, and
//! reading back what each scan reported.

use std::collections::HashMap;
use std::fs;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use trustwatch_e2e::process::{binary, run_bounded};
use trustwatch_e2e::svclab::lab::Manifest;
use trustwatch_rules::Report;

/// The whole script: lab start (databases initialise: up to ~2 min on a
/// cold machine, ~5 s usually), five scans (~25 s, the gentle one most of
/// it) and the lab's stop.
const SCRIPT_LIMIT: Duration = Duration::from_secs(300);

/// Every scan of the script, in the order it runs.
const SCANS: &[&str] = &[
    "internal",
    "external",
    "approved-some",
    "approved-all",
    "gentle",
];

/// The register of `approved-some`: SSH on 22 and HTTP on 80 only, and
/// 2222 approved for a web server, which is not what answers there.
const APPROVED_SOME: &str = r#"[[approved]]
host = "127.0.0.1"
port = 22
service = "ssh"
note = "jump host"

[[approved]]
host = "127.0.0.0/8"
port = 80
service = "http"

[[approved]]
host = "*"
port = 2222
service = "http"
"#;

/// One scan's result.
#[derive(Debug)]
pub struct Scan {
    pub exit: i32,
    /// Wall-clock start and end, Unix seconds (tcpdump's clock).
    pub start: f64,
    pub end: f64,
    pub report: Report,
}

impl Scan {
    pub fn secs(&self) -> f64 {
        self.end - self.start
    }
}

#[derive(Debug)]
pub struct Runs {
    pub manifest: Manifest,
    pub scans: HashMap<String, Scan>,
    /// tcpdump lines (`-tt`) of client packets with a payload to a lab port.
    pub client_bytes: Vec<(f64, String)>,
}

impl Runs {
    pub fn scan(&self, name: &str) -> &Scan {
        &self.scans[name]
    }

    pub fn ip(&self) -> String {
        self.manifest.ip.to_string()
    }

    /// The client packets with bytes seen while `scan` ran.
    pub fn bytes_during(&self, scan: &Scan) -> Vec<&str> {
        self.client_bytes
            .iter()
            .filter(|(t, _)| *t >= scan.start && *t <= scan.end)
            .map(|(_, line)| line.as_str())
            .collect()
    }
}

/// The lab and every scan, run once for all the tests of this file. A
/// failure is kept as text so that each test reports it, rather than the
/// next one starting the lab again.
pub fn runs() -> &'static Runs {
    static RUNS: OnceLock<Result<Runs, String>> = OnceLock::new();
    let result = RUNS.get_or_init(|| {
        catch_unwind(AssertUnwindSafe(run_lab)).map_err(|panic| {
            panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "the lab script panicked".to_owned())
        })
    });
    match result {
        Ok(runs) => runs,
        Err(e) => panic!("the service lab run failed: {e}"),
    }
}

fn script(dir: &Path) -> String {
    format!(
        r#"
ip link set lo up
cd {dir}
LAB={lab}
AGENT={agent}
DUMP=
mkfifo lab.ctl
# The lab serves while its stdin is open: fd 3 holds the fifo's write end.
"$LAB" --ip 127.0.0.1 --dir "$PWD/lab" --layout well-known --max-secs 280 <lab.ctl >manifest.json 2>lab.log &
LABPID=$!
exec 3>lab.ctl
finish() {{
    [ -z "$DUMP" ] || kill "$DUMP" 2>/dev/null || true
    exec 3>&-
    wait "$LABPID" || true
}}
trap finish EXIT
ready() {{ [ -s manifest.json ] && [ -z "$(tail -c 1 manifest.json)" ]; }}
for _ in $(seq 1200); do
    ready && break
    kill -0 "$LABPID" 2>/dev/null || break
    sleep 0.1
done
if ! ready; then echo "the lab did not start:" >&2; cat lab.log >&2; exit 1; fi

# The port list, the register approving every lab port, and the lab's
# TCP ports for tcpdump, all from the manifest.
python3 - <<'PY'
import json
m = json.load(open("manifest.json"))
svcs = m["services"]
tcp = [str(s["port"]) for s in svcs if s["transport"] == "tcp"]
udp = [str(s["port"]) for s in svcs if s["transport"] == "udp"]
open("ports.txt", "w").write("T:" + ",".join(tcp) + ",U:" + ",".join(udp))
open("tcp-ports.txt", "w").write(" or ".join("dst port " + p for p in tcp))
with open("approved-all.toml", "w") as f:
    for s in svcs:
        f.write('[[approved]]\nhost = "%s"\nport = %d\ntransport = "%s"\n' % (m["ip"], s["port"], s["transport"]))
        if s["service"]:
            f.write('service = "%s"\n' % s["service"])
        f.write("\n")
PY
PORTS=$(cat ports.txt)

# Client packets carrying bytes to a lab port (clients use ephemeral
# source ports, the lab's are all below 32768), and any datagram to SNMP.
tcpdump -i lo -n -l -tt "(tcp and ($(cat tcp-ports.txt)) and src portrange 32768-65535 and (ip[2:2] - ((ip[0]&0xf)<<2) - ((tcp[12]&0xf0)>>2)) > 0) or (udp and dst port 161)" >client-bytes.txt 2>tcpdump.log &
DUMP=$!
for _ in $(seq 100); do grep -q listening tcpdump.log && break; sleep 0.1; done
grep -q listening tcpdump.log || {{ echo "tcpdump did not start:" >&2; cat tcpdump.log >&2; exit 1; }}

scan() {{
    local name=$1; shift
    local start end rc=0
    start=$(date +%s.%N)
    "$AGENT" scan --hosts 127.0.0.1 --ports "$PORTS" --format json "$@" >"$name.json" 2>"$name.err" || rc=$?
    end=$(date +%s.%N)
    echo "scan $name exit=$rc start=$start end=$end"
}}
FAST="--rate unlimited --host-rate unlimited"
scan internal $FAST
scan external $FAST --exposure external
scan approved-some $FAST --approved approved-some.toml
scan approved-all $FAST --approved approved-all.toml
scan gentle --gentle
sleep 0.3
"#,
        dir = dir.display(),
        lab = binary("trustwatch-service-lab").display(),
        agent = binary("trustwatch-agent").display(),
    )
}

fn run_lab() -> Runs {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    fs::write(dir.join("approved-some.toml"), APPROVED_SOME).expect("write register");
    let out = run_bounded(
        Command::new("unshare").args(["-n", "bash", "-euo", "pipefail", "-c", &script(dir)]),
        SCRIPT_LIMIT,
    );
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "the namespace script failed ({:?}):\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let manifest: Manifest = serde_json::from_str(
        &fs::read_to_string(dir.join("manifest.json")).expect("read the manifest"),
    )
    .expect("the manifest is JSON");
    let mut scans = HashMap::new();
    for line in stdout.lines().filter(|l| l.starts_with("scan ")) {
        let fields: HashMap<&str, &str> = line
            .split_whitespace()
            .filter_map(|f| f.split_once('='))
            .collect();
        let name = line.split_whitespace().nth(1).expect("scan name");
        let stderr = fs::read_to_string(dir.join(format!("{name}.err"))).unwrap_or_default();
        let json = fs::read_to_string(dir.join(format!("{name}.json"))).unwrap_or_default();
        let report: Report = serde_json::from_str(&json).unwrap_or_else(|e| {
            panic!("scan {name}: the report is not JSON ({e}); stderr:\n{stderr}\nstdout:\n{json}")
        });
        let number = |key: &str| -> f64 {
            fields
                .get(key)
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("no {key} in {line:?}"))
        };
        let scan = Scan {
            exit: number("exit") as i32,
            start: number("start"),
            end: number("end"),
            report,
        };
        scans.insert(name.to_owned(), scan);
    }
    for name in SCANS {
        assert!(
            scans.contains_key(*name),
            "scan {name} did not run:\n{stdout}"
        );
    }
    let client_bytes = fs::read_to_string(dir.join("client-bytes.txt"))
        .expect("read tcpdump's output")
        .lines()
        .filter_map(|l| {
            let t = l.split_whitespace().next()?.parse().ok()?;
            Some((t, l.to_owned()))
        })
        .collect();
    Runs {
        manifest,
        scans,
        client_bytes,
    }
}
