"""Load benchmark of ``facetruth serve``: concurrent uploads over loopback.

Starts the server on a free 127.0.0.1 port, times its start-up and its first
request, sends a bounded number of uploads of the 300 px images of
``../shared/data/hardfake`` from concurrent clients (8 by default), and prints
throughput, latency percentiles (the p95 on a line of its own), error and 5xx
counts and the server's resident memory (sampled with psutil). Without ``--model`` it
first trains a handcrafted-only detector on a subset of the same data, in a
temporary folder that is removed afterwards.

With ``--hostile`` a few more threads (see ``hostile_client.py``) send bad
requests the whole time: oversized, chunked and mistyped bodies, polyglots,
bombs, too many files, traversal names, malformed HTTP, abandoned and stalled
uploads; their answers are tallied separately, and any 5xx is a server fault.

    python benchmarks/bench_web.py
    python benchmarks/bench_web.py --model model.joblib --clients 8 --requests 400
    python benchmarks/bench_web.py --hostile 2
"""

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import psutil
from hostile_client import HostileClient

REPO = Path(__file__).resolve().parents[1]
MAX_BODY = 20 * 1024 * 1024  # facetruth serve's default --max-upload-mb
DEFAULT_DATA = REPO.parent / "shared" / "data" / "hardfake"


def train_model(data, out, *, n, face, seed):
    """Fit a handcrafted-only detector on ``n`` images of ``data`` and save it to ``out``."""
    import facetruth
    from facetruth.models import training_summary

    rng = np.random.default_rng(seed)
    paths = {c: sorted((data / c).glob("*.jpg")) for c in ("real", "fake")}
    items, labels = [], []
    for label, cls in ((0, "real"), (1, "fake")):
        chosen = rng.choice(len(paths[cls]), min(n // 2, len(paths[cls])), replace=False)
        items += [str(paths[cls][i]) for i in sorted(chosen)]
        labels += [label] * len(chosen)
    labels = np.asarray(labels)
    pipe = facetruth.build_pipeline("handcrafted", "xgboost", face, cv=3, random_state=seed)
    crops = pipe.named_steps["loader"].fit_transform(items)
    feats = pipe.named_steps["features"].fit_transform(crops)
    pipe.named_steps["classifier"].fit(feats, labels)
    metadata = {
        "training_data": {
            "source": data.name,
            "counts": {"real": int((labels == 0).sum()), "fake": int(labels.sum())},
        },
        "features": "handcrafted",
        "face": face,
        "seed": seed,
        "training_summary": training_summary(pipe, crops, labels, features=feats),
    }
    facetruth.save(pipe, out, metadata=metadata)
    return out


def multipart(name, content):
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    return head + content + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def one_request(port, body, content_type):
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("POST", "/api/v1/predict", body=body, headers={"Content-Type": content_type})
        response = conn.getresponse()
        payload = response.read()
        status = response.status
        ok = status == 200 and json.loads(payload)["results"][0]["error"] is None
    except (OSError, http.client.HTTPException, ValueError, KeyError):
        status, ok = None, False
    finally:
        conn.close()
    return time.perf_counter() - start, status, ok


class RssSampler(threading.Thread):
    """Samples a process's resident set size every ``interval`` seconds until stopped."""

    def __init__(self, pid, interval=0.05):
        super().__init__(daemon=True)
        self.process, self.interval = psutil.Process(pid), interval
        self.samples, self.stop = [], threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                self.samples.append((time.perf_counter(), self.process.memory_info().rss))
            except psutil.Error:
                return
            self.stop.wait(self.interval)


def wait_healthy(port, server, deadline_s=120):
    for _ in range(int(deadline_s * 10)):
        if server.poll() is not None:
            raise RuntimeError(f"facetruth serve exited with code {server.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
        finally:
            conn.close()
    raise RuntimeError("server did not become healthy")


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(args, model):
    files = sorted((args.data / "real").glob("*.jpg"))[:50] + sorted((args.data / "fake").glob("*.jpg"))[:50]
    bodies = [multipart(f.name, f.read_bytes()) for f in files]
    port = free_port()
    cmd = [sys.executable, "-m", "facetruth.cli", "serve", str(model), "--port", str(port)]
    log = tempfile.TemporaryFile(mode="w+")
    launched = time.perf_counter()
    server = subprocess.Popen(cmd + ["--workers", str(args.workers)], cwd=REPO, stdout=log, stderr=log)
    try:
        wait_healthy(port, server)
        ready_s = time.perf_counter() - launched
        sampler = RssSampler(server.pid)
        sampler.start()
        first_s, _, first_ok = one_request(port, *bodies[0])  # the model was loaded before "ready"
        for body in bodies[: args.clients]:  # warm-up, not counted
            one_request(port, *body)
        rss_warm = psutil.Process(server.pid).memory_info().rss
        hostile = [HostileClient(port, MAX_BODY) for _ in range(args.hostile)]
        for client in hostile:
            client.start()
        process = psutil.Process(server.pid)
        cpu_before = sum(process.cpu_times()[:2])
        load_before, start = os.getloadavg(), time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            results = list(
                pool.map(lambda i: one_request(port, *bodies[i % len(bodies)]), range(args.requests))
            )
        wall = time.perf_counter() - start
        cpu_ms = (sum(process.cpu_times()[:2]) - cpu_before) * 1000 / len(results)
        load_after = os.getloadavg()
        # facetruth serve drops a silent connection after 30 s; give it that long after the run
        for client in hostile:
            client.stop.set()
        hostile_summary = [client.finish(wait=40) for client in hostile]
        sampler.stop.set()
        sampler.join()
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.seek(0)
        server_log = log.read()
        log.close()
    print(
        f"start-up: healthy {ready_s:.1f} s after launch; first request {first_s * 1000:.0f} ms (ok: {first_ok})"
    )
    report(args, results, wall, rss_warm, sampler.samples, start)
    # CPU time depends far less on what else the machine runs than latency does
    print(f"server CPU: {cpu_ms:.0f} ms (user + system) per request")
    for i, summary in enumerate(hostile_summary):
        print(f"hostile client {i + 1}: " + "; ".join(f"{k} {v}" for k, v in summary.items()))
    print(
        f"load average (1 min): {load_before[0]:.2f} at start, {load_after[0]:.2f} at end, {os.cpu_count()} CPUs"
    )
    print(f"server log: {server_log.count('Traceback')} tracebacks, {server_log.count('ERROR')} ERROR lines")
    if "Traceback" in server_log:
        print(server_log[server_log.index("Traceback") :][-4000:])


def report(args, results, wall, rss_warm, samples, start):
    lat = np.array([r[0] for r in results]) * 1000
    statuses = [r[1] for r in results]
    during = [(t, rss) for t, rss in samples if t >= start]
    half = start + (during[-1][0] - start) / 2 if during else start
    first = max((rss for t, rss in during if t < half), default=0)
    second = max((rss for t, rss in during if t >= half), default=0)
    mib = 1024 * 1024
    print(
        f"requests: {len(results)} from {args.clients} clients, server threads {args.workers}, "
        f"model face detection: {args.face_setting}"
    )
    print(f"throughput: {len(results) / wall:.1f} requests/s ({wall:.1f} s)")
    p50, p95, p99 = np.percentile(lat, [50, 95, 99])
    print(f"latency ms: p50 {p50:.0f}  p95 {p95:.0f}  p99 {p99:.0f}  mean {statistics.fmean(lat):.0f}")
    print(f"errors: {sum(not r[2] for r in results)}  5xx: {sum(1 for s in statuses if s and s >= 500)}")
    print(f"p95 at {args.clients} clients, face detection {args.face_setting}: {p95:.0f} ms")
    print(
        f"server RSS MiB: after warm-up {rss_warm / mib:.0f}, peak {max(r for _, r in samples) / mib:.0f}, "
        f"peak first half {first / mib:.0f}, peak second half {second / mib:.0f} ({len(samples)} samples)"
    )


def _face_setting(model):
    """The ``face`` setting recorded in a model's card, or ``"unknown"``."""
    try:
        card = json.loads(Path(f"{model}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "unknown"
    return str(card.get("face", "unknown"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, help="saved model; default: train a handcrafted one")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="hardfake folder (real/, fake/)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--workers", type=int, default=8, help="server threads")
    parser.add_argument("--train-n", type=int, default=400, help="images to train on without --model")
    parser.add_argument("--face", default="auto", choices=["auto", "off", "dlib", "haar"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--hostile", type=int, default=0, metavar="N", help="hostile client threads beside the good ones"
    )
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        parser.error(f"{args.data} not found")
    if args.model:
        args.face_setting = _face_setting(args.model)
        run(args, args.model)
        return
    args.face_setting = args.face
    with tempfile.TemporaryDirectory(prefix="facetruth-bench-") as tmp:
        t0 = time.perf_counter()
        model = train_model(
            args.data, Path(tmp) / "model.joblib", n=args.train_n, face=args.face, seed=args.seed
        )
        print(
            f"trained a handcrafted model (face={args.face}) on {args.train_n} images in {time.perf_counter() - t0:.0f} s"
        )
        run(args, model)


if __name__ == "__main__":
    main()
