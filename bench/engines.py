"""list_containers through wharf on three engines, in one run on one machine.

Usage:
    python3 bench/engines.py [--wharf target/release/wharf] [--reps 200] [--containers 20]

The engines:
- unix: this machine's dockerd over /var/run/docker.sock;
- ssh: the same dockerd reached as ssh://root@127.0.0.1:PORT, through a private sshd with
  keys made for the run (`docker system dial-stdio` relays the socket, as the docker CLI
  does), and an `ssh` that reads the run's own config, never ~/.ssh;
- podman: a private `podman system service` with a storage root of its own.

On each, --containers containers of the fixture image run (labelled org.wharf.bench=<run>,
removed at the end); the first call (connecting, and for ssh logging in) is timed apart,
then --reps calls in a row give the median and p90. Needs root (sshd), openssh-server and
podman (.ci/run installs both).
"""

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import FIXTURE, Server, UnixConnection  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, ready, deadline_s=30):
    deadline = time.monotonic() + deadline_s
    while not ready():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not come up within {deadline_s} s")
        time.sleep(0.02)


def run(*argv, **kw):
    return subprocess.run(argv, check=True, capture_output=True, text=True, **kw).stdout


class Sshd:
    def __init__(self, d):
        self.dir = d
        for key in ["host", "client"]:
            run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", f"{d}/{key}")
        shutil.copy(f"{d}/client.pub", f"{d}/authorized_keys")
        self.port = free_port()
        with open(f"{d}/sshd_config", "w") as f:
            f.write(f"ListenAddress 127.0.0.1\nPort {self.port}\nHostKey {d}/host\n"
                    f"AuthorizedKeysFile {d}/authorized_keys\nPidFile {d}/sshd.pid\n"
                    "StrictModes no\nUsePAM no\nPasswordAuthentication no\n"
                    "PermitRootLogin prohibit-password\n")
        os.makedirs("/run/sshd", exist_ok=True)
        self.proc = subprocess.Popen(["/usr/sbin/sshd", "-D", "-f", f"{d}/sshd_config",
                                      "-E", f"{d}/sshd.log"], stdin=subprocess.DEVNULL)

        def listening():
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return True
            except OSError:
                return False
        wait_for("sshd", listening)
        with open(f"{d}/host.pub") as f:
            kind, body = f.read().split()[:2]
        with open(f"{d}/known_hosts", "w") as f:
            f.write(f"[127.0.0.1]:{self.port} {kind} {body}\n")
        with open(f"{d}/ssh_config", "w") as f:
            f.write(f"Host *\n  IdentityFile {d}/client\n  IdentitiesOnly yes\n"
                    f"  IdentityAgent none\n  UserKnownHostsFile {d}/known_hosts\n"
                    "  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n")
        os.makedirs(f"{d}/bin")
        with open(f"{d}/bin/ssh", "w") as f:
            f.write(f"#!/bin/sh\nexec /usr/bin/ssh -F {d}/ssh_config \"$@\"\n")
        os.chmod(f"{d}/bin/ssh", 0o755)

    def env(self):
        return {"DOCKER_HOST": f"ssh://root@127.0.0.1:{self.port}",
                "PATH": f"{self.dir}/bin:{os.environ['PATH']}"}

    def stop(self):
        self.proc.kill()
        self.proc.wait()


class Podman:
    def __init__(self, d):
        self.dir = d
        with open(f"{d}/containers.conf", "w") as f:
            f.write("[containers]\ndefault_ulimits = []\nlog_driver = \"k8s-file\"\n"
                    "[engine]\ncgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\n"
                    f"[network]\nnetwork_config_dir = \"{d}/networks\"\n")
        with open(f"{d}/registries.conf", "w") as f:
            f.write("unqualified-search-registries = []\n")
        self.env_vars = dict(os.environ, CONTAINERS_CONF=f"{d}/containers.conf",
                             CONTAINERS_REGISTRIES_CONF=f"{d}/registries.conf")
        self.args = ["podman", "--root", f"{d}/root", "--runroot", f"{d}/run",
                     "--tmpdir", f"{d}/tmp"]
        self.sock = f"{d}/podman.sock"
        self.proc = subprocess.Popen(self.args + ["system", "service", "--time", "0",
                                                  f"unix://{self.sock}"],
                                     env=self.env_vars, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def listening():
            try:
                s = socket.socket(socket.AF_UNIX)
                s.connect(self.sock)
                s.close()
                return True
            except OSError:
                return False
        wait_for("podman system service", listening)
        run("docker", "save", "-o", f"{d}/fixture.tar", FIXTURE)
        run(*self.args, "load", "-q", "-i", f"{d}/fixture.tar", env=self.env_vars)

    def cli(self, *argv):
        return run(*self.args, *argv, env=self.env_vars)

    def env(self):
        return {"DOCKER_HOST": f"unix://{self.sock}"}

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        subprocess.run(self.args + ["system", "reset", "--force"], env=self.env_vars,
                       capture_output=True)


def measure(wharf, env, reps, workdir):
    config = os.path.join(workdir, "wharf.toml")
    open(config, "w").close()
    server = Server([wharf, "serve", "--allowed-root", workdir],
                    dict(os.environ, WHARF_CONFIG=config, WHARF_LOG="wharf=warn", **env))
    server.handshake()
    t0 = time.perf_counter()
    server.call("list_containers", {"all": True})
    first = (time.perf_counter() - t0) * 1000
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        server.call("list_containers", {"all": True})
        times.append((time.perf_counter() - t0) * 1000)
    server.stop()
    times.sort()
    return first, statistics.median(times), times[int(len(times) * 0.9)]


def floor(sock, reps):
    """The same request straight to the engine's socket, one kept-alive connection."""
    conn = UnixConnection(sock)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        conn.request("GET", "/v1.41/containers/json?all=1")
        conn.getresponse().read()
        times.append((time.perf_counter() - t0) * 1000)
    conn.close()
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--wharf", default="target/release/wharf")
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--containers", type=int, default=20)
    a = parser.parse_args()
    label = f"org.wharf.bench=engines-{os.getpid()}"
    work = tempfile.mkdtemp(prefix="wharf-bench-engines-")
    sshd = podman = None
    try:
        sshd = Sshd(tempfile.mkdtemp(dir=work))
        podman = Podman(tempfile.mkdtemp(dir=work))
        for i in range(a.containers):
            run("docker", "run", "-d", "--network", "none", "--label", label,
                "--name", f"wharf-bench-{os.getpid()}-{i}", FIXTURE, "sleep", "600")
            podman.cli("run", "-d", "--network", "none", "--label", label,
                       "--name", f"wharf-bench-{os.getpid()}-{i}", FIXTURE, "sleep", "600")
        rows = []
        for name, env, sock in [("unix socket", {}, "/var/run/docker.sock"),
                                ("ssh://", sshd.env(), None),
                                ("Podman", podman.env(), podman.sock)]:
            first, median, p90 = measure(a.wharf, env, a.reps, work)
            alone = f"{floor(sock, a.reps):.2f} ms" if sock else "n/a"
            rows.append((name, first, median, p90, alone))
        print(f"list_containers {{\"all\": true}}, {a.containers} containers, "
              f"{a.reps} calls in a row, {a.wharf}")
        print("| engine | first call | median | p90 | the engine alone (median) |")
        print("|---|---|---|---|---|")
        for name, first, median, p90, alone in rows:
            print(f"| {name} | {first:.1f} ms | {median:.2f} ms | {p90:.2f} ms | {alone} |")
    finally:
        ids = subprocess.run(["docker", "ps", "-aq", "--filter", f"label={label}"],
                             capture_output=True, text=True).stdout.split()
        if ids:
            subprocess.run(["docker", "rm", "-f", *ids], capture_output=True)
        if podman:
            podman.stop()
        if sshd:
            sshd.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
