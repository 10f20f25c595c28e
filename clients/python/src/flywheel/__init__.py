"""Flywheel's Python SDK: `flywheel.connect()`, then register, deploy, predict, training sets and runs.

Inside a command step: `flywheel.log_params`, `flywheel.log_metrics`, `flywheel.parameters`.
Pipelines in Python: `@flywheel.step`, `@flywheel.pipeline`, `flywheel.for_each`, `flywheel.builtin`.
"""
from __future__ import annotations

from pkgutil import extend_path

# Stubs a user generated from proto/ with protoc (services/README.md) are a `flywheel` namespace package
# (flywheel.registry.v1 …) too: keep them importable beside the SDK.
__path__ = extend_path(__path__, __name__)

from .client import Flywheel, run_outputs  # noqa: E402
from .context import Context, load_context  # noqa: E402
from .errors import (  # noqa: E402
    AlreadyExists,
    ConfigError,
    DeadlineExceeded,
    FailedPrecondition,
    FlywheelError,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    RunFailed,
    Unauthenticated,
    Unavailable,
    Unimplemented,
)
from .step import log_metrics, log_outputs, log_params, parameters  # noqa: E402

# After `.step`: the decorator `flywheel.step` takes the name the submodule flywheel/step.py bound first
# (`from flywheel.step import parameters` still finds the module in sys.modules).
from .pipelines import Param, Pipeline, Resources, StepFunction, Task, builtin, for_each, pipeline, step  # noqa: E402

__all__ = [
    "AlreadyExists", "ConfigError", "Context", "DeadlineExceeded", "FailedPrecondition", "Flywheel", "FlywheelError",
    "InvalidArgument", "NotFound", "PermissionDenied", "ResourceExhausted", "RunFailed", "Unauthenticated",
    "Unavailable", "Unimplemented", "connect", "load_context", "log_metrics", "log_outputs", "log_params",
    "parameters", "run_outputs",
    # pipelines in Python
    "Param", "Pipeline", "Resources", "StepFunction", "Task", "builtin", "for_each", "pipeline", "step",
]


def connect(
    target: str | None = None,
    *,
    addresses: dict[str, str] | None = None,
    tls: bool | str | dict[str, str] | None = None,
    token: str | None = None,
    timeout: float = 30.0,
) -> Flywheel:
    """Connects to a platform. `target` is a context name of the CLI's config file (`flywheel context set`), or a
    host whose services listen on their default ports 7101–7106; None: `$FLYWHEEL_CONTEXT`, else the file's
    current-context. `addresses` overrides `host:port` per service ("registry", "serving", …); `tls` is True
    (system roots), a CA file, or {"ca", "cert", "key"} (mTLS); `token` is sent as `authorization: Bearer`.
    Arguments win over the context's values. Nothing is sent until the first call."""
    from .context import config_path, read_contexts

    _, contexts = read_contexts(config_path())
    if target is None or target in contexts:
        context = load_context(target)
    elif ":" in target:
        raise InvalidArgument(f'target "{target}": give a host (every service on its default port) and addresses={{service: "host:port"}} for the others')
    else:
        context = Context(host=target)
    tls_files = {"ca": tls} if isinstance(tls, str) else (tls if isinstance(tls, dict) else {})
    context = Context(
        host=context.host,
        addresses={**context.addresses, **(addresses or {})},
        ca=tls_files.get("ca", context.ca),
        cert=tls_files.get("cert", context.cert),
        key=tls_files.get("key", context.key),
        token=token or context.token,
    )
    return Flywheel(context, secure=tls is True, timeout=timeout)
