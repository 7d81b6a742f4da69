"""Make inventory.csv: the servers a customer (a made-up Busan port-logistics company) is moving
into Hall B, one row per server, listed model by model as the delivery note lists them.

Columns
    id      server id on the asset tag, S01..S30
    model   the customer's model name
    u       height in rack units (1U = 44.45 mm)
    watts   planning power in W (the vendor power calculator's figure at expected peak load,
            not the power-supply nameplate)
    kg      mass in kg, with rails and cables
    nics    data network ports (cables to the top-of-rack switch), not counting the BMC port

The models and their figures are illustrative, chosen by the author to be realistic for 2026
servers, not taken from any vendor. Fixed seed: the file is the same on every machine.

    python make_inventory.py   # writes inventory.csv beside this script
"""
import csv
import pathlib

import numpy as np

SEED = 20270330
# model: (count, U, watts, kg, nics)
MODELS = {
    "web-1u": (10, 1, 290, 17, 2),
    "app-2u": (6, 2, 460, 27, 2),
    "db-2u": (4, 2, 620, 32, 4),
    "gpu-4u": (4, 4, 1650, 48, 2),
    "jbod-4u": (6, 4, 820, 98, 2),
}


def main() -> None:
    rng = np.random.default_rng(SEED)
    rows, n = [], 0
    for model, (count, u, watts, kg, nics) in MODELS.items():
        for _ in range(count):
            n += 1
            w = int(round(watts * rng.uniform(0.92, 1.08), -1))    # configs differ a little
            m = round(float(kg + rng.uniform(-1.5, 1.5)), 1)
            rows.append((f"S{n:02d}", model, u, w, m, nics))
    out = pathlib.Path(__file__).with_name("inventory.csv")
    with out.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "model", "u", "watts", "kg", "nics"])
        w.writerows(rows)


if __name__ == "__main__":
    main()
