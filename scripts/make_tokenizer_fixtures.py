"""Writes the tokenizer fixtures under Tests/Fixtures/tokenizer/ (pinned stack: requirements.txt).

No model hub is reachable, so each reference tokenizer is rebuilt with the `tokenizers` library
from the vocabulary and merges of a real GGUF file, using the model's real Hugging Face pipeline:

  smollm2/  SmolLM2-135M-Instruct: no normalizer, Sequence[Digits(individual_digits=True),
            ByteLevel(add_prefix_space=False, use_regex=True)], the 17 control tokens as special
            added tokens (they are also in the BPE vocabulary, as in the real tokenizer.json).
  qwen2/    Qwen2.5-Coder-0.5B-Instruct: NFC normalizer, Sequence[Split(Qwen2 regex, isolated),
            ByteLevel(add_prefix_space=False, use_regex=False)], BPE vocabulary = the normal
            tokens, added tokens = control (special) and user-defined (not special) tokens.

Each folder gets tokenizer.json, tokenizer_config.json and expected.json (for each of STRINGS:
ids, decoded text, each id decoded alone, and the pre-tokenizer's words). pretokenizer_cases.json
holds random strings of tricky characters and the words each pre-tokenizer (GPT-2, SmolLM,
Qwen2, Llama 3) cuts them into.
The script also encodes STRINGS with transformers' own GGUF conversion
(`AutoTokenizer.from_pretrained(dir, gguf_file=name)`) and prints where it differs.

    python3 scripts/make_tokenizer_fixtures.py
"""

import json
import os
import random
import sys
from pathlib import Path

from gguf import GGUFReader
from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import BPE
from transformers.convert_slow_tokenizer import bytes_to_unicode

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Fixtures" / "tokenizer"
CACHE = Path(os.environ.get("AFINA_CACHE", Path.home() / ".cache" / "afina")) / "models"
SMOLLM2_GGUF = CACHE / "smollm2-135m-instruct" / "SmolLM2-135M-Instruct.Q4_1.gguf"
QWEN2_GGUF = CACHE / "qwen2.5-coder-0.5b-instruct" / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"

LLAMA3_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
QWEN2_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)

STRINGS = [
    "",
    "Hello, world!",
    "The quick brown fox jumps over the lazy dog.",
    "I'm sure it's fine: they'll say we've done what I'd do, you're right, don't",
    "HE'S HERE, WE'LL SEE, SHE'D GO 'LL 's 'S it'ſ",
    "naïve café résumé déjà vu — Ångström Þór",
    "Cafe\u0301 e\u0301te\u0301 n\u0303",
    "café cafe\u0301 é e\u0301 \u2000x \u2002x \u212b \u00c5",
    "日本語のテキストと中文文本，还有한국어 텍스트 \u1100\u1161\u11a8 \u1113\u1165\u11f7",
    "Привет, мир! Как дела? Ёлка",
    "مرحبا بالعالم، كيف حالك؟",
    "नमस्ते दुनिया สวัสดีครับ",
    "Emoji: 😀👍🏽 🇫🇷 👨‍👩‍👧‍👦 ❤️‍🔥 🏳️‍🌈!",
    "def main():\n\tif x == 1:\n\t\treturn [i ** 2 for i in range(10)]\n    pass\n\n\n",
    "    for (int i = 0; i < n; ++i) {\n        sum += a[i];\n    }\n",
    "¿Dónde está la biblioteca? ¡Mañana será otro día, señor!",
    "1234567 3.14 -0.001 1,000,000 2024-01-15 v1.2.3 ١٢٣ ½ Ⅻ x²",
    "a  b   c    d\n\n\ne\r\n\r\nf \n g\t\t h",
    "trailing spaces   ",
    "   leading spaces",
    "\n\n\n",
    " ",
    "<|im_start|>user\nhi<|im_end|>",
    "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>assistant\n",
    "text<|endoftext|>more <|endoftext|> end<|im_end|><|im_end|>",
    "<|im_start| not special <|im_end",
    "<tool_call>{\"name\": \"f\"}</tool_call> <|fim_prefix|>def f():<|fim_suffix|>",
    "x\u00a0y\u3000z\u2028w\u0085v \u00a0\u00a0u",
    "zero\u200bwidth\u200djoiner and \ufeffBOM",
    "\u0000\u0001 control \u001f chars \u007f",
    "Math: ∑ x² ≤ ∞, α+β=γ, ∀ε>0",
    "mixed123abc456 _under_score__ CamelCaseWord $money @user #tag https://example.com/a?b=c&d=e",
    "supercalifragilisticexpialidocious antidisestablishmentarianism " + "a" * 300,
]


def read_gguf_vocab(path):
    """(tokens, token types, merges) from a GGUF file's tokenizer keys."""
    reader = GGUFReader(str(path))

    def strings(key):
        field = reader.fields[key]
        return [bytes(field.parts[i]).decode("utf-8") for i in field.data]

    types = reader.fields["tokenizer.ggml.token_type"]
    return strings("tokenizer.ggml.tokens"), [int(types.parts[i][0]) for i in types.data], strings("tokenizer.ggml.merges")


def bpe(vocab, merges):
    return BPE(vocab=vocab, merges=[tuple(m.split(" ")) for m in merges], dropout=None, unk_token=None,
               continuing_subword_prefix="", end_of_word_suffix="", fuse_unk=False, byte_fallback=False)


def smollm2_tokenizer(tokens, types, merges):
    tok = Tokenizer(bpe({t: i for i, t in enumerate(tokens)}, merges))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True),
    ])
    tok.post_processor = processors.ByteLevel(add_prefix_space=True, trim_offsets=False, use_regex=True)
    tok.decoder = decoders.ByteLevel(add_prefix_space=True, trim_offsets=True, use_regex=True)
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False)
                            for t, k in zip(tokens, types) if k == 3])
    return tok


def qwen2_tokenizer(tokens, types, merges):
    tok = Tokenizer(bpe({t: i for i, (t, k) in enumerate(zip(tokens, types)) if k == 1}, merges))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_SPLIT), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
    ])
    tok.post_processor = processors.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    tok.decoder = decoders.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    # Added in id order so each keeps its GGUF id (they follow the normal tokens).
    for i, (t, k) in enumerate(zip(tokens, types)):
        if k in (3, 4):
            tok.add_tokens([AddedToken(t, special=(k == 3), normalized=False)])
            assert tok.token_to_id(t) == i, (t, i, tok.token_to_id(t))
    return tok


def invalid_utf8_cases(tok, count=200, seed=11):
    """Random byte tokens, biased to break UTF-8, and how `decode` replaces the invalid parts."""
    spelling = bytes_to_unicode()
    pool = [0x41, 0x20, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF]
    pool = [b for b in pool if tok.token_to_id(spelling[b]) is not None]
    rng = random.Random(seed)
    cases = []
    for _ in range(count):
        ids = [tok.token_to_id(spelling[rng.choice(pool)]) for _ in range(rng.randint(1, 10))]
        cases.append({"ids": ids, "decoded": tok.decode(ids, skip_special_tokens=False)})
    return cases


def transformers_gguf_ids(path):
    """Ids from transformers' own GGUF tokenizer conversion, or None where it fails."""
    from transformers import AutoTokenizer
    try:
        tok = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
    except Exception as error:  # report and go on: the reference is the rebuilt pipeline
        print(f"  transformers' GGUF conversion failed: {error}")
        return None
    print(f"  transformers' GGUF tokenizer: {type(tok).__name__}, bos {tok.bos_token!r}, eos {tok.eos_token!r}, "
          f"pad {tok.pad_token!r}, unk {tok.unk_token!r}, ids of '' {tok('')['input_ids']}, "
          f"pre_tokenizer {tok.backend_tokenizer.pre_tokenizer.__getstate__()[:120]!r}, "
          f"normalizer {tok.backend_tokenizer.normalizer and tok.backend_tokenizer.normalizer.__getstate__()!r}")
    return [tok(s)["input_ids"] for s in STRINGS]


def write(name, gguf_path, build, config):
    tokens, types, merges = read_gguf_vocab(gguf_path)
    tok = build(tokens, types, merges)
    folder = OUT / name
    folder.mkdir(parents=True, exist_ok=True)
    tok.save(str(folder / "tokenizer.json"), pretty=False)
    (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n")
    cases = []
    for s in STRINGS:
        ids = tok.encode(s).ids
        normalized = tok.normalizer.normalize_str(s) if tok.normalizer else s
        cases.append({"text": s, "ids": ids, "decoded": tok.decode(ids, skip_special_tokens=False),
                      "decoded_skip_special": tok.decode(ids, skip_special_tokens=True),
                      "pieces": [tok.decode([i], skip_special_tokens=False) for i in ids],
                      "words": [w for w, _ in tok.pre_tokenizer.pre_tokenize_str(normalized)]})
    (folder / "expected.json").write_text(json.dumps({"gguf": gguf_path.name, "cases": cases,
                                                      "invalid_utf8": invalid_utf8_cases(tok)},
                                                     ensure_ascii=False, indent=1) + "\n")
    size = (folder / "tokenizer.json").stat().st_size
    print(f"{name}: vocab {tok.get_vocab_size()}, tokenizer.json {size / 1e6:.2f} MB, {len(cases)} cases")

    reference = [c["ids"] for c in cases]
    theirs = transformers_gguf_ids(gguf_path)
    if theirs is not None:
        for s, ours, other in zip(STRINGS, reference, theirs):
            if ours != other:
                at = next((i for i, (a, b) in enumerate(zip(ours, other)) if a != b), min(len(ours), len(other)))
                print(f"  transformers' GGUF tokenizer differs on {s[:60]!r} from id {at}:\n"
                      f"    real pipeline {[tok.id_to_token(i) for i in ours[at:at + 8]]}\n"
                      f"    transformers  {[tok.id_to_token(i) for i in other[at:at + 8]]}")
    return tok


def write_pretokenizer_cases(count=400, seed=7):
    """Random strings over characters that stress the split rules, and each pre-tokenizer's words."""
    alphabet = list("aZé日ß'sStTlLrReEvVdDmM  \t\n\r09١½Ⅻ.,!?-_(\")") + [
        "\u00a0", "\u3000", "\u0085", "\u2028", "\u0301", "\u200b", "\u017f", "😀", "\u001f", "ǅ", "ʰ"]
    rng = random.Random(seed)
    regex = {name: pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(split), behavior="isolated"),
                                            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
             for name, split in (("qwen2", QWEN2_SPLIT), ("llama3", LLAMA3_SPLIT))}
    splitters = {
        "gpt2": pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
        "smollm": pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                           pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)]),
        **regex,
    }
    cases = []
    for _ in range(count):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 24)))
        cases.append({"text": text, **{name: [w for w, _ in p.pre_tokenize_str(text)] for name, p in splitters.items()}})
    path = OUT / "pretokenizer_cases.json"
    path.write_text(json.dumps({"seed": seed, "cases": cases}, ensure_ascii=False, indent=1) + "\n")
    print(f"pretokenizer_cases.json: {count} random strings")


def main():
    write_pretokenizer_cases()
    if not SMOLLM2_GGUF.exists():
        sys.exit(f"missing {SMOLLM2_GGUF}: run `afina pull smollm2-135m-instruct` first")
    # As SmolLM2-135M-Instruct's own tokenizer_config.json (GPT2Tokenizer: no BOS added).
    write("smollm2", SMOLLM2_GGUF, smollm2_tokenizer, {
        "add_prefix_space": False, "bos_token": "<|im_start|>", "eos_token": "<|im_end|>",
        "pad_token": "<|im_end|>", "unk_token": "<|endoftext|>", "clean_up_tokenization_spaces": False,
        "model_max_length": 8192, "tokenizer_class": "GPT2Tokenizer"})
    if not QWEN2_GGUF.exists():
        sys.exit(f"missing {QWEN2_GGUF}: run `afina pull qwen2.5-coder-0.5b-instruct` first")
    # As Qwen2.5-Coder-Instruct's own tokenizer_config.json: no BOS token at all.
    write("qwen2", QWEN2_GGUF, qwen2_tokenizer, {
        "add_prefix_space": False, "bos_token": None, "eos_token": "<|im_end|>",
        "pad_token": "<|endoftext|>", "unk_token": None, "clean_up_tokenization_spaces": False,
        "errors": "replace", "model_max_length": 32768, "split_special_tokens": False,
        "tokenizer_class": "Qwen2Tokenizer"})


if __name__ == "__main__":
    main()
