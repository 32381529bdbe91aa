//! Synthetic, deterministic energy profiles for simulations: household consumption with
//! daily and seasonal shape scaled to a yearly total, and rooftop PV from solar geometry with
//! a seeded daily cloudiness. Not the paper's dataset (that is rebuilt for the gas
//! benchmark); a realistic enough load for the protocol.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Latitude and longitude of Camerino, Italy, where the reference paper's authors work.
const LATITUDE_DEG: f64 = 43.14;
const LONGITUDE_DEG: f64 = 13.07;

/// Relative household demand per hour of day (UTC+1 local time), morning and evening peaks.
const HOURLY_SHAPE: [f64; 24] = [
    0.55, 0.45, 0.40, 0.38, 0.38, 0.45, 0.70, 1.00, 1.05, 0.90, 0.85, 0.90, 1.05, 1.00, 0.85, 0.80,
    0.90, 1.15, 1.45, 1.60, 1.50, 1.25, 0.95, 0.70,
];

/// One prosumer's energy per slot over a span, in Wh.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    pub produced_wh: Vec<u64>,
    pub consumed_wh: Vec<u64>,
}

/// Parameters of one household.
#[derive(Clone, Debug, PartialEq)]
pub struct Household {
    /// Yearly consumption, kWh (the paper's Italian per-capita figure is 5,000).
    pub annual_kwh: f64,
    /// Installed PV peak power, kW (0 for none).
    pub pv_kwp: f64,
    pub seed: u64,
}

/// Builds a profile of `slots` slots of `slot_secs` seconds starting at unix time `start`.
/// Consumption sums to `annual_kwh · slots·slot_secs / 1 year` up to rounding.
pub fn build(h: &Household, start: u64, slot_secs: u64, slots: u64) -> Profile {
    let mut rng = ChaCha8Rng::seed_from_u64(h.seed);
    let days = (slots * slot_secs).div_ceil(86_400) as usize + 1;
    let clearness: Vec<f64> = (0..days)
        .map(|_| 0.25 + 0.75 * rng.random::<f64>().powf(0.6))
        .collect();
    let mut raw = Vec::with_capacity(slots as usize);
    let mut produced_wh = Vec::with_capacity(slots as usize);
    for s in 0..slots {
        let t = start + s * slot_secs + slot_secs / 2;
        let day_of_year = ((t / 86_400) % 366) as f64;
        let local_hour = (((t + 3_600) % 86_400) / 3_600) as usize;
        let season = 1.0 + 0.18 * (2.0 * std::f64::consts::PI * (day_of_year - 15.0) / 366.0).cos();
        let noise = 0.8 + 0.4 * rng.random::<f64>();
        raw.push(HOURLY_SHAPE[local_hour] * season * noise);
        let day = ((s * slot_secs) / 86_400) as usize;
        let pv_w = h.pv_kwp * 1_000.0 * 0.8 * sun_fraction(t) * clearness[day];
        produced_wh.push((pv_w * slot_secs as f64 / 3_600.0).round() as u64);
    }
    let target_wh = h.annual_kwh * 1_000.0 * (slots * slot_secs) as f64 / (366.0 * 86_400.0);
    let scale = target_wh / raw.iter().sum::<f64>();
    let consumed_wh = raw.iter().map(|r| (r * scale).round() as u64).collect();
    Profile {
        produced_wh,
        consumed_wh,
    }
}

/// Fraction of peak irradiance on a horizontal panel at unix time `t`: the sine of the
/// sun's elevation at the site, zero at night.
fn sun_fraction(t: u64) -> f64 {
    use std::f64::consts::PI;
    let day = ((t / 86_400) % 366) as f64;
    let decl = (23.44f64).to_radians() * (2.0 * PI * (284.0 + day) / 365.0).sin();
    let utc_hours = (t % 86_400) as f64 / 3_600.0;
    let solar_hours = utc_hours + LONGITUDE_DEG / 15.0;
    let hour_angle = (15.0 * (solar_hours - 12.0)).to_radians();
    let lat = LATITUDE_DEG.to_radians();
    let sin_el = lat.sin() * decl.sin() + lat.cos() * decl.cos() * hour_angle.cos();
    sin_el.max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const Y2020: u64 = 1_577_836_800;

    #[test]
    fn a_year_of_consumption_sums_to_the_annual_figure() {
        let p = build(
            &Household {
                annual_kwh: 5_000.0,
                pv_kwp: 0.0,
                seed: 1,
            },
            Y2020,
            900,
            35_136,
        );
        let kwh = p.consumed_wh.iter().sum::<u64>() as f64 / 1_000.0;
        assert!((kwh - 5_000.0).abs() < 5.0, "{kwh}");
        assert!(p.produced_wh.iter().all(|w| *w == 0));
    }

    #[test]
    fn pv_produces_by_day_only_and_more_in_summer() {
        let p = build(
            &Household {
                annual_kwh: 3_000.0,
                pv_kwp: 4.0,
                seed: 2,
            },
            Y2020,
            900,
            35_136,
        );
        // Midnight local time produces nothing.
        assert_eq!(p.produced_wh[0], 0);
        let jan: u64 = p.produced_wh[..31 * 96].iter().sum();
        let jul: u64 = p.produced_wh[182 * 96..213 * 96].iter().sum();
        assert!(jul > 2 * jan, "july {jul} january {jan}");
        let kwh = p.produced_wh.iter().sum::<u64>() as f64 / 1_000.0;
        // A 4 kWp roof in central Italy makes a few MWh a year.
        assert!((2_500.0..7_000.0).contains(&kwh), "{kwh}");
    }

    #[test]
    fn profiles_are_deterministic() {
        let h = Household {
            annual_kwh: 5_000.0,
            pv_kwp: 3.0,
            seed: 3,
        };
        assert_eq!(build(&h, Y2020, 900, 1_000), build(&h, Y2020, 900, 1_000));
    }
}
