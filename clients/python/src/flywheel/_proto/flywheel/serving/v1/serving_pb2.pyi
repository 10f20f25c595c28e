import datetime

from flywheel._proto.flywheel.common.v1 import resource_pb2 as _resource_pb2
from flywheel._proto.flywheel.common.v1 import validate_pb2 as _validate_pb2
from flywheel._proto.flywheel.common.v1 import value_pb2 as _value_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from flywheel._proto.inference import grpc_service_pb2 as _grpc_service_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DeploymentState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DEPLOYMENT_STATE_UNSPECIFIED: _ClassVar[DeploymentState]
    DEPLOYMENT_STATE_PENDING: _ClassVar[DeploymentState]
    DEPLOYMENT_STATE_READY: _ClassVar[DeploymentState]
    DEPLOYMENT_STATE_ROLLING_OUT: _ClassVar[DeploymentState]
    DEPLOYMENT_STATE_DEGRADED: _ClassVar[DeploymentState]
    DEPLOYMENT_STATE_FAILED: _ClassVar[DeploymentState]

class RouteRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROUTE_ROLE_UNSPECIFIED: _ClassVar[RouteRole]
    ROUTE_ROLE_STABLE: _ClassVar[RouteRole]
    ROUTE_ROLE_CANARY: _ClassVar[RouteRole]
    ROUTE_ROLE_VARIANT: _ClassVar[RouteRole]
    ROUTE_ROLE_SHADOW: _ClassVar[RouteRole]
    ROUTE_ROLE_ARM: _ClassVar[RouteRole]

class BanditAlgorithm(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BANDIT_ALGORITHM_UNSPECIFIED: _ClassVar[BanditAlgorithm]
    BANDIT_ALGORITHM_EPSILON_GREEDY: _ClassVar[BanditAlgorithm]
    BANDIT_ALGORITHM_THOMPSON_SAMPLING: _ClassVar[BanditAlgorithm]

class RolloutState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROLLOUT_STATE_UNSPECIFIED: _ClassVar[RolloutState]
    ROLLOUT_STATE_PROGRESSING: _ClassVar[RolloutState]
    ROLLOUT_STATE_PAUSED: _ClassVar[RolloutState]
    ROLLOUT_STATE_SUCCEEDED: _ClassVar[RolloutState]
    ROLLOUT_STATE_ROLLED_BACK: _ClassVar[RolloutState]

class ExplainMethod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXPLAIN_METHOD_UNSPECIFIED: _ClassVar[ExplainMethod]
    EXPLAIN_METHOD_LINEAR_EXACT: _ClassVar[ExplainMethod]
    EXPLAIN_METHOD_KERNEL_SHAP: _ClassVar[ExplainMethod]

class ExplanationSpace(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXPLANATION_SPACE_UNSPECIFIED: _ClassVar[ExplanationSpace]
    EXPLANATION_SPACE_OUTPUT: _ClassVar[ExplanationSpace]
    EXPLANATION_SPACE_MARGIN: _ClassVar[ExplanationSpace]
DEPLOYMENT_STATE_UNSPECIFIED: DeploymentState
DEPLOYMENT_STATE_PENDING: DeploymentState
DEPLOYMENT_STATE_READY: DeploymentState
DEPLOYMENT_STATE_ROLLING_OUT: DeploymentState
DEPLOYMENT_STATE_DEGRADED: DeploymentState
DEPLOYMENT_STATE_FAILED: DeploymentState
ROUTE_ROLE_UNSPECIFIED: RouteRole
ROUTE_ROLE_STABLE: RouteRole
ROUTE_ROLE_CANARY: RouteRole
ROUTE_ROLE_VARIANT: RouteRole
ROUTE_ROLE_SHADOW: RouteRole
ROUTE_ROLE_ARM: RouteRole
BANDIT_ALGORITHM_UNSPECIFIED: BanditAlgorithm
BANDIT_ALGORITHM_EPSILON_GREEDY: BanditAlgorithm
BANDIT_ALGORITHM_THOMPSON_SAMPLING: BanditAlgorithm
ROLLOUT_STATE_UNSPECIFIED: RolloutState
ROLLOUT_STATE_PROGRESSING: RolloutState
ROLLOUT_STATE_PAUSED: RolloutState
ROLLOUT_STATE_SUCCEEDED: RolloutState
ROLLOUT_STATE_ROLLED_BACK: RolloutState
EXPLAIN_METHOD_UNSPECIFIED: ExplainMethod
EXPLAIN_METHOD_LINEAR_EXACT: ExplainMethod
EXPLAIN_METHOD_KERNEL_SHAP: ExplainMethod
EXPLANATION_SPACE_UNSPECIFIED: ExplanationSpace
EXPLANATION_SPACE_OUTPUT: ExplanationSpace
EXPLANATION_SPACE_MARGIN: ExplanationSpace

class ModelTarget(_message.Message):
    __slots__ = ("model_name", "alias", "model_version")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    ALIAS_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    alias: str
    model_version: int
    def __init__(self, model_name: _Optional[str] = ..., alias: _Optional[str] = ..., model_version: _Optional[int] = ...) -> None: ...

class Deployment(_message.Message):
    __slots__ = ("name", "team", "description", "target", "runtime", "prediction_logging", "rollout_policy", "labels", "state", "state_message", "stable_version", "routes", "traffic_split", "audit", "feature_enrichment")
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
    TARGET_FIELD_NUMBER: _ClassVar[int]
    RUNTIME_FIELD_NUMBER: _ClassVar[int]
    PREDICTION_LOGGING_FIELD_NUMBER: _ClassVar[int]
    ROLLOUT_POLICY_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    STATE_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    STABLE_VERSION_FIELD_NUMBER: _ClassVar[int]
    ROUTES_FIELD_NUMBER: _ClassVar[int]
    TRAFFIC_SPLIT_FIELD_NUMBER: _ClassVar[int]
    AUDIT_FIELD_NUMBER: _ClassVar[int]
    FEATURE_ENRICHMENT_FIELD_NUMBER: _ClassVar[int]
    name: str
    team: str
    description: str
    target: ModelTarget
    runtime: RuntimeConfig
    prediction_logging: PredictionLogging
    rollout_policy: RolloutPolicy
    labels: _containers.ScalarMap[str, str]
    state: DeploymentState
    state_message: str
    stable_version: int
    routes: _containers.RepeatedCompositeFieldContainer[Route]
    traffic_split: TrafficSplit
    audit: _resource_pb2.Audit
    feature_enrichment: FeatureEnrichment
    def __init__(self, name: _Optional[str] = ..., team: _Optional[str] = ..., description: _Optional[str] = ..., target: _Optional[_Union[ModelTarget, _Mapping]] = ..., runtime: _Optional[_Union[RuntimeConfig, _Mapping]] = ..., prediction_logging: _Optional[_Union[PredictionLogging, _Mapping]] = ..., rollout_policy: _Optional[_Union[RolloutPolicy, _Mapping]] = ..., labels: _Optional[_Mapping[str, str]] = ..., state: _Optional[_Union[DeploymentState, str]] = ..., state_message: _Optional[str] = ..., stable_version: _Optional[int] = ..., routes: _Optional[_Iterable[_Union[Route, _Mapping]]] = ..., traffic_split: _Optional[_Union[TrafficSplit, _Mapping]] = ..., audit: _Optional[_Union[_resource_pb2.Audit, _Mapping]] = ..., feature_enrichment: _Optional[_Union[FeatureEnrichment, _Mapping]] = ...) -> None: ...

class FeatureEnrichment(_message.Message):
    __slots__ = ("entity_key", "join_key", "features")
    class FeaturesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ENTITY_KEY_FIELD_NUMBER: _ClassVar[int]
    JOIN_KEY_FIELD_NUMBER: _ClassVar[int]
    FEATURES_FIELD_NUMBER: _ClassVar[int]
    entity_key: str
    join_key: str
    features: _containers.ScalarMap[str, str]
    def __init__(self, entity_key: _Optional[str] = ..., join_key: _Optional[str] = ..., features: _Optional[_Mapping[str, str]] = ...) -> None: ...

class RuntimeConfig(_message.Message):
    __slots__ = ("dynamic_batching", "instance_count", "intra_op_threads", "inter_op_threads", "max_queue_size")
    DYNAMIC_BATCHING_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_COUNT_FIELD_NUMBER: _ClassVar[int]
    INTRA_OP_THREADS_FIELD_NUMBER: _ClassVar[int]
    INTER_OP_THREADS_FIELD_NUMBER: _ClassVar[int]
    MAX_QUEUE_SIZE_FIELD_NUMBER: _ClassVar[int]
    dynamic_batching: DynamicBatching
    instance_count: int
    intra_op_threads: int
    inter_op_threads: int
    max_queue_size: int
    def __init__(self, dynamic_batching: _Optional[_Union[DynamicBatching, _Mapping]] = ..., instance_count: _Optional[int] = ..., intra_op_threads: _Optional[int] = ..., inter_op_threads: _Optional[int] = ..., max_queue_size: _Optional[int] = ...) -> None: ...

class DynamicBatching(_message.Message):
    __slots__ = ("max_batch_size", "max_queue_delay_us", "preferred_batch_sizes")
    MAX_BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    MAX_QUEUE_DELAY_US_FIELD_NUMBER: _ClassVar[int]
    PREFERRED_BATCH_SIZES_FIELD_NUMBER: _ClassVar[int]
    max_batch_size: int
    max_queue_delay_us: int
    preferred_batch_sizes: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, max_batch_size: _Optional[int] = ..., max_queue_delay_us: _Optional[int] = ..., preferred_batch_sizes: _Optional[_Iterable[int]] = ...) -> None: ...

class PredictionLogging(_message.Message):
    __slots__ = ("sample_rate", "max_batch_size", "max_batch_delay", "include_tensors")
    SAMPLE_RATE_FIELD_NUMBER: _ClassVar[int]
    MAX_BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    MAX_BATCH_DELAY_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_TENSORS_FIELD_NUMBER: _ClassVar[int]
    sample_rate: float
    max_batch_size: int
    max_batch_delay: _duration_pb2.Duration
    include_tensors: bool
    def __init__(self, sample_rate: _Optional[float] = ..., max_batch_size: _Optional[int] = ..., max_batch_delay: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., include_tensors: bool = ...) -> None: ...

class Route(_message.Message):
    __slots__ = ("model_version", "role", "percent")
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    PERCENT_FIELD_NUMBER: _ClassVar[int]
    model_version: int
    role: RouteRole
    percent: float
    def __init__(self, model_version: _Optional[int] = ..., role: _Optional[_Union[RouteRole, str]] = ..., percent: _Optional[float] = ...) -> None: ...

class TrafficSplit(_message.Message):
    __slots__ = ("canary", "ab_test", "shadow", "bandit")
    CANARY_FIELD_NUMBER: _ClassVar[int]
    AB_TEST_FIELD_NUMBER: _ClassVar[int]
    SHADOW_FIELD_NUMBER: _ClassVar[int]
    BANDIT_FIELD_NUMBER: _ClassVar[int]
    canary: CanaryStrategy
    ab_test: AbTestStrategy
    shadow: ShadowStrategy
    bandit: BanditStrategy
    def __init__(self, canary: _Optional[_Union[CanaryStrategy, _Mapping]] = ..., ab_test: _Optional[_Union[AbTestStrategy, _Mapping]] = ..., shadow: _Optional[_Union[ShadowStrategy, _Mapping]] = ..., bandit: _Optional[_Union[BanditStrategy, _Mapping]] = ...) -> None: ...

class CanaryStrategy(_message.Message):
    __slots__ = ("candidate_version", "step_percents", "bake_duration", "min_requests", "slo", "auto_promote")
    CANDIDATE_VERSION_FIELD_NUMBER: _ClassVar[int]
    STEP_PERCENTS_FIELD_NUMBER: _ClassVar[int]
    BAKE_DURATION_FIELD_NUMBER: _ClassVar[int]
    MIN_REQUESTS_FIELD_NUMBER: _ClassVar[int]
    SLO_FIELD_NUMBER: _ClassVar[int]
    AUTO_PROMOTE_FIELD_NUMBER: _ClassVar[int]
    candidate_version: int
    step_percents: _containers.RepeatedScalarFieldContainer[float]
    bake_duration: _duration_pb2.Duration
    min_requests: int
    slo: Slo
    auto_promote: bool
    def __init__(self, candidate_version: _Optional[int] = ..., step_percents: _Optional[_Iterable[float]] = ..., bake_duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., min_requests: _Optional[int] = ..., slo: _Optional[_Union[Slo, _Mapping]] = ..., auto_promote: bool = ...) -> None: ...

class Slo(_message.Message):
    __slots__ = ("max_latency_p99", "max_error_rate", "metric_gates")
    MAX_LATENCY_P99_FIELD_NUMBER: _ClassVar[int]
    MAX_ERROR_RATE_FIELD_NUMBER: _ClassVar[int]
    METRIC_GATES_FIELD_NUMBER: _ClassVar[int]
    max_latency_p99: _duration_pb2.Duration
    max_error_rate: float
    metric_gates: _containers.RepeatedCompositeFieldContainer[MetricGate]
    def __init__(self, max_latency_p99: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., max_error_rate: _Optional[float] = ..., metric_gates: _Optional[_Iterable[_Union[MetricGate, _Mapping]]] = ...) -> None: ...

class MetricGate(_message.Message):
    __slots__ = ("metric", "min", "max", "max_regression")
    METRIC_FIELD_NUMBER: _ClassVar[int]
    MIN_FIELD_NUMBER: _ClassVar[int]
    MAX_FIELD_NUMBER: _ClassVar[int]
    MAX_REGRESSION_FIELD_NUMBER: _ClassVar[int]
    metric: str
    min: float
    max: float
    max_regression: float
    def __init__(self, metric: _Optional[str] = ..., min: _Optional[float] = ..., max: _Optional[float] = ..., max_regression: _Optional[float] = ...) -> None: ...

class AbTestStrategy(_message.Message):
    __slots__ = ("variants", "sticky_key_parameter", "duration")
    VARIANTS_FIELD_NUMBER: _ClassVar[int]
    STICKY_KEY_PARAMETER_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    variants: _containers.RepeatedCompositeFieldContainer[Variant]
    sticky_key_parameter: str
    duration: _duration_pb2.Duration
    def __init__(self, variants: _Optional[_Iterable[_Union[Variant, _Mapping]]] = ..., sticky_key_parameter: _Optional[str] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class Variant(_message.Message):
    __slots__ = ("model_version", "weight")
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    model_version: int
    weight: float
    def __init__(self, model_version: _Optional[int] = ..., weight: _Optional[float] = ...) -> None: ...

class ShadowStrategy(_message.Message):
    __slots__ = ("candidate_versions", "mirror_percent", "compare_window")
    CANDIDATE_VERSIONS_FIELD_NUMBER: _ClassVar[int]
    MIRROR_PERCENT_FIELD_NUMBER: _ClassVar[int]
    COMPARE_WINDOW_FIELD_NUMBER: _ClassVar[int]
    candidate_versions: _containers.RepeatedScalarFieldContainer[int]
    mirror_percent: float
    compare_window: _duration_pb2.Duration
    def __init__(self, candidate_versions: _Optional[_Iterable[int]] = ..., mirror_percent: _Optional[float] = ..., compare_window: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class BanditStrategy(_message.Message):
    __slots__ = ("algorithm", "arm_versions", "epsilon", "reward", "update_interval")
    ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    ARM_VERSIONS_FIELD_NUMBER: _ClassVar[int]
    EPSILON_FIELD_NUMBER: _ClassVar[int]
    REWARD_FIELD_NUMBER: _ClassVar[int]
    UPDATE_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    algorithm: BanditAlgorithm
    arm_versions: _containers.RepeatedScalarFieldContainer[int]
    epsilon: float
    reward: Reward
    update_interval: _duration_pb2.Duration
    def __init__(self, algorithm: _Optional[_Union[BanditAlgorithm, str]] = ..., arm_versions: _Optional[_Iterable[int]] = ..., epsilon: _Optional[float] = ..., reward: _Optional[_Union[Reward, _Mapping]] = ..., update_interval: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class Reward(_message.Message):
    __slots__ = ("event_type", "value_field")
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_FIELD_NUMBER: _ClassVar[int]
    event_type: str
    value_field: str
    def __init__(self, event_type: _Optional[str] = ..., value_field: _Optional[str] = ...) -> None: ...

class RolloutPolicy(_message.Message):
    __slots__ = ("canary",)
    CANARY_FIELD_NUMBER: _ClassVar[int]
    canary: CanaryStrategy
    def __init__(self, canary: _Optional[_Union[CanaryStrategy, _Mapping]] = ...) -> None: ...

class RolloutStatus(_message.Message):
    __slots__ = ("rollout_id", "deployment_name", "state", "traffic_split", "stable_version", "candidate_version", "step_index", "routes", "start_time", "step_start_time", "step_end_time", "end_time", "checks", "message")
    ROLLOUT_ID_FIELD_NUMBER: _ClassVar[int]
    DEPLOYMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TRAFFIC_SPLIT_FIELD_NUMBER: _ClassVar[int]
    STABLE_VERSION_FIELD_NUMBER: _ClassVar[int]
    CANDIDATE_VERSION_FIELD_NUMBER: _ClassVar[int]
    STEP_INDEX_FIELD_NUMBER: _ClassVar[int]
    ROUTES_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    STEP_START_TIME_FIELD_NUMBER: _ClassVar[int]
    STEP_END_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    CHECKS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    rollout_id: str
    deployment_name: str
    state: RolloutState
    traffic_split: TrafficSplit
    stable_version: int
    candidate_version: int
    step_index: int
    routes: _containers.RepeatedCompositeFieldContainer[Route]
    start_time: _timestamp_pb2.Timestamp
    step_start_time: _timestamp_pb2.Timestamp
    step_end_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    checks: _containers.RepeatedCompositeFieldContainer[SloCheck]
    message: str
    def __init__(self, rollout_id: _Optional[str] = ..., deployment_name: _Optional[str] = ..., state: _Optional[_Union[RolloutState, str]] = ..., traffic_split: _Optional[_Union[TrafficSplit, _Mapping]] = ..., stable_version: _Optional[int] = ..., candidate_version: _Optional[int] = ..., step_index: _Optional[int] = ..., routes: _Optional[_Iterable[_Union[Route, _Mapping]]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., step_start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., step_end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., checks: _Optional[_Iterable[_Union[SloCheck, _Mapping]]] = ..., message: _Optional[str] = ...) -> None: ...

class SloCheck(_message.Message):
    __slots__ = ("name", "threshold", "observed", "passed", "sample_count", "check_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    OBSERVED_FIELD_NUMBER: _ClassVar[int]
    PASSED_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_COUNT_FIELD_NUMBER: _ClassVar[int]
    CHECK_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    threshold: float
    observed: float
    passed: bool
    sample_count: int
    check_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., threshold: _Optional[float] = ..., observed: _Optional[float] = ..., passed: bool = ..., sample_count: _Optional[int] = ..., check_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateDeploymentRequest(_message.Message):
    __slots__ = ("deployment",)
    DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    deployment: Deployment
    def __init__(self, deployment: _Optional[_Union[Deployment, _Mapping]] = ...) -> None: ...

class CreateDeploymentResponse(_message.Message):
    __slots__ = ("deployment",)
    DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    deployment: Deployment
    def __init__(self, deployment: _Optional[_Union[Deployment, _Mapping]] = ...) -> None: ...

class UpdateDeploymentRequest(_message.Message):
    __slots__ = ("deployment",)
    DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    deployment: Deployment
    def __init__(self, deployment: _Optional[_Union[Deployment, _Mapping]] = ...) -> None: ...

class UpdateDeploymentResponse(_message.Message):
    __slots__ = ("deployment",)
    DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    deployment: Deployment
    def __init__(self, deployment: _Optional[_Union[Deployment, _Mapping]] = ...) -> None: ...

class GetDeploymentRequest(_message.Message):
    __slots__ = ("deployment_name",)
    DEPLOYMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    deployment_name: str
    def __init__(self, deployment_name: _Optional[str] = ...) -> None: ...

class GetDeploymentResponse(_message.Message):
    __slots__ = ("deployment",)
    DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    deployment: Deployment
    def __init__(self, deployment: _Optional[_Union[Deployment, _Mapping]] = ...) -> None: ...

class ListDeploymentsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "team", "model_name")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    team: str
    model_name: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., team: _Optional[str] = ..., model_name: _Optional[str] = ...) -> None: ...

class ListDeploymentsResponse(_message.Message):
    __slots__ = ("deployments", "next_page_token")
    DEPLOYMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    deployments: _containers.RepeatedCompositeFieldContainer[Deployment]
    next_page_token: str
    def __init__(self, deployments: _Optional[_Iterable[_Union[Deployment, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeleteDeploymentRequest(_message.Message):
    __slots__ = ("deployment_name",)
    DEPLOYMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    deployment_name: str
    def __init__(self, deployment_name: _Optional[str] = ...) -> None: ...

class DeleteDeploymentResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SetTrafficSplitRequest(_message.Message):
    __slots__ = ("deployment_name", "traffic_split", "reason")
    DEPLOYMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    TRAFFIC_SPLIT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    deployment_name: str
    traffic_split: TrafficSplit
    reason: str
    def __init__(self, deployment_name: _Optional[str] = ..., traffic_split: _Optional[_Union[TrafficSplit, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class SetTrafficSplitResponse(_message.Message):
    __slots__ = ("deployment", "rollout")
    DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    ROLLOUT_FIELD_NUMBER: _ClassVar[int]
    deployment: Deployment
    rollout: RolloutStatus
    def __init__(self, deployment: _Optional[_Union[Deployment, _Mapping]] = ..., rollout: _Optional[_Union[RolloutStatus, _Mapping]] = ...) -> None: ...

class RollbackRequest(_message.Message):
    __slots__ = ("deployment_name", "to_version", "reason")
    DEPLOYMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    TO_VERSION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    deployment_name: str
    to_version: int
    reason: str
    def __init__(self, deployment_name: _Optional[str] = ..., to_version: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class RollbackResponse(_message.Message):
    __slots__ = ("deployment",)
    DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    deployment: Deployment
    def __init__(self, deployment: _Optional[_Union[Deployment, _Mapping]] = ...) -> None: ...

class PromoteRolloutRequest(_message.Message):
    __slots__ = ("deployment_name", "reason")
    DEPLOYMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    deployment_name: str
    reason: str
    def __init__(self, deployment_name: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class PromoteRolloutResponse(_message.Message):
    __slots__ = ("deployment", "rollout")
    DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    ROLLOUT_FIELD_NUMBER: _ClassVar[int]
    deployment: Deployment
    rollout: RolloutStatus
    def __init__(self, deployment: _Optional[_Union[Deployment, _Mapping]] = ..., rollout: _Optional[_Union[RolloutStatus, _Mapping]] = ...) -> None: ...

class GetRolloutStatusRequest(_message.Message):
    __slots__ = ("deployment_name",)
    DEPLOYMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    deployment_name: str
    def __init__(self, deployment_name: _Optional[str] = ...) -> None: ...

class GetRolloutStatusResponse(_message.Message):
    __slots__ = ("rollout",)
    ROLLOUT_FIELD_NUMBER: _ClassVar[int]
    rollout: RolloutStatus
    def __init__(self, rollout: _Optional[_Union[RolloutStatus, _Mapping]] = ...) -> None: ...

class ExplainRequest(_message.Message):
    __slots__ = ("rows", "method", "background", "nsamples", "output", "output_index", "seed")
    ROWS_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    BACKGROUND_FIELD_NUMBER: _ClassVar[int]
    NSAMPLES_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_INDEX_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    rows: _grpc_service_pb2.ModelInferRequest
    method: ExplainMethod
    background: _grpc_service_pb2.ModelInferRequest
    nsamples: int
    output: str
    output_index: int
    seed: int
    def __init__(self, rows: _Optional[_Union[_grpc_service_pb2.ModelInferRequest, _Mapping]] = ..., method: _Optional[_Union[ExplainMethod, str]] = ..., background: _Optional[_Union[_grpc_service_pb2.ModelInferRequest, _Mapping]] = ..., nsamples: _Optional[int] = ..., output: _Optional[str] = ..., output_index: _Optional[int] = ..., seed: _Optional[int] = ...) -> None: ...

class RowExplanation(_message.Message):
    __slots__ = ("contributions", "value")
    CONTRIBUTIONS_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    contributions: _containers.RepeatedScalarFieldContainer[float]
    value: float
    def __init__(self, contributions: _Optional[_Iterable[float]] = ..., value: _Optional[float] = ...) -> None: ...

class ExplainResponse(_message.Message):
    __slots__ = ("model_name", "model_version", "method", "space", "output", "output_index", "feature_names", "base_value", "rows", "background_rows", "nsamples", "exhaustive")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    SPACE_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_INDEX_FIELD_NUMBER: _ClassVar[int]
    FEATURE_NAMES_FIELD_NUMBER: _ClassVar[int]
    BASE_VALUE_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    BACKGROUND_ROWS_FIELD_NUMBER: _ClassVar[int]
    NSAMPLES_FIELD_NUMBER: _ClassVar[int]
    EXHAUSTIVE_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    model_version: str
    method: ExplainMethod
    space: ExplanationSpace
    output: str
    output_index: int
    feature_names: _containers.RepeatedScalarFieldContainer[str]
    base_value: float
    rows: _containers.RepeatedCompositeFieldContainer[RowExplanation]
    background_rows: int
    nsamples: int
    exhaustive: bool
    def __init__(self, model_name: _Optional[str] = ..., model_version: _Optional[str] = ..., method: _Optional[_Union[ExplainMethod, str]] = ..., space: _Optional[_Union[ExplanationSpace, str]] = ..., output: _Optional[str] = ..., output_index: _Optional[int] = ..., feature_names: _Optional[_Iterable[str]] = ..., base_value: _Optional[float] = ..., rows: _Optional[_Iterable[_Union[RowExplanation, _Mapping]]] = ..., background_rows: _Optional[int] = ..., nsamples: _Optional[int] = ..., exhaustive: bool = ...) -> None: ...

class GetServedRequestRequest(_message.Message):
    __slots__ = ("request_id", "trace_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    trace_id: str
    def __init__(self, request_id: _Optional[str] = ..., trace_id: _Optional[str] = ...) -> None: ...

class ServedRequest(_message.Message):
    __slots__ = ("request_id", "trace_id", "deployment_name", "team", "model_name", "model_version", "route", "mirrored_to", "stable_version", "time", "latency", "rows")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    DEPLOYMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    ROUTE_FIELD_NUMBER: _ClassVar[int]
    MIRRORED_TO_FIELD_NUMBER: _ClassVar[int]
    STABLE_VERSION_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    LATENCY_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    trace_id: str
    deployment_name: str
    team: str
    model_name: str
    model_version: int
    route: RouteRole
    mirrored_to: _containers.RepeatedScalarFieldContainer[int]
    stable_version: int
    time: _timestamp_pb2.Timestamp
    latency: _duration_pb2.Duration
    rows: _containers.RepeatedCompositeFieldContainer[ServedRow]
    def __init__(self, request_id: _Optional[str] = ..., trace_id: _Optional[str] = ..., deployment_name: _Optional[str] = ..., team: _Optional[str] = ..., model_name: _Optional[str] = ..., model_version: _Optional[int] = ..., route: _Optional[_Union[RouteRole, str]] = ..., mirrored_to: _Optional[_Iterable[int]] = ..., stable_version: _Optional[int] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., latency: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., rows: _Optional[_Iterable[_Union[ServedRow, _Mapping]]] = ...) -> None: ...

class ServedRow(_message.Message):
    __slots__ = ("row_index", "inputs", "outputs", "entity_key", "features")
    class InputsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _value_pb2.Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_value_pb2.Value, _Mapping]] = ...) -> None: ...
    class OutputsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _value_pb2.Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_value_pb2.Value, _Mapping]] = ...) -> None: ...
    class EntityKeyEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _value_pb2.Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_value_pb2.Value, _Mapping]] = ...) -> None: ...
    class FeaturesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ROW_INDEX_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    ENTITY_KEY_FIELD_NUMBER: _ClassVar[int]
    FEATURES_FIELD_NUMBER: _ClassVar[int]
    row_index: int
    inputs: _containers.MessageMap[str, _value_pb2.Value]
    outputs: _containers.MessageMap[str, _value_pb2.Value]
    entity_key: _containers.MessageMap[str, _value_pb2.Value]
    features: _containers.ScalarMap[str, str]
    def __init__(self, row_index: _Optional[int] = ..., inputs: _Optional[_Mapping[str, _value_pb2.Value]] = ..., outputs: _Optional[_Mapping[str, _value_pb2.Value]] = ..., entity_key: _Optional[_Mapping[str, _value_pb2.Value]] = ..., features: _Optional[_Mapping[str, str]] = ...) -> None: ...

class GetServedRequestResponse(_message.Message):
    __slots__ = ("requests",)
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    requests: _containers.RepeatedCompositeFieldContainer[ServedRequest]
    def __init__(self, requests: _Optional[_Iterable[_Union[ServedRequest, _Mapping]]] = ...) -> None: ...
