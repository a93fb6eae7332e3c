"""Checks that a T5 adapter written by `afina train` loads in peft and gives the numbers of
`afina generate --adapter`: the same greedy tokens, and top-5 log-probabilities at every
generated position within 1e-4. Then `afina export ADAPTER --to hf` writes a directory that
transformers loads, whose logits are within 1e-5 (relative to the largest) of peft's
merge_and_unload.

Run: python3 scripts/check_t5_peft.py ADAPTER_DIR --base T5_DIR --prompt TEXT [--prompt ...]
     [--afina .build/release/afina]   (needs scripts/requirements.txt)
"""
import argparse, json, subprocess, tempfile
import torch
from peft import PeftModel
from transformers import AutoModelForSeq2SeqLM


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("adapter")
    ap.add_argument("--base", required=True)
    ap.add_argument("--prompt", action="append", required=True)
    ap.add_argument("--afina", default=".build/release/afina")
    ap.add_argument("--tokens", type=int, default=8)
    args = ap.parse_args()
    model = PeftModel.from_pretrained(AutoModelForSeq2SeqLM.from_pretrained(args.base, dtype=torch.float32),
                                      args.adapter).eval()
    start = model.config.decoder_start_token_id
    worst, same = 0.0, True
    for prompt in args.prompt:
        out = json.loads(subprocess.run([args.afina, "generate", "--model", args.base, "--adapter", args.adapter,
                                         "--prompt", prompt, "--max-tokens", str(args.tokens), "--json"],
                                        check=True, capture_output=True, text=True).stdout)
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([out["prompt_ids"]]),
                           decoder_input_ids=torch.tensor([[start] + out["ids"]])).logits[0]
        logp = torch.log_softmax(logits.float(), -1)
        for i, step in enumerate(out["logprobs"]):
            same &= int(logp[i].argmax()) == step["id"]
            for top in step["top"]:
                worst = max(worst, abs(float(logp[i, top["id"]]) - top["logprob"]))
    print(f"peft vs afina generate: greedy tokens {'equal' if same else 'DIFFER'}, worst top-5 log-prob error {worst:.2e}")
    merged = model.merge_and_unload()
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([args.afina, "export", args.adapter, "--to", "hf", out], check=True, capture_output=True)
        exported = AutoModelForSeq2SeqLM.from_pretrained(out, dtype=torch.float32).eval()
        error = 0.0
        for prompt in args.prompt:
            ids = json.loads(subprocess.run([args.afina, "generate", "--model", args.base, "--prompt", prompt,
                                             "--max-tokens", "1", "--json"], check=True, capture_output=True,
                                            text=True).stdout)["prompt_ids"]
            decoder = torch.tensor([[start] * 4])
            with torch.no_grad():
                a = exported(input_ids=torch.tensor([ids]), decoder_input_ids=decoder).logits
                b = merged(input_ids=torch.tensor([ids]), decoder_input_ids=decoder).logits
            error = max(error, float((a - b).abs().max() / b.abs().max()))
    print(f"transformers on the export vs peft's merge: worst logit error {error:.2e} (relative)")
    if not same or worst > 1e-4 or error > 1e-5:
        raise SystemExit("MISMATCH")


if __name__ == "__main__":
    main()
