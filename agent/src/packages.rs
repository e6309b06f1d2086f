//! Installed packages and their patch level (issue 5, in progress).
//!
//! Package versions are compared in each ecosystem's own order, never by
//! upstream version numbers (which misjudge distribution backports). The
//! inventory reads a root filesystem (the running host's `/` or a mounted
//! image): os-release, the dpkg, rpm and apk databases, kernels, reboot
//! markers and automatic-update configuration. The advisory index and the
//! PATCH/OS rules follow.

pub mod apk;
pub mod autoupdate;
pub mod dpkg;
pub mod inventory;
pub mod kernel;
pub mod os_release;
pub mod reboot;
pub mod rootfs;
pub mod rpm;
pub mod version;

pub use inventory::{read_system, InventoryOptions};
