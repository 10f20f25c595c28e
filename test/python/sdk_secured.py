"""The SDK over TLS with a bearer token, both from the CLI's context file (test/python-sdk-secured.test.ts)."""
import json

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

import flywheel

days = pd.DataFrame({"temp_max": [3.0, 9.0, 21.0, 27.0], "wind": [6.0, 5.0, 3.0, 2.0]})
model = LogisticRegression().fit(days, np.array([1, 1, 0, 0]))
seen = {}
with flywheel.connect("secured") as fw:  # tls.ca and token from the context
    version = fw.register_model("secured-rain", model, team="team-a", alias="champion")
    seen["registered"] = [version.model_name, version.team, list(version.aliases)]
for name, kwargs in [("bad_token", {"token": "not-a-jwt"}), ("plaintext", {"tls": False})]:
    try:
        context = flywheel.load_context("secured")
        if name == "plaintext":  # the same address without TLS: the handshake never happens
            fw = flywheel.Flywheel(flywheel.Context(addresses=context.addresses, token=context.token), timeout=5)
        else:
            fw = flywheel.connect("secured", **kwargs)
        fw.get_version("secured-rain", 1)
        seen[name] = "OK"
    except flywheel.FlywheelError as error:
        seen[name] = error.code.name
print(json.dumps(seen, sort_keys=True))
