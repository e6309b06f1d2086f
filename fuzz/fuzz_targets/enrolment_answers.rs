//! What an agent reads from a collector or a person during enrolment and
//! check-in: the enrolment token text, and the central policy JSON with
//! the host, network and rule entries it carries.

#![no_main]

use libfuzzer_sys::fuzz_target;
use trustwatch_agent::enrol::Token;
use trustwatch_agent::policy::{HostSet, Policy, RuleFilter};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = Token::decode(&text);
    if let Ok(policy) = serde_json::from_slice::<Policy>(data) {
        let (scope, _) = HostSet::parse(&policy.scope);
        let (exclude, _) = HostSet::parse(&policy.exclude);
        let (rules, _) = RuleFilter::parse(&policy.disabled_rules);
        for entry in policy.tls_targets.iter().chain(&policy.domains) {
            let _ = scope.contains_name(entry);
            let _ = exclude.contains_name(entry);
            let _ = rules.drops(entry);
        }
    }
});
