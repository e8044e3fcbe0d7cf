"""Refusing passwords that attackers try first (NIST SP 800-63B: check against known-common lists,
no composition rules). The list is zxcvbn's 30,000 most common passwords, bundled with that package."""

from __future__ import annotations

from functools import lru_cache

# Padding people add to a common word to reach a length rule ("password1234!", "qwerty123456").
_PADDING = "0123456789!@#$%^&*.-_ "


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def is_common(password: str) -> bool:
    lowered = password.lower()
    if len(set(lowered)) <= 2:  # "aaaaaaaaaaaa", "abababababab"
        return True
    common = _common()
    core = lowered.strip(_PADDING)
    return lowered in common or (len(core) >= 4 and core in common) or _repeats_common(lowered, common)


def _repeats_common(lowered: str, common: frozenset[str]) -> bool:
    """ "passwordpassword", "qwertyqwerty": a common word said twice is not a new password."""
    half, odd = divmod(len(lowered), 2)
    return not odd and lowered[:half] == lowered[half:] and lowered[:half] in common
