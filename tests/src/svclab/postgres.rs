//! PostgreSQL (Debian's postgresql) on one address and port: a cluster
//! made by `initdb` under `dir/postgres-<port>`, run in the foreground as
//! the `postgres` user (it refuses to run as root), TLS on or off, and
//! every login refused (`pg_hba`: reject), so the lab database is never
//! reachable with any credential — discovery must not need one.

use std::fs;
use std::net::Ipv4Addr;
use std::os::unix::fs::{chown, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::process::run_bounded;
use crate::tlslab::launch::{spawn_logged, Server};

/// Whether the server offers TLS (answers an SSLRequest `S`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    On,
    Off,
}

/// Starts PostgreSQL on `ip:port`; waits (at most 20 s) until it accepts
/// connections. Run as root, the launcher makes the path to `dir`
/// searchable (`o+x`, never readable) so the `postgres` user can reach its
/// cluster.
pub fn start(dir: &Path, ip: Ipv4Addr, port: u16, tls: Tls) -> Server {
    let bin = postgres_bin();
    let root = dir.join(format!("postgres-{port}"));
    fs::create_dir_all(&root).expect("postgres folder");
    let ids = as_root().then(|| user_ids("postgres"));
    if let Some((uid, gid)) = ids {
        searchable_path_to(&root);
        chown(&root, Some(uid), Some(gid)).expect("chown postgres folder");
    }
    let data = root.join("data");
    let mut initdb = Command::new(bin.join("initdb"));
    initdb
        .arg("-D")
        .arg(&data)
        .args(["-A", "reject", "-U", "postgres", "--no-sync"]);
    as_postgres(&mut initdb, ids);
    let out = run_bounded(&mut initdb, std::time::Duration::from_secs(120));
    assert!(
        out.status.success(),
        "initdb failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut settings = String::from("\nfsync = off\n");
    if tls == Tls::On {
        let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
            .expect("postgres certificate");
        let cert = root.join("server.crt");
        let key = root.join("server.key");
        fs::write(&cert, certified.cert.pem()).expect("write postgres certificate");
        fs::write(&key, certified.signing_key.serialize_pem()).expect("write postgres key");
        // PostgreSQL refuses a key others can read.
        fs::set_permissions(&key, fs::Permissions::from_mode(0o600)).expect("chmod key");
        if let Some((uid, gid)) = ids {
            for path in [&cert, &key] {
                chown(path, Some(uid), Some(gid)).expect("chown postgres TLS files");
            }
        }
        settings.push_str(&format!(
            "ssl = on\nssl_cert_file = '{}'\nssl_key_file = '{}'\n",
            cert.display(),
            key.display()
        ));
    }
    let conf = data.join("postgresql.conf");
    let mut text = fs::read_to_string(&conf).expect("read postgresql.conf");
    text.push_str(&settings);
    fs::write(&conf, text).expect("write postgresql.conf");
    let mut cmd = Command::new(bin.join("postgres"));
    cmd.arg("-D").arg(&data).arg("-k").arg(&root).args([
        "-p",
        &port.to_string(),
        "-h",
        &ip.to_string(),
    ]);
    as_postgres(&mut cmd, ids);
    spawn_logged(&format!("postgres-{port}"), cmd, &ip.to_string(), port, dir)
}

/// The newest installed server's binaries folder.
fn postgres_bin() -> PathBuf {
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse().ok()?;
            Some((v, e.path().join("bin")))
        })
        .filter(|(_, bin)| bin.join("postgres").exists())
        .collect();
    versions.sort();
    let (_, bin) = versions.pop().unwrap_or_else(|| {
        panic!("no /usr/lib/postgresql/*/bin/postgres: apt-get install postgresql (scripts/test installs it)")
    });
    bin
}

fn as_root() -> bool {
    // The owner of /proc/self is the effective user.
    use std::os::unix::fs::MetadataExt;
    fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

fn as_postgres(cmd: &mut Command, ids: Option<(u32, u32)>) {
    if let Some((uid, gid)) = ids {
        cmd.uid(uid).gid(gid);
    }
}

/// Adds search permission for others (`o+x`) to every folder from `/` to
/// `path` that lacks it (a temp folder is 0700), so the `postgres` user can
/// reach its cluster; nothing becomes listable or readable.
fn searchable_path_to(path: &Path) {
    for folder in path.ancestors().skip(1) {
        let Ok(meta) = fs::metadata(folder) else {
            continue;
        };
        let mode = meta.permissions().mode();
        if mode & 0o001 == 0 {
            fs::set_permissions(folder, fs::Permissions::from_mode(mode | 0o001))
                .expect("make the path to the postgres folder searchable");
        }
    }
}

/// A system user's uid and gid, from /etc/passwd.
fn user_ids(user: &str) -> (u32, u32) {
    let passwd = fs::read_to_string("/etc/passwd").expect("read /etc/passwd");
    passwd
        .lines()
        .find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            if fields.first() != Some(&user) || fields.len() < 4 {
                return None;
            }
            Some((fields[2].parse().ok()?, fields[3].parse().ok()?))
        })
        .unwrap_or_else(|| panic!("no user `{user}` in /etc/passwd: apt-get install postgresql"))
}
