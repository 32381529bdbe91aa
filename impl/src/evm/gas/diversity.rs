//! Gas of the DIVERSITY contract on revm: every entry point, the fast path as N grows, a
//! worst-case dispute and fraud proof for a window of the default micro grid, and a year.
//!
//! The micro grid is the reference dataset's (docs/dataset.md): prosumer `i` consumes the
//! 2020 household profile scaled by `0.7 + 0.07·(i mod 9)` and, if `i` is even, produces the
//! PV profile scaled by `1 + 0.5·(i mod 5)` (3 to 9 kWp); windows are twelfths of 2020 (2,928
//! slots, 30.5 days), as the paper settles monthly. Producers sell in summer and buy in
//! winter, so the fast path is measured on a summer window, where every prosumer trades.

use alloy_primitives::{keccak256, Address, B256};
use serde::Serialize;

use crate::actors::meter::WindowRegisters;
use crate::evm::solidity::{contract_address, Observed, SolidityContract};
use crate::evm::{Hardfork, CHAIN_ID};
use crate::protocol::contract::{Call, Tx};
use crate::protocol::crypto::{SecretKey, Signature65};
use crate::protocol::eip712::{sign_reading, sign_result, Domain};
use crate::protocol::params::Params;
use crate::protocol::reading_set::ReadingSet;
use crate::protocol::types::{Reading, SignedReading, SignedResult, WindowResult};
use crate::world::dataset::{Dataset, SLOTS_2020, SLOT_SECS, START_2020};

/// Slots per window: a twelfth of 2020.
pub const MONTH_SLOTS: u64 = (SLOTS_2020 / 12) as u64;
/// The default micro grid of the simulation and the model's docs.
pub const DEFAULT_PROSUMERS: usize = 10;
/// `ecrecover`'s precompile cost.
pub const ECRECOVER_GAS: u64 = 3_000;
/// The base cost of any transaction.
pub const TX_BASE_GAS: u64 = 21_000;
/// The contract's `MAX_EVIDENCE_CHUNK`.
pub const EVIDENCE_CHUNK: usize = crate::protocol::contract::MAX_EVIDENCE_CHUNK;

/// A micro grid of `n` prosumers over the reference dataset.
pub struct GasGrid {
    pub meters: Vec<SecretKey>,
    pub nodes: Vec<SecretKey>,
    pub params: Params,
    pub domain: Domain,
    /// Per prosumer: (produced, consumed) Wh per slot of 2020.
    pub profiles: Vec<(Vec<u32>, Vec<u32>)>,
}

impl GasGrid {
    pub fn new(n: usize, challenge_period: u64) -> Self {
        let meters: Vec<SecretKey> = (0..n)
            .map(|i| SecretKey::from_label(&format!("gas/meter/{i}")))
            .collect();
        let nodes: Vec<SecretKey> = (0..n)
            .map(|i| SecretKey::from_label(&format!("gas/node/{i}")))
            .collect();
        let data = Dataset::embedded();
        let profiles = (0..n)
            .map(|i| {
                let c = 70 + 7 * (i as u64 % 9);
                let consumed = data
                    .consumption
                    .wh
                    .iter()
                    .map(|w| (*w as u64 * c / 100) as u32)
                    .collect();
                let produced = if i % 2 == 0 {
                    let p = 100 + 50 * (i as u64 % 5);
                    data.pv
                        .wh
                        .iter()
                        .map(|w| (*w as u64 * p / 100) as u32)
                        .collect()
                } else {
                    vec![0; SLOTS_2020]
                };
                (produced, consumed)
            })
            .collect();
        let params = Params {
            chain_id: CHAIN_ID,
            contract: contract_address(),
            start: START_2020,
            slot_secs: SLOT_SECS,
            slots_per_window: MONTH_SLOTS,
            windows: 12,
            nodes: nodes.iter().map(|k| k.address()).collect(),
            meters: meters.iter().map(|k| k.address()).collect(),
            wallets: (0..n)
                .map(|i| Address::left_padding_from(&(0x1000 + i as u64).to_be_bytes()))
                .collect(),
            // 1 ETH deposits, 0.1 ETH bonds; 0.25 USD/kWh at 3,000 USD/ETH.
            deposits: vec![1_000_000_000_000_000_000; n],
            bond: 100_000_000_000_000_000,
            price_wei_per_wh: 83_333_333,
            dust_recipient: Address::repeat_byte(0xd0),
            collect_period: 3_600,
            sign_period: 3_600,
            challenge_period,
            dispute_period: 3 * 86_400,
            slash_period: 7 * 86_400,
            // As the simulation's default (spec §7.10).
            dispute_bond: 50_000_000_000_000_000,
            gas_rate_wei: 2_000_000_000,
        };
        let domain = Domain::of(&params);
        Self {
            meters,
            nodes,
            params,
            domain,
            profiles,
        }
    }

    pub fn n(&self) -> usize {
        self.nodes.len()
    }

    /// Deploys and funds the contract (every deposit, every bond) before start.
    pub fn deploy(&self, hardfork: Hardfork) -> SolidityContract {
        let mut c = SolidityContract::deploy(hardfork, &self.params).expect("deploys");
        for i in 0..self.n() {
            for (from, value, tx) in [
                (self.params.wallets[i], self.params.deposits[i], Tx::Deposit),
                (self.params.nodes[i], self.params.bond, Tx::PostBond),
            ] {
                c.execute(&Call { from, value, tx }, START_2020 - 1)
                    .expect("funding succeeds");
            }
        }
        c
    }

    /// The totals of window `w`.
    pub fn totals(&self, w: u32) -> (Vec<u64>, Vec<u64>) {
        let range = self.params.slot_range(w);
        let sum = |v: &Vec<u32>| -> u64 {
            v[range.start as usize..range.end as usize]
                .iter()
                .map(|x| *x as u64)
                .sum()
        };
        (
            self.profiles.iter().map(|(p, _)| sum(p)).collect(),
            self.profiles.iter().map(|(_, c)| sum(c)).collect(),
        )
    }

    /// Every meter-signed reading of window `w` (window-to-date registers), in canonical
    /// order, and their set.
    pub fn readings(&self, w: u32) -> (Vec<SignedReading>, ReadingSet) {
        let mut set = ReadingSet::new(w, self.n());
        let mut registers = vec![WindowRegisters::new(self.params.slots_per_window); self.n()];
        for slot in self.params.slot_range(w) {
            for (m, key) in self.meters.iter().enumerate() {
                let (p, c) = &self.profiles[m];
                let (produced_wh, consumed_wh) =
                    registers[m].advance(slot, p[slot as usize] as u64, c[slot as usize] as u64);
                let r = Reading {
                    meter: key.address(),
                    slot,
                    produced_wh,
                    consumed_wh,
                };
                set.add(m, sign_reading(key, &self.domain, r))
                    .expect("distinct readings");
            }
        }
        (set.iter().map(|(_, r)| *r).collect(), set)
    }

    /// Each meter's reading of window `w`'s last slot: its deciding set when nothing is lost
    /// (window-to-date registers, so the window's totals), in canonical order.
    pub fn last_readings(&self, w: u32) -> Vec<SignedReading> {
        let (produced, consumed) = self.totals(w);
        let slot = self.params.slot_range(w).end - 1;
        self.meters
            .iter()
            .enumerate()
            .map(|(m, key)| {
                let r = Reading {
                    meter: key.address(),
                    slot,
                    produced_wh: produced[m],
                    consumed_wh: consumed[m],
                };
                sign_reading(key, &self.domain, r)
            })
            .collect()
    }

    /// Window `w`'s last readings with, for every meter, a second reading of its last slot
    /// (one Wh more produced and consumed): the largest deciding set a window can have, two
    /// readings a meter (spec §5.2).
    pub fn equivocated_deciding_set(&self, w: u32) -> ReadingSet {
        let (all, _) = self.readings(w);
        let last = self.params.slot_range(w).end - 1;
        let mut set = ReadingSet::new(w, self.n());
        for (m, key) in self.meters.iter().enumerate() {
            let honest = all
                .iter()
                .find(|r| r.reading.meter == key.address() && r.reading.slot == last)
                .expect("every meter reads its last slot");
            let second = Reading {
                produced_wh: honest.reading.produced_wh + 1,
                consumed_wh: honest.reading.consumed_wh + 1,
                ..honest.reading
            };
            set.add(m, *honest).expect("new");
            set.add(m, sign_reading(key, &self.domain, second))
                .expect("new");
        }
        assert_eq!(set.deciding().len(), 2 * self.n());
        set
    }

    /// The honest result of window `w` with a given readings root.
    pub fn result(&self, w: u32, prev_hash: B256, readings_root: B256) -> WindowResult {
        let (produced, consumed) = self.totals(w);
        WindowResult {
            window: w,
            prev_hash,
            produced,
            consumed,
            readings_root,
        }
    }

    pub fn certificate(&self, r: &WindowResult) -> Vec<Signature65> {
        self.nodes
            .iter()
            .map(|k| sign_result(k, &self.domain, r))
            .collect()
    }

    pub fn window_end(&self, w: u32) -> u64 {
        self.params.window_end(w)
    }

    /// Submits window `w`'s honest result (stand-in root), linked to `prev`, with every
    /// node's signature, from node `from`, at time `at`; returns its hash (the next `prev`).
    pub fn submit_window(
        &self,
        c: &mut SolidityContract,
        w: u32,
        prev: B256,
        from: usize,
        at: u64,
    ) -> B256 {
        let r = self.result(w, prev, stand_in_root(w));
        let hash = self.domain.result_digest(&r);
        let call = Call {
            from: self.params.nodes[from],
            value: 0,
            tx: Tx::SubmitWindow {
                signatures: self.certificate(&r),
                result: r,
            },
        };
        c.execute(&call, at).expect("the certificate is accepted");
        hash
    }
}

impl GasGrid {
    /// The signing deadline of window `w`: from then on a partial result is taken.
    pub fn signing_deadline(&self, w: u32) -> u64 {
        self.window_end(w) + self.params.collect_period + self.params.sign_period
    }

    /// Puts `r` on chain from node `from` as a partial result signed by every node but
    /// `absent`, with its bond (spec §7.3, §7.10).
    pub fn submit_partial(
        &self,
        c: &mut SolidityContract,
        r: &WindowResult,
        from: usize,
        absent: usize,
        at: u64,
    ) {
        let signatures = (0..self.n())
            .filter(|j| *j != absent)
            .map(|j| sign_result(&self.nodes[j], &self.domain, r))
            .collect();
        let call = Call {
            from: self.params.nodes[from],
            value: self.params.dispute_bond,
            tx: Tx::SubmitWindow {
                result: r.clone(),
                signatures,
            },
        };
        c.execute(&call, at).expect("the partial result is taken");
    }

    /// Node `from` challenges the pending result of window `w`, with its bond (§7.4).
    pub fn challenge(&self, c: &mut SolidityContract, w: u32, from: usize, at: u64) {
        let call = Call {
            from: self.params.nodes[from],
            value: self.params.dispute_bond,
            tx: Tx::OpenDispute { window: w },
        };
        c.execute(&call, at).expect("the challenge is taken");
    }
}

/// A stand-in readings root for fast-path measurements: the contract never reads it on
/// the fast path, and any 32 non-zero bytes cost the same calldata.
fn stand_in_root(w: u32) -> B256 {
    keccak256(format!("readings root of window {w}"))
}

fn last_gas(c: &SolidityContract) -> u64 {
    c.sent
        .last()
        .expect("a transaction was sent")
        .receipt
        .gas_used
}

/// The window the fast path is measured on: July, when producers sell, so every prosumer
/// trades and the reaction writes every balance (the costliest case).
pub const MEASURED_WINDOW: u32 = 6;

/// The fast path of one window for `n` prosumers.
#[derive(Clone, Debug, Serialize)]
pub struct FastPath {
    pub prosumers: usize,
    /// Prosumers whose balance the window's reaction changes.
    pub traders: usize,
    pub gas_used: u64,
    pub calldata_bytes: usize,
    pub calldata_gas: u64,
    /// 21,000 + calldata + 3,000 per signature: what any design must pay.
    pub floor: u64,
    pub over_floor: f64,
}

pub fn fast_path(hardfork: Hardfork, n: usize) -> FastPath {
    let g = GasGrid::new(n, 0);
    let mut c = g.deploy(hardfork);
    // Settle the windows before the measured one, so that it is measured in steady state.
    let mut prev = g.params.genesis_hash();
    for w in 0..=MEASURED_WINDOW {
        prev = g.submit_window(&mut c, w, prev, 0, g.window_end(w) + 7_200);
    }
    let (produced, consumed) = g.totals(MEASURED_WINDOW);
    let surplus: u64 = produced
        .iter()
        .zip(&consumed)
        .map(|(p, c)| p.saturating_sub(*c))
        .sum();
    let deficit: u64 = produced
        .iter()
        .zip(&consumed)
        .map(|(p, c)| c.saturating_sub(*p))
        .sum();
    let traders = if surplus.min(deficit) == 0 {
        0
    } else {
        produced
            .iter()
            .zip(&consumed)
            .filter(|(p, c)| p != c)
            .count()
    };
    let receipt = &c.sent.last().unwrap().receipt;
    let floor = TX_BASE_GAS + receipt.calldata_gas() + ECRECOVER_GAS * n as u64;
    FastPath {
        prosumers: n,
        traders,
        gas_used: receipt.gas_used,
        calldata_bytes: receipt.calldata_bytes,
        calldata_gas: receipt.calldata_gas(),
        floor,
        over_floor: receipt.gas_used as f64 / floor as f64,
    }
}

/// A least-squares line `gas = intercept + slope · N`.
#[derive(Clone, Debug, Serialize)]
pub struct Fit {
    pub intercept: f64,
    pub slope: f64,
    /// Largest relative distance of a measurement from the line.
    pub max_residual: f64,
}

pub fn fit(points: &[(f64, f64)]) -> Fit {
    let n = points.len() as f64;
    let (sx, sy) = points
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
    let (mx, my) = (sx / n, sy / n);
    let sxx: f64 = points.iter().map(|(x, _)| (x - mx) * (x - mx)).sum();
    let sxy: f64 = points.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
    let slope = sxy / sxx;
    let intercept = my - slope * mx;
    let max_residual = points
        .iter()
        .map(|(x, y)| ((intercept + slope * x) - y).abs() / y)
        .fold(0.0, f64::max);
    Fit {
        intercept,
        slope,
        max_residual,
    }
}

/// The measured window settled without one node's signature (spec §7.3): the other N−1
/// sign, one of them submits the partial result at the signing deadline, and it is final
/// after the dispute period, unchallenged.
#[derive(Clone, Debug, Serialize)]
pub struct AbsentNode {
    pub prosumers: usize,
    /// `submitWindow` with N−1 signatures (the result becomes pending).
    pub submit: u64,
    /// `finalizePending` after the dispute period.
    pub finalize: u64,
    pub total: u64,
    /// The same window on the fast path, all N signatures.
    pub fast_path: u64,
}

pub fn absent_node(hardfork: Hardfork, n: usize) -> AbsentNode {
    let g = GasGrid::new(n, 0);
    let mut c = g.deploy(hardfork);
    let mut prev = g.params.genesis_hash();
    for w in 0..MEASURED_WINDOW {
        prev = g.submit_window(&mut c, w, prev, 0, g.window_end(w) + 7_200);
    }
    let w = MEASURED_WINDOW;
    let r = g.result(w, prev, stand_in_root(w));
    let at = g.signing_deadline(w);
    let node = |tx: Tx| Call {
        from: g.params.nodes[0],
        value: 0,
        tx,
    };
    // The last node is absent; node 0 bonds the partial result.
    g.submit_partial(&mut c, &r, 0, n - 1, at);
    let submit = last_gas(&c);
    c.execute(
        &node(Tx::FinalizePending { window: w }),
        at + g.params.dispute_period,
    )
    .expect("final after the dispute period");
    let finalize = last_gas(&c);
    AbsentNode {
        prosumers: n,
        submit,
        finalize,
        total: submit + finalize,
        fast_path: fast_path(hardfork, n).gas_used,
    }
}

/// The most gas any transaction of a dispute or fraud proof may use (issue target; spec
/// §7.6): a million, far below the 2^24 per-transaction cap.
pub const DISPUTE_TX_TARGET: u64 = 1_000_000;

/// A window settled by dispute in the worst case (spec §7.6): every meter equivocated at its
/// deciding slot, so the deciding set holds two readings a meter, each new to the chain; a
/// second honest node then sends the same evidence again (every reading ignored), which is
/// what two nodes acting in the same block pay (F2).
#[derive(Clone, Debug, Serialize)]
pub struct DisputeCost {
    pub prosumers: usize,
    /// The honest partial result the dispute challenges (the Byzantine node withheld its
    /// signature), bonded.
    pub assert: u64,
    /// Readings of the window (what a version-1 dispute put on chain).
    pub window_readings: usize,
    /// Readings of the deciding set the honest node sends.
    pub readings: usize,
    pub open: u64,
    pub chunks: usize,
    pub chunk_max: u64,
    pub chunk_mean: f64,
    pub evidence_total: u64,
    /// The same evidence sent again by a second honest node: every reading ignored.
    pub duplicate_total: u64,
    pub finalize: u64,
    /// Challenge, evidence and finalisation (without the duplicate).
    pub total: u64,
    /// The whole window: the partial result and the dispute.
    pub window_total: u64,
    /// Wei the loser's bond reimbursed (at the stated rate) and what went to the pool.
    pub reimbursed_wei: u128,
    pub pooled_wei: u128,
    pub every_chunk_fits_target: bool,
    /// A fraud proof against a node that lied about the last prosumer over the honest root:
    /// the deciding set, in chunks of `MAX_FRAUD_PROOF_CHUNK`.
    pub fraud_proof_readings: usize,
    pub fraud_proof_chunks: usize,
    pub fraud_proof_chunk_max: u64,
    pub fraud_proof_total: u64,
    pub every_proof_chunk_fits_target: bool,
}

pub fn dispute(hardfork: Hardfork, n: usize) -> DisputeCost {
    let g = GasGrid::new(n, 0);
    let mut c = g.deploy(hardfork);
    let (all, _) = g.readings(0);
    let set = g.equivocated_deciding_set(0);
    let readings: Vec<SignedReading> = set.deciding().readings().map(|(_, k)| k.signed).collect();
    let node = |i: usize, tx: Tx| Call {
        from: g.params.nodes[i],
        value: 0,
        tx,
    };
    // The last node withholds its signature; node 0 bonds the honest partial result at the
    // signing deadline, and the Byzantine node challenges it at once.
    let (produced, consumed) = set.deciding().totals();
    let honest = WindowResult {
        window: 0,
        prev_hash: g.params.genesis_hash(),
        produced,
        consumed,
        readings_root: set.root(),
    };
    let at = g.signing_deadline(0);
    g.submit_partial(&mut c, &honest, 0, n - 1, at);
    let assert = last_gas(&c);
    let t0 = at + 60;
    g.challenge(&mut c, 0, n - 1, t0);
    let open = last_gas(&c);
    let mut chunk_gas = Vec::new();
    for chunk in readings.chunks(EVIDENCE_CHUNK) {
        let tx = Tx::AddEvidence {
            window: 0,
            readings: chunk.to_vec(),
        };
        c.execute(&node(1, tx), t0 + 60).expect("evidence accepted");
        chunk_gas.push(last_gas(&c));
    }
    let mut duplicate_total = 0;
    for chunk in readings.chunks(EVIDENCE_CHUNK) {
        let tx = Tx::AddEvidence {
            window: 0,
            readings: chunk.to_vec(),
        };
        c.execute(&node(2 % n, tx), t0 + 61)
            .expect("evidence accepted");
        duplicate_total += last_gas(&c);
    }
    let deadline = t0 + g.params.dispute_period;
    let settled = c
        .execute(&node(2 % n, Tx::FinalizeDispute { window: 0 }), deadline)
        .expect("dispute finalises");
    let finalize = last_gas(&c);
    let (reimbursed_wei, pooled_wei) = settled
        .iter()
        .find_map(|e| match e {
            Observed::BondsSettled {
                reimbursed, pooled, ..
            } => Some((*reimbursed, *pooled)),
            _ => None,
        })
        .expect("the challenge is decided");
    let evidence_total: u64 = chunk_gas.iter().sum();
    let chunk_max = chunk_gas.iter().copied().max().unwrap_or(0);

    // The fraud proof: node 1 signed totals that overstate the last prosumer's consumption,
    // over the honest root, so the contract must check every deciding reading.
    let mut lie = honest.clone();
    *lie.consumed.last_mut().expect("n > 0") += 1;
    let claim = SignedResult {
        signature: sign_result(&g.nodes[1], &g.domain, &lie),
        result: lie,
    };
    let before = c.sent.len();
    c.execute(
        &Call {
            from: g.params.nodes[0],
            value: 0,
            tx: Tx::ReportInconsistency {
                claim,
                readings: readings.clone(),
            },
        },
        deadline + 60,
    )
    .expect("the fraud proof slashes");
    let proof: Vec<u64> = c.sent[before..]
        .iter()
        .map(|s| s.receipt.gas_used)
        .collect();
    let proof_max = proof.iter().copied().max().unwrap_or(0);
    DisputeCost {
        prosumers: n,
        assert,
        window_total: assert + open + evidence_total + finalize,
        reimbursed_wei,
        pooled_wei,
        window_readings: all.len(),
        readings: readings.len(),
        open,
        chunks: chunk_gas.len(),
        chunk_max,
        chunk_mean: evidence_total as f64 / chunk_gas.len() as f64,
        evidence_total,
        duplicate_total,
        finalize,
        total: open + evidence_total + finalize,
        every_chunk_fits_target: chunk_max <= DISPUTE_TX_TARGET,
        fraud_proof_readings: readings.len(),
        fraud_proof_chunks: proof.len(),
        fraud_proof_chunk_max: proof_max,
        fraud_proof_total: proof.iter().sum(),
        every_proof_chunk_fits_target: proof_max <= DISPUTE_TX_TARGET,
    }
}

/// A year of DIVERSITY for `n` prosumers on the fast path: deployment, funding, twelve
/// windows, close and every withdrawal.
#[derive(Clone, Debug, Serialize)]
pub struct Year {
    pub prosumers: usize,
    pub deploy: u64,
    pub funding: u64,
    pub windows: u64,
    pub window_mean: f64,
    pub close_and_withdraw: u64,
    pub total: u64,
    pub per_prosumer: f64,
    pub transactions: usize,
    /// Gas of the windows' transactions the honest nodes sent.
    pub honest_gas: u64,
    /// What the honest nodes received for it (spec §7.10): reimbursements from the losers'
    /// bonds, and their share of the pooled rest at close, in wei.
    pub honest_reimbursed_wei: u128,
    pub honest_pool_share_wei: u128,
    /// `honest_gas` at the stated rate minus what they received: at most 0 when a dispute
    /// never costs an honest node money.
    pub honest_net_wei: i128,
}

pub fn year(hardfork: Hardfork, n: usize) -> Year {
    year_with(hardfork, n, false)
}

/// The same year when the last node is Byzantine: it withholds its signature and challenges
/// every window's partial result (spec §10): an honest node bonds the partial result at the
/// signing deadline, the Byzantine node challenges it, an honest node puts its deciding set
/// on chain, a second honest node sends the same readings in the same block (the
/// pessimistic case of F2), and the window is final after the dispute period; the
/// challenger's bond pays (§7.10). `windows` counts every transaction of it.
pub fn year_disputed(hardfork: Hardfork, n: usize) -> Year {
    year_with(hardfork, n, true)
}

fn year_with(hardfork: Hardfork, n: usize, disputed: bool) -> Year {
    let g = GasGrid::new(n, 0);
    let mut c = g.deploy(hardfork);
    let deploy = c.sent[0].receipt.gas_used;
    let funding: u64 = c.sent[1..].iter().map(|s| s.receipt.gas_used).sum();
    let mut prev = g.params.genesis_hash();
    let mut windows = 0;
    let mut honest_gas = 0;
    let mut partials: u128 = 0;
    let mut now = 0;
    let node = |i: usize, tx: Tx| Call {
        from: g.params.nodes[i],
        value: 0,
        tx,
    };
    for w in 0..g.params.windows {
        if !disputed {
            now = g.window_end(w) + 7_200;
            prev = g.submit_window(&mut c, w, prev, w as usize % n, now);
            windows += last_gas(&c);
            honest_gas += last_gas(&c);
            continue;
        }
        let before = c.sent.len();
        let byzantine = n - 1;
        let r = g.result(w, prev, stand_in_root(w));
        let at = g.signing_deadline(w);
        g.submit_partial(&mut c, &r, w as usize % byzantine, byzantine, at);
        g.challenge(&mut c, w, byzantine, at + 60);
        let evidence = g.last_readings(w);
        for from in [0, 1 % byzantine] {
            c.execute(
                &node(
                    from,
                    Tx::AddEvidence {
                        window: w,
                        readings: evidence.clone(),
                    },
                ),
                at + 3_600,
            )
            .expect("evidence accepted");
        }
        now = at + 60 + g.params.dispute_period;
        let events = c
            .execute(&node(0, Tx::FinalizeDispute { window: w }), now)
            .expect("dispute finalises");
        assert!(
            events.iter().any(|e| matches!(
                e,
                Observed::BondsSettled {
                    loser: crate::protocol::bonds::Loser::Challenger,
                    ..
                }
            )),
            "the spurious challenger loses"
        );
        // The outcome has the honest totals and a zero root (spec §7.4).
        prev = g.domain.result_digest(&WindowResult {
            readings_root: B256::ZERO,
            ..r
        });
        windows += c.sent[before..]
            .iter()
            .map(|s| s.receipt.gas_used)
            .sum::<u64>();
        honest_gas += c.sent[before..]
            .iter()
            .filter(|s| s.from != g.params.nodes[byzantine])
            .map(|s| s.receipt.gas_used)
            .sum::<u64>();
        partials += 1;
    }
    // Before close: the honest nodes' credits (refunded bonds and reimbursements) and the
    // pool the unslashed nodes share at close.
    let honest_nodes = if disputed { n - 1 } else { n };
    let state = c.state(&g.params.nodes[..honest_nodes]);
    let credits: u128 = state.entitlements.iter().map(|(_, e)| *e).sum();
    let honest_reimbursed_wei = credits - partials * g.params.dispute_bond;
    let honest_pool_share_wei = state.slash_pool / n as u128 * honest_nodes as u128;
    let _ = prev;
    let before = c.sent.len();
    let close = now + g.params.slash_period;
    c.execute(
        &Call {
            from: g.params.nodes[0],
            value: 0,
            tx: Tx::Close,
        },
        close,
    )
    .expect("closes");
    let mut payees: Vec<Address> = g.params.wallets.clone();
    payees.extend(&g.params.nodes);
    payees.push(g.params.dust_recipient);
    for to in payees {
        // The dust recipient may have nothing (no rounding this year): that refusal is fine.
        let _ = c.execute(
            &Call {
                from: to,
                value: 0,
                tx: Tx::Withdraw,
            },
            close,
        );
    }
    let close_and_withdraw: u64 = c.sent[before..]
        .iter()
        .filter(|s| s.receipt.success)
        .map(|s| s.receipt.gas_used)
        .sum();
    let total = deploy + funding + windows + close_and_withdraw;
    Year {
        prosumers: n,
        deploy,
        funding,
        windows,
        window_mean: windows as f64 / g.params.windows as f64,
        close_and_withdraw,
        total,
        per_prosumer: total as f64 / n as f64,
        transactions: c.sent.iter().filter(|s| s.receipt.success).count(),
        honest_gas,
        honest_reimbursed_wei,
        honest_pool_share_wei,
        honest_net_wei: crate::protocol::bonds::wei(&g.params, honest_gas) as i128
            - honest_reimbursed_wei as i128
            - honest_pool_share_wei as i128,
    }
}

/// Exact gas of every entry point in a fixed scenario (the gas snapshots).
pub fn entry_points(hardfork: Hardfork) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let n = 3;
    let g = GasGrid::new(n, 0);
    let mut c = SolidityContract::deploy(hardfork, &g.params).expect("deploys");
    out.push(("constructor (N=3)".to_string(), last_gas(&c)));
    let pay = |c: &mut SolidityContract, from: Address, value: u128, tx: Tx| {
        c.execute(&Call { from, value, tx }, START_2020 - 1)
            .expect("funding succeeds");
        last_gas(c)
    };
    out.push((
        "deposit".into(),
        pay(
            &mut c,
            g.params.wallets[0],
            g.params.deposits[0],
            Tx::Deposit,
        ),
    ));
    out.push((
        "postBond".into(),
        pay(&mut c, g.params.nodes[0], g.params.bond, Tx::PostBond),
    ));
    for i in 1..n {
        pay(
            &mut c,
            g.params.wallets[i],
            g.params.deposits[i],
            Tx::Deposit,
        );
        if i + 1 < n {
            pay(&mut c, g.params.nodes[i], g.params.bond, Tx::PostBond);
        }
    }
    out.push((
        "postBond (last payment: activates)".into(),
        pay(&mut c, g.params.nodes[n - 1], g.params.bond, Tx::PostBond),
    ));
    let node = |i: usize, tx: Tx| Call {
        from: g.params.nodes[i],
        value: 0,
        tx,
    };
    // Window 0 on the fast path, with the true readings root.
    let (_, set0) = g.readings(0);
    let r0 = g.result(0, g.params.genesis_hash(), set0.root());
    let t = g.window_end(0) + 7_200;
    c.execute(
        &node(
            0,
            Tx::SubmitWindow {
                result: r0.clone(),
                signatures: g.certificate(&r0),
            },
        ),
        t,
    )
    .expect("fast path");
    out.push(("submitWindow (N=3)".into(), last_gas(&c)));
    // Window 1 by dispute: node 0 bonds a partial result without node 2's signature, node 2
    // challenges it, and evidence in full chunks decides.
    let (readings1, _) = g.readings(1);
    let r1 = g.result(1, g.domain.result_digest(&r0), stand_in_root(1));
    let at = g.signing_deadline(1);
    g.submit_partial(&mut c, &r1, 0, 2, at);
    out.push(("submitWindow (partial, N=3: pending)".into(), last_gas(&c)));
    let t1 = at + 60;
    g.challenge(&mut c, 1, 2, t1);
    out.push(("openDispute (challenge)".into(), last_gas(&c)));
    c.execute(
        &node(
            0,
            Tx::AddEvidence {
                window: 1,
                readings: readings1[..1].to_vec(),
            },
        ),
        t1 + 1,
    )
    .expect("evidence");
    out.push(("addEvidence (1 reading)".into(), last_gas(&c)));
    c.execute(
        &node(
            0,
            Tx::AddEvidence {
                window: 1,
                readings: readings1[1..1 + EVIDENCE_CHUNK].to_vec(),
            },
        ),
        t1 + 2,
    )
    .expect("evidence");
    out.push((
        format!("addEvidence ({EVIDENCE_CHUNK} readings)"),
        last_gas(&c),
    ));
    c.execute(
        &node(
            1,
            Tx::AddEvidence {
                window: 1,
                readings: readings1[..EVIDENCE_CHUNK].to_vec(),
            },
        ),
        t1 + 3,
    )
    .expect("evidence");
    out.push((
        format!("addEvidence ({EVIDENCE_CHUNK} readings, all already held)"),
        last_gas(&c),
    ));
    let deadline = t1 + g.params.dispute_period;
    c.execute(&node(1, Tx::FinalizeDispute { window: 1 }), deadline)
        .expect("finalises");
    out.push(("finalizeDispute (N=3, bonds settled)".into(), last_gas(&c)));
    let t = deadline;
    // A lie about the last prosumer, proven over the honest root's deciding set.
    let deciding0: Vec<SignedReading> = set0.deciding().readings().map(|(_, k)| k.signed).collect();
    let mut lie = r0.clone();
    lie.consumed[n - 1] += 1;
    let claim = SignedResult {
        signature: sign_result(&g.nodes[1], &g.domain, &lie),
        result: lie,
    };
    let before = c.sent.len();
    c.execute(
        &node(
            0,
            Tx::ReportInconsistency {
                claim,
                readings: deciding0.clone(),
            },
        ),
        t + 1,
    )
    .expect("fraud proven");
    let proof: Vec<u64> = c.sent[before..]
        .iter()
        .map(|s| s.receipt.gas_used)
        .collect();
    out.push((
        format!(
            "reportInconsistency ({} readings in {} chunks, total)",
            deciding0.len(),
            proof.len()
        ),
        proof.iter().sum(),
    ));
    // Equivocation by node 2.
    let mut other = r0.clone();
    other.produced[0] += 1;
    let signed = |r: &WindowResult| SignedResult {
        result: r.clone(),
        signature: sign_result(&g.nodes[2], &g.domain, r),
    };
    c.execute(
        &node(
            0,
            Tx::ReportEquivocation {
                first: signed(&r0),
                second: signed(&other),
            },
        ),
        t + 2,
    )
    .expect("equivocation proven");
    out.push(("reportEquivocation".into(), last_gas(&c)));
    out
}

/// The entry points only the hardened variant and an unfunded contract use.
pub fn entry_points_hardened(hardfork: Hardfork) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let n = 3;
    let g = GasGrid::new(n, 86_400);
    let mut c = g.deploy(hardfork);
    let t = g.window_end(0) + 7_200;
    let call = |tx: Tx| Call {
        from: g.params.nodes[0],
        value: 0,
        tx,
    };
    let mut prev = g.submit_window(&mut c, 0, g.params.genesis_hash(), 0, t);
    out.push(("submitWindow (hardened: pending)".into(), last_gas(&c)));
    c.execute(&call(Tx::FinalizePending { window: 0 }), t + 86_400)
        .expect("final");
    out.push(("finalizePending (N=3)".into(), last_gas(&c)));
    // An unfunded contract: one deposit, then abort and the refund.
    let mut u = SolidityContract::deploy(hardfork, &g.params).expect("deploys");
    let wallet = g.params.wallets[0];
    u.execute(
        &Call {
            from: wallet,
            value: g.params.deposits[0],
            tx: Tx::Deposit,
        },
        START_2020 - 1,
    )
    .expect("deposit");
    u.execute(&call(Tx::Abort), START_2020).expect("aborts");
    out.push(("abort (N=3)".into(), last_gas(&u)));
    u.execute(
        &Call {
            from: wallet,
            value: 0,
            tx: Tx::Withdraw,
        },
        START_2020,
    )
    .expect("refund");
    out.push(("withdraw".into(), last_gas(&u)));
    // Close after the whole year.
    let mut now = t + 86_400;
    for w in 1..g.params.windows {
        now = g.window_end(w) + 7_200;
        prev = g.submit_window(&mut c, w, prev, 0, now);
        now += 86_400;
        c.execute(&call(Tx::FinalizePending { window: w }), now)
            .expect("final");
    }
    c.execute(&call(Tx::Close), now + g.params.slash_period)
        .expect("closes");
    out.push(("close (N=3)".into(), last_gas(&c)));
    out
}
