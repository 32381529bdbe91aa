//! The random walk through the model shared by `tests/model_based.rs` and
//! `tests/model_based_mutants.rs`: one step of the model's own action space at a time, the
//! model's invariants on the implementation's state after each, and the Solidity contract on
//! revm replaying every chain call (see the header of `tests/model_based.rs`).

#![allow(dead_code)]

use std::collections::BTreeMap;

use diversity::evm::solidity::{
    contract_address, ChainState, EvmError, Observed, SolidityContract,
};
use diversity::evm::{Hardfork, CHAIN_ID};
use diversity::protocol::contract::{Call, Tx};
use diversity::Address;
use diversity_model::protocol::{
    Action, ChainTap, DiversityModel, Economy, MeterFault, ModelConfig, Power, State,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, RngSeed, TestRunner};
use stateright::{Expectation, Model, Property};

/// An index into the enabled actions, taken modulo their number.
#[derive(Clone, Copy, Debug)]
pub struct Pick(pub u16);

/// The model, its current state, and optionally the Solidity contract following it.
pub struct Walk {
    model: DiversityModel,
    tap: ChainTap,
    state: State,
    properties: Vec<Property<DiversityModel>>,
    solidity: Option<SolidityContract>,
    addresses: Vec<Address>,
    /// Every action taken, for the failure report.
    pub trace: Vec<String>,
    /// How often each `sometimes` property held after a step (non-vacuity).
    pub reached: BTreeMap<&'static str, usize>,
    /// Chain calls replayed on the EVM, accepted and refused.
    pub replayed: (usize, usize),
    /// Evaluate the model's `always` properties after each step (off: only the EVM replay
    /// and the abstraction function are checked, to show what they catch on their own).
    pub invariants: bool,
}

impl Walk {
    pub fn new(config: &ModelConfig, evm: Option<Hardfork>) -> Self {
        // Walks sample the unreduced model: a redundant message may be delivered, lost or
        // copied at any point, as the network allows, and frozen picks index that action list.
        let config = ModelConfig {
            reduce: false,
            ..config.clone()
        };
        let mut model = DiversityModel::with_domain(config, CHAIN_ID, contract_address());
        let tap = model.tap();
        let state = model.init_states().remove(0);
        let properties = model.properties();
        let p = &model.params;
        let mut addresses: Vec<Address> = p.wallets.iter().chain(&p.nodes).copied().collect();
        addresses.push(p.dust_recipient);
        let solidity = evm.map(|h| {
            let mut c = SolidityContract::deploy(h, p).expect("the model's parameters deploy");
            // The model's initial state: every honest prosumer funded at time 0.
            for i in 0..p.prosumers() {
                if model.is_honest(i) {
                    for (from, value, tx) in [
                        (p.wallets[i], p.deposits[i], Tx::Deposit),
                        (p.nodes[i], p.bond, Tx::PostBond),
                    ] {
                        c.execute(&Call { from, value, tx }, 0).expect("funding");
                    }
                }
            }
            c
        });
        let mut walk = Self {
            model,
            tap,
            state,
            properties,
            solidity,
            addresses,
            trace: Vec::new(),
            reached: BTreeMap::new(),
            replayed: (0, 0),
            invariants: true,
        };
        walk.check().expect("the initial state is consistent");
        walk
    }

    /// Takes one step; `Ok(false)` when no action is enabled (the walk is over).
    pub fn step(&mut self, pick: Pick) -> Result<bool, String> {
        let mut actions = Vec::new();
        self.model.actions(&self.state, &mut actions);
        if actions.is_empty() {
            return Ok(false);
        }
        let action = actions[pick.0 as usize % actions.len()].clone();
        self.trace.push(describe(&action));
        self.tap.lock().expect("tap").clear();
        if let Some(next) = self.model.next_state(&self.state, action) {
            self.state = next;
        }
        let calls: Vec<_> = self.tap.lock().expect("tap").drain(..).collect();
        if let Some(sol) = &mut self.solidity {
            for t in calls {
                let got = sol.execute(&t.call, t.now);
                let ok = match (&t.result, &got) {
                    (Ok(events), Ok(observed)) => {
                        let events: Vec<Observed> = events.iter().map(Observed::from).collect();
                        &events == observed
                    }
                    (Err(e), Err(EvmError::Contract(g))) => e == g,
                    _ => false,
                };
                if !ok {
                    return Err(format!(
                        "the Solidity contract answered {:?} to {} at {} where the model's contract answered {:?}",
                        got,
                        t.call.tx.name(),
                        t.now,
                        t.result
                    ));
                }
                if t.result.is_ok() {
                    self.replayed.0 += 1;
                } else {
                    self.replayed.1 += 1;
                }
            }
        }
        self.check()?;
        Ok(true)
    }

    /// Every invariant on the current state, and the Solidity contract's abstraction.
    fn check(&mut self) -> Result<(), String> {
        for p in &self.properties {
            let holds = (p.condition)(&self.model, &self.state);
            match p.expectation {
                Expectation::Always if !holds && self.invariants => {
                    return Err(format!("{} violated", p.name));
                }
                Expectation::Sometimes if holds => {
                    *self.reached.entry(p.name).or_default() += 1;
                }
                _ => {}
            }
        }
        if let Some(sol) = &mut self.solidity {
            let want = ChainState::of_reference(&self.state.chain, &self.addresses);
            let got = sol.state(&self.addresses);
            if got != want {
                return Err(format!(
                    "abstraction differs:\n  solidity  {got:?}\n  reference {want:?}"
                ));
            }
            if sol.ether() != got.held || got.held != got.accounts {
                return Err("INV-FUNDS-001 violated on the EVM".into());
            }
        }
        Ok(())
    }
}

/// One line per action, in protocol terms, for failure reports.
fn describe(a: &Action) -> String {
    match a {
        Action::Tick => "tick".into(),
        Action::Deliver(e) => format!("deliver to node {} from {:?}", e.to, e.from),
        Action::Duplicate(e) => format!("duplicate to node {} from {:?}", e.to, e.from),
        Action::Drop(e) => format!("drop to node {} from {:?}", e.to, e.from),
        Action::Include { sender, tx } => format!("include {} from {sender:?}", tx.name()),
        Action::Withdraw(a) => format!("withdraw to {a}"),
        Action::Byzantine { node, step } => format!("byzantine node {node}: {step:?}"),
        Action::Environment(step) => format!("environment: {step:?}"),
    }
}

/// Runs one walk; the error names the step, the failure and the trace.
pub fn walk(config: &ModelConfig, evm: Option<Hardfork>, picks: &[Pick]) -> Result<Walk, String> {
    walk_with(config, evm, true, picks)
}

/// [`walk`], with the model's invariants checked or not.
pub fn walk_with(
    config: &ModelConfig,
    evm: Option<Hardfork>,
    invariants: bool,
    picks: &[Pick],
) -> Result<Walk, String> {
    let mut w = Walk::new(config, evm);
    w.invariants = invariants;
    for (k, pick) in picks.iter().enumerate() {
        match w.step(*pick) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                return Err(format!(
                    "step {k} ({}): {e}\ntrace ({} steps):\n  {}",
                    w.trace.last().map(String::as_str).unwrap_or("-"),
                    w.trace.len(),
                    w.trace.join("\n  ")
                ))
            }
        }
    }
    Ok(w)
}

pub fn picks(max: usize) -> impl Strategy<Value = Vec<Pick>> {
    proptest::collection::vec(any::<u16>().prop_map(Pick), 1..max)
}

/// A runner with a pinned seed; failures are persisted beside `source` when given.
pub fn runner(cases: u32, source: Option<&'static str>) -> TestRunner {
    TestRunner::new(Config {
        cases,
        rng_seed: RngSeed::Fixed(0x0de1),
        source_file: source,
        failure_persistence: source.map(|_| {
            Box::new(FileFailurePersistence::WithSource("regressions"))
                as Box<dyn proptest::test_runner::FailurePersistence>
        }),
        ..Config::default()
    })
}

/// Three prosumers, two windows of two slots, node 0 Byzantine, a lossy, duplicating,
/// reordering network with a delay of up to two ticks (the exhaustive default is N=2, K=1,
/// W=1).
pub fn three_prosumers() -> ModelConfig {
    ModelConfig {
        nodes: 3,
        windows: 2,
        slots_per_window: 2,
        byzantine: vec![0],
        duplicating: true,
        max_delay: 2,
        ..ModelConfig::default()
    }
}

/// [`three_prosumers`] against an adversary with every power of spec §10: targeted
/// equivocation, lies over another root, evidence of any meter, partial proofs,
/// self-reports from its wallet and copied reports.
pub fn three_prosumers_every_power() -> ModelConfig {
    ModelConfig {
        powers: Power::ALL.into_iter().collect(),
        ..three_prosumers()
    }
}

/// Four prosumers, three windows, two Byzantine nodes (half the grid), the hardened variant
/// and an equivocating meter.
pub fn four_prosumers_hardened() -> ModelConfig {
    ModelConfig {
        nodes: 4,
        windows: 3,
        slots_per_window: 1,
        byzantine: vec![0, 1],
        hardened: true,
        meter_fault: MeterFault::Equivocating(2),
        ..ModelConfig::default()
    }
}

/// Five prosumers at real sizes (286 Wh readings, 1 ETH deposits, 0.1 ETH bonds, 83,333,333
/// wei per Wh), two windows of three slots, node 1 Byzantine, a silent meter. (Two Byzantine
/// nodes made most random walks abort, since both must fund, or end before a window does.)
pub fn five_prosumers_real_sizes() -> ModelConfig {
    ModelConfig {
        nodes: 5,
        windows: 2,
        slots_per_window: 3,
        byzantine: vec![1],
        meter_fault: MeterFault::Silent(4),
        economy: Economy::REAL,
        ..ModelConfig::default()
    }
}

/// No node live (LIV-ESCAPE-001): three prosumers, two windows of two slots, every node
/// offline after funding; a wallet finishes the windows by escape disputes.
pub fn no_live_node() -> ModelConfig {
    ModelConfig {
        nodes: 3,
        windows: 2,
        slots_per_window: 2,
        ..ModelConfig::default()
    }
    .no_live_node()
}

/// The hardened variant at the exhaustive check's size plus one: N=2, K=1, W=2, node 0
/// Byzantine, a lossy network (where a challenge can add a late reading).
pub fn two_prosumers_hardened() -> ModelConfig {
    ModelConfig {
        slots_per_window: 2,
        hardened: true,
        ..ModelConfig::default()
    }
}
