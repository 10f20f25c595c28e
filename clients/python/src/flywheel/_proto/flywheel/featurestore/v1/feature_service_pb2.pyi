from flywheel._proto.flywheel.common.v1 import resource_pb2 as _resource_pb2
from flywheel._proto.flywheel.common.v1 import validate_pb2 as _validate_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class FeatureService(_message.Message):
    __slots__ = ("name", "team", "description", "features", "labels", "version", "audit")
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
    FEATURES_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    AUDIT_FIELD_NUMBER: _ClassVar[int]
    name: str
    team: str
    description: str
    features: _containers.RepeatedScalarFieldContainer[str]
    labels: _containers.ScalarMap[str, str]
    version: int
    audit: _resource_pb2.Audit
    def __init__(self, name: _Optional[str] = ..., team: _Optional[str] = ..., description: _Optional[str] = ..., features: _Optional[_Iterable[str]] = ..., labels: _Optional[_Mapping[str, str]] = ..., version: _Optional[int] = ..., audit: _Optional[_Union[_resource_pb2.Audit, _Mapping]] = ...) -> None: ...

class FeatureServiceRef(_message.Message):
    __slots__ = ("name", "version")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: int
    def __init__(self, name: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class CreateFeatureServiceRequest(_message.Message):
    __slots__ = ("feature_service",)
    FEATURE_SERVICE_FIELD_NUMBER: _ClassVar[int]
    feature_service: FeatureService
    def __init__(self, feature_service: _Optional[_Union[FeatureService, _Mapping]] = ...) -> None: ...

class CreateFeatureServiceResponse(_message.Message):
    __slots__ = ("feature_service", "created")
    FEATURE_SERVICE_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    feature_service: FeatureService
    created: bool
    def __init__(self, feature_service: _Optional[_Union[FeatureService, _Mapping]] = ..., created: bool = ...) -> None: ...

class GetFeatureServiceRequest(_message.Message):
    __slots__ = ("name", "version")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: int
    def __init__(self, name: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class GetFeatureServiceResponse(_message.Message):
    __slots__ = ("feature_service",)
    FEATURE_SERVICE_FIELD_NUMBER: _ClassVar[int]
    feature_service: FeatureService
    def __init__(self, feature_service: _Optional[_Union[FeatureService, _Mapping]] = ...) -> None: ...

class ListFeatureServicesRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListFeatureServicesResponse(_message.Message):
    __slots__ = ("feature_services",)
    FEATURE_SERVICES_FIELD_NUMBER: _ClassVar[int]
    feature_services: _containers.RepeatedCompositeFieldContainer[FeatureService]
    def __init__(self, feature_services: _Optional[_Iterable[_Union[FeatureService, _Mapping]]] = ...) -> None: ...
