"""Reads a model's configuration and streams inference with tritonclient.grpc, printing what it got as JSON.

usage: triton_stream_config.py ADDRESS WEATHER_MODEL

Also reads the repository index and tries to unload the model. Sends four requests on one ModelStreamInfer stream, the third naming an input the model does not
have, and records each callback in the order it came (tritonclient calls back per stream response).
"""

import json
import queue
import sys

import numpy as np
import tritonclient.grpc as grpcclient
from tritonclient.utils import InferenceServerException


def weather_inputs(rows: np.ndarray, names=("temp_max", "temp_min", "wind")):
    inputs = []
    for j, name in enumerate(names):
        tensor = grpcclient.InferInput(name, [rows.shape[0], 1], "FP32")
        tensor.set_data_from_numpy(rows[:, j : j + 1].copy())
        inputs.append(tensor)
    return inputs


def main() -> None:
    address, weather = sys.argv[1:3]
    triton = grpcclient.InferenceServerClient(url=address)
    config = triton.get_model_config(weather, as_json=True)["config"]

    answers: "queue.Queue[dict]" = queue.Queue()

    def callback(result, error):
        if error is not None:
            answers.put({"error": str(error)})
        else:
            answers.put({"id": result.get_response().id, "probability": result.as_numpy("probability").reshape(-1).tolist()})

    rows = np.array([[12.5, 5.0, 4.7], [25.1, 14.2, 2.1], [3.3, -2.8, 6.0], [8.0, 1.0, 3.0]], dtype=np.float32)
    triton.start_stream(callback=callback)
    for i in range(4):
        names = ("temp_max", "temp_min", "gust") if i == 2 else ("temp_max", "temp_min", "wind")
        triton.async_stream_infer(weather, weather_inputs(rows[i : i + 1], names), request_id=f"r{i}")
    stream = [answers.get(timeout=60) for _ in range(4)]
    triton.stop_stream()
    index = triton.get_model_repository_index(as_json=True).get("models", [])
    try:
        triton.unload_model(weather)
        unload = None
    except InferenceServerException as error:
        unload = {"status": error.status(), "message": error.message()}
    print(json.dumps({"config": config, "stream": stream, "index": index, "unload": unload}))


if __name__ == "__main__":
    main()
