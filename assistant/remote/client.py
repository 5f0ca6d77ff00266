"""A thin, robust client for OpenAI-compatible chat completions (through the `openai` package).

Why the `openai` package: it is the reference client for this API, parses server-sent events,
maps HTTP errors to typed exceptions and is maintained with the API. What we add:
- no silent retries (max_retries=0): a blind user must hear "the server is busy, try again in
  20 seconds", not sit through a minute of silent back-off;
- connect and read timeouts per provider (a cold local model takes a while to load);
- Cancel that works at once: the request is opened on a helper thread (the caller waits on a
  queue and checks its cancel event, so a silent server never holds it), then the caller reads
  the answer itself while the helper only watches the cancel event and, when it is set, shuts
  the socket down: the blocked read wakes at once and the server sees the disconnect and stops
  generating. (Reading on the helper and handing each piece over cost the first piece about
  5 ms: the reader kept the interpreter lock while parsing the next pieces, so the waiting
  caller got it only at the next switch interval.);
- an explicit API key always (never the OPENAI_API_KEY of the environment, which would go to
  whatever server is configured);
- every failure as a plain RemoteUnavailable sentence (failures.py).
"""

from __future__ import annotations

import queue
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ..errors import Blocked, Cancelled, RemoteUnavailable
from ..logs import get_logger
from .failures import explain, model_missing
from .providers import Provider

log = get_logger(__name__)

NO_KEY = "no-key"  # the openai client insists on some key; servers without auth ignore it
POLL_SECONDS = 0.02  # how often a waiting caller looks at its cancel event


@dataclass
class ModelInfo:
    id: str
    vision: bool | None = None  # None: the server does not say


class RemoteClient:
    def __init__(
        self,
        provider: Provider,
        api_key: str | None = None,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float | None = None,
    ):
        from openai import OpenAI, Timeout

        provider.validate()
        self.provider = provider
        self._key = api_key
        read = float(read_timeout or provider.read_timeout)
        self.timeout = Timeout(connect=connect_timeout, read=read, write=max(30.0, read), pool=connect_timeout)
        self._openai = OpenAI(
            base_url=provider.base_url,
            api_key=api_key or NO_KEY,
            max_retries=0,
            timeout=self.timeout,
        )

    def __repr__(self) -> str:  # never shows the key
        return f"RemoteClient({self.provider.name!r}, {self.provider.base_url!r})"

    # ---- chat -----------------------------------------------------------------------------------
    def request_body(self, model: str, messages: list[dict], max_tokens: int) -> dict[str, Any]:
        body: dict[str, Any] = {"model": model, "messages": messages}
        if max_tokens:
            body[self.provider.tokens_field] = int(max_tokens)
        return body

    def stream_chat(
        self,
        model: str,
        messages: list[dict],
        max_tokens: int,
        cancel: threading.Event | None = None,
        picture: tuple[int, int] | None = None,
    ) -> Iterator[str]:
        """Yield the answer's text pieces as they arrive. Raises Cancelled, Blocked (the provider's
        content filter) or RemoteUnavailable."""
        if cancel is not None and cancel.is_set():
            raise Cancelled("Stopped.")
        body = self.request_body(model, messages, max_tokens)
        extra = dict(self.provider.extra_body)
        create = self._openai.chat.completions.create
        pump = _Pump(lambda: create(**body, stream=True, extra_body=extra or None), cancel)
        received = False
        finish = None
        complete = False
        try:
            kind, item = pump.get(cancel)
            if kind == _CANCELLED:
                raise Cancelled("Stopped.")
            if kind == _ERROR:
                raise self.explain(item, model, picture=picture) from None
            try:
                for chunk in item:  # read here: no hand-off per piece
                    if cancel is not None and cancel.is_set():
                        raise Cancelled("Stopped.")
                    text, reason = _delta(chunk)
                    finish = reason or finish
                    if text:
                        received = True
                        yield text
            except Cancelled:
                raise
            except Exception as exc:  # noqa: BLE001 - explained (and logged there) or a cancel's hang-up
                if cancel is not None and cancel.is_set():
                    raise Cancelled("Stopped.") from None
                raise self.explain(exc, model, partial=received, picture=picture) from None
            if cancel is not None and cancel.is_set():  # the hang-up may end a stream without an error
                raise Cancelled("Stopped.")
            complete = True
        finally:
            pump.stop(complete)
        self._check_finish(finish, received, model)

    def complete(self, model: str, messages: list[dict], max_tokens: int = 1) -> tuple[str, int | None]:
        """A short non-streamed answer and its prompt token count (for connection tests)."""
        body = self.request_body(model, messages, max_tokens)
        try:
            reply = self._openai.chat.completions.create(**body, extra_body=dict(self.provider.extra_body) or None)
        except _api_errors() as exc:
            raise self.explain(exc, model) from None
        text = (reply.choices[0].message.content or "") if reply.choices else ""
        usage = getattr(reply, "usage", None)
        return text, getattr(usage, "prompt_tokens", None)

    # ---- models ---------------------------------------------------------------------------------
    def list_models(self) -> list[ModelInfo]:
        """The server's models (Ollama: from its native API, which is what `ollama list` shows)."""
        try:
            if self.provider.models_api == "ollama":
                raw = self._openai.get(f"{self.provider.root_url}/api/tags", cast_to=object)
                entries = raw.get("models") if isinstance(raw, dict) else None
                names = [m.get("name") or m.get("model") for m in entries or [] if isinstance(m, dict)]
                return [ModelInfo(str(n)) for n in names if n]
            return [ModelInfo(str(m.id)) for m in self._openai.models.list().data]
        except _api_errors() as exc:
            raise self.explain(exc, "") from None

    def model_accepts_pictures(self, model: str) -> bool | None:
        """What the server itself says about pictures (Ollama's capabilities); None elsewhere."""
        if self.provider.models_api != "ollama":
            return None
        try:
            raw = self._openai.post(f"{self.provider.root_url}/api/show", body={"model": model}, cast_to=object)
        except _api_errors() as exc:
            raise self.explain(exc, model) from None
        capabilities = raw.get("capabilities") if isinstance(raw, dict) else None
        return None if capabilities is None else "vision" in capabilities

    def first_model(self) -> str:
        models = self.list_models()
        if not models:
            raise RemoteUnavailable(
                f"{self.provider.label} at {self.provider.host} has no model loaded.",
                reason="model_missing",
                provider=self.provider.name,
                host=self.provider.host,
            )
        return models[0].id

    # ---- failures -------------------------------------------------------------------------------
    def explain(
        self, exc: BaseException, model: str, *, partial: bool = False, picture: tuple[int, int] | None = None
    ) -> RemoteUnavailable:
        error = explain(exc, self.provider, model=model, key=self._key, partial=partial, picture=picture)
        unclear = error.reason in ("not_found", "refused", "server") and error.status in (400, 404, 422, 500)
        if model and (error.reason == "model_missing" or unclear):
            error = self._confirm_model(model, error)
        return error

    def _confirm_model(self, model: str, error: RemoteUnavailable) -> RemoteUnavailable:
        """Servers answer an unknown model with anything from 400 to 500; the model list tells,
        and lets the message name the models the server does have."""
        try:
            names = [m.id for m in self.list_models()]
        except RemoteUnavailable:
            return error
        if names and not model_listed(model, names):
            return model_missing(self.provider, model, names, status=error.status)
        return error

    def _check_finish(self, finish: str | None, received: bool, model: str) -> None:
        if finish == "content_filter":
            raise Blocked(f"{self.provider.label} withheld the answer (its own content filter).")
        if finish is None:
            raise RemoteUnavailable(
                f"The connection to the picture server at {self.provider.host} broke "
                + ("in the middle of the answer." if received else "before the answer."),
                reason="stream_cut",
                provider=self.provider.name,
                host=self.provider.host,
                partial=received,
            )
        if not received:
            why = " (it used its whole length before answering)" if finish == "length" else ""
            raise RemoteUnavailable(
                f"The model {model} on {self.provider.label} sent an empty answer{why}.",
                reason="empty",
                provider=self.provider.name,
                host=self.provider.host,
            )

    def close(self) -> None:
        self._openai.close()


def model_listed(model: str, names: list[str]) -> bool:
    """Whether the server lists `model`; Ollama names without a tag mean ":latest"."""
    return model in names or (":" not in model and f"{model}:latest" in names)


def _api_errors() -> tuple[type[Exception], ...]:
    """What the openai client raises for any server or network problem (imported late: the
    package takes most of a second to import, which the app must not pay at start-up)."""
    from openai import OpenAIError

    return (OpenAIError, ValueError)


def _delta(chunk: Any) -> tuple[str, str | None]:
    choices = getattr(chunk, "choices", None) or []
    if not choices:
        return "", None
    choice = choices[0]
    delta = getattr(choice, "delta", None)
    return (getattr(delta, "content", None) or ""), getattr(choice, "finish_reason", None)


# ---- opening a stream on a helper thread, and hanging it up on Cancel --------------------------------
_OPEN, _ERROR, _CANCELLED = "open", "error", "cancelled"
WATCH_SECONDS = 0.1  # how often the idle helper looks whether the caller has finished


class _Pump:
    """Opens one streamed response on its own thread, so the caller can stop waiting at once;
    then, while the caller reads it, hangs it up as soon as `cancel` is set."""

    def __init__(self, open_stream: Callable[[], Any], cancel: threading.Event | None = None):
        self._items: queue.SimpleQueue = queue.SimpleQueue()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._stream: Any = None
        self._hung_up = False
        self._cancel = cancel
        self._thread = threading.Thread(target=self._run, args=(open_stream,), name="remote-stream", daemon=True)
        self._thread.start()

    def get(self, cancel: threading.Event | None) -> tuple[str, Any]:
        """(_OPEN, stream), (_ERROR, exception) or (_CANCELLED, None)."""
        while True:
            if cancel is not None and cancel.is_set():
                return _CANCELLED, None
            try:
                return self._items.get(timeout=POLL_SECONDS)
            except queue.Empty:
                continue

    def stop(self, complete: bool = False) -> None:
        """The caller is done. A stream not read to its end is hung up, so the server stops
        generating; a complete one is closed (its connection can be reused)."""
        self._stop.set()
        with self._lock:
            stream = self._stream
        if stream is None:
            return  # still opening: the helper closes it when it arrives
        if not complete:
            self._hang_up()
        _close_quietly(stream)

    def _hang_up(self) -> None:
        with self._lock:
            stream, done = self._stream, self._hung_up
            self._hung_up = True
        if stream is not None and not done:
            _hang_up(stream)

    def _run(self, open_stream: Callable[[], Any]) -> None:
        try:
            stream = open_stream()
        except Exception as exc:  # noqa: BLE001 - handed to the caller, which explains and logs it
            if self._stop.is_set():  # after a stop nobody is listening
                log.debug("a stopped request ended with %s", type(exc).__name__)
            else:
                self._items.put((_ERROR, exc))
            return
        with self._lock:
            self._stream = stream
        if self._stop.is_set():  # given up while the server was getting ready: close it now
            self._hang_up()
            _close_quietly(stream)
            return
        self._items.put((_OPEN, stream))
        cancel = self._cancel
        if cancel is None:
            return
        while not self._stop.is_set():
            if cancel.wait(WATCH_SECONDS):
                self._hang_up()  # wakes the caller's blocked read
                return


def _hang_up(stream: Any) -> None:
    """Shut the stream's socket down: wakes the reading thread and tells the server we left."""
    started = time.perf_counter()
    try:
        network = stream.response.extensions.get("network_stream")
        sock = network.get_extra_info("socket") if network is not None else None
        if sock is not None:
            socket.socket.shutdown(sock, socket.SHUT_RDWR)  # the raw socket, under any TLS layer
            return
    except (AttributeError, OSError):
        pass  # already closed, or a transport without a socket: closing below is all we can do
    _close_quietly(stream)
    log.debug("stream closed without a socket shutdown in %.1f ms", (time.perf_counter() - started) * 1000)


def _close_quietly(stream: Any) -> None:
    try:
        stream.close()
    except Exception:
        log.exception("closing a remote answer stream")
