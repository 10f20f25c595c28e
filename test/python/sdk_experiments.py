"""Experiment tracking with the SDK only: a sweep of 3 runs logging metrics, then sorted, filtered and compared
(test/python-sdk-experiments.test.ts runs it against the embedded platform and reads its JSON)."""
import json
import os
import sys

import flywheel

fw = flywheel.connect()
step = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sdk_step.py")
spec = {
    "steps": [{"name": "train", "command": {"command": [sys.executable, step]}, "parameters": {"C": "${params.C}"}}],
    "parameters": [{"name": "C", "required": True}],
}
ids = []
for C in (0.5, 2.0, 1.0):
    run = fw.submit_run(spec, {"C": C}, name="sdk-sweep", experiment="sdk-churn", tags=["sweep", f"c{int(C * 10)}"])
    ids.append(fw.wait_run(run.id).id)

best = fw.list_runs(experiment="sdk-churn", order_by="metrics.auc desc")
table = fw.compare_runs(ids)
epochs = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sdk_step_epochs.py")
series_run = fw.wait_run(
    fw.submit_run({"steps": [{"name": "fit", "command": {"command": [sys.executable, epochs]}}]}, name="sdk-epochs").id
)
history = fw.metric_history(series_run.id, "loss")
errors = {}
try:
    fw.list_runs(experiment="sdk-churn", order_by="auc")
except flywheel.InvalidArgument as error:
    errors["order_by"] = "order_by" in error.message
print(
    json.dumps(
        {
            "best_first": [ids.index(r.id) for r in best],
            "best_auc": best[0].metrics["auc"],
            "tagged": [r.id for r in fw.list_runs(tag="c20")] == [ids[1]],
            "columns": list(table.columns) == ids,
            "index": list(table.index),
            "auc_row": table.loc["metrics.auc"].tolist(),
            "c_row": table.loc["params.C"].tolist(),
            "errors": errors,
            "history": history.values.tolist(),
            "final_loss": series_run.metrics["loss"],
        }
    )
)
