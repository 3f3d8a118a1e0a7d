#!/usr/bin/python3
"""Search everything a node sent (its IAPT_CAPTURE file) for the identifying
values and calendar dates of the extracts it read.

usage: privacy_scan.py CAPTURE EXTRACT_DIR...
       privacy_scan.py --outbox OUTBOX_DIR EXTRACT_DIR...

Looks for, in every extract: NHS numbers, local patient ids, service request,
care contact and care activity ids, postcodes (with and without the space),
birth dates, and every calendar date in any column — as text (YYYY-MM-DD,
YYYYMMDD, DD/MM/YYYY) and as binary integers (days since 1970 and YYYYMMDD as
4-byte little- and big-endian, and as protobuf varints). Varints are short
and random bytes contain them by chance, so they are searched in the records
re-encoded with their two 16-byte pseudonyms blanked, and only those of three
bytes or more (one- and two-byte varints are in any protobuf stream). Prints what it found;
exit 0 when nothing, 1 otherwise.

Workforce extracts (WF*.csv) add their staff ids, supervisor ids and
supervision ids; their records (WfRecord) are re-encoded with the staff and
supervisor pseudonyms blanked.

With --outbox, what is searched is every byte the node stores to send: the
outbox's LMDB file as it lies on disk (live and stale pages alike) for the
text patterns; every value read out of its leaf and overflow pages (records,
entries, signed manifests) for the 4-byte integers (LMDB's own page and
node headers are full of small integers, so they are left out of that
search); and the records among them (values under 16-byte keys: the record
database) for the varints.
"""
import csv
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
Record = factory.GetPrototype(pool.FindMessageTypeByName("iapt.PathwayRecord"))
WfRecord = factory.GetPrototype(pool.FindMessageTypeByName("iapt.WfRecord"))

ID_FIELDS = {"NHSNumber", "LocalPatientId", "ServiceRequestId", "CareContactId", "CareActId",
             "StaffId", "SupervisorStaffId", "SupervisionId"}
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


def blank(raw, workforce):
    """A record re-encoded with its pseudonyms blanked (None: not one)."""
    if workforce:
        r = WfRecord()
        try:
            r.ParseFromString(raw)
        except Exception:
            return None
        if r.WhichOneof("kind") is None:
            return None
        if r.WhichOneof("kind") == "staff":
            r.staff.staff_id = b"\0" * 16
            if r.staff.HasField("supervisor_id"):
                r.staff.supervisor_id = b"\0" * 16
        return r.SerializeToString()
    r = Record()
    try:
        r.ParseFromString(raw)
    except Exception:
        return None
    r.pathway_id = b"\0" * 16
    r.person_id = b"\0" * 16
    return r.SerializeToString()


def lmdb_values(data):
    """(key, value) of every node of every leaf page of an LMDB file, live
    or stale, big values read from their overflow pages."""
    psize = struct.unpack_from("<I", data, 40)[0]  # the free DB's md_pad
    if psize < 512 or psize & (psize - 1):
        raise ValueError("not an LMDB file")
    for off in range(0, len(data) - psize + 1, psize):
        flags, lower = struct.unpack_from("<HH", data, off + 10)
        if not flags & 0x02 or flags & 0x20 or lower < 16 or lower > psize:
            continue
        for k in range((lower - 16) // 2):
            (ptr,) = struct.unpack_from("<H", data, off + 16 + 2 * k)
            if ptr < lower or ptr + 8 > psize:
                continue
            lo, hi, nflags, ksize = struct.unpack_from("<HHHH", data, off + ptr)
            size = lo | hi << 16
            kpos = off + ptr + 8
            key = data[kpos:kpos + ksize]
            if nflags & 0x01:
                (pg,) = struct.unpack_from("<Q", data, kpos + ksize)
                value = data[pg * psize + 16:pg * psize + 16 + size]
            else:
                value = data[kpos + ksize:kpos + ksize + size]
            yield key, value


def main():
    args = sys.argv[1:]
    outbox = args[0] == "--outbox"
    if outbox:
        args = args[1:]
    capture, dirs = args[0], args[1:]
    workforce = any(os.path.exists(os.path.join(d, "WF000Header.csv")) for d in dirs)
    ids, postcodes, dates = collect(dirs)
    bodies = []
    blanked = bytearray()
    pos = messages = records = 0
    values = []  # searched for binary integers; bodies for text
    if outbox:
        data = open(os.path.join(capture, "data.mdb"), "rb").read()
        bodies.append(data)
        for key, value in lmdb_values(data):
            values.append(value)
            if len(key) != 16:
                continue
            b = blank(value, workforce)
            if b is not None:
                blanked += b
                records += 1
        data = b""

    # The message bodies (not the capture file's own length prefixes), and
    # the records re-encoded with their pseudonyms blanked, for short patterns.
    else:
        data = open(capture, "rb").read()
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
                b = blank(raw, workforce)
                if b is None:
                    raise ValueError("a record that does not parse")
                blanked += b
                records += 1

    if not outbox:
        values = bodies

    def sent(pattern):  # searched message by message: no match spans two
        return any(pattern in b for b in bodies)

    def sent_binary(pattern):
        return any(pattern in b for b in values)

    found = []
    for v in sorted(ids) + sorted(postcodes):
        if sent(v.encode()):
            found.append(("text", v))
    epoch = datetime.date(1970, 1, 1)
    for d in sorted(dates):
        days = (d - epoch).days
        ymd = d.year * 10000 + d.month * 100 + d.day
        for t in (d.isoformat(), d.strftime("%Y%m%d"), d.strftime("%d/%m/%Y")):
            if sent(t.encode()):
                found.append(("text", t))
        for n in (days, ymd):
            for b in (struct.pack("<i", n), struct.pack(">i", n)):
                if sent_binary(b):
                    found.append(("int32", f"{d} as {n}"))
            # One- and two-byte varints occur in any protobuf stream (tags,
            # lengths, small values): only longer ones can tell anything.
            zigzag = 2 * n if n >= 0 else -2 * n - 1
            for v in ([n] if n >= 0 else []) + [zigzag]:
                if len(varint(v)) >= 3 and varint(v) in blanked:
                    found.append(("varint", f"{d} as {n}"))
    print(f"{messages} messages, {records} records, {sum(map(len, bodies))} bytes searched for "
          f"{len(ids)} ids, {len(postcodes)} postcodes, {len(dates)} dates")
    for kind, v in found[:20]:
        print(f"FOUND {kind}: {v}")
    return 1 if found or records == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
