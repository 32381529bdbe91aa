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
//! The crate is layered; each layer uses only the ones above it:
//!
//! | layer | module | job | spec |
//! |---|---|---|---|
//! | [`protocol`] | [`params`](protocol::params) | the parameters fixed at open, and the window timeline | §3, §6 |
//! | | [`crypto`](protocol::crypto) | secp256k1 keys, 65-byte signatures, `ecrecover`-compatible recovery | §4.1 |
//! | | [`eip712`](protocol::eip712) | EIP-712 domain, struct hashes, leaves and the readings root | §4.2–§4.4 |
//! | | [`types`](protocol::types) | readings, window results, meter frames | §4 |
//! | | [`reading_set`](protocol::reading_set) | the window function `f`: the deciding set (latest slot decides), totals | §5.2 |
//! | | [`reaction`](protocol::reaction) | the micro-grid settlement of one window's totals | §8 |
//! | | [`contract`](protocol::contract) | the reference escrow contract: every entry point, exact accounting | §7 |
//! | | [`bonds`](protocol::bonds) | claim bonds, who loses a challenge, the reimbursement schedule | §7.10 |
//! | | [`mutant`](protocol::mutant) | deliberately broken variants that the checks must catch | — |
//! | [`actors`] | [`meter`](actors::meter) | a tamper-proof meter signing window-to-date registers every interval | §5.1 |
//! | | [`node`](actors::node) | the honest intermediate node as a state machine | §6 |
//! | | [`byzantine`](actors::byzantine) | a Byzantine node: withholds, equivocates, lies, asserts lies, challenges spuriously | §10 |
//! | [`world`] | [`network`](world::network) | a deterministic lossy, duplicating, reordering network | §10 |
//! | | [`profile`](world::profile), [`dataset`](world::dataset) | household load and PV profiles | — |
//! | | [`simulation`](world::simulation) | a whole micro grid run end to end, with its report | — |
//! | [`evm`] | [`solidity`](evm::solidity), [`abi`](evm::abi), [`artifacts`](evm::artifacts) | the compiled Solidity contracts on revm at a pinned hardfork | §7 |
//! | | [`gas`](evm::gas) | gas figures: the paper's logging strategies, the fast path, disputes, a year | — |
//! | [`export`] | [`typed_data`](export::typed_data), [`verify`](export::verify) | a run as `eth_signTypedData_v4` JSON and replayable JSON-lines transactions, and their offline check | §4, §7 |

pub mod actors;
pub mod evm;
pub mod export;
pub mod protocol;
pub mod shared;
pub mod text;
pub mod world;

pub use alloy_primitives::{Address, B256, U256};
