"""The production WSGI server of ``facetruth serve``: waitress with limits and JSON errors.

waitress answers some requests itself, before the app sees them: a body over
its size limit (refused from the ``Content-Length`` header, unread), a
malformed request line or headers, an unsupported transfer encoding. Its own
answers are plain text; here they are JSON ``{"error": ...}`` like every
answer of the app. Request bodies stay in memory up to the size limit (never
spooled to a temporary file), and a client that stops sending is dropped
after ``channel_timeout`` seconds while the others are served.
"""

import json
import logging
import threading
import time

from waitress.channel import HTTPChannel
from waitress.server import create_server
from waitress.task import ErrorTask

logger = logging.getLogger(__name__)

#: headers every error answered by waitress carries (as the app's own answers do)
_HEADERS = [
    ("Content-Type", "application/json"),
    ("X-Content-Type-Options", "nosniff"),
    ("Cache-Control", "no-store"),
]


class JSONErrorTask(ErrorTask):
    """waitress's error answer (400, 413, 431, 501, ...) as a JSON body."""

    def execute(self):
        error = self.request.error
        code, reason = error.code, error.reason
        if code == 413:
            limit = self.channel.server.adj.max_request_body_size - 1
            message = f"request body too large: more than {limit} bytes (facetruth serve --max-upload-mb)"
        else:
            detail = str(error.body).strip()
            message = f"{reason.lower()}: {detail}" if detail else reason.lower()
        if code >= 500:
            # waitress's only 5xx here is 501 for a transfer coding it does not
            # accept: the client's doing, and 5xx stays reserved for server faults
            code, reason = 400, "Bad Request"
        body = (json.dumps({"error": message}) + "\n").encode("utf-8")
        self.status = f"{code} {reason}"
        self.response_headers.extend(_HEADERS)
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class JSONErrorChannel(HTTPChannel):
    """A waitress connection whose own error answers are JSON."""

    error_task_class = JSONErrorTask


def make_server(
    app,
    *,
    host="127.0.0.1",
    port=8000,
    threads=4,
    max_body=20 * 1024 * 1024,
    channel_timeout=30,
    cleanup_interval=5,
    connection_limit=100,
    warm_up=None,
):
    """Build (but do not start) a waitress server for ``app``.

    Parameters
    ----------
    app : WSGI application
        Usually :func:`~facetruth.web.create_app`'s result.
    host : str, default="127.0.0.1"
    port : int, default=8000
        ``0`` picks a free port (see the server's ``effective_port``).
    threads : int, default=4
        Worker threads running the app.
    max_body : int, default=20 MiB
        Largest request body in bytes: a larger ``Content-Length`` is refused
        with a JSON 413 before the body is read; smaller bodies are buffered
        in memory. Use the app's ``MAX_CONTENT_LENGTH``.
    channel_timeout : int, default=30
        Seconds of silence after which a connection (e.g. a stalled upload)
        is closed.
    cleanup_interval : int, default=5
        Seconds between checks for such connections.
    connection_limit : int, default=100
        Open connections at most; more wait in the listen backlog.
    warm_up : callable, default=None
        Called once on each worker thread before this function returns
        (for example :meth:`DetectorService.warm_up`): what a thread builds
        for itself, such as its face detector, is then ready before the
        first request. Its first exception is raised here.

    Returns
    -------
    server : waitress server
        Call ``run()`` to serve until interrupted, ``close()`` to stop.

    Examples
    --------
    >>> from facetruth.web import make_server
    >>> def app(environ, start_response):
    ...     start_response("200 OK", [("Content-Type", "text/plain")])
    ...     return [b"ok"]
    >>> server = make_server(app, port=0, threads=1)  # bound to a free loopback port
    >>> int(server.effective_port) > 0
    True
    >>> server.run()  # doctest: +SKIP
    >>> server.close()
    """
    max_body = int(max_body)
    sockets = {}
    server = create_server(
        app,
        map=sockets,
        host=host,
        port=port,
        threads=threads,
        # waitress refuses Content-Length >= this: exactly the app's limit plus one
        max_request_body_size=max_body + 1,
        inbuf_overflow=max_body + 1,  # bodies up to the limit stay in memory
        channel_timeout=channel_timeout,
        cleanup_interval=cleanup_interval,
        connection_limit=connection_limit,
        ident="facetruth",
        expose_tracebacks=False,
    )
    for listener in sockets.values():  # one per listening address
        listener.channel_class = JSONErrorChannel
    if warm_up is not None:
        try:
            _run_on_every_thread(server.task_dispatcher, warm_up)
        except BaseException:
            server.close()
            raise
    return server


class _OncePerThread:
    """A waitress task: each of ``parties`` copies waits for the others, so that every thread takes one."""

    def __init__(self, func, barrier, results):
        self.func, self.barrier, self.results = func, barrier, results

    def service(self):
        try:
            self.barrier.wait()
            self.func()
            self.results.append(None)
        except BaseException as exc:  # handed to the caller, not to waitress's log
            self.results.append(exc)

    def cancel(self):
        self.results.append(RuntimeError("the server was stopped"))


def _run_on_every_thread(dispatcher, func, timeout=600):
    """Run ``func()`` once on each worker thread of a waitress task ``dispatcher``; wait for all."""
    parties = len(dispatcher.threads)
    barrier, results = threading.Barrier(parties, timeout=timeout), []
    deadline = time.monotonic() + timeout
    while dispatcher.active_count and time.monotonic() < deadline:  # threads still starting
        time.sleep(0.005)
    for _ in range(parties):
        dispatcher.add_task(_OncePerThread(func, barrier, results))
    while len(results) < parties:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server's worker threads did not warm up within {timeout} s")
        time.sleep(0.01)
    for result in results:
        if result is not None:
            raise result
