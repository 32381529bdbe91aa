//! The devnet's chain: the pinned `anvil` (npm `@foundry-rs/anvil`, installed by
//! `devnet/install` from `devnet/package-lock.json`), started on a loopback port and stopped
//! by its own process id when the run ends, however it ends.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where `devnet/install` puts the native anvil binary, relative to the repository.
fn installed() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
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
    let p = root.join(format!(
        "devnet/node_modules/@foundry-rs/anvil-{os}-{arch}/bin/anvil"
    ));
    p.exists().then_some(p)
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

/// A free loopback port (the OS picks it).
pub fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free loopback port: {e}"))
}

impl Anvil {
    /// Starts anvil on `port` (0: any free port) at `hardfork`, and waits until it answers.
    pub fn start(binary: &Path, port: u16, hardfork: &str, chain_id: u64) -> Result<Self, String> {
        let port = if port == 0 { free_port()? } else { port };
        TcpListener::bind(("127.0.0.1", port))
            .map_err(|e| format!("--port {port}: cannot listen there ({e})"))?;
        let child = Command::new(binary)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--hardfork", hardfork, "--chain-id", &chain_id.to_string()])
            .args(["--accounts", "1", "--silent"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let mut anvil = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if let Some(status) = anvil.child.try_wait().map_err(|e| e.to_string())? {
                return Err(format!("anvil exited at start: {status}"));
            }
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(anvil);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = anvil.child.kill();
        Err("anvil did not listen within 30 s".into())
    }
}
