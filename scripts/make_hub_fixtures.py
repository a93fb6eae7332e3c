"""A small zip (like a wheel) with a deflated and a stored member, and their sha256 digests.

Run: python3 scripts/make_hub_fixtures.py
"""
import hashlib, json, os, random, zipfile

out = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "hub")
os.makedirs(out, exist_ok=True)
rng = random.Random(7)
deflated = bytes(rng.choice(b"GGUF afina ") for _ in range(300_000))
stored = "plain text member\n".encode() * 10
with zipfile.ZipFile(os.path.join(out, "sample.zip"), "w") as z:
    z.writestr(zipfile.ZipInfo("pkg/data/part01.bin"), deflated, compress_type=zipfile.ZIP_DEFLATED)
    z.writestr(zipfile.ZipInfo("pkg/readme.txt"), stored, compress_type=zipfile.ZIP_STORED)
with open(os.path.join(out, "sample.json"), "w") as f:
    json.dump({"pkg/data/part01.bin": hashlib.sha256(deflated).hexdigest(),
               "pkg/readme.txt": hashlib.sha256(stored).hexdigest(),
               "joined": hashlib.sha256(deflated + stored).hexdigest(),
               "empty": hashlib.sha256(b"").hexdigest(),
               "abc": hashlib.sha256(b"abc").hexdigest(),
               "million_a": hashlib.sha256(b"a" * 1_000_000).hexdigest()}, f, indent=1)
