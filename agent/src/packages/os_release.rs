//! The operating system from os-release(5), and the extended-support
//! programmes its package sources show it enrolled in.

use std::collections::BTreeMap;

use trustwatch_rules::observe::OsRelease;

use super::rootfs::{is_absent, RootFs};

/// Where os-release(5) says to look, in order.
const PATHS: [&str; 2] = ["/etc/os-release", "/usr/lib/os-release"];

/// Reads the root's os-release; `None` (with a problem) when there is none.
pub fn read(fs: &RootFs, problems: &mut Vec<String>) -> Option<OsRelease> {
    for path in PATHS {
        match fs.read_text(path) {
            Ok(text) => {
                let mut os = from_fields(&parse(&text));
                os.extended_support = extended_support(fs, problems);
                return Some(os);
            }
            Err(err) if is_absent(&err) => {}
            Err(err) => problems.push(format!("{}: cannot be read: {err}", fs.display(path))),
        }
    }
    problems.push(format!(
        "no os-release under {} (looked for /etc/os-release and /usr/lib/os-release): the operating system is unknown",
        fs.root().display()
    ));
    None
}

/// The `KEY=value` assignments of an os-release file, values unquoted.
/// Lines that are not assignments are skipped, as os-release(5) tells
/// readers to do.
pub fn parse(text: &str) -> BTreeMap<String, String> {
    let mut fields = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            continue;
        }
        fields.insert(key.to_owned(), unquote(value));
    }
    fields
}

/// Shell-style unquoting as os-release(5) allows: double quotes (with
/// backslash escapes), single quotes (literal), bare words with backslash
/// escapes; an unquoted `#` after whitespace starts a comment.
fn unquote(value: &str) -> String {
    let mut out = String::new();
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => out.extend(chars.next()),
                        c => out.push(c),
                    }
                }
            }
            '\'' => out.extend(chars.by_ref().take_while(|&c| c != '\'')),
            '\\' => out.extend(chars.next()),
            c if c.is_whitespace() => {
                if chars.peek() == Some(&'#') {
                    break;
                }
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.trim_end().to_owned()
}

fn from_fields(fields: &BTreeMap<String, String>) -> OsRelease {
    let get = |key: &str| fields.get(key).filter(|v| !v.is_empty()).cloned();
    OsRelease {
        // os-release(5): "If not set, a default of ID=linux may be used."
        id: get("ID").unwrap_or_else(|| "linux".to_owned()),
        id_like: get("ID_LIKE")
            .map(|v| v.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default(),
        version_id: get("VERSION_ID"),
        codename: get("VERSION_CODENAME").or_else(|| get("UBUNTU_CODENAME")),
        pretty_name: get("PRETTY_NAME"),
        edition: get("VARIANT_ID"),
        extended_support: Vec::new(),
    }
}

/// Paid or community extended support seen in the apt sources: Ubuntu Pro
/// ESM (`esm.ubuntu.com`) and Freexian's ELTS for Debian
/// (`deb.freexian.com/extended-lts`). Commented-out lines do not count.
fn extended_support(fs: &RootFs, problems: &mut Vec<String>) -> Vec<String> {
    let mut files = vec!["/etc/apt/sources.list".to_owned()];
    match fs.list("/etc/apt/sources.list.d") {
        Ok(names) => files.extend(
            names
                .into_iter()
                .filter(|n| n.ends_with(".list") || n.ends_with(".sources"))
                .map(|n| format!("/etc/apt/sources.list.d/{n}")),
        ),
        Err(err) if is_absent(&err) => {}
        Err(err) => problems.push(format!(
            "{}: cannot be listed: {err}",
            fs.display("/etc/apt/sources.list.d")
        )),
    }
    let mut found = Vec::new();
    for file in files {
        let text = match fs.read_text(&file) {
            Ok(text) => text,
            Err(err) if is_absent(&err) => continue,
            Err(err) => {
                problems.push(format!("{}: cannot be read: {err}", fs.display(&file)));
                continue;
            }
        };
        for line in text.lines().map(str::trim).filter(|l| !l.starts_with('#')) {
            for (needle, programme) in [
                ("esm.ubuntu.com", "ubuntu-pro-esm"),
                ("deb.freexian.com/extended-lts", "freexian-elts"),
            ] {
                if line.contains(needle) && !found.iter().any(|f| f == programme) {
                    found.push(programme.to_owned());
                }
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_as_os_release_5_describes() {
        let fields = parse(concat!(
            "# comment\n",
            "NAME=\"Ubuntu\"\n",
            "PRETTY_NAME=\"Say \\\"hi\\\" \\$HOME\"\n",
            "VERSION='22.04.4 LTS (Jammy Jellyfish)'\n",
            "ID=ubuntu\n",
            "ID_LIKE=debian\n",
            "BARE=a\\ b # trailing comment\n",
            "not an assignment\n",
        ));
        assert_eq!(fields["NAME"], "Ubuntu");
        assert_eq!(fields["PRETTY_NAME"], "Say \"hi\" $HOME");
        assert_eq!(fields["VERSION"], "22.04.4 LTS (Jammy Jellyfish)");
        assert_eq!(fields["BARE"], "a b");
        assert_eq!(fields.len(), 6);
    }

    #[test]
    fn fields_of_ubuntu_alpine_and_rocky() {
        let ubuntu = from_fields(&parse(
            "ID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"20.04\"\nUBUNTU_CODENAME=focal\n",
        ));
        assert_eq!(ubuntu.codename.as_deref(), Some("focal"));
        assert_eq!(ubuntu.id_like, vec!["debian"]);
        let alpine = from_fields(&parse(
            "ID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME=\"Alpine Linux v3.19\"\n",
        ));
        assert_eq!(alpine.version_id.as_deref(), Some("3.19.1"));
        assert_eq!(alpine.codename, None);
        let rocky = from_fields(&parse(
            "ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.4\"\nVARIANT_ID=\"server\"\n",
        ));
        assert_eq!(rocky.id_like, vec!["rhel", "centos", "fedora"]);
        assert_eq!(rocky.edition.as_deref(), Some("server"));
        assert_eq!(from_fields(&parse("")).id, "linux");
    }

    #[test]
    fn falls_back_to_usr_lib_and_finds_extended_support() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("usr/lib")).unwrap();
        std::fs::create_dir_all(root.join("etc/apt/sources.list.d")).unwrap();
        std::fs::write(
            root.join("usr/lib/os-release"),
            "ID=ubuntu\nVERSION_ID=\"16.04\"\n",
        )
        .unwrap();
        std::fs::write(
            root.join("etc/apt/sources.list.d/ubuntu-esm-infra.sources"),
            "Types: deb\nURIs: https://esm.ubuntu.com/infra/ubuntu\n",
        )
        .unwrap();
        std::fs::write(
            root.join("etc/apt/sources.list"),
            "# deb http://deb.freexian.com/extended-lts stretch main\n",
        )
        .unwrap();
        let mut problems = Vec::new();
        let os = read(&RootFs::new(root), &mut problems).unwrap();
        assert_eq!(os.id, "ubuntu");
        assert_eq!(os.extended_support, vec!["ubuntu-pro-esm"]);
        assert!(problems.is_empty(), "{problems:?}");

        let empty = tempfile::tempdir().unwrap();
        assert_eq!(read(&RootFs::new(empty.path()), &mut problems), None);
        assert!(problems[0].contains("no os-release"), "{problems:?}");
    }
}
