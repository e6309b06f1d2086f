//! The progress bar of a long `scan`: endpoints done of the total, time
//! elapsed and the estimate left, on stderr.
//!
//! It is drawn only for a person watching: stderr must be a terminal (a
//! pipeline's logs would fill with redraws) and there must be more than one
//! endpoint (one endpoint finishes within its timeout and needs no bar).

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::discover::Progress;

/// The fewest endpoints that get a bar.
pub const MIN_TARGETS: usize = 2;

/// Whether a scan of `targets` endpoints shows a bar.
pub fn wanted(stderr_is_terminal: bool, targets: usize) -> bool {
    stderr_is_terminal && targets >= MIN_TARGETS
}

/// A bar for `total` endpoints on stderr, redrawn at most ten times a
/// second. The caller owns it: it draws only when advanced.
pub fn bar(total: usize) -> ProgressBar {
    let bar =
        ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr_with_hz(10));
    // The template is a constant (tested below); the fallback keeps the
    // library free of panics all the same.
    bar.set_style(style().unwrap_or_else(|_| ProgressStyle::default_bar()));
    // Ticks keep the elapsed time moving while a slow endpoint holds the
    // count still.
    bar.enable_steady_tick(Duration::from_millis(250));
    bar
}

/// A bar for a domain scan: domains checked of the total.
pub fn domain_bar(total: usize) -> ProgressBar {
    let bar = bar(total);
    bar.set_style(domain_style().unwrap_or_else(|_| ProgressStyle::default_bar()));
    bar
}

fn domain_style() -> Result<ProgressStyle, indicatif::style::TemplateError> {
    Ok(ProgressStyle::with_template(DOMAIN_TEMPLATE)?.progress_chars("=> "))
}

const DOMAIN_TEMPLATE: &str =
    "{spinner} {pos}/{len} domains [{bar:30}] {elapsed_precise} elapsed, ETA {eta_precise}";

const TEMPLATE: &str =
    "{spinner} {pos}/{len} endpoints [{bar:30}] {elapsed_precise} elapsed, ETA {eta_precise}";

fn style() -> Result<ProgressStyle, indicatif::style::TemplateError> {
    Ok(ProgressStyle::with_template(TEMPLATE)?.progress_chars("=> "))
}

/// A bar for a discovery scan: the sweep's connections, then the
/// identification of open ports; its length is set as each phase reports.
pub fn discovery_bar() -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(10));
    bar.set_style(discovery_style().unwrap_or_else(|_| ProgressStyle::default_bar()));
    bar.enable_steady_tick(Duration::from_millis(250));
    bar
}

/// Moves a [`discovery_bar`] to `p`.
pub fn show_discovery(bar: &ProgressBar, p: Progress) {
    match p {
        Progress::Sweep(s) => {
            bar.set_message("connections");
            bar.set_length(s.total);
            bar.set_position(s.done);
        }
        Progress::Identify { done, total } => {
            bar.set_message("services identified");
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
    }
}

const DISCOVERY_TEMPLATE: &str =
    "{spinner} {pos}/{len} {msg} [{bar:30}] {elapsed_precise} elapsed, ETA {eta_precise}";

fn discovery_style() -> Result<ProgressStyle, indicatif::style::TemplateError> {
    Ok(ProgressStyle::with_template(DISCOVERY_TEMPLATE)?.progress_chars("=> "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_on_a_terminal_with_two_or_more_targets() {
        assert!(wanted(true, 2));
        assert!(wanted(true, 50_000));
        assert!(!wanted(true, 1));
        assert!(!wanted(true, 0));
        assert!(!wanted(false, 2));
        assert!(!wanted(false, 50_000));
    }

    #[test]
    fn template_is_valid() {
        assert!(style().is_ok());
        assert!(discovery_style().is_ok());
        assert!(domain_style().is_ok());
        let bar = bar(3);
        bar.inc(1);
        assert_eq!(bar.position(), 1);
        assert_eq!(bar.length(), Some(3));
        bar.finish_and_clear();
    }
}
