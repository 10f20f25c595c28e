"""Infers with NVIDIA's tritonclient (gRPC or HTTP) over TLS against secured Flywheel serving, once
per given credential, and prints each outcome as JSON.

usage: triton_secured.py grpc|http ADDRESS MODEL CA_FILE CALLS_JSON
CALLS_JSON is a list of bearer tokens (null: no authorization header), tried in order.
Prints {"live": bool, "calls": [{"status": "OK", "probability": [...]} | {"status", "message"}]}.
"""

import json
import sys

import numpy as np


def main() -> None:
    protocol, address, model, ca, calls = sys.argv[1:6]
    if protocol == "grpc":
        import tritonclient.grpc as client

        # root_certificates is a file path here; the server is verified against the test CA.
        triton = client.InferenceServerClient(url=address, ssl=True, root_certificates=ca)
    else:
        import tritonclient.http as client

        # The server is verified against the test CA, not the system roots.
        triton = client.InferenceServerClient(url=address, ssl=True, ssl_options={"ca_certs": ca})
    from tritonclient.utils import InferenceServerException

    rows = np.array([[12.5, 5.0, 4.7], [25.1, 14.2, 2.1], [3.3, -2.8, 6.0]], dtype=np.float32)
    inputs = []
    for j, name in enumerate(["temp_max", "temp_min", "wind"]):
        tensor = client.InferInput(name, [3, 1], "FP32")
        tensor.set_data_from_numpy(rows[:, j : j + 1].copy())
        inputs.append(tensor)

    # Liveness is open: no token needed.
    out: dict = {"live": triton.is_server_live(), "calls": []}
    for token in json.loads(calls):
        headers = {"authorization": f"Bearer {token}"} if token is not None else None
        try:
            result = triton.infer(model, inputs, headers=headers)
            probability = result.as_numpy("probability").reshape(-1).tolist()
            out["calls"].append({"status": "OK", "probability": probability})
        except InferenceServerException as error:
            out["calls"].append({"status": str(error.status()), "message": error.message()})
    triton.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
