"""Start-up and list_containers of wharf's release builds and of its image, in one run.

Usage:
    python3 bench/starts.py [--binary NAME=PATH ...] [--image TAG] [--starts 20]
                            [--reps 200] [--containers 20] [--json FILE]

For each binary (default: glibc=target/release/wharf and, when built,
musl=target/x86_64-unknown-linux-musl/release/wharf): the median time from process start to
`tools/list` answered with a warm plugin cache, and the median `list_containers` round trip
with --containers containers of the fixture image running (labelled
org.wharf.bench-run=<run>, removed at the end).

For --image (built by scripts/image): the same start through `docker run -i --rm` with the
socket mounted, and, to tell Docker's share from wharf's, the median time of
`docker run --rm IMAGE --version`, a container that starts and exits at once.

The client is bench/compare.py's: raw JSON-RPC lines over stdio.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from compare import FIXTURE, Server, docker, median_ms  # noqa: E402

SOCKET = "/var/run/docker.sock"


def starts(argv, env, n):
    """Warm once, then `n` starts: medians to initialize and to tools/list, in ms."""
    s = Server(argv, env)
    s.handshake()
    s.stop()
    inits, lists = [], []
    for _ in range(n):
        s = Server(argv, env)
        a, b = s.handshake()
        s.stop()
        inits.append(a)
        lists.append(b)
    return median_ms(inits), median_ms(lists)


def round_trips(argv, env, reps):
    s = Server(argv, env)
    s.handshake()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        s.call("list_containers", {"all": True})
        times.append(time.perf_counter() - t0)
    rss = s.rss_mib()
    s.stop()
    return median_ms(times), rss


def exits(argv, n):
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return median_ms(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", action="append", default=[])
    parser.add_argument("--image")
    parser.add_argument("--starts", type=int, default=20)
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--containers", type=int, default=20)
    parser.add_argument("--json")
    args = parser.parse_args()
    binaries = [b.split("=", 1) for b in args.binary]
    if not binaries:
        binaries = [["glibc", "target/release/wharf"]]
        musl = "target/x86_64-unknown-linux-musl/release/wharf"
        if os.path.exists(musl):
            binaries.append(["musl", musl])
    run = uuid.uuid4().hex[:8]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, WHARF_CONFIG=os.path.join(tmp, "none.toml"), WHARF_LOG="wharf=warn")
        try:
            for i in range(args.containers):
                docker("run", "-d", "--name", f"wharf-bench-{run}-{i}", "--label",
                       f"org.wharf.bench-run={run}", FIXTURE, "sleep", "600")
            for name, path in binaries:
                benv = dict(env, WHARF_CACHE_DIR=os.path.join(tmp, f"cache-{name}"))
                init, listed = starts([path, "serve", tmp], benv, args.starts)
                trip, rss = round_trips([path, "serve", tmp], benv, args.reps)
                results[name] = {
                    "start to initialize (ms)": init,
                    "start to tools/list (ms)": listed,
                    f"list_containers, {args.containers} running (ms)": trip,
                    "RSS after the calls (MiB)": rss,
                    "binary size (MB)": os.path.getsize(path) / 1e6,
                }
            if args.image:
                gid = str(os.stat(SOCKET).st_gid)
                run_argv = ["docker", "run", "-i", "--rm", "-v", f"{SOCKET}:{SOCKET}",
                            "--group-add", gid, args.image]
                init, listed = starts(run_argv, env, args.starts)
                results["image"] = {
                    "start to initialize (ms)": init,
                    "start to tools/list (ms)": listed,
                    "docker run --rm IMAGE --version (ms)": exits(
                        ["docker", "run", "--rm", args.image, "--version"], args.starts),
                }
        finally:
            ids = docker("ps", "-aq", "--filter", f"label=org.wharf.bench-run={run}").split()
            if ids:
                subprocess.run(["docker", "rm", "-f", *ids], capture_output=True)
    width = max(len(k) for r in results.values() for k in r)
    for name, r in results.items():
        print(f"\n{name}")
        for k, v in r.items():
            print(f"  {k:<{width}}  {v:9.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"starts": args.starts, "reps": args.reps, "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
