//! A Byzantine intermediate node (spec §10): the honest state machine with its outputs
//! rewritten by a set of behaviours. Byzantine nodes may collude: nodes configured with the
//! same `beneficiary` inflate the same prosumer's production and so sign the same lie.

use serde::{Deserialize, Serialize};

use crate::contract::{Contract, Tx};
use crate::crypto::Recover;
use crate::eip712::sign_result;
use crate::node::{Node, NodeMessage, Output};
use crate::params::ProsumerIndex;
use crate::types::{SignedResult, WindowResult};

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
    /// Opens a dispute on every window as soon as it ends.
    pub spurious_dispute: bool,
    /// In disputes, adds only the readings of `beneficiary`'s meter.
    pub partial_evidence: bool,
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
            spurious_dispute: true,
            partial_evidence: true,
            beneficiary,
            inflate_wh: 1_000_000,
        }
    }
}

pub struct ByzantineNode<R> {
    pub inner: Node<R>,
    pub behaviour: Behaviour,
    disputed: Vec<u32>,
}

impl<R: Recover> ByzantineNode<R> {
    pub fn new(inner: Node<R>, behaviour: Behaviour) -> Self {
        Self {
            inner,
            behaviour,
            disputed: Vec::new(),
        }
    }

    fn lie(&self, honest: &WindowResult, salt: u8) -> SignedResult {
        let mut result = honest.clone();
        let b = self
            .behaviour
            .beneficiary
            .min(result.produced.len().saturating_sub(1));
        if let Some(p) = result.produced.get_mut(b) {
            *p += self.behaviour.inflate_wh.max(1);
        }
        if salt > 0 {
            // A different lie for equivocation: a different root as well.
            result.readings_root.0[31] ^= salt;
        }
        let signature = sign_result(
            self.inner.key(),
            &crate::eip712::Domain::of(self.inner.params()),
            &result,
        );
        SignedResult { result, signature }
    }

    /// Rewrites the honest node's outputs according to the behaviour.
    pub fn filter(&mut self, outputs: Vec<Output>, chain: &Contract<R>) -> Vec<Output> {
        let b = self.behaviour.clone();
        let mut out = Vec::new();
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
    /// disputes.
    pub fn tick(&mut self, now: u64, chain: &Contract<R>) -> Vec<Output> {
        let outputs = self.inner.tick(now, chain);
        let mut out = self.filter(outputs, chain);
        let w = chain.next_window();
        if self.behaviour.spurious_dispute
            && chain.phase() == crate::contract::Phase::Active
            && w < self.inner.params().windows
            && now >= self.inner.params().window_end(w)
            && chain.dispute().is_none()
            && chain.pending().is_none()
            && !self.disputed.contains(&w)
        {
            self.disputed.push(w);
            out.push(Output::Submit(Tx::OpenDispute { window: w }));
        }
        out
    }
}
