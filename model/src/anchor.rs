//! The speed anchor (issue 13): two-phase commit, the checker's own classic example, as a
//! stateright model, so that its states per second and ours are measured in one run on one
//! machine (`cargo bench -p diversity-model --bench anchor`).
//!
//! This is Lamport's `TwoPhase` specification (the TLA+ examples' `TwoPhase.tla`), written
//! here in the style of stateright's `examples/2pc.rs`: a transaction manager and `rms`
//! resource managers; messages are a set that only grows (a sent message may be received any
//! number of times). Its state counts are pinned against the TLA+ examples' published ones
//! (288 distinct states for three resource managers), so the anchor is the model it claims
//! to be.

use stateright::{Model, Property};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rm {
    Working,
    Prepared,
    Committed,
    Aborted,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tm {
    Init,
    Committed,
    Aborted,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TwoPhaseState {
    pub rm: Vec<Rm>,
    pub tm: Tm,
    /// Resource managers the transaction manager has seen prepared (a bitmap).
    pub tm_prepared: u64,
    /// `Prepared` messages sent (a bitmap), and whether `Commit` / `Abort` was sent.
    pub msg_prepared: u64,
    pub msg_commit: bool,
    pub msg_abort: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TwoPhaseAction {
    TmRcvPrepared(usize),
    TmCommit,
    TmAbort,
    RmPrepare(usize),
    RmChooseToAbort(usize),
    RmRcvCommitMsg(usize),
    RmRcvAbortMsg(usize),
}

/// Two-phase commit with `rms` resource managers (at most 63: bitmaps of a `u64`).
#[derive(Clone, Debug)]
pub struct TwoPhaseCommit {
    pub rms: usize,
}

impl Model for TwoPhaseCommit {
    type State = TwoPhaseState;
    type Action = TwoPhaseAction;

    fn init_states(&self) -> Vec<Self::State> {
        vec![TwoPhaseState {
            rm: vec![Rm::Working; self.rms],
            tm: Tm::Init,
            tm_prepared: 0,
            msg_prepared: 0,
            msg_commit: false,
            msg_abort: false,
        }]
    }

    fn actions(&self, s: &Self::State, actions: &mut Vec<Self::Action>) {
        let all = (1u64 << self.rms) - 1;
        if s.tm == Tm::Init && s.tm_prepared == all {
            actions.push(TwoPhaseAction::TmCommit);
        }
        if s.tm == Tm::Init {
            actions.push(TwoPhaseAction::TmAbort);
        }
        for r in 0..self.rms {
            if s.tm == Tm::Init && s.msg_prepared & (1 << r) != 0 {
                actions.push(TwoPhaseAction::TmRcvPrepared(r));
            }
            if s.rm[r] == Rm::Working {
                actions.push(TwoPhaseAction::RmPrepare(r));
                actions.push(TwoPhaseAction::RmChooseToAbort(r));
            }
            if s.msg_commit {
                actions.push(TwoPhaseAction::RmRcvCommitMsg(r));
            }
            if s.msg_abort {
                actions.push(TwoPhaseAction::RmRcvAbortMsg(r));
            }
        }
    }

    fn next_state(&self, last: &Self::State, action: Self::Action) -> Option<Self::State> {
        let mut s = last.clone();
        match action {
            TwoPhaseAction::TmRcvPrepared(r) => s.tm_prepared |= 1 << r,
            TwoPhaseAction::TmCommit => {
                s.tm = Tm::Committed;
                s.msg_commit = true;
            }
            TwoPhaseAction::TmAbort => {
                s.tm = Tm::Aborted;
                s.msg_abort = true;
            }
            TwoPhaseAction::RmPrepare(r) => {
                s.rm[r] = Rm::Prepared;
                s.msg_prepared |= 1 << r;
            }
            TwoPhaseAction::RmChooseToAbort(r) => s.rm[r] = Rm::Aborted,
            TwoPhaseAction::RmRcvCommitMsg(r) => s.rm[r] = Rm::Committed,
            TwoPhaseAction::RmRcvAbortMsg(r) => s.rm[r] = Rm::Aborted,
        }
        Some(s)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always(
                "consistent: no resource manager commits while another aborts",
                |_, s: &TwoPhaseState| {
                    !(s.rm.contains(&Rm::Committed) && s.rm.contains(&Rm::Aborted))
                },
            ),
            Property::sometimes(
                "every resource manager committed",
                |_, s: &TwoPhaseState| s.rm.iter().all(|r| *r == Rm::Committed),
            ),
            Property::sometimes("every resource manager aborted", |_, s: &TwoPhaseState| {
                s.rm.iter().all(|r| *r == Rm::Aborted)
            }),
        ]
    }
}

/// The two-phase commit's rate at `states` states, from its rates measured at two sizes that
/// bracket it, `(states, rate)` each: a checker's rate falls as its tables grow (the two-phase
/// commit checks 50,816 states faster than 296,448), so the anchor compares the rates at equal
/// state counts, interpolating the logarithm of the rate linearly in the logarithm of the
/// state count (the sizes grow geometrically, by about 5.8 a resource manager).
pub fn rate_at(states: usize, smaller: (usize, f64), larger: (usize, f64)) -> f64 {
    assert!(
        smaller.0 < larger.0 && (smaller.0..=larger.0).contains(&states),
        "{states} states are not between the sizes {} and {}: an interpolation, never an extrapolation",
        smaller.0,
        larger.0
    );
    let ln = |n: usize| (n as f64).ln();
    let t = (ln(states) - ln(smaller.0)) / (ln(larger.0) - ln(smaller.0));
    (smaller.1.ln() + t * (larger.1.ln() - smaller.1.ln())).exp()
}

/// The numbers of resource managers whose state counts bracket `states`: the largest whose
/// count is at most `states`, and the next (`count` gives a size's state count).
pub fn bracket(states: usize, count: impl Fn(usize) -> usize) -> (usize, usize) {
    let mut rms = 1;
    while rms < 63 && count(rms + 1) <= states {
        rms += 1;
    }
    (rms, rms + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use stateright::Checker;

    /// The interpolation gives each end's rate at its own count, the geometric mean halfway
    /// (in the logarithm of the count), and a rate between the ends in between.
    #[test]
    fn the_rate_is_interpolated_at_equal_state_count() {
        let (small, large) = ((1_000, 400.0), (100_000, 100.0));
        assert!((rate_at(1_000, small, large) - 400.0).abs() < 1e-6);
        assert!((rate_at(100_000, small, large) - 100.0).abs() < 1e-6);
        assert!((rate_at(10_000, small, large) - 200.0).abs() < 1e-6);
        let between = rate_at(50_000, small, large);
        assert!(100.0 < between && between < 200.0);
    }

    /// The bracket of a count, from the two-phase commit's counts (one to seven resource
    /// managers, the last three pinned below): the default configuration's is between six
    /// and seven; a count equal to a size brackets from that size.
    #[test]
    fn the_bracket_holds_the_state_count() {
        let counts = [12, 56, 288, 1_568, 8_832, 50_816, 296_448];
        let count = |rms: usize| counts[rms - 1];
        assert_eq!(bracket(120_309, count), (6, 7));
        assert_eq!(bracket(50_816, count), (6, 7));
        assert_eq!(bracket(12, count), (1, 2));
        assert_eq!(bracket(56, count), (2, 3));
        assert_eq!(bracket(289, count), (3, 4));
    }

    /// Outside its two sizes the rate is not guessed.
    #[test]
    #[should_panic(expected = "never an extrapolation")]
    fn the_rate_is_never_extrapolated() {
        rate_at(1_000_001, (1_000, 400.0), (1_000_000, 100.0));
    }

    /// The TLA+ examples' `TwoPhase` has 288 distinct states for three resource managers;
    /// five, six and seven are pinned too (six and seven bracket the default configuration's
    /// count). The invariant holds and both witnesses are reached.
    #[test]
    fn two_phase_commit_state_counts() {
        for (rms, states) in [(3, 288), (5, 8_832), (6, 50_816), (7, 296_448)] {
            let c = TwoPhaseCommit { rms }.checker().spawn_bfs().join();
            c.assert_properties();
            assert_eq!(c.unique_state_count(), states, "{rms} resource managers");
        }
    }
}
