"""`python -m flywheel.runner <module>:<function>`: runs a `@flywheel.step` function as a command step. Its
arguments are the step's parameters ($FLYWHEEL_PARAMETERS_FILE, templates resolved; `inputs` is not passed);
what it returns (a dict or a dataclass) is merged into $FLYWHEEL_OUTPUTS_FILE, beside what it logged with
`flywheel.log_metrics` / `log_params`. An exception fails the attempt (its traceback is the job's stderr)."""
from __future__ import annotations

import dataclasses
import importlib
import inspect
import sys
import typing
from collections.abc import Callable
from typing import Any

from .errors import InvalidArgument
from .step import log_outputs, parameters


def load(target: str) -> Callable[..., Any]:
    """The function `module:qualname` names (the plain function of a @step)."""
    module_name, _, qualname = target.partition(":")
    if not module_name or not qualname:
        raise InvalidArgument(f"target {target!r}: give <module>:<function>")
    found: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        found = getattr(found, part)
    return getattr(found, "fn", found)


def _coerce(value: Any, annotation: Any) -> Any:
    """JSON → the parameter's type where JSON loses it: a float given as 1, a dataclass given as an object."""
    if annotation is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if annotation is int and isinstance(value, float) and value.is_integer():
        return int(value)
    if dataclasses.is_dataclass(annotation) and isinstance(annotation, type) and isinstance(value, dict):
        return annotation(**value)
    return value


def call(fn: Callable[..., Any], given: dict[str, Any]) -> Any:
    hints = typing.get_type_hints(fn)
    accepted = inspect.signature(fn).parameters
    arguments = {k: _coerce(v, hints.get(k)) for k, v in given.items() if k in accepted}
    return fn(**arguments)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m flywheel.runner <module>:<function>", file=sys.stderr)
        return 2
    given = parameters()
    given.pop("inputs", None)  # the upstream outputs by step name; a step function takes them as parameters
    result = call(load(argv[0]), given)
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        result = dataclasses.asdict(result)
    if isinstance(result, dict):
        log_outputs(**result)
    elif result is not None:
        raise InvalidArgument(f"{argv[0]} returned a {type(result).__name__}: return a dict or a dataclass of outputs, or None")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
