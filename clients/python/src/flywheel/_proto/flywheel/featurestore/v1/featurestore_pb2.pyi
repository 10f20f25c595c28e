import datetime

from flywheel._proto.flywheel.common.v1 import dataset_pb2 as _dataset_pb2
from flywheel._proto.flywheel.common.v1 import resource_pb2 as _resource_pb2
from flywheel._proto.flywheel.common.v1 import validate_pb2 as _validate_pb2
from flywheel._proto.flywheel.common.v1 import value_pb2 as _value_pb2
from flywheel._proto.flywheel.featurestore.v1 import expectations_pb2 as _expectations_pb2
from flywheel._proto.flywheel.featurestore.v1 import feature_service_pb2 as _feature_service_pb2
from flywheel._proto.flywheel.featurestore.v1 import on_demand_pb2 as _on_demand_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class WriteTarget(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WRITE_TARGET_UNSPECIFIED: _ClassVar[WriteTarget]
    WRITE_TARGET_ONLINE: _ClassVar[WriteTarget]
    WRITE_TARGET_OFFLINE: _ClassVar[WriteTarget]
    WRITE_TARGET_ONLINE_AND_OFFLINE: _ClassVar[WriteTarget]

class FeatureStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FEATURE_STATUS_UNSPECIFIED: _ClassVar[FeatureStatus]
    FEATURE_STATUS_PRESENT: _ClassVar[FeatureStatus]
    FEATURE_STATUS_NULL_VALUE: _ClassVar[FeatureStatus]
    FEATURE_STATUS_NOT_FOUND: _ClassVar[FeatureStatus]
    FEATURE_STATUS_EXPIRED: _ClassVar[FeatureStatus]
WRITE_TARGET_UNSPECIFIED: WriteTarget
WRITE_TARGET_ONLINE: WriteTarget
WRITE_TARGET_OFFLINE: WriteTarget
WRITE_TARGET_ONLINE_AND_OFFLINE: WriteTarget
FEATURE_STATUS_UNSPECIFIED: FeatureStatus
FEATURE_STATUS_PRESENT: FeatureStatus
FEATURE_STATUS_NULL_VALUE: FeatureStatus
FEATURE_STATUS_NOT_FOUND: FeatureStatus
FEATURE_STATUS_EXPIRED: FeatureStatus

class FeatureView(_message.Message):
    __slots__ = ("name", "team", "description", "entity", "features", "ttl", "source", "online", "labels", "revision", "audit", "expectations")
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ENTITY_FIELD_NUMBER: _ClassVar[int]
    FEATURES_FIELD_NUMBER: _ClassVar[int]
    TTL_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    ONLINE_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    AUDIT_FIELD_NUMBER: _ClassVar[int]
    EXPECTATIONS_FIELD_NUMBER: _ClassVar[int]
    name: str
    team: str
    description: str
    entity: Entity
    features: _containers.RepeatedCompositeFieldContainer[Feature]
    ttl: _duration_pb2.Duration
    source: Source
    online: bool
    labels: _containers.ScalarMap[str, str]
    revision: int
    audit: _resource_pb2.Audit
    expectations: _containers.RepeatedCompositeFieldContainer[_expectations_pb2.Expectation]
    def __init__(self, name: _Optional[str] = ..., team: _Optional[str] = ..., description: _Optional[str] = ..., entity: _Optional[_Union[Entity, _Mapping]] = ..., features: _Optional[_Iterable[_Union[Feature, _Mapping]]] = ..., ttl: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., source: _Optional[_Union[Source, _Mapping]] = ..., online: bool = ..., labels: _Optional[_Mapping[str, str]] = ..., revision: _Optional[int] = ..., audit: _Optional[_Union[_resource_pb2.Audit, _Mapping]] = ..., expectations: _Optional[_Iterable[_Union[_expectations_pb2.Expectation, _Mapping]]] = ...) -> None: ...

class Entity(_message.Message):
    __slots__ = ("name", "join_keys")
    NAME_FIELD_NUMBER: _ClassVar[int]
    JOIN_KEYS_FIELD_NUMBER: _ClassVar[int]
    name: str
    join_keys: _containers.RepeatedCompositeFieldContainer[JoinKey]
    def __init__(self, name: _Optional[str] = ..., join_keys: _Optional[_Iterable[_Union[JoinKey, _Mapping]]] = ...) -> None: ...

class JoinKey(_message.Message):
    __slots__ = ("name", "value_type")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_TYPE_FIELD_NUMBER: _ClassVar[int]
    name: str
    value_type: _value_pb2.ValueType
    def __init__(self, name: _Optional[str] = ..., value_type: _Optional[_Union[_value_pb2.ValueType, str]] = ...) -> None: ...

class Feature(_message.Message):
    __slots__ = ("name", "value_type", "description", "labels")
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_TYPE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    name: str
    value_type: _value_pb2.ValueType
    description: str
    labels: _containers.ScalarMap[str, str]
    def __init__(self, name: _Optional[str] = ..., value_type: _Optional[_Union[_value_pb2.ValueType, str]] = ..., description: _Optional[str] = ..., labels: _Optional[_Mapping[str, str]] = ...) -> None: ...

class Source(_message.Message):
    __slots__ = ("batch", "stream", "timestamp_field", "field_mapping")
    class FieldMappingEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    BATCH_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_FIELD_NUMBER: _ClassVar[int]
    FIELD_MAPPING_FIELD_NUMBER: _ClassVar[int]
    batch: BatchSource
    stream: StreamSource
    timestamp_field: str
    field_mapping: _containers.ScalarMap[str, str]
    def __init__(self, batch: _Optional[_Union[BatchSource, _Mapping]] = ..., stream: _Optional[_Union[StreamSource, _Mapping]] = ..., timestamp_field: _Optional[str] = ..., field_mapping: _Optional[_Mapping[str, str]] = ...) -> None: ...

class BatchSource(_message.Message):
    __slots__ = ("dataset", "uri", "format")
    DATASET_FIELD_NUMBER: _ClassVar[int]
    URI_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    dataset: str
    uri: str
    format: _dataset_pb2.DatasetFormat
    def __init__(self, dataset: _Optional[str] = ..., uri: _Optional[str] = ..., format: _Optional[_Union[_dataset_pb2.DatasetFormat, str]] = ...) -> None: ...

class StreamSource(_message.Message):
    __slots__ = ("topic", "protobuf")
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    PROTOBUF_FIELD_NUMBER: _ClassVar[int]
    topic: str
    protobuf: ProtobufFormat
    def __init__(self, topic: _Optional[str] = ..., protobuf: _Optional[_Union[ProtobufFormat, _Mapping]] = ...) -> None: ...

class ProtobufFormat(_message.Message):
    __slots__ = ("message_type", "descriptor_set")
    MESSAGE_TYPE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTOR_SET_FIELD_NUMBER: _ClassVar[int]
    message_type: str
    descriptor_set: bytes
    def __init__(self, message_type: _Optional[str] = ..., descriptor_set: _Optional[bytes] = ...) -> None: ...

class EntityKey(_message.Message):
    __slots__ = ("join_keys",)
    class JoinKeysEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _value_pb2.Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_value_pb2.Value, _Mapping]] = ...) -> None: ...
    JOIN_KEYS_FIELD_NUMBER: _ClassVar[int]
    join_keys: _containers.MessageMap[str, _value_pb2.Value]
    def __init__(self, join_keys: _Optional[_Mapping[str, _value_pb2.Value]] = ...) -> None: ...

class FeatureRow(_message.Message):
    __slots__ = ("entity_key", "event_time", "values")
    class ValuesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _value_pb2.Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_value_pb2.Value, _Mapping]] = ...) -> None: ...
    ENTITY_KEY_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    entity_key: EntityKey
    event_time: _timestamp_pb2.Timestamp
    values: _containers.MessageMap[str, _value_pb2.Value]
    def __init__(self, entity_key: _Optional[_Union[EntityKey, _Mapping]] = ..., event_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., values: _Optional[_Mapping[str, _value_pb2.Value]] = ...) -> None: ...

class ApplyFeatureViewRequest(_message.Message):
    __slots__ = ("feature_view",)
    FEATURE_VIEW_FIELD_NUMBER: _ClassVar[int]
    feature_view: FeatureView
    def __init__(self, feature_view: _Optional[_Union[FeatureView, _Mapping]] = ...) -> None: ...

class ApplyFeatureViewResponse(_message.Message):
    __slots__ = ("feature_view", "changed")
    FEATURE_VIEW_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    feature_view: FeatureView
    changed: bool
    def __init__(self, feature_view: _Optional[_Union[FeatureView, _Mapping]] = ..., changed: bool = ...) -> None: ...

class GetFeatureViewRequest(_message.Message):
    __slots__ = ("feature_view_name",)
    FEATURE_VIEW_NAME_FIELD_NUMBER: _ClassVar[int]
    feature_view_name: str
    def __init__(self, feature_view_name: _Optional[str] = ...) -> None: ...

class GetFeatureViewResponse(_message.Message):
    __slots__ = ("feature_view",)
    FEATURE_VIEW_FIELD_NUMBER: _ClassVar[int]
    feature_view: FeatureView
    def __init__(self, feature_view: _Optional[_Union[FeatureView, _Mapping]] = ...) -> None: ...

class ListFeatureViewsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "team", "entity_name")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    ENTITY_NAME_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    team: str
    entity_name: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., team: _Optional[str] = ..., entity_name: _Optional[str] = ...) -> None: ...

class ListFeatureViewsResponse(_message.Message):
    __slots__ = ("feature_views", "next_page_token")
    FEATURE_VIEWS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    feature_views: _containers.RepeatedCompositeFieldContainer[FeatureView]
    next_page_token: str
    def __init__(self, feature_views: _Optional[_Iterable[_Union[FeatureView, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeleteFeatureViewRequest(_message.Message):
    __slots__ = ("feature_view_name",)
    FEATURE_VIEW_NAME_FIELD_NUMBER: _ClassVar[int]
    feature_view_name: str
    def __init__(self, feature_view_name: _Optional[str] = ...) -> None: ...

class DeleteFeatureViewResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class IngestRequest(_message.Message):
    __slots__ = ("feature_view_name", "rows", "target")
    FEATURE_VIEW_NAME_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    feature_view_name: str
    rows: _containers.RepeatedCompositeFieldContainer[FeatureRow]
    target: WriteTarget
    def __init__(self, feature_view_name: _Optional[str] = ..., rows: _Optional[_Iterable[_Union[FeatureRow, _Mapping]]] = ..., target: _Optional[_Union[WriteTarget, str]] = ...) -> None: ...

class IngestResponse(_message.Message):
    __slots__ = ("rows_written", "rows_rejected")
    ROWS_WRITTEN_FIELD_NUMBER: _ClassVar[int]
    ROWS_REJECTED_FIELD_NUMBER: _ClassVar[int]
    rows_written: int
    rows_rejected: int
    def __init__(self, rows_written: _Optional[int] = ..., rows_rejected: _Optional[int] = ...) -> None: ...

class IngestStreamRequest(_message.Message):
    __slots__ = ("feature_view_name", "rows", "target")
    FEATURE_VIEW_NAME_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    feature_view_name: str
    rows: _containers.RepeatedCompositeFieldContainer[FeatureRow]
    target: WriteTarget
    def __init__(self, feature_view_name: _Optional[str] = ..., rows: _Optional[_Iterable[_Union[FeatureRow, _Mapping]]] = ..., target: _Optional[_Union[WriteTarget, str]] = ...) -> None: ...

class IngestStreamResponse(_message.Message):
    __slots__ = ("rows_written", "rows_rejected")
    ROWS_WRITTEN_FIELD_NUMBER: _ClassVar[int]
    ROWS_REJECTED_FIELD_NUMBER: _ClassVar[int]
    rows_written: int
    rows_rejected: int
    def __init__(self, rows_written: _Optional[int] = ..., rows_rejected: _Optional[int] = ...) -> None: ...

class GetOnlineFeaturesRequest(_message.Message):
    __slots__ = ("features", "entity_keys", "include_event_times", "feature_service", "request_data")
    FEATURES_FIELD_NUMBER: _ClassVar[int]
    ENTITY_KEYS_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_EVENT_TIMES_FIELD_NUMBER: _ClassVar[int]
    FEATURE_SERVICE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_DATA_FIELD_NUMBER: _ClassVar[int]
    features: _containers.RepeatedScalarFieldContainer[str]
    entity_keys: _containers.RepeatedCompositeFieldContainer[EntityKey]
    include_event_times: bool
    feature_service: _feature_service_pb2.FeatureServiceRef
    request_data: _containers.RepeatedCompositeFieldContainer[_on_demand_pb2.RequestData]
    def __init__(self, features: _Optional[_Iterable[str]] = ..., entity_keys: _Optional[_Iterable[_Union[EntityKey, _Mapping]]] = ..., include_event_times: bool = ..., feature_service: _Optional[_Union[_feature_service_pb2.FeatureServiceRef, _Mapping]] = ..., request_data: _Optional[_Iterable[_Union[_on_demand_pb2.RequestData, _Mapping]]] = ...) -> None: ...

class GetOnlineFeaturesResponse(_message.Message):
    __slots__ = ("feature_names", "results")
    FEATURE_NAMES_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    feature_names: _containers.RepeatedScalarFieldContainer[str]
    results: _containers.RepeatedCompositeFieldContainer[FeatureVector]
    def __init__(self, feature_names: _Optional[_Iterable[str]] = ..., results: _Optional[_Iterable[_Union[FeatureVector, _Mapping]]] = ...) -> None: ...

class FeatureVector(_message.Message):
    __slots__ = ("values", "statuses", "event_times")
    VALUES_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIMES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedCompositeFieldContainer[_value_pb2.Value]
    statuses: _containers.RepeatedScalarFieldContainer[FeatureStatus]
    event_times: _containers.RepeatedCompositeFieldContainer[_timestamp_pb2.Timestamp]
    def __init__(self, values: _Optional[_Iterable[_Union[_value_pb2.Value, _Mapping]]] = ..., statuses: _Optional[_Iterable[_Union[FeatureStatus, str]]] = ..., event_times: _Optional[_Iterable[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]]] = ...) -> None: ...

class EntityRow(_message.Message):
    __slots__ = ("entity_key", "event_time", "columns")
    class ColumnsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _value_pb2.Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_value_pb2.Value, _Mapping]] = ...) -> None: ...
    ENTITY_KEY_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    COLUMNS_FIELD_NUMBER: _ClassVar[int]
    entity_key: EntityKey
    event_time: _timestamp_pb2.Timestamp
    columns: _containers.MessageMap[str, _value_pb2.Value]
    def __init__(self, entity_key: _Optional[_Union[EntityKey, _Mapping]] = ..., event_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., columns: _Optional[_Mapping[str, _value_pb2.Value]] = ...) -> None: ...

class EntityDataframe(_message.Message):
    __slots__ = ("rows", "dataset", "view_history")
    ROWS_FIELD_NUMBER: _ClassVar[int]
    DATASET_FIELD_NUMBER: _ClassVar[int]
    VIEW_HISTORY_FIELD_NUMBER: _ClassVar[int]
    rows: EntityRows
    dataset: DatasetLocation
    view_history: ViewHistory
    def __init__(self, rows: _Optional[_Union[EntityRows, _Mapping]] = ..., dataset: _Optional[_Union[DatasetLocation, _Mapping]] = ..., view_history: _Optional[_Union[ViewHistory, _Mapping]] = ...) -> None: ...

class ViewHistory(_message.Message):
    __slots__ = ("feature_view_name", "start_time", "end_time")
    FEATURE_VIEW_NAME_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    feature_view_name: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, feature_view_name: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class EntityRows(_message.Message):
    __slots__ = ("rows",)
    ROWS_FIELD_NUMBER: _ClassVar[int]
    rows: _containers.RepeatedCompositeFieldContainer[EntityRow]
    def __init__(self, rows: _Optional[_Iterable[_Union[EntityRow, _Mapping]]] = ...) -> None: ...

class DatasetLocation(_message.Message):
    __slots__ = ("uri", "format")
    URI_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    uri: str
    format: _dataset_pb2.DatasetFormat
    def __init__(self, uri: _Optional[str] = ..., format: _Optional[_Union[_dataset_pb2.DatasetFormat, str]] = ...) -> None: ...

class GetHistoricalFeaturesRequest(_message.Message):
    __slots__ = ("features", "entity_dataframe", "feature_service")
    FEATURES_FIELD_NUMBER: _ClassVar[int]
    ENTITY_DATAFRAME_FIELD_NUMBER: _ClassVar[int]
    FEATURE_SERVICE_FIELD_NUMBER: _ClassVar[int]
    features: _containers.RepeatedScalarFieldContainer[str]
    entity_dataframe: EntityDataframe
    feature_service: _feature_service_pb2.FeatureServiceRef
    def __init__(self, features: _Optional[_Iterable[str]] = ..., entity_dataframe: _Optional[_Union[EntityDataframe, _Mapping]] = ..., feature_service: _Optional[_Union[_feature_service_pb2.FeatureServiceRef, _Mapping]] = ...) -> None: ...

class GetHistoricalFeaturesResponse(_message.Message):
    __slots__ = ("columns", "rows")
    COLUMNS_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    columns: _containers.RepeatedScalarFieldContainer[str]
    rows: _containers.RepeatedCompositeFieldContainer[HistoricalRow]
    def __init__(self, columns: _Optional[_Iterable[str]] = ..., rows: _Optional[_Iterable[_Union[HistoricalRow, _Mapping]]] = ...) -> None: ...

class StreamHistoricalFeaturesRequest(_message.Message):
    __slots__ = ("features", "entity_dataframe")
    FEATURES_FIELD_NUMBER: _ClassVar[int]
    ENTITY_DATAFRAME_FIELD_NUMBER: _ClassVar[int]
    features: _containers.RepeatedScalarFieldContainer[str]
    entity_dataframe: EntityDataframe
    def __init__(self, features: _Optional[_Iterable[str]] = ..., entity_dataframe: _Optional[_Union[EntityDataframe, _Mapping]] = ...) -> None: ...

class StreamHistoricalFeaturesResponse(_message.Message):
    __slots__ = ("columns", "rows")
    COLUMNS_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    columns: _containers.RepeatedScalarFieldContainer[str]
    rows: _containers.RepeatedCompositeFieldContainer[HistoricalRow]
    def __init__(self, columns: _Optional[_Iterable[str]] = ..., rows: _Optional[_Iterable[_Union[HistoricalRow, _Mapping]]] = ...) -> None: ...

class HistoricalRow(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedCompositeFieldContainer[_value_pb2.Value]
    def __init__(self, values: _Optional[_Iterable[_Union[_value_pb2.Value, _Mapping]]] = ...) -> None: ...

class TrainingSet(_message.Message):
    __slots__ = ("id", "name", "team", "features", "columns", "blob", "format", "row_count", "min_event_time", "max_event_time", "feature_view_revisions", "audit", "feature_service")
    class FeatureViewRevisionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    FEATURES_FIELD_NUMBER: _ClassVar[int]
    COLUMNS_FIELD_NUMBER: _ClassVar[int]
    BLOB_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    ROW_COUNT_FIELD_NUMBER: _ClassVar[int]
    MIN_EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    MAX_EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    FEATURE_VIEW_REVISIONS_FIELD_NUMBER: _ClassVar[int]
    AUDIT_FIELD_NUMBER: _ClassVar[int]
    FEATURE_SERVICE_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    team: str
    features: _containers.RepeatedScalarFieldContainer[str]
    columns: _containers.RepeatedScalarFieldContainer[str]
    blob: _dataset_pb2.BlobRef
    format: _dataset_pb2.DatasetFormat
    row_count: int
    min_event_time: _timestamp_pb2.Timestamp
    max_event_time: _timestamp_pb2.Timestamp
    feature_view_revisions: _containers.ScalarMap[str, int]
    audit: _resource_pb2.Audit
    feature_service: _feature_service_pb2.FeatureServiceRef
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., team: _Optional[str] = ..., features: _Optional[_Iterable[str]] = ..., columns: _Optional[_Iterable[str]] = ..., blob: _Optional[_Union[_dataset_pb2.BlobRef, _Mapping]] = ..., format: _Optional[_Union[_dataset_pb2.DatasetFormat, str]] = ..., row_count: _Optional[int] = ..., min_event_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., max_event_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., feature_view_revisions: _Optional[_Mapping[str, int]] = ..., audit: _Optional[_Union[_resource_pb2.Audit, _Mapping]] = ..., feature_service: _Optional[_Union[_feature_service_pb2.FeatureServiceRef, _Mapping]] = ...) -> None: ...

class CreateTrainingSetRequest(_message.Message):
    __slots__ = ("features", "entity_dataframe", "format", "name", "team", "request_id", "feature_service")
    FEATURES_FIELD_NUMBER: _ClassVar[int]
    ENTITY_DATAFRAME_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    FEATURE_SERVICE_FIELD_NUMBER: _ClassVar[int]
    features: _containers.RepeatedScalarFieldContainer[str]
    entity_dataframe: EntityDataframe
    format: _dataset_pb2.DatasetFormat
    name: str
    team: str
    request_id: str
    feature_service: _feature_service_pb2.FeatureServiceRef
    def __init__(self, features: _Optional[_Iterable[str]] = ..., entity_dataframe: _Optional[_Union[EntityDataframe, _Mapping]] = ..., format: _Optional[_Union[_dataset_pb2.DatasetFormat, str]] = ..., name: _Optional[str] = ..., team: _Optional[str] = ..., request_id: _Optional[str] = ..., feature_service: _Optional[_Union[_feature_service_pb2.FeatureServiceRef, _Mapping]] = ...) -> None: ...

class CreateTrainingSetResponse(_message.Message):
    __slots__ = ("training_set",)
    TRAINING_SET_FIELD_NUMBER: _ClassVar[int]
    training_set: TrainingSet
    def __init__(self, training_set: _Optional[_Union[TrainingSet, _Mapping]] = ...) -> None: ...

class GetTrainingSetRequest(_message.Message):
    __slots__ = ("training_set_id",)
    TRAINING_SET_ID_FIELD_NUMBER: _ClassVar[int]
    training_set_id: str
    def __init__(self, training_set_id: _Optional[str] = ...) -> None: ...

class GetTrainingSetResponse(_message.Message):
    __slots__ = ("training_set",)
    TRAINING_SET_FIELD_NUMBER: _ClassVar[int]
    training_set: TrainingSet
    def __init__(self, training_set: _Optional[_Union[TrainingSet, _Mapping]] = ...) -> None: ...

class MaterializeRequest(_message.Message):
    __slots__ = ("feature_view_names", "start_time", "end_time")
    FEATURE_VIEW_NAMES_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    feature_view_names: _containers.RepeatedScalarFieldContainer[str]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, feature_view_names: _Optional[_Iterable[str]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class MaterializeResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[MaterializationResult]
    def __init__(self, results: _Optional[_Iterable[_Union[MaterializationResult, _Mapping]]] = ...) -> None: ...

class MaterializationResult(_message.Message):
    __slots__ = ("feature_view_name", "start_time", "end_time", "rows_written")
    FEATURE_VIEW_NAME_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    ROWS_WRITTEN_FIELD_NUMBER: _ClassVar[int]
    feature_view_name: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    rows_written: int
    def __init__(self, feature_view_name: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., rows_written: _Optional[int] = ...) -> None: ...
