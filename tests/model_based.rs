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
    five_prosumers_real_sizes, four_prosumers_hardened, no_live_node, picks, runner,
    three_prosumers, two_prosumers_hardened, walk, Pick,
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
            20323, 0, 0, 28386, 3659, 30604, 18950, 772, 20850, 0, 16483, 9661, 8855, 57688, 64149,
            14441, 54941, 39077, 23112, 47153, 57614, 49568, 36552, 39176, 40072, 21543, 59058,
            27643, 25133, 8495, 148, 29377, 23329, 20448, 5914, 9850, 180, 27685, 11781, 33814,
            2114, 26832, 53042, 60300, 10992, 52070, 27300, 59315, 19796, 828, 23088, 58925, 38705,
            17733, 4310, 25700, 4654, 62130, 47940, 44959, 28899, 14233, 41888, 32439, 8832, 58663,
            5874,
        ],
        66,
        // The bug changes which results count as certificates, so the real walk takes other
        // actions before this step: only that it passes is checked.
        "",
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
            12637, 0, 0, 84, 4720, 11830, 21270, 1066, 39867, 8142, 8203, 51509, 9359, 1611, 5958,
            64027, 40102, 44055, 4770, 0, 22090, 18461, 5423, 29261, 0, 0, 18677, 0, 3064, 14899,
            17224, 25511, 246, 5270, 25090, 8775, 3344, 58244,
        ],
        37,
        "tick",
    );
}

#[test]
fn regression_finalize_dispute_early() {
    frozen(
        &[
            23837, 0, 0, 5287, 7776, 4448, 28292, 378, 12002, 0, 899, 57690, 51112, 35279, 57532,
            5263, 12325, 28863, 14554, 18759, 35422, 6083, 10630, 57647, 625, 2807, 5049, 36190,
            49834, 2831, 11334, 0, 0, 983, 0, 40223, 17281, 1473, 30238, 0, 6291, 11971, 0, 1759,
            20425, 1385, 7955, 48670, 26771, 55908, 18773, 12477, 42408, 37667, 45631, 50129, 6800,
            52250, 2530, 25078, 44892, 25855, 9976, 20340, 60289, 32914, 19503, 39423, 15498,
            21021, 63325, 18496,
        ],
        66,
        "byzantine node 0: Finalize",
    );
}

#[test]
fn regression_accept_high_s() {
    frozen(
        &[
            23837, 0, 0, 952, 632, 13, 3412, 0, 25409, 52211, 17529, 37637, 19157, 12830, 23498,
            33785, 54416, 24053, 51335, 14566, 38636, 48884, 20034, 60452, 29234, 6668, 35852,
            14166, 1328, 56565, 260, 51904, 600, 32003, 7613, 2490, 40327, 7050, 4062, 51607,
            35896, 48847, 7419, 51493, 18833, 14563, 6905, 5445, 41016, 53076, 20042, 40357,
        ],
        51,
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

#[test]
fn regression_partial_final_at_once() {
    frozen(
        &[
            23837, 0, 0, 0, 0, 0, 8, 0, 5102, 0, 56577, 16524, 19423, 19598, 36904, 24544, 20440,
            5421, 6, 53797, 5192, 12477, 376, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 1658, 3774, 20042, 24839, 40357, 31436, 52250, 44892, 26775, 43929,
            25855, 45835, 20340, 13471, 60289, 28341, 19503, 39423, 36096, 21021, 11620, 24820,
            40120, 63325, 18496,
        ],
        22,
        "include submitWindow",
    );
}

#[test]
fn regression_challenger_always_wins() {
    frozen(
        &[
            8107, 0, 0, 26429, 10274, 12766, 38812, 13439, 44131, 328, 28442, 43490, 64375, 18734,
            63488, 14405, 6368, 30188, 38950, 15669, 7177, 50585, 24998, 16062, 4313, 6265, 37719,
            58064, 50355, 9695, 16290, 10904, 1991, 5306, 3616, 7318, 48362, 508, 32936, 7837,
            11563, 26, 29236, 44464, 21111, 23734, 20835, 40461, 38479, 46052, 41821, 48724, 22050,
            32418, 55530, 21760, 24904,
        ],
        56,
        "include finalizeDispute",
    );
}

#[test]
fn regression_slashed_signer_counts() {
    frozen(
        &[
            12637, 0, 0, 350, 763, 29341, 3810, 50785, 359, 60084, 7906, 2571, 18557, 7688, 27130,
            24210, 31519, 55295, 42223, 5673, 49822, 48698, 35334, 13738, 11333, 3810, 31562,
            19069, 11737, 24725, 10237, 22625, 21080, 42905, 4480, 5676, 32783, 8039, 12048, 0, 0,
            0, 0,
        ],
        38,
        "byzantine node 0: SubmitCertificate",
    );
}
