//! The planted bugs of `diversity::protocol::mutant` (the model checker's deliberately broken
//! variants) are each caught by the model-based random walks of `tests/model_based.rs`,
//! with a shrunk walk, and the unmutated implementation is not (docs/testing.md).
//!
//! The mutant selection is process-wide, so this file is its own test binary with a single
//! test that tries the mutants one after another. Each is a one-line change in the
//! implementation behind `diversity::protocol::mutant::active`; the test prints the shrunk walk's
//! length and the first failure for each (`cargo test --release -p diversity-model --test
//! model_based_mutants -- --nocapture`).

#[path = "support/frozen.rs"]
mod frozen;
#[path = "support/walk.rs"]
mod walk;

use diversity::evm::Hardfork;
use diversity::protocol::mutant::{self, Mutant};
use diversity_model::protocol::ModelConfig;
use proptest::test_runner::{TestCaseError, TestError};
use walk::{
    four_prosumers_hardened, no_live_node, picks, runner, three_prosumers, walk_with, Pick,
};

/// Runs the walks of one configuration until one fails; the shrunk failing walk, if any.
fn first_failure(
    config: &ModelConfig,
    evm: Option<Hardfork>,
    invariants: bool,
) -> Option<(Vec<Pick>, String)> {
    let result = runner(256, None).run(&picks(400), |p| {
        walk_with(config, evm, invariants, &p)
            .map(|_| ())
            .map_err(TestCaseError::fail)
    });
    match result {
        Ok(()) => None,
        Err(TestError::Fail(reason, picks)) => Some((picks, reason.to_string())),
        Err(e) => panic!("{e}"),
    }
}

/// The number of steps the failing walk took, from its report.
fn steps(reason: &str) -> usize {
    reason
        .lines()
        .find_map(|l| l.strip_prefix("trace ("))
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Which walks catch each planted bug, and by which check. Mostly the property the model
/// checker's manifest names for the mutant; where the walks' shrunk run breaks another one
/// first, that one, with the reason:
/// - `count-duplicate-reading`, `skip-root-check`: a reading counted twice (or a root not
///   checked) makes an honest node's result look inconsistent, and a Byzantine accusation
///   slashes it (INV-SLASH-001) before any window is final with the wrong totals;
/// - `equivocation-favours-owner`, `escape-needs-a-node`: the bug is in the reference
///   contract's shared code and the model's invariants do not see it in these walks; the
///   Solidity contract, which does not share it, answers differently;
/// - `dispute-keeps-window-open`: the window that stays next after its dispute is final and
///   its slash period passes, so an honest node prunes it and then reads it again
///   (INV-PRUNE-001) before a second dispute can make it final twice;
/// - `certificate-needs-one-more`: the walks have a Byzantine node, so a window off the fast
///   path breaks no invariant (LIV-FAST-001 is checked only when every node is honest); the
///   Solidity contract takes as a certificate what the mutated rule calls a partial result.
const CAUGHT_BY: [(&str, &str, &str); 25] = [
    (
        "accept-missing-signature",
        "the model's invariants",
        "INV-CERT-001 a certificate has every unslashed signature violated",
    ),
    (
        "count-duplicate-reading",
        "the model's invariants",
        "INV-SLASH-001 honest nodes never slashed violated",
    ),
    (
        "pay-beyond-balance",
        "the model's invariants",
        "INV-FUNDS-001 conservation violated",
    ),
    (
        "honest-signs-twice",
        "the model's invariants",
        "INV-SIGN-001 honest nodes sign once per window violated",
    ),
    (
        "finalize-dispute-early",
        "the model's invariants",
        "INV-COMPLETE-001 completeness: every honest frozen set violated",
    ),
    (
        "accept-high-s",
        "the model's invariants",
        "INV-REPLAY-001 no malleated signature accepted violated",
    ),
    (
        "skip-root-check",
        "the model's invariants",
        "INV-SLASH-001 honest nodes never slashed violated",
    ),
    (
        "equivocation-favours-owner",
        "the EVM replay, hardened",
        "the Solidity contract answered",
    ),
    (
        "partial-final-at-once",
        "the model's invariants",
        "INV-SOUND-001 honest-minority soundness violated",
    ),
    (
        "challenger-always-wins",
        "the model's invariants",
        "INV-BOND-002 the loser pays violated",
    ),
    (
        "slashed-signer-counts",
        "the model's invariants",
        "INV-CERT-001 a certificate has every unslashed signature violated",
    ),
    (
        "escape-needs-a-node",
        "the walks without a live node",
        "the Solidity contract answered",
    ),
    (
        "prune-early",
        "the model's invariants",
        "INV-PRUNE-001 no honest node needs pruned data violated",
    ),
    (
        "node-never-closes",
        "the model's invariants",
        "LIV-CLOSE-001 closed by the deadline violated",
    ),
    (
        "abort-keeps-bonds",
        "the model's invariants",
        "INV-FUNDS-005 abort refunds exactly violated",
    ),
    (
        "evidence-only-frozen",
        "the model's invariants",
        "INV-COMPLETE-001 completeness: dispute evidence violated",
    ),
    (
        "ignore-late-readings",
        "the model's invariants",
        "INV-COMPLETE-001 completeness: late readings challenged violated",
    ),
    (
        "evidence-last-wins",
        "the model's invariants",
        "INV-CONFLUENCE-001 the evidence decides as a join violated",
    ),
    (
        "slash-loses-bond",
        "the model's invariants",
        "INV-FUNDS-001 conservation violated",
    ),
    (
        "credit-paid-at-once",
        "the model's invariants",
        "INV-FUNDS-004 nothing paid before close violated",
    ),
    (
        "close-one-window-early",
        "the model's invariants",
        "INV-CLOSE-001 closed only when every window is final violated",
    ),
    (
        "dispute-keeps-window-open",
        "the model's invariants",
        "INV-PRUNE-001 no honest node needs pruned data violated",
    ),
    (
        "dispute-outcome-unlinked",
        "the model's invariants",
        "INV-WINDOW-002 in order and linked violated",
    ),
    (
        "node-never-finalizes",
        "the model's invariants",
        "LIV-FINAL-001 every window final by its deadline violated",
    ),
    (
        "certificate-needs-one-more",
        "the EVM replay",
        "the Solidity contract answered",
    ),
];

struct Caught {
    name: &'static str,
    by: &'static str,
    picks: usize,
    steps: usize,
    why: String,
    shrunk: Vec<u16>,
    /// The EVM replay alone (invariants off), if it catches the bug.
    evm_alone: Option<(usize, usize, String)>,
}

/// Planted bugs that break no invariant but make a witness unreachable (the invariant it
/// guards would hold vacuously): the walks must never reach the witness with the bug, and do
/// reach it without (`tests/model_based.rs` requires it).
const WITNESS_MUTANTS: [(&str, &str); 2] = [
    (
        "node-never-prunes",
        "REACH-PRUNE-001 an honest node pruned a final window",
    ),
    (
        "node-ignores-inventories",
        "REACH-INVENTORY-001 an inventory reply fills a gap before the freeze",
    ),
];

/// Whether any of the walks of `config` reaches the `sometimes` property `witness`.
fn any_walk_reaches(config: &ModelConfig, witness: &str) -> bool {
    let reached = std::cell::Cell::new(false);
    let result = runner(256, None).run(&picks(400), |p| {
        let w = walk_with(config, None, true, &p).map_err(TestCaseError::fail)?;
        if w.reached.contains_key(witness) {
            reached.set(true);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    reached.get()
}

#[test]
fn every_planted_bug_is_caught_by_the_model_based_walks() {
    let mut report = Vec::new();
    for (name, witness) in WITNESS_MUTANTS {
        assert!(
            any_walk_reaches(&three_prosumers(), witness),
            "{witness} unreached"
        );
        mutant::select(Mutant::from_name(name));
        let reached = any_walk_reaches(&three_prosumers(), witness);
        mutant::select(None);
        assert!(!reached, "{name}: the walks still reach {witness}");
        println!("{name}: caught by the walks, which never reach {witness}");
    }
    for m in Mutant::ALL {
        if WITNESS_MUTANTS.iter().any(|(n, _)| *n == m.name()) {
            continue;
        }
        mutant::select(Some(m));
        // The implementation alone first (the model's invariants on the nodes and the Rust
        // contract), then with the Solidity contract, which does not share the bug.
        let found = first_failure(&three_prosumers(), None, true)
            .map(|f| ("the model's invariants", f))
            .or_else(|| {
                first_failure(&three_prosumers(), Some(Hardfork::Prague), true)
                    .map(|f| ("the EVM replay", f))
            })
            .or_else(|| {
                first_failure(&four_prosumers_hardened(), Some(Hardfork::Osaka), true)
                    .map(|f| ("the EVM replay, hardened", f))
            })
            .or_else(|| {
                first_failure(&no_live_node(), Some(Hardfork::Prague), true)
                    .map(|f| ("the walks without a live node", f))
            });
        let evm_alone =
            first_failure(&three_prosumers(), Some(Hardfork::Prague), false).map(|(p, r)| {
                (
                    p.len(),
                    steps(&r),
                    r.lines().next().unwrap_or("").to_string(),
                )
            });
        let Some((by, (picks, reason))) = found else {
            mutant::select(None);
            panic!("mutant {} was not caught", m.name());
        };
        // Caught by the check pinned for it, by the walks pinned for it: not by whatever
        // else the bug happens to break, nor by a crash of the harness.
        let (_, want_by, want) = CAUGHT_BY
            .iter()
            .find(|(name, _, _)| *name == m.name())
            .unwrap_or_else(|| panic!("no expected check pinned for {}", m.name()));
        let first = reason.lines().next().unwrap_or("");
        assert!(
            by == *want_by && first.contains(want),
            "mutant {} should be caught by {want_by} with `{want}`, was caught by {by}: {first}",
            m.name()
        );
        report.push(Caught {
            name: m.name(),
            by,
            picks: picks.len(),
            steps: steps(&reason),
            why: reason.lines().next().unwrap_or("").to_string(),
            shrunk: picks.iter().map(|p| p.0).collect(),
            evm_alone,
        });
    }
    // After a deliberate change, `DIVERSITY_UPDATE_FROZEN=1` freezes this run's shrunk walks.
    if std::env::var_os("DIVERSITY_UPDATE_FROZEN").is_some() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/support/frozen.rs");
        let text = std::fs::read_to_string(&path).unwrap();
        let head = &text[..text.find("pub const FROZEN").unwrap()];
        std::fs::write(&path, format!("{head}{}", frozen_source(&report))).unwrap();
        return;
    }
    // The frozen walks (`tests/support/frozen.rs`, replayed unmutated by
    // `tests/model_based.rs`) still catch their bug: at their step, by their pinned check.
    for f in &frozen::FROZEN {
        let m = Mutant::from_name(f.mutant).expect("a planted bug");
        mutant::select(Some(m));
        let picks: Vec<walk::Pick> = f.picks.iter().map(|p| walk::Pick(*p)).collect();
        let result = walk_with(&(f.config)(), f.evm, true, &picks);
        mutant::select(None);
        let reason = match result {
            Err(reason) => reason,
            Ok(_) => panic!("the frozen walk of {} no longer catches it", f.mutant),
        };
        let (_, _, want) = CAUGHT_BY.iter().find(|(n, _, _)| *n == f.mutant).unwrap();
        let first = reason.lines().next().unwrap_or("");
        let at = format!("step {} ({}", f.step, f.action);
        assert!(
            first.starts_with(&at) && first.contains(want),
            "frozen walk of {}: expected `{at}` … `{want}`, got {first}",
            f.mutant
        );
    }
    mutant::select(None);
    for c in &report {
        println!(
            "{}: caught by {}, shrunk to {} picks, {} steps: {}",
            c.name, c.by, c.picks, c.steps, c.why
        );
        println!("    shrunk picks: {:?}", c.shrunk);
        match &c.evm_alone {
            Some((p, s, why)) => println!("    EVM replay alone: {p} picks, {s} steps: {why}"),
            None => println!("    EVM replay alone: not caught (the bug is not in the contract)"),
        }
    }
    // Every bug planted in the contract or the reaction disagrees with the Solidity contract.
    for name in [
        "accept-missing-signature",
        "pay-beyond-balance",
        "finalize-dispute-early",
        "accept-high-s",
        "skip-root-check",
        "partial-final-at-once",
        "abort-keeps-bonds",
        "evidence-last-wins",
        "slash-loses-bond",
        "credit-paid-at-once",
        "close-one-window-early",
        "dispute-keeps-window-open",
        "dispute-outcome-unlinked",
        "certificate-needs-one-more",
    ] {
        let c = report
            .iter()
            .find(|c| c.name == name)
            .expect("known mutant");
        assert!(
            c.evm_alone.is_some(),
            "{name} not caught by the EVM replay alone"
        );
    }
    // Without a mutant, the same walks pass.
    assert!(first_failure(&three_prosumers(), Some(Hardfork::Prague), true).is_none());
    assert!(first_failure(&four_prosumers_hardened(), Some(Hardfork::Osaka), true).is_none());
}

/// `tests/support/frozen.rs`'s table of shrunk walks, from a run's report (`rustfmt` lays
/// it out).
fn frozen_source(report: &[Caught]) -> String {
    let mut out = format!("pub const FROZEN: [Frozen; {}] = [\n", report.len());
    for c in report {
        let (config, evm) = match c.by {
            "the model's invariants" => ("three_prosumers", "None"),
            "the EVM replay" => ("three_prosumers", "Some(Hardfork::Prague)"),
            "the EVM replay, hardened" => ("four_prosumers_hardened", "Some(Hardfork::Osaka)"),
            "the walks without a live node" => ("no_live_node", "Some(Hardfork::Prague)"),
            other => panic!("no walks named {other}"),
        };
        // "step N (ACTION …": the step and the action's first words, up to its details.
        let rest = c.why.strip_prefix("step ").expect("a step");
        let (step, rest) = rest.split_once(" (").expect("an action");
        let action: String = rest
            .chars()
            .take_while(|ch| !matches!(ch, '{' | ')' | '"' | '\\'))
            .take(40)
            .collect();
        out += &format!(
            "    Frozen {{ mutant: {:?}, config: super::walk::{config}, evm: {evm}, picks: &{:?}, step: {step}, action: {:?} }},\n",
            c.name, c.shrunk, action.trim_end()
        );
    }
    out + "];\n"
}
