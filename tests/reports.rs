//! Human-readable artifacts kept as `insta` snapshots, so that a change to what users and
//! auditors read is reviewed like code: a simulated micro grid's report as `diversity
//! simulate` prints it, and the same report as the CLI's JSON. Review a deliberate change
//! with `cargo insta review`.

use diversity::actors::byzantine::Behaviour;
use diversity::world::simulation::{self, ByzantineSpec, Scenario};

/// Four prosumers for six days in two windows, node 0 Byzantine (withholding its readings
/// and its signature, challenging every partial result, partial evidence), every bad input
/// injected: both windows go through a partial result and a challenge the challenger loses.
/// In June, so that the PV prosumers sell: every matched, paid and received figure of the
/// report is pinned away from zero (a report starting on 1 January traded nothing).
fn scenario() -> Scenario {
    Scenario {
        start: simulation::YEAR_2020_START + 170 * 86_400,
        prosumers: 4,
        pv_prosumers: vec![0, 2],
        days: 6,
        windows: 2,
        byzantine: vec![ByzantineSpec {
            node: 0,
            behaviour: Behaviour {
                withhold_readings: true,
                withhold_signature: true,
                spurious_challenge: true,
                partial_evidence: true,
                ..Behaviour::default()
            },
        }],
        ..Scenario::default()
    }
}

#[test]
fn simulation_report_text() {
    let report = simulation::run(&scenario(), &mut |_, _| {}).expect("the scenario runs");
    assert!(report.success(), "{}", report.to_text());
    // What the snapshot pins is not zero: both windows trade, sellers are paid.
    assert!(
        report.windows.iter().all(|w| w.matched_wh > 0),
        "{}",
        report.to_text()
    );
    assert!(
        report
            .prosumers
            .iter()
            .filter(|p| p.received_wei > 0)
            .count()
            >= 1
    );
    assert!(report.prosumers.iter().filter(|p| p.paid_wei > 0).count() >= 2);
    insta::assert_snapshot!(report.to_text());
}

#[test]
fn simulation_report_json() {
    let report = simulation::run(&scenario(), &mut |_, _| {}).expect("the scenario runs");
    insta::assert_snapshot!(serde_json::to_string_pretty(&report).expect("serialises"));
}
