"""Calls a Flywheel gRPC service the way a Python grpcio user would, with messages built from
server reflection alone (no generated stubs).

Usage: grpc_reflection_calls.py HOST:PORT SERVICE '<json list of {"method", "request"}>'
Each request is proto JSON. Prints a JSON list, one per call, in order: {"code": "OK", "response"}
(proto JSON, int64 as strings) or {"code": "<status name>", "details"}.
"""

import json
import sys

import grpc
from google.protobuf import descriptor_pool, json_format, message_factory
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase


def main() -> None:
    address, service, calls = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    out = []
    with grpc.insecure_channel(address) as channel:
        pool = descriptor_pool.DescriptorPool(ProtoReflectionDescriptorDatabase(channel))
        service_desc = pool.FindServiceByName(service)
        for call in calls:
            method = service_desc.methods_by_name[call["method"]]
            request_class = message_factory.GetMessageClass(method.input_type)
            response_class = message_factory.GetMessageClass(method.output_type)
            stub = channel.unary_unary(
                f"/{service}/{method.name}",
                request_serializer=request_class.SerializeToString,
                response_deserializer=response_class.FromString,
            )
            try:
                response = stub(json_format.Parse(json.dumps(call["request"]), request_class()), timeout=30)
                out.append({"code": "OK", "response": json_format.MessageToDict(response)})
            except grpc.RpcError as error:
                out.append({"code": error.code().name, "details": error.details()})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
