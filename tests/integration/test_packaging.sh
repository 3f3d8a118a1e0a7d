#!/usr/bin/env bash
# Packaging: `make install DESTDIR=... PREFIX=/usr` lays out a normal tree,
# substitutes the units' paths, never runs apt-get (shims on PATH record any
# call), and the hub and node units are hardened to a systemd-analyze
# exposure of at most 3.0; deploy/install-deps.sh --check reports missing
# packages without installing; every rule that runs a dependency's tool
# waits for the deps stamp, so `make -j` on a fresh machine is ordered.
source "$(dirname "$0")/lib.sh"

ROOT=$IAPT_ROOT
REL_BUILD=${IAPT_BUILD#"$ROOT"/}
# The same flags as the build under test, so make install never rebuilds it
# differently (build-san is the SANITIZE=1 build).
MAKE_SAN=()
[ "$(basename "$REL_BUILD")" = build-san ] && MAKE_SAN=(SANITIZE=1)
D="$W/dest"
SHIMS="$W/shims"
mkdir -p "$SHIMS"
for tool in apt-get apt sudo; do
    printf '#!/bin/sh\necho "%s $*" >>"%s/called"\nexit 100\n' "$tool" "$W" >"$SHIMS/$tool"
    chmod +x "$SHIMS/$tool"
done

# --- make install -------------------------------------------------------------
PATH="$SHIMS:$PATH" make --no-print-directory -C "$ROOT" "${MAKE_SAN[@]}" BUILD="$REL_BUILD" \
    install DESTDIR="$D" PREFIX=/usr >"$W/install.log" 2>&1
check_eq "make install DESTDIR PREFIX=/usr succeeds" 0 $?
check "make install ran no apt-get, apt or sudo" test ! -e "$W/called"
for p in iapt-node iapt-hub iapt-query iapt-audit iapt-keygen iapt-synth; do
    check "bin/$p installed, executable" test -x "$D/usr/bin/$p"
    check "man1/$p.1 installed" test -s "$D/usr/share/man/man1/$p.1"
done
for p in iapt-hub.conf iapt-node.conf iapt-client.conf iapt-registry; do
    check "man5/$p.5 installed" test -s "$D/usr/share/man/man5/$p.5"
done
for f in README.md EXTRACT.md EXTRACT-NOTES.md MEASURES.md MEASURES-NOTES.md FORMATS.md \
    examples/hub.conf examples/node.conf examples/analyst.conf examples/auditor.conf; do
    check "doc/iapt/$f installed" test -s "$D/usr/share/doc/iapt/$f"
done
for f in WORKFORCE.md WORKFORCE-NOTES.md; do # the workforce collection's contract
    check "doc/iapt/$f installed" test -s "$D/usr/share/doc/iapt/$f"
done
for f in talking-therapies-monthly-measures.tsv sha-2012-targets.csv assessment-tools.csv \
    cyp-assessment-tools.csv; do
    check "share/iapt/$f installed, same as data/" cmp "$ROOT/data/$f" "$D/usr/share/iapt/$f"
done
check "sysusers.d file creates iapt-hub and iapt-node" \
    bash -c "grep -Eq '^u +iapt-hub ' '$D/usr/lib/sysusers.d/iapt.conf' && grep -Eq '^u +iapt-node ' '$D/usr/lib/sysusers.d/iapt.conf'"
U="$D/usr/lib/systemd/system"
for u in iapt-hub.service iapt-node-send.service iapt-node-send.timer \
    iapt-node-monthly.service iapt-node-monthly.timer iapt-failure@.service; do
    check "unit $u installed" test -s "$U/$u"
done
check "no @PLACEHOLDER@ left in the installed units or wrapper" \
    bash -c "! grep -l '@[A-Z]*@' '$U'/iapt-* '$D/usr/share/iapt/libexec/iapt-node-monthly'"
# Every program a unit starts exists in the installed tree.
bad=""
for f in "$U"/*.service; do
    for exe in $(sed -nE 's/^Exec(Start|StartPre)=[-@+!]*([^ ]+).*/\2/p' "$f"); do
        case $exe in
        /bin/* | /usr/bin/kill) ;;
        *) [ -x "$D$exe" ] || bad="$bad $(basename "$f"):$exe" ;;
        esac
    done
done
check "every ExecStart= names an installed executable${bad:+ (not:$bad)}" test -z "$bad"
check "the hub unit reads /etc/iapt/hub.conf with /usr/bin/iapt-hub" \
    grep -q '^ExecStart=/usr/bin/iapt-hub --config /etc/iapt/hub.conf$' "$U/iapt-hub.service"
check "keys reach the hub through LoadCredential=" grep -q '^LoadCredential=hub.secret:' "$U/iapt-hub.service"
check "keys reach the node through LoadCredential=" \
    grep -q '^LoadCredential=node.secret:' "$U/iapt-node-monthly.service"
check "the monthly submit has an OnFailure= hook" \
    grep -q '^OnFailure=iapt-failure@%n.service' "$U/iapt-node-monthly.service"

# A PREFIX other than /usr is followed by the units.
PATH="$SHIMS:$PATH" make --no-print-directory -C "$ROOT" "${MAKE_SAN[@]}" BUILD="$REL_BUILD" \
    install DESTDIR="$W/dest2" PREFIX=/opt/iapt >"$W/install2.log" 2>&1
check "PREFIX=/opt/iapt: the hub unit runs /opt/iapt/bin/iapt-hub" \
    grep -q '^ExecStart=/opt/iapt/bin/iapt-hub --config /opt/iapt/etc/iapt/hub.conf$' \
    "$W/dest2/opt/iapt/lib/systemd/system/iapt-hub.service"

# --- systemd hardening --------------------------------------------------------
if command -v systemd-analyze >/dev/null 2>&1; then
    for u in iapt-hub.service iapt-node-send.service iapt-node-monthly.service; do
        out=$(cd "$U" && timeout 60 systemd-analyze security --offline=true --threshold=30 "./$u" 2>&1)
        rc=$?
        level=$(sed -nE 's/.*Overall exposure level for [^:]*: ([0-9.]+).*/\1/p' <<<"$out")
        note "$u: systemd-analyze security exposure ${level:-?}"
        check "$u: exposure at most 3.0 (got ${level:-none})" test $rc -eq 0 -a -n "$level"
    done
else
    note "systemd-analyze not installed: exposure not measured here"
fi

# --- the monthly wrapper: last month, and a failure is a failure ---------------
wrap="$D/usr/share/iapt/libexec/iapt-node-monthly"
IAPT_EXTRACT_ROOT="$W/none" "$wrap" "$W/node.conf" >"$W/wrap.log" 2>&1
check_eq "wrapper: no extract for last month exits 1" 1 $?
last=$(date -u -d "$(date -u +%Y-%m-01) -1 month" +%Y-%m)
check "wrapper: names last month's missing extract directory" grep -q "$W/none/$last" "$W/wrap.log"
IAPT_PERIOD=2025-13x "$wrap" "$W/node.conf" >"$W/wrap2.log" 2>&1
check_eq "wrapper: a malformed IAPT_PERIOD is a usage error (2)" 2 $?
printf '#!/bin/sh\necho "$@" >"%s/hooked"\n' "$W" >"$W/hook"
chmod +x "$W/hook"
JOURNAL_STREAM=1:1 IAPT_ON_FAILURE="$W/hook" "$wrap" --report-failure x.service \
    >"$W/wrap3.log" 2>&1
check "failure report: critical priority prefix for the journal" grep -q '^<2>iapt-node-monthly: x.service failed' "$W/wrap3.log"
check "failure report: runs the site's IAPT_ON_FAILURE command with the unit" \
    grep -qx "x.service" "$W/hooked"

# --- dependencies: --check never installs; the build waits for the stamp -------
mkdir -p "$W/nodpkg"
printf '#!/bin/sh\nexit 1\n' >"$W/nodpkg/dpkg-query"
chmod +x "$W/nodpkg/dpkg-query"
PATH="$W/nodpkg:$SHIMS:$PATH" bash "$ROOT/deploy/install-deps.sh" --check >"$W/deps.log" 2>&1
check_eq "install-deps.sh --check with packages missing exits 1" 1 $?
check "install-deps.sh --check names what is missing" grep -q "missing packages: .*protobuf-c-compiler" "$W/deps.log"
check "install-deps.sh --check ran no apt-get" test ! -e "$W/called"
PATH="$SHIMS:$PATH" bash "$ROOT/deploy/install-deps.sh" >"$W/deps2.log" 2>&1
check "install-deps.sh with everything present: silent, no apt-get" \
    bash -c "test ! -s '$W/deps2.log' -a ! -e '$W/called'"
# A fresh build directory: the first thing make does is the deps stamp, and
# every rule running protoc-c or the compiler has the stamp as an order-only
# prerequisite (so -j cannot start them first).
fresh="${W#"$ROOT"/}/fresh"
make --no-print-directory -C "$ROOT" -n -j2 BUILD="$W/fresh" all >"$W/plan.log" 2>&1
first_tool=$(grep -nE '(^|[ /])(protoc-c|cc|clang) ' "$W/plan.log" | head -1 | cut -d: -f1)
deps_line=$(grep -n 'install-deps.sh' "$W/plan.log" | head -1 | cut -d: -f1)
check "make -n -j2 on a fresh build: install-deps.sh runs before protoc-c and cc" \
    test -n "$deps_line" -a -n "$first_tool" -a "${deps_line:-0}" -lt "${first_tool:-0}"
make --no-print-directory -C "$ROOT" -p -n BUILD="$W/fresh" all >"$W/db.log" 2>/dev/null
missing=""
for t in "$W/fresh/gen/proto/wire.pb-c.c" "$W/fresh/gen/iapt.desc" "$W/fresh/obj/common/config.o" \
    "$W/fresh/gen/proto/wire.pb-c.o"; do
    grep -qE "^$(printf '%s' "$t" | sed 's/[.]/\\./g'):.*\|.*$W/fresh/\.deps-ok" "$W/db.log" ||
        missing="$missing ${t#"$W"/}"
done
check "protoc-c and compile rules wait for the deps stamp${missing:+ (not:$missing)}" test -z "$missing"
check "make install under a PATH without apt-get plans no install-deps run" \
    bash -c "make --no-print-directory -C '$ROOT' -n BUILD='$REL_BUILD' install DESTDIR='$W/d3' PREFIX=/usr | grep install-deps.sh | grep -q -- '--check' || ! make --no-print-directory -C '$ROOT' -n BUILD='$REL_BUILD' install DESTDIR='$W/d3' PREFIX=/usr | grep -q install-deps.sh"
finish
