//! Deliberately broken variants of the protocol ("mutants"), each a one-line weakening at a
//! named place in this crate. With no mutant selected (the default, always in production) every
//! hook is a single relaxed atomic load that returns false.
//!
//! The model checker (`diversity check --mutant NAME`) and the tests select one to show that
//! the checks bite: each mutant must be caught with a counterexample. The selection is
//! process-wide, so tests that select mutants live in their own test binary and run them one
//! after another.

use std::sync::atomic::{AtomicU8, Ordering};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Mutant {
    /// `Contract::is_certificate` takes a set one signature short for a certificate
    /// (contract.rs; the nodes share the rule, so they submit such sets too).
    AcceptMissingSignature = 1,
    /// The window function counts an identical reading every time it is added (reading_set.rs).
    CountDuplicateReading,
    /// The reaction charges a buyer the full price even beyond its balance (reaction.rs).
    PayBeyondBalance,
    /// An honest node signs again whenever its set changed after freezing (node.rs).
    HonestSignsTwice,
    /// `finalizeDispute` does not wait for the dispute deadline (contract.rs).
    FinalizeDisputeEarly,
    /// Signature recovery accepts high-s (malleated) signatures (crypto.rs).
    AcceptHighS,
    /// `reportInconsistency` does not check that the readings hash to the claimed root
    /// (contract.rs).
    SkipRootCheck,
    /// The window function keeps the *greatest* produced value of a meter's deciding slot,
    /// so a meter gains by signing a second, higher value (reading_set.rs).
    EquivocationFavoursOwner,
    /// `submitWindow` makes a partial result (fewer than N signatures) final at once instead
    /// of waiting a dispute period (contract.rs).
    PartialFinalAtOnce,
    /// A decided challenge always goes against the asserter: a spurious challenger gets its
    /// bond back and the honest asserter loses its own (contract.rs, `settle_bonds`).
    ChallengerAlwaysWins,
    /// `submitWindow` counts a slashed node's signature as if it were not slashed
    /// (contract.rs): a slashed node keeps its veto.
    SlashedSignerCounts,
    /// An escape dispute may be opened by a node only (contract.rs): with no node live, the
    /// wallets cannot finish the windows and their funds stay locked.
    EscapeNeedsANode,
    /// An honest node prunes a window a slash period after its end, final or not (node.rs):
    /// it forgets the readings of a window still being settled.
    PruneEarly,
    /// An honest node never prunes (node.rs): INV-PRUNE-001 would hold trivially, which the
    /// witness REACH-PRUNE-001 rules out.
    NodeNeverPrunes,
    /// An honest node never sends `close` once every window is final (node.rs): the funds
    /// stay locked unless someone else closes.
    NodeNeverCloses,
    /// `abort` refunds the deposits but keeps the nodes' bonds (contract.rs).
    AbortKeepsBonds,
    /// In a dispute an honest node puts on chain only the readings it froze, not those it
    /// received since (node.rs): a reading that reached it after freezing never reaches the
    /// outcome.
    EvidenceOnlyFrozen,
    /// An honest node challenges a pending result only if it is not the result it signed,
    /// never because a late reading changed its totals (node.rs).
    IgnoreLateReadings,
    /// `addEvidence` stores each reading as its meter's evidence, replacing what was there
    /// instead of joining it (contract.rs): the outcome depends on the order of the calls
    /// and of the readings within one.
    EvidenceLastWins,
    /// `slash` takes the slashed node's bond and neither reimburses the reporter nor pools
    /// the rest: ether is held that no account owns (contract.rs).
    SlashLosesBond,
    /// `credit` pays a refund or a reimbursement out at once instead of crediting it for
    /// withdrawal after close (contract.rs): ether leaves an `Active` contract.
    CreditPaidAtOnce,
    /// `Contract::all_final`, shared by `close` and the nodes, is off by one: the last window
    /// counts as final while it is still open (contract.rs).
    CloseOneWindowEarly,
    /// `finalize` does not advance the next window after a dispute (contract.rs): the window
    /// stays open and a second dispute makes it final again.
    DisputeKeepsWindowOpen,
    /// A dispute's outcome is linked to nothing (`prevHash` zero) instead of the last final
    /// result (contract.rs, `dispute_outcome`).
    DisputeOutcomeUnlinked,
    /// An honest node never sends `finalizeDispute` or `finalizePending` (node.rs): a window
    /// whose dispute or pending result nobody else finalises stays open.
    NodeNeverFinalizes,
    /// `Contract::is_certificate`, shared by `submitWindow` and the nodes, is off by one: it
    /// wants one signature more than there are unslashed nodes, so no result is ever a
    /// certificate and every window takes the partial path (contract.rs).
    CertificateNeedsOneMore,
    /// An honest node never answers a peer's inventory (node.rs): reconciliation (§6.3) is
    /// idle, which breaks no invariant but leaves the witness REACH-INVENTORY-001 unreached.
    NodeIgnoresInventories,
}

impl Mutant {
    pub const ALL: [Mutant; 27] = [
        Mutant::AcceptMissingSignature,
        Mutant::CountDuplicateReading,
        Mutant::PayBeyondBalance,
        Mutant::HonestSignsTwice,
        Mutant::FinalizeDisputeEarly,
        Mutant::AcceptHighS,
        Mutant::SkipRootCheck,
        Mutant::EquivocationFavoursOwner,
        Mutant::PartialFinalAtOnce,
        Mutant::ChallengerAlwaysWins,
        Mutant::SlashedSignerCounts,
        Mutant::EscapeNeedsANode,
        Mutant::PruneEarly,
        Mutant::NodeNeverPrunes,
        Mutant::NodeNeverCloses,
        Mutant::AbortKeepsBonds,
        Mutant::EvidenceOnlyFrozen,
        Mutant::IgnoreLateReadings,
        Mutant::EvidenceLastWins,
        Mutant::SlashLosesBond,
        Mutant::CreditPaidAtOnce,
        Mutant::CloseOneWindowEarly,
        Mutant::DisputeKeepsWindowOpen,
        Mutant::DisputeOutcomeUnlinked,
        Mutant::NodeNeverFinalizes,
        Mutant::CertificateNeedsOneMore,
        Mutant::NodeIgnoresInventories,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Mutant::AcceptMissingSignature => "accept-missing-signature",
            Mutant::CountDuplicateReading => "count-duplicate-reading",
            Mutant::PayBeyondBalance => "pay-beyond-balance",
            Mutant::HonestSignsTwice => "honest-signs-twice",
            Mutant::FinalizeDisputeEarly => "finalize-dispute-early",
            Mutant::AcceptHighS => "accept-high-s",
            Mutant::SkipRootCheck => "skip-root-check",
            Mutant::EquivocationFavoursOwner => "equivocation-favours-owner",
            Mutant::PartialFinalAtOnce => "partial-final-at-once",
            Mutant::ChallengerAlwaysWins => "challenger-always-wins",
            Mutant::SlashedSignerCounts => "slashed-signer-counts",
            Mutant::EscapeNeedsANode => "escape-needs-a-node",
            Mutant::PruneEarly => "prune-early",
            Mutant::NodeNeverPrunes => "node-never-prunes",
            Mutant::NodeNeverCloses => "node-never-closes",
            Mutant::AbortKeepsBonds => "abort-keeps-bonds",
            Mutant::EvidenceOnlyFrozen => "evidence-only-frozen",
            Mutant::IgnoreLateReadings => "ignore-late-readings",
            Mutant::EvidenceLastWins => "evidence-last-wins",
            Mutant::SlashLosesBond => "slash-loses-bond",
            Mutant::CreditPaidAtOnce => "credit-paid-at-once",
            Mutant::CloseOneWindowEarly => "close-one-window-early",
            Mutant::DisputeKeepsWindowOpen => "dispute-keeps-window-open",
            Mutant::DisputeOutcomeUnlinked => "dispute-outcome-unlinked",
            Mutant::NodeNeverFinalizes => "node-never-finalizes",
            Mutant::CertificateNeedsOneMore => "certificate-needs-one-more",
            Mutant::NodeIgnoresInventories => "node-ignores-inventories",
        }
    }

    pub fn from_name(name: &str) -> Option<Mutant> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }
}

static ACTIVE: AtomicU8 = AtomicU8::new(0);

/// Selects a mutant for the whole process (`None`: the real protocol).
pub fn select(m: Option<Mutant>) {
    ACTIVE.store(m.map_or(0, |m| m as u8), Ordering::SeqCst);
}

/// The mutant in force, if any.
pub fn selected() -> Option<Mutant> {
    let v = ACTIVE.load(Ordering::Relaxed);
    Mutant::ALL.into_iter().find(|m| *m as u8 == v)
}

/// Whether any mutant is in force: memo tables of functions a mutant changes are bypassed
/// then, so that a result computed without the mutant is not reused with it (or the reverse).
#[inline]
pub fn any_active() -> bool {
    ACTIVE.load(Ordering::Relaxed) != 0
}

/// Whether `m` is the mutant in force.
#[inline]
pub fn active(m: Mutant) -> bool {
    ACTIVE.load(Ordering::Relaxed) == m as u8
}
