#!/usr/bin/python3
"""Checks of iapt-query's measures output, written from MEASURES.md and
docs/MEASURES-NOTES.md without the hub's code: the publication CSV layout,
disclosure control below England (worked out again from the unsuppressed
figures an analyst gets), England unrounded, the roll-up of providers into
England, the JSON form, and the filters. Each command prints what it found
wrong and exits 1, or exits 0.

usage: measures_check.py COMMAND ARGS...
  layout CSV [--breakdown]            header exact, columns, periods, measure names
  suppression SUPPRESSED UNSUPPRESSED the rules of "Disclosure control"
  rollup UNSUPPRESSED                 England count = sum of the Provider counts
  json JSON CSV                       JSON is valid and holds the CSV's rows
                                      (values as numbers, "*", or null)
  rows CSV [--periods P,..] [--groups G,..] [--orgs O,..] [--measures M,..] [--count N]
                                      every row matches the filters, N rows
"""
import csv
import json
import re
import sys
from fractions import Fraction

HEADER = ["REPORTING_PERIOD_START", "REPORTING_PERIOD_END", "GROUP_TYPE", "ORG_CODE1",
          "ORG_NAME1", "ORG_CODE2", "ORG_NAME2", "MEASURE_ID", "MEASURE_NAME",
          "MEASURE_VALUE_SUPPRESSED"]
BREAKDOWN_HEADER = HEADER[:7] + ["BREAKDOWN", "BREAKDOWN_LEVEL"] + HEADER[7:]

# MEASURES-NOTES "Order of measures": counts, then rates and averages.
COUNTS = ("M001 M002 M003 M023 M031 M036 M037 M038 M044 M056 M057 M058 M059 M060 M061 M062 "
          "M063 M066 M069 M070 M073 M074 M075 M076 M082 M083 M084 M085 M086 M087 M088 M110 "
          "M104 M179 M184 M185 M187 M189 M191 M193 M201 M198 M237").split()
RATES = "M048 M049 M053 M055 M141 M142 M180 M186 M1010 M192 M195 M206 M207 M208 M209 M210".split()
MEANS = {"M048": "M031", "M141": "M076"}          # mean -> its count measure
MEDIANS = {"M049": "M031", "M142": "M076"}        # median -> its count measure
# percentage -> (numerator count or None, denominator counts (first minus the rest))
PERCENTS = {
    "M053": (None, ["M076"]), "M055": (None, ["M076"]),
    "M180": ("M179", ["M076"]), "M186": ("M185", ["M076"]), "M1010": ("M189", ["M076"]),
    "M192": ("M191", ["M076", "M179"]), "M195": ("M193", ["M076", "M179"]),
    "M206": (None, None), "M207": (None, None), "M208": (None, None), "M209": (None, None),
    "M210": (None, None),
}
ORDER = COUNTS + RATES
ONE_DP = re.compile(r"^-?\d+\.\d$")
WHOLE = re.compile(r"^-?\d+$")

errors = []


def bad(msg):
    if len(errors) < 30:
        print(msg)
    errors.append(msg)


def read(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def key(r, n):
    return tuple(r[:n - 1])


def group_key(r):
    # everything that names the group (and level) and period, without the measure
    return tuple(r[:-3])


def cmd_layout(args):
    rows = read(args[0])
    want = BREAKDOWN_HEADER if "--breakdown" in args else HEADER
    if rows[0] != want:
        bad(f"header {rows[0]} != {want}")
    if len(rows) < 2:
        bad("no rows")
    mid = want.index("MEASURE_ID")
    for i, r in enumerate(rows[1:], 2):
        if len(r) != len(want):
            bad(f"line {i}: {len(r)} columns")
            continue
        start, end = r[0], r[1]
        m = re.match(r"^(\d{4})-(\d{2})-01$", start)
        if not m or not re.match(r"^%s-%s-(28|29|30|31)$" % (m.group(1), m.group(2)), end):
            bad(f"line {i}: period {start} .. {end}")
        if r[mid] not in ORDER:
            bad(f"line {i}: unknown measure {r[mid]}")
        g = r[2]
        if g == "England" and r[3:7] != ["all", "all SubICBs", "all", "all Providers"]:
            bad(f"line {i}: England ORG columns {r[3:7]}")
        if g == "Provider" and (r[3:5] != ["all", "all SubICBs"] or r[5] in ("", "all")):
            bad(f"line {i}: Provider ORG columns {r[3:7]}")
        if g in ("Region", "ICB", "SubICB") and (r[5:7] != ["all", "all Providers"] or r[3] == "all"):
            bad(f"line {i}: {g} ORG columns {r[3:7]}")
        if g not in ("England", "Region", "ICB", "SubICB", "Provider"):
            bad(f"line {i}: group type {g}")
    # Within a group, every measure once, in catalogue order.
    groups = {}
    for r in rows[1:]:
        groups.setdefault(group_key(r), []).append(r[mid])
    for g, ids in groups.items():
        if ids != ORDER:
            bad(f"group {g}: measures {ids[:5]}... not the {len(ORDER)} in catalogue order")


def half_up(x):
    """round(x) = floor(x + 1/2), exact."""
    x = Fraction(x) + Fraction(1, 2)
    return x.numerator // x.denominator


def cmd_suppression(args):
    sup, uns = read(args[0]), read(args[1])
    if sup[0] != uns[0]:
        bad("headers differ")
    if len(sup) != len(uns):
        bad(f"{len(sup)} suppressed rows, {len(uns)} unsuppressed")
        return
    n = len(sup[0])
    mid = sup[0].index("MEASURE_ID")
    # unsuppressed counts of each group, for the rates' numerators and denominators
    counts = {}
    for r in uns[1:]:
        if r[mid] in COUNTS:
            counts.setdefault(group_key(r), {})[r[mid]] = int(r[-1])
    checked = {"count": 0, "star": 0, "rate": 0, "england": 0}
    for i, (s, u) in enumerate(zip(sup[1:], uns[1:]), 2):
        if key(s, n) != key(u, n):
            bad(f"line {i}: rows differ: {s[:-1]} / {u[:-1]}")
            continue
        m, sv, uv, g = s[mid], s[-1], u[-1], s[2]
        if g == "England":
            checked["england"] += 1
            if sv != uv:
                bad(f"line {i}: England {m} suppressed '{sv}' != unsuppressed '{uv}'")
            if m in COUNTS and not WHOLE.match(uv):
                bad(f"line {i}: England count {m} = '{uv}'")
            if m in RATES and uv and not ONE_DP.match(uv):
                bad(f"line {i}: England {m} = '{uv}', not one decimal place")
            continue
        c = counts.get(group_key(u), {})
        if m in COUNTS:
            checked["count"] += 1
            x = int(uv)
            want = "*" if x < 5 else str(half_up(Fraction(x, 5)) * 5)
            checked["star"] += want == "*"
            if sv != want:
                bad(f"line {i}: {g} {s[3]}/{s[5]} {m}: {x} shown as '{sv}', want '{want}'")
            continue
        checked["rate"] += 1
        if m in PERCENTS:
            num, den = PERCENTS[m]
            small = None
            if den is not None:
                d = c[den[0]] - sum(c[x] for x in den[1:])
                small = d < 5 or (num is not None and c[num] < 5)
            if small is True and sv != "*":
                bad(f"line {i}: {g} {m} '{sv}' with a numerator or denominator under 5")
            if sv != "*":
                if not WHOLE.match(sv):
                    bad(f"line {i}: {g} {m} '{sv}' is not a whole percentage")
                elif not uv or abs(Fraction(sv) - Fraction(uv)) > Fraction(55, 100):
                    bad(f"line {i}: {g} {m} '{sv}' far from the unsuppressed '{uv}'")
                if small is None and not uv:
                    bad(f"line {i}: {g} {m} '{sv}' shown for an empty value")
        elif m in MEDIANS:
            k = c[MEDIANS[m]]
            want = "*" if k < 5 else uv
            if sv != want:
                bad(f"line {i}: {g} {m} '{sv}' (count {k}, unsuppressed '{uv}'), want '{want}'")
        elif m in MEANS:
            k = c[MEANS[m]]
            if k < 5:
                if sv != "*":
                    bad(f"line {i}: {g} {m} '{sv}' with count {k} under 5")
            else:
                total = Fraction(uv) * k  # the sum, to within 0.05 x count
                slack = Fraction(k, 20)
                if total - slack >= 5 and sv != uv:
                    bad(f"line {i}: {g} {m} '{sv}' != '{uv}' (count {k})")
                if total + slack < 5 and sv != "*":
                    bad(f"line {i}: {g} {m} '{sv}' with a sum under 5")
    print("checked:", checked)
    if checked["count"] == 0 or checked["england"] == 0 or checked["rate"] == 0:
        bad("nothing below or at England level to check")
    if checked["star"] == 0 or checked["star"] == checked["count"]:
        bad("want both counts under 5 and counts of 5 or more below England")


def cmd_rollup(args):
    rows = read(args[0])
    mid = rows[0].index("MEASURE_ID")
    eng, prov = {}, {}
    for r in rows[1:]:
        if r[mid] not in COUNTS:
            continue
        k = (r[0], r[mid]) + tuple(r[7:9] if len(r) == 12 else ())
        if r[2] == "England":
            eng[k] = int(r[-1])
        elif r[2] == "Provider":
            prov[k] = prov.get(k, 0) + int(r[-1])
    if not eng:
        bad("no England rows")
    for k, v in eng.items():
        if prov.get(k, 0) != v:
            bad(f"{k}: England {v} != sum of providers {prov.get(k, 0)}")
    print(f"{len(eng)} England counts equal the sum of their providers")


def cmd_json(args):
    try:
        data = json.load(open(args[0]))
    except ValueError as e:
        bad(f"not JSON: {e}")
        return
    rows = read(args[1])
    keys = [h.lower() for h in rows[0]]
    if not isinstance(data, list):
        bad("not an array")
        return
    if len(data) != len(rows) - 1:
        bad(f"{len(data)} objects, {len(rows) - 1} CSV rows")
    # Every field is the CSV's text, but the value: a JSON number where the
    # CSV has a number (an integer where it has no decimal point), the
    # string "*" where suppressed, null where the CSV is empty.
    def same_value(v, text):
        if text == "":
            return v is None
        if text == "*":
            return v == "*"
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return False
        if "." in text:
            return isinstance(v, float) and v == float(text)
        return isinstance(v, int) and v == int(text)

    for i, (o, r) in enumerate(zip(data, rows[1:])):
        if list(o.keys()) != keys:
            bad(f"object {i}: keys {list(o.keys())}")
        elif [o[k] for k in keys[:-1]] != r[:-1]:
            bad(f"object {i}: {o} != {r}")
        elif not all(isinstance(o[k], str) for k in keys[:-1]):
            bad(f"object {i}: a field other than the value that is not a string")
        elif not same_value(o[keys[-1]], r[-1]):
            bad(f"object {i}: value {o[keys[-1]]!r} is not the CSV's {r[-1]!r} as a number")


def cmd_rows(args):
    rows = read(args[0])
    opts = {}
    it = iter(args[1:])
    for a in it:
        opts[a.lstrip("-")] = next(it)
    mid = rows[0].index("MEASURE_ID")
    periods = opts.get("periods", "").split(",") if "periods" in opts else None
    groups = opts.get("groups", "").split(",") if "groups" in opts else None
    orgs = opts.get("orgs", "").split(",") if "orgs" in opts else None
    measures = opts.get("measures", "").split(",") if "measures" in opts else None
    seen_periods = set()
    for i, r in enumerate(rows[1:], 2):
        seen_periods.add(r[0][:7])
        if periods and r[0][:7] not in periods:
            bad(f"line {i}: period {r[0]}")
        if groups and r[2] not in groups:
            bad(f"line {i}: group type {r[2]}")
        if orgs and r[3] not in orgs and r[5] not in orgs:
            bad(f"line {i}: orgs {r[3]} {r[5]}")
        if measures and r[mid] not in measures:
            bad(f"line {i}: measure {r[mid]}")
    if periods and sorted(seen_periods) != sorted(periods):
        bad(f"periods present {sorted(seen_periods)}, want {sorted(periods)}")
    if "count" in opts and len(rows) - 1 != int(opts["count"]):
        bad(f"{len(rows) - 1} rows, want {opts['count']}")


def main():
    cmds = {"layout": cmd_layout, "suppression": cmd_suppression, "rollup": cmd_rollup,
            "json": cmd_json, "rows": cmd_rows}
    if len(sys.argv) < 3 or sys.argv[1] not in cmds:
        print(__doc__)
        sys.exit(2)
    cmds[sys.argv[1]](sys.argv[2:])
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
