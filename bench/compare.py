"""wharf against mcp-server-docker and the raw Docker socket, in one run on one machine.

Usage:
    python3 bench/compare.py [--wharf target/release/wharf] [--peer PATH]
                             [--starts 10] [--reps 200] [--mutations 20] [--containers 20]
                             [--json FILE]

Three subjects answer the same questions:
- wharf: `wharf serve` over stdio;
- peer: `mcp-server-docker` from PyPI (installed into target/bench-venv with
  `pip install --ignore-requires-python` when --peer is not given and it is not on PATH);
- floor: the same Docker Engine API requests sent straight to the engine's unix socket over
  one kept-alive connection (no MCP, no JSON re-shaping): what any server must at least pay.

Both servers are driven by the same client: raw JSON-RPC over stdio (no SDK), one line per
message, so client overhead is the same and small. Figures are medians over many
repetitions. While measuring, --containers containers of the fixture image run (labelled
org.wharf.bench=<run>, removed at the end); nothing else on the engine is touched.

wharf runs with `[confirm] without_elicitation = "proceed"`: this client cannot answer a
confirmation question, and the mutating round trip removes a container.
"""

import argparse
import concurrent.futures
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

FIXTURE = "wharf-fixture/busybox:latest"
SOCKET = "/var/run/docker.sock"
IN_FLIGHT = 64


# --- the client both servers get ------------------------------------------------------

class Server:
    """An MCP server over stdio, driven with raw JSON-RPC lines."""

    def __init__(self, argv, env):
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, env=env, bufsize=1)
        self.next_id = 1
        self.lock = threading.Lock()

    def send(self, method, params=None):
        msg_id = self.next_id
        self.next_id += 1
        msg = {"jsonrpc": "2.0", "id": msg_id, "method": method}
        if params is not None:
            msg["params"] = params
        self.proc.stdin.write(json.dumps(msg) + "\n")
        self.proc.stdin.flush()
        return msg_id

    def read(self):
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"{self.proc.args[0]} closed its stdout")
            msg = json.loads(line)
            if "id" in msg and ("result" in msg or "error" in msg):
                if "error" in msg:
                    raise RuntimeError(msg["error"])
                return msg["id"], msg["result"]

    def rpc(self, method, params=None):
        msg_id = self.send(method, params)
        while True:
            got, result = self.read()
            if got == msg_id:
                return result

    def handshake(self):
        """Seconds from process start to `initialize` answered, then to `tools/list`."""
        self.rpc("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                "clientInfo": {"name": "wharf-bench", "version": "0"}})
        t_init = time.perf_counter() - self.t0
        self.proc.stdin.write(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n")
        self.proc.stdin.flush()
        self.tools = self.rpc("tools/list", {})["tools"]
        return t_init, time.perf_counter() - self.t0

    def call(self, tool, args):
        result = self.rpc("tools/call", {"name": tool, "arguments": args})
        if result.get("isError"):
            raise RuntimeError(f"{tool} failed: {json.dumps(result)[:400]}")
        return result

    def burst(self, tool, args, total):
        """`total` calls kept IN_FLIGHT at a time; calls per second."""
        t0 = time.perf_counter()
        pending = set()
        sent = 0
        while sent < total or pending:
            while sent < total and len(pending) < IN_FLIGHT:
                pending.add(self.send("tools/call", {"name": tool, "arguments": args}))
                sent += 1
            got, result = self.read()
            if result.get("isError"):
                raise RuntimeError(f"{tool} failed in the burst: {json.dumps(result)[:400]}")
            pending.discard(got)
        return total / (time.perf_counter() - t0)

    def rss_mib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# --- the floor: the engine's socket, nothing in between ------------------------------

class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("docker")
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


class Floor:
    def __init__(self, path):
        self.path = path
        self.conn = UnixConnection(path)
        self.version = "/v" + self.get("/version")["ApiVersion"]

    def request(self, method, url, body=None, conn=None):
        conn = conn or self.conn
        headers = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(method, url, body=json.dumps(body) if body is not None else None, headers=headers)
        response = conn.getresponse()
        data = response.read()
        if response.status >= 300:
            raise RuntimeError(f"{method} {url}: {response.status} {data[:200]!r}")
        return json.loads(data) if data else None

    def get(self, url):
        return self.request("GET", url)

    def list_containers(self, conn=None):
        return self.request("GET", self.version + "/containers/json?all=1", conn=conn)

    def list_images(self):
        return self.get(self.version + "/images/json")

    def mutate(self, name):
        created = self.request("POST", f"{self.version}/containers/create?name={name}",
                               {"Image": FIXTURE, "Cmd": ["sleep", "60"],
                                "Labels": {"org.wharf.bench": name}})
        self.request("POST", f"{self.version}/containers/{created['Id']}/start")
        self.request("DELETE", f"{self.version}/containers/{created['Id']}?force=1")

    def burst(self, total):
        """`total` list requests, IN_FLIGHT at a time, each worker on its own connection."""
        local = threading.local()

        def one(_):
            if not hasattr(local, "conn"):
                local.conn = UnixConnection(self.path)
            self.list_containers(local.conn)

        t0 = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(IN_FLIGHT) as pool:
            list(pool.map(one, range(total)))
        return total / (time.perf_counter() - t0)


# --- the subjects --------------------------------------------------------------------

def peer_command(given):
    if given:
        return [given]
    found = shutil.which("mcp-server-docker")
    if found:
        return [found]
    venv = os.path.join("target", "bench-venv")
    exe = os.path.join(venv, "bin", "mcp-server-docker")
    if not os.path.exists(exe):
        print(f"installing mcp-server-docker into {venv} (pip --ignore-requires-python)", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([os.path.join(venv, "bin", "pip"), "install", "-q", "--ignore-requires-python",
                        "mcp-server-docker"], check=True)
    return [exe]


class Subject:
    """How each server spells the same operations."""

    def __init__(self, name, argv, env, list_args, run, remove, cold_env=None):
        self.name, self.argv, self.env = name, argv, env
        self.list_args, self.run, self.remove = list_args, run, remove
        # An environment whose start finds no cache (wharf: Cranelift compiles the plugins).
        self.cold_env = cold_env

    def start(self, env=None):
        return Server(self.argv, env or self.env)


def subjects(wharf, peer, tmp):
    config = os.path.join(tmp, "wharf.toml")
    with open(config, "w") as f:
        f.write('[confirm]\nwithout_elicitation = "proceed"\n')
    wharf_env = dict(os.environ, WHARF_CONFIG=config, WHARF_LOG="wharf=warn",
                     WHARF_CACHE_DIR=os.path.join(tmp, "cache"))
    colds = iter(range(1_000_000))
    cold_env = lambda: dict(wharf_env, WHARF_CACHE_DIR=os.path.join(tmp, f"cold{next(colds)}"))
    return [
        Subject("wharf", [wharf, "serve"], wharf_env, {"all": True},
                lambda name: ("run_container", {"image": FIXTURE, "name": name, "command": ["sleep", "60"],
                                                "labels": {"org.wharf.bench": name}}),
                lambda name: ("remove_container", {"container": name, "force": True}),
                cold_env),
        Subject("mcp-server-docker", peer, dict(os.environ), {"all": True},
                lambda name: ("run_container", {"image": FIXTURE, "name": name, "command": "sleep 60",
                                                "detach": True, "labels": {"org.wharf.bench": name}}),
                lambda name: ("remove_container", {"container_id": name, "force": True})),
    ]


def median_ms(xs):
    return statistics.median(xs) * 1000


def measure(subject, args, run_id):
    out = {}
    # One start first: caches filled (wharf's precompiled plugins, Python's bytecode).
    s = subject.start()
    s.handshake()
    s.stop()
    inits, lists = [], []
    for _ in range(args.starts):
        s = subject.start()
        a, b = s.handshake()
        s.stop()
        inits.append(a)
        lists.append(b)
    out["start to initialize (ms)"] = median_ms(inits)
    out["start to tools/list (ms)"] = median_ms(lists)
    if subject.cold_env:
        colds = []
        for _ in range(max(1, args.starts // 2)):
            s = subject.start(subject.cold_env())
            colds.append(s.handshake()[1])
            s.stop()
        out["first start ever, to tools/list (ms)"] = median_ms(colds)

    s = subject.start()
    s.handshake()
    out["tool list (bytes)"] = len(json.dumps(s.tools, separators=(",", ":")))
    for tool, key, targs in [("list_containers", "list_containers (ms)", subject.list_args),
                             ("list_images", "list_images (ms)", {})]:
        times = []
        for _ in range(args.reps):
            t0 = time.perf_counter()
            result = s.call(tool, targs)
            times.append(time.perf_counter() - t0)
        out[key] = median_ms(times)
        if tool == "list_containers":
            out[f"list_containers result, {args.containers} running (bytes)"] = len(
                json.dumps(result, separators=(",", ":")))
    times = []
    for i in range(args.mutations):
        name = f"wharf-bench-{run_id}-{subject.name}-{i}"
        t0 = time.perf_counter()
        s.call(*subject.run(name))
        s.call(*subject.remove(name))
        times.append(time.perf_counter() - t0)
    out["create+start+remove (ms)"] = median_ms(times)
    out["resident memory after warm-up (MiB)"] = s.rss_mib()
    out[f"list_containers, {IN_FLIGHT} in flight (calls/s)"] = s.burst(
        "list_containers", subject.list_args, IN_FLIGHT * 10)
    out[f"resident memory after {IN_FLIGHT} in flight (MiB)"] = s.rss_mib()
    s.stop()
    return out


def measure_floor(args, run_id):
    floor = Floor(SOCKET)
    out = {}
    for key, fn in [("list_containers (ms)", floor.list_containers), ("list_images (ms)", floor.list_images)]:
        times = []
        for _ in range(args.reps):
            t0 = time.perf_counter()
            result = fn()
            times.append(time.perf_counter() - t0)
        out[key] = median_ms(times)
        if key.startswith("list_containers"):
            out[f"list_containers result, {args.containers} running (bytes)"] = len(
                json.dumps(result, separators=(",", ":")))
    times = []
    for i in range(args.mutations):
        t0 = time.perf_counter()
        floor.mutate(f"wharf-bench-{run_id}-floor-{i}")
        times.append(time.perf_counter() - t0)
    out["create+start+remove (ms)"] = median_ms(times)
    out[f"list_containers, {IN_FLIGHT} in flight (calls/s)"] = floor.burst(IN_FLIGHT * 10)
    return out


def docker(*argv):
    return subprocess.run(["docker", *argv], check=True, capture_output=True, text=True).stdout.strip()


def remove_bench_objects(run_id):
    ids = docker("ps", "-aq", "--filter", f"label=org.wharf.bench-run={run_id}").split()
    ids += [line.split()[0] for line in docker("ps", "-a", "--format", "{{.ID}} {{.Names}}").splitlines()
            if f"wharf-bench-{run_id}-" in line]
    if ids:
        subprocess.run(["docker", "rm", "-f", *sorted(set(ids))], capture_output=True)


def table(results, args):
    rows = []
    for subject in results.values():
        for key in subject:
            if key not in rows:
                rows.append(key)
    lower_is_better = lambda k: not k.endswith("(calls/s)")
    lines = ["| figure | wharf | mcp-server-docker | socket floor | peer / wharf | wharf / floor |",
             "|---|---|---|---|---|---|"]
    for key in rows:
        w = results["wharf"].get(key)
        p = results["mcp-server-docker"].get(key)
        f = results["floor"].get(key)
        fmt = lambda v: "n/a" if v is None else (f"{v:,.0f}" if v >= 100 else f"{v:.2f}")
        if w and p:
            speedup = p / w if lower_is_better(key) else w / p
            vs_peer = f"{speedup:.1f}x"
        else:
            vs_peer = ""
        if w and f:
            vs_floor = f"{w / f:.2f}x" if lower_is_better(key) else f"{f / w:.2f}x"
        else:
            vs_floor = ""
        lines.append(f"| {key} | {fmt(w)} | {fmt(p)} | {fmt(f)} | {vs_peer} | {vs_floor} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--wharf", default="target/release/wharf")
    parser.add_argument("--peer")
    parser.add_argument("--starts", type=int, default=10)
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--mutations", type=int, default=20)
    parser.add_argument("--containers", type=int, default=20)
    parser.add_argument("--json")
    args = parser.parse_args()

    docker("image", "inspect", FIXTURE)
    run_id = f"{os.getpid()}"
    peer = peer_command(args.peer)
    results = {}
    try:
        for i in range(args.containers):
            docker("run", "-d", "--name", f"wharf-bench-{run_id}-c{i}", "--label",
                   f"org.wharf.bench-run={run_id}", FIXTURE, "sleep", "3600")
        with tempfile.TemporaryDirectory() as tmp:
            for subject in subjects(args.wharf, peer, tmp):
                print(f"measuring {subject.name} ...", file=sys.stderr)
                results[subject.name] = measure(subject, args, run_id)
        print("measuring the socket floor ...", file=sys.stderr)
        results["floor"] = measure_floor(args, run_id)
    finally:
        remove_bench_objects(run_id)

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    print(f"commit {commit}; {os.cpu_count()} CPUs; {args.containers} containers running; "
          f"medians of {args.starts} starts, {args.reps} calls, {args.mutations} round trips\n")
    print(table(results, args))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"commit": commit, "args": vars(args), "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
