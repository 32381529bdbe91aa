//! The parameters fixed when the contract is opened, and the window timeline (spec §3, §6.1).
//!
//! > The contract stores the window parameters (start, slot length, slots per window, number
//! > of windows), the node, meter and wallet addresses, the price, the deposits, the bond and
//! > the periods. None of them changes after open. (A-PARAMS-001)

use alloy_primitives::{Address, B256};

use crate::protocol::crypto::{Recover, Signature65, SignatureError};
use serde::{Deserialize, Serialize};

/// Largest number of prosumers a contract accepts: keeps every fast-path transaction and the
/// reaction's O(N) loop far inside the per-transaction gas cap.
pub const MAX_PROSUMERS: usize = 64;
/// Largest energy a meter may measure in one interval, in Wh (2^32 - 1). A reading carries
/// window-to-date values (spec §4.2), so it may report at most `W` intervals' worth
/// ([`Params::max_window_wh`]); with at most 2^24 slots per window a prosumer's window total
/// stays below 2^56 and never overflows.
pub const MAX_READING_WH: u64 = u32::MAX as u64;
/// Largest number of slots in one window.
pub const MAX_SLOTS_PER_WINDOW: u64 = 1 << 24;
/// Largest price in wei per Wh; with the bounds above, every product fits 256 bits easily.
pub const MAX_PRICE_WEI_PER_WH: u128 = u64::MAX as u128;
/// Largest deposit or bond, in wei (2^96: more ether than exists).
pub const MAX_AMOUNT_WEI: u128 = 1 << 96;
/// Largest reimbursement rate in wei per gas unit (spec §7.10).
pub const MAX_GAS_RATE_WEI: u128 = u64::MAX as u128;

/// Index of a prosumer: its meter, its node and its wallet share the index.
pub type ProsumerIndex = usize;

/// Why a signature names no node ([`Params::signer`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignerError {
    /// Nothing recovers from it (malformed, or a malleated high-s form).
    BadSignature(SignatureError),
    /// It recovers to an address that is no node's.
    NotANode(Address),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Params {
    /// EIP-155 chain id, part of every EIP-712 domain.
    pub chain_id: u64,
    /// The escrow contract's address, part of every EIP-712 domain.
    pub contract: Address,
    /// Unix time of slot 0 (T0). Funding closes at `start`.
    pub start: u64,
    /// Seconds per metering interval (900 for 15-minute readings).
    pub slot_secs: u64,
    /// Slots per window (W).
    pub slots_per_window: u64,
    /// Number of windows (K).
    pub windows: u32,
    /// Intermediate node addresses, one per prosumer.
    pub nodes: Vec<Address>,
    /// Meter addresses, one per prosumer.
    pub meters: Vec<Address>,
    /// Prosumer wallets, one per prosumer: they fund deposits and receive balances.
    pub wallets: Vec<Address>,
    /// Deposit each prosumer must lock before start, in wei.
    pub deposits: Vec<u128>,
    /// Bond each node must post before start, in wei.
    pub bond: u128,
    /// Agreed price of locally traded energy, wei per Wh.
    pub price_wei_per_wh: u128,
    /// Receives rounding dust (and the slash pool if every node was slashed) at close.
    pub dust_recipient: Address,
    /// After a window ends, nodes exchange readings for this long before signing.
    pub collect_period: u64,
    /// After signing starts, nodes have this long to reach unanimity before disputing.
    pub sign_period: u64,
    /// 0: a unanimous result is final at once (the paper). > 0: it stays pending this long,
    /// and any node may still dispute it (the hardened variant).
    pub challenge_period: u64,
    /// How long a dispute accepts evidence.
    pub dispute_period: u64,
    /// After the last window is final, fraud may still be reported for this long.
    pub slash_period: u64,
    /// Locked by a partial result and by a challenge; the loser's pays the reimbursements
    /// (spec §7.10). At least `gas_rate_wei · bonds::max_dispute_gas(N)`.
    pub dispute_bond: u128,
    /// The stated reimbursement rate, wei per gas unit of the schedule in `bonds` (§7.10).
    pub gas_rate_wei: u128,
}

/// Why a parameter set was refused at open.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParamsError {
    #[error("a micro grid needs at least one prosumer")]
    NoProsumers,
    #[error("at most {MAX_PROSUMERS} prosumers are supported, got {0}")]
    TooManyProsumers(usize),
    #[error("nodes, meters, wallets and deposits must have one entry per prosumer (got {nodes}, {meters}, {wallets}, {deposits})")]
    LengthMismatch {
        nodes: usize,
        meters: usize,
        wallets: usize,
        deposits: usize,
    },
    #[error("{role} address {address} is the zero address")]
    ZeroAddress {
        role: &'static str,
        address: Address,
    },
    #[error("{role} address {address} appears twice")]
    DuplicateAddress {
        role: &'static str,
        address: Address,
    },
    #[error("{0} must be greater than zero")]
    Zero(&'static str),
    #[error("{name} is {value}, above the limit {limit}")]
    TooLarge {
        name: &'static str,
        value: u128,
        limit: u128,
    },
    #[error("dispute_period ({dispute}) must exceed collect_period ({collect}): a node that joins a dispute late must still be able to gather and send what it would have frozen")]
    DisputeTooShort { dispute: u64, collect: u64 },
    #[error("the timeline overflows 64-bit time")]
    TimeOverflow,
    #[error("dispute_bond ({bond} wei) must cover the most one dispute reimburses, {needed} wei ({gas} gas at gas_rate_wei)")]
    DisputeBondTooSmall { bond: u128, needed: u128, gas: u64 },
}

impl Params {
    pub fn prosumers(&self) -> usize {
        self.nodes.len()
    }

    pub fn validate(&self) -> Result<(), ParamsError> {
        let n = self.nodes.len();
        if n == 0 {
            return Err(ParamsError::NoProsumers);
        }
        if n > MAX_PROSUMERS {
            return Err(ParamsError::TooManyProsumers(n));
        }
        if self.meters.len() != n || self.wallets.len() != n || self.deposits.len() != n {
            return Err(ParamsError::LengthMismatch {
                nodes: n,
                meters: self.meters.len(),
                wallets: self.wallets.len(),
                deposits: self.deposits.len(),
            });
        }
        for (role, set) in [
            ("node", &self.nodes),
            ("meter", &self.meters),
            ("wallet", &self.wallets),
        ] {
            let mut seen = std::collections::BTreeSet::new();
            for a in set {
                if a.is_zero() {
                    return Err(ParamsError::ZeroAddress { role, address: *a });
                }
                if !seen.insert(*a) {
                    return Err(ParamsError::DuplicateAddress { role, address: *a });
                }
            }
        }
        if self.dust_recipient.is_zero() {
            return Err(ParamsError::ZeroAddress {
                role: "dust recipient",
                address: self.dust_recipient,
            });
        }
        for (name, v) in [
            ("slot_secs", self.slot_secs),
            ("slots_per_window", self.slots_per_window),
            ("windows", self.windows as u64),
            ("dispute_period", self.dispute_period),
            ("slash_period", self.slash_period),
            ("sign_period", self.sign_period),
        ] {
            if v == 0 {
                return Err(ParamsError::Zero(name));
            }
        }
        let limits: [(&'static str, u128, u128); 5] = [
            (
                "slots_per_window",
                self.slots_per_window as u128,
                MAX_SLOTS_PER_WINDOW as u128,
            ),
            (
                "price_wei_per_wh",
                self.price_wei_per_wh,
                MAX_PRICE_WEI_PER_WH,
            ),
            ("bond", self.bond, MAX_AMOUNT_WEI),
            ("dispute_bond", self.dispute_bond, MAX_AMOUNT_WEI),
            ("gas_rate_wei", self.gas_rate_wei, MAX_GAS_RATE_WEI),
        ];
        for (name, value, limit) in limits {
            if value > limit {
                return Err(ParamsError::TooLarge { name, value, limit });
            }
        }
        for d in &self.deposits {
            if *d > MAX_AMOUNT_WEI {
                return Err(ParamsError::TooLarge {
                    name: "deposit",
                    value: *d,
                    limit: MAX_AMOUNT_WEI,
                });
            }
        }
        if self.dispute_period <= self.collect_period {
            return Err(ParamsError::DisputeTooShort {
                dispute: self.dispute_period,
                collect: self.collect_period,
            });
        }
        // A loser's bond pays every reimbursement of a dispute in full (§7.10).
        let gas = crate::protocol::bonds::max_dispute_gas(n);
        let needed = self.gas_rate_wei * gas as u128;
        if self.dispute_bond < needed {
            return Err(ParamsError::DisputeBondTooSmall {
                bond: self.dispute_bond,
                needed,
                gas,
            });
        }
        // Every deadline of the last window must be representable.
        let last = self.windows - 1;
        self.try_window_end(last)
            .and_then(|e| e.checked_add(self.collect_period))
            .and_then(|e| e.checked_add(self.sign_period))
            .and_then(|e| e.checked_add(self.challenge_period))
            .and_then(|e| e.checked_add(self.dispute_period))
            .and_then(|e| e.checked_add(self.slash_period))
            .and_then(|e| e.checked_add(self.dispute_period))
            .ok_or(ParamsError::TimeOverflow)?;
        Ok(())
    }

    fn try_window_end(&self, window: u32) -> Option<u64> {
        (window as u64 + 1)
            .checked_mul(self.slots_per_window)?
            .checked_mul(self.slot_secs)?
            .checked_add(self.start)
    }

    /// Total number of slots covered by the contract.
    /// Largest window-to-date value a reading may carry, and largest window total:
    /// `W · MAX_READING_WH` (spec §3, §5.2).
    pub fn max_window_wh(&self) -> u64 {
        self.slots_per_window * MAX_READING_WH
    }

    pub fn total_slots(&self) -> u64 {
        self.windows as u64 * self.slots_per_window
    }

    /// The window a slot belongs to, if it is inside the contract's span.
    pub fn window_of_slot(&self, slot: u64) -> Option<u32> {
        (slot < self.total_slots()).then(|| (slot / self.slots_per_window) as u32)
    }

    /// First slot of a window and one past its last.
    pub fn slot_range(&self, window: u32) -> std::ops::Range<u64> {
        let first = window as u64 * self.slots_per_window;
        first..first + self.slots_per_window
    }

    /// Unix time at which a slot's interval ends: its reading exists from then on.
    pub fn slot_end(&self, slot: u64) -> u64 {
        self.start + (slot + 1) * self.slot_secs
    }

    /// `T_end(w)`: the end of window `w`'s last interval.
    pub fn window_end(&self, window: u32) -> u64 {
        self.try_window_end(window).expect("validated params")
    }

    pub fn meter_index(&self, meter: &Address) -> Option<ProsumerIndex> {
        self.meters.iter().position(|m| m == meter)
    }

    pub fn node_index(&self, node: &Address) -> Option<ProsumerIndex> {
        self.nodes.iter().position(|m| m == node)
    }

    /// The node whose key made `signature` over `digest` (a result's, spec §4.3): the one
    /// definition the node, the contract and the model use to know who signed a result.
    pub fn signer<R: Recover>(
        &self,
        recover: &R,
        digest: &B256,
        signature: &Signature65,
    ) -> Result<ProsumerIndex, SignerError> {
        let address = recover
            .recover(digest, signature)
            .map_err(SignerError::BadSignature)?;
        self.node_index(&address)
            .ok_or(SignerError::NotANode(address))
    }

    pub fn wallet_index(&self, wallet: &Address) -> Option<ProsumerIndex> {
        self.wallets.iter().position(|m| m == wallet)
    }

    /// LIV-FINAL-002's rule (spec §11, §12): a window lasts at least `S = sign + challenge +
    /// 2·dispute + 2·Δ_inc`; with `Δ_inc < dispute_period` (A-LIVE-001) that is at most
    /// `sign + challenge + 4·dispute`. Then no window's finality bound grows with its index.
    /// On failure, the shortest window length that passes.
    pub fn backlog_free(&self) -> Result<(), u64> {
        let needed = self.sign_period + self.challenge_period + 4 * self.dispute_period;
        if self.slots_per_window * self.slot_secs >= needed {
            Ok(())
        } else {
            Err(needed)
        }
    }

    /// The hash chained into window 0's result as `prevHash` (spec §4.3): the EIP-712
    /// domain separator, binding the chain of results to this chain id and contract address.
    pub fn genesis_hash(&self) -> B256 {
        crate::protocol::eip712::genesis_hash(self)
    }
}

#[cfg(test)]
mod tests {
    //! The timeline's arithmetic and `validate`'s boundaries, each exactly at its limit:
    //! the contract, the nodes and the model all read the timeline from here.

    use super::*;

    const START: u64 = 10_000;
    const SLOT: u64 = 900;
    const W: u64 = 4;

    fn params(n: usize) -> Params {
        let address = |role: u8, i: usize| {
            let mut a = [0u8; 20];
            a[0] = role;
            a[18..].copy_from_slice(&(i as u16 + 1).to_be_bytes());
            Address::from(a)
        };
        Params {
            chain_id: 31337,
            contract: Address::repeat_byte(0xc0),
            start: START,
            slot_secs: SLOT,
            slots_per_window: W,
            windows: 3,
            nodes: (0..n).map(|i| address(1, i)).collect(),
            meters: (0..n).map(|i| address(2, i)).collect(),
            wallets: (0..n).map(|i| address(3, i)).collect(),
            deposits: vec![1_000; n],
            bond: 1_000,
            price_wei_per_wh: 10,
            dust_recipient: Address::repeat_byte(0xd0),
            collect_period: 100,
            sign_period: 100,
            challenge_period: 0,
            dispute_period: 1_000,
            slash_period: 5_000,
            dispute_bond: 1 << 64,
            gas_rate_wei: 3,
        }
    }

    #[test]
    fn the_timeline_of_slots_and_windows() {
        let p = params(2);
        assert_eq!(p.validate(), Ok(()));
        assert_eq!(p.total_slots(), 3 * W);
        assert_eq!(p.slot_range(0), 0..W);
        assert_eq!(p.slot_range(2), 2 * W..3 * W);
        // A slot's reading exists from the end of its interval.
        assert_eq!(p.slot_end(0), START + SLOT);
        assert_eq!(p.slot_end(5), START + 6 * SLOT);
        // T_end(w): the end of the window's last slot.
        assert_eq!(p.window_end(0), START + W * SLOT);
        assert_eq!(p.window_end(2), START + 3 * W * SLOT);
        assert_eq!(p.window_end(1), p.slot_end(p.slot_range(1).end - 1));
        assert_eq!(p.window_of_slot(W - 1), Some(0));
        assert_eq!(p.window_of_slot(W), Some(1));
        assert_eq!(p.window_of_slot(3 * W), None);
        assert_eq!(p.max_window_wh(), W * MAX_READING_WH);
    }

    /// LIV-FINAL-002's rule at its boundary: a window exactly `sign + challenge + 4·dispute`
    /// long passes, one second shorter names that length.
    #[test]
    fn backlog_free_at_its_boundary() {
        let mut p = params(2);
        p.challenge_period = 7;
        let needed = p.sign_period + p.challenge_period + 4 * p.dispute_period;
        assert_eq!(needed, 4_107);
        p.slots_per_window = 1;
        p.slot_secs = needed;
        assert_eq!(p.backlog_free(), Ok(()));
        p.slot_secs = needed - 1;
        assert_eq!(p.backlog_free(), Err(needed));
        // The window's length is slots times seconds.
        p.slots_per_window = 2;
        p.slot_secs = needed.div_ceil(2);
        assert_eq!(p.backlog_free(), Ok(()));
        p.slot_secs = needed / 2;
        assert_eq!(p.backlog_free(), Err(needed));
    }

    #[test]
    fn validate_accepts_every_limit_and_refuses_one_above() {
        assert_eq!(params(MAX_PROSUMERS).validate(), Ok(()));
        assert_eq!(
            params(MAX_PROSUMERS + 1).validate(),
            Err(ParamsError::TooManyProsumers(MAX_PROSUMERS + 1))
        );
        type Field = fn(&mut Params) -> &mut u128;
        let fields: [(&str, u128, Field); 5] = [
            ("price_wei_per_wh", MAX_PRICE_WEI_PER_WH, |p| {
                &mut p.price_wei_per_wh
            }),
            ("bond", MAX_AMOUNT_WEI, |p| &mut p.bond),
            ("dispute_bond", MAX_AMOUNT_WEI, |p| &mut p.dispute_bond),
            ("gas_rate_wei", MAX_GAS_RATE_WEI, |p| &mut p.gas_rate_wei),
            ("deposit", MAX_AMOUNT_WEI, |p| &mut p.deposits[1]),
        ];
        for (name, limit, field) in fields {
            let mut p = params(2);
            if name == "gas_rate_wei" {
                // The dispute bond must still cover a dispute at the highest rate.
                p.dispute_bond = MAX_AMOUNT_WEI;
            }
            *field(&mut p) = limit;
            assert_eq!(p.validate(), Ok(()), "{name} at its limit");
            *field(&mut p) = limit + 1;
            assert_eq!(
                p.validate(),
                Err(ParamsError::TooLarge {
                    name,
                    value: limit + 1,
                    limit
                }),
                "{name} above its limit"
            );
        }
        let mut p = params(2);
        p.slots_per_window = MAX_SLOTS_PER_WINDOW;
        p.slot_secs = 1;
        assert_eq!(p.validate(), Ok(()));
        p.slots_per_window += 1;
        assert!(matches!(
            p.validate(),
            Err(ParamsError::TooLarge {
                name: "slots_per_window",
                ..
            })
        ));
    }

    /// The dispute bond covers the most one dispute reimburses, `gas_rate · max_dispute_gas`,
    /// exactly.
    #[test]
    fn the_dispute_bond_covers_a_dispute_exactly() {
        let mut p = params(3);
        let gas = crate::protocol::bonds::max_dispute_gas(3);
        let needed = p.gas_rate_wei * gas as u128;
        p.dispute_bond = needed;
        assert_eq!(p.validate(), Ok(()));
        p.dispute_bond = needed - 1;
        assert_eq!(
            p.validate(),
            Err(ParamsError::DisputeBondTooSmall {
                bond: needed - 1,
                needed,
                gas
            })
        );
    }

    /// Every deadline of the last window must fit 64-bit time, and only the last window's:
    /// a timeline whose last deadline is `u64::MAX` exactly is accepted.
    #[test]
    fn the_last_windows_deadlines_fit_in_time() {
        let mut p = params(2);
        let tail = p.collect_period
            + p.sign_period
            + p.challenge_period
            + p.dispute_period
            + p.slash_period
            + p.dispute_period;
        let span = u64::from(p.windows) * W * SLOT;
        p.start = u64::MAX - tail - span;
        assert_eq!(p.validate(), Ok(()));
        assert_eq!(p.window_end(p.windows - 1), u64::MAX - tail);
        p.start += 1;
        assert_eq!(p.validate(), Err(ParamsError::TimeOverflow));
    }
}
