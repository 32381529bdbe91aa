//! A whole micro grid run end to end (the `diversity simulate` job): meters, honest and
//! Byzantine nodes, the deterministic network and the reference contract, driven by one
//! clock, with an oracle that checks every final window and the fund accounting.
//!
//! Every run is reproducible: keys derive from labels, profiles and the network from the
//! scenario's seed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path as FsPath;

use alloy_primitives::{keccak256, Address, B256};
use serde::{Deserialize, Serialize};

use crate::actors::byzantine::{Behaviour, ByzantineNode};
use crate::actors::meter::{Meter, MeterBehaviour};
use crate::actors::node::{error_name, Node, NodeMessage, Output};
use crate::actors::{Actor, Delivery};
use crate::export::{Transcript, TxRecord};
use crate::protocol::contract::{
    Call, Contract, ContractError, Event, Path, Phase, SlashReason, Tx,
};
use crate::protocol::crypto::{Secp256k1, SecretKey};
use crate::protocol::eip712::{leaf, sign_reading, sign_result, Domain};
use crate::protocol::params::{Params, ProsumerIndex};
use crate::protocol::reading_set::Deciding;
use crate::protocol::types::{Reading, ReadingFrame, SignedResult, WindowResult};
use crate::world::network::{Network, NetworkConfig, NetworkStats};
use crate::world::profile::{self, Household, Profile};

/// 2020-01-01T00:00:00Z: the reference paper's year (366 days, 35,136 quarter-hours).
pub const YEAR_2020_START: u64 = 1_577_836_800;

/// A Byzantine node and what it does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ByzantineSpec {
    pub node: ProsumerIndex,
    #[serde(default)]
    pub behaviour: Behaviour,
}

/// A faulty meter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeterSpec {
    pub meter: ProsumerIndex,
    pub behaviour: MeterBehaviour,
}

/// Protocol periods, in seconds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Timing {
    pub collect_secs: u64,
    pub sign_secs: u64,
    pub challenge_secs: u64,
    pub dispute_secs: u64,
    pub slash_secs: u64,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            collect_secs: 2 * 3_600,
            sign_secs: 24 * 3_600,
            challenge_secs: 0,
            dispute_secs: 3 * 86_400,
            slash_secs: 7 * 86_400,
        }
    }
}

/// Everything a simulation run depends on. Loadable from JSON; unknown fields are refused.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Scenario {
    pub prosumers: usize,
    /// Prosumers with rooftop PV.
    pub pv_prosumers: Vec<ProsumerIndex>,
    pub pv_kwp: f64,
    pub annual_kwh: f64,
    pub start: u64,
    pub days: u64,
    pub slot_secs: u64,
    /// Number of equal windows the span is cut into (12 ≈ monthly, 6 ≈ two-monthly).
    pub windows: u32,
    pub byzantine: Vec<ByzantineSpec>,
    pub meters: Vec<MeterSpec>,
    pub network: NetworkConfig,
    pub timing: Timing,
    pub chain_id: u64,
    pub price_wei_per_wh: u128,
    pub deposit_wei: u128,
    pub bond_wei: u128,
    /// The claim bond of a partial result or a challenge (spec §7.10).
    pub dispute_bond_wei: u128,
    /// The stated reimbursement rate, wei per gas unit (spec §7.10).
    pub gas_rate_wei: u128,
    pub seed: u64,
    /// Inject one of each kind of bad input and check each is refused by name.
    pub bad_inputs: bool,
}

impl Default for Scenario {
    fn default() -> Self {
        Self {
            prosumers: 10,
            pv_prosumers: vec![0, 1, 2, 3, 4],
            pv_kwp: 4.5,
            annual_kwh: 5_000.0,
            start: YEAR_2020_START,
            days: 366,
            slot_secs: 900,
            windows: 12,
            byzantine: Vec::new(),
            meters: Vec::new(),
            network: NetworkConfig::default(),
            timing: Timing::default(),
            chain_id: 1,
            // 1e11 wei/Wh = 1e-4 ETH/kWh, about 0.25–0.35 USD/kWh at recent prices.
            price_wei_per_wh: 100_000_000_000,
            deposit_wei: 1_000_000_000_000_000_000,
            bond_wei: 100_000_000_000_000_000,
            // 0.05 ETH covers a dispute of 64 prosumers at 2 gwei (bonds::max_dispute_gas).
            dispute_bond_wei: 50_000_000_000_000_000,
            gas_rate_wei: 2_000_000_000,
            seed: 2020,
            bad_inputs: true,
        }
    }
}

/// The longest period (and network delay) a scenario may state: a year of seconds.
pub const MAX_PERIOD_SECS: u64 = 366 * 86_400;

/// Why a scenario could not be run.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("cannot read scenario file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("scenario file {path} is not a valid scenario: {message}")]
    Parse { path: String, message: String },
    #[error("invalid scenario: {0}")]
    Invalid(String),
}

impl Scenario {
    pub fn from_file(path: &FsPath) -> Result<Self, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let s: Scenario = serde_json::from_str(&text).map_err(|e| ScenarioError::Parse {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        s.validate()?;
        Ok(s)
    }

    pub fn validate(&self) -> Result<(), ScenarioError> {
        let bad = |m: String| Err(ScenarioError::Invalid(m));
        let n = self.prosumers;
        if n == 0 || n > crate::protocol::params::MAX_PROSUMERS {
            return bad(format!(
                "prosumers must be 1..={}, got {n}",
                crate::protocol::params::MAX_PROSUMERS
            ));
        }
        if self.days == 0 {
            return bad("days must be at least 1".into());
        }
        if self.slot_secs == 0 || !(self.days * 86_400).is_multiple_of(self.slot_secs) {
            return bad(format!(
                "slot_secs {} must divide a day evenly",
                self.slot_secs
            ));
        }
        let slots = self.days * 86_400 / self.slot_secs;
        if self.windows == 0 || !slots.is_multiple_of(self.windows as u64) {
            return bad(format!(
                "{} days of {}-second slots ({slots} slots) cannot be cut into {} equal windows",
                self.days, self.slot_secs, self.windows
            ));
        }
        let mut seen = BTreeSet::new();
        for b in &self.byzantine {
            if b.node >= n {
                return bad(format!(
                    "byzantine node {} does not exist (prosumers: {n})",
                    b.node
                ));
            }
            if b.behaviour.beneficiary >= n {
                return bad(format!(
                    "beneficiary {} does not exist",
                    b.behaviour.beneficiary
                ));
            }
            if !seen.insert(b.node) {
                return bad(format!("byzantine node {} is listed twice", b.node));
            }
        }
        if seen.len() == n {
            return bad(
                "every node is Byzantine: at least one honest node is assumed (A-HONEST-001)"
                    .into(),
            );
        }
        for m in &self.meters {
            if m.meter >= n {
                return bad(format!("meter {} does not exist", m.meter));
            }
        }
        for p in &self.pv_prosumers {
            if *p >= n {
                return bad(format!("PV prosumer {p} does not exist"));
            }
        }
        for (name, v) in [
            ("loss", self.network.loss),
            ("duplicate", self.network.duplicate),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return bad(format!("network.{name} must be a probability, got {v}"));
            }
        }
        if self.network.loss >= 1.0 {
            return bad("network.loss of 1 delivers nothing".into());
        }
        // The run steps through every period slot by slot; a period beyond a year is a typo
        // (in seconds) that would keep it stepping for minutes, so it is refused up front.
        let t = &self.timing;
        for (name, v) in [
            ("collect_secs", t.collect_secs),
            ("sign_secs", t.sign_secs),
            ("challenge_secs", t.challenge_secs),
            ("dispute_secs", t.dispute_secs),
            ("slash_secs", t.slash_secs),
        ] {
            if v > MAX_PERIOD_SECS {
                return bad(format!(
                    "timing.{name} of {v} s is longer than a year ({MAX_PERIOD_SECS} s)"
                ));
            }
        }
        if self.network.max_delay > MAX_PERIOD_SECS / self.slot_secs {
            return bad(format!(
                "network.max_delay of {} slots is longer than a year",
                self.network.max_delay
            ));
        }
        if !(self.annual_kwh >= 0.0 && self.pv_kwp >= 0.0) {
            return bad("annual_kwh and pv_kwp must be non-negative".into());
        }
        self.params()
            .validate()
            .map_err(|e| ScenarioError::Invalid(e.to_string()))?;
        Ok(())
    }

    pub fn total_slots(&self) -> u64 {
        self.days * 86_400 / self.slot_secs
    }

    pub fn meter_key(i: usize) -> SecretKey {
        SecretKey::from_label(&format!("diversity/meter/{i}"))
    }
    pub fn node_key(i: usize) -> SecretKey {
        SecretKey::from_label(&format!("diversity/node/{i}"))
    }
    fn label_address(label: &str) -> Address {
        Address::from_slice(&keccak256(label.as_bytes())[12..])
    }

    /// Every prosumer's production and consumption profile, slot by slot.
    pub fn profiles(&self) -> Vec<Profile> {
        (0..self.prosumers)
            .map(|i| {
                profile::build(
                    &Household {
                        annual_kwh: self.annual_kwh,
                        pv_kwp: if self.pv_prosumers.contains(&i) {
                            self.pv_kwp
                        } else {
                            0.0
                        },
                        seed: self.seed.wrapping_mul(1_000).wrapping_add(i as u64),
                    },
                    self.start,
                    self.slot_secs,
                    self.total_slots(),
                )
            })
            .collect()
    }

    /// Every prosumer's meter, signing for `domain`, with the scenario's meter faults.
    pub fn meters(&self, domain: Domain) -> Vec<Meter> {
        let slots_per_window = self.total_slots() / self.windows.max(1) as u64;
        (0..self.prosumers)
            .map(|i| {
                let behaviour = self
                    .meters
                    .iter()
                    .find(|m| m.meter == i)
                    .map(|m| m.behaviour.clone())
                    .unwrap_or_default();
                Meter::new(
                    i,
                    Scenario::meter_key(i),
                    domain,
                    behaviour,
                    slots_per_window,
                )
            })
            .collect()
    }

    /// The contract parameters this scenario opens.
    pub fn params(&self) -> Params {
        let n = self.prosumers;
        let t = &self.timing;
        Params {
            chain_id: self.chain_id,
            // Where the Solidity contract lands on a fresh EVM, so that every call can be
            // replayed on it and its gas measured (spec §7.9).
            contract: crate::evm::solidity::contract_address(),
            start: self.start,
            slot_secs: self.slot_secs,
            slots_per_window: self.total_slots() / self.windows.max(1) as u64,
            windows: self.windows,
            nodes: (0..n).map(|i| Self::node_key(i).address()).collect(),
            meters: (0..n).map(|i| Self::meter_key(i).address()).collect(),
            wallets: (0..n)
                .map(|i| Self::label_address(&format!("diversity/wallet/{i}")))
                .collect(),
            deposits: vec![self.deposit_wei; n],
            bond: self.bond_wei,
            price_wei_per_wh: self.price_wei_per_wh,
            dust_recipient: Self::label_address("diversity/dust"),
            collect_period: t.collect_secs,
            sign_period: t.sign_secs,
            challenge_period: t.challenge_secs,
            dispute_period: t.dispute_secs,
            slash_period: t.slash_secs,
            dispute_bond: self.dispute_bond_wei,
            gas_rate_wei: self.gas_rate_wei,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Report

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProsumerReport {
    pub index: ProsumerIndex,
    pub pv: bool,
    pub byzantine_node: bool,
    pub produced_wh: u64,
    pub consumed_wh: u64,
    pub bought_local_wh: u64,
    pub sold_local_wh: u64,
    pub grid_import_wh: u64,
    pub grid_export_wh: u64,
    pub paid_wei: u128,
    pub received_wei: u128,
    pub deposit_wei: u128,
    pub withdrawn_wei: u128,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowReport {
    pub window: u32,
    pub path: Option<Path>,
    /// Seconds after the window's end at which it became final.
    pub final_after_secs: Option<u64>,
    /// Accepted transactions while this window was next, by name.
    pub transactions: BTreeMap<String, u64>,
    /// Readings of the committed deciding set (at most two a meter, spec §5.2).
    pub readings_settled: u64,
    /// Meters whose deciding slot held two values (an equivocation the rule defused).
    pub equivocal_meters: u64,
    /// Gas on the Solidity contract of every transaction sent while this window was next,
    /// accepted or refused (a refused transaction is paid for too).
    pub gas: u64,
    /// The same, by who sent it (`node i`, `wallet i`, `anyone`).
    pub gas_by: BTreeMap<String, u64>,
    pub matched_wh: u64,
    /// The oracle's verdict (INV-SOUND-001, INV-COMPLETE-001).
    pub correct: bool,
    pub problems: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlashReport {
    pub node: ProsumerIndex,
    pub reason: SlashReason,
    pub reporter: Address,
    pub reward_wei: u128,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxStats {
    pub accepted: u64,
    /// Rejections by error name.
    pub rejected: BTreeMap<String, u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadInputReport {
    pub name: String,
    pub expected: String,
    pub got: String,
    pub state_unchanged: bool,
}

impl BadInputReport {
    pub fn ok(&self) -> bool {
        self.expected == self.got && self.state_unchanged
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conservation {
    pub paid_in_wei: u128,
    pub paid_out_wei: u128,
    pub held_at_end_wei: u128,
    pub checks: u64,
    pub violations: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub prosumers: Vec<ProsumerReport>,
    pub windows: Vec<WindowReport>,
    pub transactions: BTreeMap<String, TxStats>,
    pub slashings: Vec<SlashReport>,
    /// Inputs refused by honest nodes, by error name.
    pub node_rejections: BTreeMap<String, u64>,
    pub bad_inputs: Vec<BadInputReport>,
    pub network: NetworkStats,
    pub conservation: Conservation,
    pub readings_emitted: u64,
    pub dust_wei: u128,
    pub final_phase: Option<Phase>,
    pub ticks: u64,
    /// A window's length, and the least length for which no window's finality bound grows
    /// with its index (LIV-FINAL-002, `Params::backlog_free`).
    pub window_secs: u64,
    pub no_backlog_from_secs: u64,
    /// Every call replayed on the Solidity contract (revm, Prague): its gas, and where the two
    /// contracts disagreed. `None` when the scenario's chain id is not the EVM's.
    pub gas: Option<GasReport>,
}

/// The run's on-chain cost, measured by replaying every call on the Solidity contract beside
/// the reference contract.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GasReport {
    pub hardfork: String,
    pub total: u64,
    /// Gas by who sent the transaction (`node i`, `wallet i`, `anyone`).
    pub by_sender: BTreeMap<String, u64>,
    /// What each node got out of the contract beyond its own money (spec §7.10): every wei
    /// it withdrew, less its bond and the claim bonds it paid; so reimbursements, rewards
    /// and its share of the slash pool, less any bond it forfeited. Nodes only.
    pub net_received_wei: BTreeMap<String, i128>,
    /// The contract's stated reimbursement rate, wei per gas unit.
    pub gas_rate_wei: u128,
    /// Calls the two contracts answered differently (acceptance or error): each a failure.
    pub mismatches: Vec<String>,
}

impl Report {
    /// Every window final and correct, the contract closed and fully paid out, no
    /// conservation violation, and every bad input refused by name with nothing changed.
    pub fn success(&self) -> bool {
        self.failures().is_empty()
    }

    /// Why the run did not succeed, one sentence per reason; empty on success.
    pub fn failures(&self) -> Vec<String> {
        let mut why = Vec::new();
        for w in &self.windows {
            match (&w.path, w.correct) {
                (None, _) => why.push(format!(
                    "window {} never became final before the run ended",
                    w.window
                )),
                (Some(_), false) => why.push(format!(
                    "window {} became final with totals other than its meters' readings",
                    w.window
                )),
                _ => {}
            }
        }
        if self.final_phase != Some(Phase::Closed) {
            why.push(format!(
                "the contract ended in phase {:?}, not Closed",
                self.final_phase
            ));
        }
        let c = &self.conservation;
        if let Some(v) = c.violations.first() {
            why.push(format!(
                "fund conservation violated {} time(s), first: {v}",
                c.violations.len()
            ));
        }
        if c.held_at_end_wei != 0 {
            why.push(format!(
                "{} ETH left in the contract at the end",
                eth(c.held_at_end_wei)
            ));
        }
        if c.paid_in_wei != c.paid_out_wei {
            why.push(format!(
                "paid in {} ETH but paid out {} ETH",
                eth(c.paid_in_wei),
                eth(c.paid_out_wei)
            ));
        }
        let bad = self.bad_inputs.iter().filter(|b| !b.ok()).count();
        if bad > 0 {
            why.push(format!(
                "{bad} injected bad input(s) not refused by their own error with nothing changed"
            ));
        }
        if let Some(g) = &self.gas {
            if !g.mismatches.is_empty() {
                why.push(format!(
                    "the Solidity contract answered {} call(s) unlike the reference contract",
                    g.mismatches.len()
                ));
            }
        }
        why
    }
}

// ---------------------------------------------------------------------------------------
// The run

struct Run {
    params: Params,
    chain: Contract<Secp256k1>,
    actors: Vec<Actor>,
    net: Network<Delivery>,
    report: Report,
    /// Leaves of every reading a meter emitted, per window: the oracle's ground truth.
    emitted: Vec<BTreeSet<B256>>,
    /// Evidence of the dispute being finalised, captured for the oracle.
    evidence_at_final: Option<Deciding>,
    /// The Solidity contract every call is replayed on, for its gas.
    evm: Option<crate::evm::solidity::SolidityContract>,
    /// What `--export` writes, when asked for.
    transcript: Option<Transcript>,
}

impl Run {
    fn window_report(&mut self, w: u32) -> &mut WindowReport {
        &mut self.report.windows[w as usize]
    }

    /// Sends a node's outputs: messages into the network, transactions to the chain.
    fn route(&mut self, j: usize, outputs: Vec<Output>, tick: u64, now: u64) {
        for o in outputs {
            if let Some(t) = self.transcript.as_mut() {
                record_signed_results(t, &self.params, &o);
            }
            match o {
                Output::Send { to, msg } => {
                    self.net.send(tick, to, Delivery::Peer { from: j, msg })
                }
                Output::Submit(tx) => {
                    let report = matches!(
                        tx,
                        Tx::ReportEquivocation { .. } | Tx::ReportInconsistency { .. }
                    );
                    if report && self.actors[j].is_honest() {
                        self.front_run(&tx, now);
                    }
                    let call = self.actors[j].node().call(tx, &self.chain);
                    // Rejections are counted in the report.
                    let _ = self.transact(call, now);
                }
            }
        }
    }

    /// A Byzantine node that front-runs reports sees an honest node's report in the mempool
    /// and gets a copy included first, from an address of its own (spec §7.7, F4).
    fn front_run(&mut self, tx: &Tx, now: u64) {
        let runner = self.actors.iter().find_map(|a| match a {
            Actor::Byzantine(b) if b.behaviour.front_run_reports && !b.behaviour.absent => {
                Some(b.inner.index())
            }
            _ => None,
        });
        if let Some(k) = runner {
            let from = Scenario::label_address(&format!("diversity/front-runner/{k}"));
            let _ = self.transact(
                Call {
                    from,
                    value: 0,
                    tx: tx.clone(),
                },
                now,
            );
        }
    }

    fn transact(&mut self, call: Call, now: u64) -> Result<Vec<Event>, ContractError> {
        let name = call.tx.name().to_string();
        let window = self.chain.next_window();
        if matches!(call.tx, Tx::FinalizeDispute { .. }) {
            self.evidence_at_final = self.chain.dispute().map(|d| d.evidence.clone());
        }
        let res = self.chain.execute(&call, now);
        self.replay_on_evm(&call, &res, window, now);
        if let Some(j) = self
            .params
            .node_index(&call.from)
            .filter(|_| self.evm.is_some())
        {
            // A node's own money in: its bond and its claim bonds (§7.10).
            let paid = match (&res, &call.tx) {
                (Ok(_), Tx::PostBond | Tx::SubmitWindow { .. } | Tx::OpenDispute { .. }) => {
                    call.value as i128
                }
                _ => 0,
            };
            let g = self.report.gas.get_or_insert_with(Default::default);
            *g.net_received_wei.entry(format!("node {j}")).or_default() -= paid;
        }
        let stats = self.report.transactions.entry(name.clone()).or_default();
        match &res {
            Ok(events) => {
                stats.accepted += 1;
                if (window as usize) < self.report.windows.len() {
                    *self
                        .window_report(window)
                        .transactions
                        .entry(name)
                        .or_default() += 1;
                }
                for e in events.clone() {
                    self.on_event(e, now);
                }
            }
            Err(e) => *stats.rejected.entry(error_name(e)).or_default() += 1,
        }
        res
    }

    fn on_event(&mut self, e: Event, now: u64) {
        match e {
            Event::WindowFinalized {
                window,
                hash,
                path,
                settlement,
            } => {
                for i in 0..self.params.prosumers() {
                    let p = &mut self.report.prosumers[i];
                    p.bought_local_wh += settlement.bought_wh[i];
                    p.sold_local_wh += settlement.sold_wh[i];
                    p.grid_import_wh += settlement.grid_import_wh[i];
                    p.grid_export_wh += settlement.grid_export_wh[i];
                    p.paid_wei += settlement.paid[i];
                    p.received_wei += settlement.received[i];
                }
                // The contract's own dust account, not Σpaid − Σreceived: the end-to-end
                // tests compare the two.
                self.report.dust_wei += settlement.dust;
                let end = self.params.window_end(window);
                let (problems, settled, equivocal) = self.oracle(window, hash, path);
                let wr = self.window_report(window);
                wr.path = Some(path);
                wr.final_after_secs = Some(now - end);
                wr.matched_wh = settlement.matched_wh;
                wr.readings_settled = settled;
                wr.equivocal_meters = equivocal;
                wr.correct = problems.is_empty();
                wr.problems = problems;
            }
            Event::Slashed {
                node,
                reporter,
                reason,
                reward,
            } => self.report.slashings.push(SlashReport {
                node,
                reason,
                reporter,
                reward_wei: reward,
            }),
            Event::Withdrawn { to, amount } => {
                if let Some(i) = self.params.wallet_index(&to) {
                    self.report.prosumers[i].withdrawn_wei += amount;
                }
                if let Some(j) = self.params.node_index(&to).filter(|_| self.evm.is_some()) {
                    let g = self.report.gas.get_or_insert_with(Default::default);
                    *g.net_received_wei.entry(format!("node {j}")).or_default() += amount as i128;
                }
            }
            _ => {}
        }
    }

    /// Replays a call on the Solidity contract: both must answer alike; its gas is charged
    /// to the window that was next and to the sender.
    fn replay_on_evm(
        &mut self,
        call: &Call,
        want: &Result<Vec<Event>, ContractError>,
        window: u32,
        now: u64,
    ) {
        let Some(evm) = self.evm.as_mut() else { return };
        let got = evm.execute(call, now);
        let gas = evm.sent.last().map_or(0, |s| s.receipt.gas_used);
        let who = if let Some(i) = self.params.node_index(&call.from) {
            format!("node {i}")
        } else if let Some(i) = self.params.wallet_index(&call.from) {
            format!("wallet {i}")
        } else {
            "anyone".to_string()
        };
        let agree = match (want, &got) {
            (Ok(_), Ok(_)) => true,
            (Err(e), Err(crate::evm::solidity::EvmError::Contract(g))) => e == g,
            _ => false,
        };
        let g = self.report.gas.get_or_insert_with(Default::default);
        g.gas_rate_wei = self.params.gas_rate_wei;
        if !agree {
            g.mismatches.push(format!(
                "{} from {who} at {now}: reference {want:?}, Solidity {got:?}",
                call.tx.name()
            ));
        }
        g.total += gas;
        *g.by_sender.entry(who.clone()).or_default() += gas;
        if (window as usize) < self.report.windows.len() {
            let wr = self.window_report(window);
            wr.gas += gas;
            *wr.gas_by.entry(who).or_default() += gas;
        }
    }

    /// The oracle (INV-SOUND-001, INV-COMPLETE-001): the committed deciding set of a final
    /// window holds only readings meters really emitted, no reading any honest node held
    /// would have changed it, and the contract's totals are `f` of it.
    fn oracle(&mut self, w: u32, hash: B256, path: Path) -> (Vec<String>, u64, u64) {
        let mut problems = Vec::new();
        let honest: Vec<&Node<Secp256k1>> = self
            .actors
            .iter()
            .filter(|a| a.is_honest())
            .map(|a| a.node())
            .collect();
        let committed: Option<Deciding> = match path {
            Path::Dispute => self.evidence_at_final.take(),
            // A certificate or a partial result: an honest node froze it (a certificate
            // carries an honest signature; a partial result survived its challenge period,
            // in which every honest node challenges a result that is not its own).
            Path::FastPath | Path::Partial => honest.iter().find_map(|n| {
                n.window(w)
                    .and_then(|nw| nw.frozen.as_ref())
                    .filter(|f| f.hash == hash)
                    .map(|f| f.set.deciding().clone())
            }),
        };
        let Some(set) = committed else {
            problems.push("no honest node signed the certified result".into());
            return (problems, 0, 0);
        };
        let fin = &self.chain.finals()[w as usize];
        if (fin.produced.clone(), fin.consumed.clone()) != set.totals() {
            problems.push("final totals are not f of the committed readings".into());
        }
        if let Some(t) = self.transcript.as_mut() {
            let prev_hash = match w {
                0 => self.params.genesis_hash(),
                _ => self.chain.finals()[w as usize - 1].hash,
            };
            t.final_window(&Domain::of(&self.params), w, prev_hash, fin, &set);
        }
        let genuine = &self.emitted[w as usize];
        let forged = set
            .readings()
            .filter(|(_, k)| !genuine.contains(&k.leaf))
            .count();
        if forged > 0 {
            problems.push(format!(
                "{forged} committed readings were never emitted by a meter"
            ));
        }
        for n in &honest {
            let Some(nw) = n.window(w) else { continue };
            let held = match (&path, &nw.frozen) {
                (Path::FastPath | Path::Partial, Some(f)) => &f.set,
                _ => &nw.set,
            };
            let missing = held.iter().filter(|(m, r)| set.would_change(*m, r)).count();
            if missing > 0 {
                problems.push(format!(
                    "{missing} readings held by honest node {} would change the outcome",
                    n.index
                ));
            }
        }
        let equivocal = (0..self.params.prosumers())
            .filter(|m| set.meter(*m).is_some_and(|d| d.readings().count() == 2))
            .count() as u64;
        (problems, set.len() as u64, equivocal)
    }
}

/// Runs a scenario to completion. `progress(done, total)` is called now and then.
pub fn run(s: &Scenario, progress: &mut dyn FnMut(u64, u64)) -> Result<Report, ScenarioError> {
    run_inner(s, progress, false).map(|(r, _)| r)
}

/// Runs a scenario and also returns its transcript: every signed reading and result, every
/// final window with its deciding set, and every transaction as the Solidity contract ran it
/// (what `diversity simulate --export` writes, `export::write`).
pub fn run_recorded(
    s: &Scenario,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<(Report, Transcript), ScenarioError> {
    run_inner(s, progress, true).map(|(r, t)| (r, t.expect("recorded")))
}

fn run_inner(
    s: &Scenario,
    progress: &mut dyn FnMut(u64, u64),
    record: bool,
) -> Result<(Report, Option<Transcript>), ScenarioError> {
    s.validate()?;
    let params = s.params();
    let n = s.prosumers;
    let domain = Domain::of(&params);
    let recover = Secp256k1::cached();
    let chain = Contract::open(params.clone(), recover)
        .map_err(|e| ScenarioError::Invalid(e.to_string()))?;
    let total = s.total_slots();
    let profiles = s.profiles();
    let mut meters = s.meters(domain);
    let actors: Vec<Actor> = (0..n)
        .map(|i| {
            let node = Node::new(i, Scenario::node_key(i), params.clone(), recover);
            match s.byzantine.iter().find(|b| b.node == i) {
                Some(b) => Actor::Byzantine(ByzantineNode::new(node, b.behaviour.clone())),
                None => Actor::Honest(node),
            }
        })
        .collect();
    let mut run = Run {
        params: params.clone(),
        chain,
        actors,
        net: Network::new(s.network.clone(), s.seed),
        report: Report {
            window_secs: params.slots_per_window * params.slot_secs,
            no_backlog_from_secs: params.backlog_free().err().unwrap_or(
                params.sign_period + params.challenge_period + 4 * params.dispute_period,
            ),
            prosumers: (0..n)
                .map(|i| ProsumerReport {
                    index: i,
                    pv: s.pv_prosumers.contains(&i),
                    byzantine_node: s.byzantine.iter().any(|b| b.node == i),
                    deposit_wei: s.deposit_wei,
                    ..Default::default()
                })
                .collect(),
            windows: (0..s.windows)
                .map(|w| WindowReport {
                    window: w,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        },
        emitted: vec![BTreeSet::new(); s.windows as usize],
        evidence_at_final: None,
        evm: crate::evm::solidity::SolidityContract::deploy(crate::evm::Hardfork::Prague, &params)
            .ok(),
        transcript: record.then(Transcript::default),
    };
    if let Some(evm) = &run.evm {
        run.report.gas = Some(GasReport {
            hardfork: crate::evm::Hardfork::Prague.to_string(),
            total: evm.sent.iter().map(|s| s.receipt.gas_used).sum(),
            by_sender: BTreeMap::from([(
                "deployer".to_string(),
                evm.sent.iter().map(|s| s.receipt.gas_used).sum(),
            )]),
            mismatches: Vec::new(),
            net_received_wei: BTreeMap::new(),
            gas_rate_wei: params.gas_rate_wei,
        });
    }

    // §7.2 funding, an hour before start.
    let funding_time = s.start.saturating_sub(3_600);
    for i in 0..n {
        let _ = run.transact(
            Call {
                from: params.wallets[i],
                value: params.deposits[i],
                tx: Tx::Deposit,
            },
            funding_time,
        );
        let _ = run.transact(
            Call {
                from: params.nodes[i],
                value: params.bond,
                tx: Tx::PostBond,
            },
            funding_time,
        );
    }

    let honest = (0..n)
        .find(|j| run.actors[*j].is_honest())
        .expect("validated");
    let tail = (s.timing.collect_secs
        + s.timing.sign_secs
        + s.timing.challenge_secs
        + 2 * s.timing.dispute_secs
        + s.timing.slash_secs)
        * 2
        / s.slot_secs
        + 16;
    let mut tick = 0u64;
    while tick <= total + tail {
        tick += 1;
        let now = s.start + tick * s.slot_secs;
        if tick <= total {
            let slot = tick - 1;
            for (i, meter) in meters.iter_mut().enumerate() {
                let frames = meter.emit(
                    slot,
                    profiles[i].produced_wh[slot as usize],
                    profiles[i].consumed_wh[slot as usize],
                    n,
                );
                let w = params.window_of_slot(slot).expect("in span") as usize;
                let mut last = None;
                for (dest, frame) in frames {
                    if last != Some(frame.signed) {
                        let l = leaf(&frame.signed);
                        run.emitted[w].insert(l);
                        if let Some(t) = run.transcript.as_mut() {
                            t.reading(l, &frame.signed);
                        }
                        run.report.readings_emitted += 1;
                        last = Some(frame.signed);
                    }
                    run.net.send(tick, dest, Delivery::Frame(frame));
                }
            }
        }
        if s.bad_inputs && tick == params.slots_per_window + 1 {
            inject_bad_inputs(&mut run, honest, now);
        }
        for (dest, d) in run.net.due(tick) {
            let out = match &d {
                Delivery::Frame(f) => run.actors[dest].frame(f, now, &run.chain),
                Delivery::Peer { from, msg } => {
                    run.actors[dest].message(*from, msg, now, &run.chain)
                }
            };
            run.route(dest, out, tick, now);
        }
        for j in 0..n {
            let out = run.actors[j].tick(now, &run.chain);
            run.route(j, out, tick, now);
        }
        run.report.conservation.checks += 1;
        if let Err(v) = run.chain.check_conservation() {
            run.report
                .conservation
                .violations
                .push(format!("tick {tick}: {v}"));
        }
        if tick.is_multiple_of(96) {
            progress(tick.min(total), total);
        }
        if run.chain.phase() == Phase::Closed || run.chain.phase() == Phase::Aborted {
            break;
        }
    }
    progress(total, total);

    // §7.8: everyone owed anything pulls it.
    let now = s.start + tick * s.slot_secs;
    let owed: Vec<Address> = run.chain.owed().keys().copied().collect();
    for to in owed {
        let _ = run.transact(
            Call {
                from: to,
                value: 0,
                tx: Tx::Withdraw,
            },
            now,
        );
    }
    let (paid_in, paid_out) = run.chain.flows();
    run.report.conservation.paid_in_wei = paid_in;
    run.report.conservation.paid_out_wei = paid_out;
    run.report.conservation.held_at_end_wei = run.chain.held();
    if let Err(v) = run.chain.check_conservation() {
        run.report.conservation.violations.push(v);
    }
    for (p, profile) in run.report.prosumers.iter_mut().zip(&profiles).take(n) {
        p.produced_wh = profile.produced_wh.iter().sum();
        p.consumed_wh = profile.consumed_wh.iter().sum();
    }
    for a in &run.actors {
        if a.is_honest() {
            for (k, v) in &a.node().stats.rejected {
                *run.report.node_rejections.entry(k.clone()).or_default() += v;
            }
        }
    }
    run.report.network = run.net.stats.clone();
    run.report.final_phase = Some(run.chain.phase());
    run.report.ticks = tick;
    let mut transcript = run.transcript.take();
    if let (Some(t), Some(evm)) = (transcript.as_mut(), run.evm.as_ref()) {
        t.transactions = evm.sent.iter().map(TxRecord::from).collect();
    }
    Ok((run.report, transcript))
}

/// Records the window results a node signed or put on chain, with their signers.
fn record_signed_results(t: &mut Transcript, params: &Params, o: &Output) {
    let domain = Domain::of(params);
    match o {
        // First-hand or forwarded: the signer is whoever the signature recovers to.
        Output::Send {
            msg: NodeMessage::Signed(sr),
            ..
        } => t.result(&domain, sr),
        Output::Submit(Tx::SubmitWindow { result, signatures }) => {
            t.submitted(&domain, result, signatures)
        }
        _ => {}
    }
}

/// Records one injected bad input: the error it got (by name) and whether state changed.
fn record_bad_input<T, E: Serialize>(
    report: &mut Report,
    name: &str,
    expected: &str,
    got: Result<T, E>,
    state_unchanged: bool,
) {
    report.bad_inputs.push(BadInputReport {
        name: name.into(),
        expected: expected.into(),
        got: got
            .err()
            .map(|e| error_name(&e))
            .unwrap_or_else(|| "accepted".into()),
        state_unchanged,
    });
}

/// Feeds one of each kind of bad input to an honest node and to the contract, and records
/// whether each was refused with its own error and changed nothing (spec §6.2, §7).
fn inject_bad_inputs(run: &mut Run, h: usize, now: u64) {
    let params = run.params.clone();
    let domain = Domain::of(&params);
    let w = run.chain.next_window();
    let held = run.actors[h]
        .node()
        .window(w)
        .and_then(|nw| nw.set.iter().next().map(|(_, r)| *r));
    let Some(genuine) = held else { return };
    let slot = genuine.reading.slot;
    let meter0 = Scenario::meter_key(0);
    let reading = Reading {
        meter: meter0.address(),
        slot,
        produced_wh: 1,
        consumed_wh: 2,
    };
    let frame = |signed| ReadingFrame {
        chain_id: params.chain_id,
        contract: params.contract,
        signed,
    };
    let other = Domain::new(params.chain_id, Address::repeat_byte(0x77));
    let stranger = SecretKey::from_label("diversity/stranger");
    let mut malleated = genuine;
    malleated.signature = genuine.signature.malleate();
    let future_slot = params.slot_range(w + 1).start + 5;
    let mut cases: Vec<(&str, &str, ReadingFrame)> = vec![
        (
            "forged reading",
            "SignerMismatch",
            frame(sign_reading(&Scenario::meter_key(1), &domain, reading)),
        ),
        (
            "replayed from another chain",
            "WrongDomain",
            ReadingFrame {
                chain_id: params.chain_id + 1,
                ..frame(sign_reading(
                    &meter0,
                    &Domain::new(params.chain_id + 1, params.contract),
                    reading,
                ))
            },
        ),
        (
            "replayed from another contract, relabelled",
            "SignerMismatch",
            frame(sign_reading(&meter0, &other, reading)),
        ),
        ("malleated signature", "BadSignature", frame(malleated)),
        ("duplicate reading", "Duplicate", frame(genuine)),
        (
            "unregistered meter",
            "UnregisteredMeter",
            frame(sign_reading(
                &stranger,
                &domain,
                Reading {
                    meter: stranger.address(),
                    ..reading
                },
            )),
        ),
        (
            "slot outside the contract",
            "OutsideContract",
            frame(sign_reading(
                &meter0,
                &domain,
                Reading {
                    slot: params.total_slots() + 3,
                    ..reading
                },
            )),
        ),
        (
            "reading from the future",
            "FromTheFuture",
            frame(sign_reading(
                &meter0,
                &domain,
                Reading {
                    slot: future_slot,
                    ..reading
                },
            )),
        ),
        (
            "value above what a window can measure",
            "ValueTooLarge",
            frame(sign_reading(
                &meter0,
                &domain,
                Reading {
                    produced_wh: u64::MAX,
                    ..reading
                },
            )),
        ),
    ];
    for (name, expected, f) in cases.drain(..) {
        let node = run.actors[h].node();
        let before = node.window(w).cloned();
        let got = match &mut run.actors[h] {
            Actor::Honest(n) => n.handle_frame(&f, now, &run.chain),
            Actor::Byzantine(_) => unreachable!("h is honest"),
        };
        let after = run.actors[h].node().window(w).cloned();
        record_bad_input(&mut run.report, name, expected, got, before == after);
    }

    // Malformed peer messages.
    let node_key = SecretKey::from_label("diversity/node/forger");
    let fake = WindowResult {
        window: w,
        prev_hash: run.chain.last_hash(),
        produced: vec![0; params.prosumers()],
        consumed: vec![0; params.prosumers()],
        readings_root: B256::ZERO,
    };
    let msgs: Vec<(&str, &str, NodeMessage)> = vec![
        (
            "malformed inventory",
            "MalformedInventory",
            NodeMessage::Inventory {
                window: w,
                have: vec![vec![0; 1]],
            },
        ),
        (
            "result signed by a non-node",
            "BadResultSignature",
            NodeMessage::Signed(SignedResult {
                signature: sign_result(&node_key, &domain, &fake),
                result: fake.clone(),
            }),
        ),
    ];
    let from = (h + 1) % params.prosumers();
    for (name, expected, m) in msgs {
        let before = run.actors[h].node().window(w).cloned();
        let got = match &mut run.actors[h] {
            Actor::Honest(n) => n.handle_message(from, &m, now, &run.chain),
            Actor::Byzantine(_) => unreachable!(),
        };
        let after = run.actors[h].node().window(w).cloned();
        record_bad_input(&mut run.report, name, expected, got, before == after);
    }

    // Bad transactions.
    let node_keys: Vec<SecretKey> = (0..params.prosumers()).map(Scenario::node_key).collect();
    let good = WindowResult {
        readings_root: B256::repeat_byte(1),
        ..fake.clone()
    };
    let sigs = |r: &WindowResult, k: usize| -> Vec<_> {
        node_keys
            .iter()
            .take(k)
            .map(|key| sign_result(key, &domain, r))
            .collect()
    };
    let n = params.prosumers();
    let short = WindowResult {
        produced: vec![0; n - 1],
        ..good.clone()
    };
    let wrong_prev = WindowResult {
        prev_hash: B256::repeat_byte(9),
        ..good.clone()
    };
    let next = WindowResult {
        window: w + 1,
        ..good.clone()
    };
    let node0 = params.nodes[0];
    let submit = |result: &WindowResult, signatures| Call {
        from: node0,
        value: 0,
        tx: Tx::SubmitWindow {
            result: result.clone(),
            signatures,
        },
    };
    let mut txs: Vec<(&str, &str, Call)> = vec![
        (
            "result without signatures",
            "WrongSignatureCount",
            submit(&good, Vec::new()),
        ),
        (
            "partial result before the signing deadline",
            "SigningPeriodRunning",
            submit(&good, sigs(&good, n - 1)),
        ),
        (
            "certificate with a duplicated signer",
            "DuplicateSigner",
            submit(&good, {
                let mut v = sigs(&good, n);
                v[n - 1] = v[0];
                v
            }),
        ),
        (
            "certificate with a stranger's signature",
            "UnknownSigner",
            submit(&good, {
                let mut v = sigs(&good, n);
                v[n - 1] = sign_result(&node_key, &domain, &good);
                v
            }),
        ),
        (
            "result with a wrong previous hash",
            "PrevHashMismatch",
            submit(&wrong_prev, sigs(&wrong_prev, n)),
        ),
        (
            "result with too few totals",
            "MalformedResult",
            submit(&short, sigs(&short, n)),
        ),
        (
            "result for a later window",
            "WindowNotNext",
            submit(&next, sigs(&next, n)),
        ),
        (
            "deposit after funding",
            "WrongPhase",
            Call {
                from: params.wallets[0],
                value: params.deposits[0],
                tx: Tx::Deposit,
            },
        ),
        (
            "withdraw before close",
            "WrongPhase",
            Call {
                from: params.wallets[0],
                value: 0,
                tx: Tx::Withdraw,
            },
        ),
        (
            "evidence for a window without a dispute",
            "NoDispute",
            Call {
                from: node0,
                value: 0,
                tx: Tx::AddEvidence {
                    window: w + 1,
                    readings: vec![genuine],
                },
            },
        ),
        (
            "dispute with nothing to challenge, before the escape time",
            "NothingToChallenge",
            Call {
                from: stranger.address(),
                value: 0,
                tx: Tx::OpenDispute { window: w },
            },
        ),
        (
            "ether sent to a non-payable call",
            "UnexpectedValue",
            Call {
                from: node0,
                value: 1,
                tx: Tx::Close,
            },
        ),
        (
            "close before every window is final",
            "NotAllFinal",
            Call {
                from: node0,
                value: 0,
                tx: Tx::Close,
            },
        ),
    ];
    // With one prosumer there is no partial result (one signature is all of them) and no
    // second signer to duplicate: those two cases need N >= 2.
    txs.retain(|(name, _, _)| {
        n >= 2 || !(name.starts_with("partial") || name.contains("duplicated signer"))
    });
    for (name, expected, call) in txs {
        let before = run.chain.clone();
        let got = run.transact(call, now);
        let unchanged = before == run.chain;
        record_bad_input(&mut run.report, name, expected, got, unchanged);
    }
}

// ---------------------------------------------------------------------------------------
// Text rendering

fn kwh(wh: u64) -> String {
    format!("{:.1}", wh as f64 / 1_000.0)
}

fn eth(wei: u128) -> String {
    format!("{:.6}", wei as f64 / 1e18)
}

impl Report {
    /// The human-readable report `diversity simulate` prints.
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut o = String::new();
        let _ = writeln!(o, "Prosumers (energy in kWh, money in ETH)");
        let _ = writeln!(
            o,
            "{:>3} {:>3} {:>3} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10} {:>10} {:>10}",
            "#",
            "pv",
            "byz",
            "produced",
            "consumed",
            "bought",
            "sold",
            "grid-in",
            "grid-out",
            "paid",
            "received",
            "withdrawn"
        );
        for p in &self.prosumers {
            let _ = writeln!(
                o,
                "{:>3} {:>3} {:>3} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10} {:>10} {:>10}",
                p.index,
                if p.pv { "yes" } else { "-" },
                if p.byzantine_node { "yes" } else { "-" },
                kwh(p.produced_wh),
                kwh(p.consumed_wh),
                kwh(p.bought_local_wh),
                kwh(p.sold_local_wh),
                kwh(p.grid_import_wh),
                kwh(p.grid_export_wh),
                eth(p.paid_wei),
                eth(p.received_wei),
                eth(p.withdrawn_wei),
            );
        }
        let _ = writeln!(o, "\nWindows");
        let price = crate::evm::gas::price::Price::recent();
        let _ = writeln!(
            o,
            "{:>3} {:>10} {:>12} {:>9} {:>9} {:>11} {:>10} {:>8}  transactions",
            "w", "path", "final after", "readings", "equivocal", "correct", "gas", "USD"
        );
        for w in &self.windows {
            let path = match w.path {
                Some(Path::FastPath) => "fast path",
                Some(Path::Dispute) => "dispute",
                Some(Path::Partial) => "partial",
                None => "NOT FINAL",
            };
            let after = w
                .final_after_secs
                .map(|s| format!("{:.1} h", s as f64 / 3_600.0))
                .unwrap_or_else(|| "-".into());
            let txs: Vec<String> = w
                .transactions
                .iter()
                .map(|(k, v)| format!("{k}×{v}"))
                .collect();
            let _ = writeln!(
                o,
                "{:>3} {:>10} {:>12} {:>9} {:>9} {:>11} {:>10} {:>8.2}  {}",
                w.window,
                path,
                after,
                w.readings_settled,
                w.equivocal_meters,
                if w.correct { "yes" } else { "NO" },
                w.gas,
                price.usd(w.gas),
                txs.join(" ")
            );
            for p in &w.problems {
                let _ = writeln!(o, "      problem: {p}");
            }
        }
        let _ = writeln!(o, "\nOn-chain transactions (accepted / rejected)");
        for (k, v) in &self.transactions {
            let rej: Vec<String> = v.rejected.iter().map(|(e, c)| format!("{e}×{c}")).collect();
            let _ = writeln!(
                o,
                "  {k:<20} {:>6} / {:<4} {}",
                v.accepted,
                v.rejected.values().sum::<u64>(),
                rej.join(" ")
            );
        }
        if let Some(g) = &self.gas {
            let _ = writeln!(
                o,
                "\nGas on the Solidity contract ({}, every call replayed): {} in all, {:.2} USD at {} ({})",
                g.hardfork,
                g.total,
                price.usd(g.total),
                price.name,
                price.note
            );
            for (who, gas) in &g.by_sender {
                let net = g.net_received_wei.get(who).map_or(String::new(), |w| {
                    format!("   from the contract {:+.6} ETH", *w as f64 * 1e-18)
                });
                let _ = writeln!(
                    o,
                    "  {who:<10} {gas:>12} gas {:>10.2} USD{net}",
                    price.usd(*gas)
                );
            }
            let _ = writeln!(
                o,
                "  (from the contract: what a node withdrew beyond its bond and claim bonds, i.e. reimbursements at {} gwei a gas unit, rewards and its share of the slash pool, less forfeited bonds)",
                g.gas_rate_wei as f64 * 1e-9
            );
            if g.mismatches.is_empty() {
                let _ = writeln!(o, "  both contracts answered every call alike");
            }
            for m in &g.mismatches {
                let _ = writeln!(o, "  MISMATCH: {m}");
            }
        }
        if !self.slashings.is_empty() {
            let _ = writeln!(o, "\nSlashed nodes");
            for s in &self.slashings {
                let _ = writeln!(
                    o,
                    "  node {} for {:?}, reporter rewarded {} ETH",
                    s.node,
                    s.reason,
                    eth(s.reward_wei)
                );
            }
        }
        if !self.node_rejections.is_empty() {
            let rej: Vec<String> = self
                .node_rejections
                .iter()
                .map(|(e, c)| format!("{e}×{c}"))
                .collect();
            let _ = writeln!(o, "\nInputs refused by honest nodes: {}", rej.join(" "));
        }
        if !self.bad_inputs.is_empty() {
            let ok = self.bad_inputs.iter().filter(|b| b.ok()).count();
            let _ = writeln!(
                o,
                "\nBad inputs: {ok}/{} refused with their own error, nothing changed",
                self.bad_inputs.len()
            );
            for b in self.bad_inputs.iter().filter(|b| !b.ok()) {
                let _ = writeln!(
                    o,
                    "  FAILED {}: expected {}, got {} (state unchanged: {})",
                    b.name, b.expected, b.got, b.state_unchanged
                );
            }
        }
        let c = &self.conservation;
        let _ = writeln!(
            o,
            "\nNetwork: {} sent, {} lost, {} duplicated, {} delivered; {} readings emitted",
            self.network.sent,
            self.network.lost,
            self.network.duplicated,
            self.network.delivered,
            self.readings_emitted
        );
        let _ = writeln!(
            o,
            "Fund conservation (INV-FUNDS-001): {} checks, {} violations; paid in {} ETH, paid out {} ETH, left in contract {} wei, rounding dust {} wei",
            c.checks,
            c.violations.len(),
            eth(c.paid_in_wei),
            eth(c.paid_out_wei),
            c.held_at_end_wei,
            self.dust_wei
        );
        let _ = writeln!(
            o,
            "Windows of {:.1} h; no backlog (LIV-FINAL-002) needs at least {:.1} h: {}",
            self.window_secs as f64 / 3_600.0,
            self.no_backlog_from_secs as f64 / 3_600.0,
            if self.window_secs >= self.no_backlog_from_secs {
                "yes"
            } else {
                "no, a window can be final later than the one before by up to the difference"
            }
        );
        let failures = self.failures();
        if failures.is_empty() {
            let _ = writeln!(
                o,
                "Result: every window settled correctly; contract closed and paid out"
            );
        } else {
            let _ = writeln!(o, "Result: FAILED");
            for f in failures {
                let _ = writeln!(o, "  {f}");
            }
        }
        o
    }
}
