"""Writes chrf_cases.json: corpus and sentence chrF (sacrebleu's CHRF defaults: character
6-grams, beta 2, no word n-grams, whitespace removed) for AfinaEval's CHRFTests.

    pip install sacrebleu==2.6.0 && python3 scripts/make_chrf_fixtures.py
"""
import json
import os

import sacrebleu
from sacrebleu.metrics import CHRF

CORPORA = [
    # (hypotheses, references per hypothesis)
    (["The cat sat on the mat.", "hello world"], [["The cat sat on a mat."], ["hello, world!"]]),
    (["Paris", "Berlin.", "", "Rome"], [["Paris"], ["Bonn", "Berlin"], ["Madrid"], ["Roma", "Rome city"]]),
    (["a", "ab", "abcdefgh"], [["abc"], ["a"], ["abcdefghij"]]),
    (["naïve café — 東京", "e\u0301t\u00e9"], [["naive cafe Tokyo", "naïve café 東京"], ["\u00e9t\u00e9"]]),
    (["  spaced   out\ttext\n", "same"], [["spacedout text"], ["same"]]),
    (["completely different", "xyz"], [["nothing alike here"], ["q"]]),
]


def score(hyps, refs):
    width = max(len(r) for r in refs)
    streams = [[r[k] if k < len(r) else None for r in refs] for k in range(width)]
    chrf = CHRF()
    return {
        "hypotheses": hyps,
        "references": refs,
        "corpus": chrf.corpus_score(hyps, streams).score,
        "sentences": [CHRF().sentence_score(h, r).score for h, r in zip(hyps, refs)],
    }


out = {"sacrebleu": sacrebleu.__version__, "cases": [score(h, r) for h, r in CORPORA]}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "eval", "chrf_cases.json")
with open(path, "w", encoding="utf-8") as f:
    json.dump(out, f, ensure_ascii=False, indent=1)
    f.write("\n")
