//! Installed packages from dpkg's database, `/var/lib/dpkg/status`: one
//! deb822 paragraph per package, `Field: value` lines, continuation lines
//! starting with a space or tab.

use trustwatch_rules::observe::{InstalledPackage, PackageFormat};

use super::rootfs::{is_absent, RootFs};
use super::version::{validate, VersionScheme};

/// dpkg's database, inside the root.
pub const STATUS: &str = "/var/lib/dpkg/status";

/// The installed packages, or `None` when the root has no dpkg database.
/// A corrupt paragraph is one problem; every other paragraph is still read.
pub fn read(fs: &RootFs, problems: &mut Vec<String>) -> Option<Vec<InstalledPackage>> {
    match fs.read_text(STATUS) {
        Ok(text) => Some(parse_status(&text, &fs.display(STATUS), problems)),
        Err(err) if is_absent(&err) => None,
        Err(err) => {
            problems.push(format!("{}: cannot be read: {err}", fs.display(STATUS)));
            None
        }
    }
}

/// One paragraph as written: its fields, and the first thing wrong with its
/// layout.
#[derive(Debug, Default)]
struct Paragraph<'a> {
    /// 1-based line of its first line.
    line: usize,
    fields: Vec<(&'a str, String)>,
    malformed: Option<String>,
}

impl Paragraph<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(field, _)| field.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.trim())
    }
}

/// Splits the status file into paragraphs.
fn paragraphs(text: &str) -> Vec<Paragraph<'_>> {
    let mut out = Vec::new();
    let mut current: Option<Paragraph<'_>> = None;
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if line.trim().is_empty() {
            out.extend(current.take());
            continue;
        }
        let paragraph = current.get_or_insert_with(|| Paragraph {
            line: number,
            ..Paragraph::default()
        });
        if line.starts_with([' ', '\t']) {
            match paragraph.fields.last_mut() {
                Some((_, value)) => {
                    value.push('\n');
                    value.push_str(line.trim());
                }
                None => {
                    paragraph.malformed.get_or_insert_with(|| {
                        format!("line {number} continues a field but no field came before it")
                    });
                }
            }
            continue;
        }
        match line.split_once(':') {
            Some((name, value)) if !name.is_empty() && !name.contains(char::is_whitespace) => {
                paragraph.fields.push((name, value.trim().to_owned()));
            }
            _ => {
                paragraph
                    .malformed
                    .get_or_insert_with(|| format!("line {number} is not a \"Field: value\" line"));
            }
        }
    }
    out.extend(current);
    out
}

/// The installed packages of a status file's text; `path` names it in
/// problems.
pub fn parse_status(text: &str, path: &str, problems: &mut Vec<String>) -> Vec<InstalledPackage> {
    let mut packages = Vec::new();
    for (index, paragraph) in paragraphs(text).iter().enumerate() {
        let name = paragraph.get("Package").filter(|n| !n.is_empty());
        let mut problem = |what: &str| {
            let package = name.map(|n| format!(", package {n}")).unwrap_or_default();
            problems.push(format!(
                "{path}, paragraph {} (line {}{package}): {what}",
                index + 1,
                paragraph.line
            ));
        };
        if let Some(what) = &paragraph.malformed {
            problem(what);
            continue;
        }
        let Some(name) = name else {
            problem("it has no Package field");
            continue;
        };
        let Some(status) = paragraph.get("Status") else {
            problem("it has no Status field");
            continue;
        };
        let words: Vec<&str> = status.split_whitespace().collect();
        let [_want, _flag, state] = words[..] else {
            problem(&format!(
                "Status {status:?} is not three words (want, flag, state)"
            ));
            continue;
        };
        // Only the state says what is on disk: `deinstall ok installed`
        // and `hold ok installed` are installed; `config-files` and
        // `half-installed` are not (dpkg-query's db:Status-Status).
        if state != "installed" {
            continue;
        }
        let Some(version) = paragraph.get("Version").filter(|v| !v.is_empty()) else {
            problem("it has no Version field");
            continue;
        };
        if let Err(err) = validate(VersionScheme::Dpkg, version) {
            problem(&err.to_string());
            continue;
        }
        let (source_name, source_version) = match paragraph.get("Source") {
            None | Some("") => (None, None),
            Some(source) => match source.split_once('(') {
                Some((src, rest)) => {
                    let Some(src_version) = rest.strip_suffix(')').map(str::trim) else {
                        problem(&format!("Source {source:?} has no closing parenthesis"));
                        continue;
                    };
                    if let Err(err) = validate(VersionScheme::Dpkg, src_version) {
                        problem(&format!("its Source version: {err}"));
                        continue;
                    }
                    (Some(src.trim()), Some(src_version))
                }
                None => (Some(source), None),
            },
        };
        packages.push(InstalledPackage {
            format: PackageFormat::Dpkg,
            name: name.to_owned(),
            version: version.to_owned(),
            source_name: source_name.filter(|s| *s != name).map(str::to_owned),
            source_version: source_version.filter(|s| *s != version).map(str::to_owned),
            arch: paragraph
                .get("Architecture")
                .filter(|a| !a.is_empty())
                .map(str::to_owned),
        });
    }
    packages
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "\
Package: libssl3
Status: install ok installed
Priority: optional
Architecture: amd64
Multi-Arch: same
Source: openssl
Version: 3.0.11-1~deb12u2
Description: Secure Sockets Layer toolkit
 This package is part of the OpenSSL project.
 .
 More text.

Package: removed-one
Status: deinstall ok config-files
Version: 1.0-1

Package: libgcc-s1
Status: hold ok installed
Architecture: amd64
Source: gcc-12 (12.2.0-14)
Version: 12.2.0-14

Package: binnmu
Status: install ok installed
Architecture: amd64
Source: binnmu (2.1-3)
Version: 2.1-3+b1
";

    #[test]
    fn installed_packages_with_their_sources() {
        let mut problems = Vec::new();
        let packages = parse_status(GOOD, "/var/lib/dpkg/status", &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        let names: Vec<_> = packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["libssl3", "libgcc-s1", "binnmu"]);
        assert_eq!(packages[0].source(), "openssl");
        assert_eq!(packages[0].source_version, None);
        assert_eq!(packages[0].arch.as_deref(), Some("amd64"));
        assert_eq!(packages[1].source_name.as_deref(), Some("gcc-12"));
        assert_eq!(packages[1].source_version, None);
        assert_eq!(packages[2].source_name, None);
        assert_eq!(packages[2].source_version.as_deref(), Some("2.1-3"));
    }

    #[test]
    fn each_corrupt_paragraph_is_one_problem_and_the_rest_are_read() {
        let text = format!(
            "{GOOD}\nPackage: noversion\nStatus: install ok installed\n\n\
             Package: badversion\nStatus: install ok installed\nVersion: 1.0-\n\n\
             Status: install ok installed\nVersion: 1\n\n\
             Package: garbage\nthis line has no colon\nStatus: install ok installed\nVersion: 1\n\n \
             leading continuation\nPackage: x\n\n\
             Package: twowords\nStatus: install installed\nVersion: 1\n\n\
             Package: last\nStatus: install ok installed\nVersion: 0.1\n"
        );
        let mut problems = Vec::new();
        let packages = parse_status(&text, "/r/var/lib/dpkg/status", &mut problems);
        let names: Vec<_> = packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["libssl3", "libgcc-s1", "binnmu", "last"]);
        assert_eq!(problems.len(), 6, "{problems:#?}");
        assert_eq!(
            problems[0],
            "/r/var/lib/dpkg/status, paragraph 5 (line 29, package noversion): it has no Version field"
        );
        assert!(problems[1].starts_with("/r/var/lib/dpkg/status, paragraph 6 (line 32, package badversion): \"1.0-\" is not a valid dpkg version"), "{}", problems[1]);
        assert_eq!(
            problems[2],
            "/r/var/lib/dpkg/status, paragraph 7 (line 36): it has no Package field"
        );
        assert_eq!(
            problems[3],
            "/r/var/lib/dpkg/status, paragraph 8 (line 39, package garbage): line 40 is not a \"Field: value\" line"
        );
        assert!(problems[4].contains("paragraph 9 (line 44, package x): line 44 continues"));
        assert!(problems[5].contains("package twowords): Status \"install installed\""));
    }
}
