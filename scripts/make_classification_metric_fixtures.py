"""Accuracy and macro-F1 of random label predictions, by scikit-learn (the reference for
AfinaEval's classification metrics): labels compared lower-cased, macro-F1 over the
references' labels (f1_score(average="macro", labels=...)). Writes
Tests/Fixtures/eval/classification.json: cases of (predictions, references, accuracy,
macro_f1), both 0-100; cases include answers that are no label, a class never predicted, and
answers that differ from their label in case only.

    python3 scripts/make_classification_metric_fixtures.py
"""
import json
import os
import random

from sklearn.metrics import accuracy_score, f1_score

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "eval", "classification.json")
random.seed(3)
cases = []
for n, labels, extra in [(50, ["neg", "pos"], []), (120, ["a", "b", "c", "d"], ["e"]), (7, ["x", "y", "z"], []),
                         (30, ["1", "2", "3"], []), (40, ["positive", "negative"], ["Positive", "NEGATIVE", "maybe"])]:
    references = [random.choice(labels) for _ in range(n)]
    predictions = [r if random.random() < 0.6 else random.choice(labels + extra) for r in references]
    if labels[0] == "1":
        predictions = [p if p != "3" else "2" for p in predictions]   # class "3" never predicted
    gold, answers = [r.lower() for r in references], [p.lower() for p in predictions]
    cases.append({"predictions": predictions, "references": references,
                  "accuracy": 100 * accuracy_score(gold, answers),
                  "macro_f1": 100 * f1_score(gold, answers, labels=sorted(set(gold)), average="macro", zero_division=0)})
with open(OUT, "w") as f:
    json.dump(cases, f, indent=0)
print("wrote", OUT)
