//! The protocol's messages (spec §4): readings, meter frames and window results.

use alloy_primitives::{Address, B256};
use serde::{Deserialize, Serialize};

use crate::protocol::crypto::Signature65;

/// One meter's window-to-date registers at the end of one interval (spec §4.2): the energy
/// produced and consumed since the start of the slot's window. They restart at every
/// window, so windows are independent of each other, and a window's latest reading carries
/// its whole energy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Reading {
    pub meter: Address,
    pub slot: u64,
    pub produced_wh: u64,
    pub consumed_wh: u64,
}

impl Reading {
    /// The values that count for `f`: two readings of one `(meter, slot)` agree iff these do.
    pub fn values(&self) -> (u64, u64) {
        (self.produced_wh, self.consumed_wh)
    }
}

/// A reading with its meter's signature over the reading's EIP-712 digest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SignedReading {
    pub reading: Reading,
    pub signature: Signature65,
}

/// What a meter sends on the wire: the signed reading plus the domain it claims to be for,
/// so that a reading replayed from another chain or contract is refused by name before any
/// curve work (spec §4.2; the envelope is off-chain only, like EIP-2718's explicit chain id).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ReadingFrame {
    pub chain_id: u64,
    pub contract: Address,
    pub signed: SignedReading,
}

/// The commitment nodes sign for one window (spec §4.3).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct WindowResult {
    pub window: u32,
    /// Hash of the previous finalised result (the genesis hash for window 0).
    pub prev_hash: B256,
    /// Per-prosumer produced energy in Wh, indexed like `Params::meters`.
    pub produced: Vec<u64>,
    /// Per-prosumer consumed energy in Wh.
    pub consumed: Vec<u64>,
    /// Hash chain over the canonical input set (spec §4.4); zero for dispute outcomes.
    pub readings_root: B256,
}

/// A window result with the node signatures that make it a certificate.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SignedResult {
    pub result: WindowResult,
    pub signature: Signature65,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, rng_seed: proptest::test_runner::RngSeed::Fixed(5), failure_persistence: None, ..ProptestConfig::default() })]

        /// The serde forms of every message round-trip exactly.
        #[test]
        fn messages_round_trip_through_json(
            meter in any::<[u8; 20]>(), slot in any::<u64>(), p in any::<u64>(), c in any::<u64>(),
            sig in proptest::collection::vec(any::<u8>(), 65),
            totals in proptest::collection::vec(any::<u64>(), 0..8), root in any::<[u8; 32]>(),
        ) {
            let signed = SignedReading {
                reading: Reading { meter: Address::from(meter), slot, produced_wh: p, consumed_wh: c },
                signature: Signature65(sig.try_into().unwrap()),
            };
            let back: SignedReading = serde_json::from_str(&serde_json::to_string(&signed).unwrap()).unwrap();
            prop_assert_eq!(back, signed);
            let result = WindowResult {
                window: slot as u32,
                prev_hash: B256::from(root),
                produced: totals.clone(),
                consumed: totals.iter().rev().copied().collect(),
                readings_root: B256::from(root),
            };
            let back: WindowResult = serde_json::from_str(&serde_json::to_string(&result).unwrap()).unwrap();
            prop_assert_eq!(back, result);
        }
    }
}
