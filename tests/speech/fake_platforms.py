"""Small fakes of the Windows SAPI5 COM objects and the macOS Cocoa objects, installed as the
modules pyttsx3's real drivers import (comtypes, pythoncom / objc, AppKit, Foundation,
PyObjCTools), so the real pyttsx3 driver code and our renderers run against them on Linux.

Each fake "speaks" a sentence by writing a tone whose length follows the text, taking
`seconds_per_char` of wall time to do so on its own thread, like the real engines' async mode.
"""

from __future__ import annotations

import sys
import threading
import time
import types
from pathlib import Path

import numpy as np
import soundfile as sf

RATE = 22050


def tone(text: str, seconds_per_char: float = 0.01) -> np.ndarray:
    seconds = max(0.05, len(text) * seconds_per_char)
    t = np.arange(int(RATE * seconds)) / RATE
    return (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


class _Synthesis:
    """One utterance rendered on its own thread; cancel() ends it early."""

    def __init__(self, text: str, wall_seconds: float, on_done):
        self.text = text
        self.done = threading.Event()
        self.cancelled = threading.Event()
        self._wall, self._on_done = wall_seconds, on_done
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        deadline = time.monotonic() + self._wall
        while time.monotonic() < deadline and not self.cancelled.is_set():
            time.sleep(0.005)
        if not self.cancelled.is_set():
            self._on_done(self)
        self.done.set()


# ---- Windows: SAPI.SpVoice, SAPI.SpFileStream, comtypes, pythoncom -----------------------------
class FakeVoiceToken:
    def __init__(self, token_id: str, name: str):
        self.Id, self._name = token_id, name

    def GetDescription(self):
        return self._name

    def GetAttribute(self, name):
        return {"Language": "409", "Gender": "Female", "Age": "Adult"}.get(name, "")


class FakeAudioFormat:
    Type = 0


class FakeSpFileStream:
    def __init__(self):
        self.Format = FakeAudioFormat()
        self.path: str | None = None
        self.mode = None
        self.samples: list[np.ndarray] = []
        self.closed = False

    def Open(self, path, mode=0, events=False):
        self.path, self.mode = str(path), mode

    def Close(self):  # SAPI completes the WAV header when the stream is closed
        if self.path and self.samples and not self.closed:
            sf.write(self.path, np.concatenate(self.samples), RATE, subtype="PCM_16")
        self.closed = True

    close = Close  # pyttsx3's save_to_file calls stream.close()


class FakeSpVoice:
    """SAPI.SpVoice: Speak (sync or SVSFlagsAsync, SVSFPurgeBeforeSpeak), WaitUntilDone, events."""

    def __init__(self, seconds_per_char: float):
        self.seconds_per_char = seconds_per_char
        self.EventInterests = 0
        self.Rate = 0
        self.Volume = 100
        self.AudioOutputStream = None
        self._tokens = [
            FakeVoiceToken("TTS_MS_EN-US_ZIRA", "Microsoft Zira"),
            FakeVoiceToken("TTS_MS_EN-US_DAVID", "Microsoft David"),
        ]
        self.Voice = self._tokens[0]
        self.calls: list[tuple[str, int]] = []
        self.sink = None
        self._current: _Synthesis | None = None
        self._events: list[tuple[str, tuple]] = []
        self._lock = threading.Lock()
        self.started = threading.Event()
        self._stream_number = 0

    def GetVoices(self):
        return list(self._tokens)

    def Speak(self, text, flags=0):
        self.calls.append((text, flags))
        if flags & 2 and self._current is not None:  # SVSFPurgeBeforeSpeak
            self._current.cancelled.set()
        if not text:
            return 0
        stream = self.AudioOutputStream
        self._stream_number += 1
        number = self._stream_number

        def finished(synthesis):
            if isinstance(stream, FakeSpFileStream):
                stream.samples.append(tone(synthesis.text))
            with self._lock:
                self._events.append(("EndStream", (number, 0)))

        with self._lock:
            self._events.append(("StartStream", (number, 0)))
        self._current = _Synthesis(text, len(text) * self.seconds_per_char, finished)
        self.started.set()
        if not flags & 1:  # synchronous
            self._current.done.wait()
        return number

    def WaitUntilDone(self, ms):
        current = self._current
        return True if current is None else current.done.wait(ms / 1000)

    def pump(self):
        """pythoncom.PumpWaitingMessages: deliver queued events to pyttsx3's event sink."""
        with self._lock:
            events, self._events = self._events, []
        for name, args in events:
            handler = getattr(self.sink, f"_ISpeechVoiceEvents_{name}", None)
            if handler is not None:
                handler(*args)


class FakeSapi:
    def __init__(self, seconds_per_char: float = 0.002):
        self.voice = FakeSpVoice(seconds_per_char)
        self.streams: list[FakeSpFileStream] = []

    def create_object(self, progid):
        if progid.upper() == "SAPI.SPVOICE":
            return self.voice
        if progid.upper() == "SAPI.SPFILESTREAM":
            stream = FakeSpFileStream()
            self.streams.append(stream)
            return stream
        raise OSError(f"class not registered: {progid}")

    def get_events(self, source, sink):
        source.sink = sink
        return object()

    def modules(self) -> dict[str, types.ModuleType]:
        comtypes = types.ModuleType("comtypes")
        comtypes.CoInitialize = lambda: None
        client = types.ModuleType("comtypes.client")
        client.CreateObject = self.create_object
        client.GetEvents = self.get_events
        gen = types.ModuleType("comtypes.gen")
        speechlib = types.ModuleType("comtypes.gen.SpeechLib")
        speechlib.SSFMCreateForWrite = 3
        gen.SpeechLib = speechlib
        comtypes.client, comtypes.gen = client, gen
        pythoncom = types.ModuleType("pythoncom")
        pythoncom.PumpWaitingMessages = self.voice.pump
        return {
            "comtypes": comtypes,
            "comtypes.client": client,
            "comtypes.gen": gen,
            "comtypes.gen.SpeechLib": speechlib,
            "pythoncom": pythoncom,
        }


# ---- macOS: NSSpeechSynthesizer and the bits of Foundation / PyObjC pyttsx3 touches ----------
class FakeNSObject:
    @classmethod
    def alloc(cls):
        return cls()

    def init(self):
        return self


class FakeURL:
    def __init__(self, path):
        self._path = str(path)

    def path(self):
        return self._path


class FakeRunLoop:
    pending: list = []
    lock = threading.Lock()

    @classmethod
    def currentRunLoop(cls):
        return cls()

    def runMode_beforeDate_(self, mode, date):
        with FakeRunLoop.lock:
            calls, FakeRunLoop.pending[:] = list(FakeRunLoop.pending), []
        for call in calls:
            call()
        time.sleep(max(0.0, min(0.02, date - time.monotonic())))
        return True

    def limitDateForMode_(self, mode):
        return None


class FakeNSSpeechSynthesizer(FakeNSObject):
    instances: list[FakeNSSpeechSynthesizer] = []
    seconds_per_char = 0.002

    def __init__(self):
        self._delegate = None
        self._rate, self._volume, self._voice = 175.0, 1.0, "com.apple.voice.compact.en-US.Samantha"
        self._current: _Synthesis | None = None
        self.calls: list[tuple[str, str]] = []
        self.stops = 0
        self.started = threading.Event()
        FakeNSSpeechSynthesizer.instances.append(self)

    def initWithVoice_(self, voice):
        return self

    def setDelegate_(self, delegate):
        self._delegate = delegate

    def setRate_(self, rate):
        self._rate = float(rate)

    def rate(self):
        return self._rate

    def setVolume_(self, volume):
        self._volume = float(volume)

    def volume(self):
        return self._volume

    def voice(self):
        return self._voice

    def setVoice_(self, voice):
        self._voice = voice
        return True

    def startSpeakingString_toURL_(self, text, url):
        self.calls.append((text, url.path()))

        def finished(synthesis):
            sf.write(url.path(), tone(synthesis.text), RATE, format="AIFF")  # Apple writes AIFF
            self._report(True)

        self._current = _Synthesis(text, len(text) * self.seconds_per_char, finished)
        self.started.set()
        return True

    def isSpeaking(self):
        return self._current is not None and not self._current.done.is_set()

    def stopSpeaking(self):
        self.stops += 1
        if self._current is not None and not self._current.done.is_set():
            self._current.cancelled.set()
            self._current.done.wait(1)
            self._report(False)

    def _report(self, success):
        delegate = self._delegate
        if delegate is not None:  # delivered on the run loop, as Cocoa does
            with FakeRunLoop.lock:
                FakeRunLoop.pending.append(lambda: delegate.speechSynthesizer_didFinishSpeaking_(self, success))

    @classmethod
    def availableVoices(cls):
        return ["com.apple.voice.compact.en-US.Samantha"]

    @classmethod
    def attributesForVoice_(cls, voice):
        return {"VoiceIdentifier": voice, "VoiceName": "Samantha", "VoiceLocaleIdentifier": "en_US"}


def cocoa_modules() -> dict[str, types.ModuleType]:
    objc = types.ModuleType("objc")
    objc.python_method = lambda f: f
    objc.super = super
    appkit = types.ModuleType("AppKit")
    appkit.NSSpeechSynthesizer = FakeNSSpeechSynthesizer
    foundation = types.ModuleType("Foundation")
    foundation.NSObject = FakeNSObject
    foundation.NSURL = types.SimpleNamespace(fileURLWithPath_=FakeURL)
    foundation.NSDate = types.SimpleNamespace(dateWithTimeIntervalSinceNow_=lambda s: time.monotonic() + s)
    foundation.NSDefaultRunLoopMode = "kCFRunLoopDefaultMode"
    foundation.NSRunLoop = FakeRunLoop
    foundation.NSTimer = types.SimpleNamespace(
        scheduledTimerWithTimeInterval_target_selector_userInfo_repeats_=lambda *a: None
    )
    tools = types.ModuleType("PyObjCTools")
    helper = types.ModuleType("PyObjCTools.AppHelper")

    class Stopper(FakeNSObject):
        def shouldRun(self):
            return False

        @staticmethod
        def addRunLoopStopper_toRunLoop_(stopper, loop):
            return None

        @staticmethod
        def removeRunLoopStopperFromRunLoop_(loop):
            return None

    helper.PyObjCAppHelperRunLoopStopper = Stopper
    helper.stopEventLoop = lambda: None
    helper.callAfter = lambda f, *a: f(*a)
    tools.AppHelper = helper
    return {
        "objc": objc,
        "AppKit": appkit,
        "Foundation": foundation,
        "PyObjCTools": tools,
        "PyObjCTools.AppHelper": helper,
    }


def install(monkeypatch, modules: dict[str, types.ModuleType], driver: str) -> None:
    """Put the fake modules in place and make pyttsx3 import its `driver` afresh against them."""
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.delitem(sys.modules, f"pyttsx3.drivers.{driver}", raising=False)
    import pyttsx3

    from assistant.speech import tts

    monkeypatch.setattr(pyttsx3, "_activeEngines", type(pyttsx3._activeEngines)())
    monkeypatch.setattr(tts._EngineWorker, "_instances", {})


def wav_seconds(path: Path) -> float:
    info = sf.info(str(path))
    return info.frames / info.samplerate
