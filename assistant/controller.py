"""The assistant as a user drives it, without Qt: one request queue, cancel, history
bookkeeping, session restore, repeat, dictation, acting on spoken commands, settings.

The GUI is a view of this class: it captures pictures (Qt), calls the methods below and renders
the events it receives. Requests run on ONE worker thread (the only hand-off from the GUI);
listeners are called on that thread, so a GUI listener hops back to its own thread (a queued
Qt signal). The CLI and the tests drive the same class.

Events a listener receives: the engine's (Progress, TextChunk, PictureVerdict, Result,
ErrorEvent) plus the view events below. Every text in them is SafeText.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PIL import Image

from . import commands
from .config import Settings
from .engine import Engine
from .errors import AssistantError
from .events import (
    ErrorEvent,
    Event,
    Options,
    PictureVerdict,
    Progress,
    Request,
    Result,
    SafeText,
    TextChunk,
    options_for,
)
from .logs import get_logger
from .memory import release_memory
from .safety import join, trusted
from .speech.output.base import Priority

log = get_logger(__name__)

# If nothing has been said this long after a request starts, say what it is doing, so the user
# never sits in silence wondering whether the key press worked.
BUSY_SPEECH_SECONDS = 1.5
ANSWERS = ("describe", "ask", "read_text", "edit", "generate", "undo", "redo", "clarify")


# ---- view events ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Busy:
    busy: bool


@dataclass(frozen=True)
class Notice:
    """A state change: the status line and an accessibility announcement (and speech, if speak)."""

    text: SafeText
    assertive: bool = False
    speak: bool = True


@dataclass(frozen=True)
class TranscriptLine:
    text: SafeText


@dataclass(frozen=True)
class PictureShown:
    image: Image.Image
    description: SafeText | None = None


@dataclass(frozen=True)
class RunCommand:
    """A spoken command only the view can carry out (capture, open a dialog)."""

    command: str


@dataclass(frozen=True)
class Dictating:
    on: bool


@dataclass(frozen=True)
class ConsentNeeded:
    """A model server that is not local needs the user's yes before any picture goes to it. The
    view asks `question` (Yes/No) and calls Controller.answer_consent."""

    question: SafeText
    provider: str
    request: Request


@dataclass(frozen=True)
class Finished:
    """A request ended: 'result:<intent>' or 'error:<kind>'."""

    what: str


ViewEvent = Busy | Notice | TranscriptLine | PictureShown | RunCommand | Dictating | ConsentNeeded | Finished
Listener = Callable[[Event | ViewEvent], None]


@dataclass
class _Job:
    request: Request
    source: str  # screen | window | region | clipboard | file:NAME ... ('' = not a new capture)
    label: SafeText | None  # the transcript line announcing the request; None = none
    cancelled: bool = False
    route_transcript: bool = False  # dictation: what was heard is then understood as a request


class Controller:
    def __init__(
        self,
        settings: Settings,
        *,
        history=None,
        speech=None,
        engine_factory: Callable[[Settings], Engine] | None = None,
        speech_factory: Callable[[Settings, Callable[[str], None]], Any] | None = None,
    ):
        self.settings = settings
        self.history = history
        self.speech = speech
        self._factory = engine_factory or (lambda s: Engine(settings=s))
        self._engine: Engine | None = None
        self._engine_lock = threading.Lock()
        self._listeners: list[Listener] = []
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._lock = threading.Lock()
        self._current: _Job | None = None
        self._waiting: list[_Job] = []  # queued, not started
        self._restore: Callable[[Engine], None] | None = None
        self._speech_lock = threading.Lock()
        self._speech_factory = speech_factory
        # calls made before the outputs are ready (None: there will be none to wait for)
        self._speech_waiting: list[tuple[str, tuple]] | None = [] if speech is None and speech_factory else None
        self._busy_timer: threading.Timer | None = None
        self._last_progress: SafeText = trusted("Working.")
        self._spoken_this_job = False
        self.capture_id: int | None = None
        self.last_answer: SafeText | None = None
        self.current_image: Image.Image | None = None
        self._recorder: Any = None  # speech.audio.Recorder while dictating
        self._worker = threading.Thread(target=self._work, name="assistant-requests", daemon=True)
        self._worker.start()

    # ---- listeners and engine ------------------------------------------------------------
    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _emit(self, event: Event | ViewEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a broken view must not stop the requests
                log.exception("listener failed on %s", type(event).__name__)

    def engine(self) -> Engine:
        """The engine, built once (its imports take a while: the app warms it up in the background)."""
        with self._engine_lock:
            if self._engine is None:
                self._engine = self._factory(self.settings)
            return self._engine

    @property
    def engine_ready(self) -> Engine | None:
        return self._engine

    @property
    def busy(self) -> bool:
        return self._current is not None or bool(self._waiting)

    # ---- requests -------------------------------------------------------------------------
    def submit(
        self,
        intent: str,
        image: Any = None,
        text: str = "",
        options: Options | None = None,
        source: str = "",
        label: SafeText | None = None,
        route_transcript: bool = False,
    ) -> None:
        """Queue a request. A running one is cancelled: the newest request is what the user wants."""
        job = _Job(Request(intent, image=image, text=text, options=options), source, label, False, route_transcript)
        with self._lock:
            self._cancel_all()  # what was running or still waiting
            self._waiting.append(job)
        self._jobs.put(job)

    def cancel(self) -> None:
        with self._lock:
            if not self.busy:
                return
            self._cancel_all()
        self._emit(Notice(trusted("Cancelling."), speak=False))

    def _cancel_all(self) -> None:
        for job in self._waiting:
            job.cancelled = True
        if self._current is not None:
            self._current.cancelled = True
            if self._engine is not None:
                self._engine.cancel()

    def stop(self) -> None:
        """Escape: stop speaking, and cancel whatever is running."""
        self._speech("stop")
        if self.busy:
            self.cancel()
        else:
            self._emit(Notice(trusted("Stopped."), speak=False))

    def close(self, timeout: float = 5.0) -> None:
        self.cancel()
        self._jobs.put(None)
        self._worker.join(timeout)
        self._stop_busy_timer()
        self._speech("close")
        if self._engine is not None:
            self._engine.close()

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            with self._lock:
                self._waiting.remove(job)
                self._current = job
            try:
                if job.cancelled:  # a newer request came first, or the user cancelled: never started
                    self._emit(Finished("error:cancelled"))
                else:
                    self._run(job)
            except Exception:  # the worker must survive anything one request does
                log.exception("request %s failed in the controller", job.request.intent)
                self._emit(Notice(trusted("Something went wrong inside the assistant. Please try again."), True))
                self._emit(Finished("error:internal"))
            finally:
                with self._lock:
                    self._current = None
                self._stop_busy_timer()
                self._emit(Busy(self.busy))
                # Again after the request's last cleanup (its generators, the capture thread):
                # glibc keeps freed memory resident until reused.
                release_memory()

    def _run(self, job: _Job) -> None:
        request = job.request
        self._emit(Busy(True))
        if job.label is not None:
            self._emit(TranscriptLine(job.label))
        if isinstance(request.image, Image.Image):
            self._show_picture(request.image)
        self._emit(Notice(trusted("Working."), speak=False))
        self._spoken_this_job = False
        self._speech("begin")
        self._start_busy_timer()
        try:
            engine = self.engine()
        except Exception as exc:  # the engine could not start: say it plainly
            log.exception("the engine could not start")
            message = exc.message if isinstance(exc, AssistantError) else "The assistant could not start."
            self._error("unavailable", self.gated(message))
            return
        if self._restore is not None:
            restore, self._restore = self._restore, None
            restore(engine)
        capture = self._store_capture_async(request.image, job.source)
        if job.cancelled:
            self._error("cancelled", trusted("Cancelled."))
            return
        for event in engine.run(request):
            if job.cancelled and not isinstance(event, (Result, ErrorEvent)):
                engine.cancel()
                continue
            if isinstance(event, Result) and job.cancelled:
                self._error("cancelled", trusted("Cancelled."))
                break
            self._handle(event, capture)
        if capture is not None:
            capture.join()

    def _handle(self, event: Event, capture) -> None:
        if isinstance(event, Progress):
            self._last_progress = event.message
            self._emit(event)
        elif isinstance(event, TextChunk):
            self._stop_busy_timer()
            self._spoken_this_job = True
            self._speech("feed", event.text)
            self._emit(event)
        elif isinstance(event, PictureVerdict):
            self._emit(event)
        elif isinstance(event, Result):
            self._stop_busy_timer()
            self._on_result(event, capture)
        elif isinstance(event, ErrorEvent):
            self._error(event.kind, event.message, event)

    def _on_result(self, result: Result, capture: threading.Thread | None) -> None:
        self._speech("finish")
        if capture is not None:
            capture.join()  # its id must be known before entries or a new picture are filed
        if result.image is not None:
            self._show_picture(result.image)
            self._record_capture_now(result.image, result.intent)
        self._emit(result)
        if result.intent in ANSWERS:
            if result.text:
                if not self._spoken_this_job:
                    self._speech("say", result.text, Priority.QUEUE)
                self.last_answer = result.text
            self._record(result.intent, result.text, result.slots.get("question", ""))
            self._emit(Notice(trusted("Done."), speak=False))
        elif result.intent == "transcribe":
            if self._current is not None and self._current.route_transcript:
                self._dictated(result.text)
        else:
            self._act_on(result.intent)
        self._finished(f"result:{result.intent}")

    def _error(self, kind: str, message: SafeText, event: ErrorEvent | None = None) -> None:
        self._speech("finish")
        if event is not None and event.reason == "consent" and self._current is not None:
            self._ask_consent(self._current.request)
        if kind == "blocked" and not message.startswith("Blocked."):
            message = join([trusted("Blocked. "), message])
        if event is not None:
            self._emit(event)
        self._emit(TranscriptLine(message))
        self._speech("say", message, Priority.QUEUE if kind == "cancelled" else Priority.INTERRUPT)
        self._emit(Notice(message, assertive=kind != "cancelled", speak=False))
        self._finished(f"error:{kind}")

    def _finished(self, what: str) -> None:
        # The request's buffers are freed by now (a read leaves ~60 MB free on the heap): give
        # them back before saying it is done, not only after the request's last cleanup.
        release_memory()
        self._emit(Finished(what))

    # ---- model servers: consent ---------------------------------------------------------------
    def _ask_consent(self, request: Request) -> None:
        from .remote import consent_question, get_provider

        provider = get_provider(request.option("provider") or self.settings.remote.provider, self.settings.remote)
        question = self.gated(consent_question(provider))
        self._speech("say", question, Priority.INTERRUPT)
        self._emit(ConsentNeeded(question, provider.name, request))

    def answer_consent(self, provider_name: str, allowed: bool, request: Request | None = None) -> None:
        """The user's answer is remembered; with a yes, the request that asked runs again."""
        from .remote import ConsentStore, get_provider

        ConsentStore().record(get_provider(provider_name, self.settings.remote), allowed)
        if allowed and request is not None:
            self.submit(request.intent, image=None, text=request.text, options=request.options)
        elif not allowed:
            self.notice(trusted("Nothing was sent. Choose a local model in Settings to describe pictures here."))

    # ---- commands the engine routed to us (spoken "repeat", "take a screenshot" ...) -----------
    def _act_on(self, command_id: str) -> None:
        if command_id == "repeat":
            self.repeat()
        elif command_id == "stop_speaking":
            self.stop()
        elif commands.get(command_id) is not None:
            self._emit(RunCommand(command_id))
        else:
            self.notice(self.gated(f"I can't do '{command_id}' from here."))

    def run_command(self, command_id: str, text: str = "") -> bool:
        """Carry out a command that needs no capture and no view: engine intents on the current
        picture, repeat, stop, cancel, dictate. False if the view must do it."""
        command = commands.get(command_id)
        if command is None or command.capture:
            return False
        if command_id == "repeat":
            self.repeat()
        elif command_id == "stop_speaking":
            self.stop()
        elif command_id == "cancel":
            self.cancel()
        elif command_id == "dictate":
            self.dictate()
        elif command.intent:
            return self.ask_or_run(command, text)
        else:
            return False
        return True

    def ask_or_run(self, command: commands.Command, text: str) -> bool:
        text = text.strip()
        if command.needs_text and not text:
            hints = {
                "ask": trusted("Type a question first."),
                "edit": trusted("Type the change you want in the question box, then choose Edit."),
                "generate": trusted("Type what to draw in the question box, then choose Generate."),
            }
            self.notice(hints.get(command.intent) or trusted("Type in the question box first."))
            return True
        label = self._label(command.intent, text)
        self.submit(command.intent, text=text, label=label)
        return True

    def _label(self, intent: str, text: str) -> SafeText:
        if intent == "ask":
            return self.gated(f"Q: {text}")
        if intent in ("edit", "generate"):
            return self.gated(f"{intent.capitalize()}: {text}")
        return self.gated({"describe": "Describe", "read_text": "Read text"}.get(intent, intent.capitalize()))

    def capture_label(self, intent: str, source: str, text: str = "") -> SafeText:
        if intent == "ask":
            return self.gated(f"Q: {text}")
        what = {"describe": "Describe", "read_text": "Read text"}.get(intent, intent)
        return self.gated(f"{what} ({source.replace('_', ' ')})")

    def saved_prompt(self, number: int) -> str | None:
        """The text of saved prompt `number`, or None (after saying so)."""
        prompts = self.settings.ui.saved_prompts
        if not 1 <= number <= len(prompts):
            self.notice(self.gated(f"There is no saved prompt {number}."))
            return None
        return str(prompts[number - 1])

    # ---- speech and notices ----------------------------------------------------------------
    def notice(self, text: SafeText, assertive: bool = False, speak: bool = True) -> None:
        """A state change for every output: spoken (if speak) and sent to the view."""
        if speak:
            self.speak(text, Priority.INTERRUPT if assertive else Priority.QUEUE)
        self._emit(Notice(text, assertive, speak))

    def speak(self, text: SafeText, priority: Priority = Priority.QUEUE) -> None:
        self._speech("say", text, priority)

    def gated(self, text: str) -> SafeText:
        """Any sentence with user, model or file content passes the gate before it is shown."""
        if self._engine is not None:
            return self._engine.gated(text)
        from .safety import SafetyGate

        return SafetyGate.from_settings(self.settings).filter_text(text)[0]

    def repeat(self) -> None:
        if self.last_answer:
            self._speech("say", self.last_answer, Priority.INTERRUPT)
            self._emit(Notice(self.gated(self.last_answer.splitlines()[0]), speak=False))
        else:
            self.notice(trusted("There is nothing to repeat yet."))

    def start_speech(self) -> None:
        """Build the speech outputs with the factory (call it off the GUI thread)."""
        if self._speech_factory is None:
            return
        try:
            speech = self._speech_factory(self.settings, self._speech_notice)
        except Exception:
            log.exception("the speech outputs could not start")
            self.notice(trusted("Speech could not start, so answers are shown as text."), speak=False)
            speech = None
        self.set_speech(speech)

    def _speech_notice(self, text: str) -> None:
        """What goes wrong with speech is shown, announced and kept in the transcript (to read
        again later), not spoken: the failing speech may be what would say it."""
        safe = self.gated(text)
        self._emit(TranscriptLine(safe))
        self.notice(safe, speak=False)

    def set_speech(self, speech) -> None:
        """Speech outputs are chosen off the GUI thread (finding the screen reader takes a moment):
        the app hands them over when ready. What was said before that is said now, in order."""
        with self._speech_lock:
            old, self.speech = self.speech, speech
            waiting, self._speech_waiting = self._speech_waiting, None
        if old is not None and old is not speech:
            old.close()
        for method, args in waiting or []:
            self._speech(method, *args)

    def _speech(self, method: str, *args) -> None:
        with self._speech_lock:
            if self.speech is None:
                if self._speech_waiting is not None and len(self._speech_waiting) < 500:
                    self._speech_waiting.append((method, args))
                return
            try:
                getattr(self.speech, method)(*args)
            except Exception:
                log.exception("speech %s failed", method)

    def _start_busy_timer(self) -> None:
        self._stop_busy_timer()
        timer = threading.Timer(BUSY_SPEECH_SECONDS, self._say_busy)
        timer.daemon = True
        self._busy_timer = timer
        timer.start()

    def _stop_busy_timer(self) -> None:
        if self._busy_timer is not None:
            self._busy_timer.cancel()
            self._busy_timer = None

    def _say_busy(self) -> None:
        if self._current is not None and not self._spoken_this_job:
            self._speech("say", self._last_progress, Priority.POLITE)

    # ---- pictures and history ---------------------------------------------------------------
    def _show_picture(self, image: Image.Image, description: SafeText | None = None) -> None:
        self.current_image = image
        self._emit(PictureShown(image, description))

    def _store_capture_async(self, image, source: str) -> threading.Thread | None:
        """Store a new capture alongside the request, not before it: the answer must not wait."""
        if image is None:
            return None  # the current picture: its capture stays current
        self.capture_id = None
        if not (isinstance(image, Image.Image) and source and self.history is not None):
            return None

        def store() -> None:
            self.capture_id = self._history_call("add_capture", image, source)

        thread = threading.Thread(target=store, name="history-write", daemon=True)
        thread.start()
        return thread

    def _record_capture_now(self, image: Image.Image, source: str) -> None:
        if self.history is not None:
            self.capture_id = self._history_call("add_capture", image, source)

    def _record(self, kind: str, text: str, question: str) -> None:
        if self.history is not None and self.capture_id is not None and text:
            self._history_call("add_entry", self.capture_id, kind, str(text), str(question))

    def _history_call(self, method: str, *args):
        """History is a convenience: a failing write never breaks a request (the store never
        raises); what went wrong is said once."""
        history = self.history
        if history is None:
            return None
        result = getattr(history, method)(*args)
        self._history_problem()
        return result

    def _history_problem(self) -> None:
        history = self.history
        problem = history.take_problem() if history is not None else None
        if problem:
            self.notice(self.gated(problem), assertive=True)

    def reopen(self, capture_id: int) -> bool:
        """Re-open a stored capture: its picture and what was said become current again."""
        row = self.history.get(capture_id) if self.history is not None else None
        if row is None:
            self.notice(trusted("That capture is no longer in the history."))
            return False
        image = self.history.picture(row) if self.history is not None else None
        if image is None:
            self._history_problem()
            return False
        self.capture_id = capture_id
        entries = [(e.kind, self.gated(e.question), self.gated(e.text)) for e in row.entries]
        summary = self.gated(row.summary)
        self._show_picture(image, summary if row.entries else None)
        self.last_answer = entries[-1][2] if entries else None
        qa = [(str(q), str(t)) for kind, q, t in entries if kind in ("ask", "describe")]
        qa = [("Describe this picture." if not q else q, t) for q, t in qa]
        self._restore = lambda engine: _restore_session(engine, image, qa)
        self._emit(TranscriptLine(self.gated(f"Re-opened capture {capture_id} ({row.source}).")))
        for _kind, question, text in entries:
            self._emit(TranscriptLine(self.gated(f"Q: {question}\n{text}") if question else text))
        self.notice(self.gated(f"Re-opened. {summary} Ask a question."))
        return True

    # ---- dictation ---------------------------------------------------------------------------
    @property
    def dictating(self) -> bool:
        return self._recorder is not None

    def dictate(self) -> None:
        """Push to talk: the first call starts the microphone, the second sends what was said."""
        if self._recorder is None:
            self._start_dictation()
        else:
            self._stop_dictation()

    def _start_dictation(self) -> None:
        try:
            from .speech.audio import Recorder

            recorder = Recorder()
            recorder.start()
        except Exception as exc:
            log.exception("dictation could not start")
            self.notice(_dictation_problem(exc, self.gated), assertive=True)
            return
        self._recorder = recorder
        self._speech("stop")
        self._emit(Dictating(True))
        self.notice(trusted("Listening. Press Dictate again when you have finished."), speak=False)

    def _stop_dictation(self) -> None:
        recorder, self._recorder = self._recorder, None
        self._emit(Dictating(False))
        if recorder is None:
            return
        try:
            audio = recorder.stop()
        except Exception as exc:
            log.exception("dictation could not stop")
            self.notice(_dictation_problem(exc, self.gated), assertive=True)
            return
        self.submit(
            "transcribe",
            options=options_for("transcribe", audio=audio),
            label=trusted("Dictation"),
            route_transcript=True,
        )

    def _dictated(self, text: SafeText) -> None:
        """Spoken input may be a question or a command ("make it bigger", "read this"): the
        engine's router decides."""
        if not text:
            self.notice(trusted("I did not hear anything."))
            return
        self._emit(TranscriptLine(self.gated(f"You said: {text}")))
        self.submit("utterance", text=str(text))

    # ---- settings ----------------------------------------------------------------------------
    def apply_settings(self, settings: Settings) -> None:
        """Save new settings and use them at once: a new description model is used by the next
        request, new thresholds by the gate, new voice settings by speech."""
        try:
            settings.save()
        except OSError:
            log.exception("saving settings failed")
            self.notice(trusted("The settings could not be saved; they apply until the app closes."), True)
        old, self.settings = self.settings, settings
        if old.history != settings.history:
            self._reopen_history(settings)
        if self._engine is not None:
            self._engine.configure(settings)
        if (old.speech, old.outputs) != (settings.speech, settings.outputs) and self._speech_factory is not None:
            threading.Thread(target=self.start_speech, daemon=True, name="speech-start").start()
        self.notice(trusted("Settings saved."))

    def _reopen_history(self, settings: Settings) -> None:
        """Private mode on or off opens the store again; new limits apply at once."""
        from .history import HistoryStore

        if self.history is not None and not settings.history.private and self.history.enabled:
            self._history_call("set_retention", settings.history)
            return
        if self.history is not None:
            self.history.close()
        opened = HistoryStore.open(retention=settings.history)
        self.history = opened.store
        if opened.problem:
            self.notice(self.gated(opened.problem), assertive=True)


def _restore_session(engine: Engine, image: Image.Image, qa: list[tuple[str, str]]) -> None:
    engine.session.set_image(image)
    engine.session.history = list(qa)
    engine.session.picture_check = None


def _dictation_problem(exc: Exception, gated: Callable[[str], SafeText]) -> SafeText:
    if isinstance(exc, ImportError):
        return trusted("Dictation is not available: speech input is not installed. Type your question instead.")
    if isinstance(exc, AssistantError):
        return gated(exc.message)
    return trusted("Dictation could not use the microphone. Type your question instead.")
