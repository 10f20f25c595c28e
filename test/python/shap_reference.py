"""Flywheel's Explain next to the `shap` package's explainers, on the same model and data.

Usage: shap_reference.py HOST:PORT CASES_JSON
CASES_JSON is a file holding a list of cases:
  {"name", "deployment", "inputs": [{"name", "width"}], "rows": [[...]], "background": [[...]] | null,
   "method": "EXPLAIN_METHOD_…", "nsamples": int, "seed": int,
   "reference": {"kind": "linear", "onnx": path, "background"?: "means"} | {"kind": "kernel", "nsamples": int, "seed": int}}
For each case it calls flywheel.serving.v1.ServingService/Explain over gRPC (messages built from
reflection alone) and computes shap's values: shap.LinearExplainer on the coefficients read from the
ONNX file (linear; with the background given, or the training means the file stores), or shap.KernelExplainer whose model function is the same deployment called
through ModelInfer (kernel). Prints one JSON object: case name → both results (or the gRPC error).
"""

import json
import sys

import grpc
import numpy as np
import onnx
import shap
from google.protobuf import descriptor_pool, json_format, message_factory
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase
from onnx import numpy_helper

SERVING = "flywheel.serving.v1.ServingService"
OIP = "inference.GRPCInferenceService"


class Client:
    def __init__(self, channel: grpc.Channel) -> None:
        self.channel = channel
        self.pool = descriptor_pool.DescriptorPool(ProtoReflectionDescriptorDatabase(channel))

    def method(self, service: str, name: str):
        desc = self.pool.FindServiceByName(service).methods_by_name[name]
        request_class = message_factory.GetMessageClass(desc.input_type)
        response_class = message_factory.GetMessageClass(desc.output_type)
        call = self.channel.unary_unary(
            f"/{service}/{name}",
            request_serializer=request_class.SerializeToString,
            response_deserializer=response_class.FromString,
        )
        return request_class, call


def tensors(inputs: list, rows: np.ndarray) -> list:
    """Rows [n, features] as one FP32 [n, width] tensor per input (the proto JSON of InferInputTensor)."""
    out, offset = [], 0
    for spec in inputs:
        part = rows[:, offset : offset + spec["width"]].astype(np.float32)
        offset += spec["width"]
        out.append(
            {
                "name": spec["name"],
                "datatype": "FP32",
                "shape": [str(part.shape[0]), str(spec["width"])],
                "contents": {"fp32Contents": [float(v) for v in part.reshape(-1)]},
            }
        )
    return out


def linear_coefficients(path: str) -> tuple:
    """coef·x + intercept of Flywheel's exported logistic regression (Sub mean, Div std, MatMul, Add)."""
    init = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in onnx.load(path).graph.initializer}
    mean, std, weights, bias = init["lr/mean"], init["lr/std"], init["lr/weights"][:, 0], init["lr/bias"][0]
    return weights / std, bias - float(np.sum(mean / std * weights)), mean


def run_case(client: Client, address: str, case: dict) -> dict:
    rows = np.array(case["rows"], dtype=np.float32).astype(np.float64)
    background = None if case["background"] is None else np.array(case["background"], dtype=np.float32).astype(np.float64)
    explain_class, explain = client.method(SERVING, "Explain")
    request = {
        "rows": {"modelName": case["deployment"], "inputs": tensors(case["inputs"], rows)},
        "method": case["method"],
        "nsamples": case.get("nsamples", 0),
        "seed": str(case.get("seed", 0)),
    }
    if background is not None:
        request["background"] = {"inputs": tensors(case["inputs"], background)}
    if "output" in case:
        request["output"] = case["output"]
    out: dict = {}
    try:
        response = explain(json_format.ParseDict(request, explain_class()), timeout=60)
        out["flywheel"] = json_format.MessageToDict(response, preserving_proto_field_name=True)
    except grpc.RpcError as error:
        return {"error": {"code": error.code().name, "details": error.details()}}

    reference = case["reference"]
    if reference["kind"] == "linear":
        coef, intercept, means = linear_coefficients(reference["onnx"])
        data = means[None, :] if reference.get("background") == "means" else background
        explainer = shap.LinearExplainer((coef, intercept), data)
        out["shap"] = {"base_value": float(explainer.expected_value), "values": explainer.shap_values(rows).tolist()}
    else:
        infer_class, infer = client.method(OIP, "ModelInfer")
        output = out["flywheel"]["output"]

        def model(x: np.ndarray) -> np.ndarray:
            message = {"modelName": case["deployment"], "inputs": tensors(case["inputs"], np.asarray(x))}
            answer = json_format.MessageToDict(infer(json_format.ParseDict(message, infer_class()), timeout=60))
            tensor = next(o for o in answer["outputs"] if o["name"] == output)
            return np.array(tensor["contents"]["fp32Contents"], dtype=np.float64)

        np.random.seed(reference.get("seed", 0))
        explainer = shap.KernelExplainer(model, background)
        values = explainer.shap_values(rows, nsamples=reference["nsamples"], l1_reg=0, silent=True)
        out["shap"] = {"base_value": float(np.ravel(explainer.expected_value)[0]), "values": np.asarray(values).tolist()}
    return out


def main() -> None:
    address, cases_path = sys.argv[1], sys.argv[2]
    with open(cases_path) as f:
        cases = json.load(f)
    with grpc.insecure_channel(address, options=[("grpc.max_receive_message_length", 64 << 20)]) as channel:
        client = Client(channel)
        print(json.dumps({case["name"]: run_case(client, address, case) for case in cases}))


if __name__ == "__main__":
    main()
