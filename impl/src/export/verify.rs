//! `diversity verify DIR`: re-checks an exported run offline and names the first problem.
//!
//! 1. **Signatures.** Every reading and result is hashed from its own JSON by an EIP-712
//!    implementation that is not this crate's (alloy-dyn-abi); the digest must equal the
//!    protocol's (§4.2, §4.3), and the signature must recover, canonically (low `s`, §4.1), to
//!    the stated signer: a registered meter that is the reading's own, or a registered node.
//! 2. **Windows.** Window by window, the deciding set's readings must be exported readings
//!    of that window; `f` of them (§5.2) must give the recorded totals; the result rebuilt
//!    from those totals, the previous window's hash and the readings root (zero for a
//!    dispute; otherwise the root of that set, §4.4) must hash to the contract's `h_w`.
//! 3. **Transactions.** The log is replayed on a fresh EVM at the manifest's hardfork: the
//!    deployment must create the contract the parameters name, and every transaction must
//!    succeed or revert as recorded, with the recorded gas and ether paid out.
//! 4. **Conservation** (INV-FUNDS-001): what was paid in equals what was paid out, and the
//!    contract holds nothing at the end.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path as FsPath;

use alloy_primitives::{Address, B256, U256};

use super::{typed_data, FinalRecord, Manifest, TxRecord, FORMAT};
use crate::evm::Evm;
use crate::protocol::contract::Path;
use crate::protocol::crypto::recover_secp256k1;
use crate::protocol::eip712::Domain;
use crate::protocol::reading_set::Deciding;
use crate::protocol::types::{SignedReading, WindowResult};

/// The first thing wrong with a directory: the file, the line (1-based) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{} line {l}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for Problem {}

/// What a directory that passed holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verified {
    pub readings: usize,
    pub results: usize,
    pub windows: usize,
    pub transactions: usize,
    pub reverted: usize,
    /// Gas of every replayed transaction, as recorded and as replayed (they are equal).
    pub gas_used: u64,
    pub paid_in_wei: U256,
    pub paid_out_wei: U256,
}

impl fmt::Display for Verified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} signed readings and {} signed results recover to their signers; {} windows \
             are f of their deciding sets and hash to the contract's h_w; {} transactions \
             ({} reverted) replay with the recorded outcome and gas ({} gas in all); paid in \
             {} wei, paid out {} wei, nothing left in the contract",
            self.readings,
            self.results,
            self.windows,
            self.transactions,
            self.reverted,
            self.gas_used,
            self.paid_in_wei,
            self.paid_out_wei
        )
    }
}

fn problem(file: &str, line: Option<usize>, message: impl Into<String>) -> Problem {
    Problem {
        file: file.into(),
        line,
        message: message.into(),
    }
}

/// The non-empty lines of a JSON-lines file, each parsed, with its line number.
fn json_lines(dir: &FsPath, file: &str) -> Result<Vec<(usize, serde_json::Value)>, Problem> {
    let text = std::fs::read_to_string(dir.join(file))
        .map_err(|e| problem(file, None, format!("cannot read it: {e}")))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l)
                .map(|v| (i + 1, v))
                .map_err(|e| problem(file, Some(i + 1), format!("not JSON: {e}")))
        })
        .collect()
}

/// Checks the domain, the digest and the signature of one exported object.
fn check_signed<T>(
    p: &typed_data::Parsed<T>,
    domain: &Domain,
    protocol_digest: B256,
) -> Result<(), String> {
    if (p.chain_id, p.contract) != (domain.chain_id, domain.contract) {
        return Err(format!(
            "signed for chain {} contract {}, but the run is chain {} contract {}",
            p.chain_id, p.contract, domain.chain_id, domain.contract
        ));
    }
    if p.digest != protocol_digest {
        return Err(format!(
            "the typed data hashes to {}, the protocol's digest is {protocol_digest}",
            p.digest
        ));
    }
    let recovered = recover_secp256k1(&p.digest, &p.signature)
        .map_err(|e| format!("the signature does not recover: {e}"))?;
    if recovered != p.signer {
        return Err(format!(
            "the signature recovers to {recovered}, not to the stated signer {}",
            p.signer
        ));
    }
    Ok(())
}

/// Verifies the directory `dir`.
pub fn verify_dir(dir: &FsPath) -> Result<Verified, Problem> {
    let m = "manifest.json";
    let text = std::fs::read_to_string(dir.join(m))
        .map_err(|e| problem(m, None, format!("cannot read it: {e}")))?;
    let manifest: Manifest = serde_json::from_str(&text)
        .map_err(|e| problem(m, None, format!("not a manifest: {e}")))?;
    if manifest.format != FORMAT {
        return Err(problem(
            m,
            None,
            format!("format {:?}, expected {FORMAT:?}", manifest.format),
        ));
    }
    let params = &manifest.params;
    params
        .validate()
        .map_err(|e| problem(m, None, format!("invalid parameters: {e}")))?;
    let domain = Domain::of(params);
    let mut out = Verified::default();

    // 1. Signatures.
    let f = "readings.jsonl";
    let mut readings: BTreeMap<B256, (usize, SignedReading)> = BTreeMap::new();
    for (line, v) in json_lines(dir, f)? {
        let at = |msg: String| problem(f, Some(line), msg);
        let p = typed_data::parse_reading(&v).map_err(at)?;
        check_signed(&p, &domain, domain.reading_digest(&p.message)).map_err(at)?;
        if p.signer != p.message.meter {
            return Err(at(format!(
                "signed by {}, not by the reading's meter {}",
                p.signer, p.message.meter
            )));
        }
        let meter = params
            .meter_index(&p.signer)
            .ok_or_else(|| at(format!("meter {} is not registered", p.signer)))?;
        let sr = SignedReading {
            reading: p.message,
            signature: p.signature,
        };
        if readings.insert(p.digest, (meter, sr)).is_some() {
            return Err(at(format!("reading {} appears twice", p.digest)));
        }
    }
    out.readings = readings.len();

    let f = "results.jsonl";
    let mut signed_results: BTreeMap<B256, usize> = BTreeMap::new();
    for (line, v) in json_lines(dir, f)? {
        let at = |msg: String| problem(f, Some(line), msg);
        let p = typed_data::parse_result(&v).map_err(at)?;
        check_signed(&p, &domain, domain.result_digest(&p.message)).map_err(at)?;
        if params.node_index(&p.signer).is_none() {
            return Err(at(format!("{} is not a registered node", p.signer)));
        }
        *signed_results.entry(p.digest).or_default() += 1;
        out.results += 1;
    }

    // 2. Windows.
    let f = "windows.jsonl";
    let mut prev = params.genesis_hash();
    for (i, (line, v)) in json_lines(dir, f)?.into_iter().enumerate() {
        let at = |msg: String| problem(f, Some(line), msg);
        let w: FinalRecord =
            serde_json::from_value(v).map_err(|e| at(format!("not a window record: {e}")))?;
        if w.window as usize != i {
            return Err(at(format!("window {} where window {i} was due", w.window)));
        }
        if w.prev_hash != prev {
            return Err(at(format!(
                "prevHash {} is not the previous window's hash {prev}",
                w.prev_hash
            )));
        }
        let mut set = Deciding::new(w.window, params.prosumers());
        for d in &w.deciding {
            let (meter, sr) = readings
                .get(d)
                .ok_or_else(|| at(format!("deciding reading {d} is not in readings.jsonl")))?;
            if params.window_of_slot(sr.reading.slot) != Some(w.window) {
                return Err(at(format!(
                    "deciding reading {d} is of slot {}, outside window {}",
                    sr.reading.slot, w.window
                )));
            }
            set.add(*meter, *sr);
        }
        if set.len() != w.deciding.len() {
            return Err(at(format!(
                "the deciding set lists {} readings, but only {} of them decide (§5.2)",
                w.deciding.len(),
                set.len()
            )));
        }
        let (produced, consumed) = set.totals();
        if (&produced, &consumed) != (&w.produced, &w.consumed) {
            return Err(at(format!(
                "totals {:?} / {:?} are not f of the deciding set, which gives {produced:?} / {consumed:?}",
                w.produced, w.consumed
            )));
        }
        let root = match w.path {
            Path::Dispute => B256::ZERO,
            Path::FastPath | Path::Partial => set.root(),
        };
        if w.readings_root != root {
            return Err(at(format!(
                "readings root {} is not {root}, the root of the deciding set",
                w.readings_root
            )));
        }
        let result = WindowResult {
            window: w.window,
            prev_hash: prev,
            produced,
            consumed,
            readings_root: root,
        };
        let digest = domain.result_digest(&result);
        if digest != w.hash {
            return Err(at(format!(
                "the result rebuilt from the deciding set hashes to {digest}, the contract recorded {}",
                w.hash
            )));
        }
        if w.path != Path::Dispute && !signed_results.contains_key(&digest) {
            return Err(at(format!(
                "no node's signature on result {digest} is in results.jsonl"
            )));
        }
        prev = w.hash;
        out.windows += 1;
    }
    if out.windows != params.windows as usize {
        return Err(problem(
            f,
            None,
            format!(
                "{} of the contract's {} windows are final",
                out.windows, params.windows
            ),
        ));
    }

    // 3. Transactions, replayed; 4. conservation.
    let f = "transactions.jsonl";
    let mut lines = Vec::new();
    let mut txs = Vec::new();
    for (line, v) in json_lines(dir, f)? {
        let tx: TxRecord = serde_json::from_value(v)
            .map_err(|e| problem(f, Some(line), format!("not a transaction record: {e}")))?;
        lines.push(line);
        txs.push(tx);
    }
    let r = replay(manifest.hardfork, params, &txs)
        .map_err(|(i, msg)| problem(f, i.map(|i| lines[i]), msg))?;
    out.transactions = r.transactions;
    out.reverted = r.reverted;
    out.gas_used = r.gas_used;
    out.paid_in_wei = r.paid_in_wei;
    out.paid_out_wei = r.paid_out_wei;
    Ok(out)
}

/// What replaying a transaction log found (all of it as recorded).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Replayed {
    pub transactions: usize,
    pub reverted: usize,
    pub gas_used: u64,
    pub paid_in_wei: U256,
    pub paid_out_wei: U256,
}

/// Replays a transaction log on a fresh revm at `hardfork` with the parameters' chain id:
/// the first transaction must deploy the contract the parameters name, and every one must
/// succeed or revert as recorded, with the recorded gas and ether paid out; at the end what
/// was paid in must have been paid out (INV-FUNDS-001). An error names the transaction's
/// index (none for a problem of the whole log).
pub fn replay(
    hardfork: crate::evm::Hardfork,
    params: &crate::protocol::params::Params,
    txs: &[TxRecord],
) -> Result<Replayed, (Option<usize>, String)> {
    let mut evm = Evm::on_chain(hardfork, params.chain_id);
    let mut contract: Option<Address> = None;
    let mut out = Replayed::default();
    for (i, tx) in txs.iter().enumerate() {
        let at = |msg: String| (Some(i), msg);
        evm.set_block(tx.block_number, tx.timestamp);
        if evm.balance(tx.from) < tx.value {
            let missing = tx.value - evm.balance(tx.from);
            evm.fund(tx.from, missing);
        }
        let before = contract.map_or(U256::ZERO, |c| evm.balance(c));
        let receipt = match (tx.to, contract) {
            (None, None) if !tx.value.is_zero() => {
                return Err(at(
                    "the deployment sends ether; the contract takes none at construction".into(),
                ))
            }
            (None, None) => {
                let r = evm
                    .deploy(tx.from, tx.calldata.to_vec())
                    .map_err(|e| at(e.to_string()))?;
                if r.created != Some(params.contract) {
                    return Err(at(format!(
                        "the deployment creates {:?}, the parameters name {}",
                        r.created, params.contract
                    )));
                }
                contract = r.created;
                r
            }
            (None, Some(_)) => return Err(at("a second deployment".into())),
            (Some(_), None) => return Err(at("a call before the contract's deployment".into())),
            (Some(to), Some(c)) if to != c => {
                return Err(at(format!("a call to {to}, not to the contract {c}")))
            }
            (Some(to), Some(_)) => evm
                .call(tx.from, to, tx.value, tx.calldata.to_vec())
                .map_err(|e| at(e.to_string()))?,
        };
        let after = contract.map_or(U256::ZERO, |c| evm.balance(c));
        let paid_in = if receipt.success {
            tx.value
        } else {
            U256::ZERO
        };
        let value_out = (before + paid_in).saturating_sub(after);
        if (receipt.success, receipt.gas_used, value_out) != (tx.success, tx.gas_used, tx.value_out)
        {
            return Err(at(format!(
                "{} replays as success {} with {} gas paying out {value_out} wei; recorded: success {} with {} gas paying out {} wei",
                tx.function, receipt.success, receipt.gas_used, tx.success, tx.gas_used, tx.value_out
            )));
        }
        out.transactions += 1;
        out.reverted += usize::from(!tx.success);
        out.gas_used += tx.gas_used;
        out.paid_in_wei += paid_in;
        out.paid_out_wei += value_out;
    }
    let Some(c) = contract else {
        return Err((None, "no deployment".into()));
    };
    let left = evm.balance(c);
    if out.paid_in_wei != out.paid_out_wei || !left.is_zero() {
        return Err((
            None,
            format!(
                "conservation (INV-FUNDS-001): paid in {} wei, paid out {} wei, {left} wei left in the contract",
                out.paid_in_wei, out.paid_out_wei
            ),
        ));
    }
    Ok(out)
}
