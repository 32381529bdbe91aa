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

use crate::protocol::bonds::{self, Loser};
use crate::protocol::crypto::{Recover, Signature65, SignatureError};
use crate::protocol::eip712::{chain_root, leaf, Domain};
use crate::protocol::params::{Params, ParamsError, ProsumerIndex, SignerError, MAX_PROSUMERS};
use crate::protocol::reaction::{settle, Settlement};
use crate::protocol::reading_set::{validate_reading, Deciding, ReadingError};
use crate::protocol::types::{SignedReading, SignedResult, WindowResult};

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
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
    /// `by`: the challenging node's address, or whoever opened an escape (§7.4, F6).
    DisputeOpened {
        window: u32,
        by: Address,
        deadline: u64,
        challenged: Option<B256>,
    },
    /// A challenge was decided (§7.10): `reimbursed` wei of the loser's bond were credited
    /// for gas, `pooled` went to the slash pool; the winner's bond was refunded.
    BondsSettled {
        window: u32,
        loser: Loser,
        reimbursed: u128,
        pooled: u128,
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
    #[error("this payment must be exactly {expected} wei, got {got}")]
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
    #[error("signature {index} is by a slashed node, which no longer signs for the grid")]
    SlashedSigner { index: usize },
    #[error("node {0} is slashed and can no longer challenge")]
    SlashedNode(ProsumerIndex),
    #[error("window {window} has no pending result to challenge; an escape dispute opens from {escape_at}")]
    NothingToChallenge { window: u32, escape_at: u64 },
    #[error("window {window} already has a pending result")]
    AlreadyPending { window: u32 },
    #[error("window {window} has no pending result")]
    NoPending { window: u32 },
    #[error("the challenge period of window {window} runs until {until}")]
    ChallengePeriodRunning { window: u32, until: u64 },
    #[error("the challenge period of window {window} ended at {until}")]
    ChallengePeriodOver { window: u32, until: u64 },
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
    /// Signed by fewer than all unslashed nodes: final with path `Partial`.
    pub partial: bool,
    /// The node that submitted a partial result and locked `dispute_bond` with it (§7.10);
    /// none for a certificate.
    pub asserter: Option<ProsumerIndex>,
}

/// The pending result a dispute challenges, and who stands behind each side (§7.10).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Challenged {
    pub hash: B256,
    pub produced: Vec<u64>,
    pub consumed: Vec<u64>,
    /// The node that bonded the partial result; none for a certificate.
    pub asserter: Option<ProsumerIndex>,
    /// The node that challenged it and bonded the challenge.
    pub challenger: ProsumerIndex,
}

/// An open dispute: a challenge of a pending result, or an escape when no result came
/// (F6); the evidence collected so far.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Dispute {
    pub window: u32,
    pub deadline: u64,
    pub opened_by: Address,
    /// The challenged result; none for an escape.
    pub challenged: Option<Challenged>,
    /// The deciding set of the evidence accepted so far (spec §5.2, §7.4).
    pub evidence: Deciding,
    /// Per meter, the node whose reading last changed its deciding values: it is credited
    /// for that meter's evidence (§7.10). None while no node did.
    pub posted_by: Vec<Option<ProsumerIndex>>,
}

impl Dispute {
    /// Hash of the challenged result, if any.
    pub fn challenged_hash(&self) -> Option<B256> {
        self.challenged.as_ref().map(|c| c.hash)
    }
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
    /// Whether every window of the contract is final (§7.8: `close` may follow, after the
    /// slash period). One definition for the contract and the nodes that send `close`.
    pub fn all_final(&self) -> bool {
        if crate::protocol::mutant::active(crate::protocol::mutant::Mutant::CloseOneWindowEarly) {
            return self.all_final_one_early();
        }
        self.next_window >= self.params.windows
    }

    /// The planted bug `close-one-window-early`: the last window counts as final one window
    /// early. Never used without that mutant, so left out of mutation testing
    /// (docs/testing.md).
    #[cfg_attr(mutants, mutants::skip)]
    fn all_final_one_early(&self) -> bool {
        self.next_window + 1 >= self.params.windows
    }

    /// Time the last window became final, if any.
    pub fn last_final_at(&self) -> Option<u64> {
        self.finals.last().map(|f| f.at)
    }

    /// Unslashed nodes: a certificate is their signatures, all of them (§7.3).
    pub fn unslashed(&self) -> usize {
        self.slashed.iter().filter(|s| !**s).count()
    }

    /// INV-CERT-001: `count` valid signatures by distinct unslashed nodes make a certificate
    /// (final at once in the paper's variant, no bond) exactly when they are every unslashed
    /// node's; fewer make a partial result. The one definition `submitWindow`, the bond it
    /// requires and the nodes (`Node::certificate`) all use.
    pub fn is_certificate(&self, count: usize) -> bool {
        if crate::protocol::mutant::any_active() {
            if let Some(planted) = self.planted_certificate(count) {
                return planted;
            }
        }
        count == self.unslashed()
    }

    /// The planted bugs of the certificate rule: `certificate-needs-one-more` (one signature
    /// more than there can be) and `accept-missing-signature` (one short is enough). Never
    /// used without them, so left out of mutation testing (docs/testing.md).
    #[cfg_attr(mutants, mutants::skip)]
    fn planted_certificate(&self, count: usize) -> Option<bool> {
        use crate::protocol::mutant::{active, Mutant};
        let unslashed = self.unslashed();
        if active(Mutant::CertificateNeedsOneMore) {
            Some(count == unslashed + 1)
        } else if active(Mutant::AcceptMissingSignature) {
            Some(count == unslashed || count + 1 == unslashed)
        } else {
            None
        }
    }

    /// Claim bonds locked in the pending result and the open dispute (§7.10).
    pub fn locked_bonds(&self) -> u128 {
        let bond = self.params.dispute_bond;
        let pending = self
            .pending
            .as_ref()
            .map_or(0, |p| p.asserter.is_some() as u128);
        let dispute = self.dispute.as_ref().and_then(|d| d.challenged.as_ref());
        let dispute = dispute.map_or(0, |c| 1 + c.asserter.is_some() as u128);
        (pending + dispute) * bond
    }

    /// The value a call must carry now (spec §7.3, §7.4): `dispute_bond` for a partial
    /// result and for a challenge, nothing for any other transaction but the funding ones.
    pub fn required_value(&self, tx: &Tx) -> u128 {
        match tx {
            Tx::SubmitWindow { signatures, .. } if !self.is_certificate(signatures.len()) => {
                self.params.dispute_bond
            }
            Tx::OpenDispute { .. } if self.pending.is_some() => self.params.dispute_bond,
            _ => 0,
        }
    }

    /// From when anyone may open a dispute on `window` without a result to challenge (F6):
    /// one sign and one dispute period after the node's freeze (the end of the collect
    /// period, or the previous window's finality if later). A live honest node has put a
    /// partial result on chain by then.
    pub fn escape_at(&self, window: u32) -> u64 {
        let p = &self.params;
        let freeze =
            (p.window_end(window) + p.collect_period).max(self.last_final_at().unwrap_or(0));
        freeze
            .saturating_add(p.sign_period)
            .saturating_add(p.dispute_period)
    }

    /// INV-FUNDS-001: the ether held equals every account the contract keeps, and every wei
    /// paid in is either still held or was paid out.
    pub fn check_conservation(&self) -> Result<(), String> {
        let accounts = self.balances.iter().sum::<u128>()
            + self.bonds.iter().sum::<u128>()
            + self.dust
            + self.slash_pool
            + self.rewards.values().sum::<u128>()
            + self.owed.values().sum::<u128>()
            + self.locked_bonds();
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
        let (next, events) = self.executed(call, now)?;
        *self = next;
        Ok(events)
    }

    /// The contract after one call at time `now`, and its events; `self` is unchanged either
    /// way. One copy a call: the model checker, whose states share a contract behind an `Arc`
    /// until a call changes it, copies nothing else.
    pub fn executed(&self, call: &Call, now: u64) -> Result<(Self, Vec<Event>), ContractError> {
        let mut next = self.clone();
        let events = next.apply(call, now)?;
        debug_assert!(crate::protocol::mutant::any_active() || next.check_conservation().is_ok());
        Ok((next, events))
    }

    fn apply(&mut self, call: &Call, now: u64) -> Result<Vec<Event>, ContractError> {
        // A partial result and a challenge carry their bond; they check the value themselves.
        let payable = matches!(
            call.tx,
            Tx::Deposit | Tx::PostBond | Tx::SubmitWindow { .. } | Tx::OpenDispute { .. }
        );
        if !payable && call.value != 0 {
            return Err(ContractError::UnexpectedValue(call.value));
        }
        match &call.tx {
            Tx::Deposit => self.deposit(call.from, call.value, now),
            Tx::PostBond => self.post_bond(call.from, call.value, now),
            Tx::Abort => self.abort(now),
            Tx::SubmitWindow { result, signatures } => {
                self.submit_window(call.from, call.value, result, signatures, now)
            }
            Tx::OpenDispute { window } => self.open_dispute(call.from, call.value, *window, now),
            Tx::AddEvidence { window, readings } => {
                self.add_evidence(call.from, *window, readings, now)
            }
            Tx::FinalizeDispute { window } => self.finalize_dispute(call.from, *window, now),
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
        *paid = true;
        // Revert semantics: on `WrongAmount` the whole call, and this flag, is dropped.
        self.receive_exact(expected, value)
    }

    /// Takes a payment of exactly `expected` wei (§7.2, §7.10), or refuses it by name.
    fn receive_exact(&mut self, expected: u128, value: u128) -> Result<(), ContractError> {
        if value != expected {
            return Err(ContractError::WrongAmount {
                expected,
                got: value,
            });
        }
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
            if !crate::protocol::mutant::active(crate::protocol::mutant::Mutant::AbortKeepsBonds) {
                *self.owed.entry(node).or_default() += std::mem::take(&mut self.bonds[i]);
            }
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
        from: Address,
        value: u128,
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
        // Between 1 and N signatures, by distinct registered nodes, none slashed.
        // INV-CERT-001: the signatures of every unslashed node make a certificate, final at
        // once; fewer make a partial result (§7.3). A slashed node has no veto (§7.7).
        if signatures.is_empty() || signatures.len() > n {
            return Err(ContractError::WrongSignatureCount {
                expected: n,
                got: signatures.len(),
            });
        }
        let full = self.is_certificate(signatures.len());
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
            if self.slashed[j]
                && !crate::protocol::mutant::active(
                    crate::protocol::mutant::Mutant::SlashedSignerCounts,
                )
            {
                return Err(ContractError::SlashedSigner { index });
            }
            seen[j] = true;
        }
        // An open dispute is decided by its evidence alone: no result replaces it (§7.3).
        if self.dispute.is_some() {
            return Err(ContractError::DisputeAlreadyOpen {
                window: result.window,
            });
        }
        if self.pending.is_some() {
            return Err(ContractError::AlreadyPending {
                window: result.window,
            });
        }
        let asserter = if full {
            if value != 0 {
                return Err(ContractError::UnexpectedValue(value));
            }
            None
        } else {
            // A partial result only once unanimity had its chance, by a node that bonds it:
            // nothing in it vouches for an honest signature.
            let until = self.signing_deadline(result.window);
            if now < until {
                return Err(ContractError::SigningPeriodRunning {
                    window: result.window,
                    until,
                });
            }
            let j = self
                .params
                .node_index(&from)
                .ok_or(ContractError::NotANode(from))?;
            self.take_bond(value)?;
            Some(j)
        };
        // Final at once: a certificate in the paper's variant (or, planted bug, a partial
        // result). Otherwise pending: a partial result for a dispute period, a certificate
        // of the hardened variant for the challenge period (§7.3).
        let at_once = if full {
            self.params.challenge_period == 0
        } else {
            crate::protocol::mutant::active(crate::protocol::mutant::Mutant::PartialFinalAtOnce)
        };
        if at_once {
            let path = if full { Path::FastPath } else { Path::Partial };
            if let Some(j) = asserter {
                self.credit(self.params.nodes[j], self.params.dispute_bond);
            }
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
            asserter,
        });
        Ok(vec![Event::WindowPending {
            window: result.window,
            hash,
            until,
        }])
    }

    /// Locks a claim bond paid with this call (§7.10): exactly `dispute_bond`.
    fn take_bond(&mut self, value: u128) -> Result<(), ContractError> {
        self.receive_exact(self.params.dispute_bond, value)
    }

    /// Credits `amount` wei to `to`, withdrawable after close (refunds and reimbursements).
    fn credit(&mut self, to: Address, amount: u128) {
        if amount > 0 {
            if crate::protocol::mutant::active(crate::protocol::mutant::Mutant::CreditPaidAtOnce) {
                return self.pay_at_once(amount);
            }
            *self.rewards.entry(to).or_default() += amount;
        }
    }

    /// The planted bug `dispute-keeps-window-open`: a dispute's outcome does not advance the
    /// next window. False without that mutant, so left out of mutation testing
    /// (docs/testing.md).
    #[cfg_attr(mutants, mutants::skip)]
    fn dispute_keeps_window_open(path: Path) -> bool {
        path == Path::Dispute
            && crate::protocol::mutant::active(
                crate::protocol::mutant::Mutant::DisputeKeepsWindowOpen,
            )
    }

    /// The planted bug `credit-paid-at-once`: a credit leaves the contract at once. Never
    /// used without that mutant, so left out of mutation testing (docs/testing.md).
    #[cfg_attr(mutants, mutants::skip)]
    fn pay_at_once(&mut self, amount: u128) {
        self.held -= amount;
        self.paid_out += amount;
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
        // Unchallenged: the asserter's bond is refunded.
        if let Some(j) = p.asserter {
            self.credit(self.params.nodes[j], self.params.dispute_bond);
        }
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
        if !Self::dispute_keeps_window_open(path) {
            self.next_window += 1;
        }
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
        value: u128,
        window: u32,
        now: u64,
    ) -> Result<Vec<Event>, ContractError> {
        self.require_phase(Phase::Active)?;
        self.require_next(window)?;
        self.require_ended(window, now)?;
        if self.dispute.is_some() {
            return Err(ContractError::DisputeAlreadyOpen { window });
        }
        let challenged = match &self.pending {
            Some(p) => {
                // A challenge: by an unslashed node, with its bond, within the period.
                if now >= p.until {
                    return Err(ContractError::ChallengePeriodOver {
                        window,
                        until: p.until,
                    });
                }
                let by = self
                    .params
                    .node_index(&from)
                    .ok_or(ContractError::NotANode(from))?;
                if self.slashed[by] {
                    return Err(ContractError::SlashedNode(by));
                }
                self.take_bond(value)?;
                let p = self.pending.take().expect("checked");
                Some(Challenged {
                    hash: p.hash,
                    produced: p.result.produced,
                    consumed: p.result.consumed,
                    asserter: p.asserter,
                    challenger: by,
                })
            }
            None => {
                // An escape (F6): nothing came although a live honest node would have put a
                // result on chain by now. Anyone may open it, with no bond.
                let escape_at = self.escape_at(window);
                if now < escape_at {
                    return Err(ContractError::NothingToChallenge { window, escape_at });
                }
                if value != 0 {
                    return Err(ContractError::UnexpectedValue(value));
                }
                if crate::protocol::mutant::active(
                    crate::protocol::mutant::Mutant::EscapeNeedsANode,
                ) && self.params.node_index(&from).is_none()
                {
                    return Err(ContractError::NotANode(from));
                }
                None
            }
        };
        let deadline = now + self.params.dispute_period;
        let hash = challenged.as_ref().map(|c| c.hash);
        let n = self.params.prosumers();
        self.dispute = Some(Dispute {
            window,
            deadline,
            opened_by: from,
            challenged,
            evidence: Deciding::new(window, n),
            posted_by: vec![None; n],
        });
        Ok(vec![Event::DisputeOpened {
            window,
            by: from,
            deadline,
            challenged: hash,
        }])
    }

    fn add_evidence(
        &mut self,
        from: Address,
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
        let poster = self.params.node_index(&from);
        let d = self.dispute.as_mut().expect("checked");
        let (mut improved, mut ignored) = (0, 0);
        for (m, sr) in checked {
            // INV-CONFLUENCE-001: the evidence is a join, so the outcome depends only on the
            // set of readings accepted, never on their order or multiplicity.
            let improved_by = if crate::protocol::mutant::active(
                crate::protocol::mutant::Mutant::EvidenceLastWins,
            ) {
                d.evidence.replace(m, sr)
            } else {
                d.evidence.add(m, sr)
            };
            if improved_by {
                d.posted_by[m] = poster;
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

    fn finalize_dispute(
        &mut self,
        from: Address,
        window: u32,
        now: u64,
    ) -> Result<Vec<Event>, ContractError> {
        self.require_phase(Phase::Active)?;
        let d = self
            .dispute
            .as_ref()
            .filter(|d| d.window == window)
            .ok_or(ContractError::NoDispute { window })?;
        if now < d.deadline
            && !crate::protocol::mutant::active(
                crate::protocol::mutant::Mutant::FinalizeDisputeEarly,
            )
        {
            return Err(ContractError::DisputeStillOpen {
                window,
                deadline: d.deadline,
            });
        }
        let d = self.dispute.take().expect("checked");
        let prev_hash = if crate::protocol::mutant::active(
            crate::protocol::mutant::Mutant::DisputeOutcomeUnlinked,
        ) {
            B256::ZERO
        } else {
            self.last_hash
        };
        let result = dispute_outcome(&d.evidence, prev_hash);
        let hash = self.domain.result_digest(&result);
        let mut events = Vec::new();
        if let Some(c) = &d.challenged {
            events.push(self.settle_bonds(&d, c, &result, from));
        }
        events.insert(
            0,
            self.finalize(result.produced, result.consumed, hash, Path::Dispute, now),
        );
        Ok(events)
    }

    /// Decides a challenge by its outcome (§7.10, INV-BOND-001/002): the winner's bond is
    /// refunded; the loser's bond reimburses, at the stated rate, the challenge (when the
    /// challenger won), each meter's evidence to the node that put it on chain, and the
    /// finalisation to its sender; the rest goes to the slash pool. A certificate of the
    /// hardened variant has no bond behind it: a challenge that beats it is refunded only.
    fn settle_bonds(
        &mut self,
        d: &Dispute,
        c: &Challenged,
        outcome: &WindowResult,
        finalizer: Address,
    ) -> Event {
        let p = self.params.clone();
        let bond = p.dispute_bond;
        let loser = if crate::protocol::mutant::active(
            crate::protocol::mutant::Mutant::ChallengerAlwaysWins,
        ) {
            Loser::Asserter
        } else {
            bonds::loser(
                (&outcome.produced, &outcome.consumed),
                (&c.produced, &c.consumed),
            )
        };
        let (winner, forfeited) = match loser {
            Loser::Challenger => (c.asserter, bond),
            Loser::Asserter => (
                Some(c.challenger),
                if c.asserter.is_some() { bond } else { 0 },
            ),
        };
        if let Some(w) = winner {
            self.credit(p.nodes[w], bond);
        }
        let mut reimbursed = 0;
        if forfeited > 0 {
            let mut pay = |c: &mut Self, to: Address, gas: u64| {
                let amount = bonds::wei(&p, gas);
                c.credit(to, amount);
                reimbursed += amount;
            };
            if loser == Loser::Asserter {
                pay(self, p.nodes[c.challenger], bonds::GAS_CHALLENGE);
            }
            for j in d.posted_by.iter().flatten() {
                pay(self, p.nodes[*j], bonds::GAS_EVIDENCE_PER_METER);
            }
            pay(self, finalizer, bonds::finalize_gas(p.prosumers()));
        }
        let pooled = forfeited - reimbursed;
        self.slash_pool += pooled;
        Event::BondsSettled {
            window: d.window,
            loser,
            reimbursed,
            pooled,
        }
    }

    // ---- §7.7 slashing ----

    fn signer_of(&self, sr: &SignedResult, index: usize) -> Result<ProsumerIndex, ContractError> {
        let hash = self.domain.result_digest(&sr.result);
        self.params
            .signer(&self.recover, &hash, &sr.signature)
            .map_err(|e| match e {
                SignerError::BadSignature(error) => ContractError::BadSignature { index, error },
                SignerError::NotANode(signer) => ContractError::UnknownSigner { index, signer },
            })
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
        self.require_unslashed(a)?;
        let gas = bonds::report_gas(None);
        Ok(vec![self.slash(
            a,
            reporter,
            SlashReason::Equivocation,
            gas,
        )])
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
        // Before the proof is checked: a report beaten to it fails cheaply (F4).
        self.require_unslashed(node)?;
        let root = readings
            .iter()
            .fold(B256::ZERO, |root, sr| chain_root(root, leaf(sr)));
        if root != claim.result.readings_root
            && !crate::protocol::mutant::active(crate::protocol::mutant::Mutant::SkipRootCheck)
        {
            return Err(ContractError::RootMismatch);
        }
        if self.is_inconsistent(&claim.result, readings) {
            let gas = bonds::report_gas(Some(readings.len()));
            Ok(vec![self.slash(
                node,
                reporter,
                SlashReason::Inconsistency,
                gas,
            )])
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

    fn require_unslashed(&self, node: ProsumerIndex) -> Result<(), ContractError> {
        if self.slashed[node] {
            return Err(ContractError::AlreadySlashed(node));
        }
        Ok(())
    }

    /// Slashing (§7.7, F4): the reporter is reimbursed its report's gas at the stated rate
    /// (at most the bond); the rest of the bond goes to the slash pool, shared by the
    /// unslashed nodes at close. Copying a report earns its gas and nothing more, and a node
    /// that reports itself from another address keeps nothing of its bond but that.
    fn slash(
        &mut self,
        node: ProsumerIndex,
        reporter: Address,
        reason: SlashReason,
        gas: u64,
    ) -> Event {
        let bond = std::mem::take(&mut self.bonds[node]);
        let reward = bonds::wei(&self.params, gas).min(bond);
        self.slashed[node] = true;
        if !crate::protocol::mutant::active(crate::protocol::mutant::Mutant::SlashLosesBond) {
            self.credit(reporter, reward);
            self.slash_pool += bond - reward;
        }
        Event::Slashed {
            node,
            reporter,
            reason,
            reward,
        }
    }

    // ---- §7.8 close and withdraw ----

    fn close(&mut self, now: u64) -> Result<Vec<Event>, ContractError> {
        self.require_phase(Phase::Active)?;
        let last = self.last_final_at().filter(|_| self.all_final()).ok_or(
            ContractError::NotAllFinal {
                next: self.next_window,
            },
        )?;
        let until = last + self.params.slash_period;
        if now < until {
            return Err(ContractError::SlashPeriodRunning { until });
        }
        let n = self.params.prosumers();
        let unslashed = self.slashed.iter().filter(|s| !**s).count() as u128;
        let share = self.slash_pool.checked_div(unslashed).unwrap_or(0);
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
