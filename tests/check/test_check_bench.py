"""bench/check.py's honesty guards: held-out figures only on request, and the sums of
leave-one-plan-out (no database needed)."""

from __future__ import annotations

import sys

import pytest

import bench.check
from bench.plan_evaluate import Counts


def test_write_needs_the_held_out_report_and_reads_no_plan_without_it(monkeypatch, capsys):
    def no_plans():
        raise AssertionError("the plans were read before the arguments were checked")

    monkeypatch.setattr(bench.check, "load_plans", no_plans)
    monkeypatch.setattr(sys, "argv", ["bench/check.py", "--write"])
    with pytest.raises(SystemExit) as exit_:
        bench.check.main()
    assert exit_.value.code == 2
    assert "--write records the held-out figures too: add --holdout" in capsys.readouterr().err


def test_folds_add_up_to_the_counts_of_all_plans_at_once():
    whole, first, second = Counts(), Counts(), Counts()
    plans = [("a", {"x", "y", "z"}, {"x", "w"}, {"x", "y", "w"}),
             ("b", {"p"}, {"p", "q"}, {"p", "q"})]
    for name, predicted, expected, labelled in plans:
        whole.add(name, predicted, expected, labelled)
    first.add(*plans[0])
    second.add(*plans[1])
    first.extend(second)
    assert (first.hits, first.predicted, first.unlabelled, first.expected, first.misses) == (
        whole.hits, whole.predicted, whole.unlabelled, whole.expected, whole.misses)
    assert first.precision == whole.precision == 2 / (3 + 0.5 * 1)
    assert first.recall == whole.recall == 2 / 4
