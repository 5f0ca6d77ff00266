"""Render one sentence to an audio file with the platform's own speech API, without waiting for a
pyttsx3 signal the driver never sends.

pyttsx3's SAPI5 driver renders save_to_file with a synchronous Speak and never sets `_speaking`,
so its finished-utterance notice never comes (drivers/sapi5.py: save_to_file, EndStream): a
renderer that waits for it stalls for the whole timeout, and its run loop can miss the end and
hang. Here the SpVoice that pyttsx3 created (with the user's voice, rate and volume) speaks
asynchronously into an SpFileStream, and SAPI's own WaitUntilDone says when the file is complete;
Stop purges the voice (SVSFPurgeBeforeSpeak). On macOS the NSSpeechSynthesizer that pyttsx3's
nsss driver created writes the file itself (startSpeakingString:toURL:, AIFF) and isSpeaking says
when it is done, with the run loop turning meanwhile; Stop calls stopSpeaking.

Both return True when the file is complete, False when `cancelled()` became True first, and raise
RuntimeError when the platform gave up or RENDER_TIMEOUT passed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

RENDER_TIMEOUT = 30.0
POLL_MS = 20  # how often a render checks for Stop: the worst-case delay of a Stop mid-render

# SAPI constants (SpeechLib): SpeechVoiceSpeakFlags, SpeechStreamFileMode, SpeechAudioFormatType
SVSF_ASYNC = 1
SVSF_PURGE_BEFORE_SPEAK = 2
SVSF_IS_NOT_XML = 16  # OCR text such as "<b>" is read, not parsed as SAPI markup and dropped
SSFM_CREATE_FOR_WRITE = 3
SAFT_22KHZ_16BIT_MONO = 22


def driver_kind(engine: Any) -> str:
    """'espeak', 'sapi5', 'nsss' … : which pyttsx3 driver this engine runs."""
    module = getattr(getattr(getattr(engine, "proxy", None), "_driver", None), "__module__", "") or ""
    return module.rsplit(".", 1)[-1]


def render_sapi(
    voice: Any,
    text: str,
    path: str,
    cancelled: Callable[[], bool],
    create: Callable[[str], Any],
    pump: Callable[[], None] = lambda: None,
    timeout: float = RENDER_TIMEOUT,
) -> bool:
    """`voice`: the driver's SAPI.SpVoice; `create`: comtypes.client.CreateObject; `pump`:
    pythoncom.PumpWaitingMessages (delivers the voice's events to pyttsx3's sink meanwhile)."""
    stream = create("SAPI.SpFileStream")
    audio_format = stream.Format
    audio_format.Type = SAFT_22KHZ_16BIT_MONO
    stream.Format = audio_format
    stream.Open(path, SSFM_CREATE_FOR_WRITE, False)
    previous = voice.AudioOutputStream
    voice.AudioOutputStream = stream
    try:
        voice.Speak(text, SVSF_ASYNC | SVSF_IS_NOT_XML)
        deadline = time.monotonic() + timeout
        while not voice.WaitUntilDone(POLL_MS):
            pump()
            if cancelled() or time.monotonic() > deadline:
                voice.Speak("", SVSF_ASYNC | SVSF_PURGE_BEFORE_SPEAK)
                if cancelled():
                    return False
                raise RuntimeError(f"the Windows voice did not finish one sentence in {timeout:g} seconds")
        pump()
        return True
    finally:
        voice.AudioOutputStream = previous
        stream.Close()


def render_nsss(
    synthesizer: Any,
    text: str,
    path: str,
    cancelled: Callable[[], bool],
    file_url: Callable[[str], Any],
    run_loop_step: Callable[[float], None],
    timeout: float = RENDER_TIMEOUT,
) -> bool:
    """`synthesizer`: the driver's NSSpeechSynthesizer; `file_url`: NSURL.fileURLWithPath_;
    `run_loop_step(seconds)`: turns this thread's run loop (synthesis reports through it)."""
    if not synthesizer.startSpeakingString_toURL_(text, file_url(path)):
        raise RuntimeError("the macOS voice refused the sentence")
    deadline = time.monotonic() + timeout
    while synthesizer.isSpeaking():
        run_loop_step(POLL_MS / 1000)
        if cancelled():
            synthesizer.stopSpeaking()
            return False
        if time.monotonic() > deadline:
            synthesizer.stopSpeaking()
            raise RuntimeError(f"the macOS voice did not finish one sentence in {timeout:g} seconds")
    return True


def sapi_renderer(engine: Any) -> Callable[[str, str, Callable[[], bool]], bool]:
    import comtypes.client
    import pythoncom

    voice = engine.proxy._driver._tts
    return lambda text, path, cancelled: render_sapi(
        voice, text, path, cancelled, comtypes.client.CreateObject, pythoncom.PumpWaitingMessages
    )


def nsss_renderer(engine: Any) -> Callable[[str, str, Callable[[], bool]], bool]:
    from Foundation import NSURL, NSDate, NSDefaultRunLoopMode, NSRunLoop

    synthesizer = engine.proxy._driver._tts

    def step(seconds: float) -> None:
        NSRunLoop.currentRunLoop().runMode_beforeDate_(
            NSDefaultRunLoopMode, NSDate.dateWithTimeIntervalSinceNow_(seconds)
        )

    return lambda text, path, cancelled: render_nsss(synthesizer, text, path, cancelled, NSURL.fileURLWithPath_, step)
