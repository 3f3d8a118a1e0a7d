#!/usr/bin/env bash
# The manual pages: every installed program has one, every page is clean
# under groff's warnings, and every option a program's --help prints (and
# each command's --help, where it has commands) is documented in its page,
# so the pages cannot silently drift from the programs.
source "$(dirname "$0")/lib.sh"

MAN="$IAPT_ROOT/docs/man"
# The text of a page with roff escapes of '-' undone.
man_text() { sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$1"; }

for f in "$MAN"/*.[15]; do
    out=$(groff -ww -z -man "$f" 2>&1)
    check "$(basename "$f"): groff -ww -z -man is silent" test -z "$out"
    [ -n "$out" ] && printf '     | %s\n' "$out"
    check "$(basename "$f"): has NAME, SYNOPSIS, DESCRIPTION and SEE ALSO" \
        bash -c "for s in NAME SYNOPSIS DESCRIPTION 'SEE ALSO'; do grep -q \"^\\.SH \$s\" '$f' || exit 1; done"
done
for s in iapt-hub.conf iapt-node.conf iapt-client.conf; do
    check "section 5 page for $s" test -s "$MAN/$s.5"
done

for prog in "$BIN"/iapt-*; do
    name=$(basename "$prog")
    page="$MAN/$name.1"
    check "$name has a section 1 page" test -s "$page"
    [ -s "$page" ] || continue
    check "$name(1) documents EXIT STATUS" grep -q '^\.SH EXIT STATUS' "$page"
    help=$("$prog" --help 2>&1)
    check "$name --help prints its usage" grep -q "usage: $name" <<<"$help"
    # Commands: the first word of the indented lines of a commands list.
    cmds=$(awk '/^(commands:|  [a-z-]+ +(--|\[|ID|FILE))/{print}' <<<"$help" |
        sed -nE 's/^  ([a-z][a-z-]+) .*/\1/p' | sort -u)
    helps="$help"
    for c in $cmds; do
        ch=$("$prog" "$c" --help 2>&1) && helps="$helps
$ch"
    done
    text=$(man_text "$page")
    missing=""
    for opt in $(grep -oE -- '--[a-z][a-z0-9-]*' <<<"$helps" | sort -u); do
        grep -qF -- "$opt" <<<"$text" || missing="$missing $opt"
    done
    for c in $cmds; do
        grep -qE "(^|[ .])$c( |$)" <<<"$text" || missing="$missing command:$c"
    done
    check "$name(1) documents every option and command of --help${missing:+ (missing:$missing)}" \
        test -z "$missing"
done
finish
