//! A Byzantine intermediate node (spec §10): the honest state machine with its outputs
//! rewritten by a set of behaviours. Byzantine nodes may collude: nodes configured with the
//! same `beneficiary` inflate the same prosumer's production and so sign the same lie.

use serde::{Deserialize, Serialize};

use crate::actors::node::{Node, NodeMessage, Output};
use crate::protocol::contract::{Contract, Tx};
use crate::protocol::crypto::Recover;
use crate::protocol::eip712::sign_result;
use crate::protocol::params::ProsumerIndex;
use crate::protocol::types::{SignedResult, WindowResult};

/// What a Byzantine node does differently from an honest one. Behaviours combine.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Behaviour {
    /// Sends peers no inventories and no readings.
    pub withhold_readings: bool,
    /// Never signs, never forwards signatures, never submits a certificate.
    pub withhold_signature: bool,
    /// Signs a result over its honest readings root with `beneficiary`'s production
    /// inflated by `inflate_wh` (provably inconsistent: slashable).
    pub wrong_totals: bool,
    /// Sends its honest signature to even-numbered peers and a second, different result to
    /// odd-numbered ones (slashable equivocation).
    pub equivocate: bool,
    /// Challenges every pending result it did not put on chain itself, bonding the
    /// challenge (a spurious challenger when the result is honest: it loses its bond).
    #[serde(alias = "spurious_dispute")]
    pub spurious_challenge: bool,
    /// At the signing deadline, puts its lie on chain as a partial result signed by itself
    /// alone, bonded (a lying asserter: challenged, it loses its bond).
    pub lying_asserter: bool,
    /// Copies every fraud report an honest node sends and gets it on chain first, from an
    /// address of its own (report front-running: it earns the report's gas, nothing more).
    pub front_run_reports: bool,
    /// In disputes, adds only the readings of `beneficiary`'s meter.
    pub partial_evidence: bool,
    /// Offline from the start of the contract: after funding it sends and submits nothing
    /// (spec §10; an absent node costs one period, not a dispute).
    pub absent: bool,
    /// The prosumer the lies favour.
    pub beneficiary: ProsumerIndex,
    /// How many Wh a wrong result adds.
    pub inflate_wh: u64,
}

impl Behaviour {
    /// Every misbehaviour at once, colluding for `beneficiary`.
    pub fn all(beneficiary: ProsumerIndex) -> Self {
        Self {
            withhold_readings: true,
            withhold_signature: false,
            wrong_totals: true,
            equivocate: false,
            spurious_challenge: true,
            lying_asserter: false,
            front_run_reports: false,
            partial_evidence: true,
            absent: false,
            beneficiary,
            inflate_wh: 1_000_000,
        }
    }
}

/// The adversary's lie about `honest` (spec §10: "sign wrong totals, over their honest root
/// or any other"): `beneficiary`'s production inflated by `inflate_wh` (at least 1 Wh), and
/// with a nonzero `salt` the readings root changed as well, a root no set of readings is
/// known to have, so no fraud proof can ever be made against it (only a dispute undoes it).
///
/// One definition of the lie, used by the simulation's Byzantine node and by the model's
/// adversary (`diversity-model`, `ByzMove::Sign`).
pub fn lie_about(
    honest: &WindowResult,
    beneficiary: ProsumerIndex,
    inflate_wh: u64,
    salt: u8,
) -> WindowResult {
    let mut result = honest.clone();
    let b = beneficiary.min(result.produced.len().saturating_sub(1));
    if let Some(p) = result.produced.get_mut(b) {
        *p += inflate_wh.max(1);
    }
    if salt > 0 {
        result.readings_root.0[31] ^= salt;
    }
    result
}

pub struct ByzantineNode<R> {
    pub inner: Node<R>,
    pub behaviour: Behaviour,
    /// Windows it challenged, and windows it asserted a lie for: once each.
    challenged: Vec<u32>,
    asserted: Vec<u32>,
}

impl<R: Recover> ByzantineNode<R> {
    pub fn new(inner: Node<R>, behaviour: Behaviour) -> Self {
        Self {
            inner,
            behaviour,
            challenged: Vec::new(),
            asserted: Vec::new(),
        }
    }

    fn lie(&self, honest: &WindowResult, salt: u8) -> SignedResult {
        let result = lie_about(
            honest,
            self.behaviour.beneficiary,
            self.behaviour.inflate_wh,
            salt,
        );
        let signature = sign_result(
            self.inner.key(),
            &crate::protocol::eip712::Domain::of(self.inner.params()),
            &result,
        );
        SignedResult { result, signature }
    }

    /// Rewrites the honest node's outputs according to the behaviour.
    pub fn filter(&mut self, outputs: Vec<Output>, chain: &Contract<R>) -> Vec<Output> {
        let b = self.behaviour.clone();
        let mut out = Vec::new();
        if b.absent {
            return out;
        }
        for o in outputs {
            match o {
                Output::Send {
                    msg: NodeMessage::Inventory { .. } | NodeMessage::Readings { .. },
                    ..
                } if b.withhold_readings => {}
                Output::Send {
                    to,
                    msg: NodeMessage::Signed(sr),
                } => {
                    let own = sr.result.window < self.inner.params().windows
                        && self
                            .inner
                            .window(sr.result.window)
                            .and_then(|w| w.frozen.as_ref())
                            .is_some_and(|f| f.signature == sr.signature);
                    if b.withhold_signature {
                        continue;
                    }
                    if !own {
                        out.push(Output::Send {
                            to,
                            msg: NodeMessage::Signed(sr),
                        });
                        continue;
                    }
                    let msg = if b.equivocate && to % 2 == 1 {
                        NodeMessage::Signed(self.lie(&sr.result, 1))
                    } else if b.wrong_totals {
                        NodeMessage::Signed(self.lie(&sr.result, 0))
                    } else {
                        NodeMessage::Signed(sr)
                    };
                    out.push(Output::Send { to, msg });
                }
                Output::Submit(Tx::SubmitWindow { .. })
                    if b.withhold_signature || b.wrong_totals => {}
                Output::Submit(Tx::ReportEquivocation { .. } | Tx::ReportInconsistency { .. }) => {}
                Output::Submit(Tx::AddEvidence { window, readings }) if b.partial_evidence => {
                    let mine = chain.params().meters.get(b.beneficiary).copied();
                    let keep: Vec<_> = readings
                        .into_iter()
                        .filter(|r| Some(r.reading.meter) == mine)
                        .collect();
                    if !keep.is_empty() {
                        out.push(Output::Submit(Tx::AddEvidence {
                            window,
                            readings: keep,
                        }));
                    }
                }
                other => out.push(other),
            }
        }
        out
    }

    /// The Byzantine node's own clock step: the honest step, rewritten, plus spurious
    /// challenges and lies asserted on chain.
    pub fn tick(&mut self, now: u64, chain: &Contract<R>) -> Vec<Output> {
        let outputs = self.inner.tick(now, chain);
        let mut out = self.filter(outputs, chain);
        let b = &self.behaviour;
        let w = chain.next_window();
        let me = self.inner.index();
        let live = !b.absent
            && chain.phase() == crate::protocol::contract::Phase::Active
            && w < self.inner.params().windows
            && !chain.is_slashed(me)
            && chain.dispute().is_none();
        if !live {
            return out;
        }
        match chain.pending() {
            Some(p)
                if b.spurious_challenge
                    && now < p.until
                    && p.asserter != Some(me)
                    && !self.challenged.contains(&w) =>
            {
                self.challenged.push(w);
                out.push(Output::Submit(Tx::OpenDispute { window: w }));
            }
            None if b.lying_asserter
                && now >= chain.signing_deadline(w)
                && !self.asserted.contains(&w) =>
            {
                let frozen = self.inner.window(w).and_then(|nw| nw.frozen.as_ref());
                if let Some(f) = frozen.filter(|f| f.result.prev_hash == chain.last_hash()) {
                    let lie = self.lie(&f.result, 0);
                    self.asserted.push(w);
                    out.push(Output::Submit(Tx::SubmitWindow {
                        result: lie.result,
                        signatures: vec![lie.signature],
                    }));
                }
            }
            _ => {}
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actors::node::NodeMessage;
    use crate::protocol::crypto::{Secp256k1, SecretKey};
    use crate::protocol::params::Params;
    use alloy_primitives::{Address, B256};

    fn node() -> (ByzantineNode<Secp256k1>, Contract<Secp256k1>) {
        let keys: Vec<SecretKey> = (0..2)
            .map(|i| SecretKey::from_label(&format!("byz-test/{i}")))
            .collect();
        let params = Params {
            chain_id: 1,
            contract: Address::repeat_byte(0xc0),
            start: 100,
            slot_secs: 900,
            slots_per_window: 4,
            windows: 1,
            nodes: keys.iter().map(|k| k.address()).collect(),
            meters: vec![Address::repeat_byte(1), Address::repeat_byte(2)],
            wallets: vec![Address::repeat_byte(3), Address::repeat_byte(4)],
            deposits: vec![0, 0],
            bond: 0,
            price_wei_per_wh: 1,
            dust_recipient: Address::repeat_byte(5),
            collect_period: 900,
            sign_period: 900,
            challenge_period: 0,
            dispute_period: 1_800,
            slash_period: 900,
            dispute_bond: 0,
            gas_rate_wei: 0,
        };
        let chain = Contract::open(params.clone(), Secp256k1::new()).unwrap();
        let inner = Node::new(0, keys[0].clone(), params, Secp256k1::new());
        (ByzantineNode::new(inner, Behaviour::all(0)), chain)
    }

    fn signed(result: WindowResult, byz: &ByzantineNode<Secp256k1>) -> SignedResult {
        let domain = crate::protocol::eip712::Domain::of(byz.inner.params());
        SignedResult {
            signature: sign_result(byz.inner.key(), &domain, &result),
            result,
        }
    }

    #[test]
    fn withholding_drops_readings_and_inventories_but_keeps_other_messages() {
        let (mut b, chain) = node();
        let out = vec![
            Output::Send {
                to: 1,
                msg: NodeMessage::Inventory {
                    window: 0,
                    have: vec![],
                },
            },
            Output::Send {
                to: 1,
                msg: NodeMessage::Readings {
                    window: 0,
                    readings: vec![],
                },
            },
            Output::Submit(Tx::Close),
        ];
        assert_eq!(b.filter(out, &chain), vec![Output::Submit(Tx::Close)]);
    }

    #[test]
    fn a_liar_inflates_its_beneficiary_over_the_same_root() {
        let (b, _) = node();
        let honest = WindowResult {
            window: 0,
            prev_hash: B256::ZERO,
            produced: vec![5, 6],
            consumed: vec![1, 1],
            readings_root: B256::repeat_byte(7),
        };
        let lie = b.lie(&honest, 0);
        assert_eq!(lie.result.produced, vec![1_000_005, 6]);
        assert_eq!(lie.result.readings_root, honest.readings_root);
        let other = b.lie(&honest, 1);
        assert_ne!(
            other.result.readings_root, honest.readings_root,
            "an equivocation differs in root"
        );
        assert_ne!(signed(honest, &b), lie);
    }

    #[test]
    fn reports_against_accomplices_are_suppressed() {
        let (mut b, chain) = node();
        let out = vec![Output::Submit(Tx::ReportEquivocation {
            first: signed(
                WindowResult {
                    window: 0,
                    prev_hash: B256::ZERO,
                    produced: vec![],
                    consumed: vec![],
                    readings_root: B256::ZERO,
                },
                &b,
            ),
            second: signed(
                WindowResult {
                    window: 0,
                    prev_hash: B256::ZERO,
                    produced: vec![1],
                    consumed: vec![],
                    readings_root: B256::ZERO,
                },
                &b,
            ),
        })];
        assert!(b.filter(out, &chain).is_empty());
    }
}
