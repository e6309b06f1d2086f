//! sweep: in progress (issue 4).
