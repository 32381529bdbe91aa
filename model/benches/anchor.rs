//! The speed anchor of issue 13, timing reported, never asserted: in one run on one machine,
//! stateright checks its classic two-phase commit (`diversity_model::anchor`, with as many
//! resource managers as give a state count near our CI configuration's) and our CI
//! configuration, with the same search and threads, and prints both rates and their ratio.
//! Each model is checked [`RUNS`] times, alternately, and the median rate of each is compared:
//! the two-phase commit checks in a few tenths of a second, so one run of it alone varies by
//! nearly two to one on a busy machine.
//!
//! `cargo bench -p diversity-model --bench anchor [-- THREADS]`

use std::time::Instant;

use diversity_model::anchor::TwoPhaseCommit;
use diversity_model::checking::{check, Search, Stop};
use diversity_model::protocol::ModelConfig;
use stateright::{Checker, Model};

/// The same allocator as the command-line program, for both models alike.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Runs of each model; the median rate is reported.
const RUNS: usize = 5;

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    let threads: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    // The two-phase commit of about the same size: 7 resource managers.
    let rms = 7;
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    let (mut our_states, mut their_states) = (0, 0);
    for _ in 0..RUNS {
        let report = check(
            ModelConfig::default(),
            Search::Dfs,
            threads,
            None,
            Stop::Never,
            &mut |_| {},
        );
        assert!(report.ok(), "the CI configuration must check clean");
        our_states = report.unique_states;
        ours.push(report.states_per_second);

        let started = Instant::now();
        let c = TwoPhaseCommit { rms }
            .checker()
            .threads(threads)
            .spawn_dfs()
            .join();
        let secs = started.elapsed().as_secs_f64();
        c.assert_properties();
        their_states = c.unique_state_count();
        theirs.push(their_states as f64 / secs);
    }
    let (ours, theirs) = (median(ours), median(theirs));
    println!("anchor: {threads} thread(s), depth-first, median of {RUNS} alternate runs");
    println!(
        "  stateright two-phase commit, {rms} RMs: {their_states:>9} states, {theirs:>10.0} states/s"
    );
    println!(
        "  DIVERSITY CI configuration:           {our_states:>9} states, {ours:>10.0} states/s"
    );
    println!(
        "  ratio: DIVERSITY runs at 1/{:.1} of the two-phase commit's rate (issue 13's target: 1/4 or better)",
        theirs / ours
    );
}
