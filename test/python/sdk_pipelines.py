"""Pipelines in Python with the SDK only (test/python-sdk-pipelines.test.ts): the README's sweep compiled and
checked against the proto, a chain applied to the real scheduler (create, unchanged, update) and run by the
real orchestrator through `python -m flywheel.runner`, and the platform's refusals raised with their field.
Prints one JSON object of what it saw."""
import json
import os
import sys
from datetime import timedelta

import dsl_chain
from google.protobuf import json_format
import rain_sweep  # the README's "sweep pipeline" block, written beside it by the test

import flywheel
from flywheel._proto.flywheel.common.v1 import pipeline_pb2

seen = {}
here = os.path.dirname(os.path.abspath(rain_sweep.__file__))

# The sweep, compiled: the proto the scheduler stores.
spec = rain_sweep.sweep.compile()
assert isinstance(spec, pipeline_pb2.PipelineSpec)
train, pick = spec.steps
seen["sweep"] = {
    "steps": [s.name for s in spec.steps],
    "train": {
        "argv": list(train.command.command) == [sys.executable, "-m", "flywheel.runner", "rain_sweep:train"],
        "pythonpath": train.command.env["PYTHONPATH"] == here,
        "for_each": [train.for_each.items, train.for_each.parallelism],
        "parameters": dict(train.parameters),
        "resources": [train.resources.cpu, train.resources.memory_mib, train.resources.gpu],
        "max_attempts": train.retry.max_attempts,
        "timeout_s": train.timeout.ToTimedelta() / timedelta(seconds=1),
        "depends_on": list(train.depends_on),
    },
    "pick": {"depends_on": list(pick.depends_on), "parameters": dict(pick.parameters), "for_each": pick.HasField("for_each")},
    "parameters": {p.name: json_format.MessageToDict(p.default_value) for p in spec.parameters},
    "outputs": dict(spec.outputs),
}


# `.map` is the same fan-out as the loop.
@flywheel.pipeline(name="rain-sweep", params={"Cs": [0.0001, 0.003, 0.1, 10.0], "rows": 400})
def mapped(params):
    trained = rain_sweep.train.map(params.Cs, rows=params.rows)
    best = rain_sweep.pick(accuracy=trained.outputs.accuracy, model_path=trained.outputs.model_path)
    return {"model_path": best.outputs.model_path, "accuracy": best.outputs.accuracy}


mapped_train = mapped.compile().steps[0]
mapped_train.for_each.parallelism = 2  # the loop above asked for 2 at once
seen["map_equals_loop"] = mapped_train == train

# A dynamic fan-out over another step's output, an item's field and index, a literal list, a built-in step.
@flywheel.pipeline(name="dsl-dynamic")
def dynamic(params):
    shards = dsl_chain.total(values=[1.0], note="shards")
    for shard in flywheel.for_each(shards.outputs.shards):
        scaled = dsl_chain.scale(x=shard["size"], factor=shard.index)
    for x in flywheel.for_each([1, 2.5]):
        dsl_chain.scale(x=x, after=[scaled])
    stored = flywheel.builtin("file-to-blob", path=shards.outputs.note, format="onnx")
    return {"sizes": scaled.outputs.value, "sha256": stored.outputs.sha256}


steps = {s.name: s for s in dynamic.compile().steps}
seen["dynamic"] = {
    name: {
        "depends_on": list(s.depends_on),
        "items": s.for_each.items,
        "parameters": json_format.MessageToDict(s.parameters),
        "builtin": s.builtin.name,
    }
    for name, s in steps.items()
}

# Mistakes the types catch, while compiling.
refused = {}
try:
    @flywheel.pipeline(name="x")
    def missing(params):
        dsl_chain.total(values=[1.0])
    missing.compile()
except TypeError as error:
    refused["missing_argument"] = "note" in str(error)
try:
    @flywheel.pipeline(name="x", params={"x": 1})
    def undeclared(params):
        dsl_chain.scale(x=params.y)
    undeclared.compile()
except AttributeError as error:
    refused["undeclared_parameter"] = "params.y" in str(error)
try:
    next(iter(flywheel.for_each([1, 2])))
except TypeError as error:
    refused["for_each_outside"] = "only inside" in str(error)
seen["refused_while_compiling"] = refused

fw = flywheel.connect()
# Applied: created at revision 1, unchanged → no new revision, changed → revision 2.
created = dsl_chain.chain.apply(fw)
again = dsl_chain.chain.apply(fw)
seen["apply"] = {
    "created": created.revision,
    "again": again.revision,
    "stored_equal": created.spec == dsl_chain.chain.compile(),
    # the fan-outs above, accepted by the platform's validator as compiled
    "sweep": rain_sweep.sweep.apply(fw).revision,
    "dynamic": dynamic.apply(fw).revision,
}

# Run: two scale steps in parallel, then total over both; outputs through `python -m flywheel.runner`.
run = dsl_chain.chain.run({"y": 2}, fw)
seen["run"] = {
    "state": run.state == 3,  # RUN_STATE_SUCCEEDED
    "outputs": flywheel.run_outputs(run),
    "scale": flywheel.run_outputs(run, "scale"),
    "scale_2": flywheel.run_outputs(run, "scale-2"),
    "total": flywheel.run_outputs(run, "total"),
}
updated = dsl_chain.chain_v2.apply(fw)
seen["updated"] = {"revision": updated.revision, "description": updated.description}
run2 = dsl_chain.chain_v2.run(client=fw)
seen["run_v2"] = flywheel.run_outputs(run2)

# The platform's refusals, with the field it named and the step's Python function.
errors = {}
for what, pipeline in (("create", dsl_chain.bad), ("update", dsl_chain.chain_bad)):
    try:
        pipeline.apply(fw)
    except flywheel.InvalidArgument as error:
        errors[what] = {"field": error.field, "names_function": "(step Bad_Name: dsl_chain.badly_named)" in error.message}
try:
    dsl_chain.chain.run({"z": 1}, fw)
except flywheel.InvalidArgument as error:
    errors["unknown_parameter"] = "z" in error.message
seen["errors"] = errors
fw.close()
print(json.dumps(seen, sort_keys=True))
