//! The reference escrow contract (spec §7): every entry point with its checks, and the
//! exact accounting. The Solidity contract is differential-tested against this file.
//!
//! Execution has the EVM's revert semantics: a call either succeeds and returns its events,
//! or fails with a [`ContractError`] that names the problem and leaves the state untouched.
//!
//! > The contract's ether always equals the prosumers' balances plus the unslashed bonds plus
//! > the dust account plus the slash pool plus the reporters' rewards plus what is owed but
//! > not yet withdrawn. (INV-FUNDS-001)

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use alloy_primitives::{Address, B256};
use serde::{Deserialize, Serialize};

use crate::crypto::{Recover, Signature65, SignatureError};
use crate::eip712::{chain_root, leaf, Domain};
use crate::params::{Params, ParamsError, ProsumerIndex, MAX_PROSUMERS};
use crate::reaction::{settle, Settlement};
use crate::reading_set::{validate_reading, Deciding, ReadingError};
use crate::types::{SignedReading, SignedResult, WindowResult};

/// Most readings one `addEvidence` call may carry (spec §7.6). A dispute needs at most two
/// readings a meter (the deciding set, §5.2); at roughly 30k gas a reading (an `ecrecover`,
/// calldata and at most one storage word) a full chunk stays below 1M gas.
pub const MAX_EVIDENCE_CHUNK: usize = 32;
/// Most readings a fraud proof may carry (§7.7): a deciding set has at most two readings a
/// meter, so `2 · MAX_PROSUMERS`. The Solidity contract takes it in chunks of
/// `MAX_FRAUD_PROOF_CHUNK` (§7.9).
pub const MAX_FRAUD_PROOF_READINGS: usize = 2 * MAX_PROSUMERS;

/// A transaction to the contract.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Tx {
    Deposit,
    PostBond,
    Abort,
    SubmitWindow {
        result: WindowResult,
        signatures: Vec<Signature65>,
    },
    OpenDispute {
        window: u32,
    },
    AddEvidence {
        window: u32,
        readings: Vec<SignedReading>,
    },
    FinalizeDispute {
        window: u32,
    },
    FinalizePending {
        window: u32,
    },
    ReportEquivocation {
        first: SignedResult,
        second: SignedResult,
    },
    ReportInconsistency {
        claim: SignedResult,
        readings: Vec<SignedReading>,
    },
    Close,
    Withdraw,
}

impl Tx {
    /// A short stable name, used in reports.
    pub fn name(&self) -> &'static str {
        match self {
            Tx::Deposit => "deposit",
            Tx::PostBond => "postBond",
            Tx::Abort => "abort",
            Tx::SubmitWindow { .. } => "submitWindow",
            Tx::OpenDispute { .. } => "openDispute",
            Tx::AddEvidence { .. } => "addEvidence",
            Tx::FinalizeDispute { .. } => "finalizeDispute",
            Tx::FinalizePending { .. } => "finalizePending",
            Tx::ReportEquivocation { .. } => "reportEquivocation",
            Tx::ReportInconsistency { .. } => "reportInconsistency",
            Tx::Close => "close",
            Tx::Withdraw => "withdraw",
        }
    }
}

/// A transaction with its sender and attached value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    pub from: Address,
    pub value: u128,
    pub tx: Tx,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Phase {
    /// Waiting for every deposit and bond.
    Funding,
    /// Fully funded: windows are settled one by one.
    Active,
    /// Every window final and the slash period over: entitlements can be withdrawn.
    Closed,
    /// Funding was incomplete at start: every payment is refunded.
    Aborted,
}

/// How a window became final.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Path {
    /// One transaction with all N signatures (plus, in the hardened variant, an
    /// unchallenged challenge period).
    FastPath,
    /// Recomputed by the contract from meter-signed evidence.
    Dispute,
    /// A result signed by fewer than N nodes, final after an unchallenged dispute period
    /// (spec §7.3: an absent node costs one period, not a dispute).
    Partial,
}

/// Why a node lost its bond.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlashReason {
    /// Signed two different results for one window.
    Equivocation,
    /// Signed a result whose totals are not `f` of the committed readings, or whose
    /// committed readings are invalid.
    Inconsistency,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    Deposited {
        prosumer: ProsumerIndex,
        amount: u128,
    },
    Bonded {
        node: ProsumerIndex,
        amount: u128,
    },
    Activated,
    Aborted,
    WindowPending {
        window: u32,
        hash: B256,
        until: u64,
    },
    WindowFinalized {
        window: u32,
        hash: B256,
        path: Path,
        settlement: Settlement,
    },
    DisputeOpened {
        window: u32,
        by: ProsumerIndex,
        deadline: u64,
        challenged: Option<B256>,
    },
    /// `improved`: readings that changed their meter's stored `(slot, produced, consumed)`;
    /// `ignored`: readings that changed nothing (an earlier slot, values no less favourable
    /// to the owner, or already held).
    EvidenceAdded {
        window: u32,
        improved: u32,
        ignored: u32,
    },
    Slashed {
        node: ProsumerIndex,
        reporter: Address,
        reason: SlashReason,
        reward: u128,
    },
    Closed,
    Withdrawn {
        to: Address,
        amount: u128,
    },
}

/// Why a call was reverted. Each variant names one problem; none changes any state.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
pub enum ContractError {
    #[error("call is not allowed in phase {actual:?}")]
    WrongPhase { actual: Phase },
    #[error("{0} is not a prosumer wallet of this contract")]
    NotAWallet(Address),
    #[error("{0} is not a node of this contract")]
    NotANode(Address),
    #[error("deposit must be exactly {expected} wei, got {got}")]
    WrongAmount { expected: u128, got: u128 },
    #[error("this call carries no ether, got {0} wei")]
    UnexpectedValue(u128),
    #[error("already paid")]
    AlreadyPaid,
    #[error("funding closed at {start}")]
    FundingClosed { start: u64 },
    #[error("funding is open until {start}; abort is only possible after")]
    FundingStillOpen { start: u64 },
    #[error("every window is already final")]
    AllWindowsFinal,
    #[error("window {got} is not the next window ({expected})")]
    WindowNotNext { expected: u32, got: u32 },
    #[error("window {window} ends at {ends_at}; now is {now}")]
    WindowNotEnded { window: u32, ends_at: u64, now: u64 },
    #[error("prevHash {got} does not link to the last final result {expected}")]
    PrevHashMismatch { expected: B256, got: B256 },
    #[error("malformed result: {0}")]
    MalformedResult(&'static str),
    #[error("{got} signatures; a result needs between 1 and {expected}")]
    WrongSignatureCount { expected: usize, got: usize },
    #[error("window {window} takes a result with fewer than all signatures from {until} on")]
    SigningPeriodRunning { window: u32, until: u64 },
    #[error("signature {index}: {error}")]
    BadSignature { index: usize, error: SignatureError },
    #[error("signature {index} is by {signer}, not a node")]
    UnknownSigner { index: usize, signer: Address },
    #[error("node {0} signed twice in one certificate")]
    DuplicateSigner(Address),
    #[error("window {window} already has a pending result")]
    AlreadyPending { window: u32 },
    #[error("window {window} has no pending result")]
    NoPending { window: u32 },
    #[error("the challenge period of window {window} runs until {until}")]
    ChallengePeriodRunning { window: u32, until: u64 },
    #[error("the challenge period of window {window} ended at {until}")]
    ChallengePeriodOver { window: u32, until: u64 },
    #[error("result {0} was challenged in this dispute and cannot close it")]
    ChallengedResult(B256),
    #[error("a dispute on window {window} is already open")]
    DisputeAlreadyOpen { window: u32 },
    #[error("no dispute is open on window {window}")]
    NoDispute { window: u32 },
    #[error("the dispute on window {window} stopped taking evidence at {deadline}")]
    DisputeDeadlinePassed { window: u32, deadline: u64 },
    #[error("the dispute on window {window} takes evidence until {deadline}")]
    DisputeStillOpen { window: u32, deadline: u64 },
    #[error("evidence must hold between 1 and {max} readings, got {got}")]
    EvidenceSize { max: usize, got: usize },
    #[error("reading {index}: {error}")]
    Reading { index: usize, error: ReadingError },
    #[error("the two results are the same or for different windows: not an equivocation")]
    NotEquivocation,
    #[error("the two results were signed by different nodes")]
    SignersDiffer,
    #[error("a node cannot report itself")]
    SelfReport,
    #[error("node {0} is already slashed")]
    AlreadySlashed(ProsumerIndex),
    #[error("the readings do not hash to the claimed readingsRoot")]
    RootMismatch,
    #[error("the claimed result is consistent with its readings: no fraud")]
    NotFraud,
    #[error("not every window is final yet (next is {next})")]
    NotAllFinal { next: u32 },
    #[error("the slash period runs until {until}")]
    SlashPeriodRunning { until: u64 },
    #[error("nothing to withdraw for {0}")]
    NothingToWithdraw(Address),
}

/// The two kinds of funding payment.
#[derive(Clone, Copy)]
enum Payment {
    Deposit,
    Bond,
}

/// A result waiting out its challenge period: a certificate in the hardened variant, or a
/// partial result (fewer than N signatures) in either variant.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Pending {
    pub result: WindowResult,
    pub hash: B256,
    pub until: u64,
    /// Signed by fewer than N nodes: final with path `Partial`.
    pub partial: bool,
}

/// An open dispute: the evidence collected so far.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Dispute {
    pub window: u32,
    pub deadline: u64,
    pub opened_by: ProsumerIndex,
    /// The pending result this dispute challenged, which may not close it.
    pub challenged: Option<B256>,
    /// The deciding set of the evidence accepted so far (spec §5.2, §7.4).
    pub evidence: Deciding,
}

/// What the contract remembers of a final window.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FinalWindow {
    pub hash: B256,
    pub at: u64,
    pub path: Path,
    pub produced: Vec<u64>,
    pub consumed: Vec<u64>,
}

/// The reference contract. `R` recovers signatures (real secp256k1, memoised or not).
///
/// Equality and hashing cover the contract's mutable state only: the parameters, domain and
/// recovery function are fixed at open (the model checker hashes millions of states).
#[derive(Clone, Debug)]
pub struct Contract<R> {
    recover: R,
    params: Arc<Params>,
    domain: Domain,
    phase: Phase,
    /// Wei held by the contract.
    held: u128,
    deposited: Vec<bool>,
    balances: Vec<u128>,
    bonds: Vec<u128>,
    bonded: Vec<bool>,
    slashed: Vec<bool>,
    dust: u128,
    slash_pool: u128,
    rewards: BTreeMap<Address, u128>,
    next_window: u32,
    last_hash: B256,
    finals: Vec<FinalWindow>,
    pending: Option<Pending>,
    dispute: Option<Dispute>,
    owed: BTreeMap<Address, u128>,
    paid_in: u128,
    paid_out: u128,
}

/// The mutable state, as a tuple of references, for equality and hashing.
macro_rules! contract_state {
    ($c:expr) => {
        (
            &$c.phase,
            &$c.held,
            &$c.deposited,
            &$c.balances,
            &$c.bonds,
            &$c.bonded,
            &$c.slashed,
            (&$c.dust, &$c.slash_pool, &$c.rewards),
            (&$c.next_window, &$c.last_hash, &$c.finals),
            (
                &$c.pending,
                &$c.dispute,
                &$c.owed,
                &$c.paid_in,
                &$c.paid_out,
            ),
        )
    };
}

impl<R> PartialEq for Contract<R> {
    fn eq(&self, other: &Self) -> bool {
        (Arc::ptr_eq(&self.params, &other.params) || self.params == other.params)
            && contract_state!(self) == contract_state!(other)
    }
}

impl<R> Eq for Contract<R> {}

impl<R> Hash for Contract<R> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        contract_state!(self).hash(state)
    }
}

impl<R: Recover> Contract<R> {
    /// Opens the contract (spec §7.1): the parameters are checked and fixed.
    pub fn open(params: Params, recover: R) -> Result<Self, ParamsError> {
        params.validate()?;
        let n = params.prosumers();
        Ok(Self {
            recover,
            domain: Domain::of(&params),
            phase: Phase::Funding,
            held: 0,
            deposited: vec![false; n],
            balances: vec![0; n],
            bonds: vec![0; n],
            bonded: vec![false; n],
            slashed: vec![false; n],
            dust: 0,
            slash_pool: 0,
            rewards: BTreeMap::new(),
            next_window: 0,
            last_hash: params.genesis_hash(),
            finals: Vec::new(),
            pending: None,
            dispute: None,
            owed: BTreeMap::new(),
            paid_in: 0,
            paid_out: 0,
            params: Arc::new(params),
        })
    }

    // ---- read-only views (what nodes observe on chain) ----

    pub fn params(&self) -> &Params {
        &self.params
    }
    pub fn domain(&self) -> &Domain {
        &self.domain
    }
    pub fn phase(&self) -> Phase {
        self.phase
    }
    pub fn next_window(&self) -> u32 {
        self.next_window
    }
    pub fn last_hash(&self) -> B256 {
        self.last_hash
    }
    pub fn pending(&self) -> Option<&Pending> {
        self.pending.as_ref()
    }
    pub fn dispute(&self) -> Option<&Dispute> {
        self.dispute.as_ref()
    }
    pub fn finals(&self) -> &[FinalWindow] {
        &self.finals
    }
    pub fn balances(&self) -> &[u128] {
        &self.balances
    }
    pub fn bonds(&self) -> &[u128] {
        &self.bonds
    }
    pub fn deposited(&self) -> &[bool] {
        &self.deposited
    }
    pub fn bonded(&self) -> &[bool] {
        &self.bonded
    }
    pub fn is_slashed(&self, node: ProsumerIndex) -> bool {
        self.slashed[node]
    }
    pub fn slashed(&self) -> &[bool] {
        &self.slashed
    }
    pub fn dust(&self) -> u128 {
        self.dust
    }
    pub fn slash_pool(&self) -> u128 {
        self.slash_pool
    }
    pub fn held(&self) -> u128 {
        self.held
    }
    pub fn owed(&self) -> &BTreeMap<Address, u128> {
        &self.owed
    }
    pub fn rewards(&self) -> &BTreeMap<Address, u128> {
        &self.rewards
    }
    /// Total wei ever paid in and out.
    pub fn flows(&self) -> (u128, u128) {
        (self.paid_in, self.paid_out)
    }
    /// Time the last window became final, if any.
    pub fn last_final_at(&self) -> Option<u64> {
        self.finals.last().map(|f| f.at)
    }

    /// INV-FUNDS-001: the ether held equals every account the contract keeps, and every wei
    /// paid in is either still held or was paid out.
    pub fn check_conservation(&self) -> Result<(), String> {
        let accounts = self.balances.iter().sum::<u128>()
            + self.bonds.iter().sum::<u128>()
            + self.dust
            + self.slash_pool
            + self.rewards.values().sum::<u128>()
            + self.owed.values().sum::<u128>();
        if accounts != self.held {
            return Err(format!(
                "INV-FUNDS-001 violated: held {} but accounts sum to {}",
                self.held, accounts
            ));
        }
        if self.paid_in != self.held + self.paid_out {
            return Err(format!(
                "INV-FUNDS-001 violated: paid in {} != held {} + paid out {}",
                self.paid_in, self.held, self.paid_out
            ));
        }
        Ok(())
    }

    /// Executes one call at time `now`. On error nothing changes (revert semantics).
    pub fn execute(&mut self, call: &Call, now: u64) -> Result<Vec<Event>, ContractError> {
        let mut next = self.clone();
        let events = next.apply(call, now)?;
        debug_assert!(next.check_conservation().is_ok());
        *self = next;
        Ok(events)
    }

    fn apply(&mut self, call: &Call, now: u64) -> Result<Vec<Event>, ContractError> {
        let payable = matches!(call.tx, Tx::Deposit | Tx::PostBond);
        if !payable && call.value != 0 {
            return Err(ContractError::UnexpectedValue(call.value));
        }
        match &call.tx {
            Tx::Deposit => self.deposit(call.from, call.value, now),
            Tx::PostBond => self.post_bond(call.from, call.value, now),
            Tx::Abort => self.abort(now),
            Tx::SubmitWindow { result, signatures } => self.submit_window(result, signatures, now),
            Tx::OpenDispute { window } => self.open_dispute(call.from, *window, now),
            Tx::AddEvidence { window, readings } => self.add_evidence(*window, readings, now),
            Tx::FinalizeDispute { window } => self.finalize_dispute(*window, now),
            Tx::FinalizePending { window } => self.finalize_pending(*window, now),
            Tx::ReportEquivocation { first, second } => {
                self.report_equivocation(call.from, first, second)
            }
            Tx::ReportInconsistency { claim, readings } => {
                self.report_inconsistency(call.from, claim, readings)
            }
            Tx::Close => self.close(now),
            Tx::Withdraw => self.withdraw(call.from),
        }
    }

    fn require_phase(&self, phase: Phase) -> Result<(), ContractError> {
        if self.phase != phase {
            return Err(ContractError::WrongPhase { actual: self.phase });
        }
        Ok(())
    }

    // ---- §7.2 funding ----

    fn deposit(
        &mut self,
        from: Address,
        value: u128,
        now: u64,
    ) -> Result<Vec<Event>, ContractError> {
        self.require_phase(Phase::Funding)?;
        let i = self
            .params
            .wallet_index(&from)
            .ok_or(ContractError::NotAWallet(from))?;
        let expected = self.params.deposits[i];
        self.pay_in(Payment::Deposit, i, expected, value, now)?;
        self.balances[i] = value;
        let mut ev = vec![Event::Deposited {
            prosumer: i,
            amount: value,
        }];
        ev.extend(self.activate_if_funded());
        Ok(ev)
    }

    fn post_bond(
        &mut self,
        from: Address,
        value: u128,
        now: u64,
    ) -> Result<Vec<Event>, ContractError> {
        self.require_phase(Phase::Funding)?;
        let j = self
            .params
            .node_index(&from)
            .ok_or(ContractError::NotANode(from))?;
        let expected = self.params.bond;
        self.pay_in(Payment::Bond, j, expected, value, now)?;
        self.bonds[j] = value;
        let mut ev = vec![Event::Bonded {
            node: j,
            amount: value,
        }];
        ev.extend(self.activate_if_funded());
        Ok(ev)
    }

    /// The checks and bookkeeping every funding payment shares (§7.2), after the phase and
    /// the payer: before start, once, and the exact amount.
    fn pay_in(
        &mut self,
        kind: Payment,
        who: ProsumerIndex,
        expected: u128,
        value: u128,
        now: u64,
    ) -> Result<(), ContractError> {
        self.funding_open(now)?;
        let paid = match kind {
            Payment::Deposit => &mut self.deposited[who],
            Payment::Bond => &mut self.bonded[who],
        };
        if *paid {
            return Err(ContractError::AlreadyPaid);
        }
        if value != expected {
            return Err(ContractError::WrongAmount {
                expected,
                got: value,
            });
        }
        *paid = true;
        self.receive(value);
        Ok(())
    }

    fn funding_open(&self, now: u64) -> Result<(), ContractError> {
        if now >= self.params.start {
            return Err(ContractError::FundingClosed {
                start: self.params.start,
            });
        }
        Ok(())
    }

    fn receive(&mut self, value: u128) {
        self.held += value;
        self.paid_in += value;
    }

    fn activate_if_funded(&mut self) -> Option<Event> {
        if self.deposited.iter().all(|d| *d) && self.bonded.iter().all(|b| *b) {
            self.phase = Phase::Active;
            Some(Event::Activated)
        } else {
            None
        }
    }

    /// §7.2: funding incomplete at start refunds every payment exactly (INV-FUNDS-005).
    fn abort(&mut self, now: u64) -> Result<Vec<Event>, ContractError> {
        self.require_phase(Phase::Funding)?;
        if now < self.params.start {
            return Err(ContractError::FundingStillOpen {
                start: self.params.start,
            });
        }
        for i in 0..self.params.prosumers() {
            let wallet = self.params.wallets[i];
            let node = self.params.nodes[i];
            *self.owed.entry(wallet).or_default() += std::mem::take(&mut self.balances[i]);
            *self.owed.entry(node).or_default() += std::mem::take(&mut self.bonds[i]);
        }
        self.owed.retain(|_, v| *v > 0);
        self.phase = Phase::Aborted;
        Ok(vec![Event::Aborted])
    }

    // ---- §7.3 fast path ----

    fn require_next(&self, window: u32) -> Result<(), ContractError> {
        if self.next_window >= self.params.windows {
            return Err(ContractError::AllWindowsFinal);
        }
        if window != self.next_window {
            return Err(ContractError::WindowNotNext {
                expected: self.next_window,
                got: window,
            });
        }
        Ok(())
    }

    fn require_ended(&self, window: u32, now: u64) -> Result<(), ContractError> {
        let ends_at = self.params.window_end(window);
        if now < ends_at {
            return Err(ContractError::WindowNotEnded {
                window,
                ends_at,
                now,
            });
        }
        Ok(())
    }

    /// Shape checks any honest result passes: one total per prosumer, each within what
    /// a window of valid readings can add up to.
    fn check_shape(&self, result: &WindowResult) -> Result<(), ContractError> {
        let n = self.params.prosumers();
        if result.produced.len() != n || result.consumed.len() != n {
            return Err(ContractError::MalformedResult(
                "totals must have one entry per prosumer",
            ));
        }
        let max = self.params.max_window_wh();
        if result
            .produced
            .iter()
            .chain(&result.consumed)
            .any(|v| *v > max)
        {
            return Err(ContractError::MalformedResult(
                "a total exceeds what one window of readings can reach",
            ));
        }
        Ok(())
    }

    fn submit_window(
        &mut self,
        result: &WindowResult,
        signatures: &[Signature65],
        now: u64,
    ) -> Result<Vec<Event>, ContractError> {
        self.require_phase(Phase::Active)?;
        self.require_next(result.window)?;
        self.require_ended(result.window, now)?;
        if result.prev_hash != self.last_hash {
            return Err(ContractError::PrevHashMismatch {
                expected: self.last_hash,
                got: result.prev_hash,
            });
        }
        self.check_shape(result)?;
        let n = self.params.prosumers();
        // Between 1 and N signatures, by distinct registered nodes. INV-CERT-001: only all N
        // make a certificate, final at once; fewer make a partial result (§7.3).
        if signatures.is_empty() || signatures.len() > n {
            return Err(ContractError::WrongSignatureCount {
                expected: n,
                got: signatures.len(),
            });
        }
        let one_short = crate::mutant::active(crate::mutant::Mutant::AcceptMissingSignature)
            && signatures.len() + 1 == n;
        let full = signatures.len() == n || one_short;
        let hash = self.domain.result_digest(result);
        let mut seen = vec![false; n];
        for (index, sig) in signatures.iter().enumerate() {
            let signer = self
                .recover
                .recover(&hash, sig)
                .map_err(|error| ContractError::BadSignature { index, error })?;
            let j = self
                .params
                .node_index(&signer)
                .ok_or(ContractError::UnknownSigner { index, signer })?;
            if seen[j] {
                return Err(ContractError::DuplicateSigner(signer));
            }
            seen[j] = true;
        }
        if !full {
            // A partial result only once unanimity had its chance, and never over a dispute:
            // nothing in it vouches for an honest signature.
            let until = self.signing_deadline(result.window);
            if now < until {
                return Err(ContractError::SigningPeriodRunning {
                    window: result.window,
                    until,
                });
            }
            if self.dispute.is_some() {
                return Err(ContractError::DisputeAlreadyOpen {
                    window: result.window,
                });
            }
        }
        if self.pending.is_some() {
            return Err(ContractError::AlreadyPending {
                window: result.window,
            });
        }
        if let Some(d) = &self.dispute {
            if d.challenged == Some(hash) {
                return Err(ContractError::ChallengedResult(hash));
            }
            // F7: once the deadline passed, the evidence decides, not a late certificate.
            if now >= d.deadline {
                return Err(ContractError::DisputeDeadlinePassed {
                    window: result.window,
                    deadline: d.deadline,
                });
            }
        }
        // A certificate closes an open dispute early: it carries an honest signature.
        self.dispute = None;
        // Final at once: a certificate in the paper's variant (or, planted bug, a partial
        // result). Otherwise pending: a partial result for a dispute period, a certificate
        // of the hardened variant for the challenge period (§7.3).
        let at_once = if full {
            self.params.challenge_period == 0
        } else {
            crate::mutant::active(crate::mutant::Mutant::PartialFinalAtOnce)
        };
        if at_once {
            let path = if full { Path::FastPath } else { Path::Partial };
            let ev = self.finalize(
                result.produced.clone(),
                result.consumed.clone(),
                hash,
                path,
                now,
            );
            return Ok(vec![ev]);
        }
        let until = now
            + if full {
                self.params.challenge_period
            } else {
                self.params.dispute_period
            };
        self.pending = Some(Pending {
            result: result.clone(),
            hash,
            until,
            partial: !full,
        });
        Ok(vec![Event::WindowPending {
            window: result.window,
            hash,
            until,
        }])
    }

    fn finalize_pending(&mut self, window: u32, now: u64) -> Result<Vec<Event>, ContractError> {
        self.require_phase(Phase::Active)?;
        self.require_next(window)?;
        let p = self
            .pending
            .as_ref()
            .ok_or(ContractError::NoPending { window })?;
        if now < p.until {
            return Err(ContractError::ChallengePeriodRunning {
                window,
                until: p.until,
            });
        }
        let p = self.pending.take().expect("checked");
        let path = if p.partial {
            Path::Partial
        } else {
            Path::FastPath
        };
        Ok(vec![self.finalize(
            p.result.produced,
            p.result.consumed,
            p.hash,
            path,
            now,
        )])
    }

    /// From when a result with fewer than N signatures is taken (spec §7.3): the end of the
    /// window's collect and sign periods.
    pub fn signing_deadline(&self, window: u32) -> u64 {
        self.params.window_end(window) + self.params.collect_period + self.params.sign_period
    }

    /// Applies the reaction and makes the next window final (spec §7.5, §8).
    fn finalize(
        &mut self,
        produced: Vec<u64>,
        consumed: Vec<u64>,
        hash: B256,
        path: Path,
        now: u64,
    ) -> Event {
        let s = settle(
            &produced,
            &consumed,
            &self.balances,
            self.params.price_wei_per_wh,
        );
        for i in 0..self.balances.len() {
            // `settle` never charges more than the balance (INV-FUNDS-003), so this never
            // saturates; if it did, INV-FUNDS-001 would report the missing wei.
            self.balances[i] = self.balances[i].saturating_sub(s.paid[i]) + s.received[i];
        }
        self.dust += s.dust;
        let window = self.next_window;
        self.finals.push(FinalWindow {
            hash,
            at: now,
            path,
            produced,
            consumed,
        });
        self.last_hash = hash;
        self.next_window += 1;
        self.pending = None;
        // Dispute state of a final window is deleted (on-chain pruning, spec §9).
        self.dispute = None;
        Event::WindowFinalized {
            window,
            hash,
            path,
            settlement: s,
        }
    }

    // ---- §7.4 dispute path ----

    fn open_dispute(
        &mut self,
        from: Address,
        window: u32,
        now: u64,
    ) -> Result<Vec<Event>, ContractError> {
        self.require_phase(Phase::Active)?;
        let by = self
            .params
            .node_index(&from)
            .ok_or(ContractError::NotANode(from))?;
        self.require_next(window)?;
        self.require_ended(window, now)?;
        if self.dispute.is_some() {
            return Err(ContractError::DisputeAlreadyOpen { window });
        }
        let challenged = match self.pending.take() {
            Some(p) if now >= p.until => {
                return Err(ContractError::ChallengePeriodOver {
                    window,
                    until: p.until,
                })
            }
            Some(p) => Some(p.hash),
            None => None,
        };
        let deadline = now + self.params.dispute_period;
        self.dispute = Some(Dispute {
            window,
            deadline,
            opened_by: by,
            challenged,
            evidence: Deciding::new(window, self.params.prosumers()),
        });
        Ok(vec![Event::DisputeOpened {
            window,
            by,
            deadline,
            challenged,
        }])
    }

    fn add_evidence(
        &mut self,
        window: u32,
        readings: &[SignedReading],
        now: u64,
    ) -> Result<Vec<Event>, ContractError> {
        self.require_phase(Phase::Active)?;
        if readings.is_empty() || readings.len() > MAX_EVIDENCE_CHUNK {
            return Err(ContractError::EvidenceSize {
                max: MAX_EVIDENCE_CHUNK,
                got: readings.len(),
            });
        }
        let d = self
            .dispute
            .as_ref()
            .filter(|d| d.window == window)
            .ok_or(ContractError::NoDispute { window })?;
        if now >= d.deadline {
            return Err(ContractError::DisputeDeadlinePassed {
                window,
                deadline: d.deadline,
            });
        }
        let mut checked = Vec::with_capacity(readings.len());
        for (index, sr) in readings.iter().enumerate() {
            let m = validate_reading(&self.params, &self.domain, &self.recover, sr, window)
                .map_err(|error| ContractError::Reading { index, error })?;
            checked.push((m, *sr));
        }
        let d = self.dispute.as_mut().expect("checked");
        let (mut improved, mut ignored) = (0, 0);
        for (m, sr) in checked {
            // INV-CONFLUENCE-001: the evidence is a join, so the outcome depends only on the
            // set of readings accepted, never on their order or multiplicity.
            if d.evidence.add(m, sr) {
                improved += 1;
            } else {
                ignored += 1;
            }
        }
        Ok(vec![Event::EvidenceAdded {
            window,
            improved,
            ignored,
        }])
    }

    fn finalize_dispute(&mut self, window: u32, now: u64) -> Result<Vec<Event>, ContractError> {
        self.require_phase(Phase::Active)?;
        let d = self
            .dispute
            .as_ref()
            .filter(|d| d.window == window)
            .ok_or(ContractError::NoDispute { window })?;
        if now < d.deadline && !crate::mutant::active(crate::mutant::Mutant::FinalizeDisputeEarly) {
            return Err(ContractError::DisputeStillOpen {
                window,
                deadline: d.deadline,
            });
        }
        let d = self.dispute.take().expect("checked");
        let result = dispute_outcome(&d.evidence, self.last_hash);
        let hash = self.domain.result_digest(&result);
        Ok(vec![self.finalize(
            result.produced,
            result.consumed,
            hash,
            Path::Dispute,
            now,
        )])
    }

    // ---- §7.7 slashing ----

    fn signer_of(&self, sr: &SignedResult, index: usize) -> Result<ProsumerIndex, ContractError> {
        let hash = self.domain.result_digest(&sr.result);
        let signer = self
            .recover
            .recover(&hash, &sr.signature)
            .map_err(|error| ContractError::BadSignature { index, error })?;
        self.params
            .node_index(&signer)
            .ok_or(ContractError::UnknownSigner { index, signer })
    }

    fn report_equivocation(
        &mut self,
        reporter: Address,
        first: &SignedResult,
        second: &SignedResult,
    ) -> Result<Vec<Event>, ContractError> {
        self.require_phase(Phase::Active)?;
        if first.result.window != second.result.window || first.result == second.result {
            return Err(ContractError::NotEquivocation);
        }
        let a = self.signer_of(first, 0)?;
        let b = self.signer_of(second, 1)?;
        if a != b {
            return Err(ContractError::SignersDiffer);
        }
        if self.params.nodes[a] == reporter {
            return Err(ContractError::SelfReport);
        }
        Ok(vec![self.slash(a, reporter, SlashReason::Equivocation)?])
    }

    fn report_inconsistency(
        &mut self,
        reporter: Address,
        claim: &SignedResult,
        readings: &[SignedReading],
    ) -> Result<Vec<Event>, ContractError> {
        self.require_phase(Phase::Active)?;
        if readings.len() > MAX_FRAUD_PROOF_READINGS {
            return Err(ContractError::EvidenceSize {
                max: MAX_FRAUD_PROOF_READINGS,
                got: readings.len(),
            });
        }
        let node = self.signer_of(claim, 0)?;
        if self.params.nodes[node] == reporter {
            return Err(ContractError::SelfReport);
        }
        let root = readings
            .iter()
            .fold(B256::ZERO, |root, sr| chain_root(root, leaf(sr)));
        if root != claim.result.readings_root
            && !crate::mutant::active(crate::mutant::Mutant::SkipRootCheck)
        {
            return Err(ContractError::RootMismatch);
        }
        if self.is_inconsistent(&claim.result, readings) {
            Ok(vec![self.slash(
                node,
                reporter,
                SlashReason::Inconsistency,
            )?])
        } else {
            Err(ContractError::NotFraud)
        }
    }

    /// Whether `result` could not have been signed by an honest node over `readings`
    /// (spec §7.7): a malformed result, an invalid or out-of-window reading, a list not in
    /// strictly increasing canonical order, a list that is not its own deciding set, or
    /// totals that are not `f` of it.
    fn is_inconsistent(&self, result: &WindowResult, readings: &[SignedReading]) -> bool {
        if result.window >= self.params.windows || self.check_shape(result).is_err() {
            return true;
        }
        let mut set = Deciding::new(result.window, self.params.prosumers());
        let mut last: Option<(ProsumerIndex, u64, B256)> = None;
        for sr in readings {
            let Ok(m) =
                validate_reading(&self.params, &self.domain, &self.recover, sr, result.window)
            else {
                return true;
            };
            let key = (m, sr.reading.slot, leaf(sr));
            if last.is_some_and(|l| l >= key) {
                return true;
            }
            last = Some(key);
            set.add(m, *sr);
        }
        // An honest root commits to a deciding set (§4.4): a reading that decides nothing, or
        // two slots of one meter, is a list no honest node would sign.
        if !set.readings().map(|(_, k)| &k.signed).eq(readings.iter()) {
            return true;
        }
        set.totals() != (result.produced.clone(), result.consumed.clone())
    }

    /// INV-SLASH-001: half the bond to the reporter, half to the slash pool.
    fn slash(
        &mut self,
        node: ProsumerIndex,
        reporter: Address,
        reason: SlashReason,
    ) -> Result<Event, ContractError> {
        if self.slashed[node] {
            return Err(ContractError::AlreadySlashed(node));
        }
        let bond = std::mem::take(&mut self.bonds[node]);
        let reward = bond / 2;
        self.slashed[node] = true;
        *self.rewards.entry(reporter).or_default() += reward;
        self.rewards.retain(|_, v| *v > 0);
        self.slash_pool += bond - reward;
        Ok(Event::Slashed {
            node,
            reporter,
            reason,
            reward,
        })
    }

    // ---- §7.8 close and withdraw ----

    fn close(&mut self, now: u64) -> Result<Vec<Event>, ContractError> {
        self.require_phase(Phase::Active)?;
        if self.next_window < self.params.windows {
            return Err(ContractError::NotAllFinal {
                next: self.next_window,
            });
        }
        let until = self.last_final_at().expect("all final") + self.params.slash_period;
        if now < until {
            return Err(ContractError::SlashPeriodRunning { until });
        }
        let n = self.params.prosumers();
        let unslashed = self.slashed.iter().filter(|s| !**s).count() as u128;
        let share = if unslashed > 0 {
            self.slash_pool / unslashed
        } else {
            0
        };
        let mut dust = std::mem::take(&mut self.dust) + self.slash_pool - share * unslashed;
        self.slash_pool = 0;
        for i in 0..n {
            let wallet = self.params.wallets[i];
            *self.owed.entry(wallet).or_default() += std::mem::take(&mut self.balances[i]);
            if !self.slashed[i] {
                let node = self.params.nodes[i];
                *self.owed.entry(node).or_default() += std::mem::take(&mut self.bonds[i]) + share;
            }
        }
        for (addr, r) in std::mem::take(&mut self.rewards) {
            *self.owed.entry(addr).or_default() += r;
        }
        *self.owed.entry(self.params.dust_recipient).or_default() += std::mem::take(&mut dust);
        self.owed.retain(|_, v| *v > 0);
        self.phase = Phase::Closed;
        Ok(vec![Event::Closed])
    }

    fn withdraw(&mut self, to: Address) -> Result<Vec<Event>, ContractError> {
        if self.phase != Phase::Closed && self.phase != Phase::Aborted {
            return Err(ContractError::WrongPhase { actual: self.phase });
        }
        // Pull payment: the entitlement is zeroed before the transfer (no reentrancy).
        let amount = self
            .owed
            .remove(&to)
            .ok_or(ContractError::NothingToWithdraw(to))?;
        self.held -= amount;
        self.paid_out += amount;
        Ok(vec![Event::Withdrawn { to, amount }])
    }
}

/// The result a dispute finalises (spec §7.4): the totals of the evidence, linked to the
/// last final result. Its readings root is zero: the evidence itself is on chain.
pub fn dispute_outcome(evidence: &Deciding, prev_hash: B256) -> WindowResult {
    let (produced, consumed) = evidence.totals();
    WindowResult {
        window: evidence.window(),
        prev_hash,
        produced,
        consumed,
        readings_root: B256::ZERO,
    }
}

#[cfg(test)]
#[path = "contract_tests.rs"]
mod tests;
