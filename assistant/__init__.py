"""Qt-free core of the screen assistant: engine, models, vision, speech, imaging, safety."""

__version__ = "0.1.0"
