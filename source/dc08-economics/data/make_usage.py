"""Make usage.csv: one month (June 2026, 30 days) of daily cloud usage records for the port
logistics company's account, in the shape of a provider's cost-and-usage export. Fixed seed,
so the file is the same on every machine.

    python make_usage.py   # writes usage.csv beside this script

Columns: date (YYYY-MM-DD), resource (name), item (the price-list key), quantity (in the
item's unit: hours, GB-month or GB).
"""
import csv
import datetime as dt
import pathlib

import numpy as np

SEED = 20260630
DAYS = 30


def main() -> None:
    rng = np.random.default_rng(SEED)
    rows = []
    for d in range(DAYS):
        date = dt.date(2026, 6, 1) + dt.timedelta(days=d)
        weekday = date.weekday() < 5
        for web in ("web-1", "web-2"):                     # always on
            rows.append((date, web, "m5.large-hours", 24))
        if weekday:                                        # nightly batch on weekdays only
            rows.append((date, "batch-1", "c5.xlarge-hours", int(rng.integers(4, 11))))
        # storage is billed in GB-month: each day's stored GB counts for 1/30 of a month
        rows.append((date, "db-vol", "gp3-gb-month", round(500 / DAYS, 4)))
        backup_gb = 1_200 + 10 * d                         # the backup bucket grows daily
        rows.append((date, "backup", "s3-gb-month", round(backup_gb / DAYS, 4)))
        egress = rng.normal(115 if weekday else 60, 12)    # data sent out to the internet
        rows.append((date, "web-1", "egress-gb", round(float(egress), 1)))
    out = pathlib.Path(__file__).with_name("usage.csv")
    with out.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["date", "resource", "item", "quantity"])
        w.writerows((d.isoformat(), r, i, q) for d, r, i, q in rows)


if __name__ == "__main__":
    main()
