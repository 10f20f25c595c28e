#!/usr/bin/env python3
"""Runs the processes of the loopback Kubernetes control plane as one server (stdlib only).

  kube-cluster.py DIR CA TOKEN_FILE TIMEOUT

DIR/components, written by servers.sh, has one process per line, tab-separated:
  NAME  READY_URL  ARGV...
started in file order; each must answer READY_URL with 200 (https verified with CA, with the
bearer token in TOKEN_FILE; "-" = no check) within TIMEOUT seconds before the next one starts
(etcd before kube-apiserver before its clients: no start-up noise of clients retrying).
Each process logs to DIR/NAME/NAME.log; DIR/up exists while all of them are up. SIGTERM/SIGINT stops them in reverse order (SIGTERM,
SIGKILL after a grace period). A process that exits by itself takes the whole cluster down
(exit 1), so `servers.sh status` shows it stopped rather than half-running. Children get
PR_SET_PDEATHSIG: a supervisor killed with SIGKILL leaves none of them behind.
"""
import ctypes
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

GRACE_SECONDS = 10
PR_SET_PDEATHSIG = 1


def log(msg):
    print("[kube-cluster] %s %s" % (time.strftime("%Y-%m-%dT%H:%M:%S"), msg), flush=True)


def die_with_parent():
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def answers(url, ca, token):
    request = urllib.request.Request(url, headers={"Authorization": "Bearer " + token})
    context = ssl.create_default_context(cafile=ca) if url.startswith("https:") else None
    try:
        with urllib.request.urlopen(request, timeout=3, context=context) as r:
            return r.status == 200
    except (OSError, ValueError):
        return False


class Cluster:
    def __init__(self, directory, ca, token):
        self.directory, self.ca, self.token = directory, ca, token
        self.procs = []  # (name, Popen) in start order
        self.stopping = False

    def start(self, name, ready, argv, timeout):
        os.makedirs(os.path.join(self.directory, name), exist_ok=True)
        logf = open(os.path.join(self.directory, name, name + ".log"), "ab")
        logf.write(("\n===== %s start %s =====\n" % (name, time.strftime("%Y-%m-%dT%H:%M:%S"))).encode())
        logf.flush()
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT,
                                    preexec_fn=die_with_parent, close_fds=True)
        except OSError as e:
            log("%s could not be started: %s" % (name, e))
            return False
        finally:
            logf.close()
        self.procs.append((name, proc))
        log("%s started (pid %d)" % (name, proc.pid))
        if ready == "-":
            return True
        deadline = time.monotonic() + timeout
        while not self.stopping:
            if answers(ready, self.ca, self.token):
                log("%s ready" % name)
                return True
            if proc.poll() is not None:
                log("%s exited with %s during start-up (see %s/%s.log)" % (name, proc.returncode, name, name))
                return False
            if time.monotonic() >= deadline:
                log("%s did not answer %s within %ss" % (name, ready, timeout))
                return False
            time.sleep(0.3)
        return False

    def stop_all(self):
        self.stopping = True
        for name, proc in reversed(self.procs):
            if proc.poll() is not None:
                continue
            proc.terminate()
            try:
                proc.wait(GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                log("%s did not exit within %ds: SIGKILL" % (name, GRACE_SECONDS))
                proc.kill()
                proc.wait()
            log("%s stopped" % name)

    def exited(self):
        return [(n, p.returncode) for n, p in self.procs if p.poll() is not None]


def main(argv):
    if len(argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    directory, ca, token_file, timeout = argv[1], argv[2], argv[3], float(argv[4])
    with open(token_file) as f:
        token = f.read().strip()
    with open(os.path.join(directory, "components")) as f:
        components = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    cluster = Cluster(directory, ca, token)
    up_marker = os.path.join(directory, "up")
    if os.path.exists(up_marker):
        os.unlink(up_marker)

    def on_signal(signum, _frame):
        cluster.stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    for name, ready, *command in components:
        if cluster.stopping or not cluster.start(name, ready, command, timeout):
            cluster.stop_all()
            return 0 if cluster.stopping else 1
    log("all %d processes up" % len(components))
    open(up_marker, "w").close()
    while not cluster.stopping:
        gone = cluster.exited()
        if gone:
            os.unlink(up_marker)
            log("exited by itself: %s; stopping the others" % ", ".join("%s (%s)" % g for g in gone))
            cluster.stop_all()
            return 1
        time.sleep(0.5)
    log("stopping")
    os.unlink(up_marker)
    cluster.stop_all()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
