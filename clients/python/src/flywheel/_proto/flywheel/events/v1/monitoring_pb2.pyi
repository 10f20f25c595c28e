import datetime

from flywheel._proto.flywheel.common.v1 import principal_pb2 as _principal_pb2
from flywheel._proto.flywheel.events.v1 import options_pb2 as _options_pb2
from flywheel._proto.flywheel.monitoring.v1 import monitoring_pb2 as _monitoring_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DriftDetected(_message.Message):
    __slots__ = ("model_name", "model_version", "monitor_name", "deployment_name", "team", "feature", "feature_kind", "test", "statistic", "p_value", "threshold", "window_start_time", "window_end_time", "sample_count", "reference_count", "reference_profile_id", "drift_result_id", "evaluation_id", "drifted_feature_count", "monitored_feature_count", "principal", "segment")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    MONITOR_NAME_FIELD_NUMBER: _ClassVar[int]
    DEPLOYMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    FEATURE_FIELD_NUMBER: _ClassVar[int]
    FEATURE_KIND_FIELD_NUMBER: _ClassVar[int]
    TEST_FIELD_NUMBER: _ClassVar[int]
    STATISTIC_FIELD_NUMBER: _ClassVar[int]
    P_VALUE_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    WINDOW_START_TIME_FIELD_NUMBER: _ClassVar[int]
    WINDOW_END_TIME_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_COUNT_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_COUNT_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_PROFILE_ID_FIELD_NUMBER: _ClassVar[int]
    DRIFT_RESULT_ID_FIELD_NUMBER: _ClassVar[int]
    EVALUATION_ID_FIELD_NUMBER: _ClassVar[int]
    DRIFTED_FEATURE_COUNT_FIELD_NUMBER: _ClassVar[int]
    MONITORED_FEATURE_COUNT_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    model_version: int
    monitor_name: str
    deployment_name: str
    team: str
    feature: str
    feature_kind: _monitoring_pb2.FeatureKind
    test: _monitoring_pb2.DriftTestKind
    statistic: float
    p_value: float
    threshold: float
    window_start_time: _timestamp_pb2.Timestamp
    window_end_time: _timestamp_pb2.Timestamp
    sample_count: int
    reference_count: int
    reference_profile_id: str
    drift_result_id: str
    evaluation_id: str
    drifted_feature_count: int
    monitored_feature_count: int
    principal: _principal_pb2.Principal
    segment: str
    def __init__(self, model_name: _Optional[str] = ..., model_version: _Optional[int] = ..., monitor_name: _Optional[str] = ..., deployment_name: _Optional[str] = ..., team: _Optional[str] = ..., feature: _Optional[str] = ..., feature_kind: _Optional[_Union[_monitoring_pb2.FeatureKind, str]] = ..., test: _Optional[_Union[_monitoring_pb2.DriftTestKind, str]] = ..., statistic: _Optional[float] = ..., p_value: _Optional[float] = ..., threshold: _Optional[float] = ..., window_start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., window_end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., sample_count: _Optional[int] = ..., reference_count: _Optional[int] = ..., reference_profile_id: _Optional[str] = ..., drift_result_id: _Optional[str] = ..., evaluation_id: _Optional[str] = ..., drifted_feature_count: _Optional[int] = ..., monitored_feature_count: _Optional[int] = ..., principal: _Optional[_Union[_principal_pb2.Principal, _Mapping]] = ..., segment: _Optional[str] = ...) -> None: ...

class AlertRaised(_message.Message):
    __slots__ = ("alert_id", "model_name", "model_version", "monitor_name", "team", "kind", "severity", "title", "message", "drift_result_ids", "raise_time", "principal", "segments")
    ALERT_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    MONITOR_NAME_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DRIFT_RESULT_IDS_FIELD_NUMBER: _ClassVar[int]
    RAISE_TIME_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    SEGMENTS_FIELD_NUMBER: _ClassVar[int]
    alert_id: str
    model_name: str
    model_version: int
    monitor_name: str
    team: str
    kind: _monitoring_pb2.AlertKind
    severity: _monitoring_pb2.AlertSeverity
    title: str
    message: str
    drift_result_ids: _containers.RepeatedScalarFieldContainer[str]
    raise_time: _timestamp_pb2.Timestamp
    principal: _principal_pb2.Principal
    segments: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, alert_id: _Optional[str] = ..., model_name: _Optional[str] = ..., model_version: _Optional[int] = ..., monitor_name: _Optional[str] = ..., team: _Optional[str] = ..., kind: _Optional[_Union[_monitoring_pb2.AlertKind, str]] = ..., severity: _Optional[_Union[_monitoring_pb2.AlertSeverity, str]] = ..., title: _Optional[str] = ..., message: _Optional[str] = ..., drift_result_ids: _Optional[_Iterable[str]] = ..., raise_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., principal: _Optional[_Union[_principal_pb2.Principal, _Mapping]] = ..., segments: _Optional[_Iterable[str]] = ...) -> None: ...

class AlertResolved(_message.Message):
    __slots__ = ("alert_id", "model_name", "model_version", "monitor_name", "team", "kind", "evaluation_id", "window_start_time", "window_end_time", "clean_windows", "raise_time", "resolve_time", "principal")
    ALERT_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    MONITOR_NAME_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    EVALUATION_ID_FIELD_NUMBER: _ClassVar[int]
    WINDOW_START_TIME_FIELD_NUMBER: _ClassVar[int]
    WINDOW_END_TIME_FIELD_NUMBER: _ClassVar[int]
    CLEAN_WINDOWS_FIELD_NUMBER: _ClassVar[int]
    RAISE_TIME_FIELD_NUMBER: _ClassVar[int]
    RESOLVE_TIME_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    alert_id: str
    model_name: str
    model_version: int
    monitor_name: str
    team: str
    kind: _monitoring_pb2.AlertKind
    evaluation_id: str
    window_start_time: _timestamp_pb2.Timestamp
    window_end_time: _timestamp_pb2.Timestamp
    clean_windows: int
    raise_time: _timestamp_pb2.Timestamp
    resolve_time: _timestamp_pb2.Timestamp
    principal: _principal_pb2.Principal
    def __init__(self, alert_id: _Optional[str] = ..., model_name: _Optional[str] = ..., model_version: _Optional[int] = ..., monitor_name: _Optional[str] = ..., team: _Optional[str] = ..., kind: _Optional[_Union[_monitoring_pb2.AlertKind, str]] = ..., evaluation_id: _Optional[str] = ..., window_start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., window_end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., clean_windows: _Optional[int] = ..., raise_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., resolve_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., principal: _Optional[_Union[_principal_pb2.Principal, _Mapping]] = ...) -> None: ...
