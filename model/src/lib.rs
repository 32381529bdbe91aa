//! # diversity-model — exhaustive model checking of DIVERSITY
//!
//! [`protocol`] is the stateright model of the whole protocol (meters, nodes, network, chain
//! and adversary), built from the implementation crate's own types and code. [`checking`]
//! runs it and reports per property, as the `diversity check` command does.

pub mod checking;
pub mod protocol;
