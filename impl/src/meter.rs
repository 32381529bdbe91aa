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
            MeterBehaviour::Equivocating { every } if every > 0 && slot % every == 0 => {
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
