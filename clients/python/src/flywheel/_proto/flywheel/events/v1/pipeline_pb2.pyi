import datetime

from flywheel._proto.flywheel.common.v1 import pipeline_pb2 as _pipeline_pb2
from flywheel._proto.flywheel.common.v1 import principal_pb2 as _principal_pb2
from flywheel._proto.flywheel.common.v1 import trigger_pb2 as _trigger_pb2
from flywheel._proto.flywheel.events.v1 import options_pb2 as _options_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PipelineRunRequested(_message.Message):
    __slots__ = ("run_id", "run_request_id", "pipeline_name", "pipeline_revision", "spec", "parameters", "team", "trigger", "principal")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_NAME_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_REVISION_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    run_request_id: str
    pipeline_name: str
    pipeline_revision: int
    spec: _pipeline_pb2.PipelineSpec
    parameters: _struct_pb2.Struct
    team: str
    trigger: _trigger_pb2.RunTrigger
    principal: _principal_pb2.Principal
    def __init__(self, run_id: _Optional[str] = ..., run_request_id: _Optional[str] = ..., pipeline_name: _Optional[str] = ..., pipeline_revision: _Optional[int] = ..., spec: _Optional[_Union[_pipeline_pb2.PipelineSpec, _Mapping]] = ..., parameters: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., team: _Optional[str] = ..., trigger: _Optional[_Union[_trigger_pb2.RunTrigger, _Mapping]] = ..., principal: _Optional[_Union[_principal_pb2.Principal, _Mapping]] = ...) -> None: ...

class RunSuppressed(_message.Message):
    __slots__ = ("run_request_id", "pipeline_name", "team", "trigger", "reason", "detail", "suppressed_until", "principal")
    RUN_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_NAME_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    SUPPRESSED_UNTIL_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    run_request_id: str
    pipeline_name: str
    team: str
    trigger: _trigger_pb2.RunTrigger
    reason: _trigger_pb2.SuppressionReason
    detail: str
    suppressed_until: _timestamp_pb2.Timestamp
    principal: _principal_pb2.Principal
    def __init__(self, run_request_id: _Optional[str] = ..., pipeline_name: _Optional[str] = ..., team: _Optional[str] = ..., trigger: _Optional[_Union[_trigger_pb2.RunTrigger, _Mapping]] = ..., reason: _Optional[_Union[_trigger_pb2.SuppressionReason, str]] = ..., detail: _Optional[str] = ..., suppressed_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., principal: _Optional[_Union[_principal_pb2.Principal, _Mapping]] = ...) -> None: ...

class PipelineRunStarted(_message.Message):
    __slots__ = ("run_id", "pipeline_name", "pipeline_revision", "team", "parameters", "trigger", "start_time", "principal")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_NAME_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_REVISION_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    pipeline_name: str
    pipeline_revision: int
    team: str
    parameters: _struct_pb2.Struct
    trigger: _trigger_pb2.RunTrigger
    start_time: _timestamp_pb2.Timestamp
    principal: _principal_pb2.Principal
    def __init__(self, run_id: _Optional[str] = ..., pipeline_name: _Optional[str] = ..., pipeline_revision: _Optional[int] = ..., team: _Optional[str] = ..., parameters: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., trigger: _Optional[_Union[_trigger_pb2.RunTrigger, _Mapping]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., principal: _Optional[_Union[_principal_pb2.Principal, _Mapping]] = ...) -> None: ...

class PipelineRunSucceeded(_message.Message):
    __slots__ = ("run_id", "pipeline_name", "pipeline_revision", "team", "outputs", "start_time", "end_time", "principal")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_NAME_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_REVISION_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    pipeline_name: str
    pipeline_revision: int
    team: str
    outputs: _struct_pb2.Struct
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    principal: _principal_pb2.Principal
    def __init__(self, run_id: _Optional[str] = ..., pipeline_name: _Optional[str] = ..., pipeline_revision: _Optional[int] = ..., team: _Optional[str] = ..., outputs: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., principal: _Optional[_Union[_principal_pb2.Principal, _Mapping]] = ...) -> None: ...

class PipelineRunFailed(_message.Message):
    __slots__ = ("run_id", "pipeline_name", "pipeline_revision", "team", "failure", "start_time", "end_time", "principal")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_NAME_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_REVISION_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    pipeline_name: str
    pipeline_revision: int
    team: str
    failure: _pipeline_pb2.Failure
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    principal: _principal_pb2.Principal
    def __init__(self, run_id: _Optional[str] = ..., pipeline_name: _Optional[str] = ..., pipeline_revision: _Optional[int] = ..., team: _Optional[str] = ..., failure: _Optional[_Union[_pipeline_pb2.Failure, _Mapping]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., principal: _Optional[_Union[_principal_pb2.Principal, _Mapping]] = ...) -> None: ...

class JobStarted(_message.Message):
    __slots__ = ("job_id", "run_id", "pipeline_name", "step_name", "attempt", "executor", "executor_ref", "team", "start_time", "principal")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_NAME_FIELD_NUMBER: _ClassVar[int]
    STEP_NAME_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    EXECUTOR_FIELD_NUMBER: _ClassVar[int]
    EXECUTOR_REF_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    run_id: str
    pipeline_name: str
    step_name: str
    attempt: int
    executor: str
    executor_ref: str
    team: str
    start_time: _timestamp_pb2.Timestamp
    principal: _principal_pb2.Principal
    def __init__(self, job_id: _Optional[str] = ..., run_id: _Optional[str] = ..., pipeline_name: _Optional[str] = ..., step_name: _Optional[str] = ..., attempt: _Optional[int] = ..., executor: _Optional[str] = ..., executor_ref: _Optional[str] = ..., team: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., principal: _Optional[_Union[_principal_pb2.Principal, _Mapping]] = ...) -> None: ...

class JobSucceeded(_message.Message):
    __slots__ = ("job_id", "run_id", "pipeline_name", "step_name", "attempt", "team", "outputs", "start_time", "end_time", "principal")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_NAME_FIELD_NUMBER: _ClassVar[int]
    STEP_NAME_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    run_id: str
    pipeline_name: str
    step_name: str
    attempt: int
    team: str
    outputs: _struct_pb2.Struct
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    principal: _principal_pb2.Principal
    def __init__(self, job_id: _Optional[str] = ..., run_id: _Optional[str] = ..., pipeline_name: _Optional[str] = ..., step_name: _Optional[str] = ..., attempt: _Optional[int] = ..., team: _Optional[str] = ..., outputs: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., principal: _Optional[_Union[_principal_pb2.Principal, _Mapping]] = ...) -> None: ...

class JobFailed(_message.Message):
    __slots__ = ("job_id", "run_id", "pipeline_name", "step_name", "attempt", "team", "failure", "will_retry", "next_attempt_time", "start_time", "end_time", "principal")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_NAME_FIELD_NUMBER: _ClassVar[int]
    STEP_NAME_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    WILL_RETRY_FIELD_NUMBER: _ClassVar[int]
    NEXT_ATTEMPT_TIME_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    run_id: str
    pipeline_name: str
    step_name: str
    attempt: int
    team: str
    failure: _pipeline_pb2.Failure
    will_retry: bool
    next_attempt_time: _timestamp_pb2.Timestamp
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    principal: _principal_pb2.Principal
    def __init__(self, job_id: _Optional[str] = ..., run_id: _Optional[str] = ..., pipeline_name: _Optional[str] = ..., step_name: _Optional[str] = ..., attempt: _Optional[int] = ..., team: _Optional[str] = ..., failure: _Optional[_Union[_pipeline_pb2.Failure, _Mapping]] = ..., will_retry: bool = ..., next_attempt_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., principal: _Optional[_Union[_principal_pb2.Principal, _Mapping]] = ...) -> None: ...

class RunQueued(_message.Message):
    __slots__ = ("run_id", "pipeline_name", "team", "queue", "priority", "queued_since", "principal")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_NAME_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    QUEUED_SINCE_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    pipeline_name: str
    team: str
    queue: str
    priority: int
    queued_since: _timestamp_pb2.Timestamp
    principal: _principal_pb2.Principal
    def __init__(self, run_id: _Optional[str] = ..., pipeline_name: _Optional[str] = ..., team: _Optional[str] = ..., queue: _Optional[str] = ..., priority: _Optional[int] = ..., queued_since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., principal: _Optional[_Union[_principal_pb2.Principal, _Mapping]] = ...) -> None: ...

class RunAdmitted(_message.Message):
    __slots__ = ("run_id", "pipeline_name", "team", "queue", "priority", "queued_since", "admit_time", "demand", "principal")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_NAME_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    QUEUED_SINCE_FIELD_NUMBER: _ClassVar[int]
    ADMIT_TIME_FIELD_NUMBER: _ClassVar[int]
    DEMAND_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    pipeline_name: str
    team: str
    queue: str
    priority: int
    queued_since: _timestamp_pb2.Timestamp
    admit_time: _timestamp_pb2.Timestamp
    demand: _pipeline_pb2.Resources
    principal: _principal_pb2.Principal
    def __init__(self, run_id: _Optional[str] = ..., pipeline_name: _Optional[str] = ..., team: _Optional[str] = ..., queue: _Optional[str] = ..., priority: _Optional[int] = ..., queued_since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., admit_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., demand: _Optional[_Union[_pipeline_pb2.Resources, _Mapping]] = ..., principal: _Optional[_Union[_principal_pb2.Principal, _Mapping]] = ...) -> None: ...
