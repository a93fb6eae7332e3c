"""Accuracy and macro-F1 of random label predictions, by scikit-learn (the reference for
AfinaEval's classification metrics). Writes Tests/Fixtures/eval/classification.json: cases of
(predictions, references, accuracy, macro_f1), both 0-100; cases include labels that only the
predictions use, and a class never predicted.

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
                         (30, ["1", "2", "3"], [])]:
    references = [random.choice(labels) for _ in range(n)]
    predictions = [r if random.random() < 0.6 else random.choice(labels + extra) for r in references]
    if labels[0] == "1":
        predictions = [p if p != "3" else "2" for p in predictions]   # class "3" never predicted
    cases.append({"predictions": predictions, "references": references,
                  "accuracy": 100 * accuracy_score(references, predictions),
                  "macro_f1": 100 * f1_score(references, predictions, average="macro", zero_division=0)})
with open(OUT, "w") as f:
    json.dump(cases, f, indent=0)
print("wrote", OUT)
