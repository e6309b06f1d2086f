//! The `[packages]` table: validated into the same [`PackagePlan`] as
//! `scan --packages`, its data files loaded, with errors that name the line
//! and the key.

use toml::Spanned;

use super::raw::RawPackages;
use super::Validator;
use crate::error::Result;
use crate::patching::{AdvisoryInput, PackageField, PackageInput, PackagePlan};

impl Validator<'_> {
    pub(super) fn packages(&self, raw: &Spanned<RawPackages>) -> Result<PackagePlan> {
        let table = raw.get_ref();
        let path = |v: &Option<Spanned<String>>| v.as_ref().map(|s| self.path(s));
        let advisories = match table.advisories.get_ref().as_str() {
            "builtin" => AdvisoryInput::Builtin,
            _ => AdvisoryInput::Path(self.path(&table.advisories)),
        };
        let input = PackageInput {
            root: path(&table.root),
            advisories,
            lifecycle: path(&table.lifecycle),
            alerts: path(&table.alerts),
        };
        PackagePlan::from_input(input).map_err(|e| {
            let (at, key) = match e.field {
                PackageField::Root => (table.root.as_ref(), "packages.root"),
                PackageField::Advisories => (Some(&table.advisories), "packages.advisories"),
                PackageField::Lifecycle => (table.lifecycle.as_ref(), "packages.lifecycle"),
                PackageField::Alerts => (table.alerts.as_ref(), "packages.alerts"),
            };
            match at {
                Some(at) => self.error(at, key, e.problem),
                None => self.error(raw, key, e.problem),
            }
        })
    }
}
