"""Inside a command step: parameters in, params and metrics out, through the orchestrator's file contract
($FLYWHEEL_PARAMETERS_FILE, $FLYWHEEL_OUTPUTS_FILE: services/orchestrator/README.md). The outputs file is
one JSON object; `metrics` there is how a step reports metrics today (a promotion gate reads them from
the step's outputs), `params` beside it."""
from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from .errors import FailedPrecondition, InvalidArgument


def _file(variable: str) -> Path:
    value = os.environ.get(variable)
    if not value:
        raise FailedPrecondition(f"${variable} is not set: this runs only inside a Flywheel command step")
    return Path(value)


def parameters() -> dict[str, Any]:
    """The step's parameters, templates resolved (plus `inputs`: the outputs of the steps it depends on)."""
    return json.loads(_file("FLYWHEEL_PARAMETERS_FILE").read_text())


def _merge(key: str | None, values: dict[str, Any]) -> None:
    path = _file("FLYWHEEL_OUTPUTS_FILE")
    outputs = json.loads(path.read_text()) if path.exists() and path.stat().st_size else {}
    if key is None:
        outputs.update(values)
    else:
        outputs.setdefault(key, {}).update(values)
    temp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    temp.write_text(json.dumps(outputs, sort_keys=True))
    temp.replace(path)  # a crash never leaves half a JSON object


def log_params(**params: str | int | float | bool) -> None:
    """Adds to the step's outputs' `params` object."""
    _merge("params", params)


def log_metrics(step: int | None = None, **metrics: float) -> None:
    """Adds to the step's outputs' `metrics` object (the final values): finite numbers only. With `step` (an
    index such as an epoch), also appends `[step, value]` to `metric_history.<name>`: the series
    GetMetricHistory answers."""
    for name, value in metrics.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise InvalidArgument(f"metric {name}: must be a finite number, got {value!r}")
    if step is not None:
        if isinstance(step, bool) or not isinstance(step, int):
            raise InvalidArgument(f"step: must be an integer index, got {step!r}")
        path = _file("FLYWHEEL_OUTPUTS_FILE")
        outputs = json.loads(path.read_text()) if path.exists() and path.stat().st_size else {}
        history = outputs.get("metric_history", {})
        _merge("metric_history", {k: [*history.get(k, []), [step, float(v)]] for k, v in metrics.items()})
    _merge("metrics", {k: float(v) for k, v in metrics.items()})


def log_outputs(**outputs: Any) -> None:
    """Sets top-level outputs (JSON values), e.g. model_path for a later step."""
    _merge(None, outputs)
