from flywheel._proto.flywheel.common.v1 import dataset_pb2 as _dataset_pb2
from flywheel._proto.flywheel.common.v1 import model_pb2 as _model_pb2
from flywheel._proto.flywheel.common.v1 import principal_pb2 as _principal_pb2
from flywheel._proto.flywheel.events.v1 import options_pb2 as _options_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ModelVersionRegistered(_message.Message):
    __slots__ = ("model_name", "model_version", "team", "artifact", "signature", "metrics", "tags", "lineage", "request_id", "principal")
    class MetricsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    class TagsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    ARTIFACT_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    LINEAGE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    model_version: int
    team: str
    artifact: _dataset_pb2.BlobRef
    signature: _model_pb2.ModelSignature
    metrics: _containers.ScalarMap[str, float]
    tags: _containers.ScalarMap[str, str]
    lineage: _model_pb2.ModelLineage
    request_id: str
    principal: _principal_pb2.Principal
    def __init__(self, model_name: _Optional[str] = ..., model_version: _Optional[int] = ..., team: _Optional[str] = ..., artifact: _Optional[_Union[_dataset_pb2.BlobRef, _Mapping]] = ..., signature: _Optional[_Union[_model_pb2.ModelSignature, _Mapping]] = ..., metrics: _Optional[_Mapping[str, float]] = ..., tags: _Optional[_Mapping[str, str]] = ..., lineage: _Optional[_Union[_model_pb2.ModelLineage, _Mapping]] = ..., request_id: _Optional[str] = ..., principal: _Optional[_Union[_principal_pb2.Principal, _Mapping]] = ...) -> None: ...

class ModelAliasChanged(_message.Message):
    __slots__ = ("model_name", "alias", "model_version", "previous_version", "team", "reason", "principal")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    ALIAS_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_VERSION_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    alias: str
    model_version: int
    previous_version: int
    team: str
    reason: str
    principal: _principal_pb2.Principal
    def __init__(self, model_name: _Optional[str] = ..., alias: _Optional[str] = ..., model_version: _Optional[int] = ..., previous_version: _Optional[int] = ..., team: _Optional[str] = ..., reason: _Optional[str] = ..., principal: _Optional[_Union[_principal_pb2.Principal, _Mapping]] = ...) -> None: ...

class PromotionRejected(_message.Message):
    __slots__ = ("model_name", "candidate_version", "champion_version", "alias", "gates", "reason", "pipeline_run_id", "team", "principal")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    CANDIDATE_VERSION_FIELD_NUMBER: _ClassVar[int]
    CHAMPION_VERSION_FIELD_NUMBER: _ClassVar[int]
    ALIAS_FIELD_NUMBER: _ClassVar[int]
    GATES_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    candidate_version: int
    champion_version: int
    alias: str
    gates: _containers.RepeatedCompositeFieldContainer[GateResult]
    reason: str
    pipeline_run_id: str
    team: str
    principal: _principal_pb2.Principal
    def __init__(self, model_name: _Optional[str] = ..., candidate_version: _Optional[int] = ..., champion_version: _Optional[int] = ..., alias: _Optional[str] = ..., gates: _Optional[_Iterable[_Union[GateResult, _Mapping]]] = ..., reason: _Optional[str] = ..., pipeline_run_id: _Optional[str] = ..., team: _Optional[str] = ..., principal: _Optional[_Union[_principal_pb2.Principal, _Mapping]] = ...) -> None: ...

class PromotionPassed(_message.Message):
    __slots__ = ("model_name", "candidate_version", "champion_version", "alias", "gates", "reason", "pipeline_run_id", "team", "principal")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    CANDIDATE_VERSION_FIELD_NUMBER: _ClassVar[int]
    CHAMPION_VERSION_FIELD_NUMBER: _ClassVar[int]
    ALIAS_FIELD_NUMBER: _ClassVar[int]
    GATES_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    candidate_version: int
    champion_version: int
    alias: str
    gates: _containers.RepeatedCompositeFieldContainer[GateResult]
    reason: str
    pipeline_run_id: str
    team: str
    principal: _principal_pb2.Principal
    def __init__(self, model_name: _Optional[str] = ..., candidate_version: _Optional[int] = ..., champion_version: _Optional[int] = ..., alias: _Optional[str] = ..., gates: _Optional[_Iterable[_Union[GateResult, _Mapping]]] = ..., reason: _Optional[str] = ..., pipeline_run_id: _Optional[str] = ..., team: _Optional[str] = ..., principal: _Optional[_Union[_principal_pb2.Principal, _Mapping]] = ...) -> None: ...

class GateResult(_message.Message):
    __slots__ = ("metric", "candidate_value", "champion_value", "threshold", "comparison", "passed")
    METRIC_FIELD_NUMBER: _ClassVar[int]
    CANDIDATE_VALUE_FIELD_NUMBER: _ClassVar[int]
    CHAMPION_VALUE_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    COMPARISON_FIELD_NUMBER: _ClassVar[int]
    PASSED_FIELD_NUMBER: _ClassVar[int]
    metric: str
    candidate_value: float
    champion_value: float
    threshold: float
    comparison: str
    passed: bool
    def __init__(self, metric: _Optional[str] = ..., candidate_value: _Optional[float] = ..., champion_value: _Optional[float] = ..., threshold: _Optional[float] = ..., comparison: _Optional[str] = ..., passed: bool = ...) -> None: ...
