//! The window function `f` (spec §5.2): a set of meter-signed readings of one window, its
//! deciding set and per-prosumer totals.
//!
//! > A reading carries its meter's window-to-date registers: the energy produced and
//! > consumed from the start of its window to the end of its slot. A meter's total for the
//! > window is decided by its **latest** slot: the least `producedWh` and the greatest
//! > `consumedWh` among the readings of that slot. The totals depend only on the set of
//! > readings, never on the order in which they were added or on how many signatures a
//! > value has. (INV-COUNT-001, INV-CONFLUENCE-001, INV-EQUIV-001)
//!
//! The **deciding set** `B(S)` holds, per meter, the reading of its latest slot with the
//! least produced value and the one with the greatest consumed value (the smallest leaf among
//! ties): at most two readings a meter, whatever the meter signed. It decides the totals
//! (`f(B(S)) = f(S)`), it is what the readings root commits to (§4.4), what a dispute needs
//! on chain (§7.4) and what a fraud proof carries (§7.7). [`Deciding`] is that set, kept
//! incrementally; the node's [`ReadingSet`] holds every reading besides (for inventories)
//! and the contract's dispute evidence is a [`Deciding`] alone, so the rule is written once.

use alloy_primitives::{Address, B256};
use serde::{Deserialize, Serialize};

use crate::protocol::crypto::{Recover, SignatureError};
use crate::protocol::eip712::{chain_root, leaf, Domain};
use crate::protocol::params::{Params, ProsumerIndex};
use crate::protocol::types::SignedReading;

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
    #[error(
        "reading values ({produced} Wh, {consumed} Wh) exceed what one window of intervals can reach"
    )]
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
    let max = params.max_window_wh();
    if r.produced_wh > max || r.consumed_wh > max {
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

/// A signed reading with its leaf (spec §4.4), the tie-breaker of the deciding rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Keyed {
    pub leaf: B256,
    pub signed: SignedReading,
}

impl Keyed {
    pub fn new(signed: SignedReading) -> Self {
        Self {
            leaf: leaf(&signed),
            signed,
        }
    }
}

/// What decides one meter's totals (spec §5.2): among the readings of its latest slot, the one
/// with the least produced value and the one with the greatest consumed value, the smallest
/// leaf winning ties. Both may be the same reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MeterDecider {
    pub least_produced: Keyed,
    pub most_consumed: Keyed,
}

impl MeterDecider {
    fn of(k: Keyed) -> Self {
        Self {
            least_produced: k,
            most_consumed: k,
        }
    }

    /// The meter's latest slot.
    pub fn slot(&self) -> u64 {
        self.least_produced.signed.reading.slot
    }

    /// The meter's totals for the window: `(least produced, greatest consumed)` of its latest
    /// slot.
    pub fn values(&self) -> (u64, u64) {
        (
            self.least_produced.signed.reading.produced_wh,
            self.most_consumed.signed.reading.consumed_wh,
        )
    }

    /// What a contract stores of a meter's evidence: `(slot, produced, consumed)`.
    pub fn state(&self) -> (u64, u64, u64) {
        let (p, c) = self.values();
        (self.slot(), p, c)
    }

    /// The join of the rule: an earlier slot changes nothing, a later one replaces, the same
    /// slot keeps the least produced and the greatest consumed. Commutative, associative and
    /// idempotent, so the result depends only on the set joined (INV-CONFLUENCE-001).
    fn join(&mut self, k: Keyed) {
        let r = k.signed.reading;
        let slot = self.slot();
        if r.slot < slot {
            return;
        }
        if r.slot > slot {
            *self = Self::of(k);
            return;
        }
        let lp = self.least_produced;
        let p0 = lp.signed.reading.produced_wh;
        let better = if crate::protocol::mutant::active(
            crate::protocol::mutant::Mutant::EquivocationFavoursOwner,
        ) {
            Self::favours_owner(&k, &lp)
        } else {
            (r.produced_wh, k.leaf) < (p0, lp.leaf)
        };
        if better {
            self.least_produced = k;
        }
        let mc = self.most_consumed;
        let c0 = mc.signed.reading.consumed_wh;
        if r.consumed_wh > c0 || (r.consumed_wh == c0 && k.leaf < mc.leaf) {
            self.most_consumed = k;
        }
    }

    /// The planted bug `equivocation-favours-owner`: the greatest production decides. Never
    /// used without that mutant, so left out of mutation testing (docs/testing.md).
    #[cfg_attr(mutants, mutants::skip)]
    fn favours_owner(k: &Keyed, lp: &Keyed) -> bool {
        let (p, p0) = (k.signed.reading.produced_wh, lp.signed.reading.produced_wh);
        p > p0 || (p == p0 && k.leaf < lp.leaf)
    }

    /// The one or two deciding readings, in leaf order (canonical within a meter and slot).
    pub fn readings(&self) -> impl Iterator<Item = &Keyed> + '_ {
        let (a, b) = if self.least_produced.leaf <= self.most_consumed.leaf {
            (&self.least_produced, &self.most_consumed)
        } else {
            (&self.most_consumed, &self.least_produced)
        };
        std::iter::once(a).chain((a.leaf != b.leaf).then_some(b))
    }
}

/// The deciding set of one window: at most two readings per meter, whatever was signed
/// (spec §5.2). The contract's dispute evidence is one of these (§7.4).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Deciding {
    window: u32,
    meters: Vec<Option<MeterDecider>>,
}

impl Deciding {
    pub fn new(window: u32, prosumers: usize) -> Self {
        Self {
            window,
            meters: vec![None; prosumers],
        }
    }

    pub fn window(&self) -> u32 {
        self.window
    }

    /// Meter `m`'s decider, if it has any reading.
    pub fn meter(&self, m: ProsumerIndex) -> Option<&MeterDecider> {
        self.meters.get(m).and_then(Option::as_ref)
    }

    /// What the contract stores of meter `m`: `(slot, produced, consumed)` (spec §7.9).
    pub fn state(&self, m: ProsumerIndex) -> Option<(u64, u64, u64)> {
        self.meter(m).map(MeterDecider::state)
    }

    /// The planted bug `evidence-last-wins`: the reading replaces what decided meter `m`
    /// instead of being joined with it. Never used without that mutant, so left out of
    /// mutation testing (docs/testing.md).
    #[cfg_attr(mutants, mutants::skip)]
    pub fn replace(&mut self, m: ProsumerIndex, sr: SignedReading) -> bool {
        let before = self.state(m);
        self.meters[m] = Some(MeterDecider::of(Keyed::new(sr)));
        self.state(m) != before
    }

    /// Joins a reading already checked by [`validate_reading`] for this window. Returns
    /// whether the meter's `(slot, produced, consumed)` changed: what a contract counts as
    /// evidence that mattered.
    pub fn add(&mut self, m: ProsumerIndex, sr: SignedReading) -> bool {
        let before = self.state(m);
        let k = Keyed::new(sr);
        match &mut self.meters[m] {
            Some(d) => d.join(k),
            slot @ None => *slot = Some(MeterDecider::of(k)),
        }
        self.state(m) != before
    }

    /// Whether adding `sr` (for meter `m`) would change what the contract stores: the test an
    /// honest node applies before putting a reading on chain (spec §6.6).
    pub fn would_change(&self, m: ProsumerIndex, sr: &SignedReading) -> bool {
        let mut probe = self.meter(m).copied();
        let before = probe.map(|d| d.state());
        match &mut probe {
            Some(d) => d.join(Keyed::new(*sr)),
            None => return true,
        }
        probe.map(|d| d.state()) != before
    }

    /// Per-prosumer totals `f` (spec §5.2): a meter without readings counts zero.
    pub fn totals(&self) -> (Vec<u64>, Vec<u64>) {
        self.meters
            .iter()
            .map(|d| d.map_or((0, 0), |d| d.values()))
            .unzip()
    }

    /// The deciding readings in canonical order: by meter index, then leaf (one slot a meter).
    pub fn readings(&self) -> impl Iterator<Item = (ProsumerIndex, &Keyed)> + '_ {
        self.meters.iter().enumerate().flat_map(|(m, d)| {
            d.iter()
                .flat_map(move |d| d.readings().map(move |k| (m, k)))
        })
    }

    /// Number of deciding readings (at most two a meter).
    pub fn len(&self) -> usize {
        self.readings().count()
    }

    pub fn is_empty(&self) -> bool {
        self.meters.iter().all(Option::is_none)
    }

    /// The readings root of spec §4.4: the hash chain over the deciding readings.
    pub fn root(&self) -> B256 {
        self.readings()
            .fold(B256::ZERO, |root, (_, k)| chain_root(root, k.leaf))
    }
}

/// What adding a reading did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Added {
    /// First reading for its `(meter, slot)`.
    New,
    /// Same values as a reading already held for its `(meter, slot)`, under another signature.
    SameValues,
    /// Other values than a reading already held for its `(meter, slot)`: the meter
    /// equivocated. The rule takes the values least favourable to its owner (INV-EQUIV-001).
    Equivocation,
}

/// Every validated reading a node holds for one window, with its deciding set and totals.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ReadingSet {
    window: u32,
    /// Every held reading, sorted by meter, slot and leaf: one vector, so that a copy of the
    /// set (a model checker copies it whenever a reading arrives) is one allocation.
    entries: Vec<Entry>,
    deciding: Deciding,
    produced: Vec<u64>,
    consumed: Vec<u64>,
    len: usize,
}

/// One held reading with its place in the set's order: `(meter, slot, leaf)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
struct Entry {
    meter: ProsumerIndex,
    slot: u64,
    leaf: B256,
    signed: SignedReading,
}

impl Entry {
    fn key(&self) -> (ProsumerIndex, u64, &B256) {
        (self.meter, self.slot, &self.leaf)
    }
}

impl ReadingSet {
    pub fn new(window: u32, prosumers: usize) -> Self {
        Self {
            window,
            entries: Vec::new(),
            deciding: Deciding::new(window, prosumers),
            produced: vec![0; prosumers],
            consumed: vec![0; prosumers],
            len: 0,
        }
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

    /// The deciding set `B(S)` of the held readings.
    pub fn deciding(&self) -> &Deciding {
        &self.deciding
    }

    /// Whether this exact signed reading is held. The readings of its slot are compared
    /// themselves, which is what comparing their leaves decides (a leaf commits to the
    /// reading and its exact signature) without hashing one: a model checker asks this of
    /// every reading in flight in every state.
    pub fn contains(&self, meter: ProsumerIndex, sr: &SignedReading) -> bool {
        self.slot(meter, sr.reading.slot)
            .iter()
            .any(|e| e.signed == *sr)
    }

    /// Whether any reading for `(meter, slot)` is held.
    pub fn has_slot(&self, meter: ProsumerIndex, slot: u64) -> bool {
        !self.slot(meter, slot).is_empty()
    }

    /// The readings held for `(meter, slot)`, in leaf order (empty if none).
    fn slot(&self, meter: ProsumerIndex, slot: u64) -> &[Entry] {
        let start = self
            .entries
            .partition_point(|e| (e.meter, e.slot) < (meter, slot));
        let len = self.entries[start..].partition_point(|e| (e.meter, e.slot) == (meter, slot));
        &self.entries[start..start + len]
    }

    /// Adds a reading already checked by [`validate_reading`] for this window.
    /// Returns `Err(Duplicate)` for an identical signed reading (set semantics).
    pub fn add(&mut self, meter: ProsumerIndex, sr: SignedReading) -> Result<Added, ReadingError> {
        let l = leaf(&sr);
        let slot = sr.reading.slot;
        let pos = match self
            .entries
            .binary_search_by(|e| e.key().cmp(&(meter, slot, &l)))
        {
            Ok(_) => {
                if crate::protocol::mutant::active(
                    crate::protocol::mutant::Mutant::CountDuplicateReading,
                ) {
                    self.count_again(meter, &sr);
                    return Ok(Added::New);
                }
                return Err(ReadingError::Duplicate);
            }
            Err(pos) => pos,
        };
        let first = self.slot(meter, slot).first();
        let outcome = match first {
            None => Added::New,
            Some(e) if e.signed.reading.values() == sr.reading.values() => Added::SameValues,
            Some(_) => Added::Equivocation,
        };
        self.entries.insert(
            pos,
            Entry {
                meter,
                slot,
                leaf: l,
                signed: sr,
            },
        );
        self.len += 1;
        if self.deciding.add(meter, sr) {
            let (p, c) = self.deciding.meter(meter).expect("just added").values();
            self.produced[meter] = p;
            self.consumed[meter] = c;
        }
        Ok(outcome)
    }

    /// The planted bug `count-duplicate-reading`: a duplicate's values are counted again.
    /// Never used without that mutant, so left out of mutation testing (docs/testing.md).
    #[cfg_attr(mutants, mutants::skip)]
    fn count_again(&mut self, meter: ProsumerIndex, sr: &SignedReading) {
        self.produced[meter] += sr.reading.produced_wh;
        self.consumed[meter] += sr.reading.consumed_wh;
    }

    /// Every held reading in canonical order: by meter index, slot, then leaf.
    pub fn iter(&self) -> impl Iterator<Item = (ProsumerIndex, &SignedReading)> + '_ {
        self.entries.iter().map(|e| (e.meter, &e.signed))
    }

    /// The readings root of spec §4.4: the hash chain over the deciding set.
    pub fn root(&self) -> B256 {
        self.deciding.root()
    }

    /// For each meter, the slots held, as a bitmap over the window's slots (spec §6.3,
    /// the inventory message).
    pub fn inventory(&self, params: &Params) -> Vec<Vec<u64>> {
        let range = params.slot_range(self.window);
        let words = (params.slots_per_window as usize).div_ceil(64);
        let mut bits = vec![vec![0u64; words]; self.produced.len()];
        for e in &self.entries {
            let i = (e.slot - range.start) as usize;
            bits[e.meter][i / 64] |= 1 << (i % 64);
        }
        bits
    }

    /// The readings a peer lacks according to its inventory. Equivocated slots (two values)
    /// are always sent in full: a peer that holds one side of an equivocation must learn the
    /// other, or the two would decide the meter differently.
    pub fn missing_from(&self, params: &Params, inventory: &[Vec<u64>]) -> Vec<SignedReading> {
        let start = params.slot_range(self.window).start;
        let has = |m: usize, slot: u64| -> bool {
            let i = (slot - start) as usize;
            inventory
                .get(m)
                .and_then(|w| w.get(i / 64))
                .is_some_and(|w| w & (1 << (i % 64)) != 0)
        };
        let equivocated = |e: &[Entry]| {
            e.iter()
                .any(|r| r.signed.reading.values() != e[0].signed.reading.values())
        };
        self.entries
            .chunk_by(|a, b| (a.meter, a.slot) == (b.meter, b.slot))
            .filter(|e| equivocated(e) || !has(e[0].meter, e[0].slot))
            .flat_map(|e| e.iter().map(|r| r.signed))
            .collect()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::protocol::crypto::{Secp256k1, SecretKey};
    use crate::protocol::eip712::sign_reading;
    use crate::protocol::params::MAX_READING_WH;
    use crate::protocol::types::Reading;

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
            dispute_bond: 0,
            gas_rate_wei: 0,
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

    fn set_of(readings: &[(usize, SignedReading)]) -> ReadingSet {
        let mut s = ReadingSet::new(0, 2);
        for (m, r) in readings {
            s.add(*m, *r).unwrap();
        }
        s
    }

    /// The node's reconciliation helpers (§6.3): what is held, by exact signed reading (what
    /// its leaf commits to) and by slot, and emptiness of the set and of its deciding set.
    #[test]
    fn membership_by_reading_leaf_and_slot() {
        let (_, d, keys) = setup();
        let empty = ReadingSet::new(0, 2);
        assert!(empty.is_empty() && empty.deciding().is_empty());
        let a = sign_reading(&keys[0], &d, reading(&keys[0], 1, 5, 2));
        let twin = SignedReading {
            reading: a.reading,
            signature: keys[0].sign_with_nonce_data(&d.reading_digest(&a.reading), [3; 32]),
        };
        let other_meter = sign_reading(&keys[1], &d, reading(&keys[1], 1, 5, 2));
        let s = set_of(&[(0, a)]);
        assert!(!s.is_empty() && !s.deciding().is_empty());
        assert_eq!((s.len(), s.deciding().len()), (1, 1));
        assert!(s.contains(0, &a));
        assert!(
            !s.contains(0, &twin),
            "another signature over the same values"
        );
        assert!(!s.contains(1, &other_meter));
        assert!(!s.contains(1, &a), "held for meter 0, not meter 1");
        assert!(s.has_slot(0, 1));
        assert!(!s.has_slot(0, 0) && !s.has_slot(0, 2) && !s.has_slot(1, 1));
        // Two readings in one slot, and readings on either side of it: each is found in
        // its own place only.
        let later = sign_reading(&keys[0], &d, reading(&keys[0], 2, 6, 3));
        let s = set_of(&[(0, a), (0, twin), (0, later), (1, other_meter)]);
        assert!([(0, &a), (0, &twin), (0, &later), (1, &other_meter)]
            .iter()
            .all(|(m, r)| s.contains(*m, r)));
        assert!(!s.contains(1, &twin) && !s.contains(0, &other_meter));
        assert!(s.has_slot(0, 2) && !s.has_slot(1, 2));
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
        // A window-to-date value may reach W intervals' worth, and not one Wh more.
        let max = p.slots_per_window * MAX_READING_WH;
        assert_eq!(p.max_window_wh(), max);
        let full = sign_reading(&keys[0], &d, reading(&keys[0], 1, max, max));
        assert_eq!(validate_reading(&p, &d, &rec, &full, 0), Ok(0));
        for (pw, cw) in [(max + 1, 0), (0, max + 1)] {
            let huge = sign_reading(&keys[0], &d, reading(&keys[0], 1, pw, cw));
            assert_eq!(
                validate_reading(&p, &d, &rec, &huge, 0),
                Err(ReadingError::ValueTooLarge {
                    produced: pw,
                    consumed: cw
                })
            );
        }
        let outside = sign_reading(&keys[0], &d, reading(&keys[0], 8, 1, 1));
        assert_eq!(
            validate_reading(&p, &d, &rec, &outside, 1),
            Err(ReadingError::OutsideContract { slot: 8 })
        );
    }

    /// INV-COUNT-001: a meter's total is its latest slot's register, whatever came before.
    #[test]
    fn the_latest_slot_decides() {
        let (_, d, keys) = setup();
        let r0 = sign_reading(&keys[0], &d, reading(&keys[0], 0, 5, 6));
        let r2 = sign_reading(&keys[0], &d, reading(&keys[0], 2, 7, 9));
        let q1 = sign_reading(&keys[1], &d, reading(&keys[1], 1, 0, 4));
        let mut a = set_of(&[(0, r0), (0, r2), (1, q1)]);
        let b = set_of(&[(1, q1), (0, r2), (0, r0)]);
        assert_eq!(a, b);
        assert_eq!(a.produced(), &[7, 0]);
        assert_eq!(a.consumed(), &[9, 4]);
        assert_eq!(a.len(), 3);
        assert_eq!(a.deciding().len(), 2, "one deciding reading a meter");
        let decided: Vec<SignedReading> = a.deciding().readings().map(|(_, k)| k.signed).collect();
        assert_eq!(decided, vec![r2, q1]);
        assert_eq!(a.add(0, r0), Err(ReadingError::Duplicate));
    }

    /// INV-EQUIV-001: two values for the latest slot give the least produced and the greatest
    /// consumed, in either order; the deciding set keeps both readings.
    #[test]
    fn equivocation_takes_the_values_least_favourable_to_the_owner() {
        let (_, d, keys) = setup();
        let a = sign_reading(&keys[0], &d, reading(&keys[0], 3, 10, 0));
        let b = sign_reading(&keys[0], &d, reading(&keys[0], 3, 12, 3));
        let early = sign_reading(&keys[0], &d, reading(&keys[0], 1, 1, 1));
        let mut s1 = ReadingSet::new(0, 2);
        assert_eq!(s1.add(0, early), Ok(Added::New));
        assert_eq!(s1.add(0, a), Ok(Added::New));
        assert_eq!(s1.add(0, b), Ok(Added::Equivocation));
        let s2 = set_of(&[(0, b), (0, a), (0, early)]);
        assert_eq!(s1, s2);
        assert_eq!((s1.produced()[0], s1.consumed()[0]), (10, 3));
        assert_eq!(s1.deciding().len(), 2);
        assert_eq!(s1.root(), s2.root());
        // The owner is never better off than with either reading alone.
        for one in [a, b] {
            let alone = set_of(&[(0, one)]);
            assert!(s1.produced()[0] <= alone.produced()[0]);
            assert!(s1.consumed()[0] >= alone.consumed()[0]);
        }
    }

    /// Spec §4.4: the deciding readings of an equivocating meter come in leaf order, so that
    /// the readings root, a hash chain over them, is the same for every node and the
    /// contract; computed here with keccak256 itself, not with `chain_root`.
    #[test]
    fn an_equivocating_meters_readings_root_chains_its_leaves_in_order() {
        let (_, d, keys) = setup();
        let a = sign_reading(&keys[0], &d, reading(&keys[0], 3, 10, 0));
        let b = sign_reading(&keys[0], &d, reading(&keys[0], 3, 12, 3));
        let s = set_of(&[(0, a), (0, b)]);
        let leaves: Vec<B256> = s.deciding().readings().map(|(_, k)| k.leaf).collect();
        let mut sorted = vec![leaf(&a), leaf(&b)];
        sorted.sort();
        assert_eq!(leaves, sorted);
        let step = |root: B256, l: B256| {
            alloy_primitives::keccak256([root.as_slice(), l.as_slice()].concat())
        };
        assert_eq!(s.root(), step(step(B256::ZERO, sorted[0]), sorted[1]));
    }

    /// Spec §7.4: a dispute's outcome names the window of its evidence.
    #[test]
    fn a_dispute_outcome_names_its_evidences_window() {
        let evidence = Deciding::new(5, 2);
        assert_eq!(evidence.window(), 5);
        let outcome = crate::protocol::contract::dispute_outcome(&evidence, B256::ZERO);
        assert_eq!(outcome.window, 5);
    }

    /// §15 item 3 resolved: any number of signatures over the same values leaves the
    /// deciding set at one reading and the totals as they were; the root is that of the
    /// smallest leaf alone.
    #[test]
    fn extra_signatures_over_the_same_values_never_grow_the_deciding_set() {
        let (_, d, keys) = setup();
        let r = reading(&keys[0], 2, 8, 1);
        let first = sign_reading(&keys[0], &d, r);
        let mut s = set_of(&[(0, first)]);
        let totals = (s.produced().to_vec(), s.consumed().to_vec());
        let mut all = vec![first];
        for k in 1..=20u8 {
            let other = SignedReading {
                reading: r,
                signature: keys[0].sign_with_nonce_data(&d.reading_digest(&r), [k; 32]),
            };
            assert_ne!(other, first);
            assert_eq!(s.add(0, other), Ok(Added::SameValues));
            all.push(other);
        }
        assert_eq!(s.len(), 21);
        assert_eq!(s.deciding().len(), 1);
        let smallest = *all.iter().min_by_key(|r| leaf(r)).unwrap();
        assert_eq!(s.root(), set_of(&[(0, smallest)]).root());
        assert_eq!((s.produced().to_vec(), s.consumed().to_vec()), totals);
    }

    #[test]
    fn would_change_tells_what_the_contract_would_store() {
        let (_, d, keys) = setup();
        let r1 = sign_reading(&keys[0], &d, reading(&keys[0], 1, 5, 5));
        let r0 = sign_reading(&keys[0], &d, reading(&keys[0], 0, 9, 9));
        let lower = sign_reading(&keys[0], &d, reading(&keys[0], 1, 4, 5));
        let same = sign_reading(&keys[0], &d, reading(&keys[0], 1, 6, 4));
        let mut e = Deciding::new(0, 2);
        assert!(e.would_change(0, &r1));
        assert!(e.add(0, r1));
        assert!(!e.would_change(0, &r0), "an earlier slot changes nothing");
        assert!(!e.add(0, r0));
        assert!(
            !e.would_change(0, &same),
            "more produced, less consumed: no change"
        );
        assert!(e.would_change(0, &lower));
        assert!(e.add(0, lower));
        assert_eq!(e.state(0), Some((1, 4, 5)));
        assert_eq!(e.totals(), (vec![4, 0], vec![5, 0]));
    }

    #[test]
    fn inventory_round_trip_finds_exactly_the_missing_readings() {
        let (p, d, keys) = setup();
        // Window 1 too: the bitmap counts slots from the window's first, not from zero.
        for window in 0..2u32 {
            let first = p.slot_range(window).start;
            let mut full = ReadingSet::new(window, 2);
            let mut part = ReadingSet::new(window, 2);
            for slot in first..first + 4 {
                for (m, k) in keys.iter().enumerate() {
                    let r = sign_reading(k, &d, reading(k, slot, slot, 1));
                    full.add(m, r).unwrap();
                    if slot % 2 == 0 {
                        part.add(m, r).unwrap();
                    }
                }
            }
            // Every held reading, in canonical order: by meter, then slot.
            let held: Vec<(usize, u64)> = full.iter().map(|(m, r)| (m, r.reading.slot)).collect();
            let expected: Vec<(usize, u64)> = (0..2)
                .flat_map(|m| (first..first + 4).map(move |slot| (m, slot)))
                .collect();
            assert_eq!(held, expected);
            // Slots 0 and 2 of the window held, for each meter.
            assert_eq!(
                part.inventory(&p),
                vec![vec![0b0101u64]; 2],
                "window {window}"
            );
            let missing = full.missing_from(&p, &part.inventory(&p));
            assert_eq!(missing.len(), 4, "window {window}");
            for r in missing {
                let m = p.meter_index(&r.reading.meter).unwrap();
                part.add(m, r).unwrap();
            }
            assert_eq!(part, full);
            assert_eq!(part.root(), full.root());
            assert!(full.missing_from(&p, &full.inventory(&p)).is_empty());
        }
    }
}
