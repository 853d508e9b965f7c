#!/usr/bin/env python3
"""wheelhouse beside another console (dtop by default) in one run, on the same containers and
the same endpoint, one console at a time:
  - launch to the first screen of rows: the time until the screen names at least K of the
    containers (K = min(containers, 30), what a 50-line screen holds for either), over several
    launches (median and range); each launch starts from no ssh connection at all;
  - idle for --idle seconds: the console's CPU (with its children), its resident memory, the
    engine's CPU (dockerd, containerd, shims) against the same engine with no console, and,
    over ssh, the remote side's CPU (sshd sessions, dial-stdio, a batched read's shell, with
    their children) and the local ssh processes' CPU, and how many of each there are.
Usage: benches/side_by_side.py [--containers 100] [--idle 60] [--launches 5]
                               [--binary target/release/wheelhouse] [--other dtop=PATH]
                               [--ssh ssh://root@127.0.0.1:2222]
dtop reaches ssh:// hosts through the user's ~/.ssh/config (wheelhouse through
WHEELHOUSE_SSH_CONFIG as usual): for the test sshd, copy target/test-env/ssh/config there.
Nothing here asserts: it records (see BENCHMARKS.md)."""
import argparse, os, select, signal, statistics, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from measure import (TICKS, cpu_ticks_with_children, delta_ticks,  # noqa: E402
                     engine_cpu_percent, engine_pids, pids_matching, remove_containers, rss_kib, run_console, sh,
                     start_containers, ticks_of)

# What each console runs over ssh, here and there, by command line.
LOCAL_SSH = {
    "wheelhouse": ("^ssh .*wheelhouse-ssh", "^ssh: .*wheelhouse-ssh"),
    "dtop": ("^ssh .*ssh-connection",),
}
REMOTE_SIDE = ("^sshd: root", "^docker system dial-stdio", "^sh -c set -f; .*wheelhouse-files")


def args_for(name, endpoint):
    if name == "wheelhouse":
        return ["--read-only", *(["-H", endpoint] if endpoint else [])]
    return ["-H", endpoint or "local"]


def no_ssh_left():
    """Ends every ssh client a console left (dtop's master persists) and waits for the remote
    sessions to go, so that each launch makes its own connection."""
    for pattern in ("wheelhouse-ssh", "ssh-connection"):
        sh("pkill", "-f", pattern, check=False)
    end = time.monotonic() + 5
    while pids_matching("^sshd: root") and time.monotonic() < end:
        time.sleep(0.05)


def first_screen(binary, args, names, want, within):
    """Launch to the screen naming `want` of `names`, in ms (None if not within `within` s)."""
    pid, fd = run_console(binary, args)
    t0 = time.monotonic()
    # The raw output, not an emulated screen: a name is written in one run of cells by either
    # console, and emulating the screen in Python would cost more than the consoles' own work.
    out = b""
    wanted = [n.encode() for n in names]
    took = None
    try:
        while time.monotonic() - t0 < within:
            r, _, _ = select.select([fd], [], [], 0.005)
            if r:
                try:
                    out += os.read(fd, 1 << 20)
                except OSError:
                    break
                if sum(1 for n in wanted if n in out) >= want:
                    took = (time.monotonic() - t0) * 1000
                    break
    finally:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
        os.close(fd)
    return took


def idle(name, binary, args, seconds, ssh):
    pid, fd = run_console(binary, args)
    # Settle: inspects, the first samples, an ssh forward.
    end = time.monotonic() + (15 if ssh else 5)
    while time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            os.read(fd, 65536)
    local = pids_matching(*LOCAL_SSH.get(name, ())) if ssh else []
    remote = pids_matching(*REMOTE_SIDE) if ssh else []
    engine = engine_pids()
    c0, l0, r0, e0 = (cpu_ticks_with_children(pid), ticks_of(local, True), ticks_of(remote, True),
                      ticks_of(engine))
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            os.read(fd, 65536)
    elapsed = time.monotonic() - start
    c1, l1, r1, e1 = (cpu_ticks_with_children(pid), ticks_of(local, True), ticks_of(remote, True),
                      ticks_of(engine))
    out = {
        "console": (c1 - c0) / TICKS / elapsed * 100,
        "rss": rss_kib(pid) / 1024,
        "engine": delta_ticks(e0, e1) / TICKS / elapsed * 100,
        "local ssh": delta_ticks(l0, l1) / TICKS / elapsed * 100,
        "remote": delta_ticks(r0, r1) / TICKS / elapsed * 100,
        "local processes": len(pids_matching(*LOCAL_SSH.get(name, ()))) if ssh else 0,
        "remote processes": len(pids_matching(*REMOTE_SIDE)) if ssh else 0,
    }
    os.kill(pid, signal.SIGTERM)
    os.waitpid(pid, 0)
    os.close(fd)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--containers", type=int, default=100)
    ap.add_argument("--idle", type=int, default=60)
    ap.add_argument("--launches", type=int, default=5)
    ap.add_argument("--binary", default="target/release/wheelhouse")
    ap.add_argument("--other", default="dtop=dtop", help="NAME=PATH of the console beside it")
    ap.add_argument("--ssh", default=None, help="attach both over this ssh:// endpoint")
    ap.add_argument("--keep", action="store_true", help="leave the containers running")
    a = ap.parse_args()
    other, other_path = a.other.split("=", 1)
    consoles = [("wheelhouse", a.binary), (other, other_path)]

    print(f"starting {a.containers} idle containers …", file=sys.stderr)
    names = start_containers(a.containers, None)
    time.sleep(65)  # past the first minute, so that ages no longer tick every second
    base_engine = engine_cpu_percent(20)
    want = min(a.containers, 30)
    launches = {}
    for i in range(a.launches):
        # Alternating, so that neither always runs on a warmer engine.
        for name, path in consoles if i % 2 == 0 else reversed(consoles):
            no_ssh_left()
            took = first_screen(path, args_for(name, a.ssh), names, want, 20 if a.ssh else 10)
            launches.setdefault(name, []).append(took)
    results = {}
    for name, path in consoles:
        no_ssh_left()
        results[name] = idle(name, path, args_for(name, a.ssh), a.idle, bool(a.ssh))
    no_ssh_left()
    if not a.keep:
        remove_containers()

    where = a.ssh or "the local socket"
    print(f"{a.containers} idle containers through {where}; idle window {a.idle} s; "
          f"engine CPU with no console {base_engine:.2f} % of a core")
    print("| | " + " | ".join(n for n, _ in consoles) + " |")
    print("|---|" + "---|" * len(consoles))

    def row(what, cell):
        print(f"| {what} | " + " | ".join(cell(n) for n, _ in consoles) + " |")

    def launch_cell(n):
        seen = [t for t in launches[n] if t is not None]
        if not seen:
            return "not seen"
        missed = len(launches[n]) - len(seen)
        return (f"{statistics.median(seen):.0f} ms ({min(seen):.0f}–{max(seen):.0f})"
                + (f", {missed} not within the limit" if missed else ""))

    row(f"launch to {want} rows on screen, median (range), n = {a.launches}", launch_cell)
    row("console CPU, % of a core", lambda n: f"{results[n]['console']:.2f}")
    row("console resident memory", lambda n: f"{results[n]['rss']:.1f} MiB")
    row("engine CPU added", lambda n: f"{results[n]['engine'] - base_engine:+.2f}")
    if a.ssh:
        row("remote side CPU (sshd, dial-stdio, shell)", lambda n: f"{results[n]['remote']:.2f}")
        row("local ssh processes' CPU", lambda n: f"{results[n]['local ssh']:.2f}")
        row("processes: local ssh / remote side",
            lambda n: f"{results[n]['local processes']} / {results[n]['remote processes']}")


if __name__ == "__main__":
    main()
