//! # diversity — executable reference implementation of the DIVERSITY protocol
//!
//! DIVERSITY lets the prosumers of a micro grid settle peer-to-peer energy trades on Ethereum
//! with one transaction per window (the "SA" logging strategy) instead of one per reading.
//! The normative text is `specs/protocol.md`; every module cites the section it implements and
//! the property ids (`INV-…`, `LIV-…`, `REACH-…`) it is responsible for.
//!
//! The crate is sans-IO and deterministic: nothing here reads a clock, a socket or an
//! unseeded random source. Time, messages and chain state are inputs.
//!
//! | module | job | spec |
//! |---|---|---|
//! | [`params`] | the parameters fixed at open, and the window timeline | §3, §6 |
//! | [`crypto`] | secp256k1 keys, 65-byte signatures, `ecrecover`-compatible recovery | §4.1 |
//! | [`eip712`] | EIP-712 domain, struct hashes, leaves and the readings root | §4.2–§4.4 |
//! | [`types`] | readings, window results, meter frames | §4 |
//! | [`reading_set`] | the window function `f`: the deciding set (latest slot decides), totals | §5.2 |
//! | [`reaction`] | the micro-grid settlement of one window's totals | §8 |
//! | [`contract`] | the reference escrow contract: every entry point, exact accounting | §7 |
//! | [`bonds`] | claim bonds, who loses a challenge, the reimbursement schedule | §7.10 |
//! | [`meter`] | a tamper-proof meter signing window-to-date registers every interval | §5.1 |
//! | [`node`] | the honest intermediate node as a state machine | §6 |
//! | [`byzantine`] | a Byzantine node: withholds, equivocates, lies, asserts lies, challenges spuriously | §10 |
//! | [`network`] | a deterministic lossy, duplicating, reordering network | §10 |
//! | [`profile`] | synthetic household load and PV profiles | — |
//! | [`simulation`] | a whole micro grid run end to end, with its report | — |
//! | [`mutant`] | deliberately broken variants that the checks must catch | — |

pub mod bonds;
pub mod byzantine;
pub mod contract;
pub mod crypto;
pub mod dataset;
pub mod eip712;
pub mod evm;
pub mod gas;
pub mod meter;
pub mod mutant;
pub mod network;
pub mod node;
pub mod params;
pub mod profile;
pub mod reaction;
pub mod reading_set;
pub mod simulation;
pub mod types;

pub use alloy_primitives::{Address, B256, U256};
