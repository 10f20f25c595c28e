"""Errors: every failed call is a FlywheelError carrying the gRPC status code and the server's message."""
from __future__ import annotations

import grpc


class FlywheelError(Exception):
    """A call the platform refused or could not answer; `code` is the gRPC status, `message` the server's text."""

    code: grpc.StatusCode = grpc.StatusCode.UNKNOWN

    def __init__(self, message: str, code: grpc.StatusCode | None = None, field: str = "") -> None:
        super().__init__(f"{(code or self.code).name}: {message}")
        self.message = message
        self.field = field  # the field the server named (its `flywheel-error-field` trailer), e.g. `pipeline.spec.steps[1].name`
        if code is not None:
            self.code = code


class InvalidArgument(FlywheelError):
    code = grpc.StatusCode.INVALID_ARGUMENT


class NotFound(FlywheelError):
    code = grpc.StatusCode.NOT_FOUND


class AlreadyExists(FlywheelError):
    code = grpc.StatusCode.ALREADY_EXISTS


class PermissionDenied(FlywheelError):
    code = grpc.StatusCode.PERMISSION_DENIED


class Unauthenticated(FlywheelError):
    code = grpc.StatusCode.UNAUTHENTICATED


class FailedPrecondition(FlywheelError):
    code = grpc.StatusCode.FAILED_PRECONDITION


class ResourceExhausted(FlywheelError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class Unimplemented(FlywheelError):
    code = grpc.StatusCode.UNIMPLEMENTED


class Unavailable(FlywheelError):
    code = grpc.StatusCode.UNAVAILABLE


class DeadlineExceeded(FlywheelError):
    code = grpc.StatusCode.DEADLINE_EXCEEDED


class ConfigError(FlywheelError):
    """The context file or the chosen context is missing or malformed (nothing was sent)."""

    code = grpc.StatusCode.FAILED_PRECONDITION


class RunFailed(FlywheelError):
    """A run or a deployment that was waited for ended badly (FAILED, CANCELLED)."""

    code = grpc.StatusCode.ABORTED


_by_code: dict[grpc.StatusCode, type[FlywheelError]] = {
    c.code: c
    for c in (
        InvalidArgument,
        NotFound,
        AlreadyExists,
        PermissionDenied,
        Unauthenticated,
        FailedPrecondition,
        ResourceExhausted,
        Unimplemented,
        Unavailable,
        DeadlineExceeded,
    )
}


def from_rpc_error(error: grpc.RpcError) -> FlywheelError:
    """The FlywheelError subclass for a failed call's status (FlywheelError itself for the others)."""
    code = error.code() if isinstance(error, grpc.Call) else grpc.StatusCode.UNKNOWN
    details = (error.details() if isinstance(error, grpc.Call) else None) or str(error)
    trailers = (error.trailing_metadata() if isinstance(error, grpc.Call) else None) or ()
    field = next((str(v) for k, v in trailers if k == "flywheel-error-field"), "")
    return _by_code.get(code, FlywheelError)(details, code, field)
