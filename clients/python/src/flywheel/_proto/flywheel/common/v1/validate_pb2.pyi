from google.protobuf import descriptor_pb2 as _descriptor_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor
RULES_FIELD_NUMBER: _ClassVar[int]
rules: _descriptor.FieldDescriptor

class FieldRules(_message.Message):
    __slots__ = ("required", "pattern", "max_len", "gte", "lte")
    REQUIRED_FIELD_NUMBER: _ClassVar[int]
    PATTERN_FIELD_NUMBER: _ClassVar[int]
    MAX_LEN_FIELD_NUMBER: _ClassVar[int]
    GTE_FIELD_NUMBER: _ClassVar[int]
    LTE_FIELD_NUMBER: _ClassVar[int]
    required: bool
    pattern: str
    max_len: int
    gte: float
    lte: float
    def __init__(self, required: bool = ..., pattern: _Optional[str] = ..., max_len: _Optional[int] = ..., gte: _Optional[float] = ..., lte: _Optional[float] = ...) -> None: ...
