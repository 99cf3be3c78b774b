"""``facetruth serve``: the web app under waitress, a production WSGI server."""

import ipaddress
import logging
import sys

logger = logging.getLogger(__name__)


def _is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def cmd_serve(args):
    """Load the model once, then serve the page and the API until interrupted."""
    from .web import create_app, make_server

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
