"""Regenerate assistant/resources/profanity_scores.json from the installed alt-profanity-check.

Why a table is exact: alt-profanity-check is a TfidfVectorizer (word unigrams, token pattern
\\b\\w\\w+\\b, lower-cased, English stop words dropped, l2 norm) feeding a CalibratedClassifierCV
(sigmoid calibration) of LinearSVCs. A text that is one vocabulary word becomes the unit vector
of that word (tf*idf divided by its own l2 norm), so each linear model's decision is
coef[word] + intercept and the probability is the mean over the calibrated models of
1 / (1 + exp(a * decision + b)). Any single word outside the vocabulary (a stop word, a
one-letter word, an unknown word) becomes the zero vector and gets one shared score, the
"out-of-vocabulary" score. So for single words the whole model is a word -> probability table.

The table stores `predict_prob` itself (float repr round-trips exactly); the closed form above is
recomputed from the model's parameters as a cross-check, and the run fails if the package's
model is not of the shape this argument needs.

Run with the test extra installed (it brings alt-profanity-check and scikit-learn):
    .venv/bin/python scripts/build_profanity_table.py
"""

from __future__ import annotations

import json
import math
import sys
from importlib import metadata, resources
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "assistant" / "resources" / "profanity_scores.json"
OOV_PROBE = "zzqxjvkw"  # not a vocabulary word


def _load_model():
    import joblib

    data = resources.files("profanity_check") / "data"
    return joblib.load(data / "vectorizer.joblib"), joblib.load(data / "model.joblib")


def _check_shape(vectorizer, model) -> None:
    """Fail loudly if a new release changed the model so that a word table is no longer exact."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer

    assert isinstance(vectorizer, TfidfVectorizer), type(vectorizer)
    params = vectorizer.get_params()
    expected = {"analyzer": "word", "ngram_range": (1, 1), "norm": "l2", "lowercase": True, "tokenizer": None}
    for key, value in expected.items():
        assert params[key] == value, (key, params[key])
    assert params["preprocessor"] is None and params["strip_accents"] is None
    assert isinstance(model, CalibratedClassifierCV) and model.method == "sigmoid", model
    assert list(model.classes_) == [0, 1], model.classes_
    for calibrated in model.calibrated_classifiers_:
        assert calibrated.estimator.coef_.shape == (1, len(vectorizer.vocabulary_))


def _closed_form(vectorizer, model, index: int | None) -> float:
    """The probability of a one-word text from the model's parameters (index None: no word)."""
    total = 0.0
    for calibrated in model.calibrated_classifiers_:
        est = calibrated.estimator
        decision = float(est.intercept_[0]) + (0.0 if index is None else float(est.coef_[0, index]))
        sig = calibrated.calibrators[0]
        total += 1.0 / (1.0 + math.exp(float(sig.a_) * decision + float(sig.b_)))
    return total / len(model.calibrated_classifiers_)


def build() -> dict:
    from profanity_check import predict_prob

    vectorizer, model = _load_model()
    _check_shape(vectorizer, model)
    vocab = sorted(vectorizer.vocabulary_)
    probs = [float(p) for p in predict_prob(vocab)]
    oov = float(predict_prob([OOV_PROBE])[0])
    worst = max(
        abs(p - _closed_form(vectorizer, model, vectorizer.vocabulary_[w])) for w, p in zip(vocab, probs, strict=True)
    )
    worst = max(worst, abs(oov - _closed_form(vectorizer, model, None)))
    assert worst < 1e-12, f"closed form disagrees with predict_prob by {worst}"
    return {
        "source": "alt-profanity-check",
        "version": metadata.version("alt-profanity-check"),
        "licence": "MIT (Copyright (c) 2018 Victor Zhou, 2021 Menelaos Kotoglou, and Dimitrios Mistriotis)",
        "derived_by": "scripts/build_profanity_table.py",
        "token_pattern": vectorizer.token_pattern,
        "oov": oov,
        "stop_words": sorted(vectorizer.get_stop_words()),
        "scores": dict(zip(vocab, probs, strict=True)),
    }


def main() -> int:
    table = build()
    OUT.write_text(json.dumps(table, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({len(table['scores'])} words, out-of-vocabulary score {table['oov']:.6f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
