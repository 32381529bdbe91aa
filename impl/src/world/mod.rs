//! The simulated world the actors run in: a deterministic lossy network, household load and PV
//! profiles (synthetic or the committed 2020 dataset), and a whole micro grid run end to end
//! against the reference contract, with every call replayed on the Solidity contract.

pub mod dataset;
pub mod network;
pub mod profile;
pub mod simulation;
