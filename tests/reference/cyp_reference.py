#!/usr/bin/python3
"""Independent reference computation of the CYP IAPT monthly measures.

Reads one CYP extract per provider (DIR/<ORG>/<YYYY-MM>/CYP*.csv), validates
it by docs/CYP.md (and the format rules of docs/EXTRACT-NOTES.md it keeps),
derives the per-referral fields and the measures C001-C063 of docs/CYP.md,
and writes the publication CSV, or with --programme the programme view.

    cyp_reference.py --extracts DIR --period YYYY-MM --geography FILE
                     --providers FILE [--tools FILE] [--unsuppressed]
                     [--breakdown NAME] [--imd FILE] [--programme]
                     [--out FILE]
    cyp_reference.py ... --quarter 2025/26-Q2 | --year 2025/26 ...
        a financial quarter or year: the months' figures summed, the
        period-end stocks (C012-C014) from the last month with data

Standard library only; exact arithmetic (int and Fraction) throughout.
Quotes in comments are from docs/CYP.md ("CYP", with its code formatting
dropped); readings that docs/CYP.md leaves open are listed in
docs/CYP-NOTES.md ("Readings the reference takes").  What is generic (CSV
reading, dates, scores, ids, geography, IMD, medians, the publication
layout) is imported from iapt_reference.py.
"""

import argparse
import csv
import datetime
import hashlib
import os
import re
import sys
from collections import Counter
from fractions import Fraction

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import iapt_reference as adult  # noqa: E402
from iapt_reference import (  # noqa: E402
    Refused, parse_date, parse_score, valid_id, read_csv_records,
    normalised_postcode, read_small_csv, load_geography, load_imd, median,
    period_bounds, trim, COMMISSIONER_RE, OUTPUT_HEADER, BREAKDOWN_COLUMNS,
    GROUP_TYPES, GENDER_CODES, ETHNIC_CODES)

# ---------------------------------------------------------------------------
# Constants of docs/CYP.md
# ---------------------------------------------------------------------------

# CYP "Measures", in the table's order (the output order).
MEASURES = (
    ("C001", "Count_ReferralsReceived"),
    ("C002", "Count_SelfReferrals"),
    ("C003", "Count_ParentCarerReferrals"),
    ("C004", "Count_SchoolReferrals"),
    ("C010", "Count_FirstContact"),
    ("C011", "Count_SecondContact"),
    ("C012", "Count_OpenReferralsEnd"),
    ("C013", "Count_WaitingFirstContactEnd"),
    ("C014", "Count_WaitingOver18WeeksEnd"),
    ("C020", "Count_AttendedContacts"),
    ("C021", "Count_DNAContacts"),
    ("C022", "Percentage_DNA"),
    ("C030", "Count_Closed"),
    ("C031", "Count_ClosedTwoContacts"),
    ("C032", "Count_ClosedPaired"),
    ("C033", "Percentage_ClosedPaired"),
    ("C040", "Count_OutcomeEligible"),
    ("C041", "Count_MeasurableImprovement"),
    ("C042", "Percentage_MeasurableImprovement"),
    ("C043", "Count_Deterioration"),
    ("C044", "Percentage_Deterioration"),
    ("C045", "Count_Recovered"),
    ("C046", "Count_RecoveryEligible"),
    ("C047", "Percentage_Recovered"),
    ("C050", "Count_ClosedPairedGoals"),
    ("C051", "Mean_GoalMovement"),
    ("C052", "Count_ReliableGoalImprovement"),
    ("C053", "Percentage_ReliableGoalImprovement"),
    ("C060", "Mean_WaitFirstContact"),
    ("C061", "Median_WaitFirstContact"),
    ("C062", "Count_FirstContactWithin4Weeks"),
    ("C063", "Percentage_FirstContactWithin4Weeks"),
)
MEASURE_ORDER = [mid for mid, _ in MEASURES]
MEASURE_NAMES = dict(MEASURES)
# (numerator, denominator) of each percentage.
PERCENTAGES = {
    "C022": ("C021", "C020+C021"),
    "C033": ("C032", "C031"),
    "C042": ("C041", "C040"),
    "C044": ("C043", "C040"),
    "C047": ("C045", "C046"),
    "C053": ("C052", "C050"),
    "C063": ("C062", "C010"),
}

# CYP "The extract": tables, their M columns (a present file lacking one is
# refused, as EXTRACT-NOTES "Reading") and their R / O columns.
TABLES = {
    "CYP000Header": ("OrgIDProv", "ReportingPeriodStartDate",
                     "ReportingPeriodEndDate"),
    "CYP001MPI": ("LocalPatientId", "PersonBirthDate"),
    "CYP101Referral": ("ServiceRequestId", "LocalPatientId", "OrgIDComm",
                       "ReferralRequestReceivedDate"),
    "CYP201CareContact": ("CareContactId", "ServiceRequestId", "CareContDate",
                          "AttendOrDNACode"),
    "CYP607CodedScore": ("ServiceRequestId", "AssToolCompDate",
                         "CodedAssToolType", "PersScore"),
}
OPTIONAL_COLUMNS = {
    "CYP000Header": ("DateTimeDatSetCreate", "OrgSector"),
    "CYP001MPI": ("NHSNumber", "Postcode", "GenderIdentity", "EthnicCategory"),
    "CYP101Referral": ("SourceOfReferral", "TeamType", "PrimReasonReferral",
                       "ServDischDate"),
    "CYP201CareContact": ("ConsMechanism",),
    "CYP607CodedScore": ("GoalNumber",),
}
# CYP: "A table file that is absent is empty, except CYP000Header.csv,
# CYP001MPI.csv and CYP101Referral.csv, which are required"
REQUIRED_FILES = ("CYP000Header", "CYP001MPI", "CYP101Referral")

ORG_RE = re.compile(r"[A-Z0-9]{3,5}\Z")
# Code lists with their breakdown level labels, in CYP.md's order.
SECTORS = (("NHS", "NHS"), ("LA", "Local authority"),
           ("VCS", "Voluntary and community sector"), ("YJ", "Youth justice"))
SOURCES = (("01", "Self"), ("02", "Parent or carer"), ("03", "GP"),
           ("04", "School or college"), ("05", "Social care"),
           ("06", "Youth justice"), ("07", "Other health service"),
           ("08", "Voluntary sector"), ("99", "Other"))
TEAM_TYPES = (("CWP", "CWP"), ("MHST", "MHST"), ("CAMHS", "CAMHS"),
              ("OTH", "Other"))
REASONS = (
    ("01", "Anxiety"), ("02", "Low mood or depression"), ("03", "Self-harm"),
    ("04", "Behavioural difficulties"), ("05", "Eating difficulties"),
    ("06", "Neurodevelopmental"), ("99", "Other"),
)
ATTEND_CODES = set("2 3 4 5 6 7".split())
ATTENDED = {"5", "6"}          # CYP: "attended contact: AttendOrDNACode 5 or 6"
DNA = "3"                      # CYP C021: "with AttendOrDNACode 3"
FACE_TO_FACE = "01"            # CYP: "ConsMechanism 01"
GOAL_NUMBERS = {"1", "2", "3"}

AGE_BANDS = ("0-4", "5-10", "11-15", "16-17", "18-25", "26+", "Unknown")
GENDER_LEVELS = adult.GENDER_LEVELS

# CYP "Breakdowns": BREAKDOWN column text and level order.
BREAKDOWNS = {
    "age": ("Age band at referral", list(AGE_BANDS)),
    "gender": ("Gender identity",
               [name for _, name in GENDER_LEVELS] + ["Unknown"]),
    "ethnicity": ("Ethnic group", list(adult.BREAKDOWNS["ethnicity"][1])),
    "imd": ("IMD decile", [str(d) for d in range(1, 11)] + ["Unknown"]),
    "team": ("Team type", [name for _, name in TEAM_TYPES] + ["Unknown"]),
    "reason": ("Primary reason for referral",
               [name for _, name in REASONS] + ["Unknown"]),
    "source": ("Referral source", [name for _, name in SOURCES] + ["Unknown"]),
    "sector": ("Provider sector", [name for _, name in SECTORS] + ["Unknown"]),
}

DEFAULT_TOOLS = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                             "..", "..", "data", "cyp-assessment-tools.csv")

# ---------------------------------------------------------------------------
# The assessment-tool table (CYP "Assessment tools", "Precise rules")
# ---------------------------------------------------------------------------

TOOL_COLUMNS = ("code", "name", "kind", "min", "max", "better", "caseness",
                "reliable_change")
NUMBER_RE = re.compile(r"-?[0-9]+(\.[0-9]{1,2})?\Z")


class Tool:
    def __init__(self, code, name, kind, lo, hi, better, caseness,
                 reliable_change):
        self.code, self.name, self.kind = code, name, kind
        self.min, self.max = lo, hi
        self.better = better                # "lower" | "higher"
        self.caseness = caseness            # Fraction, None for the goal tool
        self.reliable_change = reliable_change


class Tools:
    def __init__(self, tools, sha256=""):
        self.all = tools
        self.by_code = {t.code: t for t in tools}
        goals = [t for t in tools if t.kind == "goal"]
        self.goal = goals[0] if goals else None
        self.sha256 = sha256


class BadTools(Exception):
    """The tool table is refused (CYP: "refused when loaded")."""


def parse_tools(data, path="tools"):
    """Parse the tool table's bytes.  CYP: "The table is refused when loaded
    (node and hub stop, naming the line) if it has more than one goal row, a
    goal row with better=lower or with a caseness, a symptom row without a
    caseness, min > max, or a code given twice"."""
    sha = hashlib.sha256(data).hexdigest()
    text = data.decode("utf-8")
    if text.startswith("\ufeff"):
        text = text[1:]
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        raise BadTools("%s: empty" % path)
    header = [trim(h) for h in rows[0]]
    for col in TOOL_COLUMNS:
        if col not in header:
            raise BadTools("%s:1: column %s missing" % (path, col))
    tools, seen, goals = [], set(), 0
    for line, raw in enumerate(rows[1:], start=2):
        cells = [trim(c) for c in raw]
        if not any(cells) or cells[0].startswith("#"):
            continue                       # blank lines and comment lines
        if len(cells) != len(header):
            raise BadTools("%s:%d: %d cells, header has %d"
                           % (path, line, len(cells), len(header)))
        r = dict(zip(header, cells))

        def number(col, optional=False):
            text = r[col]
            if text == "" and optional:
                return None
            if not NUMBER_RE.match(text):
                raise BadTools("%s:%d: %s %r is not a number"
                               % (path, line, col, text))
            return Fraction(text)
        code = r["code"]
        if code == "":
            raise BadTools("%s:%d: empty code" % (path, line))
        if code in seen:
            raise BadTools("%s:%d: code %s repeated" % (path, line, code))
        seen.add(code)
        kind, better = r["kind"], r["better"]
        if kind not in ("symptom", "goal"):
            raise BadTools("%s:%d: kind %r" % (path, line, kind))
        if better not in ("lower", "higher"):
            raise BadTools("%s:%d: better %r" % (path, line, better))
        lo, hi = number("min"), number("max")
        if lo > hi:
            raise BadTools("%s:%d: min > max" % (path, line))
        caseness = number("caseness", optional=True)
        rc = number("reliable_change")
        if rc <= 0:
            raise BadTools("%s:%d: reliable_change must be above 0"
                           % (path, line))
        if kind == "goal":
            goals += 1
            if goals > 1:
                raise BadTools("%s:%d: a second goal row" % (path, line))
            if better != "higher":
                raise BadTools("%s:%d: a goal row must be better=higher"
                               % (path, line))
            if caseness is not None:
                raise BadTools("%s:%d: a goal row has no caseness" % (path, line))
        elif caseness is None:
            raise BadTools("%s:%d: a symptom row needs a caseness" % (path, line))
        tools.append(Tool(code, r["name"], kind, lo, hi, better, caseness, rc))
    return Tools(tools, sha)


def load_tools(path):
    with open(path, "rb") as f:
        return parse_tools(f.read(), path)


# ---------------------------------------------------------------------------
# Reading and validating one extract
# ---------------------------------------------------------------------------

def read_table(extract_dir, table):
    """Rows of one table as dicts of the columns docs/CYP.md names ("" when
    the column is absent); ragged rows are rejected here.  '_line' is the
    row's position among the file's data rows (for "file order")."""
    path = os.path.join(extract_dir, table + ".csv")
    if not os.path.exists(path):
        if table in REQUIRED_FILES:
            raise Refused("%s: required file missing" % path)
        return []
    records = read_csv_records(path)
    header = records[0] if records else []
    position = {}
    for i, name in enumerate(header):
        position.setdefault(name, i)
    for name in TABLES[table]:
        if name not in position:
            raise Refused("%s: required column %s missing" % (path, name))
    columns = [(name, position.get(name))
               for name in TABLES[table] + OPTIONAL_COLUMNS[table]]
    rows = []
    for line, cells in enumerate(records[1:], start=1):
        if len(cells) != len(header):
            continue                                   # ragged-row
        row = {name: (cells[i] if i is not None else "") for name, i in columns}
        row["_line"] = line
        rows.append(row)
    return rows


class Extract:
    """The valid rows of one provider's CYP extract."""


def check_header(extract_dir, org, S, E):
    """CYP: "A header that is not exactly one row naming the node's
    organisation and the period's first and last day refuses the extract as
    a whole"."""
    path = os.path.join(extract_dir, "CYP000Header.csv")
    if not os.path.exists(path):
        raise Refused("%s: required file missing" % path)
    records = read_csv_records(path)
    rows = read_table(extract_dir, "CYP000Header")
    if len(records) != 2 or len(rows) != 1:
        raise Refused("%s: header is not exactly one row" % path)
    h = rows[0]
    if not ORG_RE.match(h["OrgIDProv"]) or h["OrgIDProv"] != org:
        raise Refused("%s: OrgIDProv %r is not the provider %r"
                      % (path, h["OrgIDProv"], org))
    if h["ReportingPeriodStartDate"] != S.isoformat() or \
            h["ReportingPeriodEndDate"] != E.isoformat():
        raise Refused("%s: reporting period %s..%s is not %s..%s"
                      % (path, h["ReportingPeriodStartDate"],
                         h["ReportingPeriodEndDate"], S, E))
    return h


def load_extract(extract_dir, org, S, E, tools):
    """Validate one extract; returns an Extract holding only valid rows.
    Cascade (CYP): patient -> referral -> contacts and scores."""
    header = check_header(extract_dir, org, S, E)
    t = {name: read_table(extract_dir, name) for name in TABLES
         if name != "CYP000Header"}
    x = Extract()
    x.org = org
    # OrgSector O: an invalid value matches no code list (Unknown).
    x.sector = header["OrgSector"] if header["OrgSector"] in dict(SECTORS) \
        else None

    # CYP001MPI: LocalPatientId M unique, PersonBirthDate M.  NHSNumber R: a
    # present invalid one is a finding only (no part in the measures).
    ids = Counter(r["LocalPatientId"] for r in t["CYP001MPI"])
    x.patients = {}
    for r in t["CYP001MPI"]:
        pid = r["LocalPatientId"]
        birth = parse_date(r["PersonBirthDate"])
        if not valid_id(pid) or ids[pid] > 1 or birth is None:
            continue
        r["PersonBirthDate"] = birth
        x.patients[pid] = r

    # CYP101Referral.
    ids = Counter(r["ServiceRequestId"] for r in t["CYP101Referral"])
    x.referrals = {}
    for r in t["CYP101Referral"]:
        rid = r["ServiceRequestId"]
        received = parse_date(r["ReferralRequestReceivedDate"])
        if not valid_id(rid) or ids[rid] > 1 \
                or r["LocalPatientId"] not in x.patients \
                or not COMMISSIONER_RE.match(r["OrgIDComm"]) \
                or received is None:
            continue
        r["ReferralRequestReceivedDate"] = received
        # "an invalid optional date counts as missing"
        r["ServDischDate"] = parse_date(r["ServDischDate"])
        x.referrals[rid] = r

    # CYP201CareContact.
    ids = Counter(r["CareContactId"] for r in t["CYP201CareContact"])
    x.contacts = []
    for r in t["CYP201CareContact"]:
        cid = r["CareContactId"]
        day = parse_date(r["CareContDate"])
        if not valid_id(cid) or ids[cid] > 1 \
                or r["ServiceRequestId"] not in x.referrals \
                or day is None or r["AttendOrDNACode"] not in ATTEND_CODES:
            continue
        r["CareContDate"] = day
        x.contacts.append(r)

    # CYP607CodedScore: M fields valid, then the tool rules of score_usable.
    x.scores = []
    for r in t["CYP607CodedScore"]:
        value = parse_score(r["PersScore"])
        day = parse_date(r["AssToolCompDate"])
        if r["ServiceRequestId"] not in x.referrals \
                or r["CodedAssToolType"] == "" or value is None or day is None:
            continue
        r["PersScore"] = value
        r["AssToolCompDate"] = day
        if score_usable(r, tools):
            x.scores.append(r)
    return x


def score_usable(r, tools):
    """CYP: "an unknown code is a finding and the score is ignored";
    "outside the tool's min..max it is a finding and ignored"; GoalNumber
    "exactly 1, 2 or 3 for the goal tool; empty for symptom tools. A goal
    score without a valid goal number, or a symptom score with any goal
    number, is a finding and ignored"."""
    tool = tools.by_code.get(r["CodedAssToolType"])
    if tool is None:
        return False
    if not tool.min <= r["PersScore"] <= tool.max:
        return False
    if tool.kind == "goal":
        return r["GoalNumber"] in GOAL_NUMBERS
    return r["GoalNumber"] == ""


# ---------------------------------------------------------------------------
# Selection (CYP: "Every valid referral received on or before the period end
# and not closed before the period start ... with its contacts and scores
# dated on or before the period end")
# ---------------------------------------------------------------------------

class Referral:
    """One selected, used referral with its events up to the period end."""

    def __init__(self, org, sector, referral, patient, S, E, tools):
        self.org, self.sector = org, sector
        self.referral, self.patient = referral, patient
        self.S, self.E, self.tools = S, E, tools
        self.received = referral["ReferralRequestReceivedDate"]
        self.contacts = []      # valid CYP201 rows dated <= E, file order
        self.scores = []        # usable CYP607 rows dated <= E, file order


def is_selected(r, S, E):
    disch = r["ServDischDate"]
    return r["ReferralRequestReceivedDate"] <= E and (disch is None or disch >= S)


def referrals(x, S, E, tools):
    selected = {}
    for rid, r in x.referrals.items():
        if is_selected(r, S, E):
            selected[rid] = Referral(x.org, x.sector, r,
                                     x.patients[r["LocalPatientId"]],
                                     S, E, tools)
    # CYP: "Rows dated after the period end (contacts by CareContDate, scores
    # by AssToolCompDate) are validated but left out of the submission".
    for c in x.contacts:
        p = selected.get(c["ServiceRequestId"])
        if p is not None and c["CareContDate"] <= E:
            p.contacts.append(c)
    for s in x.scores:
        p = selected.get(s["ServiceRequestId"])
        if p is not None and s["AssToolCompDate"] <= E:
            p.scores.append(s)
    return [selected[rid] for rid in sorted(selected)]


# ---------------------------------------------------------------------------
# Per-referral derived fields (CYP "Per-referral derived fields")
# ---------------------------------------------------------------------------

def in_period(p, day):
    return day is not None and p.S <= day <= p.E


def closure_date(p):
    """CYP: "a closure after the period end is no closure yet"."""
    d = p.referral["ServDischDate"]
    return d if d is not None and d <= p.E else None


def closed_in_period(p):
    """CYP: "a valid ServDischDate within the period"."""
    return in_period(p, p.closure_date)


def attended_contacts(p):
    """CYP: "attended contact: AttendOrDNACode 5 or 6. The first / second
    attended contact is the earliest / second earliest by date; contacts on
    the same date keep their file order. Contacts count up to the period end
    whatever the closure date"."""
    att = [c for c in p.contacts if c["AttendOrDNACode"] in ATTENDED]
    att.sort(key=lambda c: (c["CareContDate"], c["_line"]))   # stable
    return att


def first_attended_contact(p):
    return p.attended[0]["CareContDate"] if p.attended else None


def second_attended_contact(p):
    return p.attended[1]["CareContDate"] if len(p.attended) >= 2 else None


def face_to_face(p):
    """CYP: "face to face: an attended contact with ConsMechanism 01"."""
    return any(c["ConsMechanism"] == FACE_TO_FACE for c in p.attended)


def wait(p):
    """CYP: "first attended contact date minus ReferralRequestReceivedDate,
    in whole days (negative when the data says so; used as written ...)"."""
    if p.first_attended is None:
        return None
    return (p.first_attended - p.received).days


class Series:
    """CYP "series": one symptom tool's, or one goal number's, valid scores
    in the window, ordered by date then file order."""

    def __init__(self, tool, goal_number, values):
        self.tool, self.goal_number = tool, goal_number
        self.first = values[0] if values else None
        self.last = values[-1] if values else None
        self.paired = len(values) >= 2      # "at least two scores"

    def moved_better(self):
        """Last - First in the better direction (a goal tool is higher)."""
        d = self.last - self.first
        return d if self.tool.better == "higher" else -d

    def reliable_improvement(self):
        """CYP: "Last - First moves in the tool's better direction / the other
        direction by at least its reliable_change"."""
        return self.paired and self.moved_better() >= self.tool.reliable_change

    def reliable_deterioration(self):
        """(the other direction)"""
        return self.paired and -self.moved_better() >= self.tool.reliable_change

    def at_caseness(self):
        """CYP: "symptom series at caseness: its First is at caseness", at
        caseness being ">= caseness (better=lower) or <= caseness
        (better=higher)"."""
        return self.tool.kind == "symptom" and self.first is not None and \
            score_at_caseness(self.tool, self.first)

    def eligible(self):
        """CYP: "a paired symptom series at caseness, or a paired goal
        series"."""
        return self.paired and (self.tool.kind == "goal" or self.at_caseness())


def score_at_caseness(tool, value):
    if tool.better == "lower":
        return value >= tool.caseness
    return value <= tool.caseness


def series(p):
    """CYP: "for each symptom tool, the referral's usable scores of that tool
    dated within the window (the referral date to the closure date, or to the
    period end when not closed, both days included) ...; for the goal tool,
    one series per GoalNumber".  Only series with a score are made."""
    start = p.received
    end = p.closure_date if p.closure_date is not None else p.E
    by_key = {}
    for s in p.scores:                              # file order
        if not start <= s["AssToolCompDate"] <= end:
            continue
        tool = p.tools.by_code[s["CodedAssToolType"]]
        key = (tool.code, s["GoalNumber"] if tool.kind == "goal" else "")
        by_key.setdefault(key, []).append(s)
    out = []
    for (code, goal_number) in sorted(by_key):
        rows = sorted(by_key[(code, goal_number)],
                      key=lambda s: (s["AssToolCompDate"], s["_line"]))
        out.append(Series(p.tools.by_code[code], goal_number,
                          [s["PersScore"] for s in rows]))
    return out


def goal_series(p):
    """Paired series of the table's one goal tool (CYP allows at most one
    goal row)."""
    return [s for s in p.series if s.paired and s.tool.kind == "goal"]


def paired_symptom_at_caseness(p):
    return [s for s in p.series
            if s.paired and s.tool.kind == "symptom" and s.at_caseness()]


def goal_movement(p):
    """CYP: "the mean of Last - First over its paired goal series"."""
    g = goal_series(p)
    if not g:
        return None
    return Fraction(sum(s.last - s.first for s in g), len(g))


def outcome_eligible(p):
    """CYP: "closed in the period, at least two attended contacts, at least
    one of them face to face, and at least one eligible series"."""
    return p.closed_in_period and len(p.attended) >= 2 and p.face_to_face \
        and any(s.eligible() for s in p.series)


def measurable_improvement(p):
    """CYP: "outcome-eligible, at least one eligible series reliably
    improved and no eligible series reliably deteriorated"."""
    el = [s for s in p.series if s.eligible()]
    return p.outcome_eligible and any(s.reliable_improvement() for s in el) \
        and not any(s.reliable_deterioration() for s in el)


def deterioration(p):
    """CYP: "outcome-eligible and at least one eligible series reliably
    deteriorated"."""
    el = [s for s in p.series if s.eligible()]
    return p.outcome_eligible and any(s.reliable_deterioration() for s in el)


def recovery_eligible(p):
    """C046: "outcome-eligible with at least one paired symptom series at
    caseness"."""
    return p.outcome_eligible and bool(paired_symptom_at_caseness(p))


def recovered(p):
    """CYP: "recovery-eligible, the Last of every paired symptom series at
    caseness is not at caseness ..., and no eligible series reliably
    deteriorated"."""
    cs = paired_symptom_at_caseness(p)
    return p.recovery_eligible \
        and all(not score_at_caseness(s.tool, s.last) for s in cs) \
        and not p.deterioration


def age_band(p):
    """CYP: "completed years on ReferralRequestReceivedDate in bands 0-4,
    5-10, 11-15, 16-17, 18-25, 26+, or unknown when the birth date is after
    the referral date" (the breakdown level is written Unknown)."""
    b, r = p.patient["PersonBirthDate"], p.received
    if b > r:
        return "Unknown"
    age = r.year - b.year - ((r.month, r.day) < (b.month, b.day))
    for limit, band in ((5, "0-4"), (11, "5-10"), (16, "11-15"),
                        (18, "16-17"), (26, "18-25")):
        if age < limit:
            return band
    return "26+"


def derive(p):
    """Every derived field, in dependency order."""
    p.closure_date = closure_date(p)
    p.closed_in_period = closed_in_period(p)
    p.attended = attended_contacts(p)
    p.first_attended = first_attended_contact(p)
    p.second_attended = second_attended_contact(p)
    p.face_to_face = face_to_face(p)
    p.wait = wait(p)
    p.series = series(p)
    p.goal_movement = goal_movement(p)
    p.outcome_eligible = outcome_eligible(p)
    p.measurable_improvement = measurable_improvement(p)
    p.deterioration = deterioration(p)
    p.recovery_eligible = recovery_eligible(p)
    p.recovered = recovered(p)
    p.age_band = age_band(p)
    return p


# ---------------------------------------------------------------------------
# What one referral adds to its groups
# ---------------------------------------------------------------------------

def contributions(p):
    """Counter of counts (C-ids, and 'referrals'), plus the wait (for C060,
    C061) and the goal movement (for C051), None when not counted."""
    c = Counter()
    c["referrals"] += 1
    src = p.referral["SourceOfReferral"]
    if in_period(p, p.received):
        c["C001"] += 1
        c["C002"] += src == "01"
        c["C003"] += src == "02"
        c["C004"] += src == "04"
    counted_wait = None
    if in_period(p, p.first_attended):
        c["C010"] += 1
        counted_wait = p.wait
        c["C062"] += p.wait <= 28
    if in_period(p, p.second_attended):
        c["C011"] += 1
    if p.closure_date is None:                      # C012 open at the end
        c["C012"] += 1
        if p.first_attended is None:                # C013 no attended contact
            c["C013"] += 1
            if (p.E - p.received).days > 126:       # C014 > 126 days
                c["C014"] += 1
    for contact in p.contacts:
        if in_period(p, contact["CareContDate"]):
            c["C020"] += contact["AttendOrDNACode"] in ATTENDED
            c["C021"] += contact["AttendOrDNACode"] == DNA
    movement = None
    if p.closed_in_period:
        c["C030"] += 1
        if len(p.attended) >= 2:
            c["C031"] += 1
            if any(s.paired for s in p.series):
                c["C032"] += 1
        if goal_series(p):
            c["C050"] += 1
            movement = p.goal_movement
            c["C052"] += movement >= p.tools.goal.reliable_change
    c["C040"] += p.outcome_eligible
    c["C041"] += p.measurable_improvement
    c["C043"] += p.deterioration
    c["C045"] += p.recovered
    c["C046"] += p.recovery_eligible
    return c, counted_wait, movement


class Acc:
    """Unrounded totals of one group (or bucket)."""

    def __init__(self):
        self.n = Counter()
        self.waits = Counter()          # wait -> referrals (C060, C061)
        self.goal_sum = Fraction(0)     # C051 sum over C050
        self.goal_n = 0

    def add(self, other):
        self.n.update(other.n)
        self.waits.update(other.waits)
        self.goal_sum += other.goal_sum
        self.goal_n += other.goal_n


def measure_values(acc):
    """(id, kind, parts...) for every measure in output order."""
    n = acc.n
    out = []
    for mid in MEASURE_ORDER:
        if mid in PERCENTAGES:
            num, den = PERCENTAGES[mid]
            d = sum(n[x] for x in den.split("+"))
            out.append((mid, "pct", n[num], d))
        elif mid == "C051":
            out.append((mid, "goalmean", acc.goal_n, acc.goal_sum))
        elif mid == "C060":
            w_n = sum(acc.waits.values())
            out.append((mid, "mean", w_n, sum(v * k for v, k in acc.waits.items())))
        elif mid == "C061":
            out.append((mid, "median", sum(acc.waits.values()), median(acc.waits)))
        else:
            out.append((mid, "count", n[mid]))
    return out


# ---------------------------------------------------------------------------
# Numbers and disclosure control (MEASURES.md, with CYP's rounding)
# ---------------------------------------------------------------------------

def round_half_away(x):
    """CYP: "rounding is half away from zero (-0.25 -> -0.3, 0.25 -> 0.3)"."""
    x = Fraction(x)
    n = (abs(x) + Fraction(1, 2)).__floor__()
    return -n if x < 0 else n


def one_decimal(x):
    """One decimal place, half away from zero; "-0.0 is never written"."""
    tenths = round_half_away(Fraction(x) * 10)
    sign = "-" if tenths < 0 else ""
    tenths = abs(tenths)
    return "%s%d.%d" % (sign, tenths // 10, tenths % 10)


def format_value(kind, parts, suppress):
    """MEASURE_VALUE_SUPPRESSED.  suppress: below England in the default
    output.  Suppression checks come before the empty rule (0 is under 5)."""
    if kind == "count":
        (count,) = parts
        if not suppress:
            return str(count)
        if count < 5:
            return "*"
        return str(round_half_away(Fraction(count, 5)) * 5)
    if kind == "pct":
        num, den = parts
        if suppress and (num < 5 or den < 5):
            return "*"
        if den == 0:
            return ""
        value = Fraction(100 * num, den)
        return str(round_half_away(value)) if suppress else one_decimal(value)
    if kind in ("mean", "goalmean"):
        count, total = parts
        # MEASURES.md: "a mean is * when its count or its sum is under 5";
        # CYP: C051 "its sum may be zero or negative and is not a
        # suppression test".
        if suppress and (count < 5 or (kind == "mean" and total < 5)):
            return "*"
        if count == 0:
            return ""
        return one_decimal(Fraction(total, count))
    if kind == "median":
        count, value = parts
        if suppress and count < 5:
            return "*"
        if count == 0:
            return ""
        return one_decimal(value)
    raise ValueError(kind)


# ---------------------------------------------------------------------------
# Breakdown levels
# ---------------------------------------------------------------------------

def gender_level(p):
    code = p.patient["GenderIdentity"]
    return dict(GENDER_LEVELS).get(code, "Unknown") if code in GENDER_CODES \
        else "Unknown"


def ethnicity_level(p):
    code = p.patient["EthnicCategory"]
    if code not in ETHNIC_CODES:
        return "Unknown"
    for _, name, codes in adult.ETHNIC_GROUPS:
        if code in codes:
            return name
    return "Not stated" if code == "Z" else "Not known"


def imd_level(p, imd):
    pc = normalised_postcode(p.patient["Postcode"])
    if pc is None:
        return "Unknown"
    for k in range(len(pc), 0, -1):
        if pc[:k] in imd:
            return imd[pc[:k]]
    return "Unknown"


def breakdown_level(p, name, imd):
    if name is None:
        return None
    r = p.referral
    if name == "age":
        return p.age_band
    if name == "gender":
        return gender_level(p)
    if name == "ethnicity":
        return ethnicity_level(p)
    if name == "imd":
        return imd_level(p, imd)
    if name == "team":
        return dict(TEAM_TYPES).get(r["TeamType"], "Unknown")
    if name == "reason":
        return dict(REASONS).get(r["PrimReasonReferral"], "Unknown")
    if name == "source":
        return dict(SOURCES).get(r["SourceOfReferral"], "Unknown")
    if name == "sector":
        return dict(SECTORS).get(p.sector, "Unknown")
    raise ValueError(name)


# ---------------------------------------------------------------------------
# Reference files
# ---------------------------------------------------------------------------

def load_providers(path):
    """providers.csv: org_code,org_name,home_subicb (the adult 'name' column
    is read when org_name is absent).  Returns {code: (name, home_subicb)};
    the first row of a code wins."""
    out = {}
    for r in read_small_csv(path):
        code = r.get("org_code", "")
        if code:
            out.setdefault(code, (r.get("org_name", r.get("name", "")),
                                  r.get("home_subicb", "")))
    return out


def load_population(path):
    """subicb_code -> population_0_19 (int), or None when the geography file
    has no population_0_19 column.  An empty or non-integer value is 0."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        header = [trim(h) for h in next(csv.reader(f), [])]
    if "population_0_19" not in header:
        return None
    pop = {}
    for r in read_small_csv(path):
        code = r.get("subicb_code", "")
        v = r.get("population_0_19", "")
        if code and code not in pop:
            pop[code] = int(v) if re.match(r"[0-9]+\Z", v) else 0
    return pop


# ---------------------------------------------------------------------------
# Whole computation
# ---------------------------------------------------------------------------

def month_referrals(extracts, period, tools, log=sys.stderr):
    """Yields (org, [derived referrals]) for every provider whose extract of
    the period is not refused."""
    S, E = period_bounds(period)
    if not os.path.isdir(extracts):
        return
    for org in sorted(os.listdir(extracts)):
        d = os.path.join(extracts, org, period)
        if not os.path.isdir(d):
            continue
        try:
            x = load_extract(d, org, S, E, tools)
        except Refused as e:
            print("provider %s skipped: %s" % (org, e), file=log)
            continue
        yield org, [derive(p) for p in referrals(x, S, E, tools)]


def group_keys(org, comm, geography, names, provider_names):
    """CYP: "Region, ICB and SubICB by the referral's commissioner
    (OrgIDComm) through the geography file (a commissioner missing from it
    counts for England and its provider only); Provider by the submitting
    provider"."""
    region_names, icb_names = names
    keys = [("England", "all", "all SubICBs", "all", "all Providers")]
    g = geography.get(comm)
    if g is not None:
        subicb_name, icb_code, _, region_code, _ = g
        keys.append(("Region", region_code, region_names[region_code],
                     "all", "all Providers"))
        keys.append(("ICB", icb_code, icb_names[icb_code], "all", "all Providers"))
        keys.append(("SubICB", comm, subicb_name, "all", "all Providers"))
    keys.append(("Provider", "all", "all SubICBs", org,
                 provider_names.get(org, ("", ""))[0]))
    return keys


def geography_names(geography):
    region_names, icb_names = {}, {}
    for _, icb_code, icb_name, region_code, region_name in geography.values():
        region_names.setdefault(region_code, region_name)
        icb_names.setdefault(icb_code, icb_name)
    return region_names, icb_names


def group_order(k):
    code = k[3] if k[0] == "Provider" else k[1]
    return (GROUP_TYPES.index(k[0]), code.encode("utf-8"))


def compute(extracts, period, geography, providers, tools, breakdown=None,
            imd=None, unsuppressed=False, log=sys.stderr):
    """The publication rows (lists of strings), header first."""
    S, E = period_bounds(period)
    groups = compute_groups(extracts, period, geography, providers, tools,
                            breakdown, imd, log)
    return publication_rows(groups, S, E, breakdown, unsuppressed)


# Measures that describe the period end (CYP C012-C014: "at the period
# end"): a quarter or year takes them from its last month with data
# (docs/CYP-NOTES.md "Stocks"); every other measure counts events of the
# month, so a span sums its months (docs/MEASURES-NOTES.md "Quarters and
# years").
STOCK_MEASURES = ("C012", "C013", "C014")


def compute_span(extracts, span, geography, providers, tools, breakdown=None,
                 imd=None, unsuppressed=False, log=sys.stderr):
    """A financial quarter or year: each month's groups computed as that
    month computes them, summed; the stocks from the span's last month in
    which England has a referral, 0 for a group absent from it."""
    months = adult.span_months(span)
    per_month = [compute_groups(extracts, m, geography, providers, tools,
                                breakdown, imd, log) for m in months]
    def drop(acc):
        for mid in STOCK_MEASURES:
            acc.n[mid] = 0
    groups = adult.merge_span(
        per_month,
        lambda g: any(a.n["referrals"] for a in g.get(adult.ENGLAND, {}).values()),
        Acc, drop)
    S = period_bounds(months[0])[0]
    E = period_bounds(months[-1])[1]
    return publication_rows(groups, S, E, breakdown, unsuppressed)


def compute_groups(extracts, period, geography, providers, tools, breakdown=None,
                   imd=None, log=sys.stderr):
    """group key -> {level: Acc} of one month."""
    S, E = period_bounds(period)
    imd = imd or {}
    names = geography_names(geography)
    groups = {}
    for org, refs in month_referrals(extracts, period, tools, log):
        if org not in providers:
            print("provider %s not in the providers file: empty name" % org,
                  file=log)
        for p in refs:
            c, w, movement = contributions(p)
            acc = Acc()
            acc.n.update(c)
            if w is not None:
                acc.waits[w] += 1
            if movement is not None:
                acc.goal_sum += movement
                acc.goal_n += 1
            level = breakdown_level(p, breakdown, imd)
            for k in group_keys(org, p.referral["OrgIDComm"], geography, names,
                                providers):
                groups.setdefault(k, {}).setdefault(level, Acc()).add(acc)
    return groups


def publication_rows(groups, S, E, breakdown, unsuppressed):
    header = OUTPUT_HEADER[:7] + (BREAKDOWN_COLUMNS if breakdown else []) + \
        OUTPUT_HEADER[7:]
    rows = [header]
    levels = BREAKDOWNS[breakdown][1] if breakdown else [None]
    for k in sorted(groups, key=group_order):
        suppress = k[0] != "England" and not unsuppressed
        for level in levels:
            acc = groups[k].get(level)
            if acc is None or acc.n["referrals"] == 0:
                continue
            for mid, kind, *parts in measure_values(acc):
                row = [S.isoformat(), E.isoformat()] + list(k)
                if breakdown:
                    row += [BREAKDOWNS[breakdown][0], level]
                row += [mid, MEASURE_NAMES[mid], format_value(kind, parts, suppress)]
                rows.append(row)
    return rows


# ---------------------------------------------------------------------------
# Programme view (CYP "Programme view"; layout in tests/reference/README.md)
# ---------------------------------------------------------------------------

PROGRAMME_HEADER = ["REPORTING_PERIOD_START", "REPORTING_PERIOD_END", "VIEW",
                    "GROUP_TYPE", "ORG_CODE", "ORG_NAME", "MEASURE",
                    "VALUE_SUPPRESSED"]


def previous_periods(period, n):
    """period and the n-1 months before it, oldest first."""
    y, m = int(period[:4]), int(period[5:7])
    out = []
    for _ in range(n):
        out.append("%04d-%02d" % (y, m))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


def month_summary(extracts, period, tools, geography, log):
    """(accepted providers, C011 England, C011 per region, CWP counts per
    provider) of one month.  A provider's submission is
    "accepted" when its extract is not refused and holds at least one
    selected, used referral (the gate refuses an empty one)."""
    accepted, c011_region, cwp = set(), Counter(), {}
    c011 = 0
    for org, refs in month_referrals(extracts, period, tools, log):
        if not refs:
            continue
        accepted.add(org)
        for p in refs:
            c, _, _ = contributions(p)
            c011 += c["C011"]
            g = geography.get(p.referral["OrgIDComm"])
            if g is not None:
                c011_region[g[3]] += c["C011"]
            if p.referral["TeamType"] == "CWP":
                cwp.setdefault(org, Counter()).update(c)
    return accepted, c011, c011_region, cwp


def programme(extracts, period, geography, providers, tools, population,
              unsuppressed=False, log=sys.stderr):
    """The programme-view rows, header first."""
    S, E = period_bounds(period)
    region_names, _ = geography_names(geography)
    rows = [PROGRAMME_HEADER]

    def row(view, gt, code, name, measure, value):
        rows.append([S.isoformat(), E.isoformat(), view, gt, code, name,
                     measure, value])

    def fmt(kind, parts, gt):
        return format_value(kind, parts, gt != "England" and not unsuppressed)

    months = previous_periods(period, 24)
    summaries = {m: month_summary(extracts, m, tools, geography, log)
                 for m in months}
    accepted = summaries[period][0]

    # Coverage: sub-ICBs that are the home_subicb of an accepted provider.
    covered = {providers[o][1] for o in accepted if o in providers}
    regions = sorted({g[3] for g in geography.values()},
                     key=lambda c: c.encode("utf-8"))
    cov_groups = [("England", "all", "England", None)] + \
        [("Region", r, region_names[r], r) for r in regions]
    for gt, code, name, region in cov_groups:
        subs = [s for s, g in geography.items() if region is None or g[3] == region]
        if population is None:
            total = cov = None
        else:
            total = sum(population.get(s, 0) for s in subs)
            cov = sum(population.get(s, 0) for s in subs if s in covered)
        row("coverage", gt, code, name, "Population_0_19",
            "" if total is None else fmt("count", (total,), gt))
        row("coverage", gt, code, name, "Population_0_19_Covered",
            "" if cov is None else fmt("count", (cov,), gt))
        row("coverage", gt, code, name, "Percentage_Coverage",
            "" if total is None else fmt("pct", (cov, total), gt))

    # Access growth: C011 over the 12 months to the period vs the 12 before;
    # empty unless every one of the 24 months has an accepted submission.
    complete = all(summaries[m][0] for m in months)
    for gt, code, name, region in cov_groups:
        def total(ms):
            if region is None:
                return sum(summaries[m][1] for m in ms)
            return sum(summaries[m][2][region] for m in ms)
        if complete:
            recent, earlier = total(months[12:]), total(months[:12])
            vals = (fmt("count", (recent,), gt), fmt("count", (earlier,), gt),
                    format_growth(recent, earlier,
                                  gt != "England" and not unsuppressed))
        else:
            vals = ("", "", "")
        for measure, v in zip(("Count_SecondContact12Months",
                               "Count_SecondContactPrevious12Months",
                               "Count_AccessGrowth"), vals):
            row("access_growth", gt, code, name, measure, v)

    # CWP teams: per provider with TeamType CWP referrals.
    for org in sorted(summaries[period][3], key=lambda c: c.encode("utf-8")):
        n = summaries[period][3][org]
        name = providers.get(org, ("", ""))[0]
        for mid in ("C010", "C011"):
            row("cwp_teams", "Provider", org, name, mid,
                fmt("count", (n[mid],), "Provider"))
        row("cwp_teams", "Provider", org, name, "C042",
            fmt("pct", (n["C041"], n["C040"]), "Provider"))
    return rows


def format_growth(recent, earlier, suppress):
    """The difference of two counts: exact at England; below England `*`
    when either sum is under 5, else rounded to the nearest 5 (half away
    from zero)."""
    d = recent - earlier
    if not suppress:
        return str(d)
    if recent < 5 or earlier < 5:
        return "*"
    return str(round_half_away(Fraction(d, 5)) * 5)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--extracts", required=True)
    span = ap.add_mutually_exclusive_group(required=True)
    span.add_argument("--period")
    span.add_argument("--quarter", help="a financial quarter, 2025/26-Q2")
    span.add_argument("--year", help="a financial year, 2025/26")
    ap.add_argument("--geography", required=True)
    ap.add_argument("--providers", required=True)
    ap.add_argument("--tools", default=DEFAULT_TOOLS)
    ap.add_argument("--unsuppressed", action="store_true")
    ap.add_argument("--breakdown", choices=sorted(BREAKDOWNS))
    ap.add_argument("--imd")
    ap.add_argument("--programme", action="store_true",
                    help="write the programme view instead of the measures")
    ap.add_argument("--out")
    a = ap.parse_args(argv)
    try:
        tools = load_tools(a.tools)
    except (OSError, UnicodeDecodeError, BadTools) as e:
        print("tool table refused: %s" % e, file=sys.stderr)
        return 2
    geography = load_geography(a.geography)
    providers = load_providers(a.providers)
    if a.programme and not a.period:
        ap.error("--programme takes --period")
    if a.quarter or a.year:
        try:
            rows = compute_span(a.extracts, a.quarter or a.year, geography, providers,
                                tools, a.breakdown, load_imd(a.imd), a.unsuppressed)
        except ValueError as e:
            print(e, file=sys.stderr)
            return 2
    elif a.programme:
        rows = programme(a.extracts, a.period, geography, providers, tools,
                         load_population(a.geography), a.unsuppressed)
    else:
        rows = compute(a.extracts, a.period, geography, providers, tools,
                       a.breakdown, load_imd(a.imd), a.unsuppressed)
    out = open(a.out, "w", encoding="utf-8", newline="") if a.out else sys.stdout
    try:
        csv.writer(out, lineterminator="\n").writerows(rows)
    finally:
        if a.out:
            out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
