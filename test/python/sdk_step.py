"""A command step using the SDK's step helpers (test/python/sdk_journey.py runs it in a pipeline)."""
import flywheel

C = float(flywheel.parameters()["C"])
flywheel.log_params(C=C, solver="lbfgs")
flywheel.log_metrics(auc=0.5 + C / 10, accuracy=0.8)
flywheel.log_outputs(model_path="none")
