//! Signed readings and window results as `eth_signTypedData_v4` JSON (EIP-712's JSON form):
//! `domain`, `types`, `primaryType` and `message`, plus the `signature` and its `signer`.
//! Any Ethereum tool hashes such an object to the digest the meter or node signed, and
//! recovers the signer from the signature, without this crate.
//!
//! The types are written from the same Solidity struct definitions as `eip712` (spec §4.2,
//! §4.3); a test checks that an independent EIP-712 implementation (`alloy-dyn-abi`'s
//! `TypedData`) hashes every exported object to the digest `eip712::Domain` computes.

use alloy_primitives::{Address, B256};
use serde_json::{json, Value};

use crate::protocol::crypto::Signature65;
use crate::protocol::eip712::{Domain, DOMAIN_NAME, DOMAIN_VERSION};
use crate::protocol::types::{Reading, SignedReading, SignedResult, WindowResult};

fn domain_type() -> Value {
    json!([
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ])
}

fn domain_json(d: &Domain) -> Value {
    json!({
        "name": DOMAIN_NAME,
        "version": DOMAIN_VERSION,
        "chainId": d.chain_id,
        "verifyingContract": d.contract,
    })
}

/// Integers are written as decimal strings, which every EIP-712 implementation accepts and
/// which JSON numbers cannot carry beyond 2^53.
fn dec(v: u64) -> Value {
    Value::String(v.to_string())
}

/// A meter's signed reading as `eth_signTypedData_v4` JSON.
pub fn reading(d: &Domain, sr: &SignedReading, signer: Address) -> Value {
    let r = &sr.reading;
    json!({
        "domain": domain_json(d),
        "types": {
            "EIP712Domain": domain_type(),
            "Reading": [
                {"name": "meter", "type": "address"},
                {"name": "slot", "type": "uint64"},
                {"name": "producedWh", "type": "uint64"},
                {"name": "consumedWh", "type": "uint64"},
            ],
        },
        "primaryType": "Reading",
        "message": {
            "meter": r.meter,
            "slot": dec(r.slot),
            "producedWh": dec(r.produced_wh),
            "consumedWh": dec(r.consumed_wh),
        },
        "signature": sr.signature,
        "signer": signer,
    })
}

/// A node's signed window result as `eth_signTypedData_v4` JSON.
pub fn result(d: &Domain, sr: &SignedResult, signer: Address) -> Value {
    let r = &sr.result;
    json!({
        "domain": domain_json(d),
        "types": {
            "EIP712Domain": domain_type(),
            "WindowResult": [
                {"name": "window", "type": "uint32"},
                {"name": "prevHash", "type": "bytes32"},
                {"name": "produced", "type": "uint64[]"},
                {"name": "consumed", "type": "uint64[]"},
                {"name": "readingsRoot", "type": "bytes32"},
            ],
        },
        "primaryType": "WindowResult",
        "message": {
            "window": r.window,
            "prevHash": r.prev_hash,
            "produced": r.produced.iter().map(|v| dec(*v)).collect::<Vec<_>>(),
            "consumed": r.consumed.iter().map(|v| dec(*v)).collect::<Vec<_>>(),
            "readingsRoot": r.readings_root,
        },
        "signature": sr.signature,
        "signer": signer,
    })
}

/// What one exported typed-data object says, read back by field name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed<T> {
    pub chain_id: u64,
    pub contract: Address,
    pub message: T,
    pub signature: Signature65,
    pub signer: Address,
    /// The EIP-712 digest, computed from the JSON's own `domain`, `types` and `message`
    /// by an EIP-712 implementation that is not this crate's (alloy-dyn-abi).
    pub digest: B256,
}

fn field<'a>(v: &'a Value, path: &[&str]) -> Result<&'a Value, String> {
    let mut at = v;
    for p in path {
        at = at
            .get(p)
            .ok_or_else(|| format!("no field `{}`", path.join(".")))?;
    }
    Ok(at)
}

fn parse_as<T: serde::de::DeserializeOwned>(v: &Value, path: &[&str]) -> Result<T, String> {
    serde_json::from_value(field(v, path)?.clone())
        .map_err(|e| format!("field `{}`: {e}", path.join(".")))
}

fn as_u64(v: &Value) -> Option<u64> {
    match v {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
}

fn uint(v: &Value, path: &[&str]) -> Result<u64, String> {
    let f = field(v, path)?;
    as_u64(f).ok_or_else(|| format!("field `{}` is not a uint64: {f}", path.join(".")))
}

fn uints(v: &Value, path: &[&str]) -> Result<Vec<u64>, String> {
    let name = path.join(".");
    field(v, path)?
        .as_array()
        .ok_or_else(|| format!("field `{name}` is not an array"))?
        .iter()
        .enumerate()
        .map(|(i, x)| as_u64(x).ok_or_else(|| format!("field `{name}.{i}` is not a uint64: {x}")))
        .collect()
}

/// The digest of a typed-data object, by alloy-dyn-abi's EIP-712 implementation.
fn digest_of(v: &Value, primary: &str) -> Result<B256, String> {
    let got: String = parse_as(v, &["primaryType"])?;
    if got != primary {
        return Err(format!("primaryType is {got:?}, expected {primary:?}"));
    }
    let mut typed = v.clone();
    if let Some(o) = typed.as_object_mut() {
        o.remove("signature");
        o.remove("signer");
    }
    let typed: alloy_dyn_abi::TypedData =
        serde_json::from_value(typed).map_err(|e| format!("not EIP-712 typed data: {e}"))?;
    typed
        .eip712_signing_hash()
        .map_err(|e| format!("cannot hash the typed data: {e}"))
}

fn envelope<T>(v: &Value, primary: &str, message: T) -> Result<Parsed<T>, String> {
    let digest = digest_of(v, primary)?;
    let name: String = parse_as(v, &["domain", "name"])?;
    let version: String = parse_as(v, &["domain", "version"])?;
    if name != DOMAIN_NAME || version != DOMAIN_VERSION {
        return Err(format!(
            "domain is {name:?} version {version:?}, not {DOMAIN_NAME:?} version {DOMAIN_VERSION:?}"
        ));
    }
    Ok(Parsed {
        chain_id: uint(v, &["domain", "chainId"])?,
        contract: parse_as(v, &["domain", "verifyingContract"])?,
        message,
        signature: parse_as(v, &["signature"])?,
        signer: parse_as(v, &["signer"])?,
        digest,
    })
}

/// Reads back an exported signed reading.
pub fn parse_reading(v: &Value) -> Result<Parsed<Reading>, String> {
    let m = &["message"];
    let reading = Reading {
        meter: parse_as(v, &[m[0], "meter"])?,
        slot: uint(v, &[m[0], "slot"])?,
        produced_wh: uint(v, &[m[0], "producedWh"])?,
        consumed_wh: uint(v, &[m[0], "consumedWh"])?,
    };
    envelope(v, "Reading", reading)
}

/// Reads back an exported signed window result.
pub fn parse_result(v: &Value) -> Result<Parsed<WindowResult>, String> {
    let result = WindowResult {
        window: u32::try_from(uint(v, &["message", "window"])?)
            .map_err(|_| "field `message.window` is not a uint32".to_string())?,
        prev_hash: parse_as(v, &["message", "prevHash"])?,
        produced: uints(v, &["message", "produced"])?,
        consumed: uints(v, &["message", "consumed"])?,
        readings_root: parse_as(v, &["message", "readingsRoot"])?,
    };
    envelope(v, "WindowResult", result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::crypto::SecretKey;
    use crate::protocol::eip712::{sign_reading, sign_result};

    fn domain() -> Domain {
        Domain::new(31_337, Address::repeat_byte(0x42))
    }

    /// An independent EIP-712 implementation hashes the exported JSON to our digest, and
    /// reading it back gives the object that was signed.
    #[test]
    fn exported_typed_data_hashes_to_the_signed_digest() {
        let d = domain();
        let meter = SecretKey::from_label("typed-data/meter");
        let r = Reading {
            meter: meter.address(),
            slot: 7,
            produced_wh: 1_234,
            consumed_wh: u64::MAX / 3,
        };
        let sr = sign_reading(&meter, &d, r);
        let json = reading(&d, &sr, meter.address());
        let back = parse_reading(&json).unwrap();
        assert_eq!(back.digest, d.reading_digest(&r));
        assert_eq!(back.message, r);
        assert_eq!(back.signature, sr.signature);
        assert_eq!((back.chain_id, back.contract), (d.chain_id, d.contract));

        let node = SecretKey::from_label("typed-data/node");
        let w = WindowResult {
            window: 3,
            prev_hash: B256::repeat_byte(1),
            produced: vec![1, 2, 3],
            consumed: vec![4, 5, 6],
            readings_root: B256::repeat_byte(2),
        };
        let signed = SignedResult {
            signature: sign_result(&node, &d, &w),
            result: w.clone(),
        };
        let json = result(&d, &signed, node.address());
        let back = parse_result(&json).unwrap();
        assert_eq!(back.digest, d.result_digest(&w));
        assert_eq!(back.message, w);
    }

    /// A changed message hashes to another digest; a wrong primary type or a missing
    /// field is named.
    #[test]
    fn tampered_typed_data_is_caught_or_named() {
        let d = domain();
        let meter = SecretKey::from_label("typed-data/meter");
        let r = Reading {
            meter: meter.address(),
            slot: 7,
            produced_wh: 1,
            consumed_wh: 2,
        };
        let sr = sign_reading(&meter, &d, r);
        let mut json = reading(&d, &sr, meter.address());
        json["message"]["producedWh"] = json!("2");
        assert_ne!(parse_reading(&json).unwrap().digest, d.reading_digest(&r));
        json["primaryType"] = json!("WindowResult");
        assert!(parse_reading(&json).unwrap_err().contains("primaryType"));
        let mut json = reading(&d, &sr, meter.address());
        json["message"].as_object_mut().unwrap().remove("slot");
        assert!(parse_reading(&json).unwrap_err().contains("message.slot"));
    }
}
