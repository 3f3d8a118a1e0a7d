#!/usr/bin/python3
"""Check iapt-synth's CYP extracts: findings against errors.csv, and realism.

    check_cyp.py DIR TOOLS.csv YYYY-MM [--scale F] [--dose R] [--findings-only]

Validates every provider's extract of the month with the rules of the
children and young people's collection (docs/FORMATS.md, CYP.md: codes,
dates, duplicated ids, orphans, NHS numbers, tools, score ranges, goal
numbers), written here from the rules alone, and compares the findings with
the generator's DIR/ORG/YYYY-MM.errors.csv: they must be the same set. The
age band 26+ is a finding of clean data, not an injected error: it is
counted apart. Then prints the month's realism figures, each with the range
it must lie in, and the measured error dose (findings per data row), which
must lie within 35% of --dose when it is given (--findings-only: the
findings alone, for worlds too small for the realism ranges). Exit 0 when everything
holds, 1 otherwise. Standard library only.
"""
import collections
import csv
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_extract import NUMBER, ORG, nhs_ok, parse_date, read_table  # noqa: E402

FILES = {
    "CYP000Header.csv": ["OrgIDProv", "ReportingPeriodStartDate", "ReportingPeriodEndDate",
                         "DateTimeDatSetCreate", "OrgSector"],
    "CYP001MPI.csv": ["LocalPatientId", "NHSNumber", "PersonBirthDate", "Postcode",
                      "GenderIdentity", "EthnicCategory"],
    "CYP101Referral.csv": ["ServiceRequestId", "LocalPatientId", "OrgIDComm",
                           "ReferralRequestReceivedDate", "SourceOfReferral", "TeamType",
                           "PrimReasonReferral", "ServDischDate"],
    "CYP201CareContact.csv": ["CareContactId", "ServiceRequestId", "CareContDate",
                              "AttendOrDNACode", "ConsMechanism"],
    "CYP607CodedScore.csv": ["ServiceRequestId", "AssToolCompDate", "CodedAssToolType",
                             "PersScore", "GoalNumber"],
}
SECTORS = {"NHS", "LA", "VCS", "YJ"}
SOURCES = set("01 02 03 04 05 06 07 08 99".split())
TEAMS = {"CWP", "MHST", "CAMHS", "OTH"}
REASONS = set("01 02 03 04 05 06 99".split())
ATTEND = set("2 3 4 5 6 7".split())
MECH = {"01", "02", "11", "98"}
GENDER = set("1 2 3 4 X Z".split())
ETHNIC = set("A B C D E F G H J K L M N P R S Z 99".split())


def hundredths(s):
    neg = s.startswith("-")
    whole, _, frac = s.lstrip("-").partition(".")
    v = int(whole) * 100 + int((frac + "00")[:2])
    return -v if neg else v


def load_tools(path):
    tools = {}
    with open(path, newline="", encoding="utf-8-sig") as f:
        for r in csv.DictReader(f):
            tools[r["code"].strip()] = {
                "goal": r["kind"].strip() == "goal",
                "lower": r["better"].strip() == "lower",
                "min": hundredths(r["min"].strip()),
                "max": hundredths(r["max"].strip()),
                "cas": hundredths(r["caseness"].strip()) if r["caseness"].strip() else None,
                "rc": hundredths(r["reliable_change"].strip()),
            }
    return tools


def age_on(birth, day):
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def validate(root, org, month, tools):
    """Findings of one extract and its valid rows by table."""
    d = os.path.join(root, org, month)
    found = set()
    t = {}
    for name, cols in FILES.items():
        t[name] = read_table(os.path.join(d, name), name, found)
    hdr = t["CYP000Header.csv"].rows
    if len(hdr) != 1 or hdr[0]["OrgIDProv"] != org or not ORG.match(org):
        raise ValueError("%s %s: bad header" % (org, month))
    start = parse_date(hdr[0]["ReportingPeriodStartDate"])
    end = parse_date(hdr[0]["ReportingPeriodEndDate"])

    def dups(rows, key, name):
        seen = collections.Counter(r[key] for r in rows)
        for r in rows:
            if seen[r[key]] > 1:
                found.add((name, r["line"], key, "duplicate-id"))
        return [r for r in rows if seen[r[key]] == 1]

    def mand(r, key, name):
        if not r[key]:
            found.add((name, r["line"], key, "missing"))
            return False
        return True

    def mdate(r, key, name):
        if not mand(r, key, name):
            return None
        v = parse_date(r[key])
        if v is None:
            found.add((name, r["line"], key, "bad-date"))
        return v

    def code(r, key, name, valid, m=False):
        if m and not mand(r, key, name):
            return False
        if r[key] and r[key] not in valid:
            found.add((name, r["line"], key, "unknown-code"))
            return False
        return True

    n = "CYP001MPI.csv"
    patients = {}
    for r in dups(t[n].rows, "LocalPatientId", n):
        ok = mand(r, "LocalPatientId", n)
        r["birth"] = mdate(r, "PersonBirthDate", n)
        if r["NHSNumber"] and not nhs_ok(r["NHSNumber"]):
            found.add((n, r["line"], "NHSNumber", "nhs-check-digit"))
        code(r, "GenderIdentity", n, GENDER)
        code(r, "EthnicCategory", n, ETHNIC)
        if ok and r["birth"]:
            patients[r["LocalPatientId"]] = r
    n = "CYP101Referral.csv"
    refs = {}
    for r in dups(t[n].rows, "ServiceRequestId", n):
        ok = mand(r, "ServiceRequestId", n) and mand(r, "OrgIDComm", n)
        if mand(r, "LocalPatientId", n) and r["LocalPatientId"] not in patients:
            found.add((n, r["line"], "LocalPatientId", "orphan"))
            ok = False
        r["ref"] = mdate(r, "ReferralRequestReceivedDate", n)
        for key, valid in (("SourceOfReferral", SOURCES), ("TeamType", TEAMS),
                           ("PrimReasonReferral", REASONS)):
            code(r, key, n, valid)
        r["disch"] = None
        if r["ServDischDate"]:
            r["disch"] = parse_date(r["ServDischDate"])
            if r["disch"] is None:
                found.add((n, r["line"], "ServDischDate", "bad-date"))
        if ok and r["ref"]:
            r["patient"] = patients[r["LocalPatientId"]]
            r["contacts"], r["scores"] = [], []
            refs[r["ServiceRequestId"]] = r
    n = "CYP201CareContact.csv"
    for r in dups(t[n].rows, "CareContactId", n):
        ok = mand(r, "CareContactId", n)
        if mand(r, "ServiceRequestId", n) and r["ServiceRequestId"] not in refs:
            found.add((n, r["line"], "ServiceRequestId", "orphan"))
            ok = False
        r["date"] = mdate(r, "CareContDate", n)
        ok = code(r, "AttendOrDNACode", n, ATTEND, m=True) and ok
        code(r, "ConsMechanism", n, MECH)
        if ok and r["date"]:
            refs[r["ServiceRequestId"]]["contacts"].append(r)
    n = "CYP607CodedScore.csv"
    for r in t[n].rows:
        ok = True
        if mand(r, "ServiceRequestId", n) and r["ServiceRequestId"] not in refs:
            found.add((n, r["line"], "ServiceRequestId", "orphan"))
            ok = False
        r["date"] = mdate(r, "AssToolCompDate", n)
        tool = tools.get(r["CodedAssToolType"])
        if mand(r, "CodedAssToolType", n) and tool is None:
            found.add((n, r["line"], "CodedAssToolType", "unknown-code"))
            ok = False
        if mand(r, "PersScore", n) and not NUMBER.match(r["PersScore"]):
            found.add((n, r["line"], "PersScore", "bad-number"))
            ok = False
        elif tool and r["PersScore"]:
            r["value"] = hundredths(r["PersScore"])
            if not tool["min"] <= r["value"] <= tool["max"]:
                found.add((n, r["line"], "PersScore", "out-of-range"))
                ok = False
        if tool and tool["goal"]:
            if not r["GoalNumber"]:
                found.add((n, r["line"], "GoalNumber", "missing"))
                ok = False
            elif r["GoalNumber"] not in ("1", "2", "3"):
                found.add((n, r["line"], "GoalNumber", "unknown-code"))
                ok = False
        elif tool and r["GoalNumber"]:
            found.add((n, r["line"], "GoalNumber", "not-applicable"))
            ok = False
        if ok and r["date"] and "value" in r:
            refs[r["ServiceRequestId"]]["scores"].append(r)
    return found, refs, start, end, hdr[0]["OrgSector"]


def read_errors(root, org, month):
    out = set()
    with open(os.path.join(root, org, month + ".errors.csv"), newline="") as f:
        rd = csv.reader(f)
        if next(rd) != ["file", "line", "field", "reason"]:
            raise ValueError("bad errors.csv header")
        for row in rd:
            out.add((row[0], int(row[1]), row[2], row[3]))
    return out


def outcome(r, tools, start, end):
    """(closed, two attended, paired, eligible, improved, deteriorated, goal paired)
    of one referral, after CYP.md's per-referral definitions."""
    closed = r["disch"] is not None and start <= r["disch"] <= end
    att = [c for c in r["contacts"] if c["AttendOrDNACode"] in ("5", "6") and c["date"] <= end]
    f2f = any(c["ConsMechanism"] == "01" for c in att)
    hi = r["disch"] if r["disch"] and r["disch"] <= end else end
    series = collections.defaultdict(list)
    for s in r["scores"]:
        if r["ref"] <= s["date"] <= hi:
            series[(s["CodedAssToolType"], s["GoalNumber"])].append(s)
    elig, better, worse, paired, goal_paired = [], False, False, False, False
    for (code, _), rows in series.items():
        if len(rows) < 2:
            continue
        paired = True
        rows.sort(key=lambda s: (s["date"], s["line"]))
        tool = tools[code]
        first, last = rows[0]["value"], rows[-1]["value"]
        if tool["goal"]:
            goal_paired = True
        elif not ((tool["lower"] and first >= tool["cas"]) or
                  (not tool["lower"] and first <= tool["cas"])):
            continue
        move = (first - last) if tool["lower"] else (last - first)
        better |= move >= tool["rc"]
        worse |= -move >= tool["rc"]
        elig.append(code)
    eligible = closed and len(att) >= 2 and f2f and bool(elig)
    return closed, len(att) >= 2, paired, eligible, eligible and better and not worse, \
        eligible and worse, goal_paired


def main(argv):
    args = argv[1:]
    scale, dose = 1.0, None
    findings_only = "--findings-only" in args
    args = [a for a in args if a != "--findings-only"]
    while len(args) > 3:
        opt, val = args[-2], args[-1]
        args = args[:-2]
        if opt == "--scale":
            scale = float(val)
        elif opt == "--dose":
            dose = float(val)
        else:
            print("unknown option " + opt, file=sys.stderr)
            return 2
    if len(args) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    root, tools_path, month = args
    tools = load_tools(tools_path)
    orgs = sorted(o for o in os.listdir(root) if os.path.isdir(os.path.join(root, o, month)))
    bad = 0
    n_err = n_rows = n_old = 0
    fig = collections.Counter()
    for org in orgs:
        found, refs, start, end, sector = validate(root, org, month, tools)
        # The age band 26+: a finding of the data, not an injected error, so
        # counted here and not looked for in errors.csv.
        for r in refs.values():
            if r["ref"] <= end and not (r["disch"] and r["disch"] < start):
                if age_on(r["patient"]["birth"], r["ref"]) >= 26:
                    n_old += 1
        want = read_errors(root, org, month)
        if found != want:
            bad += 1
            print("%s %s: findings not in errors.csv %s; errors.csv not found %s"
                  % (org, month, sorted(found - want)[:5], sorted(want - found)[:5]))
        n_err += len(want)
        for name in FILES:
            if name != "CYP000Header.csv":
                with open(os.path.join(root, org, month, name)) as f:
                    n_rows += sum(1 for _ in f) - 1
        fig["sector " + (sector or "unrecorded")] += 1
        for r in refs.values():
            if r["ref"] > end or (r["disch"] and r["disch"] < start):
                continue
            fig["open"] += 1
            age = age_on(r["patient"]["birth"], r["ref"])
            band = "0-4" if age < 5 else "5-17" if age < 18 else "18-25" if age < 26 else "26+"
            fig["age " + band] += 1
            fig["source " + r["SourceOfReferral"]] += 1
            fig["team " + r["TeamType"]] += 1
            fig["nhs missing " + sector] += not r["patient"]["NHSNumber"]
            fig["nhs all " + sector] += 1
            fig["with goals"] += any(s["GoalNumber"] for s in r["scores"])
            for c in r["contacts"]:
                if start <= c["date"] <= end:
                    if c["AttendOrDNACode"] in ("5", "6"):
                        fig["attended"] += 1
                        fig["f2f"] += c["ConsMechanism"] == "01"
                    elif c["AttendOrDNACode"] == "3":
                        fig["dna"] += 1
            closed, two, paired, elig, imp, det, _ = outcome(r, tools, start, end)
            fig["closed"] += closed
            fig["closed two"] += closed and two
            fig["closed paired"] += closed and two and paired
            fig["eligible"] += elig
            fig["improved"] += imp
            fig["deteriorated"] += det

    def share(a, b):
        return fig[a] / fig[b] if fig[b] else float("nan")

    def vcs_missing():
        return fig["nhs missing VCS"] / fig["nhs all VCS"] if fig["nhs all VCS"] else 0.5

    checks = [
        ("open referrals per provider at scale 1", fig["open"] / len(orgs) / scale, 400, 850),
        ("share aged 5-17", share("age 5-17", "open"), 0.72, 0.93),
        ("share aged 0-4", share("age 0-4", "open"), 0.01, 0.09),
        ("share aged 18-25", share("age 18-25", "open"), 0.04, 0.16),
        ("share aged 26+", share("age 26+", "open"), 0.0005, 0.02),
        ("share referred by a parent or carer (02)", share("source 02", "open"), 0.18, 0.42),
        ("share referred by a school (04)", share("source 04", "open"), 0.12, 0.35),
        ("share in CWP teams", share("team CWP", "open"), 0.08, 0.45),
        ("share in MHST teams", share("team MHST", "open"), 0.08, 0.45),
        ("share in CAMHS teams", share("team CAMHS", "open"), 0.1, 0.65),
        ("face-to-face share of attended contacts", share("f2f", "attended"), 0.5, 0.9),
        ("DNA share of attended + DNA", fig["dna"] / max(1, fig["dna"] + fig["attended"]),
         0.04, 0.2),
        ("closed in the month, share of open", share("closed", "open"), 0.08, 0.4),
        ("closed with 2+ contacts that are paired (C033)", share("closed paired", "closed two"),
         0.6, 0.98),
        ("measurable improvement of outcome-eligible (C042)", share("improved", "eligible"),
         0.35, 0.85),
        ("deterioration of outcome-eligible (C044)", share("deteriorated", "eligible"),
         0.02, 0.25),
        ("share with goals rated", share("with goals", "open"), 0.25, 0.8),
        ("NHS number missing, voluntary sector", vcs_missing(), 0.15, 0.98),
        ("NHS number missing, NHS sector", share("nhs missing NHS", "nhs all NHS")
         if fig["nhs all NHS"] else 0.0, 0.0, 0.06),
    ]
    for name, v, lo, hi in ([] if findings_only else checks):
        ok = lo <= v <= hi
        bad += not ok
        print("%-4s %-50s %8.3f  [%g, %g]" % ("ok" if ok else "FAIL", name, v, lo, hi))
    rate = n_err / n_rows if n_rows else 0.0
    print("findings %d in %d data rows: dose %.5f; age 26+ findings (data) %d"
          % (n_err, n_rows, rate, n_old))
    if dose is not None:
        ok = abs(rate - dose) <= 0.35 * dose if dose > 0 else n_err == 0
        bad += not ok
        print("%-4s measured dose %.5f against %.5f" % ("ok" if ok else "FAIL", rate, dose))
    print("%d providers; %s" % (len(orgs), ", ".join(
        "%s %d" % (k, v) for k, v in sorted(fig.items()) if k.startswith("sector"))))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
