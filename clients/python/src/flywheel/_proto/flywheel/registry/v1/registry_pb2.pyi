import datetime

from flywheel._proto.flywheel.common.v1 import dataset_pb2 as _dataset_pb2
from flywheel._proto.flywheel.common.v1 import model_pb2 as _model_pb2
from flywheel._proto.flywheel.common.v1 import principal_pb2 as _principal_pb2
from flywheel._proto.flywheel.common.v1 import resource_pb2 as _resource_pb2
from flywheel._proto.flywheel.common.v1 import validate_pb2 as _validate_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Stage(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STAGE_UNSPECIFIED: _ClassVar[Stage]
    STAGE_NONE: _ClassVar[Stage]
    STAGE_STAGING: _ClassVar[Stage]
    STAGE_PRODUCTION: _ClassVar[Stage]
    STAGE_ARCHIVED: _ClassVar[Stage]

class ArtifactFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ARTIFACT_FORMAT_UNSPECIFIED: _ClassVar[ArtifactFormat]
    ARTIFACT_FORMAT_ONNX: _ClassVar[ArtifactFormat]

class LineageDirection(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LINEAGE_DIRECTION_UNSPECIFIED: _ClassVar[LineageDirection]
    LINEAGE_DIRECTION_UPSTREAM: _ClassVar[LineageDirection]
    LINEAGE_DIRECTION_DOWNSTREAM: _ClassVar[LineageDirection]
    LINEAGE_DIRECTION_BOTH: _ClassVar[LineageDirection]
STAGE_UNSPECIFIED: Stage
STAGE_NONE: Stage
STAGE_STAGING: Stage
STAGE_PRODUCTION: Stage
STAGE_ARCHIVED: Stage
ARTIFACT_FORMAT_UNSPECIFIED: ArtifactFormat
ARTIFACT_FORMAT_ONNX: ArtifactFormat
LINEAGE_DIRECTION_UNSPECIFIED: LineageDirection
LINEAGE_DIRECTION_UPSTREAM: LineageDirection
LINEAGE_DIRECTION_DOWNSTREAM: LineageDirection
LINEAGE_DIRECTION_BOTH: LineageDirection

class Model(_message.Message):
    __slots__ = ("name", "team", "description", "labels", "aliases", "latest_version", "audit")
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class AliasesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    ALIASES_FIELD_NUMBER: _ClassVar[int]
    LATEST_VERSION_FIELD_NUMBER: _ClassVar[int]
    AUDIT_FIELD_NUMBER: _ClassVar[int]
    name: str
    team: str
    description: str
    labels: _containers.ScalarMap[str, str]
    aliases: _containers.ScalarMap[str, int]
    latest_version: int
    audit: _resource_pb2.Audit
    def __init__(self, name: _Optional[str] = ..., team: _Optional[str] = ..., description: _Optional[str] = ..., labels: _Optional[_Mapping[str, str]] = ..., aliases: _Optional[_Mapping[str, int]] = ..., latest_version: _Optional[int] = ..., audit: _Optional[_Union[_resource_pb2.Audit, _Mapping]] = ...) -> None: ...

class Artifact(_message.Message):
    __slots__ = ("format", "blob")
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    BLOB_FIELD_NUMBER: _ClassVar[int]
    format: ArtifactFormat
    blob: _dataset_pb2.BlobRef
    def __init__(self, format: _Optional[_Union[ArtifactFormat, str]] = ..., blob: _Optional[_Union[_dataset_pb2.BlobRef, _Mapping]] = ...) -> None: ...

class ModelVersion(_message.Message):
    __slots__ = ("model_name", "version", "team", "description", "artifact", "signature", "metrics", "parameters", "tags", "lineage", "stage", "aliases", "request_id", "audit")
    class MetricsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    class ParametersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class TagsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ARTIFACT_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    LINEAGE_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    ALIASES_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    AUDIT_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    version: int
    team: str
    description: str
    artifact: Artifact
    signature: _model_pb2.ModelSignature
    metrics: _containers.ScalarMap[str, float]
    parameters: _containers.ScalarMap[str, str]
    tags: _containers.ScalarMap[str, str]
    lineage: _model_pb2.ModelLineage
    stage: Stage
    aliases: _containers.RepeatedScalarFieldContainer[str]
    request_id: str
    audit: _resource_pb2.Audit
    def __init__(self, model_name: _Optional[str] = ..., version: _Optional[int] = ..., team: _Optional[str] = ..., description: _Optional[str] = ..., artifact: _Optional[_Union[Artifact, _Mapping]] = ..., signature: _Optional[_Union[_model_pb2.ModelSignature, _Mapping]] = ..., metrics: _Optional[_Mapping[str, float]] = ..., parameters: _Optional[_Mapping[str, str]] = ..., tags: _Optional[_Mapping[str, str]] = ..., lineage: _Optional[_Union[_model_pb2.ModelLineage, _Mapping]] = ..., stage: _Optional[_Union[Stage, str]] = ..., aliases: _Optional[_Iterable[str]] = ..., request_id: _Optional[str] = ..., audit: _Optional[_Union[_resource_pb2.Audit, _Mapping]] = ...) -> None: ...

class CreateModelRequest(_message.Message):
    __slots__ = ("model_name", "team", "description", "labels")
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    team: str
    description: str
    labels: _containers.ScalarMap[str, str]
    def __init__(self, model_name: _Optional[str] = ..., team: _Optional[str] = ..., description: _Optional[str] = ..., labels: _Optional[_Mapping[str, str]] = ...) -> None: ...

class CreateModelResponse(_message.Message):
    __slots__ = ("model",)
    MODEL_FIELD_NUMBER: _ClassVar[int]
    model: Model
    def __init__(self, model: _Optional[_Union[Model, _Mapping]] = ...) -> None: ...

class GetModelRequest(_message.Message):
    __slots__ = ("model_name",)
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    def __init__(self, model_name: _Optional[str] = ...) -> None: ...

class GetModelResponse(_message.Message):
    __slots__ = ("model",)
    MODEL_FIELD_NUMBER: _ClassVar[int]
    model: Model
    def __init__(self, model: _Optional[_Union[Model, _Mapping]] = ...) -> None: ...

class ListModelsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "team", "name_prefix")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    NAME_PREFIX_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    team: str
    name_prefix: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., team: _Optional[str] = ..., name_prefix: _Optional[str] = ...) -> None: ...

class ListModelsResponse(_message.Message):
    __slots__ = ("models", "next_page_token")
    MODELS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    models: _containers.RepeatedCompositeFieldContainer[Model]
    next_page_token: str
    def __init__(self, models: _Optional[_Iterable[_Union[Model, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UploadArtifactRequest(_message.Message):
    __slots__ = ("chunk", "sha256")
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    chunk: bytes
    sha256: str
    def __init__(self, chunk: _Optional[bytes] = ..., sha256: _Optional[str] = ...) -> None: ...

class UploadArtifactResponse(_message.Message):
    __slots__ = ("blob",)
    BLOB_FIELD_NUMBER: _ClassVar[int]
    blob: _dataset_pb2.BlobRef
    def __init__(self, blob: _Optional[_Union[_dataset_pb2.BlobRef, _Mapping]] = ...) -> None: ...

class RegisterVersionRequest(_message.Message):
    __slots__ = ("request_id", "model_name", "team", "artifact_bytes", "artifact_sha256", "format", "signature", "metrics", "parameters", "tags", "lineage", "description")
    class MetricsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    class ParametersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class TagsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    ARTIFACT_BYTES_FIELD_NUMBER: _ClassVar[int]
    ARTIFACT_SHA256_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    LINEAGE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    model_name: str
    team: str
    artifact_bytes: bytes
    artifact_sha256: str
    format: ArtifactFormat
    signature: _model_pb2.ModelSignature
    metrics: _containers.ScalarMap[str, float]
    parameters: _containers.ScalarMap[str, str]
    tags: _containers.ScalarMap[str, str]
    lineage: _model_pb2.ModelLineage
    description: str
    def __init__(self, request_id: _Optional[str] = ..., model_name: _Optional[str] = ..., team: _Optional[str] = ..., artifact_bytes: _Optional[bytes] = ..., artifact_sha256: _Optional[str] = ..., format: _Optional[_Union[ArtifactFormat, str]] = ..., signature: _Optional[_Union[_model_pb2.ModelSignature, _Mapping]] = ..., metrics: _Optional[_Mapping[str, float]] = ..., parameters: _Optional[_Mapping[str, str]] = ..., tags: _Optional[_Mapping[str, str]] = ..., lineage: _Optional[_Union[_model_pb2.ModelLineage, _Mapping]] = ..., description: _Optional[str] = ...) -> None: ...

class RegisterVersionResponse(_message.Message):
    __slots__ = ("version", "created")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    version: ModelVersion
    created: bool
    def __init__(self, version: _Optional[_Union[ModelVersion, _Mapping]] = ..., created: bool = ...) -> None: ...

class GetVersionRequest(_message.Message):
    __slots__ = ("model_name", "model_version")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    model_version: int
    def __init__(self, model_name: _Optional[str] = ..., model_version: _Optional[int] = ...) -> None: ...

class GetVersionResponse(_message.Message):
    __slots__ = ("version",)
    VERSION_FIELD_NUMBER: _ClassVar[int]
    version: ModelVersion
    def __init__(self, version: _Optional[_Union[ModelVersion, _Mapping]] = ...) -> None: ...

class ListVersionsRequest(_message.Message):
    __slots__ = ("model_name", "page_size", "page_token", "stage")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    page_size: int
    page_token: str
    stage: Stage
    def __init__(self, model_name: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., stage: _Optional[_Union[Stage, str]] = ...) -> None: ...

class ListVersionsResponse(_message.Message):
    __slots__ = ("versions", "next_page_token")
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    versions: _containers.RepeatedCompositeFieldContainer[ModelVersion]
    next_page_token: str
    def __init__(self, versions: _Optional[_Iterable[_Union[ModelVersion, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class SetAliasRequest(_message.Message):
    __slots__ = ("model_name", "alias", "model_version", "expected_current_version", "reason")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    ALIAS_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_CURRENT_VERSION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    alias: str
    model_version: int
    expected_current_version: int
    reason: str
    def __init__(self, model_name: _Optional[str] = ..., alias: _Optional[str] = ..., model_version: _Optional[int] = ..., expected_current_version: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class SetAliasResponse(_message.Message):
    __slots__ = ("model", "change")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    model: Model
    change: AliasChange
    def __init__(self, model: _Optional[_Union[Model, _Mapping]] = ..., change: _Optional[_Union[AliasChange, _Mapping]] = ...) -> None: ...

class DeleteAliasRequest(_message.Message):
    __slots__ = ("model_name", "alias", "reason")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    ALIAS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    alias: str
    reason: str
    def __init__(self, model_name: _Optional[str] = ..., alias: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class DeleteAliasResponse(_message.Message):
    __slots__ = ("model", "change")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    model: Model
    change: AliasChange
    def __init__(self, model: _Optional[_Union[Model, _Mapping]] = ..., change: _Optional[_Union[AliasChange, _Mapping]] = ...) -> None: ...

class AliasChange(_message.Message):
    __slots__ = ("model_name", "alias", "previous_version", "model_version", "reason", "change_time", "principal")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    ALIAS_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_VERSION_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    CHANGE_TIME_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    alias: str
    previous_version: int
    model_version: int
    reason: str
    change_time: _timestamp_pb2.Timestamp
    principal: _principal_pb2.Principal
    def __init__(self, model_name: _Optional[str] = ..., alias: _Optional[str] = ..., previous_version: _Optional[int] = ..., model_version: _Optional[int] = ..., reason: _Optional[str] = ..., change_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., principal: _Optional[_Union[_principal_pb2.Principal, _Mapping]] = ...) -> None: ...

class GetAliasHistoryRequest(_message.Message):
    __slots__ = ("model_name", "alias", "page_size", "page_token")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    ALIAS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    alias: str
    page_size: int
    page_token: str
    def __init__(self, model_name: _Optional[str] = ..., alias: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class GetAliasHistoryResponse(_message.Message):
    __slots__ = ("changes", "next_page_token")
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    changes: _containers.RepeatedCompositeFieldContainer[AliasChange]
    next_page_token: str
    def __init__(self, changes: _Optional[_Iterable[_Union[AliasChange, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ResolveModelUriRequest(_message.Message):
    __slots__ = ("uri",)
    URI_FIELD_NUMBER: _ClassVar[int]
    uri: str
    def __init__(self, uri: _Optional[str] = ...) -> None: ...

class ResolveModelUriResponse(_message.Message):
    __slots__ = ("version", "alias")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ALIAS_FIELD_NUMBER: _ClassVar[int]
    version: ModelVersion
    alias: str
    def __init__(self, version: _Optional[_Union[ModelVersion, _Mapping]] = ..., alias: _Optional[str] = ...) -> None: ...

class TransitionStageRequest(_message.Message):
    __slots__ = ("model_name", "model_version", "stage", "archive_existing_versions", "reason")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    ARCHIVE_EXISTING_VERSIONS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    model_version: int
    stage: Stage
    archive_existing_versions: bool
    reason: str
    def __init__(self, model_name: _Optional[str] = ..., model_version: _Optional[int] = ..., stage: _Optional[_Union[Stage, str]] = ..., archive_existing_versions: bool = ..., reason: _Optional[str] = ...) -> None: ...

class TransitionStageResponse(_message.Message):
    __slots__ = ("version",)
    VERSION_FIELD_NUMBER: _ClassVar[int]
    version: ModelVersion
    def __init__(self, version: _Optional[_Union[ModelVersion, _Mapping]] = ...) -> None: ...

class StageChange(_message.Message):
    __slots__ = ("model_name", "model_version", "previous_stage", "stage", "reason", "change_time", "principal")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_STAGE_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    CHANGE_TIME_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    model_version: int
    previous_stage: Stage
    stage: Stage
    reason: str
    change_time: _timestamp_pb2.Timestamp
    principal: _principal_pb2.Principal
    def __init__(self, model_name: _Optional[str] = ..., model_version: _Optional[int] = ..., previous_stage: _Optional[_Union[Stage, str]] = ..., stage: _Optional[_Union[Stage, str]] = ..., reason: _Optional[str] = ..., change_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., principal: _Optional[_Union[_principal_pb2.Principal, _Mapping]] = ...) -> None: ...

class GetStageHistoryRequest(_message.Message):
    __slots__ = ("model_name", "model_version", "page_size", "page_token")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    model_version: int
    page_size: int
    page_token: str
    def __init__(self, model_name: _Optional[str] = ..., model_version: _Optional[int] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class GetStageHistoryResponse(_message.Message):
    __slots__ = ("changes", "next_page_token")
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    changes: _containers.RepeatedCompositeFieldContainer[StageChange]
    next_page_token: str
    def __init__(self, changes: _Optional[_Iterable[_Union[StageChange, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class FindVersionsByLineageRequest(_message.Message):
    __slots__ = ("training_set_ref", "feature_service", "code_version", "feature_service_version", "team", "page_size", "page_token")
    TRAINING_SET_REF_FIELD_NUMBER: _ClassVar[int]
    FEATURE_SERVICE_FIELD_NUMBER: _ClassVar[int]
    CODE_VERSION_FIELD_NUMBER: _ClassVar[int]
    FEATURE_SERVICE_VERSION_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    training_set_ref: str
    feature_service: str
    code_version: str
    feature_service_version: int
    team: str
    page_size: int
    page_token: str
    def __init__(self, training_set_ref: _Optional[str] = ..., feature_service: _Optional[str] = ..., code_version: _Optional[str] = ..., feature_service_version: _Optional[int] = ..., team: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class FindVersionsByLineageResponse(_message.Message):
    __slots__ = ("versions", "next_page_token")
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    versions: _containers.RepeatedCompositeFieldContainer[ModelVersion]
    next_page_token: str
    def __init__(self, versions: _Optional[_Iterable[_Union[ModelVersion, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetLineageRequest(_message.Message):
    __slots__ = ("model_name", "model_version", "direction", "depth")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    DEPTH_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    model_version: int
    direction: LineageDirection
    depth: int
    def __init__(self, model_name: _Optional[str] = ..., model_version: _Optional[int] = ..., direction: _Optional[_Union[LineageDirection, str]] = ..., depth: _Optional[int] = ...) -> None: ...

class LineageEdge(_message.Message):
    __slots__ = ("parent", "child")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    CHILD_FIELD_NUMBER: _ClassVar[int]
    parent: _model_pb2.ModelVersionRef
    child: _model_pb2.ModelVersionRef
    def __init__(self, parent: _Optional[_Union[_model_pb2.ModelVersionRef, _Mapping]] = ..., child: _Optional[_Union[_model_pb2.ModelVersionRef, _Mapping]] = ...) -> None: ...

class GetLineageResponse(_message.Message):
    __slots__ = ("versions", "edges")
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    EDGES_FIELD_NUMBER: _ClassVar[int]
    versions: _containers.RepeatedCompositeFieldContainer[ModelVersion]
    edges: _containers.RepeatedCompositeFieldContainer[LineageEdge]
    def __init__(self, versions: _Optional[_Iterable[_Union[ModelVersion, _Mapping]]] = ..., edges: _Optional[_Iterable[_Union[LineageEdge, _Mapping]]] = ...) -> None: ...

class DownloadArtifactRequest(_message.Message):
    __slots__ = ("model_name", "model_version", "offset")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    model_version: int
    offset: int
    def __init__(self, model_name: _Optional[str] = ..., model_version: _Optional[int] = ..., offset: _Optional[int] = ...) -> None: ...

class DownloadArtifactResponse(_message.Message):
    __slots__ = ("artifact", "offset", "chunk")
    ARTIFACT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    artifact: Artifact
    offset: int
    chunk: bytes
    def __init__(self, artifact: _Optional[_Union[Artifact, _Mapping]] = ..., offset: _Optional[int] = ..., chunk: _Optional[bytes] = ...) -> None: ...
