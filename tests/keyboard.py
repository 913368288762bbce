"""A person at a pseudo-terminal: each prompt is answered as it appears (stdin: the ``keyboard`` fixture, conftest)."""

from __future__ import annotations

import io
import os
import sys
from dataclasses import dataclass, field

import pytest


@dataclass
class Typist:
    """Types the next answer into the keyboard each time a prompt (a line ending in ": ") is written."""

    keyboard: int
    answers: list[str]
    shown: io.StringIO = field(default_factory=io.StringIO)

    def write(self, text: str) -> int:
        self.shown.write(text)
        if text.endswith(": ") and self.answers:
            os.write(self.keyboard, (self.answers.pop(0) + "\n").encode())
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def typist(monkeypatch: pytest.MonkeyPatch, keyboard: int, *answers: str) -> Typist:
    person = Typist(keyboard, list(answers))
    monkeypatch.setattr(sys, "stderr", person)
    return person
