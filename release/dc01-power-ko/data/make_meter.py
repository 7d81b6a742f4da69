"""Make meter.csv: one week of hourly energy readings for Hall B of a colocation data centre
in Gangseo-gu, Busan (a made-up but realistic facility).

Columns
    timestamp     start of the hour, ISO 8601 with Korea Standard Time (+09:00)
    facility_kwh  energy through the facility's utility meter during that hour (kWh)
    it_kwh        energy delivered to IT equipment (UPS output meters) during that hour (kWh)

A reading of E kWh over one hour is an average power of E kW.

Model (illustrative, chosen by the author, not measured data):
  * IT load: about 380 kW, busiest in the afternoon (business and batch work), 7 % lower at
    the weekend, with a little noise.
  * Outdoor air: a Busan week in early August, about 24-31 degC with the daily swing.
  * Cooling power grows with the outdoor temperature; UPS and distribution losses are 5 % of
    the IT load; lighting, offices and security are a fixed 18 kW.
  The resulting weekly PUE is about 1.45, somewhat better than the global survey average.

Run from anywhere: python make_meter.py   (writes meter.csv beside this script)
"""
import csv
import datetime as dt
from pathlib import Path

import numpy as np

SEED = 20260803
HOURS = 7 * 24
START = dt.datetime(2026, 8, 3, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))  # a Monday


def make(seed: int = SEED):
    rng = np.random.default_rng(seed)
    h = np.arange(HOURS)
    hour_of_day = h % 24
    weekend = (h // 24) >= 5
    # IT load (kW): base + afternoon peak, lower at the weekend, small noise
    daily = np.cos(2 * np.pi * (hour_of_day - 15) / 24)
    it_kw = 380 + 32 * daily
    it_kw = np.where(weekend, 0.93 * it_kw, it_kw) + rng.normal(0, 4, HOURS)
    # outdoor temperature (degC): warmest mid-afternoon, a slightly hotter middle of the week
    outdoor = 27.5 + 3.2 * np.cos(2 * np.pi * (hour_of_day - 14) / 24) \
        + 0.8 * np.sin(np.pi * h / HOURS) + rng.normal(0, 0.5, HOURS)
    cooling_kw = it_kw * (0.30 + 0.012 * (outdoor - 24.0))
    losses_kw = 0.05 * it_kw
    fixed_kw = 18.0
    facility_kw = it_kw + cooling_kw + losses_kw + fixed_kw + rng.normal(0, 3, HOURS)
    rows = []
    for i in range(HOURS):
        t = START + dt.timedelta(hours=int(i))
        rows.append((t.isoformat(timespec="minutes"), round(float(facility_kw[i]), 1),
                     round(float(it_kw[i]), 1)))
    return rows


def main() -> None:
    out = Path(__file__).with_name("meter.csv")
    tmp = out.with_suffix(".csv.tmp")
    with open(tmp, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["timestamp", "facility_kwh", "it_kwh"])
        w.writerows(make())
    tmp.replace(out)


if __name__ == "__main__":
    main()
