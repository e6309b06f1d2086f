//! Which ports a scan touches: a list parsed from an nmap-style spec.
//!
//! A spec is a comma-separated list of items: a port (`22`), a range
//! (`1000-2000`, open-ended `-1024` or `60000-`), every TCP port (`-`,
//! `all` or `1-65535`) or the named set `baseline` (the default: every
//! port a baseline rule looks at, `ports/baseline.rs`). A protocol prefix
//! `T:` or `U:` applies to its item and every item after it, as in nmap:
//! `T:22,80,U:161` is TCP 22 and 80 and UDP 161. Without a prefix, ports
//! are TCP and `baseline` is both its TCP and its UDP ports.
//!
//! `--exclude-ports` takes the same syntax and always wins
//! ([`PortList::without`]). Lists are kept as sorted, merged ranges: the
//! whole TCP space is one pair of numbers, and iterating allocates nothing.

mod baseline;

use std::fmt;
use std::str::FromStr;

/// The highest port number; 0 is not a port one can connect to.
const MAX_PORT: u16 = u16::MAX;

/// Why a port spec was refused; each names the item at fault as typed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortSpecError {
    #[error("the port list is empty: give ports (22,80), ranges (1-1024), `all` or `baseline`")]
    Empty,
    #[error("empty item in port list {spec:?}")]
    EmptyItem { spec: String },
    #[error("port {port} in {token:?} is out of range 1-65535")]
    OutOfRange { port: String, token: String },
    #[error("range {token:?} runs backwards: write the lower port first")]
    Backwards { token: String },
    #[error("{token:?} is not a port, a range (1000-2000), `all` or `baseline`")]
    BadToken { token: String },
    #[error("unknown protocol {prefix:?} in {token:?}: use T: for TCP or U: for UDP")]
    BadProtocol { prefix: String, token: String },
}

/// A set of port numbers of one protocol: sorted, disjoint, non-adjacent
/// inclusive ranges.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PortSet {
    ranges: Vec<(u16, u16)>,
}

impl PortSet {
    /// Normalises arbitrary inclusive ranges (`lo <= hi` each).
    fn from_ranges(mut ranges: Vec<(u16, u16)>) -> PortSet {
        ranges.sort_unstable();
        let mut merged: Vec<(u16, u16)> = Vec::with_capacity(ranges.len());
        for (lo, hi) in ranges {
            match merged.last_mut() {
                // Overlapping or touching the previous range: extend it.
                Some(last) if u32::from(lo) <= u32::from(last.1) + 1 => {
                    last.1 = last.1.max(hi);
                }
                _ => merged.push((lo, hi)),
            }
        }
        PortSet { ranges: merged }
    }

    /// The inclusive ranges, ascending.
    pub fn ranges(&self) -> &[(u16, u16)] {
        &self.ranges
    }

    /// How many ports (at most 65535).
    pub fn len(&self) -> u32 {
        self.ranges
            .iter()
            .map(|&(lo, hi)| u32::from(hi) - u32::from(lo) + 1)
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    pub fn contains(&self, port: u16) -> bool {
        // Ranges are sorted and disjoint: the candidate is the last range
        // starting at or below `port`.
        let i = self.ranges.partition_point(|&(lo, _)| lo <= port);
        i > 0 && port <= self.ranges[i - 1].1
    }

    /// Every port, ascending, without allocating.
    pub fn iter(&self) -> impl Iterator<Item = u16> + Clone + '_ {
        self.ranges.iter().flat_map(|&(lo, hi)| lo..=hi)
    }

    /// The ports of `self` not in `other`.
    pub fn without(&self, other: &PortSet) -> PortSet {
        let mut out = Vec::with_capacity(self.ranges.len());
        let mut cut = other.ranges.iter().peekable();
        for &(lo, hi) in &self.ranges {
            // `next` is the lowest port of this range not yet handled.
            let mut next = u32::from(lo);
            let hi = u32::from(hi);
            // Skip exclusions wholly below this range.
            while cut.next_if(|&&(_, c_hi)| u32::from(c_hi) < next).is_some() {}
            while let Some(&&(c_lo, c_hi)) = cut.peek() {
                let (c_lo, c_hi) = (u32::from(c_lo), u32::from(c_hi));
                if c_lo > hi {
                    break;
                }
                if c_lo > next {
                    out.push((narrow(next), narrow(c_lo - 1)));
                }
                next = c_hi + 1;
                if c_hi > hi {
                    // This exclusion reaches into the next range: keep it.
                    break;
                }
                cut.next();
            }
            if next <= hi {
                out.push((narrow(next), narrow(hi)));
            }
        }
        PortSet { ranges: out }
    }
}

/// Back to a port number; callers only pass values within `1..=MAX_PORT`.
fn narrow(port: u32) -> u16 {
    u16::try_from(port).unwrap_or(MAX_PORT)
}

impl fmt::Display for PortSet {
    /// `21-23,25,80`: parses back to the same set.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, &(lo, hi)) in self.ranges.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if lo == hi {
                write!(f, "{lo}")?;
            } else {
                write!(f, "{lo}-{hi}")?;
            }
        }
        Ok(())
    }
}

/// The TCP ports to sweep and the UDP ports to query (SNMP).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PortList {
    tcp: PortSet,
    udp: PortSet,
}

impl Default for PortList {
    /// The `baseline` set.
    fn default() -> Self {
        PortList::baseline()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    Tcp,
    Udp,
}

impl PortList {
    /// Every port a baseline rule looks at.
    pub fn baseline() -> PortList {
        PortList {
            tcp: PortSet::from_ranges(baseline::TCP.to_vec()),
            udp: PortSet::from_ranges(baseline::UDP.to_vec()),
        }
    }

    /// Every TCP port, 1-65535.
    pub fn all_tcp() -> PortList {
        PortList {
            tcp: PortSet {
                ranges: vec![(1, MAX_PORT)],
            },
            udp: PortSet::default(),
        }
    }

    /// Parses a spec (see the module documentation).
    pub fn parse(spec: &str) -> Result<PortList, PortSpecError> {
        if spec.trim().is_empty() {
            return Err(PortSpecError::Empty);
        }
        let mut tcp = Vec::new();
        let mut udp = Vec::new();
        // The protocol of the last prefix; none yet means "TCP, and both
        // halves of a named set".
        let mut prefix: Option<Protocol> = None;
        for raw in spec.split(',') {
            let token = raw.trim();
            let mut item = token;
            if let Some((p, rest)) = token.split_once(':') {
                prefix = Some(protocol(p.trim(), token)?);
                item = rest.trim();
            }
            if item.is_empty() {
                return Err(PortSpecError::EmptyItem {
                    spec: spec.to_owned(),
                });
            }
            if item.eq_ignore_ascii_case("baseline") {
                if prefix != Some(Protocol::Udp) {
                    tcp.extend_from_slice(baseline::TCP);
                }
                if prefix != Some(Protocol::Tcp) {
                    udp.extend_from_slice(baseline::UDP);
                }
                continue;
            }
            let range = if item.eq_ignore_ascii_case("all") {
                (1, MAX_PORT)
            } else {
                range(item, token)?
            };
            match prefix {
                Some(Protocol::Udp) => udp.push(range),
                _ => tcp.push(range),
            }
        }
        Ok(PortList {
            tcp: PortSet::from_ranges(tcp),
            udp: PortSet::from_ranges(udp),
        })
    }

    /// `include` less `exclude` (exclusions always win), both specs; an
    /// empty or absent `exclude` excludes nothing.
    pub fn from_specs(include: &str, exclude: Option<&str>) -> Result<PortList, PortSpecError> {
        let list = PortList::parse(include)?;
        match exclude.filter(|e| !e.trim().is_empty()) {
            Some(e) => Ok(list.without(&PortList::parse(e)?)),
            None => Ok(list),
        }
    }

    /// The ports of `self` not in `other`, protocol by protocol.
    pub fn without(&self, other: &PortList) -> PortList {
        PortList {
            tcp: self.tcp.without(&other.tcp),
            udp: self.udp.without(&other.udp),
        }
    }

    pub fn tcp(&self) -> &PortSet {
        &self.tcp
    }

    pub fn udp(&self) -> &PortSet {
        &self.udp
    }

    /// True when no port of either protocol is left (e.g. after exclusions).
    pub fn is_empty(&self) -> bool {
        self.tcp.is_empty() && self.udp.is_empty()
    }
}

impl FromStr for PortList {
    type Err = PortSpecError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PortList::parse(s)
    }
}

impl fmt::Display for PortList {
    /// A spec that parses back to the same list: `21-23,80`, or
    /// `T:21-23,80,U:161` when there are UDP ports.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.udp.is_empty() {
            return write!(f, "{}", self.tcp);
        }
        if !self.tcp.is_empty() {
            write!(f, "T:{},", self.tcp)?;
        }
        write!(f, "U:{}", self.udp)
    }
}

fn protocol(prefix: &str, token: &str) -> Result<Protocol, PortSpecError> {
    if prefix.eq_ignore_ascii_case("t") {
        Ok(Protocol::Tcp)
    } else if prefix.eq_ignore_ascii_case("u") {
        Ok(Protocol::Udp)
    } else {
        Err(PortSpecError::BadProtocol {
            prefix: prefix.to_owned(),
            token: token.to_owned(),
        })
    }
}

/// `22`, `1000-2000`, `-1024`, `60000-` or `-` as an inclusive range.
fn range(item: &str, token: &str) -> Result<(u16, u16), PortSpecError> {
    let Some((lo, hi)) = item.split_once('-') else {
        let port = number(item, token)?;
        return Ok((port, port));
    };
    let (lo, hi) = (lo.trim(), hi.trim());
    let lo = if lo.is_empty() { 1 } else { number(lo, token)? };
    let hi = if hi.is_empty() {
        MAX_PORT
    } else {
        number(hi, token)?
    };
    if lo > hi {
        return Err(PortSpecError::Backwards {
            token: token.to_owned(),
        });
    }
    Ok((lo, hi))
}

/// A port number in 1-65535, decimal digits only.
fn number(text: &str, token: &str) -> Result<u16, PortSpecError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PortSpecError::BadToken {
            token: token.to_owned(),
        });
    }
    let out_of_range = || PortSpecError::OutOfRange {
        port: text.to_owned(),
        token: token.to_owned(),
    };
    // Digits only, so the one failure left is overflow.
    match text.parse::<u16>() {
        Ok(0) | Err(_) => Err(out_of_range()),
        Ok(port) => Ok(port),
    }
}

#[cfg(test)]
mod tests;
