//! SPF rules: MAIL-001 (missing or invalid), MAIL-002 (too permissive) and
//! MAIL-012 (sending addresses without forward-confirmed reverse DNS), from
//! the agent's walk of a domain's policy ([`SpfObservation`]) and its PTR
//! checks ([`PtrCheck`]).
//!
//! # Decisions
//!
//! - **One finding per rule per domain**, target the domain, in catalogue
//!   order; a rule is evaluated when the catalogue has it with mode `dns`.
//!   Every finding's evidence names the resolver and the answers used.
//! - **MAIL-001** passes on exactly one record walked to the end within
//!   10 DNS-querying terms and 2 void lookups. No record, more than one,
//!   and every PermError (syntax, too many lookups, too many void lookups,
//!   too many MX names, a loop, an include or redirect target without
//!   SPF) fail, with the reason. A TempError (SERVFAIL, REFUSED, timeout)
//!   is an `error`: the policy could not be read, which says nothing
//!   about it. Terms the walk could not resolve without a message (`ptr`,
//!   `%{i}` macros) are counted and listed, and do not stop a pass.
//! - **MAIL-002** judges the qualifier that ends the domain's evaluation,
//!   followed through `redirect`: `-all` passes; `~all` passes only when
//!   the DMARC policy is known to be `reject`; `+all`, `?all` and a record
//!   with neither `all` nor `redirect` (which ends in neutral) fail. An
//!   included record ending in `+all` also fails it, since the include
//!   then matches every sender. Without a usable record (none or
//!   PermError) the rule is `not_applicable`, MAIL-001 carrying the
//!   failure; after a TempError it is an `error`.
//! - **MAIL-012** checks the single addresses (`/32`, `/128`) among the
//!   `ip4`/`ip6` networks of every record walked. Wider networks cannot be
//!   checked address by address and are listed with their count. An
//!   address whose PTR is missing or whose PTR names do not resolve back
//!   fails; one whose lookups failed is an `error` when nothing fails.
//!   Addresses beyond the agent's bound are listed as not checked and do
//!   not change the status. No `ip4`/`ip6` networks, or only wide ones,
//!   is `not_applicable`; PTR checks not run at all is an `error`. The
//!   addresses are judged whatever MAIL-001 says: after a PermError or
//!   TempError they are those listed before the walk stopped, which are
//!   still the trust's declared senders.

use serde_json::Value;

use crate::catalogue::{Catalogue, Mode, Rule};
use crate::evidence::Evidence;
use crate::finding::{Finding, Status};
use crate::observe::{PtrCheck, Qualifier, SpfObservation, SpfResult, SpfVia};

/// Every rule this evaluator can produce, in catalogue order.
pub const SPF_RULES: &[&str] = &["MAIL-001", "MAIL-002", "MAIL-012"];

/// Findings for one domain's SPF policy. `dmarc_policy` is the domain's
/// DMARC `p` (`reject`, `quarantine`, `none`) when known; `ptrs` the
/// forward-confirmed reverse DNS checks of its sending addresses, `None`
/// when they were not run.
pub fn spf_findings(
    cat: &Catalogue,
    obs: &SpfObservation,
    dmarc_policy: Option<&str>,
    ptrs: Option<&[PtrCheck]>,
) -> Vec<Finding> {
    crate::evaluate::each_rule(cat, SPF_RULES, Some(Mode::Dns), |rule| {
        match rule.id.as_str() {
            "MAIL-001" => Some(record_valid(rule, obs)),
            "MAIL-002" => Some(all_qualifier(rule, obs, dmarc_policy)),
            "MAIL-012" => Some(sending_ptrs(rule, obs, ptrs)),
            _ => None,
        }
    })
}

/// Evidence every SPF finding carries.
fn base(obs: &SpfObservation) -> Evidence {
    Evidence::new()
        .with("resolver", obs.resolver.as_str())
        .with("answers", obs.answers.clone())
        .with("spf_records", obs.spf_records.clone())
}

fn finding(
    rule: &Rule,
    obs: &SpfObservation,
    status: Status,
    summary: String,
    ev: Evidence,
) -> Finding {
    Finding::for_rule(rule, &obs.domain, status, summary, ev)
}

fn to_json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

fn record_valid(rule: &Rule, obs: &SpfObservation) -> Finding {
    let mut ev = base(obs)
        .with("txt_records", obs.txt_records.clone())
        .with("lookups", obs.lookups)
        .with("lookup_limit", 10)
        .with("void_lookups", obs.void_lookups)
        .with("result", to_json(&obs.result));
    if let Some(record) = &obs.record {
        ev.insert("record", record.text.as_str());
    }
    if let Some(tree) = &obs.tree {
        ev.insert("tree", to_json(tree));
    }
    if !obs.not_evaluated.is_empty() {
        ev.insert("not_evaluated", obs.not_evaluated.clone());
    }
    let (status, summary) = match &obs.result {
        SpfResult::Valid => (
            Status::Pass,
            format!(
                "one valid SPF record using {} of 10 DNS lookups",
                obs.lookups
            ),
        ),
        SpfResult::None => (Status::Fail, "no SPF record is published".to_owned()),
        SpfResult::PermError { kind, reason } => {
            (Status::Fail, format!("SPF PermError, {kind}: {reason}"))
        }
        SpfResult::TempError { reason } => {
            ev.insert("error", reason.as_str());
            (Status::Error, format!("could not assess: {reason}"))
        }
    };
    finding(rule, obs, status, summary, ev)
}

/// The name whose record supplies the effective `all`: the end of the
/// top-level redirect chain.
fn all_from(obs: &SpfObservation) -> Option<&str> {
    let mut node = obs.tree.as_ref()?;
    while let Some(next) = node.children.iter().find(|c| c.via == SpfVia::Redirect) {
        node = next;
    }
    Some(node.domain.as_str())
}

fn all_qualifier(rule: &Rule, obs: &SpfObservation, dmarc_policy: Option<&str>) -> Finding {
    let mut ev = base(obs).with("dmarc_policy", dmarc_policy.map(str::to_owned));
    match &obs.result {
        SpfResult::Valid => {}
        SpfResult::TempError { reason } => {
            ev.insert("error", reason.as_str());
            return finding(
                rule,
                obs,
                Status::Error,
                format!("could not assess: {reason}"),
                ev,
            );
        }
        SpfResult::None | SpfResult::PermError { .. } => {
            return finding(
                rule,
                obs,
                Status::NotApplicable,
                "no usable SPF record (see MAIL-001)".to_owned(),
                ev,
            );
        }
    }
    let written = obs.effective_all.map(|q| format!("{q}all"));
    ev.insert("effective_all", written.clone());
    if let Some(from) = all_from(obs) {
        ev.insert("all_from", from);
    }
    let permissive: Vec<&str> = obs
        .tree
        .iter()
        .flat_map(|t| t.walk())
        .filter(|n| n.via == SpfVia::Include && n.all == Some(Qualifier::Pass))
        .map(|n| n.domain.as_str())
        .collect();
    if !permissive.is_empty() {
        ev.insert("includes_ending_in_plus_all", permissive.clone());
    }
    let reject = dmarc_policy.is_some_and(|p| p.trim().eq_ignore_ascii_case("reject"));
    let (status, summary) = match obs.effective_all {
        Some(Qualifier::Pass) => (
            Status::Fail,
            "the record ends in +all, authorising every server to send".to_owned(),
        ),
        Some(Qualifier::Neutral) => (
            Status::Fail,
            "the record ends in ?all, which asserts nothing about other senders".to_owned(),
        ),
        None => (
            Status::Fail,
            "the record has neither all nor redirect, so unlisted senders get neutral".to_owned(),
        ),
        Some(Qualifier::SoftFail) if !reject => (
            Status::Fail,
            match dmarc_policy {
                Some(p) => format!("the record ends in ~all while DMARC is p={p}, not reject"),
                None => "the record ends in ~all and no DMARC p=reject is known".to_owned(),
            },
        ),
        _ if !permissive.is_empty() => (
            Status::Fail,
            format!(
                "include of {} ends in +all, so it matches every sender",
                permissive.join(", ")
            ),
        ),
        Some(Qualifier::SoftFail) => (
            Status::Pass,
            "the record ends in ~all and DMARC is p=reject".to_owned(),
        ),
        Some(Qualifier::Fail) => (Status::Pass, "the record ends in -all".to_owned()),
    };
    finding(rule, obs, status, summary, ev)
}

fn sending_ptrs(rule: &Rule, obs: &SpfObservation, ptrs: Option<&[PtrCheck]>) -> Finding {
    let mut ev = base(obs).with("spf_result", to_json(&obs.result));
    let mut singles = Vec::new();
    for n in obs.networks.iter().filter(|n| n.is_single_address()) {
        if !singles.contains(&n.address) {
            singles.push(n.address);
        }
    }
    let wide: Vec<String> = obs
        .networks
        .iter()
        .filter(|n| !n.is_single_address())
        .map(ToString::to_string)
        .collect();
    if !wide.is_empty() {
        ev.insert("not_checkable_networks", wide.clone());
        ev.insert("not_checkable_count", wide.len());
    }
    if obs.networks.is_empty() {
        return finding(
            rule,
            obs,
            Status::NotApplicable,
            "the SPF policy lists no ip4 or ip6 addresses".to_owned(),
            ev,
        );
    }
    if singles.is_empty() {
        return finding(
            rule,
            obs,
            Status::NotApplicable,
            format!(
                "the SPF policy lists only networks wider than one address ({}), which are not checked",
                wide.len()
            ),
            ev,
        );
    }
    let Some(ptrs) = ptrs else {
        let reason = "reverse DNS of the sending addresses was not checked";
        ev.insert("error", reason);
        return finding(
            rule,
            obs,
            Status::Error,
            format!("could not assess: {reason}"),
            ev,
        );
    };
    let checks: Vec<&PtrCheck> = singles
        .iter()
        .filter_map(|a| ptrs.iter().find(|c| c.address == *a))
        .collect();
    let not_checked: Vec<String> = singles
        .iter()
        .filter(|a| !ptrs.iter().any(|c| c.address == **a))
        .map(ToString::to_string)
        .collect();
    let failed: Vec<String> = checks
        .iter()
        .filter(|c| !c.forward_confirmed && c.lookup_error.is_none())
        .map(|c| c.address.to_string())
        .collect();
    let errored: Vec<&PtrCheck> = checks
        .iter()
        .copied()
        .filter(|c| !c.forward_confirmed && c.lookup_error.is_some())
        .collect();
    ev.insert("checks", to_json(&checks));
    if !not_checked.is_empty() {
        ev.insert("not_checked", not_checked.clone());
    }
    let tail = if not_checked.is_empty() {
        String::new()
    } else {
        format!("; {} more not checked", not_checked.len())
    };
    if !failed.is_empty() {
        ev.insert("not_confirmed", failed.clone());
        let summary = format!(
            "{} of {} sending addresses lack forward-confirmed reverse DNS: {}{tail}",
            failed.len(),
            checks.len(),
            failed.join(", ")
        );
        return finding(rule, obs, Status::Fail, summary, ev);
    }
    if let Some(first) = errored.first() {
        let reason = first.lookup_error.clone().unwrap_or_default();
        ev.insert("error", reason.as_str());
        let summary = format!(
            "could not assess reverse DNS of {} sending addresses: {reason}",
            errored.len()
        );
        return finding(rule, obs, Status::Error, summary, ev);
    }
    if checks.is_empty() {
        let reason = "none of the sending addresses was checked";
        ev.insert("error", reason);
        return finding(
            rule,
            obs,
            Status::Error,
            format!("could not assess: {reason}"),
            ev,
        );
    }
    let summary = format!(
        "{} sending addresses have forward-confirmed reverse DNS{tail}",
        checks.len()
    );
    finding(rule, obs, Status::Pass, summary, ev)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::observe::{
        MechanismKind, PermErrorKind, SpfMechanism, SpfNetwork, SpfNode, SpfRecord,
    };

    fn catalogue() -> &'static Catalogue {
        static CATALOGUE: std::sync::OnceLock<Catalogue> = std::sync::OnceLock::new();
        CATALOGUE.get_or_init(|| Catalogue::embedded().unwrap())
    }

    fn node(domain: &str, via: SpfVia, record: &str, all: Option<Qualifier>) -> SpfNode {
        SpfNode {
            domain: domain.into(),
            via,
            record: Some(record.into()),
            all,
            error: None,
            children: Vec::new(),
        }
    }

    fn net(address: &str, prefix: u8) -> SpfNetwork {
        SpfNetwork {
            address: address.parse().unwrap(),
            prefix,
            listed_by: "good.test".into(),
        }
    }

    /// good.test as the agent observes it.
    fn good() -> SpfObservation {
        let text = "v=spf1 ip4:127.0.0.10 -all";
        let mut obs = SpfObservation::new("good.test", "127.0.0.1:5353");
        obs.txt_records = vec![text.into()];
        obs.spf_records = vec![text.into()];
        obs.record = Some(SpfRecord {
            text: text.into(),
            mechanisms: vec![
                SpfMechanism {
                    qualifier: Qualifier::Pass,
                    kind: MechanismKind::Ip4,
                    argument: Some("127.0.0.10".into()),
                },
                SpfMechanism {
                    qualifier: Qualifier::Fail,
                    kind: MechanismKind::All,
                    argument: None,
                },
            ],
            redirect: None,
            exp: None,
            unknown_modifiers: Vec::new(),
        });
        obs.result = SpfResult::Valid;
        obs.tree = Some(node("good.test", SpfVia::Top, text, Some(Qualifier::Fail)));
        obs.effective_all = Some(Qualifier::Fail);
        obs.networks = vec![net("127.0.0.10", 32)];
        obs.answers = vec![format!("TXT good.test: {text:?}")];
        obs
    }

    fn with_all(all: Option<Qualifier>) -> SpfObservation {
        let mut obs = good();
        obs.effective_all = all;
        obs
    }

    fn confirmed(address: &str) -> PtrCheck {
        PtrCheck {
            address: address.parse().unwrap(),
            ptr_names: vec!["mail.good.test".into()],
            forward_confirmed: true,
            lookup_error: None,
            answers: vec!["PTR 10.0.0.127.in-addr.arpa: mail.good.test.".into()],
        }
    }

    fn get<'a>(findings: &'a [Finding], id: &str) -> &'a Finding {
        findings.iter().find(|f| f.rule_id == id).unwrap()
    }

    #[test]
    fn good_domain_passes_all_three() {
        let ptrs = [confirmed("127.0.0.10")];
        let f = spf_findings(catalogue(), &good(), Some("reject"), Some(&ptrs));
        let ids: Vec<&str> = f.iter().map(|f| f.rule_id.as_str()).collect();
        assert_eq!(ids, SPF_RULES);
        assert!(f.iter().all(|f| f.status == Status::Pass), "{f:#?}");
        assert!(f.iter().all(|f| f.target == "good.test"));
        let m1 = get(&f, "MAIL-001");
        assert_eq!(m1.summary, "one valid SPF record using 0 of 10 DNS lookups");
        assert_eq!(
            m1.evidence.get("record"),
            Some(&json!("v=spf1 ip4:127.0.0.10 -all"))
        );
        assert_eq!(m1.evidence.get("lookups"), Some(&json!(0)));
        assert_eq!(m1.evidence.get("resolver"), Some(&json!("127.0.0.1:5353")));
        assert_eq!(
            m1.evidence.get("tree").unwrap()["domain"],
            json!("good.test")
        );
        assert_eq!(
            get(&f, "MAIL-002").evidence.get("effective_all"),
            Some(&json!("-all"))
        );
        assert_eq!(
            get(&f, "MAIL-012").summary,
            "1 sending addresses have forward-confirmed reverse DNS"
        );
    }

    #[test]
    fn no_record_fails_mail_001_and_the_rest_do_not_apply() {
        let mut obs = SpfObservation::new("nospf.test", "table");
        obs.txt_records = vec!["some-verification=xyz".into()];
        let f = spf_findings(catalogue(), &obs, None, Some(&[]));
        assert_eq!(get(&f, "MAIL-001").status, Status::Fail);
        assert_eq!(get(&f, "MAIL-001").summary, "no SPF record is published");
        assert_eq!(get(&f, "MAIL-002").status, Status::NotApplicable);
        assert_eq!(get(&f, "MAIL-012").status, Status::NotApplicable);
    }

    #[test]
    fn permerrors_fail_mail_001_with_the_reason() {
        for kind in [
            PermErrorKind::MultipleRecords,
            PermErrorKind::TooManyLookups,
            PermErrorKind::TooManyVoidLookups,
            PermErrorKind::Loop,
            PermErrorKind::Syntax,
            PermErrorKind::NoRecordAtTarget,
        ] {
            let mut obs = good();
            obs.result = SpfResult::PermError {
                kind,
                reason: "the details".into(),
            };
            obs.effective_all = None;
            let f = spf_findings(catalogue(), &obs, Some("reject"), None);
            let m1 = get(&f, "MAIL-001");
            assert_eq!(m1.status, Status::Fail, "{kind:?}");
            assert_eq!(m1.summary, format!("SPF PermError, {kind}: the details"));
            assert_eq!(
                m1.evidence.get("result").unwrap()["result"],
                json!("perm_error")
            );
            assert_eq!(get(&f, "MAIL-002").status, Status::NotApplicable);
        }
    }

    #[test]
    fn temperror_is_an_error() {
        let mut obs = good();
        obs.result = SpfResult::TempError {
            reason: "TXT broken.test: SERVFAIL".into(),
        };
        let f = spf_findings(catalogue(), &obs, None, None);
        for id in ["MAIL-001", "MAIL-002"] {
            let x = get(&f, id);
            assert_eq!(x.status, Status::Error, "{id}");
            assert_eq!(
                x.evidence.get("error"),
                Some(&json!("TXT broken.test: SERVFAIL"))
            );
        }
    }

    #[test]
    fn mail_002_judges_the_all_qualifier_with_dmarc() {
        use Qualifier::*;
        for (all, dmarc, status) in [
            (Some(Fail), None, Status::Pass),
            (Some(SoftFail), Some("reject"), Status::Pass),
            (Some(SoftFail), Some("REJECT"), Status::Pass),
            (Some(SoftFail), Some("none"), Status::Fail),
            (Some(SoftFail), Some("quarantine"), Status::Fail),
            (Some(SoftFail), None, Status::Fail),
            (Some(Pass), Some("reject"), Status::Fail),
            (Some(Neutral), Some("reject"), Status::Fail),
            (None, Some("reject"), Status::Fail),
        ] {
            let f = spf_findings(catalogue(), &with_all(all), dmarc, None);
            let m2 = get(&f, "MAIL-002");
            assert_eq!(m2.status, status, "{all:?} {dmarc:?}: {}", m2.summary);
        }
        let f = spf_findings(catalogue(), &with_all(Some(SoftFail)), Some("none"), None);
        assert_eq!(
            get(&f, "MAIL-002").summary,
            "the record ends in ~all while DMARC is p=none, not reject"
        );
        let f = spf_findings(catalogue(), &with_all(None), None, None);
        assert!(get(&f, "MAIL-002").summary.contains("neutral"));
    }

    #[test]
    fn mail_002_follows_redirect_and_catches_plus_all_includes() {
        let mut obs = good();
        let mut top = node(
            "spf-redirect.test",
            SpfVia::Top,
            "v=spf1 redirect=good.test",
            None,
        );
        top.children.push(node(
            "good.test",
            SpfVia::Redirect,
            "v=spf1 ip4:127.0.0.10 -all",
            Some(Qualifier::Fail),
        ));
        obs.tree = Some(top);
        let f = spf_findings(catalogue(), &obs, None, None);
        let m2 = get(&f, "MAIL-002");
        assert_eq!(m2.status, Status::Pass);
        assert_eq!(m2.evidence.get("all_from"), Some(&json!("good.test")));

        let mut obs = good();
        let mut top = node(
            "x.test",
            SpfVia::Top,
            "v=spf1 include:open.test -all",
            Some(Qualifier::Fail),
        );
        top.children.push(node(
            "open.test",
            SpfVia::Include,
            "v=spf1 +all",
            Some(Qualifier::Pass),
        ));
        obs.tree = Some(top);
        let f = spf_findings(catalogue(), &obs, Some("reject"), None);
        let m2 = get(&f, "MAIL-002");
        assert_eq!(m2.status, Status::Fail);
        assert_eq!(
            m2.evidence.get("includes_ending_in_plus_all"),
            Some(&json!(["open.test"]))
        );
    }

    #[test]
    fn mail_012_fails_unconfirmed_addresses_and_lists_wide_networks() {
        let mut obs = good();
        obs.networks = vec![
            net("127.0.0.10", 32),
            net("127.0.0.14", 32),
            net("127.0.1.0", 24),
            net("::1", 128),
        ];
        let mut missing = confirmed("127.0.0.14");
        missing.ptr_names.clear();
        missing.forward_confirmed = false;
        let ptrs = [confirmed("127.0.0.10"), missing, confirmed("::1")];
        let f = spf_findings(catalogue(), &obs, None, Some(&ptrs));
        let m12 = get(&f, "MAIL-012");
        assert_eq!(m12.status, Status::Fail);
        assert_eq!(
            m12.summary,
            "1 of 3 sending addresses lack forward-confirmed reverse DNS: 127.0.0.14"
        );
        assert_eq!(
            m12.evidence.get("not_checkable_networks"),
            Some(&json!(["127.0.1.0/24"]))
        );
        assert_eq!(m12.evidence.get("not_checkable_count"), Some(&json!(1)));
        assert_eq!(
            m12.evidence
                .get("checks")
                .unwrap()
                .as_array()
                .unwrap()
                .len(),
            3
        );
    }

    #[test]
    fn mail_012_errors_on_lookup_failures_and_missing_checks() {
        let mut broken = confirmed("127.0.0.10");
        broken.forward_confirmed = false;
        broken.lookup_error = Some("A mail.good.test: timed out".into());
        let f = spf_findings(catalogue(), &good(), None, Some(&[broken]));
        assert_eq!(get(&f, "MAIL-012").status, Status::Error);
        let f = spf_findings(catalogue(), &good(), None, None);
        assert_eq!(get(&f, "MAIL-012").status, Status::Error);
        // Checked addresses pass; those beyond the agent's bound are listed.
        let mut obs = good();
        obs.networks.push(net("127.0.0.11", 32));
        let f = spf_findings(catalogue(), &obs, None, Some(&[confirmed("127.0.0.10")]));
        let m12 = get(&f, "MAIL-012");
        assert_eq!(m12.status, Status::Pass);
        assert_eq!(
            m12.evidence.get("not_checked"),
            Some(&json!(["127.0.0.11"]))
        );
        assert!(m12.summary.ends_with("; 1 more not checked"));
    }

    #[test]
    fn mail_012_does_not_apply_without_single_addresses() {
        let mut obs = good();
        obs.networks = vec![net("127.0.1.0", 24)];
        let f = spf_findings(catalogue(), &obs, None, Some(&[]));
        let m12 = get(&f, "MAIL-012");
        assert_eq!(m12.status, Status::NotApplicable);
        assert!(m12.summary.contains("wider than one address (1)"));
        obs.networks.clear();
        let f = spf_findings(catalogue(), &obs, None, None);
        assert_eq!(get(&f, "MAIL-012").status, Status::NotApplicable);
    }

    #[test]
    fn rules_missing_from_the_catalogue_are_skipped() {
        let full = catalogue();
        let rules = full
            .rules()
            .iter()
            .filter(|r| r.id != "MAIL-002")
            .cloned()
            .collect();
        let trimmed = Catalogue::new(full.baseline().clone(), rules);
        let f = spf_findings(&trimmed, &good(), None, None);
        let ids: Vec<&str> = f.iter().map(|f| f.rule_id.as_str()).collect();
        assert_eq!(ids, ["MAIL-001", "MAIL-012"]);
    }
}
