"""Drives the published Kili SDK for the conformance tests. Runs under .venv-kili or .venv-kili-legacy
(whichever generation the test drives; it never imports labelgate).

Reads one JSON command per line on stdin, answers one JSON line on stdout:
  {"op": "connect", "name": N, "api_key": K, "api_endpoint": URL}   -> {"ok": true}
  {"op": "call", "name": N, "method": "assets", "kwargs": {...}}    -> {"ok": true, "result": ...}
Errors come back as {"ok": false, "type": "<exception class>", "message": "..."}.
"""

import json
import sys
import traceback
import warnings

from kili.client import Kili

clients = {}


def handle(command):
    if command["op"] == "connect":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clients[command["name"]] = Kili(api_key=command["api_key"], api_endpoint=command["api_endpoint"])
        return None
    if command["op"] == "call":
        result = getattr(clients[command["name"]], command["method"])(**command.get("kwargs", {}))
        if not isinstance(result, (dict, list, str, int, float, bool, type(None))):
            result = list(result)
        return result
    raise ValueError(f"unknown op {command['op']}")


def main():
    for line in sys.stdin:
        try:
            answer = {"ok": True, "result": handle(json.loads(line))}
        except Exception as exc:  # reported to the test, which asserts on it
            answer = {"ok": False, "type": type(exc).__name__, "message": str(exc), "traceback": traceback.format_exc()}
        sys.stdout.write(json.dumps(answer, default=str) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
