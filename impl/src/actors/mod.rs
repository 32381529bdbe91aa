//! The protocol's actors as sans-IO state machines: the tamper-proof meter, the honest
//! intermediate node and the Byzantine node (spec §5.1, §6, §10). They take time, messages and
//! the chain's state as inputs and return what to send; the simulation, the model and the
//! devnet's node processes drive them.

pub mod byzantine;
pub mod meter;
pub mod node;
