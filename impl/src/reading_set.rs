//! The window function `f` (spec §5.2): a set of meter-signed readings of one window, with
//! de-duplication, the equivocation rule and per-prosumer totals.
//!
//! > A reading is identified by `(meter, slot)`, never by its signature bytes. Two valid
//! > readings of one `(meter, slot)` with different values void that slot (it counts zero)
//! > and flag the meter. The totals depend only on the set of readings, never on the order
//! > in which they were added. (INV-COUNT-001, INV-CONFLUENCE-001)
//!
//! One type serves the node's input set, the contract's dispute evidence and the fraud
//! proof, so the function is written exactly once.

use std::collections::{BTreeMap, BTreeSet};

use alloy_primitives::{Address, B256};
use serde::{Deserialize, Serialize};

use crate::crypto::{Recover, SignatureError};
use crate::eip712::{chain_root, leaf, Domain};
use crate::params::{Params, ProsumerIndex, MAX_READING_WH};
use crate::types::SignedReading;

/// Why a reading was refused. Each variant names one problem.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, thiserror::Error, Serialize)]
pub enum ReadingError {
    #[error(
        "reading was signed for chain {chain_id} / contract {contract}, not this one (replayed)"
    )]
    WrongDomain { chain_id: u64, contract: Address },
    #[error("bad signature: {0}")]
    BadSignature(SignatureError),
    #[error("signature recovers to {recovered}, not to the claimed meter {claimed} (forged)")]
    SignerMismatch {
        claimed: Address,
        recovered: Address,
    },
    #[error("meter {0} is not registered in this contract")]
    UnregisteredMeter(Address),
    #[error("reading values ({produced} Wh, {consumed} Wh) exceed the per-interval limit")]
    ValueTooLarge { produced: u64, consumed: u64 },
    #[error("slot {slot} lies outside every window of this contract")]
    OutsideContract { slot: u64 },
    #[error("slot {slot} is not in window {window}")]
    OutOfWindow { slot: u64, window: u32 },
    #[error("slot {slot} ends at {ends_at}, after the current time {now}")]
    FromTheFuture { slot: u64, ends_at: u64, now: u64 },
    #[error("window {window} of slot {slot} is already final")]
    WindowFinal { slot: u64, window: u32 },
    #[error("an identical reading is already held")]
    Duplicate,
}

/// Checks everything about a reading that does not depend on who holds it: value bounds,
/// registered meter, signature (low-s, recovers to the claimed meter), and that its slot
/// lies in `window`. Returns the meter's prosumer index.
pub fn validate_reading<R: Recover>(
    params: &Params,
    domain: &Domain,
    recover: &R,
    sr: &SignedReading,
    window: u32,
) -> Result<ProsumerIndex, ReadingError> {
    let r = &sr.reading;
    if r.produced_wh > MAX_READING_WH || r.consumed_wh > MAX_READING_WH {
        return Err(ReadingError::ValueTooLarge {
            produced: r.produced_wh,
            consumed: r.consumed_wh,
        });
    }
    let meter = params
        .meter_index(&r.meter)
        .ok_or(ReadingError::UnregisteredMeter(r.meter))?;
    let recovered = recover
        .recover(&domain.reading_digest(r), &sr.signature)
        .map_err(ReadingError::BadSignature)?;
    if recovered != r.meter {
        return Err(ReadingError::SignerMismatch {
            claimed: r.meter,
            recovered,
        });
    }
    match params.window_of_slot(r.slot) {
        None => Err(ReadingError::OutsideContract { slot: r.slot }),
        Some(w) if w != window => Err(ReadingError::OutOfWindow {
            slot: r.slot,
            window,
        }),
        Some(_) => Ok(meter),
    }
}

/// All readings held for one `(meter, slot)`, each with its leaf, sorted by leaf.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SlotEntry {
    pub readings: Vec<(B256, SignedReading)>,
    /// True once two readings with different values were seen: the slot counts zero.
    pub void: bool,
}

/// What adding a reading did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Added {
    /// First reading for its `(meter, slot)`: it now counts.
    New,
    /// Same values as a reading already held, under another signature: nothing changes
    /// in the totals, but the set (and so its root) grows.
    SameValues,
    /// Conflicting values: the slot is now void and the meter flagged.
    Equivocation,
    /// The slot was already void; the extra evidence changes nothing in the totals.
    AlreadyVoid,
}

/// A canonical set of validated readings of one window and its totals.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ReadingSet {
    window: u32,
    entries: BTreeMap<(ProsumerIndex, u64), SlotEntry>,
    produced: Vec<u64>,
    consumed: Vec<u64>,
    flagged: BTreeSet<ProsumerIndex>,
    len: usize,
}

impl ReadingSet {
    pub fn new(window: u32, prosumers: usize) -> Self {
        Self {
            window,
            entries: BTreeMap::new(),
            produced: vec![0; prosumers],
            consumed: vec![0; prosumers],
            flagged: BTreeSet::new(),
            len: 0,
        }
    }

    pub fn window(&self) -> u32 {
        self.window
    }

    /// Number of distinct signed readings held.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn produced(&self) -> &[u64] {
        &self.produced
    }

    pub fn consumed(&self) -> &[u64] {
        &self.consumed
    }

    /// Meters caught signing two different readings for one slot.
    pub fn flagged_meters(&self) -> &BTreeSet<ProsumerIndex> {
        &self.flagged
    }

    /// Whether this exact signed reading is held.
    pub fn contains(&self, meter: ProsumerIndex, sr: &SignedReading) -> bool {
        let l = leaf(sr);
        self.entries
            .get(&(meter, sr.reading.slot))
            .is_some_and(|e| e.readings.binary_search_by(|(x, _)| x.cmp(&l)).is_ok())
    }

    /// Whether the signed reading with this leaf is held.
    pub fn contains_leaf(&self, meter: ProsumerIndex, slot: u64, l: &B256) -> bool {
        self.entries
            .get(&(meter, slot))
            .is_some_and(|e| e.readings.binary_search_by(|(x, _)| x.cmp(l)).is_ok())
    }

    /// Whether any reading for `(meter, slot)` is held.
    pub fn has_slot(&self, meter: ProsumerIndex, slot: u64) -> bool {
        self.entries.contains_key(&(meter, slot))
    }

    /// Adds a reading already checked by [`validate_reading`] for this window.
    /// Returns `Err(Duplicate)` for an identical signed reading (set semantics).
    pub fn add(&mut self, meter: ProsumerIndex, sr: SignedReading) -> Result<Added, ReadingError> {
        let l = leaf(&sr);
        let (p, c) = sr.reading.values();
        let entry = self
            .entries
            .entry((meter, sr.reading.slot))
            .or_insert_with(|| SlotEntry {
                readings: Vec::new(),
                void: false,
            });
        let pos = match entry.readings.binary_search_by(|(x, _)| x.cmp(&l)) {
            Ok(_) if crate::mutant::active(crate::mutant::Mutant::CountDuplicateReading) => {
                self.produced[meter] += p;
                self.consumed[meter] += c;
                return Ok(Added::New);
            }
            Ok(_) => return Err(ReadingError::Duplicate),
            Err(pos) => pos,
        };
        let outcome = if entry.readings.is_empty() {
            self.produced[meter] += p;
            self.consumed[meter] += c;
            Added::New
        } else if entry.void {
            Added::AlreadyVoid
        } else if entry.readings[0].1.reading.values() == (p, c) {
            Added::SameValues
        } else {
            // INV-COUNT-001: the slot's first values are taken back out; it counts zero.
            let (p0, c0) = entry.readings[0].1.reading.values();
            self.produced[meter] -= p0;
            self.consumed[meter] -= c0;
            entry.void = true;
            self.flagged.insert(meter);
            Added::Equivocation
        };
        entry.readings.insert(pos, (l, sr));
        self.len += 1;
        Ok(outcome)
    }

    /// Every held reading in canonical order: by meter index, slot, then leaf.
    pub fn iter(&self) -> impl Iterator<Item = (ProsumerIndex, &SignedReading)> + '_ {
        self.entries
            .iter()
            .flat_map(|((m, _), e)| e.readings.iter().map(move |(_, sr)| (*m, sr)))
    }

    /// Every held reading with its leaf, in canonical order.
    pub fn leaves(&self) -> impl Iterator<Item = (ProsumerIndex, B256, &SignedReading)> + '_ {
        self.entries
            .iter()
            .flat_map(|((m, _), e)| e.readings.iter().map(move |(l, sr)| (*m, *l, sr)))
    }

    /// The readings root of spec §4.4: the hash chain over the canonical order.
    pub fn root(&self) -> B256 {
        self.leaves()
            .fold(B256::ZERO, |root, (_, l, _)| chain_root(root, l))
    }

    /// For each meter, the slots held, as a bitmap over the window's slots (spec §6.3,
    /// the inventory message).
    pub fn inventory(&self, params: &Params) -> Vec<Vec<u64>> {
        let range = params.slot_range(self.window);
        let words = (params.slots_per_window as usize).div_ceil(64);
        let mut bits = vec![vec![0u64; words]; self.produced.len()];
        for (m, slot) in self.entries.keys() {
            let i = (slot - range.start) as usize;
            bits[*m][i / 64] |= 1 << (i % 64);
        }
        bits
    }

    /// The readings a peer lacks according to its inventory. Void slots are always sent
    /// in full: a peer that holds one side of an equivocation must learn the other.
    pub fn missing_from(&self, params: &Params, inventory: &[Vec<u64>]) -> Vec<SignedReading> {
        let start = params.slot_range(self.window).start;
        let has = |m: usize, slot: u64| -> bool {
            let i = (slot - start) as usize;
            inventory
                .get(m)
                .and_then(|w| w.get(i / 64))
                .is_some_and(|w| w & (1 << (i % 64)) != 0)
        };
        self.entries
            .iter()
            .filter(|((m, slot), e)| e.void || !has(*m, *slot))
            .flat_map(|(_, e)| e.readings.iter().map(|(_, sr)| *sr))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{Secp256k1, SecretKey};
    use crate::eip712::sign_reading;
    use crate::types::Reading;

    pub(crate) fn two_meter_params(keys: &[SecretKey]) -> Params {
        Params {
            chain_id: 1,
            contract: Address::repeat_byte(0xcc),
            start: 0,
            slot_secs: 900,
            slots_per_window: 4,
            windows: 2,
            nodes: vec![Address::repeat_byte(1), Address::repeat_byte(2)],
            meters: keys.iter().map(|k| k.address()).collect(),
            wallets: vec![Address::repeat_byte(3), Address::repeat_byte(4)],
            deposits: vec![1000, 1000],
            bond: 10,
            price_wei_per_wh: 1,
            dust_recipient: Address::repeat_byte(5),
            collect_period: 900,
            sign_period: 900,
            challenge_period: 0,
            dispute_period: 1800,
            slash_period: 900,
        }
    }

    fn setup() -> (Params, Domain, Vec<SecretKey>) {
        let keys = vec![SecretKey::from_label("m0"), SecretKey::from_label("m1")];
        let p = two_meter_params(&keys);
        let d = Domain::of(&p);
        (p, d, keys)
    }

    fn reading(k: &SecretKey, slot: u64, p: u64, c: u64) -> Reading {
        Reading {
            meter: k.address(),
            slot,
            produced_wh: p,
            consumed_wh: c,
        }
    }

    #[test]
    fn validation_names_each_problem() {
        let (p, d, keys) = setup();
        let rec = Secp256k1::new();
        let good = sign_reading(&keys[0], &d, reading(&keys[0], 1, 5, 6));
        assert_eq!(validate_reading(&p, &d, &rec, &good, 0), Ok(0));
        assert_eq!(
            validate_reading(&p, &d, &rec, &good, 1),
            Err(ReadingError::OutOfWindow { slot: 1, window: 1 })
        );
        // Forged: meter 1's key signs a reading claiming meter 0.
        let forged = sign_reading(&keys[1], &d, reading(&keys[0], 1, 5, 6));
        assert!(matches!(
            validate_reading(&p, &d, &rec, &forged, 0),
            Err(ReadingError::SignerMismatch { .. })
        ));
        // Replayed from another contract: its signature recovers to someone else here.
        let other = Domain::new(1, Address::repeat_byte(0xdd));
        let replay = sign_reading(&keys[0], &other, reading(&keys[0], 1, 5, 6));
        assert!(matches!(
            validate_reading(&p, &d, &rec, &replay, 0),
            Err(ReadingError::SignerMismatch { .. })
        ));
        let mut mall = good;
        mall.signature = good.signature.malleate();
        assert_eq!(
            validate_reading(&p, &d, &rec, &mall, 0),
            Err(ReadingError::BadSignature(SignatureError::HighS))
        );
        let stranger = SecretKey::from_label("stranger");
        let unreg = sign_reading(&stranger, &d, reading(&stranger, 1, 5, 6));
        assert_eq!(
            validate_reading(&p, &d, &rec, &unreg, 0),
            Err(ReadingError::UnregisteredMeter(stranger.address()))
        );
        let huge = sign_reading(&keys[0], &d, reading(&keys[0], 1, MAX_READING_WH + 1, 0));
        assert!(matches!(
            validate_reading(&p, &d, &rec, &huge, 0),
            Err(ReadingError::ValueTooLarge { .. })
        ));
        let outside = sign_reading(&keys[0], &d, reading(&keys[0], 8, 1, 1));
        assert_eq!(
            validate_reading(&p, &d, &rec, &outside, 1),
            Err(ReadingError::OutsideContract { slot: 8 })
        );
    }

    #[test]
    fn equivocation_voids_the_slot_whatever_the_order() {
        let (_, d, keys) = setup();
        let a = sign_reading(&keys[0], &d, reading(&keys[0], 0, 10, 1));
        let b = sign_reading(&keys[0], &d, reading(&keys[0], 0, 99, 1));
        let c = sign_reading(&keys[0], &d, reading(&keys[0], 1, 7, 2));
        let mut s1 = ReadingSet::new(0, 2);
        assert_eq!(s1.add(0, a), Ok(Added::New));
        assert_eq!(s1.add(0, c), Ok(Added::New));
        assert_eq!(s1.add(0, b), Ok(Added::Equivocation));
        let mut s2 = ReadingSet::new(0, 2);
        for r in [b, c, a] {
            s2.add(0, r).unwrap();
        }
        assert_eq!(s1, s2);
        assert_eq!(s1.produced(), &[7, 0]);
        assert_eq!(s1.consumed(), &[2, 0]);
        assert!(s1.flagged_meters().contains(&0));
        assert_eq!(s1.add(0, a), Err(ReadingError::Duplicate));
    }

    #[test]
    fn inventory_round_trip_finds_exactly_the_missing_readings() {
        let (p, d, keys) = setup();
        let mut full = ReadingSet::new(0, 2);
        let mut part = ReadingSet::new(0, 2);
        for slot in 0..4 {
            for (m, k) in keys.iter().enumerate() {
                let r = sign_reading(k, &d, reading(k, slot, slot, 1));
                full.add(m, r).unwrap();
                if slot % 2 == 0 {
                    part.add(m, r).unwrap();
                }
            }
        }
        let missing = full.missing_from(&p, &part.inventory(&p));
        assert_eq!(missing.len(), 4);
        for r in missing {
            let m = p.meter_index(&r.reading.meter).unwrap();
            part.add(m, r).unwrap();
        }
        assert_eq!(part, full);
        assert_eq!(part.root(), full.root());
        assert!(full.missing_from(&p, &full.inventory(&p)).is_empty());
    }
}
