"""The push gate: whether a push of a plan may go ahead, and if not, why, in words. One function,
:func:`push_gate`, that the app's Sync page, the CLI's ``push`` and the migration notebook all call.

The rules, in order:

1. **Unresolved conflicts** stop the push unless the person chose to skip them in this push.
2. **The right customer**: when most of the people would be created while the Equify space
   already holds accounts (:data:`MOSTLY_CREATES`, :data:`HOLDS_ACCOUNTS`), the person says this is the right customer
   (a Payfit export of another company, or another company's Equify space, would make a duplicate
   of everyone): the app's checkbox; a headless run confirms up front (``--yes``).
3. **The typed confirmation**: the person types the number of accounts the plan creates (or
   ``push`` when it creates none); a headless run confirms up front (the CLI's ``--yes``).
4. **Nothing to send** is no refusal (a push of nothing records an empty run), but the gate says
   so, and the app keeps its button disabled.

Changes waiting for approval are never sent by a push that was not asked to approve them: the
gate counts them (``held``: one per field, as the Sync page and ``plan --csv`` list them) so
every front end says the same number.

The rules are the gate's; what a person does about a refusal is said in the words of the front
end that asks (``front``): the app names its Review page, the CLI its commands
(:data:`CONFLICT_REMEDIES`, :func:`conflicts_refusal`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .plan import Plan

__all__ = [
    "CONFLICT_REMEDIES",
    "HOLDS_ACCOUNTS",
    "MOSTLY_CREATES",
    "FrontEnd",
    "PushGate",
    "conflicts_refusal",
    "push_gate",
]

#: Rule 2: the share of the people a push creates or links above which, with at least
#: :data:`HOLDS_ACCOUNTS` accounts already in the Equify space, the gate asks whether this is the
#: right customer. A space with a handful of accounts (its founders, a first sync) is not asked.
MOSTLY_CREATES = 0.5
HOLDS_ACCOUNTS = 10

#: The front end that asks the gate: the app (its Sync page; the notebook says it the same way)
#: or the command line.
FrontEnd = Literal["app", "cli"]

#: What to do about unresolved conflicts (rule 1), in each front end's words.
CONFLICT_REMEDIES: dict[FrontEnd, str] = {
    "app": "resolve them on the Review page, or skip them (the app's checkbox, or --skip-conflicts) "
    "to push everything else",
    "cli": "see them with `reconcile review conflict`, resolve each with "
    "`reconcile decide SOURCE_ID link TARGET_ID|create|exclude`, or push everything else with --skip-conflicts",
}


def conflicts_refusal(conflicts: int, front: FrontEnd = "app") -> str:
    """Rule 1's refusal: ``"3 conflict(s) are unresolved: "`` and the remedy in ``front``'s words
    (:data:`CONFLICT_REMEDIES`). The gate's reason, and the CLI's words for
    :class:`~reconcile.exceptions.ConflictsUnresolved` (which carries the ``count``)."""
    return f"{conflicts} conflict(s) are unresolved: {CONFLICT_REMEDIES[front]}"


@dataclass(frozen=True)
class PushGate:
    """What :func:`push_gate` decided for one plan.

    ``expected`` is what the person types (the number of creates, or ``push``), ``prompt`` the
    sentence asking for it; ``conflicts`` the plan's unresolved conflicts and ``skip_conflicts``
    whether this push leaves them out; ``sendable`` the operations a push sends; ``held`` the
    changes waiting for approval (one per field); ``reasons`` why the push may not go ahead, in
    words (empty when it may).
    """

    creates: int
    expected: str
    prompt: str
    conflicts: int
    skip_conflicts: bool
    sendable: int
    held: int
    held_people: int
    reasons: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    #: Rule 2's question in words ("" when it is not asked).
    customer_question: str = ""

    @property
    def open(self) -> bool:
        """True when the push may go ahead."""
        return not self.reasons

    @property
    def blocked_by_conflicts(self) -> bool:
        """True when unresolved conflicts stop the push (rule 1)."""
        return self.conflicts > 0 and not self.skip_conflicts

    @property
    def nothing_to_send(self) -> bool:
        return self.sendable == 0

    def held_sentence(self) -> str:
        """The changes waiting for approval in words, the same for the app and the CLI: ``"15
        change(s) to the Equify accounts of 9 people (names, emails, birth dates, phones without
        their country code) wait for approval"`` (``""`` when none): links' and synced people's
        alike. The plan's *held for approval* figure counts something else: the synced people
        none of whose changes can be sent before approval."""
        if not self.held:
            return ""
        return (
            f"{self.held} change(s) to the Equify accounts of {self.held_people} "
            f"{'person' if self.held_people == 1 else 'people'} (names, emails, birth dates, phones without "
            "their country code) wait for approval"
        )


def push_gate(
    plan: Plan,
    *,
    skip_conflicts: bool = False,
    typed: str | None = None,
    confirmed: bool = False,
    accounts: int | None = None,
    front: FrontEnd = "app",
    right_customer: bool = False,
) -> PushGate:
    """The gate for a push of ``plan``: ``typed`` is what the person typed to confirm (compared
    once stripped of spaces), ``confirmed`` a confirmation given up front instead (``--yes``);
    ``skip_conflicts`` leaves the unresolved conflicts out of the push; ``accounts``: how many
    Equify accounts the workspace holds (with ``0`` and creates planned, a warning says that a
    customer who has accounts would get a duplicate of each: the Equify export was not loaded);
    ``front``: the front end asking, whose words say what to do about a refusal (the app's by
    default); ``right_customer``: the person said this is the right customer (rule 2; ``confirmed``
    says it too). Never raises: the :class:`PushGate` says what is missing and what to check."""
    totals = plan.totals()
    held = plan.held()
    creates, conflicts = totals["create"], totals["skip_conflict"]
    expected = str(creates) if creates else "push"
    prompt = (
        f"Type the number of accounts to create ({expected}) and press Enter"
        if creates
        else "Type push and press Enter"
    )
    reasons = []
    if conflicts and not skip_conflicts:
        reasons.append(conflicts_refusal(conflicts, front))
    people = creates + totals["link"]
    question = ""
    if accounts is not None and accounts >= HOLDS_ACCOUNTS and people and creates / people > MOSTLY_CREATES:
        question = (
            f"Is this the right customer? {creates} of the {people} people this push brings into Equify would be "
            f"created, while the Equify space already holds {accounts} account(s): a Payfit export of another "
            "company, or another company's Equify space, would make a duplicate of each of them"
        )
        if not (right_customer or confirmed):
            reasons.append("say this is the right customer (most people would be created)")
    answer = (typed or "").strip()
    if not confirmed and answer != expected:
        what = f"the number of accounts to create ({expected})" if creates else "push"
        if not answer:
            reasons.append(f"type {what} to confirm")
        elif creates:
            reasons.append(f"{answer!r} is not the number of accounts this push creates: type {expected} to confirm")
        else:
            reasons.append(f"{answer!r} does not confirm this push: type push (it creates no account)")
    warnings = []
    if accounts == 0 and creates:
        warnings.append(
            f"no Equify account is loaded: all {creates} record(s) would be created; if this customer already has "
            "accounts in Equify, load its Equify export first, or each of them gets a duplicate"
        )
    return PushGate(
        warnings=tuple(warnings),
        creates=creates,
        expected=expected,
        prompt=prompt,
        conflicts=conflicts,
        skip_conflicts=skip_conflicts,
        sendable=len(plan.actionable()),
        held=len(held),
        held_people=int(held["source_id"].nunique()) if len(held) else 0,
        reasons=tuple(reasons),
        customer_question=question,
    )
