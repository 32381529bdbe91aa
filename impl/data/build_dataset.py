"""Regenerate the DIVERSITY reference dataset for 2020: one household's
consumption and one 3 kWp rooftop PV system's production, in 15-minute
intervals, as integer watt-hours.

Why a rebuild
    The reference paper (Marcozzi, Mostarda, Cacciagrano, Frontiers in
    Blockchain, 2022) uses the Italian average per-capita consumption
    profile for 2020 (5,000 kWh/year, one value every 15 minutes), built from
    Terna's national load and EIA per-capita figures. Neither can be
    downloaded by this project's build, so this script makes a documented,
    reproducible substitute from data that ships inside two Python packages.

Sources and licences of the inputs
    * demandlib 0.2.2 (MIT licence, oemof developer group): its file
      bdew/bdew_data/h25.csv is the BDEW 2025 standard household load
      profile H25 (quarter-hour values for each month and each day type:
      Saturday SA, Sunday/holiday FT, working day WT), together with the
      BDEW dynamisation polynomial that H25 requires.
    * pvlib 0.16.1 (BSD-3-Clause licence): solar position (NREL SPA), the
      Ineichen-Perez clear-sky model with the Linke turbidity climatology
      file LinkeTurbidities.h5 shipped inside the package, and the
      isotropic-sky plane-of-array transposition.
    * numpy's PCG64 generator with the fixed seed 2020 for daily cloudiness.

Method (details and figures in docs/dataset.md)
    Calendar: 2020 is a leap year, 366 days x 96 = 35,136 intervals. Slot s
    starts at unix time 1577836800 + 900*s (2020-01-01T00:00:00Z). Each slot
    is labelled by its UTC start, but the household profile is looked up on
    Italian civil time (Europe/Rome, UTC+1, UTC+2 in summer time), because
    people live by the local clock: the local date gives month, day type and
    day of year, the local time of day gives the quarter-hour row.
    Consumption: H25 value x dynamisation factor, scaled so the year sums to
    exactly 5,000,000 Wh, rounded to integers by the largest-remainder method.
    PV: clear-sky plane-of-array irradiance at each interval's midpoint for
    Camerino (43.14 N, 13.07 E, 660 m), panel facing south tilted 30 degrees,
    3 kWp, performance ratio 0.8, times a cloudiness factor drawn per day,
    energy = mean power x 0.25 h, rounded half up to integer Wh.

Run from the repository root
    python3 -m venv .venv && .venv/bin/pip install -r impl/data/requirements.txt && .venv/bin/python impl/data/build_dataset.py

    It writes consumption_2020.csv and pv_2020.csv beside this script (or
    into --out DIR), prints summary figures and the files' sha256, and uses
    no network. Output is byte-identical from run to run.
"""

import argparse
import csv
import datetime as dt
import hashlib
import importlib.resources
import io
import math
import sys
from pathlib import Path

import demandlib
import demandlib.bdew
import numpy as np
import pandas as pd
import pvlib

# --- Calendar -------------------------------------------------------------

YEAR_START_UNIX = 1577836800  # 2020-01-01T00:00:00Z
SLOT_SECONDS = 900
SLOTS_PER_DAY = 96
DAYS = 366  # 2020 is a leap year
SLOTS = DAYS * SLOTS_PER_DAY  # 35,136
LOCAL_TZ = "Europe/Rome"

# Italian national public holidays (festivita' nazionali) of 2020, treated
# as Sundays (day type FT) as BDEW prescribes for holidays. Easter Sunday
# (12 Apr) is a Sunday anyway. The last hour of the UTC year falls on
# 1 Jan 2021 in Italian time, which is also a national holiday.
ITALIAN_HOLIDAYS = (
    dt.date(2020, 1, 1),    # Capodanno
    dt.date(2020, 1, 6),    # Epifania
    dt.date(2020, 4, 13),   # Lunedi' dell'Angelo (Easter Monday)
    dt.date(2020, 4, 25),   # Festa della Liberazione
    dt.date(2020, 5, 1),    # Festa del Lavoro
    dt.date(2020, 6, 2),    # Festa della Repubblica
    dt.date(2020, 8, 15),   # Ferragosto
    dt.date(2020, 11, 1),   # Ognissanti
    dt.date(2020, 12, 8),   # Immacolata Concezione
    dt.date(2020, 12, 25),  # Natale
    dt.date(2020, 12, 26),  # Santo Stefano
    dt.date(2021, 1, 1),    # Capodanno (only 00:00-01:00 local is in range)
)

# --- Consumption ----------------------------------------------------------

ANNUAL_CONSUMPTION_WH = 5_000_000  # 5,000 kWh, the paper's per-capita figure
H25_MONTHS = (
    "Januar", "Februar", "März", "April", "Mai", "Juni",
    "Juli", "August", "September", "Oktober", "November", "Dezember",
)
DAY_TYPES = ("SA", "FT", "WT")

# --- PV -------------------------------------------------------------------

SITE_NAME = "Camerino"
LATITUDE = 43.14
LONGITUDE = 13.07
ALTITUDE_M = 660.0
SURFACE_TILT = 30.0
SURFACE_AZIMUTH = 180.0  # south
ALBEDO = 0.25            # pvlib's default ground reflectance, stated here
PEAK_POWER_KW = 3.0
PERFORMANCE_RATIO = 0.8
STC_IRRADIANCE = 1000.0  # W/m2 at which the peak power is rated
SEED = 2020
CLOUD_FLOOR = 0.25       # darkest overcast day keeps 25 % of clear sky
CLOUD_SHAPE = 0.6        # exponent < 1 skews days towards clear


def slot_starts_utc():
    """UTC start of every slot, as a tz-aware index."""
    return pd.date_range(
        "2020-01-01T00:00:00Z", periods=SLOTS, freq="15min", tz="UTC"
    )


def check_local_offsets(local):
    """Guard against a time-zone database that disagrees with the EU rule:
    summer time from 29 Mar 2020 01:00Z to 25 Oct 2020 01:00Z."""
    offsets = np.array(
        [t.utcoffset().total_seconds() for t in local], dtype=np.int64
    )
    start = (dt.datetime(2020, 3, 29, 1) - dt.datetime(2020, 1, 1)) // dt.timedelta(minutes=15)
    end = (dt.datetime(2020, 10, 25, 1) - dt.datetime(2020, 1, 1)) // dt.timedelta(minutes=15)
    expected = np.full(SLOTS, 3600, dtype=np.int64)
    expected[start:end] = 7200
    assert np.array_equal(offsets, expected), "unexpected Europe/Rome offsets"


def day_types(local):
    """BDEW day type of each slot from its local date: holidays and Sundays
    are FT, Saturdays SA, other days WT."""
    holidays = set(ITALIAN_HOLIDAYS)
    types = []
    for date, weekday in zip(local.date, local.day_of_week):
        if date in holidays or weekday == 6:
            types.append("FT")
        elif weekday == 5:
            types.append("SA")
        else:
            types.append("WT")
    return types


def read_h25():
    """Read h25.csv from the installed demandlib package.

    Layout: row 1 names the month (German) for each column, row 2 the day
    type (SA, FT, WT), first column the quarter hour ("00:00-00:15" ...
    "23:45-00:00"); 96 data rows, values in kWh per quarter hour for a
    normalised annual consumption. Returns {(month 1..12, day type): list of
    96 floats}.
    """
    path = importlib.resources.files("demandlib.bdew") / "bdew_data" / "h25.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    months, kinds, data = rows[0], rows[1], rows[2:]
    assert kinds[0] == "[kWh]" and len(data) == SLOTS_PER_DAY
    for q, row in enumerate(data):
        start = f"{q // 4:02d}:{q % 4 * 15:02d}"
        assert row[0].startswith(start + "-"), f"unexpected row label {row[0]}"
    table = {}
    for col in range(1, len(months)):
        key = (H25_MONTHS.index(months[col]) + 1, kinds[col])
        table[key] = [float(row[col]) for row in data]
    assert sorted(table) == sorted((m, k) for m in range(1, 13) for k in DAY_TYPES)
    return table


def dynamisation(day_of_year):
    """BDEW dynamisation factor for H25 (the same fourth-degree polynomial
    demandlib applies): 1.24 on 1 January, 0.78 around 20 July, 1.26 on
    31 December.
    Horner form with plain multiplications so the result does not depend
    on the platform's pow()."""
    t = day_of_year.astype(np.float64)
    return (((-3.92e-10 * t + 3.2e-7) * t - 7.02e-5) * t + 0.0021) * t + 1.24


def household_profile(local, types):
    """Unscaled H25 value of every slot: table[(local month, day type)] at
    the local quarter hour, times the dynamisation factor of the local day.
    On 29 Mar the local rows 02:00-02:45 do not occur; on 25 Oct they occur
    twice. That is how a meter on local time sees those days."""
    table = read_h25()
    quarter = np.asarray(local.hour * 4 + local.minute // 15)
    raw = np.array(
        [table[(m, k)][q] for m, k, q in zip(local.month, types, quarter)]
    )
    return raw * dynamisation(np.asarray(local.day_of_year))


def cross_check_with_demandlib(local, profile):
    """demandlib's own H25 class on the same local index and holidays must
    give the same shape (it reports kW, i.e. four times kWh per quarter)."""
    theirs = demandlib.bdew.H25(local, holidays=list(ITALIAN_HOLIDAYS))
    theirs = np.asarray(theirs, dtype=np.float64) / 4.0
    assert np.allclose(theirs, profile, rtol=1e-12, atol=0.0), \
        "disagrees with demandlib.bdew.H25"


def largest_remainder(weights, total):
    """Integers proportional to weights that sum to exactly total: floor
    every share, then give one more unit to the slots with the largest
    remainders (ties to the earlier slot). fsum keeps the normalisation
    exact and platform independent."""
    scale = total / math.fsum(weights.tolist())
    shares = weights * scale
    floors = np.floor(shares).astype(np.int64)
    missing = total - int(floors.sum())
    order = np.lexsort((np.arange(len(shares)), -(shares - floors)))
    floors[order[:missing]] += 1
    assert int(floors.sum()) == total and missing >= 0
    return floors


def consumption_wh(local):
    types = day_types(local)
    profile = household_profile(local, types)
    cross_check_with_demandlib(local, profile)
    return largest_remainder(profile, ANNUAL_CONSUMPTION_WH)


# --- PV -------------------------------------------------------------------


def clear_sky_poa(midpoints):
    """Clear-sky plane-of-array irradiance (W/m2) at the given instants."""
    site = pvlib.location.Location(
        LATITUDE, LONGITUDE, tz="UTC", altitude=ALTITUDE_M, name=SITE_NAME
    )
    solpos = site.get_solarposition(midpoints)
    # Ineichen-Perez with the Linke turbidity climatology shipped in pvlib.
    clear = site.get_clearsky(midpoints, model="ineichen", solar_position=solpos)
    poa = pvlib.irradiance.get_total_irradiance(
        SURFACE_TILT, SURFACE_AZIMUTH,
        solpos["apparent_zenith"], solpos["azimuth"],
        clear["dni"], clear["ghi"], clear["dhi"],
        albedo=ALBEDO, model="isotropic",
    )["poa_global"]
    return np.clip(np.nan_to_num(poa.to_numpy(dtype=np.float64)), 0.0, None)


def daily_cloudiness():
    """One factor per UTC day in [0.25, 1]: 0.25 + 0.75 * u**0.6, u uniform
    from PCG64(2020). Mean 0.25 + 0.75/1.6 = 0.72."""
    rng = np.random.Generator(np.random.PCG64(SEED))
    u = rng.random(DAYS)
    return CLOUD_FLOOR + (1.0 - CLOUD_FLOOR) * u ** CLOUD_SHAPE


def pv_wh(utc):
    midpoints = utc + pd.Timedelta(minutes=7, seconds=30)
    poa = clear_sky_poa(midpoints)
    # At Camerino the sun is down from 22:00 to 02:00 UTC all year, so a UTC
    # day and the local day hold the same daylight: indexing the cloudiness
    # by UTC day is the same as by local day.
    night = np.isin(np.asarray(utc.hour), [22, 23, 0, 1])
    assert not poa[night].any(), "sun up around midnight UTC?"
    cloud = daily_cloudiness()[np.arange(SLOTS) // SLOTS_PER_DAY]
    power_kw = PEAK_POWER_KW * poa / STC_IRRADIANCE * PERFORMANCE_RATIO * cloud
    energy_wh = power_kw * 1000.0 * (SLOT_SECONDS / 3600.0)
    return np.floor(energy_wh + 0.5).astype(np.int64)


# --- Output ---------------------------------------------------------------


def utc_label(slot):
    t = dt.datetime.fromtimestamp(YEAR_START_UNIX + SLOT_SECONDS * slot, dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def csv_bytes(values):
    """Header slot,utc_start,wh; LF line endings; integers only."""
    lines = ["slot,utc_start,wh"]
    lines += [f"{s},{utc_label(s)},{int(v)}" for s, v in enumerate(values)]
    return ("\n".join(lines) + "\n").encode("ascii")


def summary(name, values, local):
    """Figures quoted in docs/dataset.md. Monthly totals are by the UTC
    month of the slot label, so anyone can recompute them from the CSV."""
    utc_month = (np.arange(SLOTS) * SLOT_SECONDS + YEAR_START_UNIX).astype("datetime64[s]")
    utc_month = utc_month.astype("datetime64[M]").astype(np.int64) % 12 + 1
    local_hour = np.asarray(local.hour)
    hourly = [int(values[local_hour == h].sum()) for h in range(24)]
    peak = int(np.argmax(values))
    out = [f"{name}: total {int(values.sum())} Wh = {values.sum() / 1000:.3f} kWh",
           f"  per slot min {int(values.min())} max {int(values.max())} Wh "
           f"mean {values.mean():.3f} Wh; zero slots {int((values == 0).sum())}",
           f"  largest slot {peak} ({utc_label(peak)}) {int(values[peak])} Wh",
           f"  peak local hour of day (mean over the year) "
           f"{int(np.argmax(hourly)):02d}:00 ({hourly[int(np.argmax(hourly))] / DAYS:.1f} Wh/day in that hour)"]
    for m in range(1, 13):
        out.append(f"  month {m:02d}: {values[utc_month == m].sum() / 1000:.3f} kWh")
    return "\n".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent,
                        help="folder for the CSV files (default: beside this script)")
    args = parser.parse_args(argv)

    utc = slot_starts_utc()
    local = utc.tz_convert(LOCAL_TZ)
    check_local_offsets(local)

    series = {
        "consumption_2020.csv": consumption_wh(local),
        "pv_2020.csv": pv_wh(utc),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"demandlib {demandlib.__version__}, pvlib {pvlib.__version__}, "
          f"pandas {pd.__version__}, numpy {np.__version__}")
    for name, values in series.items():
        data = csv_bytes(values)
        (args.out / name).write_bytes(data)
        print(summary(name, values, local))
        print(f"  sha256 {hashlib.sha256(data).hexdigest()}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
