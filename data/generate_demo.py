"""Deterministic demo data generator for the Payfit -> Equify reconciliation workbench.

Writes, under ``reconcile/demo`` (or ``--out DIR``):

* ``payfit/collaborators-NNN.json``: pages of ``GET /companies/{id}/collaborators?maxResults=50``
  in the API's page shape ``{"collaborators": [...], "meta": {"nextPageToken": ...}}``;
* ``equify_accounts.csv``: an Equify accounts export (``payfitId`` empty everywhere);
* ``ground_truth.csv``: the (payfit_id, equify_account_id) pairs that really are the same person;
* ``scenarios.json``: every planted situation with its expected category/action;
* ``README.md``.

Everything is fictitious (company "Acme Demo SAS"). The output depends only on the fixed
seed and fixed dates, never on today's date: two runs produce byte-identical files.
Stdlib only. Run: ``python data/generate_demo.py [--out DIR]``.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import string
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

SEED = 20261129
PAGE_SIZE = 50
EQUIFY_HEADER = [
    "id",
    "relation",
    "kind",
    "firstName",
    "lastName",
    "email",
    "phoneNumber",
    "birthDate",
    "nationality",
    "address",
    "postcode",
    "city",
    "country",
    "matricule",
    "payfitId",
]
# Overlay scenarios tag people that also belong to a primary scenario (same expectation).
OVERLAYS = {"phone_no_country_code", "belgian_phone"}
# Exact (payfit_ids, equify_ids) sizes per scenario, asserted by the self-check.
EXPECTED_SIZES = {
    "email_match": (72, 72),
    "belgian_phone": (2, 2),
    "email_match_name_variants": (6, 6),
    "conflict_no_email": (10, 10),
    "conflict_work_email": (8, 8),
    "homonym_other_birth_date": (1, 1),
    "homonym_conflict": (1, 1),
    "homonym_payfit_pair": (2, 2),
    "duplicate_email_payfit": (2, 0),
    "duplicate_email_equify": (1, 2),
    "recycled_mailbox": (1, 1),
    "matricule_match": (2, 2),
    "admin_no_contract": (2, 1),
    "leaver": (4, 1),
    "professional_email_only": (2, 2),
    "payfit_only": (78, 0),
    "equify_only": (0, 30),
    "empty_names": (0, 1),
    "doubt_given_name_shortened": (2, 2),
    "doubt_given_name_initials": (2, 2),
    "doubt_particle_abbreviated": (2, 2),
    "doubt_transliteration": (2, 2),
    "doubt_near_email": (1, 1),
    "doubt_near_birth_date_and_matricule": (1, 1),
    "doubt_married_name": (1, 1),
    "doubt_gmail_dots": (1, 1),
}

FIRST_F = [
    "Camille",
    "Léa",
    "Manon",
    "Emma",
    "Clara",
    "Inès",
    "Sarah",
    "Lucie",
    "Pauline",
    "Mathilde",
    "Élodie",
    "Céline",
    "Aurélie",
    "Laure",
    "Juliette",
    "Charlotte",
    "Agathe",
    "Margot",
    "Océane",
    "Justine",
    "Amandine",
    "Audrey",
    "Mélanie",
    "Sandrine",
    "Nathalie",
    "Valérie",
    "Isabelle",
    "Émilie",
    "Lina",
    "Jade",
    "Louise",
    "Alix",
    "Capucine",
    "Salomé",
    "Anaïs",
    "Estelle",
    "Coralie",
    "Fanny",
    "Hortense",
    "Ophélie",
]
FIRST_M = [
    "Antoine",
    "Hugo",
    "Louis",
    "Maxime",
    "Julien",
    "Romain",
    "Quentin",
    "Baptiste",
    "Adrien",
    "Florian",
    "Guillaume",
    "Benoît",
    "Olivier",
    "Sébastien",
    "Damien",
    "Cédric",
    "Arnaud",
    "Victor",
    "Théo",
    "Raphaël",
    "Gabriel",
    "Arthur",
    "Jules",
    "Paul",
    "Alexis",
    "Mathis",
    "Yanis",
    "Karim",
    "Mehdi",
    "Bastien",
    "Clément",
    "Étienne",
    "Grégoire",
    "Loïc",
    "Rémi",
    "Simon",
    "Tristan",
    "Vincent",
    "Xavier",
    "Yves",
]
LAST = [
    "Durand",
    "Dubois",
    "Moreau",
    "Lambert",
    "Fontaine",
    "Rousseau",
    "Vincent",
    "Muller",
    "Lefebvre",
    "Faure",
    "André",
    "Mercier",
    "Blanc",
    "Guérin",
    "Boyer",
    "Garnier",
    "Chevalier",
    "François",
    "Legrand",
    "Gauthier",
    "Perrin",
    "Robin",
    "Clément",
    "Morin",
    "Nicolas",
    "Henry",
    "Roussel",
    "Mathieu",
    "Gautier",
    "Masson",
    "Marchand",
    "Duval",
    "Denis",
    "Dumont",
    "Marie",
    "Lemaire",
    "Noël",
    "Meyer",
    "Dufour",
    "Meunier",
    "Brun",
    "Blanchard",
    "Giraud",
    "Joly",
    "Rivière",
    "Lucas",
    "Brunet",
    "Gaillard",
    "Barbier",
    "Arnaud",
    "Martinez",
    "Gérard",
    "Roche",
    "Renard",
    "Schmitt",
    "Roy",
    "Leroux",
    "Colin",
    "Vidal",
    "Caron",
    "Picard",
    "Roger",
    "Fabre",
    "Aubert",
    "Lemoine",
    "Renaud",
    "Dumas",
    "Lacroix",
    "Olivier",
    "Philippe",
    "Bourgeois",
    "Pierre",
    "Benoît",
    "Rey",
    "Leclerc",
    "Payet",
    "Rolland",
    "Leclercq",
    "Guillaume",
    "Lecomte",
    "Lopez",
    "Jean",
    "Dupuy",
    "Guillot",
    "Hubert",
    "Berger",
    "Carpentier",
    "Sanchez",
    "Dupuis",
    "Moulin",
    "Louis",
    "Deschamps",
    "Huet",
    "Vasseur",
    "Perez",
    "Boucher",
    "Fleury",
    "Royer",
    "Klein",
    "Jacquet",
    "Adam",
    "Paris",
    "Poirier",
    "Marty",
    "Aubry",
    "Guyot",
    "Carré",
    "Charles",
    "Renault",
    "Charpentier",
    "Ménard",
    "Maillard",
    "Baron",
    "Bertin",
    "Bailly",
    "Hervé",
    "Schneider",
    "Fernandez",
    "Le Goff",
    "Collet",
    "Léger",
    "Bouvier",
    "Julien",
    "Prévost",
    "Millet",
    "Perrot",
    "Daniel",
    "Le Roux",
    "Cousin",
    "Germain",
    "Breton",
    "Besson",
    "Langlois",
]
STREETS = [
    "rue des Lilas",
    "avenue des Tilleuls",
    "rue du Moulin",
    "impasse des Glycines",
    "allée des Acacias",
    "chemin des Vignes",
    "place de la Fontaine",
    "rue des Écoles",
    "boulevard des Platanes",
    "rue de la Forge",
    "rue du Lavoir",
    "quai des Brumes",
]
CITIES_FR = [
    ("75011", "Paris"),
    ("75015", "Paris"),
    ("69003", "Lyon"),
    ("44000", "Nantes"),
    ("33000", "Bordeaux"),
    ("59000", "Lille"),
    ("31000", "Toulouse"),
    ("35000", "Rennes"),
    ("13006", "Marseille"),
    ("93100", "Montreuil"),
    ("92100", "Boulogne-Billancourt"),
    ("67000", "Strasbourg"),
    ("34000", "Montpellier"),
    ("06000", "Nice"),
]
TEAMS = [
    "Engineering",
    "Sales",
    "Finance",
    "Operations",
    "Marketing",
    "People",
    "Customer Success",
]
DOMAINS = ["example.fr", "example.fr", "example.com", "example.org"]
WORK_DOMAIN = "acme-demo.fr"
LEGAL_ENTITIES = [
    "Alpha Ventures SAS",
    "Bêta Invest SARL",
    "Gamma Capital SCR",
    "Delta Angels SAS",
    "Epsilon Gestion SA",
    "Zêta Participations SAS",
    "Oméga Growth Fund FPCI",
    "Kappa Holding SARL",
]
# Names planted by hand, kept out of the random pool (in addition to every name drawn).
PLANTED_NAMES = [
    ("Éric", "Moreau"),
    ("Jean-Pierre", "Le Gall"),
    ("Jean Pierre", "Legall"),
    ("Margaux", "Chevalier"),
    ("Noémie", "Bérard"),
    ("Zoé", "Lemaître"),
    ("Marie-Ange", "Da Silva"),
    ("Hélène", "Lefèvre"),
    ("Anne-Sophie", "Dubois"),
    ("Thomas", "Garnier"),
    ("Chloé", "Mercier"),
    ("Nicolas", "Martin"),
    ("Sophie", "Laurent"),
    ("Julie", "Bernard"),
    ("Alice", "Petit"),
    ("Lucas", "Girard"),
    ("Sarah", "Kone"),
    ("Matthieu", "Roussel"),
    ("Mathieu", "Roussel"),
    ("Gaëlle", "Perrot"),
    ("Gaelle", "Perot"),
    ("Bertrand", "Vasseur"),
    ("Inès", "Carpentier"),
    ("Anne-Laure", "Vautrin"),
    ("Marc", "Delorme"),
    ("Jean-Philippe", "Castagné"),
    ("Mathilde", "Lacaze"),
    ("Bérénice", "Sainte-Beuve"),
    ("Hugo", "St-Amand"),
    ("Youssef", "Benali"),
    ("Mohamed", "Chérif"),
    ("Claire", "Fontanel"),
    ("Soizic", "Kerbrat"),
]
PLANTED_EMAILS = ["accueil@example.fr", "a.petit@example.fr", "contact.rh@example.fr"]


def fold(text: str) -> str:
    """Lower-case, strip accents, hyphens/apostrophes as spaces, collapse whitespace."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(text.replace("-", " ").replace("'", " ").split())


def name_key(first: str, last: str) -> str:
    """Order-free name key: the same person whatever accents/case/hyphens/word order."""
    return " ".join(sorted(fold(f"{first} {last}").split()))


def norm_email(email: str) -> str:
    return "".join(c for c in email if unicodedata.category(c) != "Cf").strip().lower()


@dataclass
class Person:
    first: str
    last: str
    gender: str
    birth: str | None
    nationality: str
    country: str
    phone_digits: str | None  # national form, e.g. "0199001234" / "0470990001"
    personal: str | None
    professional: str | None
    address: dict[str, str] | None


class Demo:
    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.names: set[str] = {name_key(*name) for name in PLANTED_NAMES}
        self.emails: set[str] = set(PLANTED_EMAILS)
        self.ids: set[str] = set()
        self.phones: set[str] = set()
        self.matricules = iter(self.rng.sample(range(1, 1000), 400))
        self.collabs: list[dict[str, Any]] = []
        self.accounts: list[dict[str, str]] = []
        self.truth: list[tuple[str, str]] = []
        self.scenarios: dict[str, dict[str, Any]] = {}

    # ---- primitive draws -------------------------------------------------------------
    def uid(self, kind: str) -> str:
        while True:
            if kind == "payfit":
                new = f"{self.rng.getrandbits(96):024x}"
            else:
                new = "acc_" + "".join(self.rng.choices(string.ascii_lowercase + string.digits, k=10))
            if new not in self.ids:
                self.ids.add(new)
                return new

    def day(self, start: date, end: date) -> str:
        return (start + timedelta(days=self.rng.randrange((end - start).days))).isoformat()

    def fr_phone(self) -> str:
        """A French number of the 01 99 00 xx xx range, which ARCEP reserves for fiction and which the
        phone library (``phonenumbers``) reads as a valid fixed line. (The mobile fiction range
        06 39 98 xx xx is only *possible* for the library, so a demo phone never agreed.)"""
        while True:
            digits = f"019900{self.rng.randrange(10000):04d}"
            if digits not in self.phones:
                self.phones.add(digits)
                return digits

    def fmt_phone(self, digits: str, style: int) -> str:
        pairs = [digits[i : i + 2] for i in range(0, 10, 2)]
        return [
            "+33 " + digits[1] + " " + " ".join(pairs[1:]),
            digits,
            " ".join(pairs),
            ".".join(pairs),
            "+33" + digits[1:],
        ][style]

    def e164(self, digits: str | None) -> str:
        if not digits:
            return ""
        return ("+32" if digits.startswith("04") else "+33") + digits[1:]

    def slug(self, text: str) -> str:
        return fold(text).replace(" ", "")

    def email(self, first: str, last: str, domain: str | None = None) -> str:
        domain = domain or self.rng.choice(DOMAINS)
        fst, lst = fold(first).replace(" ", "-"), self.slug(last)
        pattern = self.rng.choice(
            [
                f"{fst}.{lst}",
                f"{fst}.{lst}",
                f"{fst}{lst}",
                f"{fst[0]}.{lst}",
                f"{fst}.{lst}{self.rng.randrange(70, 100)}",
            ]
        )
        candidate, n = f"{pattern}@{domain}", 2
        while candidate in self.emails:
            candidate, n = f"{pattern}{n}@{domain}", n + 1
        self.emails.add(candidate)
        return candidate

    def work_email(self, first: str, last: str) -> str:
        candidate = f"{fold(first).replace(' ', '-')}.{self.slug(last)}@{WORK_DOMAIN}"
        assert candidate not in self.emails
        self.emails.add(candidate)
        return candidate

    def address(self, country: str = "FR") -> dict[str, str]:
        if country == "BE":
            postcode, city = self.rng.choice([("1050", "Ixelles"), ("4000", "Liège")])
        else:
            postcode, city = self.rng.choice(CITIES_FR)
        return {
            "type": "personal",
            "address": f"{self.rng.randrange(1, 120)} {self.rng.choice(STREETS)}",
            "postcode": postcode,
            "city": city,
            "country": country,
        }

    def person(
        self,
        first: str | None = None,
        last: str | None = None,
        gender: str | None = None,
        *,
        planted: bool = False,
        country: str = "FR",
        pro: bool | None = None,
        personal: str | None = "auto",
    ) -> Person:
        """Draw a person; random names are unique (order/accents/case-free) across the dataset."""
        if first is None or last is None:
            while True:
                gender = self.rng.choice(["man", "woman"])
                first = self.rng.choice(FIRST_M if gender == "man" else FIRST_F)
                last = self.rng.choice(LAST)
                if name_key(first, last) not in self.names:
                    break
        else:
            assert planted or name_key(first, last) not in self.names, (first, last)
        self.names.add(name_key(first, last))
        assert gender in ("man", "woman", "other"), (first, gender)
        nationality = country if self.rng.random() < 0.9 else self.rng.choice(["IT", "ES", "PT", "MA", "DE", "BE"])
        domain = "example.be" if country == "BE" else None
        if pro is None:
            pro = self.rng.random() < 0.3
        return Person(
            first,
            last,
            gender,
            self.day(date(1962, 1, 1), date(2003, 12, 31)),
            nationality,
            country,
            self.fr_phone() if country == "FR" else None,
            self.email(first, last, domain) if personal == "auto" else personal,
            self.work_email(first, last) if pro else None,
            self.address(country),
        )

    # ---- records -----------------------------------------------------------------------
    def collaborator(
        self,
        p: Person,
        scope: str = "active",
        termination: str | None = None,
        phone_text: str | None = None,
        birth_name: str | None = None,
    ) -> str:
        """A Payfit collaborator. scope: active | leaver (all FINISHED) | admin (no contract).
        ``birth_name``: Payfit's ``birthName`` (default: drawn, usually empty)."""
        pid, rng = self.uid("payfit"), self.rng
        if phone_text is None and p.phone_digits:
            phone_text = self.fmt_phone(p.phone_digits, rng.randrange(5))
        phones = [{"phoneNumber": phone_text, "type": "personal"}] if phone_text else []
        if p.phone_digits and rng.random() < 0.1:
            phones.append(
                {
                    "phoneNumber": self.fmt_phone(self.fr_phone(), 0),
                    "type": "professional",
                }
            )
        contracts: list[dict[str, Any]] = []
        if scope == "active":
            start = self.day(date(2016, 1, 4), date(2025, 9, 30))
            if rng.random() < 0.15:  # an earlier internship / fixed-term contract
                prev_end = date.fromisoformat(start) - timedelta(days=1)
                contracts.append(
                    self.contract(
                        "FINISHED",
                        (prev_end - timedelta(days=182)).isoformat(),
                        prev_end.isoformat(),
                    )
                )
            end = self.day(date(2026, 1, 31), date(2026, 12, 31)) if rng.random() < 0.1 else None
            contracts.append(self.contract("ACTIVE", start, end))
        elif scope == "leaver":
            assert termination and termination <= "2024-12-31"
            contracts.append(
                self.contract(
                    "FINISHED",
                    self.day(date(2017, 1, 2), date(2022, 12, 31)),
                    termination,
                )
            )
        else:
            assert scope == "admin"
        roll = rng.random()
        if birth_name is None:
            birth_name = self.birth_name(p) if p.gender == "woman" and roll < 0.12 else p.last if roll > 0.8 else None
        self.collabs.append(
            {
                "id": pid,
                "matricule": f"{next(self.matricules):05d}",
                "firstName": p.first,
                "lastName": p.last,
                "birthName": birth_name,
                "secondLastName": rng.choice(LAST) if p.nationality in ("ES", "PT") else None,
                "birthDate": p.birth,
                "gender": p.gender,
                "nationality": p.nationality,
                "countryOfBirth": p.nationality if rng.random() < 0.9 else "FR",
                "teamName": "Direction" if scope == "admin" else rng.choice(TEAMS),
                "managerId": None,
                "terminationDate": termination,
                "emails": ([{"email": p.personal, "type": "personal"}] if p.personal else [])
                + ([{"email": p.professional, "type": "professional"}] if p.professional else []),
                "phoneNumbers": phones,
                "addresses": [p.address] if p.address else [],
                "contracts": contracts,
            }
        )
        return pid

    def birth_name(self, p: Person) -> str:
        while True:
            candidate = self.rng.choice(LAST)
            if candidate != p.last and name_key(p.first, candidate) not in self.names:
                self.names.add(name_key(p.first, candidate))
                return candidate

    def contract(self, status: str, start: str, end: str | None) -> dict[str, Any]:
        return {
            "id": self.uid("payfit"),
            "status": status,
            "startDate": start,
            "endDate": end,
        }

    def account(
        self,
        p: Person | None,
        relation: str = "employee",
        *,
        kind: str = "person",
        first: str | None = None,
        last: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        matricule: str = "",
    ) -> str:
        """An Equify row; names/email default to the person's, optional fields often blank."""
        aid, rng = self.uid("equify"), self.rng
        addr = p.address if p and p.address and rng.random() < 0.6 else None
        if phone is None and p and p.phone_digits:
            phone = rng.choice(
                [
                    self.e164(p.phone_digits),
                    self.e164(p.phone_digits),
                    self.fmt_phone(p.phone_digits, 2),
                    "",
                ]
            )
        self.accounts.append(
            {
                "id": aid,
                "relation": relation,
                "kind": kind,
                "firstName": p.first if first is None and p else (first or ""),
                "lastName": p.last if last is None and p else (last or ""),
                "email": (p.personal or "") if email is None and p else (email or ""),
                "phoneNumber": phone or "",
                "birthDate": self.maybe(p.birth if p else None),
                "nationality": self.maybe(p.nationality if p else None),
                "address": addr["address"] if addr else "",
                "postcode": addr["postcode"] if addr else "",
                "city": addr["city"] if addr else "",
                "country": p.country if p else "",
                "matricule": matricule,
                "payfitId": "",
            }
        )
        return aid

    def maybe(self, value: str | None) -> str:
        """Equify exports are patchy: keep an optional value 60% of the time."""
        return value if value and self.rng.random() < 0.6 else ""

    def plant(
        self,
        name: str,
        description: str,
        category: str,
        action: str,
        payfit: list[str],
        equify: list[str],
    ) -> None:
        assert name not in self.scenarios
        self.scenarios[name] = {
            "scenario": name,
            "description": description,
            "payfit_ids": payfit,
            "equify_ids": equify,
            "expected_category": category,
            "expected_action": action,
        }

    def pair(
        self,
        p: Person,
        scope: str = "active",
        termination: str | None = None,
        phone_text: str | None = None,
        **account_kw: Any,
    ) -> tuple[str, str]:
        """Same person on both sides, recorded in the ground truth."""
        pid = self.collaborator(p, scope, termination, phone_text)
        aid = self.account(p, **account_kw)
        self.truth.append((pid, aid))
        return pid, aid


def mangle(email: str, style: int) -> str:
    """Equify-side noise that normalisation (trim, lower-case, drop invisibles) must absorb."""
    local, domain = email.split("@")
    return [
        ".".join(w.capitalize() for w in local.split(".")) + "@" + domain.capitalize() + " ",
        email.upper(),
        "  " + email,
        local + "\u200b@" + domain,
        "\ufeff" + email,
    ][style]


def build(d: Demo) -> None:
    """Plant every scenario; Payfit ids and Equify ids are aligned by index where 1:1."""
    W, M = "woman", "man"
    pay: list[str] = []
    eq: list[str] = []
    for i in range(EXPECTED_SIZES["email_match"][0]):
        if i < 2:  # Belgian residents, Payfit phone in national / international form
            p = d.person(country="BE")
            p.nationality, p.phone_digits = "BE", f"047099000{i + 1}"
            d.phones.add(p.phone_digits)
            ids = d.pair(
                p,
                phone_text=["0470 99 00 01", "+32 470 99 00 02"][i],
                phone=d.e164(p.phone_digits),
            )
        else:
            p = d.person()
            ids = d.pair(p, email=mangle(p.personal or "", i % 5) if i < 12 else None)
        pay.append(ids[0])
        eq.append(ids[1])
    d.plant(
        "email_match",
        "Same person; Payfit personal email equals the Equify email. Ten Equify "
        "emails carry noise to normalise away (case, spaces, zero-width space, BOM).",
        "new",
        "link",
        pay,
        eq,
    )
    d.plant(
        "belgian_phone",
        "Overlay: Belgian residents (address BE) with Payfit phones "
        "'0470 99 00 01' and '+32 470 99 00 02'; Equify holds E.164 (+32...).",
        "new",
        "link",
        pay[:2],
        eq[:2],
    )

    pay, eq = [], []
    for first, last, g, ef, el in [
        ("Éric", "Moreau", M, "Eric", "MOREAU"),
        ("Jean-Pierre", "Le Gall", M, "Jean Pierre", "Legall"),
        ("Margaux", "Chevalier", W, "Chevalier", "Margaux"),  # first/last swapped
        ("Noémie", "Bérard", W, "noemie", "berard"),
        ("Zoé", "Lemaître", W, "Zoe", "Lemaitre"),
        ("Marie-Ange", "Da Silva", W, "Marie Ange", "DA SILVA"),
    ]:
        ids = d.pair(d.person(first, last, g, planted=True), first=ef, last=el)
        pay.append(ids[0])
        eq.append(ids[1])
    d.plant(
        "email_match_name_variants",
        "Email matches; Equify names differ only by accents, case, "
        "hyphens, word order (first/last swapped) or a removed space ('Le Gall' vs 'Legall').",
        "new",
        "link",
        pay,
        eq,
    )

    pay, eq = [], []
    planted = [
        ("Hélène", "Lefèvre", W, "Helene", "LEFEVRE"),
        ("Anne-Sophie", "Dubois", W, "Anne Sophie", "Dubois"),
        ("Thomas", "Garnier", M, "Garnier", "Thomas"),  # first/last swapped
        ("Chloé", "Mercier", W, "chloé", "mercier"),
    ]
    for i in range(EXPECTED_SIZES["conflict_no_email"][0]):
        if i < len(planted):
            first, last, g, ef, el = planted[i]
            ids = d.pair(d.person(first, last, g, planted=True), first=ef, last=el, email="")
        else:
            ids = d.pair(d.person(), email="")
        pay.append(ids[0])
        eq.append(ids[1])
    d.plant(
        "conflict_no_email",
        "Same person, Equify employee account without email; names equal up "
        "to accents/case/hyphens/word order. Never an automatic link.",
        "conflict",
        "none",
        pay,
        eq,
    )

    pay, eq = [], []
    for i in range(EXPECTED_SIZES["conflict_work_email"][0]):
        p = d.person(pro=i % 2 == 0)
        work = p.professional or d.work_email(p.first, p.last)
        ids = d.pair(p, email=work)
        pay.append(ids[0])
        eq.append(ids[1])
    d.plant(
        "conflict_work_email",
        "Same person; Equify holds the work email (@acme-demo.fr), Payfit the "
        "personal one (half also list the work email as professional).",
        "conflict",
        "none",
        pay,
        eq,
    )

    pay, eq = [], []
    for first, last, g, relation in [
        ("Nicolas", "Martin", M, "investor"),
        ("Sophie", "Laurent", W, "board_member"),
    ]:
        pay.append(d.collaborator(d.person(first, last, g, planted=True, pro=False)))
        other = d.person(first, last, g, planted=True, pro=False)
        eq.append(d.account(other, relation))
        # Set after the draw (the random stream, hence the rest of the demo, is unchanged):
        # the investor's birth date is known and differs, the board member's is not known.
        d.accounts[-1]["birthDate"] = other.birth if relation == "investor" else ""
    d.plant(
        "homonym_other_birth_date",
        "Payfit employee and an unrelated Equify investor with the same name, a different email and "
        "another birth date: someone else, created, the reason naming the namesake set aside (not in ground truth).",
        "new",
        "create",
        pay[:1],
        eq[:1],
    )
    d.plant(
        "homonym_conflict",
        "Payfit employee and an unrelated Equify person with the same name, a different email and no "
        "birth date to tell them apart (not in ground truth).",
        "conflict",
        "none",
        pay[1:],
        eq[1:],
    )

    pay, eq = [], []
    for _ in range(2):
        ids = d.pair(d.person("Julie", "Bernard", W, planted=True, pro=False))
        pay.append(ids[0])
        eq.append(ids[1])
    d.plant(
        "homonym_payfit_pair",
        "Two different Payfit 'Julie Bernard' with distinct personal emails, "
        "each matching a different Equify account by email.",
        "new",
        "link",
        pay,
        eq,
    )

    pay = [d.collaborator(d.person(pro=False, personal="accueil@example.fr")) for _ in range(2)]
    d.plant(
        "duplicate_email_payfit",
        "Two in-scope Payfit collaborators share accueil@example.fr.",
        "conflict",
        "none",
        pay,
        [],
    )

    p = d.person("Alice", "Petit", W, planted=True, pro=False, personal="a.petit@example.fr")
    pid = d.collaborator(p)
    eq = [
        d.account(p, email="A.Petit@example.fr"),
        d.account(p, email="a.petit@example.fr"),
    ]
    d.truth += [(pid, a) for a in eq]
    d.plant(
        "duplicate_email_equify",
        "Alice Petit entered twice in Equify (A.Petit@ / a.petit@example.fr); "
        "both accounts are her (two ground-truth rows).",
        "conflict",
        "none",
        [pid],
        eq,
    )

    pid = d.collaborator(
        d.person(
            "Lucas",
            "Girard",
            M,
            planted=True,
            pro=False,
            personal="contact.rh@example.fr",
        )
    )
    aid = d.account(
        d.person(
            "Sarah",
            "Kone",
            W,
            planted=True,
            pro=False,
            personal="contact.rh@example.fr",
        )
    )
    d.plant(
        "recycled_mailbox",
        "Same mailbox contact.rh@example.fr on Payfit 'Lucas Girard' and Equify "
        "'Sarah Kone': emails match, names disagree.",
        "conflict",
        "none",
        [pid],
        [aid],
    )

    _build_more(d)


def _build_more(d: Demo) -> None:
    """The rest of :func:`build`'s scenarios, in the same order (the random draws, hence the demo, are unchanged)."""
    W, M = "woman", "man"
    pay, eq = [], []
    for first, last, g, ef, el, new_email in [
        ("Matthieu", "Roussel", M, "Mathieu", "Roussel", False),
        ("Gaëlle", "Perrot", W, "Gaelle", "Perot", True),
    ]:
        p = d.person(first, last, g, planted=True, pro=False)
        pid = d.collaborator(p)
        email = d.email(ef, el, "example.org") if new_email else ""
        eq.append(d.account(p, first=ef, last=el, email=email, matricule=d.collabs[-1]["matricule"]))
        pay.append(pid)
        d.truth.append((pid, eq[-1]))
    d.plant(
        "matricule_match",
        "Equify account carries the Payfit matricule; slightly different spelling and an empty or different email.",
        "new",
        "link",
        pay,
        eq,
    )

    ceo = d.person("Bertrand", "Vasseur", M, planted=True, pro=True)
    pid, aid = d.pair(ceo, scope="admin", relation="founder")
    pid2 = d.collaborator(
        d.person("Inès", "Carpentier", W, planted=True, pro=True, personal=None),
        scope="admin",
    )
    d.plant(
        "admin_no_contract",
        "Admins without contract (contracts [] and no terminationDate). The CEO "
        "is also an Equify founder with the same email (ground truth) but out of scope by default.",
        "out_of_scope",
        "none",
        [pid, pid2],
        [aid],
    )

    pay, eq = [], []
    for i, end in enumerate(["2024-06-30", "2023-12-31", "2024-03-31", "2024-09-30"]):
        if i == 0:
            pid, aid = d.pair(d.person(), scope="leaver", termination=end)
            eq.append(aid)
        else:
            pid = d.collaborator(d.person(), scope="leaver", termination=end)
        pay.append(pid)
    d.plant(
        "leaver",
        "Leavers: terminationDate <= 2024, all contracts FINISHED. The first one also has "
        "an Equify account with the same email (ground truth).",
        "out_of_scope",
        "none",
        pay,
        eq,
    )

    pay, eq = [], []
    for i in range(2):
        p = d.person(personal=None, pro=True)
        pro = p.professional or ""
        ids = d.pair(p, email=pro if i == 0 else pro.split("@")[0].title() + "@" + WORK_DOMAIN)
        pay.append(ids[0])
        eq.append(ids[1])
    d.plant(
        "professional_email_only",
        "Payfit collaborators with only a professional email, matching Equify by that email.",
        "new",
        "link",
        pay,
        eq,
    )

    pay = []
    for i in range(EXPECTED_SIZES["payfit_only"][0]):
        p = d.person(
            personal=None if i in (5, 40) else "auto",
            pro=False if i in (5, 40) else None,
        )
        if i % 13 == 0:
            p.birth = None
        if i == 20:
            p.gender = "other"
        if i % 9 == 0:
            p.phone_digits = None
        if i % 17 == 3:
            p.address = None
        pay.append(d.collaborator(p))
    d.plant(
        "payfit_only",
        "In-scope collaborators with no Equify counterpart; some lack phone, birthDate, address, or any email.",
        "new",
        "create",
        pay,
        [],
    )

    eq = []
    for i, company in enumerate(LEGAL_ENTITIES):
        email = "" if i % 3 == 2 else f"{d.slug(company.rsplit(' ', 1)[0]).replace(' ', '')}@example.com"
        d.emails.add(email) if email else None
        eq.append(
            d.account(
                None,
                "investor",
                kind="legal_entity",
                first="",
                last=company,
                email=email,
            )
        )
    relations = ["investor"] * 10 + ["advisor"] * 5 + ["founder"] * 2 + ["board_member"] * 5
    for i, relation in enumerate(relations):
        p = d.person(pro=False, country="BE" if i == 7 else "FR")
        eq.append(d.account(p, relation, email="" if i % 4 == 3 else None))
    d.plant(
        "equify_only",
        "Investors, advisors, founders, board members and legal entities with no "
        "Payfit counterpart (some without email).",
        "equify_only",
        "none",
        [],
        eq,
    )

    aid = d.account(None, "investor", first="", last="", email="", phone="")
    d.plant(
        "empty_names",
        "Equify investor with empty firstName/lastName/email: must never match.",
        "equify_only",
        "none",
        [],
        [aid],
    )

    plant_doubts(d)

    no_cc = [
        c["id"]
        for c in d.collabs
        if c["id"] in d.scenarios["email_match"]["payfit_ids"][2:]
        and c["phoneNumbers"]
        and not c["phoneNumbers"][0]["phoneNumber"].startswith("+")
    ]
    d.plant(
        "phone_no_country_code",
        "Overlay: email-matched collaborators whose Payfit phone has no "
        "country code (0199001234, 01 99 00 12 34, 01.99.00.12.34).",
        "new",
        "link",
        no_cc,
        [],
    )
    assign_managers(d, ceo_id=d.scenarios["admin_no_contract"]["payfit_ids"][0])


# Issue 14: one person in each system, no email in common, names as people write them. Each is a
# plausible match the policy must put in doubt (a conflict saying why), never a create.
# (scenario, description, [(payfit first, last, gender, Equify first, last)])
DOUBTS: list[tuple[str, str, list[tuple[str, str, str, str, str]]]] = [
    (
        "doubt_given_name_shortened",
        "A compound given name kept whole on one side, only its first part on the other (Anne-Laure / Anne, "
        "Marc / Marc-Antoine); the Equify account has no email.",
        [
            ("Anne-Laure", "Vautrin", "woman", "Anne", "Vautrin"),
            ("Marc", "Delorme", "man", "Marc-Antoine", "Delorme"),
        ],
    ),
    (
        "doubt_given_name_initials",
        "The Equify account writes the given name as initials (J.-P. Castagné, M. Lacaze); no email.",
        [
            ("Jean-Philippe", "Castagné", "man", "J.-P.", "Castagné"),
            ("Mathilde", "Lacaze", "woman", "M.", "Lacaze"),
        ],
    ),
    (
        "doubt_particle_abbreviated",
        "Saint/Sainte written St/Ste on one side (Sainte-Beuve / Ste Beuve, St-Amand / Saint-Amand); no email.",
        [
            ("Bérénice", "Sainte-Beuve", "woman", "Bérénice", "Ste Beuve"),
            ("Hugo", "St-Amand", "man", "Hugo", "Saint-Amand"),
        ],
    ),
    (
        "doubt_transliteration",
        "Two spellings of one given name (Youssef / Yousef, Mohamed / Mohammed); no email.",
        [
            ("Youssef", "Benali", "man", "Yousef", "Benali"),
            ("Mohamed", "Chérif", "man", "Mohammed", "Chérif"),
        ],
    ),
    (
        "doubt_near_email",
        "Payfit's email carries a +tag (claire.fontanel+rh@example.fr), Equify's is the same mailbox without it; "
        "the given names differ (Claire / Clara).",
        [("Claire", "Fontanel", "woman", "Clara", "Fontanel")],
    ),
    (
        "doubt_near_birth_date_and_matricule",
        "Same name; the Equify account's birth date and matricule each have two adjacent digits swapped "
        "(a typo, not another person); no email.",
        [("Soizic", "Kerbrat", "woman", "Soizic", "Kerbrat")],
    ),
    (
        "doubt_gmail_dots",
        "The same Gmail mailbox written with and without dots (lucas.fabre.pro@ / lucasfabrepro@, fictitious); "
        "the given names differ by a letter (Lucas / Luca): a name conflict whose reason says the emails are "
        "near-identical, never a shared-mailbox mismatch nor a create.",
        [("Lucas", "Fabre", "man", "Luca", "Fabre")],
    ),
    (
        "doubt_married_name",
        "Payfit's lastName holds the married name and its birthName the birth name (Claire Morvan, née Quéré); "
        "Equify still holds the birth name (Claire Quéré); no email. Found through the default mapping's "
        "match-only birthName.",
        [("Claire", "Morvan", "woman", "Claire", "Quéré")],
    ),
]


def swap_digits(text: str, taken: set[str]) -> str:
    """``text`` with the last pair of adjacent different digits swapped whose result is not ``taken``."""
    for i in reversed(range(len(text) - 1)):
        a, b = text[i], text[i + 1]
        if a != b and a.isdigit() and b.isdigit():
            new = text[:i] + b + a + text[i + 2 :]
            if new not in taken:
                return new
    raise AssertionError(f"no free swap of {text}")


#: Doubt kinds added to the demo later, each drawn from its own random stream.
_LATER_DOUBTS = frozenset({"doubt_married_name", "doubt_gmail_dots"})


def later_ids(d: Demo, *sides: str) -> set[str]:
    """The ids (``payfit_ids``, ``equify_ids``) of the people of :data:`_LATER_DOUBTS`, which stay
    out of the demo's random stream."""
    return {i for name in _LATER_DOUBTS for side in sides for i in d.scenarios[name][side]}


def plant_doubts(d: Demo) -> None:
    """The issue-14 people (:data:`DOUBTS`); Payfit and Equify ids aligned by index, all in the ground truth."""
    main_rng = d.rng
    for name, description, people in DOUBTS:
        # Kinds added after the demo was first drawn draw from their own stream: the rest of the
        # demo (ids, managers) stays what it was.
        d.rng = random.Random(f"demo:{name}") if name in _LATER_DOUBTS else main_rng
        pay, eq = [], []
        for first, last, gender, eq_first, eq_last in people:
            p = d.person(first, last, gender, planted=True, pro=False)
            if name == "doubt_near_email":
                mailbox = p.personal or ""
                p.personal = mailbox.replace("@", "+rh@")
                d.emails.add(p.personal)
                pid = d.collaborator(p)
                aid = d.account(p, first=eq_first, last=eq_last, email=mailbox)
            elif name == "doubt_gmail_dots":
                p.personal = "lucas.fabre.pro@gmail.com"
                d.emails.add(p.personal)
                pid = d.collaborator(p)
                aid = d.account(p, first=eq_first, last=eq_last, email="lucasfabrepro@gmail.com")
            elif name == "doubt_married_name":
                pid = d.collaborator(p, birth_name=eq_last)
                aid = d.account(p, first=eq_first, last=eq_last, email="")
                d.accounts[-1]["birthDate"] = p.birth or ""
            elif name == "doubt_near_birth_date_and_matricule":
                p.birth = "1987-06-12"
                pid = d.collaborator(p)
                aid = d.account(p, email="")
                taken = {c["matricule"] for c in d.collabs}
                d.accounts[-1]["matricule"] = swap_digits(d.collabs[-1]["matricule"], taken)
                d.accounts[-1]["birthDate"] = "1978-06-12"
            else:
                pid = d.collaborator(p)
                aid = d.account(p, first=eq_first, last=eq_last, email="")
            d.truth.append((pid, aid))
            pay.append(pid)
            eq.append(aid)
        d.plant(name, description, "conflict", "none", pay, eq)
    d.rng = main_rng


def assign_managers(d: Demo, ceo_id: str) -> None:
    heads: dict[str, str] = {}
    later = later_ids(d, "payfit_ids")
    for c in d.collabs:
        if c["id"] == ceo_id or c["id"] in later:  # later kinds: no draw from the demo's stream
            continue
        team = c["teamName"]
        if team not in heads and any(k["status"] == "ACTIVE" for k in c["contracts"]):
            heads[team], c["managerId"] = c["id"], ceo_id
        elif team == "Direction" or (team in heads and d.rng.random() < 0.85):
            c["managerId"] = heads.get(team, ceo_id)


# ---- self-check -------------------------------------------------------------------------
def primary_email(c: dict[str, Any]) -> str:
    by_type = {e["type"]: e["email"] for e in c["emails"]}
    return norm_email(by_type.get("personal") or by_type.get("professional") or "")


def names_agree(c: dict[str, Any], a: dict[str, str]) -> bool:
    pf, pl, af, al = (fold(x or "") for x in (c["firstName"], c["lastName"], a["firstName"], a["lastName"]))
    return name_key(pf, pl) == name_key(af, al) or compact(pf, pl) in (
        compact(af, al),
        compact(al, af),
    )


def compact(*parts: str) -> str:
    return "".join(parts).replace(" ", "")


def policy(c: dict[str, Any], collabs: list[dict[str, Any]], accounts: list[dict[str, str]]) -> str:
    """Reference reading of the matching policy, to validate the planted expectations."""
    if not c["contracts"] or c["terminationDate"]:
        return "out_of_scope/none"
    if len([a for a in accounts if a["matricule"] and a["matricule"] == c["matricule"]]) == 1:
        return "new/link"
    email = primary_email(c)
    if email:
        on_payfit = [k for k in collabs if email in {norm_email(e["email"]) for e in k["emails"]}]
        on_equify = [a for a in accounts if norm_email(a["email"]) == email]
        if len(on_payfit) > 1 or len(on_equify) > 1:
            return "conflict/none"
        if on_equify:
            return "new/link" if names_agree(c, on_equify[0]) else "conflict/none"
    key = name_key(c["firstName"], c["lastName"])
    people = [a for a in accounts if a["kind"] == "person" and not other_birth_date(c["birthDate"], a["birthDate"])]
    if any((a["firstName"] or a["lastName"]) and name_key(a["firstName"], a["lastName"]) == key for a in people):
        return "conflict/none"
    if any(plausible(c, a) for a in people):
        return "conflict/none"  # doubt (shared/domain.md §5 step 5)
    return "new/create"


def other_birth_date(a: str | None, b: str | None) -> bool:
    """Two ISO birth dates that clearly differ: not one digit, two adjacent digits or day and month
    apart (docs/doubt_policy.md §4: such a namesake is someone else; the demo's namesakes share no
    phone or email, so nothing corroborates them)."""
    if not a or not b or a == b:
        return False
    da, db = a.replace("-", ""), b.replace("-", "")
    diff = [k for k in range(8) if da[k] != db[k]]
    swap = len(diff) == 2 and diff[1] == diff[0] + 1 and da[diff[0]] == db[diff[1]] and da[diff[1]] == db[diff[0]]
    return not (len(diff) == 1 or swap or (a[:4] == b[:4] and a[5:7] == b[8:] and a[8:] == b[5:7]))


# A reference reading of "plausibly the same person" (the doubt step), independent of the matcher and
# deliberately small: it covers the kinds the demo plants and guards the random draws against them.
SPELLINGS = [
    {"youssef", "yousef", "youcef", "yusuf"},
    {"mohamed", "mohammed", "mohamad", "muhammad"},
]


def given_related(a: str, b: str) -> bool:
    """Two folded given names: equal, a compound one shortened to its first part, initials, or a known
    other spelling."""
    if a == b:
        return True
    wa, wb = a.split(), b.split()
    if wa and wb and wa[0] == wb[0] and len(wa) != len(wb):
        return True

    def initials(x: str) -> str | None:
        letters = x.replace(".", " ").split()
        joined = "".join(letters)
        return joined if joined and (all(len(w) == 1 for w in letters) or ("." not in x and len(joined) <= 2)) else None

    for x, y in ((a, b), (b, a)):
        short = initials(x)
        if short and initials(y) is None and short == "".join(w[0] for w in y.split()):
            return True
    return any(a in group and b in group for group in SPELLINGS)


def last_forms(last: str) -> set[str]:
    """A folded last name, compact, with St/Ste expanded."""
    words = last.split()
    if words and words[0] in ("st", "ste"):
        words[0] = "saint" if words[0] == "st" else "sainte"
    return {compact(*last.split()), compact(*words)}


def plausible(c: dict[str, Any], a: dict[str, str]) -> bool:
    """Doubt: a near-identical email (a +tag), or related given names and a last name that is the
    account's (St/Ste, or Payfit's birthName)."""
    email = primary_email(c)

    def mailbox(address: str) -> str:  # without a +tag; Gmail without dots
        local, _, domain = address.partition("@")
        local = local.split("+", 1)[0]
        return (local.replace(".", "") if domain == "gmail.com" else local) + "@" + domain

    if email and "@" in email and mailbox(norm_email(a["email"])) == mailbox(email):
        return True
    cf, af = fold(c["firstName"] or ""), fold(a["firstName"] or "")
    lasts = last_forms(fold(c["lastName"] or "")) | (last_forms(fold(c["birthName"])) if c.get("birthName") else set())
    return bool(cf and af) and given_related(cf, af) and bool(lasts & last_forms(fold(a["lastName"] or "")))


def check(d: Demo, pages: list[list[dict[str, Any]]]) -> dict[str, tuple[int, int]]:
    collabs, accounts = d.collabs, d.accounts
    pay_ids = [c["id"] for c in collabs]
    eq_ids = [a["id"] for a in accounts]
    all_ids = pay_ids + eq_ids + [k["id"] for c in collabs for k in c["contracts"]]
    assert len(all_ids) == len(set(all_ids)), "duplicate id"
    assert len({c["matricule"] for c in collabs}) == len(collabs)
    assert all(len(page) <= PAGE_SIZE for page in pages) and sum(map(len, pages)) == len(collabs)
    assert 180 <= len(collabs) <= 220 and 4 <= len(pages) <= 5
    assert all(c["managerId"] in (None, *pay_ids) for c in collabs)
    relations = {"employee", "investor", "advisor", "founder", "board_member"}
    assert {a["relation"] for a in accounts} <= relations and {a["kind"] for a in accounts} == {
        "person",
        "legal_entity",
    }
    assert all(list(a) == EQUIFY_HEADER and a["payfitId"] == "" for a in accounts)
    truth = set(d.truth)
    assert len(truth) == len(d.truth)
    assert all(p in pay_ids and a in eq_ids for p, a in truth), "ground truth id missing"
    primary: dict[str, str] = {}
    seen_eq: list[str] = []
    for s in d.scenarios.values():
        assert set(s["payfit_ids"]) <= set(pay_ids), s["scenario"]
        assert set(s["equify_ids"]) <= set(eq_ids), s["scenario"]
        if s["scenario"] in OVERLAYS:
            continue
        seen_eq += s["equify_ids"]
        for pid in s["payfit_ids"]:
            assert pid not in primary, pid
            primary[pid] = f"{s['expected_category']}/{s['expected_action']}"
    assert sorted(primary) == sorted(pay_ids), "every Payfit record in exactly one primary scenario"
    assert sorted(seen_eq) == sorted(eq_ids), "every Equify account in exactly one primary scenario"
    for name in OVERLAYS:
        s = d.scenarios[name]
        assert s["payfit_ids"] and all(
            primary[p] == f"{s['expected_category']}/{s['expected_action']}" for p in s["payfit_ids"]
        )
    for c in collabs:
        assert policy(c, collabs, accounts) == primary[c["id"]], (
            c["id"],
            primary[c["id"]],
        )
    # No accidental collision: a shared name key / email is either planted or the same person.
    planted_keys = {name_key(*name) for name in PLANTED_NAMES}
    by_key: dict[str, list[tuple[str, str]]] = {}
    by_email: dict[str, list[tuple[str, str]]] = {}
    for c in collabs:
        by_key.setdefault(name_key(c["firstName"], c["lastName"]), []).append(("p", c["id"]))
        for e in c["emails"]:
            by_email.setdefault(norm_email(e["email"]), []).append(("p", c["id"]))
    for a in accounts:
        if a["kind"] == "person" and (a["firstName"] or a["lastName"]):
            by_key.setdefault(name_key(a["firstName"], a["lastName"]), []).append(("e", a["id"]))
        if a["email"]:
            by_email.setdefault(norm_email(a["email"]), []).append(("e", a["id"]))
    for table, allowed in ((by_key, planted_keys), (by_email, set(PLANTED_EMAILS))):
        for key, refs in table.items():
            ps = [i for side, i in refs if side == "p"]
            es = [i for side, i in refs if side == "e"]
            if len(refs) > 1 and key not in allowed:
                assert len(ps) == 1 and all((ps[0], a) in truth for a in es), "accidental collision"
    counts = {n: (len(s["payfit_ids"]), len(s["equify_ids"])) for n, s in d.scenarios.items()}
    assert {n: c for n, c in counts.items() if n != "phone_no_country_code"} == EXPECTED_SIZES, counts
    assert counts["phone_no_country_code"][0] >= 5
    return counts


# ---- output -----------------------------------------------------------------------------
README = """# Demo data (fictitious)

All people, emails (example.fr/.com/.org/.be, acme-demo.fr, and one made-up Gmail mailbox written
with and without dots for the `doubt_gmail_dots` case), addresses and phone numbers
(French numbers in the 01 99 00 xx xx range that ARCEP reserves for fiction, which the phone
library reads as valid; Belgian mobiles 0470 99 00 0x) of the company
"Acme Demo SAS" are generated by `data/generate_demo.py`; any resemblance to real persons is
coincidental.

- `payfit/collaborators-NNN.json`: pages of Payfit
  `GET /companies/{companyId}/collaborators?maxResults=50`, in the API page shape
  `{"collaborators": [...], "meta": {"nextPageToken": ...}}`; the last page has
  `"nextPageToken": null`.
- `equify_accounts.csv`: Equify accounts export (UTF-8, comma-separated, empty cell = missing).
  `payfitId` is empty everywhere (no earlier sync).
- `ground_truth.csv`: `payfit_id,equify_account_id` pairs that really are the same person,
  independent of any matcher. Alice Petit has two rows (she is entered twice in Equify).
- `scenarios.json`: every planted situation with `payfit_ids`, `equify_ids`,
  `expected_category` and `expected_action` (default scope: active employees only, so admins
  without contract and leavers are `out_of_scope`). When both id lists have the same length,
  index i on each side is the same planted case. `phone_no_country_code` and `belgian_phone`
  are overlays whose records also belong to `email_match`; the other scenarios are disjoint and
  together cover every record. `equify_only` and `empty_names` have no Payfit record
  (category `equify_only`, action `none`).

Regenerate (stdlib only, deterministic, byte-identical output):

    python data/generate_demo.py            # writes reconcile/demo/
    python data/generate_demo.py --out DIR
"""


def write(d: Demo, out: Path) -> dict[str, tuple[int, int]]:
    rng = d.rng
    # The people of later kinds go last, so the shuffle of the others stays what it was.
    later = later_ids(d, "payfit_ids", "equify_ids")
    collabs = [c for c in d.collabs if c["id"] not in later]
    rng.shuffle(collabs)
    collabs += [c for c in d.collabs if c["id"] in later]
    accounts = [a for a in d.accounts if a["id"] not in later]
    rng.shuffle(accounts)
    d.accounts[:] = accounts + [a for a in d.accounts if a["id"] in later]
    pages = [collabs[i : i + PAGE_SIZE] for i in range(0, len(collabs), PAGE_SIZE)]
    counts = check(d, pages)
    tokens = ["".join(rng.choices(string.ascii_letters + string.digits, k=40)) for _ in pages]
    payfit_dir = out / "payfit"
    payfit_dir.mkdir(parents=True, exist_ok=True)
    for stale in payfit_dir.glob("collaborators-*.json"):
        stale.unlink()
    for n, page in enumerate(pages):
        body = {
            "collaborators": page,
            "meta": {"nextPageToken": tokens[n] if n < len(pages) - 1 else None},
        }
        (payfit_dir / f"collaborators-{n + 1:03d}.json").write_text(
            json.dumps(body, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
    with (out / "equify_accounts.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=EQUIFY_HEADER, lineterminator="\n")
        writer.writeheader()
        writer.writerows(d.accounts)
    with (out / "ground_truth.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["payfit_id", "equify_account_id"])
        writer.writerows(sorted(d.truth))
    (out / "scenarios.json").write_text(
        json.dumps(list(d.scenarios.values()), ensure_ascii=False, indent=2) + "\n",
        encoding="utf-8",
    )
    (out / "README.md").write_text(README, encoding="utf-8")
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "reconcile" / "demo")
    args = parser.parse_args()
    demo = Demo()
    build(demo)
    counts = write(demo, args.out)
    print(
        f"wrote {len(demo.collabs)} Payfit collaborators, {len(demo.accounts)} Equify accounts, "
        f"{len(demo.truth)} ground-truth pairs to {args.out}"
    )
    for name, (n_pay, n_eq) in counts.items():
        print(f"  {name:28s} payfit={n_pay:3d} equify={n_eq:3d}")


if __name__ == "__main__":
    main()
