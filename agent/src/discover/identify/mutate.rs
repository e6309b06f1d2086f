//! Test support shared by the protocol modules' "hostile input never
//! panics" property tests.

/// `good`, cut at `cut` and with `edits` (position, byte) applied.
pub(crate) fn mutate(good: &[u8], cut: usize, edits: &[(usize, u8)]) -> Vec<u8> {
    let mut bytes = good[..cut % (good.len() + 1)].to_vec();
    for &(at, b) in edits {
        if !bytes.is_empty() {
            let n = bytes.len();
            bytes[at % n] = b;
        }
    }
    bytes
}
