#!/usr/bin/python3
"""Independent reference computation of the monthly measures.

Reads one extract per provider (DIR/<ORG>/<YYYY-MM>/IDS*.csv), validates it
by docs/EXTRACT-NOTES.md, derives the per-referral fields and the core
measures of docs/MEASURES-NOTES.md, and writes the publication CSV.

    iapt_reference.py --extracts DIR --period YYYY-MM --geography FILE
                      --providers FILE [--tools FILE] [--unsuppressed]
                      [--breakdown NAME] [--imd FILE] [--out FILE]

Standard library only; exact arithmetic (int and Fraction) throughout.
The code follows the written rules one by one; quotes in comments are from
docs/EXTRACT-NOTES.md ("EN"), docs/MEASURES-NOTES.md ("MN"), the contracts
EXTRACT.md / MEASURES.md, and docs/FORMATS.md.
"""

import argparse
import calendar
import csv
import datetime
import io
import math
import os
import re
import sys
from collections import Counter
from fractions import Fraction

# ---------------------------------------------------------------------------
# Constants from the specifications
# ---------------------------------------------------------------------------

# MN "Order of measures in output", with MEASURE_NAME = "the measure_name
# column of the official TSV for the id" (copied from
# talking-therapies-monthly-measures.tsv; test_reference.py checks the copy).
MEASURES = (
    ("M001", "Count_ReferralsReceived"),
    ("M002", "Count_SelfReferrals"),
    ("M003", "Count_GPReferrals"),
    ("M023", "Count_FirstAssessment"),
    ("M031", "Count_AccessingServices"),
    ("M036", "Count_AccessingServices6Weeks"),
    ("M037", "Count_AccessingServices18Weeks"),
    ("M038", "Count_WaitingForTreatment"),
    ("M044", "Count_WaitingForTreatmentOver18weeks"),
    ("M056", "Count_EndedReferrals"),
    ("M057", "Count_EndedNotSuitable"),
    ("M058", "Count_EndedSignposted"),
    ("M059", "Count_EndedMutualAgreement"),
    ("M060", "Count_EndedReferredElsewhere"),
    ("M061", "Count_EndedDeclined"),
    ("M062", "Count_EndedDeceasedAssessedOnly"),
    ("M063", "Count_EndedUnknownAssessedOnly"),
    ("M066", "Count_EndedCompleted"),
    ("M069", "Count_EndedDeceasedTreated"),
    ("M070", "Count_EndedUnknownTreated"),
    ("M073", "Count_EndedNotSeen"),
    ("M074", "Count_EndedSeenNotTreated"),
    ("M075", "Count_EndedTreatedOnce"),
    ("M076", "Count_FinishedCourseTreatment"),
    ("M082", "Count_Appointments"),
    ("M083", "Count_ApptsCancelledPatient"),
    ("M084", "Count_ApptsDNA"),
    ("M085", "Count_ApptsCancelledProvider"),
    ("M086", "Count_ApptsAttended"),
    ("M087", "Count_ApptsAttendedLate"),
    ("M088", "Count_ApptsLateNotSeen"),
    ("M110", "Count_CBTAppts"),
    ("M104", "Count_CounselDepAppts"),
    ("M179", "Count_NotAtCaseness"),
    ("M184", "Count_SecondTreatment"),
    ("M185", "Count_ReliableImprovement"),
    ("M187", "Count_NoReliableChange"),
    ("M189", "Count_ReliableDeterioration"),
    ("M191", "Count_Recovery"),
    ("M193", "Count_ReliableRecovery"),
    ("M201", "Count_PairedPHQ"),
    ("M198", "Count_PairedADSMOrGAD"),
    ("M237", "Count_OffSickPay"),
    ("M048", "Mean_WaitAccessingServices"),
    ("M049", "Median_WaitAccessingServices"),
    ("M053", "Percentage_AccessingServices6WeeksFinishedCourseTreatment"),
    ("M055", "Percentage_AccessingServices18WeeksFinishedCourseTreatment"),
    ("M141", "Mean_ApptsFinishedCourseTreatment"),
    ("M142", "Median_ApptsFinishedCourseTreatment"),
    ("M180", "Percentage_NotAtCaseness"),
    ("M186", "Percentage_ReliableImprovement"),
    ("M1010", "Percentage_ReliableDeterioration"),
    ("M192", "Percentage_Recovery"),
    ("M195", "Percentage_ReliableRecovery"),
    ("M206", "Percentage_ReliableRecovery_EthnicGroupWhite"),
    ("M207", "Percentage_ReliableRecovery_EthnicGroupAsianOrAsianBritish"),
    ("M208", "Percentage_ReliableRecovery_EthnicGroupBlackOrBlackBritish"),
    ("M209", "Percentage_ReliableRecovery_EthnicGroupMixed"),
    ("M210", "Percentage_ReliableRecovery_EthnicGroupOther"),
)
MEASURE_ORDER = [mid for mid, _ in MEASURES]
MEASURE_NAMES = dict(MEASURES)
# The measures that are not plain counts (MN "Rates, means, medians").
RATE_MEASURES = set(
    "M048 M049 M053 M055 M141 M142 M180 M186 M1010 M192 M195 "
    "M206 M207 M208 M209 M210".split())

OUTPUT_HEADER = [
    "REPORTING_PERIOD_START", "REPORTING_PERIOD_END", "GROUP_TYPE",
    "ORG_CODE1", "ORG_NAME1", "ORG_CODE2", "ORG_NAME2",
    "MEASURE_ID", "MEASURE_NAME", "MEASURE_VALUE_SUPPRESSED",
]
BREAKDOWN_COLUMNS = ["BREAKDOWN", "BREAKDOWN_LEVEL"]

GROUP_TYPES = ("England", "Region", "ICB", "SubICB", "Provider")

# EN "Field validity" code lists.
GENDER_CODES = {"1", "2", "3", "4", "X", "Z"}
ETHNIC_CODES = set("A B C D E F G H J K L M N P R S Z 99".split())
SOURCE_CODES = (
    "A1 A2 A3 A4 B1 B2 C1 C2 C3 D1 D2 E1 E2 E3 E4 E5 E6 F1 F2 F3 G1 G2 G3 G4 "
    "H1 H2 I1 I2 M1 M2 M3 M4 M5 M6 M7 M8 N1 N2 N4 P1 Q1"
).split()
END_CODES = set("10 11 12 13 14 16 17 46 47 48 49 50 95 96".split())
APP_TYPES = set("01 02 03 04 05 06 10".split())
ATTEND_CODES = set("2 3 4 5 6 7".split())

# MN "Treatment appointment: AppType in {02, 03, 05} and AttendOrDNACode in
# {5, 6}. Assessment appointment: AppType in {01, 03} and AttendOrDNACode in
# {5, 6}."
TREATMENT_APP_TYPES = {"02", "03", "05"}
ASSESSMENT_APP_TYPES = {"01", "03"}
ATTENDED = {"5", "6"}

# MN core measures: end codes of M057..M070.
END_CODE_MEASURES = (
    ("M057", "10"), ("M058", "11"), ("M059", "12"), ("M060", "13"),
    ("M061", "14"), ("M062", "17"), ("M063", "95"), ("M066", "46"),
    ("M069", "49"), ("M070", "96"),
)
# MN: "M083 M084 M085 M086 M087 M088 | AttendOrDNACode 2 3 4 5 6 7".
ATTEND_MEASURES = (
    ("M083", "2"), ("M084", "3"), ("M085", "4"),
    ("M086", "5"), ("M087", "6"), ("M088", "7"),
)
CBT_CODES = {"304891004", "228557008"}
COUNSELLING_DEPRESSION_CODES = {"286711000000107"}

# MN "Ethnic groups for M206-M210 (the patient's EthnicCategory as written)".
ETHNIC_GROUPS = (
    ("M206", "White", {"A", "B", "C"}),
    ("M207", "Asian", {"H", "J", "K", "L"}),
    ("M208", "Black", {"M", "N", "P"}),
    ("M209", "Mixed", {"D", "E", "F", "G"}),
    ("M210", "Other", {"R", "S"}),
)

# MEASURES.md "Therapy types", named as in MN's therapy breakdown, in its order.
THERAPY_TYPES = (
    ("Guided self-help (book)", {"748051000000105"}),
    ("Non-guided self-help (book)", {"748101000000105"}),
    ("Guided self-help (computer)", {"748041000000107"}),
    ("Non-guided self-help (computer)", {"748091000000102"}),
    ("Structured physical activity", {"748061000000108"}),
    ("Psychoeducational peer support", {"702545008"}),
    ("Other low intensity", {"1026111000000108"}),
    ("Applied relaxation", {"1127281000000100"}),
    ("Couples therapy for depression", {"1129471000000105"}),
    ("Collaborative care", {"842901000000108"}),
    ("Counselling for depression", {"286711000000107"}),
    ("Brief psychodynamic psychotherapy", {"314034001"}),
    ("EMDR", {"449030000"}),
    ("Mindfulness", {"933221000000107"}),
    ("Other high intensity", {"1026131000000100"}),
    ("Cognitive behaviour therapy", {"304891004", "228557008"}),
    ("Interpersonal psychotherapy", {"443730003"}),
    ("Employment support", {"1098051000000103"}),
)
THERAPY_BY_CODE = {code: name for name, codes in THERAPY_TYPES for code in codes}

# MN breakdown "problem": names and ICD-10 prefixes, in the table's order.
PROBLEM_TYPES = (
    ("Depression", ("F32", "F33")),
    ("Generalised anxiety disorder", ("F411",)),
    ("Mixed anxiety and depressive disorder", ("F412",)),
    ("Panic disorder", ("F410",)),
    ("Agoraphobia", ("F400",)),
    ("Social phobia", ("F401",)),
    ("Specific phobias", ("F402",)),
    ("Obsessive compulsive disorder", ("F42",)),
    ("Post-traumatic stress disorder", ("F431",)),
    ("Health anxiety", ("F452",)),
    ("Eating disorders", ("F50",)),
)

AGE_BANDS = ("Under 18", "18-25", "26-35", "36-45", "46-55", "56-64",
             "65-74", "75+", "Unknown")
GENDER_LEVELS = (("1", "Male"), ("2", "Female"), ("3", "Non-binary"),
                 ("4", "Other"), ("X", "Not known"), ("Z", "Not stated"))

# MN "Breakdowns (extension)": BREAKDOWN column text and level order.
BREAKDOWNS = {
    "age": ("Age band at referral", list(AGE_BANDS)),
    "gender": ("Gender identity",
               [name for _, name in GENDER_LEVELS] + ["Unknown"]),
    "ethnicity": ("Ethnic group",
                  ["White", "Mixed", "Asian", "Black", "Other",
                   "Not stated", "Not known", "Unknown"]),
    "imd": ("IMD decile", [str(d) for d in range(1, 11)] + ["Unknown"]),
    "problem": ("Primary problem descriptor",
                [name for name, _ in PROBLEM_TYPES] + ["Other", "Unknown"]),
    "therapy": ("Main therapy type",
                [name for name, _ in THERAPY_TYPES] + ["None"]),
    "source": ("Referral source", sorted(SOURCE_CODES) + ["Unknown"]),
    "ltc": ("Long-term condition", ["Yes", "No"]),
}

# EXTRACT.md table files; mandatory (M) columns of each.  A present file
# lacking one of these columns refuses the extract (EN "Reading").
TABLES = {
    "IDS000Header": ("OrgIDProv", "ReportingPeriodStartDate",
                     "ReportingPeriodEndDate"),
    "IDS001MPI": ("LocalPatientId", "PersonBirthDate"),
    "IDS101Referral": ("ServiceRequestId", "LocalPatientId", "OrgIDComm",
                       "ReferralRequestReceivedDate"),
    "IDS201CareContact": ("CareContactId", "ServiceRequestId", "CareContDate",
                          "AppType", "AttendOrDNACode"),
    "IDS202CareActivity": ("CareActId", "CareContactId"),
    "IDS603PresentingComplaints": ("ServiceRequestId", "PresComp"),
    "IDS606CodedScoreAssessmentRefer": ("ServiceRequestId", "CodedAssToolType",
                                        "PersScore", "AssToolCompDate"),
    "IDS607CodedScoreAssessmentAct": ("CareActId", "CodedAssToolType",
                                      "PersScore"),
    "IDS004EmpStatus": ("LocalPatientId", "EmployStatusRecDate"),
    "IDS602LongTermCondition": ("LocalPatientId", "LongTermCondition"),
}
# The other (R and O) columns read from each table.
OPTIONAL_COLUMNS = {
    "IDS000Header": ("DateTimeDatSetCreate", "PrimSystemInUse"),
    "IDS001MPI": ("NHSNumber", "Postcode", "GenderIdentity", "EthnicCategory"),
    "IDS101Referral": ("SourceOfReferralIAPT", "ServDischDate", "EndCode"),
    "IDS201CareContact": ("ConsMechanism",),
    "IDS202CareActivity": ("CodeProcAndProcStatus",),
    "IDS603PresentingComplaints": ("PresCompCodSig", "PresCompDate"),
    "IDS606CodedScoreAssessmentRefer": (),
    "IDS607CodedScoreAssessmentAct": (),
    "IDS004EmpStatus": ("EmployStatus", "SSPInd", "BenefitRecInd"),
    "IDS602LongTermCondition": (),
}
# EXTRACT.md: "A table file that is absent is treated as empty, except
# IDS000Header.csv, IDS001MPI.csv and IDS101Referral.csv, which are required."
REQUIRED_FILES = ("IDS000Header", "IDS001MPI", "IDS101Referral")

# EN "Structural CSV errors (unterminated quote, NUL byte, invalid UTF-8, a
# field over 64 KiB, more than 256 columns) refuse the whole extract".
MAX_FIELD_BYTES = 64 * 1024
MAX_COLUMNS = 256
MAX_ID_BYTES = 64

csv.field_size_limit(1 << 30)   # the 64 KiB rule is checked below, by us


# ---------------------------------------------------------------------------
# Value checks (EN "Field validity")
# ---------------------------------------------------------------------------

DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
SCORE_RE = re.compile(r"-?[0-9]+(\.[0-9]{1,2})?\Z")
SNOMED_RE = re.compile(r"[0-9]{6,18}\Z")
COMMISSIONER_RE = re.compile(r"[A-Z0-9]{3,5}\Z")
PRESCOMP_RE = re.compile(r"[A-Z][0-9]{2}[0-9A-Z]{0,2}\Z")
POSTCODE_RE = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}\Z")
TOOL_NUMBER_RE = SCORE_RE


def parse_date(text):
    """EXTRACT.md: "A date is valid only as YYYY-MM-DD naming a real day
    (2024-02-30 is invalid)."  Returns a datetime.date or None."""
    if not DATE_RE.match(text):
        return None
    try:
        return datetime.date(int(text[0:4]), int(text[5:7]), int(text[8:10]))
    except ValueError:
        return None


def parse_score(text):
    """EN PersScore: "optional -, digits, optionally . and 1-2 digits".
    Returns a Fraction or None."""
    if not SCORE_RE.match(text):
        return None
    return Fraction(text)


def valid_id(text):
    """EN: "non-empty, at most 64 bytes"."""
    return text != "" and len(text.encode("utf-8")) <= MAX_ID_BYTES


def normalised_postcode(text):
    """EN Postcode: "after upper-casing and removing spaces:
    [A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}".  Returns the normalised postcode
    when valid, else None (an invalid optional value matches nothing)."""
    pc = text.upper().replace(" ", "")
    return pc if POSTCODE_RE.match(pc) else None


# ---------------------------------------------------------------------------
# Reading CSV files (EN "Reading")
# ---------------------------------------------------------------------------

class Refused(Exception):
    """The whole extract is refused."""


def trim(cell):
    """EN: "Every cell is trimmed of spaces and tabs before anything else." """
    return cell.strip(" \t")


def read_csv_records(path):
    """Parse a file into lists of trimmed cells, blank lines dropped.

    Raises Refused on the structural errors of EN "Reading"."""
    with open(path, "rb") as f:
        data = f.read()
    if b"\x00" in data:
        raise Refused("%s: NUL byte" % path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Refused("%s: invalid UTF-8 at byte %d" % (path, e.start))
    if text.startswith("\ufeff"):          # EXTRACT.md "optional UTF-8 BOM"
        text = text[1:]
    records = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        for raw in reader:
            if len(raw) > MAX_COLUMNS:
                raise Refused("%s:%d: more than %d columns"
                              % (path, reader.line_num, MAX_COLUMNS))
            for cell in raw:
                if len(cell) * 4 > MAX_FIELD_BYTES and \
                        len(cell.encode("utf-8")) > MAX_FIELD_BYTES:
                    raise Refused("%s:%d: field over 64 KiB"
                                  % (path, reader.line_num))
            cells = [trim(c) for c in raw]
            # EN: "A line with a single empty cell (a blank line) is skipped,
            # not a row."
            if len(cells) == 0 or (len(cells) == 1 and cells[0] == ""):
                continue
            records.append(cells)
    except csv.Error as e:
        raise Refused("%s:%d: %s" % (path, reader.line_num, e))
    return records


def read_table(extract_dir, table):
    """Rows of one table as dicts of the columns EXTRACT.md names ("" when the
    column is absent).  Ragged rows are rejected here (EN "A row whose number
    of cells differs from the header's is rejected").  Each row also carries
    '_line', its position in the file (for "file order")."""
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
    columns = [(name, position.get(name)) for name in
               TABLES[table] + OPTIONAL_COLUMNS[table]]
    width = len(header)
    rows = []
    for line, cells in enumerate(records[1:], start=1):
        if len(cells) != width:
            continue                       # ragged-row: rejected
        row = {name: (cells[i] if i is not None else "") for name, i in columns}
        row["_line"] = line
        rows.append(row)
    return rows


def count_ids(rows, field):
    """How often each non-empty id occurs in its file.  EN: "An id occurring
    more than once in its file rejects every row carrying it." """
    return Counter(r[field] for r in rows if r[field] != "")


# ---------------------------------------------------------------------------
# Validation of one extract (EN "Field validity", cascade in its order)
# ---------------------------------------------------------------------------

class Extract:
    """The valid rows of one provider's extract, indexed for derivation."""


def check_header(extract_dir, org, period_start, period_end):
    """EN: "a header file that is not exactly one row with OrgIDProv = the
    node's organisation, ReportingPeriodStartDate = first day and
    ReportingPeriodEndDate = last day of the period: the extract is refused
    as a whole."  (A ragged header row is not a row, so it refuses too.)"""
    path = os.path.join(extract_dir, "IDS000Header.csv")
    if not os.path.exists(path):
        raise Refused("%s: required file missing" % path)
    records = read_csv_records(path)
    rows = read_table(extract_dir, "IDS000Header")
    if len(records) != 2 or len(rows) != 1:
        raise Refused("%s: header is not exactly one row" % path)
    h = rows[0]
    if h["OrgIDProv"] != org:
        raise Refused("%s: OrgIDProv %r is not the provider %r"
                      % (path, h["OrgIDProv"], org))
    if h["ReportingPeriodStartDate"] != period_start.isoformat() or \
            h["ReportingPeriodEndDate"] != period_end.isoformat():
        raise Refused("%s: reporting period %s..%s is not %s..%s"
                      % (path, h["ReportingPeriodStartDate"],
                         h["ReportingPeriodEndDate"], period_start, period_end))


def load_extract(extract_dir, org, S, E):
    """Validate one extract; returns an Extract holding only valid rows.

    Cascade order (EN): patients, referrals, contacts, activities, then the
    rows hanging off them (IDS603/606 off referrals, IDS607 off activities,
    IDS004/602 off patients)."""
    check_header(extract_dir, org, S, E)
    # Read every table first: a structural error anywhere refuses the whole.
    t = {name: read_table(extract_dir, name) for name in TABLES
         if name != "IDS000Header"}
    x = Extract()
    x.org = org

    # IDS001MPI: LocalPatientId M (unique), PersonBirthDate M.
    ids = count_ids(t["IDS001MPI"], "LocalPatientId")
    x.patients = {}
    for r in t["IDS001MPI"]:
        pid = r["LocalPatientId"]
        birth = parse_date(r["PersonBirthDate"])
        if not valid_id(pid) or ids[pid] > 1 or birth is None:
            continue
        # NHSNumber: an invalid check digit "is a finding but does not reject
        # the patient" -- it plays no part in the measures.
        r["PersonBirthDate"] = birth
        x.patients[pid] = r

    # IDS101Referral.
    ids = count_ids(t["IDS101Referral"], "ServiceRequestId")
    x.referrals = {}
    for r in t["IDS101Referral"]:
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

    # IDS201CareContact.
    ids = count_ids(t["IDS201CareContact"], "CareContactId")
    x.contacts = {}
    for r in t["IDS201CareContact"]:
        cid = r["CareContactId"]
        day = parse_date(r["CareContDate"])
        if not valid_id(cid) or ids[cid] > 1 \
                or r["ServiceRequestId"] not in x.referrals \
                or day is None \
                or r["AppType"] not in APP_TYPES \
                or r["AttendOrDNACode"] not in ATTEND_CODES:
            continue
        r["CareContDate"] = day
        x.contacts[cid] = r

    # IDS202CareActivity.
    ids = count_ids(t["IDS202CareActivity"], "CareActId")
    x.activities = {}
    for r in t["IDS202CareActivity"]:
        aid = r["CareActId"]
        if not valid_id(aid) or ids[aid] > 1 \
                or r["CareContactId"] not in x.contacts:
            continue
        x.activities[aid] = r

    # IDS603PresentingComplaints (off referrals).
    x.complaints = []
    for r in t["IDS603PresentingComplaints"]:
        if r["ServiceRequestId"] not in x.referrals \
                or not PRESCOMP_RE.match(r["PresComp"]):
            continue
        r["PresCompDate"] = parse_date(r["PresCompDate"])
        x.complaints.append(r)

    # IDS606CodedScoreAssessmentRefer (off referrals).
    x.scores606 = []
    for r in t["IDS606CodedScoreAssessmentRefer"]:
        value = parse_score(r["PersScore"])
        day = parse_date(r["AssToolCompDate"])
        if r["ServiceRequestId"] not in x.referrals \
                or not SNOMED_RE.match(r["CodedAssToolType"]) \
                or value is None or day is None:
            continue
        r["PersScore"] = value
        r["AssToolCompDate"] = day
        x.scores606.append(r)

    # IDS607CodedScoreAssessmentAct (off activities).
    x.scores607 = []
    for r in t["IDS607CodedScoreAssessmentAct"]:
        value = parse_score(r["PersScore"])
        if r["CareActId"] not in x.activities \
                or not SNOMED_RE.match(r["CodedAssToolType"]) \
                or value is None:
            continue
        r["PersScore"] = value
        x.scores607.append(r)

    # IDS004EmpStatus (off patients).
    x.employment = []
    for r in t["IDS004EmpStatus"]:
        day = parse_date(r["EmployStatusRecDate"])
        if r["LocalPatientId"] not in x.patients or day is None:
            continue
        r["EmployStatusRecDate"] = day
        x.employment.append(r)

    # IDS602LongTermCondition (off patients).
    x.ltc_patients = set()
    for r in t["IDS602LongTermCondition"]:
        if r["LocalPatientId"] in x.patients and r["LongTermCondition"] != "":
            x.ltc_patients.add(r["LocalPatientId"])
    return x


# ---------------------------------------------------------------------------
# Assessment tools (MEASURES.md "Assessment tools"; tools.h file format)
# ---------------------------------------------------------------------------

class Tool:
    def __init__(self, name, code, lo, hi, caseness, reliable_change, role,
                 descriptors):
        self.name = name
        self.code = code
        self.min = lo
        self.max = hi
        self.caseness = caseness
        self.reliable_change = reliable_change
        self.role = role
        self.descriptors = descriptors


class Tools:
    def __init__(self, tools):
        self.all = tools
        self.by_code = {}
        for tool in tools:
            self.by_code.setdefault(tool.code, tool)
        dep = [t for t in tools if t.role == "depression"]
        anx = [t for t in tools if t.role == "anxiety"]
        if len(dep) != 1 or len(anx) != 1:
            raise ValueError("the tool table needs exactly one depression "
                             "and one anxiety row")
        self.depression = dep[0]
        self.anxiety = anx[0]
        self.adsms = [t for t in tools if t.role == "adsm"]

    def adsm_for(self, problem_code):
        """MN: "If an ADSM row of the tool table has a descriptor that is a
        prefix of PD (longest prefix wins)".  Equal lengths: first row."""
        best, best_len = None, -1
        if problem_code is None:
            return None
        for tool in self.adsms:
            for prefix in tool.descriptors:
                if problem_code.startswith(prefix) and len(prefix) > best_len:
                    best, best_len = tool, len(prefix)
        return best


def default_tools():
    """MEASURES.md table: PHQ-9 and GAD-7."""
    return Tools([
        Tool("PHQ-9", "720433000", Fraction(0), Fraction(27), Fraction(10),
             Fraction(6), "depression", []),
        Tool("GAD-7", "445455005", Fraction(0), Fraction(21), Fraction(8),
             Fraction(4), "anxiety", []),
    ])


def load_tools(path):
    """Header tool,snomed_code,min,max,caseness,reliable_change,role,
    descriptors; role depression | anxiety | adsm; descriptors a
    ';'-separated list of ICD-10 prefixes."""
    def number(text, what):
        if not TOOL_NUMBER_RE.match(text):
            raise ValueError("%s: bad %s %r" % (path, what, text))
        return Fraction(text)
    tools = []
    with open(path, encoding="utf-8-sig", newline="") as f:
        for r in csv.DictReader(f):
            r = {k: trim(v or "") for k, v in r.items() if k is not None}
            if not any(r.values()):
                continue
            role = r["role"]
            if role not in ("depression", "anxiety", "adsm"):
                raise ValueError("%s: bad role %r" % (path, role))
            descriptors = [trim(d) for d in r.get("descriptors", "").split(";")
                           if trim(d)]
            tools.append(Tool(r["tool"], r["snomed_code"],
                              number(r["min"], "min"), number(r["max"], "max"),
                              number(r["caseness"], "caseness"),
                              number(r["reliable_change"], "reliable_change"),
                              role, descriptors))
    return Tools(tools)


# ---------------------------------------------------------------------------
# Per-referral derived fields (MN "Events of a referral", "Scores", ...)
# ---------------------------------------------------------------------------

class Pathway:
    """One selected, used referral with its events up to the period end."""

    def __init__(self, referral, patient, S, E, tools):
        self.referral = referral
        self.patient = patient
        self.S = S
        self.E = E
        self.tools = tools
        self.contacts = []        # valid IDS201 rows dated <= E
        self.activities = {}      # CareContactId -> [IDS202 rows]
        self.scores = []          # (date, source 0=IDS606 1=IDS607, line, code, value)
        self.complaints = []      # valid IDS603 candidates
        self.employment = []      # valid IDS004 rows of the patient, <= E
        self.has_ltc = False


def in_period(p, day):
    """MN: "in period" means S <= date <= E."""
    return day is not None and p.S <= day <= p.E


def ServDischDate(p):
    """MN: "A discharge date after E counts as no discharge (its EndCode is
    ignored). 'Discharged' below means a valid ServDischDate <= E." """
    day = p.referral["ServDischDate"]
    return day if day is not None and day <= p.E else None


def EndCode(p):
    """The end code, only for a referral discharged by E."""
    return p.referral["EndCode"] if p.ServDischDate is not None else None


def CareContact_Count(p):
    """MN: "Appointments: valid IDS201 rows of the referral. CareContact_Count
    = their number (any attendance code)." (rows dated <= E)"""
    return len(p.contacts)


def is_treatment_appointment(contact):
    """MN: "AppType in {02, 03, 05} and AttendOrDNACode in {5, 6}"."""
    return contact["AppType"] in TREATMENT_APP_TYPES and \
        contact["AttendOrDNACode"] in ATTENDED


def is_assessment_appointment(contact):
    """MN: "AppType in {01, 03} and AttendOrDNACode in {5, 6}"."""
    return contact["AppType"] in ASSESSMENT_APP_TYPES and \
        contact["AttendOrDNACode"] in ATTENDED


def treatment_dates(p):
    """Treatment appointment dates in ascending order (duplicates kept:
    "two on one day: the second date is that day")."""
    return sorted(c["CareContDate"] for c in p.contacts
                  if is_treatment_appointment(c))


def TherapySession_FirstDate(p):
    d = p.treatment_dates
    return d[0] if d else None


def TherapySession_SecondDate(p):
    d = p.treatment_dates
    return d[1] if len(d) >= 2 else None


def TherapySession_LastDate(p):
    d = p.treatment_dates
    return d[-1] if d else None


def TreatmentCareContact_Count(p):
    return len(p.treatment_dates)


def Assessment_FirstDate(p):
    """MN: "the earliest assessment appointment date"."""
    d = [c["CareContDate"] for c in p.contacts if is_assessment_appointment(c)]
    return min(d) if d else None


def CompletedTreatment_Flag(p):
    """MN: "Finished: discharged and TreatmentCareContact_Count >= 2"."""
    return p.ServDischDate is not None and p.TreatmentCareContact_Count >= 2


def Wait(p):
    """MN: "TherapySession_FirstDate - ReferralRequestReceivedDate (may be
    negative when the data says so; used as written)"."""
    if p.TherapySession_FirstDate is None:
        return None
    return (p.TherapySession_FirstDate
            - p.referral["ReferralRequestReceivedDate"]).days


def Validated_PresentingComplaint(p):
    """Primary problem descriptor (MN): "Candidates: the referral's valid
    IDS603 rows (PresCompDate <= E, or no valid PresCompDate). If any has
    PresCompCodSig 1, only those compete. The winner has the latest valid
    PresCompDate (rows without one rank before dated rows); ties: the
    earliest line in the file."  Returns the PresComp code or None."""
    candidates = p.complaints
    if any(r["PresCompCodSig"] == "1" for r in candidates):
        candidates = [r for r in candidates if r["PresCompCodSig"] == "1"]
    best = None
    for r in candidates:              # in file order
        if best is None:
            best = r
        elif r["PresCompDate"] is not None and (
                best["PresCompDate"] is None
                or r["PresCompDate"] > best["PresCompDate"]):
            best = r
    return best["PresComp"] if best is not None else None


def tool_scores(p, tool):
    """MN "Scores": the scores that count for one tool, in order.  "A score
    counts when its tool code is in the assessment-tool table, its value is
    ... within the tool's range, and its date is within
    [ReferralRequestReceivedDate, discharge date or E], both ends included.
    Order: by date; same day: IDS606 before IDS607; then file order." """
    start = p.referral["ReferralRequestReceivedDate"]
    end = p.ServDischDate if p.ServDischDate is not None else p.E
    kept = [s for s in p.scores
            if s[3] == tool.code and tool.min <= s[4] <= tool.max
            and start <= s[0] <= end]
    kept.sort(key=lambda s: (s[0], s[1], s[2]))
    return [s[4] for s in kept]


class Measure:
    """First / Last / paired of one tool for one referral."""

    def __init__(self, tool, values):
        self.tool = tool
        self.first = values[0] if values else None
        self.last = values[-1] if values else None
        # "Paired = at least two counting scores."
        self.paired = len(values) >= 2

    def reliably_improved(self):
        """MN: "paired and First - Last >= its reliable-change value"."""
        return self.paired and self.first - self.last >= self.tool.reliable_change

    def reliably_deteriorated(self):
        """MN: "Last - First >= it"."""
        return self.paired and self.last - self.first >= self.tool.reliable_change


def PHQ9(p):
    return Measure(p.tools.depression, tool_scores(p, p.tools.depression))


def AnxietyMeasure(p):
    """MN: "If an ADSM row of the tool table has a descriptor that is a
    prefix of PD (longest prefix wins) and the referral has paired scores of
    that ADSM, the anxiety measure is that ADSM; otherwise GAD-7." """
    adsm = p.tools.adsm_for(p.Validated_PresentingComplaint)
    if adsm is not None:
        m = Measure(adsm, tool_scores(p, adsm))
        if m.paired:
            return m
    return Measure(p.tools.anxiety, tool_scores(p, p.tools.anxiety))


def AtCaseness(p):
    """MN: "PHQ-9 First >= 10, or anxiety First >= its caseness cut-off (a
    missing First is not at caseness)"."""
    phq, anx = p.PHQ9, p.Anxiety
    return (phq.first is not None and phq.first >= phq.tool.caseness) or \
        (anx.first is not None and anx.first >= anx.tool.caseness)


def NotCaseness_Flag(p):
    """MN: "finished, both Firsts present (paired not needed), PHQ-9 First <
    10 and anxiety First < cut-off"."""
    phq, anx = p.PHQ9, p.Anxiety
    return p.CompletedTreatment_Flag \
        and phq.first is not None and anx.first is not None \
        and phq.first < phq.tool.caseness and anx.first < anx.tool.caseness


def both_paired(p):
    return p.PHQ9.paired and p.Anxiety.paired


def ReliableImprovement_Flag(p):
    """MN: "finished, both paired, at least one improved, neither
    deteriorated"."""
    m = (p.PHQ9, p.Anxiety)
    return p.CompletedTreatment_Flag and both_paired(p) \
        and any(x.reliably_improved() for x in m) \
        and not any(x.reliably_deteriorated() for x in m)


def ReliableDeterioration_Flag(p):
    """MN: "finished, both paired, at least one deteriorated, neither
    improved"."""
    m = (p.PHQ9, p.Anxiety)
    return p.CompletedTreatment_Flag and both_paired(p) \
        and any(x.reliably_deteriorated() for x in m) \
        and not any(x.reliably_improved() for x in m)


def NoChange_Flag(p):
    """MN: "finished, both paired, neither flag (one up and one down is no
    change)"."""
    return p.CompletedTreatment_Flag and both_paired(p) \
        and not p.ReliableImprovement_Flag \
        and not p.ReliableDeterioration_Flag


def Recovery_Flag(p):
    """MN: "finished, both paired, at caseness, PHQ-9 Last < 10 and anxiety
    Last < its cut-off"."""
    phq, anx = p.PHQ9, p.Anxiety
    return p.CompletedTreatment_Flag and both_paired(p) and p.AtCaseness \
        and phq.last < phq.tool.caseness and anx.last < anx.tool.caseness


def employment_records(p):
    """MN: "The patient's valid IDS004 rows ... dated on or before the
    discharge date, by date, ties by file order."  (No discharge: up to E.)"""
    end = p.ServDischDate if p.ServDischDate is not None else p.E
    rows = [r for r in p.employment if r["EmployStatusRecDate"] <= end]
    rows.sort(key=lambda r: (r["EmployStatusRecDate"], r["_line"]))
    return rows


def SickpayIndicator_First(p):
    """SSPInd of the first record, as written."""
    rows = employment_records(p)
    return rows[0]["SSPInd"] if rows else None


def SickpayIndicator_Last(p):
    rows = employment_records(p)
    return rows[-1]["SSPInd"] if rows else None


def derive(p):
    """Compute every derived field, in dependency order."""
    p.ServDischDate = ServDischDate(p)
    p.EndCode = EndCode(p)
    p.CareContact_Count = CareContact_Count(p)
    p.treatment_dates = treatment_dates(p)
    p.TherapySession_FirstDate = TherapySession_FirstDate(p)
    p.TherapySession_SecondDate = TherapySession_SecondDate(p)
    p.TherapySession_LastDate = TherapySession_LastDate(p)
    p.TreatmentCareContact_Count = TreatmentCareContact_Count(p)
    p.Assessment_FirstDate = Assessment_FirstDate(p)
    p.CompletedTreatment_Flag = CompletedTreatment_Flag(p)
    p.Wait = Wait(p)
    p.Validated_PresentingComplaint = Validated_PresentingComplaint(p)
    p.PHQ9 = PHQ9(p)
    p.Anxiety = AnxietyMeasure(p)
    p.AtCaseness = AtCaseness(p)
    p.NotCaseness_Flag = NotCaseness_Flag(p)
    p.ReliableImprovement_Flag = ReliableImprovement_Flag(p)
    p.ReliableDeterioration_Flag = ReliableDeterioration_Flag(p)
    p.NoChange_Flag = NoChange_Flag(p)
    p.Recovery_Flag = Recovery_Flag(p)
    p.SickpayIndicator_First = SickpayIndicator_First(p)
    p.SickpayIndicator_Last = SickpayIndicator_Last(p)


# ---------------------------------------------------------------------------
# Selection: the referrals a submission holds (MN "Which referrals count")
# ---------------------------------------------------------------------------

def is_selected(referral, S, E):
    """MN: "open at some time in the period: ReferralRequestReceivedDate <= E
    and (no valid discharge date, or ServDischDate >= S)"."""
    disch = referral["ServDischDate"]
    return referral["ReferralRequestReceivedDate"] <= E and \
        (disch is None or disch >= S)


def pathways(x, S, E, tools):
    """The selected referrals of an extract with their events up to E."""
    selected = {}
    for rid, r in x.referrals.items():
        if is_selected(r, S, E):
            p = Pathway(r, x.patients[r["LocalPatientId"]], S, E, tools)
            selected[rid] = p
    # Appointments: "Only valid rows dated on or before E count".
    contact_pathway = {}
    for cid, c in x.contacts.items():
        p = selected.get(c["ServiceRequestId"])
        if p is not None and c["CareContDate"] <= E:
            p.contacts.append(c)
            contact_pathway[cid] = p
    # Activities hang off those appointments (IDS202 dated by appointment).
    activity_contact = {}
    for aid, a in x.activities.items():
        p = contact_pathway.get(a["CareContactId"])
        if p is not None:
            p.activities.setdefault(a["CareContactId"], []).append(a)
            activity_contact[aid] = x.contacts[a["CareContactId"]]
    # Scores.  IDS606 "dated by AssToolCompDate"; IDS607 "by the date of the
    # appointment of their IDS202 activity, whatever its attendance code".
    for s in x.scores606:
        p = selected.get(s["ServiceRequestId"])
        if p is not None and s["AssToolCompDate"] <= E:
            p.scores.append((s["AssToolCompDate"], 0, s["_line"],
                             s["CodedAssToolType"], s["PersScore"]))
    for s in x.scores607:
        c = activity_contact.get(s["CareActId"])
        if c is not None:
            p = contact_pathway[c["CareContactId"]]
            p.scores.append((c["CareContDate"], 1, s["_line"],
                             s["CodedAssToolType"], s["PersScore"]))
    # Problem descriptors: "PresCompDate <= E, or no valid PresCompDate".
    for r in x.complaints:
        p = selected.get(r["ServiceRequestId"])
        if p is not None and (r["PresCompDate"] is None or r["PresCompDate"] <= E):
            p.complaints.append(r)
    # Employment: "any referral of the same LocalPatientId".
    employment = {}
    for r in x.employment:
        if r["EmployStatusRecDate"] <= E:
            employment.setdefault(r["LocalPatientId"], []).append(r)
    for p in selected.values():
        p.employment = employment.get(p.referral["LocalPatientId"], [])
        p.has_ltc = p.referral["LocalPatientId"] in x.ltc_patients
    return list(selected.values())


# ---------------------------------------------------------------------------
# What one referral adds to its groups
# ---------------------------------------------------------------------------

def ethnic_group(p):
    """MN: "White A B C; Asian H J K L; Black M N P; Mixed D E F G; Other R S"
    (the patient's EthnicCategory as written)."""
    code = p.patient["EthnicCategory"]
    for _, name, codes in ETHNIC_GROUPS:
        if code in codes:
            return name
    return None


def contributions(p):
    """The base quantities this referral adds: a Counter of referral counts
    (Mxxx), appointment counts, and the numerators / denominators of the
    rates.  Values for means and medians are returned separately."""
    c = Counter()
    received = p.referral["ReferralRequestReceivedDate"]
    source = p.referral["SourceOfReferralIAPT"]
    c["referrals"] += 1                             # selected, used
    if in_period(p, received):
        c["M001"] += 1
        if source == "B1":
            c["M002"] += 1
        if source == "A1":
            c["M003"] += 1
    if in_period(p, p.Assessment_FirstDate):
        c["M023"] += 1
    if in_period(p, p.TherapySession_FirstDate):
        c["M031"] += 1
        if p.Wait <= 42:
            c["M036"] += 1
        if p.Wait <= 126:
            c["M037"] += 1
    # M038 "no treatment appointment and not discharged"; M044 "M038 and E -
    # referral date > 126".
    if p.TherapySession_FirstDate is None and p.ServDischDate is None:
        c["M038"] += 1
        if (p.E - received).days > 126:
            c["M044"] += 1
    if in_period(p, p.TherapySession_SecondDate):
        c["M184"] += 1
    ended = in_period(p, p.ServDischDate)           # M056
    if ended:
        c["M056"] += 1
        for mid, code in END_CODE_MEASURES:
            if p.EndCode == code:
                c[mid] += 1
        if p.CareContact_Count == 0:
            c["M073"] += 1
        if p.TreatmentCareContact_Count == 0 and p.CareContact_Count > 0:
            c["M074"] += 1
        if p.TreatmentCareContact_Count == 1:
            c["M075"] += 1
        finished = p.CompletedTreatment_Flag
        if finished:
            c["M076"] += 1
            if p.Wait <= 42:
                c["M053_num"] += 1
            if p.Wait <= 126:
                c["M055_num"] += 1
            if p.PHQ9.paired:
                c["M201"] += 1
            if p.Anxiety.paired:
                c["M198"] += 1
            if p.SickpayIndicator_First == "Y" and p.SickpayIndicator_Last == "N":
                c["M237"] += 1
        if p.NotCaseness_Flag:
            c["M179"] += 1
        if p.ReliableImprovement_Flag:
            c["M185"] += 1
        if p.NoChange_Flag:
            c["M187"] += 1
        if p.ReliableDeterioration_Flag:
            c["M189"] += 1
        if p.Recovery_Flag:
            c["M191"] += 1
            if p.ReliableImprovement_Flag:
                c["M193"] += 1
        group = ethnic_group(p)
        if group is not None:
            if finished:
                c["fin_" + group] += 1
            if p.NotCaseness_Flag:
                c["nc_" + group] += 1
            if p.Recovery_Flag and p.ReliableImprovement_Flag:
                c["rr_" + group] += 1
    # Appointments: "each valid IDS201 row of a counted referral, dated in
    # period".
    for contact in p.contacts:
        if not in_period(p, contact["CareContDate"]):
            continue
        c["M082"] += 1
        for mid, code in ATTEND_MEASURES:
            if contact["AttendOrDNACode"] == code:
                c[mid] += 1
        if is_treatment_appointment(contact):
            codes = {a["CodeProcAndProcStatus"]
                     for a in p.activities.get(contact["CareContactId"], [])}
            if codes & CBT_CODES:
                c["M110"] += 1
            if codes & COUNSELLING_DEPRESSION_CODES:
                c["M104"] += 1
    wait = p.Wait if in_period(p, p.TherapySession_FirstDate) else None
    tcount = p.TreatmentCareContact_Count if (ended and p.CompletedTreatment_Flag) else None
    return c, wait, tcount


# ---------------------------------------------------------------------------
# Breakdown levels of a referral (MN "Breakdowns (extension)")
# ---------------------------------------------------------------------------

def age_band(p):
    """"completed years from PersonBirthDate to the referral date; negative
    is Unknown"."""
    b = p.patient["PersonBirthDate"]
    r = p.referral["ReferralRequestReceivedDate"]
    age = r.year - b.year - ((r.month, r.day) < (b.month, b.day))
    if age < 0:
        return "Unknown"
    for limit, band in ((18, "Under 18"), (26, "18-25"), (36, "26-35"),
                        (46, "36-45"), (56, "46-55"), (65, "56-64"),
                        (75, "65-74")):
        if age < limit:
            return band
    return "75+"


def gender_level(p):
    code = p.patient["GenderIdentity"]
    for c, name in GENDER_LEVELS:
        if code == c:
            return name
    return "Unknown"


def ethnicity_level(p):
    group = ethnic_group(p)
    if group is not None:
        return group
    code = p.patient["EthnicCategory"]
    if code == "Z":
        return "Not stated"
    if code == "99":
        return "Not known"
    return "Unknown"


def imd_level(p, imd):
    """EXTRACT.md: "The longest matching prefix of the normalised postcode
    (upper case, no spaces) gives the decile; no match gives unknown"."""
    pc = normalised_postcode(p.patient["Postcode"])
    if pc is None:
        return "Unknown"
    for n in range(len(pc), 0, -1):
        if pc[:n] in imd:
            return imd[pc[:n]]
    return "Unknown"


def problem_level(p):
    """"longest prefix of the primary descriptor's code"."""
    code = p.Validated_PresentingComplaint
    if code is None:
        return "Unknown"
    best, best_len = "Other", -1
    for name, prefixes in PROBLEM_TYPES:
        for prefix in prefixes:
            if code.startswith(prefix) and len(prefix) > best_len:
                best, best_len = name, len(prefix)
    return best


def therapy_level(p):
    """"the therapy given in most of the referral's treatment appointments
    (an appointment counts once per therapy name); tie: the name first in
    this list; None when no treatment appointment has a listed therapy"."""
    counts = Counter()
    for contact in p.contacts:
        if is_treatment_appointment(contact):
            names = {THERAPY_BY_CODE[a["CodeProcAndProcStatus"]]
                     for a in p.activities.get(contact["CareContactId"], [])
                     if a["CodeProcAndProcStatus"] in THERAPY_BY_CODE}
            counts.update(names)
    best, best_n = "None", 0
    for name, _ in THERAPY_TYPES:
        if counts[name] > best_n:
            best, best_n = name, counts[name]
    return best


def source_level(p):
    code = p.referral["SourceOfReferralIAPT"]
    return code if code in SOURCE_CODES else "Unknown"


def ltc_level(p):
    return "Yes" if p.has_ltc else "No"


def breakdown_level(p, name, imd):
    if name is None:
        return None
    if name == "age":
        return age_band(p)
    if name == "gender":
        return gender_level(p)
    if name == "ethnicity":
        return ethnicity_level(p)
    if name == "imd":
        return imd_level(p, imd)
    if name == "problem":
        return problem_level(p)
    if name == "therapy":
        return therapy_level(p)
    if name == "source":
        return source_level(p)
    if name == "ltc":
        return ltc_level(p)
    raise ValueError(name)


# ---------------------------------------------------------------------------
# Accumulating groups
# ---------------------------------------------------------------------------

class Acc:
    """Unrounded totals of one group (or of one bucket of referrals)."""

    def __init__(self):
        self.n = Counter()
        self.waits = Counter()      # wait in days -> referrals (M048, M049)
        self.tcounts = Counter()    # treatment count -> referrals (M141, M142)

    def add(self, other):
        self.n.update(other.n)
        self.waits.update(other.waits)
        self.tcounts.update(other.tcounts)


def median(dist):
    """MN: "Medians: of the multiset of values; an even count gives the mean
    of the two middle values"."""
    total = sum(dist.values())
    if total == 0:
        return None
    lo_pos, hi_pos = (total - 1) // 2, total // 2
    lo = hi = None
    seen = 0
    for value in sorted(dist):
        count = dist[value]
        if lo is None and lo_pos < seen + count:
            lo = value
        if hi_pos < seen + count:
            hi = value
            break
        seen += count
    return Fraction(lo + hi, 2)


def measure_values(acc):
    """(measure id, kind, parts) for every core measure, in output order.
    kind: count (n) | pct (numerator, denominator) | mean (count, sum) |
    median (count, value)."""
    n = acc.n
    out = {}
    for mid in MEASURE_ORDER:
        if mid not in RATE_MEASURES:
            out[mid] = ("count", n[mid])
    waits_n = sum(acc.waits.values())
    waits_sum = sum(v * k for v, k in acc.waits.items())
    out["M048"] = ("mean", waits_n, waits_sum)
    out["M049"] = ("median", waits_n, median(acc.waits))
    out["M053"] = ("pct", n["M053_num"], n["M076"])
    out["M055"] = ("pct", n["M055_num"], n["M076"])
    t_n = sum(acc.tcounts.values())
    t_sum = sum(v * k for v, k in acc.tcounts.items())
    out["M141"] = ("mean", t_n, t_sum)
    out["M142"] = ("median", t_n, median(acc.tcounts))
    out["M180"] = ("pct", n["M179"], n["M076"])
    out["M186"] = ("pct", n["M185"], n["M076"])
    out["M1010"] = ("pct", n["M189"], n["M076"])
    # "M192 recovery rate = M191 / (M076 - M179) x 100"
    out["M192"] = ("pct", n["M191"], n["M076"] - n["M179"])
    out["M195"] = ("pct", n["M193"], n["M076"] - n["M179"])
    for mid, name, _ in ETHNIC_GROUPS:
        out[mid] = ("pct", n["rr_" + name], n["fin_" + name] - n["nc_" + name])
    return [(mid,) + out[mid] for mid in MEASURE_ORDER]


# ---------------------------------------------------------------------------
# Numbers and disclosure control (MN "Numbers and disclosure control")
# ---------------------------------------------------------------------------

def round_half_up(x):
    """MN: "round(x) = floor(x + 1/2)"."""
    return math.floor(Fraction(x) + Fraction(1, 2))


def one_decimal(x):
    """e.g. 66.7, 12.0, 0.0; never -0.0."""
    tenths = round_half_up(Fraction(x) * 10)
    sign = "-" if tenths < 0 else ""
    tenths = abs(tenths)
    return "%s%d.%d" % (sign, tenths // 10, tenths % 10)


def format_value(kind, parts, suppress):
    """The MEASURE_VALUE_SUPPRESSED text.  suppress: below England in the
    default (suppressed) output.  "checks happen before the empty-denominator
    rule (0 is under 5: *)"."""
    if kind == "count":
        (count,) = parts
        if not suppress:
            return str(count)
        if count < 5:
            return "*"
        return str(round_half_up(Fraction(count, 5)) * 5)
    if kind == "pct":
        num, den = parts
        if suppress and (num < 5 or den < 5):
            return "*"
        if den == 0:
            return ""
        value = Fraction(100 * num, den)
        return str(round_half_up(value)) if suppress else one_decimal(value)
    if kind == "mean":
        count, total = parts
        if suppress and (count < 5 or total < 5):
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
# Reference files
# ---------------------------------------------------------------------------

def read_small_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        for r in csv.DictReader(f):
            yield {k: trim(v or "") for k, v in r.items() if k is not None}


def load_geography(path):
    """subicb_code -> (subicb_name, icb_code, icb_name, region_code,
    region_name).  First row wins for a repeated code."""
    geo = {}
    for r in read_small_csv(path):
        if r.get("subicb_code"):
            geo.setdefault(r["subicb_code"], (
                r["subicb_name"], r["icb_code"], r["icb_name"],
                r["region_code"], r["region_name"]))
    return geo


def load_providers(path):
    """org_code -> name (first row with a name; role provider preferred when
    the file is a full registry)."""
    names = {}
    for r in read_small_csv(path):
        code = r.get("org_code", "")
        if not code:
            continue
        if "role" in r and r["role"] not in ("", "provider"):
            continue
        names.setdefault(code, r.get("name", ""))
    return names


def load_imd(path):
    """postcode_prefix,imd_decile -> {normalised prefix: '1'..'10'}."""
    imd = {}
    if path is None:
        return imd
    for r in read_small_csv(path):
        prefix = r.get("postcode_prefix", "").upper().replace(" ", "")
        decile = r.get("imd_decile", "")
        if prefix and decile.isdigit() and 1 <= int(decile) <= 10:
            imd.setdefault(prefix, str(int(decile)))
    return imd


# ---------------------------------------------------------------------------
# Whole computation
# ---------------------------------------------------------------------------

def period_bounds(period):
    m = re.match(r"([0-9]{4})-([0-9]{2})\Z", period)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError("period must be YYYY-MM: %r" % period)
    y, mo = int(m.group(1)), int(m.group(2))
    return (datetime.date(y, mo, 1),
            datetime.date(y, mo, calendar.monthrange(y, mo)[1]))


def month_buckets(extracts, period, providers, tools, breakdown, imd, log):
    """bucket (provider, commissioner, level) -> Acc for one month."""
    S, E = period_bounds(period)
    buckets = {}
    for org in sorted(os.listdir(extracts)):
        extract_dir = os.path.join(extracts, org, period)
        if not os.path.isdir(extract_dir):
            continue
        try:
            x = load_extract(extract_dir, org, S, E)
        except Refused as e:
            print("provider %s skipped: %s" % (org, e), file=log)
            continue
        if org not in providers:
            print("provider %s not in the providers file: empty name" % org,
                  file=log)
        for p in pathways(x, S, E, tools):
            derive(p)
            c, wait, tcount = contributions(p)
            level = breakdown_level(p, breakdown, imd)
            key = (org, p.referral["OrgIDComm"], level)
            acc = buckets.get(key)
            if acc is None:
                acc = buckets[key] = Acc()
            acc.n.update(c)
            if wait is not None:
                acc.waits[wait] += 1
            if tcount is not None:
                acc.tcounts[tcount] += 1
    return buckets


# Measures that are a stock at the period end, not a count of events in it
# (MN "Quarters and years": a span takes them from its last month with data).
STOCK_MEASURES = ("M038", "M044")


def span_months(span):
    """'2025/26-Q2' -> ['2025-07', '2025-08', '2025-09']; '2025/26' -> the
    twelve months April..March (MN "Quarters and years")."""
    m = re.match(r"([0-9]{4})/([0-9]{2})(?:-Q([1-4]))?\Z", span)
    if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
        raise ValueError("a span is YYYY/YY-QN or YYYY/YY: %r" % span)
    fy = int(m.group(1))
    first = 3 + (int(m.group(3)) - 1) * 3 if m.group(3) else 3  # months since January, 0-based
    count = 3 if m.group(3) else 12
    out = []
    for i in range(count):
        k = fy * 12 + first + i
        out.append("%04d-%02d" % (k // 12, k % 12 + 1))
    return out


def merge_span(per_month, has_data, new_acc, drop_stocks):
    """The groups of a span from its months' groups (each month a dict
    group key -> {level: acc}): every month's accumulators added group by
    group, except that the stocks are kept from the span's last month for
    which has_data(groups) holds (drop_stocks(acc) zeroes them in a copy of
    the other months'). For the CYP and workforce references, whose
    accumulators group by (group, level); new_acc() makes an empty one."""
    with_data = [i for i, g in enumerate(per_month) if has_data(g)]
    last = with_data[-1] if with_data else None
    groups = {}
    for i, g in enumerate(per_month):
        for k, levels in g.items():
            for level, acc in levels.items():
                part = new_acc()
                part.add(acc)
                if i != last:
                    drop_stocks(part)
                groups.setdefault(k, {}).setdefault(level, new_acc()).add(part)
    return groups


ENGLAND = ("England", "all", "all SubICBs", "all", "all Providers")


def compute_span(extracts, span, geography, providers, tools, breakdown=None,
                 imd=None, unsuppressed=False, log=sys.stderr):
    """A financial quarter or year: every month's referrals counted as that
    month counts them, summed; the stocks from the last month with data."""
    imd = imd or {}
    months = span_months(span)
    per_month = [month_buckets(extracts, m, providers, tools, breakdown, imd, log)
                 for m in months]
    with_data = [i for i, b in enumerate(per_month)
                 if any(acc.n["referrals"] for acc in b.values())]
    last = with_data[-1] if with_data else None
    buckets = {}
    for i, b in enumerate(per_month):
        for key, acc in b.items():
            part = Acc()
            part.add(acc)
            if i != last:
                for mid in STOCK_MEASURES:
                    part.n[mid] = 0
            buckets.setdefault(key, Acc()).add(part)
    S = period_bounds(months[0])[0]
    E = period_bounds(months[-1])[1]
    return publication_rows(buckets, S, E, geography, providers, breakdown,
                            unsuppressed)


def compute(extracts, period, geography, providers, tools, breakdown=None,
            imd=None, unsuppressed=False, log=sys.stderr):
    """Returns the publication rows (lists of strings), header first."""
    S, E = period_bounds(period)
    imd = imd or {}
    buckets = month_buckets(extracts, period, providers, tools, breakdown, imd, log)
    return publication_rows(buckets, S, E, geography, providers, breakdown,
                            unsuppressed)


def publication_rows(buckets, S, E, geography, providers, breakdown, unsuppressed):
    # Groups: (group type, ORG_CODE1, ORG_NAME1, ORG_CODE2, ORG_NAME2).
    # A region's or ICB's name is the one on its first row in the file.
    region_names, icb_names = {}, {}
    for _, icb_code, icb_name, region_code, region_name in geography.values():
        region_names.setdefault(region_code, region_name)
        icb_names.setdefault(icb_code, icb_name)
    groups = {}
    for (org, comm, level), acc in buckets.items():
        keys = [("England", "all", "all SubICBs", "all", "all Providers")]
        g = geography.get(comm)
        if g is not None:
            subicb_name, icb_code, _, region_code, _ = g
            keys.append(("Region", region_code, region_names[region_code],
                         "all", "all Providers"))
            keys.append(("ICB", icb_code, icb_names[icb_code], "all", "all Providers"))
            keys.append(("SubICB", comm, subicb_name, "all", "all Providers"))
        # "A commissioner not in the file counts for England and Provider only."
        keys.append(("Provider", "all", "all SubICBs", org, providers.get(org, "")))
        for k in keys:
            groups.setdefault(k, {}).setdefault(level, Acc()).add(acc)

    def group_order(k):
        code = k[3] if k[0] == "Provider" else k[1]
        return (GROUP_TYPES.index(k[0]), code.encode("utf-8"))

    header = OUTPUT_HEADER[:7] + (BREAKDOWN_COLUMNS if breakdown else []) + \
        OUTPUT_HEADER[7:]
    rows = [header]
    levels = BREAKDOWNS[breakdown][1] if breakdown else [None]
    for k in sorted(groups, key=group_order):
        suppress = (k[0] != "England") and not unsuppressed
        for level in levels:
            acc = groups[k].get(level)
            # "A group appears when it has at least one counted referral".
            if acc is None or acc.n["referrals"] == 0:
                continue
            for mid, kind, *parts in measure_values(acc):
                row = [S.isoformat(), E.isoformat()] + list(k)
                if breakdown:
                    row += [BREAKDOWNS[breakdown][0], level]
                row += [mid, MEASURE_NAMES[mid],
                        format_value(kind, parts, suppress)]
                rows.append(row)
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--extracts", required=True)
    span = ap.add_mutually_exclusive_group(required=True)
    span.add_argument("--period")
    span.add_argument("--quarter", help="a financial quarter, 2025/26-Q2")
    span.add_argument("--year", help="a financial year, 2025/26")
    ap.add_argument("--geography", required=True)
    ap.add_argument("--providers", required=True)
    ap.add_argument("--tools")
    ap.add_argument("--unsuppressed", action="store_true")
    ap.add_argument("--breakdown", choices=sorted(BREAKDOWNS))
    ap.add_argument("--imd")
    ap.add_argument("--out")
    a = ap.parse_args(argv)
    tools = load_tools(a.tools) if a.tools else default_tools()
    if a.period:
        rows = compute(a.extracts, a.period, load_geography(a.geography),
                       load_providers(a.providers), tools, a.breakdown,
                       load_imd(a.imd), a.unsuppressed)
    else:
        rows = compute_span(a.extracts, a.quarter or a.year,
                            load_geography(a.geography), load_providers(a.providers),
                            tools, a.breakdown, load_imd(a.imd), a.unsuppressed)
    out = open(a.out, "w", encoding="utf-8", newline="") if a.out else sys.stdout
    try:
        w = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        w.writerows(rows)
    finally:
        if a.out:
            out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
