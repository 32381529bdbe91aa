//! End-to-end tests: whole micro grids run through meters, honest and Byzantine nodes, the
//! network and the reference contract (spec §6, §7, §10). Each test names the properties it
//! checks; the simulation's oracle checks INV-SOUND-001 and INV-COMPLETE-001 on every
//! final window, and INV-FUNDS-001 after every tick.

use std::process::Command;

use diversity::actors::byzantine::Behaviour;
use diversity::actors::meter::MeterBehaviour;
use diversity::protocol::contract::{Path, Phase, SlashReason};
use diversity::world::network::NetworkConfig;
use diversity::world::simulation::{
    run, ByzantineSpec, MeterSpec, Report, Scenario, ScenarioError,
};

/// Ten prosumers, eight days in two windows of four: long enough for every path, short
/// enough for CI. Summer, so PV owners are net producers and energy is traded locally.
fn short() -> Scenario {
    Scenario {
        start: diversity::world::simulation::YEAR_2020_START + 170 * 86_400,
        days: 8,
        windows: 2,
        ..Scenario::default()
    }
}

fn simulate(s: &Scenario) -> Report {
    run(s, &mut |_, _| {}).expect("scenario runs")
}

fn assert_settled(s: &Scenario, r: &Report) {
    // LIV-FINAL-001 with §12's bound, relative to each window's end T_end(w):
    //   B(0) = T_end(0) + collect + S,  B(w) = max(T_end(w) + collect, B(w−1)) + S,
    //   S = sign + challenge + 2·dispute + 2·Δ_inc,
    // where the simulation includes a transaction one slot after it is sent (Δ_inc = slot).
    let t = &s.timing;
    let params = s.params();
    let window_secs = params.slots_per_window * params.slot_secs;
    let step = t.sign_secs + t.challenge_secs + 2 * t.dispute_secs + 2 * s.slot_secs;
    let mut bound: Option<u64> = None; // B(w) − T_end(w)
    for w in &r.windows {
        let b = match bound {
            None => t.collect_secs + step,
            Some(prev) => t.collect_secs.max(prev.saturating_sub(window_secs)) + step,
        };
        bound = Some(b);
        assert!(w.correct, "window {} incorrect: {:?}", w.window, w.problems);
        assert!(w.path.is_some(), "window {} not final", w.window);
        let after = w.final_after_secs.expect("final");
        assert!(
            after <= b,
            "window {} final {after} s after its end, bound B(w) − T_end(w) = {b} s",
            w.window
        );
    }
    assert_eq!(r.final_phase, Some(Phase::Closed));
    assert!(
        r.conservation.violations.is_empty(),
        "{:?}",
        r.conservation.violations
    );
    assert_eq!(r.conservation.held_at_end_wei, 0, "everything is paid out");
    assert_eq!(r.conservation.paid_in_wei, r.conservation.paid_out_wei);
    assert!(r.bad_inputs.iter().all(|b| b.ok()), "{:?}", r.bad_inputs);
    // Every call was replayed on the Solidity contract, which answered it alike (§7.9).
    let g = r
        .gas
        .as_ref()
        .expect("the scenario runs on the EVM's chain id");
    assert!(g.mismatches.is_empty(), "{:?}", g.mismatches);
    assert!(r.windows.iter().all(|w| w.gas > 0));
    assert!(r.success());
}

fn paths(r: &Report) -> Vec<Path> {
    r.windows.iter().filter_map(|w| w.path).collect()
}

/// LIV-FAST-001, REACH-FAST-001: with every node honest and a perfect network, every window
/// settles with one transaction and local trade happens at the agreed price.
#[test]
fn honest_grid_settles_every_window_on_the_fast_path() {
    let s = short();
    let r = simulate(&s);
    assert_settled(&s, &r);
    assert_eq!(paths(&r), vec![Path::FastPath; 2]);
    assert_eq!(r.transactions["submitWindow"].accepted, 2);
    assert!(
        !r.transactions.contains_key("openDispute") || r.transactions["openDispute"].accepted == 0
    );
    assert!(r.slashings.is_empty());
    let sold: u64 = r.prosumers.iter().map(|p| p.sold_local_wh).sum();
    let bought: u64 = r.prosumers.iter().map(|p| p.bought_local_wh).sum();
    assert!(
        sold > 0 && bought > 0,
        "summer PV surplus is traded locally"
    );
    let paid: u128 = r.prosumers.iter().map(|p| p.paid_wei).sum();
    let received: u128 = r.prosumers.iter().map(|p| p.received_wei).sum();
    assert_eq!(paid, received + r.dust_wei, "INV-FUNDS-002");
    // The dust is rounding only: less than one wei per seller and window. (A reaction
    // that paid sellers nothing would put the whole pool there.)
    assert!(
        r.dust_wei < (r.windows.len() * r.prosumers.len()) as u128,
        "dust {} is more than rounding",
        r.dust_wei
    );
    assert_eq!(
        paid,
        bought as u128 * short().price_wei_per_wh,
        "buyers pay the agreed price"
    );
    // Each window is settled by one deciding reading a meter (its last, spec §5.2), out of
    // the 384 a meter emits in a four-day window.
    let settled: Vec<u64> = r.windows.iter().map(|w| w.readings_settled).collect();
    assert_eq!(settled, vec![s.prosumers as u64; 2]);
    assert_eq!(r.readings_emitted, 2 * 384 * s.prosumers as u64);
}

/// INV-SOUND-001, INV-COMPLETE-001, INV-SLASH-001, INV-VETO-001, REACH-SLASH-001: one honest
/// node out of ten defeats nine colluding nodes that withhold readings, sign a lie in favour
/// of prosumer 0, challenge every partial result and submit partial evidence. It reports the
/// nine lies as soon as it freezes; slashed, the liars lose their veto, and its signature
/// alone certifies both windows on the fast path.
#[test]
fn one_honest_node_defeats_nine_colluding_nodes() {
    let mut s = short();
    s.byzantine = (0..9)
        .map(|node| ByzantineSpec {
            node,
            behaviour: Behaviour::all(0),
        })
        .collect();
    let r = simulate(&s);
    assert_settled(&s, &r);
    assert_eq!(paths(&r), vec![Path::FastPath; 2]);
    let slashed: Vec<usize> = r.slashings.iter().map(|x| x.node).collect();
    assert_eq!(slashed.len(), 9, "every liar is slashed once");
    // The liars' signatures are refused from then on; none of them could challenge.
    assert_eq!(r.transactions["submitWindow"].accepted, 2);
    assert!(!r.transactions.contains_key("finalizeDispute"));
    assert!(!slashed.contains(&9), "the honest node is never slashed");
    assert!(r
        .slashings
        .iter()
        .all(|x| x.reason == SlashReason::Inconsistency));
    // Prosumer 0's inflated production never reached the chain.
    let honest_baseline = simulate(&short());
    assert_eq!(
        r.prosumers[0].received_wei,
        honest_baseline.prosumers[0].received_wei
    );
    assert_eq!(
        r.prosumers[0].paid_wei,
        honest_baseline.prosumers[0].paid_wei
    );
}

/// INV-SLASH-001 for equivocation, under loss, duplication and reordering: 3 of 10 nodes
/// Byzantine and equivocating still settle every window correctly.
#[test]
fn three_equivocating_nodes_on_a_lossy_network() {
    let mut s = short();
    s.byzantine = (0..3)
        .map(|node| ByzantineSpec {
            node,
            behaviour: Behaviour {
                equivocate: true,
                ..Behaviour::all(0)
            },
        })
        .collect();
    s.network = NetworkConfig {
        loss: 0.1,
        duplicate: 0.1,
        max_delay: 3,
    };
    let r = simulate(&s);
    assert_settled(&s, &r);
    assert!(r.network.lost > 0 && r.network.duplicated > 0);
    let mut slashed: Vec<usize> = r.slashings.iter().map(|x| x.node).collect();
    slashed.sort();
    assert_eq!(slashed, vec![0, 1, 2]);
}

/// INV-COUNT-001, INV-EQUIV-001: a meter that signs a second value for every slot gains
/// nothing, and a meter silent for a span loses nothing (its next reading of the window
/// carries the silent intervals): every prosumer settles exactly as in the all-honest run.
/// The comparison is with another run, not with the code that settled this one.
#[test]
fn equivocating_and_silent_meters() {
    let honest = simulate(&short());
    let mut s = short();
    s.meters = vec![
        MeterSpec {
            meter: 4,
            behaviour: MeterBehaviour::Equivocating { every: 1 },
        },
        MeterSpec {
            meter: 2,
            behaviour: MeterBehaviour::Silent {
                from_slot: 10,
                to_slot: 50,
            },
        },
    ];
    let r = simulate(&s);
    assert_settled(&s, &r);
    let settled = |r: &Report| {
        r.prosumers
            .iter()
            .map(|p| {
                (
                    p.bought_local_wh,
                    p.sold_local_wh,
                    p.grid_import_wh,
                    p.grid_export_wh,
                    p.paid_wei,
                    p.received_wei,
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(settled(&r), settled(&honest));
    assert!(settled(&r).iter().any(|t| t.4 > 0), "local trade was paid");
    assert!(
        r.windows
            .iter()
            .all(|w| w.readings_settled as usize <= 2 * s.prosumers),
        "at most two deciding readings a meter"
    );
}

/// LIV-ABSENT-001, REACH-PARTIAL-001 (spec §7.3): a node that is offline for the whole run
/// costs each window one dispute period and nothing else: the nine others sign, one submits the
/// partial result at the signing deadline, and it is final a dispute period later, with no
/// dispute and the same settlement as the all-honest run.
#[test]
fn an_absent_node_costs_one_period_not_a_dispute() {
    let honest = simulate(&short());
    let mut s = short();
    s.byzantine = vec![ByzantineSpec {
        node: 3,
        behaviour: Behaviour {
            absent: true,
            ..Behaviour::default()
        },
    }];
    let r = simulate(&s);
    assert_settled(&s, &r);
    assert_eq!(paths(&r), vec![Path::Partial; 2]);
    // The only openDispute is the injected bad input from a stranger, refused.
    assert_eq!(r.transactions["openDispute"].accepted, 0);
    assert_eq!(r.transactions["submitWindow"].accepted, 2);
    assert_eq!(r.transactions["finalizePending"].accepted, 2);
    let t = &s.timing;
    for w in &r.windows {
        let after = w.final_after_secs.expect("final");
        let period = t.collect_secs + t.sign_secs + t.dispute_secs;
        assert!(
            after >= period && after <= period + 4 * s.slot_secs,
            "window {} final {after} s after its end; one period is {period} s",
            w.window
        );
    }
    let paid = |r: &Report| r.prosumers.iter().map(|p| p.paid_wei).collect::<Vec<_>>();
    assert_eq!(paid(&r), paid(&honest));
    // Measured on the Solidity contract, which answered every call as the reference did: the
    // second window (no funding in it) costs less than twice its fast-path cost.
    let gas = |r: &Report| r.windows[1].gas;
    assert!(r.gas.as_ref().is_some_and(|g| g.mismatches.is_empty()));
    assert!(
        gas(&honest) < gas(&r) && gas(&r) <= 2 * gas(&honest),
        "{} against {}",
        gas(&r),
        gas(&honest)
    );
}

/// The net wei a node got from the contract beyond its own money (spec §7.10).
fn from_contract(r: &Report, node: usize) -> i128 {
    r.gas.as_ref().expect("gas report").net_received_wei[&format!("node {node}")]
}

/// INV-BOND-001, INV-BOND-002, REACH-BOND-001: a spurious challenger, which withholds its
/// signature and challenges every window's honest partial result, loses its bond each time;
/// the honest nodes' gas is reimbursed from it and the rest is theirs at close.
#[test]
fn a_spurious_challenger_pays_for_every_window() {
    let honest = simulate(&short());
    let mut s = short();
    s.byzantine = vec![ByzantineSpec {
        node: 3,
        behaviour: Behaviour {
            withhold_signature: true,
            spurious_challenge: true,
            ..Behaviour::default()
        },
    }];
    let r = simulate(&s);
    assert_settled(&s, &r);
    assert_eq!(paths(&r), vec![Path::Dispute; 2]);
    assert_eq!(r.transactions["openDispute"].accepted, 2);
    let paid = |r: &Report| r.prosumers.iter().map(|p| p.paid_wei).collect::<Vec<_>>();
    assert_eq!(paid(&r), paid(&honest), "the challenge changed nothing");
    // The challenger lost both bonds, less its own share of the pool.
    let bond = s.dispute_bond_wei as i128;
    assert!(from_contract(&r, 3) < -bond, "{}", from_contract(&r, 3));
    // Every honest node comes out ahead of its gas at the stated rate.
    let g = r.gas.as_ref().unwrap();
    for j in (0..s.prosumers).filter(|j| *j != 3) {
        let gas = g.by_sender.get(&format!("node {j}")).copied().unwrap_or(0) as i128;
        let cost = gas * s.gas_rate_wei as i128;
        assert!(
            from_contract(&r, j) > cost,
            "node {j}: {} from the contract against {cost} wei of gas",
            from_contract(&r, j)
        );
    }
}

/// INV-BOND-002, REACH-BOND-001: a lying asserter puts an inflated result signed by itself
/// alone on chain at every signing deadline (node 0 acts first in a tick, so its lie is on
/// chain before the honest partial result); an honest node challenges it, the evidence
/// decides, and the liar's bond pays.
#[test]
fn a_lying_asserter_loses_its_bond() {
    let honest = simulate(&short());
    let mut s = short();
    s.byzantine = vec![ByzantineSpec {
        node: 0,
        behaviour: Behaviour {
            withhold_signature: true,
            lying_asserter: true,
            inflate_wh: 1_000_000,
            ..Behaviour::default()
        },
    }];
    let r = simulate(&s);
    assert_settled(&s, &r);
    assert!(paths(&r)
        .iter()
        .all(|p| *p == Path::Dispute || *p == Path::Partial));
    let paid = |r: &Report| r.prosumers.iter().map(|p| p.paid_wei).collect::<Vec<_>>();
    assert_eq!(paid(&r), paid(&honest), "the lie never settled");
    let disputes = paths(&r).iter().filter(|p| **p == Path::Dispute).count() as i128;
    assert_eq!(
        disputes, 2,
        "the lie was on chain and challenged in both windows"
    );
    assert!(from_contract(&r, 0) < 0, "{}", from_contract(&r, 0));
}

/// F4: front-running a fraud report earns the report's gas at the stated rate and nothing
/// more; the rest of the liar's bond goes to the pool, and the honest report that was beaten
/// fails cheaply with `AlreadySlashed`.
#[test]
fn a_front_run_report_earns_only_its_gas() {
    let mut s = short();
    s.byzantine = (0..3)
        .map(|node| ByzantineSpec {
            node,
            behaviour: Behaviour {
                front_run_reports: true,
                ..Behaviour::all(0)
            },
        })
        .collect();
    let r = simulate(&s);
    assert_settled(&s, &r);
    assert_eq!(r.slashings.len(), 3);
    let params = s.params();
    for x in &r.slashings {
        assert!(
            params.node_index(&x.reporter).is_none(),
            "a front-runner's address"
        );
        assert!(x.reward_wei < s.bond_wei / 10, "{} wei", x.reward_wei);
        assert_eq!(x.reward_wei % s.gas_rate_wei, 0, "gas units at the rate");
    }
    assert!(r.transactions["reportInconsistency"].rejected["AlreadySlashed"] > 0);
}

/// The hardened variant (challenge_period > 0) settles too: every window on the fast path, each
/// certificate finalised after its challenge period.
#[test]
fn hardened_variant_with_challenge_period() {
    let mut s = short();
    s.timing.challenge_secs = 86_400;
    let r = simulate(&s);
    assert_settled(&s, &r);
    assert_eq!(paths(&r), vec![Path::FastPath; 2]);
    assert_eq!(r.transactions["finalizePending"].accepted, 2);
}

/// Determinism: the same scenario gives the same report, byte for byte.
#[test]
fn simulation_is_reproducible() {
    let mut s = short();
    s.network = NetworkConfig {
        loss: 0.05,
        duplicate: 0.05,
        max_delay: 2,
    };
    let a = serde_json::to_string(&simulate(&s)).unwrap();
    let b = serde_json::to_string(&simulate(&s)).unwrap();
    assert_eq!(a, b);
}

fn write_temp(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("diversity-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Broken scenario files are refused with an error that names the problem.
#[test]
fn broken_scenario_files_are_refused_by_name() {
    let cases = [
        ("not-json.json", "{ prosumers: ", "not a valid scenario"),
        (
            "unknown.json",
            r#"{"prosumerz": 3}"#,
            "unknown field `prosumerz`",
        ),
        ("zero.json", r#"{"prosumers": 0}"#, "prosumers must be"),
        (
            "windows.json",
            r#"{"windows": 7}"#,
            "cannot be cut into 7 equal windows",
        ),
        (
            "byz.json",
            r#"{"byzantine": [{"node": 12}]}"#,
            "byzantine node 12 does not exist",
        ),
        (
            "allbyz.json",
            r#"{"prosumers": 2, "byzantine": [{"node": 0}, {"node": 1}]}"#,
            "A-HONEST-001",
        ),
        (
            "loss.json",
            r#"{"network": {"loss": 1.5}}"#,
            "must be a probability",
        ),
    ];
    for (name, text, needle) in cases {
        let err = Scenario::from_file(&write_temp(name, text)).unwrap_err();
        assert!(err.to_string().contains(needle), "{name}: {err}");
    }
    let missing = Scenario::from_file(std::path::Path::new("no/such/scenario.json")).unwrap_err();
    assert!(matches!(missing, ScenarioError::Io { .. }));
}

/// The command-line program exits non-zero with a clear message on a broken scenario, and
/// zero with a report on a good one.
#[test]
fn cli_exit_codes() {
    let bin = env!("CARGO_BIN_EXE_diversity");
    let bad = write_temp("cli-bad.json", r#"{"windows": 0}"#);
    let out = Command::new(bin)
        .args(["simulate", "--quiet", "--scenario"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("windows"));

    let good = write_temp(
        "cli-good.json",
        &serde_json::to_string(&Scenario {
            prosumers: 3,
            pv_prosumers: vec![0],
            ..short()
        })
        .unwrap(),
    );
    let out = Command::new(bin)
        .args(["simulate", "--json", "--scenario"])
        .arg(&good)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Report = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report.prosumers.len(), 3);
    assert!(report.success());
    // The explorer refuses a bad address and a busy port by name, with exit 2.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = listener.local_addr().unwrap().to_string();
    for address in ["not-an-address", busy.as_str()] {
        let out = Command::new(bin)
            .args(["explore", "--address", address])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "--address {address}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("--address"));
    }
}

/// Every option of every subcommand is validated before any work starts: a bad value is
/// refused with exit 2 and a message naming the option, never a panic, a hang or exit 1.
#[test]
fn every_bad_option_is_refused_up_front() {
    let bin = env!("CARGO_BIN_EXE_diversity");
    let cases: &[(&[&str], &str)] = &[
        (
            &["simulate", "--challenge-secs", "99999999999", "--days", "3"],
            "challenge_secs",
        ),
        (&["simulate", "--max-delay", "99999999"], "max_delay"),
        (&["simulate", "--prosumers", "0"], "prosumers"),
        (&["simulate", "--prosumers", "65"], "prosumers"),
        (&["simulate", "--windows", "0"], "windows"),
        (&["simulate", "--days", "0"], "days"),
        (&["simulate", "--loss", "nan"], "loss"),
        (&["simulate", "--loss", "-0.5"], "loss"),
        (&["simulate", "--duplicate", "1.5"], "duplicate"),
        (&["simulate", "--seed", "-1"], "--seed"),
        (&["simulate", "--byzantine", "10"], "A-HONEST-001"),
        (&["simulate", "--absent-node", "10"], "node 10"),
        (&["simulate", "--spurious-challenger", "99"], "node 99"),
        (&["simulate", "--silent-meter", "10"], "meter 10"),
        (
            &["simulate", "--scenario", "no/such/file.json"],
            "no/such/file.json",
        ),
        (&["check", "--nodes", "9"], "--nodes"),
        (&["check", "--windows", "99999"], "--windows"),
        (&["check", "--slots", "99999999"], "--slots"),
        (&["check", "--max-delay", "0"], "--max-delay"),
        (&["check", "--threads", "0"], "--threads"),
        (&["check", "--timeout", "0"], "--timeout"),
        (&["check", "--byzantine", "5"], "node 5"),
        (&["check", "--mutant", "nope"], "mutant"),
        (&["check", "--values", "huge"], "value domain"),
        (
            &["check", "--simulate", "--nodes", "11"],
            "--nodes must be 1..=10",
        ),
        (&["check", "--simulate", "--walks", "0"], "--walks"),
        (&["check", "--simulate", "--bfs"], "--simulate"),
        (&["check", "--walks", "5"], "--simulate"),
        (
            &["check", "--max-losses", "1", "--lossless"],
            "--max-losses",
        ),
        (&["check", "--max-losses", "-1"], "--max-losses"),
        (&["check", "--context", "sideways"], "unknown context"),
        (&["check", "--context", "next"], "--windows 2"),
        (
            &["check", "--windows", "2", "--context", "first"],
            "--windows 1",
        ),
        (
            &["check", "--windows", "2", "--context", "next", "--hardened"],
            "--hardened",
        ),
        (
            &[
                "check",
                "--windows",
                "2",
                "--context",
                "next",
                "--silent-meter",
                "1",
            ],
            "--silent-meter",
        ),
        (
            &["check", "--context", "first", "--no-live-node", "--absent"],
            "--no-live-node",
        ),
        (
            &[
                "check",
                "--windows",
                "2",
                "--context",
                "next",
                "--slots",
                "4",
                "--max-delay",
                "4",
            ],
            "stops depending on it",
        ),
        (&["check", "--simulate", "--seed", "x"], "--seed"),
        (&["gas", "--hardfork", "foo"], "hardfork"),
        (&["gas", "--gwei", "-1", "--eth-usd", "1"], "--gwei"),
        (&["gas", "--price", "custom"], "price"),
        (&["gas", "--plot", "/proc/no/such/dir"], "--plot"),
        (&["dataset", "--out", "/proc/no/such/dir"], "--out"),
        (&["explore", "--address", "1.2.3.4:99999"], "--address"),
        (&["simulate", "--export", "/proc/no/such/dir"], "--export"),
        (&["verify", "no/such/export"], "manifest.json"),
        (
            &["devnet-node", "no/such/config.json"],
            "no/such/config.json",
        ),
    ];
    for (args, needle) in cases {
        let out = Command::new(bin).args(*args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?} should name {needle}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?} did work before refusing");
    }
}

/// A grid of one prosumer settles, and every bad input that applies to it is refused.
#[test]
fn a_single_prosumer_grid_settles() {
    let s = Scenario {
        prosumers: 1,
        pv_prosumers: vec![0],
        ..short()
    };
    let r = simulate(&s);
    assert_settled(&s, &r);
    assert!(
        r.bad_inputs.len() >= 20,
        "{} bad inputs",
        r.bad_inputs.len()
    );
}

/// A failed run says why, one reason per failure, in the report's last lines.
#[test]
fn a_failed_run_names_its_reasons() {
    let s = short();
    let mut r = simulate(&s);
    assert!(r.failures().is_empty(), "{:?}", r.failures());
    r.windows[1].path = None;
    r.windows[0].correct = false;
    r.conservation.held_at_end_wei = 11_000_000_000_000_000_000;
    let why = r.failures();
    assert_eq!(
        why,
        [
            "window 0 became final with totals other than its meters' readings",
            "window 1 never became final before the run ended",
            "11.000000 ETH left in the contract at the end",
        ],
    );
    let text = r.to_text();
    assert!(
        text.contains("Result: FAILED\n  window 0 became final"),
        "{text}"
    );
}

/// The example scenarios shipped in `docs/scenarios/` stay valid and run to success
/// (shortened to 8 days so the test stays quick).
#[test]
fn shipped_example_scenarios_run() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/scenarios");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    assert!(names.len() >= 2);
    for path in names {
        let mut s = Scenario::from_file(&path).unwrap_or_else(|e| panic!("{e}"));
        s.days = 8;
        s.windows = 2;
        s.meters.iter_mut().for_each(|m| {
            if let MeterBehaviour::Silent { from_slot, to_slot } = &mut m.behaviour {
                *from_slot = 100;
                *to_slot = 200;
            }
        });
        let r = simulate(&s);
        assert_settled(&s, &r);
    }
}
