//! Turning gas into US dollars: a gas price in gwei and an ether price in USD.

use serde::Serialize;

/// The paper's figure for RDA over a year, in USD (Ethereum, May 2022).
pub const PAPER_RDA_USD: f64 = 54_690.0;
/// The paper's figure for SAT over a year, in USD.
pub const PAPER_SAT_USD: f64 = 5_455.0;
/// The paper's figure for SA over a year, in USD.
pub const PAPER_SA_USD: f64 = 23.0;
/// The ether price assumed for the May 2022 calibration (ETH traded between about 1,800
/// and 2,900 USD that month; the paper does not say which price it used).
pub const MAY_2022_ETH_USD: f64 = 2_000.0;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Price {
    pub name: String,
    pub gwei: f64,
    pub eth_usd: f64,
    pub note: String,
}

impl Price {
    pub fn usd(&self, gas: u64) -> f64 {
        gas as f64 * self.gwei * 1e-9 * self.eth_usd
    }

    /// The paper states neither the gas price nor the ether price, nor its contracts: this
    /// preset picks the gas price that makes our RDA contract (storage variant) cost the
    /// paper's 54,690 USD a year at 2,000 USD/ETH, so SAT and SA can be compared with the
    /// paper's figures under one consistent price.
    pub fn may_2022_calibrated(rda_store_gas_per_year: u64) -> Self {
        let gwei = PAPER_RDA_USD / (rda_store_gas_per_year as f64 * 1e-9 * MAY_2022_ETH_USD);
        Self {
            name: "may-2022".into(),
            gwei,
            eth_usd: MAY_2022_ETH_USD,
            note: format!(
                "calibrated: {gwei:.2} gwei at {MAY_2022_ETH_USD} USD/ETH makes RDA (store) cost the paper's {PAPER_RDA_USD} USD"
            ),
        }
    }

    /// A recent-prices scenario (an assumption: change it with --gwei and --eth-usd).
    pub fn recent() -> Self {
        Self {
            name: "recent".into(),
            gwei: 1.0,
            eth_usd: 3_000.0,
            note: "assumed: 1 gwei at 3,000 USD/ETH".into(),
        }
    }

    pub fn custom(gwei: f64, eth_usd: f64) -> Self {
        Self {
            name: "custom".into(),
            gwei,
            eth_usd,
            note: format!("given: {gwei} gwei at {eth_usd} USD/ETH"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_calibration_reproduces_the_papers_rda_figure() {
        let p = Price::may_2022_calibrated(1_500_000_000);
        assert!((p.usd(1_500_000_000) - PAPER_RDA_USD).abs() < 1e-6);
        assert!((p.gwei - 18.23).abs() < 0.01, "{}", p.gwei);
        assert_eq!(Price::recent().usd(1_000_000_000), 3_000.0);
    }
}
