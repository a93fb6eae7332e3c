"""Training speed and peak memory of Afina beside PyTorch on the same machine, same run.

Same work for all: SmolLM2-135M-Instruct, batch 4 x 256 random tokens, loss on every token,
AdamW; full fine-tuning and LoRA r=16 (alpha 32) on all linear layers. PyTorch runs fp32 and
bf16 autocast (its fastest CPU mode), Afina fp32 and bf16 products (`--precision`); every
configuration runs in its own process so its peak RSS is its own. Prints a table with
Afina's ratio to each PyTorch mode.

Run: python3 scripts/bench_train_baseline.py [--afina .build/release/afina] [--threads 2] [--steps 3]
Needs: scripts/requirements.txt (torch, transformers, peft, accelerate, gguf).
"""
import argparse, json, os, resource, subprocess, sys, time

CACHE = os.path.expanduser(os.environ.get("AFINA_CACHE", "~/.cache/afina"))
MODEL_DIR = os.path.join(CACHE, "models", "smollm2-135m-instruct")
GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
BATCH, LENGTH = 4, 256


def pytorch_worker(method, precision, threads, steps):
    """Runs in a child process; prints one JSON line."""
    import torch
    from transformers import AutoModelForCausalLM
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(MODEL_DIR, gguf_file=GGUF, dtype=torch.float32).train()
    if method == "lora":
        from peft import LoraConfig, get_peft_model
        model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, task_type="CAUSAL_LM",
                                                 target_modules=["q_proj", "k_proj", "v_proj", "o_proj",
                                                                 "gate_proj", "up_proj", "down_proj"]))
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-5)
    vocab = model.config.vocab_size

    def step():
        ids = torch.randint(0, vocab, (BATCH, LENGTH + 1))
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            loss = model(input_ids=ids[:, :-1], labels=ids[:, :-1]).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad()

    step()  # warm-up
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    speed = BATCH * LENGTH * steps / (time.perf_counter() - t0)
    print(json.dumps(dict(tokens_per_second=speed, peak_rss_bytes=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)))


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--afina", default=".build/release/afina")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return pytorch_worker(*args.worker, args.threads, args.steps)
    rows = []
    for method in ["full", "lora"]:
        torch_runs = {p: run_json([sys.executable, __file__, "--worker", method, p, "--threads", str(args.threads),
                                   "--steps", str(args.steps)]) for p in ["fp32", "bf16"]}
        for afina_method in ([method] if method == "full" else ["lora", "qlora"]):
            for precision in ["fp32", "bf16"]:
                a = run_json([args.afina, "bench", "train", "--method", afina_method, "--precision", precision,
                              "--steps", str(args.steps), "--json"])
                rows.append((f"{afina_method} {precision}", a, torch_runs))
    print(f"batch {BATCH} x {LENGTH} tokens, {args.threads} threads; tokens/s (peak RSS MiB)")
    print("Afina method, products | Afina | PyTorch fp32 | PyTorch bf16 autocast | Afina / fp32 | Afina / bf16 | memory / fp32")
    print("---|---|---|---|---|---|---")
    for method, a, t in rows:
        f, b = t["fp32"], t["bf16"]
        print(f"{method} | {a['tokens_per_second']:.0f} ({a['peak_rss_bytes'] >> 20}) | "
              f"{f['tokens_per_second']:.0f} ({f['peak_rss_bytes'] >> 20}) | {b['tokens_per_second']:.0f} ({b['peak_rss_bytes'] >> 20}) | "
              f"{a['tokens_per_second'] / f['tokens_per_second']:.2f}x | {a['tokens_per_second'] / b['tokens_per_second']:.2f}x | "
              f"{a['peak_rss_bytes'] / f['peak_rss_bytes']:.2f}")


if __name__ == "__main__":
    main()
