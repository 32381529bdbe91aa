//! A run in the ecosystem's formats, so that any Ethereum tool can check it (issue 12): every
//! signed reading and window result as `eth_signTypedData_v4` JSON, every transaction as a
//! JSON line that can be replayed, and each window's outcome with the readings it was decided
//! from. [`verify`] re-checks such a directory offline and names the first problem.
//!
//! A directory holds:
//!
//! | file | one line (or object) per |
//! |---|---|
//! | `manifest.json` | the run: format, hardfork, the contract's parameters (§3) |
//! | `readings.jsonl` | signed reading a meter emitted, as typed data with `signature` and `signer` |
//! | `results.jsonl` | window result a node signed (honest or not), as typed data |
//! | `windows.jsonl` | final window: path, hash, totals, readings root, the digests of its deciding set |
//! | `transactions.jsonl` | transaction, accepted or reverted: `from`, `to`, `value`, `calldata`, `gasUsed`, block |

pub mod typed_data;
pub mod verify;

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path as FsPath, PathBuf};

use alloy_primitives::{Address, Bytes, B256, U256};
use serde::{Deserialize, Serialize};

use crate::evm::solidity::Sent;
use crate::evm::Hardfork;
use crate::protocol::contract::{FinalWindow, Path};
use crate::protocol::crypto::{recover_secp256k1, Signature65};
use crate::protocol::eip712::Domain;
use crate::protocol::params::Params;
use crate::protocol::reading_set::Deciding;
use crate::protocol::types::{SignedReading, SignedResult, WindowResult};

/// The format tag of `manifest.json`.
pub const FORMAT: &str = "diversity-export/1";

/// `manifest.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: String,
    pub hardfork: Hardfork,
    pub params: Params,
}

/// One final window (`windows.jsonl`): the contract's hash and totals, and the deciding set
/// they were computed from, by the digests of its readings (in `readings.jsonl`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FinalRecord {
    pub window: u32,
    pub path: Path,
    /// `h_w` as the contract recorded it.
    pub hash: B256,
    pub prev_hash: B256,
    pub produced: Vec<u64>,
    pub consumed: Vec<u64>,
    /// The result's readings root; zero for a dispute outcome (spec §7.4).
    pub readings_root: B256,
    /// EIP-712 digests of the deciding set's readings.
    pub deciding: Vec<B256>,
}

/// One transaction (`transactions.jsonl`), in the terms of an Ethereum receipt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TxRecord {
    /// The contract function, for people; the calldata is what counts.
    pub function: String,
    pub from: Address,
    /// `null` for the contract's deployment.
    pub to: Option<Address>,
    pub value: U256,
    pub calldata: Bytes,
    pub success: bool,
    pub gas_used: u64,
    /// Ether the contract paid out during the transaction.
    pub value_out: U256,
    pub block_number: u64,
    pub timestamp: u64,
}

impl From<&Sent> for TxRecord {
    fn from(s: &Sent) -> Self {
        Self {
            function: s.function.to_string(),
            from: s.from,
            to: s.to,
            value: s.value,
            calldata: s.input.clone(),
            success: s.receipt.success,
            gas_used: s.receipt.gas_used,
            value_out: s.value_out,
            block_number: s.block,
            timestamp: s.timestamp,
        }
    }
}

/// Everything a run signed, decided and sent, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Transcript {
    /// Every distinct signed reading meters emitted, with its meter's address.
    pub readings: Vec<SignedReading>,
    /// Every distinct signed window result nodes produced, with its signer.
    pub results: Vec<(Address, SignedResult)>,
    pub windows: Vec<FinalRecord>,
    pub transactions: Vec<TxRecord>,
    seen_readings: BTreeSet<B256>,
    seen_results: BTreeSet<(B256, [u8; 65])>,
}

impl Transcript {
    /// Records a signed reading, once.
    pub fn reading(&mut self, leaf: B256, sr: &SignedReading) {
        if self.seen_readings.insert(leaf) {
            self.readings.push(*sr);
        }
    }

    /// Records a signed result, once per signature, with the signer it recovers to (one
    /// that does not recover is no one's signature and is left out).
    pub fn result(&mut self, domain: &Domain, sr: &SignedResult) {
        let digest = domain.result_digest(&sr.result);
        let Ok(signer) = recover_secp256k1(&digest, &sr.signature) else {
            return;
        };
        if self.seen_results.insert((digest, sr.signature.0)) {
            self.results.push((signer, sr.clone()));
        }
    }

    /// Records every signature of a result put on chain (a certificate or a partial result).
    pub fn submitted(
        &mut self,
        domain: &Domain,
        result: &WindowResult,
        signatures: &[Signature65],
    ) {
        for s in signatures {
            self.result(
                domain,
                &SignedResult {
                    result: result.clone(),
                    signature: *s,
                },
            );
        }
    }

    /// Records a final window, linked to `prev_hash`, and the deciding set it was computed
    /// from. Its readings root is zero for a dispute outcome, the set's root otherwise.
    pub fn final_window(
        &mut self,
        domain: &Domain,
        window: u32,
        prev_hash: B256,
        fin: &FinalWindow,
        set: &Deciding,
    ) {
        self.windows.push(FinalRecord {
            window,
            path: fin.path,
            hash: fin.hash,
            prev_hash,
            produced: fin.produced.clone(),
            consumed: fin.consumed.clone(),
            readings_root: match fin.path {
                Path::Dispute => B256::ZERO,
                Path::FastPath | Path::Partial => set.root(),
            },
            deciding: set
                .readings()
                .map(|(_, k)| domain.reading_digest(&k.signed.reading))
                .collect(),
        });
    }
}

/// Writes a transcript into `dir` (created if need be); returns the files written.
pub fn write(
    dir: &FsPath,
    hardfork: Hardfork,
    params: &Params,
    t: &Transcript,
) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let domain = Domain::of(params);
    let manifest = Manifest {
        format: FORMAT.into(),
        hardfork,
        params: params.clone(),
    };
    let mut written = Vec::new();
    let path = dir.join("manifest.json");
    std::fs::write(
        &path,
        serde_json::to_string_pretty(&manifest).expect("a manifest serialises") + "\n",
    )?;
    written.push(path);
    let mut lines = |name: &str, items: &mut dyn Iterator<Item = String>| -> std::io::Result<()> {
        let path = dir.join(name);
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path)?);
        for line in items {
            writeln!(f, "{line}")?;
        }
        f.flush()?;
        written.push(path);
        Ok(())
    };
    lines(
        "readings.jsonl",
        &mut t
            .readings
            .iter()
            .map(|sr| typed_data::reading(&domain, sr, sr.reading.meter).to_string()),
    )?;
    lines(
        "results.jsonl",
        &mut t
            .results
            .iter()
            .map(|(signer, sr)| typed_data::result(&domain, sr, *signer).to_string()),
    )?;
    lines(
        "windows.jsonl",
        &mut t
            .windows
            .iter()
            .map(|w| serde_json::to_string(w).expect("a record serialises")),
    )?;
    lines(
        "transactions.jsonl",
        &mut t
            .transactions
            .iter()
            .map(|tx| serde_json::to_string(tx).expect("a record serialises")),
    )?;
    Ok(written)
}
