//! EIP-712 hashing (spec §4.1–§4.4): the domain, the struct hashes of readings and results,
//! the leaf of a signed reading and the readings root.
//!
//! > Every signed object is hashed with EIP-712 under the domain
//! > `{name: "DIVERSITY", version: "2", chainId, verifyingContract}`, so that no signature
//! > made for one chain or contract is valid for another. (INV-REPLAY-001)
//!
//! The struct definitions below are Solidity's: `alloy-sol-types` derives the type hashes
//! from them exactly as the contract's `keccak256(abi.encode(TYPEHASH, …))` does.

use alloy_primitives::{keccak256, Address, B256, U256};
use alloy_sol_types::{Eip712Domain, SolStruct};

use std::cell::RefCell;
use std::collections::HashMap;

use crate::protocol::crypto::Signature65;
use crate::protocol::memo::{memo, Table};
use crate::protocol::params::Params;
use crate::protocol::types::{Reading, SignedReading, WindowResult};

mod abi {
    alloy_sol_types::sol! {
        struct Reading {
            address meter;
            uint64 slot;
            uint64 producedWh;
            uint64 consumedWh;
        }
        struct WindowResult {
            uint32 window;
            bytes32 prevHash;
            uint64[] produced;
            uint64[] consumed;
            bytes32 readingsRoot;
        }
    }
}

pub const DOMAIN_NAME: &str = "DIVERSITY";
/// Version 2: readings carry window-to-date registers and the readings root commits to the
/// deciding set (spec §4.2, §4.4); no version-1 signature is valid here.
pub const DOMAIN_VERSION: &str = "2";

/// The EIP-712 domain of one contract on one chain.
pub fn domain(chain_id: u64, contract: Address) -> Eip712Domain {
    Eip712Domain::new(
        Some(DOMAIN_NAME.into()),
        Some(DOMAIN_VERSION.into()),
        Some(U256::from(chain_id)),
        Some(contract),
        None,
    )
}

/// Precomputed domain separator, so digests cost two keccak calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Domain {
    pub chain_id: u64,
    pub contract: Address,
    pub separator: B256,
}

impl Domain {
    pub fn new(chain_id: u64, contract: Address) -> Self {
        Self {
            chain_id,
            contract,
            separator: domain(chain_id, contract).separator(),
        }
    }

    pub fn of(params: &Params) -> Self {
        Self::new(params.chain_id, params.contract)
    }

    fn signing_hash(&self, struct_hash: B256) -> B256 {
        let mut buf = [0u8; 66];
        buf[0] = 0x19;
        buf[1] = 0x01;
        buf[2..34].copy_from_slice(self.separator.as_slice());
        buf[34..].copy_from_slice(struct_hash.as_slice());
        keccak256(buf)
    }

    /// The digest a meter signs for a reading (memoised per thread, `protocol::memo`).
    pub fn reading_digest(&self, r: &Reading) -> B256 {
        thread_local! {
            static READING: Table<(B256, Reading), B256> = RefCell::new(HashMap::default());
        }
        memo(&READING, &(self.separator, *r), || {
            self.signing_hash(reading_struct_hash(r))
        })
    }

    /// The digest a node signs for a window result (`h_w`); also the value chained as
    /// `prevHash` into the next window (memoised per thread).
    pub fn result_digest(&self, r: &WindowResult) -> B256 {
        // Keyed by the result alone, so a lookup clones nothing; the domain is checked on
        // the way out (one domain per run in practice, several in some tests).
        thread_local! {
            static RESULT: Table<WindowResult, (B256, B256)> = RefCell::new(HashMap::default());
        }
        let (separator, digest) = memo(&RESULT, r, || {
            (self.separator, self.signing_hash(result_struct_hash(r)))
        });
        if separator == self.separator {
            digest
        } else {
            let digest = self.signing_hash(result_struct_hash(r));
            RESULT.with(|t| t.borrow_mut().insert(r.clone(), (self.separator, digest)));
            digest
        }
    }
}

/// `keccak256("Reading(address meter,uint64 slot,uint64 producedWh,uint64 consumedWh)")`.
static READING_TYPEHASH: std::sync::LazyLock<B256> = std::sync::LazyLock::new(|| {
    keccak256("Reading(address meter,uint64 slot,uint64 producedWh,uint64 consumedWh)")
});

/// `keccak256(abi.encode(READING_TYPEHASH, meter, slot, producedWh, consumedWh))`, encoded
/// by hand because it is the hottest hash of a simulation; a test checks it against the
/// `sol!`-derived encoding.
pub fn reading_struct_hash(r: &Reading) -> B256 {
    let mut buf = [0u8; 160];
    buf[..32].copy_from_slice(READING_TYPEHASH.as_slice());
    buf[44..64].copy_from_slice(r.meter.as_slice());
    buf[88..96].copy_from_slice(&r.slot.to_be_bytes());
    buf[120..128].copy_from_slice(&r.produced_wh.to_be_bytes());
    buf[152..160].copy_from_slice(&r.consumed_wh.to_be_bytes());
    keccak256(buf)
}

/// The `sol!`-derived struct hash of a reading, the reference for [`reading_struct_hash`].
pub fn reading_struct_hash_sol(r: &Reading) -> B256 {
    abi::Reading {
        meter: r.meter,
        slot: r.slot,
        producedWh: r.produced_wh,
        consumedWh: r.consumed_wh,
    }
    .eip712_hash_struct()
}

/// `keccak256("WindowResult(uint32 window,bytes32 prevHash,uint64[] produced,uint64[]
/// consumed,bytes32 readingsRoot)")`.
static RESULT_TYPEHASH: std::sync::LazyLock<B256> = std::sync::LazyLock::new(|| {
    keccak256(
        "WindowResult(uint32 window,bytes32 prevHash,uint64[] produced,uint64[] consumed,bytes32 readingsRoot)",
    )
});

/// EIP-712 `encodeData` of a `uint64[]`: the keccak of its elements, each a 32-byte word.
fn uint64_array_hash(xs: &[u64]) -> B256 {
    // Up to MAX_PROSUMERS words on the stack; longer arrays (refused by every check that
    // matters, but hashable) on the heap.
    const STACK: usize = 64;
    if xs.len() <= STACK {
        let mut buf = [0u8; 32 * STACK];
        for (i, x) in xs.iter().enumerate() {
            buf[32 * i + 24..32 * i + 32].copy_from_slice(&x.to_be_bytes());
        }
        keccak256(&buf[..32 * xs.len()])
    } else {
        let mut buf = vec![0u8; 32 * xs.len()];
        for (i, x) in xs.iter().enumerate() {
            buf[32 * i + 24..32 * i + 32].copy_from_slice(&x.to_be_bytes());
        }
        keccak256(&buf)
    }
}

/// The struct hash of a window result, encoded by hand (the second hottest hash of the model
/// checker: every certificate, claim and report is checked against it); a proptest checks it
/// against the `sol!`-derived encoding, [`result_struct_hash_sol`].
pub fn result_struct_hash(r: &WindowResult) -> B256 {
    let mut buf = [0u8; 192];
    buf[..32].copy_from_slice(RESULT_TYPEHASH.as_slice());
    buf[60..64].copy_from_slice(&r.window.to_be_bytes());
    buf[64..96].copy_from_slice(r.prev_hash.as_slice());
    buf[96..128].copy_from_slice(uint64_array_hash(&r.produced).as_slice());
    buf[128..160].copy_from_slice(uint64_array_hash(&r.consumed).as_slice());
    buf[160..192].copy_from_slice(r.readings_root.as_slice());
    keccak256(buf)
}

/// The `sol!`-derived struct hash of a window result, the reference for
/// [`result_struct_hash`].
pub fn result_struct_hash_sol(r: &WindowResult) -> B256 {
    abi::WindowResult {
        window: r.window,
        prevHash: r.prev_hash,
        produced: r.produced.clone(),
        consumed: r.consumed.clone(),
        readingsRoot: r.readings_root,
    }
    .eip712_hash_struct()
}

/// `leaf = keccak256(structHash(reading) ‖ r ‖ s ‖ v)` (spec §4.4): commits to the reading
/// and the exact signature, so a fraud proof can show an invalid signature.
/// Memoised per thread (`protocol::memo`).
pub fn leaf(sr: &SignedReading) -> B256 {
    thread_local! {
        static LEAF: Table<SignedReading, B256> = RefCell::new(HashMap::default());
    }
    memo(&LEAF, sr, || {
        let mut buf = [0u8; 97];
        buf[..32].copy_from_slice(reading_struct_hash(&sr.reading).as_slice());
        buf[32..].copy_from_slice(&sr.signature.0);
        keccak256(buf)
    })
}

/// One step of the readings root: `root' = keccak256(root ‖ leaf)`. A hash chain (not a
/// Merkle tree) so a contract can verify a committed set incrementally, chunk by chunk.
/// Memoised per thread (`protocol::memo`): fraud proofs and reconciliation fold the same
/// few readings again and again.
pub fn chain_root(root: B256, leaf: B256) -> B256 {
    thread_local! {
        static STEP: Table<(B256, B256), B256> = RefCell::new(HashMap::default());
    }
    memo(&STEP, &(root, leaf), || {
        let mut buf = [0u8; 64];
        buf[..32].copy_from_slice(root.as_slice());
        buf[32..].copy_from_slice(leaf.as_slice());
        keccak256(buf)
    })
}

/// `prevHash` of window 0: the domain separator, binding the chain of results to this
/// contract on this chain.
pub fn genesis_hash(params: &Params) -> B256 {
    Domain::of(params).separator
}

/// Signature helpers that keep the digest rules in one place.
pub fn sign_reading(
    key: &crate::protocol::crypto::SecretKey,
    domain: &Domain,
    reading: Reading,
) -> SignedReading {
    SignedReading {
        reading,
        signature: key.sign(&domain.reading_digest(&reading)),
    }
}

pub fn sign_result(
    key: &crate::protocol::crypto::SecretKey,
    domain: &Domain,
    result: &WindowResult,
) -> Signature65 {
    key.sign(&domain.result_digest(result))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::address;

    #[test]
    fn domain_separator_matches_the_eip712_formula() {
        let d = Domain::new(1, address!("00000000000000000000000000000000000000aa"));
        let type_hash = keccak256(
            "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)",
        );
        let mut enc = Vec::new();
        enc.extend_from_slice(type_hash.as_slice());
        enc.extend_from_slice(keccak256(DOMAIN_NAME).as_slice());
        enc.extend_from_slice(keccak256(DOMAIN_VERSION).as_slice());
        enc.extend_from_slice(&U256::from(1).to_be_bytes::<32>());
        let mut a = [0u8; 32];
        a[12..].copy_from_slice(d.contract.as_slice());
        enc.extend_from_slice(&a);
        assert_eq!(d.separator, keccak256(enc));
    }

    #[test]
    fn reading_struct_hash_matches_abi_encode_by_hand() {
        let r = Reading {
            meter: address!("1111111111111111111111111111111111111111"),
            slot: 7,
            produced_wh: 100,
            consumed_wh: 250,
        };
        let th =
            keccak256("Reading(address meter,uint64 slot,uint64 producedWh,uint64 consumedWh)");
        let mut enc = Vec::new();
        enc.extend_from_slice(th.as_slice());
        let mut a = [0u8; 32];
        a[12..].copy_from_slice(r.meter.as_slice());
        enc.extend_from_slice(&a);
        for v in [7u64, 100, 250] {
            enc.extend_from_slice(&U256::from(v).to_be_bytes::<32>());
        }
        assert_eq!(reading_struct_hash(&r), keccak256(enc));
        assert_eq!(reading_struct_hash(&r), reading_struct_hash_sol(&r));
        let max = Reading {
            meter: Address::repeat_byte(0xff),
            slot: u64::MAX,
            produced_wh: u64::MAX,
            consumed_wh: u64::MAX - 1,
        };
        assert_eq!(reading_struct_hash(&max), reading_struct_hash_sol(&max));
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config {
            cases: 256,
            rng_seed: proptest::test_runner::RngSeed::Fixed(712),
            failure_persistence: None,
            ..Default::default()
        })]
        /// The hand encoding is the `sol!` one, for any totals (empty, one, many, over the
        /// stack buffer) and any values.
        #[test]
        fn result_struct_hash_is_the_sol_encoding(
            window in proptest::prelude::any::<u32>(),
            prev in proptest::prelude::any::<[u8; 32]>(),
            root in proptest::prelude::any::<[u8; 32]>(),
            produced in proptest::collection::vec(proptest::prelude::any::<u64>(), 0..70),
            consumed in proptest::collection::vec(proptest::prelude::any::<u64>(), 0..70),
        ) {
            let r = WindowResult {
                window,
                prev_hash: B256::from(prev),
                produced,
                consumed,
                readings_root: B256::from(root),
            };
            proptest::prop_assert_eq!(result_struct_hash(&r), result_struct_hash_sol(&r));
        }
    }

    #[test]
    fn result_struct_hash_encodes_arrays_as_hash_of_concatenation() {
        let r = WindowResult {
            window: 3,
            prev_hash: B256::repeat_byte(0xab),
            produced: vec![1, 2],
            consumed: vec![3, 4],
            readings_root: B256::repeat_byte(0xcd),
        };
        let th = keccak256(
            "WindowResult(uint32 window,bytes32 prevHash,uint64[] produced,uint64[] consumed,bytes32 readingsRoot)",
        );
        let arr = |xs: &[u64]| {
            let mut e = Vec::new();
            for x in xs {
                e.extend_from_slice(&U256::from(*x).to_be_bytes::<32>());
            }
            keccak256(e)
        };
        let mut enc = Vec::new();
        enc.extend_from_slice(th.as_slice());
        enc.extend_from_slice(&U256::from(3).to_be_bytes::<32>());
        enc.extend_from_slice(r.prev_hash.as_slice());
        enc.extend_from_slice(arr(&r.produced).as_slice());
        enc.extend_from_slice(arr(&r.consumed).as_slice());
        enc.extend_from_slice(r.readings_root.as_slice());
        assert_eq!(result_struct_hash(&r), keccak256(enc));
    }

    #[test]
    fn different_domains_give_different_digests() {
        let r = Reading {
            meter: Address::repeat_byte(1),
            slot: 0,
            produced_wh: 1,
            consumed_wh: 1,
        };
        let a = Domain::new(1, Address::repeat_byte(9));
        let b = Domain::new(2, Address::repeat_byte(9));
        let c = Domain::new(1, Address::repeat_byte(8));
        assert_ne!(a.reading_digest(&r), b.reading_digest(&r));
        assert_ne!(a.reading_digest(&r), c.reading_digest(&r));
    }
}
