"""Writes the SentencePiece tokenizer fixtures under Tests/Fixtures/tokenizer/ (pinned stack:
requirements.txt, plus `gguf` and `sentencepiece` for transformers' GGUF reader).

  gemma3/expected.json  ids of STRINGS from the tokenizer transformers builds out of Gemma 3
                        270M's GGUF (GEMMA_GGUF; the 262k-token tokenizer.json is not committed,
                        the tests read the GGUF itself when it is present).
  spm-*/                tiny tokenizers built here with `tokenizers`: one SentencePiece BPE
                        vocabulary with byte fallback trained on CORPUS, behind each pipeline
                        real files use (Metaspace with each prepend_scheme and split; the Llama 2
                        normalizer Prepend + Replace; Gemma's Replace + Split(" ")), one without
                        byte fallback (unknown scalars fused into <unk>), and a Unigram model
                        with and without byte fallback. Each has added tokens with every flag.
  spm-equivalent/       a hand-made vocabulary whose pieces include canonically equivalent
                        spellings ("é" and "e" + U+0301), each its own id.

Each folder's expected.json has, for each string, the ids with and without special tokens and
`tokenizers`' decode with and without special tokens (transformers' decode is checked to agree).

    /tmp/venv/bin/python scripts/make_sentencepiece_fixtures.py
"""

import hashlib
import json
import os
from pathlib import Path

from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors, trainers
from tokenizers.models import BPE, Unigram
from transformers import AutoTokenizer

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Fixtures" / "tokenizer"
GEMMA_GGUF = Path(os.environ.get("GEMMA_GGUF", "/tmp/gemma/gemma-3-270m-q4_k_m.gguf"))

STRINGS = [
    "",
    " ",
    "Hello world",
    " leading space",
    "   three leading spaces",
    "trailing spaces   ",
    "several    spaces   between words",
    "line one\nline two\n\nline four\r\n",
    "tabs\tand\t\tmore tabs",
    "forty spaces:" + " " * 40 + "end",
    "El niño comió jalapeños en la Ciudad de México: ¿qué más?",
    "Ça coûte 5 € — déjà vu, naïve café",
    "emoji 😀👍🏽 and 👨‍👩‍👧 family",
    "rare CJK 𠀀𪜀𫝀 and 龘",
    "control\u0001chars\u0007and\u001b[0m escapes",
    "def f(x):\n    return x ** 2  # square\n",
    "for (int i = 0; i < n; ++i) { sum += a[i]; }",
    "<start_of_turn>user\nWhat is 2+2?<end_of_turn>\n<start_of_turn>model\n4<end_of_turn>",
    "<bos>text after bos",
    "a <tool> b<tool>c [w] x[w]y",
    "e\u0301 combining a\u0308 and \u2581 literal metaspace",
    "ｆｕｌｌｗｉｄｔｈ ＡＢＣ and ﬁ ligature",
]

CORPUS = [
    "Hello world, this is a small corpus for a tiny SentencePiece model.",
    "The quick brown fox jumps over the lazy dog while the cat sleeps.",
    "El niño come manzanas y la niña bebe agua en la ciudad.",
    "def main():\n    print('hello world')\n    return 0\n",
    "for i in range(10): total += i * i",
    "Tokenizers split text into pieces; pieces become ids.",
    "A rose is a rose is a rose. Words repeat, and repeated words merge.",
] * 20

ADDED = [
    AddedToken("<start_of_turn>", special=True, normalized=False),
    AddedToken("<end_of_turn>", special=True, normalized=False),
    AddedToken("<tool>", special=False, normalized=False, lstrip=True, rstrip=True),
    AddedToken("[w]", special=False, normalized=False, single_word=True),
]
BYTES = [f"<0x{b:02X}>" for b in range(256)]


def cases(tokenizer: Tokenizer, strings=STRINGS, check=None) -> list[dict]:
    result = []
    for text in strings:
        ids = tokenizer.encode(text).ids
        if check is not None:
            assert check(text)["input_ids"] == ids, text
        result.append({
            "text": text,
            "ids": ids,
            "ids_without_special": tokenizer.encode(text, add_special_tokens=False).ids,
            "decoded": tokenizer.decode(ids, skip_special_tokens=False),
            "decoded_skip_special": tokenizer.decode(ids, skip_special_tokens=True),
        })
    return result


def write(folder: str, expected: dict, tokenizer: Tokenizer | None = None) -> None:
    path = OUT / folder
    path.mkdir(parents=True, exist_ok=True)
    if tokenizer is not None:
        tokenizer.save(str(path / "tokenizer.json"))
    (path / "expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=1) + "\n")


def gemma() -> None:
    if not GEMMA_GGUF.exists():
        print(f"skipping gemma3: {GEMMA_GGUF} is absent")
        return
    hf = AutoTokenizer.from_pretrained(str(GEMMA_GGUF.parent), gguf_file=GEMMA_GGUF.name)
    sha = hashlib.sha256(GEMMA_GGUF.read_bytes()).hexdigest()
    expected = {"gguf": GEMMA_GGUF.name, "sha256": sha, "cases": cases(hf.backend_tokenizer, check=hf)}
    for case in expected["cases"]:
        assert hf.decode(case["ids"]) == case["decoded"], case["text"]
    write("gemma3", expected)


def trained_bpe() -> Tokenizer:
    tokenizer = Tokenizer(BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    trainer = trainers.BpeTrainer(vocab_size=700, special_tokens=["<unk>", "<s>", "</s>"] + BYTES, show_progress=False)
    tokenizer.train_from_iterator(CORPUS, trainer)
    return tokenizer


def with_pipeline(base: Tokenizer, normalizer=None, pre_tokenizer=None, decoder=None, byte_fallback=True) -> Tokenizer:
    tokenizer = Tokenizer.from_str(base.to_str())
    tokenizer.model.byte_fallback = byte_fallback
    tokenizer.normalizer = normalizer
    tokenizer.pre_tokenizer = pre_tokenizer
    tokenizer.decoder = decoder
    tokenizer.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", 1)])
    tokenizer.add_tokens(ADDED)
    return tokenizer


def tiny() -> None:
    bpe = trained_bpe()
    fused = decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse()])
    stripped = decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)])
    variants = {
        "spm-metaspace-first": dict(pre_tokenizer=pre_tokenizers.Metaspace(prepend_scheme="first", split=False), decoder=stripped),
        "spm-metaspace-always-split": dict(pre_tokenizer=pre_tokenizers.Metaspace(prepend_scheme="always", split=True),
                                           decoder=decoders.Metaspace(prepend_scheme="always")),
        "spm-metaspace-never": dict(pre_tokenizer=pre_tokenizers.Metaspace(prepend_scheme="never", split=False), decoder=fused),
        "spm-prepend-replace": dict(normalizer=normalizers.Sequence([normalizers.Prepend("\u2581"), normalizers.Replace(" ", "\u2581")]),
                                    decoder=stripped),
        "spm-gemma": dict(normalizer=normalizers.Replace(" ", "\u2581"),
                          pre_tokenizer=pre_tokenizers.Split(" ", behavior="merged_with_previous"), decoder=fused),
        "spm-unknown": dict(pre_tokenizer=pre_tokenizers.Metaspace(prepend_scheme="first", split=False), decoder=stripped,
                            byte_fallback=False),
    }
    for name, pipeline in variants.items():
        tokenizer = with_pipeline(bpe, **pipeline)
        write(name, {"cases": cases(tokenizer)}, tokenizer)

    unigram = Tokenizer(Unigram())
    unigram.pre_tokenizer = pre_tokenizers.Metaspace(prepend_scheme="always", split=True)
    trainer = trainers.UnigramTrainer(vocab_size=300, special_tokens=["<unk>", "<s>", "</s>"], unk_token="<unk>", show_progress=False)
    unigram.train_from_iterator(CORPUS, trainer)
    pieces = json.loads(unigram.to_str())["model"]["vocab"]
    for name, byte_fallback in [("spm-unigram", False), ("spm-unigram-bytes", True)]:
        vocab = [tuple(piece) for piece in pieces] + ([(b, -30.0) for b in BYTES] if byte_fallback else [])
        tokenizer = Tokenizer(Unigram(vocab, unk_id=0, byte_fallback=byte_fallback))
        tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(prepend_scheme="always", split=True)
        tokenizer.decoder = decoders.Metaspace(prepend_scheme="always")
        tokenizer.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 2)])
        tokenizer.add_tokens(ADDED)
        write(name, {"cases": cases(tokenizer)}, tokenizer)
    equivalent = equivalent_pieces()
    write("spm-equivalent", {"cases": cases(equivalent, EQUIVALENT)}, equivalent)


# Pieces equal under Unicode canonical equivalence but spelled differently: each is its own id.
EQUIVALENT = ["\u00e9 e\u0301 \u00e4 a\u0308", "\u00e9e\u0301\u00e9", "\uac01 \u1100\u1161\u11a8", "cafe\u0301 caf\u00e9"]


def equivalent_pieces() -> Tokenizer:
    """A hand-made SentencePiece BPE vocabulary holding "é" and "e" + U+0301, "ä" and "a" + U+0308,
    and the Hangul syllable "각" and its conjoining jamo, each pair as two distinct pieces."""
    pieces = ["<unk>", "<s>", "</s>"] + BYTES + ["\u2581", "e", "\u0301", "\u00e9", "a", "\u0308", "\u00e4", "c", "f",
                                               "\uac01", "\u1100", "\u1161", "\u11a8"]
    merges = [("e", "\u0301"), ("a", "\u0308"), ("\u2581", "\u00e9"), ("\u2581", "e\u0301"), ("\u1100", "\u1161"),
              ("\u1100\u1161", "\u11a8"), ("c", "a"), ("ca", "f"), ("\u2581", "caf")]
    for left, right in merges:
        pieces.append(left + right)
    vocab = {piece: i for i, piece in enumerate(pieces)}
    assert len(vocab) == len(pieces)
    tokenizer = Tokenizer(BPE(vocab, merges, unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(prepend_scheme="first", split=False)
    tokenizer.decoder = decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse(),
                                           decoders.Strip(" ", 1, 0)])
    tokenizer.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 1)])
    return tokenizer


if __name__ == "__main__":
    tiny()
    gemma()
