"""Make smart.csv: one SMART snapshot of the 72 hard drives of storage row B-S in Hall B
(6 storage nodes x 12 drive bays). Fixed seed, so the file is the same on every machine.

    python make_smart.py   # writes smart.csv beside this script

Columns: drive (node-bay id), model, power_on_hours, temp_c (SMART 194) and the raw values of
SMART attributes 5 (reallocated sectors), 187 (reported uncorrectable errors), 197 (current
pending sectors) and 198 (offline uncorrectable sectors). The numbers are synthetic: most
drives are clean, a few show the patterns a technician learns to recognise.
"""
import csv
import pathlib

import numpy as np

SEED = 20270921
NODES, BAYS = 6, 12
MODELS = ["HDD-20T-A", "HDD-20T-B"]


def main() -> None:
    rng = np.random.default_rng(SEED)
    rows = []
    for node in range(1, NODES + 1):
        for bay in range(1, BAYS + 1):
            drive = f"bs{node:02d}-d{bay:02d}"
            hours = int(rng.integers(6_000, 46_000))
            temp = int(rng.integers(29, 41))
            s5 = s187 = s197 = s198 = 0
            u = rng.random()
            if u < 0.10:                      # a few remapped sectors, nothing else: watch
                s5 = int(rng.integers(1, 40))
            elif u < 0.15:                    # many remapped sectors: the surface is going
                s5 = int(rng.integers(120, 2_000))
            elif u < 0.19:                    # pending sectors only: may clear on rewrite
                s197 = int(rng.integers(1, 16))
            elif u < 0.23:                    # errors the host already saw
                s187 = int(rng.integers(1, 12))
                s5 = int(rng.integers(0, 60))
            elif u < 0.26:                    # offline scan found unreadable sectors
                s198 = int(rng.integers(1, 24))
                s197 = s198 + int(rng.integers(0, 8))
            rows.append((drive, MODELS[(node + bay) % 2], hours, temp, s5, s187, s197, s198))
    # the edge cases a rule must get right
    rows[5] = (rows[5][0], rows[5][1], rows[5][2], rows[5][3], 100, 0, 0, 0)   # exactly at the limit
    rows[17] = (rows[17][0], rows[17][1], rows[17][2], rows[17][3], 101, 0, 0, 0)  # just over it
    rows[30] = (rows[30][0], rows[30][1], rows[30][2], rows[30][3], 8, 2, 0, 0)    # 187 with few remaps
    rows[44] = (rows[44][0], rows[44][1], rows[44][2], rows[44][3], 0, 1, 0, 0)    # 187 alone
    out = pathlib.Path(__file__).with_name("smart.csv")
    with out.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["drive", "model", "power_on_hours", "temp_c", "smart_5", "smart_187",
                    "smart_197", "smart_198"])
        w.writerows(rows)


if __name__ == "__main__":
    main()
