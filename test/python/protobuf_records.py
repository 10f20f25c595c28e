"""Writes protobuf stream records the way a Python producer would: the message class comes from a
FileDescriptorSet (`buf build -o`), each record is one file of `SerializeToString()` bytes.

usage: protobuf_records.py <descriptor-set> <message-type> <out-dir> <rows-json>
rows-json: a JSON list of objects in proto3 JSON form (field names as in the .proto).
Prints the written files, one per line."""
import json
import os
import sys

from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

descriptor_set, message_type, out_dir, rows = sys.argv[1:5]
files = descriptor_pb2.FileDescriptorSet()
with open(descriptor_set, "rb") as f:
    files.ParseFromString(f.read())
pool = descriptor_pool.DescriptorPool()
for proto in files.file:
    pool.Add(proto)
Message = message_factory.GetMessageClass(pool.FindMessageTypeByName(message_type))
for i, row in enumerate(json.loads(rows)):
    path = os.path.join(out_dir, f"record-{i}.bin")
    with open(path, "wb") as f:
        f.write(json_format.ParseDict(row, Message(), descriptor_pool=pool).SerializeToString())
    print(path)
