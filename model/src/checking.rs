//! Running the model checker and reporting its outcome per property (`diversity check`).

use std::time::{Duration, Instant};

use serde::Serialize;
use std::collections::BTreeSet;

use diversity::protocol::mutant;
use stateright::{Checker, Expectation, HasDiscoveries, Model};

use crate::protocol::{Action, DiversityModel, ModelConfig};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Search {
    Bfs,
    Dfs,
    /// Seeded random walks (`diversity check --simulate`, [`crate::walks`]): sampled, not
    /// exhaustive.
    Walks,
}

/// When a search may end before it has seen every state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    /// Never: the search is exhaustive.
    Never,
    /// At the first violated invariant (or unmet liveness bound), whichever it is.
    AtFirstViolation,
    /// Once this property is discovered (violated, or reached for a witness): a planted bug
    /// is checked against the property it is named for, not against any violation.
    AtDiscoveryOf(String),
}

#[derive(Clone, Debug, Serialize)]
pub struct PropertyOutcome {
    pub name: String,
    pub kind: &'static str,
    /// "holds", "violated", "reached" or "unreached".
    pub status: &'static str,
    /// The counterexample or witness, in protocol terms: a short one breadth first on one
    /// thread (not always the shortest); with more threads, or depth first, one of them.
    pub trace: Option<Vec<String>>,
    /// The number of actions on that trace.
    pub steps: Option<usize>,
    /// A violated invariant's trace as a message-sequence chart (SVG, [`crate::chart`]);
    /// written to files by `diversity check --chart DIR`, not part of the JSON report.
    #[serde(skip)]
    pub chart: Option<String>,
}

impl PropertyOutcome {
    /// The file name of this property's chart: its id, `/` spelt `-`.
    pub fn chart_file_name(&self) -> String {
        let id = self.name.split_whitespace().next().unwrap_or("property");
        format!("{}.svg", id.replace('/', "-"))
    }
}

impl PropertyOutcome {
    /// An invariant that fails, or a witness that is never reached (which would make the
    /// invariants around it vacuous), is a failure.
    pub fn ok(&self) -> bool {
        matches!(self.status, "holds" | "reached")
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct CheckReport {
    /// What was checked, so that a report read on its own says so.
    pub config: ModelConfig,
    /// The planted bug the run had selected, if any.
    pub mutant: Option<&'static str>,
    pub search: Search,
    pub threads: usize,
    pub stop: Stop,
    /// Random walks only: the seed, the walks asked for, and what they exercised.
    pub seed: Option<u64>,
    pub walks: Option<usize>,
    pub coverage: Option<crate::coverage::CoverageCounts>,
    pub unique_states: usize,
    pub states: usize,
    pub max_depth: usize,
    pub seconds: f64,
    pub states_per_second: f64,
    /// The process's peak resident memory in MiB, where the platform reports it (Linux).
    pub peak_memory_mib: Option<f64>,
    pub complete: bool,
    pub properties: Vec<PropertyOutcome>,
}

impl CheckReport {
    /// Exhaustive: complete, every invariant holds, every witness reached. Random walks:
    /// every walk done and no invariant violated (a witness no walk reached is coverage,
    /// reported, not a failure).
    pub fn ok(&self) -> bool {
        self.complete
            && self.properties.iter().all(|p| match self.search {
                Search::Walks => p.status != "violated",
                _ => p.ok(),
            })
    }
}

/// A property's kind and status, given whether the search discovered it (a violation, or
/// a witness reached).
pub fn outcome(expectation: &Expectation, found: bool) -> (&'static str, &'static str) {
    match (expectation, found) {
        (Expectation::Always, false) => ("always", "holds"),
        (Expectation::Always, true) => ("always", "violated"),
        (Expectation::Sometimes, true) => ("sometimes", "reached"),
        (Expectation::Sometimes, false) => ("sometimes", "unreached"),
        (Expectation::Eventually, false) => ("eventually", "holds"),
        (Expectation::Eventually, true) => ("eventually", "violated"),
    }
}

/// A trace in protocol terms: each action under the time it was taken at.
pub fn trace_lines<'a>(steps: impl IntoIterator<Item = (u64, &'a Action)>) -> Vec<String> {
    let mut lines = Vec::new();
    let mut last_time = None;
    for (now, a) in steps {
        if last_time != Some(now) {
            lines.push(format!("t={now}:"));
            last_time = Some(now);
        }
        lines.push(format!("  {a}"));
    }
    lines
}

/// Checks `config` exhaustively. `progress` is called about once a second with the number
/// of unique states so far.
/// Panics if `stop` names a property the configuration does not have, or `search` is
/// [`Search::Walks`] (callers' errors: see [`crate::walks::simulate`]).
pub fn check(
    config: ModelConfig,
    search: Search,
    threads: usize,
    timeout: Option<Duration>,
    stop: Stop,
    progress: &mut dyn FnMut(usize),
) -> CheckReport {
    let model = DiversityModel::new(config);
    let threads = threads.max(1);
    let started = Instant::now();
    let mut builder = model.clone().checker().threads(threads);
    match &stop {
        Stop::Never => {}
        Stop::AtFirstViolation => builder = builder.finish_when(HasDiscoveries::AnyFailures),
        Stop::AtDiscoveryOf(name) => {
            let property = model
                .properties()
                .into_iter()
                .find(|p| p.name == name)
                .unwrap_or_else(|| panic!("this configuration has no property {name}"));
            builder = builder.finish_when(HasDiscoveries::AnyOf(BTreeSet::from([property.name])));
        }
    }
    if let Some(t) = timeout {
        builder = builder.timeout(t);
    }
    let run = Run {
        search,
        threads,
        stop,
        started,
        timeout,
    };
    // The checker's own timeout is looked at only when a thread runs out of work, which a
    // single thread never does before the end: the model is halted instead.
    let halt = timeout.map(|t| (started + t, &*model.halt));
    match search {
        Search::Bfs => report(&model, wait(builder.spawn_bfs(), halt, progress), run),
        Search::Dfs => report(&model, wait(builder.spawn_dfs(), halt, progress), run),
        Search::Walks => panic!("random walks are taken by walks::simulate, not check"),
    }
}

struct Run {
    search: Search,
    threads: usize,
    stop: Stop,
    started: Instant,
    timeout: Option<Duration>,
}

fn report<C: Checker<DiversityModel>>(model: &DiversityModel, checker: C, run: Run) -> CheckReport {
    let Run {
        search,
        threads,
        stop,
        started,
        timeout,
    } = run;
    let seconds = started.elapsed().as_secs_f64();
    let complete = checker.is_done() && timeout.is_none_or(|t| started.elapsed() < t);
    let discoveries = checker.discoveries();
    let properties = model
        .properties()
        .into_iter()
        .map(|p| {
            let found = discoveries.get(p.name);
            let (kind, status) = outcome(&p.expectation, found.is_some());
            let steps = found.map(|path| path.clone().into_actions().len());
            let chart = found.filter(|_| status == "violated").map(|path| {
                let steps: Vec<(u64, Action)> = path
                    .clone()
                    .into_vec()
                    .into_iter()
                    .filter_map(|(state, action)| action.map(|a| (state.now, a)))
                    .collect();
                crate::chart::sequence_chart(model.config.nodes, p.name, &steps)
            });
            let trace = found.map(|path| {
                let steps = path.clone().into_vec();
                trace_lines(
                    steps
                        .iter()
                        .filter_map(|(state, action)| action.as_ref().map(|a| (state.now, a))),
                )
            });
            PropertyOutcome {
                name: p.name.to_string(),
                kind,
                status,
                trace,
                steps,
                chart,
            }
        })
        .collect();
    let unique_states = checker.unique_state_count();
    CheckReport {
        config: model.config.clone(),
        mutant: mutant::selected().map(|m| m.name()),
        search,
        threads,
        stop,
        seed: None,
        walks: None,
        coverage: None,
        unique_states,
        states: checker.state_count(),
        max_depth: checker.max_depth(),
        seconds,
        states_per_second: unique_states as f64 / seconds.max(1e-9),
        peak_memory_mib: peak_memory_mib(),
        complete,
        properties,
    }
}

/// Peak resident memory of this process (`VmHWM`), in MiB; `None` where `/proc` is absent.
pub fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// How often [`wait`] looks whether the checker is done. The report's time is taken when
/// it sees so, so this bounds the time's error: a fifth of a second, as the progress line's
/// period was, made the default configuration's rate up to 15% too low (its check takes
/// about 1.5 s), and the anchor's ratio with it, while stateright's two-phase commit is
/// timed to its `join`.
const DONE_POLL: Duration = Duration::from_millis(2);

/// How often [`wait`] reports progress.
const PROGRESS_PERIOD: Duration = Duration::from_millis(200);

/// Waits for the checker, reporting progress; at `halt`'s deadline, halts the model.
fn wait<C: Checker<DiversityModel>>(
    checker: C,
    halt: Option<(Instant, &std::sync::atomic::AtomicBool)>,
    progress: &mut dyn FnMut(usize),
) -> C {
    let mut reported = Instant::now();
    while !checker.is_done() {
        std::thread::sleep(DONE_POLL);
        if reported.elapsed() >= PROGRESS_PERIOD {
            reported = Instant::now();
            progress(checker.unique_state_count());
        }
        if let Some((deadline, flag)) = halt {
            if Instant::now() >= deadline {
                flag.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        }
    }
    checker.join()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A timeout stops a search on one thread too, and the report says it is incomplete.
    /// (stateright looks at its timeout only when a thread runs out of work, so a single
    /// thread used to run to the end: twenty minutes on this configuration.)
    #[test]
    fn a_timeout_stops_a_single_thread() {
        let config = ModelConfig {
            nodes: 3,
            windows: 2,
            max_losses: Some(1),
            synchronous: true,
            context: crate::protocol::Context::Next,
            ..ModelConfig::default()
        };
        for search in [Search::Dfs, Search::Bfs] {
            let report = check(
                config.clone(),
                search,
                1,
                Some(Duration::from_millis(300)),
                Stop::Never,
                &mut |_| {},
            );
            assert!(!report.complete, "{search:?}");
            assert!(report.unique_states > 0, "{search:?}");
        }
    }
}
