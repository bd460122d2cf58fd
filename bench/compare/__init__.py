"""labelgate side by side with PostGraphile 5 and a raw floor, on one database (issue 10, part 4).

Run: `.venv/bin/python -m bench.compare [--assets 100000 --labels 300000 --users 20] [--rounds 3]
[--duration 10] [--quick]` (`--quick`: small data, one short round, a ~2 minute smoke run; a full
run took 41 minutes before the query planner, 23 of them the memory run).

It starts PostgreSQL (and S3) in temp dirs, migrates them with labelgate's migrations and seeds them
with COPY (seed.py), then serves, each in its own process on loopback: labelgate from this tree with
1 and with 2 uvicorn workers, PostGraphile 5 (amber preset, production mode, one Node process;
installed once with npm into ~/.cache/labelgate-bench, see servers.py) and the raw floor (floor.py:
labelgate's statements through asyncpg, no GraphQL or ORM). Before any timing it asks every system each
workload once and stops with the first difference if the answers differ after normalising
(answers.py). Then wrk (Debian package `wrk`) loads each system with keep-alive connections at
concurrency 1 and 8, for W1-W4 (workloads.py), interleaving the systems within every round and
rotating their order between rounds. Last, a fresh 1-worker labelgate serves `--memory-requests` W1
requests one after another and its RSS after 100 and after all of them is compared.

It prints each measurement as it goes, then a markdown table of medians over rounds: p50, p99 and
req/s (assets/s for W4) per system, workload and concurrency, the ratios labelgate/PostGraphile and
labelgate/floor, CPU per request of the system's processes and of PostgreSQL, the load average
before, between rounds and after, the RSS ratio and issue 10's targets (met or missed). Everything
it started is stopped at the end, also on Ctrl-C, SIGTERM or failure. Not part of the test suite.
"""
