"""Model artifacts: ONNX bytes from a file, an onnx.ModelProto or a scikit-learn estimator, and their signature."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InvalidArgument

# ONNX TensorProto.DataType → Open Inference Protocol datatype.
_oip_datatype = {1: "FP32", 2: "UINT8", 3: "INT8", 4: "UINT16", 5: "INT16", 6: "INT32", 7: "INT64",
                 8: "BYTES", 9: "BOOL", 10: "FP16", 11: "FP64", 12: "UINT32", 13: "UINT64"}


@dataclass(frozen=True)
class TensorSpec:
    name: str
    datatype: str
    shape: tuple[int, ...]  # -1: any size


@dataclass(frozen=True)
class Artifact:
    onnx: bytes
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]


def _specs(values: Any, what: str) -> tuple[TensorSpec, ...]:
    specs = []
    for v in values:
        t = v.type.tensor_type
        if not v.type.HasField("tensor_type"):
            raise InvalidArgument(
                f"{what} {v.name} is not a tensor (a ZipMap's sequence of maps?): convert classifiers with "
                "skl2onnx options {id(classifier): {'zipmap': False}}"
            )
        datatype = _oip_datatype.get(t.elem_type)
        if datatype is None:
            raise InvalidArgument(f"{what} {v.name}: ONNX element type {t.elem_type} has no Open Inference Protocol datatype")
        shape = tuple(d.dim_value if d.HasField("dim_value") else -1 for d in t.shape.dim)
        specs.append(TensorSpec(v.name, datatype, shape))
    return tuple(specs)


def from_onnx(model: Any) -> Artifact:
    """An artifact of an ONNX file path, its bytes or an onnx.ModelProto; refused clearly when it is not ONNX."""
    import onnx

    if isinstance(model, (str, Path)):
        data = Path(model).read_bytes()
    elif isinstance(model, (bytes, bytearray)):
        data = bytes(model)
    elif isinstance(model, onnx.ModelProto):
        data = model.SerializeToString()
    else:
        raise InvalidArgument(f"model: expected an ONNX file, ONNX bytes, an onnx.ModelProto or a scikit-learn estimator, got {type(model).__name__}")
    try:
        proto = onnx.load_from_string(data)
        onnx.checker.check_model(proto)
    except Exception as error:  # onnx raises several kinds; all mean "not a loadable model"
        raise InvalidArgument(f"model is not a loadable ONNX model: {error}") from error
    return Artifact(data, _specs(proto.graph.input, "input"), _specs(proto.graph.output, "output"))


def is_estimator(model: Any) -> bool:
    return hasattr(model, "fit") and hasattr(model, "get_params")


def from_sklearn(estimator: Any, feature_names: list[str] | None = None) -> Artifact:
    """Converts a fitted estimator with skl2onnx: one float [N, 1] input per feature (the platform's model
    contract: monitoring sees per-feature statistics), no ZipMap (plain probability tensors)."""
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.base import is_classifier
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(estimator)
    names = feature_names or [str(n) for n in getattr(estimator, "feature_names_in_", [])]
    if not names:
        count = getattr(estimator, "n_features_in_", None)
        if count is None:
            raise InvalidArgument("feature_names: the estimator knows no feature names nor count; pass feature_names=[...]")
        names = [f"f{i}" for i in range(count)]
    final = estimator.steps[-1][1] if hasattr(estimator, "steps") else estimator
    options = {id(final): {"zipmap": False}} if is_classifier(final) else None
    onnx_model = convert_sklearn(estimator, initial_types=[("__features", FloatTensorType([None, len(names)]))], options=options)
    onnx_model.graph.name = type(estimator).__name__  # skl2onnx names it by a random uuid: same estimator, same bytes
    return from_onnx(_per_feature_inputs(onnx_model, names))


def _per_feature_inputs(model: Any, names: list[str]) -> Any:
    """Replaces the graph's one [N, k] input by k [N, 1] inputs joined with a Concat: skl2onnx joins several
    inputs only for some estimators, this works for every one."""
    from onnx import TensorProto, helper

    graph = model.graph
    (matrix,) = graph.input
    del graph.input[:]
    graph.input.extend(helper.make_tensor_value_info(n, TensorProto.FLOAT, [None, 1]) for n in names)
    graph.node.insert(0, helper.make_node("Concat", names, [matrix.name], axis=1, name="flywheel_features"))
    return model
