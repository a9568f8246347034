"""A JSON array's elements, one at a time, from text that arrives in pieces.

`json.loads` of a whole array holds every element at once, as Python objects ten to
twenty times the size of their text: a 250 MB array of small objects took 14.9 GB. Here
only the unread text (about a megabyte) and one element are held: each element is parsed
by the standard library's own scanner (`JSONDecoder.raw_decode`), so its values, and the
messages of its errors, are those `json.loads` gives; the array around the elements (`[`,
`,`, `]`, whitespace and what follows) is read here, with `json.loads`' messages too.

An element that runs past the text read so far fails to parse or, a number, parses
short; it is tried again when more text has come, at least as much again as is held, so
that an element is parsed at most about twice over in all whatever its size. An element
longer than a bound (`max_chars`: the build gives `max_record_bytes`) is `TooLong` as soon
as that much of it has been read, never parsed: the text held stays within about twice
the bound however large the element."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

WHITESPACE = re.compile(r"[ \t\n\r]*")  # JSON's, as `json.decoder.WHITESPACE`
DECODER = json.JSONDecoder()
# An error this close to the end of the text read so far may be the element's text not yet
# all read ("Expecting ',' delimiter" after `[1, 2`, "Invalid \uXXXX escape" in `"\u12`); an
# unterminated string always may. Errors further back are errors whatever follows: the
# scanner looks at most 12 characters ahead (a surrogate pair's second escape). A value
# that ends this close to the end may go on too: a number (`1.5` of `1.5e3`).
NEAR_END = 32
PIECE_CHARS = 1 << 20  # the least text read at a time when an element needs more


class ArrayError(ValueError):
    """Invalid JSON at `line` (of the whole text, from 1), with `json.loads`' message."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: invalid JSON: {message}")
        self.line = line
        self.message = message


class NestedTooDeeply(ValueError):
    """An element nested deeper than the scanner can recurse (as `json.loads` fails on it)."""


class TooMany(Exception):
    """The array has more elements than it may: another follows the last one allowed."""


class TooLong(Exception):
    """The next element is longer than it may be (more characters than `max_chars`)."""


class Text:
    """Text read in pieces by `read` (which returns "" at the end), of which only what is
    not yet parsed is held, and the number of lines already parsed past."""

    def __init__(self, read: Callable[[], str]) -> None:
        self.read = read
        self.text = ""
        self.pos = 0
        self.lines_before = 0  # newlines in the text already dropped
        self.ended = False

    def more(self, at_least: int) -> bool:
        """Drop the parsed text and read at least `at_least` more characters (fewer at the
        end); False if there were none."""
        self.lines_before += self.text.count("\n", 0, self.pos)
        pieces, got = [self.text[self.pos :]], 0
        while got < at_least and not self.ended:
            piece = self.read()
            if not piece:
                self.ended = True
            pieces.append(piece)
            got += len(piece)
        self.text, self.pos = "".join(pieces), 0
        return got > 0

    def next_char(self) -> str:
        """The next character that is not whitespace (not consumed), or "" at the end."""
        while True:
            self.pos = WHITESPACE.match(self.text, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self.more(1):
                return ""

    def char_after_space(self) -> str:
        """`next_char`, at a glance when there is no whitespace to skip (between the elements
        of a compact array, which this is called for millions of times)."""
        if self.pos < len(self.text) and (char := self.text[self.pos]) not in " \t\n\r":
            return char
        return self.next_char()

    def line(self, pos: int) -> int:
        """The line of the whole text that position `pos` of the text held is on."""
        return self.lines_before + self.text.count("\n", 0, pos) + 1

    def value(self, max_chars: int | None = None) -> Any:
        """The JSON value at the current position, read on until it is whole; `TooLong` once
        more than `max_chars` of it are held and it is not whole yet (or when it is, longer)."""
        while True:
            try:
                value, end = DECODER.raw_decode(self.text, self.pos)
            except json.JSONDecodeError as exc:
                cut = exc.msg.startswith("Unterminated string") or exc.pos > len(self.text) - NEAR_END
                if self.ended or not cut:
                    raise ArrayError(self.line(exc.pos), exc.msg) from None
                self.read_on(max_chars)
                continue
            except RecursionError:
                raise NestedTooDeeply from None
            if max_chars is not None and end - self.pos > max_chars:
                raise TooLong
            if end > len(self.text) - NEAR_END and not self.ended:  # a number may go on: `12` of
                self.read_on(max_chars)  # `123`, `1.5` of `1.5e3`
                continue
            self.pos = end
            return value

    def read_on(self, max_chars: int | None) -> None:
        """More text for a value not whole yet, unless what is held of it is over `max_chars`."""
        held = len(self.text) - self.pos
        if max_chars is not None and held > max_chars:
            raise TooLong
        self.more(max(PIECE_CHARS, held))


def starts_array(text: Text) -> bool:
    """Whether the text's first character that is not whitespace opens an array."""
    return text.next_char() == "["


def elements(text: Text, limit: int | None = None, max_chars: int | None = None) -> Iterator[Any]:
    """The elements of the array `text` holds (`starts_array` must have said so), in order;
    `ArrayError` where the text stops being JSON (after the elements before the error), or
    `NestedTooDeeply`; `TooMany` where an element would follow the `limit`th, unread;
    `TooLong` at an element of more than `max_chars` characters. Text after the array's `]`
    other than whitespace is an error ("Extra data"), as for `json.loads`."""
    text.pos += 1  # the `[`
    count = 0
    if text.next_char() == "]":
        text.pos += 1
    else:
        while True:
            yield text.value(max_chars)
            count += 1
            char = text.char_after_space()
            if char == "]":
                text.pos += 1
                break
            if char != ",":
                raise ArrayError(text.line(text.pos), "Expecting ',' delimiter")
            if count == limit:
                raise TooMany
            text.pos += 1
            text.char_after_space()
    if text.next_char():
        raise ArrayError(text.line(text.pos), "Extra data")
