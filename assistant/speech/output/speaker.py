"""The Speaker: one object the engine's callers (GUI, CLI) hand gated text to; it reaches every
chosen output at once.

    speaker = make_speaker("auto", settings.speech, notice=status_line)
    speaker.say(trusted("Working."), Priority.POLITE)
    speaker.begin()                      # a new answer: silence the last one
    for event in engine.run(request):
        speaker.speak_event(event)       # TextChunk -> sentence by sentence; Result/ErrorEvent
    speaker.stop()                       # Stop: every output at once
    speaker.wait(30); speaker.close()    # the CLI waits until the answer was spoken

"Speak with" (OutputSettings.speak_with): auto (screen reader when one runs, else own voice) |
screen-reader | voice | both | text. Each output has its own thread (a lane), so a screen reader
that hangs never blocks the caller nor the other outputs. A failing output is logged and retried
once (after reconnecting); if it fails again it is dropped, and the user is told in a plain
sentence through `notice`; with no output left, answers are text only.
"""

from __future__ import annotations

import queue
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from ...config import Settings
from ...events import ErrorEvent, Event, Result, SafeText, TextChunk
from ...logs import get_logger
from ...safety import join
from ..chunker import SentenceChunker
from .base import OutputFailed, Priority, SpeechOutput
from .detect import ScreenReader, detect_screen_reader

log = get_logger(__name__)

SPEAK_WITH = ("auto", "screen-reader", "voice", "both", "text")
_ALIASES = {
    "screen_reader": "screen-reader",
    "screenreader": "screen-reader",
    "sr": "screen-reader",
    "own-voice": "voice",
    "own_voice": "voice",
    "none": "text",
    "off": "text",
    "text-only": "text",
}


def normalise_mode(mode: str | None) -> str:
    value = (mode or "auto").strip().lower().replace(" ", "-")
    value = _ALIASES.get(value, value)
    if value not in SPEAK_WITH:
        raise ValueError(f"Speak with must be one of {', '.join(SPEAK_WITH)}, not '{mode}'.")
    return value


# ---- one thread per output ----------------------------------------------------------------------
class _Lane:
    def __init__(self, output: SpeechOutput, on_failure: Callable[[_Lane, BaseException], None]):
        self.output = output
        self.failed = False
        self._on_failure = on_failure
        self._generation = 0
        self._jobs: queue.Queue[tuple[int, str, SafeText | None, Priority]] = queue.Queue()
        self._pending = 0
        self._idle = threading.Condition()
        self._thread = threading.Thread(target=self._run, name=f"speech-{output.name}", daemon=True)
        self._thread.start()

    @property
    def name(self) -> str:
        return self.output.name

    def submit(self, action: str, text: SafeText | None = None, priority: Priority = Priority.QUEUE) -> None:
        if self.failed and action != "probe":
            return
        with self._idle:
            if action == "stop" or priority is Priority.INTERRUPT:
                self._generation += 1  # what is queued but not yet handed over is dropped
            self._pending += 1
            self._jobs.put((self._generation, action, text, priority))

    @property
    def busy(self) -> bool:
        with self._idle:
            return self._pending > 0

    def drained(self, timeout: float | None) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def close(self) -> None:
        self._jobs.put((-1, "quit", None, Priority.QUEUE))

    def _run(self) -> None:
        while True:
            generation, action, text, priority = self._jobs.get()
            if action == "quit":
                return
            try:
                if action == "probe":
                    self._probe()
                elif not self.failed and (action == "stop" or generation == self._generation):
                    self._attempt(action, text, priority)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def _attempt(self, action: str, text: SafeText | None, priority: Priority) -> None:
        for attempt in (1, 2):
            try:
                self._do(action, text, priority)
                return
            except Exception as exc:
                log.exception("%s: %s failed (attempt %d)", self.name, action, attempt)
                if attempt == 2:
                    self.failed = True
                    self._on_failure(self, exc)
                    return
                reconnect = getattr(self.output, "reconnect", None)
                if reconnect is not None:
                    try:
                        reconnect()
                    except Exception:
                        log.exception("%s: reconnecting", self.name)

    def _probe(self) -> None:
        """Ask the output whether it works (it may connect, or wait for an engine to start: here,
        off the caller's thread); one that does not is dropped and the user told why."""
        try:
            problem = self.output.problem
        except Exception:
            log.exception("%s: checking it", self.name)
            problem = f"{self.name} could not be checked."
        if problem:
            self.failed = True
            self._on_failure(self, OutputFailed(problem))

    def _do(self, action: str, text: SafeText | None, priority: Priority) -> None:
        if action == "stop":
            self.output.stop()
        elif action == "braille" and text is not None:
            self.output.braille(text)
        elif text is not None:
            self.output.speak(text, priority)


# ---- the speaker ---------------------------------------------------------------------------------
class Speaker:
    def __init__(
        self,
        outputs: Iterable[SpeechOutput],
        notice: Callable[[str], None] | None = None,
        mode: str = "auto",
        braille: bool = True,
        screen_reader: ScreenReader | None = None,
        on_queued: Callable[[SafeText, str], None] | None = None,
    ):
        self.mode = mode
        self.braille_enabled = braille
        self.screen_reader = screen_reader or ScreenReader(None)
        self.on_queued = on_queued  # (text, "answer" | "say") when text is handed over (benchmarks)
        self._notice = notice
        self._noticed: set[str] = set()
        self._lanes = [_Lane(output, self._lane_failed) for output in outputs]
        self._chunker = SentenceChunker()
        self._answer: list[SafeText] = []
        self._answer_started = False
        self._lock = threading.Lock()

    # ---- what is active -----------------------------------------------------------------------
    @property
    def active_outputs(self) -> list[str]:
        """Names of the outputs still in use ("speech-dispatcher", "NVDA", "own voice" …)."""
        return [lane.name for lane in self._lanes if not lane.failed]

    @property
    def available(self) -> bool:
        """True while at least one output is in use (False: text only)."""
        return bool(self.active_outputs)

    @property
    def is_speaking(self) -> bool:
        """Something handed to the Speaker is still on its way, or the own voice is talking.
        (Screen readers do not say when they are done; their part counts until handed over.)"""
        if any(lane.busy for lane in self._lanes):
            return True
        return any(bool(getattr(getattr(o, "tts", None), "is_speaking", False)) for o in self.outputs)

    @property
    def own_voice(self) -> Any:
        """The TextToSpeech behind the own-voice output (for voices(), rate, volume), or None."""
        return next((getattr(o, "tts", None) for o in self.outputs if getattr(o, "tts", None) is not None), None)

    @property
    def outputs(self) -> list[SpeechOutput]:
        return [lane.output for lane in self._lanes if not lane.failed]

    @property
    def problem(self) -> str | None:
        """A plain sentence when nothing will be heard (text only), else None."""
        if self.active_outputs:
            return None
        if self.mode == "text":
            return "Speech is off: answers are shown as text only."
        return "No speech output works, so answers are shown as text only."

    def add_output(self, output: SpeechOutput) -> None:
        """Add an output later (the GUI's AT-SPI/UIA announcement hook, a CallbackOutput)."""
        with self._lock:
            self._lanes.append(_Lane(output, self._lane_failed))

    # ---- one-off messages ------------------------------------------------------------------
    def say(self, text: SafeText, priority: Priority | str = Priority.QUEUE) -> None:
        """Speak a whole message on every output (and braille it). Returns at once."""
        if not text:
            return
        priority = Priority.of(priority)
        if self.on_queued is not None:
            self.on_queued(text, "say")
        self._send(text, priority, braille=True)

    # ---- streamed answers ----------------------------------------------------------------
    def begin(self) -> None:
        """A new answer starts: silence the previous one everywhere, forget half sentences."""
        with self._lock:
            self._chunker.reset()
            self._answer = []
            self._answer_started = False
        self.stop()

    def feed(self, chunk: SafeText) -> None:
        """A piece of the answer; every sentence it completes goes out at once, in order."""
        if not chunk:
            return
        with self._lock:
            first = not self._answer_started
            self._answer_started = True
            self._answer.append(chunk)
            sentences = self._chunker.feed(chunk)
        if first and self.on_queued is not None:
            self.on_queued(chunk, "answer")
        for sentence in sentences:
            self._send(sentence, Priority.QUEUE, braille=False)

    def finish(self) -> None:
        """The answer is complete: speak the last half sentence; braille the whole answer (one
        message the user can read at their pace, not a flash per sentence)."""
        with self._lock:
            rest = self._chunker.flush()
            whole = join(self._answer)
            self._answer = []
            self._answer_started = False
        for sentence in rest:
            self._send(sentence, Priority.QUEUE, braille=False)
        if whole.strip() and self.braille_enabled:
            for lane in self._braille_lanes():
                lane.submit("braille", whole)

    def speak_event(self, event: Event) -> None:
        """Engine events as they arrive: TextChunk streams; a Result that was not streamed is said
        whole; an ErrorEvent's sentence interrupts; Progress is not spoken (the GUI announces
        its stages politely itself, with say(..., POLITE))."""
        if isinstance(event, TextChunk):
            self.feed(event.text)
        elif isinstance(event, Result):
            streamed = self._answer_started
            self.finish()
            if not streamed and event.text:
                self.say(event.text, Priority.QUEUE)
        elif isinstance(event, ErrorEvent):
            self.finish()
            self.say(event.message, Priority.INTERRUPT)

    # ---- control ----------------------------------------------------------------------------
    def stop(self) -> None:
        """Silence every output now and drop everything queued. Returns at once."""
        for lane in list(self._lanes):
            lane.submit("stop")

    def wait(self, timeout: float | None = None) -> bool:
        """Until every output has taken (and, where it can tell, finished speaking) everything
        handed over. False when `timeout` passed first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for lane in list(self._lanes):
            if not lane.drained(_left(deadline)):
                return False
        for output in self.outputs:
            wait = getattr(output, "wait", None)
            if wait is not None and not wait(_left(deadline)):
                return False
        return True

    def probe(self) -> None:
        """Have every output check that it works, on its own thread (make_speaker does this);
        one that does not is dropped and `notice` says why. wait() includes the checks."""
        for lane in list(self._lanes):
            lane.submit("probe")

    def revive(self) -> None:
        """Give dropped outputs another chance (after the user changed a setting)."""
        for lane in self._lanes:
            lane.failed = False
        self._noticed.clear()

    def close(self) -> None:
        for lane in list(self._lanes):
            lane.close()
        for lane in list(self._lanes):
            try:
                lane.output.close()
            except Exception:
                log.exception("closing %s", lane.name)

    # ---- internals ---------------------------------------------------------------------------
    def _send(self, text: SafeText, priority: Priority, braille: bool) -> None:
        for lane in list(self._lanes):
            lane.submit("speak", text, priority)
        if braille and self.braille_enabled:
            for lane in self._braille_lanes():
                lane.submit("braille", text)

    def _braille_lanes(self) -> list[_Lane]:
        return [lane for lane in self._lanes if lane.output.has_braille and not lane.failed]

    def _lane_failed(self, lane: _Lane, exc: BaseException) -> None:
        reason = str(exc) if isinstance(exc, OutputFailed) and str(exc) else f"{lane.name} stopped working."
        if self.active_outputs:
            message = f"{reason} Still speaking with {', '.join(self.active_outputs)}."
        else:
            message = f"{reason} Answers are shown as text only."
        self._tell(message)

    def _tell(self, message: str) -> None:
        if message in self._noticed or self._notice is None:
            return
        self._noticed.add(message)
        try:
            self._notice(message)
        except Exception:
            log.exception("telling the user: %s", message)


def _left(deadline: float | None) -> float | None:
    return None if deadline is None else max(0.0, deadline - time.monotonic())


# ---- choosing outputs -----------------------------------------------------------------------------
def screen_reader_outputs(platform: str = sys.platform, explicit: bool = False, braille: bool = True) -> list[Any]:
    """The outputs that reach the screen reader on this platform, the ones that work first.
    explicit: the user chose "screen reader" (speech-dispatcher may then be started for them)."""
    if platform.startswith("linux"):
        from .braille import BrlapiOutput
        from .speechd_output import SpeechDispatcherOutput

        outputs: list[Any] = [SpeechDispatcherOutput(autospawn=explicit)]
        if braille:
            outputs.append(BrlapiOutput())
        return outputs
    if platform == "win32":
        from .windows import AccessibleOutput2Output, NvdaOutput

        return [NvdaOutput(), AccessibleOutput2Output("jaws", "Jaws", "JAWS")]
    if platform == "darwin":
        from .macos import VoiceOverOutput

        return [VoiceOverOutput()]
    return []


def choose_outputs(
    mode: str,
    screen_reader: ScreenReader,
    candidates: list[Any],
    own_voice: Callable[[], Any],
) -> tuple[list[Any], list[str]]:
    """(outputs, notes): notes are plain sentences for the user about what was chosen and why.
    Of the screen-reader candidates, the speech ones that work are used in order, the first
    working one only (NVDA before JAWS), plus every working braille-only output."""
    mode = normalise_mode(mode)
    notes: list[str] = []
    if mode == "text":
        return [], notes
    if mode == "voice":
        return [own_voice()], notes
    wants_reader = mode in ("screen-reader", "both") or (mode == "auto" and bool(screen_reader))
    chosen: list[Any] = []
    if wants_reader:
        speech = [c for c in candidates if not _braille_only(c)]
        working = next((c for c in speech if c.available), None)
        if working is not None:
            chosen.append(working)
            chosen += [c for c in candidates if _braille_only(c) and c.available]
        else:
            reason = next((c.problem for c in speech if c.problem), None) or "No screen reader was found."
            notes.append(f"{reason} Speaking with the app's own voice instead.")
    if mode == "both" or not chosen:
        chosen.append(own_voice())
    return chosen, notes


def _braille_only(output: Any) -> bool:
    return bool(output.has_braille) and type(output).__name__ == "BrlapiOutput"


def make_speaker(
    mode: str | None,
    tts_settings: Any,
    notice: Callable[[str], None] | None,
    *,
    braille: bool = True,
    tts: Any = None,
    extra_outputs: Iterable[SpeechOutput] = (),
    platform: str = sys.platform,
    detect: Callable[[], ScreenReader] | None = None,
    candidates: list[Any] | None = None,
) -> Speaker:
    """Build the Speaker for a "Speak with" mode (None: auto).

    tts_settings: config.SpeechSettings (rate, volume, voice) for the app's own voice, built only
    if the mode needs it; or pass `tts`, an existing TextToSpeech to share (the GUI's).
    notice: called with plain sentences the user must hear or see (choices, failures).
    extra_outputs: e.g. the GUI's CallbackOutput for AT-SPI/UIA announcements."""
    mode = normalise_mode(mode)
    reader = (detect or (lambda: detect_screen_reader(platform)))() if mode != "text" else ScreenReader(None)
    if candidates is None and mode in ("auto", "screen-reader", "both"):
        candidates = screen_reader_outputs(platform, explicit=mode != "auto", braille=braille)

    def own_voice() -> Any:
        from ..tts import TextToSpeech
        from .voice import OwnVoiceOutput

        if tts is not None:
            return OwnVoiceOutput(tts, owns_tts=False)
        return OwnVoiceOutput(TextToSpeech.from_settings(tts_settings, notice=None))

    outputs, notes = choose_outputs(mode, reader, candidates or [], own_voice)
    speaker = Speaker([*outputs, *extra_outputs], notice=notice, mode=mode, braille=braille, screen_reader=reader)
    for note in notes:
        speaker._tell(note)
    speaker.probe()  # each output checks itself on its own thread; problems reach `notice`
    log.info("speech outputs: %s (mode %s, screen reader %s)", speaker.active_outputs, mode, reader.name)
    return speaker


def speaker_for(
    settings: Settings,
    notice: Callable[[str], None] | None,
    *,
    mode: str | None = None,
    extra_outputs: Iterable[SpeechOutput] = (),
) -> Speaker:
    """The Speaker the settings ask for (speech turned off: text only). `mode` overrides
    settings.outputs.speak_with for one command (the CLI's --speak-with)."""
    chosen = mode or (settings.outputs.speak_with if settings.speech.enabled else "text")
    return make_speaker(chosen, settings.speech, notice, braille=settings.outputs.braille, extra_outputs=extra_outputs)
