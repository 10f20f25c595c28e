"""Drives Flywheel serving with NVIDIA's own tritonclient (gRPC or HTTP) and prints what it got as JSON.

usage: triton_client.py grpc|http ADDRESS WEATHER_MODEL IDENTITY_MODEL
"""

import json
import sys

import numpy as np


def main() -> None:
    protocol, address, weather, identity = sys.argv[1:5]
    if protocol == "grpc":
        import tritonclient.grpc as client
        from tritonclient.utils import InferenceServerException
    else:
        import tritonclient.http as client
        from tritonclient.utils import InferenceServerException
    triton = client.InferenceServerClient(url=address)
    out: dict = {
        "live": triton.is_server_live(),
        "ready": triton.is_server_ready(),
        "model_ready": triton.is_model_ready(weather),
    }
    metadata = triton.get_model_metadata(weather)
    if protocol == "grpc":
        out["inputs"] = [{"name": t.name, "datatype": t.datatype, "shape": list(t.shape)} for t in metadata.inputs]
    else:
        out["inputs"] = metadata["inputs"]

    rows = np.array([[12.5, 5.0, 4.7], [25.1, 14.2, 2.1], [3.3, -2.8, 6.0]], dtype=np.float32)
    inputs = []
    for j, name in enumerate(["temp_max", "temp_min", "wind"]):
        tensor = client.InferInput(name, [3, 1], "FP32")
        tensor.set_data_from_numpy(rows[:, j : j + 1].copy())
        inputs.append(tensor)
    result = triton.infer(weather, inputs, outputs=[client.InferRequestedOutput("probability"), client.InferRequestedOutput("label")])
    out["probability"] = result.as_numpy("probability").reshape(-1).tolist()
    out["label"] = result.as_numpy("label").reshape(-1).tolist()

    # Every datatype through the identity model, BYTES (object arrays) and FP16 (numpy float16) included.
    sent = {
        "BOOL": np.array([[True, False], [False, True]]),
        "UINT8": np.array([[0, 255], [7, 8]], dtype=np.uint8),
        "UINT16": np.array([[0, 65535], [1, 2]], dtype=np.uint16),
        "UINT32": np.array([[0, 4294967295], [3, 4]], dtype=np.uint32),
        "UINT64": np.array([[0, 2**64 - 1], [5, 6]], dtype=np.uint64),
        "INT8": np.array([[-128, 127], [0, 1]], dtype=np.int8),
        "INT16": np.array([[-32768, 32767], [0, 1]], dtype=np.int16),
        "INT32": np.array([[-(2**31), 2**31 - 1], [0, 1]], dtype=np.int32),
        "INT64": np.array([[-(2**63), 2**63 - 1], [0, 1]], dtype=np.int64),
        "FP16": np.array([[1.5, -2], [0.25, 65504]], dtype=np.float16),
        "FP32": np.array([[1.5, -2.25], [3.125, 1e-3]], dtype=np.float32),
        "FP64": np.array([[np.pi, -np.e], [1e300, 0]], dtype=np.float64),
        "BYTES": np.array([["héllo".encode(), b""], ["wörld".encode(), "🙂".encode()]], dtype=np.object_),
    }
    identity_inputs = []
    for datatype, values in sent.items():
        tensor = client.InferInput(f"in_{datatype}", list(values.shape), datatype)
        tensor.set_data_from_numpy(values)
        identity_inputs.append(tensor)
    echoed = triton.infer(identity, identity_inputs)
    out["round_trip"] = {
        datatype: bool(np.array_equal(echoed.as_numpy(f"out_{datatype}"), values)) for datatype, values in sent.items()
    }

    errors = {}

    def expect_error(name, call):
        try:
            call()
            errors[name] = None
        except InferenceServerException as error:
            errors[name] = {"status": str(error.status()), "message": error.message()}

    expect_error("unknown_model", lambda: triton.infer("no-such-model", inputs))
    expect_error("unknown_version", lambda: triton.infer(weather, inputs, model_version="99"))
    wrong = client.InferInput("temp_max", [3, 2], "FP32")
    wrong.set_data_from_numpy(np.zeros([3, 2], dtype=np.float32))
    expect_error("wrong_shape", lambda: triton.infer(weather, [wrong, *inputs[1:]]))
    typed = client.InferInput("temp_max", [3, 1], "FP64")
    typed.set_data_from_numpy(np.zeros([3, 1], dtype=np.float64))
    expect_error("wrong_datatype", lambda: triton.infer(weather, [typed, *inputs[1:]]))
    nan = client.InferInput("temp_max", [3, 1], "FP32")
    nan.set_data_from_numpy(np.array([[np.nan], [1], [2]], dtype=np.float32))
    expect_error("nan", lambda: triton.infer(weather, [nan, *inputs[1:]]))
    out["errors"] = errors
    triton.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
