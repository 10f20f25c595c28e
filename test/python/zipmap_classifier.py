"""A scikit-learn classifier converted by skl2onnx with its default ZipMap output, and what
tritonclient sees when serving refuses it.

  zipmap_classifier.py make <path>               writes the ONNX model (inputs "input" float [N, 3])
  zipmap_classifier.py infer <address> <model>   ModelInfer over gRPC; prints {"status", "message"} as JSON
"""

import json
import sys

import numpy as np


def make(path: str) -> None:
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.linear_model import LogisticRegression

    rows = np.array([[0, 0, 0], [1, 1, 1], [0, 1, 0], [1, 0, 1]], dtype=np.float32)
    classifier = LogisticRegression().fit(rows, [0, 1, 0, 1])
    # No options: skl2onnx's default appends ZipMap, so output_probability is a sequence of maps.
    model = convert_sklearn(
        classifier,
        initial_types=[("input", FloatTensorType([None, 3]))],
        target_opset={"": 17, "ai.onnx.ml": 3},
    )
    with open(path, "wb") as out:
        out.write(model.SerializeToString())


def infer(address: str, model: str) -> None:
    import tritonclient.grpc as grpcclient
    from tritonclient.utils import InferenceServerException

    triton = grpcclient.InferenceServerClient(address)
    request = grpcclient.InferInput("input", [1, 3], "FP32")
    request.set_data_from_numpy(np.zeros((1, 3), dtype=np.float32))
    try:
        triton.infer(model, [request])
        print(json.dumps({"status": "OK", "message": ""}))
    except InferenceServerException as error:
        print(json.dumps({"status": error.status(), "message": error.message()}))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        infer(sys.argv[2], sys.argv[3])
