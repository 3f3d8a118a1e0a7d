#!/usr/bin/python3
"""Compare the CYP programme view the hub answers (iapt-query targets
--collection CYP --format csv: region,measure,value,target,progress_percent;
docs/FORMATS.md) with the reference's (cyp_reference.py --programme:
REPORTING_PERIOD_START,...,VIEW,GROUP_TYPE,ORG_CODE,ORG_NAME,MEASURE,
VALUE_SUPPRESSED; tests/reference/README.md).

The hub's `region` is "England", the region's name, or for the CWP-team
lines the provider's code; its `measure` is "VIEW MEASURE". Rows must be
the same, in the same order, with the same values; target and
progress_percent are empty. Prints every difference and
"N rows compared, N differences"; exits 1 on any difference.

usage: cyp_programme_check.py REFERENCE.csv HUB.csv
"""
import csv
import sys

REF_HEADER = ["REPORTING_PERIOD_START", "REPORTING_PERIOD_END", "VIEW", "GROUP_TYPE",
              "ORG_CODE", "ORG_NAME", "MEASURE", "VALUE_SUPPRESSED"]
HUB_HEADER = ["region", "measure", "value", "target", "progress_percent"]


def read(path, header):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows or rows[0] != header:
        sys.exit("%s: header %r, expected %r" % (path, rows[0] if rows else None, header))
    return rows[1:]


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    ref = read(argv[1], REF_HEADER)
    hub = read(argv[2], HUB_HEADER)
    want = []
    for r in ref:
        _, _, view, gtype, code, name, measure, value = r
        label = {"England": "England", "Region": name, "Provider": code}.get(gtype)
        if label is None:
            sys.exit("%s: unknown GROUP_TYPE %r" % (argv[1], gtype))
        want.append((label, "%s %s" % (view, measure), value))
    got = []
    diffs = 0
    for r in hub:
        if len(r) != 5:
            print("hub: a row of %d fields: %r" % (len(r), r))
            diffs += 1
            continue
        if r[3] or r[4]:
            print("hub: target or progress given on %r" % (r,))
            diffs += 1
        got.append(tuple(r[:3]))
    for i in range(max(len(want), len(got))):
        w = want[i] if i < len(want) else None
        g = got[i] if i < len(got) else None
        if w != g:
            diffs += 1
            if w and g and w[:2] == g[:2]:
                print("row %d: %s %s: reference %r, hub %r" % (i + 1, w[0], w[1], w[2], g[2]))
            else:
                print("row %d: reference %r, hub %r" % (i + 1, w, g))
    print("%d rows compared, %d differences" % (max(len(want), len(got)), diffs))
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
