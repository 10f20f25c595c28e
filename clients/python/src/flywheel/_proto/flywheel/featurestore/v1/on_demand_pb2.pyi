from flywheel._proto.flywheel.common.v1 import resource_pb2 as _resource_pb2
from flywheel._proto.flywheel.common.v1 import validate_pb2 as _validate_pb2
from flywheel._proto.flywheel.common.v1 import value_pb2 as _value_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OnDemandFeatureView(_message.Message):
    __slots__ = ("name", "team", "description", "request_schema", "features", "labels", "revision", "source_features", "audit")
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
    REQUEST_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    FEATURES_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FEATURES_FIELD_NUMBER: _ClassVar[int]
    AUDIT_FIELD_NUMBER: _ClassVar[int]
    name: str
    team: str
    description: str
    request_schema: _containers.RepeatedCompositeFieldContainer[RequestField]
    features: _containers.RepeatedCompositeFieldContainer[OnDemandFeature]
    labels: _containers.ScalarMap[str, str]
    revision: int
    source_features: _containers.RepeatedScalarFieldContainer[str]
    audit: _resource_pb2.Audit
    def __init__(self, name: _Optional[str] = ..., team: _Optional[str] = ..., description: _Optional[str] = ..., request_schema: _Optional[_Iterable[_Union[RequestField, _Mapping]]] = ..., features: _Optional[_Iterable[_Union[OnDemandFeature, _Mapping]]] = ..., labels: _Optional[_Mapping[str, str]] = ..., revision: _Optional[int] = ..., source_features: _Optional[_Iterable[str]] = ..., audit: _Optional[_Union[_resource_pb2.Audit, _Mapping]] = ...) -> None: ...

class RequestField(_message.Message):
    __slots__ = ("name", "value_type")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_TYPE_FIELD_NUMBER: _ClassVar[int]
    name: str
    value_type: _value_pb2.ValueType
    def __init__(self, name: _Optional[str] = ..., value_type: _Optional[_Union[_value_pb2.ValueType, str]] = ...) -> None: ...

class OnDemandFeature(_message.Message):
    __slots__ = ("name", "value_type", "expression", "description")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_TYPE_FIELD_NUMBER: _ClassVar[int]
    EXPRESSION_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    name: str
    value_type: _value_pb2.ValueType
    expression: str
    description: str
    def __init__(self, name: _Optional[str] = ..., value_type: _Optional[_Union[_value_pb2.ValueType, str]] = ..., expression: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class ApplyOnDemandFeatureViewRequest(_message.Message):
    __slots__ = ("on_demand_feature_view",)
    ON_DEMAND_FEATURE_VIEW_FIELD_NUMBER: _ClassVar[int]
    on_demand_feature_view: OnDemandFeatureView
    def __init__(self, on_demand_feature_view: _Optional[_Union[OnDemandFeatureView, _Mapping]] = ...) -> None: ...

class ApplyOnDemandFeatureViewResponse(_message.Message):
    __slots__ = ("on_demand_feature_view", "changed")
    ON_DEMAND_FEATURE_VIEW_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    on_demand_feature_view: OnDemandFeatureView
    changed: bool
    def __init__(self, on_demand_feature_view: _Optional[_Union[OnDemandFeatureView, _Mapping]] = ..., changed: bool = ...) -> None: ...

class GetOnDemandFeatureViewRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetOnDemandFeatureViewResponse(_message.Message):
    __slots__ = ("on_demand_feature_view",)
    ON_DEMAND_FEATURE_VIEW_FIELD_NUMBER: _ClassVar[int]
    on_demand_feature_view: OnDemandFeatureView
    def __init__(self, on_demand_feature_view: _Optional[_Union[OnDemandFeatureView, _Mapping]] = ...) -> None: ...

class ListOnDemandFeatureViewsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListOnDemandFeatureViewsResponse(_message.Message):
    __slots__ = ("on_demand_feature_views",)
    ON_DEMAND_FEATURE_VIEWS_FIELD_NUMBER: _ClassVar[int]
    on_demand_feature_views: _containers.RepeatedCompositeFieldContainer[OnDemandFeatureView]
    def __init__(self, on_demand_feature_views: _Optional[_Iterable[_Union[OnDemandFeatureView, _Mapping]]] = ...) -> None: ...

class DeleteOnDemandFeatureViewRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteOnDemandFeatureViewResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RequestData(_message.Message):
    __slots__ = ("values",)
    class ValuesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _value_pb2.Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_value_pb2.Value, _Mapping]] = ...) -> None: ...
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.MessageMap[str, _value_pb2.Value]
    def __init__(self, values: _Optional[_Mapping[str, _value_pb2.Value]] = ...) -> None: ...
