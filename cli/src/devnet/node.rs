//! One intermediate node as its own OS process (`diversity devnet-node`, started by
//! `diversity devnet`): its own key, its own JSON-RPC connection, a loopback socket for its
//! meters' frames and its peers' messages, and the same state machine as the simulation's
//! node (`actors::Actor`).
//!
//! The coordinator drives the clock through the node's standard input (`tick T`: the chain's
//! time is now T; `stop`) and reads what it did from its standard output (`tx {json}` for a
//! mined transaction, `refused {json}` for one the contract would revert, `ready T` when the
//! tick is handled). Before a signature leaves the process, what the node signed is written
//! to its state file; a restarted node restores it, so it never signs a window twice, and
//! catches up from the chain's logs.

use std::io::{BufRead, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use alloy::primitives::U256;
use diversity::actors::byzantine::{Behaviour, ByzantineNode};
use diversity::actors::node::{Node, Output, SignedRecord};
use diversity::actors::{Actor, Delivery};
use diversity::evm::solidity::calldata;
use diversity::protocol::crypto::Secp256k1;
use diversity::protocol::params::Params;
use diversity::world::simulation::Scenario;
use serde::{Deserialize, Serialize};

use super::replica::Replica;
use super::rpc::{Rpc, SendError};
use super::wire;

/// What the coordinator tells a node process, as a JSON file.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    pub index: usize,
    pub params: Params,
    /// `None`: honest.
    pub behaviour: Option<Behaviour>,
    pub rpc: String,
    /// The loopback port of every node, this one's included.
    pub ports: Vec<u16>,
    /// Where the node persists what it signed.
    pub state_file: PathBuf,
}

/// A line the node writes for the coordinator.
// Externally tagged: serde's internally tagged enums cannot carry the u128 gas price.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Report {
    Tx {
        node: usize,
        function: String,
        mined: super::rpc::Mined,
    },
    Refused {
        node: usize,
        function: String,
        error: String,
    },
    Ready {
        node: usize,
        time: u64,
    },
    Restored {
        node: usize,
        windows: Vec<u32>,
    },
}

fn emit(r: &Report) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{}",
        serde_json::to_string(r).expect("a report serialises")
    );
    let _ = out.flush();
}

/// Reads a node's configuration file: a missing or broken one is named.
pub fn config(path: &std::path::Path) -> Result<NodeConfig, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let cfg: NodeConfig = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a node configuration: {e}", path.display()))?;
    if cfg.index >= cfg.ports.len() || cfg.ports.len() != cfg.params.prosumers() {
        return Err(format!(
            "{}: node {} of {} ports for {} prosumers",
            path.display(),
            cfg.index,
            cfg.ports.len(),
            cfg.params.prosumers()
        ));
    }
    Ok(cfg)
}

/// Runs a node process until `stop` or the end of its input.
pub fn run(cfg: NodeConfig) -> Result<(), String> {
    let j = cfg.index;
    let listener = TcpListener::bind(("127.0.0.1", cfg.ports[j]))
        .map_err(|e| format!("node {j}: cannot listen on port {}: {e}", cfg.ports[j]))?;
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    let rpc = Rpc::connect(&cfg.rpc)?;
    let key = Scenario::node_key(j);
    let wallet = rpc.wallet(&key)?;
    let node = Node::new(j, key, cfg.params.clone(), Secp256k1::cached());
    let mut actor = match &cfg.behaviour {
        None => Actor::Honest(node),
        Some(b) => Actor::Byzantine(ByzantineNode::new(node, b.clone())),
    };
    // Restore what this node signed before a restart, then catch up from the chain.
    let mut persisted: Vec<SignedRecord> = match std::fs::read_to_string(&cfg.state_file) {
        Ok(text) => {
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", cfg.state_file.display()))?
        }
        Err(_) => Vec::new(),
    };
    if !persisted.is_empty() {
        for r in &persisted {
            actor_node_mut(&mut actor).restore(r)?;
        }
        emit(&Report::Restored {
            node: j,
            windows: persisted.iter().map(|r| r.window).collect(),
        });
    }
    let mut replica = Replica::new(&cfg.params)?;
    replica.sync(&rpc)?;
    let mut now = rpc.block_timestamp(None)?;

    let (lines_tx, lines) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut inbound: Vec<wire::Inbound> = Vec::new();
    let mut peers: Vec<Option<TcpStream>> = (0..cfg.ports.len()).map(|_| None).collect();
    let mut ctx = Ctx {
        j,
        cfg: &cfg,
        rpc: &rpc,
        wallet: &wallet,
        peers: &mut peers,
    };
    loop {
        let mut busy = false;
        while let Ok((s, _)) = listener.accept() {
            if let Ok(i) = wire::Inbound::new(s) {
                inbound.push(i);
            }
        }
        let mut deliveries = Vec::new();
        inbound.retain_mut(|i| match i.poll() {
            Ok(d) => {
                deliveries.extend(d);
                true
            }
            Err(_) => false,
        });
        if !deliveries.is_empty() {
            // A frame sent at a slot's end may arrive before the tick that says so: the
            // chain's latest block tells the time.
            now = now.max(rpc.block_timestamp(None)?);
        }
        for d in deliveries {
            busy = true;
            let out = actor.deliver(&d, now, &replica.chain);
            persist(&actor, &mut persisted, &cfg)?;
            ctx.route(&actor, out, &mut replica)?;
        }
        match lines.try_recv() {
            Ok(line) => {
                busy = true;
                let mut words = line.split_whitespace();
                match (words.next(), words.next()) {
                    (Some("tick"), Some(t)) => {
                        let t: u64 = t.parse().map_err(|_| format!("bad tick {t:?}"))?;
                        replica.sync(&rpc)?;
                        now = now.max(t);
                        let out = actor.tick(now, &replica.chain);
                        persist(&actor, &mut persisted, &cfg)?;
                        ctx.route(&actor, out, &mut replica)?;
                        emit(&Report::Ready { node: j, time: t });
                    }
                    (Some("stop"), _) => return Ok(()),
                    _ => return Err(format!("node {j}: unknown command {line:?}")),
                }
            }
            Err(mpsc::TryRecvError::Empty) => {}
            Err(mpsc::TryRecvError::Disconnected) => return Ok(()),
        }
        if !busy {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

fn actor_node_mut(a: &mut Actor) -> &mut Node<Secp256k1> {
    match a {
        Actor::Honest(n) => n,
        Actor::Byzantine(b) => &mut b.inner,
    }
}

/// Adds what the node signed since the last call to its state file, before anything it
/// signed is sent. Records are only ever added: a window the node has pruned stays signed.
fn persist(
    actor: &Actor,
    persisted: &mut Vec<SignedRecord>,
    cfg: &NodeConfig,
) -> Result<(), String> {
    let mut merged = persisted.clone();
    for r in actor.node().signed_records() {
        if !merged.iter().any(|p| p.window == r.window) {
            merged.push(r);
        }
    }
    if merged == *persisted {
        return Ok(());
    }
    merged.sort_by_key(|r| r.window);
    let tmp = cfg.state_file.with_extension("tmp");
    let text = serde_json::to_string(&merged).expect("records serialise");
    std::fs::write(&tmp, text)
        .and_then(|_| std::fs::rename(&tmp, &cfg.state_file))
        .map_err(|e| format!("{}: {e}", cfg.state_file.display()))?;
    *persisted = merged;
    Ok(())
}

struct Ctx<'a> {
    j: usize,
    cfg: &'a NodeConfig,
    rpc: &'a Rpc,
    wallet: &'a super::rpc::Wallet<'a>,
    peers: &'a mut Vec<Option<TcpStream>>,
}

impl Ctx<'_> {
    /// Messages to peers over loopback; transactions to the chain, each mined (or refused)
    /// before the next, with the replica synced in between.
    fn route(
        &mut self,
        actor: &Actor,
        outputs: Vec<Output>,
        replica: &mut Replica,
    ) -> Result<(), String> {
        for o in outputs {
            match o {
                Output::Send { to, msg } => {
                    let d = Delivery::Peer { from: self.j, msg };
                    self.send_to_peer(to, &d);
                }
                Output::Submit(tx) => {
                    let call = actor.node().call(tx, &replica.chain);
                    let pending = replica.chain.pending().map(|p| p.result.clone());
                    for (function, data) in calldata(&call.tx, pending.as_ref()) {
                        match self.wallet.send(
                            Some(self.cfg.params.contract),
                            U256::from(call.value),
                            data,
                        ) {
                            Ok(mined) => emit(&Report::Tx {
                                node: self.j,
                                function: function.into(),
                                mined,
                            }),
                            Err(SendError::Refused(error)) => {
                                emit(&Report::Refused {
                                    node: self.j,
                                    function: function.into(),
                                    error,
                                });
                                break;
                            }
                            Err(SendError::Rpc(e)) => return Err(format!("node {}: {e}", self.j)),
                        }
                        replica.sync(self.rpc)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Sends to a peer, connecting (again) if need be; a peer that is down misses the
    /// message, as on a lossy network (A-NET-001).
    fn send_to_peer(&mut self, to: usize, d: &Delivery) {
        for _ in 0..2 {
            if self.peers[to].is_none() {
                self.peers[to] = TcpStream::connect(("127.0.0.1", self.cfg.ports[to])).ok();
            }
            let sent = self.peers[to]
                .as_mut()
                .is_some_and(|s| wire::send(s, d).is_ok());
            if sent {
                return;
            }
            self.peers[to] = None;
        }
    }
}
