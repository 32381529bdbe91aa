//! A deterministic in-process network (spec §10, A-NET-001): messages may be lost,
//! duplicated and reordered (each copy gets its own random delay), all drawn from one seeded
//! ChaCha stream, so a run is reproducible byte for byte.

use std::collections::BTreeMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkConfig {
    /// Probability that a message copy is lost.
    #[serde(default)]
    pub loss: f64,
    /// Probability that a message is delivered twice.
    #[serde(default)]
    pub duplicate: f64,
    /// Each copy is delivered 1..=max_delay ticks after it is sent.
    #[serde(default = "one")]
    pub max_delay: u64,
}

fn one() -> u64 {
    1
}

impl Default for NetworkConfig {
    fn default() -> Self {
        Self {
            loss: 0.0,
            duplicate: 0.0,
            max_delay: 1,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkStats {
    pub sent: u64,
    pub lost: u64,
    pub duplicated: u64,
    pub delivered: u64,
}

pub struct Network<M> {
    config: NetworkConfig,
    rng: ChaCha8Rng,
    queue: BTreeMap<(u64, u64), (usize, M)>,
    seq: u64,
    pub stats: NetworkStats,
}

impl<M: Clone> Network<M> {
    pub fn new(config: NetworkConfig, seed: u64) -> Self {
        Self {
            config,
            rng: ChaCha8Rng::seed_from_u64(seed),
            queue: BTreeMap::new(),
            seq: 0,
            stats: NetworkStats::default(),
        }
    }

    /// Sends `msg` to `dest` at tick `now`.
    pub fn send(&mut self, now: u64, dest: usize, msg: M) {
        self.stats.sent += 1;
        let copies = if self.rng.random_bool(self.config.duplicate) {
            self.stats.duplicated += 1;
            2
        } else {
            1
        };
        for _ in 0..copies {
            if self.rng.random_bool(self.config.loss) {
                self.stats.lost += 1;
                continue;
            }
            let delay = self.rng.random_range(1..=self.config.max_delay.max(1));
            self.seq += 1;
            self.queue
                .insert((now + delay, self.seq), (dest, msg.clone()));
        }
    }

    /// Removes and returns every message due at or before tick `now`, in delivery order.
    pub fn due(&mut self, now: u64) -> Vec<(usize, M)> {
        let later = self.queue.split_off(&(now + 1, 0));
        let due = std::mem::replace(&mut self.queue, later);
        self.stats.delivered += due.len() as u64;
        due.into_values().collect()
    }

    pub fn in_flight(&self) -> usize {
        self.queue.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_schedule() {
        let cfg = NetworkConfig {
            loss: 0.3,
            duplicate: 0.2,
            max_delay: 4,
        };
        let run = |seed| {
            let mut n = Network::new(cfg.clone(), seed);
            for i in 0..200u32 {
                n.send(i as u64 / 10, (i % 7) as usize, i);
            }
            (0..30).flat_map(|t| n.due(t)).collect::<Vec<_>>()
        };
        assert_eq!(run(1), run(1));
        assert_ne!(run(1), run(2));
    }

    #[test]
    fn a_perfect_network_delivers_everything_once_in_order() {
        let mut n = Network::new(NetworkConfig::default(), 0);
        for i in 0..10 {
            n.send(0, 0, i);
        }
        assert!(n.due(0).is_empty());
        assert_eq!(
            n.due(1).into_iter().map(|x| x.1).collect::<Vec<_>>(),
            (0..10).collect::<Vec<_>>()
        );
        assert_eq!(n.in_flight(), 0);
    }

    #[test]
    fn a_lossy_network_loses_about_its_rate() {
        let mut n = Network::new(
            NetworkConfig {
                loss: 0.25,
                duplicate: 0.0,
                max_delay: 3,
            },
            9,
        );
        for i in 0..10_000 {
            n.send(0, 0, i);
        }
        let got = n.due(10).len();
        assert!((7_000..8_000).contains(&got), "delivered {got}");
    }
}
