#!/usr/bin/python3
"""Hand-worked tests of the CYP reference computation (cyp_reference.py).

Every expected value is worked out by hand in a comment next to it, from
docs/CYP.md and the shipped tool table data/cyp-assessment-tools.csv:
  RCADS47C symptom 0..141 better=lower  caseness 50 reliable change 14
  ORS      symptom 0..40  better=higher caseness 28 reliable change 5
  GBO      goal    0..10  better=higher            reliable change 2.45
The period is September 2025 throughout: S = 2025-09-01, E = 2025-09-30.
Ends with a line "N passed, N failed"; exit status 0 only when all pass.
"""

import contextlib
import csv
import datetime
import io
import os
import shutil
import sys
import tempfile
import types
import unittest
from fractions import Fraction

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare  # noqa: E402
import cyp_reference as cyp  # noqa: E402

PERIOD = "2025-09"
TOOLS = cyp.load_tools(cyp.DEFAULT_TOOLS)

GEOGRAPHY = {
    "00L": ("Sub-ICB 00L", "QHM", "ICB QHM", "Y63", "North East"),
    "00M": ("Sub-ICB 00M", "QHM", "ICB QHM", "Y63", "North East"),
    "01A": ("Sub-ICB 01A", "QOP", "ICB QOP", "Y62", "North West"),
}
PROVIDERS = {"RAT": ("Provider RAT", "00L"), "RBB": ("Provider RBB", "01A"),
             "RCC": ("Provider RCC", "00M")}

COLUMNS = {
    "CYP000Header": ["OrgIDProv", "ReportingPeriodStartDate",
                     "ReportingPeriodEndDate", "OrgSector"],
    "CYP001MPI": ["LocalPatientId", "NHSNumber", "PersonBirthDate", "Postcode",
                  "GenderIdentity", "EthnicCategory"],
    "CYP101Referral": ["ServiceRequestId", "LocalPatientId", "OrgIDComm",
                       "ReferralRequestReceivedDate", "SourceOfReferral",
                       "TeamType", "PrimReasonReferral", "ServDischDate"],
    "CYP201CareContact": ["CareContactId", "ServiceRequestId", "CareContDate",
                          "AttendOrDNACode", "ConsMechanism"],
    "CYP607CodedScore": ["ServiceRequestId", "AssToolCompDate",
                         "CodedAssToolType", "PersScore", "GoalNumber"],
}


class Extract:
    """A tiny CYP extract, written as CSV files."""

    def __init__(self, org="RAT", start="2025-09-01", end="2025-09-30",
                 sector="NHS", header_org=None):
        self.org = org
        self.tables = {t: [] for t in COLUMNS}
        self.tables["CYP000Header"].append([header_org or org, start, end, sector])

    def patient(self, pid, birth="2012-06-15", gender="2", eth="A", nhs=""):
        self.tables["CYP001MPI"].append([pid, nhs, birth, "", gender, eth])

    def referral(self, rid, pid, received="2025-07-01", disch="", comm="00L",
                 source="04", team="CWP", reason="01"):
        self.tables["CYP101Referral"].append(
            [rid, pid, comm, received, source, team, reason, disch])

    def contact(self, cid, rid, day, attend="5", mech="01"):
        self.tables["CYP201CareContact"].append([cid, rid, day, attend, mech])

    def score(self, rid, tool, value, day, goal=""):
        self.tables["CYP607CodedScore"].append([rid, day, tool, str(value), goal])

    def closed(self, rid, pid=None, scores=(), mechs=("01", "02"),
               received="2025-07-01", disch="2025-09-20", **kw):
        """A patient and a referral closed in the period after attended
        contacts on 2025-07-10, 2025-08-10, ... (one per mechanism), with the
        scores given as (tool, value, day[, goal])."""
        pid = pid or "P" + rid
        self.patient(pid)
        self.referral(rid, pid, received, disch, **kw)
        for i, mech in enumerate(mechs):
            self.contact("%sc%d" % (rid, i), rid, "2025-%02d-10" % (7 + i),
                         mech=mech)
        for s in scores:
            self.score(rid, *s)

    def write(self, root, period=PERIOD):
        d = os.path.join(root, self.org, period)
        os.makedirs(d, exist_ok=True)
        for table, rows in self.tables.items():
            with open(os.path.join(d, table + ".csv"), "w", encoding="utf-8",
                      newline="") as f:
                w = csv.writer(f, lineterminator="\n")
                w.writerow(COLUMNS[table])
                w.writerows(rows)
        return d


class Base(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="cyp-ref-test-")
        self.log = io.StringIO()

    def tearDown(self):
        shutil.rmtree(self.dir)

    def rows(self, *extracts, unsuppressed=True, breakdown=None, period=PERIOD):
        root = os.path.join(self.dir, "x")
        for x in extracts:
            x.write(root, period)
        return cyp.compute(root, period, GEOGRAPHY, PROVIDERS, TOOLS,
                           breakdown=breakdown, unsuppressed=unsuppressed,
                           log=self.log)

    def values(self, *extracts, unsuppressed=True):
        """{(GROUP_TYPE, code, measure): value} (code of the Provider is its
        ORG_CODE2)."""
        out = {}
        for r in self.rows(*extracts, unsuppressed=unsuppressed)[1:]:
            code = r[5] if r[2] == "Provider" else r[3]
            out[(r[2], code, r[7])] = r[9]
        return out

    def england(self, *extracts):
        return {k[2]: v for k, v in self.values(*extracts).items()
                if k[0] == "England"}

    def provider(self, *extracts, org="RAT"):
        """Suppressed values of one provider."""
        return {k[2]: v for k, v in self.values(*extracts, unsuppressed=False).items()
                if k[0] == "Provider" and k[1] == org}

    def derived(self, x):
        """rid -> the derived referral."""
        root = os.path.join(self.dir, "d")
        x.write(root)
        out = {}
        for _, refs in cyp.month_referrals(root, PERIOD, TOOLS, self.log):
            for p in refs:
                out[p.referral["ServiceRequestId"]] = p
        return out


def rc(value_first, value_last, tool="RCADS47C", goal=""):
    return [(tool, value_first, "2025-07-10", goal),
            (tool, value_last, "2025-09-15", goal)]


# ---------------------------------------------------------------------------

class Caseness(Base):
    def eligible(self, scores):
        x = Extract()
        x.closed("R1", scores=scores)
        return self.england(x)["C040"]

    def test_lower_at_caseness(self):
        # RCADS47C better=lower, caseness 50: First 50 >= 50 is at caseness;
        # the paired series is eligible, so the referral is outcome-eligible.
        self.assertEqual(self.eligible(rc(50, 40)), "1")

    def test_lower_just_over(self):
        self.assertEqual(self.eligible(rc("50.01", 40)), "1")

    def test_lower_just_under(self):
        # 49.99 < 50: not at caseness, no eligible series: C040 = 0.
        self.assertEqual(self.eligible(rc("49.99", 40)), "0")

    def test_higher_at_caseness(self):
        # ORS better=higher, caseness 28: First 28 <= 28 is at caseness.
        self.assertEqual(self.eligible(rc(28, 35, "ORS")), "1")

    def test_higher_just_under(self):
        self.assertEqual(self.eligible(rc("27.99", 35, "ORS")), "1")

    def test_higher_just_over(self):
        # 28.01 > 28: not at caseness.
        self.assertEqual(self.eligible(rc("28.01", 35, "ORS")), "0")

    def test_single_score_not_paired(self):
        # One score at caseness is not paired: no eligible series.
        self.assertEqual(self.eligible([("RCADS47C", 60, "2025-07-10", "")]), "0")


class ReliableChange(Base):
    def flags(self, scores):
        x = Extract()
        x.closed("R1", scores=scores)
        e = self.england(x)
        return e["C041"], e["C043"]

    def test_lower_improvement_exactly(self):
        # 60 -> 46: moved 14 in the better (lower) direction, 14 >= 14.
        self.assertEqual(self.flags(rc(60, 46)), ("1", "0"))

    def test_lower_improvement_just_under(self):
        # 60 -> 46.01: 13.99 < 14: neither flag.
        self.assertEqual(self.flags(rc(60, "46.01")), ("0", "0"))

    def test_lower_deterioration_exactly(self):
        # 60 -> 74: 14 the other way: deterioration.
        self.assertEqual(self.flags(rc(60, 74)), ("0", "1"))

    def test_lower_deterioration_just_under(self):
        self.assertEqual(self.flags(rc(60, "73.99")), ("0", "0"))

    def test_higher_improvement_exactly(self):
        # ORS 20 -> 25: +5 in the better (higher) direction, 5 >= 5.
        self.assertEqual(self.flags(rc(20, 25, "ORS")), ("1", "0"))

    def test_higher_improvement_just_under(self):
        self.assertEqual(self.flags(rc(20, "24.99", "ORS")), ("0", "0"))

    def test_higher_deterioration_exactly(self):
        # ORS 20 -> 15: -5: deterioration.
        self.assertEqual(self.flags(rc(20, 15, "ORS")), ("0", "1"))

    def test_goal_245_reliable(self):
        # GBO 1.10 -> 3.55: 2.45 >= 2.45 exactly (245 hundredths): the goal
        # series improved (C041) and the mean movement 2.45 counts in C052.
        x = Extract()
        x.closed("R1", scores=rc("1.10", "3.55", "GBO", "1"))
        e = self.england(x)
        self.assertEqual((e["C041"], e["C050"], e["C051"], e["C052"], e["C053"]),
                         ("1", "1", "2.5", "1", "100.0"))

    def test_goal_244_not_reliable(self):
        # 1.10 -> 3.54: 2.44 < 2.45: no flag; C052 0, C053 0.0; C051 = 2.44
        # to one decimal = 2.4.
        x = Extract()
        x.closed("R1", scores=rc("1.10", "3.54", "GBO", "1"))
        e = self.england(x)
        self.assertEqual((e["C041"], e["C050"], e["C051"], e["C052"], e["C053"]),
                         ("0", "1", "2.4", "0", "0.0"))

    def test_goal_deterioration(self):
        # GBO 5 -> 2.55: -2.45: a reliable deterioration of the goal series.
        x = Extract()
        x.closed("R1", scores=rc(5, "2.55", "GBO", "2"))
        e = self.england(x)
        self.assertEqual((e["C040"], e["C041"], e["C043"]), ("1", "0", "1"))

    def test_c052_judges_mean_flags_judge_series(self):
        # Goal 1: 2 -> 5 (+3, reliable); goal 2: 2 -> 3 (+1).  Mean movement
        # (3 + 1) / 2 = 2 < 2.45: C052 0.  Goal 1 alone is reliably improved
        # and nothing deteriorated: C041 1.
        x = Extract()
        x.closed("R1", scores=rc(2, 5, "GBO", "1") + rc(2, 3, "GBO", "2"))
        e = self.england(x)
        self.assertEqual((e["C041"], e["C052"], e["C051"]), ("1", "0", "2.0"))

    def test_improvement_with_other_deterioration(self):
        # RCADS 60 -> 40 improved, ORS 20 -> 10 deteriorated (both at
        # caseness, eligible): no measurable improvement; deterioration.
        x = Extract()
        x.closed("R1", scores=rc(60, 40) + rc(20, 10, "ORS"))
        e = self.england(x)
        self.assertEqual((e["C041"], e["C043"]), ("0", "1"))

    def test_not_eligible_series_ignored(self):
        # RCADS 60 -> 40 improved; ORS 35 -> 20 (First 35 > 28: not at
        # caseness, so not eligible) deteriorates by 15 but counts in no flag.
        x = Extract()
        x.closed("R1", scores=rc(60, 40) + rc(35, 20, "ORS"))
        e = self.england(x)
        self.assertEqual((e["C041"], e["C043"], e["C045"]), ("1", "0", "1"))


class Recovery(Base):
    def test_recovered(self):
        # RCADS 60 -> 49: Last 49 < 50 not at caseness: recovered (11 < 14,
        # not reliable; recovery does not need reliable improvement).
        x = Extract()
        x.closed("R1", scores=rc(60, 49))
        e = self.england(x)
        self.assertEqual((e["C045"], e["C046"], e["C047"]), ("1", "1", "100.0"))

    def test_last_at_caseness(self):
        # 60 -> 50: Last 50 still at caseness: not recovered.
        x = Extract()
        x.closed("R1", scores=rc(60, 50))
        e = self.england(x)
        self.assertEqual((e["C045"], e["C046"], e["C047"]), ("0", "1", "0.0"))

    def test_higher_last_just_over(self):
        # ORS 20 -> 28.01 > 28: not at caseness: recovered.  20 -> 28: not.
        x = Extract()
        x.closed("R1", scores=rc(20, "28.01", "ORS"))
        x.closed("R2", scores=rc(20, 28, "ORS"))
        e = self.england(x)
        self.assertEqual((e["C045"], e["C046"]), ("1", "2"))

    def test_every_caseness_series_must_recover(self):
        # RCADS 60 -> 40 recovered, ORS 20 -> 22 still at caseness: not
        # recovered.
        x = Extract()
        x.closed("R1", scores=rc(60, 40) + rc(20, 22, "ORS"))
        self.assertEqual(self.england(x)["C045"], "0")

    def test_goal_deterioration_blocks_recovery(self):
        # RCADS 60 -> 40 but GBO 6 -> 3 (-3, reliable deterioration).
        x = Extract()
        x.closed("R1", scores=rc(60, 40) + rc(6, 3, "GBO", "1"))
        e = self.england(x)
        self.assertEqual((e["C045"], e["C046"], e["C043"]), ("0", "1", "1"))

    def test_goal_only_not_recovery_eligible(self):
        # Eligible through a paired goal series only: C040 1, C046 0, C047
        # empty (nothing to divide by).
        x = Extract()
        x.closed("R1", scores=rc(2, 6, "GBO", "3"))
        e = self.england(x)
        self.assertEqual((e["C040"], e["C046"], e["C047"]), ("1", "0", ""))


class Contacts(Base):
    def test_one_face_to_face(self):
        # Two attended contacts, one face to face (01): eligible.
        x = Extract()
        x.closed("R1", scores=rc(60, 40), mechs=("02", "01"))
        self.assertEqual(self.england(x)["C040"], "1")

    def test_no_face_to_face(self):
        # Telephone and video only: not eligible (C031 still counts it).
        x = Extract()
        x.closed("R1", scores=rc(60, 40), mechs=("02", "11"))
        e = self.england(x)
        self.assertEqual((e["C031"], e["C032"], e["C040"]), ("1", "1", "0"))

    def test_face_to_face_dna_does_not_count(self):
        # Attended by telephone twice; the face-to-face contact was a DNA.
        x = Extract()
        x.closed("R1", scores=rc(60, 40), mechs=("02", "02"))
        x.contact("R1dna", "R1", "2025-09-01", attend="3", mech="01")
        e = self.england(x)
        self.assertEqual((e["C040"], e["C021"]), ("0", "1"))

    def test_one_attended_contact(self):
        # One attended, one DNA: C030 1, C031 0, C040 0.
        x = Extract()
        x.closed("R1", scores=rc(60, 40), mechs=("01",))
        x.contact("R1dna", "R1", "2025-09-02", attend="3")
        e = self.england(x)
        self.assertEqual((e["C030"], e["C031"], e["C032"], e["C040"]),
                         ("1", "0", "0", "0"))

    def test_two_attended_contacts(self):
        # 5 (on time) and 6 (late but seen) both attended: C031 1.
        x = Extract()
        x.patient("P1")
        x.referral("R1", "P1", "2025-08-20", "2025-09-25")
        x.contact("c1", "R1", "2025-09-02", attend="6")
        x.contact("c2", "R1", "2025-09-09", attend="5")
        e = self.england(x)
        # First (09-02) and second (09-09) attended contacts in period:
        # C010 1, C011 1; wait 13 days; C020 2.
        self.assertEqual((e["C031"], e["C010"], e["C011"], e["C020"], e["C060"]),
                         ("1", "1", "1", "2", "13.0"))

    def test_attendance_codes(self):
        # Codes 2, 4, 7 are in neither C020 nor C021; 3 is a DNA.
        x = Extract()
        x.patient("P1")
        x.referral("R1", "P1", "2025-08-20")
        for i, code in enumerate("234567"):
            x.contact("c%d" % i, "R1", "2025-09-%02d" % (i + 1), attend=code)
        e = self.england(x)
        # Attended: 5, 6 -> C020 2; DNA 3 -> C021 1; C022 = 1/3 = 33.3%.
        self.assertEqual((e["C020"], e["C021"], e["C022"]), ("2", "1", "33.3"))

    def test_second_contact_before_period(self):
        # Attended 2025-08-01 and 2025-08-05, closed 09-10: C010 and C011 0
        # (not in the period), C031 1 (contacts count whatever the period).
        x = Extract()
        x.patient("P1")
        x.referral("R1", "P1", "2025-07-20", "2025-09-10")
        x.contact("c1", "R1", "2025-08-05")
        x.contact("c2", "R1", "2025-08-01")
        p = self.derived(x)["R1"]
        self.assertEqual((p.first_attended.isoformat(),
                          p.second_attended.isoformat()),
                         ("2025-08-01", "2025-08-05"))
        e = self.england(x)
        self.assertEqual((e["C010"], e["C011"], e["C031"]), ("0", "0", "1"))

    def test_contact_after_closure_counts(self):
        # Closed 09-05; a contact on 09-12 (after closure, before E) counts.
        x = Extract()
        x.patient("P1")
        x.referral("R1", "P1", "2025-08-20", "2025-09-05")
        x.contact("c1", "R1", "2025-09-02")
        x.contact("c2", "R1", "2025-09-12")
        e = self.england(x)
        self.assertEqual((e["C020"], e["C031"], e["C011"]), ("2", "1", "1"))


class EqualDates(Base):
    def test_file_order_first_last(self):
        # Three RCADS scores, two on 09-15.  Order by date then file order:
        # 60 (07-10), then 50 and 40 on 09-15 in that file order: Last = 40.
        x = Extract()
        x.closed("R1", scores=[("RCADS47C", 60, "2025-07-10"),
                               ("RCADS47C", 50, "2025-09-15"),
                               ("RCADS47C", 40, "2025-09-15")])
        s = self.derived(x)["R1"].series[0]
        self.assertEqual((s.first, s.last), (60, 40))

    def test_same_day_pair_file_order(self):
        # Two scores on the same day pair.  60 then 46 in file order: 14
        # better: improved.  Reversed (46 then 60): deterioration.
        x = Extract()
        x.closed("R1", scores=[("RCADS47C", 60, "2025-09-01"),
                               ("RCADS47C", 46, "2025-09-01")])
        x.closed("R2", scores=[("RCADS47C", 60, "2025-09-01"),
                               ("RCADS47C", 74, "2025-09-01")])
        e = self.england(x)
        self.assertEqual((e["C040"], e["C041"], e["C043"]), ("2", "1", "1"))

    def test_file_order_not_sorted_by_value(self):
        # Written in the file later-date first: dates decide, not lines.
        x = Extract()
        x.closed("R1", scores=[("ORS", 35, "2025-09-15"),
                               ("ORS", 20, "2025-07-10")])
        s = self.derived(x)["R1"].series[0]
        self.assertEqual((s.first, s.last, s.reliable_improvement()),
                         (20, 35, True))


class Waits(Base):
    def two(self, first_day):
        x = Extract()
        x.patient("P1")
        x.referral("R1", "P1", "2025-08-10")
        x.contact("c1", "R1", first_day)
        return self.england(x)

    def test_28_days(self):
        # 2025-08-10 -> 2025-09-07: 21 + 7 = 28 days: within 4 weeks.
        e = self.two("2025-09-07")
        self.assertEqual((e["C010"], e["C062"], e["C063"], e["C060"], e["C061"]),
                         ("1", "1", "100.0", "28.0", "28.0"))

    def test_29_days(self):
        e = self.two("2025-09-08")
        self.assertEqual((e["C010"], e["C062"], e["C063"], e["C060"], e["C061"]),
                         ("1", "0", "0.0", "29.0", "29.0"))

    def test_mean_median(self):
        x = Extract()
        for i, wait_days in enumerate((10, 20, 30, 29)):
            rid = "R%d" % i
            x.patient("P" + rid)
            x.referral(rid, "P" + rid, "2025-08-31")
            x.contact(rid + "c", rid, "2025-09-%02d" % wait_days)
        # Waits 10, 20, 30, 29 -> sum 89, mean 22.25 -> 22.3; sorted 10 20 29
        # 30: median 24.5; within 28: 10 and 20: 2 of 4 = 50.0.
        e = self.england(x)
        self.assertEqual((e["C060"], e["C061"], e["C062"], e["C063"], e["C010"]),
                         ("22.3", "24.5", "2", "50.0", "4"))

    def test_negative_wait_used(self):
        # First attended contact 2025-09-01 before the referral of 09-03:
        # wait -2, used as written: C060 -2.0, C062 1.
        x = Extract()
        x.patient("P1")
        x.referral("R1", "P1", "2025-09-03")
        x.contact("c1", "R1", "2025-09-01")
        e = self.england(x)
        self.assertEqual((e["C060"], e["C061"], e["C062"]), ("-2.0", "-2.0", "1"))

    def waiting(self, received):
        x = Extract()
        x.patient("P1")
        x.referral("R1", "P1", received)
        x.contact("dna", "R1", "2025-09-10", attend="3")
        e = self.england(x)
        return e["C012"], e["C013"], e["C014"]

    def test_126_days(self):
        # 2025-05-27 -> 2025-09-30: 4 + 30 + 31 + 31 + 30 = 126: not over.
        self.assertEqual(self.waiting("2025-05-27"), ("1", "1", "0"))

    def test_127_days(self):
        self.assertEqual(self.waiting("2025-05-26"), ("1", "1", "1"))

    def test_attended_is_not_waiting(self):
        x = Extract()
        x.patient("P1")
        x.referral("R1", "P1", "2025-01-01")
        x.contact("c1", "R1", "2025-02-01")
        e = self.england(x)
        self.assertEqual((e["C012"], e["C013"], e["C014"]), ("1", "0", "0"))


class Suppression(Base):
    def dna_extract(self, attended, dna):
        x = Extract()
        x.patient("P1")
        x.referral("R1", "P1", "2025-08-01")
        for i in range(attended):
            x.contact("a%d" % i, "R1", "2025-09-%02d" % (1 + i % 28))
        for i in range(dna):
            x.contact("d%d" % i, "R1", "2025-09-%02d" % (1 + i % 28), attend="3")
        return x

    def test_c022_dna_under_5(self):
        # C021 4, C020 + C021 14: numerator under 5: *.
        self.assertEqual(self.provider(self.dna_extract(10, 4))["C022"], "*")

    def test_c022_denominator(self):
        # C021 5, C020 0: 5/5 = 100.
        self.assertEqual(self.provider(self.dna_extract(0, 5))["C022"], "100")

    def test_c022_shown(self):
        # C021 5 of 15 (C020 10): 33.33 -> 33; C020 10 and C021 5 as counts.
        v = self.provider(self.dna_extract(10, 5))
        self.assertEqual((v["C020"], v["C021"], v["C022"]), ("10", "5", "33"))

    def test_c022_england_not_suppressed(self):
        e = self.england(self.dna_extract(3, 1))
        self.assertEqual(e["C022"], "25.0")

    def goals(self, movements):
        """One closed referral per movement, GBO goal 1 from 5 to 5+m."""
        x = Extract()
        for i, m in enumerate(movements):
            x.closed("R%d" % i, scores=rc(5, str(Fraction(5) + Fraction(m)),
                                          "GBO", "1"))
        return x

    def test_c051_negative_sum_shown(self):
        # Five referrals moving -1 each: count 5, sum -5.  The sum is no test:
        # -1.0 at provider level.
        v = self.provider(self.goals([-1] * 5))
        self.assertEqual((v["C050"], v["C051"]), ("5", "-1.0"))

    def test_c051_zero_sum_shown(self):
        # Movements +1, -1, 0, 0, 0: sum 0, mean 0.0 (not *, not -0.0).
        v = self.provider(self.goals([1, -1, 0, 0, 0]))
        self.assertEqual(v["C051"], "0.0")

    def test_c051_count_under_5(self):
        v = self.provider(self.goals([3, 3, 3, 3]))
        self.assertEqual((v["C050"], v["C051"]), ("*", "*"))

    def test_c060_sum_under_5(self):
        # Five first contacts with wait 0 each: count 5, sum 0 < 5: C060 *,
        # C061 (a median, count only) 0.0.
        x = Extract()
        for i in range(5):
            x.patient("P%d" % i)
            x.referral("R%d" % i, "P%d" % i, "2025-09-02")
            x.contact("c%d" % i, "R%d" % i, "2025-09-02")
        v = self.provider(x)
        self.assertEqual((v["C010"], v["C060"], v["C061"]), ("5", "*", "0.0"))

    def test_counts_rounded_to_5(self):
        # 7 referrals received: 5 (7/5 = 1.4 -> 1); 8 -> 10 (1.6 -> 2).
        for n, want in ((7, "5"), (8, "10"), (4, "*")):
            x = Extract()
            for i in range(n):
                x.patient("P%d" % i)
                x.referral("R%d" % i, "P%d" % i, "2025-09-02")
            self.assertEqual(self.provider(x)["C001"], want)
            shutil.rmtree(os.path.join(self.dir, "x"))


class Rounding(unittest.TestCase):
    def test_half_away_from_zero(self):
        self.assertEqual(cyp.one_decimal(Fraction(-1, 4)), "-0.3")
        self.assertEqual(cyp.one_decimal(Fraction(1, 4)), "0.3")
        self.assertEqual(cyp.one_decimal(Fraction(-1, 20)), "-0.1")
        self.assertEqual(cyp.one_decimal(Fraction(-249, 1000)), "-0.2")

    def test_never_minus_zero(self):
        self.assertEqual(cyp.one_decimal(Fraction(-1, 25)), "0.0")
        self.assertEqual(cyp.format_value("goalmean", (5, Fraction(-1, 5)), True),
                         "0.0")

    def test_whole_percent(self):
        # 1/8 = 12.5% -> 13 below England; 12.5 at England.
        self.assertEqual(cyp.format_value("pct", (5, 40), True), "13")
        self.assertEqual(cyp.format_value("pct", (5, 40), False), "12.5")


class GoalMovement(Base):
    def test_mean_minus_quarter(self):
        # Goal 1: 5 -> 5 (0); goal 2: 4 -> 3.5 (-0.5): the referral's movement
        # is (0 - 0.5) / 2 = -0.25; England C051 -0.25 -> -0.3.
        x = Extract()
        x.closed("R1", scores=rc(5, 5, "GBO", "1") + rc(4, "3.5", "GBO", "2"))
        p = self.derived(x)["R1"]
        self.assertEqual(p.goal_movement, Fraction(-1, 4))
        self.assertEqual(self.england(x)["C051"], "-0.3")

    def test_unpaired_goal_not_in_mean(self):
        # Goal 1 paired 2 -> 6 (+4); goal 2 a single rating: movement 4.
        x = Extract()
        x.closed("R1", scores=rc(2, 6, "GBO", "1") +
                 [("GBO", 1, "2025-08-01", "2")])
        self.assertEqual(self.derived(x)["R1"].goal_movement, 4)

    def test_c050_needs_closure_not_contacts(self):
        # Closed with one attended contact and a paired goal: C050 1, C031 0.
        x = Extract()
        x.closed("R1", scores=rc(2, 6, "GBO", "1"), mechs=("02",))
        e = self.england(x)
        self.assertEqual((e["C030"], e["C031"], e["C050"], e["C052"]),
                         ("1", "0", "1", "1"))


class ScoreRules(Base):
    def series_of(self, scores):
        x = Extract()
        x.closed("R1", scores=scores)
        return [(s.tool.code, s.goal_number, s.paired)
                for s in self.derived(x)["R1"].series]

    def test_unknown_tool_ignored(self):
        self.assertEqual(self.series_of(rc(60, 40, "PHQ9")), [])

    def test_out_of_range_ignored(self):
        # RCADS 0..141: 142 is out of range and ignored; 141 and 0 are used.
        self.assertEqual(self.series_of(rc(142, 40)), [("RCADS47C", "", False)])
        self.assertEqual(self.series_of(rc(141, 0)), [("RCADS47C", "", True)])

    def test_bad_score_text_rejected(self):
        # "40.123" (three decimals) and "4O" are invalid PersScore: rejected.
        self.assertEqual(self.series_of(rc("40.123", "4O")), [])

    def test_goal_numbers(self):
        # GoalNumber 1 2 3 only, trimmed; "4", "01" and "" are ignored.
        got = self.series_of(rc(2, 4, "GBO", "1") + rc(2, 4, "GBO", " 3 ") +
                             rc(2, 4, "GBO", "4") + rc(2, 4, "GBO", "01") +
                             rc(2, 4, "GBO", ""))
        self.assertEqual(got, [("GBO", "1", True), ("GBO", "3", True)])

    def test_symptom_with_goal_number_ignored(self):
        self.assertEqual(self.series_of(rc(60, 40, "RCADS47C", "1")), [])

    def test_window(self):
        # Referral 2025-07-01, closed 09-20: a score on 06-30 (before the
        # referral) and on 09-21 (after closure) are outside the window.
        got = self.series_of([("ORS", 10, "2025-06-30"), ("ORS", 12, "2025-07-01"),
                              ("ORS", 30, "2025-09-20"), ("ORS", 39, "2025-09-21")])
        x = Extract()
        x.closed("R1", scores=[("ORS", 10, "2025-06-30"), ("ORS", 12, "2025-07-01"),
                               ("ORS", 30, "2025-09-20"), ("ORS", 39, "2025-09-21")])
        s = self.derived(x)["R1"].series[0]
        self.assertEqual(got, [("ORS", "", True)])
        self.assertEqual((s.first, s.last), (12, 30))

    def test_window_open_referral_to_period_end(self):
        # Closed 2025-10-05 (after E: no closure): window to E; a score dated
        # 10-01 is after E and left out.
        x = Extract()
        x.patient("P1")
        x.referral("R1", "P1", "2025-07-01", "2025-10-05")
        for day, v in (("2025-07-02", 60), ("2025-09-30", 50), ("2025-10-01", 10)):
            x.score("R1", "RCADS47C", v, day)
        p = self.derived(x)["R1"]
        self.assertEqual((p.closure_date, p.series[0].last), (None, 50))
        e = self.england(x)
        self.assertEqual((e["C012"], e["C030"]), ("1", "0"))


class Validation(Base):
    def test_duplicate_referral_rejects_both(self):
        x = Extract()
        x.patient("P1")
        x.referral("R1", "P1", "2025-09-02")
        x.referral("R1", "P1", "2025-09-03")
        x.referral("R2", "P1", "2025-09-04")
        self.assertEqual(self.england(x)["C001"], "1")

    def test_duplicate_with_invalid_copy(self):
        # The second R1 has an invalid date, yet it still carries the id:
        # both copies are rejected.
        x = Extract()
        x.patient("P1")
        x.referral("R1", "P1", "2025-09-02")
        x.referral("R1", "P1", "2025-13-02")
        self.assertEqual(self.values(x), {})

    def test_ragged_row_rejected(self):
        x = Extract()
        x.patient("P1")
        x.referral("R1", "P1", "2025-09-02")
        x.referral("R2", "P1", "2025-09-03")
        x.tables["CYP101Referral"][1].append("extra")
        self.assertEqual(self.england(x)["C001"], "1")

    def test_bom_crlf_and_column_order(self):
        # A BOM, CRLF line ends, columns in another order, an unknown column
        # and padded cells: read as the plain file.
        x = Extract()
        x.patient("P1")
        d = x.write(os.path.join(self.dir, "x"))
        with open(os.path.join(d, "CYP101Referral.csv"), "wb") as f:
            f.write("\ufeffOrgIDComm,Extra,ReferralRequestReceivedDate,"
                    "ServiceRequestId,LocalPatientId\r\n"
                    " 00L ,x,2025-09-02,R1,P1\r\n".encode("utf-8"))
        rows = cyp.compute(os.path.join(self.dir, "x"), PERIOD, GEOGRAPHY,
                           PROVIDERS, TOOLS, unsuppressed=True, log=self.log)
        self.assertEqual(rows[1][7:], ["C001", "Count_ReferralsReceived", "1"])

    def test_invalid_nhs_number_still_counts(self):
        x = Extract()
        x.patient("P1", nhs="1234567890")
        x.referral("R1", "P1", "2025-09-02")
        self.assertEqual(self.england(x)["C001"], "1")

    def test_duplicate_patient_cascades(self):
        # P1 twice: both rejected, so R1 and its contact are rejected; R2 of
        # P2 counts.
        x = Extract()
        x.patient("P1")
        x.patient("P1")
        x.patient("P2")
        x.referral("R1", "P1", "2025-09-02")
        x.referral("R2", "P2", "2025-09-02")
        x.contact("c1", "R1", "2025-09-03")
        e = self.england(x)
        self.assertEqual((e["C001"], e["C020"]), ("1", "0"))

    def test_duplicate_contact_rejects_both(self):
        x = Extract()
        x.patient("P1")
        x.referral("R1", "P1", "2025-09-02")
        x.contact("c1", "R1", "2025-09-03")
        x.contact("c1", "R1", "2025-09-04")
        x.contact("c2", "R1", "2025-09-05")
        self.assertEqual(self.england(x)["C020"], "1")

    def test_bad_birth_date_cascades(self):
        x = Extract()
        x.patient("P1", birth="2012-02-30")
        x.referral("R1", "P1", "2025-09-02")
        self.assertEqual(self.values(x), {})

    def test_mandatory_fields(self):
        x = Extract()
        x.patient("P1")
        x.referral("R1", "P1", "2025-09-02", comm="0L")     # 2 chars: bad
        x.referral("R2", "P1", "2025-9-02")                 # bad date
        x.referral("R3", "P9", "2025-09-02")                # orphan
        x.referral("R4", "P1", "2025-09-02", comm="00L")
        x.contact("c1", "R4", "2025-09-03", attend="1")     # bad code
        x.contact("c2", "R9", "2025-09-03")                 # orphan
        x.contact("c3", "R4", "2025-09-03", mech="7")       # bad O: kept
        e = self.england(x)
        self.assertEqual((e["C001"], e["C020"]), ("1", "1"))

    def test_selection(self):
        # Closed before S: not selected; received after E: not selected;
        # closed on S: selected and closed in the period.
        x = Extract()
        x.patient("P1")
        x.referral("R1", "P1", "2025-06-01", "2025-08-31")
        x.referral("R2", "P1", "2025-10-01")
        x.referral("R3", "P1", "2025-06-01", "2025-09-01")
        x.referral("R4", "P1", "2025-06-01", "2025-10-01")  # closure after E
        e = self.england(x)
        self.assertEqual((e["C001"], e["C030"], e["C012"]), ("0", "1", "1"))

    def test_invalid_closure_date_is_missing(self):
        x = Extract()
        x.patient("P1")
        x.referral("R1", "P1", "2025-06-01", "2025-09-31")
        e = self.england(x)
        self.assertEqual((e["C030"], e["C012"]), ("0", "1"))

    def test_contact_after_period_left_out(self):
        x = Extract()
        x.patient("P1")
        x.referral("R1", "P1", "2025-09-02")
        x.contact("c1", "R1", "2025-10-01")
        e = self.england(x)
        self.assertEqual((e["C010"], e["C020"], e["C013"]), ("0", "0", "1"))

    def test_header_refused(self):
        x = Extract(header_org="RBB")
        y = Extract(org="RBB", start="2025-08-01", end="2025-08-31")
        z = Extract(org="RCC")
        for e in (x, y, z):
            e.patient("P1")
            e.referral("R1", "P1", "2025-09-02")
        v = self.values(x, y, z)
        self.assertEqual(v[("England", "all", "C001")], "1")
        self.assertIn("provider RAT skipped", self.log.getvalue())
        self.assertIn("provider RBB skipped", self.log.getvalue())

    def test_required_file_missing(self):
        x = Extract()
        x.patient("P1")
        x.referral("R1", "P1", "2025-09-02")
        d = x.write(os.path.join(self.dir, "x"))
        os.remove(os.path.join(d, "CYP001MPI.csv"))
        rows = cyp.compute(os.path.join(self.dir, "x"), PERIOD, GEOGRAPHY,
                           PROVIDERS, TOOLS, unsuppressed=True, log=self.log)
        self.assertEqual(len(rows), 1)
        self.assertIn("required file missing", self.log.getvalue())

    def test_absent_optional_tables(self):
        x = Extract()
        x.patient("P1")
        x.referral("R1", "P1", "2025-09-02")
        d = x.write(os.path.join(self.dir, "x"))
        os.remove(os.path.join(d, "CYP201CareContact.csv"))
        os.remove(os.path.join(d, "CYP607CodedScore.csv"))
        rows = cyp.compute(os.path.join(self.dir, "x"), PERIOD, GEOGRAPHY,
                           PROVIDERS, TOOLS, unsuppressed=True, log=self.log)
        # England, Region Y63, ICB QHM, SubICB 00L, Provider RAT: 5 groups.
        self.assertEqual(len(rows), 1 + 5 * len(cyp.MEASURES))


class AgeBands(Base):
    def band(self, birth, received):
        x = Extract()
        x.patient("P1", birth=birth)
        x.referral("R1", "P1", received)
        return self.derived(x)["R1"].age_band

    def test_bands(self):
        cases = (("2020-09-15", "2025-09-14", "0-4"),    # 4 years 364 days
                 ("2020-09-15", "2025-09-15", "5-10"),   # 5 on the day
                 ("2014-09-16", "2025-09-15", "5-10"),   # 10
                 ("2014-09-15", "2025-09-15", "11-15"),  # 11
                 ("2009-09-16", "2025-09-15", "11-15"),  # 15
                 ("2009-09-15", "2025-09-15", "16-17"),  # 16
                 ("2007-09-16", "2025-09-15", "16-17"),  # 17
                 ("2007-09-15", "2025-09-15", "18-25"),  # 18
                 ("1999-09-16", "2025-09-15", "18-25"),  # 25
                 ("1999-09-15", "2025-09-15", "26+"),    # 26
                 ("2025-09-15", "2025-09-15", "0-4"),    # born that day: 0
                 ("2025-09-16", "2025-09-15", "Unknown"))  # born after
        for birth, received, want in cases:
            self.assertEqual(self.band(birth, received), want, (birth, received))
            shutil.rmtree(os.path.join(self.dir, "d"))

    def test_leap_day_birthday(self):
        # Born 2008-02-29: completed years by calendar, the birthday of a
        # non-leap year is reached on 1 March: 17 on 2026-02-28, 18 on 03-01.
        # (A referral of 2026 is outside the test period: age_band directly.)
        def band(birth, received):
            return cyp.age_band(types.SimpleNamespace(
                patient={"PersonBirthDate": datetime.date.fromisoformat(birth)},
                received=datetime.date.fromisoformat(received)))
        self.assertEqual(band("2008-02-29", "2026-02-28"), "16-17")
        self.assertEqual(band("2008-02-29", "2026-03-01"), "18-25")

    def test_26_plus_still_counts(self):
        x = Extract()
        x.patient("P1", birth="1990-01-01")
        x.referral("R1", "P1", "2025-09-02")
        rows = self.rows(x, breakdown="age")
        eng = [r for r in rows[1:] if r[2] == "England" and r[9] == "C001"]
        self.assertEqual([(r[7], r[8], r[11]) for r in eng],
                         [("Age band at referral", "26+", "1")])


class GroupsAndBreakdowns(Base):
    def test_placement_by_commissioner(self):
        # RAT refers to 01A (region Y62) and to XXX (not in the geography:
        # England and Provider only).
        x = Extract()
        x.patient("P1")
        x.referral("R1", "P1", "2025-09-02", comm="01A")
        x.referral("R2", "P1", "2025-09-03", comm="XXX")
        v = self.values(x)
        self.assertEqual(v[("England", "all", "C001")], "2")
        self.assertEqual(v[("Region", "Y62", "C001")], "1")
        self.assertEqual(v[("ICB", "QOP", "C001")], "1")
        self.assertEqual(v[("SubICB", "01A", "C001")], "1")
        self.assertEqual(v[("Provider", "RAT", "C001")], "2")
        self.assertNotIn(("Region", "Y63", "C001"), v)

    def test_row_layout_and_order(self):
        x = Extract()
        x.patient("P1")
        x.referral("R1", "P1", "2025-09-02")
        rows = self.rows(x)
        self.assertEqual(rows[0], cyp.OUTPUT_HEADER)
        self.assertEqual(rows[1], ["2025-09-01", "2025-09-30", "England", "all",
                                   "all SubICBs", "all", "all Providers", "C001",
                                   "Count_ReferralsReceived", "1"])
        self.assertEqual([r[2] for r in rows[1::len(cyp.MEASURES)]],
                         ["England", "Region", "ICB", "SubICB", "Provider"])
        self.assertEqual(rows[-1][2:7], ["Provider", "all", "all SubICBs", "RAT",
                                         "Provider RAT"])
        self.assertEqual([r[7] for r in rows[1:1 + len(cyp.MEASURES)]],
                         cyp.MEASURE_ORDER)

    def test_sector_and_team_breakdowns(self):
        # Sector from the header (VCS); TeamType CWP / MHST / OTH / invalid
        # "cwp", levels in CYP.md's order whatever the file order.
        x = Extract(sector="VCS")
        x.patient("P1")
        x.referral("R1", "P1", "2025-09-02", team="OTH")
        x.referral("R2", "P1", "2025-09-02", team="MHST")
        x.referral("R3", "P1", "2025-09-02", team="cwp")
        x.referral("R4", "P1", "2025-09-02", team="CWP")
        rows = self.rows(x, breakdown="team")
        eng = [(r[8], r[11]) for r in rows[1:] if r[2] == "England" and r[9] == "C001"]
        self.assertEqual(eng, [("CWP", "1"), ("MHST", "1"), ("Other", "1"),
                               ("Unknown", "1")])
        rows = self.rows(breakdown="sector")
        eng = [(r[8], r[11]) for r in rows[1:] if r[2] == "England" and r[9] == "C001"]
        self.assertEqual(eng, [("Voluntary and community sector", "4")])

    def test_reason_and_source_breakdowns(self):
        x = Extract(sector="")
        x.patient("P1")
        x.referral("R1", "P1", "2025-09-02", reason="03", source="02")
        x.referral("R2", "P1", "2025-09-02", reason="3", source="2")
        rows = self.rows(x, breakdown="reason")
        eng = [(r[8], r[11]) for r in rows[1:] if r[2] == "England" and r[9] == "C001"]
        self.assertEqual(eng, [("Self-harm", "1"), ("Unknown", "1")])
        rows = self.rows(breakdown="source")
        eng = [(r[8], r[11]) for r in rows[1:] if r[2] == "England" and r[9] == "C003"]
        # C003 (source 02) is 1 in level "Parent or carer" and 0 in Unknown
        # ("2" is not "02").
        self.assertEqual(eng, [("Parent or carer", "1"), ("Unknown", "0")])
        rows = self.rows(breakdown="sector")
        eng = {r[8] for r in rows[1:]}
        self.assertEqual(eng, {"Unknown"})

    def test_sources(self):
        x = Extract()
        x.patient("P1")
        for i, s in enumerate(("01", "02", "04", "04", "03", "1")):
            x.referral("R%d" % i, "P1", "2025-09-02", source=s)
        e = self.england(x)
        self.assertEqual((e["C001"], e["C002"], e["C003"], e["C004"]),
                         ("6", "1", "1", "2"))


class ToolTable(unittest.TestCase):
    HEAD = "code,name,kind,min,max,better,caseness,reliable_change\n"

    def refused(self, body):
        with self.assertRaises(cyp.BadTools) as cm:
            cyp.parse_tools((self.HEAD + body).encode())
        return str(cm.exception)

    def test_shipped_table(self):
        t = TOOLS
        self.assertEqual(t.goal.reliable_change, Fraction(245, 100))
        self.assertEqual(len(t.sha256), 64)

    def test_two_goal_rows(self):
        self.assertIn(":3:", self.refused("G1,g,goal,0,10,higher,,2\n"
                                          "G2,g,goal,0,10,higher,,2\n"))

    def test_goal_lower_or_caseness(self):
        self.assertIn(":2:", self.refused("G1,g,goal,0,10,lower,,2\n"))
        self.assertIn(":2:", self.refused("G1,g,goal,0,10,higher,5,2\n"))

    def test_symptom_without_caseness(self):
        self.assertIn(":2:", self.refused("S1,s,symptom,0,10,lower,,2\n"))

    def test_min_over_max(self):
        self.assertIn(":2:", self.refused("S1,s,symptom,11,10,lower,5,2\n"))

    def test_repeated_code(self):
        self.assertIn(":3:", self.refused("S1,s,symptom,0,10,lower,5,2\n"
                                          "S1,s,symptom,0,10,lower,5,2\n"))

    def test_comments_and_blank_lines(self):
        t = cyp.parse_tools((self.HEAD + "# a comment, with commas\n\n"
                             "S1,s,symptom,0,10,lower,5,2\n").encode())
        self.assertEqual([x.code for x in t.all], ["S1"])

    def test_values_from_the_table(self):
        # Nothing depends on the shipped values: with RCADS47C's caseness at
        # 40 a First of 45 is at caseness.
        t = cyp.parse_tools((self.HEAD + "RCADS47C,r,symptom,0,141,lower,40,14\n")
                            .encode())
        self.assertTrue(cyp.score_at_caseness(t.by_code["RCADS47C"], 45))
        self.assertIsNone(t.goal)


class Programme(Base):
    def write_month(self, root, period, orgs=("RAT",), second_contacts=1):
        y, m = int(period[:4]), int(period[5:7])
        import calendar
        last = calendar.monthrange(y, m)[1]
        for org in orgs:
            x = Extract(org=org, start="%s-01" % period,
                        end="%s-%02d" % (period, last))
            x.patient("P1")
            for i in range(second_contacts):
                rid = "R%d" % i
                x.referral(rid, "P1", "%s-01" % period, team="CWP",
                           comm="00L" if org == "RAT" else "01A")
                x.contact(rid + "a", rid, "%s-02" % period)
                x.contact(rid + "b", rid, "%s-03" % period)
            x.write(root, period)

    def test_coverage(self):
        # RAT (home 00L) submits; RBB (home 01A) does not.  Populations:
        # 00L 1000, 00M 3000, 01A 6000.  England: 1000 / 10000 = 10.0%;
        # North East (Y63): 1000 of 4000 = 25; North West: 0 of 6000 = 0.
        root = os.path.join(self.dir, "p")
        self.write_month(root, PERIOD)
        pop = {"00L": 1000, "00M": 3000, "01A": 6000}
        rows = cyp.programme(root, PERIOD, GEOGRAPHY, PROVIDERS, TOOLS, pop,
                             log=self.log)
        cov = {(r[3], r[4], r[6]): r[7] for r in rows[1:] if r[2] == "coverage"}
        self.assertEqual(cov[("England", "all", "Percentage_Coverage")], "10.0")
        self.assertEqual(cov[("England", "all", "Population_0_19_Covered")], "1000")
        self.assertEqual(cov[("Region", "Y63", "Percentage_Coverage")], "25")
        self.assertEqual(cov[("Region", "Y62", "Percentage_Coverage")], "*")
        rows = cyp.programme(root, PERIOD, GEOGRAPHY, PROVIDERS, TOOLS, None,
                             log=self.log)
        cov = {(r[3], r[4], r[6]): r[7] for r in rows[1:] if r[2] == "coverage"}
        self.assertEqual(cov[("England", "all", "Percentage_Coverage")], "")

    def test_access_growth(self):
        # 24 months 2023-10 .. 2025-09; RAT has 1 referral with its second
        # contact each month in the first 12, 2 in the last 12: 24 vs 12,
        # growth +12.  Dropping one month makes the view empty.
        root = os.path.join(self.dir, "p")
        months = cyp.previous_periods(PERIOD, 24)
        self.assertEqual((months[0], months[-1]), ("2023-10", "2025-09"))
        for i, m in enumerate(months):
            self.write_month(root, m, second_contacts=1 if i < 12 else 2)
        rows = cyp.programme(root, PERIOD, GEOGRAPHY, PROVIDERS, TOOLS, None,
                             log=self.log)
        g = {(r[3], r[4], r[6]): r[7] for r in rows[1:] if r[2] == "access_growth"}
        self.assertEqual(g[("England", "all", "Count_SecondContact12Months")], "24")
        self.assertEqual(g[("England", "all", "Count_SecondContactPrevious12Months")],
                         "12")
        self.assertEqual(g[("England", "all", "Count_AccessGrowth")], "12")
        self.assertEqual(g[("Region", "Y63", "Count_AccessGrowth")], "10")
        self.assertEqual(g[("Region", "Y62", "Count_AccessGrowth")], "*")
        cwp = {(r[4], r[6]): r[7] for r in rows[1:] if r[2] == "cwp_teams"}
        # Period month: 2 CWP referrals, first and second contact each: C010
        # 2 -> * below England.
        self.assertEqual(cwp, {("RAT", "C010"): "*", ("RAT", "C011"): "*",
                               ("RAT", "C042"): "*"})
        shutil.rmtree(os.path.join(root, "RAT", months[3]))
        rows = cyp.programme(root, PERIOD, GEOGRAPHY, PROVIDERS, TOOLS, None,
                             log=self.log)
        g = {(r[3], r[4], r[6]): r[7] for r in rows[1:] if r[2] == "access_growth"}
        self.assertEqual(g[("England", "all", "Count_AccessGrowth")], "")

    def test_cwp_unsuppressed(self):
        root = os.path.join(self.dir, "p")
        self.write_month(root, PERIOD, second_contacts=3)
        rows = cyp.programme(root, PERIOD, GEOGRAPHY, PROVIDERS, TOOLS, None,
                             unsuppressed=True, log=self.log)
        cwp = {(r[4], r[6]): r[7] for r in rows[1:] if r[2] == "cwp_teams"}
        # 3 CWP referrals, none closed: C042 has nothing to divide by.
        self.assertEqual(cwp, {("RAT", "C010"): "3", ("RAT", "C011"): "3",
                               ("RAT", "C042"): ""})


class Invariants(Base):
    """Random (seeded) extracts: the measures' nesting holds in every group,
    and the providers' counts add up to England's."""

    def random_extracts(self, seed):
        import random
        rnd = random.Random(seed)
        out = []
        for org in ("RAT", "RBB", "RCC"):
            x = Extract(org=org, sector=rnd.choice(["NHS", "LA", ""]))
            for i in range(60):
                pid, rid = "P%d" % i, "R%d" % i
                x.patient(pid, birth="20%02d-0%d-15" % (rnd.randint(0, 20),
                                                       rnd.randint(1, 9)))
                rec = "2025-%02d-%02d" % (rnd.randint(3, 9), rnd.randint(1, 28))
                disch = rnd.choice(["", "2025-09-%02d" % rnd.randint(1, 30),
                                    "2025-09-%02d" % rnd.randint(20, 30),
                                    "2025-10-03", "2025-08-30"])
                x.referral(rid, pid, rec, disch,
                           comm=rnd.choice(["00L", "00M", "01A", "ZZZ"]),
                           source=rnd.choice(["01", "02", "03", "04"]))
                for j in range(rnd.randint(0, 8)):
                    x.contact("%sc%d" % (rid, j), rid,
                              "2025-%02d-%02d" % (rnd.randint(3, 10),
                                                  rnd.randint(1, 28)),
                              attend=rnd.choice("555663247"),
                              mech=rnd.choice(["01", "02", "11"]))
                for tool, hi in (("RCADS47C", 141), ("ORS", 40), ("GBO", 10)):
                    for j in range(rnd.randint(0, 4)):
                        x.score(rid, tool, "%d.%02d" % (rnd.randint(0, hi - 1),
                                                        rnd.randint(0, 99)),
                                "2025-%02d-%02d" % (rnd.randint(6, 9),
                                                    rnd.randint(1, 28)),
                                str(rnd.randint(1, 2)) if tool == "GBO" else "")
            out.append(x)
        return out

    def test_nesting_and_sums(self):
        for seed in range(3):
            v = self.values(*self.random_extracts(seed))
            groups = {k[:2] for k in v}
            for g in groups:
                n = {m: int(v[g + (m,)]) for m in cyp.MEASURE_ORDER
                     if m not in cyp.PERCENTAGES and m not in ("C051", "C060", "C061")}
                self.assertLessEqual(n["C002"] + n["C003"] + n["C004"], n["C001"])
                self.assertLessEqual(n["C011"], n["C020"])
                self.assertLessEqual(n["C014"], n["C013"])
                self.assertLessEqual(n["C013"], n["C012"])
                self.assertLessEqual(n["C032"], n["C031"])
                self.assertLessEqual(n["C031"], n["C030"])
                self.assertLessEqual(n["C040"], n["C032"])
                self.assertLessEqual(n["C041"] + n["C043"], n["C040"])
                self.assertLessEqual(n["C045"], n["C046"])
                self.assertLessEqual(n["C046"], n["C040"])
                self.assertLessEqual(n["C050"], n["C030"])
                self.assertLessEqual(n["C052"], n["C050"])
                self.assertLessEqual(n["C062"], n["C010"])
            for m in ("C001", "C010", "C020", "C030", "C040", "C050"):
                eng = int(v[("England", "all", m)])
                prov = sum(int(v[("Provider", o, m)]) for o in ("RAT", "RBB", "RCC")
                           if ("Provider", o, m) in v)
                sub = sum(int(v[("SubICB", c, m)]) for c in GEOGRAPHY
                          if ("SubICB", c, m) in v)
                self.assertEqual(prov, eng, (seed, m))
                self.assertLessEqual(sub, eng)
            # The data reach the outcome flags (the test is not vacuous).
            for m in ("C040", "C041", "C043", "C046", "C050"):
                self.assertGreater(int(v[("England", "all", m)]), 0, (seed, m))


class CommandLine(Base):
    def run_main(self, module, argv):
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(self.log):
            rc = module.main(argv)
        return rc, out.getvalue()

    def inputs(self):
        root = os.path.join(self.dir, "x")
        x = Extract()
        for i in range(12):
            x.closed("R%d" % i, scores=rc(60, 40 + i) + rc(2, 4 + i % 5, "GBO", "1"))
        x.write(root)
        geo = os.path.join(self.dir, "geography.csv")
        with open(geo, "w") as f:
            f.write("subicb_code,subicb_name,icb_code,icb_name,region_code,"
                    "region_name,population_0_19\n")
            for code, g in GEOGRAPHY.items():
                f.write("%s,%s,%s,%s,%s,%s,1000\n" % ((code,) + g))
        prov = os.path.join(self.dir, "providers.csv")
        with open(prov, "w") as f:
            f.write("org_code,org_name,home_subicb\nRAT,Provider RAT,00L\n")
        return root, geo, prov

    def test_compare_identical_and_planted(self):
        root, geo, prov = self.inputs()
        a = os.path.join(self.dir, "a.csv")
        b = os.path.join(self.dir, "b.csv")
        argv = ["--extracts", root, "--period", PERIOD, "--geography", geo,
                "--providers", prov]
        self.assertEqual(self.run_main(cyp, argv + ["--out", a])[0], 0)
        rc_, out = self.run_main(compare, ["--collection", "cyp", a, a])
        self.assertEqual(rc_, 0, out)
        self.assertTrue(out.endswith("0 differences\n"))
        with open(a) as f:
            text = f.read()
        # Planted change: England C041.  12 referrals i = 0..11: RCADS 60 ->
        # 40 + i improves reliably for i <= 6; GBO 2 -> 4 + i % 5 moves
        # 2 + i % 5 >= 2.45 for i % 5 >= 1 (i = 1-4, 6-9, 11); nothing
        # deteriorates: either improved for i = 0..9 and 11: 11.
        self.assertIn(",C041,Count_MeasurableImprovement,11\n", text)
        with open(b, "w") as f:
            f.write(text.replace(",C041,Count_MeasurableImprovement,11\n",
                                 ",C041,Count_MeasurableImprovement,12\n", 1))
        rc_, out = self.run_main(compare, ["--collection", "cyp", a, b])
        self.assertEqual(rc_, 1)
        self.assertIn("different value: C041 for England", out)
        self.assertTrue(out.endswith("1 differences\n"), out)

    def test_compare_breakdown_order(self):
        root, geo, prov = self.inputs()
        a = os.path.join(self.dir, "a.csv")
        rc_, _ = self.run_main(cyp, ["--extracts", root, "--period", PERIOD,
                                     "--geography", geo, "--providers", prov,
                                     "--breakdown", "age", "--out", a])
        self.assertEqual(rc_, 0)
        rc_, out = self.run_main(compare, ["--collection", "cyp", a, a])
        self.assertEqual(rc_, 0, out)

    def test_programme_cli(self):
        root, geo, prov = self.inputs()
        rc_, out = self.run_main(cyp, ["--extracts", root, "--period", PERIOD,
                                       "--geography", geo, "--providers", prov,
                                       "--programme"])
        self.assertEqual(rc_, 0)
        lines = out.splitlines()
        self.assertEqual(lines[0], ",".join(cyp.PROGRAMME_HEADER))
        # 00L covered: 1000 of 3000 = 33.3% at England.
        self.assertIn("2025-09-01,2025-09-30,coverage,England,all,England,"
                      "Percentage_Coverage,33.3", lines)

    def test_bad_tool_table(self):
        root, geo, prov = self.inputs()
        tools = os.path.join(self.dir, "tools.csv")
        with open(tools, "w") as f:
            f.write(ToolTable.HEAD + "S1,s,symptom,0,10,lower,,2\n")
        rc_, _ = self.run_main(cyp, ["--extracts", root, "--period", PERIOD,
                                     "--geography", geo, "--providers", prov,
                                     "--tools", tools])
        self.assertEqual(rc_, 2)
        self.assertIn("tools.csv:2:", self.log.getvalue())


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
