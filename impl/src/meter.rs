//! The tamper-proof smart meter (spec §5.1).
//!
//! > Each meter signs one reading per interval with its registered key and sends it to
//! > every intermediate node. (A-METER-001: an honest meter's values are the physical truth;
//! > a meter that lies about physics is out of scope.)
//!
//! Two faulty variants exist for simulations and the model: a *silent* meter that sends
//! nothing for a span of slots, and an *equivocating* meter (a compromised key) that signs
//! two different readings for some slots and sends one to half the nodes, one to the rest.

use serde::{Deserialize, Serialize};

use crate::crypto::SecretKey;
use crate::eip712::{sign_reading, Domain};
use crate::params::ProsumerIndex;
use crate::types::{Reading, ReadingFrame};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MeterBehaviour {
    #[default]
    Honest,
    /// Sends nothing for slots in `[from_slot, to_slot)`.
    Silent { from_slot: u64, to_slot: u64 },
    /// For every slot divisible by `every`, signs a second reading with one more Wh
    /// produced, and sends it to the odd-numbered nodes.
    Equivocating { every: u64 },
}

pub struct Meter {
    pub index: ProsumerIndex,
    key: SecretKey,
    domain: Domain,
    pub behaviour: MeterBehaviour,
}

impl Meter {
    pub fn new(
        index: ProsumerIndex,
        key: SecretKey,
        domain: Domain,
        behaviour: MeterBehaviour,
    ) -> Self {
        Self {
            index,
            key,
            domain,
            behaviour,
        }
    }

    pub fn address(&self) -> alloy_primitives::Address {
        self.key.address()
    }

    fn frame(&self, reading: Reading) -> ReadingFrame {
        ReadingFrame {
            chain_id: self.domain.chain_id,
            contract: self.domain.contract,
            signed: sign_reading(&self.key, &self.domain, reading),
        }
    }

    /// The frames this meter sends for one interval, one per destination node, in node
    /// order. Honest meters send the same frame to all `nodes`.
    pub fn emit(
        &self,
        slot: u64,
        produced_wh: u64,
        consumed_wh: u64,
        nodes: usize,
    ) -> Vec<(usize, ReadingFrame)> {
        let reading = Reading {
            meter: self.key.address(),
            slot,
            produced_wh,
            consumed_wh,
        };
        match self.behaviour {
            MeterBehaviour::Silent { from_slot, to_slot }
                if (from_slot..to_slot).contains(&slot) =>
            {
                Vec::new()
            }
            MeterBehaviour::Equivocating { every } if every > 0 && slot.is_multiple_of(every) => {
                let a = self.frame(reading);
                let b = self.frame(Reading {
                    produced_wh: produced_wh + 1,
                    ..reading
                });
                (0..nodes)
                    .map(|j| (j, if j % 2 == 0 { a } else { b }))
                    .collect()
            }
            _ => {
                let f = self.frame(reading);
                (0..nodes).map(|j| (j, f)).collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::recover_secp256k1;
    use alloy_primitives::Address;

    fn meter(behaviour: MeterBehaviour) -> (Meter, Domain) {
        let domain = Domain::new(1, Address::repeat_byte(0xc0));
        (
            Meter::new(0, SecretKey::from_label("meter-test"), domain, behaviour),
            domain,
        )
    }

    #[test]
    fn an_honest_meter_sends_one_signed_reading_to_every_node() {
        let (m, d) = meter(MeterBehaviour::Honest);
        let out = m.emit(7, 120, 30, 3);
        assert_eq!(
            out.iter().map(|(j, _)| *j).collect::<Vec<_>>(),
            vec![0, 1, 2]
        );
        let f = out[0].1;
        assert!(out.iter().all(|(_, g)| *g == f));
        assert_eq!((f.chain_id, f.contract), (d.chain_id, d.contract));
        assert_eq!(f.signed.reading.values(), (120, 30));
        let digest = d.reading_digest(&f.signed.reading);
        assert_eq!(
            recover_secp256k1(&digest, &f.signed.signature),
            Ok(m.address())
        );
    }

    #[test]
    fn a_silent_meter_sends_nothing_in_its_span() {
        let (m, _) = meter(MeterBehaviour::Silent {
            from_slot: 5,
            to_slot: 8,
        });
        assert!(m.emit(5, 1, 1, 2).is_empty());
        assert!(m.emit(7, 1, 1, 2).is_empty());
        assert_eq!(m.emit(8, 1, 1, 2).len(), 2);
    }

    #[test]
    fn an_equivocating_meter_splits_the_nodes() {
        let (m, _) = meter(MeterBehaviour::Equivocating { every: 4 });
        let out = m.emit(8, 10, 0, 4);
        assert_eq!(out[0].1, out[2].1);
        assert_eq!(out[1].1, out[3].1);
        assert_ne!(
            out[0].1.signed.reading.values(),
            out[1].1.signed.reading.values()
        );
        assert_eq!(out[1].1.signed.reading.produced_wh, 11);
        // Other slots are honest.
        let out = m.emit(9, 10, 0, 4);
        assert!(out.iter().all(|(_, f)| *f == out[0].1));
    }
}
