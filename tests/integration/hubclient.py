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


def signed_manifest(keys, org, period, records, sequence, sign_with=None):
    m = Manifest(format_version=1, collection="IAPT", dataset_version="2.1", org_code=org,
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


SCENARIOS = {
    "forged": scenario_forged, "wrong-org": scenario_wrong_org, "altered": scenario_altered,
    "garbage": scenario_garbage, "oversized": scenario_oversized, "silent": scenario_silent,
    "revoked-midway": scenario_revoked_midway,
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
    a = p.parse_args()
    keys = read_keyfile(a.key)
    curve = zmq.curve_keypair() if a.random_curve else None
    c = Client(a.endpoint, keys, read_keyfile(a.hub_public), curve)
    ok = SCENARIOS[a.scenario](c, a, keys)
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
