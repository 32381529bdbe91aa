//! Model-based tests: random walks through the stateright model's own action space, at
//! parameters the exhaustive check cannot afford, with the implementation checked against
//! the model after every step (docs/testing.md).
//!
//! Each test case is a list of [`Pick`]s. At every step the model's enabled actions are
//! listed (`DiversityModel::actions`, the action space the checker explores) and the pick
//! chooses one, modulo their number, so a shrunk list is still a valid walk. The step is
//! applied to the model, whose honest nodes are the implementation's `Node` and whose chain
//! is the reference contract; then
//!
//! - every `always` property of the model (the spec's `INV-…` and `LIV-…` ids) is evaluated
//!   on the new state, i.e. on the implementation's nodes and contract;
//! - in the EVM tests, every chain call the step made (recorded by the model's tap, with the
//!   reference contract's answer) is replayed on the Solidity contract on revm at the same
//!   time, which must give the same answer (acceptance, error, events), and the abstraction
//!   function `ChainState` of the Solidity contract must equal that of the model's contract.
//!
//! Failures are persisted in `tests/model_based.regressions` (committed) and replayed first;
//! each shrunk failure found so far is frozen below as a `regression_…` test.

#[path = "support/frozen.rs"]
mod frozen;
#[path = "support/walk.rs"]
mod walk;

use std::collections::BTreeMap;

use diversity::evm::Hardfork;
use diversity_model::protocol::ModelConfig;
use proptest::test_runner::TestCaseError;
use walk::{
    five_prosumers_real_sizes, four_prosumers_hardened, no_live_node, picks, runner,
    three_prosumers, three_prosumers_every_power, two_prosumers_hardened, walk, Pick,
};

/// Cases per configuration: bounded by default, `DIVERSITY_DEEP=1` for the deep tier.
fn cases() -> u32 {
    if std::env::var_os("DIVERSITY_DEEP").is_some() {
        1_000
    } else {
        64
    }
}

/// Runs `cases` random walks and returns the `sometimes` properties reached and the calls
/// replayed on the EVM.
fn explore(
    config: ModelConfig,
    evm: Option<Hardfork>,
    cases: u32,
) -> (BTreeMap<&'static str, usize>, (usize, usize)) {
    let reached = std::cell::RefCell::new(BTreeMap::new());
    let replayed = std::cell::Cell::new((0, 0));
    let result = runner(cases, Some(file!())).run(&picks(400), |p| {
        let w = walk(&config, evm, &p).map_err(TestCaseError::fail)?;
        for (k, v) in w.reached {
            *reached.borrow_mut().entry(k).or_insert(0) += v;
        }
        let (a, r) = replayed.get();
        replayed.set((a + w.replayed.0, r + w.replayed.1));
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    (reached.into_inner(), replayed.get())
}

fn assert_reached(reached: &BTreeMap<&'static str, usize>, names: &[&str]) {
    for n in names {
        assert!(
            reached.keys().any(|k| k.starts_with(n)),
            "no walk reached {n}: {reached:#?}"
        );
    }
}

#[test]
fn nodes_and_reference_contract_keep_the_model_invariants() {
    let (reached, _) = explore(three_prosumers(), None, cases());
    assert_reached(
        &reached,
        &[
            "REACH-FAST-001",
            "REACH-DISPUTE-001",
            "REACH-SLASH-001",
            "REACH-PRUNE-001",
            "REACH-INVENTORY-001",
        ],
    );
}

#[test]
fn solidity_contract_follows_the_model() {
    let (reached, (accepted, refused)) =
        explore(three_prosumers(), Some(Hardfork::Prague), cases());
    assert_reached(&reached, &["REACH-FAST-001", "REACH-DISPUTE-001"]);
    assert!(
        accepted > 100 && refused > 10,
        "replayed {accepted} accepted, {refused} refused"
    );
}

/// The adversary with every power of spec §10 (its self-reports and copied reports are sent
/// from its wallet), replayed on the Solidity contract.
#[test]
fn solidity_contract_follows_the_model_against_every_power() {
    let (reached, (accepted, refused)) = explore(
        three_prosumers_every_power(),
        Some(Hardfork::Prague),
        cases(),
    );
    assert_reached(&reached, &["REACH-DISPUTE-001", "REACH-SLASH-001"]);
    assert!(
        accepted > 100 && refused > 10,
        "replayed {accepted} accepted, {refused} refused"
    );
}

#[test]
fn solidity_contract_follows_the_model_at_real_sizes() {
    let (reached, (accepted, refused)) =
        explore(five_prosumers_real_sizes(), Some(Hardfork::Cancun), cases());
    // The dispute path and the bonds at real sizes (the fast path is measured at real sizes
    // by `tests/gas.rs` and the simulation).
    assert_reached(
        &reached,
        &["REACH-DISPUTE-001", "REACH-SLASH-001", "REACH-BOND-001"],
    );
    assert!(
        accepted > 100 && refused > 10,
        "replayed {accepted} accepted, {refused} refused"
    );
}

/// LIV-ESCAPE-001 on chain: with no node live, a wallet's escape disputes, finalisations and
/// close are accepted by the Solidity contract exactly as by the model's contract.
#[test]
fn solidity_contract_follows_the_model_without_a_live_node() {
    let (reached, (accepted, _)) = explore(no_live_node(), Some(Hardfork::Prague), cases());
    assert_reached(&reached, &["REACH-ESCAPE-001", "REACH-DISPUTE-001"]);
    assert!(accepted > 50, "replayed {accepted} accepted");
}

#[test]
fn solidity_contract_follows_the_model_hardened() {
    let (reached, (accepted, refused)) =
        explore(four_prosumers_hardened(), Some(Hardfork::Osaka), cases());
    assert_reached(&reached, &["REACH-DISPUTE-001", "REACH-SLASH-001"]);
    assert!(
        accepted > 100 && refused > 10,
        "replayed {accepted} accepted, {refused} refused"
    );
    // A challenge that adds a late reading and changes the outcome.
    let (reached, (accepted, refused)) =
        explore(two_prosumers_hardened(), Some(Hardfork::Osaka), cases());
    assert_reached(&reached, &["REACH-LATE-001"]);
    assert!(
        accepted > 100 && refused > 10,
        "replayed {accepted} accepted, {refused} refused"
    );
}

/// A frozen walk (`tests/support/frozen.rs`): the shrunk picks that caught a planted bug,
/// replayed on the real implementation, must pass; `tests/model_based_mutants.rs` replays the
/// same picks with the mutant and requires the failure.
fn replay_frozen(mutant: &str) {
    let f = frozen::frozen(mutant);
    let picks: Vec<Pick> = f.picks.iter().map(|p| Pick(*p)).collect();
    let w = walk(&(f.config)(), f.evm, &picks).unwrap_or_else(|e| panic!("{mutant}: {e}"));
    assert!(!w.trace.is_empty(), "{mutant}: the walk took no step");
}

#[test]
fn regression_accept_missing_signature() {
    replay_frozen("accept-missing-signature");
}

#[test]
fn regression_count_duplicate_reading() {
    replay_frozen("count-duplicate-reading");
}

#[test]
fn regression_pay_beyond_balance() {
    replay_frozen("pay-beyond-balance");
}

#[test]
fn regression_honest_signs_twice() {
    replay_frozen("honest-signs-twice");
}

#[test]
fn regression_finalize_dispute_early() {
    replay_frozen("finalize-dispute-early");
}

#[test]
fn regression_accept_high_s() {
    replay_frozen("accept-high-s");
}

#[test]
fn regression_skip_root_check() {
    replay_frozen("skip-root-check");
}

#[test]
fn regression_equivocation_favours_owner() {
    replay_frozen("equivocation-favours-owner");
}

#[test]
fn regression_partial_final_at_once() {
    replay_frozen("partial-final-at-once");
}

#[test]
fn regression_challenger_always_wins() {
    replay_frozen("challenger-always-wins");
}

#[test]
fn regression_slashed_signer_counts() {
    replay_frozen("slashed-signer-counts");
}

#[test]
fn regression_escape_needs_a_node() {
    replay_frozen("escape-needs-a-node");
}

#[test]
fn regression_prune_early() {
    replay_frozen("prune-early");
}

#[test]
fn regression_node_never_closes() {
    replay_frozen("node-never-closes");
}

#[test]
fn regression_abort_keeps_bonds() {
    replay_frozen("abort-keeps-bonds");
}

#[test]
fn regression_slash_loses_bond() {
    replay_frozen("slash-loses-bond");
}

#[test]
fn regression_credit_paid_at_once() {
    replay_frozen("credit-paid-at-once");
}

#[test]
fn regression_close_one_window_early() {
    replay_frozen("close-one-window-early");
}

#[test]
fn regression_dispute_keeps_window_open() {
    replay_frozen("dispute-keeps-window-open");
}

#[test]
fn regression_dispute_outcome_unlinked() {
    replay_frozen("dispute-outcome-unlinked");
}

#[test]
fn regression_node_never_finalizes() {
    replay_frozen("node-never-finalizes");
}

#[test]
fn regression_certificate_needs_one_more() {
    replay_frozen("certificate-needs-one-more");
}

#[test]
fn regression_evidence_only_frozen() {
    replay_frozen("evidence-only-frozen");
}

#[test]
fn regression_ignore_late_readings() {
    replay_frozen("ignore-late-readings");
}

#[test]
fn regression_evidence_last_wins() {
    replay_frozen("evidence-last-wins");
}
