"""A command step logging a metric per epoch with the SDK (test/python/sdk_experiments.py runs it)."""
import flywheel

for epoch in range(3):
    flywheel.log_metrics(step=epoch, loss=1.0 / (epoch + 1))
