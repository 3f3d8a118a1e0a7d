#!/usr/bin/python3
"""Realism figures of one generated month, computed from the extracts.

    check_realism.py DIR YYYY-MM

Reads every provider's extract for the month (validated by check_extract.py,
so rows the node would reject are left out), derives the per-referral fields
the way docs/MEASURES-NOTES.md does, and prints the national figures next to
the published ones they are meant to resemble. Standard library only.
"""
import bisect
import collections
import csv
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_extract  # noqa: E402

PHQ9, GAD7 = "720433000", "445455005"
CUT = {PHQ9: 10, GAD7: 8}
RC = {PHQ9: 6, GAD7: 4}
CBT = {"304891004", "228557008"}
LOW = {"748051000000105", "748101000000105", "748041000000107", "748091000000102",
       "748061000000108", "702545008", "1026111000000108"}
GSH_BOOK = "748051000000105"


def pct(a, b):
    return 100.0 * a / b if b else float("nan")


def imd_lookup(root):
    table = {}
    with open(os.path.join(root, "imd.csv"), newline="") as f:
        for row in csv.DictReader(f):
            table[row["postcode_prefix"]] = int(row["imd_decile"])
    return table


def decile(table, postcode):
    pc = postcode.upper().replace(" ", "")
    for n in range(len(pc), 0, -1):
        if pc[:n] in table:
            return table[pc[:n]]
    return None


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    root, month = argv[1], argv[2]
    geo = set()
    with open(os.path.join(root, "geography.csv"), newline="") as f:
        for row in csv.DictReader(f):
            geo.add(row["subicb_code"])
    imd = imd_lookup(root)
    orgs = sorted(d for d in os.listdir(root)
                  if os.path.isdir(os.path.join(root, d, month)))
    c = collections.Counter()
    waits, fin_counts = [], []
    end_codes = collections.Counter()
    sources = collections.Counter()
    therapy = collections.Counter()
    ethnic = collections.Counter()
    ages = collections.Counter()
    nhs_orgs = collections.defaultdict(set)
    per_provider = []
    for org in orgs:
        x = check_extract.load(root, org, month)
        S, E = x.start, x.end
        t = x.t
        contacts = collections.defaultdict(list)
        for r in t["IDS201CareContact.csv"].rows:
            if r["valid"] and r["date"] <= E:
                contacts[r["ServiceRequestId"]].append(r)
        acts = collections.defaultdict(list)
        for r in t["IDS202CareActivity.csv"].rows:
            if r["valid"]:
                acts[r["CareContactId"]].append(r)
        scores = collections.defaultdict(list)   # srid -> (date, src, line, tool, value)
        for r in t["IDS606CodedScoreAssessmentRefer.csv"].rows:
            if r["valid"] and r["in_range"] and r["CodedAssToolType"] in CUT:
                scores[r["ServiceRequestId"]].append(
                    (r["date"], 0, r["line"], r["CodedAssToolType"], r["value"]))
        for r in t["IDS607CodedScoreAssessmentAct.csv"].rows:
            if r["valid"] and r["in_range"] and r["CodedAssToolType"] in CUT:
                con = x.contacts[x.acts[r["CareActId"]]["CareContactId"]]
                scores[con["ServiceRequestId"]].append(
                    (r["date"], 1, r["line"], r["CodedAssToolType"], r["value"]))
        emp = collections.defaultdict(list)
        for r in t["IDS004EmpStatus.csv"].rows:
            if r["valid"]:
                emp[r["LocalPatientId"]].append((r["date"], r["line"], r["SSPInd"]))
        ltc = {r["LocalPatientId"] for r in t["IDS602LongTermCondition.csv"].rows if r["valid"]}
        for p in x.patients.values():
            if p["NHSNumber"] and check_extract.nhs_ok(p["NHSNumber"]):
                nhs_orgs[p["NHSNumber"]].add(org)
        new = opened = 0
        for srid, r in x.referrals.items():
            ref, disch = r["ref"], r["disch"]
            if ref > E or (disch is not None and disch < S):
                continue
            opened += 1
            c["open"] += 1
            discharged = disch is not None and disch <= E
            if not discharged:
                disch = None
            pat = x.patients[r["LocalPatientId"]]
            if S <= ref <= E:
                new += 1
                c["M001"] += 1
                sources[r["SourceOfReferralIAPT"]] += 1
                c["geo_unknown"] += r["OrgIDComm"] not in geo
                c["ltc"] += r["LocalPatientId"] in ltc
                c["imd_known"] += decile(imd, pat["Postcode"]) is not None
                eth = pat["EthnicCategory"]
                grp = ("White" if eth in "ABC" and eth else "Mixed" if eth in "DEFG" and eth
                       else "Asian" if eth in "HJKL" and eth else "Black" if eth in "MNP" and eth
                       else "Other" if eth in "RS" and eth else eth or "missing")
                ethnic[grp] += 1
                age = (ref - pat["birth"]).days // 365.2425 if pat["birth"] else -1
                band = ("<18" if age < 18 else "18-25" if age <= 25 else "26-35" if age <= 35
                        else "36-45" if age <= 45 else "46-55" if age <= 55 else "56-64"
                        if age <= 64 else "65+")
                ages[band] += 1
            cs = contacts.get(srid, [])
            treat = sorted(k["date"] for k in cs
                           if k["AppType"] in ("02", "03", "05") and k["AttendOrDNACode"] in ("5", "6"))
            for k in cs:
                if S <= k["date"] <= E:
                    c["M082"] += 1
                    c["att" + k["AttendOrDNACode"]] += 1
                    if k["AppType"] in ("02", "03", "05") and k["AttendOrDNACode"] in ("5", "6"):
                        for a in acts.get(k["CareContactId"], []):
                            code = a["CodeProcAndProcStatus"]
                            if code in CBT:
                                therapy["CBT"] += 1
                            elif code == GSH_BOOK:
                                therapy["GSH book"] += 1
                            elif code in LOW:
                                therapy["other LI"] += 1
                            elif code:
                                therapy["other HI"] += 1
            wait = (treat[0] - ref).days if treat else None
            if treat and S <= treat[0] <= E:
                c["M031"] += 1
                c["M036"] += wait <= 42
                c["M037"] += wait <= 126
                waits.append(wait)
            if not treat and not discharged:
                c["M038"] += 1
                c["M044"] += (E - ref).days > 126
            if not (discharged and S <= disch <= E):
                continue
            c["M056"] += 1
            end_codes[r["EndCode"]] += 1
            if not cs:
                c["M073"] += 1
            elif not treat:
                c["M074"] += 1
            elif len(treat) == 1:
                c["M075"] += 1
            if len(treat) < 2:
                continue
            c["M076"] += 1
            fin_counts.append(len(treat))
            c["M053"] += wait <= 42
            c["M055"] += wait <= 126
            window = [s for s in scores.get(srid, []) if ref <= s[0] <= disch]
            window.sort(key=lambda s: (s[0], s[1], s[2]))
            first, last, n = {}, {}, collections.Counter()
            for s in window:
                first.setdefault(s[3], s[4])
                last[s[3]] = s[4]
                n[s[3]] += 1
            both_first = PHQ9 in first and GAD7 in first
            caseness = (first.get(PHQ9, -1) >= 10) or (first.get(GAD7, -1) >= 8)
            if both_first and not caseness:
                c["M179"] += 1
            paired = n[PHQ9] >= 2 and n[GAD7] >= 2
            if paired:
                imp = [first[k] - last[k] >= RC[k] for k in (PHQ9, GAD7)]
                det = [last[k] - first[k] >= RC[k] for k in (PHQ9, GAD7)]
                ri = any(imp) and not any(det)
                rd = any(det) and not any(imp)
                c["M185"] += ri
                c["M189"] += rd
                c["M187"] += not ri and not rd
                rec = caseness and last[PHQ9] < 10 and last[GAD7] < 8
                c["M191"] += rec
                c["M193"] += rec and ri
            recs = sorted(e for e in emp.get(r["LocalPatientId"], []) if e[0] <= disch)
            if recs and recs[0][2] == "Y" and recs[-1][2] == "N":
                c["M237"] += 1
        per_provider.append((org, new, opened))

    n = len(orgs)
    shared = sum(1 for v in nhs_orgs.values() if len(v) > 1)
    waits.sort()
    fin_counts.sort()
    med = lambda v: (v[len(v) // 2] + v[(len(v) - 1) // 2]) / 2 if v else float("nan")
    rows = [
        ("providers", "%d" % n, ""),
        ("referrals received (M001)", "%d" % c["M001"], "~150k nationally"),
        ("  per provider", "%.0f" % (c["M001"] / n), "~600"),
        ("referrals open in the month", "%d" % c["open"], "~650k nationally"),
        ("  per provider", "%.0f" % (c["open"] / n), "~2,600"),
        ("self-referral share (M002/M001)", "%.1f%%" % pct(sources["B1"], c["M001"]), "~2/3"),
        ("GP referral share (M003/M001)", "%.1f%%" % pct(sources["A1"], c["M001"]), "most of the rest"),
        ("entered treatment (M031)", "%d" % c["M031"], ""),
        ("  within 6 weeks (M036/M031)", "%.1f%%" % pct(c["M036"], c["M031"]), "~90%"),
        ("  within 18 weeks (M037/M031)", "%.1f%%" % pct(c["M037"], c["M031"]), "~98%"),
        ("  mean / median wait days", "%.1f / %.1f" % (sum(waits) / max(1, len(waits)), med(waits)), ""),
        ("waiting for treatment at period end (M038)", "%d" % c["M038"], ""),
        ("  of which over 18 weeks (M044)", "%d" % c["M044"], ""),
        ("ended referrals (M056)", "%d" % c["M056"], ""),
        ("  ended without treatment (M073+M074)", "%.1f%%" % pct(c["M073"] + c["M074"], c["M056"]), "~45-50%"),
        ("  ended with no appointment (M073)", "%.1f%%" % pct(c["M073"], c["M056"]), ""),
        ("  ended treated once (M075)", "%.1f%%" % pct(c["M075"], c["M056"]), ""),
        ("finished a course (M076)", "%d" % c["M076"], ""),
        ("  mean / median treatment appts (M141/M142)", "%.2f / %.1f" % (sum(fin_counts) / max(1, len(fin_counts)), med(fin_counts)), "~8"),
        ("  seen within 6 / 18 weeks (M053/M055)", "%.1f%% / %.1f%%" % (pct(c["M053"], c["M076"]), pct(c["M055"], c["M076"])), ""),
        ("  at caseness (1 - M179/M076)", "%.1f%%" % (100 - pct(c["M179"], c["M076"])), "~90%"),
        ("  recovery rate (M192)", "%.1f%%" % pct(c["M191"], c["M076"] - c["M179"]), "~50%"),
        ("  reliable recovery rate (M195)", "%.1f%%" % pct(c["M193"], c["M076"] - c["M179"]), "~47%"),
        ("  reliable improvement (M186)", "%.1f%%" % pct(c["M185"], c["M076"]), "~2/3"),
        ("  reliable deterioration (M1010)", "%.1f%%" % pct(c["M189"], c["M076"]), "~5-7%"),
        ("  moved off sick pay (M237)", "%d" % c["M237"], ""),
        ("appointments in the month (M082)", "%d" % c["M082"], ""),
        ("  DNA share (M084/M082)", "%.1f%%" % pct(c["att3"], c["M082"]), "~10%"),
        ("  cancelled (M083+M085)", "%.1f%%" % pct(c["att2"] + c["att4"], c["M082"]), ""),
        ("  late (M087+M088)", "%.1f%%" % pct(c["att6"] + c["att7"], c["M082"]), "few"),
        ("treatment appts with CBT (M110)", "%d" % therapy["CBT"], "most common HI"),
        ("treatment appts with GSH (book)", "%d" % therapy["GSH book"], "most common LI"),
        ("  other LI / other HI", "%d / %d" % (therapy["other LI"], therapy["other HI"]), ""),
        ("new referrals: commissioner not in geography", "%.2f%%" % pct(c["geo_unknown"], c["M001"]), "rare"),
        ("new referrals: patient with a long-term condition", "%.1f%%" % pct(c["ltc"], c["M001"]), "~30%"),
        ("new referrals: postcode with an IMD decile", "%.1f%%" % pct(c["imd_known"], c["M001"]), ""),
        ("NHS numbers seen at two or more providers", "%d" % shared, ""),
    ]
    for k, v, ref in rows:
        print("%-50s %14s   %s" % (k, v, ref))
    print("ethnic group of new referrals: " + ", ".join(
        "%s %.1f%%" % (k, pct(v, c["M001"])) for k, v in ethnic.most_common()))
    print("age band of new referrals: " + ", ".join(
        "%s %.1f%%" % (k, pct(ages[k], c["M001"]))
        for k in ("<18", "18-25", "26-35", "36-45", "46-55", "56-64", "65+")))
    print("end codes of ended referrals: " + ", ".join(
        "%s %.1f%%" % (k or "none", pct(v, c["M056"])) for k, v in sorted(end_codes.items())))
    sizes = sorted(p[1] for p in per_provider)
    if sizes:
        q = lambda f: sizes[min(len(sizes) - 1, int(f * len(sizes)))]
        print("new referrals per provider: min %d, 10%% %d, median %d, 90%% %d, max %d"
              % (sizes[0], q(0.1), q(0.5), q(0.9), sizes[-1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
