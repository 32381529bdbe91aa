//! The `diversity gas` report: every measurement in one serialisable value, and its table.

use std::fmt::Write as _;

use serde::Serialize;

use super::diversity::{self, AbsentNode, DisputeCost, FastPath, Fit, Year, DEFAULT_PROSUMERS};
use super::logging::{self, LoggingRun, Strategy, Variant};
use super::price::{Price, PAPER_RDA_USD, PAPER_SAT_USD, PAPER_SA_USD};
use crate::evm::{Hardfork, BLOCK_GAS_LIMIT, TX_GAS_CAP};
use crate::world::dataset::Dataset;

/// The prosumer counts of the fast-path sweep.
pub const SWEEP: [usize; 7] = [1, 2, 4, 8, 16, 32, 64];

#[derive(Clone, Debug, Serialize)]
pub struct Ratios {
    pub rda_over_sa: f64,
    pub sat_over_sa: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct HardforkRow {
    pub hardfork: Hardfork,
    pub strategy: Strategy,
    pub variant: Variant,
    pub gas_per_year: u64,
    pub max_tx_gas: u64,
    pub fits_tx_cap: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct GasReport {
    pub hardfork: Hardfork,
    pub block_gas_limit: u64,
    pub tx_gas_cap: u64,
    pub prices: Vec<Price>,
    /// One prosumer's year, each strategy and variant, on `hardfork`.
    pub logging: Vec<LoggingRun>,
    pub ratios_store: Ratios,
    pub ratios_event: Ratios,
    /// The paper's figures in USD (RDA, SAT, SA).
    pub paper_usd: [f64; 3],
    pub per_hardfork: Vec<HardforkRow>,
    pub fast_path: Vec<FastPath>,
    pub fast_path_fit: Fit,
    pub floor_fit: Fit,
    pub dispute: DisputeCost,
    pub year: Year,
    /// The same year with one Byzantine node disputing every window.
    pub year_disputed: Year,
    /// The measured window with one node absent.
    pub absent: AbsentNode,
}

impl GasReport {
    /// Runs every measurement. `extra` is a price scenario given on the command line.
    pub fn measure(hardfork: Hardfork, extra: Option<Price>) -> Self {
        let data = Dataset::embedded();
        let logging: Vec<LoggingRun> = Strategy::ALL
            .into_iter()
            .flat_map(|s| Variant::ALL.into_iter().map(move |v| (s, v)))
            .map(|(s, v)| logging::run(s, v, hardfork, &data.consumption))
            .collect();
        let year_gas = |s: Strategy, v: Variant| {
            logging
                .iter()
                .find(|r| r.strategy == s && r.variant == v)
                .expect("every strategy ran")
                .gas_per_year as f64
        };
        let ratios = |v: Variant| Ratios {
            rda_over_sa: year_gas(Strategy::Rda, v) / year_gas(Strategy::Sa, v),
            sat_over_sa: year_gas(Strategy::Sat, v) / year_gas(Strategy::Sa, v),
        };
        let mut prices = vec![
            Price::may_2022_calibrated(year_gas(Strategy::Rda, Variant::Store) as u64),
            Price::recent(),
        ];
        prices.extend(extra);
        let per_hardfork = Hardfork::ALL
            .into_iter()
            .flat_map(|h| {
                let data = &data;
                Strategy::ALL.into_iter().flat_map(move |s| {
                    Variant::ALL.into_iter().map(move |v| {
                        let r = logging::run(s, v, h, &data.consumption);
                        HardforkRow {
                            hardfork: h,
                            strategy: s,
                            variant: v,
                            gas_per_year: r.gas_per_year,
                            max_tx_gas: r.max_tx_gas,
                            fits_tx_cap: r.fits_tx_cap,
                        }
                    })
                })
            })
            .collect();
        let fast_path: Vec<FastPath> = SWEEP
            .into_iter()
            .map(|n| diversity::fast_path(hardfork, n))
            .collect();
        // N = 1 has nobody to trade with, so no balance changes: the line is fitted on N ≥ 2.
        let fast_path_fit = diversity::fit(
            &fast_path
                .iter()
                .filter(|f| f.prosumers >= 2)
                .map(|f| (f.prosumers as f64, f.gas_used as f64))
                .collect::<Vec<_>>(),
        );
        let floor_fit = diversity::fit(
            &fast_path
                .iter()
                .filter(|f| f.prosumers >= 2)
                .map(|f| (f.prosumers as f64, f.floor as f64))
                .collect::<Vec<_>>(),
        );
        Self {
            hardfork,
            block_gas_limit: BLOCK_GAS_LIMIT,
            tx_gas_cap: TX_GAS_CAP,
            prices,
            ratios_store: ratios(Variant::Store),
            ratios_event: ratios(Variant::Event),
            logging,
            paper_usd: [PAPER_RDA_USD, PAPER_SAT_USD, PAPER_SA_USD],
            per_hardfork,
            fast_path,
            fast_path_fit,
            floor_fit,
            dispute: diversity::dispute(hardfork, DEFAULT_PROSUMERS),
            year: diversity::year(hardfork, DEFAULT_PROSUMERS),
            year_disputed: diversity::year_disputed(hardfork, DEFAULT_PROSUMERS),
            absent: diversity::absent_node(hardfork, DEFAULT_PROSUMERS),
        }
    }

    /// The report as text tables.
    pub fn render(&self) -> String {
        let mut o = String::new();
        let usd_heads: Vec<String> = self
            .prices
            .iter()
            .map(|p| format!("USD/yr {}", p.name))
            .collect();
        let _ = writeln!(
            o,
            "One prosumer's year of 15-minute readings (2020, 35,136 readings, 5,000 kWh) on {}",
            self.hardfork
        );
        let _ = writeln!(
            o,
            "{:<10} {:>7} {:>12} {:>12} {:>15} {}  {:>5} {:>6}",
            "strategy",
            "txs",
            "gas/tx mean",
            "gas/tx max",
            "gas/year",
            usd_heads
                .iter()
                .map(|h| format!("{h:>18}"))
                .collect::<Vec<_>>()
                .join(" "),
            "block",
            "2^24"
        );
        for r in &self.logging {
            let usd: Vec<String> = self
                .prices
                .iter()
                .map(|p| format!("{:>18.2}", p.usd(r.gas_per_year)))
                .collect();
            let _ = writeln!(
                o,
                "{:<10} {:>7} {:>12.0} {:>12} {:>15} {}  {:>5} {:>6}",
                format!("{} {}", r.strategy.name(), r.variant.name()),
                r.transactions,
                r.mean_tx_gas,
                r.max_tx_gas,
                r.gas_per_year,
                usd.join(" "),
                yes(r.fits_block),
                yes(r.fits_tx_cap)
            );
        }
        let _ = writeln!(
            o,
            "paper (May 2022): RDA {:.0} USD, SAT {:.0} USD, SA {:.0} USD: RDA/SA {:.0}, SAT/SA {:.0}",
            self.paper_usd[0],
            self.paper_usd[1],
            self.paper_usd[2],
            self.paper_usd[0] / self.paper_usd[2],
            self.paper_usd[1] / self.paper_usd[2]
        );
        let _ = writeln!(
            o,
            "measured: store RDA/SA {:.0}, SAT/SA {:.0}; event RDA/SA {:.0}, SAT/SA {:.0}",
            self.ratios_store.rda_over_sa,
            self.ratios_store.sat_over_sa,
            self.ratios_event.rda_over_sa,
            self.ratios_event.sat_over_sa
        );
        for p in &self.prices {
            let _ = writeln!(o, "price {}: {}", p.name, p.note);
        }
        for r in self.logging.iter().filter(|r| r.strategy == Strategy::Rda) {
            let _ = writeln!(
                o,
                "revm executed the {} {} year ({} transactions) in {:.3} s ({:.0} transactions/s)",
                r.strategy.name(),
                r.variant.name(),
                r.transactions,
                r.execution_secs,
                r.transactions as f64 / r.execution_secs
            );
        }
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "Gas per year by hardfork (Osaka refuses any transaction over 2^24 gas, EIP-7825)"
        );
        let _ = write!(o, "{:<10}", "strategy");
        for h in Hardfork::ALL {
            let _ = write!(o, " {:>15}", h.name());
        }
        let _ = writeln!(o);
        for s in Strategy::ALL {
            for v in Variant::ALL {
                let _ = write!(o, "{:<10}", format!("{} {}", s.name(), v.name()));
                for h in Hardfork::ALL {
                    let r = self
                        .per_hardfork
                        .iter()
                        .find(|r| r.hardfork == h && r.strategy == s && r.variant == v)
                        .expect("every combination ran");
                    if h == Hardfork::Osaka && !r.fits_tx_cap {
                        let _ = write!(o, " {:>15}", "over 2^24");
                    } else {
                        let _ = write!(o, " {:>15}", r.gas_per_year);
                    }
                }
                let _ = writeln!(o);
            }
        }
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "DIVERSITY fast path, one window (submitWindow with N signatures, July: everyone trades) on {}",
            self.hardfork
        );
        let _ = writeln!(
            o,
            "{:>4} {:>7} {:>10} {:>10} {:>10} {:>10} {:>8}",
            "N", "traders", "gas", "calldata B", "calldata g", "floor", "x floor"
        );
        for f in &self.fast_path {
            let _ = writeln!(
                o,
                "{:>4} {:>7} {:>10} {:>10} {:>10} {:>10} {:>8.2}",
                f.prosumers,
                f.traders,
                f.gas_used,
                f.calldata_bytes,
                f.calldata_gas,
                f.floor,
                f.over_floor
            );
        }
        let _ = writeln!(
            o,
            "fit (N ≥ 2): gas = {:.0} + {:.0}·N (max residual {:.1}%); floor = {:.0} + {:.0}·N (21,000 + calldata + 3,000 per ecrecover)",
            self.fast_path_fit.intercept,
            self.fast_path_fit.slope,
            self.fast_path_fit.max_residual * 100.0,
            self.floor_fit.intercept,
            self.floor_fit.slope
        );
        let y = &self.year;
        let _ = writeln!(
            o,
            "a year for N={} on the fast path: {} transactions, {} gas (deploy {}, funding {}, 12 windows {} = {:.0} each, close and withdrawals {}), {:.0} gas per prosumer",
            y.prosumers, y.transactions, y.total, y.deploy, y.funding, y.windows, y.window_mean, y.close_and_withdraw, y.per_prosumer
        );
        for p in &self.prices {
            let _ = writeln!(
                o,
                "  {}: {:.2} USD a year per prosumer",
                p.name,
                p.usd(y.per_prosumer as u64)
            );
        }
        let yd = &self.year_disputed;
        let _ = writeln!(
            o,
            "the same year with one Byzantine node challenging every window's partial result: {} transactions, {} gas (12 windows {} = {:.0} each), {:.2} times the fast-path year",
            yd.transactions,
            yd.total,
            yd.windows,
            yd.window_mean,
            yd.total as f64 / y.total as f64
        );
        let _ = writeln!(
            o,
            "  the honest nodes sent {} gas; credited {:.6} ETH of reimbursements and {:.6} ETH of pool share: net cost after reimbursement {:+.6} ETH at the stated rate",
            yd.honest_gas,
            yd.honest_reimbursed_wei as f64 * 1e-18,
            yd.honest_pool_share_wei as f64 * 1e-18,
            yd.honest_net_wei as f64 * 1e-18
        );
        let a = &self.absent;
        let _ = writeln!(
            o,
            "one node absent (N={}): submitWindow with {} signatures {} (pending a dispute period), finalizePending {}, total {}: {:.2} times the fast path ({})",
            a.prosumers,
            a.prosumers - 1,
            a.submit,
            a.finalize,
            a.total,
            a.total as f64 / a.fast_path as f64,
            a.fast_path
        );
        let d = &self.dispute;
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "Worst-case dispute of one window for N={}: {} deciding readings as evidence (the window has {} readings; version 1 put them all on chain)",
            d.prosumers, d.readings, d.window_readings
        );
        let _ = writeln!(
            o,
            "partial result (bonded) {}; challenge {}; {} addEvidence chunks, max {} (under 1M: {}), total {}; finalizeDispute {}; dispute {}; window {}; the same evidence again from a second node {}",
            d.assert, d.open, d.chunks, d.chunk_max, yes(d.every_chunk_fits_target), d.evidence_total, d.finalize, d.total, d.window_total, d.duplicate_total
        );
        let _ = writeln!(
            o,
            "  the challenger's lost bond: {:.6} ETH reimbursed at the stated rate, {:.6} ETH to the slash pool",
            d.reimbursed_wei as f64 * 1e-18,
            d.pooled_wei as f64 * 1e-18
        );
        let _ = writeln!(
            o,
            "fraud proof over the honest root: {} readings in {} chunks, max {} (under 1M: {}), total {}",
            d.fraud_proof_readings,
            d.fraud_proof_chunks,
            d.fraud_proof_chunk_max,
            yes(d.every_proof_chunk_fits_target),
            d.fraud_proof_total
        );
        for p in &self.prices {
            let _ = writeln!(
                o,
                "  {}: window with a dispute {:.2} USD, fraud proof {:.2} USD",
                p.name,
                p.usd(d.window_total),
                p.usd(d.fraud_proof_total)
            );
        }
        o
    }
}

fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}
