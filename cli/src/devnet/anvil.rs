//! The devnet's chain: the pinned `anvil` (npm `@foundry-rs/anvil`, installed by
//! `devnet/install` from `devnet/package-lock.json`), started on a loopback port and stopped
//! by its own process id when the run ends, however it ends.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where `devnet/install` puts the native anvil binary: under the current directory (a
/// checkout), else under the checkout this program was built from.
fn installed() -> Option<PathBuf> {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        _ => return None,
    };
    let os = match std::env::consts::OS {
        "linux" => "linux",
        "macos" => "darwin",
        _ => return None,
    };
    let rel = format!("devnet/node_modules/@foundry-rs/anvil-{os}-{arch}/bin/anvil");
    [
        PathBuf::from("."),
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".."),
    ]
    .into_iter()
    .map(|root| root.join(&rel))
    .find(|p| p.is_file())
}

/// The anvil binary to run: `--anvil`, else `DIVERSITY_ANVIL`, else the installed one.
pub fn locate(explicit: Option<&Path>) -> Result<PathBuf, String> {
    let chosen = explicit
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os("DIVERSITY_ANVIL").map(PathBuf::from))
        .or_else(installed);
    match chosen {
        Some(p) if p.is_file() => Ok(p),
        Some(p) => Err(format!("anvil not found at {}", p.display())),
        None => Err(
            "anvil is not installed: run devnet/install (npm ci of the pinned @foundry-rs/anvil), or pass --anvil PATH"
                .into(),
        ),
    }
}

/// A running anvil, killed when dropped.
pub struct Anvil {
    child: Child,
    pub url: String,
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Anvil {
    /// Starts anvil on `port` (0: a port the OS chooses, read from anvil's own banner, so
    /// two runs at once cannot collide) at `hardfork`, and waits until it answers.
    pub fn start(binary: &Path, port: u16, hardfork: &str, chain_id: u64) -> Result<Self, String> {
        let mut child = Command::new(binary)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--hardfork", hardfork, "--chain-id", &chain_id.to_string()])
            .args(["--accounts", "1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let stdout = child.stdout.take().expect("piped");
        let (tx, rx) = std::sync::mpsc::channel();
        // Read the banner for the address, then keep draining what anvil logs.
        std::thread::spawn(move || {
            use std::io::BufRead;
            let mut sent = false;
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if !sent {
                    if let Some(addr) = line.trim().strip_prefix("Listening on ") {
                        sent = tx.send(addr.trim().to_string()).is_ok();
                    }
                }
            }
        });
        let mut anvil = Self {
            child,
            url: String::new(),
        };
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if let Some(status) = anvil.child.try_wait().map_err(|e| e.to_string())? {
                return Err(format!(
                    "anvil exited at start ({status}){}",
                    if port != 0 {
                        format!(": is port {port} in use?")
                    } else {
                        String::new()
                    }
                ));
            }
            if let Ok(addr) = rx.recv_timeout(Duration::from_millis(50)) {
                anvil.url = format!("http://{addr}");
                return Ok(anvil);
            }
        }
        Err("anvil did not listen within 30 s".into())
    }
}
