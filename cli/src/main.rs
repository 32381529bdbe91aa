//! `diversity`: the command-line program of the DIVERSITY suite.
//!
//! - `diversity simulate` runs a micro grid through the nodes and the reference contract.
//! - `diversity check` model-checks the protocol exhaustively and reports per property.
//! - `diversity explore` serves stateright's web Explorer for the same configurations.
//! - `diversity gas` measures RDA, SAT, SA and the DIVERSITY contract on revm (docs/gas.md).
//! - `diversity dataset` writes the 2020 reference dataset as CSV (docs/dataset.md).
//! - `diversity verify DIR` re-checks an exported run offline (docs/formats.md).

mod devnet;
mod plot;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use diversity::actors::byzantine::Behaviour;
use diversity::actors::meter::MeterBehaviour;
use diversity::protocol::mutant::{self, Mutant};
use diversity::world::simulation::{self, ByzantineSpec, MeterSpec, Scenario};
use diversity_model::checking::{self, Search};
use diversity_model::protocol::{Context, DiversityModel, Economy, MeterFault, ModelConfig, Power};
use indicatif::{ProgressBar, ProgressStyle};
use stateright::Model;

/// The model checker allocates and frees millions of small states: mimalloc does it in about
/// half the instructions of the system allocator (docs/model-checking.md, speed).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "diversity",
    version,
    about = "DIVERSITY: off-chain settlement of micro-grid energy trades, verified"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a micro grid for a year through the nodes and the reference contract.
    #[command(allow_negative_numbers = true)]
    Simulate(SimulateArgs),
    /// Model-check the protocol exhaustively and report per property.
    #[command(allow_negative_numbers = true)]
    Check(CheckArgs),
    /// Serve stateright's web Explorer on localhost for a configuration.
    Explore(ExploreArgs),
    /// Measure the gas of RDA, SAT, SA and the DIVERSITY contract on a real EVM.
    #[command(allow_negative_numbers = true)]
    Gas(GasArgs),
    /// Write the 2020 reference consumption and PV series as CSV.
    Dataset(DatasetArgs),
    /// Run the grid on a real Ethereum node: anvil, each node its own process.
    #[command(allow_negative_numbers = true)]
    Devnet(devnet::DevnetArgs),
    /// (internal) One node process of `diversity devnet`.
    #[command(hide = true)]
    DevnetNode {
        /// The node's configuration file, written by `diversity devnet`.
        config: PathBuf,
    },
    /// Re-check an exported run offline: signatures, digests, totals, the transactions
    /// replayed, conservation. Names the first problem (exit 2).
    Verify(VerifyArgs),
}

#[derive(Args)]
struct VerifyArgs {
    /// A directory written by `diversity simulate --export` or `diversity devnet --export`.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
}

fn verify(args: VerifyArgs) -> ExitCode {
    match diversity::export::verify::verify_dir(&args.dir) {
        Ok(v) => {
            println!("{}: verified. {v}", args.dir.display());
            ExitCode::SUCCESS
        }
        Err(p) => usage_error(&format!("{}: {p}", args.dir.display())),
    }
}

#[derive(Args)]
struct GasArgs {
    /// Hardfork of the main table: london, shanghai, cancun, prague or osaka.
    #[arg(long, default_value = "prague")]
    hardfork: String,
    /// Gas price in gwei for an extra price column (with --eth-usd).
    #[arg(long, requires = "eth_usd")]
    gwei: Option<f64>,
    /// Ether price in USD for an extra price column (with --gwei).
    #[arg(long, requires = "gwei")]
    eth_usd: Option<f64>,
    /// Price scenario of the cumulative-cost figure: may-2022, recent or custom.
    #[arg(long, default_value = "may-2022")]
    price: String,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Write profile.svg and cumulative-cost.svg into this directory.
    #[arg(long, value_name = "DIR")]
    plot: Option<PathBuf>,
}

#[derive(Args)]
struct DatasetArgs {
    /// Directory to write consumption_2020.csv and pv_2020.csv into.
    #[arg(long, default_value = ".")]
    out: PathBuf,
}

#[derive(Args, Clone)]
struct ModelArgs {
    /// Number of prosumers N.
    #[arg(long, default_value_t = 2)]
    nodes: usize,
    /// Number of windows K.
    #[arg(long, default_value_t = 1)]
    windows: u32,
    /// Slots per window W.
    #[arg(long, default_value_t = 1)]
    slots: u64,
    /// The collect period in ticks: with 2 or more, inventories carry readings and peers
    /// reply (the sign and dispute periods follow; docs/model-checking.md).
    #[arg(long, default_value_t = 1)]
    collect: u64,
    /// Byzantine nodes, comma separated (default: node 0). Use --all-honest for none.
    #[arg(long, value_delimiter = ',', default_values_t = vec![0usize])]
    byzantine: Vec<usize>,
    /// No Byzantine node.
    #[arg(long)]
    all_honest: bool,
    /// The hardened variant (challenge period > 0).
    #[arg(long)]
    hardened: bool,
    /// The network never loses messages.
    #[arg(long)]
    lossless: bool,
    /// The network may duplicate messages.
    #[arg(long)]
    duplicating: bool,
    /// At most L messages are lost in a run (a restriction of the lossy network, for sizes
    /// where unbounded loss explodes; docs/model-checking.md, A-NET-LOSS-001).
    #[arg(long, value_name = "L")]
    max_losses: Option<u32>,
    /// Messages are delivered (or lost) within this many ticks.
    #[arg(long, default_value_t = 1)]
    max_delay: u64,
    /// Time waits until every message is delivered.
    #[arg(long)]
    synchronous: bool,
    /// A scheduled network: messages are delivered (or lost) one at a time, oldest first,
    /// then by destination and sender. Checks fewer behaviours than the default network,
    /// which may reorder (see docs/model-checking.md, A-NET-ORDER-001).
    #[arg(long)]
    in_order: bool,
    /// Turn off the reductions POR-REDUNDANT-001, POR-READINGS-001, POR-SIGNED-001 and
    /// SYM-LAG-001 (docs/model-checking.md), to measure their effect.
    #[arg(long)]
    no_reduction: bool,
    /// Meter M sends nothing for slot 0.
    #[arg(long, value_name = "M")]
    silent_meter: Option<usize>,
    /// Meter M signs two different readings for slot 0.
    #[arg(long, value_name = "M")]
    equivocating_meter: Option<usize>,
    /// The Byzantine nodes are absent: they fund, then do nothing at all.
    #[arg(long)]
    absent: bool,
    /// No node is live: every node funds, then does nothing; a wallet finishes the windows
    /// by escape disputes and closes (LIV-ESCAPE-001, spec §7.4).
    #[arg(long)]
    no_live_node: bool,
    /// A deliberately broken variant that the checker must catch.
    #[arg(long, value_name = "NAME")]
    mutant: Option<String>,
    /// Value domain: small (2 Wh, 1 wei deposits) or real (286 Wh, 1 ETH deposits).
    #[arg(long, default_value = "small")]
    values: String,
    /// The Byzantine nodes' powers of spec §10 beyond the basic adversary's: `all`, `none`, or
    /// a comma-separated list of targeted, other-root, any-meter-evidence, partial-proofs,
    /// self-report, copy-reports (docs/model-checking.md, "The adversary's powers")
    #[arg(long, value_name = "LIST", default_value = "none")]
    powers: String,
    /// Check one window in the context any run gives it, for every K by composition:
    /// `first` (window 0, K = 1, a Byzantine node may be slashed at any time) or `next`
    /// (window 1, K = 2, window 0 made final by the environment at any time its bound
    /// allows); `whole` checks the whole run (docs/model-checking.md, "Every K by
    /// composition").
    #[arg(long, value_name = "WHICH", default_value = "whole")]
    context: String,
}

impl ModelArgs {
    fn config(&self) -> Result<ModelConfig, String> {
        self.config_up_to(MAX_CHECKED_NODES, "exhaustive checking")
    }

    /// The configuration, with at most `max_nodes` prosumers (`what` says why the bound).
    fn config_up_to(&self, max_nodes: usize, what: &str) -> Result<ModelConfig, String> {
        let byzantine = if self.all_honest {
            Vec::new()
        } else {
            self.byzantine.clone()
        };
        if self.nodes == 0 || self.nodes > max_nodes {
            return Err(format!(
                "--nodes must be 1..={max_nodes} for {what}, got {}",
                self.nodes
            ));
        }
        // Exhaustive checking explodes well before these bounds; beyond them a run would
        // only exhaust memory or the stack (issue 13 takes K further by composition).
        for (name, v, max) in [
            ("--windows", self.windows as u64, MAX_MODEL_WINDOWS),
            ("--slots", self.slots, MAX_MODEL_SLOTS),
            ("--collect", self.collect, MAX_MODEL_COLLECT),
            ("--max-delay", self.max_delay, MAX_MODEL_DELAY),
        ] {
            if v == 0 || v > max {
                return Err(format!(
                    "{name} must be 1..={max} for exhaustive checking, got {v}"
                ));
            }
        }
        if let Some(b) = byzantine.iter().find(|b| **b >= self.nodes) {
            return Err(format!(
                "Byzantine node {b} does not exist (nodes: {})",
                self.nodes
            ));
        }
        if byzantine.len() >= self.nodes && !self.no_live_node {
            return Err("at least one node must be honest (A-HONEST-001)".into());
        }
        if self.max_losses.is_some() && self.lossless {
            return Err(
                "--max-losses bounds the losses of a lossy network: drop --lossless".into(),
            );
        }
        if self.absent && byzantine.is_empty() {
            return Err("--absent makes the Byzantine nodes absent, and there are none".into());
        }
        let meter_fault = match (self.silent_meter, self.equivocating_meter) {
            (Some(_), Some(_)) => return Err("choose one faulty meter".into()),
            (Some(m), None) | (None, Some(m)) if m >= self.nodes => {
                return Err(format!("meter {m} does not exist"))
            }
            (Some(m), None) => MeterFault::Silent(m),
            (None, Some(m)) => MeterFault::Equivocating(m),
            (None, None) => MeterFault::None,
        };
        if let Some(name) = &self.mutant {
            let m = Mutant::from_name(name).ok_or_else(|| {
                let all: Vec<&str> = Mutant::ALL.iter().map(|m| m.name()).collect();
                format!("unknown mutant `{name}`; known: {}", all.join(", "))
            })?;
            mutant::select(Some(m));
        }
        let config = ModelConfig {
            nodes: self.nodes,
            windows: self.windows,
            slots_per_window: self.slots,
            collect_period: self.collect,
            byzantine,
            hardened: self.hardened,
            lossy: !self.lossless,
            max_losses: self.max_losses,
            duplicating: self.duplicating,
            max_delay: self.max_delay,
            synchronous: self.synchronous,
            in_order: self.in_order,
            reduce: !self.no_reduction,
            meter_fault,
            absent: self.absent,
            no_live_node: false,
            economy: Economy::from_name(&self.values).ok_or_else(|| {
                format!("unknown value domain `{}`: use small or real", self.values)
            })?,
            powers: Power::parse_list(&self.powers)?,
            context: Context::from_name(&self.context).ok_or_else(|| {
                format!(
                    "unknown context `{}`: use whole, first or next",
                    self.context
                )
            })?,
        };
        let config = if self.no_live_node {
            config.no_live_node()
        } else {
            config
        };
        match config.context_error() {
            Some(e) => Err(e),
            None => Ok(config),
        }
    }
}

/// The most prosumers an exhaustive check accepts, and a simulation (random walks).
const MAX_CHECKED_NODES: usize = 4;
const MAX_SIMULATED_NODES: usize = 10;

/// The largest K, W and network delay `check` and `explore` accept.
const MAX_MODEL_WINDOWS: u64 = 4;
const MAX_MODEL_SLOTS: u64 = 4;
const MAX_MODEL_COLLECT: u64 = 4;
const MAX_MODEL_DELAY: u64 = 4;

#[derive(Args)]
struct CheckArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Breadth-first search: short counterexamples (not always the shortest: stateright hands
    /// its queue out in jobs), but it keeps the frontier in memory
    /// (several KB a state). The default is depth-first, which keeps only the path.
    #[arg(long)]
    bfs: bool,
    /// Worker threads (default: every core).
    #[arg(long)]
    threads: Option<usize>,
    /// Give up after this many seconds, on any number of threads (the report then says the
    /// search is incomplete).
    #[arg(long)]
    timeout: Option<u64>,
    /// Stop at the first violated invariant (always on with --mutant).
    #[arg(long)]
    stop_at_first_violation: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// No progress line.
    #[arg(long)]
    quiet: bool,
    /// Instead of an exhaustive search, take seeded random walks (up to 10 prosumers) and
    /// report what they covered: a sample, not a proof (docs/model-checking.md).
    #[arg(long)]
    simulate: bool,
    /// With --simulate: the number of walks (the same walks on every run with one seed).
    #[arg(long, default_value_t = 1000, requires = "simulate")]
    walks: usize,
    /// Write each violated invariant's counterexample into DIR as a message-sequence chart
    /// (PROPERTY-ID.svg, one lane per actor).
    #[arg(long, value_name = "DIR")]
    chart: Option<PathBuf>,
    /// With --simulate: the seed of the walks.
    #[arg(long, default_value_t = 0, requires = "simulate")]
    seed: u64,
}

#[derive(Args)]
struct ExploreArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Address to serve on (localhost only by default).
    #[arg(long, default_value = "localhost:3000")]
    address: String,
}

#[derive(Args)]
struct SimulateArgs {
    /// Load the scenario from a JSON file (the flags below override it).
    #[arg(long)]
    scenario: Option<PathBuf>,
    /// Number of prosumers (each with a meter and a node).
    #[arg(long)]
    prosumers: Option<usize>,
    /// Windows the year is cut into: 12 (about monthly) or 6 (about two-monthly).
    #[arg(long)]
    windows: Option<u32>,
    /// Days simulated from 2020-01-01.
    #[arg(long)]
    days: Option<u64>,
    /// Make the first K nodes Byzantine and colluding (withhold readings, sign wrong
    /// totals, challenge every partial result, submit partial evidence) in favour of
    /// prosumer 0.
    #[arg(long)]
    byzantine: Option<usize>,
    /// Byzantine nodes also sign two different results (equivocate).
    #[arg(long)]
    equivocate: bool,
    /// Node K is offline for the whole run after funding: it signs, sends and submits
    /// nothing, so no window has all N signatures (each settles after one dispute period).
    #[arg(long, value_name = "K")]
    absent_node: Option<usize>,
    /// Node K withholds its signature and challenges every partial result, bonded (a
    /// spurious challenger: it loses its bond every window).
    #[arg(long, value_name = "K")]
    spurious_challenger: Option<usize>,
    /// Node K withholds its signature and puts an inflated result on chain as a partial
    /// result at every signing deadline, bonded (a lying asserter).
    #[arg(long, value_name = "K")]
    lying_asserter: Option<usize>,
    /// Byzantine nodes copy every honest fraud report and get it on chain first.
    #[arg(long)]
    front_run_reports: bool,
    /// Probability that a message is lost.
    #[arg(long)]
    loss: Option<f64>,
    /// Probability that a message is duplicated.
    #[arg(long)]
    duplicate: Option<f64>,
    /// Largest delivery delay, in slots (delays are random, so messages are reordered).
    #[arg(long)]
    max_delay: Option<u64>,
    /// Meter M is silent for the first week of February.
    #[arg(long, value_name = "M")]
    silent_meter: Option<usize>,
    /// Meter M signs two different readings for one slot in every 96.
    #[arg(long, value_name = "M")]
    equivocating_meter: Option<usize>,
    /// Challenge period in seconds (0: results are final at once, as in the paper).
    #[arg(long)]
    challenge_secs: Option<u64>,
    /// Seed of the profiles and the network.
    #[arg(long)]
    seed: Option<u64>,
    /// Skip the injected bad inputs.
    #[arg(long)]
    no_bad_inputs: bool,
    /// Write every signed reading and result (eth_signTypedData_v4 JSON), every final
    /// window and every transaction (JSON lines) into this directory; `diversity verify`
    /// re-checks it.
    #[arg(long, value_name = "DIR")]
    export: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

impl SimulateArgs {
    fn scenario(&self) -> Result<Scenario, simulation::ScenarioError> {
        let mut s = match &self.scenario {
            Some(path) => Scenario::from_file(path)?,
            None => Scenario::default(),
        };
        if let Some(v) = self.prosumers {
            s.prosumers = v;
            s.pv_prosumers.retain(|p| *p < v);
        }
        if let Some(v) = self.windows {
            s.windows = v;
        }
        if let Some(v) = self.days {
            s.days = v;
        }
        if let Some(k) = self.byzantine {
            s.byzantine = (0..k)
                .map(|node| ByzantineSpec {
                    node,
                    behaviour: Behaviour {
                        equivocate: self.equivocate,
                        ..Behaviour::all(0)
                    },
                })
                .collect();
        }
        for (k, lying) in [
            (self.spurious_challenger, false),
            (self.lying_asserter, true),
        ]
        .into_iter()
        .filter_map(|(k, l)| k.map(|k| (k, l)))
        {
            let b = match s.byzantine.iter_mut().find(|b| b.node == k) {
                Some(b) => b,
                None => {
                    s.byzantine.push(ByzantineSpec {
                        node: k,
                        behaviour: Behaviour::default(),
                    });
                    s.byzantine.last_mut().expect("just pushed")
                }
            };
            b.behaviour.withhold_signature = true;
            b.behaviour.inflate_wh = b.behaviour.inflate_wh.max(1_000_000);
            if lying {
                b.behaviour.lying_asserter = true;
            } else {
                b.behaviour.spurious_challenge = true;
            }
        }
        if self.front_run_reports {
            for b in &mut s.byzantine {
                b.behaviour.front_run_reports = true;
            }
        }
        if let Some(k) = self.absent_node {
            match s.byzantine.iter_mut().find(|b| b.node == k) {
                Some(b) => b.behaviour.absent = true,
                None => s.byzantine.push(ByzantineSpec {
                    node: k,
                    behaviour: Behaviour {
                        absent: true,
                        ..Behaviour::default()
                    },
                }),
            }
        }
        if let Some(v) = self.loss {
            s.network.loss = v;
        }
        if let Some(v) = self.duplicate {
            s.network.duplicate = v;
        }
        if let Some(v) = self.max_delay {
            s.network.max_delay = v;
        }
        let slots_per_day = 86_400 / s.slot_secs.max(1);
        if let Some(m) = self.silent_meter {
            s.meters.push(MeterSpec {
                meter: m,
                behaviour: MeterBehaviour::Silent {
                    from_slot: 31 * slots_per_day,
                    to_slot: 38 * slots_per_day,
                },
            });
        }
        if let Some(m) = self.equivocating_meter {
            s.meters.push(MeterSpec {
                meter: m,
                behaviour: MeterBehaviour::Equivocating { every: 96 },
            });
        }
        if let Some(v) = self.challenge_secs {
            s.timing.challenge_secs = v;
        }
        if let Some(v) = self.seed {
            s.seed = v;
        }
        if self.no_bad_inputs {
            s.bad_inputs = false;
        }
        s.validate()?;
        Ok(s)
    }
}

fn simulate(args: SimulateArgs) -> ExitCode {
    let scenario = match args.scenario() {
        Ok(s) => s,
        Err(e) => return usage_error(&e),
    };
    let bar = if args.quiet || args.json {
        ProgressBar::hidden()
    } else {
        let b = ProgressBar::new(scenario.total_slots());
        b.set_style(
            ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} slots {msg}")
                .expect("static template")
                .progress_chars("=> "),
        );
        b
    };
    if let Some(dir) = &args.export {
        if let Err(e) = std::fs::create_dir_all(dir) {
            return usage_error(&format!(
                "--export {}: cannot create it ({e})",
                dir.display()
            ));
        }
    }
    let mut progress = |done, _| bar.set_position(done);
    let run = match &args.export {
        Some(_) => simulation::run_recorded(&scenario, &mut progress).map(|(r, t)| (r, Some(t))),
        None => simulation::run(&scenario, &mut progress).map(|r| (r, None)),
    };
    bar.finish_and_clear();
    let (report, transcript) = match run {
        Ok(r) => r,
        Err(e) => return usage_error(&e),
    };
    if let (Some(dir), Some(t)) = (&args.export, &transcript) {
        let hardfork = diversity::evm::Hardfork::Prague;
        match diversity::export::write(dir, hardfork, &scenario.params(), t) {
            Ok(files) => {
                for f in files {
                    eprintln!("wrote {}", f.display());
                }
            }
            Err(e) => return usage_error(&format!("--export {}: {e}", dir.display())),
        }
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("report serialises")
        );
    } else {
        print!("{}", report.to_text());
    }
    if report.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// A bad command line or input: say what is wrong, exit 2.
pub(crate) fn usage_error(e: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::from(2)
}

fn check(args: CheckArgs) -> ExitCode {
    let config = match if args.simulate {
        args.model.config_up_to(MAX_SIMULATED_NODES, "a simulation")
    } else {
        args.model.config()
    } {
        Ok(c) => c,
        Err(e) => return usage_error(&e),
    };
    if let Some(dir) = &args.chart {
        if let Err(e) = std::fs::create_dir_all(dir) {
            return usage_error(&format!(
                "--chart {}: cannot create it ({e})",
                dir.display()
            ));
        }
    }
    if args.simulate && args.walks == 0 {
        return usage_error(&"--walks must be at least 1");
    }
    if args.simulate && (args.bfs || args.stop_at_first_violation) {
        return usage_error(&"--simulate takes walks: --bfs and --stop-at-first-violation are for exhaustive searches");
    }
    if args.threads == Some(0) {
        return usage_error(&"--threads must be at least 1");
    }
    if args.timeout == Some(0) {
        return usage_error(&"--timeout must be at least 1 second");
    }
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let quiet = args.quiet || args.json;
    if !quiet {
        eprintln!(
            "Checking DIVERSITY: {} nodes ({} Byzantine), {} windows of {} slot(s), {} variant, {} network{}, {} threads",
            config.nodes,
            config.byzantine.len(),
            config.windows,
            config.slots_per_window,
            if config.hardened { "hardened" } else { "paper" },
            network_description(&config),
            mutant::selected().map(|m| format!(", mutant {}", m.name())).unwrap_or_default(),
            threads
        );
    }
    // A mutant is caught fastest, and explained shortest, breadth first.
    let search = if args.bfs || args.model.mutant.is_some() {
        Search::Bfs
    } else {
        Search::Dfs
    };
    let timeout = args.timeout.map(std::time::Duration::from_secs);
    let stop = if args.stop_at_first_violation || args.model.mutant.is_some() {
        checking::Stop::AtFirstViolation
    } else {
        checking::Stop::Never
    };
    let report = if args.simulate {
        diversity_model::walks::simulate(
            config,
            args.seed,
            args.walks,
            threads,
            timeout,
            &mut |n| {
                if !quiet {
                    eprint!("\r{n} of {} walks", args.walks);
                }
            },
        )
    } else {
        checking::check(config, search, threads, timeout, stop, &mut |n| {
            if !quiet {
                eprint!("\r{n} unique states");
            }
        })
    };
    if !quiet {
        eprintln!();
    }
    if let Some(dir) = &args.chart {
        for p in &report.properties {
            if let Some(svg) = &p.chart {
                let path = dir.join(p.chart_file_name());
                match std::fs::write(&path, svg) {
                    Ok(()) => eprintln!("wrote {}", path.display()),
                    Err(e) => eprintln!("error: cannot write {}: {e}", path.display()),
                }
            }
        }
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("report serialises")
        );
    } else {
        for p in &report.properties {
            println!("{:<10} {:<9} {}", p.status, p.kind, p.name);
            if p.status == "violated" || (p.status == "unreached" && !args.simulate) {
                for line in p.trace.iter().flatten() {
                    println!("             {line}");
                }
            }
        }
        if let Some(c) = &report.coverage {
            for (title, counts) in [
                ("actions taken", &c.actions),
                ("contract calls accepted", &c.accepted),
                ("contract calls refused", &c.refused),
            ] {
                println!("{title}:");
                for (k, v) in counts {
                    println!("  {v:>10}  {k}");
                }
            }
            println!(
                "{} walks, seed {}{}",
                report.walks.unwrap_or(0),
                report.seed.unwrap_or(0),
                if args.simulate {
                    " (a sample, not a proof)"
                } else {
                    ""
                }
            );
        }
        println!(
            "{} unique states ({} visited), depth {}, {:.1} s, {:.0} states/s{}{}",
            report.unique_states,
            report.states,
            report.max_depth,
            report.seconds,
            report.states_per_second,
            report
                .peak_memory_mib
                .map(|m| format!(", peak memory {m:.0} MiB"))
                .unwrap_or_default(),
            match (report.complete, args.simulate) {
                (true, _) => "",
                (false, false) => " — INCOMPLETE (timeout)",
                (false, true) => " — INCOMPLETE (timeout before every walk was taken)",
            }
        );
    }
    if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The network a configuration checks, in words.
fn network_description(c: &ModelConfig) -> String {
    let mut parts = vec![if c.synchronous {
        "synchronous".to_string()
    } else {
        format!("delay ≤ {}", c.max_delay)
    }];
    parts.push(if c.in_order { "in order" } else { "reordering" }.into());
    if !c.reduce {
        parts.push("no reduction".into());
    }
    if c.lossy {
        parts.push(match c.max_losses {
            Some(l) => format!("lossy (at most {l} lost)"),
            None => "lossy".into(),
        });
    }
    if c.duplicating {
        parts.push("duplicating".into());
    }
    parts.join(", ")
}

fn explore(args: ExploreArgs) -> ExitCode {
    let config = match args.model.config() {
        Ok(c) => c,
        Err(e) => return usage_error(&e),
    };
    // A bad or busy address is refused up front, by name (exit 2), not by a panic later.
    let bound = std::net::ToSocketAddrs::to_socket_addrs(args.address.as_str())
        .map_err(|e| format!("--address {}: not a host:port ({e})", args.address))
        .and_then(|mut addrs| {
            addrs
                .next()
                .ok_or_else(|| format!("--address {}: resolves to nothing", args.address))
        })
        .and_then(|addr| {
            std::net::TcpListener::bind(addr)
                .map_err(|e| format!("--address {}: cannot listen there ({e})", args.address))
        });
    if let Err(e) = bound {
        return usage_error(&e);
    }
    drop(bound);
    eprintln!("Serving the stateright Explorer on http://{}", args.address);
    DiversityModel::new(config)
        .checker()
        .serve(args.address.as_str());
    ExitCode::SUCCESS
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Simulate(a) => simulate(a),
        Command::Check(a) => check(a),
        Command::Explore(a) => explore(a),
        Command::Gas(a) => gas(a),
        Command::Dataset(a) => dataset(a),
        Command::Verify(a) => verify(a),
        Command::Devnet(a) => devnet::run(a),
        Command::DevnetNode { config } => match devnet::node::config(&config) {
            Err(e) => usage_error(&e),
            Ok(cfg) => match devnet::node::run(cfg) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            },
        },
    }
}

fn gas(args: GasArgs) -> ExitCode {
    use diversity::evm::gas::price::Price;
    use diversity::evm::gas::report::GasReport;
    use diversity::evm::Hardfork;
    let Some(hardfork) = Hardfork::parse(&args.hardfork) else {
        return usage_error(&format!(
            "unknown hardfork {:?}: use london, shanghai, cancun, prague or osaka",
            args.hardfork
        ));
    };
    let extra = match (args.gwei, args.eth_usd) {
        (Some(g), Some(e)) if g.is_finite() && e.is_finite() && g >= 0.0 && e >= 0.0 => {
            Some(Price::custom(g, e))
        }
        (Some(_), Some(_)) => {
            return usage_error(&"--gwei and --eth-usd must be finite and not negative")
        }
        _ => None,
    };
    if !["may-2022", "recent", "custom"].contains(&args.price.as_str())
        || (args.price == "custom" && extra.is_none())
    {
        return usage_error(&format!(
            "unknown price {:?}: use may-2022, recent, or custom with --gwei and --eth-usd",
            args.price
        ));
    }
    if let Some(dir) = &args.plot {
        if let Err(e) = std::fs::create_dir_all(dir) {
            return usage_error(&format!("--plot {}: cannot create it ({e})", dir.display()));
        }
    }
    let started = std::time::Instant::now();
    let report = GasReport::measure(hardfork, extra);
    let elapsed = started.elapsed();
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("the report serialises")
        );
    } else {
        print!("{}", report.render());
        println!("measured in {:.1} s", elapsed.as_secs_f64());
    }
    if let Some(dir) = args.plot {
        let price = report
            .prices
            .iter()
            .find(|p| p.name == args.price)
            .expect("checked above");
        let figures = plot::figures(&report.logging, price);
        for (name, svg) in figures {
            let path = dir.join(name);
            if let Err(e) = std::fs::write(&path, svg) {
                return usage_error(&format!("cannot write {}: {e}", path.display()));
            }
            eprintln!("wrote {}", path.display());
        }
    }
    ExitCode::SUCCESS
}

fn dataset(args: DatasetArgs) -> ExitCode {
    let data = diversity::world::dataset::Dataset::embedded();
    match diversity::world::dataset::Dataset::write(&args.out) {
        Ok(paths) => {
            println!("{data}");
            for p in paths {
                println!("wrote {}", p.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => usage_error(&format!(
            "--out {}: cannot write into it ({e})",
            args.out.display()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diversity_model::manifest::Manifest;

    /// The options the docs show for each configuration of the manifest are the ones that
    /// make `diversity check` run exactly that configuration.
    #[test]
    fn every_configuration_of_the_manifest_is_a_check_command() {
        let m = Manifest::committed();
        let configs = m
            .configurations
            .iter()
            .map(|e| (e.name.clone(), e.config.clone()))
            .chain(
                m.mutants
                    .iter()
                    .map(|e| (e.mutant.clone(), e.config.clone())),
            );
        for (name, config) in configs {
            let mut argv = vec!["diversity".to_string(), "check".to_string()];
            argv.extend(config.cli_args());
            let cli = Cli::try_parse_from(&argv)
                .unwrap_or_else(|e| panic!("{name}: {argv:?} does not parse: {e}"));
            let Command::Check(args) = cli.command else {
                panic!("{name}: not a check command")
            };
            assert_eq!(args.model.config(), Ok(config), "{name}: {argv:?}");
        }
    }
}
