//! A blocking facade over alloy's JSON-RPC provider: what the devnet's coordinator and node
//! processes ask of the chain. Every call has a timeout, so an unreachable or stuck endpoint
//! is an error that names it, never a hang.

use std::time::{Duration, Instant};

use alloy::network::{EthereumWallet, TransactionBuilder};
use alloy::primitives::{Address, Bytes, B256, U256};
use alloy::providers::ext::AnvilApi;
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::anvil::MineOptions;
use alloy::rpc::types::{BlockNumberOrTag, Filter, Log, TransactionRequest};
use alloy::signers::local::PrivateKeySigner;
use diversity::evm::solidity::decode_revert;
use diversity::protocol::crypto::SecretKey;

/// How long any one JSON-RPC request may take.
const TIMEOUT: Duration = Duration::from_secs(30);

/// A connection to one JSON-RPC endpoint, with a runtime to drive it.
pub struct Rpc {
    rt: tokio::runtime::Runtime,
    url: reqwest_url::Url,
    provider: DynProvider,
    pub chain_id: u64,
}

/// `alloy`'s re-export of the URL type its HTTP transport takes.
mod reqwest_url {
    pub use alloy::transports::http::reqwest::Url;
}

/// One mined transaction, as its receipt tells.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Mined {
    pub hash: B256,
    pub from: Address,
    pub block_number: u64,
    pub transaction_index: u64,
    pub gas_used: u64,
    pub effective_gas_price: u128,
    pub success: bool,
}

impl Mined {
    /// What the sender paid for gas, in wei.
    pub fn fee_wei(&self) -> u128 {
        self.gas_used as u128 * self.effective_gas_price
    }
}

/// Why a transaction was not mined.
#[derive(Debug)]
pub enum SendError {
    /// The contract refused it (found by gas estimation, so it was never sent): its error.
    Refused(String),
    /// The endpoint failed or timed out.
    Rpc(String),
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Refused(e) => write!(f, "refused by the contract: {e}"),
            SendError::Rpc(e) => write!(f, "JSON-RPC: {e}"),
        }
    }
}

fn rpc_err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

impl Rpc {
    /// Connects to `url` and asks its chain id: an unreachable endpoint is an error.
    pub fn connect(url: &str) -> Result<Self, String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(rpc_err)?;
        let parsed: reqwest_url::Url = url.parse().map_err(|e| format!("{url}: {e}"))?;
        let provider = ProviderBuilder::new().connect_http(parsed.clone()).erased();
        let mut rpc = Self {
            rt,
            url: parsed,
            provider,
            chain_id: 0,
        };
        let p = rpc.provider.clone();
        rpc.chain_id = rpc
            .run(async move { p.get_chain_id().await })
            .map_err(|e| format!("{url} does not answer eth_chainId: {e}"))?;
        Ok(rpc)
    }

    fn run<T, E: std::fmt::Display>(
        &self,
        f: impl std::future::Future<Output = Result<T, E>>,
    ) -> Result<T, String> {
        self.rt.block_on(async {
            match tokio::time::timeout(TIMEOUT, f).await {
                Ok(r) => r.map_err(rpc_err),
                Err(_) => Err(format!("no answer within {} s", TIMEOUT.as_secs())),
            }
        })
    }

    pub fn block_number(&self) -> Result<u64, String> {
        let p = self.provider.clone();
        self.run(async move { p.get_block_number().await })
    }

    /// The timestamp of block `n` (or of the latest block).
    pub fn block_timestamp(&self, n: Option<u64>) -> Result<u64, String> {
        let p = self.provider.clone();
        let tag = n.map_or(BlockNumberOrTag::Latest, BlockNumberOrTag::Number);
        let block = self.run(async move { p.get_block_by_number(tag).await })?;
        block
            .map(|b| b.header.timestamp)
            .ok_or_else(|| format!("no block {tag}"))
    }

    pub fn balance(&self, who: Address) -> Result<U256, String> {
        let p = self.provider.clone();
        self.run(async move { p.get_balance(who).await })
    }

    /// The contract's logs in blocks `from..=to`, in chain order.
    pub fn logs(&self, contract: Address, from: u64, to: u64) -> Result<Vec<Log>, String> {
        let p = self.provider.clone();
        let filter = Filter::new()
            .address(contract)
            .from_block(from)
            .to_block(to);
        self.run(async move { p.get_logs(&filter).await })
    }

    /// A mined transaction's sender, target, value and calldata.
    pub fn transaction(
        &self,
        hash: B256,
    ) -> Result<(Address, Option<Address>, U256, Bytes), String> {
        let p = self.provider.clone();
        let tx = self
            .run(async move { p.get_transaction_by_hash(hash).await })?
            .ok_or_else(|| format!("no transaction {hash}"))?;
        use alloy::consensus::Transaction as _;
        Ok((tx.inner.signer(), tx.to(), tx.value(), tx.input().clone()))
    }

    /// A mined transaction's receipt.
    pub fn receipt(&self, hash: B256) -> Result<Mined, String> {
        let p = self.provider.clone();
        let r = self
            .run(async move { p.get_transaction_receipt(hash).await })?
            .ok_or_else(|| format!("no receipt for {hash}"))?;
        Ok(Mined {
            hash,
            from: r.from,
            block_number: r.block_number.unwrap_or_default(),
            transaction_index: r.transaction_index.unwrap_or_default(),
            gas_used: r.gas_used,
            effective_gas_price: r.effective_gas_price,
            success: r.status(),
        })
    }

    /// `eth_call` of a view at block `block` (so that several views read one state).
    pub fn call_at(&self, to: Address, data: Vec<u8>, block: u64) -> Result<Bytes, String> {
        let p = self.provider.clone();
        let tx = TransactionRequest::default().with_to(to).with_input(data);
        self.run(async move { p.call(tx).block(block.into()).await })
    }

    // ---- anvil's own methods: the devnet's clock and faucet ----

    pub fn set_balance(&self, who: Address, wei: U256) -> Result<(), String> {
        let p = self.provider.clone();
        self.run(async move { p.anvil_set_balance(who, wei).await })
    }

    /// Mines one block at exactly `timestamp`; later blocks follow from there.
    pub fn mine_at(&self, timestamp: u64) -> Result<(), String> {
        let p = self.provider.clone();
        self.run(async move {
            p.evm_mine(Some(MineOptions::Timestamp(Some(timestamp))))
                .await
        })
        .map(|_| ())
    }

    /// A sender that signs with `key`.
    pub fn wallet(&self, key: &SecretKey) -> Result<Wallet<'_>, String> {
        let signer = PrivateKeySigner::from_bytes(&B256::from(key.to_bytes())).map_err(rpc_err)?;
        let address = signer.address();
        let provider = ProviderBuilder::new()
            .wallet(EthereumWallet::from(signer))
            .connect_http(self.url.clone())
            .erased();
        Ok(Wallet {
            rpc: self,
            provider,
            address,
        })
    }
}

/// Sends EIP-1559 transactions signed by one key: nonce, gas and fees filled by alloy.
pub struct Wallet<'a> {
    rpc: &'a Rpc,
    provider: DynProvider,
    pub address: Address,
}

impl Wallet<'_> {
    /// Estimates, sends and waits for one transaction. A call the contract would revert is
    /// not sent: gas estimation finds it, and its error is decoded by name.
    pub fn send(
        &self,
        to: Option<Address>,
        value: U256,
        data: Vec<u8>,
    ) -> Result<Mined, SendError> {
        let mut tx = TransactionRequest::default()
            .with_from(self.address)
            .with_value(value)
            .with_input(data);
        match to {
            Some(to) => tx = tx.with_to(to),
            None => tx = tx.into_create(),
        }
        let p = self.provider.clone();
        let est = tx.clone();
        let estimate = self.rpc.rt.block_on(async move {
            tokio::time::timeout(TIMEOUT, async move { p.estimate_gas(est).await }).await
        });
        let gas = match estimate {
            Err(_) => return Err(SendError::Rpc("gas estimation timed out".into())),
            Ok(Err(e)) => {
                // A revert is the contract's refusal, named by its error; anything else
                // (the endpoint, funds, nonces) is a failure of the run.
                return Err(match e.as_error_resp().and_then(|p| p.as_revert_data()) {
                    Some(d) => SendError::Refused(match decode_revert(&d) {
                        Ok(err) => format!("{err:?}"),
                        Err(raw) => raw,
                    }),
                    None => SendError::Rpc(format!("gas estimation: {e}")),
                });
            }
            Ok(Ok(g)) => g,
        };
        // Headroom over the estimate, as wallets add: the estimate is exact for the state
        // it ran on, and the used gas is what the receipt reports either way.
        let tx = tx.with_gas_limit(gas + gas / 5);
        let p = self.provider.clone();
        let hash = self
            .rpc
            .run(async move {
                p.send_transaction(tx)
                    .await
                    .map(|pending| *pending.tx_hash())
            })
            .map_err(SendError::Rpc)?;
        // anvil mines each transaction as it arrives: poll for the receipt, not for blocks.
        let waited = Instant::now();
        loop {
            let p = self.provider.clone();
            let r = self
                .rpc
                .run(async move { p.get_transaction_receipt(hash).await })
                .map_err(SendError::Rpc)?;
            if r.is_some() {
                return self.rpc.receipt(hash).map_err(SendError::Rpc);
            }
            if waited.elapsed() > TIMEOUT {
                return Err(SendError::Rpc(format!(
                    "{hash} not mined within {} s",
                    TIMEOUT.as_secs()
                )));
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}
