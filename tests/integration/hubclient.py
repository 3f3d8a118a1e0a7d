#!/usr/bin/python3
"""A deliberately separate client of the hub's wire protocol, for tests that
need to misbehave: forged signatures, altered records, garbage frames,
oversized messages, revoked keys, unregistered keys.

It shares no code with the C node: messages come from the descriptor set the
build writes (protoc-c --descriptor_set_out), signatures from PyNaCl, CURVE
from pyzmq. Each scenario prints what happened and exits 0 when the hub
behaved as it must, 1 otherwise.

usage: hubclient.py SCENARIO --endpoint E --key FILE --hub-public FILE [options]
"""
import argparse
import base64
import hashlib
import os
import sys
import time

import nacl.signing
import zmq
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

_pool = descriptor_pool.DescriptorPool()
_fds = descriptor_pb2.FileDescriptorSet()
with open(os.environ["IAPT_DESC"], "rb") as f:
    _fds.ParseFromString(f.read())
for _f in _fds.file:
    _pool.Add(_f)
_factory = message_factory.MessageFactory(_pool)


def msg(name):
    return _factory.GetPrototype(_pool.FindMessageTypeByName("iapt." + name))


Envelope, Manifest, SignedManifest = msg("Envelope"), msg("Manifest"), msg("SignedManifest")
REFUSE = {v.number: v.name for v in _pool.FindEnumTypeByName("iapt.RefuseCode").values}


def read_keyfile(path):
    out = {}
    for line in open(path):
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            k, v = line.split("=", 1)
            out[k.strip()] = v.strip()
    return out


class Client:
    def __init__(self, endpoint, keys, hub_public, curve=None):
        self.ctx = zmq.Context.instance()
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.linger = 0
        if curve is None:
            curve = (keys["curve-public"].encode(), keys["curve-secret"].encode())
        self.sock.curve_publickey, self.sock.curve_secretkey = curve
        self.sock.curve_serverkey = hub_public["curve-public"].encode()
        self.sock.connect(endpoint)

    def send_raw(self, *frames):
        self.sock.send_multipart(list(frames))

    def send(self, env):
        env.version = 1
        self.sock.send(env.SerializeToString())

    def recv(self, timeout_ms=5000):
        if not self.sock.poll(timeout_ms):
            return None
        env = Envelope()
        env.ParseFromString(self.sock.recv())
        return env


def signer(keys):
    sk = base64.b64decode(keys["sign-secret"])
    return nacl.signing.SigningKey(sk[:32])


# The data set version each collection's manifests carry (the registry's,
# common/collections/*/*_collection.c); others get the adult one.
DATASET_VERSIONS = {"IAPT": "2.1", "CYP": "1.0", "WORKFORCE": "1.0"}


def signed_manifest(keys, org, period, records, sequence, sign_with=None, collection="IAPT"):
    m = Manifest(format_version=1, collection=collection,
                 dataset_version=DATASET_VERSIONS.get(collection, "2.1"), org_code=org,
                 period=period, sequence=sequence, created_at=int(time.time()),
                 record_count=len(records), records_root=merkle_root(records),
                 pseudo_key_id=b"\x01" * 8, node_version="hubclient")
    mb = m.SerializeToString()
    key = sign_with or signer(keys)
    sig = key.sign(b"iapt/manifest/v1\x00" + mb).signature
    return SignedManifest(manifest=mb, signature=sig).SerializeToString()


def merkle_root(leaves):
    """RFC 6962 MTH, written here from the RFC for independence."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + merkle_root(leaves[:k]) + merkle_root(leaves[k:])).digest()


def open_env(sm):
    env = Envelope()
    env.open.signed_manifest = sm
    return env


def expect_refuse(reply, code, what):
    if reply is None:
        print(f"{what}: no reply")
        return False
    if reply.WhichOneof("body") != "refuse":
        print(f"{what}: expected a refusal, got {reply.WhichOneof('body')}")
        return False
    name = REFUSE.get(reply.refuse.code, str(reply.refuse.code))
    print(f"{what}: refused {name}: {reply.refuse.reason}")
    if name != code:
        print(f"{what}: expected {code}")
        return False
    if not reply.refuse.reason:
        print(f"{what}: refusal without a reason")
        return False
    return True


def scenario_forged(c, a, keys):
    sm = signed_manifest(keys, keys["org"], a.period, [b"x"], 1,
                         sign_with=nacl.signing.SigningKey.generate())
    c.send(open_env(sm))
    return expect_refuse(c.recv(), "REFUSE_BAD_SIGNATURE", "forged signature")


def scenario_wrong_org(c, a, keys):
    sm = signed_manifest(keys, a.other_org, a.period, [b"x"], 1)
    c.send(open_env(sm))
    return expect_refuse(c.recv(), "REFUSE_WRONG_ORG", "manifest for another organisation")


def scenario_altered(c, a, keys):
    records = [os.urandom(100 + i) for i in range(50)]
    sm = signed_manifest(keys, keys["org"], a.period, records, a.sequence)
    c.send(open_env(sm))
    r = c.recv()
    if r is None or r.WhichOneof("body") != "accept":
        print("open not accepted:", r)
        return False
    sid = r.accept.submission_id
    altered = list(records)
    altered[17] = bytes([altered[17][0] ^ 1]) + altered[17][1:]
    env = Envelope()
    env.chunk.submission_id = sid
    env.chunk.first_index = 0
    env.chunk.records.extend(altered)
    c.send(env)
    r = c.recv()
    if r is None or r.WhichOneof("body") != "credit" or r.credit.next_index != 50:
        print("chunk not credited:", r)
        return False
    env = Envelope()
    env.close.submission_id = sid
    c.send(env)
    return expect_refuse(c.recv(), "REFUSE_ROOT_MISMATCH", "record altered in transit")


def scenario_garbage(c, a, keys):
    ok = True
    c.send_raw(os.urandom(3000))
    ok &= expect_refuse(c.recv(), "REFUSE_MALFORMED", "random bytes")
    c.send_raw(b"\x08\x01", b"second frame")
    ok &= expect_refuse(c.recv(), "REFUSE_MALFORMED", "two frames")
    env = Envelope()
    env.version = 99
    env.close.submission_id = b"\0" * 32
    c.sock.send(env.SerializeToString())
    ok &= expect_refuse(c.recv(), "REFUSE_VERSION", "unknown wire version")
    env = Envelope()
    env.query.request_id = 1
    env.query.checkpoint.SetInParent()
    c.send(env)
    ok &= expect_refuse(c.recv(), "REFUSE_UNKNOWN_TYPE", "query on the submit endpoint")
    env = Envelope()
    env.chunk.submission_id = b"\0" * 32
    env.chunk.first_index = 0
    c.send(env)
    ok &= expect_refuse(c.recv(), "REFUSE_PROTOCOL", "chunk for an unknown submission")
    # Still answering after all that:
    ok &= scenario_forged(c, a, keys)
    return ok


def scenario_oversized(c, a, keys):
    limit = a.max_message
    env = Envelope()
    env.chunk.submission_id = b"\0" * 32
    env.chunk.first_index = 0
    env.chunk.records.append(b"z" * (limit + 1000))
    c.send(env)
    ok = expect_refuse(c.recv(), "REFUSE_TOO_LARGE", "message over the limit")
    # Far over the limit: libzmq drops the connection instead of buffering it.
    c.send_raw(b"y" * (limit * 3))
    r = c.recv(2000)
    print("far over the limit: reply", "none (connection dropped)" if r is None else r)
    return ok and r is None


def scenario_silent(c, a, keys):
    """A key the hub must not admit: no session, so no reply, ever."""
    sm = signed_manifest(keys, keys["org"], a.period, [b"x"], 1)
    c.send(open_env(sm))
    r = c.recv(a.wait_ms)
    print("reply:", r)
    return r is None


def scenario_revoked_midway(c, a, keys):
    sm = signed_manifest(keys, keys["org"], a.period, [b"x"], 1,
                         sign_with=nacl.signing.SigningKey.generate())
    c.send(open_env(sm))
    if not expect_refuse(c.recv(), "REFUSE_BAD_SIGNATURE", "before revocation"):
        return False
    open(a.ready_file, "w").close()
    deadline = time.time() + 20
    while not os.path.exists(a.go_file):
        if time.time() > deadline:
            print("never told to go on")
            return False
        time.sleep(0.05)
    c.send(open_env(sm))
    r = c.recv()
    if r is None:
        print("no reply after revocation")
        return False
    name = REFUSE.get(r.refuse.code) if r.WhichOneof("body") == "refuse" else r.WhichOneof("body")
    print("after revocation:", name, r.refuse.reason if r.WhichOneof("body") == "refuse" else "")
    return name in ("REFUSE_REVOKED", "REFUSE_NOT_REGISTERED")


def fetch_records(a, sid):
    """Every record of an accepted submission, from the query endpoint with
    the auditor's key (--auditor-key): valid pathway records to resubmit."""
    q = Client(a.query_endpoint, read_keyfile(a.auditor_key), read_keyfile(a.hub_public))
    out, start, total = [], 0, None
    for _ in range(1000):
        env = Envelope()
        env.query.request_id = 1 + len(out)
        env.query.records.submission_id = sid
        env.query.records.start = start
        env.query.records.count = 100000
        q.send(env)
        r = q.recv()
        if r is None or r.WhichOneof("body") != "answer" or r.answer.WhichOneof("body") != "records":
            print("records not served:", r)
            return None
        rr = r.answer.records
        total = rr.total
        out.extend(rr.records)
        start += len(rr.records)
        if start >= total or not rr.records:
            break
    return out


def scenario_resubmit(c, a, keys):
    """Sign and send, with the provider's key, a submission of the first
    --count records of submission --records-from (hex), with --sequence and
    optionally --forced; print the hub's receipt (its review state) and
    write it as JSON to --receipt-json. Passes when a receipt came back."""
    import json
    records = []
    if a.count:
        records = fetch_records(a, bytes.fromhex(a.records_from))
        if records is None or len(records) < a.count:
            print("not enough records to resubmit")
            return False
        records = records[:a.count]
    m = Manifest(format_version=1, collection="IAPT", dataset_version="2.1",
                 org_code=keys["org"], period=a.period, sequence=a.sequence,
                 created_at=int(time.time()), record_count=len(records),
                 records_root=merkle_root(records), pseudo_key_id=b"\x01" * 8,
                 node_version="hubclient")
    if a.forced:
        m.forced = True
        m.forced_checks.append("zero-records: hubclient test")
    mb = m.SerializeToString()
    sig = signer(keys).sign(b"iapt/manifest/v1\x00" + mb).signature
    sm = SignedManifest(manifest=mb, signature=sig).SerializeToString()
    c.send(open_env(sm))
    r = c.recv()
    if r is None or r.WhichOneof("body") != "accept":
        print("open not accepted:", r)
        return False
    sid = r.accept.submission_id
    for i in range(0, len(records), 500):
        env = Envelope()
        env.chunk.submission_id = sid
        env.chunk.first_index = i
        env.chunk.records.extend(records[i:i + 500])
        c.send(env)
        r = c.recv()
        if r is None or r.WhichOneof("body") != "credit":
            print("chunk not credited:", r)
            return False
    env = Envelope()
    env.close.submission_id = sid
    c.send(env)
    r = c.recv(20000)
    if r is None or r.WhichOneof("body") != "receipt":
        print("no receipt:", r)
        return False
    rec = msg("Receipt")()
    rec.ParseFromString(r.receipt.receipt)
    names = {v.number: v.name for v in _pool.FindEnumTypeByName("iapt.ReviewState").values}
    info = {"submission_id": sid.hex(), "records": len(records), "log_index": rec.log_index,
            "review": names[rec.review] if rec.HasField("review") else "REVIEW_NONE",
            "held_because": rec.held_because, "supersedes": rec.supersedes.hex(),
            "held_against": rec.held_against.hex()}
    print("receipt:", json.dumps(info))
    if a.receipt_json:
        with open(a.receipt_json, "w") as f:
            json.dump(info, f)
    return True


def scenario_versions(c, a, keys):
    """Another wire version, and a manifest of another format version, are
    answered REFUSE_VERSION with a reason naming the supported version."""
    ok = True
    env = Envelope()
    env.ping.client_version = "hubclient"
    env.version = 2
    c.sock.send(env.SerializeToString())
    r = c.recv()
    ok &= expect_refuse(r, "REFUSE_VERSION", "wire version 2")
    ok &= r is not None and "version 1" in r.refuse.reason
    m = Manifest(format_version=2, collection="IAPT", dataset_version="2.1", org_code=keys["org"],
                 period=a.period, sequence=a.sequence, created_at=int(time.time()),
                 record_count=1, records_root=merkle_root([b"x"]),
                 pseudo_key_id=b"\x01" * 8, node_version="hubclient")
    mb = m.SerializeToString()
    sig = signer(keys).sign(b"iapt/manifest/v1\x00" + mb).signature
    c.send(open_env(SignedManifest(manifest=mb, signature=sig).SerializeToString()))
    r = c.recv()
    ok &= expect_refuse(r, "REFUSE_VERSION", "manifest format version 2")
    ok &= r is not None and "supported version is 1" in r.refuse.reason
    # The connection is kept and served.
    env = Envelope()
    env.ping.client_version = "hubclient"
    c.send(env)
    r = c.recv()
    print("ping after the refusals:", r.WhichOneof("body") if r else None)
    return ok and r is not None and r.WhichOneof("body") == "pong"


def scenario_collection(c, a, keys):
    """A manifest of a collection the hub does not know, and one naming the
    adult collection by its folder key rather than its name, are refused
    REFUSE_MALFORMED naming them and the known collections; the hub keeps
    serving the connection."""
    ok = True
    for name in ("NOPE", "adult"):
        sm = signed_manifest(keys, keys["org"], a.period, [b"x"], a.sequence, collection=name)
        c.send(open_env(sm))
        r = c.recv()
        ok &= expect_refuse(r, "REFUSE_MALFORMED", f"collection {name}")
        ok &= r is not None and f"'{name}'" in r.refuse.reason and "IAPT" in r.refuse.reason
    env = Envelope()
    env.ping.client_version = "hubclient"
    c.send(env)
    r = c.recv()
    print("ping after the refusals:", r.WhichOneof("body") if r else None)
    return ok and r is not None and r.WhichOneof("body") == "pong"


def _records(a):
    return [b"record %d of submission %d" % (i, a.sequence) for i in range(a.records)]


def scenario_open(c, a, keys):
    """Open (or resume) a transfer whose manifest is fixed by --sequence and
    --created-at, send --chunks records one per chunk, and print what the hub
    answered: 'accept next_index N', or the refusal code. Passes when the
    Open was answered as --expect says (accept or a refusal code)."""
    recs = _records(a)
    m = Manifest(format_version=1, collection="IAPT", dataset_version="2.1", org_code=keys["org"],
                 period=a.period, sequence=a.sequence, created_at=a.created_at,
                 record_count=len(recs), records_root=merkle_root(recs),
                 pseudo_key_id=b"\x01" * 8, node_version="hubclient")
    mb = m.SerializeToString()
    sig = signer(keys).sign(b"iapt/manifest/v1\x00" + mb).signature
    c.send(open_env(SignedManifest(manifest=mb, signature=sig).SerializeToString()))
    r = c.recv()
    if r is None:
        print("open: no reply")
        return False
    if r.WhichOneof("body") == "refuse":
        name = REFUSE.get(r.refuse.code, str(r.refuse.code))
        print(f"open: refused {name}: {r.refuse.reason}")
        return name == a.expect
    if r.WhichOneof("body") != "accept":
        print("open: answered", r.WhichOneof("body"))
        return False
    print(f"open: accept next_index {r.accept.next_index}")
    sid, nxt = r.accept.submission_id, r.accept.next_index
    for i in range(nxt, min(nxt + a.chunks, len(recs))):
        env = Envelope()
        env.chunk.submission_id = sid
        env.chunk.first_index = i
        env.chunk.records.append(recs[i])
        c.send(env)
        cr = c.recv()
        what = cr.WhichOneof("body") if cr else None
        print(f"chunk {i}: {what} next_index {cr.credit.next_index if what == 'credit' else '-'}")
        if what != "credit":
            return False
    return a.expect == "accept"


def scenario_flood(c, a, keys):
    """A provider floods the hub with large chunks (each --max-message bytes
    less a margin, for a submission the hub does not know) as fast as the
    socket takes them: at most --count messages or --seconds. Counts the
    answers by code. Passes when some were refused REFUSE_BUSY (the hub's
    queued-bytes cap) and the connection still gets answers at the end."""
    if a.count is None:
        a.count = 200
    size = a.max_message - 4096
    per = 4
    rsize = size // per - 64
    sid = b"\x07" * 32
    if a.real:
        # A real transfer: every chunk carries new records to be stored.
        def rec(i):
            return (hashlib.sha256(b"%d" % i).digest() * (rsize // 32 + 1))[:rsize]
        n = a.count * per
        hs = [hashlib.sha256(b"\x00" + rec(i)).digest() for i in range(n)]

        def mth(h):
            if len(h) == 1:
                return h[0]
            k = 1
            while k * 2 < len(h):
                k *= 2
            return hashlib.sha256(b"\x01" + mth(h[:k]) + mth(h[k:])).digest()
        m = Manifest(format_version=1, collection="IAPT", dataset_version="2.1",
                     org_code=keys["org"], period=a.period, sequence=a.sequence,
                     created_at=int(time.time()), record_count=n, records_root=mth(hs),
                     pseudo_key_id=b"\x01" * 8, node_version="hubclient")
        mb = m.SerializeToString()
        sig = signer(keys).sign(b"iapt/manifest/v1\x00" + mb).signature
        c.send(open_env(SignedManifest(manifest=mb, signature=sig).SerializeToString()))
        r = c.recv()
        if r is None or r.WhichOneof("body") != "accept":
            print("flood: the transfer was not opened:", r)
            return False
        sid = r.accept.submission_id

    def chunk(k):
        env = Envelope()
        env.chunk.submission_id = sid
        env.chunk.first_index = k * per
        for i in range(per):
            env.chunk.records.append(rec(k * per + i) if a.real else b"\x07" * rsize)
        env.version = 1
        return env.SerializeToString()
    blob = chunk(0)
    # Further connections send chunks for a submission the hub does not
    # know (cheap to make, as large to receive).
    junk = Envelope()
    junk.chunk.submission_id = b"\x07" * 32
    junk.chunk.first_index = 0
    for i in range(per):
        junk.chunk.records.append(b"\x07" * rsize)
    junk.version = 1
    junk = junk.SerializeToString()
    socks = [c.sock] + [Client(a.endpoint, keys, read_keyfile(a.hub_public)).sock
                        for _ in range(a.connections - 1)]
    print(f"flood: {a.count} messages of {len(blob)} bytes over {len(socks)} connections, "
          f"at most {a.seconds} s")
    counts = {}
    sent = 0
    real_next = 0

    def drain(sock):
        while sock.poll(0):
            r = Envelope()
            r.ParseFromString(sock.recv())
            k = REFUSE.get(r.refuse.code) if r.WhichOneof("body") == "refuse" else r.WhichOneof("body")
            counts[k] = counts.get(k, 0) + 1

    t_end = time.time() + a.seconds
    for sk in socks:
        sk.sndhwm = a.sndhwm
    while sent < a.count and time.time() < t_end:
        progressed = False
        for j, sk in enumerate(socks):
            if sent >= a.count:
                break
            try:
                if a.real and j == 0:
                    sk.send(chunk(real_next), zmq.NOBLOCK)
                    real_next += 1
                else:
                    sk.send(junk if a.real else blob, zmq.NOBLOCK)
                sent += 1
                progressed = True
            except zmq.Again:
                pass
            drain(sk)
        if not progressed:
            time.sleep(0.01)
    # Collect the answers still coming (bounded).
    t_end = time.time() + 10
    while sum(counts.values()) < sent and time.time() < t_end:
        for sk in socks:
            drain(sk)
        time.sleep(0.02)
    print(f"flood: sent {sent}, answers {sum(counts.values())}: {counts}")
    ping = Envelope()
    ping.ping.client_version = "hubclient"
    c.send(ping)
    r = None
    t_end = time.time() + 10
    while time.time() < t_end:
        r = c.recv(1000)
        if r is not None and r.WhichOneof("body") == "pong":
            break
    print("after the flood, ping:", r.WhichOneof("body") if r else None)
    return counts.get("REFUSE_BUSY", 0) > 0 and r is not None and r.WhichOneof("body") == "pong"


SCENARIOS = {
    "resubmit": scenario_resubmit,
    "forged": scenario_forged, "wrong-org": scenario_wrong_org, "altered": scenario_altered,
    "garbage": scenario_garbage, "oversized": scenario_oversized, "silent": scenario_silent,
    "revoked-midway": scenario_revoked_midway, "versions": scenario_versions,
    "open": scenario_open, "flood": scenario_flood, "collection": scenario_collection,
}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("scenario", choices=sorted(SCENARIOS))
    p.add_argument("--endpoint", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--hub-public", required=True)
    p.add_argument("--period", default="2025-09")
    p.add_argument("--sequence", type=int, default=1000)
    p.add_argument("--other-org", default="P02")
    p.add_argument("--max-message", type=int, default=1 << 20)
    p.add_argument("--random-curve", action="store_true", help="use an unregistered CURVE key")
    p.add_argument("--wait-ms", type=int, default=3000)
    p.add_argument("--ready-file")
    p.add_argument("--go-file")
    p.add_argument("--records-from", help="resubmit: hex id of the submission to copy")
    p.add_argument("--forced", action="store_true", help="resubmit: as submit --force signs it")
    p.add_argument("--auditor-key", help="resubmit: key that may read records")
    p.add_argument("--query-endpoint", help="resubmit: the hub's query endpoint")
    p.add_argument("--receipt-json", help="resubmit: write the receipt's fields here")
    p.add_argument("--records", type=int, default=3, help="open: records in the submission")
    p.add_argument("--chunks", type=int, default=0, help="open: records to send, one per chunk")
    p.add_argument("--created-at", type=int, default=1700000000, help="open: fixes the manifest")
    p.add_argument("--expect", default="accept", help="open: accept or a refusal code")
    p.add_argument("--count", type=int, default=None,
                   help="resubmit: how many of its records (0); flood: at most this many messages (200)")
    p.add_argument("--seconds", type=float, default=20, help="flood: for at most this long")
    p.add_argument("--connections", type=int, default=1, help="flood: over this many connections")
    p.add_argument("--real", action="store_true", help="flood: chunks of a real open transfer")
    p.add_argument("--sndhwm", type=int, default=4, help="flood: client-side queue per connection")
    a = p.parse_args()
    keys = read_keyfile(a.key)
    curve = zmq.curve_keypair() if a.random_curve else None
    c = Client(a.endpoint, keys, read_keyfile(a.hub_public), curve)
    ok = SCENARIOS[a.scenario](c, a, keys)
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
