#!/usr/bin/env python3
"""The console while it operates, measured on the real engine.

--rollout N   A Compose (v1) project whose `web` has N replicas with a 1 s health check. The
              console, in a pseudo-terminal, starts a rolling replacement of `web` to the :v2 tag
              (R, the form, the confirmation), and while the plan runs a key that changes the
              screen (`>`: next sort column, named in the table's title) is pressed every 150 ms;
              each press is timed from the write to the frame that shows the new title. The same
              is measured first with the console idle, for comparison.
--ssh-detail S  The console attached over ssh:// with the detail pane open on a container for
              S seconds; counts the processes it starts after the first connect (dial-stdio
              children are its own; the ssh master detaches).

Needs the test image and its :v2 tag, docker-compose, pyte (`pip install pyte`) and, for
--ssh-detail, the test sshd (all set up by scripts/test). Nothing here asserts: it records
(see BENCHMARKS.md).
"""
import argparse, os, pty, queue, select, signal, subprocess, sys, tempfile, threading, time, fcntl, termios, struct

import pyte

IMAGE = os.environ.get("WHEELHOUSE_TEST_IMAGE", "wheelhouse-test:latest")
ROWS, COLS = 50, 200

COMPOSE = """
version: "3.7"
services:
  web:
    image: {image}
    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
    labels: {{"wheelhouse.bench": "1"}}
    stop_grace_period: 1s
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
      interval: 1s
      timeout: 2s
      retries: 2
    deploy:
      replicas: {replicas}
"""


def sh(*args, check=True, env=None):
    return subprocess.run(args, check=check, capture_output=True, text=True, env=env).stdout.strip()


class Console:
    """wheelhouse in a pseudo-terminal, its screen kept by pyte."""

    def __init__(self, binary, args, env):
        self.screen = pyte.Screen(COLS, ROWS)
        self.stream = pyte.ByteStream(self.screen)
        pid, fd = pty.fork()
        if pid == 0:
            os.environ.update(env)
            os.environ["TERM"] = "xterm-256color"
            os.execv(binary, [binary, *args])
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        os.kill(pid, signal.SIGWINCH)
        self.pid, self.fd = pid, fd
        # A thread reads and timestamps the output as it arrives, so the emulator's own time
        # to parse it (in Python) is never counted as the console's.
        self.chunks = queue.Queue()
        sys.setswitchinterval(0.0005)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while True:
            try:
                data = os.read(self.fd, 1 << 16)
            except OSError:
                return
            if not data:
                return
            self.chunks.put((time.monotonic(), data))

    def pump(self, timeout):
        """Feeds the next chunk the console wrote (waiting up to `timeout`); returns when it
        was read, or None."""
        try:
            at, data = self.chunks.get(timeout=timeout)
        except queue.Empty:
            return None
        self.stream.feed(data)
        return at

    def shows(self, text):
        return any(text in line for line in self.screen.display)

    def wait(self, text, seconds=20):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if self.shows(text):
                return
            self.pump(0.05)
        sys.exit(f"waited {seconds} s for {text!r}; screen:\n" + "\n".join(self.screen.display))

    def settle(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.pump(0.05)

    def keys(self, data, pause=0.15):
        os.write(self.fd, data)
        self.settle(pause)

    def title(self):
        return self.screen.display[1]

    def key_to_screen_ms(self):
        """Presses `>` and times until the table's title (which names the sort) changes."""
        while not self.chunks.empty():  # what was written before the key
            self.pump(0)
        before = self.title()
        t0 = time.monotonic()
        os.write(self.fd, b">")
        while time.monotonic() - t0 < 2:
            at = self.pump(0.001)
            if at is not None and self.title() != before:
                return (at - t0) * 1000
        return None

    def stop(self):
        os.kill(self.pid, signal.SIGTERM)
        os.waitpid(self.pid, 0)


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def summary(values):
    return (f"n={len(values)}, median {pct(values, 50):.1f} ms, p99 {pct(values, 99):.1f} ms, "
            f"max {max(values):.1f} ms")


def rollout(a, env):
    repo = IMAGE.rsplit(":", 1)[0]
    new = f"{repo}:v2"
    sh("docker", "image", "inspect", new)
    project = f"whbench{os.getpid()}"
    d = tempfile.mkdtemp(prefix="wh-bench-")
    path = os.path.join(d, "docker-compose.yml")
    with open(path, "w") as f:
        f.write(COMPOSE.format(image=IMAGE, replicas=a.rollout))
    compose = ["docker-compose", "-p", project, "-f", path]
    print(f"bringing up {a.rollout} replicas …", file=sys.stderr)
    sh(*compose, "up", "-d")
    try:
        for _ in range(120):
            health = sh("sh", "-c", f"docker ps --filter label=com.docker.compose.project={project} "
                        "--format '{{.Status}}'").splitlines()
            if len(health) == a.rollout and all("(healthy)" in h for h in health):
                break
            time.sleep(1)
        c = Console(a.binary, [], env)
        c.wait(" wheelhouse ")
        c.keys(b"/")
        c.keys(f"project:{project}".encode())
        c.keys(b"\r")
        c.wait(f"{a.rollout} shown")
        c.keys(b"t")
        c.wait("▾ web")
        c.keys(b"\x1b[H", 0.3)  # Home: the project's row
        c.keys(b"\x1b[B", 0.3)  # Down: the service's row
        idle = []
        for _ in range(a.presses):
            ms = c.key_to_screen_ms()
            if ms is not None:
                idle.append(ms)
            c.settle(0.15)
        c.keys(b"R")
        c.wait("Replace the replicas")
        c.keys(b"\x15")  # C-u: clear the image field
        c.keys(new.encode())
        c.keys(b"\r")
        c.wait("Confirm")
        c.keys(b"\t")
        start = time.monotonic()
        c.keys(b"\r", 0.05)
        during, done = [], None
        while time.monotonic() - start < 600:
            ms = c.key_to_screen_ms()
            if ms is not None:
                during.append(ms)
            c.settle(0.15)
            names = sh("sh", "-c", f"docker ps -a --filter label=com.docker.compose.project={project} "
                       "--format '{{.Names}} {{.Image}}'").splitlines()
            if len(names) == a.rollout and all(n.endswith(new) for n in names):
                done = time.monotonic() - start
                break
        c.stop()
        print(f"replicas:                   {a.rollout} (health check every 1 s)")
        print(f"rollout to :v2 took:        {done:.0f} s" if done else "rollout: not finished in 600 s")
        print(f"key to screen, idle:        {summary(idle)}")
        print(f"key to screen, rollout:     {summary(during)}")
    finally:
        sh(*compose, "down", "-v", "-t", "1", check=False)
        sh("sh", "-c", f"docker rm -f $(docker ps -aq --filter label=com.docker.compose.project={project}) "
           ">/dev/null 2>&1 || true", check=False)


def children(pid):
    out = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid:
            out.add(int(entry))
    return out


def ssh_detail(a, env):
    host = os.environ.get("WHEELHOUSE_TEST_SSH_HOST", "ssh://root@127.0.0.1:2222")
    name = f"whbench-ssh-{os.getpid()}"
    sh("docker", "run", "-d", "--name", name, "--label", "wheelhouse.bench=1", IMAGE, "sleep", "3600")
    try:
        c = Console(a.binary, ["-H", host], env)
        c.wait(" wheelhouse ", 30)
        c.keys(b"/")
        c.keys(name.encode())
        c.keys(b"\r")
        c.wait("1 shown", 30)
        c.keys(b"d")
        c.wait("HEALTH")
        c.settle(5)  # the first connect, its stats stream and the pane's first inspect
        first = children(c.pid)
        seen = set(first)
        end = time.monotonic() + a.ssh_detail
        while time.monotonic() < end:
            c.pump(0.01)
            seen |= children(c.pid)
        pane_open = c.shows("HEALTH")
        c.stop()
        print(f"detail pane over {host}: {a.ssh_detail} s, still open: {pane_open}")
        print(f"child processes after the first connect: {len(first)} (ssh dial-stdio)")
        print(f"processes started during the window:     {len(seen - first)}")
    finally:
        sh("docker", "rm", "-f", name, check=False)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="target/release/wheelhouse")
    ap.add_argument("--rollout", type=int, default=0, metavar="N")
    ap.add_argument("--presses", type=int, default=40, help="idle key presses to time")
    ap.add_argument("--ssh-detail", type=int, default=0, metavar="SECONDS")
    a = ap.parse_args()
    data = tempfile.mkdtemp(prefix="wh-bench-dirs-")
    env = {"WHEELHOUSE_CONFIG_DIR": os.path.join(data, "config"),
           "WHEELHOUSE_DATA_DIR": os.path.join(data, "data")}
    if a.rollout:
        rollout(a, env)
    if a.ssh_detail:
        ssh_detail(a, env)


if __name__ == "__main__":
    main()
