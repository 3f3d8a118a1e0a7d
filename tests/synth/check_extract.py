#!/usr/bin/python3
"""Validate iapt-synth extracts by the rules of docs/EXTRACT-NOTES.md.

    check_extract.py DIR [YYYY-MM ...]

For every provider directory of DIR and every month given (default: all),
validates the extract independently of the generator and compares the
findings with <YYYY-MM>.errors.csv: they must be the same set of
(file, line, field, reason). Prints one line per extract that differs and a
summary; exit status 1 when any differs. Standard library only.

Also importable: load(DIR, ORG, MONTH) returns the parsed, validated tables
(check_realism.py uses it).
"""
import csv
import datetime
import os
import re
import sys

FILES = {
    "IDS000Header.csv": ["OrgIDProv", "ReportingPeriodStartDate", "ReportingPeriodEndDate",
                         "DateTimeDatSetCreate", "PrimSystemInUse"],
    "IDS001MPI.csv": ["LocalPatientId", "NHSNumber", "PersonBirthDate", "Postcode",
                      "GenderIdentity", "EthnicCategory"],
    "IDS101Referral.csv": ["ServiceRequestId", "LocalPatientId", "OrgIDComm",
                           "ReferralRequestReceivedDate", "SourceOfReferralIAPT",
                           "ServDischDate", "EndCode"],
    "IDS201CareContact.csv": ["CareContactId", "ServiceRequestId", "CareContDate", "AppType",
                              "AttendOrDNACode", "ConsMechanism"],
    "IDS202CareActivity.csv": ["CareActId", "CareContactId", "CodeProcAndProcStatus"],
    "IDS603PresentingComplaints.csv": ["ServiceRequestId", "PresComp", "PresCompCodSig",
                                       "PresCompDate"],
    "IDS606CodedScoreAssessmentRefer.csv": ["ServiceRequestId", "CodedAssToolType",
                                            "PersScore", "AssToolCompDate"],
    "IDS607CodedScoreAssessmentAct.csv": ["CareActId", "CodedAssToolType", "PersScore"],
    "IDS004EmpStatus.csv": ["LocalPatientId", "EmployStatusRecDate", "EmployStatus", "SSPInd",
                            "BenefitRecInd"],
    "IDS602LongTermCondition.csv": ["LocalPatientId", "LongTermCondition"],
}

SOURCES = set("A1 A2 A3 A4 B1 B2 C1 C2 C3 D1 D2 E1 E2 E3 E4 E5 E6 F1 F2 F3 G1 G2 G3 G4 H1 H2 "
              "I1 I2 M1 M2 M3 M4 M5 M6 M7 M8 N1 N2 N4 P1 Q1".split())
END_CODES = set("10 11 12 13 14 16 17 46 47 48 49 50 95 96".split())
APP_TYPES = set("01 02 03 04 05 06 10".split())
ATTEND = set("2 3 4 5 6 7".split())
MECH = set("01 02 04 05 09 10 11 12 13 98".split())
GENDER = set("1 2 3 4 X Z".split())
ETHNIC = set("A B C D E F G H J K L M N P R S Z 99".split())
EMPLOY = set("01 02 03 04 05 06 07 08 ZZ".split())
YN = {"Y", "N"}
SIG = {"1", "2"}
TOOLS = {"720433000": (0, 27), "445455005": (0, 21)}

POSTCODE = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}\Z")
ORG = re.compile(r"[A-Z0-9]{3,5}\Z")
SNOMED = re.compile(r"[0-9]{6,18}\Z")
PRESCOMP = re.compile(r"[A-Z][0-9]{2}[0-9A-Z]{0,2}\Z")
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]{1,2})?\Z")
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


def parse_date(s):
    if not DATE.match(s):
        return None
    try:
        return datetime.date(int(s[:4]), int(s[5:7]), int(s[8:10]))
    except ValueError:
        return None


def nhs_ok(s):
    if len(s) != 10 or not s.isdigit():
        return False
    total = sum(int(s[i]) * (10 - i) for i in range(9))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(s[9])


class Table:
    """Rows of one file: dicts of trimmed cells plus 'line' (physical line)."""

    def __init__(self, name):
        self.name = name
        self.rows = []
        self.header = None


def read_table(path, name, findings):
    t = Table(name)
    if not os.path.exists(path):
        return t
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        start = 1
        for cells in reader:
            line = start
            start = reader.line_num + 1
            cells = [c.strip(" \t") for c in cells]
            if t.header is None:
                t.header = cells
                continue
            if len(cells) == 1 and cells[0] == "":
                continue
            if len(cells) != len(t.header):
                findings.add((name, line, "*", "ragged-row"))
                continue
            row = dict(zip(t.header, cells))
            row["line"] = line
            t.rows.append(row)
    return t


class Extract:
    def __init__(self):
        self.findings = set()
        self.t = {}
        self.start = self.end = self.created = None
        self.org = None


def load(root, org, month):
    """Read and validate one extract; returns an Extract whose tables hold the
    rows that survive validation (with 'valid' flags) and whose findings is
    the set of (file, line, field, reason)."""
    x = Extract()
    x.org = org
    d = os.path.join(root, org, month)
    for name in FILES:
        x.t[name] = read_table(os.path.join(d, name), name, x.findings)
    f = x.findings
    hdr = x.t["IDS000Header.csv"].rows
    if len(hdr) != 1:
        raise ValueError("%s %s: header is not one row" % (org, month))
    h = hdr[0]
    x.start = parse_date(h["ReportingPeriodStartDate"])
    x.end = parse_date(h["ReportingPeriodEndDate"])
    if h["OrgIDProv"] != org or x.start is None or x.end is None:
        raise ValueError("%s %s: header names another organisation or period" % (org, month))
    created = h.get("DateTimeDatSetCreate", "")
    x.created = parse_date(created[:10]) if len(created) in (10, 19) else None
    limit = x.created or datetime.date.today()

    def dups(rows, key, name):
        seen = {}
        for r in rows:
            if r[key]:
                seen[r[key]] = seen.get(r[key], 0) + 1
        bad = set()
        for r in rows:
            if r[key] and seen[r[key]] > 1:
                f.add((name, r["line"], key, "duplicate-id"))
                bad.add(id(r))
        return bad

    def mand_id(r, key, name):
        v = r[key]
        if not v:
            f.add((name, r["line"], key, "missing"))
            return False
        if len(v.encode()) > 64:
            f.add((name, r["line"], key, "too-long"))
            return False
        return True

    def mand_date(r, key, name):
        v = r[key]
        if not v:
            f.add((name, r["line"], key, "missing"))
            return None
        d = parse_date(v)
        if d is None:
            f.add((name, r["line"], key, "bad-date"))
        return d

    def mand_code(r, key, name, valid):
        v = r[key]
        if not v:
            f.add((name, r["line"], key, "missing"))
            return False
        if not valid(v):
            f.add((name, r["line"], key, "unknown-code"))
            return False
        return True

    def opt_code(r, key, name, valid):
        v = r.get(key, "")
        if v and not valid(v):
            f.add((name, r["line"], key, "unknown-code"))
            return None
        return v or None

    def opt_date(r, key, name):
        v = r.get(key, "")
        if not v:
            return None
        d = parse_date(v)
        if d is None:
            f.add((name, r["line"], key, "bad-date"))
        return d

    def future(r, key, name, d):
        if d is not None and d > limit:
            f.add((name, r["line"], key, "future-date"))

    # Patients
    name = "IDS001MPI.csv"
    rows = x.t[name].rows
    bad = dups(rows, "LocalPatientId", name)
    patients = {}
    for r in rows:
        ok = mand_id(r, "LocalPatientId", name) and id(r) not in bad
        b = mand_date(r, "PersonBirthDate", name)
        ok = ok and b is not None
        if not r["NHSNumber"]:
            f.add((name, r["line"], "NHSNumber", "missing"))
        elif not nhs_ok(r["NHSNumber"]):
            f.add((name, r["line"], "NHSNumber", "nhs-check-digit"))
        pc = r["Postcode"].upper().replace(" ", "")
        if pc and not POSTCODE.match(pc):
            f.add((name, r["line"], "Postcode", "bad-format"))
        opt_code(r, "GenderIdentity", name, lambda v: v in GENDER)
        opt_code(r, "EthnicCategory", name, lambda v: v in ETHNIC)
        future(r, "PersonBirthDate", name, b)
        r["birth"] = b
        r["valid"] = ok
        if ok:
            patients[r["LocalPatientId"]] = r

    # Referrals
    name = "IDS101Referral.csv"
    rows = x.t[name].rows
    bad = dups(rows, "ServiceRequestId", name)
    referrals = {}
    for r in rows:
        ok = mand_id(r, "ServiceRequestId", name) and id(r) not in bad
        if not r["LocalPatientId"]:
            f.add((name, r["line"], "LocalPatientId", "missing"))
            ok = False
        elif r["LocalPatientId"] not in patients:
            f.add((name, r["line"], "LocalPatientId", "orphan"))
            ok = False
        if not r["OrgIDComm"]:
            f.add((name, r["line"], "OrgIDComm", "missing"))
            ok = False
        elif not ORG.match(r["OrgIDComm"]):
            f.add((name, r["line"], "OrgIDComm", "unknown-code"))
            ok = False
        ref = mand_date(r, "ReferralRequestReceivedDate", name)
        ok = ok and ref is not None
        opt_code(r, "SourceOfReferralIAPT", name, lambda v: v in SOURCES)
        disch = opt_date(r, "ServDischDate", name)
        end = r["EndCode"]
        if end and end not in END_CODES:
            f.add((name, r["line"], "EndCode", "unknown-code"))
        elif not end and disch is not None and disch <= x.end:
            f.add((name, r["line"], "EndCode", "missing"))
        if ref is not None and disch is not None and disch < ref:
            f.add((name, r["line"], "ServDischDate", "discharge-before-referral"))
        future(r, "ReferralRequestReceivedDate", name, ref)
        future(r, "ServDischDate", name, disch)
        p = patients.get(r["LocalPatientId"])
        if ok and p is not None and p["birth"] and ref and p["birth"] > ref:
            f.add((name, r["line"], "ReferralRequestReceivedDate", "birth-after-referral"))
        r["ref"], r["disch"], r["valid"] = ref, disch, ok
        if ok:
            referrals[r["ServiceRequestId"]] = r

    # Contacts
    name = "IDS201CareContact.csv"
    rows = x.t[name].rows
    bad = dups(rows, "CareContactId", name)
    contacts = {}
    for r in rows:
        ok = mand_id(r, "CareContactId", name) and id(r) not in bad
        if not r["ServiceRequestId"]:
            f.add((name, r["line"], "ServiceRequestId", "missing"))
            ok = False
        elif r["ServiceRequestId"] not in referrals:
            f.add((name, r["line"], "ServiceRequestId", "orphan"))
            ok = False
        d = mand_date(r, "CareContDate", name)
        ok = ok and d is not None
        ok = mand_code(r, "AppType", name, lambda v: v in APP_TYPES) and ok
        ok = mand_code(r, "AttendOrDNACode", name, lambda v: v in ATTEND) and ok
        opt_code(r, "ConsMechanism", name, lambda v: v in MECH)
        future(r, "CareContDate", name, d)
        ref = referrals.get(r["ServiceRequestId"])
        if ok and ref is not None:
            if d < ref["ref"]:
                f.add((name, r["line"], "CareContDate", "before-referral"))
            if ref["disch"] is not None and d > ref["disch"]:
                f.add((name, r["line"], "CareContDate", "after-discharge"))
        r["date"], r["valid"] = d, ok
        if ok:
            contacts[r["CareContactId"]] = r

    # Activities
    name = "IDS202CareActivity.csv"
    rows = x.t[name].rows
    bad = dups(rows, "CareActId", name)
    acts = {}
    for r in rows:
        ok = mand_id(r, "CareActId", name) and id(r) not in bad
        if not r["CareContactId"]:
            f.add((name, r["line"], "CareContactId", "missing"))
            ok = False
        elif r["CareContactId"] not in contacts:
            f.add((name, r["line"], "CareContactId", "orphan"))
            ok = False
        v = r["CodeProcAndProcStatus"]
        if v and not SNOMED.match(v):
            f.add((name, r["line"], "CodeProcAndProcStatus", "unknown-code"))
        r["valid"] = ok
        if ok:
            acts[r["CareActId"]] = r

    def score(r, name, key):
        v = r["PersScore"]
        if not v:
            f.add((name, r["line"], "PersScore", "missing"))
            return False
        if not NUMBER.match(v):
            f.add((name, r["line"], "PersScore", "bad-number"))
            return False
        tool = TOOLS.get(r["CodedAssToolType"])
        r["value"] = float(v)
        r["in_range"] = True
        if tool and not tool[0] <= float(v) <= tool[1]:
            f.add((name, r["line"], "PersScore", "out-of-range"))
            r["in_range"] = False
        return True

    # Presenting complaints
    name = "IDS603PresentingComplaints.csv"
    for r in x.t[name].rows:
        ok = True
        if not r["ServiceRequestId"]:
            f.add((name, r["line"], "ServiceRequestId", "missing"))
            ok = False
        elif r["ServiceRequestId"] not in referrals:
            f.add((name, r["line"], "ServiceRequestId", "orphan"))
            ok = False
        if not r["PresComp"]:
            f.add((name, r["line"], "PresComp", "missing"))
            ok = False
        elif not PRESCOMP.match(r["PresComp"]):
            f.add((name, r["line"], "PresComp", "unknown-code"))
            ok = False
        opt_code(r, "PresCompCodSig", name, lambda v: v in SIG)
        d = opt_date(r, "PresCompDate", name)
        future(r, "PresCompDate", name, d)
        ref = referrals.get(r["ServiceRequestId"])
        if ok and ref is not None and d is not None and d < ref["ref"]:
            f.add((name, r["line"], "PresCompDate", "before-referral"))
        r["date"], r["valid"] = d, ok

    # Scores at referral level
    name = "IDS606CodedScoreAssessmentRefer.csv"
    for r in x.t[name].rows:
        ok = True
        if not r["ServiceRequestId"]:
            f.add((name, r["line"], "ServiceRequestId", "missing"))
            ok = False
        elif r["ServiceRequestId"] not in referrals:
            f.add((name, r["line"], "ServiceRequestId", "orphan"))
            ok = False
        ok = mand_code(r, "CodedAssToolType", name, lambda v: SNOMED.match(v)) and ok
        ok = score(r, name, "PersScore") and ok
        d = mand_date(r, "AssToolCompDate", name)
        ok = ok and d is not None
        future(r, "AssToolCompDate", name, d)
        ref = referrals.get(r["ServiceRequestId"])
        if ok and ref is not None and d < ref["ref"]:
            f.add((name, r["line"], "AssToolCompDate", "before-referral"))
        r["date"], r["valid"] = d, ok

    # Scores taken in appointments
    name = "IDS607CodedScoreAssessmentAct.csv"
    for r in x.t[name].rows:
        ok = True
        if not r["CareActId"]:
            f.add((name, r["line"], "CareActId", "missing"))
            ok = False
        elif r["CareActId"] not in acts:
            f.add((name, r["line"], "CareActId", "orphan"))
            ok = False
        ok = mand_code(r, "CodedAssToolType", name, lambda v: SNOMED.match(v)) and ok
        ok = score(r, name, "PersScore") and ok
        r["valid"] = ok
        if ok:
            c = contacts[acts[r["CareActId"]]["CareContactId"]]
            r["date"] = c["date"]
            ref = referrals[c["ServiceRequestId"]]
            if r["date"] < ref["ref"]:
                f.add((name, r["line"], "CareActId", "before-referral"))

    # Employment and long-term conditions
    name = "IDS004EmpStatus.csv"
    for r in x.t[name].rows:
        ok = True
        if not r["LocalPatientId"]:
            f.add((name, r["line"], "LocalPatientId", "missing"))
            ok = False
        elif r["LocalPatientId"] not in patients:
            f.add((name, r["line"], "LocalPatientId", "orphan"))
            ok = False
        d = mand_date(r, "EmployStatusRecDate", name)
        ok = ok and d is not None
        opt_code(r, "EmployStatus", name, lambda v: v in EMPLOY)
        opt_code(r, "SSPInd", name, lambda v: v in YN)
        opt_code(r, "BenefitRecInd", name, lambda v: v in YN)
        future(r, "EmployStatusRecDate", name, d)
        r["date"], r["valid"] = d, ok

    name = "IDS602LongTermCondition.csv"
    for r in x.t[name].rows:
        ok = True
        if not r["LocalPatientId"]:
            f.add((name, r["line"], "LocalPatientId", "missing"))
            ok = False
        elif r["LocalPatientId"] not in patients:
            f.add((name, r["line"], "LocalPatientId", "orphan"))
            ok = False
        if not r["LongTermCondition"]:
            f.add((name, r["line"], "LongTermCondition", "missing"))
            ok = False
        r["valid"] = ok

    x.patients, x.referrals, x.contacts, x.acts = patients, referrals, contacts, acts
    return x


def read_errors(root, org, month):
    path = os.path.join(root, org, month + ".errors.csv")
    out = set()
    with open(path, newline="") as f:
        rd = csv.reader(f)
        if next(rd) != ["file", "line", "field", "reason"]:
            raise ValueError("%s: bad header" % path)
        for row in rd:
            out.add((row[0], int(row[1]), row[2], row[3]))
    return out


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    root, months = argv[1], argv[2:]
    orgs = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
    n_ok = n_bad = n_err = 0
    for org in orgs:
        ms = months or sorted(m for m in os.listdir(os.path.join(root, org))
                              if os.path.isdir(os.path.join(root, org, m)))
        for m in ms:
            x = load(root, org, m)
            want = read_errors(root, org, m)
            n_err += len(want)
            if x.findings == want:
                n_ok += 1
                continue
            n_bad += 1
            extra = sorted(x.findings - want)[:5]
            lost = sorted(want - x.findings)[:5]
            print("%s %s: findings not in errors.csv %s; errors.csv not found %s"
                  % (org, m, extra, lost))
    print("%d extracts match their errors.csv (%d errors), %d differ" % (n_ok, n_err, n_bad))
    return 1 if n_bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
