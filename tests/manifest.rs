//! The manifest of expected results (`model/manifest.json`): every configuration it lists
//! checks exhaustively to exactly its unique states, depth and witnesses, with every
//! invariant holding and every witness reached; and `docs/model-checking.md` shows it.
//!
//! A changed figure means the model or the protocol changed and the change must be looked
//! at. When it is intended, `DIVERSITY_UPDATE_MANIFEST=1 cargo test --release -p
//! diversity-model --test manifest` rewrites the manifest and the docs' tables; the diff is
//! then reviewed like any other. (The planted bugs are checked by `tests/mutants.rs`.)

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use diversity_model::manifest::{observe, splice_docs, Manifest, Observed};

fn update() -> bool {
    std::env::var_os("DIVERSITY_UPDATE_MANIFEST").is_some()
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The README's test command: every configuration but the long ones.
#[test]
fn every_configuration_gives_what_the_manifest_says() {
    check_entries(false);
}

/// The long configurations (minutes each; N = 3 in context on a lossy network, and N = 4's
/// first window in context), which
/// `.ci/run` checks: `cargo test --release -p diversity-model --test manifest -- --ignored`.
#[test]
#[ignore = "minutes long: run by .ci/run"]
fn every_long_configuration_gives_what_the_manifest_says() {
    check_entries(true);
}

/// Checks the entries whose `long` is `long` and compares them with the manifest (or, with
/// `DIVERSITY_UPDATE_MANIFEST`, writes what they gave into it and the docs).
fn check_entries(long: bool) {
    let manifest = Manifest::committed();
    // Largest first, over as many workers as there are cores; each search is on one
    // thread, so its depth and witnesses are the same on every run.
    let mut order: Vec<usize> = (0..manifest.configurations.len())
        .filter(|&i| manifest.configurations[i].long == long)
        .collect();
    assert!(!order.is_empty(), "no configuration with long = {long}");
    order.sort_by_key(|&i| std::cmp::Reverse(manifest.configurations[i].unique_states));
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Observed>>> =
        Mutex::new((0..manifest.configurations.len()).map(|_| None).collect());
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(&i) = order.get(k) else { return };
                let observed = observe(&manifest.configurations[i]);
                results.lock().unwrap()[i] = Some(observed);
            });
        }
    });
    let observed: Vec<Option<Observed>> = results.into_inner().unwrap();

    let mut failures = Vec::new();
    for o in observed.iter().flatten() {
        let e = &o.entry;
        println!(
            "{:<34} {:>9} states, depth {:>3}, {:>6.1} s, {:>7.0} states/s",
            e.name, e.unique_states, e.max_depth, o.report.seconds, o.report.states_per_second
        );
        for p in o.report.properties.iter().filter(|p| !p.ok()) {
            failures.push(format!("{}: {} {} {:?}", e.name, p.status, p.name, p.trace));
        }
        if !o.report.complete {
            failures.push(format!("{}: the search did not complete", e.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // The entries not checked here stay as they are.
    let fresh = Manifest {
        configurations: manifest
            .configurations
            .iter()
            .zip(observed)
            .map(|(e, o)| o.map_or_else(|| e.clone(), |o| o.entry))
            .collect(),
        ..manifest.clone()
    };
    if fresh != manifest {
        if update() {
            std::fs::write(root().join("model/manifest.json"), fresh.to_json()).unwrap();
            let path = root().join("docs/model-checking.md");
            let docs = std::fs::read_to_string(&path).unwrap();
            std::fs::write(&path, splice_docs(&docs, &fresh).expect("docs markers")).unwrap();
            return;
        }
        let mut diffs = Vec::new();
        for (want, got) in manifest.configurations.iter().zip(&fresh.configurations) {
            if want != got {
                diffs.push(format!(
                    "{}: the manifest says {} states, depth {}, witnesses {:?}; the check found {} states, depth {}, witnesses {:?}",
                    want.name,
                    want.unique_states,
                    want.max_depth,
                    want.witnesses,
                    got.unique_states,
                    got.max_depth,
                    got.witnesses
                ));
            }
        }
        panic!(
            "the model no longer gives what model/manifest.json says:\n{}\n\
             (if the change is intended, rerun with DIVERSITY_UPDATE_MANIFEST=1)",
            diffs.join("\n")
        );
    }
}

#[test]
fn the_docs_show_the_manifest() {
    let path = root().join("docs/model-checking.md");
    let docs = std::fs::read_to_string(&path).unwrap();
    let rendered = splice_docs(&docs, &Manifest::committed())
        .expect("docs/model-checking.md has the manifest markers");
    if rendered != docs {
        if update() {
            std::fs::write(&path, rendered).unwrap();
            return;
        }
        panic!(
            "docs/model-checking.md does not show model/manifest.json; rerun with \
             DIVERSITY_UPDATE_MANIFEST=1 to render it"
        );
    }
}
