//! Rules for a domain's mail (MAIL-001…013), judged from what the agent's
//! domain checks observed, one file per group: `spf` (MAIL-001/002/012),
//! `policy` (DMARC, DKIM, TLS-RPT and lock-down: MAIL-003…006, 010, 011)
//! and `route` (MX STARTTLS and TLS, MTA-STS, DCB1596: MAIL-007/008/009/013).

pub mod policy;
pub mod route;
pub mod spf;
