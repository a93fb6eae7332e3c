"""Afina's speed beside llama.cpp and PyTorch on the same machine, in one run.

1. The machine: `afina bench peak` (float32 FMA, AVX-512 BF16 and AMX bf16 GFLOP/s on every core).
2. Generation, every pulled catalog decoder (SmolLM2 Q4_1, Qwen2.5-Coder 0.5B and 1.5B
   Q4_K_M, Gemma 3 270M Q4_K_M): a 128-token prompt, 64 greedy tokens, batch 1; prefill and decode tokens/s of
   Afina and of llama.cpp (llama-cpp-python, built by pip on this machine); for SmolLM2 also
   PyTorch fp32 (transformers) at batch 1 and 8.
3. Products: the three products of SmolLM2's linear layers (`afina bench products`) on every
   product kernel Afina has here, beside torch's matmul (MKL fp32, oneDNN bf16 autocast).
4. Training (SmolLM2-135M, or --train-model), batch 4 x 256 random tokens, loss on every token, AdamW: full,
   LoRA r=16 (alpha 32, all seven projections) and QLoRA (Afina), Afina in fp32 and bf16
   products (full fine-tuning also in fp32 with recomputed activations, `--recompute`),
   PyTorch 2.15 in fp32 and bf16 autocast (its fastest CPU mode); tokens/s, peak RSS (memory
   ratio at three decimals, since the target is at 0.5) and the fraction of the machine's peak
   each reaches (the arithmetic per token is Afina's count, the same work for both).
5. The encoder (all-MiniLM-L6-v2), batch 16 x 128 random tokens: hidden states (`afina bench
   encode`) beside transformers' AutoModel in fp32; classification tuning with a new two-label
   head (full, and LoRA r=16 on every linear layer) beside BertForSequenceClassification in fp32
   and bf16 autocast, as in 4.
6. T5 at Flan-T5-small's shape (random weights, made once under the cache): prefill and decode
   beside transformers, and training as in 4 with the first half of each sequence the input.

Every measurement runs in its own process (llama.cpp and torch must not share one, see
MACHINE-NOTES.md; peak RSS is then each run's own). Prints markdown tables with Afina's
ratio to each tool.

Run: python3 scripts/bench_baselines.py [--afina .build/release/afina] [--threads 2]
         [--only generate|products|train|encoder|t5] [--train-model gemma-3-270m] [--steps 3]
Needs: scripts/requirements.txt plus llama-cpp-python (pip install llama-cpp-python).
"""
import argparse, json, os, resource, subprocess, sys, time

CACHE = os.path.expanduser(os.environ.get("AFINA_CACHE", "~/.cache/afina"))
MODELS = {  # catalog name -> GGUF file (as `afina pull` stores it)
    "smollm2-135m-instruct": "SmolLM2-135M-Instruct.Q4_1.gguf",
    "qwen2.5-coder-0.5b-instruct": "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    "qwen2.5-coder-1.5b-instruct": "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    "gemma-3-270m": "gemma-3-270m-q4_k_m.gguf",
}
ENCODER = "all-minilm-l6-v2"  # catalog name; a Hugging Face directory
ENCODER_SHAPE = (16, 128)      # sequences x tokens per step, for encoding and classification tuning
TEXT = "The quick brown fox jumps over the lazy dog while the cat sleeps. " * 200
PROMPT, NEW = 128, 64
BATCH, LENGTH = 4, 256


def gguf_path(name):
    return os.path.join(CACHE, "models", name, MODELS[name])


def t5_folder():
    return os.path.join(CACHE, "bench", "flan-t5-small-random")


def encoder_folder():
    return os.path.join(CACHE, "models", ENCODER, "model")


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def worker(args, *rest):
    """Runs this script as a child process for one measurement; returns its JSON line."""
    return run_json([sys.executable, __file__, "--threads", str(args.threads), "--steps", str(args.steps),
                     "--worker", *rest])


# ---- workers (each runs in its own process and prints one JSON line) ----

def llama_cpp_generate(name, threads):
    from llama_cpp import Llama
    llm = Llama(gguf_path(name), n_ctx=512, n_threads=threads, n_threads_batch=threads, n_batch=512, verbose=False)
    ids = llm.tokenize(TEXT.encode(), add_bos=False)[:PROMPT]
    llm.eval(ids[:8]); llm.reset()  # warm-up
    t0 = time.perf_counter()
    llm.eval(ids)
    prefill = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(NEW):
        llm.eval([llm.sample(temp=0.0)])
    decode = time.perf_counter() - t0
    return dict(prefill=PROMPT / prefill, decode=NEW / decode)


def pytorch_generate(name, batch, threads):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    torch.set_num_threads(threads)
    folder, gguf = os.path.dirname(gguf_path(name)), MODELS[name]
    tok = AutoTokenizer.from_pretrained(folder, gguf_file=gguf)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=gguf, dtype=torch.float32).eval()
    ids = tok(TEXT, add_special_tokens=False)["input_ids"][:PROMPT]
    x = torch.tensor([[ids[0] + i] + ids[1:] for i in range(batch)])
    with torch.inference_mode():
        gen = dict(do_sample=False, pad_token_id=2)
        model.generate(x[:, :8], attention_mask=torch.ones_like(x[:, :8]), max_new_tokens=4, **gen)  # warm-up
        t0 = time.perf_counter()
        model(x)
        prefill = time.perf_counter() - t0
        t0 = time.perf_counter()
        model.generate(x, attention_mask=torch.ones_like(x), min_new_tokens=NEW, max_new_tokens=NEW, **gen)
        decode = time.perf_counter() - t0 - prefill  # generate's own prefill is the same work
    return dict(prefill=batch * PROMPT / prefill, decode=batch * NEW / decode)


def pytorch_train(name, method, precision, threads, steps):
    import torch
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    if name == ENCODER:  # a new two-label head, as `afina bench train` gives an encoder
        from transformers import AutoModelForSequenceClassification
        model = AutoModelForSequenceClassification.from_pretrained(encoder_folder(), num_labels=2).train()
        task, targets, (batch, length) = "SEQ_CLS", ["query", "key", "value", "dense"], ENCODER_SHAPE
        batch_of = lambda ids: dict(input_ids=ids, labels=torch.randint(0, 2, (batch,)))
    elif name == t5_folder():  # the first half of each sequence the input, as `afina bench train` gives T5
        from transformers import T5ForConditionalGeneration
        model = T5ForConditionalGeneration.from_pretrained(name).train()
        task, targets, (batch, length) = "SEQ_2_SEQ_LM", ["q", "k", "v", "o", "wi_0", "wi_1", "wo"], (BATCH, LENGTH)
        batch_of = lambda ids: dict(input_ids=ids[:, :length // 2], labels=ids[:, length // 2:].contiguous())
    else:
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained(os.path.dirname(gguf_path(name)), gguf_file=MODELS[name],
                                                     dtype=torch.float32).train()
        task, (batch, length) = "CAUSAL_LM", (BATCH, LENGTH)
        targets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
        batch_of = lambda ids: dict(input_ids=ids, labels=ids)
    if method == "lora":
        from peft import LoraConfig, get_peft_model
        model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, task_type=task,
                                                 target_modules=targets))
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-5)
    vocab = model.config.vocab_size

    def step():
        ids = torch.randint(0, vocab, (batch, length))
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            loss = model(**batch_of(ids)).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad()

    step()  # warm-up
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    speed = batch * length * steps / (time.perf_counter() - t0)
    return dict(tokens_per_second=speed, peak_rss_bytes=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)


def pytorch_generate_t5(threads):
    """T5's prefill (the encoder over the prompt) and greedy decode, transformers in float32."""
    import torch
    from transformers import T5ForConditionalGeneration
    torch.set_num_threads(threads)
    model = T5ForConditionalGeneration.from_pretrained(t5_folder()).eval()
    ids = torch.randint(3, 32000, (1, PROMPT))
    gen = dict(do_sample=False, min_new_tokens=NEW, max_new_tokens=NEW)
    with torch.inference_mode():
        model.generate(ids[:, :8], max_new_tokens=4)  # warm-up
        t0 = time.perf_counter()
        model.get_encoder()(input_ids=ids)
        prefill = time.perf_counter() - t0
        t0 = time.perf_counter()
        model.generate(ids, **gen)
        decode = time.perf_counter() - t0 - prefill  # generate encodes the prompt first
    return dict(prefill=PROMPT / prefill, decode=NEW / decode)


def make_t5(folder):
    """Flan-T5-small's shape (google/flan-t5-small's config.json: 8 + 8 layers, width 512,
    gated-GELU MLPs of 1024, 6 heads of 64, 32,128 tokens, untied head) with random weights,
    since no T5 weights are on the package registries; and a Unigram tokenizer.json over
    32,128 made-up pieces (every ASCII letter alone and after the word mark), enough for
    `afina bench generate` to tokenize its prompt. Speed does not depend on the weights."""
    import torch
    from transformers import T5Config, T5ForConditionalGeneration
    torch.manual_seed(0)
    config = T5Config(vocab_size=32128, d_model=512, d_kv=64, d_ff=1024, num_layers=8, num_decoder_layers=8,
                      num_heads=6, feed_forward_proj="gated-gelu", tie_word_embeddings=False,
                      decoder_start_token_id=0, eos_token_id=1, pad_token_id=0)
    T5ForConditionalGeneration(config).save_pretrained(folder)
    letters = [chr(c) for c in range(33, 127)]
    pieces = ["<pad>", "</s>", "<unk>"] + ["\u2581" + c for c in letters] + letters
    pieces += [f"\u2581w{i}" for i in range(32028 - len(pieces))] + [f"<extra_id_{99 - i}>" for i in range(100)]
    special = [i for i, p in enumerate(pieces) if p.startswith("<")]
    tokenizer = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [dict(id=i, content=pieces[i], single_word=False, lstrip=False, rstrip=False, normalized=False,
                              special=True) for i in special],
        "normalizer": None,
        "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                           "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}},
                                    {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                           "special_tokens": {"</s>": {"id": "</s>", "ids": [1], "tokens": ["</s>"]}}},
        "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
        "model": {"type": "Unigram", "unk_id": 2, "byte_fallback": False,
                  "vocab": [[p, 0.0 if i in special else -1.0 - (i > 3 + 2 * len(letters))] for i, p in enumerate(pieces)]},
    }
    with open(os.path.join(folder, "tokenizer.json"), "w") as f:
        json.dump(tokenizer, f)


def pytorch_encode(threads, steps):
    """The encoder's hidden states (transformers' AutoModel, float32), as `afina bench encode`."""
    import torch
    from transformers import AutoModel
    torch.set_num_threads(threads)
    model = AutoModel.from_pretrained(encoder_folder()).eval()
    batch, length = ENCODER_SHAPE
    inputs = [torch.randint(0, model.config.vocab_size, (batch, length)) for _ in range(steps + 1)]
    with torch.inference_mode():
        model(input_ids=inputs[0])  # warm-up
        t0 = time.perf_counter()
        for ids in inputs[1:]:
            model(input_ids=ids)
    speed = batch * length * steps / (time.perf_counter() - t0)
    return dict(tokens_per_second=speed, peak_rss_bytes=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)


def pytorch_products(rows, threads, repeats=5):
    """GFLOP/s of the products `afina bench products` times, in torch (MKL for fp32, oneDNN for
    bf16 autocast), inputs float32 as in Afina, so both include their conversions."""
    import torch
    torch.set_num_threads(threads)
    out = []
    for row in json.loads(rows):
        n, k, m = row["n"], row["k"], row["m"]
        a, b, g = torch.randn(n, k), torch.randn(k, m), torch.zeros(n, m)
        w, dy = torch.randn(m, k), torch.randn(k, n)  # a weight [m, k]; dy stored [tokens, n] as in backward
        run = {"x·Wᵀ": lambda: a @ w.t(), "dy·W": lambda: a @ b,
               "g += dyᵀx": lambda: g.add_(dy.t() @ b)}[row["product"]]
        speeds = {}
        for precision in ["fp32", "bf16"]:
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
                run()
                best = min(timed(run) for _ in range(repeats))
            speeds[precision] = 2 * n * k * m / best / 1e9
        out.append(speeds)
    return out


def timed(f):
    t0 = time.perf_counter()
    f()
    return time.perf_counter() - t0


# ---- the driver ----

def products(args):
    a = run_json([args.afina, "bench", "products", "--json"])
    rows = [dict(product=r["product"], n=r["n"], k=r["k"], m=r["m"]) for r in a["products"]]
    t = worker(args, "torch-products", json.dumps(rows))
    kernels = sorted(a["products"][0]["gflops"])
    print(f"\nProducts of SmolLM2's linear layers (weights packed inside each product), GFLOP/s, best of 5\n")
    print("| product | " + " | ".join(f"Afina {k}" for k in kernels) + " | PyTorch fp32 | PyTorch bf16 autocast "
          "| Afina fp32 / PyTorch fp32 | best Afina bf16 / PyTorch bf16 |")
    print("|---|" + "---|" * (len(kernels) + 4))
    for r, torch_speeds in zip(a["products"], t):
        bf16 = max((v for k, v in r["gflops"].items() if k.startswith("bf16")), default=None)
        cells = " | ".join(f"{r['gflops'][k]:.0f}" for k in kernels)
        ratio = f"{bf16 / torch_speeds['bf16']:.2f}x" if bf16 else "-"
        print(f"| {r['product']} {r['n']}x{r['k']}x{r['m']} | {cells} | {torch_speeds['fp32']:.0f} | "
              f"{torch_speeds['bf16']:.0f} | {r['gflops']['fp32'] / torch_speeds['fp32']:.2f}x | {ratio} |")


def generation(args):
    rows = []
    for name in MODELS:
        if not os.path.exists(gguf_path(name)):
            print(f"{name} not pulled (afina pull {name}): skipped", file=sys.stderr)
            continue
        a = run_json([args.afina, "bench", "generate", "--model", name, "--batch", "1", "--json",
                      "--prompt-tokens", str(PROMPT), "--tokens", str(NEW)])
        afina = dict(prefill=a["prefill_tokens_per_second"], decode=a["decode_tokens_per_second"])
        rows.append((name, "Afina", 1, afina, None))
        try:
            rows.append((name, "llama.cpp", 1, worker(args, "llama", name), afina))
        except subprocess.CalledProcessError as e:
            print(f"llama.cpp failed on {name} (is llama-cpp-python installed?): {e.stderr.strip()[-300:]}",
                  file=sys.stderr)
        if name == "smollm2-135m-instruct":
            rows.append((name, "PyTorch fp32", 1, worker(args, "torch-generate", name, "1"), afina))
            a8 = run_json([args.afina, "bench", "generate", "--model", name, "--batch", "8", "--json",
                           "--prompt-tokens", str(PROMPT), "--tokens", str(NEW)])
            afina8 = dict(prefill=a8["prefill_tokens_per_second"], decode=a8["decode_tokens_per_second"])
            rows.append((name, "Afina", 8, afina8, None))
            rows.append((name, "PyTorch fp32", 8, worker(args, "torch-generate", name, "8"), afina8))
        print(f"kernels ({name}): {json.dumps(a['kernels'])}")
    print(f"\nGeneration: prompt {PROMPT} tokens, {NEW} greedy tokens, {args.threads} threads\n")
    print("| model | tool | batch | prefill tok/s | decode tok/s | Afina prefill / tool | Afina decode / tool |")
    print("|---|---|---|---|---|---|---|")
    for name, tool, batch, r, afina in rows:
        ratios = f"{afina['prefill'] / r['prefill']:.2f}x | {afina['decode'] / r['decode']:.2f}x" if afina else " | "
        print(f"| {name} | {tool} | {batch} | {r['prefill']:.1f} | {r['decode']:.1f} | {ratios} |")


def training(args, peak, name, methods, shape):
    """Afina's `methods` in fp32 and bf16 products beside PyTorch's full fine-tuning or LoRA
    (QLoRA beside LoRA: PyTorch has no CPU QLoRA) in fp32 and bf16 autocast."""
    rows = []
    for method in ["full", "lora"]:
        torch_runs = {p: worker(args, "torch-train", name, method, p) for p in ["fp32", "bf16"]}
        for afina_method in [m for m in methods if m == method or (method == "lora" and m == "qlora")]:
            # Full fine-tuning also with recomputed activations, Afina's mode that gives speed for
            # memory (beside PyTorch's plain runs, which the memory target is stated against).
            variants = [("fp32", []), ("bf16", [])] + ([("fp32", ["--recompute"])] if afina_method == "full" else [])
            for precision, extra in variants:
                a = run_json([args.afina, "bench", "train", "--model", name, "--method", afina_method,
                              "--precision", precision, "--steps", str(args.steps), "--batch", str(shape[0]),
                              "--sequence-length", str(shape[1]), "--json"] + extra)
                label = f"{afina_method}, {precision}" + (", recompute" if extra else "")
                rows.append((label, precision, a, torch_runs))
                print(f"kernels ({label}): {json.dumps(a['kernels'])}")

    def cell(run, flops, precision):
        # The same work per token for both tools: Afina's count (`afina bench train --json`).
        # bf16: the faster of the machine's bf16 units (AMX tiles where the CPU has them).
        bf16 = max(peak["bf16_gflops"] or 0, peak["amx_bf16_gflops"] or 0)
        bound = bf16 if precision == "bf16" and bf16 else peak["fp32_gflops"]
        share = 100 * run["tokens_per_second"] * flops / (bound * 1e9)
        return f"{run['tokens_per_second']:.0f} ({run['peak_rss_bytes'] >> 20}, {share:.0f}%)"

    task = {ENCODER: "classification tuning (a new two-label head)",
            t5_folder(): "the first half of each sequence the input, the rest the output"}.get(name, "loss on every token")
    print(f"\nTraining {name}, {task}: batch {shape[0]} x {shape[1]} tokens, {args.threads} threads; tokens/s "
          "(peak RSS MiB, share of the machine's peak: fp32 FMA for fp32, the faster of bf16 dot and AMX tiles for "
          "bf16 and autocast)\n")
    print("| Afina method, products | Afina | PyTorch fp32 | PyTorch bf16 autocast | Afina / fp32 | Afina / bf16 "
          "| memory / fp32 |")
    print("|---|---|---|---|---|---|---|")
    for label, precision, a, t in rows:
        f, b = t["fp32"], t["bf16"]
        flops = a["flops_per_token"]
        print(f"| {label} | {cell(a, flops, precision)} | {cell(f, flops, 'fp32')} | "
              f"{cell(b, flops, 'bf16')} | {a['tokens_per_second'] / f['tokens_per_second']:.2f}x | "
              f"{a['tokens_per_second'] / b['tokens_per_second']:.2f}x | {a['peak_rss_bytes'] / f['peak_rss_bytes']:.3f} |")


def encoder(args, peak):
    """The catalog's encoder: its forward (embedding) throughput, then classification tuning."""
    if not os.path.exists(encoder_folder()):
        print(f"{ENCODER} not pulled (afina pull {ENCODER}): skipped", file=sys.stderr)
        return
    batch, length = ENCODER_SHAPE
    a = run_json([args.afina, "bench", "encode", "--model", ENCODER, "--batch", str(batch), "--sequence-length",
                  str(length), "--steps", str(args.steps), "--json"])
    t = worker(args, "torch-encode")
    print(f"\nEncoding with {ENCODER} (hidden states, fp32): batch {batch} x {length} tokens, {args.threads} threads\n")
    print("| tool | tokens/s | peak RSS MiB | Afina / tool |")
    print("|---|---|---|---|")
    print(f"| Afina | {a['tokens_per_second']:.0f} | {a['peak_rss_bytes'] >> 20} | |")
    print(f"| PyTorch fp32 | {t['tokens_per_second']:.0f} | {t['peak_rss_bytes'] >> 20} | "
          f"{a['tokens_per_second'] / t['tokens_per_second']:.2f}x |")
    training(args, peak, ENCODER, ["full", "lora"], ENCODER_SHAPE)


def t5(args, peak):
    """T5 at Flan-T5-small's shape (random weights, made once): generation beside transformers
    (llama.cpp's pip build cannot convert T5), then training as in 4."""
    folder = t5_folder()
    if not os.path.exists(os.path.join(folder, "tokenizer.json")):
        worker(args, "make-t5")
    a = run_json([args.afina, "bench", "generate", "--model", folder, "--batch", "1", "--json",
                  "--prompt-tokens", str(PROMPT), "--tokens", str(NEW)])
    t = worker(args, "torch-generate-t5")
    print(f"\nT5 at Flan-T5-small's shape (random weights): prompt {PROMPT} tokens (the encoder's input), {NEW} greedy "
          f"tokens, batch 1, {args.threads} threads\n")
    print("| tool | prefill tok/s | decode tok/s | Afina prefill / tool | Afina decode / tool |")
    print("|---|---|---|---|---|")
    print(f"| Afina | {a['prefill_tokens_per_second']:.0f} | {a['decode_tokens_per_second']:.1f} | | |")
    print(f"| PyTorch fp32 | {t['prefill']:.0f} | {t['decode']:.1f} | {a['prefill_tokens_per_second'] / t['prefill']:.2f}x | "
          f"{a['decode_tokens_per_second'] / t['decode']:.2f}x |")
    training(args, peak, folder, ["full", "lora"], (BATCH, LENGTH))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--afina", default=".build/release/afina")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--only", choices=["generate", "train", "products", "encoder", "t5"])
    p.add_argument("--train-model", default="smollm2-135m-instruct", choices=list(MODELS))
    p.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        kind, *rest = args.worker
        result = {"llama": lambda: llama_cpp_generate(rest[0], args.threads),
                  "torch-generate": lambda: pytorch_generate(rest[0], int(rest[1]), args.threads),
                  "torch-train": lambda: pytorch_train(rest[0], rest[1], rest[2], args.threads, args.steps),
                  "torch-encode": lambda: pytorch_encode(args.threads, args.steps),
                  "torch-generate-t5": lambda: pytorch_generate_t5(args.threads),
                  "make-t5": lambda: make_t5(t5_folder()),
                  "torch-products": lambda: pytorch_products(rest[0], args.threads)}[kind]()
        print(json.dumps(result))
        return
    peak = run_json([args.afina, "bench", "peak", "--json"])
    print(f"{peak['cpu']}, {peak['cores']} threads: fp32 FMA peak {peak['fp32_gflops']:.0f} GFLOP/s "
          f"({peak['fp32_gflops_one_thread']:.0f} on one thread), "
          f"bf16 dot peak {peak['bf16_gflops'] or 0:.0f} GFLOP/s, "
          f"AMX bf16 tile peak {peak['amx_bf16_gflops'] or 0:.0f} GFLOP/s")
    if args.only in (None, "generate"):
        generation(args)
    if args.only in (None, "products"):
        products(args)
    if args.only in (None, "train"):
        training(args, peak, args.train_model, ["full", "lora", "qlora"], (BATCH, LENGTH))
    if args.only in (None, "encoder"):
        encoder(args, peak)
    if args.only in (None, "t5"):
        t5(args, peak)


if __name__ == "__main__":
    main()
