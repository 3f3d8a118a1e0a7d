#!/usr/bin/python3
"""What tests/integration/test_audit.sh needs besides the programs: read a
stored record through the auditor role, damage the hub's store in place the
way an intruder with file access would, and alter receipt bundles.

It shares no code with iapt-audit: messages come from the descriptor set the
build writes, signatures from PyNaCl, CURVE from pyzmq.

usage:
  audit_tools.py record --endpoint E --key FILE --hub-public FILE --id HEX --index N --out FILE
  audit_tools.py flip --store data.mdb --bytes FILE [--offset K]
  audit_tools.py bundle --in FILE --out FILE --change signature|log-index|log-index-resigned|
                        swap-receipt [--hub-secret FILE] [--other FILE]
"""
import argparse
import base64
import os
import sys

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


Envelope, Receipt = msg("Envelope"), msg("Receipt")
SignedReceipt, ReceiptBundle = msg("SignedReceipt"), msg("ReceiptBundle")


def read_keyfile(path):
    out = {}
    for line in open(path):
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            k, v = line.split("=", 1)
            out[k.strip()] = v.strip()
    return out


def cmd_record(a):
    """One stored record's bytes, as the hub serves them to the auditor."""
    keys, hub = read_keyfile(a.key), read_keyfile(a.hub_public)
    sock = zmq.Context.instance().socket(zmq.DEALER)
    sock.linger = 0
    sock.curve_publickey = keys["curve-public"].encode()
    sock.curve_secretkey = keys["curve-secret"].encode()
    sock.curve_serverkey = hub["curve-public"].encode()
    sock.connect(a.endpoint)
    env = Envelope()
    env.version = 1
    env.query.request_id = 7
    env.query.records.submission_id = bytes.fromhex(a.id)
    env.query.records.start = a.index
    env.query.records.count = 1
    sock.send(env.SerializeToString())
    if not sock.poll(10000):
        print("no answer from the hub")
        return 1
    ans = Envelope()
    ans.ParseFromString(sock.recv())
    recs = ans.answer.records.records
    if ans.answer.HasField("error") or len(recs) != 1:
        print("no record:", ans.answer.reason)
        return 1
    with open(a.out, "wb") as f:
        f.write(recs[0])
    print(f"record {a.index}: {len(recs[0])} bytes")
    return 0


def cmd_flip(a):
    """Flip one byte of every copy of the given bytes in the store file.
    LMDB copies pages on write, so older copies may sit in free pages; the
    live one is among them. No checksum in LMDB notices."""
    needle = open(a.bytes, "rb").read()
    with open(a.store, "r+b") as f:
        data = bytearray(f.read())
        found, pos = 0, data.find(needle)
        while pos >= 0:
            data[pos + a.offset] ^= 0x01
            found += 1
            pos = data.find(needle, pos + 1)
        f.seek(0)
        f.write(data)
    print(f"flipped byte {a.offset} of {found} copies of the record")
    return 0 if found else 1


def cmd_bundle(a):
    b = ReceiptBundle()
    b.ParseFromString(open(a.inp, "rb").read())
    sr = SignedReceipt()
    sr.ParseFromString(b.signed_receipt)
    if a.change == "signature":
        sig = bytearray(sr.signature)
        sig[20] ^= 0x01
        sr.signature = bytes(sig)
    elif a.change in ("log-index", "log-index-resigned"):
        r = Receipt()
        r.ParseFromString(sr.receipt)
        r.log_index = r.log_index + 1 if r.log_index + 1 < r.tree_size else r.log_index - 1
        sr.receipt = r.SerializeToString()
        if a.change == "log-index-resigned":
            # The hub's own key, as a hub lying about the index would sign:
            # only the inclusion proof can catch that.
            sk = base64.b64decode(read_keyfile(a.hub_secret)["sign-secret"])
            key = nacl.signing.SigningKey(sk[:32])
            sr.signature = key.sign(b"iapt/receipt/v1\x00" + sr.receipt).signature
    elif a.change == "swap-receipt":
        other = ReceiptBundle()
        other.ParseFromString(open(a.other, "rb").read())
        sr.ParseFromString(other.signed_receipt)
    b.signed_receipt = sr.SerializeToString()
    with open(a.out, "wb") as f:
        f.write(b.SerializeToString())
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("record")
    r.add_argument("--endpoint", required=True)
    r.add_argument("--key", required=True)
    r.add_argument("--hub-public", required=True)
    r.add_argument("--id", required=True)
    r.add_argument("--index", type=int, default=0)
    r.add_argument("--out", required=True)
    fl = sub.add_parser("flip")
    fl.add_argument("--store", required=True)
    fl.add_argument("--bytes", required=True)
    fl.add_argument("--offset", type=int, default=10)
    bu = sub.add_parser("bundle")
    bu.add_argument("--in", dest="inp", required=True)
    bu.add_argument("--out", required=True)
    bu.add_argument("--change", required=True,
                    choices=["signature", "log-index", "log-index-resigned", "swap-receipt"])
    bu.add_argument("--hub-secret")
    bu.add_argument("--other")
    a = p.parse_args()
    return {"record": cmd_record, "flip": cmd_flip, "bundle": cmd_bundle}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
