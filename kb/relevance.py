"""One relevance scale for every mode, its bands, and when a query counts as answered.

Each mode scores a hit from what it measured: keyword from the hit's bm25 (as x / (1 + x)
of -bm25, in 0–1), semantic from its cosine with the query, hybrid from both. A logistic
curve per mode, fitted on the public query sets (is this hit a listed answer?), turns that
into one number on one scale: roughly the chance that the hit answers the question. The
bands read that number.

Hybrid ranks by its curve too: a linear blend of the hit's cosine, its closest lesson
part's cosine, its keyword side read relative to the query (`relative_to_best`: the hit's
bm25 over the best bm25 of the query's keyword hits), two word features and the two
cosines of the query as the adapter moves it (both below).
x / (1 + x) of bm25 saturates, 0.8–0.96 for nearly every hit of a question, so its level
said more about the question's words than about the hit; relative, the best keyword hit
reads 1 and the rest what share of its match they make. The weights are fitted listwise
(bench/ranking.py: the softmax probability of each question's answers among its candidates,
an L2 penalty of 0.1 on standardised features) on three sets weighing the same: the public
questions, the lay tune questions, and pseudo-queries, each curated question of data/cases
asked for its own lesson with itself left out of the index (bench/pseudo.py: its part
vector dropped, the lesson's text embedded and keyword-indexed without it; 898 of them).
Cross-validated on those (bench/ranking.py: five folds holding out whole lessons or
questions, two shuffles), hybrid hit@1 on public / lay tune (201) / pseudo-queries:

    main's blend (convex weights on the public questions, x / (1 + x)): 0.770 0.822 0.649
    the same grid, the keyword side relative:                             0.823 0.844 0.660
    listwise on all three, x / (1 + x):                                   0.750 0.780 0.530
    listwise on all three, relative (this one):                           0.815 0.861 0.669
    the same with each lesson's part profile (its event, lesson and
    recommendation, closest and mean question, second closest part):     0.810 0.874 0.660

The two word features (SearchEngine._word_features) read which of the query's words (as
typed or corrected; not expansions) a candidate holds, compared as the keyword index
compares them: coverage, the share it holds, and distinct, the share it holds that none of
the other five candidates closest in meaning holds. bm25 rewards rare words and repeated
ones; these say whether the record holds the rest of the question, and the word that tells
it from its near siblings (the Cambridgeshire price lessons, Dudley's engagement ones).
Cross-validated as above with the records' 1,017 curated questions (public / lay tune /
pseudo-queries; bench/ranking.py has the other designs tried):

    listwise, relative (main's design before):                            0.831 0.858 0.702
    the same with coverage and distinct (this one):                       0.831 0.876 0.705
      distinct against the first five of the ranking, not the closest:   0.831 0.881 0.708

Contrasting with the closest in meaning rather than with the ranking's first five keeps the
features independent of the blend they feed (calibration needs no fixed point) for one lay
question in 201. Recalibrated, tune hit@1: public 0.815 to 0.823, lay tune 0.841 to 0.876.
Held out, printed once afterwards (bench/retrieval.py): lay questions hit@1 0.796 to 0.815,
hit@3 0.926 to 0.889, MRR@10 0.866 both; the held-out commissioners' questions
(holdout.yaml, 50) hit@1 0.880 to 0.820 (its 15 paraphrases 0.800 to 0.667), hit@3 0.920 to
0.940, MRR@10 0.910 to 0.884. Lay questions gained in both (4 of 201 tune, 1 of 54 held
out) and the commissioners' did not (none of 124 public, 3 of 50 held out lost): pooled
over the 104 held-out questions, hit@1 0.837 to 0.817. The design was frozen on the tune
data before any held-out figure was read and is kept; the held-out loss is within the noise
of 50 questions, and it is not fitted away here. A query's features cost about 0.4 ms warm
(the holders of each word are kept).

Two more features read the query's vector as the query adapter moves it (kb/adapter.py: a
linear map fitted at build time so that each curated question lies nearest its own
lesson): each candidate's cosine with it, and its closest part's. The model's own cosines
stay in the blend beside them. Cross-validated as above (pseudo-queries scored with
adapters fitted without their fold of questions, bench/pseudo.py), hybrid hit@1 on public /
lay tune / pseudo-queries:

    the blend above (the word features, no adapter):                      0.831 0.873 0.707
    + the adapted cosine and closest part (this one):                     0.823 0.905 0.721
      the adapted cosines in place of the model's:                        0.827 0.900 0.722

Recalibrated, tune hit@1: public 0.823 to 0.831, lay tune 0.876 to 0.900. Held out,
printed once afterwards (bench/retrieval.py): lay questions hit@1 0.815 to 0.833, hit@3
0.889 to 0.944, MRR@10 0.866 to 0.891; the commissioners' questions (holdout.yaml) hit@1
0.820 to 0.940, hit@3 0.940 to 0.960, MRR@10 0.884 to 0.949; pooled over the 104, hit@1
0.817 to 0.885. Semantic mode blends its four cosines with convex weights, then chosen on
the public questions (0.15 the model's, 0.6 the adapted, 0.25 the adapted closest part):
hit@1 public 0.726 to 0.766, lay tune 0.761 to 0.796, held out 0.680 to 0.720 and 0.648 to
0.759.

Semantic's weights are now chosen on the public and the lay tune questions together, each
weighing the same (bench/calibrate.py), as hybrid's are: the grid of 1,771 weightings
chosen on 124 public questions was fitted to their voice. Cross-validated (five folds, five
shuffles), hit@1 public 0.732 to 0.742, lay tune 0.796 to 0.839. It chose 0.05 the model's
cosine, 0.25 its closest part, 0.5 the adapted cosine and 0.2 the adapted closest part:
tune hit@1 public 0.774 to 0.750, lay tune 0.796 to 0.846. Held out, printed once
afterwards: commissioners' 0.740 to 0.760 (holdout.yaml) and 0.800 both
(commissioners-2), lay 0.759 both (lay) and 0.725 to 0.800 (lay-2); 176 to 183 of the 234.

Ranking a lesson by a mix of its parts (the profile) rather than its closest part gained
on the lay tune questions and lost on the others, so a lesson is still ranked by its
closest part. The lay-voice questions of lay2 (108 more, on 94 lessons that have a close
sibling) moved lay tune hit@1 from 0.854 to 0.861 with this blend (0.844 to 0.822
with main's) and left the answered decision as it was (cross-validated 3.1% / 60.8% before,
3.1% / 60.3% after).

A query is answered when it lies on the right side of a linear boundary in five signals
(`Signals`, read by SearchEngine.answer_signals):
  - the best cosine of any record with the query;
  - coverage: the largest share of the query's words, weighted by idf, that one of the top
    COVERAGE_HITS hits holds;
  - the best cosine of any lesson part (what happened, lesson, recommendation, each curated
    question, the lay-voice ones included);
  - elsewhere: the best cosine of any out-of-scope topic of data/elsewhere.yaml (342 anchors
    of NHS and public-service topics the records do not cover, written by a curator blind
    to every query set). With the part's cosine beside it, the boundary reads the contrast
    between the two: a question nearer to dental waiting lists than to any lesson is about
    something else, however many hospital words it shares with the records. The best anchor
    beat the mean of the best three or five (kb/check.py's background shape) and the
    anchors' cosine with the unexpanded question, in cross-validation, by 0–2 points;
  - unknown name: the query names something (a capitalised word inside a sentence, or an
    acronym) that no record holds and no glossary entry stands for ("the Nuffield Trust",
    "Hartlepool"): no lesson can answer for a body or place it never mentions. None of the
    160 in-scope tune questions has one, 7 of the 55 out-of-scope ones do.
A query of stop words alone ("what is it") is never answered, whatever the signals read
(SearchEngine._answered): every record holds its words. None of the 712 questions of the
query sets is one.
Keyword mode (before the model loads) reads only coverage and unknown names. A database
built from data without data/elsewhere.yaml (the TUI's test fixture, a user's own data
folder) reads, in place of the best anchor's cosine, NO_ANCHORS: the highest value that
still flags at most 5% of each in-scope tune set. The boundary is a logistic regression (C
= 10) fitted on the tune questions: in scope, the public sets and
tests/queries/lay/tune.yaml; out of scope, tests/queries/out-of-scope/tune.yaml. It is
then shifted so that at most 5% of the public and at most 5% of the lay tune questions are
flagged (separately, so that neither voice pays for the other). bench/calibrate.py cross-
validates the same fit (five folds, twenty shuffles) on the tune questions.

Measured (bench/calibrate.py, the int8 all-MiniLM-L6-v2 as published, 152 lessons with 1017 curated
questions, 201 lay tune questions, hybrid with its word features and the query adapter, a
contraction read as a stop word), flagged shares; held out, the first writers' sets
(holdout.yaml 50, lay 54, out-of-scope 55) and the second ones' (commissioners-2 50,
lay-2 80, out-of-scope holdout-2 23 on other NHS topics and holdout-2-near 20):

    hybrid     cross-validated on tune: in-scope 2.6%, out-of-scope 62.6%
               tune: public 4.8% (124), lay 2.0% (201), out-of-scope 65.5% (55)
               held out, first: in-scope 8.0%, lay 3.7% / out-of-scope 94.5%
               held out, second: in-scope 0%, lay 1.2% / out-of-scope 100%, near 30%
               in-scope pooled over the 234 held out: 3.0% (7)
    semantic   cross-validated 3.4% / 67.7%; tune 4.8%, 2.5% / 69.1%;
               held out 6.0%, 1.9% / 90.9%; 0%, 1.2% / 100%, near 55%; pooled 2.1%
               (weights chosen on the public questions alone: cross-validated
               3.0% / 65.9%, held out the same in scope / 94.5%, near 45%)
    keyword    cross-validated 2.2% / 51.4%; tune 4.8%, 1.5% / 56.4%;
               held out 4.0%, 1.9% / 83.6%; 2.0%, 5.0% / 96%, near 35%; pooled 3.4%

With the model tuned on the records' questions and plan signs (kb/finetune.py, chosen on
the tune data), recalibrated, and the held-out figures printed once afterwards (in-scope /
out-of-scope flagged, as above; hybrid hit@1 held out beside them):

    hybrid     cross-validated 2.7% / 70.4%; tune 4.8%, 2.0% / 74.5%;
               held out, first: 6.0%, lay 1.9% / 94.5%; second: 2.0%, 1.2% / 100%,
               near 40%; in-scope pooled over the first 104: 3.8% (5.8% before), over
               all 234: 2.6% (3.0%)
               hit@1: lay 0.870 (0.833 before), lay-2 0.938 (0.925), pooled over the
               134 lay questions 0.910 (0.888); holdout.yaml 0.860 (0.940),
               commissioners-2 0.900 (0.900)
    semantic   cross-validated 2.5% / 69.6%; held out 6.0%, 1.9% / 87.3%; 0%, 1.2% /
               100%, near 40%
    keyword    as before, but for one out-of-scope question of 23 (95.7%)

The lay questions gained and the first commissioners' paraphrases lost four of 50: over
all 234 held-out questions, hybrid hit@1 is 210 against 211 before.

The near half of the second out-of-scope set asks about another area's integrated care or
a detail the records do not give: most share a lesson's ground, and the decision answers
them.

Reading a contraction ("doesn't", "aren't", "won't") as a stop word, as its long form is,
rather than as the pieces "doesn", "aren", "won" (kb.query.words_of), moved the first held-
out sets' in-scope share from 4.8% to 5.8% in hybrid (one lay question of 54) with the
constants as they were, and left it there recalibrated (above); the second held-out sets,
written since, were used once to choose between the two (level: equal in hybrid; in
semantic 37 against 34 of the 45 out-of-scope questions they then held flagged, but 5
against 4 of the first 104 in-scope; recalibrated, as this module's procedure has it) and
between those and 456 more curated questions (not taken: hybrid hit@1 unchanged on the
second sets, 0.940 to 0.860 and 0.833 to 0.852 on the first; semantic lay hit@1 0.750 to
0.650 on lay-2).

Before the adapter, hybrid cross-validated at 2.5% / 63.4% with the same held-out shares,
and semantic at 2.6% / 65.7%, held out 6.0%, 1.9% / 96.4%: its ranking by the adapted
cosines moved which hits the coverage signal reads, and two more in-scope questions of 104
(and two out-of-scope ones of 55) crossed its boundary.

Coverage is read from the keyword index's record of which items hold each word (as the
ranking's word features are), no longer by stemming the top hits' texts: 0.2 ms a query
rather than 0.8. Hybrid with the word features, coverage from stemmed texts: cross-
validated 2.7% / 63.2%, lay tune 2.0%; from the index, as above. Before the word features:
cross-validated 3.4% / 61.6%, lay tune 3.5%, held out as now.

The 119 everyday questions added to the records (898 to 1017, written blind to every query
set) were kept on the tune figures, recalibrated: hybrid hit@1 public 0.798 to 0.815, lay
tune 0.851 to 0.841 (two of 201), cross-validated flagging 3.2% / 60.5% to 3.4% / 61.6%.
Held out, printed once afterwards (bench/calibrate.py --held-out, bench/retrieval.py):
hybrid hit@1 on the lay questions 0.796 (unchanged), hit@3 0.926, on the paraphrases 0.880
(unchanged); flagged, in-scope 4 of 50 paraphrases and 1 of 54 lay questions (4 and 2
before: 4.8% of the 104 pooled, 5.8% before), out of scope 92.7% (unchanged). Before them,
against the blend fitted on the public questions alone (36 lay tune questions, 790 curated
ones): lay hit@1 0.796 against 0.741, paraphrases 0.880 against 0.760.

Main's three signals alone, fitted and shifted the same way, cross-validate at 4.0% /
39.5% on the same tune questions (hybrid); with the anchors 4.1% / 60.3%, with unknown
names 4.0% / 45.1%, with both as above. A previous attempt that added coverage and
"standout" features did better in cross-validation and worse held out. On the tune
questions the issue's target, 90% of out-of-scope questions flagged at 5% of in-scope
ones, is far off: what stays answered there is mostly questions near the records' own
ground (another area's integrated care contract, a Sunderland or Dudley detail the records
do not hold, integrated care boards' membership), which neither an out-of-scope topic nor
a missing name separates from in-scope questions.

Bands: strong where at least half of the public questions' first-ten hits scoring as much
are listed answers, fair where at least a quarter are (about one in seven is, overall).

Everything below is written by `bench/calibrate.py --write` (re-run it after a change of
model or data); it prints the tune figures quoted here, and with --held-out the held-out ones.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

# -- calibrated: bench/calibrate.py --write ----------------------------------------------
# (intercept, weight on cosine, on keyword score, on closest part, on coverage, on
# distinct, on adapted cosine, on adapted closest part) per mode
CURVES: dict[str, tuple[float, ...]] = {'hybrid': (-9.695, 3.147, 2.287, 2.44, 1.673, 2.482, 4.055, 3.073), 'semantic': (-7.472, 0.0, 0.0, 4.718, 0.0, 0.0, 8.762, 0.0), 'keyword': (-25.195, 0.0, 25.788, 0.0, 0.0, 0.0, 0.0, 0.0)}
# (intercept, weight on each of Signals: best cosine, top hits' coverage of the
# query, best lesson part's cosine, best out-of-scope topic's cosine, unknown name)
ANSWERED: dict[str, tuple[float, ...]] = {'hybrid': (-3.465, 1.715, 4.836, 7.508, -6.454, -3.511), 'semantic': (-2.705, 1.535, 5.411, 6.632, -6.321, -3.417), 'keyword': (-2.925, 0.0, 8.512, 0.0, 0.0, -3.107)}
# the best out-of-scope topic's cosine read where a database has no anchors
NO_ANCHORS: dict[str, float] = {'hybrid': 0.343, 'semantic': 0.346, 'keyword': 0.0}
# the lowest scores of a strong and of a fair match
STRONG, FAIR = 0.141, 0.019
# -- end calibrated ------------------------------------------------------------------------

# Coverage is read over the top five hits: over the first alone, 35% of the out-of-scope
# tune questions were flagged against 53% over five, at the same 5% of in-scope (hybrid,
# measured before the last three glossary phrases were dropped).
COVERAGE_HITS = 5
NOT_ANSWERED = "Nothing in the knowledge base answers this closely. Nearest records:"
BANDS = ("strong", "fair", "weak")


def relevance(mode: str, cosine, keyword, part, coverage=0.0, distinct=0.0, adapted=0.0,
              adapted_part=0.0):
    """From the hit's cosine with the query, its keyword score, its closest part's cosine
    (kb/items.py: lesson parts) and, in hybrid, its two word features (the share of the
    query's words it holds, and of those no close sibling holds) and its two cosines with
    the query moved by the adapter (kb/adapter.py: the hit's, its closest part's), the
    chance that it answers the query: numbers, or arrays of them for many hits at once."""
    intercept, *weights = CURVES[mode]
    features = (cosine, keyword, part, coverage, distinct, adapted, adapted_part)
    z = intercept + sum(w * x for w, x in zip(weights, features))
    return 1.0 / (1.0 + np.exp(-z))


def relative_to_best(keyword: dict[int, float]) -> dict[int, float]:
    """Hybrid's keyword side: each keyword hit's bm25 (the keyword score is x / (1 + x)
    of -bm25) over the best of the query's hits, so that the best keyword hit reads 1
    whatever the query's words (see the module's docstring)."""
    strength = {item: score / (1.0 - score) for item, score in keyword.items()}
    best = max(strength.values(), default=0.0)
    return {item: x / best for item, x in strength.items()} if best > 0 else keyword


def band(score: float) -> str:
    return "strong" if score >= STRONG else "fair" if score >= FAIR else "weak"


class Signals(NamedTuple):
    """What the answered decision reads of one query (SearchEngine.answer_signals)."""

    cosine: float      # the best cosine of any record with the query
    coverage: float    # the largest share of the query's words, by idf, one top hit holds
    part: float        # the best cosine of any lesson part (curated questions included)
    elsewhere: float   # the best cosine of any out-of-scope topic (data/elsewhere.yaml)
    unknown_name: bool  # the query names something no record mentions

    def margin(self, mode: str) -> float:
        """Signed distance from the mode's boundary: answered when at least 0."""
        intercept, *weights = ANSWERED[mode]
        return intercept + sum(w * float(x) for w, x in zip(weights, self))


def answered(mode: str, signals: Signals) -> bool:
    """Whether anything answers the query closely (see the module's docstring)."""
    return signals.margin(mode) >= 0
