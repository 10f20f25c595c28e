"""numpy / pandas ↔ Open Inference Protocol tensors (raw little-endian contents, as tritonclient sends)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Union

import numpy as np
import pandas as pd

from ._proto.inference import grpc_service_pb2 as oip
from .errors import InvalidArgument

Inputs = Union[pd.DataFrame, Mapping[str, Any], np.ndarray]

_numpy_of = {
    "BOOL": np.bool_, "UINT8": np.uint8, "UINT16": np.uint16, "UINT32": np.uint32, "UINT64": np.uint64,
    "INT8": np.int8, "INT16": np.int16, "INT32": np.int32, "INT64": np.int64,
    "FP16": np.float16, "FP32": np.float32, "FP64": np.float64,
}


def _tensor(name: str, array: np.ndarray, datatype: str) -> tuple[oip.ModelInferRequest.InferInputTensor, bytes]:
    if datatype == "BYTES":
        raise InvalidArgument(f"input {name}: BYTES tensors are not supported by predict(); send numbers")
    dtype = _numpy_of.get(datatype)
    if dtype is None:
        raise InvalidArgument(f"input {name}: unknown datatype {datatype}")
    data = np.ascontiguousarray(array, dtype=np.dtype(dtype).newbyteorder("<"))
    tensor = oip.ModelInferRequest.InferInputTensor(name=name, datatype=datatype, shape=list(data.shape))
    return tensor, data.tobytes()


def _fit(name: str, values: np.ndarray, shape: Sequence[int]) -> np.ndarray:
    """Reshapes a column or matrix to the model input's rank: [N] → [N, 1] for a [-1, 1] input."""
    if len(shape) == 2 and values.ndim == 1:
        return values.reshape(-1, 1)
    if len(shape) == 1 and values.ndim == 2 and values.shape[1] == 1:
        return values.reshape(-1)
    return values


def request(model: str, data: Inputs, metadata: oip.ModelMetadataResponse, version: str = "") -> oip.ModelInferRequest:
    """A ModelInferRequest of `data` for the model's inputs (named as in its metadata)."""
    specs = list(metadata.inputs)
    if isinstance(data, pd.DataFrame):
        if len(specs) == 1 and specs[0].name not in data.columns:
            arrays = {specs[0].name: data.to_numpy()}  # one matrix input: the frame's columns are its features
        else:
            arrays = {s.name: data[s.name].to_numpy() for s in specs if s.name in data.columns}
    elif isinstance(data, np.ndarray):
        if len(specs) != 1:
            raise InvalidArgument(f"model {model} has {len(specs)} inputs ({', '.join(s.name for s in specs)}): pass a DataFrame or a dict by input name")
        arrays = {specs[0].name: data}
    else:
        arrays = {k: np.asarray(v) for k, v in data.items()}
    missing = [s.name for s in specs if s.name not in arrays]
    if missing:
        raise InvalidArgument(f"model {model} needs inputs {', '.join(missing)}: not in the data")
    req = oip.ModelInferRequest(model_name=model, model_version=version)
    for spec in specs:
        tensor, raw = _tensor(spec.name, _fit(spec.name, arrays[spec.name], spec.shape), spec.datatype)
        req.inputs.append(tensor)
        req.raw_input_contents.append(raw)
    return req


def _contents(tensor: oip.ModelInferResponse.InferOutputTensor) -> np.ndarray:
    c = tensor.contents
    for values in (c.fp32_contents, c.fp64_contents, c.int64_contents, c.int_contents, c.uint_contents, c.uint64_contents, c.bool_contents):
        if len(values):
            return np.asarray(values)
    return np.asarray([], dtype=_numpy_of.get(tensor.datatype, np.float64))


def outputs(response: oip.ModelInferResponse) -> dict[str, np.ndarray]:
    """Each output as a numpy array of its shape and datatype."""
    result: dict[str, np.ndarray] = {}
    for i, tensor in enumerate(response.outputs):
        shape = tuple(tensor.shape)
        if i < len(response.raw_output_contents):
            dtype = np.dtype(_numpy_of[tensor.datatype]).newbyteorder("<")
            array = np.frombuffer(response.raw_output_contents[i], dtype=dtype).astype(dtype.newbyteorder("="))
        else:
            array = _contents(tensor).astype(_numpy_of.get(tensor.datatype, np.float64))
        result[tensor.name] = array.reshape(shape)
    return result


def frame(arrays: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Outputs as columns: an [N] or [N, 1] output is one column, an [N, k] one `name_0` … `name_<k-1>`."""
    columns: dict[str, np.ndarray] = {}
    for name, array in arrays.items():
        if array.ndim == 1 or (array.ndim == 2 and array.shape[1] == 1):
            columns[name] = array.reshape(-1)
        else:
            flat = array.reshape(array.shape[0], -1)
            for j in range(flat.shape[1]):
                columns[f"{name}_{j}"] = flat[:, j]
    return pd.DataFrame(columns)
