//! Every deliberately broken variant of the protocol (`diversity::protocol::mutant`) is caught by the
//! model checker with a counterexample, and the real protocol is not.
//!
//! The mutant selection is process-wide, so this file is its own test binary with a single
//! test that tries the mutants one after another.

use diversity::protocol::mutant::{self, Mutant};
use diversity_model::checking::{check, Search};
use diversity_model::protocol::{MeterFault, ModelConfig};

/// The configuration a mutant is checked on: the default one, except where the bug needs a
/// faulty meter to show; with the property it must violate, where one is pinned.
fn target(m: Mutant) -> (ModelConfig, Option<&'static str>) {
    match m {
        Mutant::EquivocationFavoursOwner => (
            ModelConfig {
                meter_fault: MeterFault::Equivocating(1),
                ..ModelConfig::default()
            },
            Some("INV-EQUIV-001"),
        ),
        Mutant::PartialFinalAtOnce => (ModelConfig::default(), Some("INV-SOUND-001")),
        Mutant::ChallengerAlwaysWins => (ModelConfig::default(), Some("INV-BOND-002")),
        Mutant::SlashedSignerCounts => (ModelConfig::default(), Some("INV-VETO-001")),
        Mutant::EscapeNeedsANode => (
            ModelConfig {
                nodes: 3,
                windows: 2,
                ..ModelConfig::default()
            }
            .no_live_node(),
            Some("LIV-ESCAPE-001"),
        ),
        _ => (ModelConfig::default(), None),
    }
}

#[test]
fn every_mutant_is_caught_and_the_real_protocol_is_not() {
    let mut caught = Vec::new();
    for m in Mutant::ALL {
        mutant::select(Some(m));
        let (config, property) = target(m);
        let report = check(config, Search::Bfs, 2, None, true, &mut |_| {});
        let violated: Vec<&str> = report
            .properties
            .iter()
            .filter(|p| p.status == "violated")
            .map(|p| p.name.as_str())
            .collect();
        assert!(!violated.is_empty(), "mutant {} was not caught", m.name());
        if let Some(p) = property {
            assert!(
                violated.iter().any(|v| v.starts_with(p)),
                "mutant {} violated {violated:?}, not {p}",
                m.name()
            );
        }
        let trace = report
            .properties
            .iter()
            .find_map(|p| p.trace.clone())
            .unwrap();
        assert!(!trace.is_empty());
        caught.push((m.name(), violated.join(", "), trace.len()));
    }
    // INV-BOND-001 bites too: on a synchronous network with honest meters, the honest
    // asserter whose result a spurious challenge failed to beat does not get its bond back.
    mutant::select(Some(Mutant::ChallengerAlwaysWins));
    let sync = ModelConfig {
        synchronous: true,
        lossy: false,
        ..ModelConfig::default()
    };
    let report = check(sync, Search::Bfs, 2, None, true, &mut |_| {});
    assert!(
        report
            .properties
            .iter()
            .any(|p| p.status == "violated" && p.name.starts_with("INV-BOND-001")),
        "challenger-always-wins must break INV-BOND-001 in sync"
    );
    // A counterexample as `diversity check --mutant accept-high-s` prints it (one thread,
    // so the shortest trace is the same on every run), kept as a snapshot.
    mutant::select(Some(Mutant::AcceptHighS));
    let report = check(
        ModelConfig::default(),
        Search::Bfs,
        1,
        None,
        true,
        &mut |_| {},
    );
    let trace = report
        .properties
        .iter()
        .find(|p| p.status == "violated")
        .and_then(|p| {
            p.trace
                .clone()
                .map(|t| format!("{}\n{}", p.name, t.join("\n")))
        })
        .expect("a counterexample");
    insta::assert_snapshot!("counterexample_accept_high_s", trace);
    mutant::select(None);
    for (m, v, len) in &caught {
        println!("{m}: {v} ({len} trace lines)");
    }
    // The same configuration without a mutant has no violation at all (see the model's
    // unit tests for the exhaustive run); a bounded BFS prefix is enough here.
    let clean = check(
        ModelConfig::default(),
        Search::Bfs,
        2,
        Some(std::time::Duration::from_secs(5)),
        true,
        &mut |_| {},
    );
    assert!(clean.properties.iter().all(|p| p.status != "violated"));
}
