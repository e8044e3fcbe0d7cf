"""The crisis rule, shared: what counts as a sign of suicidal thinking and what the patient is shown at
once. Pure (no Flask, no database), at the bottom of the layers so every domain that hears from a
patient applies the same rule: the intake (its "thoughts of self-harm" statement and PHQ-9 item 9,
``app.intake.recommend``), the check-in and secure messaging (``words_of_crisis`` on a message's text).

The phrases come from the intake's own statement ("better off dead", "hurting myself") and PHQ-9
item 9's wording, plus the common ways people write the same thing. A false alarm costs a same-day
call from the care team; a miss costs far more, so the list errs on the side of matching. Nothing is
ever blocked or delayed: the caller shows 988 and 911 and opens urgent tasks, and still sends.
"""

from __future__ import annotations

import re
import unicodedata

CRISIS_SIGN = "self_harm"  # the intake's statement key
CRISIS_TEXT = "I have thoughts that I would be better off dead, or of hurting myself"

RESOURCES = {
    "message": "If you are thinking about suicide or hurting yourself, help is available now.",
    "lifeline": {"name": "988 Suicide & Crisis Lifeline", "call": "988", "text": "988"},
    "emergency": "911",
}

_ME = r"my\s*self"  # "myself", "my self": "this is killing me" is an everyday phrase
PHRASES: tuple[str, ...] = (
    r"better\s+off\s+dead",
    r"suicid\w*",
    r"kill(?:ing)?\s+" + _ME,
    r"hurt(?:ing)?\s+" + _ME,
    r"harm(?:ing)?\s+" + _ME,
    r"cut(?:ting)?\s+" + _ME,
    r"self[\s-]*harm\w*",
    r"end(?:ing)?\s+(?:my|it)\s+(?:own\s+)?life",
    r"end(?:ing)?\s+it\s+all",
    r"take\s+my\s+(?:own\s+)?life",
    r"(?:want|wanna|wish|going|ready)\s+(?:to\s+)?die",
    r"(?:do\s*n[o']?t|dont|no\s+longer)\s+want\s+to\s+(?:live|be\s+alive|be\s+here|wake\s+up)",
    r"no\s+(?:reason|point)\s+(?:to|in)\s+(?:live|living|going\s+on)",
    r"overdos\w*",
)
_PATTERN = re.compile(r"\b(?:" + "|".join(PHRASES) + r")\b")


def _plain(text: str) -> str:
    """Lower case, curly apostrophes straightened, accents and runs of spaces folded."""
    straight = text.replace("\u2019", "'").replace("\u2018", "'")
    folded = unicodedata.normalize("NFKD", straight).encode("ascii", "ignore").decode("ascii")
    return " ".join(folded.lower().split())


def words_of_crisis(text: str) -> bool:
    """Does ``text`` (a message, a free answer) speak of suicide or self-harm?"""
    return _PATTERN.search(_plain(text)) is not None


def signs_crisis(signs: set[str], phq9_item9: int | None = None) -> bool:
    """The intake's rule: the self-harm statement chosen, or PHQ-9 item 9 above 0."""
    return CRISIS_SIGN in signs or (phq9_item9 or 0) > 0
