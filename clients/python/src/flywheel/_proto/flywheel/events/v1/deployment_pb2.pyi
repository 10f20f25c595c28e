import datetime

from flywheel._proto.flywheel.common.v1 import principal_pb2 as _principal_pb2
from flywheel._proto.flywheel.events.v1 import options_pb2 as _options_pb2
from flywheel._proto.flywheel.serving.v1 import serving_pb2 as _serving_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DeploymentCreated(_message.Message):
    __slots__ = ("deployment_name", "team", "model_name", "model_version", "alias", "principal")
    DEPLOYMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    ALIAS_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    deployment_name: str
    team: str
    model_name: str
    model_version: int
    alias: str
    principal: _principal_pb2.Principal
    def __init__(self, deployment_name: _Optional[str] = ..., team: _Optional[str] = ..., model_name: _Optional[str] = ..., model_version: _Optional[int] = ..., alias: _Optional[str] = ..., principal: _Optional[_Union[_principal_pb2.Principal, _Mapping]] = ...) -> None: ...

class DeploymentRolledOut(_message.Message):
    __slots__ = ("deployment_name", "team", "model_name", "model_version", "previous_version", "rollout_id", "checks", "principal")
    DEPLOYMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_VERSION_FIELD_NUMBER: _ClassVar[int]
    ROLLOUT_ID_FIELD_NUMBER: _ClassVar[int]
    CHECKS_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    deployment_name: str
    team: str
    model_name: str
    model_version: int
    previous_version: int
    rollout_id: str
    checks: _containers.RepeatedCompositeFieldContainer[_serving_pb2.SloCheck]
    principal: _principal_pb2.Principal
    def __init__(self, deployment_name: _Optional[str] = ..., team: _Optional[str] = ..., model_name: _Optional[str] = ..., model_version: _Optional[int] = ..., previous_version: _Optional[int] = ..., rollout_id: _Optional[str] = ..., checks: _Optional[_Iterable[_Union[_serving_pb2.SloCheck, _Mapping]]] = ..., principal: _Optional[_Union[_principal_pb2.Principal, _Mapping]] = ...) -> None: ...

class DeploymentRolledBack(_message.Message):
    __slots__ = ("deployment_name", "team", "model_name", "model_version", "from_version", "rollout_id", "reason", "automatic", "failed_checks", "principal")
    DEPLOYMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    FROM_VERSION_FIELD_NUMBER: _ClassVar[int]
    ROLLOUT_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    AUTOMATIC_FIELD_NUMBER: _ClassVar[int]
    FAILED_CHECKS_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    deployment_name: str
    team: str
    model_name: str
    model_version: int
    from_version: int
    rollout_id: str
    reason: str
    automatic: bool
    failed_checks: _containers.RepeatedCompositeFieldContainer[_serving_pb2.SloCheck]
    principal: _principal_pb2.Principal
    def __init__(self, deployment_name: _Optional[str] = ..., team: _Optional[str] = ..., model_name: _Optional[str] = ..., model_version: _Optional[int] = ..., from_version: _Optional[int] = ..., rollout_id: _Optional[str] = ..., reason: _Optional[str] = ..., automatic: bool = ..., failed_checks: _Optional[_Iterable[_Union[_serving_pb2.SloCheck, _Mapping]]] = ..., principal: _Optional[_Union[_principal_pb2.Principal, _Mapping]] = ...) -> None: ...

class DeploymentTrafficChanged(_message.Message):
    __slots__ = ("deployment_name", "team", "model_name", "routes", "previous_routes", "rollout_id", "reason", "principal")
    DEPLOYMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    ROUTES_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_ROUTES_FIELD_NUMBER: _ClassVar[int]
    ROLLOUT_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    deployment_name: str
    team: str
    model_name: str
    routes: _containers.RepeatedCompositeFieldContainer[_serving_pb2.Route]
    previous_routes: _containers.RepeatedCompositeFieldContainer[_serving_pb2.Route]
    rollout_id: str
    reason: str
    principal: _principal_pb2.Principal
    def __init__(self, deployment_name: _Optional[str] = ..., team: _Optional[str] = ..., model_name: _Optional[str] = ..., routes: _Optional[_Iterable[_Union[_serving_pb2.Route, _Mapping]]] = ..., previous_routes: _Optional[_Iterable[_Union[_serving_pb2.Route, _Mapping]]] = ..., rollout_id: _Optional[str] = ..., reason: _Optional[str] = ..., principal: _Optional[_Union[_principal_pb2.Principal, _Mapping]] = ...) -> None: ...

class ShadowCompared(_message.Message):
    __slots__ = ("deployment_name", "team", "model_name", "primary_version", "shadow_version", "window_start_time", "window_end_time", "sample_count", "shadow_error_count", "agreement_rate", "mean_abs_diff", "primary_latency_p99", "shadow_latency_p99", "metrics", "principal")
    class MetricsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    DEPLOYMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    PRIMARY_VERSION_FIELD_NUMBER: _ClassVar[int]
    SHADOW_VERSION_FIELD_NUMBER: _ClassVar[int]
    WINDOW_START_TIME_FIELD_NUMBER: _ClassVar[int]
    WINDOW_END_TIME_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_COUNT_FIELD_NUMBER: _ClassVar[int]
    SHADOW_ERROR_COUNT_FIELD_NUMBER: _ClassVar[int]
    AGREEMENT_RATE_FIELD_NUMBER: _ClassVar[int]
    MEAN_ABS_DIFF_FIELD_NUMBER: _ClassVar[int]
    PRIMARY_LATENCY_P99_FIELD_NUMBER: _ClassVar[int]
    SHADOW_LATENCY_P99_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    deployment_name: str
    team: str
    model_name: str
    primary_version: int
    shadow_version: int
    window_start_time: _timestamp_pb2.Timestamp
    window_end_time: _timestamp_pb2.Timestamp
    sample_count: int
    shadow_error_count: int
    agreement_rate: float
    mean_abs_diff: float
    primary_latency_p99: _duration_pb2.Duration
    shadow_latency_p99: _duration_pb2.Duration
    metrics: _containers.ScalarMap[str, float]
    principal: _principal_pb2.Principal
    def __init__(self, deployment_name: _Optional[str] = ..., team: _Optional[str] = ..., model_name: _Optional[str] = ..., primary_version: _Optional[int] = ..., shadow_version: _Optional[int] = ..., window_start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., window_end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., sample_count: _Optional[int] = ..., shadow_error_count: _Optional[int] = ..., agreement_rate: _Optional[float] = ..., mean_abs_diff: _Optional[float] = ..., primary_latency_p99: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., shadow_latency_p99: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., metrics: _Optional[_Mapping[str, float]] = ..., principal: _Optional[_Union[_principal_pb2.Principal, _Mapping]] = ...) -> None: ...
