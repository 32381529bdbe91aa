//! A node's view of the chain: the reference contract, fed every transaction the chain
//! accepted, in chain order, at its block's timestamp. The node learns of transactions only
//! from the contract's logs (`eth_getLogs`: every accepted call emits at least one event,
//! except the earlier chunks of a fraud proof longer than 32 readings; a proof holds at most
//! two readings a meter, so the devnet's N ≤ 8 never chunks, and a chunk seen without its
//! predecessors is an error that says so),
//! reads each one's calldata back (`eth_getTransactionByHash`), and checks that the
//! reference contract emits exactly the events the chain logged; then it asks the chain's
//! views (`eth_call`) for the phase, the next window, the slashed nodes, the last hash, the
//! pending result and the ether held, which must be the replica's. A difference is fatal:
//! the node would otherwise act on a state the chain does not have.

use alloy::primitives::{Address, B256};
use alloy::rpc::types::Log;
use diversity::evm::solidity::{decode_calldata, decode_event, DecodedCall, Observed};
use diversity::protocol::contract::{Call, Contract, Event, Tx};
use diversity::protocol::crypto::{Secp256k1, Signature65};
use diversity::protocol::params::Params;
use diversity::protocol::reading_set::Deciding;
use diversity::protocol::types::SignedReading;

use super::rpc::Rpc;

/// What the chain's views say: phase, next window, slashed bitmap, last hash, pending hash,
/// ether held.
type Views = (
    diversity::protocol::contract::Phase,
    u32,
    u64,
    B256,
    Option<B256>,
    alloy::primitives::U256,
);

/// One transaction the replica applied.
#[derive(Clone, Debug)]
pub struct Applied {
    pub hash: B256,
    pub timestamp: u64,
    pub call: Call,
    /// The window that was next when it ran (for per-window receipts).
    pub window: u32,
    pub events: Vec<Event>,
    /// For a `finalizeDispute`: the evidence it finalised (the deciding set of the outcome).
    pub evidence: Option<Deciding>,
}

pub struct Replica {
    pub chain: Contract<Secp256k1>,
    contract: Address,
    next_block: u64,
    /// Fraud-proof chunks seen so far, by sender and claim signature.
    chunks: Vec<(Address, Signature65, Vec<SignedReading>)>,
    /// Every transaction applied, in order.
    pub applied: Vec<Applied>,
}

impl Replica {
    pub fn new(params: &Params) -> Result<Self, String> {
        Ok(Self {
            chain: Contract::open(params.clone(), Secp256k1::cached())
                .map_err(|e| format!("the parameters do not open a contract: {e}"))?,
            contract: params.contract,
            next_block: 0,
            chunks: Vec::new(),
            applied: Vec::new(),
        })
    }

    /// Applies every transaction mined since the last sync. Returns how many.
    pub fn sync(&mut self, rpc: &Rpc) -> Result<usize, String> {
        let latest = rpc.block_number()?;
        if latest < self.next_block {
            return Ok(0);
        }
        let logs = rpc.logs(self.contract, self.next_block, latest)?;
        self.next_block = latest + 1;
        // Group the logs by transaction, in chain order.
        let mut txs: Vec<(B256, u64, Vec<Log>)> = Vec::new();
        for log in logs {
            let hash = log
                .transaction_hash
                .ok_or("a log without a transaction hash")?;
            let block = log.block_number.ok_or("a log without a block number")?;
            match txs.last_mut() {
                Some((h, _, v)) if *h == hash => v.push(log),
                _ => txs.push((hash, block, vec![log])),
            }
        }
        let count = txs.len();
        for (hash, block, logs) in txs {
            self.apply(rpc, hash, block, &logs)?;
        }
        Ok(count)
    }

    /// Asks the chain's own views (`eth_call`) what the replica believes: the phase, the
    /// next window, the slashed nodes, the last final hash, the pending result and the ether
    /// held. Call it right after [`Replica::sync`]; a difference is an error naming it.
    pub fn check_views(&mut self, rpc: &Rpc) -> Result<(), String> {
        // Other nodes' transactions are mined meanwhile: the views are read at the block the
        // replica has applied up to, and taken only if no block was mined while reading them.
        // A view can also see a transaction that is being mined and whose block is not yet
        // the head; so a difference counts only if it persists.
        let mut last = Err("the chain kept moving while its views were read".to_string());
        for _ in 0..50 {
            self.sync(rpc)?;
            let Some(block) = self.next_block.checked_sub(1) else {
                return Ok(());
            };
            let seen = self.views_at(rpc, block)?;
            if rpc.block_number()? == block {
                last = self.compare(seen, block);
                if last.is_ok() {
                    return last;
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        last
    }

    fn views_at(&self, rpc: &Rpc, block: u64) -> Result<Views, String> {
        use alloy_sol_types::SolCall;
        use diversity::evm::abi::IDiversity as sol;
        fn view<C: SolCall>(rpc: &Rpc, to: Address, block: u64, c: C) -> Result<C::Return, String> {
            let out = rpc.call_at(to, c.abi_encode(), block)?;
            C::abi_decode_returns(&out).map_err(|e| format!("{}: {e}", C::SIGNATURE))
        }
        let to = self.contract;
        let status = view(rpc, to, block, sol::statusCall {})?;
        let pending = view(rpc, to, block, sol::pendingHashCall {})?;
        let held = view(rpc, to, block, sol::heldCall {})?;
        let last_hash = view(rpc, to, block, sol::lastHashCall {})?;
        Ok((
            diversity::evm::solidity::phase(status.phase)?,
            status.nextWindow,
            status.slashed,
            last_hash,
            (!pending.is_zero()).then_some(pending),
            held,
        ))
    }

    fn compare(&self, chain: Views, block: u64) -> Result<(), String> {
        let c = &self.chain;
        let slashed: u64 = (0..c.params().prosumers())
            .filter(|j| c.is_slashed(*j))
            .map(|j| 1u64 << j)
            .sum();
        let replica = (
            c.phase(),
            c.next_window(),
            slashed,
            c.last_hash(),
            c.pending().map(|p| p.hash),
            alloy::primitives::U256::from(c.held()),
        );
        if chain != replica {
            return Err(format!(
                "at block {block} the chain's views say (phase, next window, slashed, last hash, pending, held) = {chain:?}, the replica {replica:?}"
            ));
        }
        Ok(())
    }

    fn apply(&mut self, rpc: &Rpc, hash: B256, block: u64, logs: &[Log]) -> Result<(), String> {
        let (from, _, value, input) = rpc.transaction(hash)?;
        let timestamp = match logs.first().and_then(|l| l.block_timestamp) {
            Some(t) => t,
            None => rpc.block_timestamp(Some(block))?,
        };
        let value: u128 = value
            .try_into()
            .map_err(|_| format!("{hash}: a value above 2^128 wei"))?;
        let tx = match decode_calldata(&input).map_err(|e| format!("{hash}: {e}"))? {
            DecodedCall::Tx(tx) => tx,
            DecodedCall::FinalizePending(r) => Tx::FinalizePending { window: r.window },
            DecodedCall::FraudProofChunk {
                claim,
                readings,
                offset,
                total,
            } => {
                let at = self
                    .chunks
                    .iter()
                    .position(|(f, s, _)| (*f, *s) == (from, claim.signature));
                let mut all = match (offset, at) {
                    (0, Some(i)) => {
                        self.chunks.remove(i);
                        Vec::new()
                    }
                    (0, None) => Vec::new(),
                    (_, Some(i)) if self.chunks[i].2.len() as u32 == offset => {
                        self.chunks.remove(i).2
                    }
                    (_, Some(_)) => {
                        return Err(format!(
                            "{hash}: a fraud-proof chunk at offset {offset} out of order"
                        ))
                    }
                    (_, None) => {
                        return Err(format!(
                            "{hash}: a fraud-proof chunk at offset {offset} with no earlier chunk"
                        ))
                    }
                };
                all.extend(readings);
                if (all.len() as u32) < total {
                    self.chunks.push((from, claim.signature, all));
                    return Ok(());
                }
                Tx::ReportInconsistency {
                    claim,
                    readings: all,
                }
            }
        };
        let call = Call { from, value, tx };
        let window = self.chain.next_window();
        let evidence = match call.tx {
            Tx::FinalizeDispute { .. } => self.chain.dispute().map(|d| d.evidence.clone()),
            _ => None,
        };
        let events = self.chain.execute(&call, timestamp).map_err(|e| {
            format!(
                "{hash} ({}): the chain accepted it, the reference contract refuses it: {e}",
                call.tx.name()
            )
        })?;
        let want: Vec<Observed> = logs
            .iter()
            .map(|l| decode_event(&l.inner).map_err(|e| format!("{hash}: {e}")))
            .collect::<Result<_, _>>()?;
        let got: Vec<Observed> = events.iter().map(Observed::from).collect();
        if want != got {
            return Err(format!(
                "{hash} ({}): the chain logged {want:?}, the reference contract emits {got:?}",
                call.tx.name()
            ));
        }
        self.applied.push(Applied {
            hash,
            timestamp,
            call,
            window,
            events,
            evidence,
        });
        Ok(())
    }
}
