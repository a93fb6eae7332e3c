"""Generation speed of Afina beside PyTorch (fp32, transformers) and llama.cpp
(llama-cpp-python, built from source by pip) on the same machine, in the same run.

Same work for all: a 128-token prompt, 64 greedy tokens, batch 1 (and batch 8 where the
tool batches). Prints a table with each tool's tokens/s and Afina's ratio to it.

Run: python3 scripts/bench_baselines.py [--afina .build/release/afina] [--threads 2]
Needs: scripts/requirements.txt plus llama-cpp-python (pip install llama-cpp-python).
"""
import argparse, json, os, subprocess, time

CACHE = os.path.expanduser(os.environ.get("AFINA_CACHE", "~/.cache/afina"))
MODEL_DIR = os.path.join(CACHE, "models", "smollm2-135m-instruct")
GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
TEXT = "The quick brown fox jumps over the lazy dog while the cat sleeps. " * 200
PROMPT, NEW = 128, 64


def afina(binary, batch):
    out = subprocess.run([binary, "bench", "generate", "--batch", str(batch), "--json",
                          "--prompt-tokens", str(PROMPT), "--tokens", str(NEW)],
                         check=True, capture_output=True, text=True).stdout
    r = json.loads(out)
    return r["prefill_tokens_per_second"], r["decode_tokens_per_second"]


def pytorch(batch, threads):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    torch.set_num_threads(threads)
    tok = AutoTokenizer.from_pretrained(MODEL_DIR, gguf_file=GGUF)
    model = AutoModelForCausalLM.from_pretrained(MODEL_DIR, gguf_file=GGUF, dtype=torch.float32).eval()
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
    return batch * PROMPT / prefill, batch * NEW / decode


def llama_cpp(threads):
    from llama_cpp import Llama
    llm = Llama(os.path.join(MODEL_DIR, GGUF), n_ctx=512, n_threads=threads, n_threads_batch=threads,
                n_batch=512, verbose=False)
    ids = llm.tokenize(TEXT.encode(), add_bos=False)[:PROMPT]
    llm.eval(ids[:8]); llm.reset()  # warm-up
    t0 = time.perf_counter()
    llm.eval(ids)
    prefill = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(NEW):
        llm.eval([llm.sample(temp=0.0)])
    decode = time.perf_counter() - t0
    return PROMPT / prefill, NEW / decode


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--afina", default=".build/release/afina")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    a = p.parse_args()
    rows = []
    for batch in (1, 8):
        af = afina(a.afina, batch)
        rows.append((f"afina", batch, *af, None))
        pt = pytorch(batch, a.threads)
        rows.append(("pytorch fp32", batch, *pt, af[1] / pt[1]))
    try:
        lc = llama_cpp(a.threads)
        rows.insert(1, ("llama.cpp", 1, *lc, rows[0][3] / lc[1]))
    except ImportError:
        print("llama-cpp-python not installed: skipping llama.cpp")
    print(f"SmolLM2-135M-Instruct Q4_1, prompt {PROMPT}, {NEW} new tokens, {a.threads} threads")
    print(f"{'tool':<14}{'batch':>6}{'prefill tok/s':>15}{'decode tok/s':>14}{'afina decode / tool':>21}")
    for name, batch, pre, dec, ratio in rows:
        print(f"{name:<14}{batch:>6}{pre:>15.1f}{dec:>14.1f}{'' if ratio is None else f'{ratio:>21.2f}'}")


if __name__ == "__main__":
    main()
