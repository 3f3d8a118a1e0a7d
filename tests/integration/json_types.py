#!/usr/bin/env python3
"""json_types.py FILE SPEC...: FILE must parse as JSON (with Python's json
module, as `python3 -m json.tool` does) and every value SPEC names must
have the type given.

SPEC is PATH=TYPE. PATH is dot-separated keys; `[]` after a key (or alone
at the start) means every element of that array; a key ending in `?` may
be absent. TYPE is int, num (int or float, not bool), str, bool, null, or
several joined with `|` (e.g. num|null|star, where star is the string "*").
Prints what it checked; exit 1 naming the first value of the wrong type.
"""
import json
import sys


def ok(v, types):
    for t in types.split("|"):
        if t == "int" and isinstance(v, int) and not isinstance(v, bool):
            return True
        if t == "num" and isinstance(v, (int, float)) and not isinstance(v, bool):
            return True
        if t == "str" and isinstance(v, str):
            return True
        if t == "bool" and isinstance(v, bool):
            return True
        if t == "null" and v is None:
            return True
        if t == "star" and v == "*":
            return True
    return False


def walk(v, parts, where):
    if not parts:
        yield where, v
        return
    p, rest = parts[0], parts[1:]
    each = p.endswith("[]")
    key = p[:-2] if each else p
    optional = key.endswith("?")
    key = key.rstrip("?")
    if key:
        if not isinstance(v, dict):
            raise TypeError("%s is not an object" % where)
        if key not in v:
            if optional:
                return
            raise KeyError("%s has no key %r" % (where, key))
        v, where = v[key], "%s.%s" % (where, key)
    if each:
        if not isinstance(v, list):
            raise TypeError("%s is not an array" % where)
        for i, e in enumerate(v):
            yield from walk(e, rest, "%s[%d]" % (where, i))
    else:
        yield from walk(v, rest, where)


def main():
    try:
        data = json.load(open(sys.argv[1], encoding="utf-8"))
    except ValueError as e:
        print("not JSON: %s" % e)
        return 1
    n = 0
    for spec in sys.argv[2:]:
        path, _, types = spec.partition("=")
        try:
            for where, v in walk(data, path.split(".") if path else [], "$"):
                if not ok(v, types):
                    print("%s is %r, not %s" % (where, v, types))
                    return 1
                n += 1
        except (KeyError, TypeError) as e:
            print(e.args[0])
            return 1
    print("%d values of the right types" % n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
