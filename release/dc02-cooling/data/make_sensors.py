"""Make sensors.csv: hourly cold-aisle inlet temperatures (°C) of 8 sensors in Hall B over one
Busan summer day. Fixed seed, so the file is the same on every machine.

    python make_sensors.py   # writes sensors.csv beside this script
"""
import csv
import pathlib

import numpy as np

SEED = 20270714
SENSORS = [f"B-{row}{n}" for row in "AC" for n in (1, 2, 3, 4)]


def main() -> None:
    rng = np.random.default_rng(SEED)
    rows = []
    for s, sensor in enumerate(SENSORS):
        base = 22.0 + 0.6 * s                      # sensors further down the aisle run warmer
        for hour in range(24):
            afternoon = 3.0 * np.exp(-((hour - 15) / 3.0) ** 2)   # the chillers work hardest
            t = base + afternoon + rng.normal(0, 0.8)
            if sensor == "B-A2" and hour in (3, 4):
                t = 16.4 + rng.normal(0, 0.3)      # an over-cooled corner at night
            if sensor == "B-C4" and 14 <= hour <= 16:
                t = 32.5 + rng.normal(0, 0.4)      # a blanking panel left out: hot air recirculates
            rows.append((hour, sensor, round(float(t), 1)))
    out = pathlib.Path(__file__).with_name("sensors.csv")
    with out.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["hour", "sensor", "inlet_c"])
        w.writerows(rows)


if __name__ == "__main__":
    main()
