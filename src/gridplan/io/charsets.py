"""Text encodings of the files Chinese planners hold: UTF-8 (with or without BOM), GBK /
GB18030 and UTF-16, detected from the bytes, so a name is never silently garbled."""

from __future__ import annotations

import codecs

import geopandas as gpd
import pandas as pd

from ..errors import InputError

#: Tried in this order when a file does not say: strict UTF-8 first, because GB18030 decodes
#: most UTF-8 Chinese text into other (wrong) Chinese characters without an error, while GBK
#: text is almost never valid UTF-8. GB18030 is a superset of GBK and GB2312.
GUESSES = ("utf-8", "gb18030")
RESAVE = ("re-save it as UTF-8 (Excel: Save As > CSV UTF-8; WPS: 另存为 CSV UTF-8) "
          "or give --encoding")


def check_encoding(name: str | None) -> str | None:
    """``name`` as Python's codec name, or InputError when Python has no such codec."""
    if name is None:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise InputError(f"encoding = {name!r}: expected a text encoding such as utf-8, gbk, "
                         "gb18030 or utf-16") from None


def decode_bytes(data: bytes, *, file=None, encoding: str | None = None,
                 delimiter: bytes = b",") -> tuple[str, str]:
    """Text from the bytes of a file, and the encoding it was read with.

    Parameters
    ----------
    data : bytes
    file : str or Path, optional
        For error messages.
    encoding : str, optional
        Use this encoding (``--encoding``) unless a byte-order mark says UTF-8 or UTF-16; by
        default the mark decides, then strict UTF-8, then GB18030.
    delimiter : bytes
        The field separator, to name the column of a byte that decodes neither way.

    Returns
    -------
    text, encoding : str

    Raises
    ------
    InputError
        Naming the file, the column and the row of the first byte that decodes in no
        encoding tried, and how to re-save the file.
    """
    # A byte-order mark says what the file is, so it wins even over ``encoding`` (which is
    # given once for every file of a run, e.g. a GBK register beside UTF-8 station lists).
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                     (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(enc), enc
            except UnicodeDecodeError as e:
                raise _undecodable(data, e.start, [enc], file, delimiter) from None
    if encoding is not None:
        enc = check_encoding(encoding)
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError as e:
            raise _undecodable(data, e.start, [enc], file, delimiter) from None
    if _looks_utf16(data):
        for enc in ("utf-16-le", "utf-16-be"):
            try:
                text = data.decode(enc)
            except UnicodeDecodeError:
                continue
            if "\x00" not in text:
                return text, enc
    furthest = (-1, "")
    for enc in GUESSES:
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError as e:
            furthest = max(furthest, (e.start, enc))
    # The encoding that read further is the likelier one; its first bad byte is the one to fix.
    raise _undecodable(data, furthest[0], list(GUESSES), file, delimiter)


def _looks_utf16(data: bytes) -> bool:
    """UTF-16 without a byte-order mark: ASCII headers then have every other byte zero."""
    head = data[:400]
    return len(head) >= 4 and head.count(0) >= len(head) // 3


def _undecodable(data: bytes, at: int, tried: list[str], file, delimiter: bytes) -> InputError:
    """The one line naming where the first undecodable byte is (row 1 is the first under the
    header) and what to do."""
    line_start = data.rfind(b"\n", 0, at) + 1
    line_no = data.count(b"\n", 0, line_start)          # 0 for the header
    # ASCII delimiters never occur inside a GBK or UTF-8 multi-byte character, so counting
    # them before the bad byte gives its column (quoted delimiters aside).
    col = data.count(delimiter, line_start, at)
    header = data[:data.find(b"\n")] if b"\n" in data else data
    names = [n.strip().strip(b'"').decode("utf-8", "replace").lstrip("\ufeff")
             for n in header.split(delimiter)]
    column = names[col] if line_no > 0 and col < len(names) else f"number {col + 1}"
    bad = data[at:at + 4].hex(" ")
    head = "in the header, " if line_no == 0 else ""
    return InputError(f"{head}bytes {bad} are not text in {' or '.join(tried)}: {RESAVE}",
                      file=file, column=column if line_no > 0 else None,
                      row=line_no if line_no > 0 else None)


def sniff_delimiter(text: str) -> str:
    """The field separator of a table's header line: tab (Excel's "Unicode text"),
    semicolon or comma."""
    first = text.split("\n", 1)[0]
    counts = {sep: first.count(sep) for sep in ("\t", ",", ";")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def redecode_latin1(df: pd.DataFrame, *, file=None, layer=None,
                    encoding: str | None = None) -> tuple[pd.DataFrame, str]:
    """Column names and text read as ISO-8859-1 (one character per byte, as GDAL reads a
    shapefile without a ``.cpg``) decoded again from their bytes.

    Parameters
    ----------
    df : DataFrame
        Read with ``encoding="ISO-8859-1"``.
    file, layer : optional
        For error messages.
    encoding : str, optional
        The encoding to use; by default strict UTF-8, then GB18030, over all the text at once.

    Returns
    -------
    DataFrame, str
        The frame with its names and text decoded, and the encoding used.

    Raises
    ------
    InputError
        Naming the column and row of the first value no encoding tried can decode.
    """
    geom = df.geometry.name if isinstance(df, gpd.GeoDataFrame) else None
    texts = [c for c in df.columns if c != geom
             and (df[c].dtype == object or str(df[c].dtype).startswith(("string", "str")))]
    names = [str(c).encode("latin-1") for c in df.columns]
    blob = b"\n".join(v.encode("latin-1") for c in texts for v in df[c] if isinstance(v, str))
    encs = [check_encoding(encoding)] if encoding else list(GUESSES)
    if blob.isascii() and all(n.isascii() for n in names):
        return df, "ascii"
    for enc in encs:
        try:
            blob.decode(enc)
        except UnicodeDecodeError:
            continue
        decoded = [_field_name(n, enc) for n in names]
        if None not in decoded:
            break
    else:
        raise _first_bad_value(df, texts, encs, file, layer)

    def dec(v):
        return v.encode("latin-1").decode(enc) if isinstance(v, str) else v

    out = df.copy()
    for c in texts:
        out[c] = out[c].map(dec)
    out.columns = [d if c != geom else c for c, d in zip(df.columns, decoded)]
    return out, enc


def _field_name(raw: bytes, enc: str) -> str | None:
    """A DBF field name in ``enc``. Names are cut at 10 bytes, which can split the last
    character (GDAL does so writing 小区名称 in UTF-8): that partial character is dropped.
    None when the bytes are not ``enc`` elsewhere."""
    try:
        return raw.decode(enc)
    except UnicodeDecodeError as e:
        if e.start >= len(raw) - 3:
            try:
                return raw[:e.start].decode(enc)
            except UnicodeDecodeError:
                return None
        return None


def _first_bad_value(df, texts, encs, file, layer) -> InputError:
    """The first value that decodes in none of ``encs``, by how far the best one read."""
    for c in texts:
        for i, v in enumerate(df[c]):
            if not isinstance(v, str):
                continue
            raw = v.encode("latin-1")
            ok = False
            for enc in encs:
                try:
                    raw.decode(enc)
                    ok = True
                except UnicodeDecodeError:
                    pass
            if not ok:
                name = str(c).encode("latin-1").decode(encs[-1], "replace")
                return InputError(f"bytes {raw[:8].hex(' ')} are not text in "
                                  f"{' or '.join(encs)}: add a .cpg file naming the encoding "
                                  "(for example GBK) or give --encoding",
                                  file=file, layer=layer, column=name, row=i + 1)
    # mixed encodings: each value decodes in some encoding, but not all in the same one
    return InputError(f"text is in more than one encoding ({' and '.join(encs)}): add a .cpg "
                      "file naming the encoding or give --encoding", file=file, layer=layer)
