//! Beyond exhaustive: seeded random walks through the model (`diversity check --simulate`),
//! for sizes no exhaustive search reaches (N = 5..10).
//!
//! Each walk starts from the initial state and takes actions chosen uniformly among the
//! enabled ones (a refused move is dropped and another chosen) until nothing is enabled, the
//! state leaves the boundary, or the walk revisits a state. Every property is evaluated in
//! every state of every walk, as the exhaustive checker does.
//!
//! Why not stateright's simulation checker: its budget is time, so two runs with one seed
//! differ in what they cover, and it records a refused action's index in a way its own path
//! reconstruction does not replay. Here walk `i` is seeded by `(seed, i)` (ChaCha8, stable
//! across versions), the budget is a number of walks, and the results are merged in walk
//! order, so a run is the same on every machine and with any number of threads; a timeout
//! only cuts it short (and says so).

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use stateright::{Expectation, Model};

use crate::checking::{
    outcome, peak_memory_mib, trace_lines, CheckReport, PropertyOutcome, Search, Stop,
};
use crate::coverage::{bump, Coverage};
use crate::protocol::{Action, DiversityModel, ModelConfig};

/// The most actions one walk takes (the model's horizon ends every walk long before).
const MAX_STEPS: usize = 100_000;

/// The first state of a walk at which a property was discovered: the actions to it.
type Found = Option<Vec<(u64, Action)>>;

struct WalkResult {
    actions: BTreeMap<String, u64>,
    /// Per property, in the model's order.
    found: Vec<Found>,
    fingerprints: Vec<u64>,
    depth: usize,
}

/// A state's fingerprint (or any part's), the same on every run and machine (the reductions'
/// tests use it too).
pub(crate) fn fingerprint<T: Hash + ?Sized>(s: &T) -> u64 {
    // SipHash with fixed keys: the same on every run and machine.
    let mut h = std::hash::DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

fn walk(model: &DiversityModel, seed: u64, index: usize) -> WalkResult {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(index as u64);
    let properties = model.properties();
    let mut found: Vec<Found> = vec![None; properties.len()];
    let mut path: Vec<(u64, Action)> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut fingerprints = Vec::new();
    let mut states = model.init_states();
    let mut state = states.swap_remove(rng.random_range(0..states.len()));
    let mut actions = Vec::new();
    let mut taken = BTreeMap::new();
    loop {
        if !model.within_boundary(&state) {
            break;
        }
        let f = fingerprint(&state);
        if !seen.insert(f) {
            break;
        }
        fingerprints.push(f);
        for (i, p) in properties.iter().enumerate() {
            if found[i].is_some() {
                continue;
            }
            let hit = match p.expectation {
                Expectation::Always => !(p.condition)(model, &state),
                Expectation::Sometimes => (p.condition)(model, &state),
                // The model has no `eventually` property (liveness is bounded, so `always`).
                Expectation::Eventually => false,
            };
            if hit {
                found[i] = Some(path.clone());
            }
        }
        if path.len() >= MAX_STEPS {
            break;
        }
        actions.clear();
        model.actions(&state, &mut actions);
        let next = loop {
            if actions.is_empty() {
                break None;
            }
            let a = actions.swap_remove(rng.random_range(0..actions.len()));
            if let Some(s) = model.next_state(&state, a.clone()) {
                break Some((a, s));
            }
        };
        let Some((a, s)) = next else { break };
        bump(&mut taken, &a.kind());
        path.push((state.now, a));
        state = s;
    }
    WalkResult {
        actions: taken,
        found,
        fingerprints,
        depth: path.len(),
    }
}

/// Takes `walks` seeded random walks through `config`'s model on `threads` threads, within
/// `timeout` if given, and reports per property with the coverage.
pub fn simulate(
    config: ModelConfig,
    seed: u64,
    walks: usize,
    threads: usize,
    timeout: Option<Duration>,
    progress: &mut dyn FnMut(usize),
) -> CheckReport {
    let mut model = DiversityModel::new(config);
    let coverage = Arc::new(Coverage::default());
    model.coverage = Some(coverage.clone());
    let threads = threads.max(1);
    let started = Instant::now();
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let out_of_time = AtomicBool::new(false);
    let results: Mutex<Vec<Option<WalkResult>>> = Mutex::new((0..walks).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                if timeout.is_some_and(|t| started.elapsed() >= t) {
                    out_of_time.store(true, Ordering::Relaxed);
                    return;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= walks {
                    return;
                }
                let r = walk(&model, seed, i);
                results.lock().expect("results")[i] = Some(r);
                done.fetch_add(1, Ordering::Relaxed);
            });
        }
        while done.load(Ordering::Relaxed) < walks && !out_of_time.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(200));
            progress(done.load(Ordering::Relaxed));
        }
    });
    let seconds = started.elapsed().as_secs_f64();
    let results: Vec<WalkResult> = results
        .into_inner()
        .expect("results")
        .into_iter()
        .flatten()
        .collect();
    let complete = results.len() == walks;
    let properties = model.properties();
    // Per property, the shortest discovery (the first walk among equals): the same on any
    // number of threads.
    let mut best: Vec<Option<&Vec<(u64, Action)>>> = vec![None; properties.len()];
    for r in &results {
        for (i, f) in r.found.iter().enumerate() {
            if let Some(p) = f {
                if best[i].is_none_or(|b| p.len() < b.len()) {
                    best[i] = Some(p);
                }
            }
        }
    }
    let outcomes = properties
        .iter()
        .zip(&best)
        .map(|(p, b)| {
            let (kind, status) = outcome(&p.expectation, b.is_some());
            PropertyOutcome {
                name: p.name.to_string(),
                kind,
                status,
                trace: b.map(|path| trace_lines(path.iter().map(|(t, a)| (*t, a)))),
                steps: b.map(|path| path.len()),
                chart: b
                    .filter(|_| status == "violated")
                    .map(|path| crate::chart::sequence_chart(model.config.nodes, p.name, path)),
            }
        })
        .collect();
    let states: usize = results.iter().map(|r| r.fingerprints.len()).sum();
    let unique: BTreeSet<u64> = results
        .iter()
        .flat_map(|r| r.fingerprints.iter().copied())
        .collect();
    let config = model.config.clone();
    CheckReport {
        config,
        mutant: diversity::protocol::mutant::selected().map(|m| m.name()),
        search: Search::Walks,
        threads,
        stop: Stop::Never,
        seed: Some(seed),
        walks: Some(walks),
        coverage: Some({
            let mut c = coverage.counts();
            for r in &results {
                for (k, v) in &r.actions {
                    *c.actions.entry(k.clone()).or_default() += v;
                }
            }
            c
        }),
        unique_states: unique.len(),
        states,
        max_depth: results.iter().map(|r| r.depth).max().unwrap_or(0),
        seconds,
        states_per_second: states as f64 / seconds.max(1e-9),
        peak_memory_mib: peak_memory_mib(),
        complete,
        properties: outcomes,
    }
}
