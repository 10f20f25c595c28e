import datetime

from flywheel._proto.flywheel.common.v1 import dataset_pb2 as _dataset_pb2
from flywheel._proto.flywheel.common.v1 import principal_pb2 as _principal_pb2
from flywheel._proto.flywheel.events.v1 import options_pb2 as _options_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DatasetArrived(_message.Message):
    __slots__ = ("dataset", "uri", "format", "sha256", "row_count", "min_event_time", "max_event_time", "team", "labels", "principal")
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    DATASET_FIELD_NUMBER: _ClassVar[int]
    URI_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    ROW_COUNT_FIELD_NUMBER: _ClassVar[int]
    MIN_EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    MAX_EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    dataset: str
    uri: str
    format: _dataset_pb2.DatasetFormat
    sha256: str
    row_count: int
    min_event_time: _timestamp_pb2.Timestamp
    max_event_time: _timestamp_pb2.Timestamp
    team: str
    labels: _containers.ScalarMap[str, str]
    principal: _principal_pb2.Principal
    def __init__(self, dataset: _Optional[str] = ..., uri: _Optional[str] = ..., format: _Optional[_Union[_dataset_pb2.DatasetFormat, str]] = ..., sha256: _Optional[str] = ..., row_count: _Optional[int] = ..., min_event_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., max_event_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., team: _Optional[str] = ..., labels: _Optional[_Mapping[str, str]] = ..., principal: _Optional[_Union[_principal_pb2.Principal, _Mapping]] = ...) -> None: ...

class FeaturesMaterialized(_message.Message):
    __slots__ = ("feature_view_name", "team", "entity_name", "start_time", "end_time", "rows_written", "dataset", "dataset_uri", "principal")
    FEATURE_VIEW_NAME_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    ENTITY_NAME_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    ROWS_WRITTEN_FIELD_NUMBER: _ClassVar[int]
    DATASET_FIELD_NUMBER: _ClassVar[int]
    DATASET_URI_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    feature_view_name: str
    team: str
    entity_name: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    rows_written: int
    dataset: str
    dataset_uri: str
    principal: _principal_pb2.Principal
    def __init__(self, feature_view_name: _Optional[str] = ..., team: _Optional[str] = ..., entity_name: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., rows_written: _Optional[int] = ..., dataset: _Optional[str] = ..., dataset_uri: _Optional[str] = ..., principal: _Optional[_Union[_principal_pb2.Principal, _Mapping]] = ...) -> None: ...
