//! The protocol's actors as sans-IO state machines: the tamper-proof meter, the honest
//! intermediate node and the Byzantine node (spec §5.1, §6, §10). They take time, messages and
//! the chain's state as inputs and return what to send; the simulation, the model and the
//! devnet's node processes drive them.

pub mod byzantine;
pub mod meter;
pub mod node;

use crate::actors::byzantine::ByzantineNode;
use crate::actors::node::{Node, NodeMessage, Output};
use crate::protocol::contract::Contract;
use crate::protocol::crypto::Secp256k1;
use crate::protocol::types::ReadingFrame;

/// An intermediate node, honest or Byzantine, behind one interface: what the simulation and
/// the devnet's node processes drive.
pub enum Actor {
    Honest(Node<Secp256k1>),
    Byzantine(ByzantineNode<Secp256k1>),
}

impl Actor {
    pub fn node(&self) -> &Node<Secp256k1> {
        match self {
            Actor::Honest(n) => n,
            Actor::Byzantine(b) => &b.inner,
        }
    }
    pub fn is_honest(&self) -> bool {
        matches!(self, Actor::Honest(_))
    }
    pub fn frame(
        &mut self,
        f: &ReadingFrame,
        now: u64,
        chain: &Contract<Secp256k1>,
    ) -> Vec<Output> {
        match self {
            Actor::Honest(n) => n.handle_frame(f, now, chain).unwrap_or_default(),
            Actor::Byzantine(b) => {
                let o = b.inner.handle_frame(f, now, chain).unwrap_or_default();
                b.filter(o, chain)
            }
        }
    }
    pub fn message(
        &mut self,
        from: usize,
        m: &NodeMessage,
        now: u64,
        chain: &Contract<Secp256k1>,
    ) -> Vec<Output> {
        match self {
            Actor::Honest(n) => n.handle_message(from, m, now, chain).unwrap_or_default(),
            Actor::Byzantine(b) => {
                let o = b
                    .inner
                    .handle_message(from, m, now, chain)
                    .unwrap_or_default();
                b.filter(o, chain)
            }
        }
    }
    /// Delivers a frame or a peer message.
    pub fn deliver(&mut self, d: &Delivery, now: u64, chain: &Contract<Secp256k1>) -> Vec<Output> {
        match d {
            Delivery::Frame(f) => self.frame(f, now, chain),
            Delivery::Peer { from, msg } => self.message(*from, msg, now, chain),
        }
    }

    pub fn tick(&mut self, now: u64, chain: &Contract<Secp256k1>) -> Vec<Output> {
        match self {
            Actor::Honest(n) => n.tick(now, chain),
            Actor::Byzantine(b) => b.tick(now, chain),
        }
    }
}

/// What reaches a node: a meter's frame, or a peer's message (the simulation's network and
/// the devnet's sockets carry these).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    Frame(ReadingFrame),
    Peer { from: usize, msg: NodeMessage },
}
