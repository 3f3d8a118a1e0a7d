#!/usr/bin/python3
"""Search everything a node sent (its IAPT_CAPTURE file), or everything it
stores to send (its outbox), for the identifying values and calendar dates of
the extracts it read.

usage: privacy_scan.py CAPTURE EXTRACT_DIR...
       privacy_scan.py --outbox OUTBOX_DIR [--record MESSAGE] EXTRACT_DIR...

With --outbox the whole LMDB file OUTBOX_DIR/data.mdb (records, signed
manifests, entries and whatever free pages still hold) is searched as bytes,
and the records are found in it by their keys (sequence and index, 8 bytes
big-endian each) to be decoded as MESSAGE (default iapt.PathwayRecord, the
adult record; iapt.CypReferralRecord for the CYP collection).

Looks for, in every extract: NHS numbers, local patient ids, service request,
care contact and care activity ids, postcodes (with and without the space),
birth dates, and every calendar date in any column — as text (YYYY-MM-DD,
YYYYMMDD, DD/MM/YYYY) and as binary integers (days since 1970 and YYYYMMDD as
4-byte little- and big-endian, and as protobuf varints). Varints are short
and random bytes contain them by chance, so they are searched in the records
re-encoded with their two 16-byte pseudonyms blanked, and only those of three
bytes or more (one- and two-byte varints are in any protobuf stream). Prints what it found;
exit 0 when nothing, 1 otherwise.
"""
import csv
import warnings
import datetime
import os
import re
import struct
import sys

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

pool = descriptor_pool.DescriptorPool()
fds = descriptor_pb2.FileDescriptorSet()
fds.ParseFromString(open(os.environ["IAPT_DESC"], "rb").read())
for f in fds.file:
    pool.Add(f)
factory = message_factory.MessageFactory(pool)
Envelope = factory.GetPrototype(pool.FindMessageTypeByName("iapt.Envelope"))

ID_FIELDS = {"NHSNumber", "LocalPatientId", "ServiceRequestId", "CareContactId", "CareActId"}
DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def collect(dirs):
    ids, postcodes, dates = set(), set(), set()
    for d in dirs:
        for name in os.listdir(d):
            if not name.endswith(".csv"):
                continue
            with open(os.path.join(d, name), newline="", encoding="utf-8-sig") as f:
                for row in csv.DictReader(f):
                    for k, v in row.items():
                        v = (v or "").strip()
                        if not v:
                            continue
                        if k in ID_FIELDS and len(v) >= 4:
                            ids.add(v)
                        if k == "Postcode":
                            postcodes.add(v)
                            postcodes.add(v.replace(" ", ""))
                        m = DATE_RE.match(v)
                        if m:
                            try:
                                dates.add(datetime.date(*map(int, m.groups())))
                            except ValueError:
                                pass
    return ids, postcodes, dates


# Fields that hold a score or a row's position in its file, never a date: in
# the CYP record their values (scores up to 141.00, i.e. 14100 and its zigzag
# 28200; positions up to the rows of a file) are varints of the size of day
# numbers, so they are blanked like the pseudonyms before the varint search.
BLANKED_FIELDS = {"value_x100", "file_order"}


def blank(msg):
    for fd, value in msg.ListFields():
        if fd.name in BLANKED_FIELDS and fd.label != fd.LABEL_REPEATED:
            setattr(msg, fd.name, 0)
        elif fd.type == fd.TYPE_MESSAGE:
            for sub in (value if fd.label == fd.LABEL_REPEATED else [value]):
                blank(sub)


def outbox_values(data, ksize):
    """The values of the outbox's rec (ksize 16) or entry (ksize 8) database
    found in the raw LMDB file: every leaf node whose key is (sequence,
    index), 16 bytes, or a sequence, 8 bytes. A node is
    lo(2) hi(2) flags(2) ksize(2) key data (little-endian); with flag
    F_BIGDATA (1) its data is the number of the overflow page whose bytes,
    after the 16-byte page header, are the value. The page size is in the
    first meta page (the free database's md_pad). Stale copies of pages are
    found too: they are bytes the node stores all the same."""
    psize = struct.unpack_from("<I", data, 16 + 4 + 4 + 8 + 8)[0]
    if psize < 512 or psize > 65536:
        psize = 4096
    found = []
    # ksize (little-endian) and a key whose sequence (and index) are below
    # 2^32 (their high bytes zero): one pass over the file.
    for m in re.finditer(bytes([ksize]) + b"\x00\x00\x00\x00\x00", data):
        pos = m.start() - 6
        end = m.start() + 2 + ksize
        if pos < 0 or end > len(data) or (ksize == 16 and data[end - 8:end - 4] != b"\0" * 4):
            continue
        lo, hi, flags = struct.unpack_from("<HHH", data, pos)
        size = lo | hi << 16
        start = end
        if flags not in (0, 1) or size == 0:
            continue
        if flags & 1:
            (pgno,) = struct.unpack_from("<Q", data, start)
            start = pgno * psize + 16
        if start + size <= len(data):
            found.append((data[m.start() + 2:end], data[start:start + size]))
    return found


def main():
    args = sys.argv[1:]
    outbox, record_name = None, "iapt.PathwayRecord"
    while args and args[0].startswith("--"):
        opt, val, args = args[0], args[1], args[2:]
        if opt == "--outbox":
            outbox = val
        elif opt == "--record":
            record_name = val
        else:
            print("unknown option " + opt, file=sys.stderr)
            return 2
    Record = factory.GetPrototype(pool.FindMessageTypeByName(record_name))
    if outbox:
        dirs = args
        data = open(os.path.join(outbox, "data.mdb"), "rb").read()
    else:
        capture, dirs = args[0], args[1:]
        data = open(capture, "rb").read()
    ids, postcodes, dates = collect(dirs)

    # The message bodies (not the capture file's own length prefixes), and
    # the records re-encoded with their pseudonyms blanked, for short patterns.
    bodies = []
    blanked = bytearray()
    pos = messages = records = 0
    if outbox:
        warnings.simplefilter("ignore", RuntimeWarning)  # candidates that are not records
        Entry = factory.GetPrototype(pool.FindMessageTypeByName("iapt.OutboxEntry"))
        for _, raw in outbox_values(data, 8):
            e = Entry()
            try:
                e.ParseFromString(raw)
            except Exception:
                continue
            if e.IsInitialized():  # what is sent: the signed manifest
                bodies.append(e.signed_manifest)
                messages += 1
        keys = set()
        for key, raw in outbox_values(data, 16):
            r = Record()
            try:
                r.ParseFromString(raw)
            except Exception:  # not a record after all: its bytes are searched anyway
                continue
            if not r.IsInitialized():
                continue
            bodies.append(raw)
            r.pathway_id = b"\0" * 16
            r.person_id = b"\0" * 16
            blank(r)
            blanked += r.SerializeToString()
            keys.add(key)
        records = len(keys)  # distinct records (stale copies of pages are searched too)
        pos = len(data)
    while pos + 4 <= len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        body = data[pos + 4:pos + 4 + n]
        bodies.append(body)
        env = Envelope()
        try:
            env.ParseFromString(body)
        except Exception:  # not an envelope: still searched as bytes below
            env = Envelope()
        pos += 4 + n
        messages += 1
        if env.WhichOneof("body") == "chunk":
            for raw in env.chunk.records:
                r = Record()
                r.ParseFromString(raw)
                r.pathway_id = b"\0" * 16
                r.person_id = b"\0" * 16
                blanked += r.SerializeToString()
                records += 1

    def sent(pattern):  # searched message by message: no match spans two
        return any(pattern in b for b in bodies)

    # Text is also searched in the outbox's whole file, structure and free
    # pages included; binary integers only in what is sent (the records and
    # signed manifests), since the file's own page structure is full of
    # small integers.
    def sent_text(pattern):
        return sent(pattern) or (outbox is not None and pattern in data)

    found = []
    for v in sorted(ids) + sorted(postcodes):
        if sent_text(v.encode()):
            found.append(("text", v))
    epoch = datetime.date(1970, 1, 1)
    for d in sorted(dates):
        days = (d - epoch).days
        ymd = d.year * 10000 + d.month * 100 + d.day
        for t in (d.isoformat(), d.strftime("%Y%m%d"), d.strftime("%d/%m/%Y")):
            if sent_text(t.encode()):
                found.append(("text", t))
        for n in (days, ymd):
            for b in (struct.pack("<i", n), struct.pack(">i", n)):
                if sent(b):
                    found.append(("int32", f"{d} as {n}"))
            # One- and two-byte varints occur in any protobuf stream (tags,
            # lengths, small values): only longer ones can tell anything.
            zigzag = 2 * n if n >= 0 else -2 * n - 1
            for v in ([n] if n >= 0 else []) + [zigzag]:
                if len(varint(v)) >= 3 and varint(v) in blanked:
                    found.append(("varint", f"{d} as {n}"))
    print(f"{messages} messages, {records} records, {len(data)} bytes searched for "
          f"{len(ids)} ids, {len(postcodes)} postcodes, {len(dates)} dates")
    for kind, v in found[:20]:
        print(f"FOUND {kind}: {v}")
    return 1 if found or records == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
