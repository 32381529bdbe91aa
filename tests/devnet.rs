//! The grid on a real Ethereum node (issue 12, docs/devnet.md): `diversity devnet` starts the
//! pinned anvil, runs each intermediate node as its own process, and must exit 0 with every
//! window settled as the reference contract says and every receipt's gas equal to revm's.
//! Each run exports itself, and the export must verify offline with the paths expected.
//!
//! anvil is installed by `devnet/install` (npm, from the lock file) if it is not there yet.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Once;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn install_anvil() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let installed = root().join("devnet/node_modules/.bin/anvil");
        if !installed.exists() {
            let status = Command::new(root().join("devnet/install"))
                .status()
                .expect("devnet/install runs (it needs Node.js and npm)");
            assert!(status.success(), "devnet/install failed");
        }
    });
}

/// Runs a devnet with `args`, returns its standard output and the windows of its export.
fn devnet(name: &str, args: &[&str]) -> (String, Vec<serde_json::Value>) {
    install_anvil();
    let dir = std::env::temp_dir().join(format!(
        "diversity-devnet-test-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let export = dir.join("export");
    let out = Command::new(env!("CARGO_BIN_EXE_diversity"))
        .arg("devnet")
        .args(args)
        .arg("--work-dir")
        .arg(dir.join("work"))
        .arg("--export")
        .arg(&export)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{name}: exit {:?}\n{stdout}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    let verified = diversity::export::verify::verify_dir(&export)
        .unwrap_or_else(|p| panic!("{name}: the export does not verify: {p}"));
    let windows: Vec<serde_json::Value> = std::fs::read_to_string(export.join("windows.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(windows.len(), verified.windows);
    for needle in [
        "each applied by the reference contract with the chain's events",
        "equal to the chain's for every one",
        "Result: every window settled as the reference contract says",
    ] {
        assert!(
            stdout.contains(needle),
            "{name}: no {needle:?} in\n{stdout}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
    (stdout, windows)
}

fn paths(windows: &[serde_json::Value]) -> Vec<String> {
    windows
        .iter()
        .map(|w| w["path"].as_str().unwrap().to_string())
        .collect()
}

/// The CI devnet: two windows, one fault. A spurious challenger sends every window to a
/// dispute; the honest nodes win each, and the receipts show who paid what.
#[test]
fn devnet_with_a_spurious_challenger() {
    let (out, windows) = devnet(
        "spurious",
        &["--windows", "2", "--spurious-challenger", "1"],
    );
    assert_eq!(paths(&windows), ["dispute", "dispute"]);
    for f in ["openDispute", "addEvidence", "finalizeDispute", "withdraw"] {
        assert!(out.contains(f), "no {f} receipt in\n{out}");
    }
    assert!(out.contains("gwei") && out.contains("fee (ETH)"), "{out}");
}

/// An absent node: no certificate, so every window is final on a partial result.
#[test]
fn devnet_with_an_absent_node() {
    let (_, windows) = devnet("absent", &["--windows", "2", "--absent-node", "3"]);
    assert_eq!(paths(&windows), ["partial", "partial"]);
}

/// A node killed after signing and started again restores what it signed (it never signs
/// twice) and catches up from the chain: every window still has its certificate.
#[test]
fn devnet_with_a_restarted_node() {
    let (out, windows) = devnet("restart", &["--windows", "2", "--restart-node", "2"]);
    assert_eq!(paths(&windows), ["fast_path", "fast_path"]);
    assert!(
        out.contains("restored what it signed (1 window(s)) and signed no second result"),
        "{out}"
    );
}

/// Bad devnet options are refused before anything starts, by name, with exit 2.
#[test]
fn devnet_refuses_bad_options() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    let cases: &[(&[&str], &str)] = &[
        (&["--prosumers", "1"], "--prosumers"),
        (&["--windows", "0"], "--windows"),
        (&["--slots", "7"], "must divide 86,400"),
        (&["--hardfork", "foo"], "hardfork"),
        (&["--spurious-challenger", "9"], "node 9 does not exist"),
        (
            &["--absent-node", "1", "--lying-asserter", "1"],
            "node 1 is given both",
        ),
        (&["--anvil", "no/such/anvil"], "anvil not found"),
        (&["--port", port.as_str()], "--port"),
    ];
    for (args, needle) in cases {
        let out = Command::new(env!("CARGO_BIN_EXE_diversity"))
            .arg("devnet")
            .args(*args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?} should name {needle}: {err}");
        assert!(out.stdout.is_empty(), "{args:?} started work");
    }
    drop(busy);
}
