"""Calls to a Flywheel gRPC service built from server reflection alone (no generated stubs),
shared by the Python test clients."""

import json

import grpc
from google.protobuf import descriptor_pool, json_format, message_factory
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase


class ReflectedService:
    """The unary methods of SERVICE, discovered through `reflection_channel`, called on `channel`."""

    def __init__(self, channel: grpc.Channel, service: str, reflection_channel: grpc.Channel | None = None) -> None:
        pool = descriptor_pool.DescriptorPool(ProtoReflectionDescriptorDatabase(reflection_channel or channel))
        self._desc = pool.FindServiceByName(service)
        self._channel = channel
        self._service = service

    def call(self, method_name: str, request_json: dict, timeout: float, metadata=None) -> dict:
        """{"code": "OK", "response"} (proto JSON) or {"code": "<status name>", "details"}."""
        method = self._desc.methods_by_name[method_name]
        request_class = message_factory.GetMessageClass(method.input_type)
        response_class = message_factory.GetMessageClass(method.output_type)
        stub = self._channel.unary_unary(
            f"/{self._service}/{method.name}",
            request_serializer=request_class.SerializeToString,
            response_deserializer=response_class.FromString,
        )
        try:
            response = stub(json_format.Parse(json.dumps(request_json), request_class()), timeout=timeout, metadata=metadata)
            return {"code": "OK", "response": json_format.MessageToDict(response)}
        except grpc.RpcError as error:
            return {"code": error.code().name, "details": error.details()}
