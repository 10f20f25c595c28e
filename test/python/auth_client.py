"""A Python gRPC user calling a Flywheel service that has authentication on.

Usage: auth_client.py HOST:PORT SERVICE REFLECTION_TOKEN CALLS_JSON [CA_FILE]
CALLS_JSON is a list of {"method", "request" (protobuf JSON), "token" (or null for none)}. The API
is discovered through reflection (which needs a credential: REFLECTION_TOKEN); each call sends its
token as `authorization: Bearer …` metadata. With CA_FILE the channel is TLS, the server verified
against that CA. Prints one JSON list: {"code", "details"} per call, plus the health status of the
server, asked without a token.
"""

import collections
import json
import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase
from reflected_calls import ReflectedService


class _Details(
    collections.namedtuple("_Details", ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression")),
    grpc.ClientCallDetails,
):
    pass


class BearerToken(grpc.UnaryUnaryClientInterceptor, grpc.StreamStreamClientInterceptor):
    """Adds `authorization: Bearer <token>` to every call of a channel."""

    def __init__(self, token: str) -> None:
        self._metadata = [("authorization", f"Bearer {token}")]

    def _with_token(self, details):
        metadata = list(details.metadata or []) + self._metadata
        return _Details(details.method, details.timeout, metadata, details.credentials, details.wait_for_ready, details.compression)

    def intercept_unary_unary(self, continuation, details, request):
        return continuation(self._with_token(details), request)

    def intercept_stream_stream(self, continuation, details, requests):
        return continuation(self._with_token(details), requests)


def main() -> None:
    address, service, reflection_token, calls = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
    out: dict = {"calls": []}
    if len(sys.argv) > 5:
        with open(sys.argv[5], "rb") as ca:
            channel = grpc.secure_channel(address, grpc.ssl_channel_credentials(root_certificates=ca.read()))
    else:
        channel = grpc.insecure_channel(address)
    with channel:
        health = health_pb2_grpc.HealthStub(channel)
        out["health"] = health_pb2.HealthCheckResponse.ServingStatus.Name(
            health.Check(health_pb2.HealthCheckRequest(service=""), timeout=5).status
        )
        try:
            ProtoReflectionDescriptorDatabase(channel).get_services()
            out["reflection_without_token"] = "OK"
        except grpc.RpcError as error:
            out["reflection_without_token"] = error.code().name
        reflected = ReflectedService(channel, service, grpc.intercept_channel(channel, BearerToken(reflection_token)))
        for spec in calls:
            metadata = [("authorization", f"Bearer {spec['token']}")] if spec.get("token") else None
            answer = reflected.call(spec["method"], spec["request"], timeout=10, metadata=metadata)
            answer.pop("response", None)
            out["calls"].append(answer)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
