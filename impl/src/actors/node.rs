//! The honest intermediate node (spec §6), sans-IO: inputs are meter frames, peer messages
//! and clock ticks, each with a read-only view of the contract; outputs are messages to
//! peers and transactions for the chain.
//!
//! > **Honest-signing rule** (spec §6.4, INV-SIGN-001). An honest node signs at most one
//! > result per window; only for the window the contract expects next, linked to the last
//! > final result; only after the collect period, over the set of every valid reading of the
//! > window it holds at that moment; and only with the totals `f` of that set.
//!
//! Because every honest node signs its own view, a certificate (N signatures on one hash)
//! exists only when every honest node's view is that same set: one honest node is enough to
//! stop a wrong result (INV-SOUND-001). Disagreement, or no certificate by the signing
//! deadline, sends the window to the dispute path, where every honest node puts each
//! reading it holds on chain (INV-COMPLETE-001).
//!
//! > A node sends transactions only at its clock steps (spec §6.1): handling a message
//! > records and forwards, and never submits.
//!
//! So what a delivery does never depends on the chain's slashed set, pending result or
//! dispute, only on whether its window is final: deliveries commute with the chain's
//! moves, which is what lets the model check order them (POR-SIGNED-001).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use alloy_primitives::B256;
use serde::{Deserialize, Serialize};

use crate::protocol::contract::{Call, Contract, Phase, Tx, MAX_EVIDENCE_CHUNK};
use crate::protocol::crypto::{Recover, SecretKey, Signature65};
use crate::protocol::eip712::{sign_result, Domain};
use crate::protocol::params::{Params, ProsumerIndex};
use crate::protocol::reading_set::{validate_reading, Added, ReadingError, ReadingSet};
use crate::protocol::types::{ReadingFrame, SignedReading, SignedResult, WindowResult};
use crate::shared::Shared;

/// Messages between intermediate nodes (spec §6.3).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NodeMessage {
    /// "These are the slots I hold": one bitmap per meter over the window's slots.
    Inventory { window: u32, have: Vec<Vec<u64>> },
    /// Readings the receiver lacks (or both sides of an equivocation).
    Readings {
        window: u32,
        readings: Vec<SignedReading>,
    },
    /// A node's signature on a window result, first-hand or forwarded.
    Signed(SignedResult),
}

/// What a node asks its environment to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    Send { to: usize, msg: NodeMessage },
    Submit(Tx),
}

/// Why a peer message was refused.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, thiserror::Error, Serialize)]
pub enum MessageError {
    #[error("inventory for window {window} has the wrong shape")]
    MalformedInventory { window: u32 },
    #[error("window {window} does not exist")]
    NoSuchWindow { window: u32 },
    #[error("signed result does not recover to a registered node")]
    BadResultSignature,
    #[error("reading {index}: {error}")]
    Reading { index: usize, error: ReadingError },
}

/// The set a node froze and signed for a window.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Frozen {
    pub result: WindowResult,
    pub hash: B256,
    pub signature: Signature65,
    pub at: u64,
    /// The set as frozen: a share of the live set at that moment, so freezing copies
    /// nothing (a window restored after a restart holds its own, `Node::restore`).
    pub set: Shared<ReadingSet>,
}

/// One window a node signed, as persisted by a node process (see [`Node::signed_records`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedRecord {
    pub window: u32,
    pub result: WindowResult,
    pub signature: Signature65,
    pub at: u64,
    pub readings: Vec<(ProsumerIndex, SignedReading)>,
}

/// Everything a node keeps about one window until it prunes it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NodeWindow {
    /// Every valid reading of the window held, including ones that arrived after freezing.
    /// [`Shared`], like the window: a signature's arrival changes the window but not its
    /// readings, which are then neither copied nor hashed again; the set frozen from it
    /// shares it until a reading arrives after freezing.
    pub set: Shared<ReadingSet>,
    pub inventory_sent: bool,
    pub frozen: Option<Frozen>,
    /// Signatures collected per result hash: the result and who signed it.
    pub signatures: BTreeMap<B256, (WindowResult, BTreeMap<ProsumerIndex, Signature65>)>,
    /// Distinct results each node was seen signing, sorted (two ⇒ equivocation).
    pub signed_by: BTreeMap<ProsumerIndex, Vec<SignedResult>>,
    /// Nodes this node already reported for this window.
    pub reported: BTreeSet<ProsumerIndex>,
}

impl NodeWindow {
    /// Whether `signer` was seen signing `result` in this window.
    pub fn holds(&self, signer: ProsumerIndex, result: &WindowResult) -> bool {
        self.signed_by
            .get(&signer)
            .is_some_and(|known| known.iter().any(|k| k.result == *result))
    }

    fn new(window: u32, n: usize) -> Self {
        Self {
            set: Shared::new(ReadingSet::new(window, n)),
            inventory_sent: false,
            frozen: None,
            signatures: BTreeMap::new(),
            signed_by: BTreeMap::new(),
            reported: BTreeSet::new(),
        }
    }
}

/// Adds `sr` to the results one node was seen signing, kept sorted: the record is a set, and
/// the order the messages came in means nothing. (An equivocation report names the first two
/// in this order; a record in arrival order made two states of one set, and a signature's
/// delivery depend on when another of the same signer's arrived: POR-SIGNED-001.)
fn record(results: &mut Vec<SignedResult>, sr: SignedResult) {
    if let Err(at) = results.binary_search(&sr) {
        results.insert(at, sr);
    }
}

/// Counters a node keeps of what it refused and did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeStats {
    pub readings_accepted: u64,
    pub duplicates: u64,
    pub equivocations_seen: u64,
    /// Refused inputs by error name.
    pub rejected: BTreeMap<String, u64>,
    pub windows_pruned: u64,
}

/// The honest intermediate node of one prosumer.
///
/// Equality and hashing cover the protocol state only (not the key, the fixed parameters or
/// the statistics), so the model checker sees two nodes that will behave alike as one.
#[derive(Clone)]
pub struct Node<R> {
    pub index: ProsumerIndex,
    key: SecretKey,
    params: Arc<Params>,
    domain: Domain,
    recover: R,
    /// Each window's state [`Shared`]: a model checker clones a node on every transition,
    /// and a transition changes at most one window, which alone is copied and hashed again
    /// (`Shared::make_mut`); equality looks through the share.
    windows: BTreeMap<u32, Shared<NodeWindow>>,
    /// Windows below this one were pruned (spec §9).
    pruned_below: u32,
    /// Set if the node ever touched a window it had pruned (INV-PRUNE-001 says never).
    touched_pruned: bool,
    /// A memo: (window, dispute deadline, evidence size, own set size) when the node last
    /// compared its readings with the on-chain evidence. It decides whether the node looks
    /// again, so it is part of equality and hashing like any other state.
    evidence_memo: Option<(u32, u64, B256, usize)>,
    pub stats: NodeStats,
}

impl<R> PartialEq for Node<R> {
    fn eq(&self, other: &Self) -> bool {
        (
            self.index,
            &self.windows,
            self.pruned_below,
            self.touched_pruned,
            self.evidence_memo,
        ) == (
            other.index,
            &other.windows,
            other.pruned_below,
            other.touched_pruned,
            other.evidence_memo,
        )
    }
}

impl<R> Eq for Node<R> {}

impl<R> std::hash::Hash for Node<R> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (
            self.index,
            &self.windows,
            self.pruned_below,
            self.touched_pruned,
            self.evidence_memo,
        )
            .hash(state)
    }
}

impl<R> std::fmt::Debug for Node<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("index", &self.index)
            .field("windows", &self.windows.keys().collect::<Vec<_>>())
            .field("pruned_below", &self.pruned_below)
            .finish()
    }
}

/// The name of an error's enum variant, for counting refusals by kind.
pub fn error_name<E: Serialize>(e: &E) -> String {
    match serde_json::to_value(e) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(serde_json::Value::Object(m)) => m.keys().next().cloned().unwrap_or_default(),
        _ => "Unknown".into(),
    }
}

impl<R: Recover> Node<R> {
    pub fn new(index: ProsumerIndex, key: SecretKey, params: Params, recover: R) -> Self {
        Self {
            index,
            key,
            domain: Domain::of(&params),
            params: Arc::new(params),
            recover,
            windows: BTreeMap::new(),
            pruned_below: 0,
            touched_pruned: false,
            evidence_memo: None,
            stats: NodeStats::default(),
        }
    }

    pub fn index(&self) -> ProsumerIndex {
        self.index
    }

    pub fn address(&self) -> alloy_primitives::Address {
        self.key.address()
    }

    pub fn key(&self) -> &SecretKey {
        &self.key
    }

    pub fn params(&self) -> &Params {
        &self.params
    }

    /// The node's state of a window, if it still keeps one.
    pub fn window(&self, w: u32) -> Option<&NodeWindow> {
        self.windows.get(&w).map(|nw| &**nw)
    }

    /// What this node signed, window by window, with the readings it froze: what a node
    /// process persists before any signature leaves it, so that after a crash it restores
    /// them and never signs a second result for a window (INV-EQUIV-001, spec §6.4).
    pub fn signed_records(&self) -> Vec<SignedRecord> {
        self.windows
            .iter()
            .filter_map(|(w, nw)| {
                nw.frozen.as_ref().map(|f| SignedRecord {
                    window: *w,
                    result: f.result.clone(),
                    signature: f.signature,
                    at: f.at,
                    readings: f.set.iter().map(|(m, sr)| (m, *sr)).collect(),
                })
            })
            .collect()
    }

    /// Restores what this node signed before a restart: the window is frozen on the same
    /// result and signature, over the same readings, so it is never signed again.
    pub fn restore(&mut self, r: &SignedRecord) -> Result<(), String> {
        let mut set = ReadingSet::new(r.window, self.n());
        for (m, sr) in &r.readings {
            set.add(*m, *sr)
                .map_err(|e| format!("restored reading of window {}: {e}", r.window))?;
        }
        let hash = self.domain.result_digest(&r.result);
        if self.key.address()
            != crate::protocol::crypto::recover_secp256k1(&hash, &r.signature)
                .map_err(|e| format!("restored signature of window {}: {e}", r.window))?
        {
            return Err(format!(
                "the restored signature of window {} is not this node's",
                r.window
            ));
        }
        let me = self.index;
        let signed = SignedResult {
            result: r.result.clone(),
            signature: r.signature,
        };
        let win = self.window_mut(r.window);
        for (m, sr) in &r.readings {
            let _ = win.set.make_mut().add(*m, *sr);
        }
        win.frozen = Some(Frozen {
            result: r.result.clone(),
            hash,
            signature: r.signature,
            at: r.at,
            set: Shared::new(set),
        });
        record(win.signed_by.entry(me).or_default(), signed);
        win.signatures
            .entry(hash)
            .or_insert_with(|| (r.result.clone(), BTreeMap::new()))
            .1
            .insert(me, r.signature);
        Ok(())
    }

    /// Windows whose data the node still keeps.
    pub fn kept_windows(&self) -> impl Iterator<Item = u32> + '_ {
        self.windows.keys().copied()
    }

    fn n(&self) -> usize {
        self.params.prosumers()
    }

    /// This node without what it recorded of other nodes' signatures on windows below
    /// `next`, which are final. Once a window is final the node ignores its messages,
    /// submits nothing for it and only waits to prune it: nothing reads those records. The
    /// model's tests compare states up to them (POR-SIGNED-001, `docs/model-checking.md`).
    pub fn without_final_records(&self, next: u32) -> Self {
        let mut node = self.clone();
        let (me, n) = (node.index, node.n());
        node.windows.retain(|w, nw| {
            if *w >= next {
                return true;
            }
            let nw = nw.make_mut();
            nw.signed_by.retain(|k, _| *k == me);
            nw.signatures.retain(|_, (_, by)| {
                by.retain(|k, _| *k == me);
                !by.is_empty()
            });
            *nw != NodeWindow::new(*w, n)
        });
        node
    }

    /// Whether this node ever touched data of a window it had pruned (INV-PRUNE-001).
    pub fn touched_pruned(&self) -> bool {
        self.touched_pruned
    }

    /// Windows below this one have been pruned.
    pub fn pruned_below(&self) -> u32 {
        self.pruned_below
    }

    /// Makes sure window `w` has a state, without copying one that exists (a transition
    /// that only looks must not unshare it).
    fn ensure_window(&mut self, w: u32) {
        if !self.windows.contains_key(&w) {
            self.window_mut(w);
        }
    }

    fn window_mut(&mut self, w: u32) -> &mut NodeWindow {
        if w < self.pruned_below {
            self.touched_pruned = true;
        }
        let n = self.n();
        self.windows
            .entry(w)
            .or_insert_with(|| Shared::new(NodeWindow::new(w, n)))
            .make_mut()
    }

    fn broadcast(&self, msg: NodeMessage) -> Vec<Output> {
        (0..self.n())
            .filter(|j| *j != self.index)
            .map(|to| Output::Send {
                to,
                msg: msg.clone(),
            })
            .collect()
    }

    fn reject<E: Serialize>(&mut self, e: &E) {
        *self.stats.rejected.entry(error_name(e)).or_default() += 1;
    }

    // ---- §6.2 readings ----

    /// A frame straight from a meter.
    pub fn handle_frame(
        &mut self,
        frame: &ReadingFrame,
        now: u64,
        chain: &Contract<R>,
    ) -> Result<Vec<Output>, ReadingError> {
        let out =
            if frame.chain_id != self.domain.chain_id || frame.contract != self.domain.contract {
                Err(ReadingError::WrongDomain {
                    chain_id: frame.chain_id,
                    contract: frame.contract,
                })
            } else {
                self.ingest(&frame.signed, now, chain)
            };
        match &out {
            Err(ReadingError::Duplicate) => self.stats.duplicates += 1,
            Err(e) => {
                let e = e.clone();
                self.reject(&e)
            }
            Ok(_) => {}
        }
        out
    }

    /// Checks a reading and adds it to its window's set. Both sides of a newly seen
    /// equivocation are forwarded to every peer, so every honest node decides the meter alike.
    fn ingest(
        &mut self,
        sr: &SignedReading,
        now: u64,
        chain: &Contract<R>,
    ) -> Result<Vec<Output>, ReadingError> {
        let slot = sr.reading.slot;
        let w = self
            .params
            .window_of_slot(slot)
            .ok_or(ReadingError::OutsideContract { slot })?;
        let ends_at = self.params.slot_end(slot);
        if ends_at > now {
            return Err(ReadingError::FromTheFuture { slot, ends_at, now });
        }
        if w < chain.next_window() {
            return Err(ReadingError::WindowFinal { slot, window: w });
        }
        let m = validate_reading(&self.params, &self.domain, &self.recover, sr, w)?;
        // Read first: a reading already held is refused as `add` would refuse it, without
        // copying the window and its set (the model checker delivers many duplicates).
        if self
            .windows
            .get(&w)
            .is_some_and(|nw| nw.set.contains(m, sr))
            && !crate::protocol::mutant::active(
                crate::protocol::mutant::Mutant::CountDuplicateReading,
            )
        {
            return Err(ReadingError::Duplicate);
        }
        let win = self.window_mut(w);
        match win.set.make_mut().add(m, *sr)? {
            Added::Equivocation => {
                self.stats.readings_accepted += 1;
                self.stats.equivocations_seen += 1;
                let both: Vec<SignedReading> = self.windows[&w]
                    .set
                    .iter()
                    .filter(|(mm, r)| *mm == m && r.reading.slot == slot)
                    .map(|(_, r)| *r)
                    .collect();
                Ok(self.broadcast(NodeMessage::Readings {
                    window: w,
                    readings: both,
                }))
            }
            _ => {
                self.stats.readings_accepted += 1;
                Ok(Vec::new())
            }
        }
    }

    // ---- §6.3 peer messages ----

    pub fn handle_message(
        &mut self,
        from: ProsumerIndex,
        msg: &NodeMessage,
        now: u64,
        chain: &Contract<R>,
    ) -> Result<Vec<Output>, MessageError> {
        let out = self.dispatch(from, msg, now, chain);
        if let Err(e) = &out {
            let e = e.clone();
            self.reject(&e);
        }
        out
    }

    fn dispatch(
        &mut self,
        from: ProsumerIndex,
        msg: &NodeMessage,
        now: u64,
        chain: &Contract<R>,
    ) -> Result<Vec<Output>, MessageError> {
        match msg {
            NodeMessage::Inventory { window, have } => {
                let w = *window;
                if w >= self.params.windows {
                    return Err(MessageError::NoSuchWindow { window: w });
                }
                let words = (self.params.slots_per_window as usize).div_ceil(64);
                if have.len() != self.n() || have.iter().any(|row| row.len() != words) {
                    return Err(MessageError::MalformedInventory { window: w });
                }
                if w < chain.next_window()
                    || crate::protocol::mutant::active(
                        crate::protocol::mutant::Mutant::NodeIgnoresInventories,
                    )
                {
                    return Ok(Vec::new());
                }
                self.ensure_window(w);
                let missing = self.windows[&w].set.missing_from(&self.params, have);
                if missing.is_empty() {
                    return Ok(Vec::new());
                }
                Ok(vec![Output::Send {
                    to: from,
                    msg: NodeMessage::Readings {
                        window: w,
                        readings: missing,
                    },
                }])
            }
            NodeMessage::Readings { readings, .. } => {
                let mut out = Vec::new();
                let mut first_error = None;
                for (index, sr) in readings.iter().enumerate() {
                    match self.ingest(sr, now, chain) {
                        Ok(o) => out.extend(o),
                        Err(ReadingError::Duplicate) => self.stats.duplicates += 1,
                        // Readings of a window that became final meanwhile are simply late.
                        Err(ReadingError::WindowFinal { .. }) => {}
                        Err(error) => {
                            self.reject(&error);
                            first_error.get_or_insert(MessageError::Reading { index, error });
                        }
                    }
                }
                match first_error {
                    // A bad reading in a batch is counted, the good ones are kept.
                    Some(e) if out.is_empty() && readings.len() == 1 => Err(e),
                    _ => Ok(out),
                }
            }
            NodeMessage::Signed(sr) => self.on_signed(from, sr, chain),
        }
    }

    fn on_signed(
        &mut self,
        from: ProsumerIndex,
        sr: &SignedResult,
        chain: &Contract<R>,
    ) -> Result<Vec<Output>, MessageError> {
        let w = sr.result.window;
        if w >= self.params.windows {
            return Err(MessageError::NoSuchWindow { window: w });
        }
        let hash = self.domain.result_digest(&sr.result);
        let signer = self
            .params
            .signer(&self.recover, &hash, &sr.signature)
            .map_err(|_| MessageError::BadResultSignature)?;
        if w < chain.next_window() {
            return Ok(Vec::new());
        }
        let me = self.index;
        // Read first: a result already recorded from this signer copies nothing.
        self.ensure_window(w);
        if self.windows[&w].holds(signer, &sr.result) {
            return Ok(Vec::new());
        }
        let win = self.window_mut(w);
        record(win.signed_by.entry(signer).or_default(), sr.clone());
        win.signatures
            .entry(hash)
            .or_insert_with(|| (sr.result.clone(), BTreeMap::new()))
            .1
            .insert(signer, sr.signature);
        let out: Vec<Output> = (0..self.n())
            .filter(|j| *j != me && *j != from && *j != signer)
            .map(|to| Output::Send {
                to,
                msg: NodeMessage::Signed(sr.clone()),
            })
            .collect();
        // §6.5, §6.7: the certificate this may complete and the fraud it may prove are
        // submitted at the next clock step (`tick`), not here.
        Ok(out)
    }

    /// Reports every provable fraud held for window `w` that it has not reported yet
    /// ([`Self::frauds`]), and remembers that it did.
    fn fraud_reports(&mut self, w: u32, chain: &Contract<R>) -> Vec<Output> {
        let frauds = self.frauds(w, chain);
        if !frauds.is_empty() {
            let win = self.window_mut(w);
            win.reported
                .extend(frauds.iter().map(|(signer, _)| *signer));
        }
        frauds
            .into_iter()
            .map(|(_, tx)| Output::Submit(tx))
            .collect()
    }

    /// Every provable fraud this node holds for window `w` (spec §6.7, §7.7) against a
    /// signer it has not reported and that is not slashed, with the report it calls for:
    /// two results signed by one node, or a result over this node's own frozen set with
    /// other totals.
    pub fn frauds(&self, w: u32, chain: &Contract<R>) -> Vec<(ProsumerIndex, Tx)> {
        let me = self.index;
        let Some(win) = self.windows.get(&w) else {
            return Vec::new();
        };
        let mut frauds = Vec::new();
        for (signer, results) in &win.signed_by {
            if *signer == me || win.reported.contains(signer) || chain.is_slashed(*signer) {
                continue;
            }
            if results.len() >= 2 {
                frauds.push((
                    *signer,
                    Tx::ReportEquivocation {
                        first: results[0].clone(),
                        second: results[1].clone(),
                    },
                ));
                continue;
            }
            let Some(frozen) = &win.frozen else { continue };
            let claim = &results[0];
            if claim.result.readings_root == frozen.result.readings_root
                && claim.result != frozen.result
                && (claim.result.produced != frozen.result.produced
                    || claim.result.consumed != frozen.result.consumed)
            {
                frauds.push((
                    *signer,
                    Tx::ReportInconsistency {
                        claim: claim.clone(),
                        readings: frozen
                            .set
                            .deciding()
                            .readings()
                            .map(|(_, k)| k.signed)
                            .collect(),
                    },
                ));
            }
        }
        frauds
    }

    /// Submits the certificate for this node's own result once it holds all N signatures.
    fn try_certificate(&self, w: u32, chain: &Contract<R>) -> Vec<Output> {
        match self.certificate(w, chain) {
            Some(tx) => vec![Output::Submit(tx)],
            None => Vec::new(),
        }
    }

    /// The `submitWindow` transaction for window `w`, if this node holds a certificate the
    /// contract would accept now: the signatures of every unslashed node (§7.3).
    pub fn certificate(&self, w: u32, chain: &Contract<R>) -> Option<Tx> {
        let (count, tx) = self.frozen_submission(w, chain)?;
        chain.is_certificate(count).then_some(tx)
    }

    /// The frozen result of `w` with every signature held on it by an unslashed node, and
    /// their number, when the contract could take a submission of it now: `Active`, `w`
    /// next, nothing pending, no dispute open, linked to the last final result.
    fn frozen_submission(&self, w: u32, chain: &Contract<R>) -> Option<(usize, Tx)> {
        if chain.phase() != Phase::Active
            || chain.next_window() != w
            || chain.pending().is_some()
            || chain.dispute().is_some()
        {
            return None;
        }
        let win = self.windows.get(&w)?;
        let frozen = win.frozen.as_ref()?;
        if frozen.result.prev_hash != chain.last_hash() {
            return None;
        }
        let (result, sigs) = win.signatures.get(&frozen.hash)?;
        let signatures: Vec<_> = sigs
            .iter()
            .filter(|(j, _)| !chain.is_slashed(**j))
            .map(|(_, s)| *s)
            .collect();
        let count = signatures.len();
        let tx = Tx::SubmitWindow {
            result: result.clone(),
            signatures,
        };
        (count > 0).then_some((count, tx))
    }

    // ---- §6.4–§6.7 the clock ----

    /// Advances the node to time `now`. Everything time-driven happens here: inventories,
    /// freezing and signing, deadlines, disputes, evidence, pruning and close.
    pub fn tick(&mut self, now: u64, chain: &Contract<R>) -> Vec<Output> {
        let mut out = Vec::new();
        // §6.7: at every clock step, report the fraud that the signatures recorded since the
        // last one prove, in every window still held (one that became final meanwhile
        // included, so before pruning; a peer's result of a later window may arrive before
        // that window is next).
        if chain.phase() == Phase::Active {
            let held: Vec<u32> = self.windows.keys().copied().collect();
            for w in held {
                out.extend(self.fraud_reports(w, chain));
            }
        }
        self.prune(now, chain);
        if chain.phase() == Phase::Funding && now >= self.params.start {
            // §7.2: funding is incomplete at start; every payment is refunded.
            out.push(Output::Submit(Tx::Abort));
            return out;
        }
        if chain.phase() != Phase::Active {
            return out;
        }
        let p = &self.params;
        let w = chain.next_window();
        if chain.all_final() {
            // §7.8: once the slash period after the last window is over, anyone closes.
            if chain
                .last_final_at()
                .is_some_and(|t| now >= t + p.slash_period)
                && !crate::protocol::mutant::active(
                    crate::protocol::mutant::Mutant::NodeNeverCloses,
                )
            {
                out.push(Output::Submit(Tx::Close));
            }
            return out;
        }
        let end = p.window_end(w);
        if now < end {
            return out;
        }
        let (collect, sign) = (p.collect_period, p.sign_period);
        // A window whose readings were all lost still has a (empty) state from here on.
        self.ensure_window(w);
        // §6.3: half-way through the collect period, tell peers what we hold.
        if now >= end + collect / 2 && !self.windows[&w].inventory_sent {
            let have = self.windows[&w].set.inventory(&self.params);
            self.window_mut(w).inventory_sent = true;
            out.extend(self.broadcast(NodeMessage::Inventory { window: w, have }));
        }
        // §6.4: freeze and sign once, over everything held.
        let resign =
            crate::protocol::mutant::active(crate::protocol::mutant::Mutant::HonestSignsTwice)
                && self.windows[&w]
                    .frozen
                    .as_ref()
                    .is_some_and(|f| f.set != self.windows[&w].set);
        if now >= end + collect && (self.windows[&w].frozen.is_none() || resign) {
            out.extend(self.freeze_and_sign(w, now, chain));
        }
        if let Some(d) = chain.dispute() {
            // §6.6: put on chain every reading of our deciding set that would change the
            // evidence, frozen or not (an escape may be opened before we froze). The
            // evidence alone decides: nothing closes a dispute early.
            if now < d.deadline {
                // Only look again when our set or the evidence changed since last time.
                let marker = (w, d.deadline, d.evidence.root(), self.windows[&w].set.len());
                if self.evidence_memo == Some(marker) {
                    return out;
                }
                self.evidence_memo = Some(marker);
                // At most two readings a meter, whatever the meters signed (§7.6), and none
                // that another node already put on chain (F2).
                let win = &self.windows[&w];
                let held = match &win.frozen {
                    Some(f)
                        if crate::protocol::mutant::active(
                            crate::protocol::mutant::Mutant::EvidenceOnlyFrozen,
                        ) =>
                    {
                        &f.set
                    }
                    _ => &win.set,
                };
                let missing: Vec<SignedReading> = held
                    .deciding()
                    .readings()
                    .filter(|(m, k)| d.evidence.would_change(*m, &k.signed))
                    .map(|(_, k)| k.signed)
                    .collect();
                for chunk in missing.chunks(MAX_EVIDENCE_CHUNK) {
                    out.push(Output::Submit(Tx::AddEvidence {
                        window: w,
                        readings: chunk.to_vec(),
                    }));
                }
            } else if !crate::protocol::mutant::active(
                crate::protocol::mutant::Mutant::NodeNeverFinalizes,
            ) {
                out.push(Output::Submit(Tx::FinalizeDispute { window: w }));
            }
            return out;
        }
        let Some((frozen_hash, frozen_at, frozen_totals)) =
            self.windows[&w].frozen.as_ref().map(|f| {
                (
                    f.hash,
                    f.at,
                    (f.result.produced.clone(), f.result.consumed.clone()),
                )
            })
        else {
            return out;
        };
        if let Some(pending) = chain.pending() {
            // §6.5 hardened variant: challenge a pending result that misses a reading we
            // hold, or that is not the result we signed; otherwise let it become final.
            if now < pending.until {
                // Late readings matter only if they change the totals: extra signatures
                // over the same values do not.
                let set = &self.windows[&w].set;
                let late = (set.produced(), set.consumed())
                    != (frozen_totals.0.as_slice(), frozen_totals.1.as_slice())
                    && !crate::protocol::mutant::active(
                        crate::protocol::mutant::Mutant::IgnoreLateReadings,
                    );
                if late || pending.hash != frozen_hash {
                    out.push(Output::Submit(Tx::OpenDispute { window: w }));
                }
            } else if !crate::protocol::mutant::active(
                crate::protocol::mutant::Mutant::NodeNeverFinalizes,
            ) {
                out.push(Output::Submit(Tx::FinalizePending { window: w }));
            }
            return out;
        }
        // §6.5: no certificate by the signing deadline (a peer is absent, or signed
        // something else): put the frozen result on chain with the signatures it has, bonded,
        // to become final after a dispute period unless challenged. There is nothing to
        // dispute before a result is on chain: a challenge needs one (§7.4).
        let deadline = frozen_at + sign;
        if let Some(tx) = self.certificate(w, chain) {
            out.push(Output::Submit(tx));
        } else if now >= deadline {
            out.extend(self.partial_result(w, chain).map(Output::Submit));
        }
        out
    }

    /// The partial result of spec §6.5: the frozen result with every signature held on it,
    /// when the contract would take it now (nothing pending, no dispute, linked to the last
    /// final result, the signing deadline passed).
    pub fn partial_result(&self, w: u32, chain: &Contract<R>) -> Option<Tx> {
        self.frozen_submission(w, chain).map(|(_, tx)| tx)
    }

    fn freeze_and_sign(&mut self, w: u32, now: u64, chain: &Contract<R>) -> Vec<Output> {
        let me = self.index;
        let win = self.window_mut(w);
        let set = win.set.clone();
        let result = WindowResult {
            window: w,
            prev_hash: chain.last_hash(),
            produced: set.produced().to_vec(),
            consumed: set.consumed().to_vec(),
            readings_root: set.root(),
        };
        let hash = self.domain.result_digest(&result);
        let signature = sign_result(&self.key, &self.domain, &result);
        let signed = SignedResult {
            result: result.clone(),
            signature,
        };
        let win = self.window_mut(w);
        win.frozen = Some(Frozen {
            result: result.clone(),
            hash,
            signature,
            at: now,
            set,
        });
        record(win.signed_by.entry(me).or_default(), signed.clone());
        win.signatures
            .entry(hash)
            .or_insert_with(|| (result, BTreeMap::new()))
            .1
            .insert(me, signature);
        let mut out = self.broadcast(NodeMessage::Signed(signed));
        out.extend(self.fraud_reports(w, chain));
        out.extend(self.try_certificate(w, chain));
        out
    }

    /// §9 pruning (INV-PRUNE-001): a window's data is dropped once it is final and its
    /// slash period is over; nothing the node does later reads it.
    fn prune(&mut self, now: u64, chain: &Contract<R>) {
        if crate::protocol::mutant::active(crate::protocol::mutant::Mutant::NodeNeverPrunes) {
            return;
        }
        let finals = chain.finals();
        // §9: only once a window is final and the slash period is over can nothing about it
        // be asked again.
        let slash = self.params.slash_period;
        let early = crate::protocol::mutant::active(crate::protocol::mutant::Mutant::PruneEarly);
        while if early {
            self.pruned_below < self.params.windows
                && now >= self.params.window_end(self.pruned_below) + slash
        } else {
            finals
                .get(self.pruned_below as usize)
                .is_some_and(|f| now >= f.at + slash)
        } {
            if self.windows.remove(&self.pruned_below).is_some() {
                self.stats.windows_pruned += 1;
            }
            self.pruned_below += 1;
        }
    }

    /// Wraps an output transaction as a call from this node, with the bond it must carry
    /// on `chain` now (a partial result or a challenge, §7.10).
    pub fn call(&self, tx: Tx, chain: &Contract<R>) -> Call {
        Call {
            from: self.address(),
            value: chain.required_value(&tx),
            tx,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::crypto::Secp256k1;
    use alloy_primitives::Address;

    fn params() -> Params {
        Params {
            chain_id: 1,
            contract: Address::repeat_byte(0xc0),
            start: 100,
            slot_secs: 900,
            slots_per_window: 4,
            windows: 2,
            nodes: (0..2)
                .map(|i| SecretKey::from_label(&format!("n{i}")).address())
                .collect(),
            meters: vec![Address::repeat_byte(1), Address::repeat_byte(2)],
            wallets: vec![Address::repeat_byte(3), Address::repeat_byte(4)],
            deposits: vec![0, 0],
            bond: 0,
            price_wei_per_wh: 1,
            dust_recipient: Address::repeat_byte(5),
            collect_period: 1_800,
            sign_period: 900,
            challenge_period: 0,
            dispute_period: 3_600,
            slash_period: 900,
            dispute_bond: 0,
            gas_rate_wei: 0,
        }
    }

    fn funded(p: &Params) -> Contract<Secp256k1> {
        let mut chain = Contract::open(p.clone(), Secp256k1::new()).unwrap();
        for i in 0..2 {
            for (from, tx) in [(p.wallets[i], Tx::Deposit), (p.nodes[i], Tx::PostBond)] {
                chain.execute(&Call { from, value: 0, tx }, 0).unwrap();
            }
        }
        chain
    }

    fn node(p: &Params, i: usize) -> Node<Secp256k1> {
        let key = SecretKey::from_label(&format!("n{i}"));
        Node::new(i, key, p.clone(), Secp256k1::new())
    }

    fn submits(out: &[Output]) -> Vec<&Tx> {
        out.iter()
            .filter_map(|o| match o {
                Output::Submit(tx) => Some(tx),
                Output::Send { .. } => None,
            })
            .collect()
    }

    /// > A node sends transactions only at its clock steps (spec §6.1).
    ///
    /// The signature that completes a certificate, and the second result that proves a
    /// peer's equivocation, are recorded and forwarded as they arrive; the certificate and
    /// the report go out at the next tick.
    #[test]
    fn a_certificate_and_a_report_wait_for_the_clock_step() {
        let p = params();
        let chain = funded(&p);
        let freeze = p.window_end(0) + p.collect_period;
        let (mut n0, mut n1) = (node(&p, 0), node(&p, 1));
        n0.tick(freeze, &chain);
        let honest = n1
            .tick(freeze, &chain)
            .into_iter()
            .find_map(|o| match o {
                Output::Send {
                    msg: NodeMessage::Signed(sr),
                    ..
                } => Some(sr),
                _ => None,
            })
            .expect("node 1 froze and signed");
        let out = n0
            .handle_message(1, &NodeMessage::Signed(honest.clone()), freeze, &chain)
            .unwrap();
        assert!(submits(&out).is_empty(), "{out:?}");
        let out = n0.tick(freeze + 1, &chain);
        assert!(
            matches!(submits(&out)[..], [Tx::SubmitWindow { signatures, .. }] if signatures.len() == 2),
            "{out:?}"
        );

        let mut lie = honest.result.clone();
        lie.produced[1] += 1;
        let lie = SignedResult {
            signature: sign_result(&SecretKey::from_label("n1"), &Domain::of(&p), &lie),
            result: lie,
        };
        let out = n0
            .handle_message(1, &NodeMessage::Signed(lie), freeze + 1, &chain)
            .unwrap();
        assert!(submits(&out).is_empty(), "{out:?}");
        let out = n0.tick(freeze + 2, &chain);
        assert!(
            submits(&out)
                .iter()
                .any(|tx| matches!(tx, Tx::ReportEquivocation { .. })),
            "{out:?}"
        );
    }

    /// A node that received no reading at all still joins a dispute opened the moment the
    /// window ends, and still signs the (empty) window when the collect period is over.
    #[test]
    fn a_node_back_online_joins_an_escape_dispute_and_signs() {
        let p = params();
        let mut chain = funded(&p);
        // Nothing came for window 0: anyone opens an escape (F6).
        let escape_at = chain.escape_at(0);
        chain
            .execute(
                &Call {
                    from: p.wallets[1],
                    value: 0,
                    tx: Tx::OpenDispute { window: 0 },
                },
                escape_at,
            )
            .unwrap();
        let mut node = node(&p, 0);
        let out = node.tick(escape_at, &chain);
        assert!(out.iter().any(|o| matches!(
            o,
            Output::Send {
                msg: NodeMessage::Signed(_),
                ..
            }
        )));
        assert!(
            !out.iter().any(|o| matches!(o, Output::Submit(_))),
            "nothing held: no evidence, and nothing closes a dispute early"
        );
        assert!(node.window(0).unwrap().frozen.is_some());
        let out = node.tick(escape_at + p.dispute_period, &chain);
        assert_eq!(out, vec![Output::Submit(Tx::FinalizeDispute { window: 0 })]);
    }
}
