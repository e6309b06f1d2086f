//! rate: in progress (issue 4).
