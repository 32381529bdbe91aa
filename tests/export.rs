//! The ecosystem's formats (issue 12, docs/formats.md): a run exported as typed data and
//! JSON-lines transactions verifies offline, on every non-unanimous path; and every kind of
//! tampering is caught, by the check named for it, at the file and line where it was made.

use std::path::{Path, PathBuf};

use diversity::actors::byzantine::Behaviour;
use diversity::actors::meter::MeterBehaviour;
use diversity::evm::Hardfork;
use diversity::export::verify::{verify_dir, Problem};
use diversity::world::network::NetworkConfig;
use diversity::world::simulation::{self, ByzantineSpec, MeterSpec, Scenario, YEAR_2020_START};

fn short(prosumers: usize) -> Scenario {
    Scenario {
        prosumers,
        pv_prosumers: vec![0, 1],
        start: YEAR_2020_START + 170 * 86_400,
        days: 8,
        windows: 2,
        ..Scenario::default()
    }
}

fn export(name: &str, s: &Scenario) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("diversity-export-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (report, t) = simulation::run_recorded(s, &mut |_, _| {}).unwrap();
    assert!(report.success(), "{:?}", report.failures());
    diversity::export::write(&dir, Hardfork::Prague, &s.params(), &t).unwrap();
    dir
}

fn byzantine(node: usize, behaviour: Behaviour) -> Vec<ByzantineSpec> {
    vec![ByzantineSpec { node, behaviour }]
}

/// Every path a window can take verifies: the fast path, a partial result (absent node), a
/// dispute against a spurious challenger, a lying asserter, a Byzantine majority that
/// withholds and lies, an equivocating meter and a lossy, reordering network.
#[test]
fn every_exported_run_verifies() {
    let absent = Behaviour {
        absent: true,
        ..Behaviour::default()
    };
    let spurious = Behaviour {
        withhold_signature: true,
        spurious_challenge: true,
        inflate_wh: 1_000_000,
        ..Behaviour::default()
    };
    let liar = Behaviour {
        withhold_signature: true,
        lying_asserter: true,
        inflate_wh: 1_000_000,
        ..Behaviour::default()
    };
    let runs = [
        ("honest", short(3)),
        (
            "absent",
            Scenario {
                byzantine: byzantine(2, absent),
                ..short(3)
            },
        ),
        (
            "spurious",
            Scenario {
                byzantine: byzantine(1, spurious),
                ..short(4)
            },
        ),
        (
            "liar",
            Scenario {
                byzantine: byzantine(1, liar),
                ..short(4)
            },
        ),
        (
            "majority",
            Scenario {
                byzantine: (0..3)
                    .map(|node| ByzantineSpec {
                        node,
                        behaviour: Behaviour::all(0),
                    })
                    .collect(),
                ..short(4)
            },
        ),
        (
            "equivocating-meter",
            Scenario {
                meters: vec![MeterSpec {
                    meter: 1,
                    behaviour: MeterBehaviour::Equivocating { every: 96 },
                }],
                ..short(3)
            },
        ),
        (
            "lossy",
            Scenario {
                network: NetworkConfig {
                    loss: 0.1,
                    duplicate: 0.1,
                    max_delay: 3,
                },
                ..short(3)
            },
        ),
    ];
    for (name, s) in runs {
        let dir = export(name, &s);
        let v = verify_dir(&dir).unwrap_or_else(|p| panic!("{name}: {p}"));
        assert_eq!(v.windows, 2, "{name}");
        assert!(v.readings >= 3 * 768, "{name}: {} readings", v.readings);
        assert!(v.transactions > 1 + 2 * s.prosumers, "{name}");
        assert_eq!(v.paid_in_wei, v.paid_out_wei, "{name}");
        assert!(!v.paid_in_wei.is_zero(), "{name}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// Replaces line `line` (1-based) of `file` by `edit` of it.
fn edit_line(dir: &Path, file: &str, line: usize, edit: impl Fn(&mut serde_json::Value)) {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut v: serde_json::Value = serde_json::from_str(&lines[line - 1]).unwrap();
    edit(&mut v);
    lines[line - 1] = v.to_string();
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
}

fn lines_of(dir: &Path, file: &str) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join(file))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn copy(dir: &Path, name: &str) -> PathBuf {
    let to = dir.with_file_name(format!(
        "{}-{name}",
        dir.file_name().unwrap().to_string_lossy()
    ));
    let _ = std::fs::remove_dir_all(&to);
    std::fs::create_dir_all(&to).unwrap();
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
    to
}

/// Each tampering is refused with the file, the line and the check that failed.
#[test]
fn tampering_is_named_by_file_line_and_check() {
    let liar = Behaviour {
        withhold_signature: true,
        lying_asserter: true,
        inflate_wh: 1_000_000,
        ..Behaviour::default()
    };
    let dir = export(
        "tamper",
        &Scenario {
            byzantine: byzantine(1, liar),
            ..short(4)
        },
    );
    verify_dir(&dir).unwrap();
    let windows = lines_of(&dir, "windows.jsonl");
    let readings = lines_of(&dir, "readings.jsonl");
    // The line of the first deciding reading of window 0.
    let first_deciding = windows[0]["deciding"][0].as_str().unwrap().to_string();
    let deciding_line = 1 + readings
        .iter()
        .position(|r| {
            let p = diversity::export::typed_data::parse_reading(r).unwrap();
            format!("{}", p.digest) == first_deciding
        })
        .unwrap();
    let txs = lines_of(&dir, "transactions.jsonl");
    let tx_line = |f: &str| {
        1 + txs
            .iter()
            .position(|t| t["function"] == f && t["success"] == true)
            .unwrap()
    };
    let (submit_line, deposit_line) = (tx_line("submitWindow"), tx_line("deposit"));
    let last_withdraw = txs.len()
        - txs
            .iter()
            .rev()
            .position(|t| t["function"] == "withdraw" && t["success"] == true)
            .unwrap();

    type Tamper = Box<dyn Fn(&Path)>;
    let cases: Vec<(&str, Tamper, &str, Option<usize>, &str)> = vec![
        (
            "a reading's value",
            Box::new(|d| {
                edit_line(d, "readings.jsonl", 5, |v| {
                    v["message"]["producedWh"] = "999".into()
                })
            }),
            "readings.jsonl",
            Some(5),
            "not to the stated signer",
        ),
        (
            "a reading's type",
            Box::new(|d| {
                edit_line(d, "readings.jsonl", 2, |v| {
                    v["types"]["Reading"][1]["type"] = "uint128".into()
                })
            }),
            "readings.jsonl",
            Some(2),
            "the protocol's digest is",
        ),
        (
            "a reading's domain",
            Box::new(|d| {
                edit_line(d, "readings.jsonl", 3, |v| {
                    v["domain"]["chainId"] = 5.into()
                })
            }),
            "readings.jsonl",
            Some(3),
            "signed for chain 5",
        ),
        (
            "a malleated (high-s) signature",
            Box::new(|d| {
                edit_line(d, "readings.jsonl", 4, |v| {
                    let s: diversity::protocol::crypto::Signature65 =
                        serde_json::from_value(v["signature"].clone()).unwrap();
                    v["signature"] = serde_json::to_value(s.malleate()).unwrap();
                })
            }),
            "readings.jsonl",
            Some(4),
            "does not recover",
        ),
        (
            "a reading signed by a stranger, relabelled",
            Box::new(|d| {
                edit_line(d, "readings.jsonl", 6, |v| {
                    v["signer"] = "0x1111111111111111111111111111111111111111".into()
                })
            }),
            "readings.jsonl",
            Some(6),
            "not to the stated signer",
        ),
        (
            "a reading line cut short",
            Box::new(|d| {
                let p = d.join("readings.jsonl");
                let t = std::fs::read_to_string(&p).unwrap();
                let mut lines: Vec<&str> = t.lines().collect();
                let cut = &lines[6][..40];
                lines[6] = cut;
                std::fs::write(&p, lines.join("\n")).unwrap();
            }),
            "readings.jsonl",
            Some(7),
            "not JSON",
        ),
        (
            "a result's signer",
            Box::new(|d| edit_line(d, "results.jsonl", 1, |v| v["message"]["window"] = 1.into())),
            "results.jsonl",
            Some(1),
            "not to the stated signer",
        ),
        (
            "a deciding reading removed",
            Box::new(move |d| {
                let p = d.join("readings.jsonl");
                let t = std::fs::read_to_string(&p).unwrap();
                let kept: Vec<&str> = t
                    .lines()
                    .enumerate()
                    .filter(|(i, _)| *i + 1 != deciding_line)
                    .map(|(_, l)| l)
                    .collect();
                std::fs::write(&p, kept.join("\n") + "\n").unwrap();
            }),
            "windows.jsonl",
            Some(1),
            "is not in readings.jsonl",
        ),
        (
            "a window's totals",
            Box::new(|d| {
                edit_line(d, "windows.jsonl", 2, |v| {
                    v["produced"][0] = (v["produced"][0].as_u64().unwrap() + 1).into()
                })
            }),
            "windows.jsonl",
            Some(2),
            "not f of the deciding set",
        ),
        (
            "a window's hash",
            Box::new(|d| {
                edit_line(d, "windows.jsonl", 1, |v| {
                    v["hash"] = format!("0x{}", "ab".repeat(32)).into()
                })
            }),
            "windows.jsonl",
            Some(1),
            "the contract recorded",
        ),
        (
            "a transaction's gas",
            Box::new(move |d| {
                edit_line(d, "transactions.jsonl", submit_line, |v| {
                    v["gasUsed"] = (v["gasUsed"].as_u64().unwrap() - 1).into()
                })
            }),
            "transactions.jsonl",
            Some(submit_line),
            "replays as success true",
        ),
        (
            "a deposit's value",
            Box::new(move |d| {
                edit_line(d, "transactions.jsonl", deposit_line, |v| {
                    v["value"] = "0x1".into()
                })
            }),
            "transactions.jsonl",
            Some(deposit_line),
            "replays as success false",
        ),
        (
            "the last withdrawal dropped",
            Box::new(move |d| {
                let p = d.join("transactions.jsonl");
                let t = std::fs::read_to_string(&p).unwrap();
                let kept: Vec<&str> = t
                    .lines()
                    .enumerate()
                    .filter(|(i, _)| *i + 1 != last_withdraw)
                    .map(|(_, l)| l)
                    .collect();
                std::fs::write(&p, kept.join("\n") + "\n").unwrap();
            }),
            "transactions.jsonl",
            None,
            "conservation (INV-FUNDS-001)",
        ),
        (
            "a deployment that sends ether",
            Box::new(|d| edit_line(d, "transactions.jsonl", 1, |v| v["value"] = "0x5".into())),
            "transactions.jsonl",
            Some(1),
            "the deployment sends ether",
        ),
        (
            "a broken manifest",
            Box::new(|d| std::fs::write(d.join("manifest.json"), "{\"format\": ").unwrap()),
            "manifest.json",
            None,
            "not a manifest",
        ),
        (
            "a missing file",
            Box::new(|d| std::fs::remove_file(d.join("results.jsonl")).unwrap()),
            "results.jsonl",
            None,
            "cannot read it",
        ),
    ];
    for (name, tamper, file, line, needle) in cases {
        let d = copy(&dir, &name.replace(' ', "-"));
        tamper(&d);
        let p: Problem = verify_dir(&d).expect_err(name);
        assert_eq!((p.file.as_str(), p.line), (file, line), "{name}: {p}");
        assert!(p.message.contains(needle), "{name}: {p}");
        std::fs::remove_dir_all(&d).unwrap();
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The same scenario exports the same bytes.
#[test]
fn exports_are_byte_for_byte_reproducible() {
    let s = short(3);
    let (a, b) = (export("repro-a", &s), export("repro-b", &s));
    for f in [
        "manifest.json",
        "readings.jsonl",
        "results.jsonl",
        "windows.jsonl",
        "transactions.jsonl",
    ] {
        let (x, y) = (
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
        );
        assert!(!x.is_empty() && x == y, "{f}");
    }
    std::fs::remove_dir_all(&a).unwrap();
    std::fs::remove_dir_all(&b).unwrap();
}
