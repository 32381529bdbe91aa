//! The protocol's rules, one definition each: formats and hashing, the window function, the
//! reaction, the bonds and the reference escrow contract (spec §3–§8). Everything here is a
//! pure function of its inputs; the actors, the model and the Solidity harness all call it.

pub mod bonds;
pub mod contract;
pub mod crypto;
pub mod eip712;
pub mod memo;
pub mod mutant;
pub mod params;
pub mod reaction;
pub mod reading_set;
pub mod types;
