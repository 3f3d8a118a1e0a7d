#!/usr/bin/env bash
# iapt-synth --collection CYP and WORKFORCE: command line, the adult output
# the same with or without --collection IAPT, determinism and independence
# of what else is generated, the same providers and geography as the adult
# collection, file layout, findings equal to errors.csv and the error dose
# (checked by validators written from the rules, tests/synth/check_cyp.py
# and check_workforce.py), realism ranges, month stability, clean output,
# a planted change caught. Ends with "N passed, N failed".
set -u
root=${IAPT_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${IAPT_BUILD:-$root/build}
synth="$build/bin/iapt-synth"
py=/usr/bin/python3
tools="$root/data/cyp-assessment-tools.csv"

pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { # check NAME COMMAND...
    local name=$1; shift
    if "$@"; then ok "$name"; else bad "$name"; fi
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/iapt-synth-coll-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

run() { # run DIR ARGS... : generate quietly, keep stderr in DIR.log
    local dir=$1; shift
    "$synth" --out "$dir" "$@" 2>"$dir.log"
}

# --- command line -------------------------------------------------------------
check "--help names --collection and --cyp-tools" \
    bash -c "'$synth' --help | grep -q -- '--collection NAME' && '$synth' --help | grep -q -- '--cyp-tools FILE'"
printf 'code,name,kind,min,max,better,caseness,reliable_change\nG,goal,goal,0,10,lower,,2.45\n' >"$tmp/bad-tools.csv"
for args in "--collection FOO" "--collection CYP --shared-patients 0.1" \
            "--collection WORKFORCE --cyp-tools $tools" \
            "--collection CYP --cyp-tools $tmp/none.csv" \
            "--collection CYP --cyp-tools $tmp/bad-tools.csv"; do
    # shellcheck disable=SC2086
    "$synth" --providers 2 --months 1 --seed 1 --out "$tmp/x" $args >/dev/null 2>"$tmp/err.txt"
    rc=$?
    check "refused with a reason: $args" test "$rc" -ne 0 -a -s "$tmp/err.txt"
done
check "the malformed tool table is named with its line" grep -q "bad-tools.csv:2" "$tmp/err.txt"
check "refused arguments write nothing" test ! -e "$tmp/x"

# --- the adult collection: --collection IAPT is the default ------------------------
adult=(--providers 4 --months 1 --seed 42 --scale 0.2 --error-rate 0.01)
run "$tmp/ad0" "${adult[@]}"
run "$tmp/ad1" "${adult[@]}" --collection IAPT
run "$tmp/ad2" "${adult[@]}" --collection adult
check "adult: no --collection, IAPT and adult give identical bytes" \
    bash -c "diff -r -q '$tmp/ad0' '$tmp/ad1' && diff -r -q '$tmp/ad0' '$tmp/ad2'"
check "adult providers.csv keeps its columns" bash -c "head -n 1 '$tmp/ad0/providers.csv' | grep -qx 'org_code,name'"

# --- CYP ----------------------------------------------------------------------------
cyp=(--collection CYP --months 2 --seed 42 --scale 0.3 --error-rate 0.01 --cyp-tools "$tools")
run "$tmp/c1" --providers 6 "${cyp[@]}"
check "CYP generator succeeds" test $? -eq 0
check "CYP summary line on stderr" grep -Eq '^iapt-synth: CYP: 6 providers, 2 months from 2025-04, [0-9]+ referrals written, [0-9]+ errors injected, [0-9.]+ s$' "$tmp/c1.log"
run "$tmp/c2" --providers 6 "${cyp[@]}"
check "CYP: same arguments give byte-identical output" diff -r -q "$tmp/c1" "$tmp/c2"
org0=$(sed -n 2p "$tmp/c1/providers.csv" | cut -d, -f1)
org1=$(sed -n 3p "$tmp/c1/providers.csv" | cut -d, -f1)
run "$tmp/c3" --providers 3 "${cyp[@]}"
check "CYP: provider 0 is the same with 3 or 6 providers" diff -r -q "$tmp/c1/$org0" "$tmp/c3/$org0"
run "$tmp/c4" --providers 2 --months 1 --start 2025-05 --collection CYP --seed 42 --scale 0.3 --error-rate 0.01
check "CYP: month 2025-05 is the same generated alone (default tool table)" \
    bash -c "diff -r -q '$tmp/c1/$org1/2025-05' '$tmp/c4/$org1/2025-05' && cmp -s '$tmp/c1/$org1/2025-05.errors.csv' '$tmp/c4/$org1/2025-05.errors.csv'"
run "$tmp/c5" --providers 6 --collection CYP --months 1 --seed 43 --scale 0.3
check "CYP: another seed gives other data" bash -c "! diff -q '$tmp/c1/providers.csv' '$tmp/c5/providers.csv' >/dev/null"
run "$tmp/ad6" --providers 6 --months 1 --seed 42 --scale 0.05
"$py" - "$tmp/ad6" "$tmp/c1" >"$tmp/same.txt" 2>&1 <<'EOF'
import csv, os, sys
def rows(d, name):
    return list(csv.reader(open(os.path.join(d, name), newline="")))[1:]
adult, cyp = sys.argv[1], sys.argv[2]
print("providers", [r[:2] for r in rows(adult, "providers.csv")] == [r[:2] for r in rows(cyp, "providers.csv")])
print("geography", [r[:6] for r in rows(adult, "geography.csv")] == [r[:6] for r in rows(cyp, "geography.csv")]
      and open(os.path.join(adult, "imd.csv")).read() == open(os.path.join(cyp, "imd.csv")).read())
EOF
check "CYP providers are the adult ones (codes and names, same seed)" grep -q "^providers True" "$tmp/same.txt"
check "CYP geography is the adult one plus population_0_19; imd.csv identical" grep -q "^geography True" "$tmp/same.txt"
"$py" - "$tmp/c1" >"$tmp/ref.txt" 2>&1 <<'EOF'
import csv, os, sys
root = sys.argv[1]
geo = list(csv.DictReader(open(os.path.join(root, "geography.csv"), newline="")))
subs = {g["subicb_code"] for g in geo}
pop = [int(g["population_0_19"]) for g in geo]
prov = list(csv.DictReader(open(os.path.join(root, "providers.csv"), newline="")))
print("providers", list(prov[0].keys()) == ["org_code", "org_name", "home_subicb"]
      and all(p["home_subicb"] in subs and p["org_name"] for p in prov))
print("population", min(pop) > 20000 and 10e6 <= sum(pop) <= 16e6, sum(pop))
EOF
check "CYP providers.csv is org_code,org_name,home_subicb with known sub-ICBs" grep -q "^providers True" "$tmp/ref.txt"
check "population_0_19: every sub-ICB, England 10-16 million" grep -q "^population True" "$tmp/ref.txt"

headers='CYP000Header.csv=OrgIDProv,ReportingPeriodStartDate,ReportingPeriodEndDate,DateTimeDatSetCreate,OrgSector
CYP001MPI.csv=LocalPatientId,NHSNumber,PersonBirthDate,Postcode,GenderIdentity,EthnicCategory
CYP101Referral.csv=ServiceRequestId,LocalPatientId,OrgIDComm,ReferralRequestReceivedDate,SourceOfReferral,TeamType,PrimReasonReferral,ServDischDate
CYP201CareContact.csv=CareContactId,ServiceRequestId,CareContDate,AttendOrDNACode,ConsMechanism
CYP607CodedScore.csv=ServiceRequestId,AssToolCompDate,CodedAssToolType,PersScore,GoalNumber'
layout_ok=1
for org in $(tail -n +2 "$tmp/c1/providers.csv" | cut -d, -f1); do
    for m in 2025-04 2025-05; do
        [ -f "$tmp/c1/$org/$m.errors.csv" ] || { echo "missing $org/$m.errors.csv"; layout_ok=0; }
        while IFS='=' read -r file hdr; do
            [ "$(head -n 1 "$tmp/c1/$org/$m/$file")" = "$hdr" ] || { echo "bad header $org/$m/$file"; layout_ok=0; }
        done <<<"$headers"
        [ "$(ls "$tmp/c1/$org/$m" | wc -l)" -eq 5 ] || { echo "extra files in $org/$m"; layout_ok=0; }
    done
done
check "CYP: every extract has the five files with the exact headers" test $layout_ok -eq 1
check "CYP header names the provider, period and a sector" \
    bash -c "sed -n 2p '$tmp/c1/$org0/2025-05/CYP000Header.csv' | grep -Eq '^$org0,2025-05-01,2025-05-31,2025-06-0[2-6]T[0-9:]{8},(NHS|LA|VCS|YJ|)\$'"

run "$tmp/cn" --providers 30 --collection CYP --months 2 --seed 7 --scale 0.3 --error-rate 0.01
"$py" "$root/tests/synth/check_cyp.py" "$tmp/cn" "$tools" 2025-05 --scale 0.3 --dose 0.01 >"$tmp/cn.txt" 2>&1
rc=$?
cat "$tmp/cn.txt"
check "CYP: findings equal errors.csv, realism in range, dose within 35% of 0.01" test $rc -eq 0
has_all() { # has_all FILE WORD... : every word is a line of FILE
    local f=$1; shift
    for w in "$@"; do grep -qxF -- "$w" "$f" || { echo "missing: $w"; return 1; }; done
}
cut -d, -f6 "$tmp/cn"/*/2025-05/CYP101Referral.csv | sort -u >"$tmp/teams.txt"
check "CYP: sectors NHS, LA, VCS and YJ appear" \
    bash -c "grep -q 'sector NHS' '$tmp/cn.txt' && grep -q 'sector LA' '$tmp/cn.txt' && grep -q 'sector VCS' '$tmp/cn.txt' && grep -q 'sector YJ' '$tmp/cn.txt'"
check "CYP: team types CWP, MHST, CAMHS, OTH appear" has_all "$tmp/teams.txt" CWP MHST CAMHS OTH
cat "$tmp/cn"/*/2025-0[45].errors.csv | cut -d, -f1,3,4 | sort -u >"$tmp/kinds.txt"
check "CYP: injected errors include bad dates, unknown codes and tools, duplicates, orphans, out-of-range scores, goal numbers, NHS numbers" \
    has_all "$tmp/kinds.txt" CYP201CareContact.csv,CareContDate,bad-date CYP201CareContact.csv,CareContactId,duplicate-id \
    CYP607CodedScore.csv,CodedAssToolType,unknown-code CYP607CodedScore.csv,GoalNumber,missing \
    CYP607CodedScore.csv,GoalNumber,not-applicable CYP001MPI.csv,NHSNumber,nhs-check-digit \
    CYP607CodedScore.csv,PersScore,out-of-range CYP607CodedScore.csv,ServiceRequestId,orphan \
    CYP201CareContact.csv,ServiceRequestId,orphan CYP101Referral.csv,SourceOfReferral,unknown-code

run "$tmp/cc" --providers 10 --collection CYP --months 2 --seed 9 --error-rate 0
"$py" "$root/tests/synth/check_cyp.py" "$tmp/cc" "$tools" 2025-05 --dose 0 >"$tmp/cc.txt" 2>&1
check "CYP: --error-rate 0 gives no findings but the 26+ ages (and passes the realism ranges)" test $? -eq 0
"$py" - "$tmp/cc" >"$tmp/stab.txt" 2>&1 <<'EOF'
import csv, os, sys
root = sys.argv[1]
same = moved = total = 0
for org in sorted(o for o in os.listdir(root) if os.path.isdir(os.path.join(root, o))):
    def rows(m, name):
        return list(csv.DictReader(open(os.path.join(root, org, m, name), newline="")))
    r4 = {r["ServiceRequestId"]: r for r in rows("2025-04", "CYP101Referral.csv")}
    r5 = {r["ServiceRequestId"]: r for r in rows("2025-05", "CYP101Referral.csv")}
    going = {k for k, r in r4.items() if not (r["ServDischDate"] and r["ServDischDate"] < "2025-05-01")}
    c4 = {(r["CareContactId"], r["CareContDate"], r["AttendOrDNACode"]) for r in rows("2025-04", "CYP201CareContact.csv") if r["CareContDate"] <= "2025-04-30" and r["ServiceRequestId"] in going}
    c5 = {(r["CareContactId"], r["CareContDate"], r["AttendOrDNACode"]) for r in rows("2025-05", "CYP201CareContact.csv")}
    for k, r in r4.items():
        if k not in going:
            continue
        total += 1
        if k in r5:
            a = dict(r, ServDischDate=""); b = dict(r5[k], ServDischDate="")
            same += a == b
    moved += len(c4 - c5)
print("continuing", total, "same", same, "contacts lost", moved)
print("stable", total > 1000 and same == total and moved == 0)
EOF
check "CYP: referrals open into May continue with the same row and every April contact" grep -q "^stable True" "$tmp/stab.txt"

# Tools come from the table: other codes, other thresholds.
sed -e 's/^RCADS47C,/XRC,/' -e 's/^GBO,\(.*\),2.45$/GOALS,\1,3.5/' "$tools" >"$tmp/tools2.csv"
run "$tmp/ct" --providers 3 --collection CYP --months 1 --seed 5 --scale 0.3 --error-rate 0 --cyp-tools "$tmp/tools2.csv"
cut -d, -f3 "$tmp/ct"/*/2025-04/CYP607CodedScore.csv | grep -v '^CodedAssToolType$' | sort -u >"$tmp/used.txt"
cut -d, -f1 "$tmp/tools2.csv" | tail -n +2 | sort -u >"$tmp/table.txt"
check "CYP: scores use only the codes of the tool table given, the renamed ones included" \
    bash -c "[ -z \"\$(comm -23 '$tmp/used.txt' '$tmp/table.txt')\" ] && grep -qx XRC '$tmp/used.txt' && grep -qx GOALS '$tmp/used.txt'"
"$py" "$root/tests/synth/check_cyp.py" "$tmp/ct" "$tmp/tools2.csv" 2025-04 --findings-only >/dev/null 2>&1
check "CYP: with that table the findings still equal errors.csv" test $? -eq 0

# A planted change is caught: one contact's code made invalid without saying so.
f=$(ls "$tmp/cc"/*/2025-05/CYP201CareContact.csv | head -n 1)
sed -i '5s/,[2-7],\([0-9]*\)$/,9,\1/' "$f"
"$py" "$root/tests/synth/check_cyp.py" "$tmp/cc" "$tools" 2025-05 --dose 0 >"$tmp/planted.txt" 2>&1
check "CYP: a planted invalid code is caught" bash -c "grep -q 'CYP201CareContact.csv., 5, .AttendOrDNACode., .unknown-code' '$tmp/planted.txt'"

# One world per directory: nothing of another collection is replaced.
cp -r "$tmp/ad0" "$tmp/mix"
"$synth" --collection CYP --providers 2 --months 1 --seed 1 --out "$tmp/mix" >/dev/null 2>"$tmp/err.txt"
rc=$?
check "CYP into an adult directory is refused, naming it" bash -c "[ $rc -eq 2 ] && grep -q 'holds the adult collection' '$tmp/err.txt'"
check "and the adult directory is unchanged" diff -r -q "$tmp/ad0" "$tmp/mix"
"$synth" --collection WORKFORCE --providers 2 --months 1 --seed 1 --out "$tmp/c3" >/dev/null 2>"$tmp/err.txt"
rc=$?
check "WORKFORCE into a CYP directory is refused, naming it" bash -c "[ $rc -eq 2 ] && grep -q 'holds another collection' '$tmp/err.txt' && ! ls '$tmp/c3'/*/2025-04/WF000Header.csv >/dev/null 2>&1"
check "DIR/COLLECTION names the collection" bash -c "[ \"\$(cat '$tmp/c1/COLLECTION')\" = CYP ]"

# --- WORKFORCE -------------------------------------------------------------------------
wf=(--collection WORKFORCE --months 2 --seed 42 --error-rate 0.01)
run "$tmp/w1" --providers 6 "${wf[@]}"
check "WORKFORCE generator succeeds" test $? -eq 0
check "WORKFORCE summary line on stderr" grep -Eq '^iapt-synth: WORKFORCE: 6 providers, 2 months from 2025-04, [0-9]+ staff rows written, [0-9]+ errors injected, [0-9.]+ s$' "$tmp/w1.log"
run "$tmp/w2" --providers 6 "${wf[@]}"
check "WORKFORCE: same arguments give byte-identical output" diff -r -q "$tmp/w1" "$tmp/w2"
run "$tmp/w3" --providers 3 "${wf[@]}"
check "WORKFORCE: provider 0 is the same with 3 or 6 providers" diff -r -q "$tmp/w1/$org0" "$tmp/w3/$org0"
run "$tmp/w4" --providers 2 --months 1 --start 2025-05 --collection WORKFORCE --seed 42 --error-rate 0.01
check "WORKFORCE: month 2025-05 is the same generated alone" \
    bash -c "diff -r -q '$tmp/w1/$org1/2025-05' '$tmp/w4/$org1/2025-05' && cmp -s '$tmp/w1/$org1/2025-05.errors.csv' '$tmp/w4/$org1/2025-05.errors.csv'"
check "WORKFORCE: the same providers and reference files as CYP for the same seed" \
    bash -c "cmp -s '$tmp/w1/providers.csv' '$tmp/c1/providers.csv' && cmp -s '$tmp/w1/geography.csv' '$tmp/c1/geography.csv' && cmp -s '$tmp/w1/imd.csv' '$tmp/c1/imd.csv'"
headers='WF000Header.csv=OrgIDProv,ReportingPeriodStartDate,ReportingPeriodEndDate,DateTimeDatSetCreate
WF001Staff.csv=StaffId,StaffRole,AfCBand,WTE,PostStartDate,PostEndDate,Profession,TrainingStartDate,TrainingCompletedDate,SupervisorStaffId,Accredited
WF002Supervision.csv=SupervisionId,StaffId,SupervisorStaffId,SessionDate,DurationMinutes,SupervisionType
WF003Vacancy.csv=StaffRole,AfCBand,WTE'
layout_ok=1
for org in $(tail -n +2 "$tmp/w1/providers.csv" | cut -d, -f1); do
    for m in 2025-04 2025-05; do
        [ -f "$tmp/w1/$org/$m.errors.csv" ] || { echo "missing $org/$m.errors.csv"; layout_ok=0; }
        while IFS='=' read -r file hdr; do
            [ "$(head -n 1 "$tmp/w1/$org/$m/$file")" = "$hdr" ] || { echo "bad header $org/$m/$file"; layout_ok=0; }
        done <<<"$headers"
        [ "$(ls "$tmp/w1/$org/$m" | wc -l)" -eq 4 ] || { echo "extra files in $org/$m"; layout_ok=0; }
    done
done
check "WORKFORCE: every extract has the four files with the exact headers" test $layout_ok -eq 1

run "$tmp/wn" --providers 40 --collection WORKFORCE --months 2 --seed 7 --error-rate 0.01
"$py" "$root/tests/synth/check_workforce.py" "$tmp/wn" 2025-04 2025-05 --dose 0.01 >"$tmp/wn.txt" 2>&1
rc=$?
cat "$tmp/wn.txt"
check "WORKFORCE: findings equal errors.csv, realism in range, stable ids, dose within 35% of 0.01" test $rc -eq 0
check "WORKFORCE: every role code appears, WTE always two decimals" \
    bash -c "cut -d, -f2 '$tmp/wn'/*/2025-05/WF001Staff.csv | sort -u | tr '\n' ' ' | grep -q 'CNS CWQ CWT ESA HIQ HIT LEAD LIQ LIT OTH SUP' && ! cut -d, -f4 '$tmp/wn'/*/2025-05/WF001Staff.csv | grep -v '^WTE\$' | grep -qv '^[01]\.[0-9][0-9]\$'"
run "$tmp/wk" --providers 40 --collection WORKFORCE --months 1 --seed 8 --error-rate 0.05
"$py" "$root/tests/synth/check_workforce.py" "$tmp/wk" 2025-04 --dose 0.05 >/dev/null 2>&1
check "WORKFORCE: at --error-rate 0.05 the findings equal errors.csv and the dose is measured" test $? -eq 0
cut -d, -f1,3,4 "$tmp/wk"/*/2025-04.errors.csv | sort -u >"$tmp/kinds.txt"
check "WORKFORCE: injected errors include bad WTE, unknown role, orphan supervision, invalid supervisor, end before start" \
    has_all "$tmp/kinds.txt" WF001Staff.csv,PostEndDate,end-before-start WF001Staff.csv,StaffRole,unknown-code \
    WF001Staff.csv,SupervisorStaffId,orphan WF001Staff.csv,WTE,out-of-range WF002Supervision.csv,StaffId,orphan
run "$tmp/wc" --providers 10 --collection WORKFORCE --months 1 --seed 3 --error-rate 0
"$py" "$root/tests/synth/check_workforce.py" "$tmp/wc" 2025-04 --dose 0 >/dev/null 2>&1
check "WORKFORCE: --error-rate 0 gives no findings" test $? -eq 0
f=$(ls "$tmp/wc"/*/2025-04/WF002Supervision.csv | head -n 1)
sed -i '3s/,[IGC]$/,Q/' "$f"
"$py" "$root/tests/synth/check_workforce.py" "$tmp/wc" 2025-04 --dose 0 >"$tmp/planted.txt" 2>&1
check "WORKFORCE: a planted invalid session type is caught" \
    bash -c "grep -q \"WF002Supervision.csv', 3, 'SupervisionType', 'unknown-code'\" '$tmp/planted.txt'"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
