#!/usr/bin/env bash
# Hand-worked tests of the independent CYP reference computation
# (tests/reference/cyp_reference.py): runs them and passes their exit status
# through.  The last line of output is "N passed, N failed".
set -u
root=${IAPT_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
/usr/bin/python3 -B "$root/tests/reference/test_cyp_reference.py"
exit $?
