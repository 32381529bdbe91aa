//! One intermediate node as its own OS process (`diversity devnet-node`, started by
//! `diversity devnet`): its own key, its own JSON-RPC connection, a loopback socket for its
//! meters' frames and its peers' messages, and the same state machine as the simulation's
//! node (`actors::Actor`).
//!
//! The coordinator drives the clock through the node's standard input (`tick T`: the chain's
//! time is now T; `peers P0,P1,…`: every node's port; `stop`) and reads what it did from its
//! standard output, one JSON [`Report`] a line (the port it listens on, each mined
//! transaction, each call the contract would revert, the end of each tick). Before a signature leaves the process, what the node signed is written
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
use diversity::protocol::contract::Tx;
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
    /// The loopback port the node listens on (the OS chose it).
    Listening {
        node: usize,
        port: u16,
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
    if cfg.index >= cfg.params.prosumers() {
        return Err(format!(
            "{}: node {} of {} prosumers",
            path.display(),
            cfg.index,
            cfg.params.prosumers()
        ));
    }
    Ok(cfg)
}

/// Runs a node process until `stop` or the end of its input.
pub fn run(cfg: NodeConfig) -> Result<(), String> {
    let j = cfg.index;
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .map_err(|e| format!("node {j}: cannot listen on loopback: {e}"))?;
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
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
    emit(&Report::Listening { node: j, port });

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
    let n = cfg.params.prosumers();
    let mut ctx = Ctx {
        j,
        cfg: &cfg,
        rpc: &rpc,
        wallet: &wallet,
        ports: vec![0; n],
        peers: (0..n).map(|_| None).collect(),
        due_since: Default::default(),
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
            ctx.route(&actor, out, &mut replica, now)?;
        }
        match lines.try_recv() {
            Ok(line) => {
                busy = true;
                let mut words = line.split_whitespace();
                match (words.next(), words.next()) {
                    (Some("tick"), Some(t)) => {
                        let t: u64 = t.parse().map_err(|_| format!("bad tick {t:?}"))?;
                        replica.sync(&rpc)?;
                        replica.check_views(&rpc)?;
                        now = now.max(t);
                        let out = actor.tick(now, &replica.chain);
                        persist(&actor, &mut persisted, &cfg)?;
                        ctx.route(&actor, out, &mut replica, now)?;
                        emit(&Report::Ready { node: j, time: t });
                    }
                    (Some("peers"), Some(list)) => {
                        // Every node's port (0: not running); a changed port is a restarted
                        // peer, reached afresh.
                        let ports: Vec<u16> = list
                            .split(',')
                            .map(|p| p.parse().map_err(|_| format!("bad peers {list:?}")))
                            .collect::<Result<_, _>>()?;
                        if ports.len() != n {
                            return Err(format!(
                                "node {j}: {} peer ports for {n} nodes",
                                ports.len()
                            ));
                        }
                        for (k, p) in ports.iter().enumerate() {
                            if ctx.ports[k] != *p {
                                ctx.peers[k] = None;
                            }
                        }
                        ctx.ports = ports;
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
/// A different record for a window already signed is a second signature (INV-EQUIV-001):
/// the process stops before it can leave.
fn persist(
    actor: &Actor,
    persisted: &mut Vec<SignedRecord>,
    cfg: &NodeConfig,
) -> Result<(), String> {
    let mut merged = persisted.clone();
    for r in actor.node().signed_records() {
        match merged.iter().find(|p| p.window == r.window) {
            None => merged.push(r),
            Some(p) if p.result == r.result && p.signature == r.signature => {}
            Some(_) => {
                return Err(format!(
                    "node {}: refusing to send a second signature for window {} (INV-EQUIV-001)",
                    cfg.index, r.window
                ))
            }
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
    /// Every peer's port, as the coordinator last said (0: not running).
    ports: Vec<u16>,
    peers: Vec<Option<TcpStream>>,
    /// When each transaction any node may send first fell due, by function and window.
    due_since: std::collections::BTreeMap<(&'static str, u32), u64>,
}

impl Ctx<'_> {
    /// Whether an honest node sends now a transaction that any node may send. On a real
    /// chain the nodes act at once: if all sent, all but the first would revert (or, for
    /// evidence, repeat it), each paying its gas. So the window's designated sender (node
    /// `window mod N`) sends at once, and the others only once the same call has been due
    /// since an earlier tick, that is, when the designated sender did not send it (absent,
    /// Byzantine, or slow). Their tick recomputes what is still due from the chain, so
    /// nothing already done is sent again.
    fn send_now(&mut self, actor: &Actor, tx: &Tx, window: u32, now: u64) -> bool {
        let shared = matches!(
            tx,
            Tx::SubmitWindow { .. }
                | Tx::FinalizePending { .. }
                | Tx::OpenDispute { .. }
                | Tx::AddEvidence { .. }
                | Tx::FinalizeDispute { .. }
                | Tx::Close
                | Tx::Abort
        );
        if !shared || !actor.is_honest() || window as usize % self.ports.len() == self.j {
            return true;
        }
        let since = *self.due_since.entry((tx.name(), window)).or_insert(now);
        since < now
    }

    /// Messages to peers over loopback; transactions to the chain, each mined (or refused)
    /// before the next, with the replica synced in between.
    fn route(
        &mut self,
        actor: &Actor,
        outputs: Vec<Output>,
        replica: &mut Replica,
        now: u64,
    ) -> Result<(), String> {
        for o in outputs {
            match o {
                Output::Send { to, msg } => {
                    let d = Delivery::Peer { from: self.j, msg };
                    self.send_to_peer(to, &d);
                }
                Output::Submit(tx) => {
                    if !self.send_now(actor, &tx, replica.chain.next_window(), now) {
                        continue;
                    }
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
        if self.ports[to] == 0 {
            return;
        }
        for _ in 0..2 {
            if self.peers[to].is_none() {
                self.peers[to] = TcpStream::connect(("127.0.0.1", self.ports[to]))
                    .and_then(|s| s.set_write_timeout(Some(wire::WRITE_TIMEOUT)).map(|_| s))
                    .ok();
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
