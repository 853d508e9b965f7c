#!/usr/bin/env python3
"""Whole-process measurements of the real console against the real engine.

Starts N idle labelled containers, runs wheelhouse in a pseudo-terminal, and reports:
  - launch to first full frame (the last container's name on screen), in ms;
  - bytes written to the terminal per second while idle;
  - the console's CPU (% of one core) and resident memory while idle, from /proc;
  - CPU burnt by dockerd + containerd meanwhile, with and without the console.
Usage: benches/measure.py [--containers 100] [--idle 60] [--binary target/release/wheelhouse]
                         [--network NAME]   # the containers on a user-defined network
                         [--ssh ssh://root@127.0.0.1:2222]   # attached over ssh (the machine's
                             # own engine through a local sshd, WHEELHOUSE_SSH_CONFIG as usual):
                             # also the remote side's CPU (sshd sessions, dial-stdio, the batched
                             # read's shell and its `head`s), the local ssh clients' CPU, and how
                             # old the samples are (the endpoints panel's median; rows showing a
                             # late sample's age, page by page)
       benches/measure.py --fake 1000 [--idle 60]   # against the fake engine, no churn
Containers are removed at the end. Nothing here asserts: it records (see BENCHMARKS.md).
"""
import argparse, os, pty, select, signal, subprocess, sys, time, fcntl, termios, struct

LABEL = "wheelhouse.bench=1"
IMAGE = os.environ.get("WHEELHOUSE_TEST_IMAGE", "wheelhouse-test:latest")
TICKS = os.sysconf("SC_CLK_TCK")


def sh(*args, check=True):
    return subprocess.run(args, check=check, capture_output=True, text=True).stdout.strip()


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def engine_pids():
    """dockerd, containerd and the container shims of the engine under test (test engines that
    other suites start beside it carry "wheelhouse-test" in their command lines)."""
    pids = []
    for pattern in ("^dockerd", "^/usr/bin/dockerd", "containerd", "containerd-shim"):
        for p in sh("pgrep", "-f", pattern, check=False).split():
            try:
                with open(f"/proc/{p}/cmdline", "rb") as f:
                    cmd = f.read()
            except OSError:
                continue
            if b"wheelhouse-test" not in cmd and int(p) not in pids:
                pids.append(int(p))
    return pids


def ticks_of(pids, children=False):
    out = {}
    for p in pids:
        try:
            out[p] = cpu_ticks_with_children(p) if children else cpu_ticks(p)
        except OSError:
            pass  # exited meanwhile
    return out


def cpu_ticks_with_children(pid):
    """utime + stime + the reaped children's (the batched read's shell and its `head`s)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(fields[i]) for i in (11, 12, 13, 14))


def pids_matching(*patterns):
    pids = []
    for pattern in patterns:
        for p in sh("pgrep", "-f", pattern, check=False).split():
            if int(p) not in pids and int(p) != os.getpid():
                pids.append(int(p))
    return pids


def remote_side_pids():
    """What the console runs on the remote (here the same machine): sshd sessions, the engine's
    dial-stdio per connection, the batched read's shell."""
    return pids_matching("^sshd: root", "^docker system dial-stdio", "^sh -c set -f; .*wheelhouse-files")


def local_ssh_pids():
    return pids_matching("^ssh .*wheelhouse-ssh", "^ssh: .*wheelhouse-ssh")


def delta_ticks(before, after):
    """CPU ticks spent by processes alive at both ends."""
    return sum(after[p] - before[p] for p in before if p in after)


def engine_cpu_percent(seconds):
    pids = engine_pids()
    before = ticks_of(pids)
    time.sleep(seconds)
    return delta_ticks(before, ticks_of(pids)) / TICKS / seconds * 100


def remove_containers():
    """Removes the bench's containers a hundred at a time, four removals at once: one `docker rm -f`
    of a thousand ids left this machine's engine (20.10) stuck for good halfway through."""
    sh("sh", "-c", f"docker ps -aq --filter label={LABEL} | xargs -r -n 100 -P 4 docker rm -f "
       ">/dev/null 2>&1 || true", check=False)


def start_containers(n, network=None):
    remove_containers()
    names = []
    # On a user-defined network each container has a TCP socket (the engine's DNS listener),
    # so the network-health sampler has sockets to dump, as on most real hosts.
    net = []
    if network:
        sh("docker", "network", "create", network, check=False)
        net = ["--network", network]
    names = [f"bench-{i:04d}" for i in range(n)]
    # Four at a time: a thousand one after another takes ten minutes here.
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda name: sh("docker", "run", "-d", "--label", LABEL, "--name", name,
                                      *net, IMAGE, "sleep", "86400"), names))
    return names


class Screen:
    """What the terminal shows, through the pyte emulator when installed (`pip install pyte`):
    the console redraws only changed cells, so a header's text need not arrive in one piece."""

    def __init__(self, rows=50, cols=200):
        try:
            import pyte
            self.screen = pyte.Screen(cols, rows)
            self.stream = pyte.ByteStream(self.screen)
        except ImportError:
            self.screen, self.raw = None, b""

    def feed(self, data):
        if self.screen is None:
            self.raw += data
        else:
            self.stream.feed(data)

    def shows(self, text):
        if self.screen is None:
            return text.encode() in self.raw
        return any(text in line for line in self.screen.display)


def run_console(binary, args, rows=50, cols=200):
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm-256color"
        os.execv(binary, [binary, *args])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    os.kill(pid, signal.SIGWINCH)
    return pid, fd


def drain(fd, seconds):
    """Reads the terminal for a while; returns the bytes written."""
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                n += len(os.read(fd, 65536))
            except OSError:
                break
    return n


def measure_fake(a):
    sock = f"/tmp/wh-bench-fake-{os.getpid()}.sock"
    fake = subprocess.Popen([a.binary, "fake-engine", "--socket", sock, "--containers",
                             str(a.fake), "--churn-secs", "0"], stdout=subprocess.DEVNULL)
    for _ in range(100):
        if os.path.exists(sock):
            break
        time.sleep(0.05)
    t0 = time.monotonic()
    pid, fd = run_console(a.binary, ["--read-only", "-H", f"unix://{sock}"])
    want = f"{a.fake} containers"
    screen, first = Screen(), None
    while time.monotonic() - t0 < 30 and first is None:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            screen.feed(os.read(fd, 65536))
            if screen.shows(want):
                first = (time.monotonic() - t0) * 1000
    drain(fd, 10)  # details (one inspect per container) arrive after the listing
    c0 = cpu_ticks(pid)
    start = time.monotonic()
    written = drain(fd, a.idle)
    elapsed = time.monotonic() - start
    c1 = cpu_ticks(pid)
    rss = rss_kib(pid)
    os.kill(pid, signal.SIGTERM)
    os.waitpid(pid, 0)
    fake.terminate()
    fake.wait()
    print(f"fake engine containers:     {a.fake} (no churn)")
    print(f"launch to first full frame: {first:.0f} ms" if first else "first frame: not seen in 30 s")
    print(f"idle window:                {elapsed:.0f} s")
    print(f"bytes written while idle:   {written} ({written / elapsed:.2f} B/s)")
    print(f"console CPU while idle:     {(c1 - c0) / TICKS / elapsed * 100:.2f} % of one core")
    print(f"console RSS:                {rss / 1024:.1f} MiB")


def kill_latencies(fd, names, n):
    """Kills containers one at a time through the engine API and times until the console
    draws their new state (the first rows in name order are on screen)."""
    import socket
    out = []
    for name in names[:n]:
        drain(fd, 0.3)
        req = f"POST /containers/{name}/kill HTTP/1.0\r\nHost: d\r\n\r\n".encode()
        t0 = time.monotonic()
        sock = socket.socket(socket.AF_UNIX)
        sock.connect("/var/run/docker.sock")
        sock.sendall(req)
        while sock.recv(4096):
            pass
        sock.close()
        answered = time.monotonic()
        seen = b""
        while time.monotonic() - t0 < 5:
            r, _, _ = select.select([fd], [], [], 0.005)
            if r:
                seen += os.read(fd, 65536)
                if b"exited(137)" in seen:
                    now = time.monotonic()
                    out.append(((now - t0) * 1000, (now - answered) * 1000))
                    break
    return out


def read_for(fd, screen, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            screen.feed(os.read(fd, 65536))


def sample_ages(fd, screen, total):
    """The endpoints panel's median sample age, and how many rows show a late sample's age
    (`⏱`), page by page through the whole table."""
    import re
    os.write(fd, b"E")
    read_for(fd, screen, 1.5)
    text = "\n".join(screen.screen.display) if screen.screen else ""
    m = re.search(r"(\d+)s old", text)
    median = f"{m.group(1)} s" if m else "not shown"
    os.write(fd, b"\x1b")
    read_for(fd, screen, 1.0)
    late, pages = 0, 0
    for _ in range(total // 40 + 2):
        read_for(fd, screen, 1.2)
        late += sum(line.count("\u23f1") for line in screen.screen.display) if screen.screen else 0
        pages += 1
        os.write(fd, b"\x1b[6~")  # PageDown
    return median, late, pages


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--containers", type=int, default=100)
    ap.add_argument("--idle", type=int, default=60)
    ap.add_argument("--binary", default="target/release/wheelhouse")
    ap.add_argument("--keep", action="store_true", help="leave the containers running")
    ap.add_argument("--fake", type=int, default=0, help="N containers on the fake engine instead")
    ap.add_argument("--latency", type=int, default=0,
                    help="after the idle window, kill N containers and time each to the screen")
    ap.add_argument("--network", default=None,
                    help="put the containers on this user-defined network (made if missing)")
    ap.add_argument("--stopped", action="store_true",
                    help="stop the containers first: a screen with no ticking ages")
    ap.add_argument("--ssh", default=None, help="attach over this ssh:// endpoint")
    a = ap.parse_args()
    if a.fake:
        return measure_fake(a)

    print(f"starting {a.containers} idle containers …", file=sys.stderr)
    names = start_containers(a.containers, a.network)
    if a.stopped:
        sh("sh", "-c", f"docker stop -t 0 $(docker ps -q --filter label={LABEL}) >/dev/null")
    # Ages shown at minute granularity only after a minute: let them get there so the idle
    # window measures an idle screen, not a ticking seconds column.
    time.sleep(65)
    base_engine = engine_cpu_percent(20)

    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm-256color"
        os.execv(a.binary, [a.binary, "--read-only", *(["-H", a.ssh] if a.ssh else [])])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
    os.kill(pid, signal.SIGWINCH)
    t0 = time.monotonic()
    screen = Screen()
    first_frame_ms = None
    # The header's count is drawn from the complete listing: the first frame showing it is
    # the first full frame.
    total = int(sh("sh", "-c", "docker ps -aq | wc -l"))
    want = f"{total} containers"
    deadline = t0 + (20 if a.ssh else 10)
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            screen.feed(os.read(fd, 65536))
            if screen.shows(want) and first_frame_ms is None:
                first_frame_ms = (time.monotonic() - t0) * 1000
                break
    # Settle: details (inspect) arrive just after the listing.
    settle_end = time.monotonic() + (15 if a.ssh else 5)
    while time.monotonic() < settle_end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            screen.feed(os.read(fd, 65536))
    r_pids = remote_side_pids() if a.ssh else []
    l_pids = local_ssh_pids() if a.ssh else []
    r0, l0 = ticks_of(r_pids, children=True), ticks_of(l_pids)

    written = 0
    c0 = cpu_ticks(pid)
    e_pids = engine_pids()
    e0 = ticks_of(e_pids)
    start = time.monotonic()
    while time.monotonic() - start < a.idle:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            written += len(os.read(fd, 65536))
    elapsed = time.monotonic() - start
    c1 = cpu_ticks(pid)
    e1 = ticks_of(e_pids)
    r1, l1 = ticks_of(r_pids, children=True), ticks_of(l_pids)
    rss = rss_kib(pid)
    freshness = sample_ages(fd, screen, total) if a.ssh else None
    latencies = kill_latencies(fd, names, a.latency) if a.latency else []
    os.kill(pid, signal.SIGTERM)
    os.waitpid(pid, 0)
    if not a.keep:
        remove_containers()
        if a.network:
            sh("docker", "network", "rm", a.network, check=False)

    print(f"containers:                 {a.containers} idle ({total} on the engine)")
    print(f"launch to first full frame: {first_frame_ms:.0f} ms" if first_frame_ms else "first frame: not seen in 10 s")
    print(f"idle window:                {elapsed:.0f} s")
    print(f"bytes written while idle:   {written} ({written / elapsed:.2f} B/s)")
    print(f"console CPU while idle:     {(c1 - c0) / TICKS / elapsed * 100:.2f} % of one core")
    print(f"console RSS:                {rss / 1024:.1f} MiB")
    print(f"engine CPU without console: {base_engine:.2f} % of one core")
    print(f"engine CPU with console:    {delta_ticks(e0, e1) / TICKS / elapsed * 100:.2f} % of one core")
    if a.ssh:
        print(f"remote side CPU (sshd, dial-stdio, batched read; {len(r_pids)} processes): "
              f"{delta_ticks(r0, r1) / TICKS / elapsed * 100:.2f} % of one core")
        print(f"local ssh clients CPU ({len(l_pids)} processes): "
              f"{delta_ticks(l0, l1) / TICKS / elapsed * 100:.2f} % of one core")
        median, late, pages = freshness
        print(f"samples: median age {median} (endpoints panel); rows showing a late sample: "
              f"{late} over {pages} pages")
    if latencies:
        total = sorted(t for t, _ in latencies)
        ours = sorted(o for _, o in latencies)
        mid = len(total) // 2
        print(f"kill to screen (n={len(total)}):    median {total[mid]:.0f} ms, max {total[-1]:.0f} ms "
              f"(after the engine answered the kill: median {ours[mid]:.0f} ms, max {ours[-1]:.0f} ms)")


if __name__ == "__main__":
    main()
