//! rtt: in progress (issue 4).
