"""A Python gRPC user's first look at a Flywheel service: health, then the API through reflection.

Usage: probe_service.py HOST:PORT SERVICE [METHOD JSON_REQUEST]
Prints one JSON object: the health statuses, the services reflection lists, the methods of SERVICE
and, when METHOD is given, the outcome of calling it with a request built from reflection alone.
"""

import json
import sys

import grpc
from google.protobuf import descriptor_pool, json_format, message_factory
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase


def main() -> None:
    address, service = sys.argv[1], sys.argv[2]
    out: dict = {}
    with grpc.insecure_channel(address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        out["health"] = {
            name or "<server>": health_pb2.HealthCheckResponse.ServingStatus.Name(
                health.Check(health_pb2.HealthCheckRequest(service=name), timeout=5).status
            )
            for name in ("", service)
        }
        database = ProtoReflectionDescriptorDatabase(channel)
        out["services"] = sorted(database.get_services())
        pool = descriptor_pool.DescriptorPool(database)
        service_desc = pool.FindServiceByName(service)
        out["methods"] = [m.name for m in service_desc.methods]
        if len(sys.argv) > 3:
            method = service_desc.methods_by_name[sys.argv[3]]
            request_class = message_factory.GetMessageClass(method.input_type)
            response_class = message_factory.GetMessageClass(method.output_type)
            request = json_format.Parse(sys.argv[4], request_class())
            call = channel.unary_unary(
                f"/{service}/{method.name}",
                request_serializer=request_class.SerializeToString,
                response_deserializer=response_class.FromString,
            )
            try:
                response = call(request, timeout=5)
                out["call"] = {"code": "OK", "response": json_format.MessageToDict(response)}
            except grpc.RpcError as error:
                out["call"] = {"code": error.code().name, "details": error.details()}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
