#!/usr/bin/python3
"""Compare two publication CSVs.

    compare.py [--collection adult|cyp|workforce] A.csv B.csv

Each file is read as a map keyed by (REPORTING_PERIOD_START,
REPORTING_PERIOD_END, GROUP_TYPE, ORG_CODE1, ORG_CODE2, [BREAKDOWN,
BREAKDOWN_LEVEL], MEASURE_ID) to (MEASURE_NAME, MEASURE_VALUE_SUPPRESSED).
Every difference is printed with its measure and group: rows missing from B,
extra rows in B, different values, different measure names, different
organisation names, repeated keys.  Separately, the row order of each file is
checked against the documented order (docs/MEASURES-NOTES.md "Groups": group
types England, Region, ICB, SubICB, Provider; by ORG code in byte order;
breakdown levels in their listed order; measures in the documented order).

Ends with "N rows compared, N differences"; exit status 0 only when the
files are identical in all of these respects, 1 otherwise, 2 on unusable
input.
"""

import csv
import importlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import iapt_reference as ref  # noqa: E402  (measure order, breakdown levels)

BASE = ref.OUTPUT_HEADER
WITH_BREAKDOWN = BASE[:7] + ref.BREAKDOWN_COLUMNS + BASE[7:]
LEVELS_BY_TITLE = {title: levels for title, levels in ref.BREAKDOWNS.values()}
MEASURE_INDEX = {mid: i for i, mid in enumerate(ref.MEASURE_ORDER)}
MAX_ORDER_REPORTS = 20

# --collection NAME: the reference module whose MEASURE_ORDER and BREAKDOWNS
# give the documented order (the publication layout is the same for all).
COLLECTIONS = {"adult": "iapt_reference", "IAPT": "iapt_reference",
               "cyp": "cyp_reference", "CYP": "cyp_reference",
               "workforce": "workforce_reference",
               "WORKFORCE": "workforce_reference"}


def use_collection(name):
    """Check row order against the measures and levels of one collection."""
    global LEVELS_BY_TITLE, MEASURE_INDEX
    module = importlib.import_module(COLLECTIONS[name])
    LEVELS_BY_TITLE = {title: levels
                       for title, levels in module.BREAKDOWNS.values()}
    MEASURE_INDEX = {mid: i for i, mid in enumerate(module.MEASURE_ORDER)}


class Unusable(Exception):
    pass


def read(path):
    """Returns (has_breakdown, rows as dicts in file order)."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            records = list(csv.reader(f, strict=True))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise Unusable("%s: %s" % (path, e))
    if not records:
        raise Unusable("%s: empty file" % path)
    header = records[0]
    if header == BASE:
        has_breakdown = False
    elif header == WITH_BREAKDOWN:
        has_breakdown = True
    else:
        raise Unusable("%s: unexpected header %s" % (path, ",".join(header)))
    rows = []
    for line, cells in enumerate(records[1:], start=2):
        if cells == []:
            continue
        if len(cells) != len(header):
            raise Unusable("%s:%d: %d cells, header has %d"
                           % (path, line, len(cells), len(header)))
        row = dict(zip(header, cells))
        row["_line"] = line
        rows.append(row)
    return has_breakdown, rows


def key_of(row, has_breakdown):
    k = (row["REPORTING_PERIOD_START"], row["REPORTING_PERIOD_END"],
         row["GROUP_TYPE"], row["ORG_CODE1"], row["ORG_CODE2"])
    if has_breakdown:
        k += (row["BREAKDOWN"], row["BREAKDOWN_LEVEL"])
    return k + (row["MEASURE_ID"],)


def describe(k, has_breakdown):
    """'M001 for SubICB 00L / all [Age band at referral = 18-25]
    (2025-09-01..2025-09-30)'."""
    text = "%s for %s %s / %s" % (k[-1], k[2], k[3], k[4])
    if has_breakdown:
        text += " [%s = %s]" % (k[5], k[6])
    return text + " (%s..%s)" % (k[0], k[1])


def order_key(row, has_breakdown):
    """The documented position of a row, or a reason it has none."""
    gt = row["GROUP_TYPE"]
    if gt not in ref.GROUP_TYPES:
        return None, "unknown GROUP_TYPE %r" % gt
    mid = row["MEASURE_ID"]
    if mid not in MEASURE_INDEX:
        return None, "unknown MEASURE_ID %r" % mid
    code = row["ORG_CODE2"] if gt == "Provider" else row["ORG_CODE1"]
    level_pos = ()
    if has_breakdown:
        levels = LEVELS_BY_TITLE.get(row["BREAKDOWN"])
        if levels is None:
            return None, "unknown BREAKDOWN %r" % row["BREAKDOWN"]
        if row["BREAKDOWN_LEVEL"] not in levels:
            return None, "unknown BREAKDOWN_LEVEL %r" % row["BREAKDOWN_LEVEL"]
        level_pos = (levels.index(row["BREAKDOWN_LEVEL"]),)
    return ((row["REPORTING_PERIOD_START"], row["REPORTING_PERIOD_END"],
             ref.GROUP_TYPES.index(gt), code.encode("utf-8"))
            + level_pos + (MEASURE_INDEX[mid],)), None


def check_order(name, path, rows, has_breakdown, out):
    """Order differences of one file (a separate class of difference)."""
    problems = 0
    previous = None
    for row in rows:
        pos, why = order_key(row, has_breakdown)
        if pos is None:
            problems += 1
            if problems <= MAX_ORDER_REPORTS:
                out.append("order %s %s:%d: %s" % (name, path, row["_line"], why))
            continue
        if previous is not None and pos < previous[0]:
            problems += 1
            if problems <= MAX_ORDER_REPORTS:
                out.append("order %s %s:%d: %s comes after %s"
                           % (name, path, row["_line"],
                              describe(key_of(row, has_breakdown), has_breakdown),
                              describe(key_of(previous[1], has_breakdown),
                                       has_breakdown)))
        previous = (pos, row)
    if problems > MAX_ORDER_REPORTS:
        out.append("order %s %s: %d more order problems not shown"
                   % (name, path, problems - MAX_ORDER_REPORTS))
    return problems


def to_map(name, rows, has_breakdown, out):
    m = {}
    repeats = 0
    for row in rows:
        k = key_of(row, has_breakdown)
        if k in m:
            repeats += 1
            out.append("repeated %s: %s at line %d (first at line %d)"
                       % (name, describe(k, has_breakdown), row["_line"],
                          m[k]["_line"]))
            continue
        m[k] = row
    return m, repeats


def compare(path_a, path_b, out):
    """Appends difference lines to out; returns (rows compared, differences)."""
    bd_a, rows_a = read(path_a)
    bd_b, rows_b = read(path_b)
    differences = 0
    if bd_a != bd_b:
        out.append("header: %s %s breakdown columns, %s %s"
                   % (path_a, "has" if bd_a else "has no",
                      path_b, "has" if bd_b else "has no"))
        differences += 1
    map_a, rep_a = to_map("A", rows_a, bd_a, out)
    map_b, rep_b = to_map("B", rows_b, bd_b, out)
    differences += rep_a + rep_b
    keys = set(map_a) | set(map_b)

    def sort_key(k):
        return tuple(str(x) for x in k)

    for k in sorted(keys, key=sort_key):
        a, b = map_a.get(k), map_b.get(k)
        what_a = describe(k, bd_a)
        if b is None:
            out.append("missing in B: %s %s = %r"
                       % (what_a, a["MEASURE_NAME"], a["MEASURE_VALUE_SUPPRESSED"]))
            differences += 1
            continue
        if a is None:
            out.append("extra in B: %s %s = %r"
                       % (describe(k, bd_b), b["MEASURE_NAME"],
                          b["MEASURE_VALUE_SUPPRESSED"]))
            differences += 1
            continue
        if a["MEASURE_VALUE_SUPPRESSED"] != b["MEASURE_VALUE_SUPPRESSED"]:
            out.append("different value: %s %s: A %r, B %r"
                       % (what_a, a["MEASURE_NAME"], a["MEASURE_VALUE_SUPPRESSED"],
                          b["MEASURE_VALUE_SUPPRESSED"]))
            differences += 1
        if a["MEASURE_NAME"] != b["MEASURE_NAME"]:
            out.append("different name: %s: A %r, B %r"
                       % (what_a, a["MEASURE_NAME"], b["MEASURE_NAME"]))
            differences += 1
        for col in ("ORG_NAME1", "ORG_NAME2"):
            if a[col] != b[col]:
                out.append("different %s: %s: A %r, B %r"
                           % (col, what_a, a[col], b[col]))
                differences += 1
    differences += check_order("A", path_a, rows_a, bd_a, out)
    differences += check_order("B", path_b, rows_b, bd_b, out)
    return len(keys), differences


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    collection = "adult"
    if len(argv) == 4 and argv[0] == "--collection":
        collection, argv = argv[1], argv[2:]
    if len(argv) != 2 or collection not in COLLECTIONS:
        print("usage: compare.py [--collection adult|cyp|workforce] A.csv B.csv",
              file=sys.stderr)
        return 2
    use_collection(collection)
    out = []
    try:
        compared, differences = compare(argv[0], argv[1], out)
    except Unusable as e:
        print(e, file=sys.stderr)
        return 2
    for line in out:
        print(line)
    print("%d rows compared, %d differences" % (compared, differences))
    return 0 if differences == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
