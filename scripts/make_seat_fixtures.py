"""SEAT effect sizes and exact one-sided permutation p-values (May et al. 2019, "On Measuring
Social Biases in Sentence Encoders"; Caliskan et al. 2017's WEAT) on random sentence
embeddings: the reference for AfinaEval's SEAT.

The statistics are a port of sent-bias's `sentbias/weat.py` (github.com/W4ngatang/sent-bias,
commit e3559fb): cosine similarity, s(w, A, B) = mean_a cos(w, a) - mean_b cos(w, b), effect
size over the sample standard deviation (ddof=1) of s(w) on X u Y, and the exact p-value as the
fraction of re-partitions (X_i, Y_i) of X u Y, |X_i| = |X|, with sum_{X_i} s >= sum_X s (ties
count, "conservative"; the observed partition is one of them). The only change: sent-bias
asserts |X| = |Y|; the port does not, since the same argument holds for unequal sizes (the
third test has 7 and 6 target sentences).

wefe 1.0.1's WEAT is not used: it divides by the population standard deviation (ddof=0), has
no exact test (method="exact" raises NotImplementedError), its approximate test draws target
words with replacement rather than re-partitioning them, and it pins numpy<=1.26.4.

Writes Tests/Fixtures/bias/seat_tests.jsonl (the tests, in the tests-file format; key order
is X, Y and A, B) and Tests/Fixtures/bias/seat.json (a float32 vector per distinct sentence,
and per test the set names, the effect size, the exact p-value and the number of partitions).

    /tmp/venv/bin/python scripts/make_seat_fixtures.py
"""
import itertools as it
import json
import math
import os

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "bias")
DIM = 16


def cossim(x, y):
    return np.dot(x, y) / math.sqrt(np.dot(x, x) * np.dot(y, y))


def s_wAB(W, A, B):
    """s(w, A, B) for each row w of W."""
    return np.array([np.mean([cossim(w, a) for a in A]) - np.mean([cossim(w, b) for b in B]) for w in W])


def effect_size(X, Y, A, B):
    s_x, s_y = s_wAB(X, A, B), s_wAB(Y, A, B)
    return (np.mean(s_x) - np.mean(s_y)) / np.std(np.concatenate((s_x, s_y)), ddof=1)


def exact_p_value(X, Y, A, B):
    """sent-bias's exact test: sum_{x in X_i} s(x) is monotone in the statistic
    sum_{X_i} s - sum_{Y_i} s, so it is what the partitions are compared on."""
    memo = s_wAB(np.concatenate((X, Y)), A, B)
    observed = memo[: len(X)].sum()
    at_least = total = 0
    for Xi in it.combinations(range(len(memo)), len(X)):
        at_least += memo[list(Xi)].sum() >= observed
        total += 1
    return at_least / total, total


rng = np.random.default_rng(2019)
# (name, {target set: size}, {attribute set: size}, shift): `shift` moves X and A towards one
# random direction, so that test has a clear association and a small p-value.
# The set names are labels only; each test's first key sorts after its second, so reading the
# keys in any order but the file's would flip the sign of the effect.
cases = [
    ("shifted", {"Zeta": 6, "Alpha": 6}, {"Plus": 7, "Minus": 8}, 0.6),
    ("random", {"Odd": 8, "Even": 8}, {"Up": 6, "Down": 6}, 0.0),
    ("unequal", {"Seven": 7, "Six": 6}, {"North": 8, "East": 7}, 0.3),
]
vectors = {}
lines, expected = [], []
for name, targets, attributes, shift in cases:
    sets = {set_name: [f"{name}: a {set_name} sentence, number {i}." for i in range(size)]
            for set_name, size in list(targets.items()) + list(attributes.items())}
    names = list(sets)
    if name == "shifted":
        # A sentence in both X and A: embedded once, counted in both sets.
        sets[names[2]][0] = sets[names[0]][0]
    direction = rng.standard_normal(DIM)
    for position, set_name in enumerate(names):
        for sentence in sets[set_name]:
            if sentence not in vectors:
                v = rng.standard_normal(DIM) + (shift * direction if position in (0, 2) else 0)
                vectors[sentence] = [float(x) for x in v.astype(np.float32)]
    X, Y, A, B = (np.array([vectors[s] for s in sets[n]], dtype=np.float64) for n in names)
    p, partitions = exact_p_value(X, Y, A, B)
    lines.append(json.dumps({"name": name, "targets": {n: sets[n] for n in names[:2]},
                             "attributes": {n: sets[n] for n in names[2:]}}))
    expected.append({"name": name, "targets": names[:2], "attributes": names[2:],
                     "effect_size": effect_size(X, Y, A, B), "p_value": p, "partitions": partitions})

with open(os.path.join(OUT, "seat_tests.jsonl"), "w") as f:
    f.write("\n".join(lines) + "\n")
with open(os.path.join(OUT, "seat.json"), "w") as f:
    json.dump({"vectors": vectors, "tests": expected}, f, indent=1)
for e in expected:
    print(e)
