#!/usr/bin/env python3
"""A Flywheel command step: trains a logistic regression with scikit-learn and exports it as ONNX.

The orchestrator's file contract (services/orchestrator/README.md):
  $FLYWHEEL_PARAMETERS_FILE  JSON object: this step's resolved parameters, plus `inputs` (the
                             outputs of the steps it depends on, by step name)
  $FLYWHEEL_OUTPUTS_FILE     where this script writes its outputs, a JSON object
  $FLYWHEEL_ARTIFACTS_DIR    a directory kept after the step ends: the model goes there
  exit 0                     success; anything else fails the attempt (stderr's last lines say why)

Parameters:
  training_set_path  (required) a JSON Lines training set: one object per row
  label              (required) the label column, 0/1 (e.g. "weather_labels:rained")
  features           the feature columns; default every numeric column but the label
  holdout_fraction   share of rows held out for the metrics, the latest by event_time; default 0.2
  C, max_iter        LogisticRegression settings; default 1.0 and 1000

Outputs:
  model_path   the ONNX file: one float [N,1] input per feature, named by the feature without its
               "<view>:" prefix, and a float [N,1] output "probability" (standardization inside)
  model_sha256 hex digest of that file
  features     the input names, in order
  metrics      accuracy, log_loss, roc_auc on the holdout; train_rows, holdout_rows
"""

import hashlib
import json
import math
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

# Opsets onnxruntime 1.2x and later run fully.
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}
NON_FEATURE_COLUMNS = {"event_time"}


def fail(message):
    print(f"train_sklearn: {message}", file=sys.stderr)
    sys.exit(2)


def read_parameters():
    path = os.environ.get("FLYWHEEL_PARAMETERS_FILE")
    if not path:
        fail("FLYWHEEL_PARAMETERS_FILE is not set: run me as a Flywheel command step")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def read_rows(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            line = line.strip()
            if not line:
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as error:
                fail(f"{path}:{number}: not JSON: {error}")
    if not rows:
        fail(f"{path}: no rows")
    return rows


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def choose_features(rows, label, given):
    if given:
        if not isinstance(given, list) or not all(isinstance(f, str) for f in given):
            fail("parameters.features must be a list of column names")
        return given
    columns = [c for c in rows[0] if c != label and c not in NON_FEATURE_COLUMNS]
    return [c for c in columns if all(is_number(r.get(c)) for r in rows)]


def input_name(feature):
    return feature.split(":", 1)[1] if ":" in feature else feature


def matrix(rows, features, label):
    usable = [r for r in rows if is_number(r.get(label)) and all(is_number(r.get(f)) for f in features)]
    if len(usable) < len(rows):
        print(f"skipping {len(rows) - len(usable)} rows with missing values", file=sys.stderr)
    x = np.array([[float(r[f]) for f in features] for r in usable], dtype=np.float32)
    y = np.array([int(r[label]) for r in usable], dtype=np.int64)
    times = [r.get("event_time", "") for r in usable]
    return x, y, times


def split(x, y, times, holdout_fraction):
    order = sorted(range(len(y)), key=lambda i: (times[i], i))
    cut = len(order) - max(1, int(round(len(order) * holdout_fraction)))
    if cut < 2:
        fail(f"too few rows ({len(order)}) to hold out {holdout_fraction:.0%}")
    train, holdout = order[:cut], order[cut:]
    return x[train], y[train], x[holdout], y[holdout]


def export_onnx(pipeline, names):
    initial_types = [(name, FloatTensorType([None, 1])) for name in names]
    model = convert_sklearn(
        pipeline,
        initial_types=initial_types,
        options={id(pipeline.steps[-1][1]): {"zipmap": False}},
        target_opset=TARGET_OPSET,
    )
    graph = model.graph
    probabilities = next(o.name for o in graph.output if o.name != "label")
    # The contract's single output: P(class 1) as float [N,1].
    graph.initializer.extend(
        [
            numpy_helper.from_array(np.array([1], dtype=np.int64), "probability_start"),
            numpy_helper.from_array(np.array([2], dtype=np.int64), "probability_end"),
            numpy_helper.from_array(np.array([1], dtype=np.int64), "probability_axis"),
        ]
    )
    graph.node.append(
        helper.make_node(
            "Slice",
            [probabilities, "probability_start", "probability_end", "probability_axis"],
            ["probability"],
            name="probability_of_class_1",
        )
    )
    del graph.output[:]
    graph.output.append(helper.make_tensor_value_info("probability", onnx.TensorProto.FLOAT, [None, 1]))
    onnx.checker.check_model(model)
    return model


def main():
    parameters = read_parameters()
    training_set_path = parameters.get("training_set_path")
    label = parameters.get("label")
    if not isinstance(training_set_path, str) or not training_set_path:
        fail("parameters.training_set_path is required")
    if not isinstance(label, str) or not label:
        fail("parameters.label is required")
    holdout_fraction = float(parameters.get("holdout_fraction", 0.2))
    if not 0 < holdout_fraction < 1:
        fail("parameters.holdout_fraction must be between 0 and 1")

    rows = read_rows(training_set_path)
    features = choose_features(rows, label, parameters.get("features"))
    if not features:
        fail("no numeric feature columns found")
    names = [input_name(f) for f in features]
    if len(set(names)) != len(names):
        fail(f"feature names collide once their view prefix is stripped: {names}")
    x, y, times = matrix(rows, features, label)
    x_train, y_train, x_holdout, y_holdout = split(x, y, times, holdout_fraction)
    if len(set(y_train.tolist())) < 2:
        fail("the training rows hold a single class")

    print(f"training on {len(y_train)} rows, {len(features)} features: {', '.join(names)}")
    pipeline = Pipeline(
        [
            ("scale", StandardScaler()),
            (
                "classify",
                LogisticRegression(C=float(parameters.get("C", 1.0)), max_iter=int(parameters.get("max_iter", 1000))),
            ),
        ]
    )
    pipeline.fit(x_train, y_train)

    p_holdout = pipeline.predict_proba(x_holdout)[:, 1]
    metrics = {
        "accuracy": float(accuracy_score(y_holdout, (p_holdout >= 0.5).astype(int))),
        "log_loss": float(log_loss(y_holdout, p_holdout, labels=[0, 1])),
        "train_rows": int(len(y_train)),
        "holdout_rows": int(len(y_holdout)),
    }
    if len(set(y_holdout.tolist())) == 2:
        metrics["roc_auc"] = float(roc_auc_score(y_holdout, p_holdout))
    print(f"holdout metrics: {json.dumps(metrics)}")

    out_dir = os.environ.get("FLYWHEEL_ARTIFACTS_DIR") or os.getcwd()
    os.makedirs(out_dir, exist_ok=True)
    model_path = os.path.join(out_dir, "model.onnx")
    model_bytes = export_onnx(pipeline, names).SerializeToString()
    with open(model_path, "wb") as f:
        f.write(model_bytes)
    print(f"wrote {model_path} ({len(model_bytes)} bytes)")

    outputs = {
        "model_path": model_path,
        "model_sha256": hashlib.sha256(model_bytes).hexdigest(),
        "features": names,
        "metrics": metrics,
    }
    outputs_path = os.environ.get("FLYWHEEL_OUTPUTS_FILE")
    if not outputs_path:
        fail("FLYWHEEL_OUTPUTS_FILE is not set")
    with open(outputs_path, "w", encoding="utf-8") as f:
        json.dump(outputs, f)


if __name__ == "__main__":
    main()
