#!/usr/bin/python3
"""An independent client of the hub's query endpoint (messages from the
build's descriptor set, CURVE from pyzmq, signatures from PyNaCl; no code
shared with iapt-query), for what the command-line client cannot ask:
malformed and unknown requests, requests outside the caller's role, and an
audit of the log from its raw leaves.

Each scenario prints what happened and exits 0 when the hub behaved as it
must, 1 otherwise.

usage: queryclient.py SCENARIO --endpoint E --key FILE --hub-public FILE [options]
  garbage     malformed requests get an answer with a reason (or, far over the
              size limit, a dropped connection) and the hub goes on answering
  roles       a provider asks for what only analysts / auditors may have
  log         checkpoint signature checked with the hub's key by its C2SP
              definition; the root recomputed from every leaf (RFC 6962);
              leaves are signed manifests whose submission ids are given
  odd-quality (submit endpoint) an empty submission whose quality summary
              has names with quotes, backslashes and control characters
"""
import argparse
import base64
import hashlib
import os
import sys

import nacl.exceptions
import nacl.signing
import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hubclient  # noqa: E402  (message classes, key files, a CURVE DEALER)

Envelope = hubclient.Envelope
SignedManifest = hubclient.SignedManifest
Manifest = hubclient.Manifest
REFUSE = hubclient.REFUSE


class QueryClient(hubclient.Client):
    next_id = 100

    def ask(self, fill, timeout_ms=5000):
        """Send a QueryRequest built by fill(req); return the QueryResponse or None."""
        env = Envelope()
        QueryClient.next_id += 1
        env.query.request_id = QueryClient.next_id
        fill(env.query)
        self.send(env)
        return self.answer(timeout_ms)

    def answer(self, timeout_ms=5000):
        r = self.recv(timeout_ms)
        if r is None:
            return None
        if r.WhichOneof("body") != "answer":
            print("not an answer:", r.WhichOneof("body"))
            return None
        return r.answer


def refused(ans, code, what):
    if ans is None:
        print(f"{what}: no answer")
        return False
    if not ans.HasField("error"):
        print(f"{what}: expected {code}, got an answer: {ans.WhichOneof('body')}")
        return False
    name = REFUSE.get(ans.error, str(ans.error))
    print(f"{what}: {name}: {ans.reason}")
    if name != code:
        print(f"{what}: expected {code}")
        return False
    if not ans.reason:
        print(f"{what}: no reason given")
        return False
    return True


def serving(c, what):
    ans = c.ask(lambda q: q.checkpoint.SetInParent())
    ok = ans is not None and not ans.HasField("error") and ans.WhichOneof("body") == "checkpoint"
    print(f"after {what}: {'still answering' if ok else 'NO ANSWER'}")
    return ok


def scenario_garbage(c, a):
    ok = True
    steps = []

    def step(what, result):
        nonlocal ok
        ok &= result
        ok &= serving(c, what)
        steps.append(what)

    c.send_raw(os.urandom(2000))
    step("random bytes", refused(c.answer(), "REFUSE_MALFORMED", "random bytes"))
    c.send_raw(b"")
    step("an empty message", refused(c.answer(), "REFUSE_MALFORMED", "an empty message"))
    c.send_raw(b"\x08\x01", b"a second frame")
    step("two frames", refused(c.answer(), "REFUSE_MALFORMED", "two frames"))
    env = Envelope()
    env.version = 99
    env.query.request_id = 1
    env.query.checkpoint.SetInParent()
    c.sock.send(env.SerializeToString())
    step("wire version 99", refused(c.answer(), "REFUSE_VERSION", "wire version 99"))
    env = Envelope()
    env.open.signed_manifest = b"x" * 80
    c.send(env)
    step("a submission message", refused(c.answer(), "REFUSE_UNKNOWN_TYPE", "Open on the query endpoint"))
    step("a query with no body",
         refused(c.ask(lambda q: None), "REFUSE_UNKNOWN_TYPE", "a query with no body"))
    # A required field missing: the request does not decode.
    env = Envelope()
    env.version = 1
    env.query.request_id = 2
    env.query.measures.breakdown = "age"
    c.sock.send(env.SerializePartialToString())
    step("measures without a period",
         refused(c.answer(), "REFUSE_MALFORMED", "measures without a period"))
    for what, fill in [
        ("period 2025-13", lambda q: setattr(q.measures, "period_from", "2025-13")),
        ("a range running backwards",
         lambda q: (setattr(q.measures, "period_from", "2025-09"),
                    setattr(q.measures, "period_to", "2025-08"))),
        ("a 61-month range",
         lambda q: (setattr(q.measures, "period_from", "2020-01"),
                    setattr(q.measures, "period_to", "2025-01"))),
        ("an unknown breakdown",
         lambda q: (setattr(q.measures, "period_from", "2025-09"),
                    setattr(q.measures, "breakdown", "shoe size"))),
        ("an unknown group type",
         lambda q: (setattr(q.measures, "period_from", "2025-09"),
                    q.measures.group_types.append("Planet"))),
        ("an unknown measure",
         lambda q: (setattr(q.measures, "period_from", "2025-09"),
                    q.measures.measure_ids.append("M999"))),
        ("submissions for period 'soon'", lambda q: setattr(q.submissions, "period", "soon")),
        ("a lock for period 'ever'", lambda q: setattr(q.lock, "period", "ever")),
        ("consistency 0 -> 0",
         lambda q: (setattr(q.consistency, "old_size", 0), setattr(q.consistency, "new_size", 0))),
        ("consistency past the log",
         lambda q: (setattr(q.consistency, "old_size", 1),
                    setattr(q.consistency, "new_size", 1 << 40))),
        ("inclusion of leaf 2^63",
         lambda q: (setattr(q.inclusion, "leaf_index", 1 << 63),
                    setattr(q.inclusion, "tree_size", 1))),
        ("inclusion by an unknown submission id",
         lambda q: (setattr(q.inclusion, "submission_id", b"\x07" * 32),
                    setattr(q.inclusion, "tree_size", 1))),
        ("the manifest of a short id", lambda q: setattr(q.manifest, "submission_id", b"\x01")),
    ]:
        step(what, refused(c.ask(fill), "REFUSE_INVALID", what))
    # Leaves from far past the end: an empty page (or a refusal saying why),
    # not a failure of the hub.
    for start, count in ((1 << 63, 10), ((1 << 64) - 1, 1), ((1 << 64) - 1, 3)):
        ans = c.ask(lambda q: (setattr(q.leaves, "start", start),
                               setattr(q.leaves, "count", count)))
        good = ans is not None and (
            (not ans.HasField("error") and ans.WhichOneof("body") == "leaves"
             and len(ans.leaves.leaves) == 0)
            or (ans.HasField("error") and REFUSE.get(ans.error) == "REFUSE_INVALID"))
        if ans is not None:
            print(f"leaves {start} +{count}:",
                  REFUSE.get(ans.error) + ": " + ans.reason if ans.HasField("error")
                  else f"{len(ans.leaves.leaves)} leaves")
        step(f"leaves {start} +{count}", good)
    # Over the request limit (1 MiB) but under the drop limit: refused.
    env = Envelope()
    env.query.request_id = 3
    env.query.measures.period_from = "2025-09"
    env.query.measures.org_codes.append("X" * (1536 * 1024))
    c.send(env)
    step("a 1.5 MiB request", refused(c.answer(), "REFUSE_TOO_LARGE", "a 1.5 MiB request"))
    # Far over: the connection is dropped; a new one is served.
    c.send_raw(b"y" * (3 << 20))
    r = c.recv(2000)
    print("3 MiB request: reply", "none (connection dropped)" if r is None else r)
    ok &= r is None
    fresh = QueryClient(a.endpoint, c.keys, c.hub_public)
    ok &= serving(fresh, "a 3 MiB request (new connection)")
    print(f"{len(steps)} malformed requests")
    return ok


def scenario_roles(c, a):
    ok = True
    for what, fill in [
        ("leaves", lambda q: (setattr(q.leaves, "start", 0), setattr(q.leaves, "count", 1))),
        ("registry", lambda q: q.registry.SetInParent()),
        ("records", lambda q: (setattr(q.records, "submission_id", b"\x02" * 32),
                               setattr(q.records, "start", 0), setattr(q.records, "count", 1))),
        ("targets", lambda q: setattr(q.targets, "period", "2025-09")),
        ("lock", lambda q: setattr(q.lock, "period", "2025-09")),
        ("unsuppressed measures",
         lambda q: (setattr(q.measures, "period_from", "2025-09"),
                    setattr(q.measures, "unsuppressed", True))),
        ("quality of another organisation",
         lambda q: (setattr(q.quality, "period", "2025-09"),
                    setattr(q.quality, "org_code", a.other_org))),
        ("submissions of another organisation",
         lambda q: (setattr(q.submissions, "period", "2025-09"),
                    setattr(q.submissions, "org_code", a.other_org))),
    ]:
        ok &= refused(c.ask(fill), "REFUSE_ROLE", what)
    if a.other_id:
        ok &= refused(c.ask(lambda q: setattr(q.manifest, "submission_id",
                                              bytes.fromhex(a.other_id))),
                      "REFUSE_ROLE", "the manifest of another organisation's submission")
    ok &= serving(c, "requests outside the role")
    return ok


def note_key_id(name, pk):
    return hashlib.sha256(name.encode() + b"\n" + b"\x01" + pk).digest()[:4]


def mth(leaves):
    """RFC 6962 section 2.1."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


def scenario_log(c, a):
    ans = c.ask(lambda q: q.checkpoint.SetInParent())
    if ans is None or ans.HasField("error"):
        print("no checkpoint:", ans)
        return False
    text, size = ans.checkpoint.checkpoint, ans.checkpoint.tree_size
    ok = True
    # C2SP signed note: body, a blank line, "— <name> <base64(key id || sig)>".
    body, sep, sigs = text.partition("\n\n")
    body += "\n"
    lines = body.split("\n")[:-1]
    if not sep or len(lines) != 3:
        print("not a checkpoint note:", repr(text))
        return False
    origin, size_line, root_b64 = lines
    ok &= origin == a.name and size_line == str(size)
    root = base64.b64decode(root_b64, validate=True)
    ok &= len(root) == 32
    pk = base64.b64decode(c.hub_public["sign-public"])
    verified = False
    for line in sigs.strip("\n").split("\n"):
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != "\u2014" or parts[1] != a.name:
            print("bad signature line:", repr(line))
            ok = False
            continue
        raw = base64.b64decode(parts[2], validate=True)
        if raw[:4] != note_key_id(a.name, pk):
            print("signature key id is not the hub's")
            ok = False
            continue
        try:
            nacl.signing.VerifyKey(pk).verify(body.encode(), raw[4:])
            verified = True
        except nacl.exceptions.BadSignatureError:
            print("checkpoint signature does not verify")
            ok = False
    ok &= verified
    print(f"checkpoint: origin {origin}, size {size}, signature {'verified' if verified else 'BAD'}")
    leaves = []
    while len(leaves) < size:
        ans = c.ask(lambda q: (setattr(q.leaves, "start", len(leaves)),
                               setattr(q.leaves, "count", 1000)))
        if ans is None or ans.HasField("error") or not ans.leaves.leaves:
            print("leaves:", ans)
            return False
        leaves.extend(ans.leaves.leaves)
    ok &= mth(leaves) == root
    print("root recomputed from", len(leaves), "leaves:", "equal" if mth(leaves) == root else "DIFFERENT")
    ids = [hashlib.sha256(l).hexdigest() for l in leaves]
    for want in a.expect_ids or []:
        if want not in ids:
            print("submission", want[:12], "not in the log")
            ok = False
    for l in leaves:
        sm = SignedManifest()
        sm.ParseFromString(l)
        m = Manifest()
        m.ParseFromString(sm.manifest)
        print(f"  leaf: {m.org_code} {m.period} sequence {m.sequence}, {m.record_count} records")
    if a.expect_size is not None and size != a.expect_size:
        print(f"tree size {size}, expected {a.expect_size}")
        ok = False
    return ok


ODD_TABLE = 'IDS"101\\Referral'
ODD_FIELD = 'Field "quoted"\ttabbed'
ODD_REASON = "reason\nwith a line break"


def scenario_odd_quality(c, a):
    """On the submit endpoint: a submission of no records whose signed
    data-quality summary carries names with a quote, a backslash and a
    control character, as a node of another make might send."""
    s = hubclient.Client(a.submit_endpoint, c.keys, c.hub_public)
    Quality = hubclient.msg("QualitySummary")
    q = Quality(referrals_in_extract=0, referrals_selected=0, referrals_used=0,
                referrals_rejected=0, findings=1)
    t = q.tables.add(table=ODD_TABLE, rows=1, rejected=0)
    t.fields.add(field=ODD_FIELD, valid=1, invalid=0, missing=0)
    q.reasons.add(table=ODD_TABLE, field=ODD_FIELD, reason=ODD_REASON, count=1)
    m = Manifest(format_version=1, collection="IAPT", dataset_version="2.1",
                 org_code=c.keys["org"], period=a.period, sequence=a.sequence, created_at=0,
                 record_count=0, records_root=hashlib.sha256(b"").digest(),
                 pseudo_key_id=b"\x01" * 8, node_version="queryclient", quality=q)
    mb = m.SerializeToString()
    sig = hubclient.signer(c.keys).sign(b"iapt/manifest/v1\x00" + mb).signature
    env = Envelope()
    env.open.signed_manifest = SignedManifest(manifest=mb, signature=sig).SerializeToString()
    s.send(env)
    r = s.recv()
    if r is None or r.WhichOneof("body") != "accept":
        print("open:", r)
        return False
    env = Envelope()
    env.close.submission_id = r.accept.submission_id
    s.send(env)
    r = s.recv()
    print("close:", r.WhichOneof("body") if r else None)
    return r is not None and r.WhichOneof("body") == "receipt"


SCENARIOS = {"garbage": scenario_garbage, "roles": scenario_roles, "log": scenario_log,
             "odd-quality": scenario_odd_quality}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("scenario", choices=sorted(SCENARIOS))
    p.add_argument("--endpoint", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--hub-public", required=True)
    p.add_argument("--name", default="iapt-hub.test/log")
    p.add_argument("--other-org", default="P02")
    p.add_argument("--other-id")
    p.add_argument("--expect-size", type=int)
    p.add_argument("--expect-ids", nargs="*")
    p.add_argument("--submit-endpoint")
    p.add_argument("--period", default="2025-07")
    p.add_argument("--sequence", type=int, default=1000)
    a = p.parse_args()
    keys = hubclient.read_keyfile(a.key)
    hub_public = hubclient.read_keyfile(a.hub_public)
    c = QueryClient(a.endpoint, keys, hub_public)
    c.keys, c.hub_public = keys, hub_public
    ok = SCENARIOS[a.scenario](c, a)
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
