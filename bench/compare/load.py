"""Load with wrk: one thread, keep-alive connections, POST bodies from a generated Lua script.

Every script counts the answers that are not HTTP 200 or that carry `"errors"` (a system that fails
fast must not look fast) and prints one `RESULT {json}` line from wrk's `done()`: requests, duration,
p50 and p99 latency (µs) and those error counts. Read workloads cycle through their bodies (W2:
through many asset ids); W4 builds a new appendManyAssets body per request, with ids made from a run
prefix, the thread and a counter, as `workloads.append_body` does in Python.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.compare.workloads import APPEND_BATCH, LG_W4

RESULT = "RESULT "

_COMMON = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = %(authorization)s
local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
bad = 0
function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then bad = bad + 1 end
end
function done(summary, latency, requests)
  local bad_total = 0
  for _, thread in ipairs(threads) do bad_total = bad_total + thread:get("bad") end
  local e = summary.errors
  io.write(string.format(
    '%(result)s{"requests": %%.0f, "duration_us": %%.0f, "p50_us": %%.0f, "p99_us": %%.0f, "bad": %%.0f, ' ..
    '"socket_errors": %%.0f}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), bad_total,
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""

_READ = """
local bodies = {%(bodies)s}
local prepared = {}
local next_index = 0
function init(args)
  for i, b in ipairs(bodies) do prepared[i] = wrk.format(nil, "/graphql", nil, b) end
end
function request()
  next_index = next_index %% #prepared + 1
  return prepared[next_index]
end
"""

_APPEND = """
local query = %(query)s
local project = %(project)s
local prefix = %(prefix)s
local batch = %(batch)d
local calls = 0
function request()
  calls = calls + 1
  local key = prefix .. "t" .. tid .. "c" .. calls
  local contents, externals, ids, honeypots, json_contents, metadata = {}, {}, {}, {}, {}, {}
  for k = 0, batch - 1 do
    contents[#contents + 1] = '"https://cdn.example.com/append/' .. key .. '-' .. k .. '.jpg"'
    externals[#externals + 1] = '"' .. key .. '-' .. k .. '"'
    ids[#ids + 1] = '"w4' .. key .. '-' .. k .. '"'
    honeypots[#honeypots + 1] = 'false'
    json_contents[#json_contents + 1] = '""'
    metadata[#metadata + 1] = '"{\\\\"camera\\\\": \\\\"cam' .. (k %% 4) .. '\\\\", \\\\"frame\\\\": ' .. k .. '}"'
  end
  local body = '{"query": ' .. query .. ', "variables": {"data": {' ..
    '"contentArray": [' .. table.concat(contents, ", ") .. '], ' ..
    '"externalIDArray": [' .. table.concat(externals, ", ") .. '], ' ..
    '"idArray": [' .. table.concat(ids, ", ") .. '], ' ..
    '"isHoneypotArray": [' .. table.concat(honeypots, ", ") .. '], ' ..
    '"jsonContentArray": [' .. table.concat(json_contents, ", ") .. '], ' ..
    '"jsonMetadataArray": [' .. table.concat(metadata, ", ") .. ']}, ' ..
    '"where": {"id": "' .. project .. '"}}}'
  return wrk.format(nil, "/graphql", nil, body)
end
"""


@dataclass(frozen=True)
class Result:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    bad: int  # answers that were not 200 or carried errors
    socket_errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def lua_string(text: str) -> str:
    """A Lua string literal holding `text` (JSON escaping is valid Lua escaping for what we send)."""
    return json.dumps(text)


def read_script(key: str, bodies: list[str]) -> str:
    return _header(key) + _READ % {"bodies": ", ".join(lua_string(b) for b in bodies)}


def append_script(key: str, project_id: str, prefix: str, batch: int = APPEND_BATCH) -> str:
    return _header(key) + _APPEND % {
        "query": lua_string(json.dumps(LG_W4)),
        "project": lua_string(project_id),
        "prefix": lua_string(prefix),
        "batch": batch,
    }


def _header(key: str) -> str:
    return _COMMON % {"authorization": lua_string(f"X-API-Key: {key}"), "result": RESULT}


def wrk_path() -> str:
    """wrk's path; installs Debian's package when missing and we are root, else says how."""
    found = shutil.which("wrk")
    if found:
        return found
    if shutil.which("apt-get") and os.geteuid() == 0:
        print("wrk is missing: apt-get install -y wrk", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False, stdout=subprocess.DEVNULL)
        found = shutil.which("wrk")
        if found:
            return found
        subprocess.run(["apt-get", "update", "-q"], check=False, stdout=subprocess.DEVNULL)
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False, stdout=subprocess.DEVNULL)
        found = shutil.which("wrk")
        if found:
            return found
    raise SystemExit("bench.compare needs wrk: install it with `apt-get install wrk` (Debian's package).")


def run_wrk(url: str, script: str, connections: int, seconds: float) -> Result:
    """wrk against `url` for `seconds` with `connections` keep-alive connections on one thread."""
    with tempfile.TemporaryDirectory(prefix="lg-wrk-") as tmp:
        path = Path(tmp) / "script.lua"
        path.write_text(script)
        completed = subprocess.run(
            [
                wrk_path(),
                "-t1",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "120s",
                "-s",
                str(path),
                url + "/graphql",
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 180,
            check=False,
        )
    for line in completed.stdout.splitlines():
        if line.startswith(RESULT):
            raw = json.loads(line[len(RESULT) :])
            return Result(
                requests=int(raw["requests"]),
                seconds=raw["duration_us"] / 1e6,
                p50_ms=raw["p50_us"] / 1000,
                p99_ms=raw["p99_us"] / 1000,
                bad=int(raw["bad"]),
                socket_errors=int(raw["socket_errors"]),
            )
    raise RuntimeError(f"wrk printed no result (exit {completed.returncode}):\n{completed.stdout}\n{completed.stderr}")
