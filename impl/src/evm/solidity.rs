//! The Solidity DIVERSITY contract on revm, driven through the reference contract's own
//! [`Call`]s, and the projection that lets the two be compared (spec §7, §7.9).
//!
//! > The reference contract is `Contract` in `impl/src/protocol/contract.rs`; an on-chain
//! > implementation MUST accept and refuse exactly the same calls with the same effects.
//!
//! Where the EVM forces another shape (§7.9) this adapter bridges it: `finalizePending`
//! is sent the pending result it remembers from `submitWindow`, and a `reportInconsistency`
//! is split into chunks of at most `MAX_FRAUD_PROOF_CHUNK` readings.

use alloy_primitives::{Address, Bytes, Log, B256, U256};
use alloy_sol_types::{SolCall, SolEventInterface, SolInterface, SolValue};

use super::abi::IDiversity as sol;
use super::{artifacts, Evm, Hardfork, InvalidTx, Receipt, CHAIN_ID};
use crate::protocol::bonds::Loser;
use crate::protocol::contract::{Call, ContractError, Event, Path, Phase, SlashReason, Tx};
use crate::protocol::crypto::{Signature65, SignatureError};
use crate::protocol::params::{Params, ParamsError};
use crate::protocol::reading_set::ReadingError;
use crate::protocol::types::{SignedReading, SignedResult, WindowResult};

/// Most readings one chunk of an on-chain fraud proof carries (the contract's
/// `MAX_FRAUD_PROOF_CHUNK`).
pub const MAX_FRAUD_PROOF_CHUNK: usize = 32;

/// What both contracts emit, in a form both can produce: the reference contract's events
/// with the settlement reduced to its dust (balances are compared separately).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Observed {
    Deposited {
        prosumer: usize,
        amount: u128,
    },
    Bonded {
        node: usize,
        amount: u128,
    },
    Activated,
    Aborted,
    WindowPending {
        window: u32,
        hash: B256,
        until: u64,
    },
    WindowFinalized {
        window: u32,
        hash: B256,
        path: Path,
        dust: u128,
    },
    DisputeOpened {
        window: u32,
        by: Address,
        deadline: u64,
        challenged: Option<B256>,
    },
    BondsSettled {
        window: u32,
        loser: Loser,
        reimbursed: u128,
        pooled: u128,
    },
    EvidenceAdded {
        window: u32,
        improved: u32,
        ignored: u32,
    },
    Slashed {
        node: usize,
        reporter: Address,
        reason: SlashReason,
        reward: u128,
    },
    Closed,
    Withdrawn {
        to: Address,
        amount: u128,
    },
}

impl From<&Event> for Observed {
    fn from(e: &Event) -> Self {
        match e {
            Event::Deposited { prosumer, amount } => Observed::Deposited {
                prosumer: *prosumer,
                amount: *amount,
            },
            Event::Bonded { node, amount } => Observed::Bonded {
                node: *node,
                amount: *amount,
            },
            Event::Activated => Observed::Activated,
            Event::Aborted => Observed::Aborted,
            Event::WindowPending {
                window,
                hash,
                until,
            } => Observed::WindowPending {
                window: *window,
                hash: *hash,
                until: *until,
            },
            Event::WindowFinalized {
                window,
                hash,
                path,
                settlement,
            } => Observed::WindowFinalized {
                window: *window,
                hash: *hash,
                path: *path,
                dust: settlement.dust,
            },
            Event::DisputeOpened {
                window,
                by,
                deadline,
                challenged,
            } => Observed::DisputeOpened {
                window: *window,
                by: *by,
                deadline: *deadline,
                challenged: *challenged,
            },
            Event::BondsSettled {
                window,
                loser,
                reimbursed,
                pooled,
            } => Observed::BondsSettled {
                window: *window,
                loser: *loser,
                reimbursed: *reimbursed,
                pooled: *pooled,
            },
            Event::EvidenceAdded {
                window,
                improved,
                ignored,
            } => Observed::EvidenceAdded {
                window: *window,
                improved: *improved,
                ignored: *ignored,
            },
            Event::Slashed {
                node,
                reporter,
                reason,
                reward,
            } => Observed::Slashed {
                node: *node,
                reporter: *reporter,
                reason: *reason,
                reward: *reward,
            },
            Event::Closed => Observed::Closed,
            Event::Withdrawn { to, amount } => Observed::Withdrawn {
                to: *to,
                amount: *amount,
            },
        }
    }
}

/// Why the Solidity contract refused a call.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EvmError {
    /// One of the reference contract's errors, decoded from the revert data.
    #[error("{0}")]
    Contract(ContractError),
    /// The constructor refused the parameters, as `Params::validate` does (§3).
    #[error("{0}")]
    Params(ParamsError),
    /// An error of the EVM's own shape (§7.9) or an undecodable revert or halt.
    #[error("{0}")]
    Other(String),
}

/// One transaction the adapter sent, with its receipt (for gas reports and for the
/// transaction log that `diversity simulate --export` writes).
#[derive(Clone, Debug)]
pub struct Sent {
    pub function: &'static str,
    /// Who sent it (who paid its gas).
    pub from: Address,
    /// The contract called; `None` for the deployment.
    pub to: Option<Address>,
    /// Ether sent with it, in wei.
    pub value: U256,
    /// The calldata (for the deployment: the init code and constructor arguments).
    pub input: Bytes,
    /// The block it was executed in and that block's timestamp.
    pub block: u64,
    pub timestamp: u64,
    /// Ether the contract paid out during it, in wei (its balance before, plus `value`,
    /// less its balance after).
    pub value_out: U256,
    pub receipt: Receipt,
}

/// The deployed Solidity contract.
pub struct SolidityContract {
    evm: Evm,
    address: Address,
    params: Params,
    /// The result waiting out its challenge period, as `finalizePending` needs it again.
    pending: Option<WindowResult>,
    /// Every transaction sent so far, in order.
    pub sent: Vec<Sent>,
}

/// The account that deploys every contract; its first creation lands at [`contract_address`].
pub const DEPLOYER: Address = Address::new([0xde; 20]);

/// Where the contract will be deployed: `Params::contract` must say so, because the EIP-712
/// domain binds signatures to the contract's address.
pub fn contract_address() -> Address {
    DEPLOYER.create(0)
}

impl SolidityContract {
    /// Deploys the contract for `params` (whose `contract` and `chain_id` must be
    /// [`contract_address`] and [`CHAIN_ID`]) on a fresh EVM.
    pub fn deploy(hardfork: Hardfork, params: &Params) -> Result<Self, EvmError> {
        let mut evm = Evm::new(hardfork);
        if params.contract != contract_address() || params.chain_id != CHAIN_ID {
            return Err(EvmError::Other(format!(
                "params must name contract {} on chain {CHAIN_ID}",
                contract_address()
            )));
        }
        let mut init = artifacts::bytecode(hardfork, "Diversity");
        init.extend((to_sol_params(params),).abi_encode_params());
        let r = evm.deploy(DEPLOYER, init.clone()).map_err(invalid)?;
        if !r.success {
            return Err(match decode_params_error(&r.output) {
                Some(e) => EvmError::Params(e),
                None => decode_failure(&r),
            });
        }
        let (block, timestamp) = (evm.block_number(), evm.timestamp());
        let address = r.created.expect("a successful creation has an address");
        assert_eq!(address, contract_address());
        Ok(Self {
            evm,
            address,
            params: params.clone(),
            pending: None,
            sent: vec![Sent {
                function: "constructor",
                from: DEPLOYER,
                to: None,
                value: U256::ZERO,
                input: init.into(),
                block,
                timestamp,
                value_out: U256::ZERO,
                receipt: r,
            }],
        })
    }

    pub fn address(&self) -> Address {
        self.address
    }

    /// The ether the contract's account holds: `held`, plus anything forced in.
    pub fn ether(&self) -> u128 {
        self.evm.balance(self.address).to::<u128>()
    }

    pub fn evm(&mut self) -> &mut Evm {
        &mut self.evm
    }

    /// Executes one reference-contract call at time `now`.
    pub fn execute(&mut self, call: &Call, now: u64) -> Result<Vec<Observed>, EvmError> {
        self.evm.set_time(now);
        let value = U256::from(call.value);
        if self.evm.balance(call.from) < value {
            let missing = value - self.evm.balance(call.from);
            self.evm.fund(call.from, missing);
        }
        let mut observed = Vec::new();
        for (name, data) in calldata(&call.tx, self.pending.as_ref()) {
            observed.extend(self.send(name, call.from, value, data)?);
        }
        match &call.tx {
            Tx::SubmitWindow { result, .. }
                if observed
                    .iter()
                    .any(|e| matches!(e, Observed::WindowPending { .. })) =>
            {
                self.pending = Some(result.clone())
            }
            _ => {}
        }
        if observed.iter().any(|e| {
            matches!(
                e,
                Observed::WindowFinalized { .. }
                    | Observed::DisputeOpened {
                        challenged: Some(_),
                        ..
                    }
            )
        }) {
            self.pending = None;
        }
        Ok(observed)
    }

    fn send(
        &mut self,
        function: &'static str,
        from: Address,
        value: U256,
        data: Vec<u8>,
    ) -> Result<Vec<Observed>, EvmError> {
        let before = self.evm.balance(self.address);
        let input = Bytes::from(data.clone());
        let r = self
            .evm
            .call(from, self.address, value, data)
            .map_err(invalid)?;
        let paid = if r.success { value } else { U256::ZERO };
        let value_out = (before + paid).saturating_sub(self.evm.balance(self.address));
        let result = if r.success {
            r.logs.iter().map(decode_event).collect()
        } else {
            Err(decode_failure(&r))
        };
        self.sent.push(Sent {
            function,
            from,
            to: Some(self.address),
            value,
            input,
            block: self.evm.block_number(),
            timestamp: self.evm.timestamp(),
            value_out,
            receipt: r,
        });
        result
    }

    fn view<C: SolCall>(&mut self, call: C) -> C::Return {
        let r = self
            .evm
            .view(self.address, call.abi_encode())
            .expect("a view call is a valid transaction");
        assert!(r.success, "view {} failed: {:?}", C::SIGNATURE, r.output);
        C::abi_decode_returns(&r.output).expect("view returns decode")
    }

    /// The contract's observable state, in the reference contract's terms.
    pub fn state(&mut self, addresses: &[Address]) -> ChainState {
        let n = self.params.prosumers();
        let status = self.view(sol::statusCall {});
        let bits = |b: u64| (0..n).map(|i| b & (1 << i) != 0).collect::<Vec<_>>();
        ChainState {
            phase: phase(status.phase).expect("the contract reports a defined phase"),
            deposited: bits(status.deposited),
            bonded: bits(status.bonded),
            next_window: status.nextWindow,
            last_final_at: self.view(sol::lastFinalAtCall {}),
            pending: {
                let h = self.view(sol::pendingHashCall {});
                (!h.is_zero()).then(|| (h, self.view(sol::pendingUntilCall {})))
            },
            dispute: {
                let d = self.view(sol::disputeCall {});
                d.open.then(|| OpenDispute {
                    window: d.window,
                    deadline: d.deadline,
                    challenger: (d.challenger as usize).checked_sub(1),
                    asserter: (d.asserter as usize).checked_sub(1),
                    challenged: (!d.challenged.is_zero()).then_some(d.challenged),
                    evidence: (0..n)
                        .map(|m| {
                            let e = self.view(sol::evidenceOfCall {
                                window: d.window,
                                meter: U256::from(m),
                            });
                            e.present.then_some((e.slot, e.produced, e.consumed))
                        })
                        .collect(),
                })
            },
            slashed: bits(status.slashed),
            last_hash: self.view(sol::lastHashCall {}),
            balances: (0..n)
                .map(|i| self.view(sol::balancesCall { i: U256::from(i) }))
                .collect(),
            bonds: (0..n)
                .map(|i| self.view(sol::bondsCall { i: U256::from(i) }))
                .collect(),
            dust: self.view(sol::dustCall {}),
            slash_pool: self.view(sol::slashPoolCall {}),
            entitlements: addresses
                .iter()
                .map(|a| {
                    let e = self.view(sol::entitlementCall { who: *a });
                    (*a, e.to::<u128>())
                })
                .collect(),
            held: self.view(sol::heldCall {}).to::<u128>(),
            accounts: self.view(sol::accountsTotalCall {}).to::<u128>(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenDispute {
    pub window: u32,
    pub deadline: u64,
    /// The challenging node and the node that bonded the challenged result (§7.10); an
    /// escape has neither.
    pub challenger: Option<usize>,
    pub asserter: Option<usize>,
    pub challenged: Option<B256>,
    /// Per meter, the stored `(slot, produced, consumed)` of the evidence (spec §7.9).
    pub evidence: Vec<Option<(u64, u64, u64)>>,
}

/// The part of a contract's state both implementations expose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainState {
    pub phase: Phase,
    pub deposited: Vec<bool>,
    pub bonded: Vec<bool>,
    pub next_window: u32,
    pub last_final_at: u64,
    /// The pending result's hash and the end of its challenge period.
    pub pending: Option<(B256, u64)>,
    /// The open dispute: window, deadline, opener, challenged hash, and the totals of its
    /// evidence so far, f(evidence).
    pub dispute: Option<OpenDispute>,
    pub slashed: Vec<bool>,
    pub last_hash: B256,
    pub balances: Vec<u128>,
    pub bonds: Vec<u128>,
    pub dust: u128,
    pub slash_pool: u128,
    /// What each address may withdraw (now or after close): owed plus rewards.
    pub entitlements: Vec<(Address, u128)>,
    /// Wei paid in and not yet paid out (the contract's own counter).
    pub held: u128,
    /// The sum of every account it keeps (INV-FUNDS-001: equal to `held`).
    pub accounts: u128,
}

impl ChainState {
    /// The same view of the reference contract.
    pub fn of_reference<R: crate::protocol::crypto::Recover>(
        c: &crate::protocol::contract::Contract<R>,
        addresses: &[Address],
    ) -> Self {
        let accounts = c.balances().iter().sum::<u128>()
            + c.bonds().iter().sum::<u128>()
            + c.dust()
            + c.slash_pool()
            + c.rewards().values().sum::<u128>()
            + c.owed().values().sum::<u128>()
            + c.locked_bonds();
        ChainState {
            phase: c.phase(),
            deposited: c.deposited().to_vec(),
            bonded: c.bonded().to_vec(),
            next_window: c.next_window(),
            last_final_at: c.last_final_at().unwrap_or(0),
            pending: c.pending().map(|p| (p.hash, p.until)),
            dispute: c.dispute().map(|d| OpenDispute {
                window: d.window,
                deadline: d.deadline,
                challenger: d.challenged.as_ref().map(|c| c.challenger),
                asserter: d.challenged.as_ref().and_then(|c| c.asserter),
                challenged: d.challenged_hash(),
                evidence: (0..c.params().prosumers())
                    .map(|m| d.evidence.state(m))
                    .collect(),
            }),
            slashed: c.slashed().to_vec(),
            last_hash: c.last_hash(),
            balances: c.balances().to_vec(),
            bonds: c.bonds().to_vec(),
            dust: c.dust(),
            slash_pool: c.slash_pool(),
            entitlements: addresses
                .iter()
                .map(|a| {
                    let owed = c.owed().get(a).copied().unwrap_or(0);
                    let reward = c.rewards().get(a).copied().unwrap_or(0);
                    (*a, owed + reward)
                })
                .collect(),
            held: c.held(),
            accounts,
        }
    }
}

fn invalid(e: InvalidTx) -> EvmError {
    EvmError::Other(e.to_string())
}

// ---- Rust → ABI ----

/// The calldata of a reference-contract call on the Solidity contract, with the function's
/// name: one transaction, or one per chunk of a fraud proof longer than
/// [`MAX_FRAUD_PROOF_CHUNK`]. Only a result's hash is on chain, so `finalizePending` sends the
/// `pending` result again (or a stand-in that makes the contract name the reference
/// contract's refusal). One encoding for the revm harness and the devnet's nodes.
pub fn calldata(tx: &Tx, pending: Option<&WindowResult>) -> Vec<(&'static str, Vec<u8>)> {
    // The function's name is the transaction's own (`Tx::name`, one definition).
    let one = |data: Vec<u8>| vec![(tx.name(), data)];
    match tx {
        Tx::Deposit => one(sol::depositCall {}.abi_encode()),
        Tx::PostBond => one(sol::postBondCall {}.abi_encode()),
        Tx::Abort => one(sol::abortCall {}.abi_encode()),
        Tx::SubmitWindow { result, signatures } => one(sol::submitWindowCall {
            result: to_sol_result(result),
            signatures: signatures.iter().map(to_sol_sig).collect(),
        }
        .abi_encode()),
        Tx::FinalizePending { window } => {
            let result = pending.cloned().unwrap_or_else(|| WindowResult {
                window: *window,
                prev_hash: B256::ZERO,
                produced: vec![],
                consumed: vec![],
                readings_root: B256::ZERO,
            });
            let mut result = to_sol_result(&result);
            result.window = *window;
            one(sol::finalizePendingCall { result }.abi_encode())
        }
        Tx::OpenDispute { window } => one(sol::openDisputeCall { window: *window }.abi_encode()),
        Tx::AddEvidence { window, readings } => one(sol::addEvidenceCall {
            window: *window,
            readings: readings.iter().map(to_sol_reading).collect(),
        }
        .abi_encode()),
        Tx::FinalizeDispute { window } => {
            one(sol::finalizeDisputeCall { window: *window }.abi_encode())
        }
        Tx::ReportEquivocation { first, second } => one(sol::reportEquivocationCall {
            first: to_sol_signed_result(first),
            second: to_sol_signed_result(second),
        }
        .abi_encode()),
        Tx::ReportInconsistency { claim, readings } => {
            let chunks: Vec<&[SignedReading]> = if readings.is_empty() {
                vec![&[]]
            } else {
                readings.chunks(MAX_FRAUD_PROOF_CHUNK).collect()
            };
            // A total beyond 32 bits is refused by the contract as `EvidenceSize`, as by the
            // reference contract; saturate rather than wrap.
            let total = u32::try_from(readings.len()).unwrap_or(u32::MAX);
            chunks
                .iter()
                .enumerate()
                .map(|(k, chunk)| {
                    let data = sol::reportInconsistencyCall {
                        claim: to_sol_signed_result(claim),
                        readings: chunk.iter().map(to_sol_reading).collect(),
                        offset: (k * MAX_FRAUD_PROOF_CHUNK) as u32,
                        total,
                    }
                    .abi_encode();
                    (tx.name(), data)
                })
                .collect()
        }
        Tx::Close => one(sol::closeCall {}.abi_encode()),
        Tx::Withdraw => one(sol::withdrawCall {}.abi_encode()),
    }
}

/// A transaction's calldata read back in the reference contract's terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodedCall {
    Tx(Tx),
    /// One chunk of a fraud proof: the reference contract's `ReportInconsistency` is the
    /// chunks' readings together, once `offset + readings.len() == total`.
    FraudProofChunk {
        claim: SignedResult,
        readings: Vec<SignedReading>,
        offset: u32,
        total: u32,
    },
    /// `finalizePending` with the result it carries.
    FinalizePending(WindowResult),
}

/// Decodes the calldata of a call to the DIVERSITY contract (the inverse of [`calldata`]).
pub fn decode_calldata(data: &[u8]) -> Result<DecodedCall, String> {
    use sol::IDiversityCalls as C;
    let call = C::abi_decode(data).map_err(|e| format!("not a DIVERSITY call: {e}"))?;
    let tx = match call {
        C::deposit(_) => Tx::Deposit,
        C::postBond(_) => Tx::PostBond,
        C::abort(_) => Tx::Abort,
        C::submitWindow(c) => Tx::SubmitWindow {
            result: from_sol_result(&c.result),
            signatures: c.signatures.iter().map(from_sol_sig).collect(),
        },
        C::finalizePending(c) => {
            return Ok(DecodedCall::FinalizePending(from_sol_result(&c.result)))
        }
        C::openDispute(c) => Tx::OpenDispute { window: c.window },
        C::addEvidence(c) => Tx::AddEvidence {
            window: c.window,
            readings: c.readings.iter().map(from_sol_reading).collect(),
        },
        C::finalizeDispute(c) => Tx::FinalizeDispute { window: c.window },
        C::reportEquivocation(c) => Tx::ReportEquivocation {
            first: from_sol_signed_result(&c.first),
            second: from_sol_signed_result(&c.second),
        },
        C::reportInconsistency(c) => {
            return Ok(DecodedCall::FraudProofChunk {
                claim: from_sol_signed_result(&c.claim),
                readings: c.readings.iter().map(from_sol_reading).collect(),
                offset: c.offset,
                total: c.total,
            })
        }
        C::close(_) => Tx::Close,
        C::withdraw(_) => Tx::Withdraw,
        other => return Err(format!("not a state-changing call: {other:?}")),
    };
    Ok(DecodedCall::Tx(tx))
}

pub fn from_sol_sig(s: &sol::Signature) -> Signature65 {
    Signature65::from_parts(s.r, s.s, s.v)
}

pub fn from_sol_result(r: &sol::WindowResult) -> WindowResult {
    WindowResult {
        window: r.window,
        prev_hash: r.prevHash,
        produced: r.produced.clone(),
        consumed: r.consumed.clone(),
        readings_root: r.readingsRoot,
    }
}

pub fn from_sol_signed_result(r: &sol::SignedResult) -> SignedResult {
    SignedResult {
        result: from_sol_result(&r.result),
        signature: from_sol_sig(&r.signature),
    }
}

pub fn from_sol_reading(sr: &sol::SignedReading) -> SignedReading {
    SignedReading {
        reading: crate::protocol::types::Reading {
            meter: sr.meter,
            slot: sr.slot,
            produced_wh: sr.producedWh,
            consumed_wh: sr.consumedWh,
        },
        signature: from_sol_sig(&sr.signature),
    }
}

pub fn to_sol_sig(s: &Signature65) -> sol::Signature {
    sol::Signature {
        r: s.r(),
        s: s.s(),
        v: s.v(),
    }
}

pub fn to_sol_result(r: &WindowResult) -> sol::WindowResult {
    sol::WindowResult {
        window: r.window,
        prevHash: r.prev_hash,
        produced: r.produced.clone(),
        consumed: r.consumed.clone(),
        readingsRoot: r.readings_root,
    }
}

pub fn to_sol_signed_result(r: &SignedResult) -> sol::SignedResult {
    sol::SignedResult {
        result: to_sol_result(&r.result),
        signature: to_sol_sig(&r.signature),
    }
}

pub fn to_sol_reading(sr: &SignedReading) -> sol::SignedReading {
    sol::SignedReading {
        meter: sr.reading.meter,
        slot: sr.reading.slot,
        producedWh: sr.reading.produced_wh,
        consumedWh: sr.reading.consumed_wh,
        signature: to_sol_sig(&sr.signature),
    }
}

pub fn to_sol_params(p: &Params) -> sol::Params {
    sol::Params {
        start: p.start,
        slotSecs: p.slot_secs,
        slotsPerWindow: p.slots_per_window,
        windows: p.windows,
        nodes: p.nodes.clone(),
        meters: p.meters.clone(),
        wallets: p.wallets.clone(),
        deposits: p.deposits.clone(),
        bond: p.bond,
        priceWeiPerWh: p.price_wei_per_wh,
        dustRecipient: p.dust_recipient,
        collectPeriod: p.collect_period,
        signPeriod: p.sign_period,
        challengePeriod: p.challenge_period,
        disputePeriod: p.dispute_period,
        disputeBond: p.dispute_bond,
        gasRateWei: p.gas_rate_wei,
        slashPeriod: p.slash_period,
    }
}

// ---- ABI → Rust ----

/// Decodes one of the contract's logs into the reference contract's terms.
pub fn decode_event(log: &Log) -> Result<Observed, EvmError> {
    use sol::IDiversityEvents as E;
    let e = E::decode_raw_log(log.topics(), &log.data.data)
        .map_err(|e| EvmError::Other(format!("undecodable log: {e}")))?;
    let idx = |v: U256| v.to::<usize>();
    Ok(match e {
        E::Deposited(e) => Observed::Deposited {
            prosumer: idx(e.prosumer),
            amount: e.amount.to(),
        },
        E::Bonded(e) => Observed::Bonded {
            node: idx(e.node),
            amount: e.amount.to(),
        },
        E::Activated(_) => Observed::Activated,
        E::Aborted(_) => Observed::Aborted,
        E::WindowPending(e) => Observed::WindowPending {
            window: e.window,
            hash: e.hash,
            until: e.until,
        },
        E::WindowFinalized(e) => Observed::WindowFinalized {
            window: e.window,
            hash: e.hash,
            path: match e.path {
                sol::Path::FastPath => Path::FastPath,
                sol::Path::Dispute => Path::Dispute,
                sol::Path::Partial => Path::Partial,
                other => return Err(EvmError::Other(format!("path {other:?} is not defined"))),
            },
            dust: e.dust.to(),
        },
        E::DisputeOpened(e) => Observed::DisputeOpened {
            window: e.window,
            by: e.by,
            deadline: e.deadline,
            challenged: (!e.challenged.is_zero()).then_some(e.challenged),
        },
        E::BondsSettled(e) => Observed::BondsSettled {
            window: e.window,
            loser: match e.loser {
                0 => Loser::Challenger,
                1 => Loser::Asserter,
                other => return Err(EvmError::Other(format!("loser {other} is not defined"))),
            },
            reimbursed: e.reimbursed.to(),
            pooled: e.pooled.to(),
        },
        E::EvidenceAdded(e) => Observed::EvidenceAdded {
            window: e.window,
            improved: e.improved,
            ignored: e.ignored,
        },
        E::Slashed(e) => Observed::Slashed {
            node: idx(e.node),
            reporter: e.reporter,
            reason: match e.reason {
                sol::SlashReason::Equivocation => SlashReason::Equivocation,
                sol::SlashReason::Inconsistency => SlashReason::Inconsistency,
                other => {
                    return Err(EvmError::Other(format!(
                        "slash reason {other:?} is not defined"
                    )))
                }
            },
            reward: e.reward.to(),
        },
        E::Closed(_) => Observed::Closed,
        E::Withdrawn(e) => Observed::Withdrawn {
            to: e.to,
            amount: e.amount.to(),
        },
    })
}

// Every mapping below is exact: a value the contract should never produce is reported as
// undecodable, never folded into a neighbouring value.

fn sig_error(reason: u8, v: u8) -> Result<SignatureError, String> {
    Ok(match reason {
        1 => SignatureError::BadV(v),
        2 => SignatureError::HighS,
        3 => SignatureError::OutOfRange,
        4 => SignatureError::NoRecovery,
        other => return Err(format!("signature refusal reason {other} is not defined")),
    })
}

/// The reference contract's phase for the Solidity contract's.
pub fn phase(p: sol::Phase) -> Result<Phase, String> {
    Ok(match p {
        sol::Phase::Funding => Phase::Funding,
        sol::Phase::Active => Phase::Active,
        sol::Phase::Closed => Phase::Closed,
        sol::Phase::Aborted => Phase::Aborted,
        other => return Err(format!("phase {other:?} is not defined")),
    })
}

/// Decodes a failed transaction into the reference contract's error where one corresponds.
pub fn decode_failure(r: &Receipt) -> EvmError {
    if let Some(halt) = &r.halt {
        return EvmError::Other(format!("halted: {halt}"));
    }
    match decode_revert(&r.output) {
        Ok(e) => EvmError::Contract(e),
        Err(other) => EvmError::Other(other),
    }
}

/// Revert data → `ContractError`, or a description of an error with no reference
/// counterpart (`PendingMismatch`, `TransferFailed`, a constructor's `ParamsError`).
pub fn decode_revert(data: &[u8]) -> Result<ContractError, String> {
    use sol::IDiversityErrors as S;
    use ContractError as C;
    let e = S::abi_decode(data).map_err(|e| {
        format!(
            "undecodable revert 0x{}: {e}",
            alloy_primitives::hex::encode(data)
        )
    })?;
    let i = |v: U256| v.to::<usize>();
    let reading = |index: U256, error: ReadingError| C::Reading {
        index: i(index),
        error,
    };
    Ok(match e {
        S::WrongPhase(e) => C::WrongPhase {
            actual: phase(e.actual)?,
        },
        S::NotAWallet(e) => C::NotAWallet(e.who),
        S::NotANode(e) => C::NotANode(e.who),
        S::WrongAmount(e) => C::WrongAmount {
            expected: e.expected.to(),
            got: e.got.to(),
        },
        S::UnexpectedValue(e) => C::UnexpectedValue(e.value.to()),
        S::AlreadyPaid(_) => C::AlreadyPaid,
        S::FundingClosed(e) => C::FundingClosed { start: e.start },
        S::FundingStillOpen(e) => C::FundingStillOpen { start: e.start },
        S::AllWindowsFinal(_) => C::AllWindowsFinal,
        S::WindowNotNext(e) => C::WindowNotNext {
            expected: e.expected,
            got: e.got,
        },
        S::WindowNotEnded(e) => C::WindowNotEnded {
            window: e.window,
            ends_at: e.endsAt,
            now: e.now,
        },
        S::PrevHashMismatch(e) => C::PrevHashMismatch {
            expected: e.expected,
            got: e.got,
        },
        S::MalformedResult(e) => C::MalformedResult(malformed(&e.reason)?),
        S::WrongSignatureCount(e) => C::WrongSignatureCount {
            expected: i(e.expected),
            got: i(e.got),
        },
        S::BadSignature(e) => C::BadSignature {
            index: i(e.index),
            error: sig_error(e.reason, e.v)?,
        },
        S::UnknownSigner(e) => C::UnknownSigner {
            index: i(e.index),
            signer: e.signer,
        },
        S::DuplicateSigner(e) => C::DuplicateSigner(e.signer),
        S::AlreadyPending(e) => C::AlreadyPending { window: e.window },
        S::NoPending(e) => C::NoPending { window: e.window },
        S::ChallengePeriodRunning(e) => C::ChallengePeriodRunning {
            window: e.window,
            until: e.until,
        },
        S::ChallengePeriodOver(e) => C::ChallengePeriodOver {
            window: e.window,
            until: e.until,
        },
        S::SigningPeriodRunning(e) => C::SigningPeriodRunning {
            window: e.window,
            until: e.until,
        },
        S::SlashedSigner(e) => C::SlashedSigner {
            index: e.index.to::<usize>(),
        },
        S::SlashedNode(e) => C::SlashedNode(e.node.to::<usize>()),
        S::NothingToChallenge(e) => C::NothingToChallenge {
            window: e.window,
            escape_at: e.escapeAt,
        },
        S::DisputeAlreadyOpen(e) => C::DisputeAlreadyOpen { window: e.window },
        S::NoDispute(e) => C::NoDispute { window: e.window },
        S::DisputeDeadlinePassed(e) => C::DisputeDeadlinePassed {
            window: e.window,
            deadline: e.deadline,
        },
        S::DisputeStillOpen(e) => C::DisputeStillOpen {
            window: e.window,
            deadline: e.deadline,
        },
        S::EvidenceSize(e) => C::EvidenceSize {
            max: i(e.max),
            got: i(e.got),
        },
        S::ReadingBadSignature(e) => reading(
            e.index,
            ReadingError::BadSignature(sig_error(e.reason, e.v)?),
        ),
        S::ReadingSignerMismatch(e) => reading(
            e.index,
            ReadingError::SignerMismatch {
                claimed: e.claimed,
                recovered: e.recovered,
            },
        ),
        S::ReadingUnregisteredMeter(e) => {
            reading(e.index, ReadingError::UnregisteredMeter(e.meter))
        }
        S::ReadingValueTooLarge(e) => reading(
            e.index,
            ReadingError::ValueTooLarge {
                produced: e.produced,
                consumed: e.consumed,
            },
        ),
        S::ReadingOutsideContract(e) => {
            reading(e.index, ReadingError::OutsideContract { slot: e.slot })
        }
        S::ReadingOutOfWindow(e) => reading(
            e.index,
            ReadingError::OutOfWindow {
                slot: e.slot,
                window: e.window,
            },
        ),
        S::NotEquivocation(_) => C::NotEquivocation,
        S::SignersDiffer(_) => C::SignersDiffer,
        S::SelfReport(_) => C::SelfReport,
        S::AlreadySlashed(e) => C::AlreadySlashed(i(e.node)),
        S::RootMismatch(_) => C::RootMismatch,
        S::NotFraud(_) => C::NotFraud,
        S::NotAllFinal(e) => C::NotAllFinal { next: e.next },
        S::SlashPeriodRunning(e) => C::SlashPeriodRunning { until: e.until },
        S::NothingToWithdraw(e) => C::NothingToWithdraw(e.who),
        other => return Err(format!("{other:?} has no reference counterpart")),
    })
}

/// A constructor's revert → the `ParamsError` that `Params::validate` gives for the same
/// parameters; `None` for any other revert.
pub fn decode_params_error(data: &[u8]) -> Option<ParamsError> {
    use sol::IDiversityErrors as S;
    use ParamsError as P;
    // The names the contract reports are the Rust side's `&'static str`s.
    const NAMES: [&str; 15] = [
        "node",
        "meter",
        "wallet",
        "dust recipient",
        "slot_secs",
        "slots_per_window",
        "windows",
        "dispute_period",
        "slash_period",
        "sign_period",
        "price_wei_per_wh",
        "bond",
        "dispute_bond",
        "gas_rate_wei",
        "deposit",
    ];
    let name = |s: &str| NAMES.into_iter().find(|n| *n == s);
    let small = |v: U256| u128::try_from(v).ok();
    Some(match S::abi_decode(data).ok()? {
        S::NoProsumers(_) => P::NoProsumers,
        S::TooManyProsumers(e) => P::TooManyProsumers(e.n.try_into().ok()?),
        S::LengthMismatch(e) => P::LengthMismatch {
            nodes: e.nodes.try_into().ok()?,
            meters: e.meters.try_into().ok()?,
            wallets: e.wallets.try_into().ok()?,
            deposits: e.deposits.try_into().ok()?,
        },
        S::ZeroAddress(e) => P::ZeroAddress {
            role: name(&e.role)?,
            address: e.who,
        },
        S::DuplicateAddress(e) => P::DuplicateAddress {
            role: name(&e.role)?,
            address: e.who,
        },
        S::ZeroParam(e) => P::Zero(name(&e.name)?),
        S::TooLarge(e) => P::TooLarge {
            name: name(&e.name)?,
            value: small(e.value)?,
            limit: small(e.limit)?,
        },
        S::DisputeTooShort(e) => P::DisputeTooShort {
            dispute: e.dispute,
            collect: e.collect,
        },
        S::TimeOverflow(_) => P::TimeOverflow,
        S::DisputeBondTooSmall(e) => P::DisputeBondTooSmall {
            bond: small(e.bond)?,
            needed: small(e.needed)?,
            gas: e.gas.try_into().ok()?,
        },
        _ => return None,
    })
}

fn malformed(reason: &str) -> Result<&'static str, String> {
    const REASONS: [&str; 2] = [
        "totals must have one entry per prosumer",
        "a total exceeds what one window of readings can reach",
    ];
    REASONS
        .into_iter()
        .find(|r| *r == reason)
        .ok_or_else(|| format!("MalformedResult({reason:?}) has no reference counterpart"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::types::Reading;

    /// One transaction of every kind (`Tx::name` matches on them all, so a new kind without
    /// a name fails to compile; a sample of it belongs here).
    fn one_of_each() -> Vec<Tx> {
        let result = WindowResult {
            window: 0,
            prev_hash: B256::ZERO,
            produced: vec![1],
            consumed: vec![0],
            readings_root: B256::ZERO,
        };
        let signed = SignedResult {
            result: result.clone(),
            signature: Signature65([1; 65]),
        };
        let reading = SignedReading {
            reading: Reading {
                meter: Address::ZERO,
                slot: 0,
                produced_wh: 1,
                consumed_wh: 0,
            },
            signature: Signature65([2; 65]),
        };
        vec![
            Tx::Deposit,
            Tx::PostBond,
            Tx::Abort,
            Tx::SubmitWindow {
                result,
                signatures: vec![Signature65([3; 65])],
            },
            Tx::OpenDispute { window: 0 },
            Tx::AddEvidence {
                window: 0,
                readings: vec![reading],
            },
            Tx::FinalizeDispute { window: 0 },
            Tx::FinalizePending { window: 0 },
            Tx::ReportEquivocation {
                first: signed.clone(),
                second: signed.clone(),
            },
            Tx::ReportInconsistency {
                claim: signed,
                readings: vec![reading; MAX_FRAUD_PROOF_CHUNK + 1],
            },
            Tx::Close,
            Tx::Withdraw,
        ]
    }

    /// Each transaction's calldata calls the Solidity function `Tx::name` names: its selector
    /// is that of the ABI's function of that name.
    #[test]
    fn every_transaction_calls_the_function_its_name_names() {
        let txs = one_of_each();
        let names: std::collections::BTreeSet<&str> = txs.iter().map(Tx::name).collect();
        assert_eq!(names.len(), txs.len(), "every kind, each named apart");
        for tx in &txs {
            let calls = calldata(tx, None);
            assert!(!calls.is_empty());
            for (name, data) in &calls {
                assert_eq!(*name, tx.name());
                let k = sol::IDiversityCalls::SELECTORS
                    .iter()
                    .position(|s| s[..] == data[..4])
                    .unwrap_or_else(|| panic!("{name}: no function has this selector"));
                let signature = sol::IDiversityCalls::SIGNATURES[k];
                assert!(
                    signature.starts_with(&format!("{name}(")),
                    "{name} calls {signature}"
                );
            }
        }
    }
}
