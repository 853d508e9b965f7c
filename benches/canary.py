#!/usr/bin/env python3
"""Canary rollouts measured against a real HAProxy (Debian's).

--poll S      One HAProxy with 10 backends (a stable and a canary server each, the test
              image's containers behind them, requests flowing through every backend), and a
              rollouts.toml with 10 rollouts, one per backend. The console, in a pseudo-terminal,
              on the canary view for S seconds: its CPU (% of one core) from /proc, beside the
              same console with no rollouts, so the difference is what polling 10 routers a
              second costs.
--key N       The console on one rollout; N times, a share is staged (a digit), applied (Enter)
              and confirmed (y), and the time from writing `y` to HAProxy's runtime API giving
              the new weight is measured by polling `get weight` every millisecond.

Needs the test image and its :v2 tag and haproxy (set up by scripts/test), pyte
(`pip install pyte`). Nothing here asserts: it records (see BENCHMARKS.md).
"""
import argparse, os, socket, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ops import Console, pct, sh  # noqa: E402

IMAGE = os.environ.get("WHEELHOUSE_TEST_IMAGE", "wheelhouse-test:latest")
HAPROXY = "/usr/sbin/haproxy"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def admin(addr, line):
    host, port = addr.rsplit(":", 1)
    with socket.create_connection((host, int(port))) as s:
        s.sendall(line.encode() + b"\n")
        out = b""
        while chunk := s.recv(65536):
            out += chunk
    return out.decode()


class Rig:
    """Two containers (stable, :v2 canary) and one HAProxy with `n` backends over them."""

    def __init__(self, n):
        self.dir = tempfile.mkdtemp(prefix="wh-canary-bench-")
        repo = IMAGE.rsplit(":", 1)[0]
        self.names = [f"whbench-stable-{os.getpid()}", f"whbench-canary-{os.getpid()}"]
        ports = []
        for name, image in zip(self.names, [IMAGE, f"{repo}:v2"]):
            sh("docker", "run", "-d", "--name", name, "--label", "wheelhouse.bench=1",
               "-p", "127.0.0.1::8080", image, "httpd", "-f", "-p", "8080", "-h", "/www")
            ports.append(int(sh("docker", "port", name, "8080/tcp").splitlines()[0].rsplit(":", 1)[1]))
        self.admin = f"127.0.0.1:{free_port()}"
        self.fronts = [free_port() for _ in range(n)]
        cfg = [f"global\n  stats socket ipv4@{self.admin} level admin\n",
               "defaults\n  mode http\n  timeout connect 2s\n  timeout client 10s\n  timeout server 10s\n"]
        for i, front in enumerate(self.fronts):
            cfg.append(f"frontend fe{i}\n  bind 127.0.0.1:{front}\n  default_backend web{i}\n"
                       f"backend web{i}\n  balance roundrobin\n"
                       f"  server stable1 127.0.0.1:{ports[0]} weight 100\n"
                       f"  server canary1 127.0.0.1:{ports[1]} weight 0\n")
        path = os.path.join(self.dir, "haproxy.cfg")
        with open(path, "w") as f:
            f.write("".join(cfg))
        self.haproxy = subprocess.Popen([HAPROXY, "-db", "-f", path], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        time.sleep(1)
        self.config = os.path.join(self.dir, "config")
        os.makedirs(self.config)
        self.data = os.path.join(self.dir, "data")

    def write_rollouts(self, n):
        with open(os.path.join(self.config, "rollouts.toml"), "w") as f:
            for i in range(n):
                f.write(f'[[rollout]]\nname = "web{i}"\nservice = "bench/web{i}"\n'
                        f'[rollout.router]\nkind = "haproxy"\nadmin = "{self.admin}"\n'
                        f'backend = "web{i}"\nstable = ["stable1"]\ncanary = ["canary1"]\n'
                        '[[rollout.step]]\nweight = 10\n[[rollout.step]]\npause = "confirm"\n\n')

    def env(self):
        return {"WHEELHOUSE_CONFIG_DIR": self.config, "WHEELHOUSE_DATA_DIR": self.data}

    def load(self, stop):
        """A request to each frontend every 100 ms, until `stop` is set."""
        while not stop.is_set():
            for front in self.fronts:
                try:
                    with socket.create_connection(("127.0.0.1", front), timeout=1) as s:
                        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
                        while s.recv(65536):
                            pass
                except OSError:
                    pass
            time.sleep(0.1)

    def close(self):
        self.haproxy.kill()
        self.haproxy.wait()
        sh("docker", "rm", "-f", *self.names, check=False)


def cpu_over(console, seconds):
    console.settle(2)
    t0, c0 = time.monotonic(), cpu_ticks(console.pid)
    console.settle(seconds)
    t1, c1 = time.monotonic(), cpu_ticks(console.pid)
    return (c1 - c0) / os.sysconf("SC_CLK_TCK") / (t1 - t0) * 100


def poll(a):
    rig = Rig(10)
    stop = threading.Event()
    threading.Thread(target=rig.load, args=(stop,), daemon=True).start()
    try:
        for rollouts in [0, 10, 0, 10]:
            rig.write_rollouts(rollouts)
            console = Console(a.binary, [], rig.env())
            console.wait(" wheelhouse ")
            console.keys(b"W", 1.0)
            cpu = cpu_over(console, a.poll)
            console.stop()
            print(f"{rollouts:2} rollouts polled, {a.poll} s: console CPU {cpu:.2f} % of a core", flush=True)
    finally:
        stop.set()
        rig.close()


def key(a):
    rig = Rig(1)
    rig.write_rollouts(1)
    console = Console(a.binary, [], rig.env())
    times = []
    try:
        console.wait(" wheelhouse ")
        console.keys(b"W", 2.0)
        for i in range(a.key):
            share = 2 + i % 7  # 20 % … 80 %, never the one set before
            console.keys(str(share).encode(), 0.2)
            console.keys(b"\r", 0.5)
            console.wait("Cancel")
            t0 = time.monotonic()
            os.write(console.fd, b"y")
            while True:
                # The share is set once the two weights give it.
                c = int(admin(rig.admin, "get weight web0/canary1").split()[0])
                s = int(admin(rig.admin, "get weight web0/stable1").split()[0])
                if s + c and round(c / (s + c) * 100) == share * 10:
                    times.append((time.monotonic() - t0) * 1000)
                    break
                if time.monotonic() - t0 > 2:
                    print(f"press {i}: not set within 2 s", flush=True)
                    break
                time.sleep(0.001)
            console.settle(0.5)
        print(f"key to router, n={len(times)}: median {pct(times, 50):.1f} ms, p99 {pct(times, 99):.1f} ms, "
              f"max {max(times):.1f} ms", flush=True)
    finally:
        console.stop()
        rig.close()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", default="target/release/wheelhouse")
    p.add_argument("--poll", type=int, default=0, metavar="S")
    p.add_argument("--key", type=int, default=0, metavar="N")
    a = p.parse_args()
    if a.poll:
        poll(a)
    if a.key:
        key(a)


if __name__ == "__main__":
    main()
