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

/// Two-phase commit with `rms` resource managers (at most 64).
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

#[cfg(test)]
mod tests {
    use super::*;
    use stateright::Checker;

    /// The TLA+ examples' `TwoPhase` has 288 distinct states for three resource managers;
    /// five and seven are pinned too (seven is the anchor's size). The invariant holds and
    /// both witnesses are reached.
    #[test]
    fn two_phase_commit_state_counts() {
        for (rms, states) in [(3, 288), (5, 8_832), (7, 296_448)] {
            let c = TwoPhaseCommit { rms }.checker().spawn_bfs().join();
            c.assert_properties();
            assert_eq!(c.unique_state_count(), states, "{rms} resource managers");
        }
    }
}
