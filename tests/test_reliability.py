"""Reliability table and expected calibration error on hand-made (confidence, correct) pairs."""

import pytest

from policyqa.reliability import bins_for, expected_calibration_error, format_table, reliability_table, summary

# bin (0.9, 1.0]: mean confidence 0.95, 3 of 4 correct → |0.75 − 0.95| = 0.2, weight 4/6
# bin (0.1, 0.2]: mean confidence 0.15, none correct   → |0 − 0.15| = 0.15, weight 2/6
PAIRS = [(0.95, 1), (0.95, 1), (0.95, 0), (0.95, 1), (0.15, 0), (0.15, False)]


def test_ece_of_a_known_list():
    assert expected_calibration_error(PAIRS, bins=10) == pytest.approx(4 / 6 * 0.2 + 2 / 6 * 0.15, abs=1e-4)
    assert expected_calibration_error(PAIRS, bins=10) == 0.1833


def test_perfect_and_worst_calibration():
    assert expected_calibration_error([(1.0, 1), (0.0, 0), (0.5, 1), (0.5, 0)], bins=10) == 0.0
    assert expected_calibration_error([(1.0, 0), (0.0, 1)], bins=10) == 1.0
    assert expected_calibration_error([], bins=10) == 0.0


def test_bins_are_closed_above_and_keep_the_counts():
    table = reliability_table([(0.0, 0), (0.1, 1), (0.1000001, 0), (1.0, 1)], bins=10)
    assert len(table) == 10 and [b.count for b in table] == [2, 1, 0, 0, 0, 0, 0, 0, 0, 1]
    first = table[0]
    assert (first.low, first.high, first.confidence, first.accuracy) == (0.0, 0.1, 0.05, 0.5)
    assert table[2].confidence is None and table[2].gap is None
    assert table[-1].gap == 0.0


def test_same_bins_as_scikit_learn():
    calibration = pytest.importorskip("sklearn.calibration")
    conf = [0.0, 0.05, 0.1, 0.2, 0.33, 0.5, 0.7, 0.71, 0.9, 0.95, 1.0]
    correct = [0, 0, 1, 0, 1, 0, 1, 1, 0, 1, 1]
    prob_true, prob_pred = calibration.calibration_curve(correct, conf, n_bins=10, strategy="uniform")
    table = [b for b in reliability_table(zip(conf, correct), bins=10) if b.count]
    assert [b.accuracy for b in table] == pytest.approx(list(prob_true), abs=1e-4)
    assert [b.confidence for b in table] == pytest.approx(list(prob_pred), abs=1e-4)


def test_small_sets_get_fewer_bins():
    assert bins_for(12) == 5 and bins_for(106) == 10
    assert summary(PAIRS)["bins"] == 5 and len(summary(PAIRS)["table"]) == 5


def test_bad_input():
    with pytest.raises(ValueError):
        reliability_table([(1.2, 1)])
    with pytest.raises(ValueError):
        expected_calibration_error([(0.5, 1)], bins=0)


def test_table_text_and_markdown():
    s = summary(PAIRS, bins=10)
    assert s["ece"] == 0.1833 and s["accuracy"] == 0.5 and s["n"] == 6
    text = format_table(s)
    assert "mean conf" in text and "0.90-1.00" in text and "0.750" in text and "-0.200" in text
    md = format_table(s, markdown=True)
    assert md.splitlines()[0].startswith("| confidence |") and "| 0.10–0.20 | 2 | 0.150 | 0.000 | -0.150 |" in md
