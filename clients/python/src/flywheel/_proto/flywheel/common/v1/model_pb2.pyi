from flywheel._proto.flywheel.common.v1 import trigger_pb2 as _trigger_pb2
from flywheel._proto.flywheel.common.v1 import validate_pb2 as _validate_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ModelVersionRef(_message.Message):
    __slots__ = ("model_name", "model_version")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    model_version: int
    def __init__(self, model_name: _Optional[str] = ..., model_version: _Optional[int] = ...) -> None: ...

class TensorSpec(_message.Message):
    __slots__ = ("name", "datatype", "shape")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DATATYPE_FIELD_NUMBER: _ClassVar[int]
    SHAPE_FIELD_NUMBER: _ClassVar[int]
    name: str
    datatype: str
    shape: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, name: _Optional[str] = ..., datatype: _Optional[str] = ..., shape: _Optional[_Iterable[int]] = ...) -> None: ...

class ModelSignature(_message.Message):
    __slots__ = ("inputs", "outputs")
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    inputs: _containers.RepeatedCompositeFieldContainer[TensorSpec]
    outputs: _containers.RepeatedCompositeFieldContainer[TensorSpec]
    def __init__(self, inputs: _Optional[_Iterable[_Union[TensorSpec, _Mapping]]] = ..., outputs: _Optional[_Iterable[_Union[TensorSpec, _Mapping]]] = ...) -> None: ...

class ModelLineage(_message.Message):
    __slots__ = ("training_set_ref", "pipeline_run_id", "pipeline_name", "code_version", "parent_versions", "feature_service", "feature_service_version", "trigger_event")
    TRAINING_SET_REF_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_NAME_FIELD_NUMBER: _ClassVar[int]
    CODE_VERSION_FIELD_NUMBER: _ClassVar[int]
    PARENT_VERSIONS_FIELD_NUMBER: _ClassVar[int]
    FEATURE_SERVICE_FIELD_NUMBER: _ClassVar[int]
    FEATURE_SERVICE_VERSION_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_EVENT_FIELD_NUMBER: _ClassVar[int]
    training_set_ref: str
    pipeline_run_id: str
    pipeline_name: str
    code_version: str
    parent_versions: _containers.RepeatedCompositeFieldContainer[ModelVersionRef]
    feature_service: str
    feature_service_version: int
    trigger_event: _trigger_pb2.EventRef
    def __init__(self, training_set_ref: _Optional[str] = ..., pipeline_run_id: _Optional[str] = ..., pipeline_name: _Optional[str] = ..., code_version: _Optional[str] = ..., parent_versions: _Optional[_Iterable[_Union[ModelVersionRef, _Mapping]]] = ..., feature_service: _Optional[str] = ..., feature_service_version: _Optional[int] = ..., trigger_event: _Optional[_Union[_trigger_pb2.EventRef, _Mapping]] = ...) -> None: ...
