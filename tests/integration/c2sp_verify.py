#!/usr/bin/env python3
"""An independent verifier of transparency-log data, written from the
specifications alone (it shares no code with iapt):

  RFC 9162 (RFC 6962bis) 2.1.1 hashing, 2.1.3.2 inclusion and 2.1.4.2
  consistency verification;
  c2sp.org/signed-note (Ed25519 signature lines and key ids);
  c2sp.org/tlog-checkpoint (origin, tree size, root hash);
  c2sp.org/tlog-proof@v1 (index, inclusion proof, checkpoint);
  c2sp.org/tlog-witness add-checkpoint body (old size, consistency proof,
  checkpoint).

Usage (the hub's key as a iapt public key file or raw base64):
  c2sp_verify.py checkpoint  --name N --key HUB.pub FILE
  c2sp_verify.py proof       --name N --key HUB.pub FILE [--leaf-id HEX]
  c2sp_verify.py consistency --name N --key HUB.pub --old OLD_CHECKPOINT FILE
  c2sp_verify.py selftest    (the RFC 6962 reference vectors of
                              github.com/transparency-dev/merkle)
Prints one line describing what verified and exits 0, or prints
"FAIL: reason" and exits 1.
"""
import argparse
import base64
import binascii
import hashlib
import re
import sys

import nacl.exceptions
import nacl.signing

EM_DASH = "\u2014"


class Invalid(Exception):
    pass


def b64(text, want_len=None):
    """Standard padded base64 (RFC 4648 section 4), canonical only."""
    if not re.fullmatch(r"[A-Za-z0-9+/]*={0,2}", text) or len(text) % 4:
        raise Invalid("not standard padded base64: %r" % text[:60])
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error as e:
        raise Invalid("bad base64: %s" % e)
    if base64.b64encode(raw).decode() != text:
        raise Invalid("non-canonical base64: %r" % text[:60])
    if want_len is not None and len(raw) != want_len:
        raise Invalid("expected %d bytes, got %d" % (want_len, len(raw)))
    return raw


def decimal(text, what):
    if not re.fullmatch(r"0|[1-9][0-9]*", text) or int(text) >= 2**64:
        raise Invalid("%s is not a canonical decimal: %r" % (what, text))
    return int(text)


# ---- RFC 9162 section 2.1.1 ----------------------------------------------

def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_inclusion(index, size, leaf, proof, root):
    """RFC 9162 2.1.3.2, step by step."""
    if index >= size:
        raise Invalid("leaf index %d is not below the tree size %d" % (index, size))
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise Invalid("inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise Invalid("inclusion proof is too short")
    if r != root:
        raise Invalid("inclusion proof does not lead to the checkpoint's root")


def verify_consistency(first, second, first_hash, second_hash, proof):
    """RFC 9162 2.1.4.2, step by step; size 0 is consistent with any tree
    (and then the proof is empty, as c2sp.org/tlog-witness requires)."""
    if first > second:
        raise Invalid("old size %d is past the new size %d" % (first, second))
    if first == second:
        if proof:
            raise Invalid("equal sizes need an empty proof")
        if first_hash != second_hash:
            raise Invalid("two different roots for the same size %d" % first)
        return
    if first == 0:
        if proof:
            raise Invalid("old size 0 needs an empty proof")
        if first_hash != hashlib.sha256(b"").digest():
            raise Invalid("the empty tree's root is SHA-256 of nothing")
        return
    if not proof:
        raise Invalid("consistency proof is empty")
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_hash)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise Invalid("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise Invalid("consistency proof is too short")
    if fr != first_hash:
        raise Invalid("consistency proof does not lead to the old root")
    if sr != second_hash:
        raise Invalid("consistency proof does not lead to the new root")


# ---- c2sp.org/signed-note and c2sp.org/tlog-checkpoint --------------------

def key_id(name, pk):
    return hashlib.sha256(name.encode() + b"\n\x01" + pk).digest()[:4]


def open_note(text, name, pk):
    """The note text (body) when a signature line of (name, pk) verifies."""
    if any(ord(ch) < 0x20 and ch != "\n" for ch in text):
        raise Invalid("note holds control characters")
    if not text.endswith("\n"):
        raise Invalid("note does not end in a newline")
    split = text.rfind("\n\n")
    if split < 0:
        raise Invalid("note has no blank line before its signatures")
    body, sigs = text[: split + 1], text[split + 2 :]
    want_id = key_id(name, pk)
    verified = False
    for line in sigs[:-1].split("\n"):
        m = re.fullmatch(EM_DASH + r" (\S+) (\S+)", line)
        if not m:
            raise Invalid("malformed signature line: %r" % line[:80])
        raw = b64(m.group(2))
        if len(raw) < 5:
            raise Invalid("signature too short")
        if m.group(1) != name or raw[:4] != want_id:
            continue  # another key: ignored, as the spec says
        try:
            nacl.signing.VerifyKey(pk).verify(body.encode(), raw[4:])
        except nacl.exceptions.BadSignatureError:
            raise Invalid("the signature of %s does not verify" % name)
        verified = True
    if not verified:
        raise Invalid("no signature by %s+%s" % (name, want_id.hex()))
    return body


def open_checkpoint(text, name, pk, origin):
    body = open_note(text, name, pk)
    lines = body[:-1].split("\n")
    if len(lines) < 3:
        raise Invalid("checkpoint body has fewer than three lines")
    if lines[0] != origin:
        raise Invalid("checkpoint origin %r, expected %r" % (lines[0], origin))
    size = decimal(lines[1], "tree size")
    root = b64(lines[2], 32)
    return size, root


# ---- the two proof formats ------------------------------------------------

def split_proof(text):
    """Header lines, hash lines, then an empty line and the checkpoint."""
    sep = text.find("\n\n")
    if sep < 0:
        raise Invalid("no empty line before the checkpoint")
    head = text[:sep].split("\n")
    checkpoint = text[sep + 2 :]
    return head, checkpoint


def parse_tlog_proof(text):
    head, checkpoint = split_proof(text)
    if head[0] != "c2sp.org/tlog-proof@v1":
        raise Invalid("first line is not c2sp.org/tlog-proof@v1")
    i, extra = 1, None
    if i < len(head) and head[i].startswith("extra "):
        extra = b64(head[i][6:])
        i += 1
    if i >= len(head) or not head[i].startswith("index "):
        raise Invalid("no index line")
    index = decimal(head[i][6:], "index")
    proof = [b64(line, 32) for line in head[i + 1 :]]
    return extra, index, proof, checkpoint


def parse_witness_body(text):
    head, checkpoint = split_proof(text)
    if not head[0].startswith("old "):
        raise Invalid("first line is not 'old SIZE'")
    old = decimal(head[0][4:], "old size")
    proof = [b64(line, 32) for line in head[1:]]
    if len(proof) > 63:
        raise Invalid("more than 63 consistency proof lines")
    return old, proof, checkpoint


# ---- known answers: github.com/transparency-dev/merkle testonly/constants.go
# and proof/verify_test.go (leaf numbers there 1-based, here 0-based) -------

V_LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
            "606162636465666768696a6b6c6d6e6f"]
V_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
V_INCLUSION = [
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]
V_CONSISTENCY = [
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]


def tree_root(leaves):
    """RFC 9162 2.1.1 MTH, by its recursive definition."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaf_hash(leaves[0])
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(tree_root(leaves[:k]), tree_root(leaves[k:]))


def selftest():
    """The verifier against the reference vectors: every good proof passes,
    every proof with one byte changed fails."""
    leaves = [bytes.fromhex(x) for x in V_LEAVES]
    n = 0
    for size in range(9):
        if tree_root(leaves[:size]).hex() != V_ROOTS[size]:
            raise Invalid("root of %d leaves differs from the reference" % size)
        n += 1
    h = lambda xs: [bytes.fromhex(x) for x in xs]
    for index, size, proof in V_INCLUSION:
        root = bytes.fromhex(V_ROOTS[size])
        verify_inclusion(index, size, leaf_hash(leaves[index]), h(proof), root)
        bad = h(proof)
        bad[-1] = bytes([bad[-1][0] ^ 1]) + bad[-1][1:]
        try:
            verify_inclusion(index, size, leaf_hash(leaves[index]), bad, root)
            raise AssertionError
        except Invalid:
            pass
        except AssertionError:
            raise Invalid("a changed inclusion proof verified")
        n += 2
    for m, size, proof in V_CONSISTENCY:
        r1, r2 = bytes.fromhex(V_ROOTS[m]), bytes.fromhex(V_ROOTS[size])
        verify_consistency(m, size, r1, r2, h(proof))
        try:
            verify_consistency(m, size, r1, r2, h(proof)[:-1])
            raise AssertionError
        except Invalid:
            pass
        except AssertionError:
            raise Invalid("a shortened consistency proof verified")
        n += 2
    return n


def load_key(arg):
    """Raw base64, or the sign-public line of an iapt public key file."""
    try:
        with open(arg, encoding="utf-8") as f:
            for line in f:
                k, _, v = line.partition("=")
                if k.strip() == "sign-public":
                    return b64(v.strip(), 32)
        raise Invalid("%s has no sign-public line" % arg)
    except FileNotFoundError:
        return b64(arg, 32)


def main():
    ap = argparse.ArgumentParser()
    if sys.argv[1:] == ["selftest"]:
        try:
            print("selftest: %d reference checks pass" % selftest())
            return 0
        except Invalid as e:
            print("FAIL: %s" % e)
            return 1
    ap.add_argument("kind", choices=["checkpoint", "proof", "consistency"])
    ap.add_argument("file")
    ap.add_argument("--name", required=True, help="key name (and log origin)")
    ap.add_argument("--origin", help="log origin (default: the key name)")
    ap.add_argument("--key", required=True)
    ap.add_argument("--old", help="the old checkpoint (consistency)")
    ap.add_argument("--leaf-id", help="hex SHA-256 the leaf must have (proof)")
    a = ap.parse_args()
    origin = a.origin or a.name
    try:
        pk = load_key(a.key)
        with open(a.file, "rb") as f:
            text = f.read().decode("utf-8")
        if a.kind == "checkpoint":
            size, root = open_checkpoint(text, a.name, pk, origin)
            print("checkpoint verifies: size %d root %s" % (size, base64.b64encode(root).decode()))
        elif a.kind == "proof":
            extra, index, proof, cp = parse_tlog_proof(text)
            size, root = open_checkpoint(cp, a.name, pk, origin)
            if extra is None:
                raise Invalid("no extra line: the leaf is needed to check the proof")
            if a.leaf_id and hashlib.sha256(extra).hexdigest() != a.leaf_id.lower():
                raise Invalid("the leaf is not the one named (SHA-256 differs)")
            verify_inclusion(index, size, leaf_hash(extra), proof, root)
            print("inclusion verifies: leaf %d of %d (%d hashes), leaf sha256 %s"
                  % (index, size, len(proof), hashlib.sha256(extra).hexdigest()))
        else:
            old, proof, cp = parse_witness_body(text)
            size, root = open_checkpoint(cp, a.name, pk, origin)
            if old == 0:
                old_root = hashlib.sha256(b"").digest()
            else:
                if not a.old:
                    raise Invalid("--old CHECKPOINT is needed for old size %d" % old)
                with open(a.old, "rb") as f:
                    old_size, old_root = open_checkpoint(f.read().decode("utf-8"), a.name, pk,
                                                         origin)
                if old_size != old:
                    raise Invalid("old checkpoint has size %d, the proof says %d" % (old_size, old))
            verify_consistency(old, size, old_root, root, proof)
            print("consistency verifies: %d -> %d (%d hashes)" % (old, size, len(proof)))
    except (Invalid, UnicodeDecodeError) as e:
        print("FAIL: %s" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
