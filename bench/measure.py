"""Start-up, call latency and memory of `wharf serve`, measured over raw JSON-RPC on stdio.

Usage: python3 bench/measure.py [WHARF_BIN] [--runs N] [--calls N]

- cold start: process start to `tools/list` answered, with an empty plugin cache
  (Cranelift compiles the embedded plugins);
- warm start: the same with the precompiled cache filled (the normal case);
- list_containers: end-to-end latency of one call, median and p90 over --calls calls;
- resident memory (VmRSS) of the server after the calls.

Raw JSON-RPC keeps client overhead out of the figures. Needs a running Docker engine.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def rpc(proc, msg_id, method, params=None):
    msg = {"jsonrpc": "2.0", "id": msg_id, "method": method}
    if params is not None:
        msg["params"] = params
    proc.stdin.write(json.dumps(msg) + "\n")
    proc.stdin.flush()
    while True:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("wharf closed its stdout")
        reply = json.loads(line)
        if reply.get("id") == msg_id:
            if "error" in reply:
                raise RuntimeError(reply["error"])
            return reply["result"]


def start(wharf, cache):
    env = dict(os.environ, WHARF_CACHE_DIR=cache, WHARF_LOG="wharf=warn", WHARF_CONFIG="/nonexistent")
    t0 = time.perf_counter()
    proc = subprocess.Popen([wharf, "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    rpc(proc, 1, "initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                "clientInfo": {"name": "measure", "version": "0"}})
    t_init = time.perf_counter() - t0
    proc.stdin.write(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n")
    tools = rpc(proc, 2, "tools/list", {})
    t_tools = time.perf_counter() - t0
    return proc, t_init, t_tools, len(json.dumps(tools["tools"]))


def stop(proc):
    proc.stdin.close()
    proc.wait(timeout=10)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def ms(xs):
    return f"median {statistics.median(xs) * 1000:.1f} ms, min {min(xs) * 1000:.1f} ms"


def main():
    args = sys.argv[1:]
    wharf = args[0] if args and not args[0].startswith("--") else "target/release/wharf"
    runs = int(args[args.index("--runs") + 1]) if "--runs" in args else 10
    calls = int(args[args.index("--calls") + 1]) if "--calls" in args else 200

    cold_init, cold_tools, warm_init, warm_tools = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs):
            cache = os.path.join(tmp, f"cold{i}")
            proc, a, b, _ = start(wharf, cache)
            stop(proc)
            cold_init.append(a)
            cold_tools.append(b)
        cache = os.path.join(tmp, "warm")
        stop(start(wharf, cache)[0])
        for _ in range(runs):
            proc, a, b, tool_bytes = start(wharf, cache)
            stop(proc)
            warm_init.append(a)
            warm_tools.append(b)

        proc, _, _, _ = start(wharf, cache)
        latencies = []
        size = 0
        for i in range(calls):
            t0 = time.perf_counter()
            r = rpc(proc, 100 + i, "tools/call", {"name": "list_containers", "arguments": {"all": True}})
            latencies.append(time.perf_counter() - t0)
            size = len(json.dumps(r))
        rss = rss_kib(proc.pid)
        stop(proc)

    latencies.sort()
    print(f"wharf: {wharf}")
    print(f"cold start to initialize: {ms(cold_init)}")
    print(f"cold start to tools/list: {ms(cold_tools)}")
    print(f"warm start to initialize: {ms(warm_init)}")
    print(f"warm start to tools/list: {ms(warm_tools)}")
    print(f"list_containers end to end ({calls} calls): {ms(latencies)}, "
          f"p90 {latencies[int(len(latencies) * 0.9)] * 1000:.1f} ms")
    print(f"resident memory after the calls: {rss / 1024:.1f} MiB")
    print(f"tool list: {tool_bytes} bytes; list_containers result: {size} bytes")


if __name__ == "__main__":
    main()
