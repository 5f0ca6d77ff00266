"""Render installed HTML documentation to 1920x1080 screenshots with headless Chromium, and
take each page's ground truth (title, headings, navigation links, main text in document
order) from the DOM Chromium built (after the page's own scripts ran).

    python bench/eval/render_screens.py [--keep-png] [NAME ...]   # writes bench/eval/screens/NAME.png + .json

Needs the Debian package `chromium` and the documentation it renders (the Rust toolchain's
`rust-docs` component under ~/.rustup, Debian's `nodejs-doc`, npm's own docs). The PNGs and
JSON files are kept in the repository, so the evaluation runs without any of them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "screens"
RUST = Path.home() / ".rustup/toolchains/stable-x86_64-unknown-linux-gnu/share/doc/rust/html"
NODE = Path("/usr/share/doc/nodejs/api")
NPM = Path("/usr/lib/node_modules/npm/docs/output/commands")
RUST_LICENCE = "MIT OR Apache-2.0 (Rust project documentation)"
PAGES = [
    ("rust-book-hello-world", RUST / "book/ch01-02-hello-world.html", RUST_LICENCE),
    ("rust-book-data-types", RUST / "book/ch03-02-data-types.html", RUST_LICENCE),
    ("rust-book-recoverable-errors", RUST / "book/ch09-02-recoverable-errors-with-result.html", RUST_LICENCE),
    ("rustdoc-what-is", RUST / "rustdoc/what-is-rustdoc.html", RUST_LICENCE),
    ("cargo-first-steps", RUST / "cargo/getting-started/first-steps.html", RUST_LICENCE),
    ("cargo-why", RUST / "cargo/guide/why-cargo-exists.html", RUST_LICENCE),
    ("reference-intro", RUST / "reference/introduction.html", RUST_LICENCE),
    ("nomicon-safe-unsafe", RUST / "nomicon/meet-safe-and-unsafe.html", RUST_LICENCE),
    ("std-index", RUST / "std/index.html", RUST_LICENCE),
    ("std-vec", RUST / "std/vec/struct.Vec.html", RUST_LICENCE),
    ("std-option", RUST / "std/option/index.html", RUST_LICENCE),
    ("error-e0382", RUST / "error_codes/E0382.html", RUST_LICENCE),
    ("edition-guide-intro", RUST / "edition-guide/introduction.html", RUST_LICENCE),
    ("rust-by-example-hello", RUST / "rust-by-example/hello.html", RUST_LICENCE),
    ("embedded-book-intro", RUST / "embedded-book/intro/index.html", RUST_LICENCE),
    ("style-guide", RUST / "style-guide/index.html", RUST_LICENCE),
    ("rustc-what-is", RUST / "rustc/what-is-rustc.html", RUST_LICENCE),
    ("clippy-usage", RUST / "clippy/usage.html", RUST_LICENCE),
    ("node-fs", NODE / "fs.html", "MIT (Node.js documentation)"),
    ("node-path", NODE / "path.html", "MIT (Node.js documentation)"),
    ("node-errors", NODE / "errors.html", "MIT (Node.js documentation)"),
    ("node-http", NODE / "http.html", "MIT (Node.js documentation)"),
    ("npm-install", NPM / "npm-install.html", "Artistic-2.0 (npm documentation)"),
    ("npm-ci", NPM / "npm-ci.html", "Artistic-2.0 (npm documentation)"),
]
# Checked by eye on the PNG where the DOM parser finds no heading in <main> (the page's editable
# code block, built by a script, leaves the parser's element stack unbalanced).
TITLE_BY_HAND = {"rust-by-example-hello": "Hello World"}
CHROMIUM = [
    "chromium",
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--window-size=1920,1080",
    "--virtual-time-budget=3000",
]
BLOCK = {"p", "li", "h1", "h2", "h3", "h4", "h5", "pre", "td", "th", "dt", "dd", "div", "tr", "br", "ul", "ol", "table"}
SKIP = {"script", "style", "noscript", "template", "head", "svg"}
NAV_MARKERS = {"sidebar", "sidebar-scrollbox", "sidebar-elems", "toc", "column2", "nav", "menu-bar", "chapter"}


class Page(HTMLParser):
    """Heading texts, navigation link texts and the text blocks of the page in DOM order."""

    def __init__(self):
        super().__init__()
        self.stack: list[tuple[str, bool, bool, bool]] = []  # (tag, in navigation, in main content, hides)
        self.skip = 0
        self.h1: list[str] = []
        self.headings: list[str] = []
        self.nav: list[str] = []
        self.blocks: list[str] = []
        self._text: list[str] = []
        self._heading: str | None = None
        self._heading_text: list[str] = []
        self.title = ""
        self._in_title = False
        self._button = 0
        # what a description may name: link texts, button texts, form fields (for invented-claim checks)
        self.links: list[str] = []
        self.buttons: list[str] = []
        self.fields: list[str] = []
        self._widgets: list[tuple[str, str, list[str]]] = []  # open (tag, kind, text parts)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in SKIP or "display:none" in (a.get("style") or "").replace(" ", "") or "hidden" in a:
            self.skip += 1
            self.stack.append((tag, True, False, True))
            return
        tokens = set(" ".join(filter(None, [a.get("id"), a.get("class")])).lower().split())
        nav = (self.stack[-1][1] if self.stack else False) or tag in ("nav", "aside") or bool(tokens & NAV_MARKERS)
        main = (self.stack[-1][2] if self.stack else False) or tag == "main" or a.get("role") == "main"
        main = main or bool(tokens & {"main-content", "apicontent", "content"})
        self.stack.append((tag, nav, main, False))
        self._widget_start(tag, a)
        if tag in BLOCK:
            self._flush()
        if tag in ("h1", "h2", "h3") and main:
            self._heading, self._heading_text = tag, []
        if tag == "button":
            self._button += 1
        if tag == "title":
            self._in_title = True

    def handle_endtag(self, tag):
        if not any(entry[0] == tag for entry in self.stack):
            return  # a stray end tag
        while self.stack:
            t, _, _, hides = self.stack.pop()
            if hides:
                self.skip -= 1
            if t == tag:
                break
        if tag == "button" and self._button:
            self._button -= 1
        self._widget_end(tag)
        if tag in BLOCK:
            self._flush()
        if tag == self._heading:
            text = " ".join("".join(self._heading_text).split())
            if text:
                self.headings.append(text)
                if tag == "h1":
                    self.h1.append(text)
            self._heading = None
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        if self.skip:
            return
        for _, _, parts in self._widgets:
            parts.append(data)
        if self._heading and not self._button:  # icon buttons inside headings ("Copy item path")
            self._heading_text.append(data)
        self._text.append(data)

    def _widget_start(self, tag: str, a: dict) -> None:
        kind = {"a": "link" if "href" in a else "", "button": "button"}.get(tag, "")
        if a.get("role") == "button":
            kind = "button"
        if tag == "input":
            kind_of = (a.get("type") or "text").lower()
            if kind_of in ("submit", "button", "reset"):
                self.buttons.append(a.get("value") or kind_of.title())
            elif kind_of not in ("hidden", "checkbox", "radio"):
                self.fields.append(a.get("placeholder") or a.get("aria-label") or a.get("id") or kind_of)
        elif tag in ("textarea", "select"):
            self.fields.append(a.get("placeholder") or a.get("aria-label") or a.get("id") or tag)
        if kind:
            self._widgets.append((tag, kind, []))

    def _widget_end(self, tag: str) -> None:
        for i in range(len(self._widgets) - 1, -1, -1):
            if self._widgets[i][0] == tag:
                _, kind, parts = self._widgets.pop(i)
                text = " ".join("".join(parts).split())
                if text:
                    (self.links if kind == "link" else self.buttons).append(text)
                return

    def _flush(self):
        text = " ".join("".join(self._text).split())
        self._text = []
        if not text:
            return
        nav = self.stack[-1][1] if self.stack else False
        (self.nav if nav else self.blocks).append(text)


def render(name: str, path: Path, licence: str, keep_png: bool = False) -> dict:
    with tempfile.TemporaryDirectory() as profile:
        png = OUT / f"{name}.png"
        common = [*CHROMIUM, f"--user-data-dir={profile}"]
        if not (keep_png and png.is_file()):
            subprocess.run(
                [*common, f"--screenshot={png}", path.as_uri()], check=True, capture_output=True, timeout=180
            )
        dom = subprocess.run(
            [*common, "--dump-dom", path.as_uri()], check=True, capture_output=True, text=True, timeout=180
        ).stdout
    page = Page()
    page.feed(dom)
    truth = {
        "name": name,
        "kind": "screenshot",
        "source": str(path),
        "licence": licence,
        "html_title": " ".join(page.title.split()),
        "title": (page.h1 or page.headings or [TITLE_BY_HAND.get(name)])[0],
        "headings": page.headings[:20],
        "nav": page.nav[:200],
        "main_text": page.blocks[:400],  # far more than one screen shows
        "main_columns": 1,
        "links": page.links[:600],
        "buttons": page.buttons,
        "fields": page.fields,
    }
    (OUT / f"{name}.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False), encoding="utf-8")
    return truth


def main(names: list[str]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    keep_png = "--keep-png" in names  # only refresh the ground truth
    names = [n for n in names if n != "--keep-png"]
    for name, path, licence in PAGES:
        if names and name not in names:
            continue
        if not path.is_file():
            print(f"skip {name}: {path} is not installed", file=sys.stderr)
            continue
        truth = render(name, path, licence, keep_png)
        print(name, "title:", truth["title"], "| nav items:", len(truth["nav"]), "| blocks:", len(truth["main_text"]))


if __name__ == "__main__":
    main(sys.argv[1:])
