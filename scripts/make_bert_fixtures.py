"""Reference numbers for the BERT family (PyTorch + transformers, float32).

Tiny random models (seeded), saved as Hugging Face directories under Tests/Fixtures/models/
with the tiny cased WordPiece tokenizer of Tests/Fixtures/tokenizer/bert-cased (487 tokens;
scripts/make_wordpiece_fixtures.py), so whole runs can be tested on them:
  bert-cls/  BertForSequenceClassification, 3 labels with names, hidden_act gelu (erf)
  bert-mlm/  BertForMaskedLM, tied decoder, hidden_act gelu_new (tanh)
and under Tests/Fixtures/bert/:
  batch.json               three sequences (one a sentence pair) with token type ids, the class
                           labels and the masked-LM targets (-100 = no loss)
  cls.safetensors          last hidden states of the real tokens (packed), logits, the mean
                           cross-entropy loss and d loss / d every parameter (`grad.<name>`)
  mlm.safetensors          logits at the target rows, loss, every parameter's gradient
  contrastive.safetensors  a tiny BertModel (models/bert-base): sentence-transformers'
                           MultipleNegativesRankingLoss (mean pooling, cosine x 20, in-batch
                           negatives) of the pairs in batch.json, and every parameter's gradient
  cls-lora/                a peft LoRA adapter of bert-cls (query, value; B nonzero) with the
                           classifier as modules_to_save (changed from the base's), as peft saves
                           it, and lora-logits.safetensors: the logits of base + adapter
  minilm.json              the real all-MiniLM-L6-v2 (`afina pull all-minilm-l6-v2`): token ids of
                           varied sentences from its tokenizer.json
  minilm.safetensors       its last hidden states (packed) and sentence-transformers embeddings
                           (mean pooling, L2 normalisation)
The batch runs padded to the longest sequence with an attention mask, as transformers users
run it; Afina packs the same sequences without padding.

    python3 scripts/make_bert_fixtures.py      (pinned stack: scripts/requirements.txt)
"""
import json
import os
import shutil
from pathlib import Path

import torch
from safetensors.torch import save_file
from transformers import BertConfig, BertForMaskedLM, BertForSequenceClassification, BertModel

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "Tests" / "Fixtures" / "models"
OUT = ROOT / "Tests" / "Fixtures" / "bert"
CACHE = Path(os.environ.get("AFINA_CACHE", Path.home() / ".cache" / "afina")) / "models"
MINILM = CACHE / "all-minilm-l6-v2" / "model"

SEQUENCES = [
    {"ids": [2, 17, 45, 9, 88, 31, 3], "type_ids": [0] * 7},
    {"ids": [2, 5, 60, 61, 12, 3, 40, 41, 42, 7, 98, 3], "type_ids": [0] * 6 + [1] * 6},
    {"ids": [2, 77, 13, 3], "type_ids": [0] * 4},
]
CLASS_LABELS = [2, 0, 1]
PAIRS = [([2, 17, 45, 9, 3], [2, 17, 44, 9, 30, 3]), ([2, 60, 61, 3], [2, 61, 60, 12, 3]),
         ([2, 77, 13, 98, 97, 3], [2, 77, 13, 3])]
MLM_TARGETS = [[-100, 50, -100, -100, 21, -100, -100],
               [-100, -100, 60, -100, -100, -100, -100, 11, -100, -100, 97, -100],
               [-100, 13, -100, -100]]


TOKENIZER = ROOT / "Tests" / "Fixtures" / "tokenizer" / "bert-cased"


def save(model, name):
    model.save_pretrained(MODELS / name)
    for file in ["tokenizer.json", "tokenizer_config.json"]:
        shutil.copy(TOKENIZER / file, MODELS / name / file)


def tiny_config(**extra):
    return BertConfig(vocab_size=487, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                      intermediate_size=48, max_position_embeddings=40, type_vocab_size=2,
                      hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, **extra)


def padded_batch():
    n = max(len(s["ids"]) for s in SEQUENCES)
    ids = torch.tensor([s["ids"] + [0] * (n - len(s["ids"])) for s in SEQUENCES])
    types = torch.tensor([s["type_ids"] + [0] * (n - len(s["type_ids"])) for s in SEQUENCES])
    mask = torch.tensor([[1] * len(s["ids"]) + [0] * (n - len(s["ids"])) for s in SEQUENCES])
    return ids, types, mask


def packed(hidden, mask):
    """Rows of the real tokens, sequences one after another: Afina's layout."""
    return torch.cat([hidden[i, : int(mask[i].sum())] for i in range(hidden.shape[0])])


def gradients(model):
    return {f"grad.{name}": p.grad.detach().clone() for name, p in model.named_parameters() if p.grad is not None}


def classification():
    torch.manual_seed(7)
    model = BertForSequenceClassification(tiny_config(
        num_labels=3, id2label={0: "negative", 1: "neutral", 2: "positive"},
        label2id={"negative": 0, "neutral": 1, "positive": 2}))
    model.eval()
    save(model, "bert-cls")
    ids, types, mask = padded_batch()
    out = model(input_ids=ids, token_type_ids=types, attention_mask=mask, labels=torch.tensor(CLASS_LABELS),
                output_hidden_states=True)
    out.loss.backward()
    tensors = {"hidden": packed(out.hidden_states[-1], mask), "logits": out.logits, "loss": out.loss.reshape(1)}
    tensors.update(gradients(model))
    save_file({k: v.detach().contiguous() for k, v in tensors.items()}, OUT / "cls.safetensors")


def classification_lora():
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(5)
    base = BertForSequenceClassification.from_pretrained(MODELS / "bert-cls").eval()
    model = get_peft_model(base, LoraConfig(r=2, lora_alpha=4, target_modules=["query", "value"], task_type="SEQ_CLS",
                                            init_lora_weights=False))
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "modules_to_save" in name:
                p.add_(torch.randn_like(p) * 0.1)
    model.save_pretrained(OUT / "cls-lora")
    os.remove(OUT / "cls-lora" / "README.md")
    ids, types, mask = padded_batch()
    logits = model(input_ids=ids, token_type_ids=types, attention_mask=mask).logits
    save_file({"logits": logits.detach().contiguous()}, OUT / "cls-lora" / "lora-logits.safetensors")


def contrastive():
    """MultipleNegativesRankingLoss as sentence-transformers computes it, on mean-pooled states."""
    from sentence_transformers.util import cos_sim

    torch.manual_seed(13)
    model = BertModel(tiny_config())
    model.eval()
    save(model, "bert-base")
    def embed(ids):
        return model(input_ids=torch.tensor([ids])).last_hidden_state[0].mean(dim=0)
    anchors = torch.stack([embed(a) for a, _ in PAIRS])
    positives = torch.stack([embed(p) for _, p in PAIRS])
    loss = torch.nn.functional.cross_entropy(cos_sim(anchors, positives) * 20, torch.arange(len(PAIRS)))
    loss.backward()
    tensors = {"loss": loss.reshape(1)}
    tensors.update(gradients(model))
    save_file({k: v.detach().contiguous() for k, v in tensors.items()}, OUT / "contrastive.safetensors")


def masked_lm():
    torch.manual_seed(11)
    model = BertForMaskedLM(tiny_config(hidden_act="gelu_new"))
    model.eval()
    save(model, "bert-mlm")
    ids, types, mask = padded_batch()
    n = ids.shape[1]
    labels = torch.tensor([t + [-100] * (n - len(t)) for t in MLM_TARGETS])
    out = model(input_ids=ids, token_type_ids=types, attention_mask=mask, labels=labels)
    out.loss.backward()
    rows = labels != -100
    tensors = {"logits": out.logits[rows], "loss": out.loss.reshape(1)}
    tensors.update(gradients(model))
    save_file({k: v.detach().contiguous() for k, v in tensors.items()}, OUT / "mlm.safetensors")


MINILM_SENTENCES = [
    "A man is playing a guitar.",
    "The new movie is awesome!",
    "Crème brûlée is a French dessert, naïvely simple.",
    "She works as a nurse; he works as an engineer.",
    "我爱北京天安门",
    "What's the capital of France? Paris, of course.",
    "x",
    "The quick brown fox jumps over the lazy dog " * 6,
]


def minilm():
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(MINILM / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    ids = [tokenizer.encode(s).ids for s in MINILM_SENTENCES]
    model = BertModel.from_pretrained(MINILM).eval()
    hidden = [model(input_ids=torch.tensor([i])).last_hidden_state[0] for i in ids]
    embedder = SentenceTransformer(str(MINILM), device="cpu")
    embeddings = embedder.encode(MINILM_SENTENCES, convert_to_tensor=True, normalize_embeddings=False)
    with open(OUT / "minilm.json", "w") as f:
        json.dump({"sentences": MINILM_SENTENCES, "ids": ids, "max_seq_length": embedder.max_seq_length}, f,
                  ensure_ascii=False, indent=1)
    save_file({"hidden": torch.cat(hidden).detach().contiguous(), "embeddings": embeddings.contiguous()},
              OUT / "minilm.safetensors")


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "batch.json", "w") as f:
        json.dump({"sequences": SEQUENCES, "class_labels": CLASS_LABELS, "mlm_targets": MLM_TARGETS,
                   "pairs": [{"anchor": a, "positive": p} for a, p in PAIRS]}, f, indent=1)
    classification()
    classification_lora()
    masked_lm()
    contrastive()
    minilm()
    print("wrote", OUT)
