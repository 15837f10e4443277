"""Text the model is shown as data (a customer's words, a retrieved passage), kept from posing
as the prompt's own structure.

Each `Marker` is something quoted text could forge: a `### Section` heading, a `[n]` passage
label, a `SYSTEM:` line, a chat template's turn token, the fence around it. `quote` puts a
backslash where each would begin, and a backslash already there gets one more, so `unquote`
gives the text back exactly: what the offline answerer reads is what was retrieved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CUSTOMER = "customer_message"
PASSAGES = "passages"
FENCES = (CUSTOMER, PASSAGES)

# What starts a line for a reader, not only for `re.MULTILINE` (which knows "\n" alone), and
# what may come before a marker and still leave it at the start of its line.
_BREAKS = "\n\r\v\f\x1c-\x1e\x85\u2028\u2029"
LINE_START = rf"(?:\A|(?<=[{_BREAKS}]))(?:[^\S{_BREAKS}]|[\u200b-\u200d\u2060\ufeff])*"
ROLES = "system|assistant|user|human|developer|tool|ai|model|instructions?"


@dataclass(frozen=True)
class Marker:
    """Something quoted text must not pass off as structure: a backslash goes between the
    text `before` matches and the text `after` matches. Every match holds `trigger`: text
    without it is not searched (most passages hold few of these characters, and eight
    searches of every passage were 2 % of a crowd's CPU)."""

    name: str
    before: str
    after: str
    trigger: str

    def escaping(self) -> re.Pattern[str]:
        """Where `quote` adds a backslash: any run of them, none included."""
        return re.compile(rf"(?P<before>{self.before})(?P<run>\\*)(?={self.after})")

    def escaped(self) -> re.Pattern[str]:
        """Where `unquote` takes one away: a run of at least one."""
        return re.compile(rf"(?P<before>{self.before})\\(?P<run>\\*)(?={self.after})")


MARKERS = (
    Marker("heading", LINE_START, r"#", "#"),
    Marker("passage label", LINE_START, r"\[\d+\]", "["),
    Marker("role line", LINE_START, rf"[*_]{{0,2}}(?i:{ROLES})[*_]{{0,2}}[^\S\n]*:", ":"),
    Marker("fence", "<", rf"[^\S\n]*/?[^\S\n]*(?i:{'|'.join(FENCES)})\b", "<"),
    Marker("special token", "<", r"[|｜]", "<"),  # <|im_start|>, <|eot_id|>, <｜User｜>
    Marker("instruction tag", r"\[", r"/?INST\]", "["),  # [INST] … [/INST]
    Marker("system tag", "<", r"</?SYS>>", "<"),  # <<SYS>> … <</SYS>>
    Marker("turn tag", "<", r"(?:start|end)_of_turn>", "<"),  # <start_of_turn>user
)

_ESCAPING = [(m.trigger, m.escaping()) for m in MARKERS]
_ESCAPED = [(m.trigger, m.escaped()) for m in MARKERS]


def quote(text: str) -> str:
    """`text` with every marker escaped: no line of it reads as a heading, a passage label or a
    role, and no tag in it opens or closes a fence or a chat turn."""
    for trigger, pattern in _ESCAPING:
        if trigger in text:
            text = pattern.sub(r"\g<before>\\\g<run>", text)
    return text


def unquote(text: str) -> str:
    """The text `quote` was given."""
    if "\\" not in text:  # nothing was escaped
        return text
    for trigger, pattern in reversed(_ESCAPED):
        if trigger in text:
            text = pattern.sub(r"\g<before>\g<run>", text)
    return text


def fence(name: str, text: str) -> str:
    """`text` (quoted already) between the fence's opening and closing tags, each on its own
    line."""
    return f"<{name}>\n{text}\n</{name}>"


def unfence(name: str, block: str) -> str:
    """What `fence` was given; a block without the fence as it is."""
    opening, closing = f"<{name}>\n", f"\n</{name}>"
    if block.startswith(opening) and block.endswith(closing):
        return block[len(opening) : -len(closing)]
    return block
