//! Rules for a domain's mail records, judged from what the DNS lookups of
//! the domain checks observed. `policy` covers DMARC, DKIM, TLS-RPT and the
//! lock-down of domains that send no mail.

pub mod policy;
