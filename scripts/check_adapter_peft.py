"""Checks that an adapter written by `afina train` loads in peft and gives the same numbers
as `afina generate --adapter`: greedy tokens equal, and the top-5 log-probabilities at every
generated position within 2e-3 (the base is the Q4_1 GGUF, which transformers dequantizes to
the same float32 weights; the rest is float32 summation order). Then `afina merge` writes a
Hugging Face directory, which transformers loads; its logits must be within 1e-5 (relative
to the largest logit) of peft's merge_and_unload.

Run: python3 scripts/check_adapter_peft.py ADAPTER_DIR [--afina .build/release/afina]
Needs: scripts/requirements.txt, and the float32 export of the base that
scripts/make_real_model_fixtures.py writes to ~/.cache/afina/reference/smollm2-135m-instruct-hf.

Another base: --base SPEC (what Afina loads) --reference DIR (the same weights as a float32
Hugging Face directory) and raw prompts (--prompt TEXT, repeatable) where it has no chat
template, e.g. for an adapter `afina train` made on the tiny Gemma 3 of Tests/Fixtures:
  --base DIR --reference DIR --prompt "the cat sat"
"""
import argparse, json, os, subprocess
import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM

CACHE = os.path.expanduser(os.environ.get("AFINA_CACHE", "~/.cache/afina"))
BASE = os.path.join(CACHE, "reference", "smollm2-135m-instruct-hf")
PROMPTS = ["Correct the spelling of this word: recieve", "Correct the spelling of this word: accomodate",
           "Write one sentence about the sea."]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("adapter")
    ap.add_argument("--afina", default=".build/release/afina")
    ap.add_argument("--tokens", type=int, default=12)
    ap.add_argument("--base", default="smollm2-135m-instruct")
    ap.add_argument("--reference", default=BASE)
    ap.add_argument("--prompt", action="append", help="raw prompt (default: chat messages)")
    args = ap.parse_args()
    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(args.reference, dtype=torch.float32),
                                      args.adapter).eval()
    worst, same = 0.0, True
    for prompt in args.prompt or PROMPTS:
        out = json.loads(subprocess.run([args.afina, "generate", "--model", args.base, "--adapter", args.adapter,
                                         "--prompt" if args.prompt else "--chat", prompt,
                                         "--max-tokens", str(args.tokens), "--json"],
                                        check=True, capture_output=True, text=True).stdout)
        ids = out["prompt_ids"] + out["ids"]
        with torch.no_grad():
            logp = torch.log_softmax(model(input_ids=torch.tensor([ids])).logits[0].float(), -1)
        for i, step in enumerate(out["logprobs"]):
            row = logp[len(out["prompt_ids"]) - 1 + i]
            same &= int(row.argmax()) == step["id"]
            for t in step["top"]:
                worst = max(worst, abs(float(row[t["id"]]) - t["logprob"]))
        print(f"{prompt!r}: afina {out['text']!r}")
    print(f"greedy tokens identical: {same}; max |log-prob difference| over top-5: {worst:.2e}")
    merged_dir = os.path.join(args.adapter, "..", "merged-check")
    subprocess.run([args.afina, "merge", args.base, args.adapter, merged_dir], check=True,
                   capture_output=True)
    merged = AutoModelForCausalLM.from_pretrained(merged_dir, dtype=torch.float32).eval()
    reference = model.merge_and_unload().eval()  # peft's own W + scale * B A
    ids = torch.tensor([list(range(1, 40))])
    with torch.no_grad():
        expected = reference(input_ids=ids).logits
        gap = ((merged(input_ids=ids).logits - expected).abs().max() / expected.abs().max()).item()
    print(f"afina merge -> transformers: max |logit difference| to peft's merge_and_unload {gap:.2e} of the largest logit")
    raise SystemExit(0 if same and worst <= 2e-3 and gap <= 1e-5 else 1)


if __name__ == "__main__":
    main()
