import datetime

from flywheel._proto.flywheel.common.v1 import validate_pb2 as _validate_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class FailureKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FAILURE_KIND_UNSPECIFIED: _ClassVar[FailureKind]
    FAILURE_KIND_STEP_FAILED: _ClassVar[FailureKind]
    FAILURE_KIND_TIMED_OUT: _ClassVar[FailureKind]
    FAILURE_KIND_CANCELLED: _ClassVar[FailureKind]
    FAILURE_KIND_INVALID: _ClassVar[FailureKind]
    FAILURE_KIND_EXECUTOR: _ClassVar[FailureKind]
FAILURE_KIND_UNSPECIFIED: FailureKind
FAILURE_KIND_STEP_FAILED: FailureKind
FAILURE_KIND_TIMED_OUT: FailureKind
FAILURE_KIND_CANCELLED: FailureKind
FAILURE_KIND_INVALID: FailureKind
FAILURE_KIND_EXECUTOR: FailureKind

class PipelineSpec(_message.Message):
    __slots__ = ("steps", "parameters", "timeout", "max_parallel_steps", "outputs")
    class OutputsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    STEPS_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    MAX_PARALLEL_STEPS_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    steps: _containers.RepeatedCompositeFieldContainer[Step]
    parameters: _containers.RepeatedCompositeFieldContainer[ParameterSpec]
    timeout: _duration_pb2.Duration
    max_parallel_steps: int
    outputs: _containers.ScalarMap[str, str]
    def __init__(self, steps: _Optional[_Iterable[_Union[Step, _Mapping]]] = ..., parameters: _Optional[_Iterable[_Union[ParameterSpec, _Mapping]]] = ..., timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., max_parallel_steps: _Optional[int] = ..., outputs: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ParameterSpec(_message.Message):
    __slots__ = ("name", "description", "default_value", "required")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_VALUE_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    default_value: _struct_pb2.Value
    required: bool
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., default_value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., required: bool = ...) -> None: ...

class Step(_message.Message):
    __slots__ = ("name", "builtin", "command", "depends_on", "parameters", "retry", "timeout", "resources", "condition", "for_each")
    NAME_FIELD_NUMBER: _ClassVar[int]
    BUILTIN_FIELD_NUMBER: _ClassVar[int]
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    DEPENDS_ON_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    RETRY_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    CONDITION_FIELD_NUMBER: _ClassVar[int]
    FOR_EACH_FIELD_NUMBER: _ClassVar[int]
    name: str
    builtin: BuiltinStep
    command: CommandStep
    depends_on: _containers.RepeatedScalarFieldContainer[str]
    parameters: _struct_pb2.Struct
    retry: RetryPolicy
    timeout: _duration_pb2.Duration
    resources: Resources
    condition: str
    for_each: ForEach
    def __init__(self, name: _Optional[str] = ..., builtin: _Optional[_Union[BuiltinStep, _Mapping]] = ..., command: _Optional[_Union[CommandStep, _Mapping]] = ..., depends_on: _Optional[_Iterable[str]] = ..., parameters: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., retry: _Optional[_Union[RetryPolicy, _Mapping]] = ..., timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., resources: _Optional[_Union[Resources, _Mapping]] = ..., condition: _Optional[str] = ..., for_each: _Optional[_Union[ForEach, _Mapping]] = ...) -> None: ...

class ForEach(_message.Message):
    __slots__ = ("items", "parallelism")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    PARALLELISM_FIELD_NUMBER: _ClassVar[int]
    items: str
    parallelism: int
    def __init__(self, items: _Optional[str] = ..., parallelism: _Optional[int] = ...) -> None: ...

class BuiltinStep(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class CommandStep(_message.Message):
    __slots__ = ("command", "image", "env", "working_dir", "executor", "kubernetes", "ray", "python")
    class EnvEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    ENV_FIELD_NUMBER: _ClassVar[int]
    WORKING_DIR_FIELD_NUMBER: _ClassVar[int]
    EXECUTOR_FIELD_NUMBER: _ClassVar[int]
    KUBERNETES_FIELD_NUMBER: _ClassVar[int]
    RAY_FIELD_NUMBER: _ClassVar[int]
    PYTHON_FIELD_NUMBER: _ClassVar[int]
    command: _containers.RepeatedScalarFieldContainer[str]
    image: str
    env: _containers.ScalarMap[str, str]
    working_dir: str
    executor: str
    kubernetes: KubernetesJobOptions
    ray: RayJobOptions
    python: PythonEnvironment
    def __init__(self, command: _Optional[_Iterable[str]] = ..., image: _Optional[str] = ..., env: _Optional[_Mapping[str, str]] = ..., working_dir: _Optional[str] = ..., executor: _Optional[str] = ..., kubernetes: _Optional[_Union[KubernetesJobOptions, _Mapping]] = ..., ray: _Optional[_Union[RayJobOptions, _Mapping]] = ..., python: _Optional[_Union[PythonEnvironment, _Mapping]] = ...) -> None: ...

class PythonEnvironment(_message.Message):
    __slots__ = ("requirements", "python")
    REQUIREMENTS_FIELD_NUMBER: _ClassVar[int]
    PYTHON_FIELD_NUMBER: _ClassVar[int]
    requirements: _containers.RepeatedScalarFieldContainer[str]
    python: str
    def __init__(self, requirements: _Optional[_Iterable[str]] = ..., python: _Optional[str] = ...) -> None: ...

class RayJobOptions(_message.Message):
    __slots__ = ("runtime_env", "pip", "entrypoint_num_cpus", "entrypoint_num_gpus", "entrypoint_memory_bytes", "entrypoint_resources", "metadata")
    class EntrypointResourcesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    RUNTIME_ENV_FIELD_NUMBER: _ClassVar[int]
    PIP_FIELD_NUMBER: _ClassVar[int]
    ENTRYPOINT_NUM_CPUS_FIELD_NUMBER: _ClassVar[int]
    ENTRYPOINT_NUM_GPUS_FIELD_NUMBER: _ClassVar[int]
    ENTRYPOINT_MEMORY_BYTES_FIELD_NUMBER: _ClassVar[int]
    ENTRYPOINT_RESOURCES_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    runtime_env: _struct_pb2.Struct
    pip: _containers.RepeatedScalarFieldContainer[str]
    entrypoint_num_cpus: float
    entrypoint_num_gpus: float
    entrypoint_memory_bytes: int
    entrypoint_resources: _containers.ScalarMap[str, float]
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, runtime_env: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., pip: _Optional[_Iterable[str]] = ..., entrypoint_num_cpus: _Optional[float] = ..., entrypoint_num_gpus: _Optional[float] = ..., entrypoint_memory_bytes: _Optional[int] = ..., entrypoint_resources: _Optional[_Mapping[str, float]] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class KubernetesJobOptions(_message.Message):
    __slots__ = ("node_selector", "tolerations", "service_account", "secret_env", "image_pull_policy", "active_deadline", "ttl_seconds_after_finished", "labels", "annotations")
    class NodeSelectorEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class SecretEnvEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: KubernetesSecretKeyRef
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[KubernetesSecretKeyRef, _Mapping]] = ...) -> None: ...
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class AnnotationsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NODE_SELECTOR_FIELD_NUMBER: _ClassVar[int]
    TOLERATIONS_FIELD_NUMBER: _ClassVar[int]
    SERVICE_ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    SECRET_ENV_FIELD_NUMBER: _ClassVar[int]
    IMAGE_PULL_POLICY_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_DEADLINE_FIELD_NUMBER: _ClassVar[int]
    TTL_SECONDS_AFTER_FINISHED_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    ANNOTATIONS_FIELD_NUMBER: _ClassVar[int]
    node_selector: _containers.ScalarMap[str, str]
    tolerations: _containers.RepeatedCompositeFieldContainer[KubernetesToleration]
    service_account: str
    secret_env: _containers.MessageMap[str, KubernetesSecretKeyRef]
    image_pull_policy: str
    active_deadline: _duration_pb2.Duration
    ttl_seconds_after_finished: int
    labels: _containers.ScalarMap[str, str]
    annotations: _containers.ScalarMap[str, str]
    def __init__(self, node_selector: _Optional[_Mapping[str, str]] = ..., tolerations: _Optional[_Iterable[_Union[KubernetesToleration, _Mapping]]] = ..., service_account: _Optional[str] = ..., secret_env: _Optional[_Mapping[str, KubernetesSecretKeyRef]] = ..., image_pull_policy: _Optional[str] = ..., active_deadline: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., ttl_seconds_after_finished: _Optional[int] = ..., labels: _Optional[_Mapping[str, str]] = ..., annotations: _Optional[_Mapping[str, str]] = ...) -> None: ...

class KubernetesToleration(_message.Message):
    __slots__ = ("key", "operator", "value", "effect")
    KEY_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    EFFECT_FIELD_NUMBER: _ClassVar[int]
    key: str
    operator: str
    value: str
    effect: str
    def __init__(self, key: _Optional[str] = ..., operator: _Optional[str] = ..., value: _Optional[str] = ..., effect: _Optional[str] = ...) -> None: ...

class KubernetesSecretKeyRef(_message.Message):
    __slots__ = ("secret", "key")
    SECRET_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    secret: str
    key: str
    def __init__(self, secret: _Optional[str] = ..., key: _Optional[str] = ...) -> None: ...

class RetryPolicy(_message.Message):
    __slots__ = ("max_attempts", "initial_backoff", "max_backoff", "backoff_multiplier")
    MAX_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    INITIAL_BACKOFF_FIELD_NUMBER: _ClassVar[int]
    MAX_BACKOFF_FIELD_NUMBER: _ClassVar[int]
    BACKOFF_MULTIPLIER_FIELD_NUMBER: _ClassVar[int]
    max_attempts: int
    initial_backoff: _duration_pb2.Duration
    max_backoff: _duration_pb2.Duration
    backoff_multiplier: float
    def __init__(self, max_attempts: _Optional[int] = ..., initial_backoff: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., max_backoff: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., backoff_multiplier: _Optional[float] = ...) -> None: ...

class Resources(_message.Message):
    __slots__ = ("cpu", "memory_mib", "gpu")
    CPU_FIELD_NUMBER: _ClassVar[int]
    MEMORY_MIB_FIELD_NUMBER: _ClassVar[int]
    GPU_FIELD_NUMBER: _ClassVar[int]
    cpu: float
    memory_mib: int
    gpu: int
    def __init__(self, cpu: _Optional[float] = ..., memory_mib: _Optional[int] = ..., gpu: _Optional[int] = ...) -> None: ...

class Failure(_message.Message):
    __slots__ = ("kind", "message", "step_name", "exit_code")
    KIND_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    STEP_NAME_FIELD_NUMBER: _ClassVar[int]
    EXIT_CODE_FIELD_NUMBER: _ClassVar[int]
    kind: FailureKind
    message: str
    step_name: str
    exit_code: int
    def __init__(self, kind: _Optional[_Union[FailureKind, str]] = ..., message: _Optional[str] = ..., step_name: _Optional[str] = ..., exit_code: _Optional[int] = ...) -> None: ...
