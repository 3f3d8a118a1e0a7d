#!/usr/bin/python3
"""Summarise a node's capture file (IAPT_CAPTURE: every message it sent, each
as a 4-byte big-endian length and the envelope bytes):

    opens chunks records_sent distinct_records first_chunk_at_zero

Used to show a transfer was resumed, not restarted: records are sent again
only when they were in flight when the other side died."""
import os
import struct
import sys

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

pool = descriptor_pool.DescriptorPool()
fds = descriptor_pb2.FileDescriptorSet()
fds.ParseFromString(open(os.environ["IAPT_DESC"], "rb").read())
for f in fds.file:
    pool.Add(f)
Envelope = message_factory.MessageFactory(pool).GetPrototype(
    pool.FindMessageTypeByName("iapt.Envelope"))

data = open(sys.argv[1], "rb").read()
pos = opens = chunks = sent = zero = 0
seen = set()
while pos + 4 <= len(data):
    (n,) = struct.unpack(">I", data[pos:pos + 4])
    env = Envelope()
    env.ParseFromString(data[pos + 4:pos + 4 + n])
    pos += 4 + n
    kind = env.WhichOneof("body")
    if kind == "open":
        opens += 1
    elif kind == "chunk":
        chunks += 1
        zero += env.chunk.first_index == 0
        for i in range(len(env.chunk.records)):
            seen.add(env.chunk.first_index + i)
        sent += len(env.chunk.records)
print(opens, chunks, sent, len(seen), zero)
