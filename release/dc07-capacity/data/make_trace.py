"""Make busan_trace.csv: requests per minute to a Busan shopping service's web tier over one
weekday (00:00-23:59 KST). Synthetic: a daily cycle with a night low around 04:00-05:00, a
lunch bump, an evening peak around 21:00 and a 15-minute promotion spike in the evening.
Fixed seed, so the file is the same on every machine.

    python make_trace.py   # writes busan_trace.csv beside this script

The notebook's `synthetic_day` uses the same model to make other days for the hidden tests.
"""
import csv
import pathlib

import numpy as np

SEED = 20270921


# Relative traffic at each hour 00..23 (1.0 = the evening peak at 21:00).
PROFILE = [0.55, 0.40, 0.28, 0.20, 0.15, 0.15, 0.20, 0.30, 0.42, 0.50, 0.55, 0.60,
           0.70, 0.66, 0.60, 0.60, 0.60, 0.63, 0.70, 0.80, 0.90, 1.00, 0.95, 0.78]


def synthetic_day(rng, peak=12_000, night=1_500, shift_h=0.0):
    """Requests per minute for 1440 minutes (list of int): night floor `night`, evening peak
    about `peak`, the whole profile moved later by `shift_h` hours."""
    hours = np.arange(1440) / 60 - shift_h
    shape = np.interp(hours, np.arange(25), PROFILE + PROFILE[:1], period=24)
    low = min(PROFILE)
    rpm = night + (peak - night) * (shape - low) / (1 - low)
    rpm = rpm * rng.lognormal(0.0, 0.06, 1440)
    start = int(rng.integers(19 * 60, 21 * 60))
    rpm[start:start + 15] *= 1.35              # a promotion push notification
    return [int(v) for v in np.round(rpm)]


def main() -> None:
    rpm = synthetic_day(np.random.default_rng(SEED))
    out = pathlib.Path(__file__).with_name("busan_trace.csv")
    with out.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["minute", "time", "requests"])
        for m, r in enumerate(rpm):
            w.writerow([m, f"{m // 60:02d}:{m % 60:02d}", r])


if __name__ == "__main__":
    main()
