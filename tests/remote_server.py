"""Servers for the remote-backend tests, all on 127.0.0.1.

`TransformersServer` runs the real OpenAI-compatible server that ships with transformers
(`transformers serve`) on a tiny random model built by the test. `ScriptedServer` is a minimal
HTTP handler for the answers a real server cannot be made to give (401, 429 with Retry-After,
413, a TLS failure, errors worded as Ollama / llama.cpp / LM Studio / OpenAI word them).
"""

from __future__ import annotations

import http.server
import json
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

LAUNCH = (
    # The `transformers` console script, minus its update check (which would try the network).
    "import sys; from transformers.cli.transformers import app; sys.argv[0] = 'transformers'; app()"
)
START_TIMEOUT = 180  # a hang guard only: the server is up in about 5 seconds here


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TransformersServer:
    """`transformers serve MODEL_DIR` pinned to one model, on 127.0.0.1, offline, on the CPU."""

    def __init__(self, model_dir: Path, log_dir: Path):
        self.model_dir = str(model_dir)
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.log_path = Path(log_dir) / f"serve-{self.port}.log"
        self.proc: subprocess.Popen | None = None
        self._log = None

    def start(self) -> TransformersServer:
        env = dict(os.environ)
        env.update(
            HF_HUB_OFFLINE="1",
            TRANSFORMERS_OFFLINE="1",
            HF_HUB_DISABLE_TELEMETRY="1",
            TOKENIZERS_PARALLELISM="false",
            OMP_NUM_THREADS="1",  # two cores are shared by everyone on this machine
        )
        args = [sys.executable, "-c", LAUNCH, "serve", self.model_dir, "--host", "127.0.0.1"]
        args += ["--port", str(self.port), "--device", "cpu", "--dtype", "float32", "--log-level", "warning"]
        self._log = open(self.log_path, "wb")  # kept open for the server's lifetime
        self.proc = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"transformers serve exited:\n{self.log_path.read_text(errors='replace')[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=2) as reply:
                    if reply.status == 200:
                        return self
            except OSError:
                time.sleep(0.25)
        self.stop()
        raise RuntimeError("transformers serve did not start in time")

    def kill(self) -> None:
        """SIGKILL: the server dies mid-answer, as when its machine crashes."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
        if self._log is not None:
            self._log.close()


# ---- a scripted server ----------------------------------------------------------------------------
@dataclass
class Reply:
    status: int = 200
    body: object = None  # dict -> JSON; str -> as is
    headers: dict = field(default_factory=dict)
    chunks: list[str] | None = None  # SSE content pieces (a streamed answer)
    finish: str | None = "stop"  # finish_reason of the last chunk; None: cut without one
    delay: float = 0.0  # seconds to wait after the headers (read timeouts)
    close_early: bool = False  # hang up mid-stream (no [DONE])
    error_event: str | None = None  # an error sent inside the stream after the chunks


class ScriptedServer:
    """A tiny HTTP server on 127.0.0.1: `script(method, path, headers, body) -> Reply`."""

    def __init__(self, script: Callable[[str, str, dict, dict], Reply], tls: ssl.SSLContext | None = None):
        self.script = script
        self.requests: list[dict] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # the body ends when the connection closes

            def log_message(self, *args):  # keep the test output quiet
                pass

            def do_GET(self):
                self._answer("GET")

            def do_POST(self):
                self._answer("POST")

            def _answer(self, method: str):
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else {}
                headers = {k.lower(): v for k, v in self.headers.items()}
                outer.requests.append({"method": method, "path": self.path, "headers": headers, "body": body})
                reply = outer.script(method, self.path, headers, body)
                try:
                    _send(self, reply)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client hung up: what cancel tests expect

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        scheme = "https" if tls is not None else "http"
        self.base_url = f"{scheme}://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> ScriptedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _send(handler: http.server.BaseHTTPRequestHandler, reply: Reply) -> None:
    handler.send_response(reply.status)
    streaming = reply.chunks is not None
    handler.send_header("content-type", "text/event-stream" if streaming else "application/json")
    for name, value in reply.headers.items():
        handler.send_header(name, value)
    handler.end_headers()
    if reply.delay:
        time.sleep(reply.delay)
    if not streaming:
        body = reply.body if isinstance(reply.body, str) else json.dumps(reply.body if reply.body is not None else {})
        handler.wfile.write(body.encode())
        return
    for i, piece in enumerate(reply.chunks or []):
        handler.wfile.write(_sse({"content": piece}, None))
        handler.wfile.flush()
        if reply.close_early and i == len(reply.chunks or []) - 1:
            return
    if reply.error_event is not None:
        handler.wfile.write(f"data: {json.dumps({'error': reply.error_event})}\n\n".encode())
        return
    if reply.finish is not None:
        handler.wfile.write(_sse({}, reply.finish))
        handler.wfile.write(b"data: [DONE]\n\n")


def _sse(delta: dict, finish: str | None) -> bytes:
    chunk = {
        "id": "x",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "m",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(chunk)}\n\n".encode()


def models_reply(*names: str) -> Reply:
    return Reply(body={"object": "list", "data": [{"id": n, "object": "model", "created": 0} for n in names]})
