//! The two figures of `diversity gas --plot DIR`, as plain SVG written by hand (no font or
//! drawing library, byte-for-byte reproducible): the year's profile (the paper's Figure 2)
//! and the cumulative cost of each logging strategy over the year on a log scale (Figure 3).

use std::fmt::Write as _;

use diversity::evm::gas::logging::LoggingRun;
use diversity::evm::gas::price::Price;
use diversity::world::dataset::{Dataset, SLOTS_2020};

const W: f64 = 960.0;
const H: f64 = 480.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 60.0;
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const COLOURS: [&str; 6] = [
    "#d62728", "#ff9896", "#1f77b4", "#aec7e8", "#2ca02c", "#98df8a",
];

fn header(o: &mut String, title: &str) {
    let _ = writeln!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(o, r#"<rect width="{W}" height="{H}" fill="white"/>"#);
    let _ = writeln!(
        o,
        r#"<text x="{}" y="22" text-anchor="middle" font-size="15">{title}</text>"#,
        W / 2.0
    );
}

fn x_of(slot: f64) -> f64 {
    LEFT + slot / SLOTS_2020 as f64 * (W - LEFT - RIGHT)
}

fn month_axis(o: &mut String) {
    let y = H - BOTTOM;
    let _ = writeln!(
        o,
        r#"<line x1="{LEFT}" y1="{y}" x2="{}" y2="{y}" stroke="black"/>"#,
        W - RIGHT
    );
    for (m, r) in diversity::world::dataset::Series::months()
        .iter()
        .enumerate()
    {
        let x = x_of(r.start as f64);
        let _ = writeln!(
            o,
            r#"<line x1="{x:.1}" y1="{y}" x2="{x:.1}" y2="{}" stroke="black"/><text x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
            y + 5.0,
            x_of((r.start + r.end) as f64 / 2.0),
            y + 20.0,
            MONTHS[m]
        );
    }
    let _ = writeln!(
        o,
        r#"<text x="{}" y="{}" text-anchor="middle">2020 (UTC)</text>"#,
        (LEFT + W - RIGHT) / 2.0,
        H - 15.0
    );
}

fn y_label(o: &mut String, label: &str) {
    let _ = writeln!(
        o,
        r#"<text transform="translate(20,{}) rotate(-90)" text-anchor="middle">{label}</text>"#,
        (TOP + H - BOTTOM) / 2.0
    );
}

/// Figure 2: the 15-minute consumption (and PV) profile, drawn as hourly means.
pub fn profile(data: &Dataset) -> String {
    let mut o = String::new();
    header(
        &mut o,
        "Household consumption (5,000 kWh) and 3 kWp PV production, 2020, hourly means of 15-minute readings",
    );
    // PV first, so the consumption (the paper's Figure 2) is drawn on top.
    let series = [(&data.pv, "#ffbb78"), (&data.consumption, "#1f77b4")];
    let max_wh = 700.0;
    let y_of = |wh: f64| H - BOTTOM - wh / max_wh * (H - TOP - BOTTOM);
    for wh in (0..=700).step_by(100) {
        let y = y_of(wh as f64);
        let _ = writeln!(
            o,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">{wh}</text>"##,
            W - RIGHT,
            LEFT - 6.0,
            y + 4.0
        );
    }
    for (s, colour) in series {
        let mut points = String::new();
        for (h, hour) in s.wh.chunks(4).enumerate() {
            let mean = hour.iter().map(|w| *w as f64).sum::<f64>() / hour.len() as f64;
            let _ = write!(points, "{:.1},{:.1} ", x_of(h as f64 * 4.0), y_of(mean));
        }
        let _ = writeln!(
            o,
            r#"<polyline fill="none" stroke="{colour}" stroke-width="0.4" points="{}"/>"#,
            points.trim_end()
        );
    }
    legend(
        &mut o,
        &[
            (
                format!(
                    "consumption ({:.0} kWh)",
                    data.consumption.total_wh() as f64 / 1e3
                ),
                "#1f77b4",
            ),
            (
                format!("PV ({:.0} kWh)", data.pv.total_wh() as f64 / 1e3),
                "#ffbb78",
            ),
        ],
    );
    month_axis(&mut o);
    y_label(&mut o, "Wh per 15 minutes");
    o.push_str("</svg>\n");
    o
}

fn legend(o: &mut String, items: &[(String, &str)]) {
    for (i, (label, colour)) in items.iter().enumerate() {
        let y = TOP + 12.0 + 18.0 * i as f64;
        let _ = writeln!(
            o,
            r#"<rect x="{}" y="{}" width="14" height="4" fill="{colour}"/><text x="{}" y="{}">{label}</text>"#,
            LEFT + 12.0,
            y - 4.0,
            LEFT + 32.0,
            y + 1.0
        );
    }
}

/// Figure 3: the cumulative cost in USD of each strategy over the year, log scale.
pub fn cumulative_cost(runs: &[LoggingRun], price: &Price) -> String {
    let mut o = String::new();
    header(
        &mut o,
        &format!(
            "Cumulative cost of logging one prosumer's 2020 on Ethereum ({}: {:.2} gwei, {} USD/ETH)",
            price.name, price.gwei, price.eth_usd
        ),
    );
    let (lo, hi) = (-2i32, 6i32); // 0.01 USD … 1,000,000 USD
    let y_of = |usd: f64| {
        let l = usd.max(10f64.powi(lo)).log10();
        H - BOTTOM - (l - lo as f64) / (hi - lo) as f64 * (H - TOP - BOTTOM)
    };
    for e in lo..=hi {
        let y = y_of(10f64.powi(e));
        let label = if e < 0 {
            format!("{}", 10f64.powi(e))
        } else {
            format!("{}", 10u64.pow(e as u32))
        };
        let _ = writeln!(
            o,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">{label}</text>"##,
            W - RIGHT,
            LEFT - 6.0,
            y + 4.0
        );
    }
    let mut items = Vec::new();
    for (i, r) in runs.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let mut points = String::new();
        let mut total = 0u64;
        // A step line: flat until a transaction, then up by its cost. RDA is drawn with
        // one point per day to keep the file small.
        let _ = write!(points, "{:.1},{:.1} ", x_of(0.0), y_of(0.0));
        for (k, (gas, slot)) in r.gas.iter().zip(&r.at_slot).enumerate() {
            total += gas;
            let daily = r.gas.len() > 1_000;
            if daily && (k + 1) % 96 != 0 && k + 1 != r.gas.len() {
                continue;
            }
            let x = x_of(*slot as f64 + 1.0);
            let y = y_of(price.usd(total));
            if !daily {
                let _ = write!(points, "{x:.1},{:.1} ", y_of(price.usd(total - gas)));
            }
            let _ = write!(points, "{x:.1},{y:.1} ");
        }
        let _ = writeln!(
            o,
            r#"<polyline fill="none" stroke="{colour}" stroke-width="2" points="{}"/>"#,
            points.trim_end()
        );
        items.push((
            format!(
                "{} {}: {:.2} USD",
                r.strategy.name(),
                r.variant.name(),
                price.usd(r.gas_per_year)
            ),
            colour,
        ));
    }
    legend(&mut o, &items);
    month_axis(&mut o);
    y_label(&mut o, "cumulative cost, USD (log scale)");
    o.push_str("</svg>\n");
    o
}

/// Both figures, by file name.
pub fn figures(logging: &[LoggingRun], price: &Price) -> Vec<(&'static str, String)> {
    let data = Dataset::embedded();
    vec![
        ("profile.svg", profile(&data)),
        ("cumulative-cost.svg", cumulative_cost(logging, price)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use diversity::evm::gas::logging::{run, Strategy, Variant};
    use diversity::evm::Hardfork;

    /// The figures in `docs/figures/` are what `diversity gas --plot` draws today, byte for
    /// byte (the May 2022 price on Prague): regenerate them with
    /// `cargo run --release -- gas --plot docs/figures`.
    #[test]
    fn the_figures_in_docs_are_current() {
        let data = Dataset::embedded();
        let runs: Vec<LoggingRun> = Strategy::ALL
            .into_iter()
            .flat_map(|s| Variant::ALL.into_iter().map(move |v| (s, v)))
            .map(|(s, v)| run(s, v, Hardfork::Prague, &data.consumption))
            .collect();
        let rda_store = runs[0].gas_per_year;
        let price = Price::may_2022_calibrated(rda_store);
        for (name, svg) in figures(&runs, &price) {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/figures/");
            let committed = std::fs::read_to_string(format!("{path}{name}"))
                .unwrap_or_else(|e| panic!("docs/figures/{name}: {e}"));
            assert!(
                committed == svg,
                "docs/figures/{name} is stale: regenerate it"
            );
        }
    }
}
