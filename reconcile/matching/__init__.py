"""Matching: record linkage of the Payfit records to the Equify accounts.

* :mod:`.normalize`: the normalisers (text, emails, phones, dates, identifiers);
* :mod:`.names`: names as people write them (particles, initials, transliterations, birth names);
* :mod:`.values`: how a mapped value is written to Equify and compared with what is there;
* :mod:`.matcher`: blocking, scoring, the policy and the incremental re-match (:func:`match`).
"""

from .matcher import match

__all__ = ["match"]
