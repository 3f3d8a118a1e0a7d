#!/usr/bin/python3
"""Hand-worked tests of the workforce reference computation.

Every expected value is worked out by hand in a comment next to it.
Unless a test says otherwise the period is September 2025: S = Monday
2025-09-01, E = Tuesday 2025-09-30; its full Monday-Sunday weeks are those
of 1, 8, 15 and 22 September (29-30 September is not a full week).
Ends with a line "N passed, N failed"; exit status 0 only when all pass.
"""

import contextlib
import csv
import io
import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import workforce_reference as wf  # noqa: E402

PERIOD = "2025-09"
SEPT_MONDAYS = ("2025-09-01", "2025-09-08", "2025-09-15", "2025-09-22")

GEOGRAPHY = {
    # subicb -> (subicb_name, icb_code, icb_name, region_code, region_name)
    "00L": ("Sub-ICB 00L", "QHM", "ICB QHM", "Y63", "North East"),
    "00M": ("Sub-ICB 00M", "QHM", "ICB QHM", "Y63", "North East"),
    "01A": ("Sub-ICB 01A", "QOP", "ICB QOP", "Y62", "North West"),
}
PROVIDERS = {"RAT": ("Provider RAT", "00L"), "RBB": ("Provider RBB", "00M"),
             "RCC": ("Provider RCC", "01A"), "RDD": ("Provider RDD", "ZZZ")}

STAFF_COLUMNS = ["StaffId", "StaffRole", "AfCBand", "WTE", "PostStartDate",
                 "PostEndDate", "Profession", "TrainingStartDate",
                 "TrainingCompletedDate", "SupervisorStaffId", "Accredited"]
SUPERVISION_COLUMNS = ["SupervisionId", "StaffId", "SupervisorStaffId",
                       "SessionDate", "DurationMinutes", "SupervisionType"]
VACANCY_COLUMNS = ["StaffRole", "AfCBand", "WTE"]


def member(sid, role, wte="1.00", start="2025-01-01", end="", band="",
           profession="", supervisor="", completed=""):
    training_start = "2025-01-01" if role in wf.TRAINEE_ROLES else ""
    return [sid, role, band, wte, start, end, profession, training_start,
            completed, supervisor, ""]


_session_ids = iter(range(1, 1 << 30))


def session(sid, day, minutes, kind="I"):
    return ["S%d" % next(_session_ids), sid, "SUP1", day, str(minutes), kind]


def weekly(sid, minutes, kind="I", mondays=SEPT_MONDAYS):
    """One session on each Monday of the period's full weeks."""
    return [session(sid, d, minutes, kind) for d in mondays]


def write_csv(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


class World:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="wfref-")
        self.extracts = os.path.join(self.dir, "wf")
        self.adult = os.path.join(self.dir, "adult")

    def close(self):
        shutil.rmtree(self.dir)

    def add(self, org, staff, supervision=(), vacancies=(), period=PERIOD,
            header_org=None):
        d = os.path.join(self.extracts, org, period)
        os.makedirs(d)
        S, E = wf.ref.period_bounds(period)
        write_csv(os.path.join(d, "WF000Header.csv"),
                  ["OrgIDProv", "ReportingPeriodStartDate",
                   "ReportingPeriodEndDate"],
                  [[header_org or org, S.isoformat(), E.isoformat()]])
        write_csv(os.path.join(d, "WF001Staff.csv"), STAFF_COLUMNS, staff)
        write_csv(os.path.join(d, "WF002Supervision.csv"), SUPERVISION_COLUMNS,
                  supervision)
        write_csv(os.path.join(d, "WF003Vacancy.csv"), VACANCY_COLUMNS,
                  vacancies)
        return d

    def add_adult(self, org, contacts, first_treatment=True):
        """An adult extract: one patient, one referral received 2025-08-01,
        `contacts` attended treatment appointments (02, 5) in September.
        M082 = contacts; M031 = 1 when contacts > 0 (first treatment in the
        period)."""
        d = os.path.join(self.adult, org, PERIOD)
        os.makedirs(d)
        write_csv(os.path.join(d, "IDS000Header.csv"),
                  ["OrgIDProv", "ReportingPeriodStartDate",
                   "ReportingPeriodEndDate"], [[org, "2025-09-01", "2025-09-30"]])
        write_csv(os.path.join(d, "IDS001MPI.csv"),
                  ["LocalPatientId", "PersonBirthDate"], [["P1", "1980-01-01"]])
        write_csv(os.path.join(d, "IDS101Referral.csv"),
                  ["ServiceRequestId", "LocalPatientId", "OrgIDComm",
                   "ReferralRequestReceivedDate"],
                  [["R1", "P1", "00L", "2025-08-01"]])
        write_csv(os.path.join(d, "IDS201CareContact.csv"),
                  ["CareContactId", "ServiceRequestId", "CareContDate",
                   "AppType", "AttendOrDNACode"],
                  [["C%d" % i, "R1", "2025-09-%02d" % (i + 1), "02", "5"]
                   for i in range(contacts)])

    def run(self, period=PERIOD, breakdown=None, unsuppressed=False,
            adult=False):
        log = io.StringIO()
        rows = wf.compute(self.extracts, period, GEOGRAPHY, PROVIDERS,
                          breakdown, self.adult if adult else None,
                          unsuppressed, log)
        self.log = log.getvalue()
        return rows

    def values(self, **kw):
        """{(GROUP_TYPE, code, MEASURE_ID): value} (breakdown: level too)."""
        rows = self.run(**kw)
        header = rows[0]
        out = {}
        for r in rows[1:]:
            row = dict(zip(header, r))
            code = row["ORG_CODE2"] if row["GROUP_TYPE"] == "Provider" \
                else row["ORG_CODE1"]
            key = (row["GROUP_TYPE"], code)
            if "BREAKDOWN_LEVEL" in row:
                key += (row["BREAKDOWN_LEVEL"],)
            out[key + (row["MEASURE_ID"],)] = row["MEASURE_VALUE_SUPPRESSED"]
        return out


class Base(unittest.TestCase):
    def setUp(self):
        self.w = World()

    def tearDown(self):
        self.w.close()

    def england(self, v, mid):
        return v[("England", "all", mid)]


# ---------------------------------------------------------------------------
# Weekly supervision
# ---------------------------------------------------------------------------

class WeeklySupervision(Base):
    def test_full_weeks(self):
        # September 2025 starts on a Monday: weeks of 1, 8, 15, 22; 29-30 is
        # cut by the period end.  October 2025 starts on a Wednesday: weeks
        # of 6, 13, 20 (29 Sep-5 Oct crosses the start, 27 Oct-2 Nov the end).
        # February 2021: Monday 1 to Sunday 28, four weeks.
        d = wf.datetime.date
        self.assertEqual(wf.full_weeks(*wf.ref.period_bounds("2025-09")),
                         [d(2025, 9, 1), d(2025, 9, 8), d(2025, 9, 15),
                          d(2025, 9, 22)])
        self.assertEqual(wf.full_weeks(*wf.ref.period_bounds("2025-10")),
                         [d(2025, 10, 6), d(2025, 10, 13), d(2025, 10, 20)])
        self.assertEqual(len(wf.full_weeks(*wf.ref.period_bounds("2021-02"))), 4)

    def test_60_and_59_minutes(self):
        # A: 60 individual minutes every week -> met.  B: 59 in the week of
        # 15 September -> not met.  C: 59 + 1 on two days of one week = 60
        # -> met (minutes add up over the week).  W020 3, W021 2,
        # W022 = 2/3 = 66.666..% -> 66.7 at England.
        sup = weekly("A", 60) + weekly("B", 60)[:2] + [
            session("B", "2025-09-15", 59)] + weekly("B", 60)[3:] + \
            weekly("C", 60)[:3] + [session("C", "2025-09-22", 59),
                                   session("C", "2025-09-28", 1)]
        self.w.add("RAT", [member("A", "LIQ"), member("B", "LIQ"),
                           member("C", "HIQ")], sup)
        v = self.w.values()
        self.assertEqual(self.england(v, "W020"), "3")
        self.assertEqual(self.england(v, "W021"), "2")
        self.assertEqual(self.england(v, "W022"), "66.7")

    def test_group_120_and_118_minutes(self):
        # Group counts at half length: 120 -> 60 met; 118 -> 59 not met;
        # 119 -> 59.5 not met (no rounding of half minutes).
        sup = weekly("A", 120, "G") + weekly("B", 118, "G") + \
            weekly("C", 120, "G")[:3] + [session("C", "2025-09-22", 119, "G")]
        self.w.add("RAT", [member("A", "HIQ"), member("B", "HIQ"),
                           member("C", "HIQ")], sup)
        v = self.w.values()
        self.assertEqual(self.england(v, "W020"), "3")
        self.assertEqual(self.england(v, "W021"), "1")
        # 1/3 = 33.333..% -> 33.3
        self.assertEqual(self.england(v, "W022"), "33.3")

    def test_group_plus_individual(self):
        # 30 I + 60 G (= 30) = 60 -> met.
        sup = []
        for d in SEPT_MONDAYS:
            sup += [session("A", d, 30, "I"), session("A", d, 60, "G")]
        self.w.add("RAT", [member("A", "LIT", supervisor="X"),
                           member("X", "SUP")], sup)
        self.assertEqual(self.england(self.w.values(), "W021"), "1")

    def test_case_management_low_vs_high_intensity(self):
        # 60 C minutes a week: counts for LIT, LIQ, CWT, CWQ (low intensity),
        # not for HIT, HIQ, CNS.  W020 7, W021 4, W022 4/7 = 57.142..% -> 57.1
        roles = ["LIT", "LIQ", "CWT", "CWQ", "HIT", "HIQ", "CNS"]
        staff = [member(r, r, supervisor="X") for r in roles] + \
            [member("X", "SUP")]
        sup = [s for r in roles for s in weekly(r, 60, "C")]
        self.w.add("RAT", staff, sup)
        v = self.w.values()
        self.assertEqual(self.england(v, "W020"), "7")
        self.assertEqual(self.england(v, "W021"), "4")
        self.assertEqual(self.england(v, "W022"), "57.1")

    def test_wte_half_and_049(self):
        # WTE 0.50 is eligible, 0.49 is not (even with supervision).
        self.w.add("RAT", [member("A", "LIQ", wte="0.50"),
                           member("B", "LIQ", wte="0.49"),
                           member("C", "LIQ", wte="0.5")],
                   weekly("A", 60) + weekly("B", 60) + weekly("C", 60))
        v = self.w.values()
        self.assertEqual(self.england(v, "W020"), "2")
        self.assertEqual(self.england(v, "W021"), "2")
        self.assertEqual(self.england(v, "W022"), "100.0")

    def test_non_clinical_not_eligible(self):
        # SUP, ESA, LEAD, OTH are not clinical roles.
        self.w.add("RAT", [member(r, r) for r in ("SUP", "ESA", "LEAD", "OTH")])
        v = self.w.values()
        self.assertEqual(self.england(v, "W020"), "0")
        self.assertEqual(self.england(v, "W003"), "0")
        self.assertEqual(self.england(v, "W001"), "4")
        self.assertEqual(self.england(v, "W022"), "")    # nothing to divide by

    def test_start_first_and_second_day(self):
        # Start 1 Sep: starter and in post all period -> eligible; start
        # 2 Sep: starter, not in post all period -> not eligible.
        self.w.add("RAT", [member("A", "LIQ", start="2025-09-01"),
                           member("B", "LIQ", start="2025-09-02")],
                   weekly("A", 60) + weekly("B", 60))
        v = self.w.values()
        self.assertEqual(self.england(v, "W007"), "2")
        self.assertEqual(self.england(v, "W001"), "2")
        self.assertEqual(self.england(v, "W020"), "1")
        self.assertEqual(self.england(v, "W021"), "1")

    def test_week_crossing_period_start(self):
        # October 2025: 29 Sep-5 Oct crosses the period start and is not a
        # full week, so A (nothing before 6 Oct) is met; B misses the week of
        # 13 Oct (only 30 minutes) -> not met.  Sessions of 27-31 Oct (the
        # week crossing the end) do not count either way.
        mondays = ("2025-10-06", "2025-10-13", "2025-10-20")
        sup = weekly("A", 60, mondays=mondays) + \
            [session("B", "2025-10-01", 120), session("B", "2025-10-06", 60),
             session("B", "2025-10-13", 30), session("B", "2025-10-20", 60),
             session("B", "2025-10-27", 60)]
        self.w.add("RAT", [member("A", "LIQ"), member("B", "LIQ")], sup,
                   period="2025-10")
        v = self.w.values(period="2025-10")
        self.assertEqual(self.england(v, "W020"), "2")
        self.assertEqual(self.england(v, "W021"), "1")

    def test_sessions_outside_full_weeks_ignored(self):
        # A has 240 minutes on 29 September (not a full week) and 60 in the
        # weeks of 1, 8, 15 but nothing in the week of 22 -> not met.
        sup = weekly("A", 60)[:3] + [session("A", "2025-09-29", 240)]
        self.w.add("RAT", [member("A", "LIQ")], sup)
        self.assertEqual(self.england(self.w.values(), "W021"), "0")


# ---------------------------------------------------------------------------
# In post, starters, leavers, training
# ---------------------------------------------------------------------------

class InPost(Base):
    def test_leave_last_day_and_day_before(self):
        # A leaves 30 Sep (the last day): "no PostEndDate before the period
        # end" -> in post at the end, and a leaver.  B leaves 29 Sep: not in
        # post, leaver.  C left 31 Aug: neither.  D leaves 1 Oct: in post,
        # not a leaver.  W001 2 (A, D), W008 2 (A, B).
        self.w.add("RAT", [member("A", "LIQ", end="2025-09-30"),
                           member("B", "LIQ", end="2025-09-29"),
                           member("C", "LIQ", end="2025-08-31"),
                           member("D", "LIQ", end="2025-10-01")])
        v = self.w.values()
        self.assertEqual(self.england(v, "W001"), "2")
        self.assertEqual(self.england(v, "W008"), "2")
        # A is in post all period and eligible (no supervision: not met).
        self.assertEqual(self.england(v, "W020"), "2")
        self.assertEqual(self.england(v, "W021"), "0")

    def test_counts_and_wte(self):
        # In post at end: A LIT 1.00, B HIQ 0.60, C OTH 0.45, D CWT 0.75
        # (starts 10 Sep).  E starts 1 Oct (after the period): not in post.
        # W001 4, W002 2.80, W003 3 (A B D), W004 2.35, W005 2 (A D), W007 1.
        # F: completed training 15 Sep (now LIQ) -> W006 1; G completed in
        # August -> not counted.
        self.w.add("RAT", [member("A", "LIT", supervisor="B"),
                           member("B", "HIQ", wte="0.60"),
                           member("C", "OTH", wte="0.45"),
                           member("D", "CWT", wte="0.75", start="2025-09-10",
                                  supervisor="B"),
                           member("E", "LIQ", start="2025-10-01"),
                           member("F", "LIQ", wte="0.01", end="2025-09-01",
                                  completed="2025-09-15"),
                           member("G", "LIQ", end="2025-09-01",
                                  completed="2025-08-15")])
        v = self.w.values()
        self.assertEqual(self.england(v, "W001"), "4")
        self.assertEqual(self.england(v, "W002"), "2.80")
        self.assertEqual(self.england(v, "W003"), "3")
        self.assertEqual(self.england(v, "W004"), "2.35")
        self.assertEqual(self.england(v, "W005"), "2")
        self.assertEqual(self.england(v, "W006"), "1")
        self.assertEqual(self.england(v, "W007"), "1")
        # F and G left on 1 Sep: leavers.
        self.assertEqual(self.england(v, "W008"), "2")

    def test_end_before_start_kept_as_written(self):
        # PostEndDate before PostStartDate: a finding, the row is kept as
        # written: start 2025-05-01, end 2025-04-01 -> not in post at end
        # (ends before E), not a leaver (end not in the period).
        self.w.add("RAT", [member("A", "LIQ", start="2025-05-01",
                                  end="2025-04-01"), member("B", "LIQ")])
        v = self.w.values()
        self.assertEqual(self.england(v, "W001"), "1")
        self.assertEqual(self.england(v, "W008"), "0")

    def test_invalid_optional_date_is_missing(self):
        # PostEndDate 2025-09-31 is not a real day -> missing -> in post.
        self.w.add("RAT", [member("A", "LIQ", end="2025-09-31")])
        v = self.w.values()
        self.assertEqual(self.england(v, "W001"), "1")
        self.assertEqual(self.england(v, "W008"), "0")


# ---------------------------------------------------------------------------
# Supervisors of trainees
# ---------------------------------------------------------------------------

class Supervisors(Base):
    def test_five_and_six_trainees(self):
        # X supervises 5 LIT, Y 6 HIT: W030 2, W032 1 (Y has more than five),
        # W031 = 11 / 2 = 5.5, W033 0, W005 11.
        staff = [member("X", "SUP"), member("Y", "HIQ")] + \
            [member("L%d" % i, "LIT", supervisor="X") for i in range(5)] + \
            [member("H%d" % i, "HIT", supervisor="Y") for i in range(6)]
        self.w.add("RAT", staff)
        v = self.w.values()
        self.assertEqual(self.england(v, "W005"), "11")
        self.assertEqual(self.england(v, "W030"), "2")
        self.assertEqual(self.england(v, "W031"), "5.5")
        self.assertEqual(self.england(v, "W032"), "1")
        self.assertEqual(self.england(v, "W033"), "0")

    def test_trainee_without_valid_supervisor(self):
        # A names no one; B names NOPE (no such row); C names D whose row is
        # rejected (WTE 0); E names F (valid) -> W033 3, W030 1, W031 1.0.
        # G names F but left on 29 Sep: not in post at end, not counted.
        # H is qualified (LIQ) naming NOPE: not a trainee, not counted.
        self.w.add("RAT", [member("A", "LIT"),
                           member("B", "HIT", supervisor="NOPE"),
                           member("C", "CWT", supervisor="D"),
                           member("D", "SUP", wte="0"),
                           member("E", "LIT", supervisor="F"),
                           member("F", "SUP"),
                           member("G", "LIT", supervisor="F", end="2025-09-29"),
                           member("H", "LIQ", supervisor="NOPE")])
        v = self.w.values()
        self.assertEqual(self.england(v, "W033"), "3")
        self.assertEqual(self.england(v, "W030"), "1")
        self.assertEqual(self.england(v, "W031"), "1.0")
        self.assertEqual(self.england(v, "W005"), "4")

    def test_supervisor_who_left_still_valid(self):
        # The supervisor's row is valid though F left on 15 Sep (WN).
        self.w.add("RAT", [member("E", "LIT", supervisor="F"),
                           member("F", "SUP", end="2025-09-15")])
        v = self.w.values()
        self.assertEqual(self.england(v, "W030"), "1")
        self.assertEqual(self.england(v, "W033"), "0")

    def test_supervisor_naming_own_row(self):
        # A trainee naming its own row names a valid row (WN): supervised.
        self.w.add("RAT", [member("E", "LIT", supervisor="E")])
        v = self.w.values()
        self.assertEqual(self.england(v, "W030"), "1")
        self.assertEqual(self.england(v, "W033"), "0")

    def test_no_supervisors_mean_empty(self):
        self.w.add("RAT", [member("A", "LIQ")])
        v = self.w.values()
        self.assertEqual(self.england(v, "W030"), "0")
        self.assertEqual(self.england(v, "W031"), "")


# ---------------------------------------------------------------------------
# Vacancies
# ---------------------------------------------------------------------------

class Vacancies(Base):
    def test_vacancy_rate(self):
        # W002 = 6 x 1.00 = 6.00; vacancies 1.00 + 0.50 + 0.5 = 2.00;
        # W011 = 2 / (2 + 6) = 25.0%.
        self.w.add("RAT", [member("S%d" % i, "LIQ") for i in range(6)],
                   vacancies=[["LIQ", "5", "1.00"], ["HIT", "", "0.50"],
                              ["OTH", "", "0.5"]])
        v = self.w.values()
        self.assertEqual(self.england(v, "W010"), "2.00")
        self.assertEqual(self.england(v, "W011"), "25.0")
        # Provider: 3 vacant posts (< 5): W010 and W011 are *.
        self.assertEqual(v[("Provider", "RAT", "W010")], "*")
        self.assertEqual(v[("Provider", "RAT", "W011")], "*")

    def test_vacancy_rate_below_england(self):
        # 5 vacant posts of 0.30 = 1.50; 10 staff of 0.45 = 4.50.
        # W011 = 1.5 / 6.0 = 25% -> "25" below England; W010 1.5 -> "1.5";
        # W002 4.5 -> "4.5".  Invalid vacancy rows (role "lit", WTE 1.5,
        # WTE "") are not counted.
        self.w.add("RAT", [member("S%d" % i, "LIQ", wte="0.45")
                           for i in range(10)],
                   vacancies=[["LIQ", "", "0.30"]] * 5 +
                   [["lit", "", "0.30"], ["LIQ", "", "1.5"], ["LIQ", "", ""]])
        v = self.w.values()
        self.assertEqual(v[("Provider", "RAT", "W010")], "1.5")
        self.assertEqual(v[("Provider", "RAT", "W011")], "25")
        self.assertEqual(v[("Provider", "RAT", "W002")], "4.5")
        self.assertEqual(self.england(v, "W011"), "25.0")

    def test_no_staff_no_vacancies(self):
        # An accepted extract with no rows: the group appears, zeros; W011
        # has nothing to divide by (empty at England, * below).
        self.w.add("RAT", [])
        v = self.w.values()
        self.assertEqual(self.england(v, "W001"), "0")
        self.assertEqual(self.england(v, "W002"), "0.00")
        self.assertEqual(self.england(v, "W011"), "")
        self.assertEqual(v[("Provider", "RAT", "W011")], "*")


# ---------------------------------------------------------------------------
# Levels, rounding and suppression
# ---------------------------------------------------------------------------

class Levels(Base):
    def test_placement_by_home_subicb(self):
        # RAT (00L) and RBB (00M) are in ICB QHM, region Y63; RCC (01A) in
        # QOP / Y62; RDD's home ZZZ is not in the geography: England and
        # Provider only.
        for org, n in (("RAT", 5), ("RBB", 6), ("RCC", 7), ("RDD", 8)):
            self.w.add(org, [member("S%d" % i, "LIQ") for i in range(n)])
        v = self.w.values(unsuppressed=True)
        self.assertEqual(self.england(v, "W001"), "26")
        self.assertEqual(v[("Region", "Y63", "W001")], "11")
        self.assertEqual(v[("ICB", "QHM", "W001")], "11")
        self.assertEqual(v[("Region", "Y62", "W001")], "7")
        self.assertEqual(v[("Provider", "RDD", "W001")], "8")
        self.assertEqual({k[:2] for k in v},
                         {("England", "all"), ("Region", "Y63"),
                          ("Region", "Y62"), ("ICB", "QHM"), ("ICB", "QOP"),
                          ("Provider", "RAT"), ("Provider", "RBB"),
                          ("Provider", "RCC"), ("Provider", "RDD")})
        # Unsuppressed writes every level like England: two decimals.
        self.assertEqual(v[("Region", "Y63", "W002")], "11.00")

    def test_provider_not_in_file(self):
        # RZZ is not in providers.csv: England and Provider (empty name).
        self.w.add("RZZ", [member("A", "LIQ")])
        rows = self.w.run()
        groups = {(r[2], r[3], r[4], r[5], r[6]) for r in rows[1:]}
        self.assertEqual(groups, {("England", "all", "all SubICBs", "all",
                                   "all Providers"),
                                  ("Provider", "all", "all SubICBs", "RZZ", "")})
        self.assertIn("RZZ", self.w.log)

    def test_rounding_and_wte_suppression(self):
        # Headcounts below England: 4 -> *, 7 -> 5, 8 -> 10, 12 -> 10,
        # 13 -> 15 (nearest 5, half up: 7.5 would go up).
        # RAT: 7 staff of 0.35 = 2.45 -> one decimal, half up: 2.5;
        #      England 2.45.
        # RBB: 4 staff -> W001 *, W002 * (headcount under 5).
        # RCC: 8 LIQ (W003 8 -> 10, W004 8.00 -> 8.0) + 5 OTH: W001 13 -> 15.
        # RBB's 4 -> *; a region of 12 would be 10 (Y63 below has 11 -> 10).
        self.w.add("RAT", [member("S%d" % i, "LIQ", wte="0.35")
                           for i in range(7)])
        self.w.add("RBB", [member("S%d" % i, "LIQ") for i in range(4)])
        self.w.add("RCC", [member("S%d" % i, "LIQ") for i in range(8)] +
                   [member("O%d" % i, "OTH") for i in range(5)])
        v = self.w.values()
        self.assertEqual(v[("Provider", "RAT", "W001")], "5")
        self.assertEqual(v[("Provider", "RAT", "W002")], "2.5")
        self.assertEqual(v[("Provider", "RBB", "W001")], "*")
        self.assertEqual(v[("Provider", "RBB", "W002")], "*")
        self.assertEqual(v[("Provider", "RCC", "W003")], "10")
        self.assertEqual(v[("Provider", "RCC", "W001")], "15")   # 13
        self.assertEqual(v[("Provider", "RCC", "W004")], "8.0")
        # Region Y63 = RAT + RBB: 11 -> 10; WTE 2.45 + 4.00 = 6.45 -> 6.5
        self.assertEqual(v[("Region", "Y63", "W001")], "10")
        self.assertEqual(v[("Region", "Y63", "W002")], "6.5")
        # England: 7 + 4 + 13 = 24, WTE 2.45 + 4 + 13 = 19.45
        self.assertEqual(self.england(v, "W001"), "24")
        self.assertEqual(self.england(v, "W002"), "19.45")
        # Zero counts below England are * too.
        self.assertEqual(v[("Provider", "RAT", "W008")], "*")

    def test_format_values(self):
        # Counts: nearest 5 below England.  WTE: one decimal half up below
        # England (2.45 -> 2.5, 2.44 -> 2.4, 0.05 -> 0.1), two at England.
        # Percentages: 1/8 = 12.5% -> 13 below (half up), 12.5 at England;
        # 1/3 -> 33 / 33.3.  Ratios: 11/6 = 1.8333 -> 1.8; 0.25 -> 0.3.
        F = wf.Fraction
        fm = wf.format_measure
        self.assertEqual([fm("count", (n,), True) for n in (0, 4, 5, 7, 8, 12, 13)],
                         ["*", "*", "5", "5", "10", "10", "15"])
        self.assertEqual(fm("count", (4,), False), "4")
        self.assertEqual(fm("wte", (5, F("2.45")), True), "2.5")
        self.assertEqual(fm("wte", (5, F("2.44")), True), "2.4")
        self.assertEqual(fm("wte", (5, F("0.05")), True), "0.1")
        self.assertEqual(fm("wte", (4, F("9.00")), True), "*")
        self.assertEqual(fm("wte", (4, F("2.45")), False), "2.45")
        self.assertEqual(fm("wte", (0, F(0)), False), "0.00")
        self.assertEqual(fm("pct", (5, 40), True), "13")
        self.assertEqual(fm("pct", (5, 40), False), "12.5")
        self.assertEqual(fm("pct", (5, 15), False), "33.3")
        self.assertEqual(fm("ratio", (11, 6, 11, F(6)), False), "1.8")
        self.assertEqual(fm("ratio", (5, 5, 1, F(4)), True), "0.3")
        self.assertEqual(fm("ratio", (4, 5, 1, F(4)), True), "*")
        self.assertEqual(fm("ratio_pct", (5, 10, F(1), F(4)), True), "25")
        self.assertEqual(fm("ratio_pct", (5, 10, F(1), F(8)), True), "13")
        self.assertEqual(fm("mean", (11, 2), False), "5.5")
        self.assertEqual(fm("mean", (0, 0), False), "")

    def test_percentage_suppression(self):
        # RAT: 5 eligible, 4 met -> numerator under 5: *; England 80.0.
        # RBB: 6 eligible, 5 met -> 83.33% -> 83.
        self.w.add("RAT", [member("S%d" % i, "LIQ") for i in range(5)],
                   [s for i in range(4) for s in weekly("S%d" % i, 60)])
        self.w.add("RBB", [member("S%d" % i, "LIQ") for i in range(6)],
                   [s for i in range(5) for s in weekly("S%d" % i, 60)])
        v = self.w.values()
        self.assertEqual(v[("Provider", "RAT", "W022")], "*")
        self.assertEqual(v[("Provider", "RBB", "W022")], "83")
        # England: 9 / 11 = 81.818..% -> 81.8
        self.assertEqual(self.england(v, "W022"), "81.8")

    def test_mean_suppression(self):
        # RAT: 10 trainees, 2 supervisors: W030 2 < 5 -> W031 *; England 5.0.
        self.w.add("RAT", [member("X", "SUP"), member("Y", "SUP")] +
                   [member("T%d" % i, "LIT", supervisor="XY"[i % 2])
                    for i in range(10)])
        v = self.w.values()
        self.assertEqual(v[("Provider", "RAT", "W031")], "*")
        self.assertEqual(self.england(v, "W031"), "5.0")

    def test_row_layout(self):
        self.w.add("RAT", [member("A", "LIQ")])
        rows = self.w.run()
        self.assertEqual(rows[0], wf.ref.OUTPUT_HEADER)
        self.assertEqual(rows[1], ["2025-09-01", "2025-09-30", "England", "all",
                                   "all SubICBs", "all", "all Providers",
                                   "W001", "Count_StaffInPost", "1"])
        self.assertEqual([r[7] for r in rows[1:20]], wf.MEASURE_ORDER)
        self.assertEqual([r[2] for r in rows[1::19]],
                         ["England", "Region", "ICB", "Provider"])


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------

class Validation(Base):
    def test_wte_values(self):
        # Valid: 0.01, 1, 1.00, 0.5.  Invalid (row rejected): 0, 0.00,
        # 1.01, 1.001 (three decimals), -0.5, .5, "", "0,5".
        good = ["0.01", "1", "1.00", "0.5"]
        bad = ["0", "0.00", "1.01", "1.001", "-0.5", ".5", "", "0,5"]
        self.w.add("RAT", [member("G%d" % i, "OTH", wte=x)
                           for i, x in enumerate(good)] +
                   [member("B%d" % i, "OTH", wte=x) for i, x in enumerate(bad)])
        v = self.w.values()
        self.assertEqual(self.england(v, "W001"), "4")
        self.assertEqual(self.england(v, "W002"), "2.51")

    def test_mandatory_fields(self):
        # Rejected: unknown role (lower case), missing role, bad start date,
        # missing StaffId, StaffId over 64 bytes.  Kept: unknown band and
        # profession (optional, match nothing).
        self.w.add("RAT", [member("A", "lit"), member("B", ""),
                           member("C", "LIQ", start="2025-02-30"),
                           member("", "LIQ"), member("x" * 65, "LIQ"),
                           member("D", "LIQ", band="8A", profession="XX")])
        v = self.w.values()
        self.assertEqual(self.england(v, "W001"), "1")

    def test_duplicate_staff_id(self):
        # A twice: both rows rejected, and A's sessions become orphans; B's
        # supervisor A is then not valid -> W033 1.
        self.w.add("RAT", [member("A", "SUP"), member("A", "SUP"),
                           member("B", "LIT", supervisor="A"),
                           member("C", "LIQ")],
                   weekly("A", 60) + weekly("C", 60))
        v = self.w.values()
        self.assertEqual(self.england(v, "W001"), "2")
        self.assertEqual(self.england(v, "W033"), "1")
        self.assertEqual(self.england(v, "W021"), "1")   # C only

    def test_supervision_rows(self):
        # Rejected sessions do not count: duplicate SupervisionId (both
        # copies), 601 minutes, 0 minutes, "60.0", type "X", type "i",
        # bad date, orphan StaffId.  A's valid weeks: 1, 8, 15 -> week of
        # 22 has only rejected rows -> not met.  B: 600 minutes valid.
        sup = weekly("A", 60)[:3] + [
            ["D1", "A", "", "2025-09-22", "60", "I"],
            ["D1", "A", "", "2025-09-23", "60", "I"],
            ["E1", "A", "", "2025-09-22", "601", "I"],
            ["E2", "A", "", "2025-09-22", "0", "I"],
            ["E3", "A", "", "2025-09-22", "60.0", "I"],
            ["E4", "A", "", "2025-09-22", "60", "X"],
            ["E5", "A", "", "2025-09-22", "60", "i"],
            ["E6", "A", "", "2025-09-31", "60", "I"],
            ["E7", "Q", "", "2025-09-22", "60", "I"],
        ] + weekly("B", 600)
        self.w.add("RAT", [member("A", "LIQ"), member("B", "LIQ")], sup)
        v = self.w.values()
        self.assertEqual(self.england(v, "W021"), "1")

    def test_refused_extracts(self):
        # Header naming another provider, a missing WF001Staff.csv, and a
        # WF001 without its WTE column: refused, the provider is skipped.
        self.w.add("RAT", [member("A", "LIQ")], header_org="RXX")
        d = self.w.add("RBB", [member("A", "LIQ")])
        os.remove(os.path.join(d, "WF001Staff.csv"))
        d = self.w.add("RCC", [member("A", "LIQ")])
        write_csv(os.path.join(d, "WF001Staff.csv"),
                  ["StaffId", "StaffRole", "PostStartDate"],
                  [["A", "LIQ", "2025-01-01"]])
        self.w.add("RDD", [member("A", "LIQ")])
        v = self.w.values()
        self.assertEqual(self.england(v, "W001"), "1")
        for org in ("RAT", "RBB", "RCC"):
            self.assertIn("provider %s skipped" % org, self.w.log)

    def test_absent_optional_tables(self):
        d = self.w.add("RAT", [member("A", "LIQ")], weekly("A", 60),
                       [["LIQ", "", "1.00"]])
        os.remove(os.path.join(d, "WF002Supervision.csv"))
        os.remove(os.path.join(d, "WF003Vacancy.csv"))
        v = self.w.values()
        self.assertEqual(self.england(v, "W020"), "1")
        self.assertEqual(self.england(v, "W021"), "0")
        self.assertEqual(self.england(v, "W010"), "0.00")


# ---------------------------------------------------------------------------
# Joining the adult collection (W040, W041)
# ---------------------------------------------------------------------------

class AdultJoin(Base):
    def test_join(self):
        # RAT: W004 2.00 (two LIQ), adult M082 3, M031 1.
        # RBB: W004 4.00, adult M082 8, M031 1.
        # RCC: W004 1.00, no adult extract -> left out of both.
        # England: (3 + 8) / (2 + 4) = 1.833.. -> 1.8; (1 + 1) / 6 = 0.333.. -> 0.3.
        # Region Y63 (RAT, RBB) the same; ICB QHM the same; Region Y62 (RCC
        # only) has no joined provider: empty.  Provider RAT: M082 3 < 5 -> *
        # (unsuppressed 1.5); RBB: M082 8, W003 4 < 5 -> *.
        self.w.add("RAT", [member("A", "LIQ"), member("B", "LIQ")])
        self.w.add("RBB", [member("S%d" % i, "LIQ") for i in range(4)])
        self.w.add("RCC", [member("A", "LIQ")])
        self.w.add_adult("RAT", 3)
        self.w.add_adult("RBB", 8)
        v = self.w.values(adult=True)
        self.assertEqual(self.england(v, "W040"), "1.8")
        self.assertEqual(self.england(v, "W041"), "0.3")
        self.assertEqual(v[("Region", "Y62", "W040")], "")
        self.assertEqual(v[("Region", "Y63", "W040")], "1.8")
        self.assertEqual(v[("Provider", "RAT", "W040")], "*")
        self.assertEqual(v[("Provider", "RBB", "W040")], "*")
        u = self.w.values(adult=True, unsuppressed=True)
        self.assertEqual(u[("Provider", "RAT", "W040")], "1.5")
        self.assertEqual(u[("Provider", "RAT", "W041")], "0.5")
        self.assertEqual(u[("Provider", "RCC", "W040")], "")
        # Without --adult-extracts nothing joins: empty everywhere.
        v = self.w.values()
        self.assertEqual(self.england(v, "W040"), "")

    def test_join_suppression_passes(self):
        # RAT: 6 LIQ of 0.50 (W004 3.00, W003 6), adult M082 10, M031 1:
        # W040 = 10 / 3 = 3.333.. -> 3.3 at the provider (10 and 6 >= 5);
        # W041 numerator 1 < 5 -> *.
        self.w.add("RAT", [member("S%d" % i, "LIQ", wte="0.50")
                           for i in range(6)])
        self.w.add_adult("RAT", 10)
        v = self.w.values(adult=True)
        self.assertEqual(v[("Provider", "RAT", "W040")], "3.3")
        self.assertEqual(v[("Provider", "RAT", "W041")], "*")
        self.assertEqual(self.england(v, "W041"), "0.3")


# ---------------------------------------------------------------------------
# Breakdowns
# ---------------------------------------------------------------------------

class Breakdowns(Base):
    def test_role(self):
        # LIT x2 (one starting 2 Sep), HIQ x1 leaving 10 Sep.
        self.w.add("RAT", [member("A", "LIT", supervisor="C"),
                           member("B", "LIT", start="2025-09-02", supervisor="C"),
                           member("C", "HIQ", wte="0.80", end="2025-09-10")])
        v = self.w.values(breakdown="role", unsuppressed=True)
        self.assertEqual(v[("England", "all", "LIT", "W001")], "2")
        self.assertEqual(v[("England", "all", "LIT", "W005")], "2")
        self.assertEqual(v[("England", "all", "LIT", "W007")], "1")
        self.assertEqual(v[("England", "all", "HIQ", "W001")], "0")
        self.assertEqual(v[("England", "all", "HIQ", "W002")], "0.00")
        self.assertEqual(v[("England", "all", "HIQ", "W008")], "1")
        # Only W001-W008; only levels with staff rows.
        self.assertEqual({k[3] for k in v}, set(wf.BREAKDOWN_MEASURES))
        self.assertEqual({k[2] for k in v}, {"LIT", "HIQ"})

    def test_band_and_profession(self):
        # Band 8a, band "8A" (invalid -> Unknown), no band -> Unknown.
        self.w.add("RAT", [member("A", "HIQ", band="8a", profession="CLP"),
                           member("B", "HIQ", band="8A", profession="clp"),
                           member("C", "LIQ", profession="GRD")])
        v = self.w.values(breakdown="band", unsuppressed=True)
        self.assertEqual(v[("England", "all", "8a", "W001")], "1")
        self.assertEqual(v[("England", "all", "Unknown", "W001")], "2")
        v = self.w.values(breakdown="profession", unsuppressed=True)
        self.assertEqual(v[("England", "all", "CLP", "W001")], "1")
        self.assertEqual(v[("England", "all", "GRD", "W001")], "1")
        self.assertEqual(v[("England", "all", "Unknown", "W001")], "1")
        rows = self.w.run(breakdown="profession")
        self.assertEqual(rows[0][7:9], ["BREAKDOWN", "BREAKDOWN_LEVEL"])
        self.assertEqual(rows[1][7:], ["Profession", "CLP", "W001",
                                       "Count_StaffInPost", "1"])


# ---------------------------------------------------------------------------
# Consistency over a random world (sums, not hand-worked values)
# ---------------------------------------------------------------------------

def random_world(w, seed, providers=("RAT", "RBB", "RCC", "RDD", "RZZ")):
    """Providers with 20-60 staff of random roles, bands, professions, WTE,
    dates, supervisors, sessions and vacancies, some rows invalid."""
    import random
    rng = random.Random(seed)
    for org in providers:
        staff, sup, vac = [], [], []
        n = rng.randint(20, 60)
        for i in range(n):
            role = rng.choice(wf.ROLES + ("bad",))
            start = rng.choice(["2024-01-01", "2025-09-01", "2025-09-02",
                                "2025-09-30", "2025-10-01"])
            end = rng.choice(["", "", "", "2025-09-29", "2025-09-30",
                              "2025-08-31", "2025-13-01"])
            wte = rng.choice(["1.00", "0.5", "0.49", "0.8", "0.25", "2"])
            staff.append(member("S%d" % i, role, wte=wte, start=start, end=end,
                                band=rng.choice(wf.BANDS + ("", "8A")),
                                profession=rng.choice(wf.PROFESSIONS + ("",)),
                                supervisor="S%d" % rng.randint(0, n + 5),
                                completed=rng.choice(["", "", "2025-09-15"])))
            for day in range(1, 31):
                if rng.random() < 0.2:
                    sup.append(session("S%d" % i, "2025-09-%02d" % day,
                                       rng.choice([30, 59, 60, 118, 120]),
                                       rng.choice("IGC")))
        for _ in range(rng.randint(0, 8)):
            vac.append([rng.choice(wf.ROLES), "", rng.choice(["1.00", "0.5"])])
        w.add(org, staff, sup, vac)


class Consistency(Base):
    COUNTS = ("W001", "W003", "W005", "W006", "W007", "W008", "W020",
              "W021", "W030", "W032", "W033")

    def test_levels_add_up(self):
        random_world(self.w, 7)
        v = self.w.values(unsuppressed=True)
        orgs = [k[1] for k in v if k[0] == "Provider" and k[2] == "W001"]
        self.assertEqual(len(orgs), 5)
        for mid in self.COUNTS:
            total = sum(int(v[("Provider", o, mid)]) for o in orgs)
            self.assertEqual(int(v[("England", "all", mid)]), total, mid)
            # Region Y63 = RAT + RBB (RDD's home is unknown, RZZ not listed).
            self.assertEqual(int(v[("Region", "Y63", mid)]),
                             int(v[("Provider", "RAT", mid)]) +
                             int(v[("Provider", "RBB", mid)]), mid)
        for mid in ("W002", "W004", "W010"):
            total = sum(wf.Fraction(v[("Provider", o, mid)]) for o in orgs)
            self.assertEqual(wf.Fraction(v[("England", "all", mid)]), total, mid)
        self.assertGreater(int(v[("England", "all", "W021")]), 0)
        self.assertGreater(int(v[("England", "all", "W020")]),
                           int(v[("England", "all", "W021")]))
        for b in ("role", "band", "profession"):
            bv = self.w.values(breakdown=b, unsuppressed=True)
            for mid in wf.BREAKDOWN_MEASURES:
                total = sum(wf.Fraction(x) for k, x in bv.items()
                            if k[0] == "England" and k[3] == mid)
                self.assertEqual(total, wf.Fraction(v[("England", "all", mid)]),
                                 (b, mid))


# ---------------------------------------------------------------------------
# Programme view and compare
# ---------------------------------------------------------------------------

class Programme(Base):
    def test_cumulative(self):
        # August: nothing.  September: RAT 2 completions, RCC 1.  October: RAT
        # 1 more.  First period with data = September.
        # England: Sep 3 (cumulative 3, 0.05% of 6,000 -> 0.1), Oct 1 (4,
        # 0.0666..% -> 0.1).  Region Y63: 2, then 1 (cumulative 3).
        # Supervisors: September RAT X with 6 trainees -> 1 supervisor, 1
        # over five.
        sep = [member("X", "SUP")] + \
            [member("T%d" % i, "LIT", supervisor="X") for i in range(6)] + \
            [member("Q1", "LIQ", completed="2025-09-03"),
             member("Q2", "LIQ", completed="2025-09-30")]
        self.w.add("RAT", sep)
        self.w.add("RCC", [member("Q1", "LIQ", completed="2025-09-10")])
        self.w.add("RAT", [member("Q3", "LIQ", completed="2025-10-01")],
                   period="2025-10")
        log = io.StringIO()
        rows = wf.programme(self.w.extracts,
                            wf.period_list("2025-08..2025-10"),
                            GEOGRAPHY, PROVIDERS, True, log)
        self.assertEqual(rows[0], wf.PROGRAMME_HEADER)
        got = [(r[0], r[2], r[3], r[5], r[6], r[7], r[8], r[9], r[10], r[11])
               for r in rows[1:]]
        self.assertEqual(got, [
            ("2025-09-01", "England", "all", "2", "3", "3", "6000", "0.1", "1", "1"),
            ("2025-09-01", "Region", "Y62", "1", "1", "1", "", "", "0", "0"),
            ("2025-09-01", "Region", "Y63", "1", "2", "2", "", "", "1", "1"),
            ("2025-10-01", "England", "all", "1", "1", "4", "6000", "0.1", "0", "0"),
            ("2025-10-01", "Region", "Y62", "0", "0", "1", "", "", "0", "0"),
            ("2025-10-01", "Region", "Y63", "1", "1", "3", "", "", "0", "0"),
        ])
        # Suppressed: region counts under 5 are *.
        rows = wf.programme(self.w.extracts, ["2025-09"], GEOGRAPHY,
                            PROVIDERS, False, log)
        self.assertEqual(rows[2][6:8], ["*", "*"])

    def test_period_list(self):
        self.assertEqual(wf.period_list("2025-11..2026-02"),
                         ["2025-11", "2025-12", "2026-01", "2026-02"])
        self.assertEqual(wf.period_list("2025-09,2025-07"), ["2025-07", "2025-09"])
        with self.assertRaises(ValueError):
            wf.period_list("2025-13..2026-01")


class Documentation(unittest.TestCase):
    def test_measure_table_matches_docs(self):
        # The ids and names of docs/WORKFORCE.md's measure table, in its
        # order, are the reference's (and so the publication's).
        path = os.path.join(HERE, "..", "..", "docs", "WORKFORCE.md")
        with open(path, encoding="utf-8") as f:
            rows = [line.split("|") for line in f
                    if line.startswith("| W0")]
        self.assertEqual([(r[1].strip(), r[2].strip()) for r in rows],
                         list(wf.MEASURES))


class CompareAndMain(Base):
    def test_main_and_compare(self):
        self.w.add("RAT", [member("S%d" % i, "LIQ") for i in range(6)])
        self.w.add("RCC", [member("A", "LIT")])
        geo = os.path.join(self.w.dir, "geography.csv")
        write_csv(geo, ["subicb_code", "subicb_name", "icb_code", "icb_name",
                        "region_code", "region_name"],
                  [[k] + list(v) for k, v in GEOGRAPHY.items()])
        prov = os.path.join(self.w.dir, "providers.csv")
        write_csv(prov, ["org_code", "org_name", "home_subicb"],
                  [[k] + list(v) for k, v in PROVIDERS.items()])
        a = os.path.join(self.w.dir, "a.csv")
        b = os.path.join(self.w.dir, "b.csv")
        args = ["--extracts", self.w.extracts, "--period", PERIOD,
                "--geography", geo, "--providers", prov]
        with contextlib.redirect_stderr(io.StringIO()):
            self.assertEqual(wf.main(args + ["--out", a]), 0)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            self.assertEqual(wf.main(["compare", a, a]), 0)
        self.assertIn("0 differences", out.getvalue())
        # A planted change is caught: one value differs.
        with open(a, encoding="utf-8") as f:
            text = f.read()
        self.assertIn("Provider RAT,W001,Count_StaffInPost,5\n", text)
        with open(b, "w", encoding="utf-8") as f:
            f.write(text.replace("Provider RAT,W001,Count_StaffInPost,5\n",
                                 "Provider RAT,W001,Count_StaffInPost,10\n"))
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            self.assertEqual(wf.main(["compare", a, b]), 1)
        self.assertIn("different value: W001 for Provider all / RAT",
                      out.getvalue())
        self.assertIn("1 differences", out.getvalue())
        # Rows out of order are caught too.
        lines = text.splitlines(True)
        with open(b, "w", encoding="utf-8") as f:
            f.write("".join([lines[0], lines[2], lines[1]] + lines[3:]))
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            self.assertEqual(wf.main(["compare", a, b]), 1)
        self.assertIn("order B", out.getvalue())

    def test_main_options(self):
        # --breakdown, --adult-extracts, --programme through main(); compare
        # of a breakdown file with itself; bad usage exits non-zero.
        self.w.add("RAT", [member("S%d" % i, "LIQ", completed="2025-09-02")
                           for i in range(6)])
        self.w.add_adult("RAT", 12)
        prov = os.path.join(self.w.dir, "providers.csv")
        write_csv(prov, ["org_code", "org_name", "home_subicb"],
                  [["RAT", "Provider RAT", "00L"]])
        geo = os.path.join(self.w.dir, "geography.csv")
        write_csv(geo, ["subicb_code", "subicb_name", "icb_code", "icb_name",
                        "region_code", "region_name"],
                  [["00L"] + list(GEOGRAPHY["00L"])])
        base = ["--extracts", self.w.extracts, "--geography", geo,
                "--providers", prov]
        a = os.path.join(self.w.dir, "a.csv")
        with contextlib.redirect_stderr(io.StringIO()):
            self.assertEqual(wf.main(base + ["--period", PERIOD, "--breakdown",
                                             "role", "--out", a]), 0)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            self.assertEqual(wf.main(["compare", a, a]), 0)
        b = os.path.join(self.w.dir, "b.csv")
        with contextlib.redirect_stderr(io.StringIO()):
            self.assertEqual(wf.main(base + ["--period", PERIOD,
                                             "--adult-extracts", self.w.adult,
                                             "--out", b]), 0)
        with open(b, encoding="utf-8") as f:
            text = f.read()
        # 12 appointments / 6.00 clinical WTE = 2.0; entered 1 / 6 = 0.2
        self.assertIn("all Providers,W040,Ratio_AppointmentsPerClinicalWTE,2.0\n"
                      "2025-09-01,2025-09-30,England,all,all SubICBs,all,"
                      "all Providers,W041,Ratio_EnteredTreatmentPerClinicalWTE,"
                      "0.2\n", text)
        c = os.path.join(self.w.dir, "c.csv")
        with contextlib.redirect_stderr(io.StringIO()):
            self.assertEqual(wf.main(base + ["--programme", "--periods",
                                             "2025-09..2025-09", "--out", c]), 0)
        with open(c, encoding="utf-8") as f:
            lines = f.read().splitlines()
        # 6 completed of 6,000 = 0.1%
        self.assertEqual(lines[1], "2025-09-01,2025-09-30,England,all,"
                         "all SubICBs,1,6,6,6000,0.1,0,0")
        self.assertEqual(lines[2], "2025-09-01,2025-09-30,Region,Y63,"
                         "North East,1,5,5,,,*,*")
        with contextlib.redirect_stderr(io.StringIO()):
            self.assertEqual(wf.main(base + ["--period", "2025-13"]), 2)
            with self.assertRaises(SystemExit):
                wf.main(base + ["--programme", "--period", PERIOD])


# ---------------------------------------------------------------------------

def main():
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=2)
    result = runner.run(suite)
    failed = len(result.failures) + len(result.errors) + \
        len(result.unexpectedSuccesses)
    passed = result.testsRun - failed - len(result.skipped)
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
