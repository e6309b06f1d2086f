//! The `[domains]` table: validated into the same [`DomainPlan`] as
//! `scan --domain`, with errors that name the line and the key.

use toml::Spanned;

use super::raw::RawDomains;
use super::Validator;
use crate::domains::{DomainField, DomainInput, DomainPlan};
use crate::error::Result;

impl Validator<'_> {
    pub(super) fn domains(&self, raw: &Spanned<RawDomains>) -> Result<DomainPlan> {
        let table = raw.get_ref();
        let list = |v: &Option<Spanned<Vec<String>>>| -> Vec<String> {
            v.as_ref().map(|s| s.get_ref().clone()).unwrap_or_default()
        };
        let concurrency = match &table.concurrency {
            None => None,
            Some(n) => Some(usize::try_from(*n.get_ref()).map_err(|_| {
                self.error(
                    n,
                    "domains.concurrency",
                    format!("must be from 1 to 1024, not {}", n.get_ref()),
                )
            })?),
        };
        let mut anchors = crate::probe::tls::Anchors::default();
        for ca in &table.ca {
            let found = crate::pem::anchors(&self.path(ca))
                .map_err(|e| self.pem_error(ca, "domains.ca", e))?;
            anchors.private.extend(found);
        }
        let input = DomainInput {
            domains: list(&table.domains),
            non_sending: list(&table.non_sending),
            dkim_selectors: list(&table.dkim_selectors),
            resolver: table.resolver.as_ref().map(|r| r.get_ref().clone()),
            concurrency,
            // DNS answers come fast or not at all: the scan's connection
            // timeout would hold up every check of a dead resolver.
            timeout: None,
            accredited: table.accredited.as_ref().map(|a| self.path(a)),
            anchors,
            dnssec_anchors: table.dnssec_anchors.as_ref().map(|a| self.path(a)),
        };
        DomainPlan::from_input(input).map_err(|e| {
            let key = match e.field {
                DomainField::Domain => "domains.domains",
                DomainField::NonSending => "domains.non_sending",
                DomainField::DkimSelector => "domains.dkim_selectors",
                DomainField::Resolver => "domains.resolver",
                DomainField::Concurrency => "domains.concurrency",
                DomainField::Accredited => "domains.accredited",
                DomainField::DnssecAnchors => "domains.dnssec_anchors",
            };
            let line_of = |v: &Option<Spanned<Vec<String>>>| v.as_ref().map(|s| s.span());
            let span = match e.field {
                DomainField::Domain => line_of(&table.domains),
                DomainField::NonSending => line_of(&table.non_sending),
                DomainField::DkimSelector => line_of(&table.dkim_selectors),
                DomainField::Resolver => table.resolver.as_ref().map(|s| s.span()),
                DomainField::Concurrency => table.concurrency.as_ref().map(|s| s.span()),
                DomainField::Accredited => table.accredited.as_ref().map(|s| s.span()),
                DomainField::DnssecAnchors => table.dnssec_anchors.as_ref().map(|s| s.span()),
            };
            self.error_at(span.unwrap_or(raw.span()), key, e.problem)
        })
    }
}
