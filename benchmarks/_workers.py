"""One engine measurement per process: `python -m _workers ENGINE MODEL_DIR SEGMENTS OUT.json`.

Each engine runs in its own process so its peak RSS is clean (the parent reads it with
`os.wait4`). Every engine decodes exactly `tokens` target tokens per sentence (min = max
length) with the same beam, so all do identical work on the random-weight models. The JSON
written holds `load_s` (imports excluded: model + tokenizer load, quantization included) and
`translate_s` (tokenize + decode + detokenize of all segments, in batches sorted by length).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def _batches(texts: list[str], size: int) -> list[list[int]]:
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    return [order[i : i + size] for i in range(0, len(order), size)]


def run_transformers(model_dir: str, texts: list[str], args: dict, quantize: bool) -> dict:
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    torch.set_num_threads(args["threads"])
    start = time.perf_counter()
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSeq2SeqLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    if quantize:
        model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    extra = {}
    if args.get("target_lang_token"):
        extra["forced_bos_token_id"] = tokenizer.convert_tokens_to_ids(args["target_lang_token"])
        tokenizer.src_lang = args["source_lang_token"]
    load_s = time.perf_counter() - start

    # the forced language token counts as a new token: decode n content tokens after it
    skip = 2 if extra else 1
    n = args["tokens"] + skip - 1
    outputs: list[str] = [""] * len(texts)
    generated = 0
    start = time.perf_counter()
    with torch.inference_mode():
        for batch in _batches(texts, args["batch_size"]):
            enc = tokenizer([texts[i] for i in batch], return_tensors="pt", padding=True)
            out = model.generate(
                **enc,
                num_beams=args["beam"],
                min_new_tokens=n,
                max_new_tokens=n,
                do_sample=False,
                **extra,
            )
            generated += (out.shape[1] - skip) * out.shape[0]
            for i, text in zip(
                batch, tokenizer.batch_decode(out, skip_special_tokens=True), strict=True
            ):
                outputs[i] = text
    translate_s = time.perf_counter() - start
    return {"load_s": load_s, "translate_s": translate_s, "target_tokens": generated}


def run_ct2(model_dir: str, texts: list[str], args: dict) -> dict:
    import ctranslate2
    import sentencepiece as spm

    start = time.perf_counter()
    translator = ctranslate2.Translator(
        model_dir,
        device="cpu",
        compute_type=args.get("compute_type", "int8"),
        intra_threads=args["threads"],
        inter_threads=1,
    )
    source = Path(model_dir, "source.spm")
    prefix_tgt = None
    if source.exists():  # Marian layout: raw sentencepiece, as fast as tokenizing gets
        sp_src = spm.SentencePieceProcessor(model_file=str(source))
        sp_tgt = spm.SentencePieceProcessor(model_file=str(Path(model_dir, "target.spm")))

        def encode(text: str) -> list[str]:
            return sp_src.encode(text, out_type=str) + ["</s>"]

        decode = sp_tgt.decode
    else:  # NLLB layout: tokenizer.json with language codes
        from transformers import AutoTokenizer

        tok = AutoTokenizer.from_pretrained(model_dir, src_lang=args["source_lang_token"])
        prefix_tgt = [args["target_lang_token"]]

        def encode(text: str) -> list[str]:
            return tok.convert_ids_to_tokens(tok(text).input_ids)

        decode = tok.convert_tokens_to_string
    load_s = time.perf_counter() - start

    n = args["tokens"]
    start = time.perf_counter()
    tokens = [encode(t) for t in texts]
    results = translator.translate_batch(
        tokens,
        target_prefix=[prefix_tgt] * len(tokens) if prefix_tgt else None,
        beam_size=args["beam"],
        min_decoding_length=n + (1 if prefix_tgt else 0),
        max_decoding_length=n + (1 if prefix_tgt else 0),
        max_batch_size=args["batch_size"],
        batch_type="examples",
    )
    hyps = [r.hypotheses[0][1 if prefix_tgt else 0 :] for r in results]
    outputs = [decode(h) for h in hyps]
    translate_s = time.perf_counter() - start
    assert len(outputs) == len(texts)
    return {"load_s": load_s, "translate_s": translate_s, "target_tokens": sum(map(len, hyps))}


def main(argv: list[str]) -> None:
    engine, model_dir, segments, out = argv[:4]
    args = json.loads(argv[4])
    texts = Path(segments).read_text(encoding="utf-8").splitlines()
    if engine == "transformers-fp32":
        result = run_transformers(model_dir, texts, args, quantize=False)
    elif engine == "transformers-int8":
        result = run_transformers(model_dir, texts, args, quantize=True)
    elif engine == "ct2-int8":
        result = run_ct2(model_dir, texts, args)
    else:
        raise SystemExit(f"unknown engine {engine}")
    result["sentences"] = len(texts)
    Path(out).write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
