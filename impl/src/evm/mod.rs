//! A real EVM (`revm`) at a pinned hardfork, the compiled Solidity contracts, and a harness
//! that deploys and calls them and reports exact gas (spec §7, docs/gas.md).
//!
//! Gas is priced at zero (base fee 0, gas price 0) so that ether balances move only by the
//! protocol's own transfers: the differential tests compare them wei for wei. Gas *used* is
//! what a receipt reports (after refunds and the EIP-7623 calldata floor).

pub mod abi;
pub mod artifacts;
pub mod gas;
pub mod solidity;

use std::fmt;

use alloy_primitives::{Address, Bytes, Log, U256};
use revm::context::result::{ExecutionResult, Output};
use revm::context::{BlockEnv, CfgEnv, Context, Journal, TxEnv};
use revm::database::InMemoryDB;
use revm::primitives::hardfork::SpecId;
use revm::primitives::TxKind;
use revm::state::AccountInfo;
use revm::{DatabaseRef, ExecuteCommitEvm, ExecuteEvm, MainBuilder, MainnetEvm};
use serde::{Deserialize, Serialize};

/// The hardforks the harness runs, each with the `evmVersion` its bytecode is compiled for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Hardfork {
    London,
    Shanghai,
    Cancun,
    Prague,
    Osaka,
}

impl Hardfork {
    pub const ALL: [Hardfork; 5] = [
        Hardfork::London,
        Hardfork::Shanghai,
        Hardfork::Cancun,
        Hardfork::Prague,
        Hardfork::Osaka,
    ];

    pub fn spec_id(self) -> SpecId {
        match self {
            Hardfork::London => SpecId::LONDON,
            Hardfork::Shanghai => SpecId::SHANGHAI,
            Hardfork::Cancun => SpecId::CANCUN,
            Hardfork::Prague => SpecId::PRAGUE,
            Hardfork::Osaka => SpecId::OSAKA,
        }
    }

    /// solc's `evmVersion` for this hardfork (artifacts/<name>.json).
    pub fn name(self) -> &'static str {
        match self {
            Hardfork::London => "london",
            Hardfork::Shanghai => "shanghai",
            Hardfork::Cancun => "cancun",
            Hardfork::Prague => "prague",
            Hardfork::Osaka => "osaka",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|h| h.name() == s)
    }

    /// Osaka caps one transaction at 2^24 gas (EIP-7825); earlier forks only by the block.
    pub fn tx_gas_cap(self) -> Option<u64> {
        (self == Hardfork::Osaka).then_some(TX_GAS_CAP)
    }
}

impl fmt::Display for Hardfork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// EIP-7825's per-transaction gas cap.
pub const TX_GAS_CAP: u64 = 1 << 24;
/// The block gas limit assumed for "fits in a block" (Ethereum mainnet's limit in 2025).
pub const BLOCK_GAS_LIMIT: u64 = 45_000_000;
/// The chain id of every EVM the harness builds.
pub const CHAIN_ID: u64 = 1;

/// What one transaction did, as a receipt would tell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    pub success: bool,
    /// The receipt's `gasUsed`: after refunds, at least the EIP-7623 floor.
    pub gas_used: u64,
    /// Gas spent before refunds.
    pub gas_spent: u64,
    pub refunded: u64,
    /// The EIP-7623 calldata floor (0 before Prague).
    pub floor_gas: u64,
    pub calldata_bytes: usize,
    pub calldata_zero_bytes: usize,
    pub logs: Vec<Log>,
    /// Return data on success, revert data on revert.
    pub output: Bytes,
    /// A halt (out of gas, invalid opcode, …), as text.
    pub halt: Option<String>,
    /// Address of a created contract.
    pub created: Option<Address>,
}

impl Receipt {
    /// Intrinsic cost of the calldata alone (EIP-2028): 4 per zero byte, 16 per other byte.
    pub fn calldata_gas(&self) -> u64 {
        let zero = self.calldata_zero_bytes as u64;
        let nonzero = self.calldata_bytes as u64 - zero;
        4 * zero + 16 * nonzero
    }
}

/// Why the harness could not run a transaction at all (not a revert: an invalid transaction).
#[derive(Debug, thiserror::Error)]
#[error("invalid transaction: {0}")]
pub struct InvalidTx(pub String);

type Ctx = Context<BlockEnv, TxEnv, CfgEnv, InMemoryDB, Journal<InMemoryDB>, ()>;

/// One EVM at one hardfork with an in-memory state.
pub struct Evm {
    evm: MainnetEvm<Ctx>,
    hardfork: Hardfork,
    chain_id: u64,
}

impl Evm {
    pub fn new(hardfork: Hardfork) -> Self {
        Self::on_chain(hardfork, CHAIN_ID)
    }

    /// An EVM whose `block.chainid` is `chain_id` (the contract binds it into its EIP-712
    /// domain, so a log from another chain replays only on that chain's id).
    pub fn on_chain(hardfork: Hardfork, chain_id: u64) -> Self {
        let mut cfg = CfgEnv::default();
        cfg.chain_id = chain_id;
        cfg.set_spec_and_mainnet_gas_params(hardfork.spec_id());
        let block = BlockEnv {
            number: U256::from(1),
            timestamp: U256::from(1),
            gas_limit: BLOCK_GAS_LIMIT,
            basefee: 0,
            ..BlockEnv::default()
        };
        let ctx: Ctx = Ctx::new(InMemoryDB::default(), hardfork.spec_id())
            .with_cfg(cfg)
            .with_block(block);
        Self {
            evm: ctx.build_mainnet(),
            hardfork,
            chain_id,
        }
    }

    pub fn hardfork(&self) -> Hardfork {
        self.hardfork
    }

    /// Credits `wei` to an account (test and benchmark setup).
    pub fn fund(&mut self, who: Address, wei: U256) {
        let db = &mut self.evm.ctx.journaled_state.database;
        let mut info = db.basic_ref(who).ok().flatten().unwrap_or_default();
        info.balance += wei;
        db.insert_account_info(who, info);
    }

    pub fn balance(&self, who: Address) -> U256 {
        self.account(who).balance
    }

    fn account(&self, who: Address) -> AccountInfo {
        self.evm
            .ctx
            .journaled_state
            .database
            .basic_ref(who)
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// The block timestamp of the next transaction.
    pub fn set_time(&mut self, now: u64) {
        self.evm.ctx.block.timestamp = U256::from(now);
        self.evm.ctx.block.number = U256::from(now.max(1));
    }

    /// The number and timestamp of the block the next transaction runs in.
    pub fn set_block(&mut self, number: u64, timestamp: u64) {
        self.evm.ctx.block.number = U256::from(number);
        self.evm.ctx.block.timestamp = U256::from(timestamp);
    }

    /// The number of the block the next transaction runs in.
    pub fn block_number(&self) -> u64 {
        self.evm.ctx.block.number.to::<u64>()
    }

    /// The timestamp of the block the next transaction runs in.
    pub fn timestamp(&self) -> u64 {
        self.evm.ctx.block.timestamp.to::<u64>()
    }

    fn tx(&self, from: Address, kind: TxKind, value: U256, data: Bytes) -> TxEnv {
        let gas_limit = self.hardfork.tx_gas_cap().unwrap_or(BLOCK_GAS_LIMIT);
        TxEnv::builder()
            .caller(from)
            .kind(kind)
            .value(value)
            .data(data)
            .gas_limit(gas_limit)
            .gas_price(0)
            .nonce(self.account(from).nonce)
            .chain_id(Some(self.chain_id))
            .build_fill()
    }

    /// Deploys `init` (bytecode followed by ABI-encoded constructor arguments).
    pub fn deploy(&mut self, from: Address, init: Vec<u8>) -> Result<Receipt, InvalidTx> {
        let tx = self.tx(from, TxKind::Create, U256::ZERO, init.into());
        self.run(tx, true)
    }

    /// A transaction: executed and committed.
    pub fn call(
        &mut self,
        from: Address,
        to: Address,
        value: U256,
        data: Vec<u8>,
    ) -> Result<Receipt, InvalidTx> {
        let tx = self.tx(from, TxKind::Call(to), value, data.into());
        self.run(tx, true)
    }

    /// A read-only call: executed, never committed.
    pub fn view(&mut self, to: Address, data: Vec<u8>) -> Result<Receipt, InvalidTx> {
        let tx = self.tx(Address::ZERO, TxKind::Call(to), U256::ZERO, data.into());
        self.run(tx, false)
    }

    fn run(&mut self, tx: TxEnv, commit: bool) -> Result<Receipt, InvalidTx> {
        let calldata_bytes = tx.data.len();
        let calldata_zero_bytes = tx.data.iter().filter(|b| **b == 0).count();
        let result = if commit {
            self.evm.transact_commit(tx)
        } else {
            self.evm.transact(tx).map(|r| r.result)
        }
        .map_err(|e| InvalidTx(format!("{e:?}")))?;
        let mut r = Receipt {
            success: false,
            gas_used: 0,
            gas_spent: 0,
            refunded: 0,
            floor_gas: 0,
            calldata_bytes,
            calldata_zero_bytes,
            logs: Vec::new(),
            output: Bytes::new(),
            halt: None,
            created: None,
        };
        let gas = match result {
            ExecutionResult::Success {
                gas, logs, output, ..
            } => {
                r.success = true;
                r.logs = logs;
                match output {
                    Output::Call(b) => r.output = b,
                    Output::Create(b, addr) => {
                        r.output = b;
                        r.created = addr;
                    }
                }
                gas
            }
            ExecutionResult::Revert { gas, output, .. } => {
                r.output = output;
                gas
            }
            ExecutionResult::Halt { reason, gas, .. } => {
                r.halt = Some(format!("{reason:?}"));
                gas
            }
        };
        r.gas_used = gas.tx_gas_used();
        r.gas_spent = gas.total_gas_spent();
        r.refunded = gas.inner_refunded();
        r.floor_gas = gas.floor_gas();
        Ok(r)
    }
}
