import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RunSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RUN_SOURCE_UNSPECIFIED: _ClassVar[RunSource]
    RUN_SOURCE_MANUAL: _ClassVar[RunSource]
    RUN_SOURCE_SCHEDULE: _ClassVar[RunSource]
    RUN_SOURCE_TRIGGER: _ClassVar[RunSource]
    RUN_SOURCE_RETRY: _ClassVar[RunSource]

class SuppressionReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SUPPRESSION_REASON_UNSPECIFIED: _ClassVar[SuppressionReason]
    SUPPRESSION_REASON_COOLDOWN: _ClassVar[SuppressionReason]
    SUPPRESSION_REASON_DEBOUNCED: _ClassVar[SuppressionReason]
    SUPPRESSION_REASON_PAUSED: _ClassVar[SuppressionReason]
    SUPPRESSION_REASON_DUPLICATE: _ClassVar[SuppressionReason]
    SUPPRESSION_REASON_INVALID: _ClassVar[SuppressionReason]
RUN_SOURCE_UNSPECIFIED: RunSource
RUN_SOURCE_MANUAL: RunSource
RUN_SOURCE_SCHEDULE: RunSource
RUN_SOURCE_TRIGGER: RunSource
RUN_SOURCE_RETRY: RunSource
SUPPRESSION_REASON_UNSPECIFIED: SuppressionReason
SUPPRESSION_REASON_COOLDOWN: SuppressionReason
SUPPRESSION_REASON_DEBOUNCED: SuppressionReason
SUPPRESSION_REASON_PAUSED: SuppressionReason
SUPPRESSION_REASON_DUPLICATE: SuppressionReason
SUPPRESSION_REASON_INVALID: SuppressionReason

class EventRef(_message.Message):
    __slots__ = ("id", "type", "source", "subject", "time")
    ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    type: str
    source: str
    subject: str
    time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., type: _Optional[str] = ..., source: _Optional[str] = ..., subject: _Optional[str] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RunTrigger(_message.Message):
    __slots__ = ("source", "schedule_name", "trigger_rule_name", "event", "key", "retry_of_run_id")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_NAME_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_RULE_NAME_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    RETRY_OF_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    source: RunSource
    schedule_name: str
    trigger_rule_name: str
    event: EventRef
    key: str
    retry_of_run_id: str
    def __init__(self, source: _Optional[_Union[RunSource, str]] = ..., schedule_name: _Optional[str] = ..., trigger_rule_name: _Optional[str] = ..., event: _Optional[_Union[EventRef, _Mapping]] = ..., key: _Optional[str] = ..., retry_of_run_id: _Optional[str] = ...) -> None: ...
