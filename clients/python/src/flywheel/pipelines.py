"""Pipelines in Python: `@step` functions become command steps, `@pipeline` composes them by data flow, and
`Pipeline.compile()` makes the PipelineSpec the scheduler stores. The platform (libs/pipelines, TypeScript) is
the one validator: nothing here re-checks a spec; `apply()` surfaces its INVALID_ARGUMENT with the field path.

A step function's typed parameters are its inputs; calling it inside a pipeline body records a step whose
parameters are templates (`${params.x}`, `${steps.<name>.outputs.<key>}`, `${for_each.item}`), and the
dependencies come from those references (plus `after=`). The compiled step runs
`python -m flywheel.runner <module>:<function>` (flywheel/runner.py), so the function's module must be
importable where the step runs: its directory goes into the step's PYTHONPATH."""
from __future__ import annotations

import contextvars
import dataclasses
import inspect
import json
import re
import sys
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar

from google.protobuf import json_format

from ._proto.flywheel.common.v1 import pipeline_pb2

if TYPE_CHECKING:
    from ._proto.flywheel.orchestrator.v1 import orchestrator_pb2 as orch
    from ._proto.flywheel.scheduler.v1 import scheduler_pb2 as sched
    from .client import Flywheel

P = ParamSpec("P")
R = TypeVar("R")


# -- references: what a parameter may be bound to ------------------------------------------------
class Ref:
    """A value known only at run time: renders as a `${…}` template; `steps` are the steps it comes from."""

    def __init__(self, reference: str, steps: frozenset[str] = frozenset()) -> None:
        self.reference = reference
        self.steps = steps

    def template(self) -> str:
        return f"${{{self.reference}}}"

    def __str__(self) -> str:
        return self.template()

    def __repr__(self) -> str:
        return f"Ref({self.template()})"

    def __getitem__(self, key: str) -> Ref:
        """A field of an object value: `${params.config.lr}`."""
        return Ref(f"{self.reference}.{key}", self.steps)

    def __iter__(self) -> Iterator[Any]:
        raise TypeError(f"{self.template()} is known only when the run runs: iterate it with flywheel.for_each(...)")

    def __bool__(self) -> bool:
        raise TypeError(f"{self.template()} has no truth value while compiling: use a step's condition")


class Item(Ref):
    """The item of the enclosing `for_each` (`${for_each.item}`); `item["field"]` for an object's field."""

    def __init__(self) -> None:
        super().__init__("for_each.item")

    @property
    def index(self) -> Ref:
        """The iteration's index, from 0 (`${for_each.index}`)."""
        return Ref("for_each.index")


class Params:
    """A pipeline body's `params`: `params.<name>` is `${params.<name>}`, for declared names only."""

    def __init__(self, names: Sequence[str]) -> None:
        self._names = tuple(names)

    def __getattr__(self, name: str) -> Ref:
        if name.startswith("_") or name not in self._names:
            raise AttributeError(f"params.{name}: the pipeline declares no parameter {name!r} (declared: {', '.join(self._names) or 'none'})")
        return Ref(f"params.{name}")

    def __getitem__(self, name: str) -> Ref:
        return self.__getattr__(name)


@dataclasses.dataclass(frozen=True)
class Param:
    """A declared pipeline parameter: a default, or `required=True` for one every run must set."""

    default: Any = None
    description: str = ""
    required: bool = False


@dataclasses.dataclass(frozen=True)
class Resources:
    """What each attempt requests: `cpu` cores, `memory` as MiB (int) or "512Mi" / "2Gi", `gpu` count."""

    cpu: float = 0.0
    memory: int | str = 0
    gpu: int = 0

    def proto(self) -> pipeline_pb2.Resources:
        return pipeline_pb2.Resources(cpu=self.cpu, memory_mib=_mebibytes(self.memory), gpu=self.gpu)


# -- the body being compiled ----------------------------------------------------------------------
@dataclasses.dataclass
class _Fanout:
    items: str
    parallelism: int
    steps: frozenset[str]
    members: set[str] = dataclasses.field(default_factory=set)


class _Builder:
    def __init__(self) -> None:
        self.steps: list[pipeline_pb2.Step] = []
        self.names: set[str] = set()
        self.fanout: _Fanout | None = None
        self.sources: dict[str, str] = {}  # step name → the Python function, for errors

    def unique(self, base: str) -> str:
        name, n = base, 2
        while name in self.names:
            name, n = f"{base}-{n}", n + 1
        self.names.add(name)
        return name


_building: contextvars.ContextVar[_Builder | None] = contextvars.ContextVar("flywheel_pipeline", default=None)


def for_each(items: Ref | Sequence[Any], *, parallelism: int = 0) -> Iterator[Item]:
    """`for x in for_each(params.learning_rates): train(lr=x)`: the steps called in the loop's body run once per
    item at run time (`Step.for_each`), `parallelism` at once (0: no bound of its own). `items` is a list
    parameter, another step's output (known when that step ends) or a literal list. The body runs once, while
    compiling; a step's outputs used after the loop are lists, one value per item in order."""
    builder = _current("for_each")
    if builder.fanout is not None:
        raise TypeError("for_each: nested fan-outs are not supported; fan out over a list of combinations instead")
    if isinstance(items, Ref):
        builder.fanout = _Fanout(items.template(), parallelism, items.steps)
    else:
        builder.fanout = _Fanout(json.dumps(_json(list(items))), parallelism, frozenset(_refs_in(list(items))))
    try:
        yield Item()
    finally:
        builder.fanout = None


def builtin(name: str, *, step_name: str | None = None, after: Sequence[Task] = (), **parameters: Any) -> Task:
    """A built-in step (`register`, `file-to-blob`, `evaluate`, …: services/orchestrator/src/builtin-steps) with
    its parameters, which may be other steps' outputs."""
    builder = _current("builtin")
    step = pipeline_pb2.Step(name=builder.unique(step_name or name), builtin=pipeline_pb2.BuiltinStep(name=name))
    return _add(builder, step, parameters, after, f"builtin {name!r}", None)


def _current(what: str) -> _Builder:
    builder = _building.get()
    if builder is None:
        raise TypeError(f"{what}: only inside a @flywheel.pipeline function's body")
    return builder


def _add(
    builder: _Builder,
    step: pipeline_pb2.Step,
    parameters: Mapping[str, Any],
    after: Sequence[Task],
    source: str,
    returns: type | None,
) -> Task:
    upstream: set[str] = {t.name for t in _tasks(after)}
    for ref in _refs_in(dict(parameters)):
        upstream |= ref.steps
    fanout = builder.fanout
    if fanout is not None:
        inside = upstream & fanout.members
        if inside:
            raise TypeError(
                f"{source}: uses the output of {', '.join(sorted(inside))} from the same for_each body; each step of a "
                "fan-out runs over all items independently: do both in one step function, or use the outputs after the loop"
            )
        upstream |= fanout.steps
        step.for_each.items = fanout.items
        if fanout.parallelism:
            step.for_each.parallelism = fanout.parallelism
        fanout.members.add(step.name)
    if parameters:
        step.parameters.update(_json(dict(parameters)))
    step.depends_on.extend(sorted(upstream))
    builder.steps.append(step)
    builder.sources[step.name] = source
    return Task(step.name, returns, fanout is not None)


def _tasks(after: Sequence[Task] | Task) -> list[Task]:
    return [after] if isinstance(after, Task) else list(after)


class Outputs:
    """A task's outputs: `task.outputs.accuracy` or `task.outputs["accuracy"]` is `${steps.<name>.outputs.accuracy}`."""

    def __init__(self, task: Task) -> None:
        self._task = task

    def __getattr__(self, key: str) -> Ref:
        if key.startswith("_"):
            raise AttributeError(key)
        return self[key]

    def __getitem__(self, key: str) -> Ref:
        fields = self._task._fields
        if fields is not None and key not in fields:
            raise AttributeError(f"{self._task.name}: its function returns no output {key!r} (fields: {', '.join(fields)})")
        return Ref(f"steps.{self._task.name}.outputs.{key}", frozenset({self._task.name}))


class Task:
    """A step called in a pipeline body. For a fanned-out step, each output is the list of the iterations'."""

    def __init__(self, name: str, returns: type | None, fanned_out: bool) -> None:
        self.name = name
        self.fanned_out = fanned_out
        self._fields = [f.name for f in dataclasses.fields(returns)] if returns and dataclasses.is_dataclass(returns) else None
        self.outputs = Outputs(self)

    def __getitem__(self, key: str) -> Ref:
        return self.outputs[key]

    def __repr__(self) -> str:
        return f"Task({self.name})"


# -- steps ------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class StepOptions:
    name: str | None = None
    resources: Resources | None = None
    retries: int = 0
    timeout: str | float | timedelta | None = None
    executor: str = ""
    image: str = ""
    env: Mapping[str, str] | None = None
    working_dir: str = ""
    python: str | None = None
    condition: str = ""


class StepFunction(Generic[P, R]):
    """A function that is a command step. Called inside a pipeline body it records a step and returns its `Task`;
    called anywhere else it is the plain function (so it stays testable)."""

    def __init__(self, fn: Callable[P, R], options: StepOptions) -> None:
        self.fn = fn
        self.options = options
        self.signature = inspect.signature(fn)
        self.__name__ = fn.__name__
        self.__doc__ = fn.__doc__
        self.__module__ = fn.__module__
        self.__qualname__ = fn.__qualname__
        self.__wrapped__ = fn

    @property
    def step_name(self) -> str:
        return self.options.name or self.fn.__name__.replace("_", "-").lower()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        builder = _building.get()
        if builder is None:
            return self.fn(*args, **kwargs)
        after = kwargs.pop("after", ())
        bound = self.signature.bind(*args, **kwargs)  # a missing or unknown input is a TypeError, as for the function
        return self._record(builder, dict(bound.arguments), after)

    def map(self, items: Ref | Sequence[Any], /, *, parallelism: int = 0, after: Sequence[Task] = (), **kwargs: Any) -> Task:
        """Calls the step once per item (like `map(f, items)`): the item goes to the first parameter not given in
        `kwargs`. Sugar for `for x in for_each(items, parallelism=…): step(x, **kwargs)`."""
        free = [p for p in self.signature.parameters if p not in kwargs]
        if not free:
            raise TypeError(f"{self.step_name}.map: every parameter is given; none is left for the item")
        task: Task | None = None
        for item in for_each(items, parallelism=parallelism):
            task = self(**{free[0]: item}, **kwargs, after=after)
        assert task is not None
        return task

    def _record(self, builder: _Builder, arguments: dict[str, Any], after: Sequence[Task]) -> Task:
        o = self.options
        module, root = _importable(self.fn)
        env = {**({"PYTHONPATH": str(root)} if root else {}), **(o.env or {})}
        command = pipeline_pb2.CommandStep(
            command=[o.python or sys.executable, "-m", "flywheel.runner", f"{module}:{self.fn.__qualname__}"],
            image=o.image,
            env=env,
            working_dir=o.working_dir,
            executor=o.executor,
        )
        step = pipeline_pb2.Step(name=builder.unique(self.step_name), command=command, condition=o.condition)
        if o.resources:
            step.resources.CopyFrom(o.resources.proto())
        if o.retries:
            step.retry.max_attempts = o.retries + 1
        if o.timeout is not None:
            step.timeout.FromTimedelta(_timedelta(o.timeout))
        return _add(builder, step, arguments, after, f"{module}.{self.fn.__qualname__}", _returns(self.fn))


@typing.overload
def step(fn: Callable[P, R], /) -> StepFunction[P, R]: ...


@typing.overload
def step(
    *,
    name: str | None = None,
    resources: Resources | None = None,
    retries: int = 0,
    timeout: str | float | timedelta | None = None,
    executor: str = "",
    image: str = "",
    env: Mapping[str, str] | None = None,
    working_dir: str = "",
    python: str | None = None,
    condition: str = "",
) -> Callable[[Callable[P, R]], StepFunction[P, R]]: ...


def step(
    fn: Callable[P, R] | None = None,
    *,
    name: str | None = None,
    resources: Resources | None = None,
    retries: int = 0,
    timeout: str | float | timedelta | None = None,
    executor: str = "",
    image: str = "",
    env: Mapping[str, str] | None = None,
    working_dir: str = "",
    python: str | None = None,
    condition: str = "",
) -> Any:
    """Makes a function a command step: `@step` or `@step(resources=Resources(cpu=1, memory="512Mi"), retries=2,
    timeout="10m", executor="local")`. Its parameters are the step's inputs (JSON values); it returns a dict or a
    dataclass of outputs (JSON values), or None. `retries` are attempts after the first; `timeout` is "90s",
    "10m", "1h30m", seconds or a timedelta; `python` is the interpreter the step runs (default: this one,
    `sys.executable`); `name` the step's name (default: the function's, `_` → `-`)."""
    options = StepOptions(name, resources, retries, timeout, executor, image, env, working_dir, python, condition)

    def wrap(f: Callable[P, R]) -> StepFunction[P, R]:
        return StepFunction(f, options)

    return wrap(fn) if fn is not None else wrap


# -- pipelines --------------------------------------------------------------------------------------
class Pipeline:
    """A pipeline defined by a Python function; `compile()` is its PipelineSpec."""

    def __init__(
        self,
        body: Callable[[Params], Mapping[str, Any] | None],
        *,
        name: str,
        params: Mapping[str, Any],
        description: str,
        timeout: str | float | timedelta | None,
        max_parallel_steps: int,
    ) -> None:
        self.body = body
        self.name = name
        self.params = {k: v if isinstance(v, Param) else Param(default=v) for k, v in params.items()}
        self.description = description
        self.timeout = timeout
        self.max_parallel_steps = max_parallel_steps
        self._sources: dict[str, str] = {}

    def compile(self) -> pipeline_pb2.PipelineSpec:
        """Runs the body once, recording the steps it calls, and returns the PipelineSpec."""
        builder = _Builder()
        token = _building.set(builder)
        try:
            outputs = self.body(Params(list(self.params))) or {}
        finally:
            _building.reset(token)
        self._sources = builder.sources
        spec = pipeline_pb2.PipelineSpec(steps=builder.steps, max_parallel_steps=self.max_parallel_steps)
        for pname, param in self.params.items():
            declared = spec.parameters.add(name=pname, description=param.description, required=param.required)
            if param.default is not None:
                json_format.ParseDict(_json(param.default), declared.default_value)
        if self.timeout is not None:
            spec.timeout.FromTimedelta(_timedelta(self.timeout))
        for key, value in dict(outputs).items():
            spec.outputs[key] = value.template() if isinstance(value, Ref) else str(value)
        return spec

    def to_dict(self) -> dict[str, Any]:
        """The spec in its proto3 JSON form (what `flywheel pipelines apply` and `submit_run` take)."""
        return json_format.MessageToDict(self.compile())

    def apply(self, client: Flywheel | None = None) -> sched.Pipeline:
        """Stores the pipeline: GetPipeline, then CreatePipeline, or UpdatePipeline (compare-and-set on the revision
        read) when its spec or description changed; an unchanged one stores no new revision. The scheduler validates; its INVALID_ARGUMENT is raised as
        `InvalidArgument` with `.field` (e.g. `pipeline.spec.steps[1].parameters.lr`) and the step's function named."""
        from ._proto.flywheel.scheduler.v1 import scheduler_pb2 as sched
        from .errors import AlreadyExists, InvalidArgument, NotFound

        fw = client or _connect()
        spec = self.compile()
        try:
            for _ in range(2):  # a create racing ours: update theirs
                try:
                    current = fw.call(fw.scheduler.GetPipeline, sched.GetPipelineRequest(pipeline_name=self.name)).pipeline
                except NotFound:
                    try:
                        request = sched.CreatePipelineRequest(
                            pipeline=sched.Pipeline(name=self.name, description=self.description, spec=spec)
                        )
                        return fw.call(fw.scheduler.CreatePipeline, request).pipeline
                    except AlreadyExists:
                        continue
                if current.spec == spec and current.description == self.description:
                    return current
                request = sched.UpdatePipelineRequest(
                    pipeline_name=self.name, spec=spec, expected_revision=current.revision, description=self.description
                )
                return fw.call(fw.scheduler.UpdatePipeline, request).pipeline
            raise AlreadyExists(f"pipeline {self.name}: created and changed by another client while applying")
        except InvalidArgument as error:
            raise self._located(error) from None

    def run(
        self,
        parameters: Mapping[str, Any] | None = None,
        client: Flywheel | None = None,
        *,
        wait: bool = True,
        timeout: float = 600.0,
        experiment: str = "",
        tags: Sequence[str] = (),
    ) -> orch.Run:
        """`apply()`, then submits a run of the stored pipeline with `parameters` and, with `wait`, watches it to its
        end (`RunFailed` unless it SUCCEEDED)."""
        from .errors import InvalidArgument

        fw = client or _connect()
        self.apply(fw)
        try:
            run = fw.submit_run(self.name, parameters, experiment=experiment, tags=tags)
        except InvalidArgument as error:
            raise self._located(error) from None
        return fw.wait_run(run.id, timeout=timeout) if wait else run

    def _located(self, error: Any) -> Any:
        """The error, its message naming the Python function of the step its field points at."""
        from .errors import InvalidArgument

        field = getattr(error, "field", "") or ""
        match = re.search(r"steps\[(\d+)\]", field or error.message)
        if match and self._sources:
            names = list(self._sources)
            index = int(match.group(1))
            if index < len(names):
                return InvalidArgument(f"{error.message} (step {names[index]}: {self._sources[names[index]]})", None, field)
        return error


def pipeline(
    *,
    name: str,
    params: Mapping[str, Any] | None = None,
    description: str = "",
    timeout: str | float | timedelta | None = None,
    max_parallel_steps: int = 0,
) -> Callable[[Callable[[Params], Mapping[str, Any] | None]], Pipeline]:
    """Makes a function `def body(params): …` a pipeline. `params` declares its parameters: name → default, or
    name → `Param(...)`. The body calls steps with literals, `params.<name>` and other steps' outputs; the dict
    it returns (name → a step's output) is the run's outputs."""

    def wrap(body: Callable[[Params], Mapping[str, Any] | None]) -> Pipeline:
        return Pipeline(body, name=name, params=params or {}, description=description, timeout=timeout, max_parallel_steps=max_parallel_steps)

    return wrap


# -- conversions ------------------------------------------------------------------------------------
def _connect() -> Flywheel:
    from . import connect

    return connect()


def _json(value: Any) -> Any:
    """A JSON value for the spec; references become their templates."""
    if isinstance(value, Ref):
        return value.template()
    if isinstance(value, Task):
        raise TypeError(f"{value.name}: pass one of its outputs (task.outputs.<key>), not the task; for ordering use after=")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _json(dataclasses.asdict(value))
    if isinstance(value, Mapping):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise TypeError(f"{value!r}: a {type(value).__name__} is not a JSON value (str, number, bool, list, dict, None)")


def _refs_in(value: Any) -> list[Ref]:
    if isinstance(value, Ref):
        return [value]
    if isinstance(value, Mapping):
        return [r for v in value.values() for r in _refs_in(v)]
    if isinstance(value, (list, tuple)):
        return [r for v in value for r in _refs_in(v)]
    return []


_duration_part = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_unit_seconds = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def _timedelta(value: str | float | timedelta) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, (int, float)):
        return timedelta(seconds=value)
    text = value.replace(" ", "")
    parts = _duration_part.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f'timeout {value!r}: give a duration such as "90s", "10m", "1h30m" (units ms s m h d)')
    return timedelta(seconds=sum(float(n) * _unit_seconds[u] for n, u in parts))


_memory = re.compile(r"(\d+)(Mi|Gi|Ti)")


def _mebibytes(value: int | str) -> int:
    if isinstance(value, int):
        return value
    match = _memory.fullmatch(value.strip())
    if not match:
        raise ValueError(f'memory {value!r}: give MiB as an int, or "512Mi", "2Gi"')
    return int(match.group(1)) * {"Mi": 1, "Gi": 1024, "Ti": 1024 * 1024}[match.group(2)]


def _returns(fn: Callable[..., Any]) -> type | None:
    """The function's return annotation as a class (string annotations resolved), else None."""
    try:
        returns = typing.get_type_hints(fn).get("return")
    except Exception:  # noqa: BLE001 - an unresolvable annotation only loses the output-name check
        return None
    return returns if isinstance(returns, type) else None


def _importable(fn: Callable[..., Any]) -> tuple[str, Path | None]:
    """The module name the runner imports `fn` from, and the directory that makes it importable (None when it
    is an installed module). A script run as `python sweep.py` is module `sweep` from the script's directory."""
    module = fn.__module__
    source = inspect.getsourcefile(fn)
    if module == "__main__":
        main = sys.modules["__main__"]
        spec = getattr(main, "__spec__", None)
        module = spec.name if spec is not None and spec.name else Path(source or "main").stem
    if source is None:
        return module, None
    path = Path(source).resolve()
    root = path.parent
    for _ in module.split(".")[1:]:
        root = root.parent
    if path.name == "__init__.py":
        root = root.parent
    site = [Path(p).resolve() for p in sys.path if "site-packages" in p or "dist-packages" in p]
    if any(root == s for s in site):
        return module, None
    return module, root
