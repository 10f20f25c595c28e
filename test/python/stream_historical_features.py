"""A Python grpcio user reading a big historical answer: the unary call, then the stream.

Usage: stream_historical_features.py HOST:PORT JSON_REQUEST
Builds the request from reflection alone (no generated code), calls GetHistoricalFeatures and
StreamHistoricalFeatures with it, and prints one JSON object: the unary outcome (code, details)
and, for the stream, its column names, the number of messages, the size of the largest one, the
row count and the first and last rows.
"""

import json
import sys

import grpc
from google.protobuf import descriptor_pool, json_format, message_factory
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

SERVICE = "flywheel.featurestore.v1.FeatureStoreService"


def main() -> None:
    address, request_json = sys.argv[1], sys.argv[2]
    out: dict = {}
    with grpc.insecure_channel(address) as channel:
        pool = descriptor_pool.DescriptorPool(ProtoReflectionDescriptorDatabase(channel))
        service = pool.FindServiceByName(SERVICE)

        def method(name: str):
            desc = service.methods_by_name[name]
            return (
                message_factory.GetMessageClass(desc.input_type),
                message_factory.GetMessageClass(desc.output_type),
            )

        unary_in, unary_out = method("GetHistoricalFeatures")
        unary = channel.unary_unary(
            f"/{SERVICE}/GetHistoricalFeatures",
            request_serializer=unary_in.SerializeToString,
            response_deserializer=unary_out.FromString,
        )
        try:
            answer = unary(json_format.Parse(request_json, unary_in()), timeout=60)
            out["unary"] = {"code": "OK", "rows": len(answer.rows)}
        except grpc.RpcError as error:
            out["unary"] = {"code": error.code().name, "details": error.details()}

        stream_in, stream_out = method("StreamHistoricalFeatures")
        sizes: list[int] = []

        def decode(data: bytes):
            sizes.append(len(data))
            return stream_out.FromString(data)

        stream = channel.unary_stream(
            f"/{SERVICE}/StreamHistoricalFeatures",
            request_serializer=stream_in.SerializeToString,
            response_deserializer=decode,
        )
        columns: list[str] = []
        rows = []
        for page in stream(json_format.Parse(request_json, stream_in()), timeout=120):
            if page.columns:
                columns = list(page.columns)
            rows.extend(page.rows)
        plain = lambda row: [json_format.MessageToDict(v) for v in row.values]  # noqa: E731
        out["stream"] = {
            "columns": columns,
            "messages": len(sizes),
            "largest": max(sizes) if sizes else 0,
            "rows": len(rows),
            "first": plain(rows[0]) if rows else None,
            "last": plain(rows[-1]) if rows else None,
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
