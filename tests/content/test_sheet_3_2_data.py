"""Sheet 3.2's shipped data and given code load offline and have the promised shape."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import sheet_3_2_given as given
import torch

DATA = Path(given.__file__).resolve().parent / "data"
SHARED_NAMES = Path(__file__).resolve().parents[3] / "shared" / "data" / "names"
JUDGE_DATA = Path(__file__).resolve().parents[2] / "tests" / "hidden" / "sheet_3_2" / "data"


def test_names_data_is_the_documented_file_without_the_judges_names():
    raw = (DATA / "names-data.json").read_bytes()
    note = (DATA / "SOURCE.md").read_text(encoding="utf-8")
    public_sha, original_sha = re.findall(r"sha256 `([0-9a-f]{64})`", note)[:2]
    assert hashlib.sha256(raw).hexdigest() == public_sha
    names = given.load_names_data()
    heldout = json.loads((JUDGE_DATA / "names-heldout.json").read_text(encoding="utf-8"))
    assert list(heldout) == list(names) and all(len(heldout[c]) == 10 for c in names)
    assert not {n for v in heldout.values() for n in v} & {n for v in names.values() for n in v}
    if (SHARED_NAMES / "names-data.json").exists():
        original = (SHARED_NAMES / "names-data.json").read_bytes()
        assert hashlib.sha256(original).hexdigest() == original_sha
        full = json.loads(original)
        held = {n for members in heldout.values() for n in members}
        assert {c: [n for n in v if n not in held] for c, v in full.items()} == names
    assert len(names) == 18 and list(names)[:2] == ["Czech", "German"]
    assert all(c in given.all_letters for members in names.values() for name in members for c in name)


def test_encoding_follows_sheet_2_4():
    assert given.n_letters == 60 and given.EOS_INDEX == 58 and given.SOS_INDEX == 59
    rows = given.input_tensors("Abl")
    assert [tuple(r.shape) for r in rows] == [(1, 60)] * 4 and all(r.dtype == torch.float32 for r in rows)
    assert [int(r.argmax()) for r in rows] == [59, 26, 1, 11]
    assert given.target_indices("Abl").tolist() == [26, 1, 11, 58]
    rnn = given.CharRNN(18, 60, 16)
    out, hidden = rnn(given.category_tensor("German", list(given.load_names_data())), rows[0], rnn.init_hidden())
    assert out.shape == (1, 60) and hidden.shape == (1, 16)


def test_mlm_corpus_loads_with_datasets_offline(tmp_path):
    from datasets import load_dataset

    corpus = given.load_mlm_corpus()
    assert corpus.column_names == ["text"] and 300 <= len(corpus) <= 1000
    via_builder = load_dataset("text", data_files=str(DATA / "mlm_corpus.txt"), split="train",
                               cache_dir=str(tmp_path))
    assert via_builder["text"] == corpus["text"]
    tokenizer = given.build_mlm_tokenizer()
    mapped = corpus.map(lambda b: tokenizer(b["text"], truncation=True, max_length=64), batched=True)
    assert tokenizer.unk_token_id not in {i for row in mapped["input_ids"] for i in row}


def test_qa_data_is_multiple_choice_with_one_answer():
    data = given.load_qa_data()
    with open(JUDGE_DATA / "qa_heldout.jsonl", encoding="utf-8") as f:
        heldout = [json.loads(line) for line in f]
    assert set(data) == {"train", "dev"} and len(data["train"]) >= 500 and len(data["dev"]) >= 100
    assert len(heldout) >= 100
    splits = [data["train"], data["dev"], heldout]
    keys = [{(q["question"], tuple(q["options"])) for q in split} for split in splits]
    assert not keys[0] & keys[1] and not keys[0] & keys[2] and not keys[1] & keys[2]
    for item in data["train"] + data["dev"] + heldout:
        assert len(item["options"]) == 5 and item["answer_key"] in "ABCDE"
    answers = [item["answer_key"] for item in data["train"]]
    assert all(answers.count(k) > len(answers) / 10 for k in "ABCDE")


def test_mlm_tokenizer_is_a_fast_wordpiece_with_bert_specials():
    tokenizer = given.build_mlm_tokenizer()
    assert tokenizer.is_fast
    assert [tokenizer.pad_token, tokenizer.unk_token, tokenizer.cls_token, tokenizer.sep_token,
            tokenizer.mask_token] == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    assert tokenizer.convert_tokens_to_ids(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]) == [0, 1, 2, 3, 4]
    ids = tokenizer("The dog sat.")["input_ids"]
    assert ids[0] == tokenizer.cls_token_id and ids[-1] == tokenizer.sep_token_id
    assert tokenizer.convert_ids_to_tokens(ids[1:-1]) == ["the", "dog", "sat", "."]
    assert len(tokenizer) == len((DATA / "mlm_tokenizer" / "vocab.txt").read_text().splitlines())


def test_qa_tokenizer_is_fast_with_offsets_and_padding():
    tokenizer = given.build_qa_tokenizer()
    assert tokenizer.is_fast and tokenizer.pad_token == "<|pad|>" and tokenizer.eos_token == "<|endoftext|>"
    assert tokenizer.pad_token_id != tokenizer.eos_token_id
    text = "Which of these is a fruit? A. apple"
    enc = tokenizer(text, return_offsets_mapping=True, padding="max_length", max_length=16)
    assert len(enc["input_ids"]) == 16 and enc["input_ids"][-1] == tokenizer.pad_token_id
    last = max(i for i, m in enumerate(enc["attention_mask"]) if m)
    lo, hi = enc["offset_mapping"][last]
    assert text[lo:hi] == "apple" and tokenizer.decode(enc["input_ids"][: last + 1]) == text
    vocab = json.loads((DATA / "qa_tokenizer" / "vocab.json").read_text())
    assert len(tokenizer) == len(vocab)


def test_factories_return_fresh_objects():
    first = given.FACTORIES["qa_tokenizer"]()
    first.padding_side = "left"
    second = given.FACTORIES["qa_tokenizer"]()
    assert second is not first and second.padding_side == "right"
    assert set(given.FACTORIES) >= {"mlm_tokenizer", "qa_tokenizer"}


def test_qa_config_covers_the_tokenizer():
    from transformers import GPT2Config, GPT2Model

    config = given.make_qa_config()
    tokenizer = given.build_qa_tokenizer()
    assert isinstance(config, GPT2Config) and config.vocab_size >= len(tokenizer) and config.n_positions >= 64
    assert config.pad_token_id == tokenizer.pad_token_id
    model = GPT2Model(config)
    ids = torch.tensor([tokenizer("Which one is a tool? A. saw")["input_ids"]])
    assert model(ids).last_hidden_state.shape == (1, ids.shape[1], config.n_embd)


def test_data_generator_is_staff_only():
    """make_data.py draws the judge's held-out data with a fixed seed: it must not ship."""
    assert not (DATA / "make_data.py").exists() and not (DATA / "qa_heldout.jsonl").exists()
    source = (JUDGE_DATA / "make_data.py").read_text(encoding="utf-8")
    assert "SEED" in source and "def main" in source
