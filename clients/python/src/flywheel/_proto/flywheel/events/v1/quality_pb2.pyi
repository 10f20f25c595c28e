import datetime

from flywheel._proto.flywheel.events.v1 import options_pb2 as _options_pb2
from flywheel._proto.flywheel.featurestore.v1 import expectations_pb2 as _expectations_pb2
from flywheel._proto.flywheel.featurestore.v1 import featurestore_pb2 as _featurestore_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class QualityCheckStage(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    QUALITY_CHECK_STAGE_UNSPECIFIED: _ClassVar[QualityCheckStage]
    QUALITY_CHECK_STAGE_INGEST: _ClassVar[QualityCheckStage]
    QUALITY_CHECK_STAGE_ONLINE_READ: _ClassVar[QualityCheckStage]
    QUALITY_CHECK_STAGE_VIEW: _ClassVar[QualityCheckStage]
    QUALITY_CHECK_STAGE_PREDICTION: _ClassVar[QualityCheckStage]
QUALITY_CHECK_STAGE_UNSPECIFIED: QualityCheckStage
QUALITY_CHECK_STAGE_INGEST: QualityCheckStage
QUALITY_CHECK_STAGE_ONLINE_READ: QualityCheckStage
QUALITY_CHECK_STAGE_VIEW: QualityCheckStage
QUALITY_CHECK_STAGE_PREDICTION: QualityCheckStage

class DataQualityViolated(_message.Message):
    __slots__ = ("feature_view_name", "team", "feature", "expectation", "expectation_index", "stage", "checked_count", "violation_count", "rejected_count", "observed_null_fraction", "observed_min", "observed_max", "new_categories", "observed_max_age", "sample_values", "start_time", "end_time", "dataset", "dataset_uri", "monitor_name", "model_name", "model_version", "deployment_name", "prediction_event_id", "observed_violation_fraction")
    FEATURE_VIEW_NAME_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    FEATURE_FIELD_NUMBER: _ClassVar[int]
    EXPECTATION_FIELD_NUMBER: _ClassVar[int]
    EXPECTATION_INDEX_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    CHECKED_COUNT_FIELD_NUMBER: _ClassVar[int]
    VIOLATION_COUNT_FIELD_NUMBER: _ClassVar[int]
    REJECTED_COUNT_FIELD_NUMBER: _ClassVar[int]
    OBSERVED_NULL_FRACTION_FIELD_NUMBER: _ClassVar[int]
    OBSERVED_MIN_FIELD_NUMBER: _ClassVar[int]
    OBSERVED_MAX_FIELD_NUMBER: _ClassVar[int]
    NEW_CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    OBSERVED_MAX_AGE_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_VALUES_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    DATASET_FIELD_NUMBER: _ClassVar[int]
    DATASET_URI_FIELD_NUMBER: _ClassVar[int]
    MONITOR_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    DEPLOYMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    PREDICTION_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OBSERVED_VIOLATION_FRACTION_FIELD_NUMBER: _ClassVar[int]
    feature_view_name: str
    team: str
    feature: str
    expectation: _expectations_pb2.Expectation
    expectation_index: int
    stage: QualityCheckStage
    checked_count: int
    violation_count: int
    rejected_count: int
    observed_null_fraction: float
    observed_min: float
    observed_max: float
    new_categories: _containers.RepeatedScalarFieldContainer[str]
    observed_max_age: _duration_pb2.Duration
    sample_values: _containers.RepeatedScalarFieldContainer[str]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    dataset: str
    dataset_uri: str
    monitor_name: str
    model_name: str
    model_version: int
    deployment_name: str
    prediction_event_id: str
    observed_violation_fraction: float
    def __init__(self, feature_view_name: _Optional[str] = ..., team: _Optional[str] = ..., feature: _Optional[str] = ..., expectation: _Optional[_Union[_expectations_pb2.Expectation, _Mapping]] = ..., expectation_index: _Optional[int] = ..., stage: _Optional[_Union[QualityCheckStage, str]] = ..., checked_count: _Optional[int] = ..., violation_count: _Optional[int] = ..., rejected_count: _Optional[int] = ..., observed_null_fraction: _Optional[float] = ..., observed_min: _Optional[float] = ..., observed_max: _Optional[float] = ..., new_categories: _Optional[_Iterable[str]] = ..., observed_max_age: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., sample_values: _Optional[_Iterable[str]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., dataset: _Optional[str] = ..., dataset_uri: _Optional[str] = ..., monitor_name: _Optional[str] = ..., model_name: _Optional[str] = ..., model_version: _Optional[int] = ..., deployment_name: _Optional[str] = ..., prediction_event_id: _Optional[str] = ..., observed_violation_fraction: _Optional[float] = ...) -> None: ...

class FeatureRowsRejected(_message.Message):
    __slots__ = ("feature_view_name", "team", "rows", "batch_rejected_count", "dataset", "dataset_uri")
    FEATURE_VIEW_NAME_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    BATCH_REJECTED_COUNT_FIELD_NUMBER: _ClassVar[int]
    DATASET_FIELD_NUMBER: _ClassVar[int]
    DATASET_URI_FIELD_NUMBER: _ClassVar[int]
    feature_view_name: str
    team: str
    rows: _containers.RepeatedCompositeFieldContainer[RejectedFeatureRow]
    batch_rejected_count: int
    dataset: str
    dataset_uri: str
    def __init__(self, feature_view_name: _Optional[str] = ..., team: _Optional[str] = ..., rows: _Optional[_Iterable[_Union[RejectedFeatureRow, _Mapping]]] = ..., batch_rejected_count: _Optional[int] = ..., dataset: _Optional[str] = ..., dataset_uri: _Optional[str] = ...) -> None: ...

class RejectedFeatureRow(_message.Message):
    __slots__ = ("row", "reasons")
    ROW_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    row: _featurestore_pb2.FeatureRow
    reasons: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, row: _Optional[_Union[_featurestore_pb2.FeatureRow, _Mapping]] = ..., reasons: _Optional[_Iterable[str]] = ...) -> None: ...

class SkewDetected(_message.Message):
    __slots__ = ("model_name", "model_version", "deployment_name", "team", "feature", "input", "compared_count", "mismatch_count", "missing_count", "mismatch_rate", "threshold", "mean_abs_difference", "max_abs_difference", "served_mean", "training_mean", "start_time", "end_time", "prediction_event_id")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    DEPLOYMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    FEATURE_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    COMPARED_COUNT_FIELD_NUMBER: _ClassVar[int]
    MISMATCH_COUNT_FIELD_NUMBER: _ClassVar[int]
    MISSING_COUNT_FIELD_NUMBER: _ClassVar[int]
    MISMATCH_RATE_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    MEAN_ABS_DIFFERENCE_FIELD_NUMBER: _ClassVar[int]
    MAX_ABS_DIFFERENCE_FIELD_NUMBER: _ClassVar[int]
    SERVED_MEAN_FIELD_NUMBER: _ClassVar[int]
    TRAINING_MEAN_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    PREDICTION_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    model_version: int
    deployment_name: str
    team: str
    feature: str
    input: str
    compared_count: int
    mismatch_count: int
    missing_count: int
    mismatch_rate: float
    threshold: float
    mean_abs_difference: float
    max_abs_difference: float
    served_mean: float
    training_mean: float
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    prediction_event_id: str
    def __init__(self, model_name: _Optional[str] = ..., model_version: _Optional[int] = ..., deployment_name: _Optional[str] = ..., team: _Optional[str] = ..., feature: _Optional[str] = ..., input: _Optional[str] = ..., compared_count: _Optional[int] = ..., mismatch_count: _Optional[int] = ..., missing_count: _Optional[int] = ..., mismatch_rate: _Optional[float] = ..., threshold: _Optional[float] = ..., mean_abs_difference: _Optional[float] = ..., max_abs_difference: _Optional[float] = ..., served_mean: _Optional[float] = ..., training_mean: _Optional[float] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., prediction_event_id: _Optional[str] = ...) -> None: ...
