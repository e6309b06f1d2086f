//! Reading files of a root filesystem without leaving it.
//!
//! A mounted image's `/etc/os-release` is usually a symlink to
//! `../usr/lib/os-release`, and `/var/run` one to `/run`: an absolute link
//! followed naively would read the *scanning* host's files and report them
//! as the image's. Every path is therefore resolved one component at a time,
//! with absolute link targets re-rooted under the root and `..` stopping at
//! it, the way `chroot` would see them.

use std::ffi::OsString;
use std::fs::Metadata;
use std::io;
use std::path::{Component, Path, PathBuf};

/// Symlinks followed before giving up, as the kernel's ELOOP limit does.
const MAX_LINKS: usize = 40;

/// A root directory whose files are read as the system inside it sees them.
#[derive(Debug, Clone)]
pub struct RootFs {
    root: PathBuf,
}

impl RootFs {
    /// The root directory `root` (`/` for the running host).
    pub fn new(root: &Path) -> Self {
        RootFs {
            root: root.to_path_buf(),
        }
    }

    /// The root directory, as given.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where `inner` (a path inside the root, like `/etc/os-release`) is on
    /// this host, unresolved: what a person looks at when told of a problem.
    pub fn display(&self, inner: &str) -> String {
        self.root
            .join(inner.trim_start_matches('/'))
            .display()
            .to_string()
    }

    /// The host path `inner` names, symlinks followed inside the root.
    pub fn resolve(&self, inner: &str) -> io::Result<PathBuf> {
        // Components still to walk, last first.
        let mut pending: Vec<OsString> = Vec::new();
        push_components(&mut pending, Path::new(inner));
        let mut parts: Vec<OsString> = Vec::new();
        let mut links = 0;
        while let Some(part) = pending.pop() {
            if part == ".." {
                parts.pop();
                continue;
            }
            let candidate = self.join(&parts).join(&part);
            match std::fs::symlink_metadata(&candidate) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    links += 1;
                    if links > MAX_LINKS {
                        return Err(io::Error::other(format!(
                            "more than {MAX_LINKS} symbolic links resolving {inner}"
                        )));
                    }
                    let target = std::fs::read_link(&candidate)?;
                    if target.is_absolute() {
                        parts.clear();
                    }
                    push_components(&mut pending, &target);
                }
                // A missing component is left to the final open to report.
                Ok(_) | Err(_) => parts.push(part),
            }
        }
        Ok(self.join(&parts))
    }

    fn join(&self, parts: &[OsString]) -> PathBuf {
        let mut path = self.root.clone();
        path.extend(parts);
        path
    }

    /// The bytes of `inner`.
    pub fn read(&self, inner: &str) -> io::Result<Vec<u8>> {
        std::fs::read(self.resolve(inner)?)
    }

    /// The file as text; invalid UTF-8 is replaced rather than refused, so
    /// one bad byte in a package description loses nothing else.
    pub fn read_text(&self, inner: &str) -> io::Result<String> {
        self.read(inner)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
    }

    /// The metadata of `inner`, links followed inside the root.
    pub fn metadata(&self, inner: &str) -> io::Result<Metadata> {
        std::fs::metadata(self.resolve(inner)?)
    }

    /// The entry names of a directory, sorted.
    pub fn list(&self, inner: &str) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(self.resolve(inner)?)? {
            names.push(entry?.file_name().to_string_lossy().into_owned());
        }
        names.sort();
        Ok(names)
    }

    /// Whether `inner` exists (after following links inside the root).
    pub fn exists(&self, inner: &str) -> bool {
        self.metadata(inner).is_ok()
    }
}

/// Pushes `path`'s components onto `pending` so that the first pops first.
fn push_components(pending: &mut Vec<OsString>, path: &Path) {
    let parts: Vec<OsString> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(name) => Some(name.to_os_string()),
            Component::ParentDir => Some(OsString::from("..")),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => None,
        })
        .collect();
    pending.extend(parts.into_iter().rev());
}

/// A file or directory that is not there (or a parent that is not a
/// directory): that format or marker is simply absent, not a problem.
pub fn is_absent(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn absolute_and_relative_links_stay_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("usr/lib")).unwrap();
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::create_dir_all(root.join("run")).unwrap();
        std::fs::create_dir_all(root.join("var")).unwrap();
        std::fs::write(root.join("usr/lib/os-release"), "ID=inside\n").unwrap();
        std::fs::write(root.join("run/marker"), "x").unwrap();
        symlink("../usr/lib/os-release", root.join("etc/os-release")).unwrap();
        symlink("/run", root.join("var/run")).unwrap();
        // Climbing above the root stops at it.
        symlink("../../../../../usr/lib/os-release", root.join("etc/up")).unwrap();
        // An absolute link to a host file is read inside the root.
        symlink("/etc/hostname", root.join("etc/host-link")).unwrap();
        let fs = RootFs::new(root);
        assert_eq!(fs.read_text("/etc/os-release").unwrap(), "ID=inside\n");
        assert_eq!(fs.read_text("etc/up").unwrap(), "ID=inside\n");
        assert_eq!(fs.read_text("/var/run/marker").unwrap(), "x");
        assert!(is_absent(&fs.read("/etc/host-link").unwrap_err()));
        assert!(is_absent(&fs.read("/etc/os-release/x").unwrap_err()));
    }

    #[test]
    fn link_loops_end_in_an_error() {
        let dir = tempfile::tempdir().unwrap();
        symlink("b", dir.path().join("a")).unwrap();
        symlink("a", dir.path().join("b")).unwrap();
        let err = RootFs::new(dir.path()).read("/a").unwrap_err();
        assert!(err.to_string().contains("symbolic links"), "{err}");
    }
}
