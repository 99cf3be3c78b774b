"""``facetruth serve``: the web app under waitress, a production WSGI server."""

import ipaddress
import logging
import sys

from . import cmdoptions

logger = logging.getLogger(__name__)

HELP = "serve the upload page and JSON API for a saved model (waitress)"
EXAMPLES = """
facetruth serve model.joblib
facetruth serve model.joblib --port 8080 --workers 8
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
    }
    app = create_app(config)
    if not _is_loopback(args.host):
        logger.warning("listening on %s: the detector is reachable from other machines", args.host)
    print(f"facetruth serve: http://{args.host}:{args.port}/ (Ctrl+C to stop)", file=sys.stderr, flush=True)
    server = make_server(
        app,
        host=args.host,
        port=args.port,
        threads=args.workers,
        max_body=config["MAX_CONTENT_LENGTH"],
        channel_timeout=args.idle_timeout,
        connection_limit=args.max_connections,
    )
    server.run()
    return 0
