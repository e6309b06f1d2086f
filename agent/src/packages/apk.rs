//! Installed packages from Alpine's apk database, `/lib/apk/db/installed`:
//! records separated by blank lines, one `X:value` line per field (`P:`
//! name, `V:` version, `A:` arch, `o:` origin, the source package; the
//! file lists `F:`/`R:`/`Z:` and others are not needed here).

use trustwatch_rules::observe::{InstalledPackage, PackageFormat};

use super::rootfs::{is_absent, RootFs};

/// apk's database, inside the root.
pub const INSTALLED: &str = "/lib/apk/db/installed";

/// The installed packages, or `None` when the root has no apk database.
pub fn read(fs: &RootFs, problems: &mut Vec<String>) -> Option<Vec<InstalledPackage>> {
    match fs.read_text(INSTALLED) {
        Ok(text) => Some(parse_installed(&text, &fs.display(INSTALLED), problems)),
        Err(err) if is_absent(&err) => None,
        Err(err) => {
            problems.push(format!("{}: cannot be read: {err}", fs.display(INSTALLED)));
            None
        }
    }
}

/// A record under construction.
#[derive(Debug, Default)]
struct Record<'a> {
    line: usize,
    name: Option<&'a str>,
    version: Option<&'a str>,
    arch: Option<&'a str>,
    origin: Option<&'a str>,
    malformed: Option<String>,
}

/// The packages of the database's text; `path` names it in problems.
pub fn parse_installed(
    text: &str,
    path: &str,
    problems: &mut Vec<String>,
) -> Vec<InstalledPackage> {
    let mut records = Vec::new();
    let mut current: Option<Record<'_>> = None;
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if line.trim().is_empty() {
            records.extend(current.take());
            continue;
        }
        let record = current.get_or_insert_with(|| Record {
            line: number,
            ..Record::default()
        });
        // Every line is one field letter, a colon and the value.
        let bytes = line.as_bytes();
        if bytes.len() < 2 || !bytes[0].is_ascii_alphabetic() || bytes[1] != b':' {
            record
                .malformed
                .get_or_insert_with(|| format!("line {number} is not an \"X:value\" line"));
            continue;
        }
        let value = &line[2..];
        match bytes[0] {
            b'P' => record.name = Some(value),
            b'V' => record.version = Some(value),
            b'A' => record.arch = Some(value),
            b'o' => record.origin = Some(value),
            _ => {}
        }
    }
    records.extend(current);

    let mut packages = Vec::new();
    for (index, record) in records.into_iter().enumerate() {
        let name = record.name.filter(|n| !n.is_empty());
        let what = if let Some(what) = record.malformed {
            Some(what)
        } else if name.is_none() {
            Some("it has no P: (package name) line".to_owned())
        } else {
            match record.version {
                None | Some("") => Some("it has no V: (version) line".to_owned()),
                // apk versions always start with a digit (apk-tools'
                // version.c); anything else is corruption, and would
                // only mislead the advisory matching.
                Some(v)
                    if !v.starts_with(|c: char| c.is_ascii_digit())
                        || v.contains(char::is_whitespace) =>
                {
                    Some(format!("{v:?} is not an apk version"))
                }
                Some(_) => None,
            }
        };
        if let Some(what) = what {
            let package = name.map(|n| format!(", package {n}")).unwrap_or_default();
            problems.push(format!(
                "{path}, record {} (line {}{package}): {what}",
                index + 1,
                record.line
            ));
            continue;
        }
        let (Some(name), Some(version)) = (name, record.version) else {
            continue;
        };
        packages.push(InstalledPackage {
            format: PackageFormat::Apk,
            name: name.to_owned(),
            version: version.to_owned(),
            source_name: record
                .origin
                .filter(|o| !o.is_empty() && *o != name)
                .map(str::to_owned),
            source_version: None,
            arch: record.arch.filter(|a| !a.is_empty()).map(str::to_owned),
        });
    }
    packages
}

#[cfg(test)]
mod tests {
    use super::*;

    const DB: &str = "\
C:Q1x8G0Y3Zz9bY5W5mBbZ9h1sK1yE0=
P:musl
V:1.2.4_git20230717-r4
A:x86_64
S:407278
I:663552
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Natanael Copa <ncopa@alpinelinux.org>
t:1705508227
c:1ab8ecae0be8a0cc72bb8b7b1b2b4f0d1f7e4a4f
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
Z:Q1Zq1wZMn7Vj2l1zY2Gq7p0wJ0lXk=

P:libcrypto3
V:3.1.4-r5
A:x86_64
o:openssl
F:usr/lib
R:libcrypto.so.3
";

    #[test]
    fn packages_with_their_origin() {
        let mut problems = Vec::new();
        let packages = parse_installed(DB, "/lib/apk/db/installed", &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(packages.len(), 2);
        assert_eq!(packages[0].name, "musl");
        assert_eq!(packages[0].source_name, None);
        assert_eq!(packages[1].source(), "openssl");
        assert_eq!(packages[1].version, "3.1.4-r5");
        assert_eq!(packages[1].arch.as_deref(), Some("x86_64"));
    }

    #[test]
    fn corrupt_records_are_problems_and_the_rest_are_read() {
        let text = format!(
            "{DB}\nP:noversion\nA:x86_64\n\nV:1.0-r0\n\nP:garbage\nV:1.0-r0\nnot a field\n\n\
             P:badversion\nV:r1.0\n\nP:zlib\nV:1.3.1-r0\no:zlib\n"
        );
        let mut problems = Vec::new();
        let packages = parse_installed(&text, "/x/lib/apk/db/installed", &mut problems);
        let names: Vec<_> = packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["musl", "libcrypto3", "zlib"]);
        assert_eq!(
            problems,
            [
                "/x/lib/apk/db/installed, record 3 (line 26, package noversion): it has no V: (version) line",
                "/x/lib/apk/db/installed, record 4 (line 29): it has no P: (package name) line",
                "/x/lib/apk/db/installed, record 5 (line 31, package garbage): line 33 is not an \"X:value\" line",
                "/x/lib/apk/db/installed, record 6 (line 35, package badversion): \"r1.0\" is not an apk version",
            ]
        );
    }
}
