"""Evidently's side of bench/monitoring/drift-bench.ts.

Reads DIR/meta.json ({"features": F, "rows": {"reference": n, "current": m}}) and the column-major
float64 files DIR/reference.f64 and DIR/current.f64, builds the two pandas frames and Evidently
Datasets (untimed, reported as "prepare"), then for each requested method times
Report([DataDriftPreset(method=...)], include_tests=False).run(current, reference) and prints one
JSON line per run with the seconds (wall, and the process's CPU: time.process_time) and each
column's ValueDrift value (the p-value for KS).
"""

import json
import sys
import time
import warnings

import numpy as np
import pandas as pd
from evidently import DataDefinition, Dataset, Report
from evidently.presets import DataDriftPreset

warnings.filterwarnings("ignore")


def main():
    directory, methods = sys.argv[1], sys.argv[2].split(",")
    meta = json.load(open(f"{directory}/meta.json", encoding="utf8"))
    features = meta["features"]
    names = [f"f{i}" for i in range(features)]
    started = time.perf_counter()
    frames = {}
    for side in ("reference", "current"):
        values = np.fromfile(f"{directory}/{side}.f64", dtype="<f8").reshape(features, meta["rows"][side])
        frames[side] = pd.DataFrame(dict(zip(names, values)))
    definition = DataDefinition(numerical_columns=names)
    reference = Dataset.from_pandas(frames["reference"], data_definition=definition)
    current = Dataset.from_pandas(frames["current"], data_definition=definition)
    print(json.dumps({"prepare": time.perf_counter() - started}), flush=True)
    for method in methods:
        preset = DataDriftPreset() if method == "default" else DataDriftPreset(method=method)
        started = time.perf_counter()
        cpu_started = time.process_time()
        snapshot = Report([preset], include_tests=False).run(current_data=current, reference_data=reference)
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
        scores = {}
        for metric in snapshot.dict()["metrics"]:
            column = metric["config"].get("column")
            if column is not None:
                scores[column] = {"method": metric["config"].get("method"), "value": float(metric["value"])}
        print(
            json.dumps({"method": method, "seconds": seconds, "cpu_seconds": cpu_seconds, "scores": scores}),
            flush=True,
        )


main()
