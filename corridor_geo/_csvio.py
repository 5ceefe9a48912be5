r"""The one CSV reader for every CSV file corridor_geo takes, and CSV-safe output cells.

:func:`read_csv_records` reads a user's (or the bundled) CSV file:

* only a regular file of at most :data:`MAX_CSV_BYTES` (no devices, FIFOs);
* the text encoding is detected and reported: UTF-8 (with or without BOM), UTF-16
  (with BOM, or without when the NUL pattern shows it) and GB18030 (a superset of GBK
  and GB2312, what Excel writes on Chinese Windows). A file decoding as none of them,
  or UTF-8 with stray bytes, is refused naming the line and byte;
* a header of unique, non-empty column names holding the required columns (and, when
  strict, only known ones);
* every row the same number of fields as the header; no field longer than
  :data:`MAX_FIELD_CHARS`; all in one linear pass, with a progress bar for large files.

:func:`neutralise_formulas` makes text cells safe to open in a spreadsheet (OWASP
"CSV injection"): a cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage
return gets a leading apostrophe, unless it is a plain number.

Python's :mod:`csv` does the parsing; pandas' reader would guess types and silently
pad or drop fields, which is what this module exists to refuse.

Examples
--------
>>> import pathlib, tempfile
>>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
>>> _ = p.write_bytes("id,name\nA,广州\n".encode("gb18030"))
>>> table = read_csv_records(p, required=["id"], optional=["name"])
>>> table.encoding, table.records
('gb18030', [{'id': 'A', 'name': '广州'}])
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corridor_geo.errors import DataValidationError

__all__ = [
    "MAX_CSV_BYTES",
    "MAX_FIELD_CHARS",
    "CsvTable",
    "decode_text",
    "neutralise_formulas",
    "neutralise_frame",
    "read_csv_records",
]

#: Largest CSV file read (bytes).
MAX_CSV_BYTES = 256 << 20
#: Longest field (characters).
MAX_FIELD_CHARS = 64 * 1024
#: Show a progress bar from this many bytes on.
_PROGRESS_BYTES = 8 << 20

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class CsvTable:
    """A CSV file read by :func:`read_csv_records`.

    Attributes
    ----------
    header
        Column names (stripped), in file order.
    records
        One dict per data row (values as text, not stripped).
    lines
        For each record, the line number (1-based, in the file) where it starts.
    encoding
        ``"utf-8"``, ``"utf-8-sig"``, ``"utf-16"`` or ``"gb18030"``.
    """

    header: list[str]
    records: list[dict[str, str]]
    lines: list[int] = field(default_factory=list)
    encoding: str = "utf-8"


def _line_of(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def _looks_utf16(raw: bytes) -> str | None:
    sample = raw[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def decode_text(raw: bytes, *, path: str | Path | None = None) -> tuple[str, str]:
    """Decode the bytes of a text file, detecting its encoding.

    Returns
    -------
    (text, encoding)

    Raises
    ------
    DataValidationError
        Naming the line and byte when the bytes are none of UTF-8, UTF-16, GB18030.

    Examples
    --------
    >>> decode_text("松山湖".encode("gbk"))
    ('松山湖', 'gb18030')
    """
    expected = "expected UTF-8 (with or without BOM), UTF-16 or GB18030/GBK text"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise DataValidationError(f"invalid UTF-16 (byte {exc.start}); {expected}",
                                      path=path) from None
    if raw.startswith(codecs.BOM_UTF8):
        try:
            return raw[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            at = exc.start + 3
            raise DataValidationError(
                f"not UTF-8 at line {_line_of(raw, at)} (byte {at}) "
                f"although the file starts with a UTF-8 BOM; {expected}", path=path) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    else:
        if "\x00" in text:
            enc = _looks_utf16(raw)
            if enc:
                try:
                    return raw.decode(enc), "utf-16"
                except UnicodeDecodeError:
                    pass
            raise DataValidationError(
                f"NUL byte at line {_line_of(raw, raw.index(0))}; not a text file? "
                f"{expected}", path=path)
        return text, "utf-8"
    enc = _looks_utf16(raw)
    if enc:
        try:
            return raw.decode(enc), "utf-16"
        except UnicodeDecodeError:
            pass
    # valid multi-byte UTF-8 before the bad byte: a UTF-8 file with stray bytes, not GBK
    head = raw[:first_bad]
    if any(b >= 0x80 for b in head):
        raise DataValidationError(
            f"not UTF-8: stray byte at line {_line_of(raw, first_bad)} (byte {first_bad}: "
            f"0x{raw[first_bad]:02x}) in a file that is otherwise UTF-8; {expected}",
            path=path)
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise DataValidationError(
            f"not UTF-8, UTF-16 or GB18030/GBK text: byte {exc.start} at line "
            f"{_line_of(raw, exc.start)} is none of them", path=path) from None
    bad = _CONTROL.search(text)
    if bad:
        raise DataValidationError(
            f"control character {bad.group()!r} at line {text.count(chr(10), 0, bad.start()) + 1}"
            f"; {expected}", path=path)
    return text, "gb18030"


def read_csv_records(
    path: str | Path,
    *,
    required: Sequence[str],
    optional: Sequence[str] = (),
    strict: bool = True,
    what: str = "CSV file",
    progress: bool | None = None,
    max_bytes: int = MAX_CSV_BYTES,
) -> CsvTable:
    """Read a CSV file into records, checking encoding, header and every row.

    Parameters
    ----------
    path
        The file.
    required
        Columns that must be present.
    optional
        Further known columns.
    strict
        Refuse columns that are neither required nor optional.
    what
        What the file is, for messages.
    progress
        Progress bar for large files (default ``settings.progress``).
    max_bytes
        Largest file accepted.

    Returns
    -------
    CsvTable

    Raises
    ------
    DataValidationError
        Not a regular file, too large, unknown encoding, empty, duplicate/empty/missing/
        unknown column, a row with another number of fields, a field too long.
    """
    from corridor_geo import settings
    from corridor_geo._io import read_input

    path = Path(path)
    raw = read_input(path, max_bytes=max_bytes, what=what)
    text, encoding = decode_text(raw, path=path)
    show = settings.progress if progress is None else bool(progress)
    bar = None
    if show and len(raw) >= _PROGRESS_BYTES:
        from corridor_geo._progress import tqdm_bar

        bar = tqdm_bar(total=len(text), show=True, desc=f"reading {path.name}", unit="char",
                       unit_scale=True, leave=False)
    try:
        return _parse(text, path=path, required=required, optional=optional, strict=strict,
                      what=what, encoding=encoding, bar=bar)
    finally:
        if bar is not None:
            bar.close()


class _Counting:
    """Lines of *text* reporting the characters consumed to a progress bar every ~1 MB."""

    def __init__(self, text: str, bar: Any) -> None:
        self._lines = io.StringIO(text, newline="")
        self._bar, self._done = bar, 0

    def __iter__(self) -> _Counting:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self._done += len(line)
        if self._bar is not None and self._done >= 1 << 20:
            self._bar.update(self._done)
            self._done = 0
        return line


def _parse(text: str, *, path: Path, required: Sequence[str], optional: Sequence[str],
           strict: bool, what: str, encoding: str, bar: Any) -> CsvTable:
    old_limit = csv.field_size_limit()
    csv.field_size_limit(MAX_FIELD_CHARS)
    try:
        reader = csv.reader(_Counting(text, bar))
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise DataValidationError(
                f"empty file; expected a {what} with a header "
                f"({', '.join(required)})", path=path) from None
        _check_header(header, path=path, required=required, optional=optional, strict=strict)
        records: list[dict[str, str]] = []
        lines: list[int] = []
        n = len(header)
        # one string object per distinct cell value: a million rows naming a few dozen
        # stations, modes and sources then hold a few dozen strings, not millions
        seen: dict[str, str] = {}
        share = seen.setdefault
        start = reader.line_num + 1
        for values in reader:
            line, start = start, reader.line_num + 1
            if not values or all(not v.strip() for v in values):
                continue  # blank line
            if len(values) != n:
                extra = "more" if len(values) > n else "fewer"
                raise DataValidationError(
                    f"line {line} has {len(values)} fields, {extra} than the {n} columns "
                    f"({', '.join(header)}); check the quoting of commas",
                    path=path, row=len(records) + 1)
            records.append(dict(zip(header, [share(v, v) for v in values], strict=True)))
            lines.append(line)
    except csv.Error as exc:
        msg = str(exc)
        if "field larger than field limit" in msg:
            msg = f"a field is longer than {MAX_FIELD_CHARS:,} characters"
        raise DataValidationError(f"line {reader.line_num}: {msg}; expected a {what}",
                                  path=path) from None
    finally:
        csv.field_size_limit(old_limit)
    return CsvTable(header=header, records=records, lines=lines, encoding=encoding)


def _check_header(header: list[str], *, path: Path, required: Sequence[str],
                  optional: Sequence[str], strict: bool) -> None:
    seen: set[str] = set()
    for i, name in enumerate(header, 1):
        if not name:
            raise DataValidationError(f"column {i} has no name; expected a header row",
                                      path=path)
        if name in seen:
            raise DataValidationError("duplicate column; expected unique names",
                                      path=path, field=name)
        seen.add(name)
    for name in required:
        if name not in seen:
            raise DataValidationError(
                f"missing column {name!r}; expected columns {', '.join(required)}",
                path=path, field=name)
    if strict:
        known = set(required) | set(optional)
        for name in header:
            if name not in known:
                close = difflib.get_close_matches(name, sorted(known), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise DataValidationError(
                    f"unknown column{hint}; expected only "
                    f"{', '.join([*required, *optional])}", path=path, field=name)


_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def neutralise_formulas(values: Iterable[Any]) -> list[Any]:
    r"""Prefix text cells a spreadsheet would run as a formula with an apostrophe.

    Cells starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return are
    prefixed with ``'`` (OWASP's advice), except plain numbers such as ``-3.5``.
    Non-string values are returned unchanged.

    Examples
    --------
    >>> neutralise_formulas(['=HYPERLINK("x")', "-3.5", "@SUM(A1)", "ok", 2])
    ['\'=HYPERLINK("x")', '-3.5', "'@SUM(A1)", 'ok', 2]
    """
    out = []
    for v in values:
        if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r") \
                and not _NUMBER.match(v):
            v = "'" + v
        out.append(v)
    return out


def neutralise_frame(df: Any) -> Any:
    """Return a copy of a DataFrame whose text cells pass :func:`neutralise_formulas`."""
    import pandas as pd

    out = df.copy()
    for col in out.columns:
        dtype = out[col].dtype
        if (pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)
                or isinstance(dtype, pd.CategoricalDtype)):
            values = out[col].astype(object).tolist()
            fixed = neutralise_formulas(values)
            if fixed != values:
                out[col] = pd.Series(fixed, index=out.index, dtype=object)
    return out
