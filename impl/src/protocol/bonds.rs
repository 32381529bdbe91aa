//! Claim bonds and the reimbursement schedule (spec §7.10): whoever is wrong pays.
//!
//! > A partial result and a challenge each lock `dispute_bond`. When the challenge is decided,
//! > the loser's bond reimburses the gas of every transaction the dispute made necessary, at
//! > the stated rate `gas_rate_wei` and the fixed schedule below; the rest goes to the slash
//! > pool. The winner's bond is refunded. (INV-BOND-001, INV-BOND-002)
//!
//! The schedule is in gas units, not measured gas: the reference contract cannot measure the
//! EVM's gas, and both contracts must credit the same wei. Each figure covers the measured
//! worst case of its transaction on the Solidity contract with a margin
//! (`tests/gas.rs::the_reimbursement_schedule_covers_the_measured_gas`), so an honest node
//! paying at most `gas_rate_wei` a gas unit never loses money to a dispute.

use crate::protocol::params::Params;

/// A challenge (`openDispute` of a pending result).
pub const GAS_CHALLENGE: u64 = 150_000;
/// Evidence, per meter whose deciding values a node put on chain: up to two readings (an
/// equivocating meter's pair) and its share of the call.
pub const GAS_EVIDENCE_PER_METER: u64 = 75_000;
/// `finalizeDispute`: a fixed part and a part per prosumer (the outcome and the reaction).
pub const GAS_FINALIZE_BASE: u64 = 200_000;
pub const GAS_FINALIZE_PER_PROSUMER: u64 = 12_000;
/// `reportEquivocation`.
pub const GAS_REPORT_EQUIVOCATION: u64 = 120_000;
/// `reportInconsistency`: a fixed part and a part per reading (chunked calls included).
pub const GAS_REPORT_INCONSISTENCY_BASE: u64 = 100_000;
pub const GAS_REPORT_PER_READING: u64 = 20_000;

/// Gas units credited for finalising a dispute of `n` prosumers.
pub fn finalize_gas(n: usize) -> u64 {
    GAS_FINALIZE_BASE + GAS_FINALIZE_PER_PROSUMER * n as u64
}

/// The most gas units one dispute can reimburse: the challenge, every meter's evidence and
/// the finalisation. `Params::validate` requires `dispute_bond` to cover it at the rate, so a
/// loser's bond always pays every reimbursement in full.
pub fn max_dispute_gas(n: usize) -> u64 {
    GAS_CHALLENGE + GAS_EVIDENCE_PER_METER * n as u64 + finalize_gas(n)
}

/// Gas units credited to the reporter of a fraud proof with `readings` readings, or of an
/// equivocation (`None`).
pub fn report_gas(readings: Option<usize>) -> u64 {
    match readings {
        None => GAS_REPORT_EQUIVOCATION,
        Some(k) => GAS_REPORT_INCONSISTENCY_BASE + GAS_REPORT_PER_READING * k as u64,
    }
}

/// Wei for `gas` units at the contract's rate.
pub fn wei(params: &Params, gas: u64) -> u128 {
    params.gas_rate_wei * gas as u128
}

/// Which side of a decided challenge was wrong (spec §7.10).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Loser {
    /// The outcome has the challenged result's totals: the challenge was not needed.
    Challenger,
    /// The outcome differs from the challenged result: its asserter was wrong (a certificate
    /// of the hardened variant has no asserter and no bond).
    Asserter,
}

/// The verdict of a challenge: the asserter was wrong iff the outcome's totals differ from
/// the challenged result's.
pub fn loser(outcome: (&[u64], &[u64]), challenged: (&[u64], &[u64])) -> Loser {
    if outcome == challenged {
        Loser::Challenger
    } else {
        Loser::Asserter
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One schedule: the Solidity contract's constants are these (a drift would make the two
    /// contracts credit different wei, which the differential tests would also catch, later).
    #[test]
    fn the_solidity_schedule_is_this_one() {
        let sol = include_str!("../../contracts/src/Diversity.sol");
        for (name, value) in [
            ("GAS_CHALLENGE", GAS_CHALLENGE),
            ("GAS_EVIDENCE_PER_METER", GAS_EVIDENCE_PER_METER),
            ("GAS_FINALIZE_BASE", GAS_FINALIZE_BASE),
            ("GAS_FINALIZE_PER_PROSUMER", GAS_FINALIZE_PER_PROSUMER),
            ("GAS_REPORT_EQUIVOCATION", GAS_REPORT_EQUIVOCATION),
            (
                "GAS_REPORT_INCONSISTENCY_BASE",
                GAS_REPORT_INCONSISTENCY_BASE,
            ),
            ("GAS_REPORT_PER_READING", GAS_REPORT_PER_READING),
        ] {
            let decl = format!("uint256 internal constant {name} = ");
            let at = sol
                .find(&decl)
                .unwrap_or_else(|| panic!("{name} not declared"));
            let rest = &sol[at + decl.len()..];
            let literal: String = rest[..rest.find(';').unwrap()].replace('_', "");
            assert_eq!(literal.parse::<u64>().unwrap(), value, "{name}");
        }
    }

    /// The schedule's sums, worked out by hand (§7.10): what a dispute and a report credit.
    #[test]
    fn the_schedule_adds_up() {
        // 150,000 + n · 75,000 + 200,000 + n · 12,000
        assert_eq!(finalize_gas(1), 212_000);
        assert_eq!(finalize_gas(64), 968_000);
        assert_eq!(max_dispute_gas(1), 437_000);
        assert_eq!(max_dispute_gas(2), 524_000);
        assert_eq!(max_dispute_gas(64), 5_918_000);
        assert_eq!(report_gas(None), 120_000);
        assert_eq!(report_gas(Some(0)), 100_000);
        assert_eq!(report_gas(Some(3)), 160_000);
        let keys = [
            crate::protocol::crypto::SecretKey::from_label("b0"),
            crate::protocol::crypto::SecretKey::from_label("b1"),
        ];
        let mut p = crate::protocol::reading_set::tests::two_meter_params(&keys);
        p.gas_rate_wei = 3;
        assert_eq!(wei(&p, 524_000), 1_572_000);
    }

    #[test]
    fn the_loser_is_whoever_the_outcome_contradicts() {
        let (a, b) = (vec![1, 2], vec![3, 4]);
        assert_eq!(loser((&a, &b), (&a, &b)), Loser::Challenger);
        assert_eq!(loser((&a, &b), (&b, &a)), Loser::Asserter);
    }
}
