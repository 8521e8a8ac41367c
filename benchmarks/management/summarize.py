#!/usr/bin/env python3
"""Summarises benchmarks/management/run.sh's raw lines (build/bench-mgmt/management-results.txt):
one Markdown table, medians over the rounds. Ratios are taken per round (same server, same round) and
then the median of those is shown, with each round's value in parentheses."""
import statistics
import sys
from collections import defaultdict

SCENARIOS = ["health", "endpoint", "msg_0ep", "msg_1ep", "msg_1ep_idem", "health_end"]
SYSCALLS = ["fsync", "fdatasync", "pwrite64"]
STORES = ["sqlite", "memory"]


def parse(path):
    rows = []
    with open(path) as f:
        for line in f:
            fields = dict(kv.split("=", 1) for kv in line.split())
            for k, v in fields.items():
                if k not in ("store", "scenario"):
                    fields[k] = float(v)
            ok = fields["requests"] - fields["non2xx"]
            fields["ok"] = ok
            fields["rps"] = ok / (fields["duration_us"] / 1e6)
            fields["cpu_us"] = fields["server_cpu_ms"] * 1000 / ok if ok else 0.0
            rows.append(fields)
    return rows


def fmt_int(x):
    return f"{x:,.0f}"


def fmt_ratio(values):
    if not values:
        return "-"
    med = statistics.median(values)
    if len(values) == 1:
        return f"{med:.2f}"
    return f"{med:.2f} ({', '.join(f'{v:.2f}' for v in values)})"


def main():
    rows = parse(sys.argv[1])
    by = {(int(r["round"]), r["store"], r["scenario"]): r for r in rows}
    rounds = sorted({int(r["round"]) for r in rows})

    def series(store, scenario, key):
        return [by[(n, store, scenario)][key] for n in rounds if (n, store, scenario) in by]

    def baseline(n, store):
        """The health figure of that server: the mean of health (first) and health_end (last)."""
        h = [by[k]["rps"] for k in ((n, store, "health"), (n, store, "health_end")) if k in by]
        return sum(h) / len(h) if h else None

    def ratio_series(num, den):
        out = []
        for n in rounds:
            a, b = by.get((n,) + num), by.get((n,) + den)
            if a and b and b["rps"]:
                out.append(a["rps"] / b["rps"])
        return out

    def health_ratio_series(store, sc):
        out = []
        for n in rounds:
            a, b = by.get((n, store, sc)), baseline(n, store)
            if a and b:
                out.append(a["rps"] / b)
        return out

    stores = [s for s in STORES if any(r["store"] == s for r in rows)]
    print(f"{len(rounds)} round(s); calls/s = 2xx answers per second (median); ratios per round, median first;"
          " ÷ health = over the mean of health and health_end on the same server")
    print()
    print("| scenario | SQLite calls/s | SQLite ÷ health | SQLite p50 / p99 | memory calls/s | memory ÷ health |"
          " memory p50 / p99 | SQLite ÷ memory | server CPU per call, SQLite / memory |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for sc in SCENARIOS:
        cells = [f"`{sc}`"]
        for store in STORES:
            rps = series(store, sc, "rps")
            if not rps:
                cells += ["-", "-", "-"]
                continue
            p50 = statistics.median(series(store, sc, "p50_us")) / 1000
            p99 = statistics.median(series(store, sc, "p99_us")) / 1000
            cells.append(fmt_int(statistics.median(rps)))
            cells.append(fmt_ratio(health_ratio_series(store, sc)))
            cells.append(f"{p50:.2f} / {p99:.2f} ms")
        sm = ratio_series(("sqlite", sc), ("memory", sc))
        cells.append(fmt_ratio(sm) if sm else "-")
        cpu = [statistics.median(series(s, sc, "cpu_us")) if series(s, sc, "cpu_us") else 0 for s in STORES]
        cells.append(f"{cpu[0]:.0f} / {cpu[1]:.0f} µs")
        print("| " + " | ".join(cells) + " |")

    have_sys = [r for r in rows if any(k in r for k in SYSCALLS)]
    if have_sys:
        print()
        print("| store | scenario | fsync per call | fdatasync per call | pwrite64 per call |")
        print("| --- | --- | ---: | ---: | ---: |")
        for store in stores:
            for sc in SCENARIOS:
                rs = [r for r in have_sys if r["store"] == store and r["scenario"] == sc and r["ok"]]
                if rs:
                    vals = [statistics.median(r.get(k, 0) / r["ok"] for r in rs) for k in SYSCALLS]
                    print(f"| {store} | `{sc}` | " + " | ".join(f"{v:.2f}" for v in vals) + " |")

    print()
    problems = []
    for r in rows:
        errs = {k: int(r[k]) for k in ("non2xx", "connect", "read", "write", "timeout") if r[k]}
        if errs:
            problems.append(f"round {int(r['round'])} {r['store']} {r['scenario']}: {errs}")
        if "delivered" in r and r["delivered"] < r["ok"]:
            problems.append(f"round {int(r['round'])} {r['store']} {r['scenario']}: only {int(r['delivered'])} of "
                            f"{int(r['ok'])} messages delivered within 120 s")
    print("errors: " + ("; ".join(problems) if problems else "none (every answer 2xx, no socket errors)"))
    for sc in ("msg_1ep", "msg_1ep_idem"):
        for store in STORES:
            d = series(store, sc, "drain_s")
            if d:
                print(f"{sc} on {store}: every message delivered {statistics.median(d):.2f} s (median; "
                      f"{', '.join(f'{v:.2f}' for v in d)}) after wrk stopped")


if __name__ == "__main__":
    main()
