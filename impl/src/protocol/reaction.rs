//! The reaction (spec §8): how one window's totals move wei between prosumers.
//!
//! > Net producers sell to net consumers the matched energy `E = min(ΣS, ΣB)`, pro rata, at
//! > the agreed price. Buyer `j` is charged `c_j = min(⌊E·b_j/ΣB⌋·price, balance_j)`; the pool
//! > `P = Σc_j` is shared among sellers as `⌊P·s_i/ΣS⌋`; what rounding leaves, `P − Σr_i`,
//! > goes to the dust account. Every window is therefore zero-sum, no balance goes negative,
//! > and rounding never creates or destroys wei. (INV-FUNDS-002, INV-FUNDS-003)
//!
//! Unmatched energy is traded with the external grid outside the protocol; it is reported.

use alloy_primitives::U256;
use serde::{Deserialize, Serialize};

/// The outcome of one window's reaction.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Settlement {
    /// Wei each prosumer pays into the pool (buyers only).
    pub paid: Vec<u128>,
    /// Wei each prosumer receives from the pool (sellers only).
    pub received: Vec<u128>,
    /// Wei left by rounding, credited to the dust account.
    pub dust: u128,
    /// Energy bought locally by each buyer, Wh.
    pub bought_wh: Vec<u64>,
    /// Energy sold locally by each seller, Wh.
    pub sold_wh: Vec<u64>,
    /// Net consumption not matched locally: bought from the external grid, Wh.
    pub grid_import_wh: Vec<u64>,
    /// Net production not matched locally: sold to the external grid, Wh.
    pub grid_export_wh: Vec<u64>,
    /// Matched energy `E`, Wh.
    pub matched_wh: u64,
}

fn mul_div(a: u128, b: u128, d: u128) -> u128 {
    // ⌊a·b/d⌋ in 256-bit arithmetic: a·b never overflows, and the quotient is ≤ a when b ≤ d.
    let q = U256::from(a) * U256::from(b) / U256::from(d);
    q.to::<u128>()
}

/// Settles one window. `balances` are the prosumers' balances before the window; the caller
/// applies `received - paid` to them. All three slices have one entry per prosumer.
pub fn settle(produced: &[u64], consumed: &[u64], balances: &[u128], price: u128) -> Settlement {
    let n = produced.len();
    assert_eq!(consumed.len(), n, "totals have one entry per prosumer");
    assert_eq!(balances.len(), n, "balances have one entry per prosumer");
    let mut s = Settlement {
        paid: vec![0; n],
        received: vec![0; n],
        bought_wh: vec![0; n],
        sold_wh: vec![0; n],
        grid_import_wh: vec![0; n],
        grid_export_wh: vec![0; n],
        ..Settlement::default()
    };
    let surplus: Vec<u128> = (0..n)
        .map(|i| produced[i].saturating_sub(consumed[i]) as u128)
        .collect();
    let deficit: Vec<u128> = (0..n)
        .map(|i| consumed[i].saturating_sub(produced[i]) as u128)
        .collect();
    let total_surplus: u128 = surplus.iter().sum();
    let total_deficit: u128 = deficit.iter().sum();
    let matched = total_surplus.min(total_deficit);
    s.matched_wh = matched as u64;
    for i in 0..n {
        if deficit[i] > 0 {
            let e = mul_div(matched, deficit[i], total_deficit);
            s.bought_wh[i] = e as u64;
            s.grid_import_wh[i] = (deficit[i] - e) as u64;
            // INV-FUNDS-003: a payment never exceeds the payer's balance.
            let due = e * price;
            s.paid[i] = if crate::protocol::mutant::active(
                crate::protocol::mutant::Mutant::PayBeyondBalance,
            ) {
                due
            } else {
                due.min(balances[i])
            };
        }
        if surplus[i] > 0 {
            let e = mul_div(matched, surplus[i], total_surplus);
            s.sold_wh[i] = e as u64;
            s.grid_export_wh[i] = (surplus[i] - e) as u64;
        }
    }
    let pool: u128 = s.paid.iter().sum();
    let mut shared = 0u128;
    // Without a seller nothing is matched and nothing paid; with one, each seller's share
    // is pro rata (a non-seller's surplus is 0, so its share is too).
    if total_surplus > 0 {
        for (received, surplus) in s.received.iter_mut().zip(&surplus).take(n) {
            *received = mul_div(pool, *surplus, total_surplus);
            shared += *received;
        }
    }
    // INV-FUNDS-002: what rounding leaves goes to the dust account, so Σpaid = Σreceived + dust.
    s.dust = pool - shared;
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn two_prosumers_trade_the_smaller_side() {
        let s = settle(&[100, 0], &[0, 40], &[0, 1_000], 3);
        assert_eq!(s.matched_wh, 40);
        assert_eq!(s.bought_wh, vec![0, 40]);
        assert_eq!(s.sold_wh, vec![40, 0]);
        assert_eq!(s.paid, vec![0, 120]);
        assert_eq!(s.received, vec![120, 0]);
        assert_eq!(s.grid_export_wh, vec![60, 0]);
        assert_eq!(s.dust, 0);
    }

    #[test]
    fn a_poor_buyer_pays_only_its_balance() {
        let s = settle(&[100, 0], &[0, 100], &[0, 50], 1);
        assert_eq!(s.paid, vec![0, 50]);
        assert_eq!(s.received, vec![50, 0]);
    }

    #[test]
    fn rounding_goes_to_dust() {
        // Three sellers share a pool of 10 wei equally: 3 each, 1 wei of dust.
        let s = settle(&[1, 1, 1, 0], &[0, 0, 0, 3], &[0, 0, 0, 10], 10);
        // It owes 30 wei for 3 Wh and pays what its balance holds, 10.
        assert_eq!(s.paid[3], 10);
        assert_eq!(s.received, vec![3, 3, 3, 0]);
        assert_eq!(s.dust, 1);
    }

    #[test]
    fn nobody_trades_when_everyone_is_a_consumer() {
        let s = settle(&[0, 0], &[5, 7], &[100, 100], 1);
        assert_eq!(s.matched_wh, 0);
        assert_eq!(s.paid, vec![0, 0]);
        assert_eq!(s.grid_import_wh, vec![5, 7]);
    }

    fn window() -> impl Strategy<Value = (Vec<u64>, Vec<u64>, Vec<u128>, u128)> {
        (1usize..12).prop_flat_map(|n| {
            (
                proptest::collection::vec(0u64..1 << 40, n),
                proptest::collection::vec(0u64..1 << 40, n),
                proptest::collection::vec(0u128..1 << 96, n),
                0u128..=u64::MAX as u128,
            )
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, rng_seed: proptest::test_runner::RngSeed::Fixed(7), ..ProptestConfig::default() })]

        /// INV-FUNDS-002: zero-sum, and INV-FUNDS-003: no balance goes negative.
        #[test]
        fn reaction_is_zero_sum_and_never_overdraws((p, c, b, price) in window()) {
            let s = settle(&p, &c, &b, price);
            let paid: u128 = s.paid.iter().sum();
            let received: u128 = s.received.iter().sum();
            prop_assert_eq!(paid, received + s.dust);
            for i in 0..p.len() {
                prop_assert!(s.paid[i] <= b[i]);
                prop_assert!(s.paid[i] == 0 || s.received[i] == 0, "nobody both buys and sells");
                prop_assert_eq!(s.bought_wh[i] as u128 + s.grid_import_wh[i] as u128,
                    c[i].saturating_sub(p[i]) as u128);
                prop_assert_eq!(s.sold_wh[i] as u128 + s.grid_export_wh[i] as u128,
                    p[i].saturating_sub(c[i]) as u128);
            }
            // Rounding loses less than one wei per seller.
            let sellers = (0..p.len()).filter(|&i| p[i] > c[i]).count() as u128;
            prop_assert!(s.dust <= sellers);
            // Each seller gets exactly its pro-rata share of the pool, rounded down (§8),
            // checked by multiplication, not by the division `settle` uses:
            // r·T ≤ pool·e < (r+1)·T for surplus e of a total surplus T.
            let total: u128 = (0..p.len()).map(|i| p[i].saturating_sub(c[i]) as u128).sum();
            for i in 0..p.len() {
                let e = U256::from(p[i].saturating_sub(c[i]));
                if e.is_zero() {
                    prop_assert_eq!(s.received[i], 0);
                    continue;
                }
                let (r, t, pool) = (U256::from(s.received[i]), U256::from(total), U256::from(paid));
                prop_assert!(r * t <= pool * e && pool * e < (r + U256::from(1u8)) * t,
                    "seller {} received {} of a pool of {}", i, s.received[i], paid);
            }
            // Matched energy never exceeds either side.
            let bought: u64 = s.bought_wh.iter().sum();
            let sold: u64 = s.sold_wh.iter().sum();
            prop_assert!(bought <= s.matched_wh && sold <= s.matched_wh);
        }

        /// The reaction depends on the prosumers, not on their order.
        #[test]
        fn reaction_is_permutation_equivariant((p, c, b, price) in window(), rot in 0usize..12) {
            let n = p.len();
            let r = rot % n;
            let rotate = |v: &Vec<u64>| { let mut v = v.clone(); v.rotate_left(r); v };
            let mut b2 = b.clone(); b2.rotate_left(r);
            let s1 = settle(&p, &c, &b, price);
            let s2 = settle(&rotate(&p), &rotate(&c), &b2, price);
            let mut paid = s1.paid.clone(); paid.rotate_left(r);
            prop_assert_eq!(paid, s2.paid);
            prop_assert_eq!(s1.dust, s2.dust);
        }
    }
}
