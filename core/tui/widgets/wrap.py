"""Text wrapped by display width with the line-breaking rules of Chinese (UAX #14 via uniseg):
no line starts with closing punctuation (、。，）：), nothing is cut at a panel's edge, and a
stepper mark stays with its label."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.text import Text
from textual.widgets import Static

NBSP = "\u00a0"  # joins a mark to its label: "●\u00a0决议公开" never breaks after the mark


def wrap_lines(text: str, width: int) -> list[str]:
    """``text`` (one paragraph) as lines of at most ``width`` cells, broken where Chinese and
    English line-breaking rules allow; a run longer than a line is folded by cells."""
    if width <= 0 or cell_len(text) <= width:
        return [text]
    from uniseg.wrap import tt_wrap  # 20 ms of import: not before the first frame (issue 13)

    out: list[str] = []
    for piece in tt_wrap(text, width, ambiguous_as_wide=False):
        line = piece.rstrip(" ")
        while cell_len(line) > width:  # a word longer than the line
            cut, used = 0, 0
            for i, ch in enumerate(line):
                if used + cell_len(ch) > width:
                    cut = i
                    break
                used += cell_len(ch)
            out.append(line[:cut])
            line = line[cut:]
        out.append(line)
    return out or [""]


class CJKText:
    """A Rich renderable: styled ``Text`` wrapped with ``wrap_lines`` at the width it is given."""

    def __init__(self, text: Text | str, style: str = "") -> None:
        self.text = text if isinstance(text, Text) else Text(text, style=style)

    def __str__(self) -> str:
        return self.text.plain

    def lines(self, width: int) -> list[Text]:
        out: list[Text] = []
        for para in self.text.split("\n", allow_blank=True):
            offsets, pos = [], 0
            pieces = wrap_lines(para.plain, width)
            for piece in pieces[:-1]:
                pos = para.plain.index(piece, pos) + len(piece) if piece else pos
                offsets.append(pos)
            for part in para.divide(offsets) if offsets else [para]:
                part.rstrip()
                left = part.plain
                stripped = len(left) - len(left.lstrip(" "))
                if out and offsets and stripped and part is not None:
                    part = part[stripped:]
                out.append(part)
        return out

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lines = self.lines(options.max_width)
        joined = Text("\n").join(lines)
        joined.no_wrap = True
        joined.overflow = "crop"
        yield joined

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        widest = max((cell_len(line) for line in self.text.plain.split("\n")), default=0)
        return Measurement(min(widest, 8), widest)


class Wrapped(Static):
    """A Static whose text is wrapped with Chinese line-breaking rules."""

    def __init__(self, text: Text | str = "", **kwargs: Any) -> None:
        self.cjk = CJKText(text)
        super().__init__(self.cjk, **kwargs)

    def update(self, content: Any = "", *, layout: bool = True) -> None:  # noqa: D102
        self.cjk = CJKText(content if isinstance(content, (str, Text)) else str(content))
        super().update(self.cjk, layout=layout)

    def render(self) -> Any:
        return self.cjk


def joined(parts: Iterable[str], sep: str) -> str:
    return sep.join(parts)
