//! # diversity-model — exhaustive model checking of DIVERSITY
//!
//! [`protocol`] is the stateright model of the whole protocol (meters, nodes, network, chain
//! and adversary), built from the implementation crate's own types and code. [`checking`]
//! runs it and reports per property, as the `diversity check` command does; [`manifest`]
//! holds the expected results of every pinned configuration and planted bug; [`walks`]
//! samples sizes beyond exhaustive reach by seeded random walks, with [`coverage`];
//! [`chart`] draws a counterexample as a message-sequence chart. [`anchor`] is
//! stateright's classic two-phase commit, the yardstick of the checker's speed.

pub mod anchor;
pub mod chart;
pub mod checking;
pub mod coverage;
pub mod manifest;
pub mod memo;
pub mod protocol;
pub mod walks;
