//! ports: in progress (issue 4).
