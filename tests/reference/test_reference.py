#!/usr/bin/python3
"""Hand-worked tests of the reference computation and of compare.py.

Every expected value is worked out by hand in a comment next to it.
The period is September 2025 throughout: S = 2025-09-01, E = 2025-09-30.
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
import compare  # noqa: E402
import iapt_reference as ref  # noqa: E402

PERIOD = "2025-09"

GEOGRAPHY = {
    # subicb -> (subicb_name, icb_code, icb_name, region_code, region_name)
    "00L": ("Sub-ICB 00L", "QHM", "ICB QHM", "Y63", "North East"),
    "00M": ("Sub-ICB 00M", "QHM", "ICB QHM", "Y63", "North East"),
    "01A": ("Sub-ICB 01A", "QOP", "ICB QOP", "Y62", "North West"),
}
PROVIDERS = {"RAT": "Provider RAT", "RBB": "Provider RBB", "RCC": "Provider RCC",
             "RDD": "Provider RDD", "REE": "Provider REE", "RFF": "Provider RFF"}

COLUMNS = {
    "IDS000Header": ["OrgIDProv", "ReportingPeriodStartDate",
                     "ReportingPeriodEndDate"],
    "IDS001MPI": ["LocalPatientId", "NHSNumber", "PersonBirthDate", "Postcode",
                  "GenderIdentity", "EthnicCategory"],
    "IDS101Referral": ["ServiceRequestId", "LocalPatientId", "OrgIDComm",
                       "ReferralRequestReceivedDate", "SourceOfReferralIAPT",
                       "ServDischDate", "EndCode"],
    "IDS201CareContact": ["CareContactId", "ServiceRequestId", "CareContDate",
                          "AppType", "AttendOrDNACode"],
    "IDS202CareActivity": ["CareActId", "CareContactId", "CodeProcAndProcStatus"],
    "IDS603PresentingComplaints": ["ServiceRequestId", "PresComp",
                                   "PresCompCodSig", "PresCompDate"],
    "IDS606CodedScoreAssessmentRefer": ["ServiceRequestId", "CodedAssToolType",
                                        "PersScore", "AssToolCompDate"],
    "IDS607CodedScoreAssessmentAct": ["CareActId", "CodedAssToolType",
                                      "PersScore"],
    "IDS004EmpStatus": ["LocalPatientId", "EmployStatusRecDate", "SSPInd"],
    "IDS602LongTermCondition": ["LocalPatientId", "LongTermCondition"],
}

PHQ = "720433000"
GAD = "445455005"
CBT = "304891004"
CFD = "286711000000107"


class Extract:
    """A tiny provider extract, written as CSV files."""

    def __init__(self, org="RAT", start="2025-09-01", end="2025-09-30",
                 header_org=None):
        self.org = org
        self.tables = {t: [] for t in COLUMNS}
        self.tables["IDS000Header"].append([header_org or org, start, end])
        self.raw = {}          # table -> literal file text (overrides rows)

    def patient(self, pid, birth="1980-06-15", eth="A", gender="2",
                postcode="", nhs="9434765919"):
        self.tables["IDS001MPI"].append([pid, nhs, birth, postcode, gender, eth])

    def referral(self, rid, pid, received, disch="", end="", comm="00L",
                 source="A1"):
        self.tables["IDS101Referral"].append(
            [rid, pid, comm, received, source, disch, end])

    def contact(self, cid, rid, day, app="02", attend="5"):
        self.tables["IDS201CareContact"].append([cid, rid, day, app, attend])

    def activity(self, aid, cid, code=""):
        self.tables["IDS202CareActivity"].append([aid, cid, code])

    def complaint(self, rid, code, sig="", day=""):
        self.tables["IDS603PresentingComplaints"].append([rid, code, sig, day])

    def score(self, rid, tool, value, day):
        self.tables["IDS606CodedScoreAssessmentRefer"].append(
            [rid, tool, str(value), day])

    def score_act(self, aid, tool, value):
        self.tables["IDS607CodedScoreAssessmentAct"].append([aid, tool, str(value)])

    def employment(self, pid, day, ssp):
        self.tables["IDS004EmpStatus"].append([pid, day, ssp])

    def ltc(self, pid, code="X1"):
        self.tables["IDS602LongTermCondition"].append([pid, code])

    def finisher(self, rid, pid, received="2025-07-01", disch="2025-09-20",
                 end="46", first="2025-07-10", second="2025-09-10", **kw):
        """A referral discharged in period after two treatment appointments
        (first, second).  No scores."""
        self.referral(rid, pid, received, disch, end, **kw)
        self.contact(rid + "c1", rid, first)
        self.contact(rid + "c2", rid, second)

    def write(self, root, period=PERIOD):
        d = os.path.join(root, self.org, period)
        os.makedirs(d, exist_ok=True)
        for table, rows in self.tables.items():
            path = os.path.join(d, table + ".csv")
            if table in self.raw:
                with open(path, "w", encoding="utf-8", newline="") as f:
                    f.write(self.raw[table])
                continue
            with open(path, "w", encoding="utf-8", newline="") as f:
                w = csv.writer(f, lineterminator="\n")
                w.writerow(COLUMNS[table])
                w.writerows(rows)


class Result:
    """The publication rows of a run, with lookups."""

    def __init__(self, rows, log):
        self.header = rows[0]
        self.rows = rows[1:]
        self.log = log
        bd = "BREAKDOWN" in self.header
        self.values = {}
        for r in self.rows:
            d = dict(zip(self.header, r))
            code = d["ORG_CODE2"] if d["GROUP_TYPE"] == "Provider" else d["ORG_CODE1"]
            key = (d["GROUP_TYPE"], code, d["BREAKDOWN_LEVEL"] if bd else None,
                   d["MEASURE_ID"])
            self.values[key] = d["MEASURE_VALUE_SUPPRESSED"]

    def get(self, mid, group="England", code="all", level=None):
        return self.values[(group, code, level, mid)]

    def groups(self):
        seen = []
        for r in self.rows:
            g = tuple(r[2:7])
            if g not in seen:
                seen.append(g)
        return seen


class Base(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="iapt-ref-test-")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def run_ref(self, *extracts, tools=None, unsuppressed=False,
                breakdown=None, imd=None, geography=GEOGRAPHY):
        root = os.path.join(self.dir, "x%d" % len(os.listdir(self.dir)))
        os.makedirs(root)
        for x in extracts:
            x.write(root)
        log = io.StringIO()
        rows = ref.compute(root, PERIOD, geography, PROVIDERS,
                           tools or ref.default_tools(), breakdown, imd,
                           unsuppressed, log=log)
        return Result(rows, log.getvalue())


# ---------------------------------------------------------------------------
# Outcomes: recovery, caseness, reliable change
# ---------------------------------------------------------------------------

class Outcomes(Base):
    def test_recovered(self):
        # R1: received 2025-07-01, treatment 2025-07-10 and 2025-09-10,
        # discharged 2025-09-20 (end code 46).  PHQ-9 15 -> 5, GAD-7 12 -> 3.
        x = Extract()
        x.patient("P1")
        x.finisher("R1", "P1")
        x.score("R1", PHQ, 15, "2025-07-10")
        x.score("R1", PHQ, 5, "2025-09-10")
        x.score("R1", GAD, 12, "2025-07-10")
        x.score("R1", GAD, 3, "2025-09-10")
        r = self.run_ref(x)
        # Received in July: not M001.  First treatment in July: not M031.
        self.assertEqual(r.get("M001"), "0")
        self.assertEqual(r.get("M031"), "0")
        # Second treatment 09-10 is in the period: M184 = 1.
        self.assertEqual(r.get("M184"), "1")
        # Discharged 09-20 in period, code 46: M056 = M066 = 1; two treatment
        # appointments: finished, M076 = 1.
        self.assertEqual(r.get("M056"), "1")
        self.assertEqual(r.get("M066"), "1")
        self.assertEqual(r.get("M076"), "1")
        # Only the 09-10 appointment is in the period: M082 = M086 = 1.
        self.assertEqual(r.get("M082"), "1")
        self.assertEqual(r.get("M086"), "1")
        # At caseness (PHQ 15 >= 10), last PHQ 5 < 10, last GAD 3 < 8: recovered.
        # PHQ 15-5 = 10 >= 6 and GAD 12-3 = 9 >= 4: reliable improvement.
        for mid in ("M185", "M191", "M193", "M201", "M198"):
            self.assertEqual(r.get(mid), "1", mid)
        for mid in ("M179", "M187", "M189"):
            self.assertEqual(r.get(mid), "0", mid)
        # Recovery rate 1 / (1 - 0) = 100.0 %; reliable recovery the same.
        self.assertEqual(r.get("M192"), "100.0")
        self.assertEqual(r.get("M195"), "100.0")
        # Ethnic category A is White: M206 = 100.0, others have 0 / 0: empty.
        self.assertEqual(r.get("M206"), "100.0")
        self.assertEqual(r.get("M207"), "")
        # Treatment count 2: mean and median 2.0.  Wait 9 days <= 42: 100.0.
        self.assertEqual(r.get("M141"), "2.0")
        self.assertEqual(r.get("M142"), "2.0")
        self.assertEqual(r.get("M053"), "100.0")
        # No first treatment in period: mean and median wait are empty.
        self.assertEqual(r.get("M048"), "")
        self.assertEqual(r.get("M049"), "")

    def test_not_at_caseness(self):
        # PHQ-9 8 -> 7 (< 10), GAD-7 5 -> 5 (< 8): not at caseness at first.
        x = Extract()
        x.patient("P1")
        x.finisher("R1", "P1")
        x.score("R1", PHQ, 8, "2025-07-10")
        x.score("R1", PHQ, 7, "2025-09-10")
        x.score("R1", GAD, 5, "2025-07-10")
        x.score("R1", GAD, 5, "2025-09-10")
        r = self.run_ref(x)
        # M179 = 1, M180 = 1 / 1 = 100.0.
        self.assertEqual(r.get("M179"), "1")
        self.assertEqual(r.get("M180"), "100.0")
        # Not recovered (not at caseness).  Recovery denominator 1 - 1 = 0:
        # the rate is empty.
        self.assertEqual(r.get("M191"), "0")
        self.assertEqual(r.get("M192"), "")
        # Both paired, changes -1 and 0: no reliable change, M187 = 1.
        self.assertEqual(r.get("M187"), "1")

    def test_not_caseness_needs_both_firsts_not_pairs(self):
        # R1: one PHQ 5 and one GAD 3 (not paired): NotCaseness_Flag = 1.
        # R2: one PHQ 5, no GAD: both Firsts are not present: flag 0.
        x = Extract()
        x.patient("P1")
        x.finisher("R1", "P1")
        x.score("R1", PHQ, 5, "2025-07-10")
        x.score("R1", GAD, 3, "2025-07-10")
        x.finisher("R2", "P1")
        x.score("R2", PHQ, 5, "2025-07-10")
        r = self.run_ref(x)
        self.assertEqual(r.get("M179"), "1")
        # Recovery denominator 2 - 1 = 1, nobody recovered: 0.0.
        self.assertEqual(r.get("M192"), "0.0")

    def test_reliable_change(self):
        x = Extract()
        x.patient("P1")
        cases = {
            # rid: (PHQ first, last, GAD first, last)
            # PHQ -6 (= 6: improved), GAD 0: improvement.
            "RIMP": (20, 14, 10, 10),
            # PHQ +6: deteriorated, GAD -1: deterioration.
            "RDET": (10, 16, 10, 9),
            # PHQ -10 improved, GAD +4 deteriorated: one up, one down: no change.
            "RMIX": (20, 10, 5, 9),
            # PHQ -3, GAD -2: neither: no change.
            "RNONE": (15, 12, 10, 8),
            # PHQ -5 (not reliable), GAD -4 (= 4: improved): improvement.
            "RGAD": (20, 15, 12, 8),
        }
        for rid, (p1, p2, g1, g2) in cases.items():
            x.finisher(rid, "P1")
            x.score(rid, PHQ, p1, "2025-07-10")
            x.score(rid, PHQ, p2, "2025-09-10")
            x.score(rid, GAD, g1, "2025-07-10")
            x.score(rid, GAD, g2, "2025-09-10")
        r = self.run_ref(x)
        self.assertEqual(r.get("M076"), "5")
        self.assertEqual(r.get("M185"), "2")    # RIMP, RGAD
        self.assertEqual(r.get("M189"), "1")    # RDET
        self.assertEqual(r.get("M187"), "2")    # RMIX, RNONE
        # M186 = 2 / 5 = 40.0; M1010 = 1 / 5 = 20.0.
        self.assertEqual(r.get("M186"), "40.0")
        self.assertEqual(r.get("M1010"), "20.0")
        # Recovery needs PHQ last < 10: RMIX's last PHQ is 10, not below.
        # No case has PHQ last < 10: M191 = 0.  All at caseness: M179 = 0.
        self.assertEqual(r.get("M191"), "0")
        self.assertEqual(r.get("M192"), "0.0")

    def test_missing_scores(self):
        # Three finishers.  R1: single PHQ 15 and single GAD 12 (First = Last,
        # not paired).  R2: no scores at all.  R3: PHQ paired 15 -> 3, GAD
        # missing.
        x = Extract()
        x.patient("P1")
        x.finisher("R1", "P1")
        x.score("R1", PHQ, 15, "2025-07-10")
        x.score("R1", GAD, 12, "2025-07-10")
        x.finisher("R2", "P1")
        x.finisher("R3", "P1")
        x.score("R3", PHQ, 15, "2025-07-10")
        x.score("R3", PHQ, 3, "2025-09-10")
        r = self.run_ref(x)
        self.assertEqual(r.get("M076"), "3")
        # R1 is at caseness; R2 and R3 lack a first anxiety score: nobody is
        # "not at caseness", M179 = 0, all three in the recovery denominator.
        self.assertEqual(r.get("M179"), "0")
        # None has both measures paired: no recovery, no change flags at all.
        for mid in ("M185", "M187", "M189", "M191", "M193"):
            self.assertEqual(r.get(mid), "0", mid)
        self.assertEqual(r.get("M192"), "0.0")          # 0 / 3
        self.assertEqual(r.get("M201"), "1")            # R3's PHQ is paired
        self.assertEqual(r.get("M198"), "0")

    def test_one_treatment_and_no_treatment(self):
        x = Extract()
        x.patient("P1")
        # RONE: one treatment appointment, discharged in period: M075.
        x.referral("RONE", "P1", "2025-08-01", "2025-09-15", "47")
        x.contact("RONE-c", "RONE", "2025-08-10")
        # RSEEN: an attended assessment only: M074 (seen, not treated).
        x.referral("RSEEN", "P1", "2025-08-01", "2025-09-15", "12")
        x.contact("RSEEN-c", "RSEEN", "2025-08-05", app="01")
        # RDNA: a treatment appointment not attended (3): still a care
        # contact, so M074, not M073.
        x.referral("RDNA", "P1", "2025-08-01", "2025-09-15", "14")
        x.contact("RDNA-c", "RDNA", "2025-08-05", attend="3")
        # RNONE: no appointment at all: M073.
        x.referral("RNONE", "P1", "2025-08-01", "2025-09-15", "10")
        r = self.run_ref(x)
        self.assertEqual(r.get("M056"), "4")
        self.assertEqual(r.get("M075"), "1")
        self.assertEqual(r.get("M074"), "2")
        self.assertEqual(r.get("M073"), "1")
        self.assertEqual(r.get("M076"), "0")
        # End codes: 47 has no measure; 12 -> M059, 14 -> M061, 10 -> M057.
        self.assertEqual(r.get("M059"), "1")
        self.assertEqual(r.get("M061"), "1")
        self.assertEqual(r.get("M057"), "1")
        self.assertEqual(r.get("M066"), "0")
        # Assessment 08-05 is before the period: M023 = 0.
        self.assertEqual(r.get("M023"), "0")
        # Nothing finished: rates over M076 are empty at England.
        self.assertEqual(r.get("M186"), "")
        self.assertEqual(r.get("M141"), "")

    def test_sick_pay(self):
        # Finisher discharged 09-20.  Employment records of the patient:
        # 07-01 SSP Y, 09-19 SSP N, 09-25 SSP Y (after discharge: ignored).
        # First = Y, Last = N: moved off sick pay, M237 = 1.
        x = Extract()
        x.patient("P1")
        x.finisher("R1", "P1")
        x.employment("P1", "2025-07-01", "Y")
        x.employment("P1", "2025-09-25", "Y")
        x.employment("P1", "2025-09-19", "N")
        # P2: Y then empty: empty is not N, M237 stays 1.
        x.patient("P2")
        x.finisher("R2", "P2")
        x.employment("P2", "2025-07-01", "Y")
        x.employment("P2", "2025-09-01", "")
        r = self.run_ref(x)
        self.assertEqual(r.get("M237"), "1")


# ---------------------------------------------------------------------------
# Waits, means, medians
# ---------------------------------------------------------------------------

class Waits(Base):
    def test_wait_boundaries(self):
        # First treatment 2025-09-15 for all four; received 42, 43, 126, 127
        # days before:  09-15 - 42 = 08-04;  - 43 = 08-03;
        # - 126 = 05-12 (09-15 -> 08-15 is 31, -> 07-15 62, -> 06-15 92,
        # -> 05-15 123, then 3 more);  - 127 = 05-11.
        x = Extract()
        x.patient("P1")
        for rid, received in (("W42", "2025-08-04"), ("W43", "2025-08-03"),
                              ("W126", "2025-05-12"), ("W127", "2025-05-11")):
            x.referral(rid, "P1", received)
            x.contact(rid + "c", rid, "2025-09-15")
        r = self.run_ref(x)
        self.assertEqual(r.get("M031"), "4")
        self.assertEqual(r.get("M036"), "1")     # only 42 <= 42
        self.assertEqual(r.get("M037"), "3")     # 42, 43, 126 <= 126
        # Mean (42 + 43 + 126 + 127) / 4 = 338 / 4 = 84.5.
        self.assertEqual(r.get("M048"), "84.5")
        # Median of 42 43 126 127: (43 + 126) / 2 = 84.5.
        self.assertEqual(r.get("M049"), "84.5")

    def test_finisher_wait_percentages(self):
        # Four finishers whose first treatment (07-10) came 42, 43, 126, 127
        # days after referral: 07-10 - 42 = 05-29; - 43 = 05-28;
        # - 126 = 03-06 (07-10 -> 06-10 30, -> 05-10 61, -> 04-10 91,
        # -> 03-10 122, then 4 more); - 127 = 03-05.
        x = Extract()
        x.patient("P1")
        for rid, received in (("F42", "2025-05-29"), ("F43", "2025-05-28"),
                              ("F126", "2025-03-06"), ("F127", "2025-03-05")):
            x.finisher(rid, "P1", received=received, first="2025-07-10")
        r = self.run_ref(x)
        self.assertEqual(r.get("M076"), "4")
        self.assertEqual(r.get("M053"), "25.0")   # 1 / 4
        self.assertEqual(r.get("M055"), "75.0")   # 3 / 4

    def test_waiting_list_126_127(self):
        # No treatment, not discharged.  E - 126 = 2025-05-27 (09-30 -> 08-30
        # 31, -> 07-30 62, -> 06-30 92, -> 05-30 123, then 3 more);
        # E - 127 = 2025-05-26.  Only 127 > 126: M044 = 1.
        x = Extract()
        x.patient("P1")
        x.referral("Q126", "P1", "2025-05-27")
        x.referral("Q127", "P1", "2025-05-26")
        # An assessment is not a treatment: still waiting.
        x.contact("Q126a", "Q126", "2025-06-01", app="01")
        r = self.run_ref(x)
        self.assertEqual(r.get("M038"), "2")
        self.assertEqual(r.get("M044"), "1")

    def test_median_even_and_mean_half_up(self):
        # Waits 10, 11, 20, 40 (first treatment 09-20, referrals 09-10,
        # 09-09, 08-31, 08-11).  Median (11 + 20) / 2 = 15.5.  Mean 81 / 4 =
        # 20.25, to one decimal half up: floor(202.5 + 0.5) = 203 -> 20.3.
        x = Extract()
        x.patient("P1")
        for rid, received in (("A", "2025-09-10"), ("B", "2025-09-09"),
                              ("C", "2025-08-31"), ("D", "2025-08-11")):
            x.referral(rid, "P1", received)
            x.contact(rid + "c", rid, "2025-09-20")
        r = self.run_ref(x)
        self.assertEqual(r.get("M049"), "15.5")
        self.assertEqual(r.get("M048"), "20.3")

    def test_treatment_count_median(self):
        # Finishers with 2 and 3 treatment appointments: median (2+3)/2 = 2.5,
        # mean 5/2 = 2.5.
        x = Extract()
        x.patient("P1")
        x.finisher("R2", "P1")
        x.finisher("R3", "P1")
        x.contact("R3c3", "R3", "2025-09-12", app="05", attend="6")
        r = self.run_ref(x)
        self.assertEqual(r.get("M142"), "2.5")
        self.assertEqual(r.get("M141"), "2.5")


# ---------------------------------------------------------------------------
# Disclosure control and number formats
# ---------------------------------------------------------------------------

def referrals_received(org, n, comm="00L"):
    """An extract with n referrals received in the period (M001 = n)."""
    x = Extract(org)
    x.patient("P1")
    for i in range(n):
        x.referral("R%d" % i, "P1", "2025-09-05", comm=comm)
    return x


class Suppression(Base):
    def test_counts_round_to_five(self):
        # Provider M001: 4 -> *, 5 -> 5, 7 -> round(1.4) x 5 = 5,
        # 8 -> round(1.6) x 5 = 10, 12 -> round(2.4) x 5 = 10,
        # 13 -> round(2.6) x 5 = 15.
        sizes = {"RAT": 4, "RBB": 5, "RCC": 7, "RDD": 8, "REE": 12, "RFF": 13}
        xs = [referrals_received(org, n, comm="01A") for org, n in sizes.items()]
        r = self.run_ref(*xs)
        expected = {"RAT": "*", "RBB": "5", "RCC": "5", "RDD": "10",
                    "REE": "10", "RFF": "15"}
        for org, value in expected.items():
            self.assertEqual(r.get("M001", "Provider", org), value, org)
        # England unrounded: 4+5+7+8+12+13 = 49.  SubICB 01A: 49 -> round(9.8)
        # x 5 = 50.
        self.assertEqual(r.get("M001"), "49")
        self.assertEqual(r.get("M001", "SubICB", "01A"), "50")
        # A zero count below England is "*" too.
        self.assertEqual(r.get("M002", "Provider", "RFF"), "*")
        # Unsuppressed: every level like England.
        u = self.run_ref(*xs, unsuppressed=True)
        self.assertEqual(u.get("M001", "Provider", "RAT"), "4")
        self.assertEqual(u.get("M001", "Provider", "RCC"), "7")
        self.assertEqual(u.get("M002", "Provider", "RFF"), "0")

    def improved_finishers(self, org, finishers, improved):
        x = Extract(org)
        x.patient("P1")
        for i in range(finishers):
            rid = "R%d" % i
            x.finisher(rid, "P1")
            last = 5 if i < improved else 15
            x.score(rid, PHQ, 15, "2025-07-10")
            x.score(rid, PHQ, last, "2025-09-10")
            x.score(rid, GAD, 10, "2025-07-10")
            x.score(rid, GAD, 10, "2025-09-10")
        return x

    def test_percentage_suppression(self):
        # RAT: 5 finishers, 4 improved: numerator 4 < 5 -> *.
        # RBB: 4 finishers, 4 improved: denominator 4 < 5 -> *.
        # RCC: 8 finishers, 5 improved: 62.5 % -> whole number half up 63.
        xs = [self.improved_finishers("RAT", 5, 4),
              self.improved_finishers("RBB", 4, 4),
              self.improved_finishers("RCC", 8, 5)]
        r = self.run_ref(*xs)
        self.assertEqual(r.get("M186", "Provider", "RAT"), "*")
        self.assertEqual(r.get("M186", "Provider", "RBB"), "*")
        self.assertEqual(r.get("M186", "Provider", "RCC"), "63")
        # England: 13 / 17 = 76.47.. -> 76.5.
        self.assertEqual(r.get("M186"), "76.5")
        # Unsuppressed RCC: 62.5.
        u = self.run_ref(*xs, unsuppressed=True)
        self.assertEqual(u.get("M186", "Provider", "RCC"), "62.5")
        self.assertEqual(u.get("M186", "Provider", "RAT"), "80.0")

    def test_empty_denominator(self):
        # A referral received in period, nothing finished: M186 has 0 / 0.
        # England: empty.  Provider, suppressed: 0 < 5 -> "*" (checks come
        # before the empty rule).  Provider, unsuppressed: empty.
        x = referrals_received("RAT", 1)
        r = self.run_ref(x)
        self.assertEqual(r.get("M186"), "")
        self.assertEqual(r.get("M048"), "")
        self.assertEqual(r.get("M186", "Provider", "RAT"), "*")
        self.assertEqual(r.get("M049", "Provider", "RAT"), "*")
        u = self.run_ref(x, unsuppressed=True)
        self.assertEqual(u.get("M186", "Provider", "RAT"), "")
        self.assertEqual(u.get("M048", "Provider", "RAT"), "")

    def test_mean_suppressed_by_sum(self):
        # Five referrals treated the day they were received: count 5, sum of
        # waits 0 < 5: M048 is "*" below England; the median only needs a
        # count of 5: 0.0.  England mean 0.0.
        x = Extract()
        x.patient("P1")
        for i in range(5):
            x.referral("R%d" % i, "P1", "2025-09-05")
            x.contact("C%d" % i, "R%d" % i, "2025-09-05")
        r = self.run_ref(x)
        self.assertEqual(r.get("M048", "Provider", "RAT"), "*")
        self.assertEqual(r.get("M049", "Provider", "RAT"), "0.0")
        self.assertEqual(r.get("M048"), "0.0")
        self.assertEqual(r.get("M031", "Provider", "RAT"), "5")

    def test_formatting_helpers(self):
        F = ref.Fraction
        self.assertEqual(ref.one_decimal(F(1, 20)), "0.1")      # 0.05 -> 0.1
        self.assertEqual(ref.one_decimal(F(-1, 20)), "0.0")     # -0.05 -> 0.0, not -0.0
        self.assertEqual(ref.one_decimal(F(-3, 20)), "-0.1")    # -0.15 -> -0.1
        self.assertEqual(ref.one_decimal(F(200, 3)), "66.7")
        self.assertEqual(ref.one_decimal(12), "12.0")
        self.assertEqual(ref.format_value("count", (7,), True), "5")
        self.assertEqual(ref.format_value("pct", (1, 8), False), "12.5")
        self.assertEqual(ref.format_value("pct", (5, 8), True), "63")


# ---------------------------------------------------------------------------
# Geography, groups, order
# ---------------------------------------------------------------------------

class Groups(Base):
    def test_commissioner_missing_from_geography(self):
        # R1 with 00L (known), R2 with ZZZ (valid code, not in geography).
        x = Extract()
        x.patient("P1")
        x.referral("R1", "P1", "2025-09-02", comm="00L")
        x.referral("R2", "P1", "2025-09-03", comm="ZZZ")
        r = self.run_ref(x, unsuppressed=True)
        self.assertEqual(r.get("M001"), "2")
        self.assertEqual(r.get("M001", "Provider", "RAT"), "2")
        self.assertEqual(r.get("M001", "SubICB", "00L"), "1")
        self.assertEqual(r.get("M001", "ICB", "QHM"), "1")
        self.assertEqual(r.get("M001", "Region", "Y63"), "1")
        self.assertNotIn(("SubICB", "ZZZ", None, "M001"), r.values)
        # Only ZZZ: no Region, ICB or SubICB rows at all.
        y = Extract("RBB")
        y.patient("P1")
        y.referral("R1", "P1", "2025-09-02", comm="ZZZ")
        r = self.run_ref(y)
        self.assertEqual([g[0] for g in r.groups()], ["England", "Provider"])

    def test_groups_order_and_org_columns(self):
        # RAT refers from 00L (Y63); RBB from 01A (Y62), and from 00M only
        # a referral closed before the period: 00M does not appear.
        a = Extract("RAT")
        a.patient("P1")
        a.referral("R1", "P1", "2025-09-02", comm="00L")
        b = Extract("RBB")
        b.patient("P1")
        b.referral("R1", "P1", "2025-09-02", comm="01A")
        b.referral("R2", "P1", "2025-08-02", "2025-08-30", "10", comm="00M")
        r = self.run_ref(b, a)
        self.assertEqual(r.groups(), [
            ("England", "all", "all SubICBs", "all", "all Providers"),
            ("Region", "Y62", "North West", "all", "all Providers"),
            ("Region", "Y63", "North East", "all", "all Providers"),
            ("ICB", "QHM", "ICB QHM", "all", "all Providers"),
            ("ICB", "QOP", "ICB QOP", "all", "all Providers"),
            ("SubICB", "00L", "Sub-ICB 00L", "all", "all Providers"),
            ("SubICB", "01A", "Sub-ICB 01A", "all", "all Providers"),
            ("Provider", "all", "all SubICBs", "RAT", "Provider RAT"),
            ("Provider", "all", "all SubICBs", "RBB", "Provider RBB"),
        ])
        # Every core measure for every group, in the documented order.
        self.assertEqual(len(r.rows), 9 * len(ref.MEASURE_ORDER))
        self.assertEqual([row[7] for row in r.rows[:len(ref.MEASURE_ORDER)]],
                         ref.MEASURE_ORDER)
        self.assertEqual(r.header, ref.OUTPUT_HEADER)
        self.assertEqual(r.rows[0][:2], ["2025-09-01", "2025-09-30"])

    def test_measure_names_match_official_tsv(self):
        path = os.path.normpath(os.path.join(
            HERE, "..", "..", "data", "talking-therapies-monthly-measures.tsv"))
        self.assertTrue(os.path.exists(path), "the official TSV is missing: " + path)
        names = {}
        with open(path, encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                names.setdefault(row["measure_id"], row["measure_name"])
        for mid, name in ref.MEASURES:
            self.assertEqual(name, names[mid], mid)


# ---------------------------------------------------------------------------
# Scores: order and window
# ---------------------------------------------------------------------------

class Scores(Base):
    def test_same_day_ids606_before_ids607(self):
        # Appointment C1 on 07-10 carries an IDS607 PHQ 20 (listed first);
        # IDS606 PHQ 9 the same day.  IDS606 comes first: PHQ First 9,
        # Last 20.  GAD 3 -> 3.  So: not at caseness (9 < 10, 3 < 8):
        # M179 = 1; PHQ +11 >= 6: deterioration, M189 = 1.
        # (The other order would give First 20, at caseness, improvement.)
        x = Extract()
        x.patient("P1")
        x.finisher("R1", "P1")
        x.activity("A1", "R1c1")
        x.score_act("A1", PHQ, 20)
        x.score("R1", PHQ, 9, "2025-07-10")
        x.score("R1", GAD, 3, "2025-07-10")
        x.score("R1", GAD, 3, "2025-09-10")
        r = self.run_ref(x)
        self.assertEqual(r.get("M179"), "1")
        self.assertEqual(r.get("M189"), "1")
        self.assertEqual(r.get("M185"), "0")

    def test_same_day_file_order(self):
        # Two IDS606 PHQ scores on 07-10: 12 then 4 (file order).  First 12,
        # Last 4: -8, improved.  GAD 5 -> 5.  At caseness (12 >= 10), last
        # PHQ 4 < 10, last GAD 5 < 8: recovered and reliably improved.
        x = Extract()
        x.patient("P1")
        x.finisher("R1", "P1")
        x.score("R1", PHQ, 12, "2025-07-10")
        x.score("R1", PHQ, 4, "2025-07-10")
        x.score("R1", GAD, 5, "2025-07-10")
        x.score("R1", GAD, 5, "2025-09-10")
        r = self.run_ref(x)
        self.assertEqual(r.get("M193"), "1")

    def test_score_window(self):
        # Referral 08-01, discharged 09-20.  PHQ 15 on 08-01 (referral day)
        # and 5 on 09-20 (discharge day) both count; 2 on 07-31 and 27 on
        # 09-21 are outside.  GAD the same: 12 / 3 inside, 0 / 21 outside.
        # Inside only: recovered, reliably improved.  (Were 07-31 counted,
        # First would be 2 and 0: not at caseness.)
        x = Extract()
        x.patient("P1")
        x.finisher("R1", "P1", received="2025-08-01", first="2025-08-05")
        for tool, before, first, last, after in ((PHQ, 2, 15, 5, 27),
                                                 (GAD, 0, 12, 3, 21)):
            x.score("R1", tool, before, "2025-07-31")
            x.score("R1", tool, first, "2025-08-01")
            x.score("R1", tool, last, "2025-09-20")
            x.score("R1", tool, after, "2025-09-21")
        r = self.run_ref(x)
        self.assertEqual(r.get("M179"), "0")
        self.assertEqual(r.get("M191"), "1")
        self.assertEqual(r.get("M193"), "1")

    def test_out_of_range_and_unknown_tool(self):
        # PHQ 28 (> 27) is dropped, so First is 15; an unknown tool code
        # 123456789 is ignored; GAD 12 -> 3.5 (decimal allowed).
        x = Extract()
        x.patient("P1")
        x.finisher("R1", "P1")
        x.score("R1", PHQ, 28, "2025-07-09")
        x.score("R1", PHQ, 15, "2025-07-10")
        x.score("R1", PHQ, 5, "2025-09-10")
        x.score("R1", "123456789", 1, "2025-07-01")
        x.score("R1", GAD, 12, "2025-07-10")
        x.score("R1", GAD, "3.5", "2025-09-10")
        r = self.run_ref(x)
        self.assertEqual(r.get("M193"), "1")

    def test_adsm_switches_anxiety_measure(self):
        # Tool table with a panic ADSM (code 900000001, 0..28, caseness 8,
        # reliable change 5, descriptor F410).  Primary descriptor F410 (the
        # PresCompCodSig 1 row, although F32 is later).  Scores: PHQ 8 -> 4,
        # GAD 5 -> 5, ADSM 15 -> 3 (paired).
        # With the ADSM: anxiety First 15 >= 8: at caseness; PHQ last 4 < 10,
        # ADSM last 3 < 8: recovered; ADSM -12 >= 5: reliable improvement.
        # M179 = 0, M191 = M193 = 1, M198 = 1.
        # Default table (GAD-7): PHQ 8 < 10 and GAD 5 < 8: not at caseness,
        # M179 = 1, M191 = 0.
        path = os.path.join(self.dir, "tools.csv")
        with open(path, "w") as f:
            f.write("tool,snomed_code,min,max,caseness,reliable_change,role,descriptors\n"
                    "PHQ-9,720433000,0,27,10,6,depression,\n"
                    "GAD-7,445455005,0,21,8,4,anxiety,\n"
                    "PDSS,900000001,0,28,8,5,adsm,F410;F4100\n")
        tools = ref.load_tools(path)
        x = Extract()
        x.patient("P1")
        x.finisher("R1", "P1")
        x.complaint("R1", "F410", "1", "2025-07-01")
        x.complaint("R1", "F32", "2", "2025-08-01")
        for tool, first, last in ((PHQ, 8, 4), (GAD, 5, 5), ("900000001", 15, 3)):
            x.score("R1", tool, first, "2025-07-10")
            x.score("R1", tool, last, "2025-09-10")
        with_adsm = self.run_ref(x, tools=tools)
        self.assertEqual(with_adsm.get("M179"), "0")
        self.assertEqual(with_adsm.get("M191"), "1")
        self.assertEqual(with_adsm.get("M193"), "1")
        self.assertEqual(with_adsm.get("M198"), "1")
        default = self.run_ref(x)
        self.assertEqual(default.get("M179"), "1")
        self.assertEqual(default.get("M191"), "0")

    def test_adsm_unpaired_falls_back_to_gad7(self):
        # Same table; descriptor F410 but only one ADSM score: the anxiety
        # measure is GAD-7 (12 -> 3).  PHQ 15 -> 5: recovered.
        path = os.path.join(self.dir, "tools.csv")
        with open(path, "w") as f:
            f.write("tool,snomed_code,min,max,caseness,reliable_change,role,descriptors\n"
                    "PHQ-9,720433000,0,27,10,6,depression,\n"
                    "GAD-7,445455005,0,21,8,4,anxiety,\n"
                    "PDSS,900000001,0,28,8,5,adsm,F410\n")
        tools = ref.load_tools(path)
        x = Extract()
        x.patient("P1")
        x.finisher("R1", "P1")
        x.complaint("R1", "F410")
        x.score("R1", "900000001", 27, "2025-07-10")
        for tool, first, last in ((PHQ, 15, 5), (GAD, 12, 3)):
            x.score("R1", tool, first, "2025-07-10")
            x.score("R1", tool, last, "2025-09-10")
        r = self.run_ref(x, tools=tools)
        self.assertEqual(r.get("M191"), "1")
        self.assertEqual(r.get("M198"), "1")


# ---------------------------------------------------------------------------
# Selection, period end, validation
# ---------------------------------------------------------------------------

class Validation(Base):
    def test_discharge_after_period_end(self):
        x = Extract()
        x.patient("P1")
        # RLATE: discharged 10-05 (after E) with code 46, treated 07-10 and
        # 09-10, and a third treatment on 10-02 (after E: left out).
        # For September: not discharged, not finished; has had treatment so
        # not waiting.  M184: second treatment 09-10 in period.
        x.finisher("RLATE", "P1", disch="2025-10-05", end="46")
        x.contact("RLATEc3", "RLATE", "2025-10-02")
        # RWAIT: no treatment, discharged 10-03: still waiting at E.
        x.referral("RWAIT", "P1", "2025-09-01", "2025-10-03", "50")
        # RFUT: received 10-01: not open in September.
        x.referral("RFUT", "P1", "2025-10-01")
        # RPAST: discharged 08-31: not open in September.
        x.referral("RPAST", "P1", "2025-08-01", "2025-08-31", "10")
        r = self.run_ref(x)
        self.assertEqual(r.get("M056"), "0")
        self.assertEqual(r.get("M066"), "0")
        self.assertEqual(r.get("M076"), "0")
        self.assertEqual(r.get("M057"), "0")
        self.assertEqual(r.get("M038"), "1")     # RWAIT
        self.assertEqual(r.get("M001"), "1")     # RWAIT (RFUT is after E)
        self.assertEqual(r.get("M184"), "1")
        self.assertEqual(r.get("M082"), "1")     # 09-10 only

    def test_duplicate_ids_reject_all_copies(self):
        x = Extract()
        x.patient("P1")
        x.patient("PDUP")
        x.patient("PDUP", birth="1990-01-01")
        # RDUP twice: both copies rejected, and their contacts are orphans.
        x.referral("RDUP", "P1", "2025-09-02")
        x.referral("RDUP", "P1", "2025-09-03")
        x.contact("CD", "RDUP", "2025-09-10")
        # RP of the duplicated patient: rejected by the cascade.
        x.referral("RP", "PDUP", "2025-09-04")
        # R1 good; its contact id C1 is used twice: both contacts rejected.
        x.referral("R1", "P1", "2025-09-05")
        x.contact("C1", "R1", "2025-09-10")
        x.contact("C1", "R1", "2025-09-11")
        x.contact("C2", "R1", "2025-09-12", attend="2")
        r = self.run_ref(x)
        self.assertEqual(r.get("M001"), "1")     # R1 only
        self.assertEqual(r.get("M082"), "1")     # C2 only
        self.assertEqual(r.get("M083"), "1")
        self.assertEqual(r.get("M031"), "0")     # C1 copies rejected

    def test_rejection_cascade(self):
        x = Extract()
        # P2's birth date is not a real day: P2 rejected -> R2 -> C3 -> A3.
        x.patient("P1")
        x.patient("P2", birth="2024-02-30")
        x.referral("R1", "P1", "2025-09-02")
        x.referral("R2", "P2", "2025-09-02")
        x.contact("C3", "R2", "2025-09-10")
        x.activity("A3", "C3", CBT)
        # C1 has AppType "2" (the list has "02"): rejected, with its CBT
        # activity A1 and A1's IDS607 score.  C2 is fine, with CBT.
        x.contact("C1", "R1", "2025-09-10", app="2")
        x.activity("A1", "C1", CBT)
        x.score_act("A1", PHQ, 20)
        x.contact("C2", "R1", "2025-09-11")
        x.activity("A2", "C2", CBT)
        # An IDS603 row and an IDS004 row of the rejected referral / patient.
        x.complaint("R2", "F32")
        x.employment("P2", "2025-09-01", "Y")
        r = self.run_ref(x)
        self.assertEqual(r.get("M001"), "1")
        self.assertEqual(r.get("M082"), "1")
        self.assertEqual(r.get("M110"), "1")
        root = os.path.join(self.dir, os.listdir(self.dir)[0])
        v = ref.load_extract(os.path.join(root, "RAT", PERIOD), "RAT",
                             *ref.period_bounds(PERIOD))
        self.assertEqual(sorted(v.patients), ["P1"])
        self.assertEqual(sorted(v.referrals), ["R1"])
        self.assertEqual(sorted(v.contacts), ["C2"])
        self.assertEqual(sorted(v.activities), ["A2"])
        self.assertEqual(v.scores607, [])
        self.assertEqual(v.complaints, [])
        self.assertEqual(v.employment, [])

    def test_reading_rules(self):
        # Cells trimmed; blank lines skipped; a ragged row rejected; codes
        # exact ("5" is valid AttendOrDNACode, "05" is not); an invalid
        # NHS number does not reject; BOM and CRLF accepted.
        x = Extract()
        x.raw["IDS001MPI"] = ("\ufeffLocalPatientId,PersonBirthDate,NHSNumber\r\n"
                              " P1 ,\t1980-01-01 ,1234567890\r\n"
                              "\r\n"
                              "P2,1980-01-01,x,extra\r\n")
        x.raw["IDS101Referral"] = ("ServiceRequestId,LocalPatientId,OrgIDComm,"
                                   "ReferralRequestReceivedDate\n"
                                   "R1,P1,00L,2025-09-01\n"
                                   "   \n"
                                   "R2,P2,00L,2025-09-01\n"
                                   "R3,P1,00l,2025-09-01\n"
                                   "R4,P1,00L,2025-9-01\n")
        x.raw["IDS201CareContact"] = ("CareContactId,ServiceRequestId,CareContDate,"
                                      "AppType,AttendOrDNACode\n"
                                      "C1,R1,2025-09-02, 02 ,5\n"
                                      "C2,R1,2025-09-03,02,05\n"
                                      "C3,R1,2025-09-04,2,5\n")
        r = self.run_ref(x)
        # R1 only: P2's row is ragged; R3's commissioner is lower case; R4's
        # date is not YYYY-MM-DD.
        self.assertEqual(r.get("M001"), "1")
        self.assertEqual(r.get("M082"), "1")     # C1 only
        self.assertEqual(r.get("M031"), "1")

    def test_refused_extracts(self):
        # RAT's header names RBB: skipped.  RBB's header has the wrong
        # period: skipped.  RCC lacks IDS101Referral: skipped.  RDD has an
        # unterminated quote: skipped.  REE is fine.
        a = referrals_received("RAT", 1)
        a.tables["IDS000Header"][0][0] = "RBB"
        b = referrals_received("RBB", 1)
        b.tables["IDS000Header"][0][1:] = ["2025-08-01", "2025-08-31"]
        c = referrals_received("RCC", 1)
        d = referrals_received("RDD", 1)
        d.raw["IDS201CareContact"] = 'CareContactId,ServiceRequestId\n"C1,R1\n'
        e = referrals_received("REE", 1)
        root = os.path.join(self.dir, "refused")
        for x in (a, b, c, d, e):
            x.write(root)
        os.remove(os.path.join(root, "RCC", PERIOD, "IDS101Referral.csv"))
        log = io.StringIO()
        rows = ref.compute(root, PERIOD, GEOGRAPHY, PROVIDERS,
                           ref.default_tools(), log=log)
        r = Result(rows, log.getvalue())
        self.assertEqual(r.get("M001"), "1")
        self.assertEqual([g[3] for g in r.groups() if g[0] == "Provider"], ["REE"])
        for org in ("RAT", "RBB", "RCC", "RDD"):
            self.assertIn("provider %s skipped" % org, r.log)

    def test_structural_errors_refuse(self):
        # Each of these refuses RAT's extract as a whole: no output rows.
        cases = {
            "nul": b"CareActId,CareContactId\nA1,C\x001\n",
            "utf8": b"CareActId,CareContactId\nA1,C\xff\n",
            "columns": (",".join("c%d" % i for i in range(257)) + "\n").encode(),
            "quote": b'CareActId,CareContactId\n"A1"x,C1\n',
            "field": b"CareActId,CareContactId\nA1," + b"x" * 65537 + b"\n",
        }
        for name, data in cases.items():
            x = referrals_received("RAT", 1)
            root = os.path.join(self.dir, "s-" + name)
            x.write(root)
            with open(os.path.join(root, "RAT", PERIOD,
                                   "IDS202CareActivity.csv"), "wb") as f:
                f.write(data)
            log = io.StringIO()
            rows = ref.compute(root, PERIOD, GEOGRAPHY, PROVIDERS,
                               ref.default_tools(), log=log)
            self.assertEqual(len(rows), 1, name)          # the header only
            self.assertIn("provider RAT skipped", log.getvalue(), name)

    def test_shipped_tool_table(self):
        # data/assessment-tools.csv is the default table.
        path = os.path.join(HERE, "..", "..", "data", "assessment-tools.csv")
        t = ref.load_tools(path)
        d = ref.default_tools()
        for a, b in ((t.depression, d.depression), (t.anxiety, d.anxiety)):
            self.assertEqual((a.code, a.min, a.max, a.caseness, a.reliable_change),
                             (b.code, b.min, b.max, b.caseness, b.reliable_change))
        self.assertEqual(t.adsms, [])

    def test_appointment_measures(self):
        # Treatment appointments in period: C1 (CBT, attended), C2
        # (counselling for depression, arrived late but seen), C3 (CBT but
        # did not attend: not a treatment appointment), C4 (assessment with
        # CBT code: not a treatment appointment).  M110 = 1, M104 = 1.
        x = Extract()
        x.patient("P1")
        x.referral("R1", "P1", "2025-08-01")
        x.contact("C1", "R1", "2025-09-02")
        x.activity("A1", "C1", CBT)
        x.activity("A1b", "C1", "228557008")       # second CBT code, same appt
        x.contact("C2", "R1", "2025-09-03", app="05", attend="6")
        x.activity("A2", "C2", CFD)
        x.contact("C3", "R1", "2025-09-04", attend="3")
        x.activity("A3", "C3", CBT)
        x.contact("C4", "R1", "2025-09-05", app="01")
        x.activity("A4", "C4", CBT)
        r = self.run_ref(x)
        self.assertEqual(r.get("M082"), "4")
        self.assertEqual(r.get("M110"), "1")
        self.assertEqual(r.get("M104"), "1")
        self.assertEqual(r.get("M084"), "1")
        self.assertEqual(r.get("M086"), "2")
        self.assertEqual(r.get("M087"), "1")
        # First treatment 09-02, second 09-03: M031 = M184 = 1; wait 32.
        self.assertEqual(r.get("M031"), "1")
        self.assertEqual(r.get("M184"), "1")
        self.assertEqual(r.get("M048"), "32.0")
        # Assessment 09-05 in period (C2 is 05, not an assessment): M023 = 1.
        self.assertEqual(r.get("M023"), "1")


# ---------------------------------------------------------------------------
# Breakdowns
# ---------------------------------------------------------------------------

class Breakdowns(Base):
    def test_age_breakdown(self):
        # P1 born 2007-09-06: on 2025-09-05 aged 17 (Under 18); P2 born
        # 2007-09-05: on 2025-09-05 aged 18 (18-25).
        x = Extract()
        x.patient("P1", birth="2007-09-06")
        x.patient("P2", birth="2007-09-05")
        x.referral("R1", "P1", "2025-09-05")
        x.referral("R2", "P2", "2025-09-05")
        x.referral("R3", "P2", "2025-09-06")
        r = self.run_ref(x, breakdown="age", unsuppressed=True)
        self.assertEqual(r.header[7:9], ["BREAKDOWN", "BREAKDOWN_LEVEL"])
        self.assertEqual(r.get("M001", level="Under 18"), "1")
        self.assertEqual(r.get("M001", level="18-25"), "2")
        levels = []
        for row in r.rows:
            if row[2] == "England" and row[8] not in levels:
                levels.append(row[8])
        self.assertEqual(levels, ["Under 18", "18-25"])     # others absent
        self.assertEqual(r.rows[0][7], "Age band at referral")

    def test_imd_breakdown(self):
        # Prefixes NE1 -> 3 and NE11AD -> 2: "ne1 1ad" normalises to NE11AD
        # (longest prefix: 2); NE1 4XX -> NE14XX: 3; no postcode: Unknown.
        x = Extract()
        x.patient("P1", postcode="ne1 1ad")
        x.patient("P2", postcode="NE1 4XX")
        x.patient("P3", postcode="")
        for i, p in enumerate(("P1", "P2", "P3")):
            x.referral("R%d" % i, p, "2025-09-05")
        r = self.run_ref(x, breakdown="imd", imd={"NE1": "3", "NE11AD": "2"})
        self.assertEqual(r.get("M001", level="2"), "1")
        self.assertEqual(r.get("M001", level="3"), "1")
        self.assertEqual(r.get("M001", level="Unknown"), "1")

    def test_therapy_and_problem_levels(self):
        # R1: three treatment appointments: CBT, CBT + CBT (one appointment
        # counts once), counselling: main therapy CBT.  Primary problem F411
        # (latest dated; F32 has no date and ranks before): GAD level.
        x = Extract()
        x.patient("P1")
        x.referral("R1", "P1", "2025-09-01")
        x.contact("C1", "R1", "2025-09-02")
        x.activity("A1", "C1", CBT)
        x.contact("C2", "R1", "2025-09-03")
        x.activity("A2", "C2", CBT)
        x.activity("A2b", "C2", "228557008")
        x.contact("C3", "R1", "2025-09-04")
        x.activity("A3", "C3", CFD)
        x.complaint("R1", "F411", "", "2025-09-01")
        x.complaint("R1", "F32")
        r = self.run_ref(x, breakdown="therapy", unsuppressed=True)
        self.assertEqual(r.get("M001", level="Cognitive behaviour therapy"), "1")
        r = self.run_ref(x, breakdown="problem", unsuppressed=True)
        self.assertEqual(r.get("M001", level="Generalised anxiety disorder"), "1")


# ---------------------------------------------------------------------------
# compare.py and the command line
# ---------------------------------------------------------------------------

class CommandLine(Base):
    def write_inputs(self):
        x = Extract()
        x.patient("P1")
        x.finisher("R1", "P1")
        root = os.path.join(self.dir, "ext")
        x.write(root)
        geo = os.path.join(self.dir, "geography.csv")
        with open(geo, "w") as f:
            f.write("subicb_code,subicb_name,icb_code,icb_name,region_code,region_name\n"
                    '00L,"Sub-ICB 00L, North",QHM,ICB QHM,Y63,North East\n')
        prov = os.path.join(self.dir, "providers.csv")
        with open(prov, "w") as f:
            f.write("org_code,name\nRAT,Provider RAT\n")
        return root, geo, prov

    def run_main(self, module, args):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = module.main(args)
        return rc, out.getvalue()

    def test_cli_and_compare(self):
        root, geo, prov = self.write_inputs()
        a = os.path.join(self.dir, "a.csv")
        rc, _ = self.run_main(ref, ["--extracts", root, "--period", PERIOD,
                                    "--geography", geo, "--providers", prov,
                                    "--out", a])
        self.assertEqual(rc, 0)
        with open(a, newline="") as f:
            text = f.read()
        self.assertNotIn("\r", text)
        # A name with a comma is quoted, others are not.
        self.assertIn('SubICB,00L,"Sub-ICB 00L, North",all,all Providers,M001,'
                      'Count_ReferralsReceived,*\n', text)
        rc, out = self.run_main(compare, [a, a])
        self.assertEqual(rc, 0)
        self.assertTrue(out.endswith("rows compared, 0 differences\n"), out)
        n = text.count("\n") - 1
        self.assertIn("%d rows compared" % n, out)

        # One value changed, one row dropped: two differences.
        lines = text.splitlines(keepends=True)
        b = os.path.join(self.dir, "b.csv")
        changed = lines[1].replace(",0\n", ",7\n")
        self.assertNotEqual(changed, lines[1])
        with open(b, "w", newline="") as f:
            f.writelines([lines[0], changed] + lines[2:-1])
        rc, out = self.run_main(compare, [a, b])
        self.assertEqual(rc, 1)
        self.assertIn("different value: M001 for England all / all", out)
        self.assertIn("missing in B: M210 for Provider all / RAT", out)
        self.assertTrue(out.endswith("%d rows compared, 2 differences\n" % n), out)

        # Same rows, two swapped: an order difference only.
        c = os.path.join(self.dir, "c.csv")
        with open(c, "w", newline="") as f:
            f.writelines([lines[0], lines[2], lines[1]] + lines[3:])
        rc, out = self.run_main(compare, [a, c])
        self.assertEqual(rc, 1)
        self.assertIn("order B", out)
        self.assertTrue(out.endswith("1 differences\n"), out)

    def test_cli_breakdown_output(self):
        root, geo, prov = self.write_inputs()
        a = os.path.join(self.dir, "a.csv")
        rc, _ = self.run_main(ref, ["--extracts", root, "--period", PERIOD,
                                    "--geography", geo, "--providers", prov,
                                    "--breakdown", "ltc", "--out", a])
        self.assertEqual(rc, 0)
        rc, out = self.run_main(compare, [a, a])
        self.assertEqual(rc, 0, out)
        with open(a, newline="") as f:
            first = f.read().splitlines()[1]
        self.assertEqual(first, "2025-09-01,2025-09-30,England,all,all SubICBs,"
                         "all,all Providers,Long-term condition,No,M001,"
                         "Count_ReferralsReceived,0")


# ---------------------------------------------------------------------------

class CountingResult(unittest.TextTestResult):
    pass


def main():
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=2,
                                     resultclass=CountingResult)
    result = runner.run(suite)
    failed = len(result.failures) + len(result.errors) + \
        len(result.unexpectedSuccesses)
    passed = result.testsRun - failed - len(result.skipped)
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
