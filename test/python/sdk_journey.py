"""The Python SDK as a user drives it (test/python-sdk.test.ts): train → register → deploy → predict →
training set → run → errors. Prints one JSON object of what it saw; the test checks it."""
import json
import os
import sys
from datetime import datetime, timedelta, timezone

import numpy as np
import onnxruntime as ort
import pandas as pd
import tritonclient.grpc as triton  # in the same process as the SDK's own OIP stubs
from sklearn.ensemble import RandomForestClassifier

import flywheel
from flywheel._proto.flywheel.common.v1 import dataset_pb2, value_pb2
from flywheel._proto.flywheel.featurestore.v1 import featurestore_pb2 as fs
from flywheel._proto.flywheel.registry.v1 import registry_pb2 as reg

seen = {}
fw = flywheel.connect()  # the CLI's context file: $FLYWHEEL_CONFIG, its current-context

# Train on a DataFrame: its column names become the model's inputs.
rng = np.random.default_rng(11)
days = pd.DataFrame({"temp_max": rng.normal(15, 6, 300), "wind": rng.normal(4, 1, 300)})
rained = ((12 - days.temp_max) * 0.5 + (days.wind - 4) * 1.2 + rng.normal(0, 1, 300)) > 0
forest = RandomForestClassifier(n_estimators=8, max_depth=4, random_state=0).fit(days, rained.astype(int))

version = fw.register_model("sdk-rain", forest, alias="champion", metrics={"accuracy": forest.score(days, rained)})
seen["registered"] = {
    "version": version.version,
    "aliases": list(version.aliases),
    "inputs": [(t.name, t.datatype, list(t.shape)) for t in version.signature.inputs],
    "outputs": [(t.name, t.datatype, list(t.shape)) for t in version.signature.outputs],
    "metrics": dict(version.metrics),
    "params": {k: version.parameters[k] for k in ("n_estimators", "max_depth")},
}
again = fw.register_model("sdk-rain", forest)  # the same artifact: the same version
seen["registered_again"] = again.version

deployment = fw.deploy("sdk-rain", "sdk-rain", alias="champion")
seen["deployment"] = {"state": deployment.state == 2, "stable_version": deployment.stable_version}

rows = pd.DataFrame({"temp_max": [4.0, 25.0, 12.5, -3.0], "wind": [6.5, 2.0, 4.0, 5.5]})
answer = fw.predict("sdk-rain", rows)
seen["predict_columns"] = list(answer.columns)

# What the registry stores, run by onnxruntime here: the served answer must be the same.
artifact = b"".join(
    r.chunk for r in fw.registry.DownloadArtifact(reg.DownloadArtifactRequest(model_name="sdk-rain", model_version=version.version))
)
session = ort.InferenceSession(artifact, providers=["CPUExecutionProvider"])
feeds = {c: rows[[c]].to_numpy(np.float32) for c in rows.columns}
label, probabilities = session.run(["label", "probabilities"], feeds)
seen["equal_to_onnxruntime"] = bool(
    np.array_equal(answer["label"].to_numpy(), label)
    and np.allclose(answer[["probabilities_0", "probabilities_1"]].to_numpy(), probabilities, atol=1e-6)
)
as_dict = fw.predict("sdk-rain", {c: rows[c].to_numpy(np.float32).reshape(-1, 1) for c in rows.columns})
seen["predict_dict"] = {k: list(v.shape) for k, v in sorted(as_dict.items())}

client = triton.InferenceServerClient(url=fw.context.address("serving"))
inputs = []
for c in rows.columns:
    tensor = triton.InferInput(c, [len(rows), 1], "FP32")
    tensor.set_data_from_numpy(rows[[c]].to_numpy(np.float32))
    inputs.append(tensor)
seen["tritonclient_equal"] = bool(np.array_equal(client.infer("sdk-rain", inputs).as_numpy("label"), label))

# A training set as a DataFrame: a feature view, two days of one station, one entity row per label.
now = datetime.now(timezone.utc).replace(microsecond=0)
fw.call(
    fw.feature_store.ApplyFeatureView,
    fs.ApplyFeatureViewRequest(
        feature_view=fs.FeatureView(
            name="sdk_daily",
            entity=fs.Entity(name="station", join_keys=[fs.JoinKey(name="station", value_type=value_pb2.VALUE_TYPE_STRING)]),
            features=[fs.Feature(name="temp_max", value_type=value_pb2.VALUE_TYPE_DOUBLE)],
            source=fs.Source(batch=fs.BatchSource(dataset="sdk-weather", format=dataset_pb2.DATASET_FORMAT_JSONL)),
            online=True,
        )
    ),
)
ingest = fs.IngestRequest(feature_view_name="sdk_daily")
for days_ago, t in [(3, 14.5), (1, 17.0)]:
    row = ingest.rows.add()
    row.entity_key.join_keys["station"].string_value = "seattle"
    row.event_time.FromDatetime(now - timedelta(days=days_ago))
    row.values["temp_max"].double_value = t
fw.call(fw.feature_store.Ingest, ingest)
entities = pd.DataFrame(
    {"station": ["seattle", "seattle"], "event_time": [now - timedelta(days=2), now], "rained": [1, 0]}
)
training_set, frame = fw.create_training_set("sdk-rain-set", ["sdk_daily:temp_max"], entities, join_keys=["station"])
seen["training_set"] = {
    "id": training_set.id.startswith("ts_"),
    "row_count": training_set.row_count,
    "columns": list(frame.columns),
    "temp_max": frame["sdk_daily:temp_max"].tolist(),
    "rained": frame["rained"].tolist(),
}

# A run of an inline pipeline whose command step logs params and metrics with the SDK.
step = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sdk_step.py")
spec = {
    "steps": [{"name": "train", "command": {"command": [sys.executable, step]}, "parameters": {"C": "${params.C}"}}],
    "parameters": [{"name": "C", "required": True}],
}
run = fw.submit_run(spec, {"C": 0.5}, name="sdk-journey")
updates = list(fw.watch_run(run.id))
states = [(r.state, tuple(s.state for s in r.steps)) for r in updates]
seen["run"] = {
    "updates": len(updates),
    "distinct": len(set(states)) == len(states),
    "last": updates[-1].state == 3,  # RUN_STATE_SUCCEEDED
    "outputs": flywheel.run_outputs(updates[-1], "train"),
}
seen["wait_run"] = fw.wait_run(run.id).id == run.id

# Errors carry the gRPC status code and the server's message.
errors = {}
try:
    fw.get_version("no-such-model", 1)
except flywheel.NotFound as error:
    errors["not_found"] = [error.code.name, isinstance(error, flywheel.FlywheelError), "no-such-model" in error.message]
try:
    fw.register_model("Bad Name!", forest)
except flywheel.InvalidArgument as error:
    errors["invalid_name"] = [error.code.name, "model_name" in error.message]
try:
    fw.register_model("sdk-rain", b"not onnx")
except flywheel.InvalidArgument as error:
    errors["not_onnx"] = [error.code.name, "not a loadable ONNX model" in error.message]
try:
    fw.submit_run("no-such-pipeline")
except flywheel.FlywheelError as error:
    errors["no_pipeline"] = error.code.name
try:
    flywheel.connect("localhost", addresses={"registry": "127.0.0.1:1"}).get_version("x", 1)
except flywheel.Unavailable as error:
    errors["unreachable"] = error.code.name
seen["errors"] = errors
fw.close()
print(json.dumps(seen, sort_keys=True))
