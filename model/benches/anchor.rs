//! The speed anchor of issue 13, timing reported, never asserted: in one run on one machine,
//! stateright checks its classic two-phase commit (`diversity_model::anchor`, with as many
//! resource managers as give a state count near our CI configuration's) and our CI
//! configuration, with the same search and threads, and prints both rates and their ratio.
//!
//! `cargo bench -p diversity-model --bench anchor [-- THREADS]`

use std::time::Instant;

use diversity_model::anchor::TwoPhaseCommit;
use diversity_model::checking::{check, Search, Stop};
use diversity_model::protocol::ModelConfig;
use stateright::{Checker, Model};

fn main() {
    let threads: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let ours = check(
        ModelConfig::default(),
        Search::Dfs,
        threads,
        None,
        Stop::Never,
        &mut |_| {},
    );
    assert!(ours.ok(), "the CI configuration must check clean");
    // The two-phase commit of about the same size: 7 resource managers.
    let rms = 7;
    let started = Instant::now();
    let c = TwoPhaseCommit { rms }
        .checker()
        .threads(threads)
        .spawn_dfs()
        .join();
    let secs = started.elapsed().as_secs_f64();
    c.assert_properties();
    let tpc_states = c.unique_state_count();
    let tpc_rate = tpc_states as f64 / secs;
    println!("anchor: {threads} thread(s), depth-first, one run");
    println!(
        "  stateright two-phase commit, {rms} RMs: {tpc_states:>9} states in {secs:>6.2} s = {tpc_rate:>10.0} states/s"
    );
    println!(
        "  DIVERSITY CI configuration:           {:>9} states in {:>6.2} s = {:>10.0} states/s",
        ours.unique_states, ours.seconds, ours.states_per_second
    );
    println!(
        "  ratio: DIVERSITY runs at 1/{:.1} of the two-phase commit's rate (issue 13's target: 1/4 or better)",
        tpc_rate / ours.states_per_second
    );
}
