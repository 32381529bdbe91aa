//! Differential tests: the Solidity contract on revm against the reference contract
//! (spec §7: "an on-chain implementation MUST accept and refuse exactly the same calls with
//! the same effects").
//!
//! Random sequences of operations, good and bad, are turned into [`Call`]s against the
//! reference contract's current state and sent to both contracts. After every call both
//! must agree on acceptance, on the error (decoded from the revert data), on the events, and
//! on the observable state: phase, next window, last hash, every balance, bond and
//! entitlement, the dust, the slash pool and the ether held (INV-FUNDS-001 on both sides:
//! the contract's ether equals the sum of its accounts). Signatures are made by the
//! implementation's meter and node code and must be accepted by the EVM's `ecrecover`.

use diversity::evm::solidity::{
    contract_address, ChainState, EvmError, Observed, SolidityContract,
};
use diversity::evm::{Hardfork, CHAIN_ID};
use diversity::protocol::contract::{Call, Contract, Tx};
use diversity::protocol::crypto::{Secp256k1, SecretKey, Signature65};
use diversity::protocol::eip712::{chain_root, leaf, sign_reading, sign_result, Domain};
use diversity::protocol::params::Params;
use diversity::protocol::reading_set::ReadingSet;
use diversity::protocol::types::{Reading, SignedReading, SignedResult, WindowResult};
use diversity::{Address, B256};
use std::cell::RefCell;
use std::collections::BTreeMap;

use diversity::protocol::contract::ContractError;
use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use proptest::test_runner::{Config, FileFailurePersistence, RngSeed};

const N: usize = 3;
const W: u64 = 4;
const K: u32 = 2;
const SLOT: u64 = 900;
const START: u64 = 10_000;

struct Grid {
    meters: Vec<SecretKey>,
    nodes: Vec<SecretKey>,
    params: Params,
    domain: Domain,
    /// Every honest reading, by slot then meter.
    readings: Vec<Vec<SignedReading>>,
    reporter: Address,
    stranger: Address,
}

fn grid(challenge: u64) -> Grid {
    let meters: Vec<SecretKey> = (0..N)
        .map(|i| SecretKey::from_label(&format!("diff/meter/{i}")))
        .collect();
    let nodes: Vec<SecretKey> = (0..N)
        .map(|i| SecretKey::from_label(&format!("diff/node/{i}")))
        .collect();
    let params = Params {
        chain_id: CHAIN_ID,
        contract: contract_address(),
        start: START,
        slot_secs: SLOT,
        slots_per_window: W,
        windows: K,
        nodes: nodes.iter().map(|k| k.address()).collect(),
        meters: meters.iter().map(|k| k.address()).collect(),
        wallets: (0..N)
            .map(|i| Address::repeat_byte(0x10 + i as u8))
            .collect(),
        deposits: vec![1_000_000, 1_000_000, 50],
        // Above a report's reimbursement, so a slash splits the bond (§7.7).
        bond: 1_000_001,
        price_wei_per_wh: 10,
        dust_recipient: Address::repeat_byte(0xd0),
        collect_period: 100,
        sign_period: 100,
        challenge_period: challenge,
        dispute_period: 1_000,
        slash_period: 5_000,
        dispute_bond: 2_000_000,
        gas_rate_wei: 1,
    };
    let domain = Domain::of(&params);
    // Meters 0 and 2 produce, meter 1 consumes: every window trades, two sellers share the
    // pool pro rata and the shares round (dust). The values are window-to-date registers
    // (spec §4.2): non-decreasing within a window.
    let readings = (0..K as u64 * W)
        .map(|slot| {
            (0..N)
                .map(|m| {
                    let (p, c) = match m {
                        0 => (70 + slot, 3),
                        1 => (0, 20 + slot),
                        _ => (5 + 2 * slot, 2),
                    };
                    sign_reading(
                        &meters[m],
                        &domain,
                        Reading {
                            meter: meters[m].address(),
                            slot,
                            produced_wh: p,
                            consumed_wh: c,
                        },
                    )
                })
                .collect()
        })
        .collect();
    Grid {
        meters,
        nodes,
        params,
        domain,
        readings,
        reporter: Address::repeat_byte(0xee),
        stranger: Address::repeat_byte(0x77),
    }
}

/// Which of several addresses sends a call; taken modulo so shrinking stays valid.
#[derive(Clone, Copy, Debug)]
struct Who(u8);

#[derive(Clone, Copy, Debug)]
enum Amount {
    Exact,
    OneMore,
    Zero,
}

/// How a certificate is built.
#[derive(Clone, Copy, Debug)]
enum Cert {
    Honest,
    /// Every node signs totals that overstate meter 1's consumption.
    UnanimousLie,
    MissingOne,
    /// Every node but the submitter signs totals that overstate meter 0's production: a
    /// partial lie, bonded by the submitter (§7.10).
    PartialLie,
    /// Every node signs, slashed or not.
    EvenSlashed,
    DuplicateSigner,
    Malleated,
    StrangerSigns,
    WrongPrevHash,
    WrongWindow,
    TooFewTotals,
    TotalTooLarge,
    BadV,
}

#[derive(Clone, Copy, Debug)]
enum Evidence {
    /// Honest readings of the next window, a slice chosen by two indices.
    Honest(u8, u8),
    /// Meter 0 equivocates on the window's last slot (less produced, more consumed).
    Equivocation,
    /// Meter 0 equivocates on the window's last slot the other way (changes nothing).
    EquivocationIgnored,
    Forged,
    OutOfWindow,
    HighS,
    Empty,
    TooMany,
    /// A reading signed by a key that is no registered meter's.
    Unregistered,
    /// A reading above what one window's meter can count (§4.2).
    TooLarge,
    /// A reading of a slot past the contract's last window.
    OutsideContract,
}

#[derive(Clone, Copy, Debug)]
enum Proof {
    /// A lying node's claim with its true committed readings: fraud.
    Lie(u8),
    /// An honest claim with its readings: not fraud.
    Honest(u8),
    /// A lying claim with readings that do not chain to its root.
    WrongRoot(u8),
    /// A claim whose readings are out of canonical order: fraud.
    Unordered(u8),
    /// The accused reports itself.
    SelfReport,
    /// No readings and a zero root for a claim with non-zero totals: fraud.
    Empty(u8),
    /// A lie about the last meter, so every reading is checked before the decision.
    LieLast(u8),
    /// Meter 1's readings left out of the set; the claim says zero for it (consistent) or
    /// keeps its totals (fraud, found by the skipped meter's non-zero claim).
    MissingMeter(u8, bool),
    /// Meter 1's readings before meter 0's: out of canonical order, fraud.
    MeterBackwards(u8),
    /// One reading forged inside the committed set: fraud.
    InvalidReading(u8),
    /// A second reading of meter 0's deciding slot with one Wh more produced and consumed
    /// inside the set (a valid deciding pair); the claim counts the greater consumption
    /// (consistent) or not (fraud).
    Equivocating(u8, bool),
    /// An earlier reading of meter 0 inside the set, totals right: not a deciding set, so
    /// fraud (no honest node commits to it).
    NotDeciding(u8),
    /// A second reading of meter 0's deciding slot that decides nothing (more produced, less
    /// consumed): not a deciding set, fraud.
    IdleTwin(u8),
    /// A claim for a window past the last: fraud whatever the readings.
    WindowPastTheEnd(u8),
    /// A claim with one total too few: malformed, fraud.
    ShortTotals(u8),
    /// A lie whose signature is malleated to high s: refused, not fraud.
    Malleated(u8),
    /// A lie signed by a key that is no node's.
    Stranger,
    /// A lie with more readings than any fraud proof needs.
    TooMany(u8),
}

/// Readings in canonical order (meter index, slot, leaf), as an honest set commits them.
fn canonical(params: &Params, mut rs: Vec<SignedReading>) -> Vec<SignedReading> {
    rs.sort_by_key(|r| {
        (
            params.meter_index(&r.reading.meter),
            r.reading.slot,
            leaf(r),
        )
    });
    rs
}

fn root_of(rs: &[SignedReading]) -> B256 {
    rs.iter()
        .fold(B256::ZERO, |root, r| chain_root(root, leaf(r)))
}

#[derive(Clone, Debug)]
enum Op {
    Advance(u16),
    /// Straight to the end of the next window, where the signing period runs.
    ToWindowEnd,
    Deposit(Who, Amount),
    PostBond(Who, Amount),
    Abort,
    Submit(Who, Cert, Amount),
    FinalizePending(i8),
    OpenDispute(Who, i8, Amount),
    AddEvidence(Evidence),
    FinalizeDispute(i8),
    Equivocation(u8, Twin),
    Inconsistency(Proof),
    Close,
    Withdraw(Who),
    /// Ether sent to an entry point that takes none (every one but the four payable ones).
    PayValue(Who, u8),
}

/// The second half of an equivocation report (§7.6).
#[derive(Clone, Copy, Debug)]
enum Twin {
    /// The node signs other totals for the same window: equivocation.
    Differs,
    /// The same result twice: not an equivocation.
    Same,
    /// Other totals signed by the next node: `SignersDiffer`.
    OtherSigner,
    /// Sent by the accused node itself: `SelfReport`.
    FromTheAccused,
    /// A result for the next window: not an equivocation.
    OtherWindow,
    /// The second half signed by a key that is no node's: `UnknownSigner`.
    Stranger,
    /// The second half's signature malleated to high s: `BadSignature`.
    HighS,
}

fn op() -> impl Strategy<Value = Op> {
    let who = any::<u8>().prop_map(Who);
    let amount = prop_oneof![
        8 => Just(Amount::Exact),
        1 => Just(Amount::OneMore),
        1 => Just(Amount::Zero)
    ];
    let cert = prop_oneof![
        12 => Just(Cert::Honest),
        3 => Just(Cert::UnanimousLie),
        4 => Just(Cert::MissingOne),
        3 => Just(Cert::PartialLie),
        1 => Just(Cert::EvenSlashed),
        1 => Just(Cert::DuplicateSigner),
        1 => Just(Cert::Malleated),
        1 => Just(Cert::StrangerSigns),
        1 => Just(Cert::WrongPrevHash),
        1 => Just(Cert::WrongWindow),
        1 => Just(Cert::TooFewTotals),
        1 => Just(Cert::TotalTooLarge),
        1 => Just(Cert::BadV),
    ];
    let evidence = prop_oneof![
        10 => (any::<u8>(), any::<u8>()).prop_map(|(a, b)| Evidence::Honest(a, b)),
        2 => Just(Evidence::Equivocation),
        1 => Just(Evidence::EquivocationIgnored),
        1 => Just(Evidence::Forged),
        1 => Just(Evidence::OutOfWindow),
        1 => Just(Evidence::HighS),
        1 => Just(Evidence::Empty),
        1 => Just(Evidence::TooMany),
        1 => Just(Evidence::Unregistered),
        1 => Just(Evidence::TooLarge),
        1 => Just(Evidence::OutsideContract),
    ];
    let proof = prop_oneof![
        3 => any::<u8>().prop_map(Proof::Lie),
        2 => any::<u8>().prop_map(Proof::Honest),
        1 => any::<u8>().prop_map(Proof::WrongRoot),
        1 => any::<u8>().prop_map(Proof::Unordered),
        1 => Just(Proof::SelfReport),
        1 => any::<u8>().prop_map(Proof::Empty),
        1 => any::<u8>().prop_map(Proof::LieLast),
        1 => (any::<u8>(), any::<bool>()).prop_map(|(n, c)| Proof::MissingMeter(n, c)),
        1 => any::<u8>().prop_map(Proof::MeterBackwards),
        1 => any::<u8>().prop_map(Proof::InvalidReading),
        1 => (any::<u8>(), any::<bool>()).prop_map(|(n, v)| Proof::Equivocating(n, v)),
        1 => any::<u8>().prop_map(Proof::NotDeciding),
        1 => any::<u8>().prop_map(Proof::IdleTwin),
        1 => any::<u8>().prop_map(Proof::WindowPastTheEnd),
        1 => any::<u8>().prop_map(Proof::ShortTotals),
        1 => any::<u8>().prop_map(Proof::Malleated),
        1 => Just(Proof::Stranger),
        1 => any::<u8>().prop_map(Proof::TooMany),
    ];
    let twin = prop_oneof![
        4 => Just(Twin::Differs),
        1 => Just(Twin::Same),
        1 => Just(Twin::OtherSigner),
        1 => Just(Twin::FromTheAccused),
        1 => Just(Twin::OtherWindow),
        1 => Just(Twin::Stranger),
        1 => Just(Twin::HighS),
    ];
    let offset = prop_oneof![6 => Just(0i8), 1 => Just(1i8), 1 => Just(-1i8)];
    prop_oneof![
        16 => (0u16..7).prop_map(Op::Advance),
        2 => Just(Op::ToWindowEnd),
        6 => (who.clone(), amount.clone()).prop_map(|(w, a)| Op::Deposit(w, a)),
        6 => (who.clone(), amount.clone()).prop_map(|(w, a)| Op::PostBond(w, a)),
        1 => Just(Op::Abort),
        8 => (who.clone(), cert, amount.clone()).prop_map(|(w, c, a)| Op::Submit(w, c, a)),
        2 => offset.clone().prop_map(Op::FinalizePending),
        // A challenge with the wrong bond is rare at the others' odds.
        4 => (
            who.clone(),
            offset.clone(),
            prop_oneof![
                3 => Just(Amount::Exact),
                1 => Just(Amount::OneMore),
                1 => Just(Amount::Zero)
            ]
        )
            .prop_map(|(w, o, a)| Op::OpenDispute(w, o, a)),
        6 => evidence.prop_map(Op::AddEvidence),
        3 => offset.prop_map(Op::FinalizeDispute),
        2 => (any::<u8>(), twin).prop_map(|(n, t)| Op::Equivocation(n, t)),
        2 => proof.prop_map(Op::Inconsistency),
        2 => Just(Op::Close),
        6 => who.clone().prop_map(Op::Withdraw),
        2 => (who, any::<u8>()).prop_map(|(w, e)| Op::PayValue(w, e)),
    ]
}

/// Both contracts and the clock.
struct Pair {
    g: Grid,
    reference: Contract<Secp256k1>,
    solidity: SolidityContract,
    now: u64,
    /// How often each call was accepted or refused with each error, for the coverage check.
    outcomes: BTreeMap<String, usize>,
    /// Each Solidity function's reverts by the contract's own error names (`withdraw
    /// UnexpectedValue`), for the check that every revert of the contract is reached.
    reverts: BTreeMap<String, usize>,
    /// Wei forced into the contract's account without a call (no account may claim it).
    forced: u128,
}

impl Pair {
    fn new(challenge: u64, hardfork: Hardfork) -> Self {
        let g = grid(challenge);
        let reference = Contract::open(g.params.clone(), Secp256k1::new()).unwrap();
        let solidity = SolidityContract::deploy(hardfork, &g.params).unwrap();
        let mut p = Self {
            g,
            reference,
            solidity,
            now: START - 3_600,
            outcomes: BTreeMap::new(),
            reverts: BTreeMap::new(),
            forced: 0,
        };
        p.compare_state("after deployment");
        p
    }

    fn addresses(&self) -> Vec<Address> {
        let p = &self.g.params;
        let mut a: Vec<Address> = p.wallets.iter().chain(&p.nodes).copied().collect();
        a.extend([p.dust_recipient, self.g.reporter, self.g.stranger]);
        a
    }

    fn compare_state(&mut self, context: &str) {
        let addresses = self.addresses();
        let want = ChainState::of_reference(&self.reference, &addresses);
        let got = self.solidity.state(&addresses);
        assert_eq!(got, want, "state differs {context}");
        assert_eq!(got.held, got.accounts, "INV-FUNDS-001 on chain {context}");
        assert_eq!(
            self.solidity.ether(),
            got.held + self.forced,
            "ether held {context}"
        );
    }

    /// Sends one call to both contracts and checks they agree. Returns whether it succeeded.
    fn send(&mut self, call: &Call) -> bool {
        let want = self.reference.execute(call, self.now);
        let got = self.solidity.execute(call, self.now);
        let context = format!("at {} for {:?} {}", self.now, call.from, call.tx.name());
        match (&want, &got) {
            (Ok(events), Ok(observed)) => {
                let events: Vec<Observed> = events.iter().map(Observed::from).collect();
                assert_eq!(observed, &events, "events differ {context}");
            }
            (Err(e), Err(EvmError::Contract(g))) => assert_eq!(g, e, "errors differ {context}"),
            _ => panic!("outcomes differ {context}: reference {want:?}, solidity {got:?}"),
        }
        self.compare_state(&context);
        let outcome = match &want {
            Ok(_) => format!("{} ok", call.tx.name()),
            Err(e) => format!("{} {}", call.tx.name(), error_name(e)),
        };
        *self.outcomes.entry(outcome).or_default() += 1;
        if want.is_err() {
            let sent = self.solidity.sent.last().expect("a transaction was sent");
            let name = revert_name(&sent.receipt.output);
            *self
                .reverts
                .entry(format!("{} {name}", sent.function))
                .or_default() += 1;
        }
        want.is_ok()
    }

    /// The honest result of window `w` over every reading, linked to the last final hash,
    /// with its deciding set (what its root commits to, spec §4.4) and every reading.
    fn honest(&self, w: u32) -> (WindowResult, Vec<SignedReading>, Vec<SignedReading>) {
        let mut set = ReadingSet::new(w, N);
        for slot in self.g.params.slot_range(w) {
            if let Some(row) = self.g.readings.get(slot as usize) {
                for (m, r) in row.iter().enumerate() {
                    set.add(m, *r).unwrap();
                }
            }
        }
        let all: Vec<SignedReading> = set.iter().map(|(_, r)| *r).collect();
        let deciding: Vec<SignedReading> =
            set.deciding().readings().map(|(_, k)| k.signed).collect();
        let result = WindowResult {
            window: w,
            prev_hash: self.reference.last_hash(),
            produced: set.produced().to_vec(),
            consumed: set.consumed().to_vec(),
            readings_root: set.root(),
        };
        (result, deciding, all)
    }

    /// Every unslashed node's signature: a certificate (§7.3).
    fn certificate(&self, r: &WindowResult) -> Vec<Signature65> {
        self.g
            .nodes
            .iter()
            .enumerate()
            .rev() // any order is accepted
            .filter(|(j, _)| !self.reference.is_slashed(*j))
            .map(|(_, k)| sign_result(k, &self.g.domain, r))
            .collect()
    }

    fn window(&self, offset: i8) -> u32 {
        (self.reference.next_window() as i64 + offset as i64).max(0) as u32
    }

    fn apply(&mut self, op: &Op) {
        match op {
            Op::Advance(k) => {
                self.now += [1, 100, 900, 1_000, 3_600, 5_000, 10_000][*k as usize % 7];
            }
            Op::ToWindowEnd => {
                let w = self.reference.next_window().min(K - 1);
                self.now = self.now.max(self.g.params.window_end(w));
            }
            op => {
                if let Some(call) = self.call_for(op) {
                    self.send(&call);
                }
            }
        }
    }

    /// The call an operation makes against the reference contract's current state; `None`
    /// for the clock's operations.
    fn call_for(&self, op: &Op) -> Option<Call> {
        let g = &self.g;
        let p = &g.params;
        let call = match op {
            Op::Advance(_) | Op::ToWindowEnd => return None,
            Op::Deposit(w, a) => {
                let i = w.0 as usize % (N + 1);
                let from = p.wallets.get(i).copied().unwrap_or(g.stranger);
                let exact = p.deposits.get(i).copied().unwrap_or(7);
                Call {
                    from,
                    value: amount(exact, *a),
                    tx: Tx::Deposit,
                }
            }
            Op::PostBond(w, a) => {
                let i = w.0 as usize % (N + 1);
                let from = p.nodes.get(i).copied().unwrap_or(g.stranger);
                Call {
                    from,
                    value: amount(p.bond, *a),
                    tx: Tx::PostBond,
                }
            }
            Op::Abort => Call {
                from: g.stranger,
                value: 0,
                tx: Tx::Abort,
            },
            Op::PayValue(w, entry) => {
                // The call another op would make, with ether: refused before anything else.
                let inner = match entry % 8 {
                    0 => Op::Close,
                    1 => Op::Withdraw(*w),
                    2 => Op::Abort,
                    3 => Op::FinalizePending(0),
                    4 => Op::FinalizeDispute(0),
                    5 => Op::AddEvidence(Evidence::Honest(0, 1)),
                    6 => Op::Equivocation(w.0, Twin::Differs),
                    _ => Op::Inconsistency(Proof::Lie(w.0)),
                };
                let mut call = self.call_for(&inner)?;
                call.value = 5;
                call
            }
            Op::Submit(w, cert, a) => {
                // Anyone may submit; a partial result only a node, which bonds it.
                let sender = w.0 as usize % (N + 1);
                let node = sender % N;
                let (mut r, _, _) = self.honest(self.window(0));
                let mut sigs = self.certificate(&r);
                match cert {
                    Cert::Honest => {}
                    Cert::UnanimousLie => {
                        r.consumed[1] += 5;
                        sigs = self.certificate(&r);
                    }
                    Cert::MissingOne => {
                        sigs.pop();
                    }
                    Cert::PartialLie => {
                        r.produced[0] += 7;
                        sigs = (0..N)
                            .filter(|j| *j != node)
                            .map(|j| sign_result(&g.nodes[j], &g.domain, &r))
                            .collect();
                    }
                    Cert::EvenSlashed => {
                        sigs = g
                            .nodes
                            .iter()
                            .map(|k| sign_result(k, &g.domain, &r))
                            .collect();
                    }
                    // With every node slashed there is no signature to alter.
                    _ if sigs.is_empty() => {}
                    Cert::DuplicateSigner if sigs.len() >= 2 => sigs[1] = sigs[0],
                    Cert::DuplicateSigner => sigs.push(sigs[0]),
                    Cert::Malleated => sigs[0] = sigs[0].malleate(),
                    Cert::StrangerSigns => {
                        sigs[0] = sign_result(&g.meters[0], &g.domain, &r);
                    }
                    Cert::WrongPrevHash => {
                        r.prev_hash = B256::repeat_byte(9);
                        sigs = self.certificate(&r);
                    }
                    Cert::WrongWindow => {
                        r.window += 1;
                        sigs = self.certificate(&r);
                    }
                    Cert::TooFewTotals => {
                        r.produced.pop();
                        sigs = self.certificate(&r);
                    }
                    Cert::TotalTooLarge => {
                        r.produced[0] = W * u32::MAX as u64 + 1;
                        sigs = self.certificate(&r);
                    }
                    Cert::BadV => sigs[0].0[64] = 29,
                }
                let tx = Tx::SubmitWindow {
                    result: r,
                    signatures: sigs,
                };
                Call {
                    from: p.nodes.get(sender).copied().unwrap_or(g.stranger),
                    value: amount(self.reference.required_value(&tx), *a),
                    tx,
                }
            }
            Op::FinalizePending(o) => Call {
                from: g.stranger,
                value: 0,
                tx: Tx::FinalizePending {
                    window: self.window(*o),
                },
            },
            Op::OpenDispute(w, o, a) => {
                let i = w.0 as usize % (N + 1);
                let tx = Tx::OpenDispute {
                    window: self.window(*o),
                };
                Call {
                    from: p.nodes.get(i).copied().unwrap_or(g.stranger),
                    value: amount(self.reference.required_value(&tx), *a),
                    tx,
                }
            }
            Op::AddEvidence(e) => {
                let window = self
                    .reference
                    .dispute()
                    .map_or(self.window(0), |d| d.window);
                // Past the last window there are no readings: take the last window's.
                let (_, _, honest) = self.honest(window.min(K - 1));
                let first = p.slot_range(window).start;
                let last = first + W - 1;
                let readings = match e {
                    Evidence::Honest(a, b) => {
                        let (a, b) = (*a as usize % honest.len(), *b as usize % honest.len());
                        honest[a.min(b)..=a.max(b)].to_vec()
                    }
                    Evidence::Equivocation => vec![g.reading(0, last, 1, 100)],
                    Evidence::EquivocationIgnored => vec![g.reading(0, last, 500, 0)],
                    Evidence::Forged => {
                        let mut r = honest[0];
                        r.reading.produced_wh += 1;
                        vec![r]
                    }
                    Evidence::OutOfWindow => vec![g.reading(1, first + W, 0, 5)],
                    Evidence::HighS => {
                        let mut r = honest[1];
                        r.signature = r.signature.malleate();
                        vec![honest[0], r]
                    }
                    Evidence::Empty => vec![],
                    Evidence::TooMany => vec![honest[0]; 33],
                    Evidence::Unregistered => {
                        let key = &g.nodes[0];
                        vec![sign_reading(
                            key,
                            &g.domain,
                            Reading {
                                meter: key.address(),
                                slot: first,
                                produced_wh: 1,
                                consumed_wh: 1,
                            },
                        )]
                    }
                    Evidence::TooLarge => {
                        vec![g.reading(
                            0,
                            last,
                            W * diversity::protocol::params::MAX_READING_WH + 1,
                            0,
                        )]
                    }
                    Evidence::OutsideContract => vec![g.reading(0, K as u64 * W, 1, 1)],
                };
                Call {
                    from: g.stranger,
                    value: 0,
                    tx: Tx::AddEvidence { window, readings },
                }
            }
            Op::FinalizeDispute(o) => Call {
                from: g.stranger,
                value: 0,
                tx: Tx::FinalizeDispute {
                    window: self.dispute_window(*o),
                },
            },
            Op::Equivocation(n, twin) => {
                let node = *n as usize % N;
                let (r, _, _) = self.honest(self.window(0));
                let mut other = r.clone();
                let mut second_signer = &g.nodes[node];
                let mut from = g.reporter;
                match twin {
                    Twin::Differs => other.produced[0] += 1,
                    Twin::Same => {}
                    Twin::OtherSigner => {
                        other.produced[0] += 1;
                        second_signer = &g.nodes[(node + 1) % N];
                    }
                    Twin::FromTheAccused => {
                        other.produced[0] += 1;
                        from = p.nodes[node];
                    }
                    Twin::OtherWindow => other.window += 1,
                    Twin::Stranger => {
                        other.produced[0] += 1;
                        second_signer = &g.meters[0];
                    }
                    Twin::HighS => other.produced[0] += 1,
                }
                let mut second = sign_result(second_signer, &g.domain, &other);
                if matches!(twin, Twin::HighS) {
                    second = second.malleate();
                }
                Call {
                    from,
                    value: 0,
                    tx: Tx::ReportEquivocation {
                        first: SignedResult {
                            signature: sign_result(&g.nodes[node], &g.domain, &r),
                            result: r,
                        },
                        second: SignedResult {
                            signature: second,
                            result: other,
                        },
                    },
                }
            }
            Op::Inconsistency(proof) => {
                let (honest, readings, all) = self.honest(self.window(0).min(K - 1));
                let (node, claim, readings, from) = match proof {
                    Proof::Lie(n) => {
                        let mut lie = honest.clone();
                        lie.produced[0] += 1;
                        (*n as usize % N, lie, readings, g.reporter)
                    }
                    Proof::Honest(n) => (*n as usize % N, honest, readings, g.reporter),
                    Proof::WrongRoot(n) => {
                        let mut lie = honest.clone();
                        lie.produced[0] += 1;
                        (*n as usize % N, lie, readings[1..].to_vec(), g.reporter)
                    }
                    Proof::Unordered(n) => {
                        let mut rs = readings.clone();
                        rs.swap(0, 1);
                        let mut claim = honest.clone();
                        claim.readings_root = rs
                            .iter()
                            .fold(B256::ZERO, |root, r| chain_root(root, leaf(r)));
                        (*n as usize % N, claim, rs, g.reporter)
                    }
                    Proof::SelfReport => {
                        let mut lie = honest.clone();
                        lie.produced[0] += 1;
                        (0, lie, readings, p.nodes[0])
                    }
                    Proof::Empty(n) => {
                        let mut claim = honest.clone();
                        claim.readings_root = B256::ZERO;
                        (*n as usize % N, claim, vec![], g.reporter)
                    }
                    Proof::LieLast(n) => {
                        let mut lie = honest.clone();
                        lie.consumed[N - 1] += 1;
                        (*n as usize % N, lie, readings, g.reporter)
                    }
                    Proof::MissingMeter(n, consistent) => {
                        let m1 = p.meters[1];
                        let rs: Vec<_> = readings
                            .into_iter()
                            .filter(|r| r.reading.meter != m1)
                            .collect();
                        let mut claim = honest.clone();
                        claim.readings_root = root_of(&rs);
                        if *consistent {
                            claim.produced[1] = 0;
                            claim.consumed[1] = 0;
                        }
                        (*n as usize % N, claim, rs, g.reporter)
                    }
                    Proof::MeterBackwards(n) => {
                        let m1 = p.meters[1];
                        let (mut rs, rest): (Vec<_>, Vec<_>) =
                            readings.into_iter().partition(|r| r.reading.meter == m1);
                        rs.extend(rest);
                        let mut claim = honest.clone();
                        claim.readings_root = root_of(&rs);
                        (*n as usize % N, claim, rs, g.reporter)
                    }
                    Proof::InvalidReading(n) => {
                        let mut rs = readings.clone();
                        rs[2].reading.consumed_wh += 1; // the meter's signature no longer fits
                        let mut claim = honest.clone();
                        claim.readings_root = root_of(&rs);
                        (*n as usize % N, claim, rs, g.reporter)
                    }
                    Proof::Equivocating(n, consistent) => {
                        let first = readings[0];
                        let twin = g.reading(
                            0,
                            first.reading.slot,
                            first.reading.produced_wh + 1,
                            first.reading.consumed_wh + 1,
                        );
                        let mut rs = readings.clone();
                        rs.push(twin);
                        let rs = canonical(p, rs);
                        let mut claim = honest.clone();
                        claim.readings_root = root_of(&rs);
                        if *consistent {
                            claim.consumed[0] += 1;
                        }
                        (*n as usize % N, claim, rs, g.reporter)
                    }
                    Proof::NotDeciding(n) => {
                        let mut rs = readings.clone();
                        rs.push(all[0]);
                        let rs = canonical(p, rs);
                        let mut claim = honest.clone();
                        claim.readings_root = root_of(&rs);
                        (*n as usize % N, claim, rs, g.reporter)
                    }
                    Proof::IdleTwin(n) => {
                        let first = readings[0];
                        let twin = g.reading(
                            0,
                            first.reading.slot,
                            first.reading.produced_wh + 1,
                            first.reading.consumed_wh.saturating_sub(1),
                        );
                        let mut rs = readings.clone();
                        rs.push(twin);
                        let rs = canonical(p, rs);
                        let mut claim = honest.clone();
                        claim.readings_root = root_of(&rs);
                        (*n as usize % N, claim, rs, g.reporter)
                    }
                    Proof::WindowPastTheEnd(n) => {
                        let mut claim = honest.clone();
                        claim.window = K;
                        (*n as usize % N, claim, readings, g.reporter)
                    }
                    Proof::ShortTotals(n) => {
                        let mut claim = honest.clone();
                        claim.produced.pop();
                        (*n as usize % N, claim, readings, g.reporter)
                    }
                    Proof::Malleated(n) | Proof::TooMany(n) => {
                        let mut lie = honest.clone();
                        lie.produced[0] += 1;
                        let readings = if matches!(proof, Proof::TooMany(_)) {
                            vec![
                                readings[0];
                                diversity::protocol::contract::MAX_FRAUD_PROOF_READINGS + 1
                            ]
                        } else {
                            readings
                        };
                        (*n as usize % N, lie, readings, g.reporter)
                    }
                    Proof::Stranger => {
                        let mut lie = honest.clone();
                        lie.produced[0] += 1;
                        (usize::MAX, lie, readings, g.reporter)
                    }
                };
                // `usize::MAX`: signed by a meter's key, which is no node's.
                let key = g.nodes.get(node).unwrap_or(&g.meters[0]);
                let mut signature = sign_result(key, &g.domain, &claim);
                if matches!(proof, Proof::Malleated(_)) {
                    signature = signature.malleate();
                }
                Call {
                    from,
                    value: 0,
                    tx: Tx::ReportInconsistency {
                        claim: SignedResult {
                            signature,
                            result: claim,
                        },
                        readings,
                    },
                }
            }
            Op::Close => Call {
                from: g.stranger,
                value: 0,
                tx: Tx::Close,
            },
            Op::Withdraw(w) => {
                let all = self.addresses();
                Call {
                    from: all[w.0 as usize % all.len()],
                    value: 0,
                    tx: Tx::Withdraw,
                }
            }
        };
        Some(call)
    }

    fn dispute_window(&self, offset: i8) -> u32 {
        let base = self
            .reference
            .dispute()
            .map_or(self.reference.next_window(), |d| d.window);
        (base as i64 + offset as i64).max(0) as u32
    }
}

impl Grid {
    fn reading(&self, m: usize, slot: u64, p: u64, c: u64) -> SignedReading {
        sign_reading(
            &self.meters[m],
            &self.domain,
            Reading {
                meter: self.meters[m].address(),
                slot,
                produced_wh: p,
                consumed_wh: c,
            },
        )
    }
}

fn amount(exact: u128, a: Amount) -> u128 {
    match a {
        Amount::Exact => exact,
        Amount::OneMore => exact + 1,
        Amount::Zero => 0,
    }
}

fn config(cases: u32) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(0xd1ff),
        source_file: Some(file!()),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..Config::default()
    }
}

/// Operations in the order a run needs them, so that random sequences get past funding.
fn funded_prefix() -> Vec<Op> {
    let mut ops = Vec::new();
    for i in 0..N as u8 {
        ops.push(Op::Deposit(Who(i), Amount::Exact));
        ops.push(Op::PostBond(Who(i), Amount::Exact));
    }
    ops
}

fn error_name(e: &ContractError) -> String {
    let debug = format!("{e:?}");
    let name: String = debug.chars().take_while(|c| c.is_alphanumeric()).collect();
    match e {
        ContractError::Reading { error, .. } => {
            let inner = format!("{error:?}");
            format!(
                "Reading::{}",
                inner
                    .chars()
                    .take_while(|c| c.is_alphanumeric())
                    .collect::<String>()
            )
        }
        _ => name,
    }
}

/// What the random sequences of one variant reached: each call's outcome in the reference
/// contract's terms, and each Solidity function's reverts by the contract's error names.
struct Reached {
    outcomes: BTreeMap<String, usize>,
    reverts: BTreeMap<String, usize>,
}

/// Runs `cases` random sequences and returns how often each outcome was seen.
fn differential(challenge: u64, hardfork: Hardfork, cases: u32) -> Reached {
    let seen = RefCell::new(BTreeMap::<String, usize>::new());
    let reverts = RefCell::new(BTreeMap::<String, usize>::new());
    let strategy = (
        prop_oneof![1 => Just(false), 4 => Just(true)],
        proptest::collection::vec(op(), 1..120),
    );
    let mut runner = TestRunner::new(config(cases));
    let result = runner.run(&strategy, |(fund, ops)| {
        let mut all = if fund { funded_prefix() } else { vec![] };
        all.extend(ops);
        let mut pair = Pair::new(challenge, hardfork);
        for op in &all {
            pair.apply(op);
        }
        for (k, v) in pair.outcomes {
            *seen.borrow_mut().entry(k).or_default() += v;
        }
        for (k, v) in pair.reverts {
            *reverts.borrow_mut().entry(k).or_default() += v;
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    Reached {
        outcomes: seen.into_inner(),
        reverts: reverts.into_inner(),
    }
}

/// The sequences must reach every entry point's success and most refusals; otherwise the
/// agreement above would be vacuous.
fn assert_covers(seen: &BTreeMap<String, usize>, must: &[&str]) {
    for m in must {
        assert!(
            seen.contains_key(*m),
            "no run reached `{m}`; seen: {seen:#?}"
        );
    }
    let refusals = seen.keys().filter(|k| !k.ends_with(" ok")).count();
    assert!(
        refusals >= 30,
        "only {refusals} distinct refusals: {seen:#?}"
    );
}

const EVERY_SUCCESS: [&str; 10] = [
    "deposit ok",
    "postBond ok",
    "submitWindow ok",
    "openDispute ok",
    "addEvidence ok",
    "finalizeDispute ok",
    "reportEquivocation ok",
    "reportInconsistency ok",
    "close ok",
    "withdraw ok",
];

/// Both variants' random sequences, one thread each: the paper's variant (no challenge
/// period) on Prague, where partial results (fewer than N signatures) become pending and
/// final too and are refused before the signing deadline; the hardened variant (a challenge
/// period) on Osaka. Then every revert of the Solidity source must have been reached, or be
/// listed in [`REVERTS_REACHED_ELSEWHERE`] with the test that reaches it.
#[test]
fn solidity_agrees_with_the_reference_and_reaches_every_revert() {
    let (paper, hardened) = std::thread::scope(|t| {
        let paper = t.spawn(|| differential(0, Hardfork::Prague, cases()));
        let hardened = t.spawn(|| differential(2_000, Hardfork::Osaka, cases()));
        let join = |h: std::thread::ScopedJoinHandle<'_, Reached>| {
            h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))
        };
        (join(paper), join(hardened))
    });
    let mut directed_reverts = BTreeMap::<String, usize>::new();
    for (challenge, hardfork) in [(0, Hardfork::Prague), (2_000, Hardfork::Osaka)] {
        for ops in directed() {
            let mut pair = Pair::new(challenge, hardfork);
            for op in &ops {
                pair.apply(op);
            }
            for (k, v) in pair.reverts {
                *directed_reverts.entry(k).or_default() += v;
            }
        }
    }
    let seen = &paper.outcomes;
    let mut must = EVERY_SUCCESS.to_vec();
    must.extend([
        "finalizePending ok",
        "submitWindow SigningPeriodRunning",
        "submitWindow AlreadyPending",
        "submitWindow NotANode",
        "submitWindow SlashedSigner",
        "submitWindow WrongAmount",
        "submitWindow UnexpectedValue",
        "openDispute NothingToChallenge",
        "openDispute WrongAmount",
        "openDispute UnexpectedValue",
    ]);
    assert_covers(seen, &must);
    let seen = &hardened.outcomes;
    let mut must = EVERY_SUCCESS.to_vec();
    must.extend(["finalizePending ok", "abort ok", "openDispute SlashedNode"]);
    assert_covers(seen, &must);

    let every = solidity_reverts();
    // Runs reaching each revert: random sequences of each variant, directed sequences.
    let mut reached: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    for (k, v) in &paper.reverts {
        reached.entry(k).or_default().0 += v;
    }
    for (k, v) in &hardened.reverts {
        reached.entry(k).or_default().1 += v;
    }
    for (k, v) in &directed_reverts {
        reached.entry(k).or_default().2 += v;
    }
    for k in reached.keys() {
        assert!(
            every.contains(*k),
            "the runs reached `{k}`, which the scan of Diversity.sol does not list"
        );
    }
    let elsewhere: BTreeMap<&str, &str> = REVERTS_REACHED_ELSEWHERE.iter().copied().collect();
    for k in elsewhere.keys() {
        assert!(every.contains(*k), "`{k}` is no revert of Diversity.sol");
    }
    let missing: Vec<&String> = every
        .iter()
        .filter(|k| !reached.contains_key(k.as_str()) && !elsewhere.contains_key(k.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} reverts of Diversity.sol reached by no test: {missing:#?}",
        missing.len(),
        every.len()
    );
    // The list, pinned (docs/testing.md): which run reaches each revert. At the bounded
    // number of cases only; the deep tier may reach more.
    if std::env::var_os("DIVERSITY_DEEP").is_none() {
        let table: Vec<String> = every
            .iter()
            .map(
                |k| match (reached.get(k.as_str()), elsewhere.get(k.as_str())) {
                    (Some((a, b, d)), _) => format!(
                        "{k}: {}",
                        [
                            (a, "random, paper"),
                            (b, "random, hardened"),
                            (d, "directed")
                        ]
                        .iter()
                        .filter(|(n, _)| **n > 0)
                        .map(|(_, v)| *v)
                        .collect::<Vec<_>>()
                        .join("; ")
                    ),
                    (None, Some(why)) => format!("{k}: {why}"),
                    (None, None) => unreachable!(),
                },
            )
            .collect();
        insta::assert_snapshot!("solidity_reverts", table.join("\n"));
    }
}

/// Reverts that no random sequence reaches, each with the test that does.
const REVERTS_REACHED_ELSEWHERE: &[(&str, &str)] = &[
    (
        "finalizePending PendingMismatch",
        "a_pending_result_is_finalized_only_as_submitted",
    ),
    (
        "reportInconsistency ProofOutOfSequence",
        "a_failed_chunked_proof_can_be_retried",
    ),
    (
        "withdraw TransferFailed",
        "a_wallet_that_refuses_payment_keeps_its_entitlement",
    ),
    ("constructor DisputeBondTooSmall", DEPLOYMENT),
    ("constructor DisputeTooShort", DEPLOYMENT),
    ("constructor DuplicateAddress", DEPLOYMENT),
    ("constructor LengthMismatch", DEPLOYMENT),
    ("constructor NoProsumers", DEPLOYMENT),
    ("constructor TimeOverflow", DEPLOYMENT),
    ("constructor TooLarge", DEPLOYMENT),
    ("constructor TooManyProsumers", DEPLOYMENT),
    ("constructor ZeroAddress", DEPLOYMENT),
    ("constructor ZeroParam", DEPLOYMENT),
];

const DEPLOYMENT: &str = "an_invalid_deployment_is_refused_alike";

/// Short sequences that reach what random ones reach only rarely, run beside them by the
/// coverage check (and compared on both contracts like every other call).
fn directed() -> Vec<Vec<Op>> {
    let funded_then = |tail: &[Op]| {
        let mut ops = funded_prefix();
        ops.extend_from_slice(tail);
        ops
    };
    vec![
        vec![
            Op::Deposit(Who(0), Amount::OneMore),
            Op::Deposit(Who(1), Amount::Zero),
        ],
        // Node 2 asserts a partial lie, node 0 challenges it (as in the whole life below).
        funded_then(&[
            Op::Advance(4),
            Op::Advance(3),
            Op::Advance(4),
            Op::Submit(Who(2), Cert::PartialLie, Amount::Exact),
            Op::OpenDispute(Who(0), 0, Amount::Exact),
            Op::AddEvidence(Evidence::Unregistered),
            Op::AddEvidence(Evidence::TooLarge),
            Op::AddEvidence(Evidence::OutsideContract),
            Op::AddEvidence(Evidence::OutOfWindow),
        ]),
        funded_then(&[
            Op::ToWindowEnd,
            Op::Equivocation(0, Twin::HighS),
            Op::Inconsistency(Proof::Malleated(1)),
            Op::Inconsistency(Proof::Stranger),
            Op::Inconsistency(Proof::TooMany(2)),
        ]),
    ]
}

/// Every `(function, error)` pair that Diversity.sol can revert with, as `"withdraw
/// NothingToWithdraw"`: the `revert`s in each external or public function and the
/// constructor, and in the internal functions they call, transitively, read from the source.
fn solidity_reverts() -> std::collections::BTreeSet<String> {
    use std::collections::BTreeSet;
    let source: String = include_str!("../impl/contracts/src/Diversity.sol")
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(!source.contains("/*"), "block comments are not scanned");
    struct Function {
        entry: bool,
        reverts: BTreeSet<String>,
        calls: BTreeSet<String>,
    }
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    // Identifiers followed by `(` in a body.
    let called = |body: &str| -> BTreeSet<String> {
        let b = body.as_bytes();
        let mut out = BTreeSet::new();
        for (i, _) in body.match_indices('(') {
            let mut j = i;
            while j > 0 && (b[j - 1].is_ascii_alphanumeric() || b[j - 1] == b'_') {
                j -= 1;
            }
            if j < i {
                out.insert(body[j..i].to_string());
            }
        }
        out
    };
    let mut functions: BTreeMap<String, Function> = BTreeMap::new();
    let mut rest = source.as_str();
    loop {
        let f = rest.find("function ");
        let c = rest.find("constructor(");
        let (at, name) = match (f, c) {
            (Some(f), Some(c)) if c < f => (c, "constructor".to_string()),
            (None, Some(c)) => (c, "constructor".to_string()),
            (Some(f), _) => (f, ident(&rest[f + "function ".len()..])),
            (None, None) => break,
        };
        let header_end = rest[at..].find(['{', ';']).expect("a header ends") + at;
        let header = &rest[at..header_end];
        if rest.as_bytes()[header_end] == b';' {
            rest = &rest[header_end + 1..];
            continue;
        }
        let mut depth = 0usize;
        let mut end = header_end;
        for (i, ch) in rest[header_end..].char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = header_end + i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let body = &rest[header_end..end];
        let reverts = body
            .match_indices("revert ")
            .map(|(i, _)| ident(&body[i + "revert ".len()..]))
            .collect();
        let entry =
            name == "constructor" || header.contains("external") || header.contains("public");
        functions.insert(
            name,
            Function {
                entry,
                reverts,
                calls: called(body),
            },
        );
        rest = &rest[end..];
    }
    let mut every = BTreeSet::new();
    for (name, f) in functions.iter().filter(|(_, f)| f.entry) {
        let mut stack: Vec<&str> = vec![name];
        let mut visited = BTreeSet::new();
        while let Some(g) = stack.pop() {
            if !visited.insert(g) {
                continue;
            }
            let Some(g) = functions.get(g) else { continue };
            for e in &g.reverts {
                every.insert(format!("{name} {e}"));
            }
            stack.extend(g.calls.iter().map(String::as_str));
        }
        let _ = f;
    }
    assert!(every.len() > 50, "the scan found only {every:#?}");
    every
}

/// The Solidity error a revert names (`WrongPhase`), by the contract's ABI.
fn revert_name(data: &[u8]) -> String {
    use alloy_sol_types::SolInterface;
    use diversity::evm::abi::IDiversity as sol;
    match sol::IDiversityErrors::abi_decode(data) {
        Ok(e) => format!("{e:?}")
            .chars()
            .take_while(|c| c.is_alphanumeric())
            .collect(),
        Err(_) => format!("undecodable revert of {} bytes", data.len()),
    }
}

/// The constructor refuses every invalid parameter set with the error `Params::validate`
/// gives (§3): both sides name the same problem with the same values. Every `ParamsError`
/// variant is reached.
#[test]
fn an_invalid_deployment_is_refused_alike() {
    use diversity::protocol::params::{
        MAX_AMOUNT_WEI, MAX_GAS_RATE_WEI, MAX_PRICE_WEI_PER_WH, MAX_PROSUMERS, MAX_SLOTS_PER_WINDOW,
    };
    let good = grid(0).params;
    type Break = fn(&mut Params);
    let cases: Vec<(&str, Break)> = vec![
        ("no prosumers", |p| {
            p.nodes.clear();
            p.meters.clear();
            p.wallets.clear();
            p.deposits.clear();
        }),
        ("too many prosumers", |p| {
            let n = MAX_PROSUMERS + 1;
            let a = |base: u8, i: usize| {
                let mut b = [base; 20];
                b[19] = i as u8;
                Address::new(b)
            };
            p.nodes = (0..n).map(|i| a(0x31, i)).collect();
            p.meters = (0..n).map(|i| a(0x32, i)).collect();
            p.wallets = (0..n).map(|i| a(0x33, i)).collect();
            p.deposits = vec![1; n];
        }),
        ("a meter missing", |p| {
            p.meters.pop();
        }),
        ("a zero node", |p| p.nodes[1] = Address::ZERO),
        ("a zero meter", |p| p.meters[2] = Address::ZERO),
        ("a zero wallet", |p| p.wallets[0] = Address::ZERO),
        ("a zero dust recipient", |p| {
            p.dust_recipient = Address::ZERO
        }),
        ("a node twice", |p| p.nodes[2] = p.nodes[0]),
        ("a meter twice", |p| p.meters[1] = p.meters[0]),
        ("a wallet twice", |p| p.wallets[2] = p.wallets[1]),
        ("zero slot_secs", |p| p.slot_secs = 0),
        ("zero slots_per_window", |p| p.slots_per_window = 0),
        ("zero windows", |p| p.windows = 0),
        ("zero dispute_period", |p| p.dispute_period = 0),
        ("zero slash_period", |p| p.slash_period = 0),
        ("zero sign_period", |p| p.sign_period = 0),
        ("too many slots", |p| {
            p.slots_per_window = MAX_SLOTS_PER_WINDOW + 1
        }),
        ("too high a price", |p| {
            p.price_wei_per_wh = MAX_PRICE_WEI_PER_WH + 1
        }),
        ("too large a bond", |p| p.bond = MAX_AMOUNT_WEI + 1),
        ("too large a dispute bond", |p| {
            p.dispute_bond = MAX_AMOUNT_WEI + 1
        }),
        ("too high a gas rate", |p| {
            p.gas_rate_wei = MAX_GAS_RATE_WEI + 1
        }),
        ("too large a deposit", |p| {
            p.deposits[1] = MAX_AMOUNT_WEI + 1
        }),
        ("a dispute period no longer than collection", |p| {
            p.dispute_period = p.collect_period
        }),
        ("too small a dispute bond", |p| p.dispute_bond = 1),
        ("a timeline past 64-bit time", |p| {
            p.start = u64::MAX - 1_000
        }),
    ];
    let mut variants = std::collections::BTreeSet::new();
    for (what, break_it) in cases {
        let mut p = good.clone();
        break_it(&mut p);
        let want = p.validate().expect_err(what);
        assert_eq!(
            Contract::open(p.clone(), Secp256k1::new()).err(),
            Some(want.clone()),
            "{what}: the reference contract opens as validate says"
        );
        let got = SolidityContract::deploy(Hardfork::Prague, &p).err();
        assert_eq!(got, Some(EvmError::Params(want.clone())), "{what}");
        variants.insert(
            format!("{want:?}")
                .chars()
                .take_while(|c| c.is_alphanumeric())
                .collect::<String>(),
        );
    }
    assert_eq!(
        variants.len(),
        10,
        "every ParamsError variant: {variants:?}"
    );
    assert!(SolidityContract::deploy(Hardfork::Prague, &good).is_ok());
}

/// The hardened variant keeps only a pending result's hash, so `finalizePending` takes the
/// result again: any other result, once the challenge period is over, is refused with
/// `PendingMismatch` and changes nothing; the submitted one is then final (spec §7.9). The
/// adapter always resends the remembered result, so only this test sends another.
#[test]
fn a_pending_result_is_finalized_only_as_submitted() {
    use alloy_sol_types::{SolCall, SolInterface};
    use diversity::evm::abi::IDiversity as sol;
    use diversity::evm::solidity::to_sol_result;
    let mut pair = Pair::new(2_000, Hardfork::Osaka);
    let mut ops = funded_prefix();
    ops.extend([Op::ToWindowEnd, Op::Advance(2)]);
    ops.push(Op::Submit(Who(0), Cert::Honest, Amount::Exact));
    for op in &ops {
        pair.apply(op);
    }
    assert_eq!(
        pair.outcomes.get("submitWindow ok"),
        Some(&1),
        "{:?}",
        pair.outcomes
    );
    let (pending, _, _) = pair.honest(0);
    pair.now += 2_000;
    type Tamper = fn(&mut WindowResult);
    let tampered: [(&str, Tamper); 4] = [
        ("more produced", |r| r.produced[0] += 1),
        ("totals moved between prosumers", |r| {
            r.consumed[1] -= 1;
            r.consumed[2] += 1;
        }),
        ("another root", |r| r.readings_root = B256::repeat_byte(7)),
        ("another link", |r| r.prev_hash = B256::repeat_byte(8)),
    ];
    let contract = pair.solidity.address();
    for (what, tamper) in tampered {
        let mut r = pending.clone();
        tamper(&mut r);
        let data = sol::finalizePendingCall {
            result: to_sol_result(&r),
        }
        .abi_encode();
        let now = pair.now;
        pair.solidity.evm().set_time(now);
        let receipt = pair
            .solidity
            .evm()
            .call(pair.g.stranger, contract, diversity::U256::ZERO, data)
            .unwrap();
        assert!(!receipt.success, "{what}: finalised");
        assert!(
            matches!(
                sol::IDiversityErrors::abi_decode(&receipt.output),
                Ok(sol::IDiversityErrors::PendingMismatch(_))
            ),
            "{what}: {}",
            revert_name(&receipt.output)
        );
        pair.compare_state(what);
    }
    pair.apply(&Op::FinalizePending(0));
    assert_eq!(
        pair.outcomes.get("finalizePending ok"),
        Some(&1),
        "{:?}",
        pair.outcomes
    );
    assert_eq!(pair.reference.next_window(), 1);
}

/// Cases per run: bounded by default, `DIVERSITY_DEEP=1` for the deep tier.
fn cases() -> u32 {
    if std::env::var_os("DIVERSITY_DEEP").is_some() {
        2_000
    } else {
        256
    }
}

/// A whole life on every hardfork: funding, a fast-path window, a disputed window with
/// an equivocating meter, both slashing reports, close and every withdrawal.
#[test]
fn a_whole_life_agrees_on_every_hardfork() {
    for hardfork in Hardfork::ALL {
        let mut ops = funded_prefix();
        ops.extend([
            Op::Advance(4), // past start
            Op::Advance(3),
            Op::Advance(4),
            // Window 0: node 2 asserts a partial lie, node 0 challenges it and wins.
            Op::Submit(Who(2), Cert::PartialLie, Amount::Exact),
            Op::OpenDispute(Who(0), 0, Amount::Exact),
            Op::AddEvidence(Evidence::Honest(0, 200)),
            Op::AddEvidence(Evidence::Equivocation),
            Op::AddEvidence(Evidence::Honest(3, 5)),
            Op::Advance(3),
            Op::FinalizeDispute(0),
            // Window 1: two nodes slashed; the last unslashed node's signature certifies.
            Op::Inconsistency(Proof::Honest(0)),
            Op::Inconsistency(Proof::Lie(2)),
            Op::Equivocation(1, Twin::Differs),
            Op::Advance(5),
            Op::Submit(Who(0), Cert::EvenSlashed, Amount::Exact),
            Op::Submit(Who(0), Cert::Honest, Amount::Exact),
            Op::Advance(5),
            Op::Close,
        ]);
        let mut pair = Pair::new(0, hardfork);
        for op in &ops {
            pair.apply(op);
        }
        assert_eq!(
            pair.reference.phase(),
            diversity::protocol::contract::Phase::Closed,
            "{hardfork}"
        );
        assert_eq!(pair.reference.slashed(), &[false, true, true], "{hardfork}");
        for who in 0..9u8 {
            pair.apply(&Op::Withdraw(Who(who)));
        }
        assert_eq!(pair.reference.held(), 0, "{hardfork}: every wei paid out");
    }
}

/// Ether forced into the contract (as a self-destruct or a block reward would) changes no
/// decision and is never paid out: conservation on the EVM is `ether ≥ held` (spec §15).
#[test]
fn forced_ether_is_never_paid_out() {
    let mut pair = Pair::new(0, Hardfork::Prague);
    let forced = 12_345u128;
    let contract = pair.solidity.address();
    pair.solidity
        .evm()
        .fund(contract, diversity::U256::from(forced));
    pair.forced = forced;
    let mut ops = funded_prefix();
    ops.extend([
        Op::Advance(4),
        Op::Advance(3),
        Op::Advance(4),
        Op::Submit(Who(0), Cert::Honest, Amount::Exact),
        Op::Advance(6),
        Op::Submit(Who(1), Cert::Honest, Amount::Exact),
        Op::Advance(6),
        Op::Close,
    ]);
    for op in &ops {
        pair.apply(op);
    }
    for who in 0..9u8 {
        pair.apply(&Op::Withdraw(Who(who)));
    }
    assert_eq!(pair.reference.held(), 0);
    assert_eq!(
        pair.solidity.ether(),
        forced,
        "only the forced ether is left"
    );
}

/// A wallet that is a contract re-enters `withdraw` from its `receive`: the entitlement is
/// zeroed before the transfer, so the inner call fails with `NothingToWithdraw` and the
/// wallet is paid exactly once (spec §7.8: pull payments, no re-entrancy).
#[test]
fn a_reentrant_wallet_is_paid_once() {
    use alloy_sol_types::{SolCall, SolValue};
    use diversity::evm::abi::IReentrantWallet as W;
    use diversity::evm::artifacts;
    use diversity::evm::solidity::decode_revert;
    use diversity::U256;

    let attacker = Address::repeat_byte(0xab);
    let wallet = attacker.create(0);
    let mut g = grid(0);
    g.params.wallets[0] = wallet;
    let mut c = SolidityContract::deploy(Hardfork::Prague, &g.params).unwrap();
    let target = c.address();
    let evm = c.evm();
    let mut init = artifacts::bytecode(Hardfork::Prague, "ReentrantWallet");
    init.extend((target,).abi_encode_params());
    let deployed = evm.deploy(attacker, init).unwrap();
    assert_eq!(deployed.created, Some(wallet));
    let deposit = g.params.deposits[0];
    evm.fund(attacker, U256::from(deposit));
    evm.set_time(START - 1);
    let r = evm
        .call(
            attacker,
            wallet,
            U256::from(deposit),
            W::depositCall {}.abi_encode(),
        )
        .unwrap();
    assert!(r.success, "the contract wallet deposits");
    // Funding stays incomplete: abort, then the wallet withdraws its refund.
    evm.set_time(START);
    let abort = evm
        .call(
            attacker,
            target,
            U256::ZERO,
            diversity::evm::abi::IDiversity::abortCall {}.abi_encode(),
        )
        .unwrap();
    assert!(abort.success);
    let r = evm
        .call(
            attacker,
            wallet,
            U256::ZERO,
            W::withdrawCall {}.abi_encode(),
        )
        .unwrap();
    assert!(r.success, "the outer withdrawal completes");
    assert_eq!(
        evm.balance(wallet),
        U256::from(deposit),
        "paid exactly once"
    );
    assert_eq!(evm.balance(target), U256::ZERO);
    let view =
        |evm: &mut diversity::evm::Evm, data: Vec<u8>| evm.view(wallet, data).unwrap().output;
    let reentries =
        W::reentriesCall::abi_decode_returns(&view(evm, W::reentriesCall {}.abi_encode())).unwrap();
    assert_eq!(
        reentries,
        U256::from(1),
        "re-entered once, and that call failed"
    );
    let inner =
        W::innerErrorCall::abi_decode_returns(&view(evm, W::innerErrorCall {}.abi_encode()))
            .unwrap();
    assert_eq!(
        decode_revert(&inner),
        Ok(diversity::protocol::contract::ContractError::NothingToWithdraw(wallet))
    );
}

/// A wallet that is a contract refusing every payment: its withdrawal reverts whole with
/// `TransferFailed`, and its entitlement stays, to be withdrawn by nobody else (spec §7.8).
#[test]
fn a_wallet_that_refuses_payment_keeps_its_entitlement() {
    use alloy_sol_types::{SolCall, SolInterface, SolValue};
    use diversity::evm::abi::IDiversity as sol;
    use diversity::evm::abi::IReentrantWallet as W;
    use diversity::evm::artifacts;
    use diversity::U256;

    let owner = Address::repeat_byte(0xac);
    let wallet = owner.create(0);
    let mut g = grid(0);
    g.params.wallets[0] = wallet;
    let mut c = SolidityContract::deploy(Hardfork::Prague, &g.params).unwrap();
    let target = c.address();
    let mut init = artifacts::bytecode(Hardfork::Prague, "RefusingWallet");
    init.extend((target,).abi_encode_params());
    let evm = c.evm();
    assert_eq!(evm.deploy(owner, init).unwrap().created, Some(wallet));
    let deposit = g.params.deposits[0];
    evm.fund(owner, U256::from(deposit));
    evm.set_time(START - 1);
    let call = |evm: &mut diversity::evm::Evm, to, value, data| {
        evm.call(owner, to, U256::from(value), data).unwrap()
    };
    assert!(call(evm, wallet, deposit, W::depositCall {}.abi_encode()).success);
    evm.set_time(START);
    assert!(call(evm, target, 0, sol::abortCall {}.abi_encode()).success);
    let addresses = [wallet, g.params.wallets[1], g.stranger];
    let before = c.state(&addresses);
    let r = call(c.evm(), wallet, 0, W::withdrawCall {}.abi_encode());
    assert!(!r.success, "the withdrawal cannot pay");
    assert!(
        matches!(
            sol::IDiversityErrors::abi_decode(&r.output),
            Ok(sol::IDiversityErrors::TransferFailed(_))
        ),
        "{}",
        revert_name(&r.output)
    );
    assert_eq!(c.state(&addresses), before, "nothing changed");
    assert_eq!(c.ether(), deposit, "the refund is still held");
}

/// A proof longer than one chunk (the largest deciding set of 24 prosumers, 48 readings, 2
/// chunks) that fails is retried from the start and then agrees with the reference contract:
/// an unfinished attempt leaves nothing that changes a later one (spec §7.9). A chunk that
/// does not continue the proof is refused.
#[test]
fn a_failed_chunked_proof_can_be_retried() {
    use alloy_sol_types::{SolCall, SolInterface};
    use diversity::evm::abi::IDiversity as sol;
    use diversity::evm::gas::diversity::GasGrid;
    use diversity::evm::solidity::{to_sol_reading, to_sol_signed_result, MAX_FRAUD_PROOF_CHUNK};
    use diversity::protocol::contract::{ContractError, Event};

    let n = 24;
    let g = GasGrid::new(n, 0);
    let mut sol_c = g.deploy(Hardfork::Prague);
    let mut reference = Contract::open(g.params.clone(), Secp256k1::new()).unwrap();
    for i in 0..n {
        for (from, value, tx) in [
            (g.params.wallets[i], g.params.deposits[i], Tx::Deposit),
            (g.params.nodes[i], g.params.bond, Tx::PostBond),
        ] {
            reference
                .execute(&Call { from, value, tx }, START_2020_MINUS_1)
                .unwrap();
        }
    }
    let set = g.equivocated_deciding_set(0);
    let readings: Vec<SignedReading> = set.deciding().readings().map(|(_, k)| k.signed).collect();
    assert_eq!(readings.len(), 2 * n);
    assert!(readings.len() > MAX_FRAUD_PROOF_CHUNK, "several chunks");
    let (produced, consumed) = set.deciding().totals();
    let honest = WindowResult {
        window: 0,
        prev_hash: g.params.genesis_hash(),
        produced,
        consumed,
        readings_root: set.root(),
    };
    let mut lie = honest.clone();
    lie.consumed[n - 1] += 1;
    let claim = SignedResult {
        signature: sign_result(&g.nodes[1], &g.domain, &lie),
        result: lie,
    };
    let honest_claim = SignedResult {
        signature: sign_result(&g.nodes[2], &g.domain, &honest),
        result: honest,
    };
    let reporter = g.params.nodes[0];
    let now = g.window_end(0) + 60;
    let report = |claim: &SignedResult, readings: Vec<SignedReading>| Call {
        from: reporter,
        value: 0,
        tx: Tx::ReportInconsistency {
            claim: claim.clone(),
            readings,
        },
    };
    let addresses: Vec<Address> = g
        .params
        .wallets
        .iter()
        .chain(&g.params.nodes)
        .copied()
        .collect();
    let mut both = |call: &Call| {
        let want = reference.execute(call, now);
        let got = sol_c.execute(call, now);
        match (&want, &got) {
            (Ok(e), Ok(o)) => assert_eq!(o, &e.iter().map(Observed::from).collect::<Vec<_>>()),
            (Err(e), Err(EvmError::Contract(g))) => assert_eq!(g, e),
            _ => panic!("outcomes differ: {want:?} / {got:?}"),
        }
        assert_eq!(
            sol_c.state(&addresses),
            ChainState::of_reference(&reference, &addresses)
        );
        want
    };
    // The last reading missing: the chain does not reach the root.
    let short = readings[..readings.len() - 1].to_vec();
    assert_eq!(
        both(&report(&claim, short)),
        Err(ContractError::RootMismatch)
    );
    // An honest claim: not fraud, twice.
    for _ in 0..2 {
        assert_eq!(
            both(&report(&honest_claim, readings.clone())),
            Err(ContractError::NotFraud)
        );
    }
    // The full proof after the failed attempt: slashed on both.
    let events = both(&report(&claim, readings.clone())).expect("fraud proven");
    assert!(matches!(events[..], [Event::Slashed { node: 1, .. }]));
    // A chunk that does not continue a proof in progress is refused by name (the honest
    // claim's unfinished attempt stands at the first chunk boundary, not at 16).
    let data = sol::reportInconsistencyCall {
        claim: to_sol_signed_result(&honest_claim),
        readings: readings[16..].iter().map(to_sol_reading).collect(),
        offset: 16,
        total: readings.len() as u32,
    }
    .abi_encode();
    let contract = sol_c.address();
    let r = sol_c
        .evm()
        .call(reporter, contract, diversity::U256::ZERO, data)
        .unwrap();
    assert!(!r.success);
    assert!(
        matches!(
            sol::IDiversityErrors::abi_decode(&r.output),
            Ok(sol::IDiversityErrors::ProofOutOfSequence(_))
        ),
        "{:?}",
        r.output
    );
}

const START_2020_MINUS_1: u64 = diversity::world::dataset::START_2020 - 1;
