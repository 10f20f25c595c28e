"""How both drift oracles are driven: a JSON file of cases in, one JSON result per case out.

Reads {"cases": [{"kind": "numeric"|"categorical", "reference": [...], "window": [...]}]} from
the file named by the first argument and prints the list of `numeric(case)` / `categorical(case)`
results as JSON; a case the oracle refuses with ValueError (an empty sample) prints
{"undecidable": why}. Null values are missing: `present_strings` drops them from a categorical sample.
"""

import json
import sys


def present_strings(values):
    return [str(v) for v in values if v is not None]


def run_cases(numeric, categorical):
    with open(sys.argv[1], encoding="utf8") as file:
        cases = json.load(file)["cases"]

    def decide(case):
        try:
            return numeric(case) if case["kind"] == "numeric" else categorical(case)
        except ValueError as error:
            return {"undecidable": str(error)}

    print(json.dumps([decide(c) for c in cases]))
