"""Calls a Flywheel gRPC service the way a Python grpcio user would, with messages built from
server reflection alone (no generated stubs).

Usage: grpc_reflection_calls.py HOST:PORT SERVICE '<json list of {"method", "request"}>'
Each request is proto JSON. Prints a JSON list, one per call, in order: {"code": "OK", "response"}
(proto JSON, int64 as strings) or {"code": "<status name>", "details"}.
"""

import json
import sys

import grpc
from reflected_calls import ReflectedService


def main() -> None:
    address, service, calls = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    with grpc.insecure_channel(address) as channel:
        reflected = ReflectedService(channel, service)
        out = [reflected.call(call["method"], call["request"], timeout=30) for call in calls]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
