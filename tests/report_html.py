"""Read back what a report page shows: tiles, table cells and the JSON data island."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

SUFFIX = {"k": 1e3, "M": 1e6, "bn": 1e9}


def parse_number(text: str) -> float | None:
    """'€1.23 M' -> 1.23e6, '4.5 %' -> 0.045, '1,234' -> 1234, 'n/a' -> None."""
    text = text.strip()
    if text == "n/a":
        return None
    m = re.fullmatch(r"(€?)(-?[\d,]+(?:\.\d+)?)(?: (k|M|bn|%))?", text)
    assert m, f"unexpected number format {text!r}"
    value = float(m.group(2).replace(",", ""))
    if m.group(3) == "%":
        return value / 100
    return value * SUFFIX.get(m.group(3) or "", 1.0)


def shown_close(text: str, value: float | None) -> bool:
    """Does ``text`` show ``value`` to the precision shown (3 significant digits)?"""
    shown = parse_number(text)
    if value is None:
        return shown is None
    assert shown is not None, text
    digits = text.split(" ")[0].lstrip("€").replace(",", "")
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    scale = SUFFIX.get(text.split(" ")[-1], 1.0) if " " in text else 1.0
    if text.endswith("%"):
        scale = 0.01
    return abs(shown - value) <= 0.5 * 10.0**-decimals * scale * (1 + 1e-9) + 1e-12


class _Collector(HTMLParser):
    """Collect tiles (by data-metric) and the text of elements with a given class."""

    def __init__(self) -> None:
        super().__init__()
        self.tiles: list[dict[str, str]] = []
        self.stack: list[tuple[str, dict[str, str]]] = []
        self.island: str | None = None
        self._in_island = False
        self._field: str | None = None
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        cls = a.get("class", "")
        if tag == "script" and a.get("id") == "leapsim-data":
            self._in_island = True
            self.island = ""
        if "tile" in cls.split():
            self.tiles.append(
                {"result": a["data-result"], "metric": a["data-metric"], "unit": a["data-unit"]}
            )
        if cls.startswith("tile-"):
            self._field = cls[len("tile-") :]
            self.tiles[-1][self._field] = ""
        if tag == "table":
            self.tables.append([])
        if tag == "tr" and self.tables:
            self.tables[-1].append([])
        if tag in ("td", "th"):
            self._cell = []
        if tag == "span" and self._cell is not None and "ci" in cls.split():
            self._cell.append("|")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_island = False
        if tag == "div":
            self._field = None
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data):
        if self._in_island:
            self.island += data
        if self._field:
            self.tiles[-1][self._field] += data
        if self._cell is not None:
            self._cell.append(data)


def read_page(html: str) -> tuple[list[dict[str, str]], dict, list[list[list[str]]]]:
    """Tiles, decoded data island and tables (rows of cell texts; 'mean|low – high')."""
    c = _Collector()
    c.feed(html)
    assert c.island is not None, "no data island"
    return c.tiles, json.loads(c.island), c.tables
