"""``facetruth serve``: the web app under waitress, a production WSGI server.

The model is loaded and warmed up (one built-in photo scored) before the
port is bound, and the URL is printed only once the server can answer.
"""

import errno
import ipaddress
import logging
import socket
import sys
import time

from . import cmdoptions

logger = logging.getLogger(__name__)

HELP = "serve the upload page and JSON API for a saved model (waitress)"
EXAMPLES = """
facetruth serve model.joblib
facetruth serve model.joblib --port 8080 --workers 8
facetruth serve my-own-model.joblib --trust      # a model file without its model card
curl -F files=@photo.jpg http://127.0.0.1:8000/api/v1/predict
"""


def add_arguments(parser):
    parser.add_argument("model", help="model file written by 'facetruth train'")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind")
    parser.add_argument("--port", type=int, default=8000, help="TCP port")
    parser.add_argument("--workers", type=int, default=4, help="worker threads")
    parser.add_argument("--max-files", type=int, default=16, help="images per request")
    parser.add_argument("--max-upload-mb", type=float, default=20, help="MB per request")
    parser.add_argument("--max-pixels", type=int, default=40_000_000, help="pixels per image")
    parser.add_argument(
        "--idle-timeout", type=int, default=30, help="seconds of silence before a connection is dropped"
    )
    parser.add_argument("--max-connections", type=int, default=100, help="open connections at most")
    cmdoptions.band(parser)
    cmdoptions.trust(parser)
    cmdoptions.allow_drift(parser)
    parser.set_defaults(func=cmd_serve)


def _is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def cmd_serve(args):
    """Load the model once, then serve the page and the API until interrupted."""
    from ..web import create_app, make_server

    if not 1 <= args.port <= 65535:
        raise ValueError(f"--port must lie in 1..65535, got {args.port}.")
    if args.workers < 1:
        raise ValueError(f"--workers must be at least 1, got {args.workers}.")
    if args.idle_timeout < 1 or args.max_connections < 1:
        raise ValueError("--idle-timeout and --max-connections must be at least 1.")
    config = {
        "FACETRUTH_MODEL": args.model,
        "MAX_FILES": args.max_files,
        "MAX_CONTENT_LENGTH": int(args.max_upload_mb * 1024 * 1024),
        "MAX_PIXELS": args.max_pixels,
        "FACETRUTH_BAND": args.band,
        "FACETRUTH_TRUST": args.trust,
        "FACETRUTH_ALLOW_DRIFT": args.allow_drift,
    }
    _check_port(args.host, args.port)  # before the model is loaded: fail in a moment, not after it
    start = time.perf_counter()
    print(f"facetruth serve: loading {args.model} ...", file=sys.stderr, flush=True)
    app = create_app(config)
    if not _is_loopback(args.host):
        logger.warning("listening on %s: the detector is reachable from other machines", args.host)
    try:
        server = make_server(
            app,
            host=args.host,
            port=args.port,
            threads=args.workers,
            max_body=config["MAX_CONTENT_LENGTH"],
            channel_timeout=args.idle_timeout,
            connection_limit=args.max_connections,
            warm_up=app.extensions["facetruth"].warm_up,  # each thread builds its own face detector
        )
    except OSError as exc:
        raise OSError(_bind_error(exc, args.host, args.port)) from exc
    url = f"http://{_url_host(args.host)}:{args.port}/"
    took = time.perf_counter() - start
    print(
        f"facetruth serve: ready at {url} (model loaded in {took:.1f} s; Ctrl+C to stop)",
        file=sys.stderr,
        flush=True,
    )
    logger.info("ready at %s", url)
    server.run()
    return 0


def _check_port(host, port):
    """Raise the :func:`_bind_error` message when ``host:port`` cannot be listened on now."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.create_server((host, port), family=family):
            pass
    except socket.gaierror:
        return  # a host name: waitress resolves it, and reports a failure
    except OSError as exc:
        raise OSError(_bind_error(exc, host, port)) from exc


def _url_host(host):
    """``host`` as it goes in a URL: IPv6 addresses in brackets."""
    return f"[{host}]" if ":" in host else host


def _bind_error(exc, host, port):
    """The message of a failed bind, with the way out."""
    if exc.errno == errno.EADDRINUSE:
        other = port + 1 if port < 65535 else port - 1
        return (
            f"port {port} on {host} is already in use (another facetruth serve?); "
            f"choose another port with --port N, e.g. --port {other}"
        )
    if exc.errno == errno.EACCES:
        return f"no permission to listen on port {port} on {host}; ports below 1024 need privileges: use --port N"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"cannot listen on {host}: not an address of this machine (see --host)"
    return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
