#!/usr/bin/python3
"""Compare iapt-node's workforce findings with the synthetic extracts' errors.

    wf_findings_check.py NODE DIR YYYY-MM [YYYY-MM ...]

For every provider extract DIR/ORG/YYYY-MM written by iapt-synth
--collection WORKFORCE, runs `NODE check --collection WORKFORCE --json` and
compares its findings (file, line, field, reason) with two independent
lists: the generator's DIR/ORG/YYYY-MM.errors.csv and the findings of
tests/synth/check_workforce.py's validator (written from the rules alone).
All three must be the same set. Prints one line per extract that differs
and a summary `N extracts agree (F findings), D differ`; exit 0 when none
differ and at least one extract was checked, else 1. Standard library only.
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "synth"))
import check_workforce  # noqa: E402


def node_findings(node, extract, org, month):
    p = subprocess.run([node, "check", "--collection", "WORKFORCE", "--extract", extract,
                        "--period", month, "--org", org, "--json", "--max-findings", "1000000"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode not in (0, 1):
        raise RuntimeError("%s %s: node check exit %d: %s" % (org, month, p.returncode, p.stderr))
    d = json.loads(p.stdout)
    if d.get("findings_not_listed"):
        raise RuntimeError("%s %s: findings not listed" % (org, month))
    return {(f["file"], f["line"], f["field"], f["reason"]) for f in d["finding_list"]}


def main(argv):
    if len(argv) < 4:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    node, root, months = argv[1], argv[2], argv[3:]
    agree = differ = total = 0
    for month in months:
        orgs = sorted(o for o in os.listdir(root) if os.path.isdir(os.path.join(root, o, month)))
        for org in orgs:
            got = node_findings(node, os.path.join(root, org, month), org, month)
            want = check_workforce.read_errors(root, org, month)
            spec = check_workforce.validate(root, org, month)[0]
            if got == want == spec:
                agree += 1
                total += len(got)
                continue
            differ += 1
            print("%s %s: node only %s; errors.csv only %s; validator differs from errors.csv %s"
                  % (org, month, sorted(got - want)[:5], sorted(want - got)[:5],
                     sorted(spec ^ want)[:5]))
    print("%d extracts agree (%d findings), %d differ" % (agree, total, differ))
    return 0 if differ == 0 and agree > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
