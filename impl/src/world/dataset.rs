//! The 2020 reference dataset (docs/dataset.md): one household's 15-minute consumption
//! (5,000 kWh over the year, the paper's Italian per-capita figure) and a 3 kWp rooftop PV
//! system's production, embedded from `impl/data/` so that no run needs Python or a network.

use std::fmt;
use std::path::Path;

/// Unix time of 2020-01-01T00:00:00Z, the start of slot 0.
pub const START_2020: u64 = 1_577_836_800;
/// Seconds per slot.
pub const SLOT_SECS: u64 = 900;
/// 2020 is a leap year: 366 days of 96 quarter hours.
pub const SLOTS_2020: usize = 366 * 96;

const CONSUMPTION_CSV: &str = include_str!("../../data/consumption_2020.csv");
const PV_CSV: &str = include_str!("../../data/pv_2020.csv");

/// One series: integer Wh per 15-minute slot of 2020.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Series {
    pub name: &'static str,
    pub wh: Vec<u32>,
}

impl Series {
    pub fn total_wh(&self) -> u64 {
        self.wh.iter().map(|w| *w as u64).sum()
    }

    /// The slots of each calendar month (UTC), as index ranges.
    pub fn months() -> Vec<std::ops::Range<usize>> {
        const DAYS: [usize; 12] = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        let mut start = 0;
        DAYS.iter()
            .map(|d| {
                let r = start..start + d * 96;
                start = r.end;
                r
            })
            .collect()
    }

    pub fn month_totals_wh(&self) -> Vec<u64> {
        Self::months()
            .into_iter()
            .map(|r| self.wh[r].iter().map(|w| *w as u64).sum())
            .collect()
    }
}

/// The two series of the year.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dataset {
    pub consumption: Series,
    pub pv: Series,
}

/// Why a dataset file was refused: the file, the line and the problem.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}, line {line}: {problem}")]
pub struct DataError {
    pub file: String,
    pub line: usize,
    pub problem: String,
}

impl Dataset {
    /// The embedded dataset (checked by the crate's tests, so this never fails).
    pub fn embedded() -> Self {
        Self {
            consumption: parse("consumption_2020.csv", "consumption", CONSUMPTION_CSV)
                .expect("the embedded consumption series is valid"),
            pv: parse("pv_2020.csv", "pv", PV_CSV).expect("the embedded PV series is valid"),
        }
    }

    /// Writes both files, byte-identical to the embedded ones, into `dir`.
    pub fn write(dir: &Path) -> std::io::Result<Vec<std::path::PathBuf>> {
        std::fs::create_dir_all(dir)?;
        let mut written = Vec::new();
        for (name, text) in [
            ("consumption_2020.csv", CONSUMPTION_CSV),
            ("pv_2020.csv", PV_CSV),
        ] {
            let path = dir.join(name);
            std::fs::write(&path, text)?;
            written.push(path);
        }
        Ok(written)
    }
}

/// Parses and validates one series: the header `slot,utc_start,wh`, then exactly
/// [`SLOTS_2020`] rows with consecutive slots, the matching UTC start and an integer Wh.
pub fn parse(file: &str, name: &'static str, text: &str) -> Result<Series, DataError> {
    let err = |line: usize, problem: String| DataError {
        file: file.to_string(),
        line,
        problem,
    };
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, "slot,utc_start,wh")) => {}
        Some((_, other)) => {
            return Err(err(
                1,
                format!("header is {other:?}, expected \"slot,utc_start,wh\""),
            ))
        }
        None => return Err(err(1, "the file is empty".into())),
    }
    let mut wh = Vec::with_capacity(SLOTS_2020);
    for (i, line) in lines {
        let n = i + 1;
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() != 3 {
            return Err(err(n, format!("{} fields, expected 3", fields.len())));
        }
        let slot: usize = fields[0]
            .parse()
            .map_err(|_| err(n, format!("slot {:?} is not a number", fields[0])))?;
        if slot != wh.len() {
            return Err(err(n, format!("slot {slot}, expected {}", wh.len())));
        }
        let expected = utc_start(slot);
        if fields[1] != expected {
            return Err(err(n, format!("time {:?}, expected {expected}", fields[1])));
        }
        let v: u32 = fields[2]
            .parse()
            .map_err(|_| err(n, format!("{:?} is not a whole number of Wh", fields[2])))?;
        wh.push(v);
    }
    if wh.len() != SLOTS_2020 {
        // The first missing row would be on the line after the header and the rows read.
        return Err(err(
            wh.len() + 2,
            format!("{} slots, expected {SLOTS_2020}", wh.len()),
        ));
    }
    Ok(Series { name, wh })
}

/// `2020-MM-DDTHH:MM:00Z` of a slot's start.
pub fn utc_start(slot: usize) -> String {
    let mut day = slot / 96;
    let minute = (slot % 96) * 15;
    const DAYS: [usize; 12] = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let mut month = 0;
    while month < 12 && day >= DAYS[month] {
        day -= DAYS[month];
        month += 1;
    }
    format!(
        "2020-{:02}-{:02}T{:02}:{:02}:00Z",
        month + 1,
        day + 1,
        minute / 60,
        minute % 60
    )
}

impl fmt::Display for Dataset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{:<10} {:>14} {:>14}", "month", "consumed kWh", "PV kWh")?;
        let names = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        let c = self.consumption.month_totals_wh();
        let p = self.pv.month_totals_wh();
        for m in 0..12 {
            writeln!(
                f,
                "{:<10} {:>14.3} {:>14.3}",
                names[m],
                c[m] as f64 / 1e3,
                p[m] as f64 / 1e3
            )?;
        }
        write!(
            f,
            "{:<10} {:>14.3} {:>14.3}",
            "year",
            self.consumption.total_wh() as f64 / 1e3,
            self.pv.total_wh() as f64 / 1e3
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_year_is_the_papers_shape() {
        let d = Dataset::embedded();
        assert_eq!(d.consumption.wh.len(), 35_136);
        // Exactly the paper's 5,000 kWh per capita and year.
        assert_eq!(d.consumption.total_wh(), 5_000_000);
        // A 3 kWp system in central Italy: about 1,330 kWh per kWp.
        let pv_kwh = d.pv.total_wh() / 1_000;
        assert!((3_600..=4_200).contains(&pv_kwh), "{pv_kwh} kWh");
        // No PV at night (slot 0 is 01:00 in Italy).
        assert_eq!(d.pv.wh[0], 0);
        assert_eq!(Series::months().last().unwrap().end, SLOTS_2020);
    }

    #[test]
    fn broken_files_are_refused_by_line_and_problem() {
        let good = "slot,utc_start,wh\n0,2020-01-01T00:00:00Z,5\n";
        let cases = [
            ("", "line 1: the file is empty"),
            ("slot,wh\n", "line 1: header is"),
            (
                "slot,utc_start,wh\n0,2020-01-01T00:00:00Z\n",
                "line 2: 2 fields",
            ),
            (
                "slot,utc_start,wh\n1,2020-01-01T00:00:00Z,5\n",
                "line 2: slot 1, expected 0",
            ),
            (
                "slot,utc_start,wh\n0,2020-01-01T00:15:00Z,5\n",
                "line 2: time",
            ),
            (
                "slot,utc_start,wh\n0,2020-01-01T00:00:00Z,-5\n",
                "line 2: \"-5\" is not a whole",
            ),
            (
                "slot,utc_start,wh\n0,2020-01-01T00:00:00Z,1.5\n",
                "is not a whole",
            ),
            (good, "line 3: 1 slots, expected 35136"),
        ];
        for (text, want) in cases {
            let e = parse("f.csv", "x", text).unwrap_err().to_string();
            assert!(e.contains(want), "{e:?} should contain {want:?}");
            assert!(e.starts_with("f.csv, line "), "{e}");
        }
    }

    #[test]
    fn slot_times_follow_the_leap_year_calendar() {
        assert_eq!(utc_start(0), "2020-01-01T00:00:00Z");
        assert_eq!(utc_start(96 * 59), "2020-02-29T00:00:00Z");
        assert_eq!(utc_start(SLOTS_2020 - 1), "2020-12-31T23:45:00Z");
    }
}
