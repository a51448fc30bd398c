"""How the command reads its input: through the library's decoder, in bounded memory.

* ``_cli.py`` does no SSE or JSON-lines parsing of its own (the library's ``Decoder`` does).
* Format detection looks at each byte once and keeps O(1) of them, however many blanks the
  input starts with (counted, not timed: ``bench/adversarial_cases_cli.py`` has the timing
  case), and reads the rest exactly as if nothing had been skipped.
* ``--format sse`` on bytes with no SSE field is an input error.
* ``check`` streams: its memory does not grow with the input.
"""

from __future__ import annotations

import ast
import json
import tracemalloc
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest
from corpus import LITELLM, recording

import typedstream._cli
from typedstream._cli import Sniffer, Source, check_source, main

FIRST = {
    "id": "chatcmpl-1",
    "object": "chat.completion.chunk",
    "created": 1,
    "model": "m",
    "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}],
}


def test_the_command_module_parses_neither_sse_nor_json() -> None:
    tree = ast.parse(Path(typedstream._cli.__file__).read_text())
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    modules = {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    assert not {"jiter", "json", "SSEDecoder"} & imported
    assert not {"jiter", "json", "_sse"} & modules
    names = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    assert not {"from_json", "loads", "feed_line", "splitlines"} & names


def sniff(data: bytes, piece: int) -> Sniffer:
    sniffer = Sniffer("x")
    for start in range(0, len(data), piece):
        if sniffer.feed(data[start : start + piece]) is not None:
            break
    return sniffer


@pytest.mark.parametrize(
    ("piece", "size"),
    [(1, 10_000), (1, 100_000), (7, 100_000), (7, 1_000_000), (65536, 1_000_000)],
)
def test_detection_looks_at_each_byte_once_and_keeps_a_few(piece: int, size: int) -> None:
    blanks = b"\r\n \t" * (size // 4)
    sniffer = sniff(blanks + b"data: {}\n\n", piece)
    assert sniffer.format == "sse"
    assert sniffer.scanned <= len(blanks) + piece + len(b"data: {}\n\n")  # linear: each byte once
    assert len(sniffer.kept) <= piece + 6  # never the blanks: O(1) memory
    assert len(sniffer.head("sse")) <= piece + 8


@pytest.mark.parametrize(
    "blanks", [b"", b"\n\n", b"\r\n   \r\n", b"\r", b"  ", b"\n  \t", b"\xef\xbb\xbf\n \n"]
)
@pytest.mark.parametrize("piece", [1, 3, 65536])
def test_what_detection_skipped_reads_as_it_would_have(blanks: bytes, piece: int) -> None:
    from typedstream._reader import Decoder

    rec = recording("openai_gpt4o_refusal.sse")
    body = blanks + rec.body()
    whole: list[Any] = []
    Decoder().feed(body, lambda c: [c], whole)
    sniffer = sniff(body, piece)
    rest = body[min(len(body), sniffer.scanned) :]
    read: list[Any] = []
    decoder = Decoder()
    decoder.feed(sniffer.head("sse") + rest, lambda c: [c], read)
    assert read == whole


def test_jsonl_line_numbers_count_the_skipped_blank_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "stream"  # no suffix: the format is sniffed
    path.write_bytes(b"\n" * 100_000 + b"   \n" + json.dumps(FIRST).encode() + b"\n{bad\n")
    assert main(["events", str(path)]) == 2
    assert "chunk 2: line 100003: malformed JSON" in capsys.readouterr().err


def test_an_indented_field_is_no_sse_field_after_blanks_either(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "stream"
    path.write_bytes(b"\n\n   data: " + json.dumps(FIRST).encode() + b"\n\n")
    for options in (["--format", "sse"], []):
        assert main(["events", *options, str(path)]) == 2
        assert "chunk 1: not an SSE body" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["events", "check", "normalize"])
def test_format_sse_on_bytes_without_an_sse_field_is_an_input_error(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "chunks.jsonl"
    path.write_bytes(json.dumps(FIRST).encode() + b"\n")
    assert main([command, "--format", "sse", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: chunk 1: not an SSE body: no data:, event:, id: or retry: field" in err
    assert main([command, "--format", "sse", str(tmp_path / "empty")]) == 2  # cannot open
    empty = tmp_path / "empty.sse"
    empty.write_bytes(b"\n\n")
    assert main([command, "--format", "sse", str(empty)]) == 4  # no chunks: cut off


def _deviating_jsonl(count: int) -> Generator[bytes, None, None]:
    # LiteLLM's chunks: several deviations each (null keys, keys OpenAI does not send).
    chunks = recording("litellm_openai_tools_sync.jsonl").chunks()
    middle = chunks[1]
    yield json.dumps(chunks[0]).encode() + b"\n"
    line = json.dumps(middle).encode() + b"\n"
    batch = line * 100
    for _ in range(count // 100):
        yield batch
    yield json.dumps(chunks[-1]).encode() + b"\n"


def check_peak(count: int) -> tuple[int, int]:
    tracemalloc.start()
    try:
        report = check_source(Source("x.jsonl", "jsonl", _deviating_jsonl(count)))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, report.count


def test_check_memory_does_not_grow_with_the_input() -> None:
    assert (LITELLM / "litellm_openai_tools_sync.jsonl").exists()
    small, small_count = check_peak(1_000)
    large, large_count = check_peak(20_000)
    assert large_count > 15 * small_count  # every deviation counted
    assert large < 1.5 * small + 100_000, (small, large)
