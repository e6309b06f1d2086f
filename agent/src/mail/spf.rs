//! SPF (RFC 7208): selects a domain's record, parses it and walks its
//! include/redirect tree to judge the policy itself, then checks the
//! reverse DNS of the single sending addresses it lists (MAIL-012).
//!
//! # Decisions
//!
//! - **No sender.** The walk judges the policy, not a message: it goes
//!   through every term up to `all` as a receiver would for a sender that
//!   matches nothing, which is the path that reaches the most lookups.
//!   So every include is followed, a redirect is followed only when the
//!   record has no `all` (section 6.1), and terms after `all` are parsed
//!   (a syntax error there is still a PermError) but not walked.
//! - **Counting** (section 4.6.4): include, a, mx, ptr, exists and
//!   redirect each count one, across the whole tree; the 11th is a
//!   PermError before it is looked up. The domain's own TXT lookup does
//!   not count. A term whose lookup comes back NXDOMAIN or empty is a
//!   void lookup; the 3rd is a PermError. An include or redirect target
//!   with no SPF record is a PermError (sections 5.2, 6.1), after its
//!   void lookup is counted.
//! - **`a`** asks A and AAAA, since the sender's family is unknown; it is
//!   void only when both are empty (void whatever the sender). **`mx`**
//!   asks MX only: more than 10 MX names is a PermError (section 4.6.4);
//!   the names' addresses are not looked up, because they cannot make the
//!   policy invalid and would multiply the queries by 20 per `mx`.
//!   **`ptr`** needs the sender's address: counted, not resolved.
//! - **Macros.** `%{d}` (the name being evaluated) and `%{o}` (the
//!   sender's domain, taken as the domain checked) are expanded. A term
//!   that needs any other macro (`%{i}`, `%{s}`, `%{l}`, `%{h}`, …) is
//!   counted and listed under `not_evaluated`, not looked up. Macro syntax
//!   is always checked.
//! - **Loops.** An include or redirect to a name already on the stack of
//!   names being evaluated is a PermError ("include loop"). The same name
//!   included twice side by side is not a loop, and is counted twice.
//! - **Errors.** SERVFAIL, REFUSED, a timeout or any other failure that is
//!   not NXDOMAIN or no data is a TempError (section 4.4, 5). The walk
//!   stops at the first error, as a receiver does; the tree shows where.
//! - **Bounds.** At most 1 + 10 × 2 queries (the domain's TXT, then ten
//!   counted terms, `a` being two): every query is bounded by the
//!   resolver's own timeout, so the walk ends.

mod parse;
mod ptr;

pub use parse::{is_spf, parse, SyntaxError};
pub use ptr::{check_ptrs, reverse_name, MAX_PTR_CHECKS, MAX_PTR_NAMES};

use std::future::Future;
use std::pin::Pin;

use trustwatch_rules::observe::{
    MechanismKind, PermErrorKind, Qualifier, SpfNetwork, SpfNode, SpfObservation, SpfResult, SpfVia,
};

use crate::dns::answer::normalise;
use crate::dns::{Answer, RecordType, Resolve};
use parse::MacroContext;

/// DNS-querying terms allowed across the tree (section 4.6.4).
pub const MAX_LOOKUPS: u32 = 10;
/// Void lookups allowed (section 4.6.4's recommended default).
pub const MAX_VOID_LOOKUPS: u32 = 2;
/// MX names an `mx` term may have (section 4.6.4).
pub const MAX_MX_NAMES: usize = 10;

/// Selects, parses and walks `domain`'s SPF policy.
pub async fn check<R: Resolve>(resolver: &R, domain: &str) -> SpfObservation {
    let domain = normalise(domain);
    let mut walk = Walk {
        resolver,
        obs: SpfObservation::new(&domain, &resolver.describe()),
        stack: Vec::new(),
    };
    let (node, outcome) = walk.evaluate(domain.clone(), SpfVia::Top).await;
    let mut obs = walk.obs;
    match outcome {
        Ok(all) => {
            obs.result = SpfResult::Valid;
            obs.effective_all = all;
            obs.tree = Some(node);
        }
        Err(Stop::NoRecordAtTop) => obs.result = SpfResult::None,
        Err(Stop::Perm(kind, reason)) => {
            obs.result = SpfResult::PermError { kind, reason };
            obs.tree = node.record.is_some().then_some(node);
        }
        Err(Stop::Temp(reason)) => {
            obs.result = SpfResult::TempError { reason };
            obs.tree = node.record.is_some().then_some(node);
        }
    }
    obs
}

/// Why the walk stopped early.
#[derive(Debug)]
enum Stop {
    /// The domain checked has no SPF record: the result is none.
    NoRecordAtTop,
    Perm(PermErrorKind, String),
    Temp(String),
}

impl Stop {
    fn describe(&self) -> String {
        match self {
            Stop::NoRecordAtTop => "no SPF record".into(),
            Stop::Perm(kind, reason) => format!("PermError ({kind}): {reason}"),
            Stop::Temp(reason) => format!("TempError: {reason}"),
        }
    }
}

type Evaluated = (SpfNode, Result<Option<Qualifier>, Stop>);

struct Walk<'r, R> {
    resolver: &'r R,
    obs: SpfObservation,
    /// Names being evaluated, outermost first: a target already here is a
    /// loop.
    stack: Vec<String>,
}

impl<R: Resolve> Walk<'_, R> {
    /// Asks one question and keeps its summary for the evidence.
    async fn ask(&mut self, name: &str, rtype: RecordType) -> Answer {
        let answer = self.resolver.lookup(name, rtype).await;
        self.obs.answers.push(answer.summary());
        answer
    }

    /// Counts a DNS-querying term; the 11th is a PermError.
    fn count(&mut self, term: &str, at: &str) -> Result<(), Stop> {
        self.obs.lookups += 1;
        if self.obs.lookups > MAX_LOOKUPS {
            return Err(Stop::Perm(
                PermErrorKind::TooManyLookups,
                format!(
                    "`{term}` at {at} is DNS-querying term {} (the limit is {MAX_LOOKUPS})",
                    self.obs.lookups
                ),
            ));
        }
        Ok(())
    }

    /// Counts a void lookup; the 3rd is a PermError.
    fn void(&mut self, term: &str, at: &str) -> Result<(), Stop> {
        self.obs.void_lookups += 1;
        if self.obs.void_lookups > MAX_VOID_LOOKUPS {
            return Err(Stop::Perm(
                PermErrorKind::TooManyVoidLookups,
                format!(
                    "`{term}` at {at} is void lookup {} (the limit is {MAX_VOID_LOOKUPS})",
                    self.obs.void_lookups
                ),
            ));
        }
        Ok(())
    }

    /// Expands a term's domain-spec, or notes that it needs the sender.
    fn target(&mut self, spec: &str, term: &str, at: &str) -> Option<String> {
        let top = self.obs.domain.clone();
        let ctx = MacroContext {
            domain: at,
            sender_domain: &top,
        };
        match parse::expand(spec, ctx) {
            Ok(name) => Some(name),
            Err(letter) => {
                self.obs.not_evaluated.push(format!(
                    "`{term}` at {at}: needs the %{{{letter}}} macro of a message"
                ));
                None
            }
        }
    }

    /// Fails on a name already being evaluated.
    /// The name an `a` or `mx` term asks about: its domain-spec (before any
    /// `/cidr`), expanded, or the name being evaluated when it has none.
    /// `None` when the spec needs a message's macros.
    fn cidr_target(&mut self, arg: Option<&str>, term: &str, at: &str) -> Option<String> {
        match arg
            .map(|a| parse::split_dual_cidr(a).0)
            .filter(|s| !s.is_empty())
        {
            Some(spec) => self.target(spec, term, at),
            None => Some(at.to_owned()),
        }
    }

    fn no_loop(&self, target: &str, term: &str, at: &str) -> Result<(), Stop> {
        if self.stack.iter().any(|n| n == target) {
            return Err(Stop::Perm(
                PermErrorKind::Loop,
                format!(
                    "`{term}` at {at} leads back to {target} ({} → {target})",
                    self.stack.join(" → ")
                ),
            ));
        }
        Ok(())
    }

    /// Evaluates `name`'s record (boxed: includes and redirects recurse).
    fn evaluate(
        &mut self,
        name: String,
        via: SpfVia,
    ) -> Pin<Box<dyn Future<Output = Evaluated> + Send + '_>>
    where
        R: Resolve,
    {
        Box::pin(async move {
            let mut node = SpfNode {
                domain: name.clone(),
                via,
                record: None,
                all: None,
                error: None,
                children: Vec::new(),
            };
            self.stack.push(name.clone());
            let outcome = self.evaluate_record(&name, via, &mut node).await;
            self.stack.pop();
            if let Err(stop) = &outcome {
                // Only the innermost name where the walk stopped carries it.
                if node.walk().iter().all(|n| n.error.is_none()) {
                    node.error = Some(stop.describe());
                }
            }
            (node, outcome)
        })
    }

    async fn evaluate_record(
        &mut self,
        name: &str,
        via: SpfVia,
        node: &mut SpfNode,
    ) -> Result<Option<Qualifier>, Stop> {
        let text = self.select(name, via).await?;
        node.record = Some(text.clone());
        let record = parse::parse(&text)
            .map_err(|e| Stop::Perm(PermErrorKind::Syntax, format!("record at {name}: {e}")))?;
        node.all = record.all();
        if via == SpfVia::Top {
            self.obs.record = Some(record.clone());
        }
        for mechanism in &record.mechanisms {
            let term = mechanism.to_string();
            let arg = mechanism.argument.as_deref();
            match mechanism.kind {
                // Nothing after `all` is ever evaluated (section 5.1).
                MechanismKind::All => break,
                MechanismKind::Ip4 | MechanismKind::Ip6 => {
                    // The parser has accepted the argument.
                    if let Ok((address, prefix)) = parse::network(mechanism.kind, arg.unwrap_or(""))
                    {
                        let network = SpfNetwork {
                            address,
                            prefix,
                            listed_by: name.to_owned(),
                        };
                        if !self
                            .obs
                            .networks
                            .iter()
                            .any(|n| n.address == address && n.prefix == prefix)
                        {
                            self.obs.networks.push(network);
                        }
                    }
                }
                MechanismKind::Include => {
                    self.count(&term, name)?;
                    let Some(target) = self.target(arg.unwrap_or(""), &term, name) else {
                        continue;
                    };
                    self.no_loop(&target, &term, name)?;
                    let (child, outcome) = self.evaluate(target, SpfVia::Include).await;
                    node.children.push(child);
                    outcome?;
                }
                MechanismKind::A => {
                    self.count(&term, name)?;
                    let Some(target) = self.cidr_target(arg, &term, name) else {
                        continue;
                    };
                    let v4 = self.ask(&target, RecordType::A).await;
                    let v6 = self.ask(&target, RecordType::Aaaa).await;
                    temp_error(&v4)?;
                    temp_error(&v6)?;
                    if v4.records().is_empty() && v6.records().is_empty() {
                        self.void(&term, name)?;
                    }
                }
                MechanismKind::Mx => {
                    self.count(&term, name)?;
                    let Some(target) = self.cidr_target(arg, &term, name) else {
                        continue;
                    };
                    let mx = self.ask(&target, RecordType::Mx).await;
                    temp_error(&mx)?;
                    let names = mx.records().len();
                    if names == 0 {
                        self.void(&term, name)?;
                    } else if names > MAX_MX_NAMES {
                        return Err(Stop::Perm(
                            PermErrorKind::TooManyMxNames,
                            format!(
                                "`{term}` at {name}: {target} has {names} MX names \
                                 (the limit is {MAX_MX_NAMES})"
                            ),
                        ));
                    }
                }
                MechanismKind::Ptr => {
                    self.count(&term, name)?;
                    self.obs.not_evaluated.push(format!(
                        "`{term}` at {name}: ptr needs the sending address \
                         (and RFC 7208 section 5.5 says not to use it)"
                    ));
                }
                MechanismKind::Exists => {
                    self.count(&term, name)?;
                    let Some(target) = self.target(arg.unwrap_or(""), &term, name) else {
                        continue;
                    };
                    let answer = self.ask(&target, RecordType::A).await;
                    temp_error(&answer)?;
                    if answer.records().is_empty() {
                        self.void(&term, name)?;
                    }
                }
            }
        }
        if let Some(all) = record.all() {
            return Ok(Some(all));
        }
        let Some(spec) = record.redirect.as_deref() else {
            // Neither `all` nor `redirect`: the result is neutral.
            return Ok(None);
        };
        let term = format!("redirect={spec}");
        self.count(&term, name)?;
        let Some(target) = self.target(spec, &term, name) else {
            return Ok(None);
        };
        self.no_loop(&target, &term, name)?;
        let (child, outcome) = self.evaluate(target, SpfVia::Redirect).await;
        node.children.push(child);
        outcome
    }

    /// The one SPF record at `name` (section 4.5), its TXT lookup kept.
    async fn select(&mut self, name: &str, via: SpfVia) -> Result<String, Stop> {
        let answer = self.ask(name, RecordType::Txt).await;
        let texts: Vec<String> = answer.texts().map(str::to_owned).collect();
        let spf: Vec<String> = texts.iter().filter(|t| is_spf(t)).cloned().collect();
        if via == SpfVia::Top {
            self.obs.txt_records = texts;
            self.obs.spf_records = spf.clone();
        }
        temp_error(&answer)?;
        match spf.len() {
            1 => Ok(spf.into_iter().next().unwrap_or_default()),
            0 if via == SpfVia::Top => Err(Stop::NoRecordAtTop),
            0 => {
                let how = if via == SpfVia::Include {
                    "include"
                } else {
                    "redirect"
                };
                if answer.records().is_empty() {
                    self.void(&format!("{how}:{name}"), name)?;
                }
                let why = match &answer.outcome {
                    Err(failure) => failure.to_string(),
                    Ok(_) => "no v=spf1 record".into(),
                };
                Err(Stop::Perm(
                    PermErrorKind::NoRecordAtTarget,
                    format!("{how} target {name} has no SPF record ({why})"),
                ))
            }
            n => Err(Stop::Perm(
                PermErrorKind::MultipleRecords,
                format!("{name} has {n} SPF records"),
            )),
        }
    }
}

/// A failure other than NXDOMAIN or no data is a TempError.
fn temp_error(answer: &Answer) -> Result<(), Stop> {
    match &answer.outcome {
        Err(failure) if !failure.is_empty_answer() => Err(Stop::Temp(format!(
            "{} {}: {failure}",
            answer.rtype, answer.name
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests;
