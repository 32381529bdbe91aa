//! Every deliberately broken variant of the protocol (`diversity::protocol::mutant`) violates
//! the property it is named for in `model/manifest.json`, with a shortest counterexample
//! of the length the manifest pins, and the real protocol violates nothing.
//!
//! A mutant is checked until the named property is discovered, not until any violation:
//! a mutant that only broke some other property would not show that the named property
//! can fail. The mutant selection is process-wide, so this file is its own test binary
//! with a single test that tries the mutants one after another.

use std::collections::BTreeSet;

use diversity::protocol::mutant::{self, Mutant};
use diversity_model::checking::{check, Search, Stop};
use diversity_model::manifest::{observe_mutant, Manifest, MutantEntry};
use diversity_model::protocol::{DiversityModel, ModelConfig};
use stateright::{Expectation, Model};

/// The invariants without a planted bug, and why none can exist (docs/proofs.md).
const UNBITTEN: [(&str, &str); 1] = [(
    "INV-WINDOW-003 not before the end",
    "every path to finality waits past the window's end twice over (honest signatures after \
     the collect period, the signing deadline, a pending result, `escape_at`): no single \
     broken check is reachable",
)];

#[test]
fn every_mutant_violates_the_property_it_is_named_for_and_the_real_protocol_does_not() {
    let manifest = Manifest::committed();
    // Every planted bug is in the manifest.
    let listed: BTreeSet<&str> = manifest.mutants.iter().map(|m| m.mutant.as_str()).collect();
    for m in Mutant::ALL {
        assert!(
            listed.contains(m.name()),
            "mutant {} is not in model/manifest.json",
            m.name()
        );
    }
    // Every invariant the model checks in a configuration of the manifest has a planted bug
    // that violates it: none holds only because nothing could break it.
    let configs = manifest
        .configurations
        .iter()
        .map(|e| &e.config)
        .chain(manifest.mutants.iter().map(|m| &m.config));
    let mut invariants = BTreeSet::new();
    for config in configs {
        for p in DiversityModel::new(config.clone()).properties() {
            if p.expectation == Expectation::Always {
                invariants.insert(p.name.to_string());
            }
        }
    }
    let named: BTreeSet<String> = manifest
        .mutants
        .iter()
        .map(|m| m.violates.clone())
        .collect();
    let unbitten: Vec<&String> = invariants.difference(&named).collect();
    assert_eq!(
        unbitten,
        UNBITTEN
            .iter()
            .map(|(p, _)| p.to_string())
            .collect::<Vec<_>>()
            .iter()
            .collect::<Vec<_>>(),
        "the invariants no planted bug in model/manifest.json violates"
    );
    let mut fresh: Vec<MutantEntry> = Vec::new();

    let mut failures = Vec::new();
    for entry in &manifest.mutants {
        let m = Mutant::from_name(&entry.mutant)
            .unwrap_or_else(|| panic!("model/manifest.json: no mutant {}", entry.mutant));
        mutant::select(Some(m));
        let (observed, report) = observe_mutant(entry);
        mutant::select(None);
        let named = report
            .properties
            .iter()
            .find(|p| p.name == entry.violates)
            .unwrap_or_else(|| panic!("no property {}", entry.violates));
        let expected_status = if named.kind == "sometimes" {
            // A witness property "violated" would be a bug the checker cannot see.
            "unreached"
        } else {
            "violated"
        };
        if named.status != expected_status {
            failures.push(format!(
                "mutant {} does not violate {} (status {}; violated: {:?})",
                entry.mutant,
                entry.violates,
                named.status,
                report
                    .properties
                    .iter()
                    .filter(|p| p.status == "violated")
                    .map(|p| &p.name)
                    .collect::<Vec<_>>()
            ));
        }
        println!(
            "{:<28} violates {} in {} actions",
            entry.mutant, entry.violates, observed.steps
        );
        fresh.push(observed);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let fresh = Manifest {
        mutants: fresh,
        ..manifest.clone()
    };
    if fresh != manifest {
        if std::env::var_os("DIVERSITY_UPDATE_MANIFEST").is_some() {
            let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
            // Only the mutants' part: the configurations keep what the file has now.
            let on_disk: Manifest = serde_json::from_str(
                &std::fs::read_to_string(root.join("model/manifest.json")).unwrap(),
            )
            .unwrap();
            let merged = Manifest {
                mutants: fresh.mutants,
                ..on_disk
            };
            std::fs::write(root.join("model/manifest.json"), merged.to_json()).unwrap();
        } else {
            let diffs: Vec<String> = manifest
                .mutants
                .iter()
                .zip(&fresh.mutants)
                .filter(|(a, b)| a != b)
                .map(|(a, b)| {
                    format!(
                        "{} ({}): the manifest says {} actions, the check found {}",
                        a.mutant, a.violates, a.steps, b.steps
                    )
                })
                .collect();
            panic!(
                "the planted bugs no longer give what model/manifest.json says:\n{}\n\
                 (if the change is intended, rerun with DIVERSITY_UPDATE_MANIFEST=1)",
                diffs.join("\n")
            );
        }
    }

    // A counterexample as `diversity check --mutant accept-high-s` prints it (one thread,
    // so the shortest trace is the same on every run), kept as a snapshot.
    mutant::select(Some(Mutant::AcceptHighS));
    let report = check(
        ModelConfig::default(),
        Search::Bfs,
        1,
        None,
        Stop::AtFirstViolation,
        &mut |_| {},
    );
    mutant::select(None);
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
    // The same counterexample as the message-sequence chart `--chart` writes: a lane per
    // actor, an arrow per action but the ticks, a dashed line per tick.
    let violated = report
        .properties
        .iter()
        .find(|p| p.status == "violated")
        .unwrap();
    let svg = violated
        .chart
        .clone()
        .expect("a violated invariant has a chart");
    let steps = violated.steps.unwrap();
    let ticks = violated
        .trace
        .as_ref()
        .unwrap()
        .iter()
        .filter(|l| l.trim() == "time advances one slot")
        .count();
    // A lost message's arrow stops half-way, at a cross, with no arrowhead.
    let lost = violated
        .trace
        .as_ref()
        .unwrap()
        .iter()
        .filter(|l| l.trim().starts_with("lose message"))
        .count();
    for lane in ["meters", "node 0", "node 1", "wallets", "chain"] {
        assert!(svg.contains(&format!(">{lane}</text>")), "no lane {lane}");
    }
    assert_eq!(svg.matches("marker-end=").count(), steps - ticks - lost);
    assert_eq!(svg.matches("stroke=\"#c00\"").count(), lost);
    assert_eq!(svg.matches("stroke-dasharray").count(), ticks);
    assert_eq!(violated.chart_file_name(), "INV-REPLAY-001.svg");
    insta::assert_snapshot!("counterexample_accept_high_s_chart", svg);

    // The same configuration without a mutant has no violation at all (tests/manifest.rs
    // checks it exhaustively); a bounded breadth-first prefix is enough here.
    let clean = check(
        ModelConfig::default(),
        Search::Bfs,
        2,
        Some(std::time::Duration::from_secs(5)),
        Stop::AtFirstViolation,
        &mut |_| {},
    );
    assert!(clean.properties.iter().all(|p| p.status != "violated"));
}
