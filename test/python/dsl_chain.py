"""Pipelines defined with the SDK's DSL for test/python/sdk_pipelines.py: a chain without fan-out (runs on any
orchestrator), one whose step name the platform refuses, and the same under another spec (a new revision)."""
from dataclasses import dataclass

import flywheel


@dataclass
class Scaled:
    value: float
    label: str


@flywheel.step(retries=1, timeout="2m", resources=flywheel.Resources(cpu=0.5, memory="1Gi"))
def scale(x: float, factor: float = 2.0) -> Scaled:
    flywheel.log_metrics(scaled=x * factor)
    return Scaled(value=x * factor, label=f"x{factor:g} {type(x).__name__}")


@flywheel.step
def total(values: list[float], note: str) -> dict:
    return {"total": sum(values), "note": note}


@flywheel.pipeline(name="dsl-chain", params={"x": 1.5, "y": flywheel.Param(required=True, description="the second")})
def chain(params):
    a = scale(x=params.x)
    b = scale(x=params.y, factor=3)
    t = total(values=[a.outputs.value, b.outputs.value], note=a.outputs.label)
    return {"total": t.outputs.total}


@flywheel.pipeline(name="dsl-chain", params={"x": 1.5, "y": 1}, description="y has a default now")
def chain_v2(params):
    a = scale(x=params.x)
    b = scale(x=params.y, factor=3, after=[a])
    t = total(values=[a.outputs.value, b.outputs.value], note="v2")
    return {"total": t.outputs.total}


@flywheel.step(name="Bad_Name")
def badly_named(x: int) -> None:
    return None


@flywheel.pipeline(name="dsl-bad")
def bad(params):
    scale(x=1)
    badly_named(x=1)


@flywheel.pipeline(name="dsl-chain")
def chain_bad(params):
    badly_named(x=1)
