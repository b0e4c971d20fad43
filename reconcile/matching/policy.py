"""The matching policy: which set each Payfit record goes to, and why (``../shared/domain.md`` §5).

:func:`reconcile.match` prepares the data (normalising both sides, blocking, scoring,
aggregating: see :mod:`.matcher`); :class:`Policy` then classifies every record, the rules going top to bottom in
the domain's order:

1. **Claims of earlier syncs**: an account the ledger gives to one Payfit record, or that carries
   a Payfit id, belongs to that record; no one else may link to it (even when its record is
   excluded or out of scope now).
2. **Excluded** by a person.
3. **Synced**: the ledger's link stands (an *update* when the record changed since); an account
   the ledger gives to several records, or that no longer exists, is a conflict.
4. **A person's decisions**: create; link (unless two people chose the same account, it no longer
   exists, or another record owns it: a conflict).
5. **The automatic rules**, strongest evidence first, for every record still undecided
   (:meth:`Policy.verdict`): an exact identifier (Payfit id, then matricule); a mailbox several
   records share (no evidence; the names may still point); an exact email; the names (a name
   conflict, never a link); a name too common to compare; doubt (a plausible account:
   ``docs/doubt_policy.md``); a namesake set aside as someone else (created, and said so);
   otherwise a create.
6. **One to one**: an account two records would link to is a conflict for both.

A verdict depends on the prepared data and on who owns the accounts it asked about: kept with the
prepared data, it stands while those answers stand (see :func:`.rematch._reprepare`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..models import EQUIFY_FIELDS, Decision, MatchSettings
from . import verdicts as evidence
from .prepare import _PREPARED_NAMES
from .values import changed_since
from .verdicts import (
    _DISPUTED,
    _GENERATIONS,
    _NO_MATCH,
    _RULE_WORDS,
    _alternate_agreeing,
    _conflict,
    _contradictions,
    _detail,
    _names_agree_as_written,
    _names_disagree,
    _pair_relation,
    _same_email_link,
    _Verdict,
)

__all__ = ["Policy", "Row"]

#: One record's outcome: ``(category, action, target_id, score, rule, reason)``.
Row = tuple[str, str, str | None, float | None, str, str]


class Policy:
    """The classification of one match (internal to :func:`reconcile.match`).

    ``prep`` is the prepared data (:func:`.rematch._prepared`: the sides, the candidate pairs and
    their scores, per-record summaries); ``src_frame`` and ``target`` the canonical frames;
    ``ledger`` ``{source_id: account_id}``, ``ledger_values`` the values each sync sent, ``decided``
    ``{source_id: Decision}``. :meth:`classify` returns one :data:`Row` per record, in order.
    """

    def __init__(
        self,
        prep: dict[str, Any],
        src_frame: pd.DataFrame,
        target: pd.DataFrame,
        settings: MatchSettings,
        ledger: Mapping[str, str],
        ledger_values: Mapping[str, Mapping[str, str | None]] | None,
        decided: Mapping[str, Decision],
    ) -> None:
        self.prep = prep
        for name in _PREPARED_NAMES:
            setattr(self, name, prep[name])
        self.src_frame, self.target, self.settings = src_frame, target, settings
        self.ledger, self.ledger_values, self.decided = ledger, ledger_values, decided
        self.out: list[Row | None] = [None] * prep["n_s"]
        self.taken: dict[str, str] = {}  # account id -> the source id that owns it
        self.consulted: list[tuple[str, bool]] = []  # what owned_by_other answered for the record at hand
        self.src_ids: list[str] = prep["src"].ids.tolist()
        self.ledger_claims: dict[str, int] = {}

    # ---- the rules, in order ------------------------------------------------------------------
    def classify(self) -> list[Row | None]:
        """Every record's :data:`Row` (``None`` never remains), the rules in the domain's order."""
        self.claims_of_earlier_syncs()
        src_pos: dict[str, int] = self.prep["src_pos"]
        with_decision = [(i, self.src_ids[i]) for i in sorted(src_pos[s] for s in self.decided if s in src_pos)]
        with_ledger = [(i, self.src_ids[i]) for i in sorted(src_pos[s] for s in self.ledger if s in src_pos)]
        self.excluded(with_decision)
        self.synced(with_ledger)
        self.decisions(with_decision)
        self.one_to_one(self.automatic_rules())
        return self.out

    def claims_of_earlier_syncs(self) -> None:
        """Rule 1: accounts the ledger gives to one record, or that carry a Payfit id, are owned;
        an account the ledger gives to several records is disputed (no one may take it)."""
        tgt, taken = self.tgt, self.taken
        taken.update({tid: str(pid) for tid, pid in zip(tgt.ids, tgt.payfit_id, strict=True) if pid})
        for tid in self.ledger.values():
            self.ledger_claims[tid] = self.ledger_claims.get(tid, 0) + 1
        claims = self.ledger_claims
        taken.update({tid: sid for sid, tid in self.ledger.items() if tid in self.tgt_pos and claims[tid] == 1})
        taken.update({tid: _DISPUTED for tid, n in claims.items() if n > 1})

    def excluded(self, with_decision: list[tuple[int, str]]) -> None:
        """Rule 2: the records a person excluded."""
        for i, sid in with_decision:
            if self.decided[sid].action == "exclude":
                self.set(i, "excluded", "none", None, None, "decision", "on the exclusion list")

    def synced(self, with_ledger: list[tuple[int, str]]) -> None:
        """Rule 3: the ledger's links; *update* when the record's values changed since its sync."""
        synced: list[tuple[int, str]] = []  # (source position, account)
        for i, sid in with_ledger:
            if self.out[i] is not None:
                continue
            tid = self.ledger[sid]
            if self.ledger_claims[tid] > 1:
                self.conflict(
                    i,
                    tid,
                    "ledger",
                    f"the sync ledger links {self.ledger_claims[tid]} Payfit records to account {tid}: keep one, create the others",
                )
                continue
            if tid not in self.tgt_pos:
                if sid in self.decided:  # a person chose to link elsewhere or create again
                    continue
                self.conflict(
                    i,
                    tid,
                    "ledger",
                    f"linked by an earlier sync to account {tid}, which no longer exists: link it to another account or create it again",
                )
                continue
            self.taken[tid] = sid
            synced.append((i, tid))
        fields = [f for f in self.src_frame.columns if f in EQUIFY_FIELDS]
        # Rows as dicts, read in bulk (one .iloc per record costs ~100 µs).
        src_rows = self.src_frame.iloc[[i for i, _ in synced]].to_dict("records")
        tgt_rows = self.target.iloc[[self.tgt_pos[tid] for _, tid in synced]].to_dict("records")
        for (i, tid), src_row, tgt_row in zip(synced, src_rows, tgt_rows, strict=True):
            changes = changed_since(
                src_row,
                (self.ledger_values or {}).get(self.src_ids[i], {}),
                tgt_row,
                fields,
                default_region=self.settings.default_region,
                hint=src_row.get("_hint"),
            )
            action = "update" if changes else "none"
            reason = ("changed: " + ", ".join(c[0] for c in changes)) if changes else ""
            self.set(i, "synced", action, tid, 100.0, "ledger", reason)

    def decisions(self, with_decision: list[tuple[int, str]]) -> None:
        """Rule 4: a person's creates and links; an account two people's links claim stays out of
        the automatic rules until resolved."""
        chosen: dict[str, int] = {}
        for i, sid in with_decision:
            d = self.decided[sid]
            if self.out[i] is None and d.action == "link" and d.target_id:
                chosen[d.target_id] = chosen.get(d.target_id, 0) + 1
        self.taken.update({tid: _DISPUTED for tid, n in chosen.items() if n > 1})
        for i, sid in with_decision:
            d = self.decided[sid]
            if self.out[i] is not None:
                continue
            if d.action == "link" and chosen.get(d.target_id or "", 0) > 1:
                self.conflict(
                    i,
                    d.target_id,
                    "decision",
                    f"{chosen[d.target_id or '']} Payfit records were linked by a person to the same account {d.target_id}",
                )
            elif d.action == "create":
                self.set(i, "new", "create", None, None, "decision", "create decided by a person")
            elif d.action == "link":
                self.decided_link(i, sid, d.target_id or "")

    def decided_link(self, i: int, sid: str, tid: str) -> None:
        if tid not in self.tgt_pos:
            self.conflict(i, None, "decision", f"the chosen account {tid} no longer exists")
        elif self.owned_by_other(tid, sid):
            self.conflict(
                i,
                tid,
                "decision",
                f"the chosen account {self.label(self.tgt_pos[tid])} is already linked to another Payfit record",
            )
        else:
            self.taken[tid] = sid
            score = self.pair_score(i, self.tgt_pos[tid])
            self.set(i, "new", "link", tid, score, "decision", "link decided by a person")

    def automatic_rules(self) -> dict[str, list[tuple[int, _Verdict]]]:
        """Rule 5 for every record still undecided: links are proposed (``{account: [(record,
        verdict)]}``, settled by :meth:`one_to_one`), every other verdict is set. The clear
        creates and clean same-email links are found in one vectorised step
        (:func:`.verdicts._plain_verdicts`); a verdict kept from an earlier match of the same data
        is reused while the ownership answers it depended on stand."""
        prep, taken, src_ids = self.prep, self.taken, self.src_ids
        verdicts: dict[int, tuple[_Verdict, tuple[tuple[str, bool], ...], int]] | None = prep.get("verdicts")
        # Each distinct state of ``taken`` gets a generation number: a verdict of the current
        # generation stands without asking again.
        generation = -1
        if verdicts is not None:
            last_gen, last_taken = prep.get("taken_generation", (-1, None))
            if last_taken == taken:
                generation = last_gen
            else:
                generation = next(_GENERATIONS)
                prep["taken_generation"] = (generation, dict(taken))
        proposals: dict[str, list[tuple[int, _Verdict]]] = {}
        # Through the module: the reference-path tests replace it to read every record one by one.
        plain_create, by_email = evidence._plain_verdicts(prep)
        for i in np.flatnonzero(plain_create).tolist():
            if self.out[i] is None:
                self.out[i] = _NO_MATCH
        tgt_ids: list[str] = self.tgt.ids.tolist()
        for i in np.flatnonzero(~plain_create).tolist():
            if self.out[i] is not None:
                continue
            if by_email[i]:
                tid = tgt_ids[self.t[self.email_first[i]]]
                if taken.get(tid, src_ids[i]) == src_ids[i]:
                    proposals.setdefault(tid, []).append((i, _same_email_link(tid)))
                    continue
            kept = verdicts.get(i) if verdicts is not None else None
            if kept is not None and (
                kept[2] == generation
                or all((taken.get(tid, src_ids[i]) != src_ids[i]) == owned for tid, owned in kept[1])
            ):
                verdict = kept[0]
            else:
                self.consulted.clear()
                verdict = self.verdict(i)
                # A namesake set aside for another record's claim depends on that record's decision
                # and ledger entry, which the kept verdicts do not follow: asked afresh each time.
                claim_based = self.apart_first[i] >= 0 and self.claim_only[self.apart_first[i]]
                if verdicts is not None and not claim_based:
                    verdicts[i] = (verdict, tuple(self.consulted), generation)
            if verdict.action == "link" and verdict.target_id is not None:
                proposals.setdefault(verdict.target_id, []).append((i, verdict))
            else:
                self.set(
                    i, verdict.category, verdict.action, verdict.target_id, verdict.score, verdict.rule, verdict.reason
                )
        return proposals

    def one_to_one(self, proposals: dict[str, list[tuple[int, _Verdict]]]) -> None:
        """Rule 6: a proposed link stands when it is the only one to its account; otherwise every
        record proposing that account is a conflict."""
        for tid, claims in proposals.items():
            if len(claims) == 1:
                i, v = claims[0]
                self.taken[tid] = self.src_ids[i]
                self.set(i, v.category, v.action, tid, v.score, v.rule, v.reason)
            else:
                for i, v in claims:
                    reason = (
                        f"{len(claims)} Payfit records point to the same Equify account {self.label(self.tgt_pos[tid])}"
                    )
                    self.set(i, "conflict", "none", tid, v.score, v.rule, reason)

    # ---- rule 5, one record ------------------------------------------------------------------
    def verdict(self, i: int) -> _Verdict:
        """The automatic rules for one undecided record, strongest evidence first."""
        for rule in (self.by_identifier, self.by_email):
            found = rule(i)
            if found is not None:
                return found
        by_name = self.named_candidate(i, self.src.email[i])
        if by_name is not None:
            return by_name
        if i in self.crowded_names:
            return _conflict(
                f"{self.crowded_names[i]} Equify accounts have this exact name, too many to compare one by one: "
                "add an email or a matricule, or decide by hand",
                "name",
            )
        doubtful = self.doubtful_candidate(i)
        if doubtful is not None:
            return doubtful
        return self.set_aside(i) or _NO_MATCH

    def by_identifier(self, i: int) -> _Verdict | None:
        """An exact Payfit id or matricule: a link, unless several accounts carry it, several
        records share the matricule, another record owns the account, or (a matricule) the names
        clearly disagree."""
        src, tgt = self.src, self.tgt
        if self.id_count[i] > 1:
            return _conflict(
                f"{self.id_count[i]} Equify accounts carry this record's Payfit ID or matricule", "matricule"
            )
        if self.id_count[i] != 1:
            return None
        k = self.id_first[i]
        j = int(self.t[k])
        tid = tgt.ids[j]
        rule = "payfit_id" if tgt.payfit_id[j] == src.ids[i] else "matricule"
        shared = self.src_matricule_count.get(src.matricule[i] or "", 0)
        if rule == "matricule" and shared > 1:
            return _conflict(f"the matricule {src.matricule[i]} is shared by {shared} Payfit records", rule)
        if self.owned_by_other(tid, self.src_ids[i]):
            return _conflict(
                f"shares its {_RULE_WORDS[rule]} with {self.label(j)}, already linked to another Payfit record",
                rule,
                tid,
                float(self.score[k]),
            )
        if rule == "matricule" and self.names_disagree(i, j, k):
            return _conflict(
                f"same matricule as {self.label(j)}, but the names clearly disagree ({src.label(i)} vs {tgt.label(j)})",
                rule,
                tid,
                float(self.score[k]),
            )
        return _Verdict("new", "link", tid, 100.0, rule, f"same {_RULE_WORDS[rule]}" + self.by_alternate(i, j, k))

    def by_email(self, i: int) -> _Verdict | None:
        """A mailbox several records share (no evidence: the names may still point to the account),
        then an exact email: a link, unless several accounts hold it, another record owns the
        account, the names clearly disagree, or other evidence contradicts it."""
        email = self.src.email[i]
        if not email:
            return None
        if self.src_email_count.get(email, 0) > 1:
            shared = f"the email {email} is shared by {self.src_email_count[email]} Payfit records"
            by_name = self.named_candidate(i, email)
            if by_name is None:
                return _conflict(shared, "email")
            return _conflict(f"{shared}; {by_name.reason}", "name", by_name.target_id, by_name.score)
        n = self.tgt_email_count.get(email, 0)
        if n > 1:
            return _conflict(f"the email {email} appears on {n} Equify accounts", "email")
        k = self.email_first[i]
        if k < 0:
            return None
        j = int(self.t[k])
        tid = self.tgt.ids[j]
        pair = float(self.score[k])
        if self.owned_by_other(tid, self.src_ids[i]):
            return _conflict(
                f"same email as {self.label(j)}, already linked to another Payfit record", "email", tid, pair
            )
        if self.names_disagree(i, j, k):
            return _conflict(
                f"the emails match but the names clearly disagree ({self.src.label(i)} vs {self.tgt.label(j)}): a shared or recycled mailbox?",
                "email",
                tid,
                pair,
            )
        against = _contradictions(self.scored, k)
        if against:
            return _conflict(f"same email as {self.label(j)}, but {' and '.join(against)}", "email", tid, pair)
        return _same_email_link(tid, self.by_alternate(i, j, k))

    def named_candidate(self, i: int, email: str | None) -> _Verdict | None:
        """The name conflict of record ``i`` with its best candidate, or ``None`` without one.

        Names make candidates for review, never a link. The name alone decides who is a
        candidate (the documented rule: same first and last name → conflict); birth date,
        phone and matricule only rank the candidates.
        """
        k = self.named_first[i]
        if k < 0:
            return None
        tgt, scored = self.tgt, self.scored
        j = int(self.t[k])
        tid = tgt.ids[j]
        same = self.name_words(k, j)
        if self.tie_count[i] > 1:
            ties = [int(self.t[x]) for x in range(self.starts[i], self.ends[i]) if self.tie[x]]
            shown = ", ".join(self.label(x) for x in ties[:5]) + (f" and {len(ties) - 5} more" if len(ties) > 5 else "")
            reason = f"{len(ties)} Equify accounts tie for the best name match ({shown})"
        elif self.owned_by_other(tid, self.src_ids[i]):
            reason = f"{same} {self.label(j)}, already linked to another Payfit record"
        elif tgt.email[j] is None:
            reason = f"{same} {self.label(j)}, which has no email"
        elif email is None:
            reason = f"{same} {self.label(j)}; this Payfit record has no email"
        elif tgt.email[j] == email:
            reason = f"{same} {self.label(j)}, which has the same email"
        elif scored["email_near"][k] is not None:
            how = _detail(scored["email_near"][k])[1:-1]
            reason = f"{same} {self.label(j)}, whose email is near-identical ({how}: {tgt.email[j]} in Equify, {email} in Payfit)"
        else:
            reason = f"{same} {self.label(j)}, whose email differs ({tgt.email[j]} in Equify, {email} in Payfit)"
        against = _contradictions(scored, k)
        if against:
            reason += "; " + " and ".join(against)
        elif scored["birthdate_match"][k] == "swapped":
            reason += "; the birth dates differ by a day/month swap"
        return _conflict(reason, "name", tid, float(self.score[k]))

    def name_words(self, k: int, j: int) -> str:
        """How pair ``k``'s names agree, in words: "same first and last name as", or the relation
        the library can tell ("given name shortened (name score 80):"), or a similar name."""
        ns = float(self.name[k])
        if ns >= 100:
            return "same first and last name as"
        relation = _pair_relation(self.src, self.tgt, int(self.s[k]), j)
        if relation is not None and not relation.exact:
            return f"{relation.text} (name score {ns:g}):"
        return f"a similar name (name score {ns:g}) to"

    def doubtful_candidate(self, i: int) -> _Verdict | None:
        """The doubt conflict of record ``i``: its best-scoring plausible account (see
        :func:`.verdicts._doubts`), or ``None`` when no account is plausible (then it is created)."""
        k = int(self.doubt_first[i])
        if k < 0:
            return None
        j = int(self.t[k])
        tid = self.tgt.ids[j]
        words, note = self.doubt_of[k]
        reason = f"{words}: {self.label(j)}{note}"
        if self.owned_by_other(tid, self.src_ids[i]):
            reason += "; already linked to another Payfit record"
        if self.doubt_count[i] > 1:
            others = [int(self.t[x]) for x in range(self.starts[i], self.ends[i]) if x in self.doubt_of and x != k]
            shown = ", ".join(self.label(x) for x in others[:5]) + (
                f" and {len(others) - 5} more" if len(others) > 5 else ""
            )
            reason += f" (and {len(others)} other possible account{'s' if len(others) > 1 else ''}: {shown})"
        return _conflict(reason, "doubt", tid, float(self.score[k]))

    def set_aside(self, i: int) -> _Verdict | None:
        """A namesake set aside as someone else (``docs/doubt_policy.md`` §8): the record is created
        and its reason names the namesake and why; ``None`` when there is none. A namesake of an
        account already linked stays a conflict (domain.md §5), and so does one whose claimer is
        decided otherwise or synced elsewhere (the claim no longer stands)."""
        k = int(self.apart_first[i])
        if k < 0:
            return None
        src, tgt = self.src, self.tgt
        j = int(self.t[k])
        ns = float(self.name[k])
        named_as = "this name" if ns >= 100 else f"a similar name (name score {ns:g})"
        if self.alike[k] and self.owned_by_other(tgt.ids[j], self.src_ids[i]):
            against_text = " and ".join(_contradictions(self.scored, k)) or "nothing else in common"
            return _conflict(
                f"{'same name as' if ns >= 100 else named_as + ' to'} {self.label(j)}, already linked to another "
                f"Payfit record; {against_text}",
                "name",
                tgt.ids[j],
                float(self.score[k]),
            )
        if self.claim_only[k]:
            c = int(self.claimer[j])
            by = f"{src.label(c)} ({self.src_ids[c]})"
            if self.src_ids[c] in self.decided or self.src_ids[c] in self.ledger:
                return _conflict(
                    f"{self.label(j)} has {named_as}; {by}, who shares its email or identifier, is decided otherwise "
                    "or synced elsewhere, so it may be this person's",
                    "name",
                    tgt.ids[j],
                    float(self.score[k]),
                )
            why = f"is matched to {by} by stronger evidence"
        else:
            why = f"another birth date ({tgt.birth[j]}, this record {src.birth[i]})"
        return _Verdict(
            "new",
            "create",
            None,
            None,
            "none",
            f"no matching Equify account; {self.label(j)} has {named_as} but {why}: someone else",
        )

    # ---- helpers ------------------------------------------------------------------------------
    def set(
        self, i: int, category: str, action: str, tid: str | None, sc: float | None, rule: str, reason: str
    ) -> None:
        self.out[i] = (category, action, tid, sc, rule, reason)

    def conflict(self, i: int, tid: str | None, rule: str, reason: str) -> None:
        self.set(i, "conflict", "none", tid, None, rule, reason)

    def label(self, j: int) -> str:
        """Account ``j`` as a reason names it: ``Anne Petit (acc_1)``."""
        return f"{self.tgt.label(j)} ({self.tgt.ids[j]})"

    def pair_score(self, i: int, j: int) -> float | None:
        """The score of the pair (record ``i``, account ``j``), ``None`` when blocking never paired them."""
        for k in range(self.starts[i], self.ends[i]):
            if self.t[k] == j:
                return float(self.score[k])
        return None

    def owned_by_other(self, tid: str, sid: str) -> bool:
        """True when the account belongs to another Payfit record (ledger, Payfit id, a decision);
        the answer is noted in :attr:`consulted` (a kept verdict stands while its answers do)."""
        owned = self.taken.get(tid, sid) != sid
        self.consulted.append((tid, owned))
        return owned

    def names_disagree(self, i: int, j: int, k: int) -> bool:
        return _names_disagree(self.src, self.tgt, i, j, float(self.name[k]), self.settings)

    def by_alternate(self, i: int, j: int, k: int) -> str:
        """What to add to a link's reason when the names agree only through the record's birth or
        married name: ``"; the account holds the birth or married name Quéré"`` (else ``""``)."""
        src, tgt = self.src, self.tgt
        if not src.alternates[i] or _names_agree_as_written(src, tgt, i, j, float(self.name[k]), self.settings):
            return ""
        alternate = _alternate_agreeing(src, tgt, i, j, self.settings)
        return f"; the account holds the birth or married name {alternate}" if alternate else ""

    # Attributes set from the prepared data (:data:`.prepare._PREPARED_NAMES`), for the type checker.
    src: Any
    tgt: Any
    t: Any
    s: Any
    score: Any
    name: Any
    scored: Any
    tgt_pos: dict[str, int]
    id_count: Any
    id_first: Any
    email_first: Any
    named_first: Any
    tie: Any
    tie_count: Any
    starts: Any
    ends: Any
    src_email_count: dict[str, int]
    tgt_email_count: dict[str, int]
    src_matricule_count: dict[str, int]
    crowded_names: dict[int, int]
    doubt_first: Any
    doubt_count: Any
    doubt_of: dict[int, tuple[str, str]]
    apart_first: Any
    claimer: Any
    claim_only: Any
    alike: Any
