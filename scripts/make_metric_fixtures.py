"""Writes Tests/Fixtures/eval/metrics.json: BLEU, ROUGE-L and SARI from their reference
implementations, for AfinaEval's MetricTests.

- BLEU: sacrebleu 2.6.0 `corpus_bleu` with its defaults (13a, 4-grams, exp smoothing).
- ROUGE-L: rouge-score 0.1.2 `RougeScorer(["rougeL"], use_stemmer=False).score_multi`
  (the best reference's F per example); the corpus score is 100 * the mean F.
- SARI: HuggingFace evaluate 0.4.6's "sari" module.
- The 13a tokenizer's output (sacrebleu's `Tokenizer13a`), SARI's normalization
  (lowercase, then 13a) and rouge-score's tokens for every text, to show where a mismatch
  starts.

    pip install -r scripts/requirements.txt && python3 scripts/make_metric_fixtures.py

evaluate.load("sari") fetches the module from the Hugging Face Hub; offline, pass the file
from evaluate's repository at tag v0.4.6 (metrics/sari/sari.py): --sari PATH/sari.py.
"""
import argparse
import json
import os

import evaluate
import sacrebleu
from importlib.metadata import version
from rouge_score import rouge_scorer, tokenize
from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

LONG_SOURCE = (
    "The committee, which had been meeting since early March, finally agreed on Tuesday that the "
    "new bridge across the river would be built by a consortium of three local firms, at a cost of "
    "roughly 42.5 million euros, and that work should begin no later than the spring of 2026."
)
LONG_PREDICTION = (
    "The committee met since early March and agreed on Tuesday that three local firms would build "
    "the new bridge over the river for about 42.5 million euros, with work starting by spring 2026."
)
LONG_REFERENCES = [
    "On Tuesday the committee agreed that a group of three local firms will build the new bridge "
    "across the river for roughly 42.5 million euros; work must begin by the spring of 2026.",
    "After meeting since early March, the committee agreed on Tuesday: three local firms will build "
    "the bridge for about 42.5 million euros, starting no later than spring 2026.",
]

# (name, sources, predictions, references per prediction). Sources matter only to SARI.
CASES = [
    ("identical", ["The cat sat on the mat."], ["The cat sat on the mat."], [["The cat sat on the mat."]]),
    ("one word changed", ["The cat sat on the mat."], ["The cat sat on a mat."], [["The cat sat on the mat."]]),
    ("spelling correction", ["recieve", "definately", "teh"], ["receive", "definitely", "teh"],
     [["receive"], ["definitely"], ["the"]]),
    ("punctuation", ["Hello world test x y a b c d q single"],
     ["Hello, world! (test) [x] {y} a/b; c:d \"q\" 'single' ~`^_|\\#$%*+=<>?@"],
     [["Hello world! (test) [x] {y} a/b: c;d 'q' \"single\""]]),
    ("numbers", ["The price is 1000.50 dollars, up 3.5 percent from 2020 to 2021."],
     ["The price is 1,000.50 dollars, up 3.5% from 2020-2021."],
     [["The price was 1,000.50 dollars - up 3.5 % since 2020 - 2021.", "Price: $1,000.50 (+3.5%), 2020-2021"]]),
    ("periods and commas", ["a.,b 3.14 1,2"], ["a.,b 3.14 1,2 .5 5. x-1 1-x -- U.S.A. e.g., ,,, ..."],
     [["a . , b 3.14 1,2 .5 5 . x - 1 1 - x -- U.S.A. e.g. ,"]]),
    ("empty prediction", ["Something was said here."], [""], [["Something was said."]]),
    ("empty reference among others", ["kept words here"], ["kept words"], [["", "kept words here", "words"]]),
    ("all predictions empty", ["one", "two words"], ["", ""], [["one"], ["two words"]]),
    ("empty source", [""], ["brand new text"], [["brand new text", "new text"]]),
    ("multiple references, varying count", ["It is a guide to action.", "He read the book.", "Go now"],
     ["It is a guide to action which ensures that the military always obeys the commands of the party.",
      "He read the book because he was interested in world history.", "Go now!"],
     [["It is a guide to action that ensures that the military will forever heed Party commands.",
       "It is the guiding principle which guarantees the military forces always being under the command of the Party.",
       "It is the practical guide for the army always to heed the directions of the party."],
      ["He was interested in world history because he read the book."],
      ["Leave now!", "Go right now.", "Go now!", "Now go."]]),
    ("closest reference length tie", ["a b c d"], ["a b c d"], [["a b c d e", "a b c"]]),
    ("brevity penalty", ["the quick brown fox jumps over the lazy dog"], ["the quick brown fox jumps"],
     [["the quick brown fox jumps over the lazy dog"]]),
    ("longer than references", ["a cat"], ["the cat is on the mat and the dog is on the rug and all is well"],
     [["the cat is on the mat"]]),
    ("smoothing: no 3-gram match", ["x"], ["alpha beta gamma delta alpha epsilon"],
     [["alpha beta zeta delta alpha omega"]]),
    ("shorter than four tokens", ["Paris", "in Rome"], ["Paris", "in Rome"], [["Paris"], ["in Rome"]]),
    ("no overlap", ["completely different"], ["completely different"], [["nothing alike here"]]),
    ("case differs", ["The Cat"], ["THE CAT SAT"], [["the cat sat"]]),
    ("unicode letters", ["naive cafe Tokyo street", "ΟΔΟΣ ΣΟΦΙΑΣ"],
     ["naïve café — 東京 Straße", "ΟΔΟΣ ΣΟΦΙΑΣ Σ ΑΣ."],
     [["naive cafe 東京 Strasse", "naïve café, 東京, Straße"], ["οδος σοφιας", "ΟΔΟΣ ΣΟΦΙΑΣ"]]),
    ("case mapping edge cases", ["İSTANBUL \u212aelvin"], ["İstanbul \u212aelvin ǅemal ẞ"],
     [["i\u0307stanbul kelvin ǆemal ß"]]),
    ("combining characters", ["e\u0301te\u0301"], ["e\u0301te\u0301 cafe\u0301"], [["été café"]]),
    ("emoji and other scripts", ["ok 👍"], ["ok 👍🏽 مرحبا नमस्ते 👨‍👩‍👧"], [["ok 👍🏽", "مرحبا नमस्ते"]]),
    ("html entities", ["quoted and tag"], ["&quot;quoted&quot; &amp; &lt;tag&gt; AT&amp;T &amp;lt; &nbsp;"],
     [["\"quoted\" & <tag> AT&T &lt;"]]),
    ("markup and line ends", ["line one line two"], ["line one-\ntwo <skipped>three\nfour\n"],
     [["line onetwo three four", "line one-\n"]]),
    ("python whitespace", ["a b c d"], ["a\x1cb\u3000c\u00a0d\u200be\tf  g\r\n"], [["a b c d\u200be f g"]]),
    ("contractions and hyphens", ["It is a well known state of the art method"],
     ["It's a well-known, state-of-the-art method — isn't it?"],
     [["It's a well-known state-of-the-art method.", "it is a well known method"]]),
    ("sari documentation example", ["About 95 species are currently accepted ."], ["About 95 you now get in ."],
     [["About 95 species are currently known .", "About 95 species are now accepted .", "95 species are now accepted ."]]),
    ("sari: unchanged source", ["About 95 species are currently accepted ."], ["About 95 species are currently accepted ."],
     [["About 95 species are currently known .", "About 95 species are now accepted ."]]),
    ("sari: deletions", ["The very old man, who lived alone in a small house, walked slowly to the shop."],
     ["The old man walked to the shop.", ],
     [["The old man walked to the shop.", "The old man who lived alone walked to the shop."]]),
    ("sari: additions and repeats", ["the the cat cat cat sat"], ["the the the dog dog sat quietly"],
     [["the cat sat", "the the cat sat quietly"], ]),
    ("long sentence", [LONG_SOURCE], [LONG_PREDICTION], [LONG_REFERENCES]),
    ("mixed corpus", ["recieve", LONG_SOURCE, "", "Hello world"],
     ["receive", LONG_PREDICTION, "new", "Hello, World!"],
     [["receive"], LONG_REFERENCES, ["new", "fresh"], ["Hello world", "hello, world"]]),
]


def bleu(predictions, references):
    # sacrebleu takes reference streams (the k-th reference of every segment); a segment
    # with fewer references pads with None.
    width = max(len(r) for r in references)
    streams = [[r[k] if k < len(r) else None for r in references] for k in range(width)]
    return sacrebleu.corpus_bleu(predictions, streams).score


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sari", default="sari", help="evaluate module name or path to sari.py")
    args = parser.parse_args()
    sari = evaluate.load(args.sari)
    rouge = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
    sari13a = Tokenizer13a()

    cases, texts = [], []
    for name, sources, predictions, references in CASES:
        assert len(sources) == len(predictions) == len(references)
        rouge_f = [rouge.score_multi(refs, p)["rougeL"].fmeasure for p, refs in zip(predictions, references)]
        sari_sentences = [sari.compute(sources=[s], predictions=[p], references=[r])["sari"]
                          for s, p, r in zip(sources, predictions, references)]
        cases.append({
            "name": name,
            "sources": sources,
            "predictions": predictions,
            "references": references,
            "bleu": bleu(predictions, references),
            "bleu_sentences": [bleu([p], [r]) for p, r in zip(predictions, references)],
            "rouge_l": sum(rouge_f) / len(rouge_f) * 100,
            "rouge_l_sentences": rouge_f,
            "sari": sari.compute(sources=sources, predictions=predictions, references=references)["sari"],
            "sari_sentences": sari_sentences,
        })
        for text in sources + predictions + [r for refs in references for r in refs]:
            if text not in texts:
                texts.append(text)

    tokenizations = [{
        "text": t,
        "tok_13a": Tokenizer13a()(t),
        "sari_normalized": sari13a(t.lower()),
        "rouge_tokens": tokenize.tokenize(t, None),
    } for t in texts]

    out = {
        "versions": {"sacrebleu": sacrebleu.__version__, "rouge-score": version("rouge-score"),
                     "evaluate": evaluate.__version__},
        "cases": cases,
        "tokenizations": tokenizations,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "eval", "metrics.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"{len(cases)} cases, {len(tokenizations)} texts -> {os.path.normpath(path)}")


if __name__ == "__main__":
    main()
