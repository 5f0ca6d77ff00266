"""Speech outputs: the user's screen reader first, the app's own voice as fallback, braille where
there is a display. See base.py for the protocol and speaker.py for the router."""

from ...config import OutputSettings
from .base import CallbackOutput, OutputFailed, Priority, SpeechOutput
from .detect import ScreenReader, detect_screen_reader
from .speaker import SPEAK_WITH, Speaker, make_speaker, normalise_mode, speaker_for

__all__ = [
    "SPEAK_WITH",
    "CallbackOutput",
    "OutputFailed",
    "OutputSettings",
    "Priority",
    "ScreenReader",
    "SpeechOutput",
    "Speaker",
    "detect_screen_reader",
    "make_speaker",
    "normalise_mode",
    "speaker_for",
]
