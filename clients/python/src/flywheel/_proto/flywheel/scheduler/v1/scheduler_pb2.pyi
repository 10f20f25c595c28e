import datetime

from flywheel._proto.flywheel.common.v1 import pipeline_pb2 as _pipeline_pb2
from flywheel._proto.flywheel.common.v1 import principal_pb2 as _principal_pb2
from flywheel._proto.flywheel.common.v1 import resource_pb2 as _resource_pb2
from flywheel._proto.flywheel.common.v1 import trigger_pb2 as _trigger_pb2
from flywheel._proto.flywheel.common.v1 import validate_pb2 as _validate_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RunRequestStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RUN_REQUEST_STATUS_UNSPECIFIED: _ClassVar[RunRequestStatus]
    RUN_REQUEST_STATUS_PENDING: _ClassVar[RunRequestStatus]
    RUN_REQUEST_STATUS_REQUESTED: _ClassVar[RunRequestStatus]
    RUN_REQUEST_STATUS_SUPPRESSED: _ClassVar[RunRequestStatus]
RUN_REQUEST_STATUS_UNSPECIFIED: RunRequestStatus
RUN_REQUEST_STATUS_PENDING: RunRequestStatus
RUN_REQUEST_STATUS_REQUESTED: RunRequestStatus
RUN_REQUEST_STATUS_SUPPRESSED: RunRequestStatus

class Pipeline(_message.Message):
    __slots__ = ("name", "team", "description", "spec", "revision", "labels", "audit")
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
    SPEC_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    AUDIT_FIELD_NUMBER: _ClassVar[int]
    name: str
    team: str
    description: str
    spec: _pipeline_pb2.PipelineSpec
    revision: int
    labels: _containers.ScalarMap[str, str]
    audit: _resource_pb2.Audit
    def __init__(self, name: _Optional[str] = ..., team: _Optional[str] = ..., description: _Optional[str] = ..., spec: _Optional[_Union[_pipeline_pb2.PipelineSpec, _Mapping]] = ..., revision: _Optional[int] = ..., labels: _Optional[_Mapping[str, str]] = ..., audit: _Optional[_Union[_resource_pb2.Audit, _Mapping]] = ...) -> None: ...

class Schedule(_message.Message):
    __slots__ = ("name", "team", "pipeline_name", "cron", "timezone", "parameters", "skip_if_running", "paused", "pause_reason", "next_run_time", "last_run_time", "audit")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_NAME_FIELD_NUMBER: _ClassVar[int]
    CRON_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    SKIP_IF_RUNNING_FIELD_NUMBER: _ClassVar[int]
    PAUSED_FIELD_NUMBER: _ClassVar[int]
    PAUSE_REASON_FIELD_NUMBER: _ClassVar[int]
    NEXT_RUN_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_RUN_TIME_FIELD_NUMBER: _ClassVar[int]
    AUDIT_FIELD_NUMBER: _ClassVar[int]
    name: str
    team: str
    pipeline_name: str
    cron: str
    timezone: str
    parameters: _struct_pb2.Struct
    skip_if_running: bool
    paused: bool
    pause_reason: str
    next_run_time: _timestamp_pb2.Timestamp
    last_run_time: _timestamp_pb2.Timestamp
    audit: _resource_pb2.Audit
    def __init__(self, name: _Optional[str] = ..., team: _Optional[str] = ..., pipeline_name: _Optional[str] = ..., cron: _Optional[str] = ..., timezone: _Optional[str] = ..., parameters: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., skip_if_running: bool = ..., paused: bool = ..., pause_reason: _Optional[str] = ..., next_run_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_run_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., audit: _Optional[_Union[_resource_pb2.Audit, _Mapping]] = ...) -> None: ...

class EventFilter(_message.Message):
    __slots__ = ("match", "expression")
    class MatchEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    MATCH_FIELD_NUMBER: _ClassVar[int]
    EXPRESSION_FIELD_NUMBER: _ClassVar[int]
    match: _containers.ScalarMap[str, str]
    expression: str
    def __init__(self, match: _Optional[_Mapping[str, str]] = ..., expression: _Optional[str] = ...) -> None: ...

class TriggerRule(_message.Message):
    __slots__ = ("name", "team", "event_type", "filter", "pipeline_name", "parameters", "key", "debounce", "cooldown", "enabled", "audit", "topic")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_NAME_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    DEBOUNCE_FIELD_NUMBER: _ClassVar[int]
    COOLDOWN_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    AUDIT_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    name: str
    team: str
    event_type: str
    filter: EventFilter
    pipeline_name: str
    parameters: _struct_pb2.Struct
    key: str
    debounce: _duration_pb2.Duration
    cooldown: _duration_pb2.Duration
    enabled: bool
    audit: _resource_pb2.Audit
    topic: str
    def __init__(self, name: _Optional[str] = ..., team: _Optional[str] = ..., event_type: _Optional[str] = ..., filter: _Optional[_Union[EventFilter, _Mapping]] = ..., pipeline_name: _Optional[str] = ..., parameters: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., key: _Optional[str] = ..., debounce: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., cooldown: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., enabled: bool = ..., audit: _Optional[_Union[_resource_pb2.Audit, _Mapping]] = ..., topic: _Optional[str] = ...) -> None: ...

class RunRequest(_message.Message):
    __slots__ = ("id", "run_id", "pipeline_name", "pipeline_revision", "parameters", "team", "trigger", "status", "suppression_reason", "detail", "client_request_id", "request_time", "principal")
    ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_NAME_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_REVISION_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SUPPRESSION_REASON_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    CLIENT_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_TIME_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    id: str
    run_id: str
    pipeline_name: str
    pipeline_revision: int
    parameters: _struct_pb2.Struct
    team: str
    trigger: _trigger_pb2.RunTrigger
    status: RunRequestStatus
    suppression_reason: _trigger_pb2.SuppressionReason
    detail: str
    client_request_id: str
    request_time: _timestamp_pb2.Timestamp
    principal: _principal_pb2.Principal
    def __init__(self, id: _Optional[str] = ..., run_id: _Optional[str] = ..., pipeline_name: _Optional[str] = ..., pipeline_revision: _Optional[int] = ..., parameters: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., team: _Optional[str] = ..., trigger: _Optional[_Union[_trigger_pb2.RunTrigger, _Mapping]] = ..., status: _Optional[_Union[RunRequestStatus, str]] = ..., suppression_reason: _Optional[_Union[_trigger_pb2.SuppressionReason, str]] = ..., detail: _Optional[str] = ..., client_request_id: _Optional[str] = ..., request_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., principal: _Optional[_Union[_principal_pb2.Principal, _Mapping]] = ...) -> None: ...

class CreatePipelineRequest(_message.Message):
    __slots__ = ("pipeline",)
    PIPELINE_FIELD_NUMBER: _ClassVar[int]
    pipeline: Pipeline
    def __init__(self, pipeline: _Optional[_Union[Pipeline, _Mapping]] = ...) -> None: ...

class CreatePipelineResponse(_message.Message):
    __slots__ = ("pipeline",)
    PIPELINE_FIELD_NUMBER: _ClassVar[int]
    pipeline: Pipeline
    def __init__(self, pipeline: _Optional[_Union[Pipeline, _Mapping]] = ...) -> None: ...

class GetPipelineRequest(_message.Message):
    __slots__ = ("pipeline_name", "revision")
    PIPELINE_NAME_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    pipeline_name: str
    revision: int
    def __init__(self, pipeline_name: _Optional[str] = ..., revision: _Optional[int] = ...) -> None: ...

class GetPipelineResponse(_message.Message):
    __slots__ = ("pipeline",)
    PIPELINE_FIELD_NUMBER: _ClassVar[int]
    pipeline: Pipeline
    def __init__(self, pipeline: _Optional[_Union[Pipeline, _Mapping]] = ...) -> None: ...

class ListPipelinesRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "team")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    team: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., team: _Optional[str] = ...) -> None: ...

class ListPipelinesResponse(_message.Message):
    __slots__ = ("pipelines", "next_page_token")
    PIPELINES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    pipelines: _containers.RepeatedCompositeFieldContainer[Pipeline]
    next_page_token: str
    def __init__(self, pipelines: _Optional[_Iterable[_Union[Pipeline, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdatePipelineRequest(_message.Message):
    __slots__ = ("pipeline_name", "spec", "expected_revision", "description")
    PIPELINE_NAME_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_REVISION_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    pipeline_name: str
    spec: _pipeline_pb2.PipelineSpec
    expected_revision: int
    description: str
    def __init__(self, pipeline_name: _Optional[str] = ..., spec: _Optional[_Union[_pipeline_pb2.PipelineSpec, _Mapping]] = ..., expected_revision: _Optional[int] = ..., description: _Optional[str] = ...) -> None: ...

class UpdatePipelineResponse(_message.Message):
    __slots__ = ("pipeline",)
    PIPELINE_FIELD_NUMBER: _ClassVar[int]
    pipeline: Pipeline
    def __init__(self, pipeline: _Optional[_Union[Pipeline, _Mapping]] = ...) -> None: ...

class DeletePipelineRequest(_message.Message):
    __slots__ = ("pipeline_name",)
    PIPELINE_NAME_FIELD_NUMBER: _ClassVar[int]
    pipeline_name: str
    def __init__(self, pipeline_name: _Optional[str] = ...) -> None: ...

class DeletePipelineResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CreateScheduleRequest(_message.Message):
    __slots__ = ("schedule",)
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    schedule: Schedule
    def __init__(self, schedule: _Optional[_Union[Schedule, _Mapping]] = ...) -> None: ...

class CreateScheduleResponse(_message.Message):
    __slots__ = ("schedule",)
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    schedule: Schedule
    def __init__(self, schedule: _Optional[_Union[Schedule, _Mapping]] = ...) -> None: ...

class GetScheduleRequest(_message.Message):
    __slots__ = ("schedule_name",)
    SCHEDULE_NAME_FIELD_NUMBER: _ClassVar[int]
    schedule_name: str
    def __init__(self, schedule_name: _Optional[str] = ...) -> None: ...

class GetScheduleResponse(_message.Message):
    __slots__ = ("schedule",)
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    schedule: Schedule
    def __init__(self, schedule: _Optional[_Union[Schedule, _Mapping]] = ...) -> None: ...

class ListSchedulesRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "pipeline_name")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_NAME_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    pipeline_name: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., pipeline_name: _Optional[str] = ...) -> None: ...

class ListSchedulesResponse(_message.Message):
    __slots__ = ("schedules", "next_page_token")
    SCHEDULES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    schedules: _containers.RepeatedCompositeFieldContainer[Schedule]
    next_page_token: str
    def __init__(self, schedules: _Optional[_Iterable[_Union[Schedule, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeleteScheduleRequest(_message.Message):
    __slots__ = ("schedule_name",)
    SCHEDULE_NAME_FIELD_NUMBER: _ClassVar[int]
    schedule_name: str
    def __init__(self, schedule_name: _Optional[str] = ...) -> None: ...

class DeleteScheduleResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PauseScheduleRequest(_message.Message):
    __slots__ = ("schedule_name", "reason")
    SCHEDULE_NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    schedule_name: str
    reason: str
    def __init__(self, schedule_name: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class PauseScheduleResponse(_message.Message):
    __slots__ = ("schedule",)
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    schedule: Schedule
    def __init__(self, schedule: _Optional[_Union[Schedule, _Mapping]] = ...) -> None: ...

class ResumeScheduleRequest(_message.Message):
    __slots__ = ("schedule_name",)
    SCHEDULE_NAME_FIELD_NUMBER: _ClassVar[int]
    schedule_name: str
    def __init__(self, schedule_name: _Optional[str] = ...) -> None: ...

class ResumeScheduleResponse(_message.Message):
    __slots__ = ("schedule",)
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    schedule: Schedule
    def __init__(self, schedule: _Optional[_Union[Schedule, _Mapping]] = ...) -> None: ...

class CreateTriggerRuleRequest(_message.Message):
    __slots__ = ("trigger_rule",)
    TRIGGER_RULE_FIELD_NUMBER: _ClassVar[int]
    trigger_rule: TriggerRule
    def __init__(self, trigger_rule: _Optional[_Union[TriggerRule, _Mapping]] = ...) -> None: ...

class CreateTriggerRuleResponse(_message.Message):
    __slots__ = ("trigger_rule",)
    TRIGGER_RULE_FIELD_NUMBER: _ClassVar[int]
    trigger_rule: TriggerRule
    def __init__(self, trigger_rule: _Optional[_Union[TriggerRule, _Mapping]] = ...) -> None: ...

class GetTriggerRuleRequest(_message.Message):
    __slots__ = ("trigger_rule_name",)
    TRIGGER_RULE_NAME_FIELD_NUMBER: _ClassVar[int]
    trigger_rule_name: str
    def __init__(self, trigger_rule_name: _Optional[str] = ...) -> None: ...

class GetTriggerRuleResponse(_message.Message):
    __slots__ = ("trigger_rule",)
    TRIGGER_RULE_FIELD_NUMBER: _ClassVar[int]
    trigger_rule: TriggerRule
    def __init__(self, trigger_rule: _Optional[_Union[TriggerRule, _Mapping]] = ...) -> None: ...

class ListTriggerRulesRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "pipeline_name", "event_type")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_NAME_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    pipeline_name: str
    event_type: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., pipeline_name: _Optional[str] = ..., event_type: _Optional[str] = ...) -> None: ...

class ListTriggerRulesResponse(_message.Message):
    __slots__ = ("trigger_rules", "next_page_token")
    TRIGGER_RULES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    trigger_rules: _containers.RepeatedCompositeFieldContainer[TriggerRule]
    next_page_token: str
    def __init__(self, trigger_rules: _Optional[_Iterable[_Union[TriggerRule, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeleteTriggerRuleRequest(_message.Message):
    __slots__ = ("trigger_rule_name",)
    TRIGGER_RULE_NAME_FIELD_NUMBER: _ClassVar[int]
    trigger_rule_name: str
    def __init__(self, trigger_rule_name: _Optional[str] = ...) -> None: ...

class DeleteTriggerRuleResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class TriggerRunRequest(_message.Message):
    __slots__ = ("pipeline_name", "pipeline_revision", "parameters", "request_id")
    PIPELINE_NAME_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_REVISION_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    pipeline_name: str
    pipeline_revision: int
    parameters: _struct_pb2.Struct
    request_id: str
    def __init__(self, pipeline_name: _Optional[str] = ..., pipeline_revision: _Optional[int] = ..., parameters: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class TriggerRunResponse(_message.Message):
    __slots__ = ("run_request", "run_id")
    RUN_REQUEST_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    run_request: RunRequest
    run_id: str
    def __init__(self, run_request: _Optional[_Union[RunRequest, _Mapping]] = ..., run_id: _Optional[str] = ...) -> None: ...

class ListRunRequestsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "pipeline_name", "source", "status", "schedule_name", "trigger_rule_name", "start_time", "end_time")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_NAME_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_NAME_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_RULE_NAME_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    pipeline_name: str
    source: _trigger_pb2.RunSource
    status: RunRequestStatus
    schedule_name: str
    trigger_rule_name: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., pipeline_name: _Optional[str] = ..., source: _Optional[_Union[_trigger_pb2.RunSource, str]] = ..., status: _Optional[_Union[RunRequestStatus, str]] = ..., schedule_name: _Optional[str] = ..., trigger_rule_name: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListRunRequestsResponse(_message.Message):
    __slots__ = ("run_requests", "next_page_token")
    RUN_REQUESTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    run_requests: _containers.RepeatedCompositeFieldContainer[RunRequest]
    next_page_token: str
    def __init__(self, run_requests: _Optional[_Iterable[_Union[RunRequest, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
