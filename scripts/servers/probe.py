#!/usr/bin/env python3
"""Small stdlib-only helpers for servers.sh (no third-party packages).

  probe.py free-ports N           print N free TCP ports on 127.0.0.1 below the ephemeral range
  probe.py port-free PORT         exit 0 if PORT can be bound on 127.0.0.1 (nobody listens)
  probe.py tcp PORT               exit 0 if something accepts on 127.0.0.1:PORT
  probe.py mongo PORT [CA]        exit 0 if a MongoDB-wire server answers `isMaster` with ok:1 (TLS with CA)
                                  (prints maxWireVersion)
  probe.py s3 PORT CA             exit 0 if an unsigned HTTPS GET / (verified with CA) gets an S3 XML body back
                                  (normally <Error><Code>AccessDenied</Code>...)
  probe.py nats-health PORT       exit 0 if GET /healthz?js-enabled-only=true says ok
  probe.py zipkin PORT            exit 0 if GET /health says status UP (storage and collectors up)
  probe.py prometheus PORT        exit 0 if GET /-/ready answers 200 (TSDB open, config loaded)
  probe.py ray PORT               exit 0 if Ray's dashboard answers GET /api/version and lists jobs (GET /api/jobs/)
  probe.py xattr DIR              exit 0 if files in DIR can carry user.* extended attributes
"""
import json
import os
import random
import socket
import ssl
import struct
import sys
import urllib.error
import urllib.request

HOST = "127.0.0.1"


def free_ports(n):
    # Below the kernel's ephemeral range: a server port inside it can be taken while the server is
    # down by a client's own outgoing socket (a client retrying 127.0.0.1:P gets source port P and
    # connects to itself), and the restart on the same port then fails.
    low = 32768
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        pass
    candidates = list(range(max(1024, low - 12000), low))
    random.shuffle(candidates)
    socks = []
    try:
        for port in candidates:
            if len(socks) == n:
                break
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                s.bind((HOST, port))
            except OSError:
                s.close()
                continue
            socks.append(s)
        if len(socks) < n:
            print("no free ports below the ephemeral range", file=sys.stderr)
            return 1
        for s in socks:
            print(s.getsockname()[1])
    finally:
        for s in socks:
            s.close()
    return 0


def port_free(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # Same option servers use, so a socket in TIME_WAIT does not count as busy.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((HOST, port))
        return 0
    except OSError:
        return 1
    finally:
        s.close()


def tcp(port):
    try:
        with socket.create_connection((HOST, port), timeout=2):
            return 0
    except OSError:
        return 1


# --- minimal BSON, enough for a hello round trip ---------------------------

def _cstring(s):
    return s.encode() + b"\x00"


def bson_encode(doc):
    out = b""
    for k, v in doc.items():
        if isinstance(v, bool):
            out += b"\x08" + _cstring(k) + (b"\x01" if v else b"\x00")
        elif isinstance(v, int):
            out += b"\x10" + _cstring(k) + struct.pack("<i", v)
        elif isinstance(v, str):
            b = v.encode()
            out += b"\x02" + _cstring(k) + struct.pack("<i", len(b) + 1) + b + b"\x00"
        else:
            raise TypeError(type(v))
    return struct.pack("<i", len(out) + 5) + out + b"\x00"


def bson_decode_top(buf):
    """Decode the top-level scalar fields of a BSON document; nested ones are skipped."""
    total = struct.unpack_from("<i", buf, 0)[0]
    i, out = 4, {}
    while i < total - 1:
        t = buf[i]
        i += 1
        end = buf.index(b"\x00", i)
        name = buf[i:end].decode()
        i = end + 1
        if t == 0x01:
            out[name] = struct.unpack_from("<d", buf, i)[0]; i += 8
        elif t == 0x02:
            n = struct.unpack_from("<i", buf, i)[0]
            out[name] = buf[i + 4:i + 3 + n].decode(errors="replace"); i += 4 + n
        elif t in (0x03, 0x04):
            i += struct.unpack_from("<i", buf, i)[0]
        elif t == 0x05:
            i += 5 + struct.unpack_from("<i", buf, i)[0]
        elif t == 0x07:
            i += 12
        elif t == 0x08:
            out[name] = buf[i] == 1; i += 1
        elif t in (0x09, 0x11, 0x12):
            out[name] = struct.unpack_from("<q", buf, i)[0]; i += 8
        elif t == 0x0A:
            out[name] = None
        elif t == 0x10:
            out[name] = struct.unpack_from("<i", buf, i)[0]; i += 4
        else:  # unknown type: stop, we have what we need
            break
    return out


def _recv_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise OSError("connection closed")
        data += chunk
    return data


def mongo(port, ca=None):
    # With CA: over TLS, verified against it (the certificate names 127.0.0.1).
    body = struct.pack("<I", 0) + b"\x00" + bson_encode({"isMaster": 1, "$db": "admin"})
    msg = struct.pack("<iiii", 16 + len(body), 1, 0, 2013) + body  # OP_MSG
    try:
        with socket.create_connection((HOST, port), timeout=3) as raw:
            s = ssl.create_default_context(cafile=ca).wrap_socket(raw, server_hostname=HOST) if ca else raw
            s.settimeout(3)
            s.sendall(msg)
            length = struct.unpack("<i", _recv_exact(s, 4))[0]
            rest = _recv_exact(s, length - 4)
    except OSError:
        return 1
    opcode = struct.unpack_from("<i", rest, 8)[0]
    if opcode != 2013:
        return 1
    doc = bson_decode_top(rest[12 + 4 + 1:])
    if doc.get("ok") in (1, 1.0, True):
        print("maxWireVersion=%s" % doc.get("maxWireVersion"))
        return 0
    return 1


def s3(port, ca):
    # HTTPS, verified against the test CA (the certificate names 127.0.0.1).
    req = urllib.request.Request("https://%s:%d/" % (HOST, port), method="GET")
    context = ssl.create_default_context(cafile=ca)
    try:
        with urllib.request.urlopen(req, timeout=3, context=context) as r:
            body = r.read(4096)
    except urllib.error.HTTPError as e:
        body = e.read(4096)
    except OSError:
        return 1
    text = body.decode(errors="replace")
    if "<Error>" in text or "ListAllMyBucketsResult" in text:
        return 0
    return 1


def nats_health(port):
    url = "http://%s:%d/healthz?js-enabled-only=true" % (HOST, port)
    try:
        with urllib.request.urlopen(url, timeout=3) as r:
            return 0 if json.load(r).get("status") == "ok" else 1
    except (OSError, ValueError):
        return 1


def zipkin(port):
    url = "http://%s:%d/health" % (HOST, port)
    try:
        with urllib.request.urlopen(url, timeout=3) as r:
            return 0 if json.load(r).get("status") == "UP" else 1
    except (OSError, ValueError):
        return 1


def prometheus(port):
    url = "http://%s:%d/-/ready" % (HOST, port)
    try:
        with urllib.request.urlopen(url, timeout=3) as r:
            return 0 if r.status == 200 else 1
    except OSError:
        return 1


def ray(port):
    try:
        for path in ("/api/version", "/api/jobs/"):
            with urllib.request.urlopen("http://%s:%d%s" % (HOST, port, path), timeout=3) as r:
                if r.status != 200:
                    return 1
                json.load(r)
        return 0
    except (OSError, ValueError):
        return 1


def xattr(directory):
    path = os.path.join(directory, ".flywheel-xattr-probe")
    try:
        with open(path, "w"):
            pass
        os.setxattr(path, "user.flywheel", b"1")
        return 0 if os.getxattr(path, "user.flywheel") == b"1" else 1
    except OSError:
        return 1
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd = argv[1]
    if cmd == "xattr":
        return xattr(argv[2])
    args = [int(a) if a.isdigit() else a for a in argv[2:]]  # ports, or a CA file
    fn = {
        "free-ports": free_ports,
        "port-free": port_free,
        "tcp": tcp,
        "mongo": mongo,
        "s3": s3,
        "nats-health": nats_health,
        "zipkin": zipkin,
        "prometheus": prometheus,
        "ray": ray,
    }.get(cmd)
    if fn is None:
        print(__doc__, file=sys.stderr)
        return 2
    return fn(*args)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
