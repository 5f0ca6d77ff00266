"""Writing edited or generated pictures. The output path is checked before any work starts;
the file is written only after the safety gate has allowed the picture."""

from __future__ import annotations

import os
from pathlib import Path

from PIL import Image, PngImagePlugin

from ..errors import BadInput

FORMATS = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".webp": "WEBP",
    ".bmp": "BMP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
}


def check_output(path: str | os.PathLike | None) -> Path | None:
    """Validate an output path up front, so a typo is reported before minutes of compute."""
    if not path:
        return None
    out = Path(path).expanduser()
    if out.suffix.lower() not in FORMATS:
        raise BadInput(f"The output file {out} must end in .png, .jpg, .webp, .bmp or .tiff.")
    if out.is_dir():
        raise BadInput(f"The output path {out} is a folder; give a file name such as picture.png.")
    if not out.parent.exists():
        raise BadInput(f"The folder {out.parent} does not exist.")
    if not os.access(out.parent, os.W_OK):
        raise BadInput(f"The folder {out.parent} cannot be written to.")
    return out


def save_image(image: Image.Image, out: Path, metadata: dict[str, str]) -> str:
    """Save `image`; PNG files carry `metadata` as text chunks (prompt, settings, edits)."""
    fmt = FORMATS[out.suffix.lower()]
    kwargs: dict[str, object] = {}
    if fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        for key, value in metadata.items():
            info.add_itxt(key, str(value))
        kwargs["pnginfo"] = info
    elif fmt == "JPEG":
        kwargs["quality"] = 92
    tmp = out.with_name(out.name + ".part")
    try:
        image.save(tmp, format=fmt, **kwargs)
        os.replace(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise BadInput(f"The picture could not be saved to {out}: {exc.strerror or exc}.") from None
    return str(out)
