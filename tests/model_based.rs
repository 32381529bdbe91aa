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

#[path = "support/walk.rs"]
mod walk;

use std::collections::BTreeMap;

use diversity::evm::Hardfork;
use diversity_model::protocol::ModelConfig;
use proptest::test_runner::TestCaseError;
use walk::{
    five_prosumers_real_sizes, four_prosumers_hardened, picks, runner, three_prosumers,
    two_prosumers_hardened, walk, Pick,
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
        &["REACH-FAST-001", "REACH-DISPUTE-001", "REACH-SLASH-001"],
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

#[test]
fn solidity_contract_follows_the_model_at_real_sizes() {
    let (reached, (accepted, refused)) =
        explore(five_prosumers_real_sizes(), Some(Hardfork::Cancun), cases());
    assert_reached(
        &reached,
        &["REACH-FAST-001", "REACH-DISPUTE-001", "REACH-SLASH-001"],
    );
    assert!(
        accepted > 100 && refused > 10,
        "replayed {accepted} accepted, {refused} refused"
    );
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

/// A frozen walk: the shrunk picks that caught a planted bug (`tests/model_based_mutants.rs`),
/// replayed on the real implementation with the Solidity contract. It must pass, and it must
/// still reach the step that exposed the bug.
fn frozen(picks: &[u16], step: usize, action: &str) {
    let picks: Vec<Pick> = picks.iter().map(|p| Pick(*p)).collect();
    let w =
        walk(&three_prosumers(), Some(Hardfork::Prague), &picks).unwrap_or_else(|e| panic!("{e}"));
    let taken = w
        .trace
        .get(step)
        .unwrap_or_else(|| panic!("only {} steps: {:#?}", w.trace.len(), w.trace));
    assert!(
        taken.starts_with(action),
        "step {step} is {taken:?}, not {action:?}"
    );
}

#[test]
fn regression_accept_missing_signature() {
    frozen(
        &[
            23837, 0, 0, 12172, 25408, 4097, 53100, 28394, 7018, 0, 62100, 5673, 5696, 29324, 6841,
            36123, 543, 2441, 0, 28699, 8749, 1, 14061, 268, 1, 3526, 6521, 25526, 0, 0, 0,
        ],
        27,
        "byzantine node 0: SubmitCertificate",
    );
}

#[test]
fn regression_count_duplicate_reading() {
    frozen(
        &[
            23837, 0, 0, 4967, 46875, 606, 0, 17931, 12714, 10567, 23165, 28726, 11482, 58028,
            20868, 14554, 16634, 8087, 58430, 6800, 27592, 23835, 8764, 7424, 27703, 17771, 12497,
            24575, 19503, 64099, 40072, 0, 0,
        ],
        30,
        // The bug changes the nodes' own sets, so the real walk takes other actions before
        // this step: only that it passes is checked.
        "",
    );
}

#[test]
fn regression_pay_beyond_balance() {
    frozen(
        &[
            12637, 0, 0, 10110, 28366, 44426, 48082, 8017, 20583, 31188, 1135, 56790, 30758, 40114,
            7347, 10906, 17497, 9961, 51712, 25237, 25997, 60087, 8896, 14858, 48180, 0, 29949,
            16614, 0, 2, 42342, 7845, 28335, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ],
        32,
        "byzantine node 0: SubmitCertificate",
    );
}

#[test]
fn regression_honest_signs_twice() {
    frozen(
        &[
            23837, 0, 0, 1311, 0, 0, 414, 0, 15720, 0, 0, 388, 19889, 3441, 18236, 18033, 24478,
            7221, 4944, 1814, 7410, 17935, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1538, 0,
            0, 0, 0, 0, 0, 10, 32795, 1797, 56319, 4024, 15269, 38443, 41442, 17170, 8118, 59508,
            45631, 9006, 50129, 6800, 22707, 32499, 52250, 25078, 44892, 26775, 43929, 25855,
            44463, 62397, 30329, 44532, 60289, 19503, 50210, 36096, 21021, 11620, 34978, 33582,
            33579, 63325,
        ],
        43,
        "tick",
    );
}

#[test]
fn regression_finalize_dispute_early() {
    frozen(
        &[
            23837, 0, 0, 6992, 23067, 0, 0, 0, 0, 0, 24766, 26521, 8840, 30925, 17153, 6269, 46424,
            2441, 1934, 12870, 31071, 46688, 993, 54684, 11523, 21887, 15417, 18528, 0, 5090, 3555,
            20074, 40120,
        ],
        32,
        "byzantine node 0: Finalize",
    );
}

#[test]
fn regression_accept_high_s() {
    frozen(
        &[
            23837, 0, 0, 53107, 39656, 21721, 6209, 37826, 25827, 5772, 47346, 59899, 13165, 36221,
            15131, 28242, 2291, 11505, 3647, 3352, 43887, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ],
        20,
        "byzantine node 0: AddMalleated",
    );
}

#[test]
fn regression_skip_root_check() {
    frozen(
        &[
            23837, 0, 0, 321, 12245, 847, 7799, 46991, 7753, 7680, 55908, 2313, 15333, 44552,
            57388, 649, 17552, 18011, 25855, 36093,
        ],
        19,
        "byzantine node 0: Accuse",
    );
}
