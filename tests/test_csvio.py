"""Tests of :mod:`corridor_geo._csvio` and the input-file checks of :mod:`corridor_geo._io`."""

from __future__ import annotations

import codecs
import os
import signal

import pytest
from click.testing import CliRunner

from corridor_geo._csvio import (
    MAX_FIELD_CHARS,
    decode_text,
    neutralise_formulas,
    read_csv_records,
)
from corridor_geo._io import read_input
from corridor_geo.cli import main
from corridor_geo.errors import DataValidationError

TEXT = "from,to,minutes\n广州南,深圳北,29\n松山湖,福田,45\n"
ROWS = [{"from": "广州南", "to": "深圳北", "minutes": "29"},
        {"from": "松山湖", "to": "福田", "minutes": "45"}]


@pytest.mark.parametrize(("data", "encoding"), [
    (TEXT.encode("utf-8"), "utf-8"),
    (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
    (TEXT.encode("gbk"), "gb18030"),
    (TEXT.encode("gb18030"), "gb18030"),
    (TEXT.encode("utf-16"), "utf-16"),  # with BOM (Excel's "Unicode text")
    (TEXT.encode("utf-16-le"), "utf-16"),  # without BOM
    (TEXT.replace("\n", "\r\n").encode("utf-16-be"), "utf-16"),
])
def test_encodings_are_detected_and_reported(tmp_path, data, encoding):
    p = tmp_path / "t.csv"
    p.write_bytes(data)
    table = read_csv_records(p, required=["from", "to", "minutes"])
    assert table.encoding == encoding
    assert table.records == ROWS
    assert table.lines == [2, 3]


@pytest.mark.parametrize(("data", "message"), [
    (TEXT.encode("utf-8") + b"\xff\n", "stray byte at line 4"),
    (TEXT.encode("utf-8").replace(b"29", b"2\xc09"), "not UTF-8: stray byte at line 2"),
    (b"from,to,minutes\nA,B,\x80\n", "not UTF-8, UTF-16 or GB18030/GBK text"),
    (b"from,to,minutes\nA\x00,B,1\n", "NUL byte at line 2"),
    (b"\xef\xbb\xbffrom,to\n\xff\n", "not UTF-8 at line 2"),
])
def test_undecodable_text_is_refused_naming_the_line(tmp_path, data, message):
    p = tmp_path / "t.csv"
    p.write_bytes(data)
    with pytest.raises(DataValidationError, match=message):
        read_csv_records(p, required=["from"], strict=False)


def test_header_rows_and_fields_are_checked(tmp_path):
    p = tmp_path / "t.csv"

    def err(text: str, **kw) -> str:
        p.write_text(text, encoding="utf-8")
        with pytest.raises(DataValidationError) as info:
            read_csv_records(p, required=["a", "b"], **kw)
        return str(info.value)

    assert "duplicate column" in err("a,b,a\n1,2,3\n", strict=False)
    assert "field a" in err("a,b,a\n1,2,3\n", strict=False)
    assert "column 3 has no name" in err("a,b,\n1,2,3\n", strict=False)
    assert "missing column 'b'" in err("a,c\n1,2\n", strict=False)
    assert "unknown column (did you mean 'b'?)" in err("a,b,bb\n1,2,3\n")
    assert "line 3 has 3 fields, more than the 2 columns (a, b)" in err("a,b\n1,2\n1,2,3\n")
    assert "line 2 has 1 fields, fewer than" in err("a,b\n1\n")
    assert "empty file" in err("")
    big = "x" * (MAX_FIELD_CHARS + 1)
    assert f"longer than {MAX_FIELD_CHARS:,} characters" in err(f"a,b\n1,{big}\n")
    # blank lines are skipped; quoted commas are one field; line numbers are file lines
    p.write_text('a,b\n\n"1,5",2\n', encoding="utf-8")
    table = read_csv_records(p, required=["a", "b"])
    assert table.records == [{"a": "1,5", "b": "2"}]
    assert table.lines == [3]


def test_decode_text_plain():
    assert decode_text(b"a,b\n") == ("a,b\n", "utf-8")


def test_special_files_are_refused_without_reading(tmp_path):
    with pytest.raises(DataValidationError, match="is a device; expected a regular"):
        read_input("/dev/zero")
    with pytest.raises(DataValidationError, match="is a directory"):
        read_input(tmp_path)
    with pytest.raises(DataValidationError, match="file not found"):
        read_input(tmp_path / "missing.csv")
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    # would block forever if opened for reading without a writer
    with pytest.raises(DataValidationError, match="is a FIFO"):
        read_input(fifo)
    p = tmp_path / "big.csv"
    p.write_bytes(b"x" * 101)
    with pytest.raises(DataValidationError, match="at most 100 bytes"):
        read_input(p, max_bytes=100)


@pytest.mark.parametrize("target", ["/dev/zero", "fifo"])
def test_cli_special_files_exit_2_without_hanging(tmp_path, target):
    if target == "fifo":
        target = str(tmp_path / "s.yaml")
        os.mkfifo(target)
    def alarm(*_: object) -> None:
        raise TimeoutError("the CLI hung on a special file")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(120)
    try:
        results = [CliRunner().invoke(main, ["--quiet", *args])
                   for args in (["run", target, "--check"], ["validate-times", target])]
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    for res in results:
        assert res.exit_code == 2, res.output
        assert res.stderr.count("\n") == 1
        assert "expected a regular" in res.stderr


def test_formulas_are_neutralised():
    cells = ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "-3.5",
             "+7", "1e-3", "plain", "a=b", None, 4.0]
    assert neutralise_formulas(cells) == [
        "'=HYPERLINK(\"http://x\",\"y\")", "'+1+1", "'-2+3", "'@SUM(A1)", "'\tx", "-3.5",
        "+7", "1e-3", "plain", "a=b", None, 4.0]


def test_extra_nodes_csv_in_gbk_and_with_extra_fields(tmp_path):
    from corridor_geo.data import read_extra_nodes

    p = tmp_path / "n.csv"
    p.write_bytes("id,name,lon,lat\nmy_a,松山湖实验室,113.89,22.92\n".encode("gbk"))
    assert list(read_extra_nodes(p)["name_en"]) == ["松山湖实验室"]
    p.write_text("id,name,lon,lat\nmy_a,A,113.89,22.92,extra\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["--quiet", "nodes", "--extra-nodes", str(p)])
    assert res.exit_code == 2
    assert "line 2 has 5 fields, more than the 4 columns" in res.stderr
    assert res.stderr.count("\n") == 1


def test_repeated_cell_values_are_one_string_object(tmp_path):
    # a million rows naming a few stations must not hold a million copies of each name
    p = tmp_path / "times.csv"
    p.write_text("from,to,minutes\n" + "".join(f"福田,深圳北,{m}\n" for m in range(50)),
                 encoding="utf-8")
    recs = read_csv_records(p, required=["from", "to", "minutes"]).records
    assert len({id(r["from"]) for r in recs}) == 1
    assert len({id(r["to"]) for r in recs}) == 1
    assert [r["minutes"] for r in recs] == [str(m) for m in range(50)]
    assert recs[0] == {"from": "福田", "to": "深圳北", "minutes": "0"}
