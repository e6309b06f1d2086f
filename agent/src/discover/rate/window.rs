//! A sliding one-second window of connection starts, at millisecond
//! resolution, in constant memory whatever the rate.
//!
//! Time is counted in whole milliseconds ("ticks") since the pacer began.
//! A start at tick `k` is admitted only while fewer than `rate` starts were
//! admitted in ticks `k-1000 ..= k`: 1001 ticks, because a real half-open
//! second `[t, t+1s)` touches at most 1001 distinct ticks. Hence the
//! guarantee: in ANY one-second window of real time, at most `rate` starts
//! are admitted. It costs at most a millisecond of throughput per second.

use std::num::NonZeroU32;

/// Ticks a real second can touch.
const SPAN: u64 = 1001;

/// Starts admitted per tick over the last [`SPAN`] ticks.
#[derive(Debug)]
pub(super) struct RateWindow {
    rate: u64,
    /// `counts[t % SPAN]` is the number admitted at tick `t`, for the
    /// ticks `head-1000 ..= head`; older slots have been cleared.
    counts: Box<[u32]>,
    head: u64,
    /// Sum of `counts`.
    sum: u64,
}

impl RateWindow {
    pub(super) fn new(rate: NonZeroU32) -> RateWindow {
        RateWindow {
            rate: u64::from(rate.get()),
            counts: vec![0; SPAN as usize].into_boxed_slice(),
            head: 0,
            sum: 0,
        }
    }

    /// Admits a start at `tick`, or says the earliest tick at which one
    /// could be admitted. Ticks must not go backwards; an earlier one is
    /// taken as the latest seen (admitting later is always safe).
    pub(super) fn try_admit(&mut self, tick: u64) -> Result<(), u64> {
        let tick = tick.max(self.head);
        self.advance(tick);
        if self.sum < self.rate {
            let slot = &mut self.counts[index(tick)];
            // Never overflows: a slot holds at most `rate` <= u32::MAX.
            *slot = slot.saturating_add(1);
            self.sum += 1;
            return Ok(());
        }
        // Full: the window frees up once enough of its oldest ticks slide
        // out. Tick `t` leaves at `t + SPAN`.
        let mut leaving = 0;
        for t in tick.saturating_sub(SPAN - 1)..=tick {
            leaving += u64::from(self.counts[index(t)]);
            if self.sum - leaving < self.rate {
                return Err(t + SPAN);
            }
        }
        // Unreachable: by the last tick everything has left and
        // 0 < rate. Retrying a second later is safe all the same.
        Err(tick + SPAN)
    }

    /// Moves the head to `tick`, clearing the slots of ticks that left.
    fn advance(&mut self, tick: u64) {
        if tick - self.head >= SPAN {
            self.counts.fill(0);
            self.sum = 0;
        } else {
            for t in self.head + 1..=tick {
                let slot = &mut self.counts[index(t)];
                self.sum -= u64::from(*slot);
                *slot = 0;
            }
        }
        self.head = tick;
    }
}

fn index(tick: u64) -> usize {
    // `tick % SPAN` < 1001: fits any usize.
    (tick % SPAN) as usize
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn window(rate: u32) -> RateWindow {
        RateWindow::new(NonZeroU32::new(rate).unwrap())
    }

    #[test]
    fn admits_rate_per_window_then_says_when() {
        let mut w = window(3);
        assert_eq!(w.try_admit(5), Ok(()));
        assert_eq!(w.try_admit(5), Ok(()));
        assert_eq!(w.try_admit(400), Ok(()));
        // Full until tick 5 leaves, at 5 + 1001.
        assert_eq!(w.try_admit(400), Err(1006));
        assert_eq!(w.try_admit(1005), Err(1006));
        assert_eq!(w.try_admit(1006), Ok(()));
        assert_eq!(w.try_admit(1006), Ok(()));
        // Now 400, 1006, 1006: next room when 400 leaves.
        assert_eq!(w.try_admit(1006), Err(1401));
        // A long pause clears everything.
        for _ in 0..3 {
            assert_eq!(w.try_admit(100_000), Ok(()));
        }
        assert_eq!(w.try_admit(100_000), Err(101_001));
    }

    proptest! {
        /// Whatever the attempts, no 1001-tick span (so no real second)
        /// holds more than `rate` admissions; a refusal happens only on a
        /// full window and names the exact tick room appears.
        #[test]
        fn never_more_than_rate_in_any_second(
            rate in 1u32..20,
            steps in prop::collection::vec(0u64..400, 1..300),
        ) {
            let mut w = window(rate);
            let mut tick = 0;
            let mut admitted: Vec<u64> = Vec::new();
            for step in steps {
                tick += step;
                match w.try_admit(tick) {
                    Ok(()) => admitted.push(tick),
                    Err(at) => {
                        prop_assert!(at > tick);
                        let in_window = admitted.iter().filter(|&&a| a + SPAN > tick).count();
                        prop_assert_eq!(in_window as u32, rate);
                        // Exactly at `at` there is room; a tick earlier there is not.
                        let room = |t: u64| admitted.iter().filter(|&&a| a + SPAN > t).count() < rate as usize;
                        prop_assert!(room(at));
                        prop_assert!(!room(at - 1));
                    }
                }
            }
            let r = rate as usize;
            for i in r..admitted.len() {
                prop_assert!(admitted[i] - admitted[i - r] >= SPAN);
            }
        }
    }
}
