//! `diversity devnet`: the grid on a real Ethereum node (issue 12, docs/devnet.md).
//!
//! The coordinator starts the pinned anvil on a loopback port, funds every account with
//! anvil's faucet, deploys the compiled contract at the chosen hardfork and has every wallet
//! deposit and every node post its bond, each with its own key, as EIP-1559 transactions.
//! Then it starts each intermediate node as its own OS process (`diversity devnet-node`)
//! and plays the meters and the clock: slot by slot it mines a block at the slot's time,
//! sends each meter's signed frames to every node's socket, and tells every node the time.
//! The nodes learn the chain only from it, exchange messages over loopback sockets and send
//! their own transactions. When the contract is closed, everyone owed withdraws.
//!
//! The outcome is checked against the reference contract fed the same calls (the
//! coordinator's replica applies every transaction the chain accepted and must emit the
//! events the chain logged), and every transaction is replayed on revm, whose gas must equal
//! the chain's to the unit.

pub mod anvil;
pub mod node;
pub mod replica;
pub mod rpc;
pub mod wire;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write as _};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use alloy::primitives::{Address, U256};
use alloy_sol_types::SolValue;
use clap::Args;
use diversity::actors::byzantine::Behaviour;
use diversity::actors::Delivery;
use diversity::evm::solidity::{calldata, to_sol_params};
use diversity::evm::{artifacts, Hardfork};
use diversity::export::{Transcript, TxRecord};
use diversity::protocol::contract::{Event, Path, Phase, Tx};
use diversity::protocol::crypto::SecretKey;
use diversity::protocol::eip712::{leaf, Domain};
use diversity::protocol::params::Params;
use diversity::protocol::reading_set::Deciding;
use diversity::world::simulation::{Scenario, Timing};

use self::node::{NodeConfig, Report};
use self::replica::Replica;
use self::rpc::{Mined, Rpc};
use diversity::actors::node::SignedRecord;
use diversity::protocol::types::SignedReading;

/// Anvil's chain id: not mainnet's, so nothing signed here is valid there (INV-REPLAY-001).
pub const DEVNET_CHAIN_ID: u64 = 31_337;

#[derive(Args, Clone)]
pub struct DevnetArgs {
    /// Number of prosumers (each with a meter and a node process).
    #[arg(long, default_value_t = 4)]
    prosumers: usize,
    /// Windows to settle.
    #[arg(long, default_value_t = 3)]
    windows: u32,
    /// Slots per window (windows × slots must divide a day: slots last 86,400 / that s).
    #[arg(long, default_value_t = 4)]
    slots: u64,
    /// Node K challenges every partial result, bonded, and withholds its signature.
    #[arg(long, value_name = "K")]
    spurious_challenger: Option<usize>,
    /// Node K asserts an inflated result at every signing deadline, bonded.
    #[arg(long, value_name = "K")]
    lying_asserter: Option<usize>,
    /// Node K is never started: it funds and then does nothing.
    #[arg(long, value_name = "K")]
    absent_node: Option<usize>,
    /// Kill node K's process once it has signed window 0 and start it again: it must not
    /// sign twice, and must catch up from the chain.
    #[arg(long, value_name = "K")]
    restart_node: Option<usize>,
    /// Hardfork of the chain and of the deployed bytecode.
    #[arg(long, default_value = "prague")]
    hardfork: String,
    /// Loopback port of anvil's JSON-RPC (0: any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// The anvil binary (default: the one devnet/install put in devnet/node_modules).
    #[arg(long, value_name = "PATH")]
    anvil: Option<PathBuf>,
    /// Directory for the run's files: node configs, state files, logs (default: a new
    /// temporary directory).
    #[arg(long, value_name = "DIR")]
    work_dir: Option<PathBuf>,
    /// Write the run in the ecosystem's formats into this directory (docs/formats.md).
    #[arg(long, value_name = "DIR")]
    export: Option<PathBuf>,
}

struct Plan {
    hardfork: Hardfork,
    scenario: Scenario,
    params: Params,
    deployer: SecretKey,
    wallets: Vec<SecretKey>,
    dust: SecretKey,
    behaviours: BTreeMap<usize, Behaviour>,
    absent: Option<usize>,
    anvil: PathBuf,
    work: PathBuf,
}

fn wallet_key(i: usize) -> SecretKey {
    SecretKey::from_label(&format!("diversity/devnet/wallet/{i}"))
}

impl DevnetArgs {
    /// Every option checked before anything starts.
    fn plan(&self) -> Result<Plan, String> {
        let n = self.prosumers;
        if !(2..=8).contains(&n) {
            return Err(format!("--prosumers must be 2..=8 for a devnet, got {n}"));
        }
        if !(1..=6).contains(&self.windows) {
            return Err(format!("--windows must be 1..=6, got {}", self.windows));
        }
        if !(1..=16).contains(&self.slots) {
            return Err(format!("--slots must be 1..=16, got {}", self.slots));
        }
        let slots = self.windows as u64 * self.slots;
        if 86_400 % slots != 0 {
            return Err(format!(
                "--windows × --slots = {slots} must divide 86,400 (a day of whole-second slots)"
            ));
        }
        let hardfork = Hardfork::parse(&self.hardfork).ok_or_else(|| {
            format!(
                "unknown hardfork {:?}: use london, shanghai, cancun, prague or osaka",
                self.hardfork
            )
        })?;
        let mut faults: BTreeMap<usize, &str> = BTreeMap::new();
        for (name, k) in [
            ("--spurious-challenger", self.spurious_challenger),
            ("--lying-asserter", self.lying_asserter),
            ("--absent-node", self.absent_node),
            ("--restart-node", self.restart_node),
        ] {
            let Some(k) = k else { continue };
            if k >= n {
                return Err(format!(
                    "{name} {k}: node {k} does not exist (prosumers: {n})"
                ));
            }
            if let Some(other) = faults.insert(k, name) {
                return Err(format!("node {k} is given both {other} and {name}"));
            }
        }
        if faults
            .keys()
            .filter(|k| Some(**k) != self.restart_node)
            .count()
            >= n
        {
            return Err("at least one node must be honest (A-HONEST-001)".into());
        }
        if self.port != 0 {
            std::net::TcpListener::bind(("127.0.0.1", self.port))
                .map_err(|e| format!("--port {}: cannot listen there ({e})", self.port))?;
        }
        let anvil = anvil::locate(self.anvil.as_deref())?;
        let work = match &self.work_dir {
            Some(d) => d.clone(),
            None => std::env::temp_dir().join(format!("diversity-devnet-{}", std::process::id())),
        };
        std::fs::create_dir_all(&work)
            .map_err(|e| format!("--work-dir {}: cannot create it ({e})", work.display()))?;
        if let Some(d) = &self.export {
            std::fs::create_dir_all(d)
                .map_err(|e| format!("--export {}: cannot create it ({e})", d.display()))?;
        }
        let slot_secs = 86_400 / slots;
        let scenario = Scenario {
            prosumers: n,
            pv_prosumers: (0..n).filter(|i| i % 2 == 0).collect(),
            days: 1,
            slot_secs,
            windows: self.windows,
            chain_id: DEVNET_CHAIN_ID,
            timing: Timing {
                collect_secs: slot_secs,
                sign_secs: 2 * slot_secs,
                challenge_secs: 0,
                dispute_secs: 2 * slot_secs,
                slash_secs: 2 * slot_secs,
            },
            bad_inputs: false,
            ..Scenario::default()
        };
        let mut behaviours = BTreeMap::new();
        for (k, lying) in [
            (self.spurious_challenger, false),
            (self.lying_asserter, true),
        ] {
            let Some(k) = k else { continue };
            behaviours.insert(
                k,
                Behaviour {
                    withhold_signature: true,
                    inflate_wh: 1_000_000,
                    spurious_challenge: !lying,
                    lying_asserter: lying,
                    ..Behaviour::default()
                },
            );
        }
        let deployer = SecretKey::from_label("diversity/devnet/deployer");
        let wallets: Vec<SecretKey> = (0..n).map(wallet_key).collect();
        let dust = SecretKey::from_label("diversity/devnet/dust");
        let params = scenario.params();
        Ok(Plan {
            hardfork,
            params,
            scenario,
            deployer,
            wallets,
            dust,
            behaviours,
            absent: self.absent_node,
            anvil,
            work,
        })
    }
}

/// The parameters of the devnet's contract: the scenario's, with the wallets, the dust
/// recipient and the contract's address those of keys this run holds.
fn devnet_params(plan: &Plan, start: u64) -> Params {
    let mut s = plan.scenario.clone();
    s.start = start;
    let mut p = s.params();
    p.contract = plan.deployer.address().create(0);
    p.wallets = plan.wallets.iter().map(|k| k.address()).collect();
    p.dust_recipient = plan.dust.address();
    p
}

/// A node process, the pipe that drives it, the port it listens on and which start of the
/// node it is (a restart is a new generation; a line from an old one is ignored).
struct NodeProc {
    child: Child,
    stdin: ChildStdin,
    port: u16,
    generation: u32,
}

impl Drop for NodeProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A line from a node process (`None`: it exited), tagged with the node and generation.
type Line = (usize, u32, Option<String>);

fn spawn_node(
    cfg_path: &std::path::Path,
    j: usize,
    generation: u32,
    lines: &mpsc::Sender<Line>,
    log: &std::path::Path,
) -> Result<NodeProc, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let stderr = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let mut child = Command::new(exe)
        .arg("devnet-node")
        .arg(cfg_path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .map_err(|e| format!("cannot start node {j}: {e}"))?;
    let stdout = child.stdout.take().expect("piped");
    let stdin = child.stdin.take().expect("piped");
    let tx = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(l) = line else { break };
            if tx.send((j, generation, Some(l))).is_err() {
                return;
            }
        }
        let _ = tx.send((j, generation, None));
    });
    Ok(NodeProc {
        child,
        stdin,
        port: 0,
        generation,
    })
}

/// What the node processes say, with the transactions and refusals kept as they come.
struct Inbox {
    lines: mpsc::Receiver<Line>,
    node_txs: Vec<(usize, String, Mined)>,
    refusals: Vec<(usize, String, String)>,
    /// Nodes whose process said it restored what it had signed.
    restored: std::collections::BTreeSet<usize>,
    work: PathBuf,
}

impl Inbox {
    /// The next report of a live node's current process other than a transaction or a
    /// refusal (those are recorded). A current process that exits is an error naming its log.
    fn next(
        &mut self,
        procs: &BTreeMap<usize, NodeProc>,
        deadline: Instant,
        waiting_for: &str,
    ) -> Result<Report, String> {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let (j, generation, line) = self.lines.recv_timeout(left).map_err(|_| {
                format!("no node answered within 120 s (waiting for {waiting_for})")
            })?;
            if procs.get(&j).map(|p| p.generation) != Some(generation) {
                continue;
            }
            let Some(line) = line else {
                return Err(format!(
                    "node {j} exited; its log: {}",
                    self.work
                        .join(format!("node-{j}.{generation}.log"))
                        .display()
                ));
            };
            match serde_json::from_str::<Report>(&line) {
                Ok(Report::Tx {
                    node,
                    function,
                    mined,
                }) => self.node_txs.push((node, function, mined)),
                Ok(Report::Refused {
                    node,
                    function,
                    error,
                }) => self.refusals.push((node, function, error)),
                Ok(Report::Restored { node, .. }) => {
                    self.restored.insert(node);
                }
                Ok(r) => return Ok(r),
                Err(_) => return Err(format!("node {j} said {line:?}")),
            }
        }
    }

    /// Waits until each of the nodes `js` (their current processes) says which port it
    /// listens on.
    fn ports_of(
        &mut self,
        procs: &mut BTreeMap<usize, NodeProc>,
        js: &[usize],
    ) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut missing: std::collections::BTreeSet<usize> = js.iter().copied().collect();
        while !missing.is_empty() {
            let what = format!("nodes {missing:?} to listen");
            if let Report::Listening { node, port } = self.next(procs, deadline, &what)? {
                if missing.remove(&node) {
                    procs.get_mut(&node).expect("live").port = port;
                }
            }
        }
        Ok(())
    }
}

/// Tells every live node every node's port (0 for one that is not running).
fn announce_peers(procs: &mut BTreeMap<usize, NodeProc>, n: usize) -> Result<(), String> {
    let ports: Vec<String> = (0..n)
        .map(|j| procs.get(&j).map_or(0, |p| p.port).to_string())
        .collect();
    let line = format!("peers {}", ports.join(","));
    for p in procs.values_mut() {
        writeln!(p.stdin, "{line}").map_err(|e| format!("a node's input: {e}"))?;
    }
    Ok(())
}

/// Runs the devnet; exit 0 if every window settled as the reference contract says and
/// every receipt's gas equals revm's.
pub fn run(args: DevnetArgs) -> ExitCode {
    let plan = match args.plan() {
        Ok(p) => p,
        Err(e) => return crate::usage_error(&e),
    };
    // A work directory this run chose is removed when the run succeeds; on failure it is
    // kept, since the error names a node's log in it.
    let chosen = args.work_dir.is_none().then(|| plan.work.clone());
    match execute(&args, plan) {
        Ok(true) => {
            if let Some(dir) = chosen {
                let _ = std::fs::remove_dir_all(dir);
            }
            ExitCode::SUCCESS
        }
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn execute(args: &DevnetArgs, mut plan: Plan) -> Result<bool, String> {
    let started = Instant::now();
    let chain = anvil::Anvil::start(
        &plan.anvil,
        args.port,
        plan.hardfork.name(),
        DEVNET_CHAIN_ID,
    )?;
    let rpc = Rpc::connect(&chain.url)?;
    if rpc.chain_id != DEVNET_CHAIN_ID {
        return Err(format!(
            "anvil answers chain id {}, not {DEVNET_CHAIN_ID}",
            rpc.chain_id
        ));
    }
    // T0 on the first whole slot (counted from the Unix epoch) at least an hour after the
    // chain's genesis; funding before that.
    let genesis = rpc.block_timestamp(None)?;
    let slot = plan.scenario.slot_secs;
    let start = ((genesis + 3_600) / slot + 1) * slot;
    plan.params = devnet_params(&plan, start);
    plan.scenario.start = start;
    let params = plan.params.clone();
    params
        .validate()
        .map_err(|e| format!("devnet parameters: {e}"))?;
    let n = params.prosumers();
    println!(
        "devnet: anvil at {} ({}), chain {}; {n} prosumers, {} windows of {} slots of {} s",
        chain.url,
        plan.hardfork,
        rpc.chain_id,
        params.windows,
        params.slots_per_window,
        params.slot_secs
    );

    // Faucet, deployment and funding, each from its own key.
    let ether = U256::from(100u128 * 10u128.pow(18));
    let nodes: Vec<SecretKey> = (0..n).map(Scenario::node_key).collect();
    for k in std::iter::once(&plan.deployer)
        .chain(&plan.wallets)
        .chain(&nodes)
        .chain(std::iter::once(&plan.dust))
    {
        rpc.set_balance(k.address(), ether)?;
    }
    let mut init = artifacts::bytecode(plan.hardfork, "Diversity");
    init.extend((to_sol_params(&params),).abi_encode_params());
    let deployed = rpc
        .wallet(&plan.deployer)?
        .send(None, U256::ZERO, init.clone())
        .map_err(|e| format!("deployment: {e}"))?;
    let mut own: Vec<(String, Mined)> = vec![("constructor".into(), deployed.clone())];
    let send = |key: &SecretKey,
                value: u128,
                tx: Tx,
                own: &mut Vec<(String, Mined)>|
     -> Result<(), String> {
        for (name, data) in calldata(&tx, None) {
            let m = rpc
                .wallet(key)?
                .send(Some(params.contract), U256::from(value), data)
                .map_err(|e| format!("{name} from {}: {e}", key.address()))?;
            own.push((name.to_string(), m));
        }
        Ok(())
    };
    for ((wallet, deposit), node) in plan
        .wallets
        .iter()
        .zip(&params.deposits)
        .zip(&nodes)
        .take(n)
    {
        send(wallet, *deposit, Tx::Deposit, &mut own)?;
        send(node, params.bond, Tx::PostBond, &mut own)?;
    }

    // The node processes: each listens on a port the OS chose and says which.
    let (lines_tx, lines) = mpsc::channel::<Line>();
    let mut inbox = Inbox {
        lines,
        node_txs: Vec::new(),
        refusals: Vec::new(),
        restored: Default::default(),
        work: plan.work.clone(),
    };
    let mut procs: BTreeMap<usize, NodeProc> = BTreeMap::new();
    let cfg_path = |j: usize| plan.work.join(format!("node-{j}.json"));
    let log_path = |j: usize, g: u32| plan.work.join(format!("node-{j}.{g}.log"));
    for j in 0..n {
        let cfg = NodeConfig {
            index: j,
            params: params.clone(),
            behaviour: plan.behaviours.get(&j).cloned(),
            rpc: chain.url.clone(),
            state_file: plan.work.join(format!("node-{j}.signed.json")),
        };
        let _ = std::fs::remove_file(&cfg.state_file);
        std::fs::write(
            cfg_path(j),
            serde_json::to_string_pretty(&cfg).expect("serialises"),
        )
        .map_err(|e| e.to_string())?;
        if plan.absent == Some(j) {
            continue;
        }
        procs.insert(
            j,
            spawn_node(&cfg_path(j), j, 0, &lines_tx, &log_path(j, 0))?,
        );
    }
    let live: Vec<usize> = procs.keys().copied().collect();
    inbox.ports_of(&mut procs, &live)?;
    announce_peers(&mut procs, n)?;

    // Meters and the clock.
    let domain = Domain::of(&params);
    let profiles = plan.scenario.profiles();
    let mut meters = plan.scenario.meters(domain);
    let mut emitted: Vec<Vec<SignedReading>> = vec![Vec::new(); params.windows as usize];
    let mut meter_links: BTreeMap<usize, TcpStream> = BTreeMap::new();
    let mut replica = Replica::new(&params)?;
    let mut restarted = None;
    let mut restored: Option<Vec<SignedRecord>> = None;
    let total = params.total_slots();
    // Windows settle one after another: each may need its signing period, a challenge
    // period and a dispute after the one before (LIV-FINAL-002), then the slash period.
    let per_window = params.collect_period
        + params.sign_period
        + params.challenge_period
        + 2 * params.dispute_period;
    let tail = (params.windows as u64 * per_window + params.slash_period) / slot + 8;
    let mut tick = 0u64;
    loop {
        tick += 1;
        if tick > total + tail {
            return Err(format!(
                "the contract did not close within {} slots",
                total + tail
            ));
        }
        let now = start + tick * slot;
        rpc.mine_at(now)?;
        if tick <= total {
            let s = tick - 1;
            for (i, meter) in meters.iter_mut().enumerate() {
                let frames = meter.emit(
                    s,
                    profiles[i].produced_wh[s as usize],
                    profiles[i].consumed_wh[s as usize],
                    n,
                );
                let w = params.window_of_slot(s).expect("in span") as usize;
                for (dest, frame) in frames {
                    if !emitted[w].iter().any(|r| leaf(r) == leaf(&frame.signed)) {
                        emitted[w].push(frame.signed);
                    }
                    let Some(port) = procs.get(&dest).map(|p| p.port) else {
                        continue;
                    };
                    let link = match meter_links.get_mut(&dest) {
                        Some(l) => l,
                        None => {
                            let Ok(l) = TcpStream::connect(("127.0.0.1", port)) else {
                                continue;
                            };
                            let _ = l.set_write_timeout(Some(wire::WRITE_TIMEOUT));
                            meter_links.entry(dest).or_insert(l)
                        }
                    };
                    if wire::send(link, &Delivery::Frame(frame)).is_err() {
                        meter_links.remove(&dest);
                    }
                }
            }
        }
        // Every live node handles the tick; then the chain is read back.
        for p in procs.values_mut() {
            writeln!(p.stdin, "tick {now}").map_err(|e| format!("a node's input: {e}"))?;
        }
        let mut waiting: std::collections::BTreeSet<usize> = procs.keys().copied().collect();
        let deadline = Instant::now() + Duration::from_secs(120);
        while !waiting.is_empty() {
            match inbox.next(
                &procs,
                deadline,
                &format!("nodes {waiting:?} at tick {tick}"),
            )? {
                Report::Ready { node, time } if time == now => {
                    waiting.remove(&node);
                }
                _ => {}
            }
        }
        replica.sync(&rpc)?;
        replica.check_views(&rpc)?;
        // The restart: once node K has signed window 0, kill its process and start another,
        // and wait until it listens before the next frames.
        if let Some(k) = args.restart_node {
            let signed = plan.work.join(format!("node-{k}.signed.json"));
            if restarted.is_none() && signed.exists() {
                let old = procs.remove(&k).expect("a live node");
                let generation = old.generation + 1;
                drop(old);
                let records: Vec<SignedRecord> = std::fs::read_to_string(&signed)
                    .ok()
                    .and_then(|t| serde_json::from_str(&t).ok())
                    .unwrap_or_default();
                restored = Some(records);
                restarted = Some(k);
                println!("node {k}: killed after signing window 0 (tick {tick}), restarted");
                procs.insert(
                    k,
                    spawn_node(
                        &cfg_path(k),
                        k,
                        generation,
                        &lines_tx,
                        &log_path(k, generation),
                    )?,
                );
                meter_links.remove(&k);
                inbox.ports_of(&mut procs, &[k])?;
                announce_peers(&mut procs, n)?;
            }
        }
        if replica.chain.phase() == Phase::Closed {
            break;
        }
    }
    if args.restart_node.is_some() && restarted.is_none() {
        return Err(
            "--restart-node: the node never signed window 0, so it was never restarted".into(),
        );
    }
    for p in procs.values_mut() {
        let _ = writeln!(p.stdin, "stop");
    }
    // §7.8: everyone owed pulls it.
    let mut keys: BTreeMap<Address, &SecretKey> = BTreeMap::new();
    for k in plan
        .wallets
        .iter()
        .chain(&nodes)
        .chain(std::iter::once(&plan.dust))
    {
        keys.insert(k.address(), k);
    }
    let owed: Vec<Address> = replica.chain.owed().keys().copied().collect();
    for to in owed {
        let key = keys
            .get(&to)
            .ok_or_else(|| format!("{to} is owed ether and has no key in this run"))?;
        send(key, 0, Tx::Withdraw, &mut own)?;
    }
    replica.sync(&rpc)?;
    drop(procs);

    let restored = restored.map(|r| {
        let said = restarted.is_some_and(|k| inbox.restored.contains(&k));
        (r, said)
    });
    let run = Run {
        own,
        node_txs: inbox.node_txs,
        refusals: inbox.refusals,
        restarted,
        restored,
        emitted,
        started,
    };
    report(args, &plan, &params, &rpc, &replica, &run)
}

/// What the run produced, for the report.
struct Run {
    own: Vec<(String, Mined)>,
    node_txs: Vec<(usize, String, Mined)>,
    refusals: Vec<(usize, String, String)>,
    /// The restarted node, what it had persisted before it was killed, and whether the new
    /// process said it restored it.
    restarted: Option<usize>,
    restored: Option<(Vec<SignedRecord>, bool)>,
    emitted: Vec<Vec<SignedReading>>,
    started: Instant,
}

fn report(
    args: &DevnetArgs,
    plan: &Plan,
    params: &Params,
    rpc: &Rpc,
    replica: &Replica,
    run: &Run,
) -> Result<bool, String> {
    let Run {
        own,
        node_txs,
        refusals,
        restarted,
        restored,
        emitted,
        started,
    } = run;
    let n = params.prosumers();
    let role = |a: Address| -> String {
        if a == plan.deployer.address() {
            "deployer".into()
        } else if let Some(i) = params.node_index(&a) {
            format!("node {i}")
        } else if let Some(i) = params.wallet_index(&a) {
            format!("wallet {i}")
        } else if a == plan.dust.address() {
            "dust".into()
        } else {
            a.to_string()
        }
    };
    // Every transaction anyone sent, in chain order; each accepted one must be a call the
    // replica applied, and each call it applied must be one somebody sent.
    let mut sent: Vec<(&str, &Mined)> = own.iter().map(|(f, m)| (f.as_str(), m)).collect();
    sent.extend(node_txs.iter().map(|(_, f, m)| (f.as_str(), m)));
    sent.sort_by_key(|(_, m)| (m.block_number, m.transaction_index));
    let applied: BTreeMap<alloy::primitives::B256, &replica::Applied> =
        replica.applied.iter().map(|a| (a.hash, a)).collect();
    let accepted = sent.iter().filter(|(_, m)| m.success).count();
    let unaccounted: Vec<String> = sent
        .iter()
        .filter(|(f, m)| m.success && *f != "constructor" && !applied.contains_key(&m.hash))
        .map(|(f, m)| format!("{f} {}", m.hash))
        .chain(
            replica
                .applied
                .iter()
                .filter(|a| !sent.iter().any(|(_, m)| m.hash == a.hash))
                .map(|a| {
                    format!(
                        "{} {} (sent by nobody in this run)",
                        a.call.tx.name(),
                        a.hash
                    )
                }),
        )
        .collect();
    println!("\nReceipts (every transaction on the chain, in order)");
    println!(
        "  {:>6} {:>4} {:<10} {:<20} {:>10} {:>9} {:>14}",
        "block", "w", "from", "function", "gas used", "gwei", "fee (ETH)"
    );
    let mut fees: BTreeMap<String, (u64, u128)> = BTreeMap::new();
    let mut per_window: BTreeMap<u32, u64> = BTreeMap::new();
    let mut log: Vec<TxRecord> = Vec::new();
    for (function, m) in &sent {
        let a = applied.get(&m.hash);
        let w = match a {
            _ if *function == "constructor" => "-".to_string(),
            None => "rev".into(),
            Some(a) if matches!(a.call.tx, Tx::Deposit | Tx::PostBond) => "-".into(),
            Some(a) if a.window < params.windows => {
                *per_window.entry(a.window).or_default() += m.gas_used;
                a.window.to_string()
            }
            Some(_) => "end".into(),
        };
        println!(
            "  {:>6} {:>4} {:<10} {:<20} {:>10} {:>9.3} {:>14.9}",
            m.block_number,
            w,
            role(m.from),
            function,
            m.gas_used,
            m.effective_gas_price as f64 / 1e9,
            m.fee_wei() as f64 / 1e18
        );
        let e = fees.entry(role(m.from)).or_default();
        e.0 += m.gas_used;
        e.1 += m.fee_wei();
        let out: u128 = a.map_or(0, |a| {
            a.events
                .iter()
                .map(|e| match e {
                    Event::Withdrawn { amount, .. } => *amount,
                    _ => 0,
                })
                .sum()
        });
        let (from, to, value, input) = rpc.transaction(m.hash)?;
        log.push(TxRecord {
            function: function.to_string(),
            from,
            to,
            value,
            calldata: input,
            success: m.success,
            gas_used: m.gas_used,
            value_out: U256::from(out),
            block_number: m.block_number,
            timestamp: match a {
                Some(a) => a.timestamp,
                None => rpc.block_timestamp(Some(m.block_number))?,
            },
        });
    }
    println!("\nWindows");
    let mut ok = true;
    for (w, f) in replica.chain.finals().iter().enumerate() {
        let path = match f.path {
            Path::FastPath => "fast path",
            Path::Partial => "partial",
            Path::Dispute => "dispute",
        };
        println!(
            "  {w}: {path:<9} final {:>6} s after its end, {:>9} gas",
            f.at - params.window_end(w as u32),
            per_window.get(&(w as u32)).copied().unwrap_or(0)
        );
    }
    println!("\nFees paid, by sender");
    for (who, (gas, fee)) in &fees {
        println!("  {who:<10} {gas:>10} gas {:>14.9} ETH", *fee as f64 / 1e18);
    }
    if !refusals.is_empty() {
        println!("\nCalls the contract would have refused (found by gas estimation, not sent)");
        for (j, f, e) in refusals {
            println!("  node {j}: {f}: {e}");
        }
    }
    // The outcome against the reference contract fed the same calls.
    let c = &replica.chain;
    let finals = c.finals().len();
    let balance = rpc.balance(params.contract)?;
    println!("\nOutcome");
    let checks = [
        (
            finals == params.windows as usize,
            format!("{finals} of {} windows final", params.windows),
        ),
        (
            c.phase() == Phase::Closed,
            format!("contract {:?}", c.phase()),
        ),
        (
            c.held() == 0 && balance.is_zero(),
            format!(
                "left in the contract: {} wei (reference), {balance} wei (chain)",
                c.held()
            ),
        ),
        (
            c.check_conservation().is_ok(),
            "fund conservation (INV-FUNDS-001) on the reference contract".into(),
        ),
        (
            unaccounted.is_empty() && accepted == replica.applied.len() + 1,
            format!(
                "{} transactions sent, {accepted} accepted, each applied by the reference contract with the chain's events{}",
                sent.len(),
                if unaccounted.is_empty() {
                    String::new()
                } else {
                    format!("; unaccounted for: {}", unaccounted.join(", "))
                }
            ),
        ),
    ];
    for (pass, what) in &checks {
        println!("  {} {what}", if *pass { "ok  " } else { "FAIL" });
        ok &= pass;
    }
    let slashed: Vec<usize> = (0..n).filter(|j| c.is_slashed(*j)).collect();
    if let Some(k) = *restarted {
        // What it signed before the kill is what it holds at the end, it said it restored
        // it, and nobody proved it signed twice.
        let signed = plan.work.join(format!("node-{k}.signed.json"));
        let after: Vec<SignedRecord> = std::fs::read_to_string(&signed)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        let (before, said) = restored.clone().unwrap_or_default();
        let kept = !before.is_empty() && before.iter().all(|r| after.contains(r));
        let pass = kept && said && !slashed.contains(&k);
        println!(
            "  {} node {k}, killed after signing window 0 and restarted, restored what it signed ({} window(s)) and signed no second result",
            if pass { "ok  " } else { "FAIL" },
            before.len()
        );
        ok &= pass;
    } else if !slashed.is_empty() {
        println!("  slashed: nodes {slashed:?}");
    }
    // The same calls on revm: gas to the unit.
    match diversity::export::verify::replay(plan.hardfork, params, &log) {
        Ok(r) => println!(
            "  ok   {} transactions replayed on revm ({}): {} gas, equal to the chain's for every one",
            r.transactions, plan.hardfork, r.gas_used
        ),
        Err(p) => {
            println!(
                "  FAIL revm replay, transaction {}: {}",
                p.0.map_or("-".into(), |i| i.to_string()),
                p.1
            );
            ok = false;
        }
    }
    if let Some(dir) = &args.export {
        let t = transcript(params, replica, emitted, &log);
        diversity::export::write(dir, plan.hardfork, params, &t)
            .map_err(|e| format!("--export {}: {e}", dir.display()))?;
        match diversity::export::verify::verify_dir(dir) {
            Ok(v) => println!("  ok   exported to {} and verified: {v}", dir.display()),
            Err(p) => {
                println!(
                    "  FAIL the export in {} does not verify: {p}",
                    dir.display()
                );
                ok = false;
            }
        }
    }
    println!(
        "\nResult: {} ({:.1} s)",
        if ok {
            "every window settled as the reference contract says"
        } else {
            "FAILED"
        },
        started.elapsed().as_secs_f64()
    );
    Ok(ok)
}

/// The run in the export's terms: the readings the meters emitted, every node signature the
/// chain saw, every final window with the readings it was decided from, every transaction.
fn transcript(
    params: &Params,
    replica: &Replica,
    emitted: &[Vec<SignedReading>],
    log: &[TxRecord],
) -> Transcript {
    let domain = Domain::of(params);
    let mut t = Transcript::default();
    for sr in emitted.iter().flatten() {
        t.reading(leaf(sr), sr);
    }
    let mut finals = 0;
    let mut prev = params.genesis_hash();
    for a in &replica.applied {
        if let Tx::SubmitWindow { result, signatures } = &a.call.tx {
            t.submitted(&domain, result, signatures);
        }
        for e in &a.events {
            let Event::WindowFinalized {
                window, hash, path, ..
            } = e
            else {
                continue;
            };
            let f = &replica.chain.finals()[*window as usize];
            // A dispute's outcome is f of its evidence; a certificate's or a partial result's
            // is f of the window's readings, which every node received over loopback.
            let set = match (&a.evidence, path) {
                (Some(ev), Path::Dispute) => ev.clone(),
                _ => {
                    let mut d = Deciding::new(*window, params.prosumers());
                    for sr in &emitted[*window as usize] {
                        if let Some(m) = params.meter_index(&sr.reading.meter) {
                            d.add(m, *sr);
                        }
                    }
                    d
                }
            };
            t.final_window(&domain, *window, prev, f, &set);
            prev = *hash;
            finals += 1;
        }
    }
    debug_assert_eq!(finals, replica.chain.finals().len());
    t.transactions = log.to_vec();
    t
}
