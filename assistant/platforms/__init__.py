"""What differs between Windows, macOS and Linux, kept Qt-free and testable on any system.

- stdio:   UTF-8 standard output and error (no command fails on a character)
- openmp:  one OpenMP runtime per process on Windows (torch and ctranslate2 both ship one)
- screens: screen geometry and DPI: physical-pixel captures, mixed-DPI virtual desktops
- windows: the foreground window on Windows (PrintWindow with PW_RENDERFULLCONTENT, DWM bounds)
- macos:   the Screen Recording permission and the frontmost window from the window list
- launch:  the command line that reaches the running app (`trigger ACTION`) on each system

Each module decides in plain functions that take what the system reported, so the decisions
are tested with fakes here; the thin calls into the operating system only run on that system.
"""

from .stdio import ensure_utf8_stdio

__all__ = ["ensure_utf8_stdio"]
