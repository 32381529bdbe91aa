//! The paper's three ways of logging one prosumer's year of meter data (§5 of the paper),
//! executed transaction by transaction on revm: RDA (one transaction per reading), SAT (one
//! per monthly session with the full trace), SA (one per session with its total).

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolCall;
use serde::Serialize;

use crate::evm::abi::{IRda, ISa, ISat};
use crate::evm::{artifacts, Evm, Hardfork};
use crate::world::dataset::{Series, SLOT_SECS, START_2020};

/// The sender of every logging transaction: the prosumer's meter gateway.
pub const LOGGER: Address = Address::new([0xaa; 20]);

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Strategy {
    /// Raw data application: every reading in its own transaction.
    Rda,
    /// Session application with trace: one transaction per month with every reading.
    Sat,
    /// Session application: one transaction per month with the month's total (DIVERSITY).
    Sa,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Variant {
    /// Contract storage: other contracts can read it.
    Store,
    /// A log entry: cheap, readable off chain only.
    Event,
}

impl Strategy {
    pub const ALL: [Strategy; 3] = [Strategy::Rda, Strategy::Sat, Strategy::Sa];
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Rda => "RDA",
            Strategy::Sat => "SAT",
            Strategy::Sa => "SA",
        }
    }
}

impl Variant {
    pub const ALL: [Variant; 2] = [Variant::Store, Variant::Event];
    pub fn name(self) -> &'static str {
        match self {
            Variant::Store => "store",
            Variant::Event => "event",
        }
    }
}

/// One strategy's year on one hardfork.
#[derive(Clone, Debug, Serialize)]
pub struct LoggingRun {
    pub strategy: Strategy,
    pub variant: Variant,
    pub hardfork: Hardfork,
    /// Gas used by each transaction (receipt `gasUsed`), in order.
    #[serde(skip)]
    pub gas: Vec<u64>,
    /// The last slot each transaction covers (for cumulative plots).
    #[serde(skip)]
    pub at_slot: Vec<usize>,
    pub transactions: usize,
    pub gas_per_year: u64,
    pub min_tx_gas: u64,
    pub max_tx_gas: u64,
    pub mean_tx_gas: f64,
    /// Gas of the calldata alone (EIP-2028), summed.
    pub calldata_gas: u64,
    /// Every transaction succeeded (on Osaka one over the cap runs out of gas).
    pub all_succeeded: bool,
    /// Every transaction fits the block gas limit.
    pub fits_block: bool,
    /// Every transaction fits the 2^24 per-transaction cap (EIP-7825).
    pub fits_tx_cap: bool,
    /// Wall-clock time to execute the year's transactions on revm (a report, never a check).
    pub execution_secs: f64,
}

/// A reading packed as SAT stores it: timestamp in the high 32 bits, Wh in the low 32.
fn packed_reading(slot: usize, wh: u32) -> u64 {
    let ts = (START_2020 + slot as u64 * SLOT_SECS) as u32;
    ((ts as u64) << 32) | wh as u64
}

/// Runs one strategy over `series` (one prosumer's year) on a fresh EVM.
pub fn run(
    strategy: Strategy,
    variant: Variant,
    hardfork: Hardfork,
    series: &Series,
) -> LoggingRun {
    let contract = match (strategy, variant) {
        (Strategy::Rda, Variant::Store) => "RdaStore",
        (Strategy::Rda, Variant::Event) => "RdaEvent",
        (Strategy::Sat, Variant::Store) => "SatStore",
        (Strategy::Sat, Variant::Event) => "SatEvent",
        (Strategy::Sa, Variant::Store) => "SaStore",
        (Strategy::Sa, Variant::Event) => "SaEvent",
    };
    let mut evm = Evm::new(hardfork);
    let deployed = evm
        .deploy(LOGGER, artifacts::bytecode(hardfork, contract))
        .expect("deployment is a valid transaction");
    assert!(deployed.success, "{contract} deploys on {hardfork}");
    let to = deployed.created.expect("created");
    let mut txs: Vec<(usize, Vec<u8>)> = Vec::new();
    match strategy {
        Strategy::Rda => {
            for (slot, wh) in series.wh.iter().enumerate() {
                let ts = (START_2020 + slot as u64 * SLOT_SECS) as u32;
                txs.push((
                    slot,
                    IRda::logCall {
                        timestamp: ts,
                        wh: *wh,
                    }
                    .abi_encode(),
                ));
            }
        }
        Strategy::Sat => {
            for (month, range) in Series::months().into_iter().enumerate() {
                let readings: Vec<u64> = range
                    .clone()
                    .map(|s| packed_reading(s, series.wh[s]))
                    .collect();
                let packed: Vec<U256> = readings
                    .chunks(4)
                    .map(|c| {
                        c.iter().fold(U256::ZERO, |w, r| (w << 64) | U256::from(*r))
                            << (64 * (4 - c.len()))
                    })
                    .collect();
                let data = ISat::logSessionCall {
                    session: month as u32,
                    packed,
                }
                .abi_encode();
                txs.push((range.end - 1, data));
            }
        }
        Strategy::Sa => {
            for (month, range) in Series::months().into_iter().enumerate() {
                let total: u64 = series.wh[range.clone()].iter().map(|w| *w as u64).sum();
                let data = ISa::logTotalCall {
                    session: month as u32,
                    totalWh: total,
                }
                .abi_encode();
                txs.push((range.end - 1, data));
            }
        }
    }
    let mut gas = Vec::with_capacity(txs.len());
    let mut at_slot = Vec::with_capacity(txs.len());
    let mut calldata_gas = 0;
    let mut all_succeeded = true;
    let started = std::time::Instant::now();
    for (slot, data) in txs {
        let r = evm
            .call(LOGGER, to, U256::ZERO, data)
            .expect("a valid transaction");
        // On Osaka a transaction over the cap runs out of gas at 2^24: the run says so.
        all_succeeded &= r.success;
        calldata_gas += r.calldata_gas();
        gas.push(r.gas_used);
        at_slot.push(slot);
    }
    let execution_secs = started.elapsed().as_secs_f64();
    let total: u64 = gas.iter().sum();
    let max = gas.iter().copied().max().unwrap_or(0);
    LoggingRun {
        strategy,
        variant,
        hardfork,
        transactions: gas.len(),
        gas_per_year: total,
        min_tx_gas: gas.iter().copied().min().unwrap_or(0),
        max_tx_gas: max,
        mean_tx_gas: total as f64 / gas.len().max(1) as f64,
        calldata_gas,
        all_succeeded,
        fits_block: all_succeeded && max <= crate::evm::BLOCK_GAS_LIMIT,
        fits_tx_cap: all_succeeded && max <= crate::evm::TX_GAS_CAP,
        execution_secs,
        gas,
        at_slot,
    }
}
