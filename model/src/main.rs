//! `diversity`: the command-line program of the DIVERSITY suite.
//!
//! - `diversity simulate` runs a micro grid through the nodes and the reference contract.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use diversity::byzantine::Behaviour;
use diversity::meter::MeterBehaviour;
use diversity::simulation::{self, ByzantineSpec, MeterSpec, Scenario};
use indicatif::{ProgressBar, ProgressStyle};

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
    Simulate(SimulateArgs),
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
    /// totals, dispute spuriously, submit partial evidence) in favour of prosumer 0.
    #[arg(long)]
    byzantine: Option<usize>,
    /// Byzantine nodes also sign two different results (equivocate).
    #[arg(long)]
    equivocate: bool,
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
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
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
    let report = simulation::run(&scenario, &mut |done, _| bar.set_position(done));
    bar.finish_and_clear();
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
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

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Simulate(a) => simulate(a),
    }
}
