"""The desktop app (PySide6). Only this package imports Qt; it calls the core through the Engine."""
