//! The compiled contracts, committed in `impl/contracts/artifacts/` so that building the
//! crate needs no Solidity compiler. `npm run check` (in CI) proves they are what the pinned
//! solc makes of `impl/contracts/src/`.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Deserialize;

use super::Hardfork;

#[derive(Debug, Deserialize)]
pub struct Artifact {
    pub source: String,
    pub bytecode: String,
    #[serde(rename = "deployedSize")]
    pub deployed_size: usize,
    pub abi: serde_json::Value,
}

#[derive(Debug, Deserialize)]
pub struct Build {
    pub solc: String,
    #[serde(rename = "evmVersion")]
    pub evm_version: String,
    pub optimizer: serde_json::Value,
    pub contracts: BTreeMap<String, Artifact>,
}

macro_rules! artifact_text {
    ($name:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/contracts/artifacts/",
            $name,
            ".json"
        ))
    };
}

fn text(h: Hardfork) -> &'static str {
    match h {
        Hardfork::London => artifact_text!("london"),
        Hardfork::Shanghai => artifact_text!("shanghai"),
        Hardfork::Cancun => artifact_text!("cancun"),
        Hardfork::Prague => artifact_text!("prague"),
        Hardfork::Osaka => artifact_text!("osaka"),
    }
}

static BUILDS: LazyLock<BTreeMap<Hardfork, Build>> = LazyLock::new(|| {
    Hardfork::ALL
        .into_iter()
        .map(|h| {
            let build: Build = serde_json::from_str(text(h))
                .unwrap_or_else(|e| panic!("artifacts/{h}.json is not a valid build: {e}"));
            assert_eq!(build.evm_version, h.name(), "artifacts/{h}.json");
            (h, build)
        })
        .collect()
});

/// The build for one hardfork.
pub fn build(h: Hardfork) -> &'static Build {
    &BUILDS[&h]
}

/// The creation bytecode of a contract compiled for a hardfork.
pub fn bytecode(h: Hardfork, contract: &str) -> Vec<u8> {
    let a = build(h)
        .contracts
        .get(contract)
        .unwrap_or_else(|| panic!("no contract {contract} in artifacts/{h}.json"));
    alloy_primitives::hex::decode(a.bytecode.trim_start_matches("0x"))
        .expect("artifact bytecode is hex")
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::keccak256;

    /// Every selector of every compiled contract's ABI is declared in `abi.rs`, so a change
    /// to a Solidity signature that is not mirrored in Rust fails here.
    #[test]
    fn abi_declarations_match_the_compiled_contracts() {
        let mut declared: Vec<String> = Vec::new();
        for sig in super::super::abi::IDiversity::IDiversityErrors::SIGNATURES {
            declared.push(format!("error {sig}"));
        }
        for sig in super::super::abi::IDiversity::IDiversityEvents::SIGNATURES {
            declared.push(format!("event {sig}"));
        }
        for sig in super::super::abi::IDiversity::IDiversityCalls::SIGNATURES {
            declared.push(format!("function {sig}"));
        }
        let build = build(Hardfork::Prague);
        let abi = &build.contracts["Diversity"].abi;
        let mut compiled = Vec::new();
        for item in abi.as_array().expect("abi is a list") {
            let kind = item["type"].as_str().unwrap();
            if !matches!(kind, "function" | "error" | "event") {
                continue;
            }
            let name = item["name"].as_str().unwrap();
            let types: Vec<String> = item["inputs"]
                .as_array()
                .unwrap()
                .iter()
                .map(canonical_type)
                .collect();
            compiled.push((kind.to_string(), format!("{name}({})", types.join(","))));
        }
        for (kind, sig) in &compiled {
            // Public getters of parameters are not needed from Rust; everything else is.
            let getter = kind == "function"
                && !sig.starts_with("deposit(")
                && (sig.chars().next().unwrap().is_uppercase()
                    || [
                        "nodes(",
                        "meters(",
                        "wallets(",
                        "deposits(",
                        "rewards(",
                        "owed(",
                        "pending",
                        "lastFinalAt(",
                        "totalOwed(",
                        "totalRewards(",
                        "dispute(",
                        "windowEnd(",
                    ]
                    .iter()
                    .any(|p| sig.starts_with(p)));
            if getter {
                continue;
            }
            let want = format!("{kind} {sig}");
            assert!(
                declared.contains(&want),
                "{want} (selector {}) is compiled but not declared in abi.rs",
                keccak256(sig.as_bytes())
            );
        }
        assert!(
            compiled.len() > 60,
            "the ABI lists {} items",
            compiled.len()
        );
    }

    fn canonical_type(input: &serde_json::Value) -> String {
        let ty = input["type"].as_str().unwrap();
        if let Some(rest) = ty.strip_prefix("tuple") {
            let inner: Vec<String> = input["components"]
                .as_array()
                .unwrap()
                .iter()
                .map(canonical_type)
                .collect();
            format!("({}){rest}", inner.join(","))
        } else {
            ty.to_string()
        }
    }

    #[test]
    fn every_hardfork_has_every_contract() {
        for h in Hardfork::ALL {
            let b = build(h);
            assert!(b.solc.starts_with("0.8.37"), "{}", b.solc);
            for name in [
                "Diversity",
                "RdaStore",
                "RdaEvent",
                "SatStore",
                "SatEvent",
                "SaStore",
                "SaEvent",
                "ReentrantWallet",
                "RefusingWallet",
            ] {
                assert!(!bytecode(h, name).is_empty(), "{name} for {h}");
                // EIP-170: deployed code of at most 24,576 bytes.
                assert!(b.contracts[name].deployed_size <= 24_576, "{name} for {h}");
            }
        }
    }
}
