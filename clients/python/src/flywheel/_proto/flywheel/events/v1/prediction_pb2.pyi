import datetime

from flywheel._proto.flywheel.common.v1 import principal_pb2 as _principal_pb2
from flywheel._proto.flywheel.common.v1 import value_pb2 as _value_pb2
from flywheel._proto.flywheel.events.v1 import options_pb2 as _options_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PredictionLogged(_message.Message):
    __slots__ = ("model_name", "model_version", "deployment_name", "team", "predictions", "sample_rate", "dropped_count")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    DEPLOYMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    PREDICTIONS_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_RATE_FIELD_NUMBER: _ClassVar[int]
    DROPPED_COUNT_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    model_version: int
    deployment_name: str
    team: str
    predictions: _containers.RepeatedCompositeFieldContainer[Prediction]
    sample_rate: float
    dropped_count: int
    def __init__(self, model_name: _Optional[str] = ..., model_version: _Optional[int] = ..., deployment_name: _Optional[str] = ..., team: _Optional[str] = ..., predictions: _Optional[_Iterable[_Union[Prediction, _Mapping]]] = ..., sample_rate: _Optional[float] = ..., dropped_count: _Optional[int] = ...) -> None: ...

class Prediction(_message.Message):
    __slots__ = ("request_id", "row_index", "time", "inputs", "outputs", "input_tensors", "output_tensors", "latency", "served_features")
    class InputsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _value_pb2.Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_value_pb2.Value, _Mapping]] = ...) -> None: ...
    class OutputsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _value_pb2.Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_value_pb2.Value, _Mapping]] = ...) -> None: ...
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ROW_INDEX_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    INPUT_TENSORS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_TENSORS_FIELD_NUMBER: _ClassVar[int]
    LATENCY_FIELD_NUMBER: _ClassVar[int]
    SERVED_FEATURES_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    row_index: int
    time: _timestamp_pb2.Timestamp
    inputs: _containers.MessageMap[str, _value_pb2.Value]
    outputs: _containers.MessageMap[str, _value_pb2.Value]
    input_tensors: _containers.RepeatedCompositeFieldContainer[_value_pb2.Tensor]
    output_tensors: _containers.RepeatedCompositeFieldContainer[_value_pb2.Tensor]
    latency: _duration_pb2.Duration
    served_features: ServedFeatures
    def __init__(self, request_id: _Optional[str] = ..., row_index: _Optional[int] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., inputs: _Optional[_Mapping[str, _value_pb2.Value]] = ..., outputs: _Optional[_Mapping[str, _value_pb2.Value]] = ..., input_tensors: _Optional[_Iterable[_Union[_value_pb2.Tensor, _Mapping]]] = ..., output_tensors: _Optional[_Iterable[_Union[_value_pb2.Tensor, _Mapping]]] = ..., latency: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., served_features: _Optional[_Union[ServedFeatures, _Mapping]] = ...) -> None: ...

class ServedFeatures(_message.Message):
    __slots__ = ("entity_key", "features")
    class EntityKeyEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _value_pb2.Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_value_pb2.Value, _Mapping]] = ...) -> None: ...
    class FeaturesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ENTITY_KEY_FIELD_NUMBER: _ClassVar[int]
    FEATURES_FIELD_NUMBER: _ClassVar[int]
    entity_key: _containers.MessageMap[str, _value_pb2.Value]
    features: _containers.ScalarMap[str, str]
    def __init__(self, entity_key: _Optional[_Mapping[str, _value_pb2.Value]] = ..., features: _Optional[_Mapping[str, str]] = ...) -> None: ...

class GroundTruthReceived(_message.Message):
    __slots__ = ("model_name", "labels", "source", "principal")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    labels: _containers.RepeatedCompositeFieldContainer[GroundTruth]
    source: str
    principal: _principal_pb2.Principal
    def __init__(self, model_name: _Optional[str] = ..., labels: _Optional[_Iterable[_Union[GroundTruth, _Mapping]]] = ..., source: _Optional[str] = ..., principal: _Optional[_Union[_principal_pb2.Principal, _Mapping]] = ...) -> None: ...

class GroundTruth(_message.Message):
    __slots__ = ("request_id", "row_index", "label", "time")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ROW_INDEX_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    row_index: int
    label: _value_pb2.Value
    time: _timestamp_pb2.Timestamp
    def __init__(self, request_id: _Optional[str] = ..., row_index: _Optional[int] = ..., label: _Optional[_Union[_value_pb2.Value, _Mapping]] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
