#!/usr/bin/env python3
"""Memory over time: the console attached to a fake engine with N churning containers
(restarts, health flips, events, stats every second), RSS read from /proc once a minute.
Usage: benches/soak.py [--containers 1000] [--minutes 60] [--binary target/release/wheelhouse]
                       [--fake-binary B]   (the fake engine from another build: by default --binary's,
                                            so that two consoles can be compared on the same data)
Prints one line per minute and the growth between the first and the last reading."""
import argparse, os, pty, select, signal, struct, subprocess, time, fcntl, termios


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--containers", type=int, default=1000)
    ap.add_argument("--minutes", type=int, default=60)
    ap.add_argument("--binary", default="target/release/wheelhouse")
    ap.add_argument("--fake-binary", default=None)
    a = ap.parse_args()
    sock = f"/tmp/wh-soak-{os.getpid()}.sock"
    fake = subprocess.Popen([a.fake_binary or a.binary, "fake-engine", "--socket", sock, "--containers",
                             str(a.containers), "--churn-secs", "1"], stdout=subprocess.DEVNULL)
    while not os.path.exists(sock):
        time.sleep(0.05)
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm-256color"
        os.execv(a.binary, [a.binary, "--read-only", "-H", f"unix://{sock}"])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
    readings = []
    start = time.monotonic()
    next_reading = start + 60
    try:
        while time.monotonic() - start < a.minutes * 60 + 1:
            r, _, _ = select.select([fd], [], [], 0.5)
            if r:
                os.read(fd, 65536)
            if time.monotonic() >= next_reading:
                kib = rss_kib(pid)
                readings.append(kib)
                print(f"minute {len(readings):3d}: RSS {kib / 1024:.1f} MiB", flush=True)
                next_reading += 60
    finally:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
        fake.terminate()
        fake.wait()
    if len(readings) >= 2:
        print(f"first {readings[0] / 1024:.1f} MiB, last {readings[-1] / 1024:.1f} MiB, "
              f"peak {max(readings) / 1024:.1f} MiB over {len(readings)} minutes")


if __name__ == "__main__":
    main()
