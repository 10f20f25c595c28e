"""A user's view of queues over grpcio: submit into a queue, read the wait, be refused a bad queue.

Usage: queued_run.py <orchestrator address> <team> <queue>
Prints one JSON object: the waiting run's admission as GetRun returns it, and the refusal.
"""

import json
import sys
import time

import grpc
from flywheel.orchestrator.v1 import orchestrator_pb2 as pb
from flywheel.orchestrator.v1 import orchestrator_pb2_grpc as rpc


def main() -> None:
    address, team, queue = sys.argv[1:4]
    with grpc.insecure_channel(address) as channel:
        orchestrator = rpc.OrchestratorServiceStub(channel)
        request = pb.SubmitRunRequest(team=team, queue=queue)
        request.inline_pipeline.name = "python-queued"
        step = request.inline_pipeline.spec.steps.add(name="burn")
        step.command.command.extend([sys.executable, "-c", "pass"])
        step.resources.cpu = 2
        run = orchestrator.SubmitRun(request, timeout=10).run
        # Poll until the first admission pass said where it waits (or it was admitted).
        for _ in range(200):
            got = orchestrator.GetRun(pb.GetRunRequest(run_id=run.id), timeout=10).run
            if got.admission.reason != "not looked at yet":
                break
            time.sleep(0.05)
        refused = ""
        try:
            bad = pb.SubmitRunRequest()
            bad.CopyFrom(request)
            bad.queue = "nightly"
            orchestrator.SubmitRun(bad, timeout=10)
        except grpc.RpcError as error:
            refused = f"{error.code().name}: {error.details()}"
        print(
            json.dumps(
                {
                    "run_id": got.id,
                    "queue": got.queue,
                    "state": pb.RunState.Name(got.state),
                    "admission": pb.AdmissionState.Name(got.admission.state),
                    "position": got.admission.position,
                    "reason": got.admission.reason,
                    "queued_since_set": got.admission.HasField("queued_since"),
                    "demand_cpu": got.admission.demand.cpu,
                    "refused": refused,
                }
            )
        )


if __name__ == "__main__":
    main()
