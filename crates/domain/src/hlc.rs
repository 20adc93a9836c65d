//! Hybrid logical clock: wall-clock milliseconds plus a counter, tie-broken by
//! device id. Timestamps order causally even when desktop clocks disagree, and
//! their text form sorts the same way as the values.

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Hlc {
    pub millis: u64,
    pub counter: u32,
    pub device: String,
}

impl Ord for Hlc {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.millis, self.counter, &self.device).cmp(&(other.millis, other.counter, &other.device))
    }
}

impl PartialOrd for Hlc {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Hlc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:015}-{:06}-{}", self.millis, self.counter, self.device)
    }
}

impl FromStr for Hlc {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.splitn(3, '-');
        let bad = || format!("'{s}' is not a hybrid logical clock timestamp");
        let millis = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let counter = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let device = parts.next().filter(|d| !d.is_empty()).ok_or_else(bad)?;
        Ok(Hlc {
            millis,
            counter,
            device: device.to_string(),
        })
    }
}

/// The clock of one device. `tick` for local events, `observe` for remote ones.
#[derive(Debug, Clone)]
pub struct HlcClock {
    device: String,
    millis: u64,
    counter: u32,
}

impl HlcClock {
    pub fn new(device: impl Into<String>) -> Self {
        HlcClock {
            device: device.into(),
            millis: 0,
            counter: 0,
        }
    }

    /// Resume from the last timestamp this device issued (kept in the store),
    /// so a restart with a clock that went backwards never reissues a stamp.
    pub fn resume(device: impl Into<String>, last: Option<&Hlc>) -> Self {
        let mut c = HlcClock::new(device);
        if let Some(h) = last {
            c.millis = h.millis;
            c.counter = h.counter;
        }
        c
    }

    /// Moves the clock up to `last`, this device's latest stamp as another
    /// connection to the same store wrote it, so stamps stay increasing
    /// across every connection and process that writes the store.
    pub fn catch_up(&mut self, last: &Hlc) {
        if (last.millis, last.counter) > (self.millis, self.counter) {
            self.millis = last.millis;
            self.counter = last.counter;
        }
    }

    pub fn device(&self) -> &str {
        &self.device
    }

    pub fn tick(&mut self, wall_millis: u64) -> Hlc {
        if wall_millis > self.millis {
            self.millis = wall_millis;
            self.counter = 0;
        } else {
            self.counter += 1;
        }
        self.current()
    }

    /// Merge a timestamp received from another device.
    pub fn observe(&mut self, remote: &Hlc, wall_millis: u64) -> Hlc {
        let top = wall_millis.max(self.millis).max(remote.millis);
        self.counter = if top == self.millis && top == remote.millis {
            self.counter.max(remote.counter) + 1
        } else if top == self.millis {
            self.counter + 1
        } else if top == remote.millis {
            remote.counter + 1
        } else {
            0
        };
        self.millis = top;
        self.current()
    }

    fn current(&self) -> Hlc {
        Hlc {
            millis: self.millis,
            counter: self.counter,
            device: self.device.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ticks_are_strictly_increasing_even_when_the_wall_clock_goes_back() {
        let mut c = HlcClock::new("a");
        let t1 = c.tick(1000);
        let t2 = c.tick(900);
        let t3 = c.tick(1000);
        assert!(t1 < t2 && t2 < t3);
    }

    #[test]
    fn observing_a_future_stamp_moves_past_it() {
        let mut c = HlcClock::new("a");
        let remote = Hlc {
            millis: 5000,
            counter: 7,
            device: "b".into(),
        };
        let t = c.observe(&remote, 10);
        assert!(t > remote);
        assert!(c.tick(10) > t);
    }

    proptest! {
        #[test]
        fn text_form_sorts_like_the_value(a in 0u64..10_000_000_000_000, ac in 0u32..999_999,
                                           b in 0u64..10_000_000_000_000, bc in 0u32..999_999) {
            let x = Hlc { millis: a, counter: ac, device: "dev1".into() };
            let y = Hlc { millis: b, counter: bc, device: "dev1".into() };
            prop_assert_eq!(x.cmp(&y), x.to_string().cmp(&y.to_string()));
            prop_assert_eq!(x.to_string().parse::<Hlc>().unwrap(), x);
        }
    }
}
