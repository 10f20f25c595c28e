"""Calls the feature store's Feast-style HTTP API the way a Feast user's script would (urllib).

Usage: feast_http_client.py <base-url> '<json list of {"method", "path", "body"?}>'
Prints a JSON list of {"status", "body"} (the body parsed as JSON), one per call, in order.
"""
import json
import sys
import urllib.error
import urllib.request


def call(base, method, path, body):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return {"status": response.status, "body": json.loads(response.read())}
    except urllib.error.HTTPError as error:
        return {"status": error.code, "body": json.loads(error.read())}


def main():
    base, calls = sys.argv[1], json.loads(sys.argv[2])
    print(json.dumps([call(base, c["method"], c["path"], c.get("body")) for c in calls]))


if __name__ == "__main__":
    main()
