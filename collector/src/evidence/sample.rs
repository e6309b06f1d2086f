//! The auditor's sample: `--sample N --seed K` picks N hosts so that
//! anyone with the host list and the seed picks the same ones, without
//! this program.
//!
//! The algorithm (also written into the pack's method statement):
//! 1. the population is the assessed hosts' names, deduplicated and sorted
//!    by their UTF-8 bytes (the pack's `hosts.txt`, one per line);
//! 2. SplitMix64 seeded with K: `state += 0x9E3779B97F4A7C15;
//!    z = state; z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
//!    z = (z ^ (z >> 27)) * 0x94D049BB133111EB; output z ^ (z >> 31)`,
//!    all arithmetic modulo 2^64;
//! 3. a partial Fisher-Yates shuffle: for i in 0..N, with `b = len - i`,
//!    draw outputs until one, r, is below `2^64 - (2^64 mod b)` (so
//!    `r mod b` is unbiased), then swap positions i and `i + r mod b`;
//! 4. the sample is positions 0..N, in that order.

/// Steele, Lea and Flood's SplitMix64 (2014): tiny, fully specified, and
/// in every language's reach, which is what an auditor needs here.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64 { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..bound` (bound > 0), by rejection.
    fn below(&mut self, bound: u64) -> u64 {
        // 2^64 mod bound: the outputs at the top that would bias `r % bound`.
        let rem = (u64::MAX % bound + 1) % bound;
        // An output is rejected with probability below bound / 2^64, so
        // 64 rejections in a row never happen for a host count; the bound
        // only keeps the loop finite whatever the generator does.
        for _ in 0..64 {
            let r = self.next_u64();
            if rem == 0 || r < 0u64.wrapping_sub(rem) {
                return r % bound;
            }
        }
        self.next_u64() % bound
    }
}

/// The sorted, deduplicated population the sample is drawn from.
pub fn population<'a>(hosts: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let set: std::collections::BTreeSet<&str> = hosts.into_iter().collect();
    set.into_iter().map(str::to_owned).collect()
}

/// `n` hosts of `population` (already sorted) chosen with `seed`; all of
/// them, shuffled, when `n` is larger.
pub fn select(population: &[String], n: usize, seed: u64) -> Vec<String> {
    let mut hosts = population.to_vec();
    let n = n.min(hosts.len());
    let mut rng = SplitMix64::new(seed);
    for i in 0..n {
        let bound = (hosts.len() - i) as u64;
        let j = i + rng.below(bound) as usize;
        hosts.swap(i, j);
    }
    hosts.truncate(n);
    hosts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("host-{i:02}")).collect()
    }

    #[test]
    fn splitmix64_gives_the_published_outputs() {
        // The reference implementation's first outputs from seed 0.
        let mut rng = SplitMix64::new(0);
        assert_eq!(rng.next_u64(), 0xe220_a839_7b1d_cdaf);
        assert_eq!(rng.next_u64(), 0x6e78_9e6a_a1b9_65f4);
    }

    #[test]
    fn the_documented_vector_holds() {
        // Written into the method statement so an auditor can check their
        // own implementation against it.
        assert_eq!(select(&hosts(10), 3, 42), ["host-03", "host-02", "host-04"]);
        assert_eq!(select(&hosts(10), 3, 43), ["host-00", "host-08", "host-09"]);
    }

    #[test]
    fn the_same_seed_gives_the_same_hosts_and_another_seed_others() {
        let population = hosts(50);
        let a = select(&population, 5, 7);
        assert_eq!(a, select(&population, 5, 7));
        assert_ne!(a, select(&population, 5, 8));
        let unique: std::collections::BTreeSet<&String> = a.iter().collect();
        assert_eq!(unique.len(), 5);
    }

    #[test]
    fn a_sample_larger_than_the_population_takes_everyone() {
        let mut all = select(&hosts(4), 10, 1);
        all.sort();
        assert_eq!(all, hosts(4));
        assert!(select(&[], 3, 1).is_empty());
    }

    #[test]
    fn the_population_is_sorted_and_unique() {
        assert_eq!(population(["b", "a", "b", "c"]), ["a", "b", "c"]);
    }
}
