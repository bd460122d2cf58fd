"""Drives the published Kili SDK for the conformance tests. Runs under .venv-kili or .venv-kili-legacy
(whichever generation the test drives; it never imports labelgate).

Reads one JSON command per line on stdin, answers one JSON line on stdout:
  {"op": "connect", "name": N, "api_key": K, "api_endpoint": URL, "domain": false}  -> {"ok": true}
  {"op": "call", "name": N, "method": "assets", "kwargs": {...}}    -> {"ok": true, "result": ...}
`domain: true` builds the SDK's domain client (`kili.client_domain.Kili`, 26.x only), whose methods live in
namespaces: a dotted method such as "issues.list" calls `kili.issues.list(...)`.
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
            if command.get("domain"):
                from kili.client_domain import Kili as client_class  # 26.x only: 2.164 has no domain client
            else:
                client_class = Kili
            clients[command["name"]] = client_class(api_key=command["api_key"], api_endpoint=command["api_endpoint"])
        return None
    if command["op"] == "call":
        target = clients[command["name"]]
        for attribute in command["method"].split("."):
            target = getattr(target, attribute)
        result = target(**command.get("kwargs", {}))
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
