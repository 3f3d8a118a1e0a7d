#!/usr/bin/python3
"""Independent reference computation of the workforce collection.

Reads one workforce extract per provider (DIR/<ORG>/<YYYY-MM>/WF*.csv),
validates it by docs/WORKFORCE.md, derives the per-staff fields and the
measures W001-W041, and writes the publication CSV; or, over several
periods, the programme view.

    workforce_reference.py --extracts DIR --period YYYY-MM --geography FILE
                           --providers FILE [--registry FILE]
                           [--adult-extracts DIR]
                           [--unsuppressed] [--breakdown role|band|profession]
                           [--out FILE]
    workforce_reference.py --programme --extracts DIR --periods FROM..TO
                           --geography FILE --providers FILE
                           [--registry FILE] [--unsuppressed] [--out FILE]
    workforce_reference.py ... --quarter 2025/26-Q2 | --year 2025/26 ...
        a financial quarter or year: the months' figures merged, the stocks
        from the last month with data, W040/W041 from the months' joins added
    workforce_reference.py compare A.csv B.csv

Standard library only; exact arithmetic (int and Fraction) throughout.
Quotes in comments are from docs/WORKFORCE.md ("WF") and
docs/WORKFORCE-NOTES.md ("WN"); the generic reading rules (CSV format,
trimming, ids, dates) are those of docs/EXTRACT-NOTES.md and are imported
from iapt_reference.py, as are the publication layout, rounding and
suppression of counts and percentages, and (for W040/W041) the adult
computation of M082 and M031.
"""

import argparse
import csv
import datetime
import os
import re
import sys
from collections import Counter
from fractions import Fraction

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import iapt_reference as ref  # noqa: E402

# ---------------------------------------------------------------------------
# Constants from WORKFORCE.md
# ---------------------------------------------------------------------------

# WF "Roles", in the table's order (also the order of the role breakdown).
ROLES = ("LIT", "LIQ", "HIT", "HIQ", "CNS", "CWT", "CWQ", "SUP", "ESA",
         "LEAD", "OTH")
CLINICAL_ROLES = {"LIT", "LIQ", "HIT", "HIQ", "CNS", "CWT", "CWQ"}
TRAINEE_ROLES = {"LIT", "HIT", "CWT"}
# "Low-intensity roles (case-management supervision counts as individual)".
LOW_INTENSITY_ROLES = {"LIT", "LIQ", "CWT", "CWQ"}
BANDS = ("2", "3", "4", "5", "6", "7", "8a", "8b", "8c", "8d", "9")
PROFESSIONS = ("NUR", "CLP", "COP", "OT", "SW", "CNS", "PSY", "GRD", "OTH")
SUPERVISION_TYPES = {"I", "G", "C"}

# "weekly supervision met ... at least 60 supervision minutes"
WEEKLY_MINUTES = 60
# "WTE >= 0.5"
ELIGIBLE_WTE = Fraction(1, 2)
# "a supervisor should take at most five"
MAX_TRAINEES = 5
# Programme view: "the programme's goal of 6,000 additional trained therapists".
TRAINED_GOAL = 6000

MEASURES = (
    ("W001", "Count_StaffInPost"),
    ("W002", "WTE_StaffInPost"),
    ("W003", "Count_ClinicalInPost"),
    ("W004", "WTE_ClinicalInPost"),
    ("W005", "Count_TraineesInPost"),
    ("W006", "Count_TrainingCompleted"),
    ("W007", "Count_Starters"),
    ("W008", "Count_Leavers"),
    ("W010", "WTE_Vacant"),
    ("W011", "Percentage_VacancyRate"),
    ("W020", "Count_SupervisionEligible"),
    ("W021", "Count_WeeklySupervisionMet"),
    ("W022", "Percentage_WeeklySupervisionMet"),
    ("W030", "Count_Supervisors"),
    ("W031", "Mean_TraineesPerSupervisor"),
    ("W032", "Count_SupervisorsOverFive"),
    ("W033", "Count_TraineesWithoutSupervisor"),
    ("W040", "Ratio_AppointmentsPerClinicalWTE"),
    ("W041", "Ratio_EnteredTreatmentPerClinicalWTE"),
)
MEASURE_ORDER = [mid for mid, _ in MEASURES]
MEASURE_NAMES = dict(MEASURES)
# WF "Breakdowns: role (W001-W008 by StaffRole), band, profession."
BREAKDOWN_MEASURES = ("W001", "W002", "W003", "W004", "W005", "W006", "W007",
                      "W008")

# "Staff belong to a provider, not to a commissioner, so the levels are
# England, Region, ICB and Provider".
GROUP_TYPES = ("England", "Region", "ICB", "Provider")

BREAKDOWNS = {
    "role": ("Staff role", list(ROLES)),
    "band": ("AfC band", list(BANDS) + ["Unknown"]),
    "profession": ("Profession", list(PROFESSIONS) + ["Unknown"]),
}

# Mandatory (M) columns of each table: a present file lacking one refuses
# the extract; the other columns read as empty when absent.
TABLES = {
    "WF000Header": ("OrgIDProv", "ReportingPeriodStartDate",
                    "ReportingPeriodEndDate"),
    "WF001Staff": ("StaffId", "StaffRole", "WTE", "PostStartDate"),
    "WF002Supervision": ("SupervisionId", "StaffId", "SessionDate",
                         "DurationMinutes", "SupervisionType"),
    "WF003Vacancy": ("StaffRole", "WTE"),
}
OPTIONAL_COLUMNS = {
    "WF000Header": ("DateTimeDatSetCreate",),
    "WF001Staff": ("AfCBand", "PostEndDate", "Profession", "TrainingStartDate",
                   "TrainingCompletedDate", "SupervisorStaffId",
                   "Accredited"),
    "WF002Supervision": ("SupervisorStaffId",),
    "WF003Vacancy": ("AfCBand",),
}
# "Absent tables are empty, except WF000Header.csv and WF001Staff.csv".
REQUIRED_FILES = ("WF000Header", "WF001Staff")

# WTE: "0.01 to 1.00 (at most two decimals)".
WTE_RE = re.compile(r"[0-9]+(\.[0-9]{1,2})?\Z")
# DurationMinutes: "whole minutes, 1 to 600".
MINUTES_RE = re.compile(r"[0-9]+\Z")


def parse_wte(text):
    """A Fraction in [0.01, 1.00] with at most two decimals, else None."""
    if not WTE_RE.match(text):
        return None
    value = Fraction(text)
    if not Fraction(1, 100) <= value <= 1:
        return None
    return value


def parse_minutes(text):
    if not MINUTES_RE.match(text):
        return None
    value = int(text)
    return value if 1 <= value <= 600 else None


# ---------------------------------------------------------------------------
# Reading and validation
# ---------------------------------------------------------------------------

Refused = ref.Refused


def read_table(extract_dir, table):
    """Rows of one table as dicts ("" for an absent R/O column); ragged rows
    are rejected (WN: as EXTRACT-NOTES "ragged-row").  Each row carries
    '_line', its data-row number (1 = the line after the header).  Returns
    (rows, number of data lines including ragged ones)."""
    path = os.path.join(extract_dir, table + ".csv")
    if not os.path.exists(path):
        if table in REQUIRED_FILES:
            raise Refused("%s: required file missing" % path)
        return [], 0
    records = ref.read_csv_records(path)
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
            continue
        row = {name: (cells[i] if i is not None else "") for name, i in columns}
        row["_line"] = line
        rows.append(row)
    return rows, len(records) - 1


class Staff:
    """One valid WF001 row with its derived fields."""

    def __init__(self, row):
        self.id = row["StaffId"]
        self.role = row["StaffRole"]
        self.band = row["AfCBand"] if row["AfCBand"] in BANDS else None
        self.profession = row["Profession"] if row["Profession"] in PROFESSIONS \
            else None
        self.wte = row["WTE"]                 # Fraction
        self.start = row["PostStartDate"]     # date
        # "an invalid optional date counts as missing"
        self.end = ref.parse_date(row["PostEndDate"])
        self.training_completed = ref.parse_date(row["TrainingCompletedDate"])
        self.supervisor_written = row["SupervisorStaffId"]
        self.supervisor = None                # set when valid
        self.sessions = []                    # valid WF002 rows naming this id


class WorkforceExtract:
    """The valid rows of one provider's workforce extract."""

    def __init__(self, org):
        self.org = org
        self.staff = {}           # StaffId -> Staff (valid rows only)
        self.vacancies = []       # valid WF003 rows: (role, band, WTE)


def check_header(extract_dir, org, S, E):
    """"WF000Header.csv (exactly one row)": a header that is not one row
    naming the provider and the period's first and last days refuses the
    extract (as EXTRACT.md's IDS000Header)."""
    rows, lines = read_table(extract_dir, "WF000Header")
    path = os.path.join(extract_dir, "WF000Header.csv")
    if lines != 1 or len(rows) != 1:
        raise Refused("%s: header is not exactly one row" % path)
    h = rows[0]
    if h["OrgIDProv"] != org:
        raise Refused("%s: OrgIDProv %r is not the provider %r"
                      % (path, h["OrgIDProv"], org))
    if h["ReportingPeriodStartDate"] != S.isoformat() or \
            h["ReportingPeriodEndDate"] != E.isoformat():
        raise Refused("%s: reporting period %s..%s is not %s..%s"
                      % (path, h["ReportingPeriodStartDate"],
                         h["ReportingPeriodEndDate"], S, E))


def load_extract(extract_dir, org, S, E):
    """Validate one workforce extract; returns a WorkforceExtract holding the
    valid rows only.  Cascade: WF001 first, then WF002 off WF001 (and the
    SupervisorStaffId references inside WF001), then WF003."""
    check_header(extract_dir, org, S, E)
    # Read every table first: a structural error anywhere refuses the whole.
    t = {name: read_table(extract_dir, name)[0]
         for name in TABLES if name != "WF000Header"}
    x = WorkforceExtract(org)

    # WF001Staff: StaffId M (unique: "An id that occurs more than once in its
    # file rejects every row carrying it"), StaffRole M, WTE M,
    # PostStartDate M.
    ids = Counter(r["StaffId"] for r in t["WF001Staff"] if r["StaffId"] != "")
    for r in t["WF001Staff"]:
        sid = r["StaffId"]
        wte = parse_wte(r["WTE"])
        start = ref.parse_date(r["PostStartDate"])
        if not ref.valid_id(sid) or ids[sid] > 1 \
                or r["StaffRole"] not in ROLES \
                or wte is None or start is None:
            continue
        r["WTE"] = wte
        r["PostStartDate"] = start
        x.staff[sid] = Staff(r)
    # SupervisorStaffId: "must be a valid row of this file, else a finding
    # and treated as missing" (WN: any role, in post or not, itself too).
    for s in x.staff.values():
        if s.supervisor_written in x.staff:
            s.supervisor = s.supervisor_written

    # WF002Supervision: SupervisionId M unique, StaffId M naming a valid
    # WF001 row, SessionDate M, DurationMinutes M 1..600, SupervisionType M.
    ids = Counter(r["SupervisionId"] for r in t["WF002Supervision"]
                  if r["SupervisionId"] != "")
    for r in t["WF002Supervision"]:
        day = ref.parse_date(r["SessionDate"])
        minutes = parse_minutes(r["DurationMinutes"])
        if not ref.valid_id(r["SupervisionId"]) or ids[r["SupervisionId"]] > 1 \
                or r["StaffId"] not in x.staff \
                or day is None or minutes is None \
                or r["SupervisionType"] not in SUPERVISION_TYPES:
            continue
        x.staff[r["StaffId"]].sessions.append(
            (day, minutes, r["SupervisionType"]))

    # WF003Vacancy: StaffRole M, WTE M; AfCBand O.
    for r in t["WF003Vacancy"]:
        wte = parse_wte(r["WTE"])
        if r["StaffRole"] not in ROLES or wte is None:
            continue
        band = r["AfCBand"] if r["AfCBand"] in BANDS else None
        x.vacancies.append((r["StaffRole"], band, wte))
    return x


# ---------------------------------------------------------------------------
# Derived, per staff member (WF "Derived, per staff member")
# ---------------------------------------------------------------------------

def in_period(day, S, E):
    return day is not None and S <= day <= E


def in_post_at_end(s, S, E):
    """"PostStartDate <= period end and no PostEndDate before the period
    end" (a PostEndDate on the last day is still in post at the end)."""
    return s.start <= E and (s.end is None or not s.end < E)


def in_post_all_period(s, S, E):
    """"also PostStartDate <= period start"."""
    return in_post_at_end(s, S, E) and s.start <= S


def is_starter(s, S, E):
    """"PostStartDate in the period"."""
    return in_period(s.start, S, E)


def is_leaver(s, S, E):
    """"PostEndDate in the period"."""
    return in_period(s.end, S, E)


def training_completed(s, S, E):
    """W006 "TrainingCompletedDate in the period" (any valid row, WN)."""
    return in_period(s.training_completed, S, E)


def full_weeks(S, E):
    """"every full week (Monday to Sunday) lying wholly inside the period":
    the Mondays d with S <= d and d + 6 <= E."""
    first = S + datetime.timedelta(days=(7 - S.weekday()) % 7)
    weeks = []
    d = first
    while d + datetime.timedelta(days=6) <= E:
        weeks.append(d)
        d += datetime.timedelta(days=7)
    return weeks


def supervision_eligible(s, S, E):
    """W020 "clinical, in post all period, WTE >= 0.5"."""
    return s.role in CLINICAL_ROLES and in_post_all_period(s, S, E) \
        and s.wte >= ELIGIBLE_WTE


def session_minutes(s, minutes, kind):
    """"counting type I at full length, type C at full length for
    low-intensity roles only, and type G at half length"."""
    if kind == "I":
        return Fraction(minutes)
    if kind == "C":
        return Fraction(minutes) if s.role in LOW_INTENSITY_ROLES else Fraction(0)
    if kind == "G":
        return Fraction(minutes, 2)
    raise ValueError(kind)


def weekly_minutes(s, S, E):
    """Monday of each full week -> supervision minutes counted in it."""
    weeks = {monday: Fraction(0) for monday in full_weeks(S, E)}
    for day, minutes, kind in s.sessions:
        monday = day - datetime.timedelta(days=day.weekday())
        if monday in weeks:
            weeks[monday] += session_minutes(s, minutes, kind)
    return weeks


def weekly_supervision_met(s, S, E):
    """An eligible member whose every full week has >= 60 minutes (vacuous
    when the period has no full week)."""
    if not supervision_eligible(s, S, E):
        return False
    return all(m >= WEEKLY_MINUTES for m in weekly_minutes(s, S, E).values())


def is_trainee_in_post(s, S, E):
    return s.role in TRAINEE_ROLES and in_post_at_end(s, S, E)


# ---------------------------------------------------------------------------
# What one provider adds to its groups
# ---------------------------------------------------------------------------

class Acc:
    """Unrounded totals of one group (or of one breakdown level)."""

    def __init__(self):
        self.n = Counter()        # headcounts and other integers
        self.wte = Counter()      # WTE sums (Fractions)

    def add(self, other):
        self.n.update(other.n)
        for k, v in other.wte.items():
            self.wte[k] += v


def staff_level(s, breakdown):
    if breakdown is None:
        return None
    if breakdown == "role":
        return s.role
    if breakdown == "band":
        return s.band if s.band is not None else "Unknown"
    if breakdown == "profession":
        return s.profession if s.profession is not None else "Unknown"
    raise ValueError(breakdown)


def staff_contributions(staff, S, E, acc):
    """W001-W008 of some staff rows, added to acc."""
    for s in staff:
        if in_post_at_end(s, S, E):
            acc.n["W001"] += 1
            acc.wte["W002"] += s.wte
            if s.role in CLINICAL_ROLES:
                acc.n["W003"] += 1
                acc.wte["W004"] += s.wte
            if s.role in TRAINEE_ROLES:
                acc.n["W005"] += 1
        if training_completed(s, S, E):
            acc.n["W006"] += 1
        if is_starter(s, S, E):
            acc.n["W007"] += 1
        if is_leaver(s, S, E):
            acc.n["W008"] += 1


def provider_contributions(x, S, E):
    """Everything one provider adds to its groups (no breakdown)."""
    acc = Acc()
    staff = list(x.staff.values())
    staff_contributions(staff, S, E, acc)
    acc.n["providers"] += 1
    # W010 "sum of WF003 WTE"; its headcount is the number of vacant posts.
    for _, _, wte in x.vacancies:
        acc.n["vacancies"] += 1
        acc.wte["W010"] += wte
    for s in staff:
        if supervision_eligible(s, S, E):
            acc.n["W020"] += 1
            if weekly_supervision_met(s, S, E):
                acc.n["W021"] += 1
    # W030-W033: trainees in post at the period end and their supervisors.
    per_supervisor = Counter()
    for s in staff:
        if is_trainee_in_post(s, S, E):
            if s.supervisor is not None:
                per_supervisor[s.supervisor] += 1
                acc.n["trainees_supervised"] += 1
            else:
                acc.n["W033"] += 1
    acc.n["W030"] += len(per_supervisor)
    acc.n["W032"] += sum(1 for k in per_supervisor.values() if k > MAX_TRAINEES)
    return acc


def adult_counts(adult_extracts, org, period, S, E, log):
    """(M082, M031) of the provider's adult extract of the period, computed
    by iapt_reference.py; None when it has none or it is refused."""
    if adult_extracts is None:
        return None
    extract_dir = os.path.join(adult_extracts, org, period)
    if not os.path.isdir(extract_dir):
        return None
    try:
        x = ref.load_extract(extract_dir, org, S, E)
    except Refused as e:
        print("adult extract of %s skipped: %s" % (org, e), file=log)
        return None
    total = Counter()
    for p in ref.pathways(x, S, E, ref.default_tools()):
        ref.derive(p)
        c, _, _ = ref.contributions(p)
        total.update(c)
    return total["M082"], total["M031"]


# ---------------------------------------------------------------------------
# Numbers and disclosure control (WF "Levels and disclosure control")
# ---------------------------------------------------------------------------

def two_decimals(x):
    hundredths = ref.round_half_up(Fraction(x) * 100)
    return "%d.%02d" % (hundredths // 100, hundredths % 100)


def format_value(kind, parts, suppress):
    """kind: count (n) | wte (headcount, sum) | pct (num, den) |
    mean (num, den) (ratios and means: one decimal)."""
    if kind in ("count", "pct"):
        return ref.format_value(kind, parts, suppress)
    if kind == "wte":
        # "a WTE is * when its headcount is under 5 and otherwise shown to
        # one decimal"; "WTE values are written with two decimals".
        headcount, total = parts
        if suppress:
            return "*" if headcount < 5 else ref.one_decimal(total)
        return two_decimals(total)
    if kind == "mean":
        # "rates follow their numerator and denominator headcounts"
        num, den = parts
        if suppress and (num < 5 or den < 5):
            return "*"
        if den == 0:
            return ""
        return ref.one_decimal(Fraction(num) / Fraction(den))
    if kind == "empty":
        return ""
    raise ValueError(kind)


def measure_values(acc, breakdown=False):
    """(measure id, kind, parts) in output order."""
    n, w = acc.n, acc.wte
    out = {
        "W001": ("count", n["W001"]),
        "W002": ("wte", n["W001"], w["W002"]),
        "W003": ("count", n["W003"]),
        "W004": ("wte", n["W003"], w["W004"]),
        "W005": ("count", n["W005"]),
        "W006": ("count", n["W006"]),
        "W007": ("count", n["W007"]),
        "W008": ("count", n["W008"]),
    }
    if breakdown:
        return [(mid,) + out[mid] for mid in BREAKDOWN_MEASURES]
    out["W010"] = ("wte", n["vacancies"], w["W010"])
    # W011 "W010 / (W010 + W002)": headcounts vacant posts and vacant posts
    # plus staff in post (WN).
    out["W011"] = ("ratio_pct", n["vacancies"], n["vacancies"] + n["W001"],
                   w["W010"], w["W010"] + w["W002"])
    out["W020"] = ("count", n["W020"])
    out["W021"] = ("count", n["W021"])
    out["W022"] = ("pct", n["W021"], n["W020"])
    out["W030"] = ("count", n["W030"])
    out["W031"] = ("mean", n["trainees_supervised"], n["W030"])
    out["W032"] = ("count", n["W032"])
    out["W033"] = ("count", n["W033"])
    # W040/W041: "summed over the providers that have an accepted submission
    # of both collections ... with none, the value is empty".
    if n["joined"] == 0:
        out["W040"] = ("empty",)
        out["W041"] = ("empty",)
    else:
        out["W040"] = ("ratio", n["M082"], n["joined_W003"], n["M082"],
                       w["joined_W004"])
        out["W041"] = ("ratio", n["M031"], n["joined_W003"], n["M031"],
                       w["joined_W004"])
    return [(mid,) + out[mid] for mid in MEASURE_ORDER]


def format_measure(kind, parts, suppress):
    if kind == "ratio_pct":
        # headcounts decide suppression, the WTEs give the value
        num_n, den_n, num, den = parts
        if suppress and (num_n < 5 or den_n < 5):
            return "*"
        if den == 0:
            return ""
        value = Fraction(100) * num / den
        return str(ref.round_half_up(value)) if suppress else ref.one_decimal(value)
    if kind == "ratio":
        num_n, den_n, num, den = parts
        if suppress and (num_n < 5 or den_n < 5):
            return "*"
        if den == 0:
            return ""
        return ref.one_decimal(Fraction(num) / Fraction(den))
    return format_value(kind, parts, suppress)


# ---------------------------------------------------------------------------
# Reference files
# ---------------------------------------------------------------------------

def load_providers(path):
    """providers.csv: org_code -> (org_name, home_subicb); first row wins."""
    providers = {}
    for r in ref.read_small_csv(path):
        code = r.get("org_code", "")
        if code:
            providers.setdefault(code, (r.get("org_name", r.get("name", "")),
                                        r.get("home_subicb", "")))
    return providers


def registry_names(providers, path):
    """With the hub's registry (org_code,name,...): every provider is named
    as the registry names it, also one missing from the providers file (WN
    "Provider names"); its home stays the providers file's (none if absent)."""
    out = dict(providers)
    for r in ref.read_small_csv(path):
        code = r.get("org_code", "")
        if code and r.get("role", "provider") == "provider":
            out[code] = (r.get("name", ""), providers.get(code, ("", ""))[1])
    return out


def group_keys(org, providers, geography, region_names, icb_names):
    """The groups a provider's staff count in: England, its home sub-ICB's
    region and ICB, itself."""
    name, home = providers.get(org, ("", ""))
    keys = [("England", "all", "all SubICBs", "all", "all Providers")]
    g = geography.get(home)
    if g is not None:
        _, icb_code, _, region_code, _ = g
        keys.append(("Region", region_code, region_names[region_code],
                     "all", "all Providers"))
        keys.append(("ICB", icb_code, icb_names[icb_code], "all", "all Providers"))
    # "a provider missing from it counts for England and Provider only"
    keys.append(("Provider", "all", "all SubICBs", org, name))
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


# ---------------------------------------------------------------------------
# Whole computation
# ---------------------------------------------------------------------------

def provider_extracts(extracts, period, S, E, log):
    """(org, WorkforceExtract) of every accepted extract of the period."""
    out = []
    for org in sorted(os.listdir(extracts)):
        extract_dir = os.path.join(extracts, org, period)
        if not os.path.isdir(extract_dir):
            continue
        try:
            out.append((org, load_extract(extract_dir, org, S, E)))
        except Refused as e:
            print("provider %s skipped: %s" % (org, e), file=log)
    return out


def compute_groups(extracts, period, geography, providers, breakdown=None,
                   adult_extracts=None, log=sys.stderr):
    """group key -> {level: Acc} for one period."""
    S, E = ref.period_bounds(period)
    region_names, icb_names = geography_names(geography)
    groups = {}
    for org, x in provider_extracts(extracts, period, S, E, log):
        if not providers.get(org, ("", ""))[1]:
            print("provider %s has no home sub-ICB in the providers file: "
                  "England and Provider only" % org, file=log)
        if breakdown is None:
            acc = provider_contributions(x, S, E)
            adult = adult_counts(adult_extracts, org, period, S, E, log)
            if adult is not None:
                acc.n["joined"] += 1
                acc.n["M082"] += adult[0]
                acc.n["M031"] += adult[1]
                acc.n["joined_W003"] += acc.n["W003"]
                acc.wte["joined_W004"] += acc.wte["W004"]
            contributions = {None: acc}
        else:
            contributions = {}
            for s in x.staff.values():
                level = staff_level(s, breakdown)
                a = contributions.setdefault(level, Acc())
                staff_contributions([s], S, E, a)
                a.n["staff_rows"] += 1
        for k in group_keys(org, providers, geography, region_names, icb_names):
            for level, acc in contributions.items():
                groups.setdefault(k, {}).setdefault(level, Acc()).add(acc)
    return groups


def compute(extracts, period, geography, providers, breakdown=None,
            adult_extracts=None, unsuppressed=False, log=sys.stderr):
    """Returns the publication rows (lists of strings), header first."""
    S, E = ref.period_bounds(period)
    groups = compute_groups(extracts, period, geography, providers, breakdown,
                            adult_extracts, log)
    return publication_rows(groups, S, E, breakdown, unsuppressed)


# The counters of the measures that describe the period end (staff, WTE,
# trainees and vacancies in post at the end, the supervisors of the trainees
# in post at the end): a quarter or year takes them from its last month with
# data; the events of the month (training completed, starters, leavers,
# supervision eligibility and weeks met) are summed over the months
# (docs/WORKFORCE-NOTES.md "Stocks for quarters and years").
STOCK_COUNTS = ("W001", "W003", "W005", "vacancies", "W030", "trainees_supervised",
                "W032", "W033")
STOCK_WTE = ("W002", "W004", "W010")


def compute_span(extracts, span, geography, providers, breakdown=None,
                 adult_extracts=None, unsuppressed=False, log=sys.stderr):
    """A financial quarter or year: each month's groups as that month has
    them, merged, the stocks from the span's last month with an accepted
    workforce extract (0 for a group absent from it). W040/W041: each month
    joins the providers with both extracts of that month; the span adds the
    months' joined appointments (entered treatment), joined clinical WTE and
    joined clinical headcounts, so its ratio is per clinical WTE per month
    (docs/WORKFORCE-NOTES.md)."""
    months = ref.span_months(span)
    per_month = [compute_groups(extracts, m, geography, providers, breakdown,
                                adult_extracts, log) for m in months]
    def drop(acc):
        for c in STOCK_COUNTS:
            acc.n[c] = 0
        for c in STOCK_WTE:
            acc.wte[c] = Fraction(0)
    groups = ref.merge_span(per_month, lambda g: ref.ENGLAND in g, Acc, drop)
    S = ref.period_bounds(months[0])[0]
    E = ref.period_bounds(months[-1])[1]
    return publication_rows(groups, S, E, breakdown, unsuppressed)


def publication_rows(groups, S, E, breakdown, unsuppressed):
    header = ref.OUTPUT_HEADER[:7] + (ref.BREAKDOWN_COLUMNS if breakdown else []) \
        + ref.OUTPUT_HEADER[7:]
    rows = [header]
    levels = BREAKDOWNS[breakdown][1] if breakdown else [None]
    for k in sorted(groups, key=group_order):
        suppress = (k[0] != "England") and not unsuppressed
        for level in levels:
            acc = groups[k].get(level)
            # A group appears when it has an accepted extract; a breakdown
            # level when at least one valid staff row of the group is in it.
            if acc is None:
                continue
            for mid, kind, *parts in measure_values(acc, breakdown is not None):
                row = [S.isoformat(), E.isoformat()] + list(k)
                if breakdown:
                    row += [BREAKDOWNS[breakdown][0], level]
                row += [mid, MEASURE_NAMES[mid],
                        format_measure(kind, parts, suppress)]
                rows.append(row)
    return rows


# ---------------------------------------------------------------------------
# Programme view (WF "Programme view")
# ---------------------------------------------------------------------------

PROGRAMME_HEADER = [
    "REPORTING_PERIOD_START", "REPORTING_PERIOD_END", "GROUP_TYPE",
    "ORG_CODE", "ORG_NAME", "PROVIDERS", "TRAINED_IN_PERIOD",
    "TRAINED_SINCE_FIRST_PERIOD", "TRAINED_GOAL", "PERCENT_OF_GOAL",
    "SUPERVISORS", "SUPERVISORS_OVER_FIVE",
]


def period_list(text):
    """'2025-07..2025-12' or '2025-07,2025-09' -> ['2025-07', ...]."""
    if ".." in text:
        a, b = text.split("..", 1)
        ref.period_bounds(a)
        ref.period_bounds(b)
        y, m = int(a[:4]), int(a[5:7])
        out = []
        while "%04d-%02d" % (y, m) <= b:
            out.append("%04d-%02d" % (y, m))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out
    out = [p.strip() for p in text.split(",") if p.strip()]
    for p in out:
        ref.period_bounds(p)
    return sorted(set(out))


def programme(extracts, periods, geography, providers, unsuppressed=False,
              log=sys.stderr):
    """Rows of the programme view, header first: per period from the first
    period with data, England and every region with data in any period."""
    per_period = []
    for period in periods:
        g = compute_groups(extracts, period, geography, providers, None, None, log)
        per_period.append((period, {k: v[None] for k, v in g.items()
                                    if k[0] in ("England", "Region")}))
    first = next((i for i, (_, g) in enumerate(per_period) if g), None)
    rows = [PROGRAMME_HEADER]
    if first is None:
        return rows
    keys = sorted({k for _, g in per_period[first:] for k in g}, key=group_order)
    cumulative = Counter()
    for period, g in per_period[first:]:
        S, E = ref.period_bounds(period)
        for k in keys:
            acc = g.get(k, Acc())
            cumulative[k] += acc.n["W006"]
            suppress = k[0] != "England" and not unsuppressed
            if k[0] == "England":
                goal = str(TRAINED_GOAL)
                pct = format_value("pct", (cumulative[k], TRAINED_GOAL), False)
            else:
                goal, pct = "", ""
            rows.append([S.isoformat(), E.isoformat(), k[0], k[1], k[2],
                         str(acc.n["providers"]),
                         format_value("count", (acc.n["W006"],), suppress),
                         format_value("count", (cumulative[k],), suppress),
                         goal, pct,
                         format_value("count", (acc.n["W030"],), suppress),
                         format_value("count", (acc.n["W032"],), suppress)])
    return rows


# ---------------------------------------------------------------------------
# compare: compare.py with the workforce measure order and levels
# ---------------------------------------------------------------------------

def compare_main(argv):
    import compare
    return compare.main(["--collection", "workforce"] + list(argv))


def write_rows(rows, path):
    out = open(path, "w", encoding="utf-8", newline="") if path else sys.stdout
    try:
        csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\n") \
            .writerows(rows)
    finally:
        if path:
            out.close()


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["compare"]:
        return compare_main(argv[1:])
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--extracts", required=True)
    ap.add_argument("--period")
    ap.add_argument("--periods")
    ap.add_argument("--quarter", help="a financial quarter, 2025/26-Q2")
    ap.add_argument("--year", help="a financial year, 2025/26")
    ap.add_argument("--programme", action="store_true")
    ap.add_argument("--geography", required=True)
    ap.add_argument("--providers", required=True)
    ap.add_argument("--registry")
    ap.add_argument("--adult-extracts")
    ap.add_argument("--unsuppressed", action="store_true")
    ap.add_argument("--breakdown", choices=sorted(BREAKDOWNS))
    ap.add_argument("--out")
    a = ap.parse_args(argv)
    geography = ref.load_geography(a.geography)
    providers = load_providers(a.providers)
    if a.registry:
        providers = registry_names(providers, a.registry)
    try:
        if a.programme:
            if not a.periods or a.breakdown:
                ap.error("--programme needs --periods and takes no --breakdown")
            rows = programme(a.extracts, period_list(a.periods), geography,
                             providers, a.unsuppressed)
        else:
            if a.quarter or a.year:
                rows = compute_span(a.extracts, a.quarter or a.year, geography, providers,
                                    a.breakdown, a.adult_extracts, a.unsuppressed)
            elif not a.period:
                ap.error("--period, --quarter or --year is required")
            else:
                rows = compute(a.extracts, a.period, geography, providers,
                               a.breakdown, a.adult_extracts, a.unsuppressed)
    except ValueError as e:
        print(e, file=sys.stderr)
        return 2
    write_rows(rows, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
