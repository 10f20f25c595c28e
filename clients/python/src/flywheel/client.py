"""`Flywheel`: the platform's six gRPC APIs behind one object, errors as FlywheelError."""
from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

import grpc
import numpy as np
import pandas as pd
from google.protobuf import json_format

from . import models, tensors
from ._proto.flywheel.common.v1 import model_pb2, value_pb2
from ._proto.flywheel.featurestore.v1 import featurestore_pb2 as fs
from ._proto.flywheel.featurestore.v1 import featurestore_pb2_grpc as fs_grpc
from ._proto.flywheel.orchestrator.v1 import orchestrator_pb2 as orch
from ._proto.flywheel.orchestrator.v1 import orchestrator_pb2_grpc as orch_grpc
from ._proto.flywheel.registry.v1 import registry_pb2 as reg
from ._proto.flywheel.registry.v1 import registry_pb2_grpc as reg_grpc
from ._proto.flywheel.scheduler.v1 import scheduler_pb2_grpc as sched_grpc
from ._proto.flywheel.serving.v1 import serving_pb2 as srv
from ._proto.flywheel.serving.v1 import serving_pb2_grpc as srv_grpc
from ._proto.inference import grpc_service_pb2 as oip
from ._proto.inference import grpc_service_pb2_grpc as oip_grpc
from .context import Context
from .errors import DeadlineExceeded, FlywheelError, InvalidArgument, RunFailed, from_rpc_error

T = TypeVar("T")
_chunk_bytes = 1 << 20
RUN_ENDED = (orch.RUN_STATE_SUCCEEDED, orch.RUN_STATE_FAILED, orch.RUN_STATE_CANCELLED)


def _credentials(context: Context) -> grpc.ChannelCredentials | None:
    if not (context.ca or context.cert or context.key):
        return None
    if bool(context.cert) != bool(context.key):
        raise InvalidArgument("tls: give both cert and key (mTLS) or neither")
    read = lambda f: Path(f).read_bytes() if f else None  # noqa: E731
    return grpc.ssl_channel_credentials(read(context.ca), read(context.key), read(context.cert))


class Flywheel:
    """A connection to one platform (see `flywheel.connect`). Channels open per service on first use."""

    def __init__(self, context: Context, *, secure: bool = False, timeout: float = 30.0) -> None:
        self.context = context
        self.timeout = timeout
        self._credentials = _credentials(context) or (grpc.ssl_channel_credentials() if secure else None)
        self._metadata = (("authorization", f"Bearer {context.token}"),) if context.token else ()
        self._channels: dict[str, grpc.Channel] = {}
        self._metadata_cache: dict[str, oip.ModelMetadataResponse] = {}

    # -- plumbing ------------------------------------------------------------------------------
    def channel(self, service: str) -> grpc.Channel:
        """The channel to `service` ("registry", "serving", …), for the generated stubs of what has no helper."""
        if service not in self._channels:
            address = self.context.address(service)
            self._channels[service] = (
                grpc.secure_channel(address, self._credentials) if self._credentials else grpc.insecure_channel(address)
            )
        return self._channels[service]

    def call(self, method: Callable[..., T], request: Any, timeout: float | None = None) -> T:
        """A unary stub call with the context's token and the timeout, failures as FlywheelError."""
        try:
            return method(request, timeout=timeout or self.timeout, metadata=self._metadata)
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None

    @property
    def registry(self) -> reg_grpc.RegistryServiceStub:
        return reg_grpc.RegistryServiceStub(self.channel("registry"))

    @property
    def serving(self) -> srv_grpc.ServingServiceStub:
        return srv_grpc.ServingServiceStub(self.channel("serving"))

    @property
    def inference(self) -> oip_grpc.GRPCInferenceServiceStub:
        return oip_grpc.GRPCInferenceServiceStub(self.channel("serving"))

    @property
    def orchestrator(self) -> orch_grpc.OrchestratorServiceStub:
        return orch_grpc.OrchestratorServiceStub(self.channel("orchestrator"))

    @property
    def scheduler(self) -> sched_grpc.SchedulerServiceStub:
        return sched_grpc.SchedulerServiceStub(self.channel("scheduler"))

    @property
    def feature_store(self) -> fs_grpc.FeatureStoreServiceStub:
        return fs_grpc.FeatureStoreServiceStub(self.channel("feature-store"))

    def close(self) -> None:
        for channel in self._channels.values():
            channel.close()
        self._channels.clear()

    def __enter__(self) -> Flywheel:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- registry ------------------------------------------------------------------------------
    def upload_artifact(self, data: bytes) -> str:
        """Streams bytes to UploadArtifact in 1 MiB chunks (the server checks the SHA-256); returns the digest."""
        sha256 = hashlib.sha256(data).hexdigest()

        def chunks() -> Iterator[reg.UploadArtifactRequest]:
            for offset in range(0, max(len(data), 1), _chunk_bytes):
                yield reg.UploadArtifactRequest(chunk=data[offset : offset + _chunk_bytes], sha256=sha256 if offset == 0 else "")

        blob = self.call(self.registry.UploadArtifact, chunks()).blob
        return blob.sha256 or sha256

    def register_model(
        self,
        name: str,
        model: Any,
        *,
        alias: str | None = None,
        metrics: Mapping[str, float] | None = None,
        params: Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | None = None,
        description: str = "",
        team: str = "",
        feature_names: Sequence[str] | None = None,
        request_id: str | None = None,
    ) -> reg.ModelVersion:
        """Registers `model` as a new version of `name`, in one call: an ONNX file / bytes / onnx.ModelProto, or a
        fitted scikit-learn estimator (converted with skl2onnx, no ZipMap). The ONNX graph's inputs and outputs
        are recorded as the signature, with `metrics`, `params` (an estimator's get_params() by default) and
        `tags`; then `alias` points at it. Idempotent: the same artifact registers once (by its digest)."""
        if models.is_estimator(model):
            artifact = models.from_sklearn(model, list(feature_names) if feature_names else None)
            if params is None:
                params = {k: v for k, v in model.get_params(deep=False).items() if isinstance(v, (str, int, float, bool, type(None)))}
        else:
            artifact = models.from_onnx(model)
        sha256 = self.upload_artifact(artifact.onnx)
        spec = lambda t: model_pb2.TensorSpec(name=t.name, datatype=t.datatype, shape=list(t.shape))  # noqa: E731
        version = self.call(
            self.registry.RegisterVersion,
            reg.RegisterVersionRequest(
                request_id=request_id or f"sdk/{sha256}",
                model_name=name,
                team=team,
                artifact_sha256=sha256,
                format=reg.ARTIFACT_FORMAT_ONNX,
                signature=model_pb2.ModelSignature(
                    inputs=[spec(t) for t in artifact.inputs], outputs=[spec(t) for t in artifact.outputs]
                ),
                metrics={k: float(v) for k, v in (metrics or {}).items()},
                parameters={k: str(v) for k, v in (params or {}).items()},
                tags=dict(tags or {}),
                description=description,
            ),
        ).version
        if alias:
            self.set_alias(name, alias, version.version, reason="flywheel-sdk register_model")
            version = self.get_version(name, version.version)
        return version

    def get_version(self, name: str, version: int) -> reg.ModelVersion:
        return self.call(self.registry.GetVersion, reg.GetVersionRequest(model_name=name, model_version=version)).version

    def set_alias(self, name: str, alias: str, version: int, *, reason: str = "") -> reg.AliasChange:
        """Points `name@alias` at `version` (recorded in the alias history with `reason`)."""
        return self.call(
            self.registry.SetAlias, reg.SetAliasRequest(model_name=name, alias=alias, model_version=version, reason=reason)
        ).change

    def resolve(self, uri: str) -> reg.ModelVersion:
        """The version a `models:/<name>@<alias>` or `models:/<name>/<version>` URI names."""
        return self.call(self.registry.ResolveModelUri, reg.ResolveModelUriRequest(uri=uri)).version

    # -- serving -------------------------------------------------------------------------------
    def deploy(
        self,
        name: str,
        model: str,
        *,
        alias: str | None = "champion",
        version: int | None = None,
        log_predictions: float = 0.0,
        wait: bool = True,
        timeout: float = 120.0,
    ) -> srv.Deployment:
        """Creates deployment `name` serving `model` (tracking `alias`, or pinned to `version`) and, with `wait`,
        returns once it is READY. `log_predictions` is the sample rate of prediction logs (for monitoring)."""
        target = srv.ModelTarget(model_name=model, model_version=version) if version else srv.ModelTarget(model_name=model, alias=alias or "")
        deployment = srv.Deployment(name=name, target=target)
        if log_predictions:
            deployment.prediction_logging.sample_rate = log_predictions
        self.call(self.serving.CreateDeployment, srv.CreateDeploymentRequest(deployment=deployment), timeout=max(self.timeout, 60))
        return self.wait_until_serving(name, timeout=timeout) if wait else self.get_deployment(name)

    def get_deployment(self, name: str) -> srv.Deployment:
        return self.call(self.serving.GetDeployment, srv.GetDeploymentRequest(deployment_name=name)).deployment

    def wait_until_serving(
        self, name: str, *, version: int | None = None, timeout: float = 120.0, interval: float = 0.5
    ) -> srv.Deployment:
        """Polls the deployment until READY (and, with `version`, serving that version: after an alias it follows
        moved); RunFailed when it is FAILED, DeadlineExceeded after `timeout` s."""
        deadline = time.monotonic() + timeout
        while True:
            deployment = self.get_deployment(name)
            if deployment.state == srv.DEPLOYMENT_STATE_READY and version in (None, deployment.stable_version):
                self._metadata_cache.pop(name, None)
                return deployment
            if deployment.state == srv.DEPLOYMENT_STATE_FAILED:
                raise RunFailed(f"deployment {name} FAILED: {deployment.state_message}")
            if time.monotonic() > deadline:
                state = srv.DeploymentState.Name(deployment.state)
                serving = f", serving v{deployment.stable_version}, not v{version}" if version else ""
                raise DeadlineExceeded(f"deployment {name} not READY after {timeout:g} s: {state}{serving} {deployment.state_message}")
            time.sleep(interval)

    def model_metadata(self, deployment: str) -> oip.ModelMetadataResponse:
        """The served model's inputs and outputs (OIP ModelMetadata)."""
        return self.call(self.inference.ModelMetadata, oip.ModelMetadataRequest(name=deployment))

    def predict(self, deployment: str, data: tensors.Inputs, *, version: int | None = None) -> Any:
        """Sends `data` to the deployment with the Open Inference Protocol's ModelInfer over gRPC (what tritonclient
        speaks). A DataFrame (a column per input, or the columns of a single matrix input) answers a DataFrame (a
        column per output); a dict of arrays by input name, or one array for a single-input model, answers a dict of
        numpy arrays by output name."""
        if deployment not in self._metadata_cache:
            self._metadata_cache[deployment] = self.model_metadata(deployment)
        request = tensors.request(deployment, data, self._metadata_cache[deployment], str(version or ""))
        answer = tensors.outputs(self.call(self.inference.ModelInfer, request))
        return tensors.frame(answer) if isinstance(data, pd.DataFrame) else answer

    # -- feature store -------------------------------------------------------------------------
    def historical_features(
        self, features: Sequence[str], entities: pd.DataFrame, *, join_keys: Sequence[str], event_time: str = "event_time"
    ) -> pd.DataFrame:
        """Point-in-time correct features ("<view>:<feature>") for each row of `entities` (its join key columns,
        its `event_time` column and any pass-through columns, e.g. the label), as a DataFrame in the server's
        column order (StreamHistoricalFeatures, so large frames stay under the message limit)."""
        request = fs.StreamHistoricalFeaturesRequest(features=list(features), entity_dataframe=_entity_dataframe(entities, join_keys, event_time))
        columns: list[str] = []
        rows: list[list[Any]] = []
        try:
            for page in self.feature_store.StreamHistoricalFeatures(request, timeout=max(self.timeout, 120), metadata=self._metadata):
                columns = columns or list(page.columns)
                rows.extend([_python(v) for v in row.values] for row in page.rows)
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None
        return pd.DataFrame(rows, columns=columns)

    def create_training_set(
        self, name: str, features: Sequence[str], entities: pd.DataFrame, *, join_keys: Sequence[str], event_time: str = "event_time"
    ) -> tuple[fs.TrainingSet, pd.DataFrame]:
        """Stores a training set (CreateTrainingSet: its id is what model lineage records) and returns it with its
        rows as a DataFrame, read with the same entity rows (`historical_features`): no RPC reads a stored set's
        file back, so the frame is the same query, not a download of the blob."""
        training_set = self.call(
            self.feature_store.CreateTrainingSet,
            fs.CreateTrainingSetRequest(name=name, features=list(features), entity_dataframe=_entity_dataframe(entities, join_keys, event_time)),
            timeout=max(self.timeout, 120),
        ).training_set
        return training_set, self.historical_features(features, entities, join_keys=join_keys, event_time=event_time)

    # -- runs ----------------------------------------------------------------------------------
    def submit_run(
        self,
        pipeline: str | Mapping[str, Any],
        parameters: Mapping[str, Any] | None = None,
        *,
        name: str | None = None,
        request_id: str = "",
        experiment: str = "",
        tags: Sequence[str] = (),
    ) -> orch.Run:
        """Starts a run of the stored pipeline `pipeline`, or of an inline PipelineSpec given as a dict in its proto3
        JSON form (then `name` names the run's pipeline). `experiment` groups it (default: the pipeline's name)."""
        request = orch.SubmitRunRequest(request_id=request_id, experiment=experiment, tags=list(tags))
        if isinstance(pipeline, str):
            request.pipeline_ref.pipeline_name = pipeline
        else:
            if not name:
                raise InvalidArgument("name: an inline pipeline needs a name")
            request.inline_pipeline.name = name
            try:
                json_format.ParseDict(dict(pipeline), request.inline_pipeline.spec)
            except json_format.ParseError as error:
                raise InvalidArgument(f"pipeline: not a PipelineSpec: {error}") from None
        if parameters:
            request.parameters.update(dict(parameters))
        return self.call(self.orchestrator.SubmitRun, request).run

    def list_runs(self, *, experiment: str = "", tag: str = "", order_by: str = "", limit: int = 100) -> list[orch.Run]:
        """Runs, newest first, or sorted by a metric (`order_by="metrics.roc_auc desc"`, needs `experiment`)."""
        runs: list[orch.Run] = []
        token = ""
        while len(runs) < limit:
            page = self.call(
                self.orchestrator.ListRuns,
                orch.ListRunsRequest(experiment=experiment, tag=tag, order_by=order_by, page_size=min(limit, 500), page_token=token),
            )
            runs.extend(page.runs)
            token = page.next_page_token
            if not token:
                break
        return runs[:limit]

    def compare_runs(self, run_ids: Sequence[str]) -> pd.DataFrame:
        """CompareRuns as a table: one column per run id, rows `experiment`, `state`, `params.<name>` (Python
        values) and `metrics.<name>` (floats); None where a run lacks one."""
        compared = self.call(self.orchestrator.CompareRuns, orch.CompareRunsRequest(run_ids=list(run_ids)))
        columns: dict[str, list[Any]] = {}
        for r in compared.runs:
            columns[r.run_id] = (
                [r.experiment, orch.RunState.Name(r.state)]
                + [json.loads(r.params[n]) if n in r.params else None for n in compared.param_names]
                + [r.metrics[n] if n in r.metrics else None for n in compared.metric_names]
            )
        index = ["experiment", "state"] + [f"params.{n}" for n in compared.param_names] + [f"metrics.{n}" for n in compared.metric_names]
        return pd.DataFrame(columns, index=index)

    def compare_iterations(self, run: orch.Run | str, step: str) -> pd.DataFrame:
        """The iterations of a fanned-out step (`for_each`) side by side: a row per iteration in index order, columns
        `index`, `item`, `state`, `params.<name>` (what it logged with log_params), `metrics.<name>` (its final
        logged metrics) and `outputs.<key>` (its other outputs). `run` is a Run or a run id (read with GetRun)."""
        found = self.get_run(run) if isinstance(run, str) else run
        parent = next((s for s in found.steps if s.name == step), None)
        if parent is None:
            raise InvalidArgument(f"step {step}: not a step of run {found.id}")
        rows: list[dict[str, Any]] = []
        for it in parent.iterations:
            outputs = json_format.MessageToDict(it.outputs)
            row: dict[str, Any] = {"index": it.index, "item": json_format.MessageToDict(it.item), "state": orch.StepState.Name(it.state)}
            row.update({f"params.{k}": v for k, v in sorted(outputs.pop("params", {}).items())})
            logged = dict(it.metrics) or {k: float(v) for k, v in outputs.get("metrics", {}).items()}
            outputs.pop("metrics", None)
            outputs.pop("metric_history", None)
            row.update({f"metrics.{k}": v for k, v in sorted(logged.items())})
            row.update({f"outputs.{k}": v for k, v in sorted(outputs.items())})
            rows.append(row)
        return pd.DataFrame(rows)

    def metric_history(self, run_id: str, metric: str) -> pd.DataFrame:
        """GetMetricHistory as a DataFrame: columns `step_name`, `step`, `value`, in logged order."""
        points = self.call(self.orchestrator.GetMetricHistory, orch.GetMetricHistoryRequest(run_id=run_id, metric=metric)).points
        return pd.DataFrame([(p.step_name, p.step, p.value) for p in points], columns=["step_name", "step", "value"])

    def get_run(self, run_id: str) -> orch.Run:
        return self.call(self.orchestrator.GetRun, orch.GetRunRequest(run_id=run_id)).run

    def watch_run(self, run_id: str, *, timeout: float = 600.0) -> Iterator[orch.Run]:
        """Yields the run each time its state or a step's state changes, ending with the run's end."""
        seen: tuple[Any, ...] | None = None
        try:
            for update in self.orchestrator.WatchRun(orch.WatchRunRequest(run_id=run_id), timeout=timeout, metadata=self._metadata):
                run = update.run
                states = (run.state, tuple((s.name, s.state) for s in run.steps))
                if states != seen:
                    seen = states
                    yield run
                if run.state in RUN_ENDED:
                    return
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None

    def wait_run(self, run_id: str, *, timeout: float = 600.0) -> orch.Run:
        """Waits for the run's end; RunFailed unless it SUCCEEDED."""
        last: orch.Run | None = None
        for last in self.watch_run(run_id, timeout=timeout):
            pass
        if last is None or last.state not in RUN_ENDED:
            raise FlywheelError(f"run {run_id}: the watch ended before the run did")
        if last.state != orch.RUN_STATE_SUCCEEDED:
            reason = last.failure.message if last.HasField("failure") else ""
            raise RunFailed(f"run {run_id} ended {orch.RunState.Name(last.state)}: {reason}")
        return last


def run_outputs(run: orch.Run, step: str | None = None) -> dict[str, Any]:
    """A run's outputs (or one step's) as plain Python values."""
    if step is None:
        return json_format.MessageToDict(run.outputs)
    for s in run.steps:
        if s.name == step:
            return json_format.MessageToDict(s.outputs)
    raise InvalidArgument(f"step {step}: not a step of run {run.id}")


def _value(v: Any) -> value_pb2.Value:
    if isinstance(v, (bool, np.bool_)):
        return value_pb2.Value(bool_value=bool(v))
    if isinstance(v, (int, np.integer)):
        return value_pb2.Value(int64_value=int(v))
    if isinstance(v, (float, np.floating)):
        return value_pb2.Value(double_value=float(v))
    if isinstance(v, str):
        return value_pb2.Value(string_value=v)
    if isinstance(v, (datetime, pd.Timestamp)):
        out = value_pb2.Value()
        out.timestamp_value.FromDatetime(_utc(v))
        return out
    raise InvalidArgument(f"value {v!r}: a {type(v).__name__} is not a feature value (str, int, float, bool, datetime)")


def _python(v: value_pb2.Value) -> Any:
    kind = v.WhichOneof("kind")
    if kind is None:
        return None
    if kind == "timestamp_value":
        return v.timestamp_value.ToDatetime(tzinfo=timezone.utc)
    if kind.endswith("_list_value"):
        return list(getattr(v, kind).values)
    return getattr(v, kind)


def _utc(t: datetime | pd.Timestamp) -> datetime:
    t = pd.Timestamp(t)
    return (t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")).to_pydatetime()


def _entity_dataframe(entities: pd.DataFrame, join_keys: Sequence[str], event_time: str) -> fs.EntityDataframe:
    missing = [c for c in (*join_keys, event_time) if c not in entities.columns]
    if missing:
        raise InvalidArgument(f"entities: no column {', '.join(missing)}")
    rows = []
    for record in entities.to_dict("records"):
        row = fs.EntityRow(entity_key=fs.EntityKey(join_keys={k: _value(record[k]) for k in join_keys}))
        row.event_time.FromDatetime(_utc(record[event_time]))
        for column, value in record.items():
            if column not in join_keys and column != event_time and not pd.isna(value):
                row.columns[column].CopyFrom(_value(value))
        rows.append(row)
    return fs.EntityDataframe(rows=fs.EntityRows(rows=rows))
