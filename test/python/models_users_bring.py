"""The models data scientists bring, exported to ONNX the way they export them.

  models_users_bring.py make <dir>

Writes <dir>/<name>.onnx for a scikit-learn pipeline with one-hot encoding of a string column, a
random forest, gradient boosting, an MLP (skl2onnx), XGBoost and LightGBM (onnxmltools), and a
classifier left with skl2onnx's default ZipMap output; prints a JSON object name → {"file",
"inputs", "outputs"}, each tensor {"name", "datatype" (OIP), "shape" (-1 dynamic)} as the `onnx`
package reads the graph — what the registry must record, read independently.
"""

import json
import os
import sys
import warnings

import numpy as np
import pandas as pd

OIP = {1: "FP32", 2: "UINT8", 3: "INT8", 5: "INT16", 6: "INT32", 7: "INT64", 8: "BYTES", 9: "BOOL", 10: "FP16", 11: "FP64"}


def signature(model):
    def tensors(values, skip=()):
        out = []
        for value in values:
            if value.name in skip:
                continue
            tensor = value.type.tensor_type
            shape = [d.dim_value if d.HasField("dim_value") else -1 for d in tensor.shape.dim]
            out.append({"name": value.name, "datatype": OIP[tensor.elem_type], "shape": shape})
        return out

    initializers = {i.name for i in model.graph.initializer}
    return tensors(model.graph.input, initializers), tensors(model.graph.output)


def make(directory: str) -> None:
    from lightgbm import LGBMClassifier
    from onnxmltools import convert_lightgbm, convert_xgboost
    from onnxmltools.convert.common.data_types import FloatTensorType as MlFloat
    from skl2onnx import convert_sklearn, to_onnx
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
    from xgboost import XGBClassifier

    rng = np.random.default_rng(16)
    n = 300
    x = rng.normal(size=(n, 4)).astype(np.float32)
    y = (x[:, 0] + 0.5 * x[:, 1] - x[:, 2] > 0).astype(np.int64)
    stations = rng.choice(["seattle", "new-york", "chicago"], size=n)
    no_zipmap = {"zipmap": False}
    models = {}

    # A pipeline with one-hot encoding of a string column next to scaled numbers; each column is
    # its own ONNX input (skl2onnx maps a DataFrame's columns to inputs by name).
    frame = pd.DataFrame({"station": stations, "temp": x[:, 0], "wind": x[:, 1]})
    pipeline = Pipeline(
        [
            (
                "features",
                ColumnTransformer(
                    [
                        ("station", OneHotEncoder(handle_unknown="ignore"), ["station"]),
                        ("numbers", StandardScaler(), ["temp", "wind"]),
                    ]
                ),
            ),
            ("classifier", LogisticRegression()),
        ]
    ).fit(frame, y)
    models["onehot-pipeline"] = convert_sklearn(
        pipeline,
        initial_types=[
            ("station", StringTensorType([None, 1])),
            ("temp", FloatTensorType([None, 1])),
            ("wind", FloatTensorType([None, 1])),
        ],
        options={id(pipeline.steps[-1][1]): no_zipmap},
        target_opset={"": 17, "ai.onnx.ml": 3},
    )

    opset = {"": 17, "ai.onnx.ml": 3}
    for name, estimator in [
        ("random-forest", RandomForestClassifier(n_estimators=10, max_depth=4, random_state=0)),
        ("gradient-boosting", GradientBoostingClassifier(n_estimators=10, max_depth=2, random_state=0)),
        ("mlp", MLPClassifier(hidden_layer_sizes=(8,), max_iter=300, random_state=0)),
    ]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the MLP's convergence warning: the fit is not the point
            estimator.fit(x, y)
        models[name] = to_onnx(estimator, x[:1], options={id(estimator): no_zipmap}, target_opset=opset)

    xgb = XGBClassifier(n_estimators=10, max_depth=3).fit(x, y)
    models["xgboost"] = convert_xgboost(xgb, initial_types=[("input", MlFloat([None, 4]))], target_opset=15)
    lgbm = LGBMClassifier(n_estimators=10, num_leaves=7, verbose=-1).fit(x, y)
    models["lightgbm"] = convert_lightgbm(
        lgbm, initial_types=[("input", MlFloat([None, 4]))], zipmap=False, target_opset=15
    )

    zipmapped = LogisticRegression().fit(x, y)
    models["zipmap"] = to_onnx(zipmapped, x[:1], target_opset=opset)

    manifest = {}
    for name, model in models.items():
        path = os.path.join(directory, f"{name}.onnx")
        with open(path, "wb") as out:
            out.write(model.SerializeToString())
        entry = {"file": path}
        if name != "zipmap":
            entry["inputs"], entry["outputs"] = signature(model)
        manifest[name] = entry
    print(json.dumps(manifest))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        sys.exit(__doc__)
