import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ExpectationAction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXPECTATION_ACTION_UNSPECIFIED: _ClassVar[ExpectationAction]
    EXPECTATION_ACTION_WARN: _ClassVar[ExpectationAction]
    EXPECTATION_ACTION_REJECT: _ClassVar[ExpectationAction]
EXPECTATION_ACTION_UNSPECIFIED: ExpectationAction
EXPECTATION_ACTION_WARN: ExpectationAction
EXPECTATION_ACTION_REJECT: ExpectationAction

class Expectation(_message.Message):
    __slots__ = ("feature", "not_null", "range", "allowed_categories", "freshness", "action")
    FEATURE_FIELD_NUMBER: _ClassVar[int]
    NOT_NULL_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    FRESHNESS_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    feature: str
    not_null: NotNullExpectation
    range: RangeExpectation
    allowed_categories: AllowedCategoriesExpectation
    freshness: FreshnessExpectation
    action: ExpectationAction
    def __init__(self, feature: _Optional[str] = ..., not_null: _Optional[_Union[NotNullExpectation, _Mapping]] = ..., range: _Optional[_Union[RangeExpectation, _Mapping]] = ..., allowed_categories: _Optional[_Union[AllowedCategoriesExpectation, _Mapping]] = ..., freshness: _Optional[_Union[FreshnessExpectation, _Mapping]] = ..., action: _Optional[_Union[ExpectationAction, str]] = ...) -> None: ...

class NotNullExpectation(_message.Message):
    __slots__ = ("max_null_fraction",)
    MAX_NULL_FRACTION_FIELD_NUMBER: _ClassVar[int]
    max_null_fraction: float
    def __init__(self, max_null_fraction: _Optional[float] = ...) -> None: ...

class RangeExpectation(_message.Message):
    __slots__ = ("min", "max")
    MIN_FIELD_NUMBER: _ClassVar[int]
    MAX_FIELD_NUMBER: _ClassVar[int]
    min: float
    max: float
    def __init__(self, min: _Optional[float] = ..., max: _Optional[float] = ...) -> None: ...

class AllowedCategoriesExpectation(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, values: _Optional[_Iterable[str]] = ...) -> None: ...

class FreshnessExpectation(_message.Message):
    __slots__ = ("max_age",)
    MAX_AGE_FIELD_NUMBER: _ClassVar[int]
    max_age: _duration_pb2.Duration
    def __init__(self, max_age: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...
