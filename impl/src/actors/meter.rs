//! The tamper-proof smart meter (spec §5.1).
//!
//! > Each meter keeps window-to-date registers (energy produced and consumed since the start
//! > of the current window), signs one reading of them per interval with its registered key
//! > and sends it to every intermediate node. (A-METER-001: an honest meter's values are the
//! > physical truth; a meter that lies about physics is out of scope.)
//!
//! Because a reading carries the registers, a lost reading loses nothing: the next reading
//! of the window carries its energy too.
//!
//! Two faulty variants exist for simulations and the model: a *silent* meter that sends
//! nothing for a span of slots (it keeps measuring), and an *equivocating* meter (a
//! compromised key) that signs two different readings for some slots and sends one to half
//! the nodes, one to the rest.

use serde::{Deserialize, Serialize};

use crate::protocol::crypto::SecretKey;
use crate::protocol::eip712::{sign_reading, Domain};
use crate::protocol::params::ProsumerIndex;
use crate::protocol::types::{Reading, ReadingFrame};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MeterBehaviour {
    #[default]
    Honest,
    /// Sends nothing for slots in `[from_slot, to_slot)`.
    Silent { from_slot: u64, to_slot: u64 },
    /// For every slot divisible by `every`, signs a second reading with one more Wh
    /// produced, and sends it to the odd-numbered nodes (the rule of spec §5.2 takes the
    /// lesser value, so this gains nothing: INV-EQUIV-001).
    Equivocating { every: u64 },
}

pub struct Meter {
    pub index: ProsumerIndex,
    key: SecretKey,
    domain: Domain,
    pub behaviour: MeterBehaviour,
    registers: WindowRegisters,
}

/// Window-to-date registers: reset at the first slot of each window (spec §4.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowRegisters {
    slots_per_window: u64,
    window: u64,
    produced_wh: u64,
    consumed_wh: u64,
}

impl WindowRegisters {
    pub fn new(slots_per_window: u64) -> Self {
        Self {
            slots_per_window,
            window: 0,
            produced_wh: 0,
            consumed_wh: 0,
        }
    }

    /// Adds one interval's energy and returns the registers at the end of `slot`. Slots
    /// must come in increasing order.
    pub fn advance(&mut self, slot: u64, produced_wh: u64, consumed_wh: u64) -> (u64, u64) {
        let window = slot / self.slots_per_window;
        if window != self.window {
            *self = Self {
                window,
                ..Self::new(self.slots_per_window)
            };
        }
        self.produced_wh += produced_wh;
        self.consumed_wh += consumed_wh;
        (self.produced_wh, self.consumed_wh)
    }
}

impl Meter {
    pub fn new(
        index: ProsumerIndex,
        key: SecretKey,
        domain: Domain,
        behaviour: MeterBehaviour,
        slots_per_window: u64,
    ) -> Self {
        Self {
            index,
            key,
            domain,
            behaviour,
            registers: WindowRegisters::new(slots_per_window),
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

    /// Measures one interval's energy and returns the frames this meter sends for it, one
    /// per destination node, in node order: a reading of its window-to-date registers.
    /// Honest meters send the same frame to all `nodes`.
    pub fn emit(
        &mut self,
        slot: u64,
        interval_produced_wh: u64,
        interval_consumed_wh: u64,
        nodes: usize,
    ) -> Vec<(usize, ReadingFrame)> {
        let (produced_wh, consumed_wh) =
            self.registers
                .advance(slot, interval_produced_wh, interval_consumed_wh);
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
    use crate::protocol::crypto::recover_secp256k1;
    use alloy_primitives::Address;

    fn meter(behaviour: MeterBehaviour) -> (Meter, Domain) {
        let domain = Domain::new(1, Address::repeat_byte(0xc0));
        (
            Meter::new(0, SecretKey::from_label("meter-test"), domain, behaviour, 4),
            domain,
        )
    }

    #[test]
    fn an_honest_meter_sends_one_signed_reading_to_every_node() {
        let (mut m, d) = meter(MeterBehaviour::Honest);
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
        let (mut m, _) = meter(MeterBehaviour::Silent {
            from_slot: 4,
            to_slot: 6,
        });
        assert!(m.emit(4, 1, 1, 2).is_empty());
        assert!(m.emit(5, 1, 1, 2).is_empty());
        let out = m.emit(6, 1, 1, 2);
        assert_eq!(out.len(), 2);
        // It kept measuring: the next reading carries the silent slots' energy.
        assert_eq!(out[0].1.signed.reading.values(), (3, 3));
    }

    /// Registers count from the start of each window (W = 4 here) and reset at the next.
    #[test]
    fn registers_are_window_to_date() {
        let (mut m, _) = meter(MeterBehaviour::Honest);
        let values: Vec<(u64, u64)> = (0..6)
            .map(|s| m.emit(s, s, 1, 1)[0].1.signed.reading.values())
            .collect();
        assert_eq!(values, vec![(0, 1), (1, 2), (3, 3), (6, 4), (4, 1), (9, 2)]);
    }

    #[test]
    fn an_equivocating_meter_splits_the_nodes() {
        let (mut m, _) = meter(MeterBehaviour::Equivocating { every: 4 });
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
        assert_eq!(out[0].1.signed.reading.produced_wh, 20, "window-to-date");
    }
}
