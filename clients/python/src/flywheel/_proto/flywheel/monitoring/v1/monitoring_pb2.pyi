import datetime

from flywheel._proto.flywheel.common.v1 import dataset_pb2 as _dataset_pb2
from flywheel._proto.flywheel.common.v1 import resource_pb2 as _resource_pb2
from flywheel._proto.flywheel.common.v1 import validate_pb2 as _validate_pb2
from flywheel._proto.flywheel.featurestore.v1 import expectations_pb2 as _expectations_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class FeatureKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FEATURE_KIND_UNSPECIFIED: _ClassVar[FeatureKind]
    FEATURE_KIND_NUMERIC: _ClassVar[FeatureKind]
    FEATURE_KIND_CATEGORICAL: _ClassVar[FeatureKind]

class FeatureSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FEATURE_SOURCE_UNSPECIFIED: _ClassVar[FeatureSource]
    FEATURE_SOURCE_INPUT: _ClassVar[FeatureSource]
    FEATURE_SOURCE_OUTPUT: _ClassVar[FeatureSource]

class DriftTestKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DRIFT_TEST_KIND_UNSPECIFIED: _ClassVar[DriftTestKind]
    DRIFT_TEST_KIND_PSI: _ClassVar[DriftTestKind]
    DRIFT_TEST_KIND_KS: _ClassVar[DriftTestKind]
    DRIFT_TEST_KIND_CHI_SQUARE: _ClassVar[DriftTestKind]
    DRIFT_TEST_KIND_JENSEN_SHANNON: _ClassVar[DriftTestKind]
    DRIFT_TEST_KIND_WASSERSTEIN: _ClassVar[DriftTestKind]

class DriftConvention(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DRIFT_CONVENTION_UNSPECIFIED: _ClassVar[DriftConvention]
    DRIFT_CONVENTION_EVIDENTLY: _ClassVar[DriftConvention]

class TaskKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TASK_KIND_UNSPECIFIED: _ClassVar[TaskKind]
    TASK_KIND_BINARY_CLASSIFICATION: _ClassVar[TaskKind]
    TASK_KIND_MULTICLASS_CLASSIFICATION: _ClassVar[TaskKind]
    TASK_KIND_REGRESSION: _ClassVar[TaskKind]

class AlertKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ALERT_KIND_UNSPECIFIED: _ClassVar[AlertKind]
    ALERT_KIND_DRIFT: _ClassVar[AlertKind]
    ALERT_KIND_PERFORMANCE: _ClassVar[AlertKind]
    ALERT_KIND_NO_DATA: _ClassVar[AlertKind]

class AlertSeverity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ALERT_SEVERITY_UNSPECIFIED: _ClassVar[AlertSeverity]
    ALERT_SEVERITY_INFO: _ClassVar[AlertSeverity]
    ALERT_SEVERITY_WARNING: _ClassVar[AlertSeverity]
    ALERT_SEVERITY_CRITICAL: _ClassVar[AlertSeverity]

class AlertState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ALERT_STATE_UNSPECIFIED: _ClassVar[AlertState]
    ALERT_STATE_OPEN: _ClassVar[AlertState]
    ALERT_STATE_RESOLVED: _ClassVar[AlertState]
FEATURE_KIND_UNSPECIFIED: FeatureKind
FEATURE_KIND_NUMERIC: FeatureKind
FEATURE_KIND_CATEGORICAL: FeatureKind
FEATURE_SOURCE_UNSPECIFIED: FeatureSource
FEATURE_SOURCE_INPUT: FeatureSource
FEATURE_SOURCE_OUTPUT: FeatureSource
DRIFT_TEST_KIND_UNSPECIFIED: DriftTestKind
DRIFT_TEST_KIND_PSI: DriftTestKind
DRIFT_TEST_KIND_KS: DriftTestKind
DRIFT_TEST_KIND_CHI_SQUARE: DriftTestKind
DRIFT_TEST_KIND_JENSEN_SHANNON: DriftTestKind
DRIFT_TEST_KIND_WASSERSTEIN: DriftTestKind
DRIFT_CONVENTION_UNSPECIFIED: DriftConvention
DRIFT_CONVENTION_EVIDENTLY: DriftConvention
TASK_KIND_UNSPECIFIED: TaskKind
TASK_KIND_BINARY_CLASSIFICATION: TaskKind
TASK_KIND_MULTICLASS_CLASSIFICATION: TaskKind
TASK_KIND_REGRESSION: TaskKind
ALERT_KIND_UNSPECIFIED: AlertKind
ALERT_KIND_DRIFT: AlertKind
ALERT_KIND_PERFORMANCE: AlertKind
ALERT_KIND_NO_DATA: AlertKind
ALERT_SEVERITY_UNSPECIFIED: AlertSeverity
ALERT_SEVERITY_INFO: AlertSeverity
ALERT_SEVERITY_WARNING: AlertSeverity
ALERT_SEVERITY_CRITICAL: AlertSeverity
ALERT_STATE_UNSPECIFIED: AlertState
ALERT_STATE_OPEN: AlertState
ALERT_STATE_RESOLVED: AlertState

class DriftTest(_message.Message):
    __slots__ = ("kind", "threshold", "convention")
    KIND_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    CONVENTION_FIELD_NUMBER: _ClassVar[int]
    kind: DriftTestKind
    threshold: float
    convention: DriftConvention
    def __init__(self, kind: _Optional[_Union[DriftTestKind, str]] = ..., threshold: _Optional[float] = ..., convention: _Optional[_Union[DriftConvention, str]] = ...) -> None: ...

class MonitoredFeature(_message.Message):
    __slots__ = ("name", "kind", "source", "tests")
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    TESTS_FIELD_NUMBER: _ClassVar[int]
    name: str
    kind: FeatureKind
    source: FeatureSource
    tests: _containers.RepeatedCompositeFieldContainer[DriftTest]
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[_Union[FeatureKind, str]] = ..., source: _Optional[_Union[FeatureSource, str]] = ..., tests: _Optional[_Iterable[_Union[DriftTest, _Mapping]]] = ...) -> None: ...

class Window(_message.Message):
    __slots__ = ("size", "duration", "min_samples")
    SIZE_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    MIN_SAMPLES_FIELD_NUMBER: _ClassVar[int]
    size: int
    duration: _duration_pb2.Duration
    min_samples: int
    def __init__(self, size: _Optional[int] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., min_samples: _Optional[int] = ...) -> None: ...

class PerformanceSpec(_message.Message):
    __slots__ = ("task", "prediction_output", "decision_threshold", "thresholds")
    TASK_FIELD_NUMBER: _ClassVar[int]
    PREDICTION_OUTPUT_FIELD_NUMBER: _ClassVar[int]
    DECISION_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    THRESHOLDS_FIELD_NUMBER: _ClassVar[int]
    task: TaskKind
    prediction_output: str
    decision_threshold: float
    thresholds: _containers.RepeatedCompositeFieldContainer[MetricThreshold]
    def __init__(self, task: _Optional[_Union[TaskKind, str]] = ..., prediction_output: _Optional[str] = ..., decision_threshold: _Optional[float] = ..., thresholds: _Optional[_Iterable[_Union[MetricThreshold, _Mapping]]] = ...) -> None: ...

class MetricThreshold(_message.Message):
    __slots__ = ("metric", "min", "max")
    METRIC_FIELD_NUMBER: _ClassVar[int]
    MIN_FIELD_NUMBER: _ClassVar[int]
    MAX_FIELD_NUMBER: _ClassVar[int]
    metric: str
    min: float
    max: float
    def __init__(self, metric: _Optional[str] = ..., min: _Optional[float] = ..., max: _Optional[float] = ...) -> None: ...

class Monitor(_message.Message):
    __slots__ = ("name", "team", "model_name", "deployment_name", "features", "default_numeric_tests", "default_categorical_tests", "window", "performance", "alert_cooldown", "enabled", "labels", "audit", "slices", "resolve_after_clean_windows", "expectations")
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    DEPLOYMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    FEATURES_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_NUMERIC_TESTS_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_CATEGORICAL_TESTS_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    PERFORMANCE_FIELD_NUMBER: _ClassVar[int]
    ALERT_COOLDOWN_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    AUDIT_FIELD_NUMBER: _ClassVar[int]
    SLICES_FIELD_NUMBER: _ClassVar[int]
    RESOLVE_AFTER_CLEAN_WINDOWS_FIELD_NUMBER: _ClassVar[int]
    EXPECTATIONS_FIELD_NUMBER: _ClassVar[int]
    name: str
    team: str
    model_name: str
    deployment_name: str
    features: _containers.RepeatedCompositeFieldContainer[MonitoredFeature]
    default_numeric_tests: _containers.RepeatedCompositeFieldContainer[DriftTest]
    default_categorical_tests: _containers.RepeatedCompositeFieldContainer[DriftTest]
    window: Window
    performance: PerformanceSpec
    alert_cooldown: _duration_pb2.Duration
    enabled: bool
    labels: _containers.ScalarMap[str, str]
    audit: _resource_pb2.Audit
    slices: _containers.RepeatedCompositeFieldContainer[Slice]
    resolve_after_clean_windows: int
    expectations: _containers.RepeatedCompositeFieldContainer[_expectations_pb2.Expectation]
    def __init__(self, name: _Optional[str] = ..., team: _Optional[str] = ..., model_name: _Optional[str] = ..., deployment_name: _Optional[str] = ..., features: _Optional[_Iterable[_Union[MonitoredFeature, _Mapping]]] = ..., default_numeric_tests: _Optional[_Iterable[_Union[DriftTest, _Mapping]]] = ..., default_categorical_tests: _Optional[_Iterable[_Union[DriftTest, _Mapping]]] = ..., window: _Optional[_Union[Window, _Mapping]] = ..., performance: _Optional[_Union[PerformanceSpec, _Mapping]] = ..., alert_cooldown: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., enabled: bool = ..., labels: _Optional[_Mapping[str, str]] = ..., audit: _Optional[_Union[_resource_pb2.Audit, _Mapping]] = ..., slices: _Optional[_Iterable[_Union[Slice, _Mapping]]] = ..., resolve_after_clean_windows: _Optional[int] = ..., expectations: _Optional[_Iterable[_Union[_expectations_pb2.Expectation, _Mapping]]] = ...) -> None: ...

class Slice(_message.Message):
    __slots__ = ("feature", "source", "values", "edges")
    FEATURE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    EDGES_FIELD_NUMBER: _ClassVar[int]
    feature: str
    source: FeatureSource
    values: _containers.RepeatedScalarFieldContainer[str]
    edges: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, feature: _Optional[str] = ..., source: _Optional[_Union[FeatureSource, str]] = ..., values: _Optional[_Iterable[str]] = ..., edges: _Optional[_Iterable[float]] = ...) -> None: ...

class ReferenceProfile(_message.Message):
    __slots__ = ("id", "model_name", "model_version", "source_ref", "features", "create_time", "segments", "unprofiled")
    ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    SOURCE_REF_FIELD_NUMBER: _ClassVar[int]
    FEATURES_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    SEGMENTS_FIELD_NUMBER: _ClassVar[int]
    UNPROFILED_FIELD_NUMBER: _ClassVar[int]
    id: str
    model_name: str
    model_version: int
    source_ref: str
    features: _containers.RepeatedCompositeFieldContainer[FeatureProfile]
    create_time: _timestamp_pb2.Timestamp
    segments: _containers.RepeatedCompositeFieldContainer[SegmentProfile]
    unprofiled: _containers.RepeatedCompositeFieldContainer[UnprofiledFeature]
    def __init__(self, id: _Optional[str] = ..., model_name: _Optional[str] = ..., model_version: _Optional[int] = ..., source_ref: _Optional[str] = ..., features: _Optional[_Iterable[_Union[FeatureProfile, _Mapping]]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., segments: _Optional[_Iterable[_Union[SegmentProfile, _Mapping]]] = ..., unprofiled: _Optional[_Iterable[_Union[UnprofiledFeature, _Mapping]]] = ...) -> None: ...

class SegmentProfile(_message.Message):
    __slots__ = ("segment", "features")
    SEGMENT_FIELD_NUMBER: _ClassVar[int]
    FEATURES_FIELD_NUMBER: _ClassVar[int]
    segment: str
    features: _containers.RepeatedCompositeFieldContainer[FeatureProfile]
    def __init__(self, segment: _Optional[str] = ..., features: _Optional[_Iterable[_Union[FeatureProfile, _Mapping]]] = ...) -> None: ...

class UnprofiledFeature(_message.Message):
    __slots__ = ("name", "source", "reason")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    name: str
    source: FeatureSource
    reason: str
    def __init__(self, name: _Optional[str] = ..., source: _Optional[_Union[FeatureSource, str]] = ..., reason: _Optional[str] = ...) -> None: ...

class FeatureProfile(_message.Message):
    __slots__ = ("name", "kind", "source", "count", "missing_count", "numeric", "categorical")
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    MISSING_COUNT_FIELD_NUMBER: _ClassVar[int]
    NUMERIC_FIELD_NUMBER: _ClassVar[int]
    CATEGORICAL_FIELD_NUMBER: _ClassVar[int]
    name: str
    kind: FeatureKind
    source: FeatureSource
    count: int
    missing_count: int
    numeric: NumericDistribution
    categorical: CategoricalDistribution
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[_Union[FeatureKind, str]] = ..., source: _Optional[_Union[FeatureSource, str]] = ..., count: _Optional[int] = ..., missing_count: _Optional[int] = ..., numeric: _Optional[_Union[NumericDistribution, _Mapping]] = ..., categorical: _Optional[_Union[CategoricalDistribution, _Mapping]] = ...) -> None: ...

class NumericDistribution(_message.Message):
    __slots__ = ("min", "max", "mean", "stddev", "bin_edges", "bin_counts", "quantiles")
    MIN_FIELD_NUMBER: _ClassVar[int]
    MAX_FIELD_NUMBER: _ClassVar[int]
    MEAN_FIELD_NUMBER: _ClassVar[int]
    STDDEV_FIELD_NUMBER: _ClassVar[int]
    BIN_EDGES_FIELD_NUMBER: _ClassVar[int]
    BIN_COUNTS_FIELD_NUMBER: _ClassVar[int]
    QUANTILES_FIELD_NUMBER: _ClassVar[int]
    min: float
    max: float
    mean: float
    stddev: float
    bin_edges: _containers.RepeatedScalarFieldContainer[float]
    bin_counts: _containers.RepeatedScalarFieldContainer[int]
    quantiles: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, min: _Optional[float] = ..., max: _Optional[float] = ..., mean: _Optional[float] = ..., stddev: _Optional[float] = ..., bin_edges: _Optional[_Iterable[float]] = ..., bin_counts: _Optional[_Iterable[int]] = ..., quantiles: _Optional[_Iterable[float]] = ...) -> None: ...

class CategoricalDistribution(_message.Message):
    __slots__ = ("counts",)
    class CountsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    counts: _containers.ScalarMap[str, int]
    def __init__(self, counts: _Optional[_Mapping[str, int]] = ...) -> None: ...

class TestResult(_message.Message):
    __slots__ = ("kind", "statistic", "p_value", "threshold", "drifted")
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATISTIC_FIELD_NUMBER: _ClassVar[int]
    P_VALUE_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    DRIFTED_FIELD_NUMBER: _ClassVar[int]
    kind: DriftTestKind
    statistic: float
    p_value: float
    threshold: float
    drifted: bool
    def __init__(self, kind: _Optional[_Union[DriftTestKind, str]] = ..., statistic: _Optional[float] = ..., p_value: _Optional[float] = ..., threshold: _Optional[float] = ..., drifted: bool = ...) -> None: ...

class DriftResult(_message.Message):
    __slots__ = ("id", "monitor_name", "model_name", "model_version", "feature", "kind", "window_start_time", "window_end_time", "sample_count", "reference_count", "reference_profile_id", "tests", "drifted", "segment", "current_numeric", "current_categorical")
    ID_FIELD_NUMBER: _ClassVar[int]
    MONITOR_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    FEATURE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    WINDOW_START_TIME_FIELD_NUMBER: _ClassVar[int]
    WINDOW_END_TIME_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_COUNT_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_COUNT_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_PROFILE_ID_FIELD_NUMBER: _ClassVar[int]
    TESTS_FIELD_NUMBER: _ClassVar[int]
    DRIFTED_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_FIELD_NUMBER: _ClassVar[int]
    CURRENT_NUMERIC_FIELD_NUMBER: _ClassVar[int]
    CURRENT_CATEGORICAL_FIELD_NUMBER: _ClassVar[int]
    id: str
    monitor_name: str
    model_name: str
    model_version: int
    feature: str
    kind: FeatureKind
    window_start_time: _timestamp_pb2.Timestamp
    window_end_time: _timestamp_pb2.Timestamp
    sample_count: int
    reference_count: int
    reference_profile_id: str
    tests: _containers.RepeatedCompositeFieldContainer[TestResult]
    drifted: bool
    segment: str
    current_numeric: NumericDistribution
    current_categorical: CategoricalDistribution
    def __init__(self, id: _Optional[str] = ..., monitor_name: _Optional[str] = ..., model_name: _Optional[str] = ..., model_version: _Optional[int] = ..., feature: _Optional[str] = ..., kind: _Optional[_Union[FeatureKind, str]] = ..., window_start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., window_end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., sample_count: _Optional[int] = ..., reference_count: _Optional[int] = ..., reference_profile_id: _Optional[str] = ..., tests: _Optional[_Iterable[_Union[TestResult, _Mapping]]] = ..., drifted: bool = ..., segment: _Optional[str] = ..., current_numeric: _Optional[_Union[NumericDistribution, _Mapping]] = ..., current_categorical: _Optional[_Union[CategoricalDistribution, _Mapping]] = ...) -> None: ...

class UntestedFeature(_message.Message):
    __slots__ = ("monitor_name", "feature", "segment", "reason")
    MONITOR_NAME_FIELD_NUMBER: _ClassVar[int]
    FEATURE_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    monitor_name: str
    feature: str
    segment: str
    reason: str
    def __init__(self, monitor_name: _Optional[str] = ..., feature: _Optional[str] = ..., segment: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class CreateMonitorRequest(_message.Message):
    __slots__ = ("monitor",)
    MONITOR_FIELD_NUMBER: _ClassVar[int]
    monitor: Monitor
    def __init__(self, monitor: _Optional[_Union[Monitor, _Mapping]] = ...) -> None: ...

class CreateMonitorResponse(_message.Message):
    __slots__ = ("monitor",)
    MONITOR_FIELD_NUMBER: _ClassVar[int]
    monitor: Monitor
    def __init__(self, monitor: _Optional[_Union[Monitor, _Mapping]] = ...) -> None: ...

class GetMonitorRequest(_message.Message):
    __slots__ = ("monitor_name",)
    MONITOR_NAME_FIELD_NUMBER: _ClassVar[int]
    monitor_name: str
    def __init__(self, monitor_name: _Optional[str] = ...) -> None: ...

class GetMonitorResponse(_message.Message):
    __slots__ = ("monitor",)
    MONITOR_FIELD_NUMBER: _ClassVar[int]
    monitor: Monitor
    def __init__(self, monitor: _Optional[_Union[Monitor, _Mapping]] = ...) -> None: ...

class ListMonitorsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "model_name", "team")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    model_name: str
    team: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., model_name: _Optional[str] = ..., team: _Optional[str] = ...) -> None: ...

class ListMonitorsResponse(_message.Message):
    __slots__ = ("monitors", "next_page_token")
    MONITORS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    monitors: _containers.RepeatedCompositeFieldContainer[Monitor]
    next_page_token: str
    def __init__(self, monitors: _Optional[_Iterable[_Union[Monitor, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeleteMonitorRequest(_message.Message):
    __slots__ = ("monitor_name",)
    MONITOR_NAME_FIELD_NUMBER: _ClassVar[int]
    monitor_name: str
    def __init__(self, monitor_name: _Optional[str] = ...) -> None: ...

class DeleteMonitorResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SetReferenceProfileRequest(_message.Message):
    __slots__ = ("model_name", "model_version", "profile", "dataset")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    DATASET_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    model_version: int
    profile: ReferenceProfile
    dataset: ReferenceDataset
    def __init__(self, model_name: _Optional[str] = ..., model_version: _Optional[int] = ..., profile: _Optional[_Union[ReferenceProfile, _Mapping]] = ..., dataset: _Optional[_Union[ReferenceDataset, _Mapping]] = ...) -> None: ...

class ReferenceDataset(_message.Message):
    __slots__ = ("uri", "format")
    URI_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    uri: str
    format: _dataset_pb2.DatasetFormat
    def __init__(self, uri: _Optional[str] = ..., format: _Optional[_Union[_dataset_pb2.DatasetFormat, str]] = ...) -> None: ...

class SetReferenceProfileResponse(_message.Message):
    __slots__ = ("profile",)
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    profile: ReferenceProfile
    def __init__(self, profile: _Optional[_Union[ReferenceProfile, _Mapping]] = ...) -> None: ...

class GetReferenceProfileRequest(_message.Message):
    __slots__ = ("model_name", "model_version")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    model_version: int
    def __init__(self, model_name: _Optional[str] = ..., model_version: _Optional[int] = ...) -> None: ...

class GetReferenceProfileResponse(_message.Message):
    __slots__ = ("profile",)
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    profile: ReferenceProfile
    def __init__(self, profile: _Optional[_Union[ReferenceProfile, _Mapping]] = ...) -> None: ...

class GetDriftReportRequest(_message.Message):
    __slots__ = ("model_name", "model_version", "monitor_name")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    MONITOR_NAME_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    model_version: int
    monitor_name: str
    def __init__(self, model_name: _Optional[str] = ..., model_version: _Optional[int] = ..., monitor_name: _Optional[str] = ...) -> None: ...

class GetDriftReportResponse(_message.Message):
    __slots__ = ("model_name", "model_version", "results", "drifted_share", "untested")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    DRIFTED_SHARE_FIELD_NUMBER: _ClassVar[int]
    UNTESTED_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    model_version: int
    results: _containers.RepeatedCompositeFieldContainer[DriftResult]
    drifted_share: float
    untested: _containers.RepeatedCompositeFieldContainer[UntestedFeature]
    def __init__(self, model_name: _Optional[str] = ..., model_version: _Optional[int] = ..., results: _Optional[_Iterable[_Union[DriftResult, _Mapping]]] = ..., drifted_share: _Optional[float] = ..., untested: _Optional[_Iterable[_Union[UntestedFeature, _Mapping]]] = ...) -> None: ...

class ListDriftResultsRequest(_message.Message):
    __slots__ = ("model_name", "model_version", "feature", "start_time", "end_time", "drifted_only", "page_size", "page_token", "segment")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    FEATURE_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    DRIFTED_ONLY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    model_version: int
    feature: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    drifted_only: bool
    page_size: int
    page_token: str
    segment: str
    def __init__(self, model_name: _Optional[str] = ..., model_version: _Optional[int] = ..., feature: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., drifted_only: bool = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., segment: _Optional[str] = ...) -> None: ...

class ListDriftResultsResponse(_message.Message):
    __slots__ = ("results", "next_page_token")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[DriftResult]
    next_page_token: str
    def __init__(self, results: _Optional[_Iterable[_Union[DriftResult, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetPerformanceMetricsRequest(_message.Message):
    __slots__ = ("model_name", "model_version", "start_time", "end_time", "bucket", "segment")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    model_version: int
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    bucket: _duration_pb2.Duration
    segment: str
    def __init__(self, model_name: _Optional[str] = ..., model_version: _Optional[int] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., bucket: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., segment: _Optional[str] = ...) -> None: ...

class PerformanceMetrics(_message.Message):
    __slots__ = ("model_name", "model_version", "start_time", "end_time", "prediction_count", "labelled_count", "metrics", "segment")
    class MetricsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    PREDICTION_COUNT_FIELD_NUMBER: _ClassVar[int]
    LABELLED_COUNT_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    model_version: int
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    prediction_count: int
    labelled_count: int
    metrics: _containers.ScalarMap[str, float]
    segment: str
    def __init__(self, model_name: _Optional[str] = ..., model_version: _Optional[int] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., prediction_count: _Optional[int] = ..., labelled_count: _Optional[int] = ..., metrics: _Optional[_Mapping[str, float]] = ..., segment: _Optional[str] = ...) -> None: ...

class GetPerformanceMetricsResponse(_message.Message):
    __slots__ = ("metrics",)
    METRICS_FIELD_NUMBER: _ClassVar[int]
    metrics: _containers.RepeatedCompositeFieldContainer[PerformanceMetrics]
    def __init__(self, metrics: _Optional[_Iterable[_Union[PerformanceMetrics, _Mapping]]] = ...) -> None: ...

class Alert(_message.Message):
    __slots__ = ("id", "monitor_name", "model_name", "model_version", "kind", "severity", "state", "title", "message", "drift_result_ids", "raise_time", "resolve_time", "team", "segments", "resolved_by_evaluation_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    MONITOR_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DRIFT_RESULT_IDS_FIELD_NUMBER: _ClassVar[int]
    RAISE_TIME_FIELD_NUMBER: _ClassVar[int]
    RESOLVE_TIME_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    SEGMENTS_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_BY_EVALUATION_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    monitor_name: str
    model_name: str
    model_version: int
    kind: AlertKind
    severity: AlertSeverity
    state: AlertState
    title: str
    message: str
    drift_result_ids: _containers.RepeatedScalarFieldContainer[str]
    raise_time: _timestamp_pb2.Timestamp
    resolve_time: _timestamp_pb2.Timestamp
    team: str
    segments: _containers.RepeatedScalarFieldContainer[str]
    resolved_by_evaluation_id: str
    def __init__(self, id: _Optional[str] = ..., monitor_name: _Optional[str] = ..., model_name: _Optional[str] = ..., model_version: _Optional[int] = ..., kind: _Optional[_Union[AlertKind, str]] = ..., severity: _Optional[_Union[AlertSeverity, str]] = ..., state: _Optional[_Union[AlertState, str]] = ..., title: _Optional[str] = ..., message: _Optional[str] = ..., drift_result_ids: _Optional[_Iterable[str]] = ..., raise_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., resolve_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., team: _Optional[str] = ..., segments: _Optional[_Iterable[str]] = ..., resolved_by_evaluation_id: _Optional[str] = ...) -> None: ...

class ListAlertsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "model_name", "state", "min_severity", "team")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    MIN_SEVERITY_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    model_name: str
    state: AlertState
    min_severity: AlertSeverity
    team: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., model_name: _Optional[str] = ..., state: _Optional[_Union[AlertState, str]] = ..., min_severity: _Optional[_Union[AlertSeverity, str]] = ..., team: _Optional[str] = ...) -> None: ...

class ListAlertsResponse(_message.Message):
    __slots__ = ("alerts", "next_page_token")
    ALERTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    alerts: _containers.RepeatedCompositeFieldContainer[Alert]
    next_page_token: str
    def __init__(self, alerts: _Optional[_Iterable[_Union[Alert, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
