"""Describe and answer questions with a picture model on an OpenAI-compatible server: Ollama,
llama.cpp server, vLLM, LM Studio, or a cloud provider the user agreed to.

Same interface as the local backends: RAW text chunks, which the engine gates. No picture leaves
before the consent rules allow it (checked on every request, not only in the GUI). Follow-ups
resend the same picture bytes first in the conversation, so servers with prefix caching (vLLM,
llama.cpp) reuse the encoded picture instead of encoding it again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator

from PIL import Image

from ..errors import RemoteUnavailable
from ..remote.client import RemoteClient
from ..remote.consent import ConsentStore, check_consent, source_marker
from ..remote.images import PreparedImage, picture_key, prepare_image
from ..remote.providers import Provider, get_provider
from ..remote.secrets import env_var_for, get_api_key, key_source
from ..remote.settings import RemoteSettings
from .base import conversation
from .hub_vlm import DESCRIBE_PROMPTS

MIN_RETRY_EDGE = 384  # below this a shrunk screen is unreadable: say "too large" instead


class RemoteVisionBackend:
    name = "remote"

    def __init__(
        self,
        provider: Provider,
        *,
        settings: RemoteSettings | None = None,
        api_key: str | None = None,
        consent: ConsentStore | None = None,
        cache_images: int = 4,
    ):
        self.settings = settings or RemoteSettings()
        self.provider = provider
        self.model = provider.model  # "" until the server's first model is looked up
        self.marker = source_marker(provider, self.settings)  # the engine adds it after gated answers
        self.client = RemoteClient(
            provider,
            api_key,
            connect_timeout=self.settings.connect_timeout,
            read_timeout=self.settings.read_timeout or None,
        )
        self.stats = {"encodes": 0, "encode_hits": 0}
        self.last_picture: PreparedImage | None = None
        self._consent = consent or ConsentStore()
        self._pictures: OrderedDict[str, PreparedImage] = OrderedDict()
        self._cache_size = max(0, cache_images)
        self._edge_cap = provider.max_edge  # lowered when a server says a picture is too large
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RemoteVisionBackend({self.provider.name!r}, model={self.model!r})"

    # ---- VisionBackend --------------------------------------------------------------------------
    def describe(
        self, image: Image.Image, detail: str = "quick", cancel: threading.Event | None = None
    ) -> Iterator[str]:
        detail = detail if detail in DESCRIBE_PROMPTS else "quick"
        tokens = self.settings.full_tokens if detail == "full" else self.settings.quick_tokens
        return self._stream(image, [DESCRIBE_PROMPTS[detail]], tokens, cancel)

    def ask(
        self,
        image: Image.Image,
        question: str,
        history: list[tuple[str, str]] | None = None,
        cancel: threading.Event | None = None,
    ) -> Iterator[str]:
        turns = conversation(history, question)
        return self._stream(image, turns, self.settings.ask_tokens, cancel)

    # ---- request --------------------------------------------------------------------------------
    def _stream(
        self, image: Image.Image, turns: list[str], max_tokens: int, cancel: threading.Event | None
    ) -> Iterator[str]:
        check_consent(self.provider, self.settings, self._consent)  # before any byte of the picture leaves
        picture = self.prepare(image)
        model = self.resolve_model()
        try:
            yield from self.client.stream_chat(
                model, build_messages(picture.data_url, turns), max_tokens, cancel, picture.size
            )
        except RemoteUnavailable as error:
            smaller = max(picture.size) // 2
            if error.reason != "too_large" or error.partial or smaller < MIN_RETRY_EDGE:
                raise
            # The server's limit is below the preset's: once more at half the size, and remember it.
            self._edge_cap = smaller  # a quarter of the pixels: about a quarter of the bytes
            picture = self.prepare(image)
            yield from self.client.stream_chat(
                model, build_messages(picture.data_url, turns), max_tokens, cancel, picture.size
            )

    def prepare(self, image: Image.Image) -> PreparedImage:
        """The picture as sent (shrunk, compressed, base64), cached so follow-ups send the same bytes."""
        max_edge, max_bytes = min(self.provider.max_edge, self._edge_cap), self.provider.max_bytes
        key = f"{picture_key(image)}:{max_edge}:{max_bytes}"
        with self._lock:
            cached = self._pictures.get(key)
            if cached is not None:
                self._pictures.move_to_end(key)
                self.stats["encode_hits"] += 1
                self.last_picture = cached
                return cached
        picture = prepare_image(image, max_edge, max_bytes)
        with self._lock:
            self.stats["encodes"] += 1
            self.last_picture = picture
            if self._cache_size:
                self._pictures[key] = picture
                while len(self._pictures) > self._cache_size:
                    self._pictures.popitem(last=False)
        return picture

    def resolve_model(self) -> str:
        """The model to ask: the configured one, else the server's first (llama.cpp, LM Studio)."""
        if not self.model:
            self.model = self.client.first_model()
        return self.model

    def close(self) -> None:
        self.client.close()


def build_messages(data_url: str, turns: list[str]) -> list[dict]:
    """OpenAI chat messages: the picture first in the first user turn, then the conversation.

    turns alternate user, assistant, ..., user."""
    messages: list[dict] = []
    for i, text in enumerate(turns):
        if i == 0:
            content: list[dict] | str = [
                {"type": "image_url", "image_url": {"url": data_url}},
                {"type": "text", "text": text},
            ]
            messages.append({"role": "user", "content": content})
        else:
            messages.append({"role": "user" if i % 2 == 0 else "assistant", "content": text})
    return messages


def remote_backend(
    settings: RemoteSettings | None = None,
    provider: str | None = None,
    model: str | None = None,
    *,
    consent: ConsentStore | None = None,
) -> RemoteVisionBackend:
    """The backend for `provider` (default: the settings' choice) and `model`, with its API key
    from the keyring or the environment. Does not touch the network.

    Raises BadInput (unknown provider, bad address) or RemoteUnavailable(reason="no_key")."""
    settings = settings or RemoteSettings()
    chosen = get_provider(provider, settings, model)
    chosen.validate()
    key = get_api_key(chosen) if chosen.key != "none" else None
    if chosen.key == "required" and not key:
        raise missing_key(chosen)
    return RemoteVisionBackend(chosen, settings=settings, api_key=key, consent=consent)


def missing_key(provider: Provider) -> RemoteUnavailable:
    where = "in Settings (it is kept in the system keyring)"
    if key_source(provider) == "keyring unavailable":
        where = "with the environment variable " + env_var_for(provider.name) + " (this computer has no keyring)"
    return RemoteUnavailable(
        f"{provider.label} needs an API key. Add it {where}.",
        reason="no_key",
        provider=provider.name,
        host=provider.host,
    )
