//! Unit tests of the reference contract: every entry point, its errors, and its accounting.

use super::*;
use crate::protocol::bonds;
use crate::protocol::crypto::{Secp256k1, SecretKey};
use crate::protocol::eip712::{sign_reading, sign_result};
use crate::protocol::reading_set::ReadingSet;
use crate::protocol::types::Reading;
use proptest::prelude::*;

const N: usize = 3;
const W: u64 = 4;
const SLOT: u64 = 900;
const START: u64 = 10_000;

struct Grid {
    meters: Vec<SecretKey>,
    nodes: Vec<SecretKey>,
    params: Params,
    domain: Domain,
}

fn grid(challenge: u64) -> Grid {
    let meters: Vec<SecretKey> = (0..N)
        .map(|i| SecretKey::from_label(&format!("t/meter/{i}")))
        .collect();
    let nodes: Vec<SecretKey> = (0..N)
        .map(|i| SecretKey::from_label(&format!("t/node/{i}")))
        .collect();
    let params = Params {
        chain_id: 31337,
        contract: Address::repeat_byte(0xc0),
        start: START,
        slot_secs: SLOT,
        slots_per_window: W,
        windows: 2,
        nodes: nodes.iter().map(|k| k.address()).collect(),
        meters: meters.iter().map(|k| k.address()).collect(),
        wallets: (0..N)
            .map(|i| Address::repeat_byte(0x10 + i as u8))
            .collect(),
        deposits: vec![1_000_000, 1_000_000, 50],
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
    Grid {
        meters,
        nodes,
        params,
        domain,
    }
}

impl Grid {
    fn open(&self) -> Contract<Secp256k1> {
        Contract::open(self.params.clone(), Secp256k1::new()).unwrap()
    }

    fn funded(&self) -> Contract<Secp256k1> {
        let mut c = self.open();
        for i in 0..N {
            c.execute(&self.deposit(i), START - 1).unwrap();
            c.execute(&self.bond(i), START - 1).unwrap();
        }
        assert_eq!(c.phase(), Phase::Active);
        c
    }

    fn deposit(&self, i: usize) -> Call {
        Call {
            from: self.params.wallets[i],
            value: self.params.deposits[i],
            tx: Tx::Deposit,
        }
    }

    fn bond(&self, i: usize) -> Call {
        Call {
            from: self.params.nodes[i],
            value: self.params.bond,
            tx: Tx::PostBond,
        }
    }

    fn call(&self, node: usize, tx: Tx) -> Call {
        Call {
            from: self.params.nodes[node],
            value: 0,
            tx,
        }
    }

    /// `submitWindow` of `r` with every node's signature.
    fn submit(&self, node: usize, r: &WindowResult) -> Call {
        self.submit_with(node, r, self.certificate(r))
    }

    /// `submitWindow` of `r` with `signatures`: bonded when they are fewer than N (a
    /// partial result, §7.10).
    fn submit_with(&self, node: usize, r: &WindowResult, signatures: Vec<Signature65>) -> Call {
        let value = if signatures.len() < N {
            self.params.dispute_bond
        } else {
            0
        };
        Call {
            value,
            ..self.call(
                node,
                Tx::SubmitWindow {
                    result: r.clone(),
                    signatures,
                },
            )
        }
    }

    /// A challenge of the pending result of `window`, bonded (§7.4, §7.10).
    fn challenge(&self, node: usize, window: u32) -> Call {
        Call {
            value: self.params.dispute_bond,
            ..self.call(node, Tx::OpenDispute { window })
        }
    }

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

    /// A full window of readings (window-to-date registers): meter 0 produces 100 Wh an
    /// interval, meters 1 and 2 consume 30 and 60.
    fn window_readings(&self, w: u32) -> Vec<SignedReading> {
        let mut v = Vec::new();
        let start = self.params.slot_range(w).start;
        for slot in self.params.slot_range(w) {
            let k = slot - start + 1;
            v.push(self.reading(0, slot, 100 * k, 0));
            v.push(self.reading(1, slot, 0, 30 * k));
            v.push(self.reading(2, slot, 0, 60 * k));
        }
        v
    }

    fn result(&self, w: u32, prev: B256, readings: &[SignedReading]) -> WindowResult {
        let mut set = ReadingSet::new(w, N);
        for r in readings {
            let m = self.params.meter_index(&r.reading.meter).unwrap();
            let _ = set.add(m, *r);
        }
        WindowResult {
            window: w,
            prev_hash: prev,
            produced: set.produced().to_vec(),
            consumed: set.consumed().to_vec(),
            readings_root: set.root(),
        }
    }

    fn certificate(&self, r: &WindowResult) -> Vec<Signature65> {
        self.nodes
            .iter()
            .map(|k| sign_result(k, &self.domain, r))
            .collect()
    }

    fn signed(&self, node: usize, r: &WindowResult) -> SignedResult {
        SignedResult {
            result: r.clone(),
            signature: sign_result(&self.nodes[node], &self.domain, r),
        }
    }
}

fn err_of(r: Result<Vec<Event>, ContractError>) -> ContractError {
    r.expect_err("call must be refused")
}

/// Every refusal leaves the state exactly as it was (revert semantics).
fn refused(c: &mut Contract<Secp256k1>, call: &Call, now: u64) -> ContractError {
    let before = c.clone();
    let e = err_of(c.execute(call, now));
    assert_eq!(*c, before, "a refused call changed the state: {e}");
    e
}

#[test]
fn funding_checks_each_payment() {
    let g = grid(0);
    let mut c = g.open();
    let stranger = Call {
        from: Address::repeat_byte(0x99),
        value: 5,
        tx: Tx::Deposit,
    };
    assert!(matches!(
        refused(&mut c, &stranger, 0),
        ContractError::NotAWallet(_)
    ));
    let mut wrong = g.deposit(0);
    wrong.value -= 1;
    assert!(matches!(
        refused(&mut c, &wrong, 0),
        ContractError::WrongAmount { .. }
    ));
    c.execute(&g.deposit(0), 0).unwrap();
    assert_eq!(
        refused(&mut c, &g.deposit(0), 0),
        ContractError::AlreadyPaid
    );
    assert!(matches!(
        refused(&mut c, &g.deposit(1), START),
        ContractError::FundingClosed { .. }
    ));
    let mut bad_bond = g.bond(0);
    bad_bond.from = g.params.wallets[0];
    assert!(matches!(
        refused(&mut c, &bad_bond, 0),
        ContractError::NotANode(_)
    ));
    assert_eq!(
        refused(&mut c, &g.call(0, Tx::Abort), START - 1),
        ContractError::FundingStillOpen { start: START }
    );
    c.check_conservation().unwrap();
}

/// INV-FUNDS-005, REACH-ABORT-001: incomplete funding at start refunds every payment exactly.
#[test]
fn abort_refunds_exactly() {
    let g = grid(0);
    let mut c = g.open();
    c.execute(&g.deposit(0), 0).unwrap();
    c.execute(&g.bond(1), 0).unwrap();
    c.execute(&g.call(2, Tx::Abort), START).unwrap();
    assert_eq!(c.phase(), Phase::Aborted);
    // Only what was paid is owed: no account of zero (the wallets and nodes that paid
    // nothing have no entry to withdraw from).
    let owed: Vec<(Address, u128)> = c.owed().iter().map(|(a, v)| (*a, *v)).collect();
    let mut expected = vec![
        (g.params.wallets[0], 1_000_000),
        (g.params.nodes[1], 1_000_001),
    ];
    expected.sort();
    assert_eq!(owed, expected);
    let w0 = Call {
        from: g.params.wallets[0],
        value: 0,
        tx: Tx::Withdraw,
    };
    let n1 = g.call(1, Tx::Withdraw);
    assert_eq!(
        c.execute(&w0, START).unwrap(),
        vec![Event::Withdrawn {
            to: g.params.wallets[0],
            amount: 1_000_000
        }]
    );
    assert_eq!(
        c.execute(&n1, START).unwrap(),
        vec![Event::Withdrawn {
            to: g.params.nodes[1],
            amount: 1_000_001
        }]
    );
    assert!(matches!(
        refused(&mut c, &w0, START),
        ContractError::NothingToWithdraw(_)
    ));
    assert_eq!(c.held(), 0);
    assert_eq!(c.flows(), (2_000_001, 2_000_001));
    c.check_conservation().unwrap();
}

/// REACH-FAST-001, INV-CERT-001, INV-WINDOW-002/003, REACH-CLOSE-001, INV-FUNDS-001/004.
#[test]
fn fast_path_settles_and_closes() {
    let g = grid(0);
    let mut c = g.funded();
    let r0 = g.result(0, c.last_hash(), &g.window_readings(0));
    let sigs = g.certificate(&r0);
    let end0 = g.params.window_end(0);
    let submit = g.call(
        0,
        Tx::SubmitWindow {
            result: r0.clone(),
            signatures: sigs.clone(),
        },
    );
    assert!(matches!(
        refused(&mut c, &submit, end0 - 1),
        ContractError::WindowNotEnded { .. }
    ));
    // Certificate checks.
    // One short: a partial result, refused before the signing deadline (§7.3).
    let mut short = sigs.clone();
    short.pop();
    let e = refused(&mut c, &g.submit_with(0, &r0, short), end0);
    assert_eq!(
        e,
        ContractError::SigningPeriodRunning {
            window: 0,
            until: c.signing_deadline(0)
        }
    );
    let mut long = sigs.clone();
    long.push(sigs[0]);
    let e = refused(&mut c, &g.submit_with(0, &r0, long), end0);
    assert_eq!(
        e,
        ContractError::WrongSignatureCount {
            expected: 3,
            got: 4
        }
    );
    let mut dup = sigs.clone();
    dup[2] = dup[0];
    assert!(matches!(
        refused(&mut c, &g.submit_with(0, &r0, dup), end0),
        ContractError::DuplicateSigner(_)
    ));
    let mut mall = sigs.clone();
    mall[1] = mall[1].malleate();
    assert!(matches!(
        refused(&mut c, &g.submit_with(0, &r0, mall), end0),
        ContractError::BadSignature {
            index: 1,
            error: SignatureError::HighS
        }
    ));
    let mut meter_signed = sigs.clone();
    meter_signed[2] = sign_result(&g.meters[0], &g.domain, &r0);
    assert!(matches!(
        refused(&mut c, &g.submit_with(0, &r0, meter_signed), end0),
        ContractError::UnknownSigner { index: 2, .. }
    ));
    // A certificate from another contract is worthless here (INV-REPLAY-001).
    let other = Domain::new(g.params.chain_id, Address::repeat_byte(0xc1));
    let foreign: Vec<_> = g
        .nodes
        .iter()
        .map(|k| sign_result(k, &other, &r0))
        .collect();
    assert!(matches!(
        refused(&mut c, &g.submit_with(0, &r0, foreign), end0),
        ContractError::UnknownSigner { .. }
    ));

    let ev = c.execute(&submit, end0).unwrap();
    let Event::WindowFinalized {
        window: 0,
        path: Path::FastPath,
        settlement,
        ..
    } = &ev[0]
    else {
        panic!("{ev:?}")
    };
    // Meter 0 sells 360 Wh: 4 slots × 100 Wh = 400 produced, buyers need 4×30 + 4×60 = 360.
    assert_eq!(settlement.matched_wh, 360);
    // Buyer 2 owes 240 Wh × 10 = 2400 wei but holds only 50 (INV-FUNDS-003).
    assert_eq!(settlement.paid, vec![0, 1_200, 50]);
    assert_eq!(settlement.received, vec![1_250, 0, 0]);
    assert_eq!(c.balances(), &[1_001_250, 998_800, 0]);
    // INV-WINDOW-001: the same certificate cannot settle a window twice.
    assert!(matches!(
        refused(&mut c, &submit, end0),
        ContractError::WindowNotNext {
            expected: 1,
            got: 0
        }
    ));
    // INV-WINDOW-002: window 1 must link to window 0's hash.
    let stale = g.result(1, r0.prev_hash, &g.window_readings(1));
    let e = refused(&mut c, &g.submit(1, &stale), g.params.window_end(1));
    assert!(matches!(e, ContractError::PrevHashMismatch { .. }));
    let r1 = g.result(1, c.last_hash(), &g.window_readings(1));
    let end1 = g.params.window_end(1);
    c.execute(&g.submit(1, &r1), end1).unwrap();
    assert_eq!(c.next_window(), 2);
    assert_eq!(
        refused(&mut c, &g.submit(1, &r1), end1),
        ContractError::AllWindowsFinal
    );
    // Close waits for the slash period.
    assert!(matches!(
        refused(&mut c, &g.call(0, Tx::Close), end1 + 4_999),
        ContractError::SlashPeriodRunning { .. }
    ));
    let w0 = Call {
        from: g.params.wallets[0],
        value: 0,
        tx: Tx::Withdraw,
    };
    assert!(matches!(
        refused(&mut c, &w0, end1),
        ContractError::WrongPhase {
            actual: Phase::Active
        }
    ));
    c.execute(&g.call(0, Tx::Close), end1 + 5_000).unwrap();
    let owed: Vec<Address> = c.owed().keys().copied().collect();
    let mut total = 0;
    for a in owed {
        for e in c
            .execute(
                &Call {
                    from: a,
                    value: 0,
                    tx: Tx::Withdraw,
                },
                end1 + 5_000,
            )
            .unwrap()
        {
            if let Event::Withdrawn { amount, .. } = e {
                total += amount;
            }
        }
    }
    assert_eq!(total, 2_000_050 + 3 * 1_000_001);
    assert_eq!(c.held(), 0);
    c.check_conservation().unwrap();
}

/// REACH-DISPUTE-001, INV-CONFLUENCE-001, INV-COUNT-001: a dispute recomputes from
/// meter-signed evidence; duplicates and order do not matter; an equivocation at the
/// deciding slot counts the values least favourable to the owner.
#[test]
fn dispute_recomputes_from_evidence() {
    let g = grid(0);
    let mut c = g.funded();
    let end = g.params.window_end(0);
    assert!(matches!(
        refused(&mut c, &g.call(0, Tx::OpenDispute { window: 0 }), end - 1),
        ContractError::WindowNotEnded { .. }
    ));
    // Nothing to challenge: only an escape, once a live node would have submitted (F6).
    let escape_at = c.escape_at(0);
    assert_eq!(escape_at, end + 100 + 100 + 1_000);
    let stranger = Call {
        from: g.params.wallets[0],
        value: 0,
        tx: Tx::OpenDispute { window: 0 },
    };
    assert_eq!(
        refused(&mut c, &stranger, escape_at - 1),
        ContractError::NothingToChallenge {
            window: 0,
            escape_at
        }
    );
    assert_eq!(
        refused(
            &mut c,
            &Call {
                value: 1,
                ..stranger.clone()
            },
            escape_at
        ),
        ContractError::UnexpectedValue(1)
    );
    c.execute(&stranger, escape_at).unwrap();
    assert_eq!(
        c.dispute().map(Dispute::challenged_hash),
        Some(None),
        "an escape challenges no result"
    );
    assert!(matches!(
        refused(&mut c, &g.call(2, Tx::OpenDispute { window: 0 }), escape_at),
        ContractError::DisputeAlreadyOpen { .. }
    ));
    // Times below count from the escape.
    let end0 = escape_at;
    let readings = g.window_readings(0);
    // A bad reading anywhere in a chunk refuses the whole chunk, by index.
    let mut bad = readings.clone();
    bad[5] = g.reading(1, 99, 0, 1);
    assert!(matches!(
        refused(
            &mut c,
            &g.call(
                1,
                Tx::AddEvidence {
                    window: 0,
                    readings: bad
                }
            ),
            end0
        ),
        ContractError::Reading {
            index: 5,
            error: ReadingError::OutsideContract { slot: 99 }
        }
    ));
    let mut out_of_window = readings.clone();
    out_of_window[0] = g.reading(0, W, 1, 1);
    assert!(matches!(
        refused(
            &mut c,
            &g.call(
                1,
                Tx::AddEvidence {
                    window: 0,
                    readings: out_of_window
                }
            ),
            end0
        ),
        ContractError::Reading {
            index: 0,
            error: ReadingError::OutOfWindow { .. }
        }
    ));
    assert!(matches!(
        refused(
            &mut c,
            &g.call(
                1,
                Tx::AddEvidence {
                    window: 0,
                    readings: vec![]
                }
            ),
            end0
        ),
        ContractError::EvidenceSize { .. }
    ));
    // One more than a chunk is refused by size; a full chunk is taken (duplicates join to
    // nothing new, so it changes no outcome).
    let chunk = |n: usize| Tx::AddEvidence {
        window: 0,
        readings: vec![readings[0]; n],
    };
    assert_eq!(
        refused(&mut c, &g.call(1, chunk(MAX_EVIDENCE_CHUNK + 1)), end0),
        ContractError::EvidenceSize {
            max: MAX_EVIDENCE_CHUNK,
            got: MAX_EVIDENCE_CHUNK + 1
        }
    );
    c.execute(&g.call(1, chunk(MAX_EVIDENCE_CHUNK)), end0)
        .unwrap();
    let (first, second) = readings.split_at(5);
    c.execute(
        &g.call(
            1,
            Tx::AddEvidence {
                window: 0,
                readings: second.to_vec(),
            },
        ),
        end0 + 1,
    )
    .unwrap();
    let ev = c
        .execute(
            &g.call(
                2,
                Tx::AddEvidence {
                    window: 0,
                    readings: readings.clone(),
                },
            ),
            end0 + 2,
        )
        .unwrap();
    // The later slots were already on chain: the earlier ones and the copies change nothing.
    assert_eq!(
        ev,
        vec![Event::EvidenceAdded {
            window: 0,
            improved: 0,
            ignored: (first.len() + second.len()) as u32
        }]
    );
    // Meter 2 equivocates on its deciding slot: the greater consumption counts, the lesser
    // changes nothing (INV-EQUIV-001).
    let ev = c
        .execute(
            &g.call(
                0,
                Tx::AddEvidence {
                    window: 0,
                    readings: vec![g.reading(2, 3, 0, 250), g.reading(2, 3, 0, 200)],
                },
            ),
            end0 + 3,
        )
        .unwrap();
    assert_eq!(
        ev,
        vec![Event::EvidenceAdded {
            window: 0,
            improved: 1,
            ignored: 1
        }]
    );
    assert_eq!(c.dispute().unwrap().evidence.state(2), Some((3, 0, 250)));
    let deadline = end0 + 1_000;
    assert!(matches!(
        refused(
            &mut c,
            &g.call(0, Tx::FinalizeDispute { window: 0 }),
            deadline - 1
        ),
        ContractError::DisputeStillOpen { .. }
    ));
    assert!(matches!(
        refused(
            &mut c,
            &g.call(
                0,
                Tx::AddEvidence {
                    window: 0,
                    readings: vec![readings[0]]
                }
            ),
            deadline
        ),
        ContractError::DisputeDeadlinePassed { .. }
    ));
    c.execute(&g.call(0, Tx::FinalizeDispute { window: 0 }), deadline)
        .unwrap();
    assert_eq!(
        c.next_window(),
        1,
        "a dispute's outcome makes the window final"
    );
    let f = &c.finals()[0];
    assert_eq!(f.path, Path::Dispute);
    assert_eq!(f.produced, vec![400, 0, 0]);
    assert_eq!(f.consumed, vec![0, 120, 250]);
    assert!(
        c.dispute().is_none(),
        "dispute state is deleted at finalisation"
    );
}

/// An open dispute is decided by its evidence alone: not even a certificate closes it
/// (spec §7.3; version 1 let one close it early, which §15 item 1 turned into a second
/// dispute period).
#[test]
fn a_certificate_never_closes_a_dispute() {
    let g = grid(0);
    let mut c = g.funded();
    let escape_at = c.escape_at(0);
    c.execute(&g.call(2, Tx::OpenDispute { window: 0 }), escape_at)
        .unwrap();
    let r0 = g.result(0, c.last_hash(), &g.window_readings(0));
    assert!(matches!(
        refused(&mut c, &g.submit(0, &r0), escape_at + 10),
        ContractError::DisputeAlreadyOpen { .. }
    ));
    assert!(c.dispute().is_some());
}

/// Hardened variant (challenge_period > 0), REACH-LATE-001: a pending result can be
/// challenged; the challenged certificate can then not close the dispute, and a reading the
/// result missed is counted.
#[test]
fn hardened_variant_challenge_adds_a_late_reading() {
    let g = grid(500);
    let mut c = g.funded();
    let end0 = g.params.window_end(0);
    let mut readings = g.window_readings(0);
    let late = readings.pop().unwrap();
    let r0 = g.result(0, c.last_hash(), &readings);
    let cert = g.submit(0, &r0);
    let ev = c.execute(&cert, end0).unwrap();
    assert!(matches!(ev[0], Event::WindowPending { until, .. } if until == end0 + 500));
    assert!(matches!(
        refused(&mut c, &cert, end0 + 1),
        ContractError::AlreadyPending { .. }
    ));
    assert!(matches!(
        refused(
            &mut c,
            &g.call(0, Tx::FinalizePending { window: 0 }),
            end0 + 499
        ),
        ContractError::ChallengePeriodRunning { .. }
    ));
    assert_eq!(
        refused(
            &mut c,
            &g.call(1, Tx::OpenDispute { window: 0 }),
            end0 + 100
        ),
        ContractError::WrongAmount {
            expected: g.params.dispute_bond,
            got: 0
        }
    );
    let ev = c.execute(&g.challenge(1, 0), end0 + 100).unwrap();
    assert!(matches!(
        ev[0],
        Event::DisputeOpened {
            challenged: Some(_),
            ..
        }
    ));
    assert!(matches!(
        refused(&mut c, &cert, end0 + 101),
        ContractError::DisputeAlreadyOpen { .. }
    ));
    for chunk in g.window_readings(0).chunks(5) {
        c.execute(
            &g.call(
                1,
                Tx::AddEvidence {
                    window: 0,
                    readings: chunk.to_vec(),
                },
            ),
            end0 + 102,
        )
        .unwrap();
    }
    c.execute(&g.call(1, Tx::FinalizeDispute { window: 0 }), end0 + 1_100)
        .unwrap();
    assert_eq!(late.reading.meter, g.meters[2].address());
    assert_eq!(
        r0.consumed,
        vec![0, 120, 180],
        "the certified result missed one reading"
    );
    assert_eq!(
        c.finals()[0].consumed,
        vec![0, 120, 240],
        "the late reading is counted"
    );
}

#[test]
fn pending_result_finalises_after_an_unchallenged_period() {
    let g = grid(500);
    let mut c = g.funded();
    let end0 = g.params.window_end(0);
    let r0 = g.result(0, c.last_hash(), &g.window_readings(0));
    c.execute(&g.submit(0, &r0), end0).unwrap();
    assert!(matches!(
        refused(
            &mut c,
            &g.call(1, Tx::OpenDispute { window: 0 }),
            end0 + 500
        ),
        ContractError::ChallengePeriodOver { .. }
    ));
    c.execute(&g.call(2, Tx::FinalizePending { window: 0 }), end0 + 500)
        .unwrap();
    assert_eq!(c.finals()[0].hash, g.domain.result_digest(&r0));
}

/// REACH-SLASH-001, INV-SLASH-001: equivocation and inconsistency are slashable with proof;
/// a consistent result, an honest node's, is not.
#[test]
fn slashing_needs_proof() {
    let g = grid(0);
    let mut c = g.funded();
    let readings = g.window_readings(0);
    let honest = g.result(0, c.last_hash(), &readings);
    let mut sorted_set = ReadingSet::new(0, N);
    for r in &readings {
        sorted_set
            .add(g.params.meter_index(&r.reading.meter).unwrap(), *r)
            .unwrap();
    }
    // The honest root commits to the deciding set: one reading a meter here.
    let canonical: Vec<SignedReading> = sorted_set
        .deciding()
        .readings()
        .map(|(_, k)| k.signed)
        .collect();
    assert_eq!(canonical.len(), N);
    let everything: Vec<SignedReading> = sorted_set.iter().map(|(_, r)| *r).collect();
    let reporter = g.params.wallets[0];
    let report = |tx| Call {
        from: reporter,
        value: 0,
        tx,
    };
    // An honest result over its own set is not fraud.
    let e = refused(
        &mut c,
        &report(Tx::ReportInconsistency {
            claim: g.signed(0, &honest),
            readings: canonical.clone(),
        }),
        0,
    );
    assert_eq!(e, ContractError::NotFraud);
    // The wrong set is no proof at all.
    let e = refused(
        &mut c,
        &report(Tx::ReportInconsistency {
            claim: g.signed(0, &honest),
            readings: canonical[1..].to_vec(),
        }),
        0,
    );
    assert_eq!(e, ContractError::RootMismatch);
    // Inflated totals over the honest root: slashable.
    let mut lie = honest.clone();
    lie.produced[0] += 1;
    assert_eq!(
        refused(
            &mut c,
            &Call {
                from: g.params.nodes[1],
                value: 0,
                tx: Tx::ReportInconsistency {
                    claim: g.signed(1, &lie),
                    readings: canonical.clone()
                }
            },
            0
        ),
        ContractError::SelfReport
    );
    let ev = c
        .execute(
            &report(Tx::ReportInconsistency {
                claim: g.signed(1, &lie),
                readings: canonical.clone(),
            }),
            0,
        )
        .unwrap();
    assert_eq!(
        ev,
        vec![Event::Slashed {
            node: 1,
            reporter,
            reason: SlashReason::Inconsistency,
            reward: 160_000
        }]
    );
    // F4: the reporter is reimbursed its proof's gas at the rate (100k + 20k a reading);
    // the rest of the bond goes to the pool, so copying a report earns its gas only.
    assert_eq!(
        160_000,
        g.params.gas_rate_wei * bonds::report_gas(Some(canonical.len())) as u128
    );
    assert_eq!(c.slash_pool(), 1_000_001 - 160_000);
    assert!(matches!(
        refused(
            &mut c,
            &report(Tx::ReportInconsistency {
                claim: g.signed(1, &lie),
                readings: canonical.clone()
            }),
            0
        ),
        ContractError::AlreadySlashed(1)
    ));
    // Equivocation: two different results for one window.
    let mut other = honest.clone();
    other.readings_root = B256::repeat_byte(3);
    assert_eq!(
        refused(
            &mut c,
            &report(Tx::ReportEquivocation {
                first: g.signed(2, &honest),
                second: g.signed(2, &honest)
            }),
            0
        ),
        ContractError::NotEquivocation
    );
    assert_eq!(
        refused(
            &mut c,
            &report(Tx::ReportEquivocation {
                first: g.signed(2, &honest),
                second: g.signed(0, &other)
            }),
            0
        ),
        ContractError::SignersDiffer
    );
    let ev = c
        .execute(
            &report(Tx::ReportEquivocation {
                first: g.signed(2, &honest),
                second: g.signed(2, &other),
            }),
            0,
        )
        .unwrap();
    assert!(matches!(
        ev[0],
        Event::Slashed {
            reward: 120_000,
            ..
        }
    ));
    assert!(c.is_slashed(2) && c.is_slashed(1) && !c.is_slashed(0));
    assert_eq!(c.slashed(), &[false, true, true][..]);
    // A slashed node's signature counts for nothing: a certificate with it is refused.
    assert_eq!(
        refused(&mut c, &g.submit(0, &honest), g.params.window_end(0)),
        ContractError::SlashedSigner { index: 1 }
    );
    // A non-canonical order under a matching root is itself inconsistent.
    let mut reversed = canonical.clone();
    reversed.reverse();
    let mut over_reversed = honest.clone();
    over_reversed.readings_root = reversed
        .iter()
        .fold(B256::ZERO, |r, sr| chain_root(r, leaf(sr)));
    let mut c2 = g.funded();
    c2.execute(
        &report(Tx::ReportInconsistency {
            claim: g.signed(0, &over_reversed),
            readings: reversed,
        }),
        0,
    )
    .unwrap();
    // Right totals over a root of every reading, in canonical order: not a deciding set, so
    // no honest node signed it.
    let mut over_everything = honest.clone();
    over_everything.readings_root = everything
        .iter()
        .fold(B256::ZERO, |r, sr| chain_root(r, leaf(sr)));
    c2.execute(
        &report(Tx::ReportInconsistency {
            claim: g.signed(1, &over_everything),
            readings: everything.clone(),
        }),
        0,
    )
    .unwrap();
    assert!(c2.is_slashed(1));
    // A proof longer than any deciding set is refused by size.
    let long: Vec<SignedReading> = (0..=MAX_FRAUD_PROOF_READINGS as u64)
        .map(|k| g.reading(0, k % W, k, 0))
        .collect();
    assert_eq!(
        refused(
            &mut c2,
            &report(Tx::ReportInconsistency {
                claim: g.signed(2, &honest),
                readings: long,
            }),
            0
        ),
        ContractError::EvidenceSize {
            max: MAX_FRAUD_PROOF_READINGS,
            got: MAX_FRAUD_PROOF_READINGS + 1
        }
    );
    c.check_conservation().unwrap();
}

#[test]
fn calls_carrying_ether_where_none_is_expected_are_refused() {
    let g = grid(0);
    let mut c = g.funded();
    let mut call = g.call(0, Tx::Close);
    call.value = 1;
    assert_eq!(refused(&mut c, &call, 0), ContractError::UnexpectedValue(1));
}

#[test]
fn malformed_results_are_refused() {
    let g = grid(0);
    let mut c = g.funded();
    let end0 = g.params.window_end(0);
    let mut r = g.result(0, c.last_hash(), &g.window_readings(0));
    r.consumed.push(1);
    assert!(matches!(
        refused(&mut c, &g.submit(0, &r), end0),
        ContractError::MalformedResult(_)
    ));
    r.consumed.pop();
    r.produced[0] = W * crate::protocol::params::MAX_READING_WH + 1;
    assert!(matches!(
        refused(&mut c, &g.submit(0, &r), end0),
        ContractError::MalformedResult(_)
    ));
    // The bound itself is a total a window of readings can reach.
    r.produced[0] = W * crate::protocol::params::MAX_READING_WH;
    c.execute(&g.submit(0, &r), end0).unwrap();
}

#[test]
fn invalid_parameters_are_refused_at_open() {
    let g = grid(0);
    let mut p = g.params.clone();
    p.nodes[1] = p.nodes[0];
    assert!(matches!(
        Contract::open(p, Secp256k1::new()),
        Err(ParamsError::DuplicateAddress { role: "node", .. })
    ));
    let mut p = g.params.clone();
    p.wallets.pop();
    assert!(matches!(
        Contract::open(p, Secp256k1::new()),
        Err(ParamsError::LengthMismatch { .. })
    ));
    let mut p = g.params.clone();
    p.dispute_period = p.collect_period;
    assert!(matches!(
        Contract::open(p, Secp256k1::new()),
        Err(ParamsError::DisputeTooShort { .. })
    ));
    let mut p = g.params.clone();
    p.price_wei_per_wh = u128::MAX;
    assert!(matches!(
        Contract::open(p, Secp256k1::new()),
        Err(ParamsError::TooLarge { .. })
    ));
    let mut p = g.params.clone();
    p.start = u64::MAX - 10;
    assert_eq!(
        Contract::open(p, Secp256k1::new()).unwrap_err(),
        ParamsError::TimeOverflow
    );
}

fn evidence_outcome(g: &Grid, batches: &[Vec<SignedReading>]) -> (Vec<u64>, Vec<u64>, B256) {
    let mut c = g.funded();
    let end0 = c.escape_at(0);
    c.execute(&g.call(0, Tx::OpenDispute { window: 0 }), end0)
        .unwrap();
    for b in batches.iter().filter(|b| !b.is_empty()) {
        c.execute(
            &g.call(
                1,
                Tx::AddEvidence {
                    window: 0,
                    readings: b.clone(),
                },
            ),
            end0,
        )
        .unwrap();
    }
    c.execute(&g.call(0, Tx::FinalizeDispute { window: 0 }), end0 + 1_000)
        .unwrap();
    c.check_conservation().unwrap();
    let f = &c.finals()[0];
    (f.produced.clone(), f.consumed.clone(), f.hash)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, rng_seed: proptest::test_runner::RngSeed::Fixed(11), failure_persistence: None, ..ProptestConfig::default() })]

    /// INV-CONFLUENCE-001: the dispute outcome depends only on the set of evidence, not on
    /// its order, its chunking or its duplicates, equivocations included.
    #[test]
    fn dispute_outcome_is_independent_of_order_chunking_and_duplicates(
        values in proptest::collection::vec((0u64..50, 0u64..50), 12),
        extra in proptest::collection::vec((0usize..3, 0u64..4, 0u64..50), 0..4),
        perm_seed in any::<u64>(),
        cut in 1usize..6,
    ) {
        let g = grid(0);
        let mut readings: Vec<SignedReading> = values.iter().enumerate()
            .map(|(k, (p, c))| g.reading(k % 3, (k / 3) as u64, *p, *c)).collect();
        readings.extend(extra.iter().map(|(m, s, p)| g.reading(*m, *s, *p, 7)));
        let baseline = evidence_outcome(&g, &[readings.clone()]);
        // A deterministic shuffle, duplicates, and different chunking.
        let mut shuffled = readings.clone();
        let mut x = perm_seed | 1;
        for i in (1..shuffled.len()).rev() {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            shuffled.swap(i, (x % (i as u64 + 1)) as usize);
        }
        shuffled.extend(readings.iter().take(3).copied());
        let batches: Vec<Vec<SignedReading>> = shuffled.chunks(cut).map(|c| c.to_vec()).collect();
        prop_assert_eq!(evidence_outcome(&g, &batches), baseline);
    }
}

/// §7.3, REACH-PARTIAL-001: a result signed by fewer than N nodes is taken only once the
/// signing deadline passed, waits one dispute period, and is then final with path `Partial`.
#[test]
fn a_partial_result_waits_one_dispute_period() {
    let g = grid(0);
    let mut c = g.funded();
    let end0 = g.params.window_end(0);
    let r0 = g.result(0, c.last_hash(), &g.window_readings(0));
    let mut sigs = g.certificate(&r0);
    sigs.pop(); // node 2 is absent
    let partial = g.submit_with(0, &r0, sigs.clone());
    let from = end0 + g.params.collect_period + g.params.sign_period;
    assert_eq!(c.signing_deadline(0), from);
    assert_eq!(
        refused(&mut c, &partial, from - 1),
        ContractError::SigningPeriodRunning {
            window: 0,
            until: from
        }
    );
    assert_eq!(
        refused(&mut c, &g.submit_with(0, &r0, vec![]), from),
        ContractError::WrongSignatureCount {
            expected: N,
            got: 0
        }
    );
    let until = from + g.params.dispute_period;
    assert_eq!(
        c.execute(&partial, from).unwrap(),
        vec![Event::WindowPending {
            window: 0,
            hash: g.domain.result_digest(&r0),
            until
        }]
    );
    assert!(c.pending().is_some_and(|p| p.partial));
    assert!(matches!(
        refused(&mut c, &partial, from + 1),
        ContractError::AlreadyPending { .. }
    ));
    assert!(matches!(
        refused(
            &mut c,
            &g.call(1, Tx::FinalizePending { window: 0 }),
            until - 1
        ),
        ContractError::ChallengePeriodRunning { .. }
    ));
    let ev = c
        .execute(&g.call(1, Tx::FinalizePending { window: 0 }), until)
        .unwrap();
    assert!(matches!(
        ev[0],
        Event::WindowFinalized {
            path: Path::Partial,
            ..
        }
    ));
    assert_eq!(c.finals()[0].consumed, vec![0, 120, 240]);
    c.check_conservation().unwrap();
}

/// A partial result is challenged like a pending certificate; nothing closes a dispute but
/// its evidence (review finding F7).
#[test]
fn a_partial_result_is_challenged_and_never_closes_a_dispute() {
    let g = grid(0);
    let mut c = g.funded();
    let end0 = g.params.window_end(0);
    let from = c.signing_deadline(0);
    let readings = g.window_readings(0);
    let lie = {
        let mut r = g.result(0, c.last_hash(), &readings);
        r.produced[0] += 50;
        r
    };
    let one = vec![sign_result(&g.nodes[1], &g.domain, &lie)];
    c.execute(&g.submit_with(1, &lie, one.clone()), from)
        .unwrap();
    // An honest node challenges it within the period.
    let ev = c.execute(&g.challenge(0, 0), from + 10).unwrap();
    assert_eq!(
        c.dispute().map(Dispute::challenged_hash),
        Some(Some(g.domain.result_digest(&lie))),
        "the dispute names the challenged result by its hash"
    );
    assert!(matches!(
        ev[0],
        Event::DisputeOpened {
            challenged: Some(_),
            ..
        }
    ));
    // Neither the challenged lie nor another partial result closes the dispute.
    assert!(matches!(
        refused(&mut c, &g.submit_with(1, &lie, one), from + 11),
        ContractError::DisputeAlreadyOpen { .. }
    ));
    let honest = g.result(0, c.last_hash(), &readings);
    let mut two = g.certificate(&honest);
    two.pop();
    assert!(matches!(
        refused(&mut c, &g.submit_with(0, &honest, two), from + 12),
        ContractError::DisputeAlreadyOpen { .. }
    ));
    // Nor does a full certificate (F7, and §15 item 1).
    let deadline = from + 10 + g.params.dispute_period;
    assert!(matches!(
        refused(&mut c, &g.submit(0, &honest), from + 13),
        ContractError::DisputeAlreadyOpen { .. }
    ));
    assert!(end0 < from);
    c.execute(
        &g.call(
            0,
            Tx::AddEvidence {
                window: 0,
                readings: readings.clone(),
            },
        ),
        deadline - 1,
    )
    .unwrap();
    let ev = c
        .execute(&g.call(2, Tx::FinalizeDispute { window: 0 }), deadline)
        .unwrap();
    assert_eq!(c.finals()[0].path, Path::Dispute);
    assert_eq!(c.finals()[0].produced, honest.produced, "the lie lost");
    // INV-BOND-001/002: whoever is wrong pays. The liar's bond reimburses the challenge,
    // the three meters' evidence (node 0) and the finalisation (node 2) at the rate; the
    // challenger's bond comes back; the rest goes to the slash pool.
    let (bond, rate) = (g.params.dispute_bond, g.params.gas_rate_wei);
    let to_challenger = rate * (bonds::GAS_CHALLENGE + 3 * bonds::GAS_EVIDENCE_PER_METER) as u128;
    let to_finalizer = rate * bonds::finalize_gas(N) as u128;
    assert_eq!(
        ev[1],
        Event::BondsSettled {
            window: 0,
            loser: bonds::Loser::Asserter,
            reimbursed: to_challenger + to_finalizer,
            pooled: bond - to_challenger - to_finalizer,
        }
    );
    assert_eq!(c.rewards()[&g.params.nodes[0]], bond + to_challenger);
    assert_eq!(c.rewards()[&g.params.nodes[2]], to_finalizer);
    assert!(
        !c.rewards().contains_key(&g.params.nodes[1]),
        "the liar gets nothing back"
    );
    assert_eq!(c.slash_pool(), bond - to_challenger - to_finalizer);
    c.check_conservation().unwrap();
}

/// A contract's equality is its state's and its parameters': the model checker tells states
/// apart by it, so a contract that compared equal to another state would merge two states.
#[test]
fn contracts_are_equal_exactly_when_state_and_parameters_are() {
    use std::hash::{Hash, Hasher};
    let g = grid(0);
    let (a, b) = (g.open(), g.open());
    assert_eq!(
        a, b,
        "two deployments with the same parameters, nothing done"
    );
    let mut deposited = g.open();
    deposited.execute(&g.deposit(0), START - 1).unwrap();
    assert_ne!(a, deposited, "one deposit apart");
    let mut again = g.open();
    again.execute(&g.deposit(0), START - 1).unwrap();
    assert_eq!(deposited, again, "the same call on the same contract");
    // The hash is the state's: equal contracts hash alike, and (the checker keeps only
    // fingerprints) these two states apart hash apart.
    let hash = |c: &Contract<Secp256k1>| {
        let mut h = std::hash::DefaultHasher::new();
        c.hash(&mut h);
        h.finish()
    };
    assert_eq!(hash(&deposited), hash(&again));
    assert_ne!(hash(&a), hash(&deposited));
    let mut other = g.params.clone();
    other.price_wei_per_wh += 1;
    let repriced = Contract::open(other, Secp256k1::new()).unwrap();
    assert_ne!(a, repriced, "the same state under other parameters");
}

/// What funding leaves: each prosumer's deposit as its balance and each node's bond, as the
/// contract's accessors report them (the EVM harness and the model read them).
#[test]
fn funding_records_each_deposit_and_bond() {
    let g = grid(0);
    let c = g.funded();
    assert_eq!(c.balances(), &g.params.deposits[..]);
    assert_eq!(c.bonds(), &vec![g.params.bond; N][..]);
    assert_eq!(c.deposited(), &[true; N][..]);
    assert_eq!(c.bonded(), &[true; N][..]);
    let total: u128 = g.params.deposits.iter().sum::<u128>() + N as u128 * g.params.bond;
    assert_eq!(c.held(), total, "every deposit and bond, held");
    assert_eq!(c.slashed(), &[false; N][..]);
    assert_eq!(c.dust(), 0);
    let fresh = g.open();
    assert_eq!(fresh.bonds(), &[0; N][..]);
    assert_eq!(fresh.bonded(), &[false; N][..]);
}

/// Rounding dust is the contract's to hold (INV-FUNDS-002): a buyer whose balance caps its
/// payment at 50 wei (7 Wh matched at 10 wei) pays two sellers of 2 and 5 Wh surplus 14 and
/// 35 wei, and 1 wei is dust.
#[test]
fn rounding_dust_is_credited() {
    let g = grid(0);
    let mut c = g.funded();
    let slots = g.params.slot_range(0);
    let last = slots.end - 1;
    let readings = vec![
        g.reading(0, last, 2, 0),
        g.reading(1, last, 5, 0),
        g.reading(2, last, 0, 100),
    ];
    let r = g.result(0, c.last_hash(), &readings);
    assert_eq!(
        (r.produced.clone(), r.consumed.clone()),
        (vec![2, 5, 0], vec![0, 0, 100])
    );
    let events = c.execute(&g.submit(0, &r), g.params.window_end(0)).unwrap();
    let settled = events.iter().find_map(|e| match e {
        Event::WindowFinalized { settlement, .. } => Some(settlement.clone()),
        _ => None,
    });
    let s = settled.expect("the certificate settles the window");
    assert_eq!(
        (s.paid.clone(), s.received.clone()),
        (vec![0, 0, 50], vec![14, 35, 0])
    );
    assert_eq!(s.dust, 1);
    assert_eq!(c.dust(), 1, "the dust is the contract's");
    assert_eq!(c.balances(), &[1_000_014, 1_000_035, 0][..]);
    c.check_conservation().unwrap();
}

/// A transaction's required value (spec §7.3, §7.4): a partial result and a challenge carry
/// the dispute bond, a certificate and an escape nothing.
#[test]
fn the_required_value_is_the_bond_of_a_claim() {
    let g = grid(0);
    let mut c = g.funded();
    let bond = g.params.dispute_bond;
    let readings = g.window_readings(0);
    let r = g.result(0, c.last_hash(), &readings);
    let full = g.certificate(&r);
    let partial = full[..N - 1].to_vec();
    let submit = |signatures: Vec<Signature65>| Tx::SubmitWindow {
        result: r.clone(),
        signatures,
    };
    assert_eq!(c.required_value(&submit(full.clone())), 0);
    assert_eq!(c.required_value(&submit(partial.clone())), bond);
    let open = Tx::OpenDispute { window: 0 };
    assert_eq!(c.required_value(&open), 0, "an escape: nothing pending");
    assert_eq!(c.required_value(&Tx::Close), 0);
    c.execute(&g.submit_with(1, &r, partial), c.signing_deadline(0))
        .unwrap();
    assert!(c.pending().is_some());
    assert_eq!(
        c.required_value(&open),
        bond,
        "a challenge of the pending result"
    );
}

/// INV-FUNDS-001's check fails where the books do not balance: the contract's own
/// assertion (run after every call by the model and in debug builds) is not vacuous.
#[test]
fn conservation_fails_when_the_books_do_not_balance() {
    let g = grid(0);
    let c = g.funded();
    c.check_conservation().unwrap();
    let mut held = c.clone();
    held.held += 1;
    assert!(
        held.check_conservation().is_err(),
        "held differs from the accounts"
    );
    let mut flows = c.clone();
    flows.paid_out += 1;
    assert!(
        flows.check_conservation().is_err(),
        "paid in differs from held + paid out"
    );
}

/// A call in the wrong phase is refused by name, before anything else is looked at.
#[test]
fn calls_outside_their_phase_are_refused() {
    let g = grid(0);
    let mut c = g.open();
    let r = g.result(0, c.last_hash(), &g.window_readings(0));
    assert_eq!(
        refused(&mut c, &g.submit(0, &r), g.params.window_end(0)),
        ContractError::WrongPhase {
            actual: Phase::Funding
        }
    );
    assert_eq!(
        refused(&mut c, &g.call(0, Tx::Close), g.params.window_end(0)),
        ContractError::WrongPhase {
            actual: Phase::Funding
        }
    );
}

/// A credit of nothing opens no account: the rewards hold only what is owed.
#[test]
fn a_zero_credit_opens_no_account() {
    let g = grid(0);
    let mut c = g.funded();
    c.credit(g.params.nodes[0], 0);
    assert!(c.rewards().is_empty());
    c.credit(g.params.nodes[0], 5);
    assert_eq!(c.rewards()[&g.params.nodes[0]], 5);
}

/// Close (§7.8) pays out exactly: each wallet its balance, each unslashed node its bond and
/// an equal share of the slash pool, the reporter its reward, and the dust recipient the
/// rounding dust with what the pool's division leaves. Node 1 is slashed for an
/// inconsistent result (reward 160,000 of its 1,000,001 bond), so the pool is 840,001 and
/// the two unslashed nodes get 420,000 each, 1 wei of it dust.
#[test]
fn close_shares_the_slash_pool_and_pays_out_exactly() {
    let g = grid(0);
    let mut c = g.funded();
    let readings = g.window_readings(0);
    let honest = g.result(0, c.last_hash(), &readings);
    let mut set = ReadingSet::new(0, N);
    for r in &readings {
        set.add(g.params.meter_index(&r.reading.meter).unwrap(), *r)
            .unwrap();
    }
    let canonical: Vec<SignedReading> = set.deciding().readings().map(|(_, k)| k.signed).collect();
    let mut lie = honest.clone();
    lie.produced[0] += 1;
    let reporter = g.params.wallets[0];
    c.execute(
        &Call {
            from: reporter,
            value: 0,
            tx: Tx::ReportInconsistency {
                claim: g.signed(1, &lie),
                readings: canonical,
            },
        },
        0,
    )
    .unwrap();
    assert_eq!(c.slash_pool(), 840_001);
    // Both windows final by certificates of the unslashed nodes 0 and 2.
    let unslashed_certificate = |r: &WindowResult| -> Vec<Signature65> {
        [0, 2]
            .iter()
            .map(|&j| sign_result(&g.nodes[j], &g.domain, r))
            .collect()
    };
    for w in 0..2 {
        let r = g.result(w, c.last_hash(), &g.window_readings(w));
        let end = g.params.window_end(w);
        let tx = Tx::SubmitWindow {
            signatures: unslashed_certificate(&r),
            result: r,
        };
        c.execute(&g.call(0, tx), end).unwrap();
    }
    assert!(c.all_final());
    let balances = c.balances().to_vec();
    let dust_before = c.dust();
    let until = c.last_final_at().unwrap() + g.params.slash_period;
    c.execute(&g.call(0, Tx::Close), until).unwrap();
    assert_eq!(c.phase(), Phase::Closed);
    let bond = g.params.bond;
    let mut expected: BTreeMap<Address, u128> = BTreeMap::new();
    for (i, b) in balances.iter().enumerate() {
        *expected.entry(g.params.wallets[i]).or_default() += b;
    }
    *expected.entry(g.params.nodes[0]).or_default() += bond + 420_000;
    *expected.entry(g.params.nodes[2]).or_default() += bond + 420_000;
    *expected.entry(reporter).or_default() += 160_000;
    *expected.entry(g.params.dust_recipient).or_default() += dust_before + 1;
    expected.retain(|_, v| *v > 0);
    assert_eq!(c.owed(), &expected);
    assert!(
        !c.owed().contains_key(&g.params.nodes[1]),
        "the slashed node gets nothing"
    );
    assert_eq!(c.slash_pool(), 0);
    assert_eq!(c.dust(), 0);
    c.check_conservation().unwrap();
}

/// A fraud proof as long as a deciding set can be is judged, not refused by its size; a
/// result no honest node could sign (malformed totals, or a window the contract does not
/// have) is inconsistent with any readings at all.
#[test]
fn fraud_proofs_up_to_their_bound_are_judged_and_malformed_claims_are_fraud() {
    let g = grid(0);
    let mut c = g.funded();
    let reporter = g.params.wallets[0];
    let report = |claim: SignedResult, readings: Vec<SignedReading>| Call {
        from: reporter,
        value: 0,
        tx: Tx::ReportInconsistency { claim, readings },
    };
    let honest = g.result(0, c.last_hash(), &g.window_readings(0));
    let longest: Vec<SignedReading> = (0..MAX_FRAUD_PROOF_READINGS as u64)
        .map(|k| g.reading(0, k % W, k, 0))
        .collect();
    let e = refused(&mut c, &report(g.signed(2, &honest), longest), 0);
    assert!(
        !matches!(e, ContractError::EvidenceSize { .. }),
        "judged, not refused by size: {e:?}"
    );
    // Over no readings (the empty root), so that only the claim itself is judged.
    let mut short = honest.clone();
    short.produced.pop();
    short.readings_root = B256::ZERO;
    c.execute(&report(g.signed(1, &short), vec![]), 0).unwrap();
    assert!(c.is_slashed(1), "malformed totals are fraud");
    // Zero totals over no readings would be consistent in a window the contract has.
    let nothing = WindowResult {
        window: g.params.windows,
        prev_hash: honest.prev_hash,
        produced: vec![0; N],
        consumed: vec![0; N],
        readings_root: B256::ZERO,
    };
    c.execute(&report(g.signed(2, &nothing), vec![]), 0)
        .unwrap();
    assert!(
        c.is_slashed(2),
        "a window the contract does not have is fraud"
    );
}

/// With every node slashed (beyond the protocol's assumption of one honest node, but not
/// beyond what the contract must survive), close still pays out: the whole slash pool goes
/// to the dust recipient, no node gets anything, and nothing divides by zero.
#[test]
fn close_with_every_node_slashed_pays_the_pool_to_the_dust_recipient() {
    let g = grid(0);
    let mut c = g.funded();
    let honest = g.result(0, c.last_hash(), &g.window_readings(0));
    let mut other = honest.clone();
    other.readings_root = B256::repeat_byte(7);
    for j in 0..N {
        c.execute(
            &Call {
                from: g.params.dust_recipient,
                value: 0,
                tx: Tx::ReportEquivocation {
                    first: g.signed(j, &honest),
                    second: g.signed(j, &other),
                },
            },
            0,
        )
        .unwrap();
    }
    assert_eq!(c.slashed(), &[true; N][..]);
    assert_eq!(c.unslashed(), 0);
    // No certificate can be made: each window is finished by an escape dispute (F6).
    let wallet = |tx| Call {
        from: g.params.wallets[0],
        value: 0,
        tx,
    };
    for window in 0..2 {
        c.execute(&wallet(Tx::OpenDispute { window }), c.escape_at(window))
            .unwrap();
        let deadline = c.dispute().expect("the escape is open").deadline;
        c.execute(&wallet(Tx::FinalizeDispute { window }), deadline)
            .unwrap();
    }
    assert!(c.all_final());
    let pool = c.slash_pool();
    assert!(pool > 0);
    let (dust, rewards) = (c.dust(), c.rewards().clone());
    let until = c.last_final_at().unwrap() + g.params.slash_period;
    c.execute(&g.call(0, Tx::Close), until).unwrap();
    let rewarded = rewards.get(&g.params.dust_recipient).copied().unwrap_or(0);
    let paid_to_dust = c.owed()[&g.params.dust_recipient] - rewarded;
    assert_eq!(paid_to_dust, dust + pool);
    for j in 0..N {
        assert!(!c.owed().contains_key(&g.params.nodes[j]));
    }
    c.check_conservation().unwrap();
}

/// Window 0 links to the EIP-712 domain separator (spec §4.4), which binds the chain of
/// results to this contract on this chain: not to zero, and not to another deployment's.
#[test]
fn window_zero_links_to_the_domain_separator() {
    let g = grid(0);
    let separator = Domain::new(g.params.chain_id, g.params.contract).separator;
    assert_eq!(g.open().last_hash(), separator);
    assert_ne!(separator, B256::ZERO);
    let mut elsewhere = g.params.clone();
    elsewhere.chain_id += 1;
    let other = Contract::open(elsewhere, Secp256k1::new()).unwrap();
    assert_ne!(other.last_hash(), separator);
}
