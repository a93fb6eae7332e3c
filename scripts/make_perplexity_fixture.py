"""Reference perplexity of the tiny Llama fixture for the `afina eval --perplexity` tests.

Works at the token-id level (the fixture model has no tokenizer): a few ragged sequences
with target flags (token i is scored when targets[i], predicted from tokens[:i]), as
`TrainingSequence` holds them. transformers' LlamaForCausalLM computes the logits, in float64
from the float32 checkpoint so the reference itself carries no rounding worth mentioning;
the mean NLL is the mean over all target tokens of every sequence, and perplexity its exp.

Writes Tests/Fixtures/eval/perplexity.json:
  {"model": "models/llama", "sequences": [{"tokens": [...], "targets": [...], "nll_sum": x}],
   "target_count": n, "mean_nll": x, "perplexity": x}

Run: python3 scripts/make_perplexity_fixture.py   (pinned stack: scripts/requirements.txt)
"""
import json, math, os
import torch
import torch.nn.functional as F
from transformers import AutoModelForCausalLM

HERE = os.path.dirname(__file__)
FIXTURES = os.path.join(HERE, "..", "Tests", "Fixtures")

# Answer-only masks (chat records) and text-style masks (all tokens after the first).
SEQUENCES = [
    dict(tokens=[1, 17, 42, 99, 3, 250, 7, 2], targets=[False, False, False, False, True, True, True, True]),
    dict(tokens=[1, 5, 6, 300, 11, 2], targets=[False, True, True, True, True, True]),
    dict(tokens=[1, 9, 8, 7, 100, 101, 102, 103, 104, 105, 106, 2],
         targets=[False] * 6 + [True] * 6),
    dict(tokens=[4, 200], targets=[False, True]),
]


def main():
    model = AutoModelForCausalLM.from_pretrained(os.path.join(FIXTURES, "models", "llama"),
                                                 dtype=torch.float32).double().eval()
    total, count, out = 0.0, 0, []
    with torch.no_grad():
        for seq in SEQUENCES:
            ids = torch.tensor([seq["tokens"]])
            logp = F.log_softmax(model(ids).logits[0], dim=-1)        # [T, V]
            nll = 0.0
            for i in range(1, len(seq["tokens"])):
                if seq["targets"][i]:
                    nll -= logp[i - 1, seq["tokens"][i]].item()
                    count += 1
            total += nll
            out.append(dict(seq, nll_sum=nll))
    mean = total / count
    result = dict(model="models/llama", sequences=out, target_count=count, mean_nll=mean, perplexity=math.exp(mean))
    with open(os.path.join(FIXTURES, "eval", "perplexity.json"), "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print(f"mean NLL {mean:.8f} over {count} tokens, perplexity {math.exp(mean):.6f}")


if __name__ == "__main__":
    main()
