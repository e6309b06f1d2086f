//! A small lab on 127.0.0.1: a test CA, `openssl s_server` with a good and
//! an expired certificate, a real collector, and a real agent that scanned
//! both and uploaded its report once.

use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::pki::TestCa;
use crate::process::{binary, run_bounded, Collector, OpensslServer};

#[derive(Debug)]
pub struct Lab {
    pub tmp: tempfile::TempDir,
    pub ca_pem: PathBuf,
    pub good: OpensslServer,
    pub expired: OpensslServer,
    pub collector: Collector,
    pub agent_config: PathBuf,
}

pub const SITE: &str = "e2e";

impl Lab {
    pub fn start() -> Lab {
        let tmp = tempfile::tempdir().expect("tempdir");
        let ca = TestCa::new("Trustwatch E2E test CA");
        let ca_pem = ca.write_ca(tmp.path());
        let good = ca.leaf(tmp.path(), "good", &["localhost"], -10, 80);
        let expired = ca.leaf(tmp.path(), "expired", &["localhost"], -400, -5);
        let good = OpensslServer::start(&good.cert, &good.key, &[]);
        let expired = OpensslServer::start(&expired.cert, &expired.key, &[]);

        let cdir = tmp.path().join("collector");
        fs::create_dir_all(&cdir).expect("collector dir");
        let collector = Collector::start(&cdir);
        let adir = tmp.path().join("agent");
        fs::create_dir_all(&adir).expect("agent dir");
        collector.agent_cert("e2e-agent", SITE, &adir);

        let agent_config = adir.join("agent.toml");
        fs::write(
            &agent_config,
            format!(
                r#"[agent]
name = "e2e-agent"

[collector]
url = "https://{ingest}"
ca = "ca.crt"
cert = "agent.crt"
key = "agent.key"

[schedule]
interval_secs = 3600

[scan]
timeout_secs = 5

[[tls]]
target = "{good}"
sni = "localhost"
ca = ["{ca}"]

[[tls]]
target = "{expired}"
sni = "localhost"
ca = ["{ca}"]
"#,
                ingest = collector.ingest,
                good = good.addr,
                expired = expired.addr,
                ca = ca_pem.display(),
            ),
        )
        .expect("write agent config");
        let lab = Lab {
            tmp,
            ca_pem,
            good,
            expired,
            collector,
            agent_config,
        };
        lab.run_agent_once();
        lab
    }

    /// One scan-and-upload cycle of the real agent.
    pub fn run_agent_once(&self) {
        let out = run_bounded(
            Command::new(binary("trustwatch-agent"))
                .args(["run", "--once", "--config"])
                .arg(&self.agent_config),
            Duration::from_secs(60),
        );
        assert!(
            out.status.success(),
            "agent run --once failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
