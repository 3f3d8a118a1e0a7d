#!/usr/bin/env bash
# iapt-synth: determinism, independence of what else is generated, file
# layout and headers, CSV validity, volumes, injected errors pointing at the
# rows that carry them (checked by an independent validator), clean output.
# Ends with "N passed, N failed".
set -u
root=${IAPT_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${IAPT_BUILD:-$root/build}
synth="$build/bin/iapt-synth"
py=/usr/bin/python3

pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { # check NAME COMMAND...
    local name=$1; shift
    if "$@"; then ok "$name"; else bad "$name"; fi
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/iapt-synth-test-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

run() { # run DIR ARGS... : generate quietly, keep stderr in DIR.log
    local dir=$1; shift
    "$synth" --out "$dir" "$@" 2>"$dir.log"
}

# --- command line -------------------------------------------------------------
check "--help exits 0 and shows usage" bash -c "'$synth' --help | grep -q -- '--providers N'"
for args in "--months 1 --seed 1 --out $tmp/x" \
            "--providers 0 --months 1 --seed 1 --out $tmp/x" \
            "--providers 2 --months 1 --seed -1 --out $tmp/x" \
            "--providers 2 --months 1 --seed 1 --out $tmp/x --start 2025-13" \
            "--providers 2 --months 1 --seed 1 --out $tmp/x --scale abc" \
            "--providers 2 --months 1 --seed 1 --out $tmp/x --bogus 1"; do
    # shellcheck disable=SC2086
    "$synth" $args >/dev/null 2>"$tmp/err.txt"
    rc=$?
    check "refused: $args" test "$rc" -ne 0 -a -s "$tmp/err.txt"
done
check "bad arguments write nothing" test ! -e "$tmp/x"

# --- determinism and independence ----------------------------------------------
common=(--months 2 --seed 42 --scale 0.3 --error-rate 0.01 --shared-patients 0.05)
run "$tmp/a" --providers 6 "${common[@]}"
check "generator succeeds" test $? -eq 0
check "summary line on stderr" grep -Eq '^iapt-synth: 6 providers, 2 months from 2025-04, [0-9]+ referrals written, [0-9]+ errors injected, [0-9.]+ s$' "$tmp/a.log"
run "$tmp/b" --providers 6 "${common[@]}"
check "same arguments give byte-identical output" diff -r -q "$tmp/a" "$tmp/b"

org0=$(sed -n 2p "$tmp/a/providers.csv" | cut -d, -f1)
org1=$(sed -n 3p "$tmp/a/providers.csv" | cut -d, -f1)
run "$tmp/c" --providers 3 "${common[@]}"
check "provider 0 is the same with 3 or 6 providers" diff -r -q "$tmp/a/$org0" "$tmp/c/$org0"
check "provider registry is a prefix" bash -c "head -n 4 '$tmp/a/providers.csv' | cmp -s - '$tmp/c/providers.csv'"

run "$tmp/d" --providers 2 --months 1 --start 2025-05 --seed 42 --scale 0.3 --error-rate 0.01 --shared-patients 0.05
check "month 2025-05 is the same generated alone" diff -r -q "$tmp/a/$org1/2025-05" "$tmp/d/$org1/2025-05"
check "its errors are the same generated alone" cmp -s "$tmp/a/$org1/2025-05.errors.csv" "$tmp/d/$org1/2025-05.errors.csv"
check "reference files do not depend on the provider count" cmp -s "$tmp/a/geography.csv" "$tmp/d/geography.csv"

run "$tmp/e" --providers 6 --months 2 --seed 43 --scale 0.3 --error-rate 0.01
check "another seed gives other data" bash -c "! diff -q '$tmp/a/providers.csv' '$tmp/e/providers.csv' >/dev/null"

# --- layout and headers ----------------------------------------------------------
headers='IDS000Header.csv=OrgIDProv,ReportingPeriodStartDate,ReportingPeriodEndDate,DateTimeDatSetCreate,PrimSystemInUse
IDS001MPI.csv=LocalPatientId,NHSNumber,PersonBirthDate,Postcode,GenderIdentity,EthnicCategory
IDS101Referral.csv=ServiceRequestId,LocalPatientId,OrgIDComm,ReferralRequestReceivedDate,SourceOfReferralIAPT,ServDischDate,EndCode
IDS201CareContact.csv=CareContactId,ServiceRequestId,CareContDate,AppType,AttendOrDNACode,ConsMechanism
IDS202CareActivity.csv=CareActId,CareContactId,CodeProcAndProcStatus
IDS603PresentingComplaints.csv=ServiceRequestId,PresComp,PresCompCodSig,PresCompDate
IDS606CodedScoreAssessmentRefer.csv=ServiceRequestId,CodedAssToolType,PersScore,AssToolCompDate
IDS607CodedScoreAssessmentAct.csv=CareActId,CodedAssToolType,PersScore
IDS004EmpStatus.csv=LocalPatientId,EmployStatusRecDate,EmployStatus,SSPInd,BenefitRecInd
IDS602LongTermCondition.csv=LocalPatientId,LongTermCondition'
layout_ok=1
n_dirs=0
for org in $(tail -n +2 "$tmp/a/providers.csv" | cut -d, -f1); do
    for m in 2025-04 2025-05; do
        n_dirs=$((n_dirs + 1))
        [ -f "$tmp/a/$org/$m.errors.csv" ] || { echo "missing $org/$m.errors.csv"; layout_ok=0; }
        while IFS='=' read -r file hdr; do
            if [ "$(head -n 1 "$tmp/a/$org/$m/$file" 2>/dev/null)" != "$hdr" ]; then
                echo "bad or missing header: $org/$m/$file"; layout_ok=0
            fi
        done <<<"$headers"
        [ "$(ls "$tmp/a/$org/$m" | wc -l)" -eq 10 ] || { echo "extra files in $org/$m"; layout_ok=0; }
    done
done
check "every extract has the ten files with the exact headers ($n_dirs extracts)" test $layout_ok -eq 1
check "header row names the provider and period" bash -c "sed -n 2p '$tmp/a/$org0/2025-05/IDS000Header.csv' | grep -Eq '^$org0,2025-05-01,2025-05-31,2025-06-0[2-6]T[0-9:]{8},'"
check "reference files exist" test -s "$tmp/a/geography.csv" -a -s "$tmp/a/providers.csv" -a -s "$tmp/a/imd.csv"

# --- CSV validity and reference data --------------------------------------------
sha="$root/data/sha-2012-targets.csv"
"$py" - "$tmp/a" "$sha" >"$tmp/csv.txt" 2>&1 <<'EOF'
import csv, os, re, sys
root, sha = sys.argv[1], sys.argv[2]
bad = []
n_files = 0
for dirpath, _, files in os.walk(root):
    for name in files:
        if not name.endswith(".csv"):
            continue
        n_files += 1
        with open(os.path.join(dirpath, name), newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f, strict=True))
        if not rows or any(len(r) != len(rows[0]) for r in rows):
            bad.append(name)
print("files", n_files, "ragged", bad)
geo = list(csv.DictReader(open(os.path.join(root, "geography.csv"), newline="")))
regions = {(g["region_code"], g["region_name"]) for g in geo}
icbs = {g["icb_code"] for g in geo}
subs = [g["subicb_code"] for g in geo]
ok = (len(regions) == 10 and 38 <= len(icbs) <= 46 and 95 <= len(subs) <= 115
      and len(set(subs)) == len(subs) and all(re.fullmatch(r"[A-Z0-9]{3}", s) for s in subs)
      and any("," in g["icb_name"] for g in geo)
      and all(g["subicb_name"].endswith(" - " + g["subicb_code"]) for g in geo))
if not os.path.exists(sha):
    print("missing reference table", sha)
    ok = False
else:
    names = {r["sha_name"] for r in csv.DictReader(open(sha, newline=""))}
    ok = ok and names == {n for _, n in regions}
print("geography", ok, len(regions), len(icbs), len(subs))
prov = list(csv.DictReader(open(os.path.join(root, "providers.csv"), newline="")))
codes = [p["org_code"] for p in prov]
print("providers", len(set(codes)) == len(codes)
      and all(re.fullmatch(r"[A-Z0-9]{3}|[A-Z0-9]{5}", c) for c in codes)
      and all(p["name"] for p in prov))
imd = list(csv.DictReader(open(os.path.join(root, "imd.csv"), newline="")))
pre = [r["postcode_prefix"] for r in imd]
nested = sum(1 for p in pre if p[:-1] in set(pre))
print("imd", len(set(pre)) == len(pre) and all(1 <= int(r["imd_decile"]) <= 10 for r in imd)
      and nested > 0)
EOF
check "python csv parses every file, no ragged rows" grep -q "ragged \[\]" "$tmp/csv.txt"
check "geography: 10 SHA regions, ~42 ICBs, ~106 unique sub-ICBs" grep -q "^geography True" "$tmp/csv.txt"
check "providers: unique ODS-like codes with names" grep -q "^providers True" "$tmp/csv.txt"
check "imd: unique prefixes at two levels" grep -q "^imd True" "$tmp/csv.txt"
[ $fail -eq 0 ] || cat "$tmp/csv.txt"

# --- injected errors and clean output ---------------------------------------------
"$py" "$root/tests/synth/check_extract.py" "$tmp/a" >"$tmp/errs.txt" 2>&1
rc=$?
tail -n 1 "$tmp/errs.txt"
check "validator findings equal errors.csv in every extract" test $rc -eq 0
check "errors were injected" bash -c "grep -Eq '^12 extracts match their errors.csv \([1-9][0-9]* errors\), 0 differ' '$tmp/errs.txt'"

"$py" - "$tmp/a" >"$tmp/lines.txt" 2>&1 <<'EOF'
import csv, os, sys
root = sys.argv[1]
bad = n = 0
kinds = set()
for org in os.listdir(root):
    d = os.path.join(root, org)
    if not os.path.isdir(d):
        continue
    for name in os.listdir(d):
        if not name.endswith(".errors.csv"):
            continue
        month = name[:-len(".errors.csv")]
        for e in csv.DictReader(open(os.path.join(d, name), newline="")):
            n += 1
            kinds.add(e["reason"])
            lines = open(os.path.join(d, month, e["file"]), newline="").read().split("\n")
            line = int(e["line"])
            header = lines[0].split(",")
            if not (2 <= line <= len(lines) - 1 and e["field"] in header):
                bad += 1
print("errors", n, "bad", bad, "kinds", " ".join(sorted(kinds)))
EOF
check "every errors.csv line names a data row and a column of its file" grep -q "bad 0 " "$tmp/lines.txt"
check "all kinds of error occur" grep -q "kinds bad-date bad-number discharge-before-referral duplicate-id missing nhs-check-digit orphan out-of-range unknown-code" "$tmp/lines.txt"
[ $fail -eq 0 ] || cat "$tmp/lines.txt"

run "$tmp/clean" --providers 4 --months 2 --seed 9 --scale 0.3 --error-rate 0
check "--error-rate 0: every errors.csv is only its header" bash -c "for f in '$tmp/clean'/*/*.errors.csv; do [ \"\$(wc -l <\"\$f\")\" -eq 1 ] || exit 1; done"
"$py" "$root/tests/synth/check_extract.py" "$tmp/clean" >"$tmp/clean.txt" 2>&1
check "--error-rate 0: the validator finds nothing" grep -q "^8 extracts match their errors.csv (0 errors), 0 differ" "$tmp/clean.txt"

# --- consecutive months ----------------------------------------------------------
"$py" - "$tmp/clean" >"$tmp/months.txt" 2>&1 <<'EOF'
import csv, os, sys
root = sys.argv[1]
def rows(org, m, name):
    return list(csv.DictReader(open(os.path.join(root, org, m, name), newline="")))
both = lost = changed = 0
for org in [r["org_code"] for r in csv.DictReader(open(os.path.join(root, "providers.csv")))]:
    apr = {r["ServiceRequestId"]: r for r in rows(org, "2025-04", "IDS101Referral.csv")}
    may = {r["ServiceRequestId"]: r for r in rows(org, "2025-05", "IDS101Referral.csv")}
    keys = ("LocalPatientId", "OrgIDComm", "ReferralRequestReceivedDate", "SourceOfReferralIAPT")
    common = set(apr) & set(may)
    both += len(common)
    changed += sum(any(apr[k][f] != may[k][f] for f in keys) for k in common)
    may_contacts = {tuple(r.values()) for r in rows(org, "2025-05", "IDS201CareContact.csv")}
    for r in rows(org, "2025-04", "IDS201CareContact.csv"):
        if r["ServiceRequestId"] in common and tuple(r.values()) not in may_contacts:
            lost += 1
print("both", both, "changed", changed, "lost", lost)
EOF
check "consecutive months: referrals carry on unchanged with their contacts" grep -Eq "^both [1-9][0-9]* changed 0 lost 0$" "$tmp/months.txt"

# --- shared patients ------------------------------------------------------------
run "$tmp/sh" --providers 2 --months 1 --seed 3 --scale 0.3 --shared-patients 0.2 --error-rate 0
"$py" - "$tmp/sh" >"$tmp/sh.txt" 2>&1 <<'EOF'
import csv, os, sys
root = sys.argv[1]
orgs = [r["org_code"] for r in csv.DictReader(open(os.path.join(root, "providers.csv")))]
seen = []
for org in orgs:
    rows = csv.DictReader(open(os.path.join(root, org, "2025-04", "IDS001MPI.csv"), newline=""))
    seen.append({r["NHSNumber"]: r for r in rows})
both = set(seen[0]) & set(seen[1])
same_id = sum(seen[0][n]["LocalPatientId"] == seen[1][n]["LocalPatientId"] for n in both)
keys = ("PersonBirthDate", "GenderIdentity", "EthnicCategory")
differ = sum(any(seen[0][n][k] != seen[1][n][k] for k in keys) for n in both)
print("shared", len(both), "same-local-id", same_id, "differ", differ)
EOF
check "shared patients: same NHS number at both partners, other LocalPatientId" grep -Eq "^shared [1-9][0-9]* same-local-id 0 " "$tmp/sh.txt"
check "shared patients: same birth date, gender and ethnicity at both" grep -q " differ 0$" "$tmp/sh.txt"

# --- volumes ------------------------------------------------------------------------
run "$tmp/v1" --providers 250 --months 1 --seed 5 --scale 0.02 --error-rate 0
run "$tmp/v2" --providers 250 --months 1 --seed 5 --scale 0.04 --error-rate 0
"$py" - "$tmp/v1" "$tmp/v2" >"$tmp/vol.txt" 2>&1 <<'EOF'
import csv, os, sys
def volumes(root):
    new = opened = contacts = 0
    for org in os.listdir(root):
        d = os.path.join(root, org, "2025-04")
        if not os.path.isdir(d):
            continue
        for r in csv.DictReader(open(os.path.join(d, "IDS101Referral.csv"), newline="")):
            ref, dis = r["ReferralRequestReceivedDate"], r["ServDischDate"]
            if ref <= "2025-04-30" and (not dis or dis >= "2025-04-01"):
                opened += 1
                new += ref >= "2025-04-01"
    return new, opened
n1, o1 = volumes(sys.argv[1])
n2, o2 = volumes(sys.argv[2])
# 150k new and 650k open a month nationally at scale 1 (April is a quiet month).
ok1 = 2000 <= n1 <= 4000 and 9000 <= o1 <= 17500 and 3.5 <= o1 / n1 <= 5.5
ok2 = 1.7 <= n2 / n1 <= 2.3 and 1.7 <= o2 / o1 <= 2.3
print("scale-0.02 new", n1, "open", o1, ok1)
print("scale-0.04 new", n2, "open", o2, ok2)
EOF
cat "$tmp/vol.txt"
check "volumes at --scale 0.02 are 2% of national" grep -q "^scale-0.02 .* True" "$tmp/vol.txt"
check "volumes double with --scale" grep -q "^scale-0.04 .* True" "$tmp/vol.txt"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
