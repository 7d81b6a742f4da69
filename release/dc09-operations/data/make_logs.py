"""Make the data of dc09-operations. Fixed seed, so the files are the same on every machine.

    python make_logs.py   # writes access.log, windows.csv and incidents.csv beside this script

access.log   one line per request to the box-tracking API behind Hall B's load balancer,
             2026-08-04 09:00-13:00 KST, in the Apache/NGINX "common log format" with the
             response time in milliseconds appended as a last field. Two incidents are
             injected: 09:40-10:05 a bad deploy returns 502s, 11:50-12:20 a slow database
             query raises latency; 10:45 has a one-window hiccup that is not an incident.
windows.csv  the monitoring system's 5-minute summaries of the same requests.
incidents.csv the team's incident timeline for July-August 2026 (ISO 8601 timestamps).
"""
import csv
import datetime as dt
import pathlib

import numpy as np

SEED = 20260804
KST = dt.timezone(dt.timedelta(hours=9))
START = dt.datetime(2026, 8, 4, 9, 0, tzinfo=KST)
HOURS = 4
PATHS = ["/v1/boxes/{}", "/v1/boxes/{}/events", "/v1/vessels/{}", "/v1/berths", "/healthz"]
HERE = pathlib.Path(__file__).parent

INCIDENTS = [  # id, start, detected, resolved (the last two of them are in access.log)
    ("INC-0712-1", "2026-07-12T02:14:00+09:00", "2026-07-12T02:31:00+09:00", "2026-07-12T03:05:00+09:00"),
    ("INC-0719-1", "2026-07-19T15:40:00+09:00", "2026-07-19T15:44:00+09:00", "2026-07-19T16:02:00+09:00"),
    ("INC-0727-1", "2026-07-27T23:50:00+09:00", "2026-07-28T00:12:00+09:00", "2026-07-28T01:30:00+09:00"),
    ("INC-0801-1", "2026-08-01T10:05:00+09:00", "2026-08-01T01:09:00+00:00", "2026-08-01T01:40:00+00:00"),
    ("INC-0804-1", "2026-08-04T09:40:00+09:00", "2026-08-04T09:52:00+09:00", "2026-08-04T10:05:00+09:00"),
    ("INC-0804-2", "2026-08-04T11:50:00+09:00", "2026-08-04T11:57:00+09:00", "2026-08-04T12:20:00+09:00"),
]


def in_span(t, a, b):
    return START + dt.timedelta(minutes=a) <= t < START + dt.timedelta(minutes=b)


def requests(rng):
    t = START
    end = START + dt.timedelta(hours=HOURS)
    while True:
        minutes = (t - START).total_seconds() / 60
        rate = 12 + 7 * minutes / (60 * HOURS)          # requests per minute, rising to noon
        t += dt.timedelta(seconds=float(rng.exponential(60 / rate)))
        if t >= end:
            return
        t = t.replace(microsecond=0)
        status = int(rng.choice([200, 304, 404, 500], p=[0.955, 0.02, 0.022, 0.003]))
        latency = float(rng.lognormal(np.log(110), 0.45))
        if in_span(t, 40, 65) and rng.random() < 0.22:           # bad deploy: upstream 502s
            status, latency = int(rng.choice([502, 503])), float(rng.uniform(3, 30))
        if in_span(t, 170, 200):                                   # slow query on the database
            latency *= float(rng.uniform(4, 9))
        if in_span(t, 105, 110) and rng.random() < 0.035:          # a short GC pause
            latency = float(rng.uniform(1500, 2600))
        yield t, status, round(latency)


def main() -> None:
    rng = np.random.default_rng(SEED)
    rows = []
    with (HERE / "access.log").open("w") as f:
        for t, status, latency in requests(rng):
            ip = f"10.20.{rng.integers(1, 8)}.{rng.integers(2, 250)}"
            path = PATHS[rng.integers(len(PATHS))].format(f"BSN{rng.integers(10**6, 10**7)}")
            method = "GET" if rng.random() < 0.9 else "POST"
            size = 0 if status == 304 else int(rng.integers(200, 4000))
            f.write(f'{ip} - - [{t.strftime("%d/%b/%Y:%H:%M:%S %z")}] "{method} {path} HTTP/1.1" '
                    f"{status} {size} {latency}\n")
            rows.append((t, status, latency))
    with (HERE / "windows.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["start", "requests", "errors", "error_rate", "p50_ms", "p95_ms", "p99_ms"])
        for k in range(HOURS * 12):
            a = START + dt.timedelta(minutes=5 * k)
            win = [(s, l) for t, s, l in rows if a <= t < a + dt.timedelta(minutes=5)]
            lat = np.array([l for _, l in win], dtype=float)
            errors = sum(500 <= s <= 599 for s, _ in win)
            w.writerow([a.isoformat(), len(win), errors, round(errors / len(win), 4),
                        *(round(float(np.percentile(lat, p)), 1) for p in (50, 95, 99))])
    with (HERE / "incidents.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "start", "detected", "resolved"])
        w.writerows(INCIDENTS)


if __name__ == "__main__":
    main()
