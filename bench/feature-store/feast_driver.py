"""Feast's side of bench/feature-store/feast-bench.ts (run in the venv setup-feast.sh makes).

  python feast_driver.py apply <repo> <history.parquet> <features> <ttl_seconds>
  python feast_driver.py pit <repo> <entities.parquet> <features> <out.parquet>
  python feast_driver.py materialize <repo> <start_iso> <end_iso>
  python feast_driver.py ingest <repo> <rows.parquet> [batch_rows=100000]

Each command prints one JSON line on stdout, e.g. {"seconds": 4.1}: the time of the Feast call alone
(reading inputs and writing outputs for the comparison are not timed). The repo: local provider,
DuckDB offline store over the Parquet file (FileSource), sqlite online store; view `bench` reads
the history, view `bench_ingest` (same schema, same source) takes write_to_online_store.
"""

import json
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
from feast import Entity, FeatureStore, FeatureView, Field, FileSource, ValueType
from feast.types import Float64

FEATURE_STORE_YAML = """project: bench
registry: {repo}/registry.db
provider: local
offline_store:
  type: duckdb
online_store:
  type: sqlite
  path: {repo}/online.db
entity_key_serialization_version: 3
"""


def views(history: str, features: int, ttl_seconds: int):
    entity = Entity(name="entity", join_keys=["entity_id"], value_type=ValueType.INT64)
    source = FileSource(name="bench_history", path=history, timestamp_field="event_timestamp")
    schema = [Field(name=f"f{i}", dtype=Float64) for i in range(features)]

    def view(name: str) -> FeatureView:
        return FeatureView(
            name=name,
            entities=[entity],
            ttl=timedelta(seconds=ttl_seconds),
            schema=schema,
            source=source,
            online=True,
        )

    return [entity, view("bench"), view("bench_ingest")]


def store(repo: str) -> FeatureStore:
    return FeatureStore(repo_path=repo)


def timed(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def main(command: str, repo: str, *args: str) -> dict:
    if command == "apply":
        history, features, ttl = args[0], int(args[1]), int(args[2])
        Path(repo).mkdir(parents=True, exist_ok=True)
        (Path(repo) / "feature_store.yaml").write_text(FEATURE_STORE_YAML.format(repo=repo))
        fs = store(repo)
        return {"seconds": timed(lambda: fs.apply(views(history, features, ttl)))}
    if command == "pit":
        entities, features, out = args[0], int(args[1]), args[2]
        entity_df = pd.read_parquet(entities)
        fs = store(repo)
        refs = [f"bench:f{i}" for i in range(features)]
        result = {}

        def join():
            result["df"] = fs.get_historical_features(entity_df=entity_df, features=refs).to_df()

        seconds = timed(join)
        result["df"].to_parquet(out, index=False)
        return {"seconds": seconds, "rows": len(result["df"])}
    if command == "materialize":
        start, end = datetime.fromisoformat(args[0]), datetime.fromisoformat(args[1])
        fs = store(repo)
        return {"seconds": timed(lambda: fs.materialize(start, end, feature_views=["bench"]))}
    if command == "ingest":
        df = pd.read_parquet(args[0])
        batch = int(args[1]) if len(args) > 1 else 100_000
        fs = store(repo)

        # One write_to_online_store of all 1M rows grew past 19 GB RSS (Feast turns the frame
        # into per-row protos first); batches of `batch` rows keep it bounded, as a loader would.
        def write():
            for start in range(0, len(df), batch):
                fs.write_to_online_store("bench_ingest", df.iloc[start : start + batch])

        return {"seconds": timed(write), "rows": len(df), "batch": batch}
    raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:])), flush=True)
