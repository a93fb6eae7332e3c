"""Reference numbers for T5 and T5 v1.1 / Flan-T5 (transformers, float32).

1. A Unigram tokenizer as T5 ships one: sentencepiece trains it on CORPUS with T5's settings
   (nmt_nfkc normalization, pad 0, eos 1, unk 2, no bos), transformers converts it to
   tokenizer.json with 8 sentinels <extra_id_N> as the T5 files on the Hub are (Precompiled
   normalizer with the nmt_nfkc charsmap, WhitespaceSplit + Metaspace, "$A </s>"). Tests/Fixtures/tokenizer/t5/: tokenizer.json and
   expected.json (ids with and without </s>, and decodes, of STRINGS; the slow sentencepiece
   tokenizer is checked to give the same ids).
   tokenizer/spm-precompiled/: the same, trained with a handful of hand-written rules instead
   of nmt_nfkc (a charsmap of a few hundred bytes, also a fuzz seed): "e" -> "E" beside
   "e" + U+0301 -> "é", where `tokenizers` takes the shortest matching key, multi-scalar and
   empty replacements, and a grapheme cluster of 6 bytes or more.
2. Two tiny random models with that vocabulary, Tests/Fixtures/models/t5 (ReLU MLP, tied head
   scaled by d_model^-0.5) and t5-v1_1 (gated GELU, its own unscaled head, as Flan-T5): 2 encoder and
   3 decoder layers, d_kv * heads != d_model, 8 buckets with max distance 12 so sequences of
   20 reach the logarithmic and clamped buckets. Each holds config.json, model.safetensors and
   reference.safetensors:
     input_<i>, target_<i>       ids of PAIRS[i] (input with </s>, target with </s>)
     encoder_<i> [S, D]          the encoder's last hidden states
     logits_<i> [T, V]           decoder logits given the target shifted right (start token 0)
     greedy, beams               ids of generate() on all inputs (batched, padded): greedy and
                                 3 beams, MAX_NEW tokens, as [B, MAX_NEW + 1] padded with -1
     loss, grad.<name>           the mean cross-entropy over every target token of the padded
                                 batch (labels -100 on padding) and d loss / d every parameter
3. A peft LoRA adapter on t5-v1_1 (r=4, rsLoRA, every T5 projection: q k v o wi_0 wi_1 wo; B
   nonzero so every gradient flows), saved by peft in Tests/Fixtures/training/t5-lora/ with
   reference.safetensors: the loss and gradients of the adapter weights on the same batch, and
   logits_<i> of each pair through the adapted model.

Run: /tmp/venv/bin/python scripts/make_t5_fixtures.py  (pinned stack: scripts/requirements.txt
plus sentencepiece and protobuf)
"""
import json, os, shutil, tempfile
import sentencepiece as spm
import torch
from safetensors.torch import save_file
from transformers import T5Config, T5ForConditionalGeneration

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "Tests", "Fixtures")
SENTINELS = 8

CORPUS = [
    "Fix the grammar: she go to school every days.",
    "Paraphrase: the weather is nice today, so we walk to the park.",
    "Translate English to German: The house is wonderful.",
    "Make it simpler: the committee reached a consensus after deliberation.",
    "El niño come manzanas y la niña bebe agua en la ciudad.",
    "Ça coûte 5 € — déjà vu, naïve café.",
    "Numbers 1234567890 and ① ② ③, full-width ＡＢＣ ａｂｃ.",
    "def main():\n    print('hello world')\n    return 0",
    "Questions? Answers! Quotes \"like these\" and 'these'.",
] * 30

STRINGS = [
    "",
    " ",
    "Hello world",
    "Fix the grammar: she go to school every days.",
    "   leading and trailing spaces   ",
    "several    spaces   between words",
    "line one\nline two\n\nline four\r\n",
    "tabs\tand\t\tmore tabs",
    "Ça coûte 5 € — déjà vu, naïve café",
    "e\u0301 written two ways: \u00e9",
    "full-width ＡＢＣ ａｂｃ １２３ and ligature ﬁ, ① ② ③, ℃ ™ ½",
    "Hangul 한국어, 漢字 and an unknown 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 run",
    "control\u0007characters\u200band zero-width\u00adjoiners",
    "sentinels <extra_id_0> and <extra_id_7> in text",
    "ending with </s> inside the text",
    "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇ combining marks stacked past six bytes",
]

PAIRS = [
    ("Fix the grammar: she go to school every days.", "She goes to school every day."),
    ("Paraphrase: the weather is nice today, so we walk to the park and then we walk home again.",
     "It is nice out, so we walk."),
    ("Translate English to German: The house is wonderful.", "Das Haus ist wunderbar."),
]
MAX_NEW = 12


# Hand-written normalization rules (source and target code points): a key that is a prefix of
# another ("e" of "e" + U+0301), a rule to two scalars, a rule to nothing (U+200B), a wide letter.
RULES = [("65", "45"), ("65 301", "E9"), ("FB01", "66 69"), ("200B", ""), ("FF21", "41"), ("2460", "31")]
RULE_STRINGS = ["e", "e\u0301", "caf\u00e9 and cafe\u0301", "ﬁne ﬁsh", "zero\u200bwidth", "ＡＢ ①②",
                "e\u0301\u0302\u0303 stacked", "plain text", ""]


def tokenizer(out, rules=None, strings=STRINGS):
    """Trains the sentencepiece model (nmt_nfkc, or `rules`), converts it, and writes
    tokenizer.json + expected.json."""
    from transformers import T5TokenizerFast
    work = tempfile.mkdtemp()
    with open(os.path.join(work, "corpus.txt"), "w") as f:
        f.write("\n".join(CORPUS))
    normalization = dict(normalization_rule_name="nmt_nfkc")
    if rules:
        with open(os.path.join(work, "rules.tsv"), "w") as f:
            f.write("".join(f"{source}\t{target}\n" for source, target in rules))
        normalization = dict(normalization_rule_tsv=os.path.join(work, "rules.tsv"))
    spm.SentencePieceTrainer.train(
        input=os.path.join(work, "corpus.txt"), model_prefix=os.path.join(work, "spiece"), vocab_size=300,
        model_type="unigram", pad_id=0, eos_id=1, unk_id=2, bos_id=-1, character_coverage=1.0,
        hard_vocab_limit=False, num_threads=1, minloglevel=2, **normalization)
    slow = spm.SentencePieceProcessor(model_file=os.path.join(work, "spiece.model"))
    fast = T5TokenizerFast.from_pretrained(work, extra_ids=SENTINELS)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    fast.backend_tokenizer.save(os.path.join(out, "tokenizer.json"))
    backend = fast.backend_tokenizer
    cases = []
    for text in strings:
        ids = backend.encode(text).ids
        plain = backend.encode(text, add_special_tokens=False).ids
        if "<extra_id" not in text and "</s>" not in text and not rules:  # sentencepiece takes the longest key
            assert slow.encode(text) == plain, (text, slow.encode(text), plain)
        assert fast(text)["input_ids"] == ids, text
        cases.append(dict(text=text, ids=ids, ids_without_special=plain,
                          decoded=backend.decode(ids, skip_special_tokens=False),
                          decoded_skip_special=backend.decode(ids, skip_special_tokens=True)))
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(dict(cases=cases), f, indent=1, ensure_ascii=False)
    shutil.rmtree(work)
    return fast


def tiny_config(vocab, gated):
    return T5Config(
        vocab_size=vocab, d_model=32, d_kv=12, d_ff=40, num_layers=2, num_decoder_layers=3, num_heads=4,
        relative_attention_num_buckets=8, relative_attention_max_distance=12, dropout_rate=0.0,
        layer_norm_epsilon=1e-6, feed_forward_proj="gated-gelu" if gated else "relu",
        tie_word_embeddings=not gated, pad_token_id=0, eos_token_id=1, decoder_start_token_id=0)


def model(name, tok, gated):
    torch.manual_seed(1 if gated else 0)
    cfg = tiny_config(len(tok), gated)
    net = T5ForConditionalGeneration(cfg).float().eval()
    # Every path should matter, yet scores are unscaled: projections of 0.15 keep the model's own
    # float32 error near 1e-6 of its float64 logits (0.3 gave 1e-4), so 1e-5 tests something.
    with torch.no_grad():
        for n, p in net.named_parameters():
            if "layer_norm" in n:
                p.copy_(1 + 0.2 * torch.randn_like(p))
            else:
                p.copy_(torch.randn_like(p) * (0.5 if "shared" in n or "relative" in n else 0.15))
        if gated:  # Flan-T5's own head: transformers unties it when the file holds a different one
            net.lm_head.weight = torch.nn.Parameter(torch.randn_like(net.shared.weight) * 0.5)
    out = os.path.join(FIXTURES, "models", name)
    shutil.rmtree(out, ignore_errors=True)
    net.save_pretrained(out, safe_serialization=True)
    if os.path.exists(os.path.join(out, "generation_config.json")):
        os.remove(os.path.join(out, "generation_config.json"))
    # config.json as the published checkpoints have it (transformers 5 writes tie_word_embeddings
    # true plus scale_decoder_outputs; T5 and Flan-T5 files say only tie_word_embeddings).
    with open(os.path.join(out, "config.json")) as f:
        saved = json.load(f)
    saved.pop("scale_decoder_outputs")
    saved["tie_word_embeddings"] = not gated
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(saved, f, indent=2)
    net = T5ForConditionalGeneration.from_pretrained(out, dtype=torch.float32).eval()
    assert (net.lm_head.weight is net.shared.weight) != gated and net.config.scale_decoder_outputs != gated
    ref = {}
    inputs = [tok(src)["input_ids"] for src, _ in PAIRS]
    targets = [tok(tgt)["input_ids"] for _, tgt in PAIRS]
    assert max(map(len, inputs)) >= 20 > cfg.relative_attention_max_distance
    with torch.no_grad():
        for i, (x, y) in enumerate(zip(inputs, targets)):
            ref[f"input_{i}"] = torch.tensor(x, dtype=torch.int32)
            ref[f"target_{i}"] = torch.tensor(y, dtype=torch.int32)
            out_i = net(input_ids=torch.tensor([x]), labels=torch.tensor([y]))
            ref[f"encoder_{i}"] = out_i.encoder_last_hidden_state[0].contiguous()
            ref[f"logits_{i}"] = out_i.logits[0].contiguous()
        batch = tok([src for src, _ in PAIRS], padding=True, return_tensors="pt")
        for key, beams in [("greedy", 1), ("beams", 3)]:
            # use_cache=False: transformers sizes the cache by num_layers, not num_decoder_layers
            ids = net.generate(**batch, do_sample=False, num_beams=beams, max_new_tokens=MAX_NEW, use_cache=False)
            padded = torch.full((len(PAIRS), MAX_NEW + 1), -1, dtype=torch.int32)
            padded[:, :ids.shape[1]] = ids.int()
            ref[key] = padded
    net.train()
    labels = tok([tgt for _, tgt in PAIRS], padding=True, return_tensors="pt")["input_ids"]
    labels[labels == tok.pad_token_id] = -100
    loss = net(**batch, labels=labels).loss
    loss.backward()
    ref["loss"] = loss.detach().reshape(1)
    for n, p in net.named_parameters():
        ref["grad." + n] = p.grad.contiguous()
    save_file(ref, os.path.join(out, "reference.safetensors"))
    print(name, "written", sorted(os.listdir(out)))
    return out


def lora(directory, tok):
    from peft import LoraConfig, get_peft_model
    torch.manual_seed(2)
    base = T5ForConditionalGeneration.from_pretrained(directory, dtype=torch.float32)
    targets = ["q", "k", "v", "o", "wi_0", "wi_1", "wo"]
    model = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, target_modules=targets, lora_dropout=0.0,
                                            use_rslora=True, task_type="SEQ_2_SEQ_LM"))
    # B starts at zero in peft; nonzero B makes every gradient nontrivial. 0.05 keeps the
    # adapted model's own float32 error near 3e-6 (0.2 gave 6e-5, as unscaled scores amplify).
    with torch.no_grad():
        for n, p in model.named_parameters():
            if "lora_" in n:
                p.copy_(torch.randn_like(p) * 0.05)
    out = os.path.join(FIXTURES, "training", "t5-lora")
    shutil.rmtree(out, ignore_errors=True)
    model.save_pretrained(out)
    os.remove(os.path.join(out, "README.md"))  # peft's model card template
    with open(os.path.join(out, "adapter_config.json")) as f:
        config = json.load(f)
    config["base_model_name_or_path"] = "Tests/Fixtures/models/t5-v1_1"  # not this machine's path
    config["target_modules"] = sorted(config["target_modules"])  # peft writes a set
    with open(os.path.join(out, "adapter_config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
    ref = {}
    model.eval()
    with torch.no_grad():
        for i, (src, tgt) in enumerate(PAIRS):
            ref[f"logits_{i}"] = model(input_ids=torch.tensor([tok(src)["input_ids"]]),
                                       labels=torch.tensor([tok(tgt)["input_ids"]])).logits[0].contiguous()
    model.train()
    batch = tok([src for src, _ in PAIRS], padding=True, return_tensors="pt")
    labels = tok([tgt for _, tgt in PAIRS], padding=True, return_tensors="pt")["input_ids"]
    labels[labels == tok.pad_token_id] = -100
    loss = model(**batch, labels=labels).loss
    loss.backward()
    ref["loss"] = loss.detach().reshape(1)
    ref.update({"grad." + n: p.grad.contiguous() for n, p in model.named_parameters() if p.requires_grad})
    save_file(ref, os.path.join(out, "reference.safetensors"))
    print("t5-lora written", sorted(os.listdir(out)))


if __name__ == "__main__":
    tokenizer(os.path.join(FIXTURES, "tokenizer", "spm-precompiled"), rules=RULES, strings=RULE_STRINGS)
    shutil.copy(os.path.join(FIXTURES, "tokenizer", "spm-precompiled", "tokenizer.json"),
                os.path.join(FIXTURES, "fuzz", "tokenizer", "precompiled.json"))
    tok = tokenizer(os.path.join(FIXTURES, "tokenizer", "t5"))
    model("t5", tok, gated=False)
    lora(model("t5-v1_1", tok, gated=True), tok)
