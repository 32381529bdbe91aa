//! The speed anchor of issue 13, timing reported, never asserted: in one run on one machine,
//! stateright checks its classic two-phase commit (`diversity_model::anchor`) and our CI
//! configuration, with the same search and threads, and prints both rates and their ratio at
//! equal state count. A checker's rate falls as its tables grow, so the two-phase commit is
//! checked at the two sizes whose state counts bracket ours, and its rate at our count is
//! interpolated between them (`anchor::rate_at`). Each model is checked [`RUNS`] times,
//! alternately, and the median rate of each is compared: the two-phase commit checks in a few
//! tenths of a second, so one run of it alone varies by nearly two to one on a busy machine.
//!
//! `cargo bench -p diversity-model --bench anchor [-- THREADS]`

use std::time::Instant;

use diversity_model::anchor::{bracket, rate_at, TwoPhaseCommit};
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

/// States checked and states per second of one run of the two-phase commit.
fn two_phase(rms: usize, threads: usize) -> (usize, f64) {
    let started = Instant::now();
    let c = TwoPhaseCommit { rms }
        .checker()
        .threads(threads)
        .spawn_dfs()
        .join();
    let secs = started.elapsed().as_secs_f64();
    c.assert_properties();
    (c.unique_state_count(), c.unique_state_count() as f64 / secs)
}

fn main() {
    let threads: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let ours = || {
        let report = check(
            ModelConfig::default(),
            Search::Dfs,
            threads,
            None,
            Stop::Never,
            &mut |_| {},
        );
        assert!(report.ok(), "the CI configuration must check clean");
        (report.unique_states, report.states_per_second)
    };
    // The two sizes of two-phase commit whose state counts bracket ours.
    let our_states = ours().0;
    let (small, large) = bracket(our_states, |rms| two_phase(rms, 1).0);
    let (mut our_rates, mut small_rates, mut large_rates) = (Vec::new(), Vec::new(), Vec::new());
    let (mut small_states, mut large_states) = (0, 0);
    for _ in 0..RUNS {
        our_rates.push(ours().1);
        let (states, rate) = two_phase(small, threads);
        small_states = states;
        small_rates.push(rate);
        let (states, rate) = two_phase(large, threads);
        large_states = states;
        large_rates.push(rate);
    }
    let (ours, small_rate, large_rate) =
        (median(our_rates), median(small_rates), median(large_rates));
    let theirs = rate_at(
        our_states,
        (small_states, small_rate),
        (large_states, large_rate),
    );
    println!("anchor: {threads} thread(s), depth-first, median of {RUNS} alternate runs");
    for (rms, states, rate) in [
        (small, small_states, small_rate),
        (large, large_states, large_rate),
    ] {
        println!(
            "  stateright two-phase commit, {rms} RMs: {states:>9} states, {rate:>10.0} states/s"
        );
    }
    println!(
        "  two-phase commit at DIVERSITY's count: {our_states:>9} states, {theirs:>10.0} states/s (interpolated)"
    );
    println!(
        "  DIVERSITY CI configuration:            {our_states:>9} states, {ours:>10.0} states/s"
    );
    println!(
        "  ratio at equal state count: DIVERSITY runs at 1/{:.1} of the two-phase commit's rate (issue 13's target: 1/4 or better)",
        theirs / ours
    );
}
