#!/usr/bin/env python3
"""Runs a Ray head node in a network namespace of its own, reachable from the host on one port.

  ray-head.py RUN_DIR RAY_BIN HOST_PORT [ray start args...]

Ray binds every interface it finds (raylet, GCS, object manager, dashboard agent); inside a new
network namespace only `lo` exists, so it can bind nothing else. This process:
  1. binds HOST_PORT on the host's 127.0.0.1 (the socket stays in the host's namespace),
  2. moves itself into a new network namespace (unshare CLONE_NEWNET, needs root) and brings `lo` up,
  3. starts `ray start --head --block` there (its dashboard, with the Jobs REST API, on 8265),
  4. relays every connection accepted on HOST_PORT to 127.0.0.1:8265 inside the namespace,
  5. on SIGTERM/SIGINT stops Ray (SIGTERM to `ray start`, then to every process left in the
     namespace, SIGKILL after a grace period) and exits.
It exits when Ray's `ray start --block` ends. Stdlib only.
"""
import ctypes
import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time

CLONE_NEWNET = 0x40000000
DASHBOARD_PORT = 8265


def unshare_net():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, "unshare(CLONE_NEWNET) failed (needs root): " + os.strerror(err))
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)


def namespace_pids():
    """Every other process in this network namespace: all of them are this Ray's (`ray stop`
    would match Ray processes by name on the whole machine, another checkout's too)."""
    mine = os.stat("/proc/self/ns/net").st_ino
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            if os.stat(f"/proc/{entry}/ns/net").st_ino == mine:
                pids.append(int(entry))
        except OSError:
            pass
    return pids


def end_namespace(grace=5.0):
    """SIGTERM to what is left of Ray, SIGKILL after `grace` seconds."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = namespace_pids()
        for pid in pids:
            try:
                os.kill(pid, sig)
            except OSError:
                pass
        deadline = time.monotonic() + grace
        while pids and time.monotonic() < deadline:
            pids = [p for p in pids if os.path.exists(f"/proc/{p}") and not is_zombie(p)]
            time.sleep(0.2)
        if not pids:
            return


def is_zombie(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


def relay(client):
    try:
        upstream = socket.create_connection(("127.0.0.1", DASHBOARD_PORT), timeout=10)
    except OSError:
        client.close()
        return
    upstream.settimeout(None)
    sel = selectors.DefaultSelector()
    sel.register(client, selectors.EVENT_READ, upstream)
    sel.register(upstream, selectors.EVENT_READ, client)
    open_sides = 2
    try:
        while open_sides:
            for key, _ in sel.select():
                src, dst = key.fileobj, key.data
                try:
                    data = src.recv(65536)
                except OSError:
                    data = b""
                if data:
                    dst.sendall(data)
                else:
                    sel.unregister(src)
                    open_sides -= 1
                    try:
                        dst.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
    except OSError:
        pass
    finally:
        sel.close()
        client.close()
        upstream.close()


def main(argv):
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    run_dir, ray_bin, host_port = argv[1], argv[2], int(argv[3])
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", host_port))
    listener.listen(64)
    unshare_net()
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0")
    ray = subprocess.Popen(
        [ray_bin, "start", "--head", "--block", "--node-ip-address=127.0.0.1",
         "--dashboard-host=127.0.0.1", f"--dashboard-port={DASHBOARD_PORT}",
         "--include-dashboard=true", "--disable-usage-stats", *argv[4:]],
        env=env, cwd=run_dir)
    stopping = threading.Event()

    def stop(signum, _frame):
        if stopping.is_set():
            return
        stopping.set()
        print(f"ray-head: signal {signum}: stopping Ray", flush=True)
        ray.terminate()
        try:
            ray.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        end_namespace()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def accept_loop():
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=relay, args=(client,), daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    code = ray.wait()
    if not stopping.is_set():
        # `ray start --block` ended on its own (a Ray process died): leave nothing behind.
        end_namespace()
    listener.close()
    print(f"ray-head: ray start exited with {code}", flush=True)
    return 0 if stopping.is_set() else (code or 1)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
