"""The must-show journey with the SDK only (test/python-sdk-pipelines.test.ts): train a scikit-learn model →
register it with its signature → deploy → predict, equal to onnxruntime → the README's sweep pipeline (a fan-out
over 4 values of C, each iteration a step training its own model and logging its accuracy) → run → compare the
iterations → the best registered and promoted to champion → the deployment serves it → predict, equal to
onnxruntime on that version's artifact. Prints one JSON object of what it saw."""
import json

import numpy as np
import onnxruntime as ort
import pandas as pd
import rain_sweep  # the README's "sweep pipeline" block, written beside it by the test
from sklearn.linear_model import LogisticRegression

import flywheel
from flywheel._proto.flywheel.registry.v1 import registry_pb2 as reg

fw = flywheel.connect()
rows = pd.DataFrame({"temp_max": [4.0, 25.0, 12.5, -3.0], "wind": [6.5, 2.0, 4.0, 5.5]})


def served_like_onnxruntime(version: int) -> bool:
    """The deployment's answer for `rows` equals onnxruntime's on the registered artifact of `version`."""
    answer = fw.predict("rain", rows)
    chunks = fw.registry.DownloadArtifact(reg.DownloadArtifactRequest(model_name="rain", model_version=version))
    session = ort.InferenceSession(b"".join(c.chunk for c in chunks), providers=["CPUExecutionProvider"])
    label, probabilities = session.run(["label", "probabilities"], {c: rows[[c]].to_numpy(np.float32) for c in rows.columns})
    return bool(
        np.array_equal(answer["label"].to_numpy(), label)
        and np.allclose(answer[["probabilities_0", "probabilities_1"]].to_numpy(), probabilities, atol=1e-6)
    )


days, rained = rain_sweep.rain_days(seed=7, n=400)
first = fw.register_model("rain", LogisticRegression().fit(days, rained), alias="champion")
fw.deploy("rain", "rain", alias="champion")
seen = {
    "first": {
        "version": first.version,
        "signature": [(t.name, t.datatype, list(t.shape)) for t in [*first.signature.inputs, *first.signature.outputs]],
        "served_like_onnxruntime": served_like_onnxruntime(first.version),
    }
}

promoted = rain_sweep.promote_best(fw)
table = promoted["table"]
run = fw.get_run(promoted["run"])
deployment = fw.get_deployment("rain")
champion = fw.resolve("models:/rain@champion")
seen["sweep"] = {
    "state": run.state == 3,  # RUN_STATE_SUCCEEDED
    "iterations": [(s.name, s.index) for s in next(s for s in run.steps if s.name == "train").iterations],
    "items": [float(v) for v in table["item"]],
    "params_C": [float(v) for v in table["params.C"]],
    "accuracies_differ": bool(table["metrics.accuracy"].nunique() > 1),
    "states": sorted(set(table["state"])),
    "picked_is_argmax": bool(promoted["picked"]["index"] == int(table["metrics.accuracy"].idxmax())),
    "picked_accuracy": bool(promoted["picked"]["accuracy"] == table["metrics.accuracy"].max()),
    "run_outputs": flywheel.run_outputs(run)["model_path"] == promoted["picked"]["model_path"],
}
seen["promoted"] = {
    "version": promoted["version"],
    "champion": champion.version == promoted["version"],
    "serving": deployment.stable_version == promoted["version"],
    "metric": bool(abs(champion.metrics["accuracy"] - table["metrics.accuracy"].max()) < 1e-12),
    "served_like_onnxruntime": served_like_onnxruntime(promoted["version"]),
}
fw.close()
print(json.dumps(seen, sort_keys=True))
