#!/usr/bin/python3
"""Compare two CYP programme views in the one-row-per-value layout
(REPORTING_PERIOD_START,REPORTING_PERIOD_END,VIEW,GROUP_TYPE,ORG_CODE,
ORG_NAME,MEASURE,VALUE_SUPPRESSED: tests/reference/README.md and
docs/FORMATS.md "CYP programme view"): the reference's
(cyp_reference.py --programme) and the hub's (iapt-query targets
--collection CYP --format csv).

Rows are keyed by (period start, period end, VIEW, GROUP_TYPE, ORG_CODE,
MEASURE). Reports missing and extra rows, repeated keys, different values
and different ORG_NAMEs, and separately rows out of the reference's order.
Prints each difference and "N rows compared, N differences"; exits 1 on
any difference.

usage: cyp_programme_check.py REFERENCE.csv HUB.csv
"""
import csv
import sys

HEADER = ["REPORTING_PERIOD_START", "REPORTING_PERIOD_END", "VIEW", "GROUP_TYPE",
          "ORG_CODE", "ORG_NAME", "MEASURE", "VALUE_SUPPRESSED"]


def read(path, problems):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows or rows[0] != HEADER:
        problems.append("%s: header %r, expected %r" % (path, rows[0] if rows else None, HEADER))
        return [], {}
    order, by_key = [], {}
    for n, r in enumerate(rows[1:], 2):
        if len(r) != len(HEADER):
            problems.append("%s:%d: %d fields" % (path, n, len(r)))
            continue
        key = (r[0], r[1], r[2], r[3], r[4], r[6])
        if key in by_key:
            problems.append("%s:%d: %s given again" % (path, n, "/".join(key)))
            continue
        by_key[key] = (r[5], r[7])
        order.append(key)
    return order, by_key


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    problems = []
    ref_order, ref = read(argv[1], problems)
    hub_order, hub = read(argv[2], problems)
    for key in ref_order:
        name = "/".join(key)
        if key not in hub:
            problems.append("missing from the hub: %s = %r" % (name, ref[key][1]))
        elif hub[key][1] != ref[key][1]:
            problems.append("%s: reference %r, hub %r" % (name, ref[key][1], hub[key][1]))
        elif hub[key][0] != ref[key][0]:
            problems.append("%s: ORG_NAME reference %r, hub %r" % (name, ref[key][0],
                                                                   hub[key][0]))
    for key in hub_order:
        if key not in ref:
            problems.append("extra in the hub: %s = %r" % ("/".join(key), hub[key][1]))
    common = [k for k in hub_order if k in ref]
    if common != [k for k in ref_order if k in hub]:
        problems.append("order: the hub's rows are not in the reference's order")
    for p in problems:
        print(p)
    print("%d rows compared, %d differences" % (len(set(ref) | set(hub)), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
