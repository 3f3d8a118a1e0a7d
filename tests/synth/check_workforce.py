#!/usr/bin/python3
"""Check iapt-synth's WORKFORCE extracts: findings against errors.csv, realism.

    check_workforce.py DIR YYYY-MM [YYYY-MM] [--scale F] [--dose R]

Validates every provider's extract of each month given with the rules of the
workforce collection (docs/FORMATS.md, WORKFORCE.md: roles, bands, WTE,
dates, professions, a trainee's supervisor, supervision sessions,
vacancies), written here from the rules alone, and compares the findings
with the generator's DIR/ORG/YYYY-MM.errors.csv: they must be the same set.
Then prints the first month's realism figures, each with the range it must
lie in (staff per service, role mix, part-timers, starters and leavers,
trainees and their supervisors, weekly supervision, vacancies), the
month-to-month stability of StaffIds when two months are given, and the
measured error dose (findings per data row), which must lie within 35% of
--dose when it is given. Exit 0 when everything holds, 1 otherwise.
Standard library only.
"""
import collections
import csv
import datetime
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_extract import NUMBER, parse_date, read_table  # noqa: E402

FILES = ["WF000Header.csv", "WF001Staff.csv", "WF002Supervision.csv", "WF003Vacancy.csv"]
ROLES = set("LIT LIQ HIT HIQ CNS CWT CWQ SUP ESA LEAD OTH".split())
CLINICAL = set("LIT LIQ HIT HIQ CNS CWT CWQ".split())
TRAINEE = {"LIT", "HIT", "CWT"}
LOW = {"LIT", "LIQ", "CWT", "CWQ"}
BANDS = set("2 3 4 5 6 7 8a 8b 8c 8d 9".split())
PROFS = set("NUR CLP COP OT SW CNS PSY GRD OTH".split())
TYPES = {"I", "G", "C"}


def wte(s):
    """Hundredths of a WTE, or 'bad-number' / 'out-of-range'."""
    if not NUMBER.match(s) or s.startswith("-"):
        return "bad-number" if not NUMBER.match(s) else "out-of-range"
    whole, _, frac = s.partition(".")
    v = int(whole) * 100 + int((frac + "00")[:2])
    return v if 1 <= v <= 100 else "out-of-range"


def validate(root, org, month):
    d = os.path.join(root, org, month)
    found = set()
    t = {n: read_table(os.path.join(d, n), n, found) for n in FILES}
    hdr = t["WF000Header.csv"].rows
    if len(hdr) != 1 or hdr[0]["OrgIDProv"] != org:
        raise ValueError("%s %s: bad header" % (org, month))
    start = parse_date(hdr[0]["ReportingPeriodStartDate"])
    end = parse_date(hdr[0]["ReportingPeriodEndDate"])

    def add(n, r, key, reason):
        found.add((n, r["line"], key, reason))

    def mand(n, r, key):
        if not r[key]:
            add(n, r, key, "missing")
            return False
        return True

    def date(n, r, key, m):
        if m and not mand(n, r, key):
            return None
        if not r[key]:
            return None
        v = parse_date(r[key])
        if v is None:
            add(n, r, key, "bad-date")
        return v

    def code(n, r, key, valid, m=False):
        if m and not mand(n, r, key):
            return False
        if r[key] and r[key] not in valid:
            add(n, r, key, "unknown-code")
            return False
        return True

    n = "WF001Staff.csv"
    count = collections.Counter(r["StaffId"] for r in t[n].rows)
    staff = {}
    for r in t[n].rows:
        ok = mand(n, r, "StaffId")
        if count[r["StaffId"]] > 1:
            add(n, r, "StaffId", "duplicate-id")
            ok = False
        ok = code(n, r, "StaffRole", ROLES, m=True) and ok
        code(n, r, "AfCBand", BANDS)
        if mand(n, r, "WTE"):
            w = wte(r["WTE"])
            if isinstance(w, str):
                add(n, r, "WTE", w)
                ok = False
            r["wte"] = w
        else:
            ok = False
        r["start"] = date(n, r, "PostStartDate", True)
        ok = ok and r["start"] is not None
        r["end"] = date(n, r, "PostEndDate", False)
        if r["end"] and r["start"] and r["end"] < r["start"]:
            add(n, r, "PostEndDate", "end-before-start")
        code(n, r, "Profession", PROFS)
        r["tstart"] = date(n, r, "TrainingStartDate", r["StaffRole"] in TRAINEE)
        r["tdone"] = date(n, r, "TrainingCompletedDate", False)
        code(n, r, "Accredited", {"Y", "N"})
        if ok:
            staff[r["StaffId"]] = r
    for r in staff.values():
        r["sup"] = None
        if r["StaffRole"] in TRAINEE and mand(n, r, "SupervisorStaffId"):
            if r["SupervisorStaffId"] in staff:
                r["sup"] = r["SupervisorStaffId"]
            else:
                add(n, r, "SupervisorStaffId", "orphan")
    n = "WF002Supervision.csv"
    count = collections.Counter(r["SupervisionId"] for r in t[n].rows)
    sessions = collections.defaultdict(list)
    for r in t[n].rows:
        ok = mand(n, r, "SupervisionId")
        if count[r["SupervisionId"]] > 1:
            add(n, r, "SupervisionId", "duplicate-id")
            ok = False
        if mand(n, r, "StaffId") and r["StaffId"] not in staff:
            add(n, r, "StaffId", "orphan")
            ok = False
        day = date(n, r, "SessionDate", True)
        ok = ok and day is not None
        if mand(n, r, "DurationMinutes"):
            if not r["DurationMinutes"].lstrip("-").isdigit():
                add(n, r, "DurationMinutes", "bad-number")
                ok = False
            elif not 1 <= int(r["DurationMinutes"]) <= 600:
                add(n, r, "DurationMinutes", "out-of-range")
                ok = False
        else:
            ok = False
        ok = code(n, r, "SupervisionType", TYPES, m=True) and ok
        if ok:
            sessions[r["StaffId"]].append((day, int(r["DurationMinutes"]), r["SupervisionType"]))
    n = "WF003Vacancy.csv"
    vacant = 0
    for r in t[n].rows:
        ok = code(n, r, "StaffRole", ROLES, m=True)
        code(n, r, "AfCBand", BANDS)
        if mand(n, r, "WTE"):
            w = wte(r["WTE"])
            if isinstance(w, str):
                add(n, r, "WTE", w)
            elif ok:
                vacant += w
    return found, staff, sessions, vacant, start, end


def read_errors(root, org, month):
    out = set()
    with open(os.path.join(root, org, month + ".errors.csv"), newline="") as f:
        rd = csv.reader(f)
        if next(rd) != ["file", "line", "field", "reason"]:
            raise ValueError("bad errors.csv header")
        for row in rd:
            out.add((row[0], int(row[1]), row[2], row[3]))
    return out


def weekly_met(r, sessions, start, end):
    """WORKFORCE.md's weekly supervision rule, for one eligible member."""
    monday = start + datetime.timedelta(days=(7 - start.weekday()) % 7)
    while monday + datetime.timedelta(days=6) <= end:
        sunday = monday + datetime.timedelta(days=6)
        minutes = 0
        for day, m, typ in sessions:
            if monday <= day <= sunday:
                if typ == "I" or (typ == "C" and r["StaffRole"] in LOW):
                    minutes += m
                elif typ == "G":
                    minutes += m / 2
        if minutes < 60:
            return False
        monday += datetime.timedelta(days=7)
    return True


def main(argv):
    args = argv[1:]
    scale, dose = 1.0, None
    rest = []
    i = 0
    while i < len(args):
        if args[i] in ("--scale", "--dose") and i + 1 < len(args):
            if args[i] == "--scale":
                scale = float(args[i + 1])
            else:
                dose = float(args[i + 1])
            i += 2
        else:
            rest.append(args[i])
            i += 1
    if len(rest) not in (2, 3):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    root, months = rest[0], rest[1:]
    orgs = sorted(o for o in os.listdir(root) if os.path.isdir(os.path.join(root, o, months[0])))
    bad = n_err = n_rows = 0
    fig = collections.Counter()
    per_provider = []
    ids = {}
    for mi, month in enumerate(months):
        for org in orgs:
            found, staff, sessions, vacant, start, end = validate(root, org, month)
            want = read_errors(root, org, month)
            if found != want:
                bad += 1
                print("%s %s: findings not in errors.csv %s; errors.csv not found %s"
                      % (org, month, sorted(found - want)[:5], sorted(want - found)[:5]))
            n_err += len(want)
            for name in FILES[1:]:
                with open(os.path.join(root, org, month, name)) as f:
                    n_rows += sum(1 for _ in f) - 1
            at_end = {k: r for k, r in staff.items()
                      if r["start"] <= end and not (r["end"] and r["end"] < end)}
            if mi == 1:
                prev = ids[org]
                fig["stable"] += sum(1 for k, role in prev.items() if k in staff)
                fig["stable of"] += len(prev)
                for k, role in prev.items():
                    if role.startswith("done ") and k in staff:
                        fig["qualified next month"] += staff[k]["StaffRole"] not in TRAINEE
                        fig["completed last month"] += 1
                continue
            ids[org] = {k: ("done " if r["tdone"] and start <= r["tdone"] <= end else "")
                        + r["StaffRole"] for k, r in at_end.items()
                        if not (r["end"] and r["end"] <= end)}
            per_provider.append(len(at_end))
            fig["in post"] += len(at_end)
            wte_total = sum(r["wte"] for r in at_end.values())
            fig["wte"] += wte_total
            fig["vacant"] += vacant
            sup_count = collections.Counter()
            for r in at_end.values():
                fig["role " + r["StaffRole"]] += 1
                fig["part-time"] += r["wte"] < 100
                if r["StaffRole"] in TRAINEE:
                    fig["trainees"] += 1
                    if r["sup"] and r["sup"] in at_end:
                        sup_count[r["sup"]] += 1
                    else:
                        fig["without supervisor"] += 1
            fig["supervisors"] += len(sup_count)
            fig["supervisors over five"] += sum(1 for v in sup_count.values() if v > 5)
            for r in staff.values():
                fig["starters"] += start <= r["start"] <= end
                fig["leavers"] += bool(r["end"] and start <= r["end"] <= end)
                fig["completed"] += bool(r["tdone"] and start <= r["tdone"] <= end)
                if (r["StaffRole"] in CLINICAL and r["start"] <= start and r["wte"] >= 50
                        and not (r["end"] and r["end"] < end)):
                    fig["eligible"] += 1
                    fig["met"] += weekly_met(r, sessions.get(r["StaffId"], []), start, end)

    def share(a, b):
        return fig[a] / fig[b] if fig[b] else float("nan")

    n = len(orgs)
    checks = [
        ("staff in post per service at scale 1 (mean)", fig["in post"] / n / scale, 30, 65),
        ("share LIT + LIQ", (fig["role LIT"] + fig["role LIQ"]) / fig["in post"], 0.15, 0.45),
        ("share HIT + HIQ", (fig["role HIT"] + fig["role HIQ"]) / fig["in post"], 0.15, 0.45),
        ("share SUP", share("role SUP", "in post"), 0.02, 0.14),
        ("share trainees (LIT HIT CWT)", share("trainees", "in post"), 0.05, 0.3),
        ("share part-time (WTE < 1)", share("part-time", "in post"), 0.2, 0.55),
        ("starters per 100 in post", 100 * share("starters", "in post"), 0.5, 6),
        ("leavers per 100 in post", 100 * share("leavers", "in post"), 0.5, 6),
        ("trainees without a supervisor in post", share("without supervisor", "trainees"),
         0.0, 0.1),
        ("trainees per supervisor", share("trainees", "supervisors"), 1.0, 5.0),
        ("weekly supervision met (W022)", share("met", "eligible"), 0.25, 0.9),
        ("vacancy rate (W011)", fig["vacant"] / (fig["vacant"] + fig["wte"]), 0.02, 0.2),
    ]
    if scale >= 0.5 and n >= 5:
        checks.append(("smallest service at scale 1", min(per_provider) / scale, 12, 80))
        checks.append(("largest service at scale 1", max(per_provider) / scale, 20, 95))
    if n >= 20:
        checks.append(("supervisors with more than five trainees", fig["supervisors over five"],
                       1, 10 ** 6))
    if len(months) == 2:
        checks.append(("staff still listed next month", share("stable", "stable of"), 0.9, 1.0))
        if fig["completed last month"]:
            checks.append(("completed last month, qualified role now",
                           share("qualified next month", "completed last month"), 1.0, 1.0))
    for name, v, lo, hi in checks:
        ok = lo <= v <= hi
        bad += not ok
        print("%-4s %-48s %8.3f  [%g, %g]" % ("ok" if ok else "FAIL", name, v, lo, hi))
    rate = n_err / n_rows if n_rows else 0.0
    print("findings %d in %d data rows: dose %.5f; completions %d, supervisors over five %d"
          % (n_err, n_rows, rate, fig["completed"], fig["supervisors over five"]))
    if dose is not None:
        ok = abs(rate - dose) <= 0.35 * dose if dose > 0 else n_err == 0
        bad += not ok
        print("%-4s measured dose %.5f against %.5f" % ("ok" if ok else "FAIL", rate, dose))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
