//! Installed packages and their patch level (issue 5, in progress).
//!
//! First step: comparing package versions in each ecosystem's own order,
//! never by upstream version numbers (which misjudge distribution
//! backports). Inventory, the advisory index and the PATCH/OS rules follow.

pub mod version;
