"""A hostile HTTP client for ``facetruth serve``: bad requests in a loop over raw sockets.

Used by ``bench_web.py --hostile`` beside the well-behaved clients, or alone
against a running server::

    python benchmarks/hostile_client.py --port 8000 --seconds 30

Each round sends, in turn: a Content-Length far over the limit, a chunked
body over it, JSON and plain-text bodies, a PNG with a zip and HTML
appended, a PNG bomb header, too many files, path-traversal and NUL file
names, a garbage request line, an oversized header, an upload abandoned
half-way, and an upload that stalls (left open for the server to drop).
Answers are tallied by status class; a 5xx is a server fault.
"""

import argparse
import io
import socket
import struct
import threading
import time
import uuid
import zlib
from collections import Counter

import numpy as np
from PIL import Image


def _png(seed=0, size=64):
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)).save(
        buf, "PNG"
    )
    return buf.getvalue()


def _bomb_header(width=20000, height=20000):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def _multipart(files, field="files"):
    boundary = uuid.uuid4().hex
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n\r\n'.encode()
        + content
        + b"\r\n"
        for name, content in files
    )
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _request(body=b"", content_type=None, extra="", path="/api/v1/predict", length=None):
    head = f"POST {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
    head += f"Content-Type: {content_type}\r\n" if content_type else ""
    head += f"Content-Length: {len(body) if length is None else length}\r\n" if length != -1 else ""
    return (head + extra + "\r\n").encode() + body


def hostile_requests(max_body):
    """``[(name, bytes, mode)]``; mode ``"answer"`` expects a 4xx, ``"abandon"``/``"stall"`` sends part of it."""
    png = _png()
    polyglot = png + b"PK\x03\x04" + b"\0" * 26 + b"<html><script>alert(1)</script></html>"
    upload, ctype = _multipart([("slow.png", png)])
    cases = [
        (
            "content-length over the limit",
            _request(b"", "multipart/form-data; boundary=x", length=10 * max_body),
        ),
        (
            "chunked body over the limit",
            _request(
                b"%x\r\n" % (max_body + 10) + b"A" * (max_body + 10),
                "multipart/form-data; boundary=x",
                extra="Transfer-Encoding: chunked\r\n",
                length=-1,
            ),
        ),
        ("json body", _request(b'{"files": ["a.png"]}', "application/json")),
        ("text body", _request(b"hello", "text/plain")),
        ("polyglot png+zip+html", _request(*_multipart([("poly.png", polyglot)]))),
        ("png bomb header", _request(*_multipart([("bomb.png", _bomb_header())]))),
        ("too many files", _request(*_multipart([("a.png", b"x")] * 64))),
        ("path traversal name", _request(*_multipart([("../../../etc/cron.d/x.png", png)]))),
        ("nul in name", _request(*_multipart([("a\x00.png", png)]))),
        ("garbage request line", b"GARBAGE\r\n\r\n"),
        ("oversized header", _request(extra=f"X-Pad: {'a' * 300_000}\r\n")),
    ]
    out = [(name, data, "answer") for name, data in cases]
    partial = _request(upload, ctype)[: -len(upload) // 2]
    return out + [("abandoned upload", partial, "abandon"), ("stalled upload", partial, "stall")]


def _exchange(port, data, mode, timeout):
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        if mode == "abandon":
            return "closed by client"
        if mode == "stall":
            return sock  # the caller keeps it open until the server drops it
        raw = b""
        while len(raw) < 64 and not raw.endswith(b"\r\n\r\n"):
            chunk = sock.recv(4096)
            if not chunk:
                break
            raw += chunk
        return int(raw.split(b" ", 2)[1]) if raw.startswith(b"HTTP/") else "no answer"
    finally:
        if mode != "stall":
            sock.close()


class HostileClient(threading.Thread):
    """Sends :func:`hostile_requests` in a loop until ``stop`` is set; tallies the answers."""

    def __init__(self, port, max_body, *, timeout=60, max_stalled=8):
        super().__init__(daemon=True)
        self.port, self.timeout, self.max_stalled = port, timeout, max_stalled
        self.cases = hostile_requests(max_body)
        self.stop = threading.Event()
        self.statuses, self.errors, self.stalled = Counter(), Counter(), []
        self.dropped = 0

    def run(self):
        while not self.stop.is_set():
            for name, data, mode in self.cases:
                if self.stop.is_set():
                    break
                if mode == "stall" and len(self.stalled) >= self.max_stalled:
                    continue
                try:
                    result = _exchange(self.port, data, mode, self.timeout)
                except OSError as exc:
                    self.errors[f"{name}: {type(exc).__name__}"] += 1
                    continue
                if mode == "stall":
                    self.stalled.append(result)
                else:
                    self.statuses[result if isinstance(result, str) else f"{result // 100}xx"] += 1
            self._reap()

    def _reap(self):
        """Count stalled connections the server has closed (its channel timeout)."""
        for sock in list(self.stalled):
            sock.setblocking(False)
            try:
                closed = sock.recv(1) == b""
            except BlockingIOError:
                closed = False
            except OSError:
                closed = True
            if closed:
                self.dropped += 1
                self.stalled.remove(sock)
                sock.close()

    def finish(self, wait=0.0):
        """Stop sending; wait up to ``wait`` seconds for the server to drop the stalled uploads."""
        self.stop.set()
        self.join()
        deadline = time.monotonic() + wait
        self._reap()
        while self.stalled and time.monotonic() < deadline:
            time.sleep(0.5)
            self._reap()
        still_open = len(self.stalled)
        for sock in self.stalled:
            sock.close()
        return {
            "requests": sum(self.statuses.values()),
            "statuses": dict(self.statuses),
            "5xx": sum(v for k, v in self.statuses.items() if k == "5xx"),
            "client errors": dict(self.errors),
            "stalled uploads dropped by the server": self.dropped,
            "stalled uploads still open": still_open,
        }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--max-body", type=int, default=20 * 1024 * 1024, help="the server's upload limit")
    parser.add_argument(
        "--stall-wait", type=float, default=40, help="seconds to wait for stalled uploads to be dropped"
    )
    args = parser.parse_args(argv)
    client = HostileClient(args.port, args.max_body)
    client.start()
    time.sleep(args.seconds)
    for key, value in client.finish(wait=args.stall_wait).items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
