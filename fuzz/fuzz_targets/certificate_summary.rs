//! The agent's certificate summariser on arbitrary DER chains: what a
//! server sends in its Certificate message goes straight into it.

#![no_main]

use libfuzzer_sys::fuzz_target;
use trustwatch_agent::probe::tls::summary::{summarise, summarise_chain};

fuzz_target!(|data: &[u8]| {
    // The input as one certificate, and as a chain split at the offsets
    // its first two bytes choose.
    let _ = summarise(data);
    let Some((&cuts, rest)) = data.split_first() else {
        return;
    };
    let mut chain: Vec<&[u8]> = Vec::new();
    let mut rest = rest;
    for step in [cuts & 0x0f, cuts >> 4] {
        let at = (usize::from(step) * rest.len()) / 16;
        let (head, tail) = rest.split_at(at);
        chain.push(head);
        rest = tail;
    }
    chain.push(rest);
    if let Ok(summaries) = summarise_chain(&chain) {
        assert_eq!(summaries.len(), chain.len());
    }
});
