"""Evaluate the offline describer on real screens, charts and photos (bench/eval/).

    python bench/eval_vision.py [--json results.json] [NAME ...]

Per case it reports:
- invented: claims the ground truth does not back (a quotation whose words are not on the page,
  an error message, a menu bar, several columns, a navigation list or a chart the page does
  not have; an object the photo does not show) -- target 0;
- title: whether the title said is the page's (or chart's) title;
- objects: whether the photo's main object is named in the first sentence;
- CER: character error rate of the OCR lines against the page text they match (rapidfuzz),
  and the share of OCR lines that match page text at all;
- order: share of consecutive main-content lines read in the page's own order;
- widgets: dialogs, buttons and form fields said against the ones the page or program has (a
  claimed button or field the DOM or the program does not have is an invented claim; on the
  24 documentation pages there are no dialogs at all), the dialog's title and its buttons in
  order, the labels of empty fields.
The ground truth comes from the HTML (render_screens.py), the chart data (make_charts.py) and
the photos' notes (photos/photos.json). Never part of pass/fail: tests keep a subset.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
EVAL = ROOT / "bench" / "eval"
QUOTE = re.compile(r"“([^”]+)”")


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def quote_backed(quote: str, vocabulary: set[str]) -> bool:
    """At least 70 % of a quotation's words occur in the ground truth (OCR slips allowed)."""
    ws = words(quote)
    return not ws or sum(w in vocabulary for w in ws) / len(ws) >= 0.7


def same(a: str | None, b: str | None) -> bool:
    from rapidfuzz import fuzz

    return bool(a and b) and fuzz.ratio(" ".join(words(a or "")), " ".join(words(b or ""))) >= 90


def ocr_scores(lines, blocks: list[str]) -> tuple[float, float, list[tuple[int, int]]]:
    """(CER on matched lines, share of lines matched, (block, offset) per matched line)."""
    from rapidfuzz import fuzz
    from rapidfuzz.distance import Levenshtein

    errors = chars = matched = 0
    places = []
    for line in lines:
        best = None
        for bi, block in enumerate(blocks):
            if len(block) < max(2, 0.8 * len(line.text)):
                continue  # a short block ("Vec") would align inside a long line and hide its errors
            al = fuzz.partial_ratio_alignment(line.text, block, score_cutoff=70)
            if al is not None and (best is None or al.score > best[0].score):
                best = (al, bi)
        if best is None:
            continue
        al, bi = best
        target = blocks[bi][al.dest_start : al.dest_end]
        errors += Levenshtein.distance(line.text, target)
        chars += max(len(target), 1)
        matched += 1
        places.append((bi, al.dest_start))
    return (errors / chars if chars else 0.0), (matched / len(lines) if lines else 0.0), places


def in_order(places: list[tuple[int, int]]) -> float:
    if len(places) < 2:
        return 1.0
    return sum(b >= a for a, b in zip(places, places[1:], strict=False)) / (len(places) - 1)


WIDGET_SENTENCES = {
    "dialog": re.compile(r"a dialog(?: titled “([^”]+)”)?(?: with the buttons? ((?:“[^”]+”(?:, | and )?)+))?"),
    "buttons": re.compile(r"Buttons: ((?:“[^”]+”(?:, | and )?)+)\."),
    "fields": re.compile(r"mpty form fields? labelled ((?:“[^”]+”(?:, | and )?)+)"),
    "links": re.compile(r"Links(?: include)?: ((?:“[^”]+”(?:, | and )?)+)"),
}


def widget_claims(text: str) -> dict:
    """What a description says about dialogs, buttons and fields."""
    out: dict = {"dialog": None, "buttons": [], "fields": [], "links": []}
    m = WIDGET_SENTENCES["dialog"].search(text)
    if m:
        out["dialog"] = {"title": m.group(1), "buttons": QUOTE.findall(m.group(2) or "")}
    m = WIDGET_SENTENCES["buttons"].search(text)
    if m:
        out["buttons"] = QUOTE.findall(m.group(1))
    m = WIDGET_SENTENCES["fields"].search(text)
    if m:
        out["fields"] = QUOTE.findall(m.group(1))
    m = WIDGET_SENTENCES["links"].search(text)
    if m:
        out["links"] = QUOTE.findall(m.group(1))
    return out


def invented_widgets(said: dict, truth: dict) -> list[str]:
    """Dialogs, buttons and fields the picture does not have (names compared loosely: OCR)."""
    bad = []
    dialog = truth.get("dialog")
    if said["dialog"] is not None and dialog is None:
        bad.append("dialog")
    real_buttons = (dialog or {}).get("buttons", []) + truth.get("buttons", [])
    for name in (said["dialog"] or {}).get("buttons", []) + said["buttons"]:
        if not any(same(name, b) for b in real_buttons):
            bad.append(f"button not there: {name}")
    for name in said["fields"]:
        if not any(same(name, f) for f in truth.get("fields", [])):
            bad.append(f"field not there: {name}")
    links = [" ".join(words(t)) for t in truth.get("links", [])]
    for name in said["links"]:
        if not any(" ".join(words(name)) in t for t in links):
            bad.append(f"link not there: {name}")
    return bad


def screen_claims(text: str, truth: dict, vocabulary: set[str]) -> list[str]:
    bad = [f"quote not on the page: {q}" for q in QUOTE.findall(text) if not quote_backed(q, vocabulary)]
    blocks = truth.get("main_text", [])
    shown = re.compile(r"(^|\s)(error|warning|fatal)(\[\w+\])?:|(^|\s)failed to\b", re.I)
    if "error or warning message" in text and not any(shown.search(b) for b in blocks):
        bad.append("error message")
    if "menu bar" in text:
        bad.append("menu bar")
    m = re.search(r"laid out in (\w+) columns", text)
    if m and truth.get("main_columns", 1) == 1:
        bad.append(f"{m.group(1)} columns")
    if "navigation list" in text and not truth.get("nav"):
        bad.append("navigation list")
    if "chart" in text.lower():
        bad.append("chart")
    return bad + invented_widgets(widget_claims(text), truth)


def eval_screen(backend, path: Path, truth: dict) -> dict:
    image = Image.open(path).convert("RGB")
    t0 = time.perf_counter()
    chunks = list(backend.describe(image))
    elapsed = time.perf_counter() - t0
    text = "".join(chunks)
    lines = backend.read_text(image)
    a = backend.analyse(image)
    from assistant.vision.embedded import main_lines

    main = main_lines(a, lines)
    blocks = [truth.get("title") or "", *truth.get("headings", []), *truth.get("main_text", [])]
    vocabulary = set(words(" ".join(blocks + truth.get("nav", []) + [truth.get("html_title", "")])))
    cer, share, _ = ocr_scores(lines, blocks + truth.get("nav", []))
    _, _, places = ocr_scores(main, blocks)
    m = re.search(r"titled “([^”]+)”", chunks[0])
    return {
        "name": truth["name"],
        "kind": "screen",
        "invented": screen_claims(text, truth, vocabulary),
        "title_ok": same(m.group(1) if m else None, truth.get("title")),
        "title_said": m.group(1) if m else None,
        "cer": round(cer, 4),
        "matched": round(share, 3),
        "order": round(in_order(places), 3),
        "describe_s": round(elapsed, 2),
        "first": chunks[0].strip(),
        "widgets": widget_claims(text),
    }


def eval_chart(backend, path: Path, truth: dict) -> dict:
    image = Image.open(path).convert("RGB")
    text = "".join(backend.describe(image))
    labels = [truth["title"], *truth["axis_titles"], *truth["legend"]]
    vocabulary = set(words(" ".join(labels)))
    invented = [f"quote not in the chart: {q}" for q in QUOTE.findall(text) if not quote_backed(q, vocabulary)]
    if not text.startswith("A chart"):
        invented.append("not called a chart") if "photo" in text.split(".")[0] else None
    quotes = QUOTE.findall(text)
    return {
        "name": truth["name"],
        "kind": "chart",
        "invented": invented,
        "named_chart": text.startswith("A chart"),
        "title_ok": any(same(q, truth["title"]) for q in quotes),
        "axes_ok": all(any(same(q, t) for q in quotes) for t in truth["axis_titles"]),
        "legend_ok": all(any(same(q, t) for q in quotes) for t in truth["legend"]),
        "first": text.split(". ")[0],
    }


def eval_app(backend, path: Path, truth: dict) -> dict:
    image = Image.open(path).convert("RGB")
    t0 = time.perf_counter()
    chunks = list(backend.describe(image))
    elapsed = time.perf_counter() - t0
    text = "".join(chunks)
    words_known = [truth["title"], *truth["text"]]
    if truth.get("page", "").endswith(".html") is False and truth.get("page"):
        page = json.loads((EVAL / "screens" / f"{truth['page']}.json").read_text(encoding="utf-8"))
        words_known += [page.get("title") or "", *page["headings"], *page["main_text"], *page["nav"]]
    vocabulary = set(words(" ".join(words_known)))
    invented = [f"quote not on the screen: {q}" for q in QUOTE.findall(text) if not quote_backed(q, vocabulary)]
    if "error or warning message" in text and not truth["error"]:
        invented.append("error message")
    if "chart" in text.lower():
        invented.append("chart")
    said = widget_claims(text)
    invented += invented_widgets(said, truth)
    dialog = truth.get("dialog")
    m = re.search(r"titled “([^”]+)”", chunks[0])
    title_said = (said["dialog"] or {}).get("title") or (m.group(1) if m else None)
    result = {
        "name": truth["name"],
        "kind": "app",
        "invented": invented,
        "title_ok": same(title_said, truth["title"]) if title_said else None,
        "title_said": title_said,
        "error_said": "error or warning message" in text,
        "error_ok": ("error or warning message" in text) == truth["error"],
        "first": chunks[0].strip(),
        "first_s": None,
        "describe_s": round(elapsed, 2),
        "text": text[:400],
        "widgets": said,
    }
    if dialog is not None:
        got = said["dialog"]
        result["dialog_found"] = got is not None
        result["dialog_buttons"] = f"{len((got or {}).get('buttons', []))}/{len(dialog['buttons'])}"
        result["dialog_buttons_ok"] = (
            got is not None
            and len(got["buttons"]) == len(dialog["buttons"])
            and all(same(a, b) for a, b in zip(got["buttons"], dialog["buttons"], strict=False))
        )
    if truth.get("fields"):
        result["fields"] = (
            f"{sum(any(same(f, s) for s in said['fields']) for f in truth['fields'])}/{len(truth['fields'])}"
        )
    if truth.get("links"):
        result["links"] = f"{sum(any(same(l, s) for s in said['links']) for l in truth['links'])}/{len(truth['links'])}"
    if truth.get("buttons"):
        result["buttons"] = (
            f"{sum(any(same(b, s) for s in said['buttons']) for b in truth['buttons'])}/{len(truth['buttons'])}"
        )
    return result


def eval_photo(backend, path: Path, truth: dict) -> dict:
    from assistant.vision.detect import COCO

    image = Image.open(path).convert("RGB")
    chunks = list(backend.describe(image))
    first = chunks[0].split(", mostly")[0]  # the object clause, not the colour names
    said = {name for name in COCO.values() if re.search(rf"\b{re.escape(name)}s?\b", first)}
    if re.search(r"\b(people|person)\b", first):
        said.add("person")
    want = truth["objects"]
    return {
        "name": truth["name"],
        "kind": "photo",
        "invented": sorted(said - set(want)),
        "main_object_named": (want[0] in said) if want else None,
        "objects_said": sorted(said),
        "first": first.strip(),
        "details": "".join(chunks[1:]).strip()[:160],
    }


def eval_scan(backend, path: Path, truth: dict) -> list[dict]:
    """A photo of a printed page, turned each way: read the right way up, said to be turned."""
    out = []
    page = Image.open(path).convert("RGB")
    vocabulary = set(words(" ".join(truth["text"])))
    for turn in truth["turns"]:
        image = page.rotate(turn, expand=True)
        t0 = time.perf_counter()
        lines = backend.read_text(image)
        elapsed = time.perf_counter() - t0
        text = "".join(backend.describe(image))
        found = sum(any(same(l.text, t) for l in lines) for t in truth["text"])
        cer, _, _ = ocr_scores(lines, truth["text"])
        said_turn = "upside down" in text or "sideways" in text
        invented = [f"quote not on the page: {q}" for q in QUOTE.findall(text) if not quote_backed(q, vocabulary)]
        if said_turn != (turn != 0):
            invented.append("said turned" if said_turn else "turn not said")
        out.append(
            {
                "name": f"{truth['name']} turned {turn}",
                "kind": "scan",
                "invented": invented,
                "lines_found": f"{found}/{len(truth['text'])}",
                "cer": round(cer, 4),
                "read_s": round(elapsed, 2),
                "turn_said": said_turn,
            }
        )
    return out


def cases(names: list[str]):
    for js in sorted((EVAL / "screens").glob("*.json")):
        yield "screen", js.with_suffix(".png"), json.loads(js.read_text(encoding="utf-8"))
    for js in sorted((EVAL / "charts").glob("*.json")):
        yield "chart", js.with_suffix(".png"), json.loads(js.read_text(encoding="utf-8"))
    for truth in json.loads((EVAL / "photos" / "photos.json").read_text(encoding="utf-8")):
        yield "photo", EVAL / "photos" / truth["name"], truth
    for js in sorted((EVAL / "apps").glob("*.json")):
        yield "app", js.with_suffix(".png"), json.loads(js.read_text(encoding="utf-8"))
    for truth in json.loads((EVAL / "scans" / "scans.json").read_text(encoding="utf-8")):
        yield "scan", EVAL / "scans" / truth["name"], truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    from assistant.vision.embedded import EmbeddedBackend

    backend = EmbeddedBackend()
    results = []
    for kind, path, truth in cases(args.names):
        if args.names and truth["name"] not in args.names:
            continue
        evaluate = {"screen": eval_screen, "chart": eval_chart, "photo": eval_photo, "app": eval_app, "scan": eval_scan}
        found = evaluate[kind](backend, path, truth)
        for result in found if isinstance(found, list) else [found]:
            results.append(result)
            print(json.dumps(result, ensure_ascii=False), flush=True)
    summary(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")


def summary(results: list[dict]) -> None:
    screens = [r for r in results if r["kind"] == "screen"]
    charts = [r for r in results if r["kind"] == "chart"]
    photos = [r for r in results if r["kind"] == "photo"]
    apps = [r for r in results if r["kind"] == "app"]
    invented = sum(len(r["invented"]) for r in results)
    print(f"\ninvented claims: {invented} in {len(results)} cases")
    if screens:
        n = len(screens)
        print(
            f"screens: {n}; titles right {sum(r['title_ok'] for r in screens)}/{n}; "
            f"median CER {sorted(r['cer'] for r in screens)[n // 2]:.3f}; "
            f"median lines matched {sorted(r['matched'] for r in screens)[n // 2]:.2f}; "
            f"median order {sorted(r['order'] for r in screens)[n // 2]:.2f}"
        )
    if charts:
        n = len(charts)
        print(
            f"charts: {n}; named as charts {sum(r['named_chart'] for r in charts)}/{n}; titles "
            f"{sum(r['title_ok'] for r in charts)}/{n}; both axis titles {sum(r['axes_ok'] for r in charts)}/{n}; "
            f"legends {sum(r['legend_ok'] for r in charts)}/{n}"
        )
    if photos:
        with_objects = [r for r in photos if r["main_object_named"] is not None]
        print(
            f"photos: {len(photos)}; main object named {sum(r['main_object_named'] for r in with_objects)}"
            f"/{len(with_objects)} (the other {len(photos) - len(with_objects)} show no COCO class)"
        )
    if apps:
        titled = [r for r in apps if r["title_said"] is not None]
        right = sum(bool(r["title_ok"]) for r in titled)
        dialogs = [r for r in apps if "dialog_found" in r]
        print(
            f"applications and pages with widgets: {len(apps)}; titles said {len(titled)}, right {right}; "
            f"dialogs found {sum(r['dialog_found'] for r in dialogs)}/{len(dialogs)}, with all their buttons in order "
            f"{sum(r['dialog_buttons_ok'] for r in dialogs)}/{len(dialogs)}; error messages right "
            f"{sum(r['error_ok'] for r in apps)}/{len(apps)}"
        )
    said = [
        r
        for r in screens
        if r.get("widgets") and (r["widgets"]["dialog"] or r["widgets"]["buttons"] or r["widgets"]["fields"])
    ]
    if screens:
        print(f"documentation pages with a dialog, button or field said: {len(said)}/{len(screens)}")


if __name__ == "__main__":
    main()
