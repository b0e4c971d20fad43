"""Deterministic synthetic Payfit records and Equify accounts, with ground truth (fictitious people).

``generate(n, seed)`` returns ``(source, target, truth)``:

* ``source`` (Payfit-like, ``n`` rows): ``id`` (``pf-0000001``), ``firstName``, ``lastName``, ``email``,
  ``phoneNumber``, ``birthDate`` (ISO or None), ``matricule`` (str or None), ``country`` (address country,
  ISO alpha-2), ``birthName`` (Payfit's birth name: None, the ``lastName`` again, or the birth name of a
  person whose ``lastName`` is a married name; matched by column name, as the mapping-free ``match`` reads
  every column);
* ``target`` (Equify-like, ``n`` rows): ``id`` (``eq-0000001``), ``firstName``, ``lastName``, ``email``,
  ``phoneNumber``, ``birthDate`` (ISO or ``dd/mm/yyyy``), ``matricule`` (mostly None), ``payfitId`` (None);
* ``truth``: ``source_id``, ``target_id`` of the pairs that are the same person (one-to-one), plus
  ``noise``: the planted noise kinds of that pair, ``;``-separated (for the benchmark's diagnostics).

About :data:`NOISE` ``["overlap"]`` of the source persons have an Equify account; the other target rows are
Equify-only people (investors, former staff). Every noise kind and its rate is in :data:`NOISE`; rates are
per row of the side named in the key unless the comment says otherwise. The kinds of issue 14 (a compound
given name shortened, initials, ``St``/``Ste``, other spellings, a married name with ``birthName``, a +tag or
Gmail dots with names a letter apart, a birth date or matricule with two digits swapped) are tagged in
``truth.noise`` (``given_shortened``, ``initials``, ``particle_abbreviated``, ``transliteration``,
``married_name``, ``plus_tag``, ``gmail_dots``, ``near_email_name_typo``, ``birth_digit_swap``,
``matricule_digit_swap``, and ``birth_wrong``: a birth date entered wrongly in Equify, which the
set-aside rule of ``docs/doubt_policy.md`` §8 pays for). Names, emails (``example.fr``, ``example.com``, ``acme-demo.fr``, and
``gmail.com`` for the Gmail kind: never sent anywhere) and phone numbers are all made up. Only the standard library, numpy and
pandas are used; ``n = 1,000,000`` takes a few tens of seconds.

Usage: ``python bench/synth.py N [--seed 7] --out DIR`` writes ``source.csv``, ``target.csv``, ``truth.csv``.
"""

from __future__ import annotations

import argparse
import unicodedata
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["COUNTRIES", "NOISE", "generate", "maghreb_surnames", "surname_distribution"]

#: Planted noise kinds and their rates.
NOISE: dict[str, float] = {
    "overlap": 0.75,  # share of source persons that also have an Equify account (the truth pairs)
    "homonym": 0.01,  # persons given the first+last name of another person (different birth date)
    "compound_surname": 0.02,  # persons with a double surname "Martin-Dupont"
    "source_accents_dropped": 0.05,  # source rows whose names lose their accents (É→E, ç→c, ï→i)
    "source_last_upper": 0.20,  # source rows with the last name in capitals (DUPONT)
    "target_accents_dropped": 0.25,  # target rows whose names lose their accents
    "target_last_upper": 0.12,  # target rows with the last name in capitals
    "target_all_upper": 0.02,  # target rows with both names in capitals
    "target_all_lower": 0.01,  # target rows with both names in lower case
    "target_first_hyphen_to_space": 0.30,  # of hyphenated first names: Jean-Pierre → Jean Pierre
    "target_particle_joined": 0.30,  # of surnames with a particle: Le Gall → Legall
    "target_compound_hyphen_to_space": 0.25,  # of double surnames: Martin-Dupont → Martin Dupont
    "target_compound_first_part_only": 0.10,  # of double surnames: Martin-Dupont → Martin
    "target_name_typo": 0.03,  # target rows with a one-letter typo in the first or last name
    "target_name_swap": 0.01,  # target rows with first and last name swapped
    "source_email_missing": 0.03,  # source rows without an email
    "target_email_missing": 0.05,  # target rows without an email
    "email_work_vs_personal": 0.05,  # truth pairs with a work email on one side, a personal one on the other
    "source_email_case_invisible": 0.015,  # source emails with case changes and/or \u00a0 \u200b appended
    "target_email_case_invisible": 0.005,  # target emails with case changes and/or invisible characters
    "shared_mailbox": 0.001,  # source rows sharing one mailbox by twos (accueil-1@acme-demo.fr)
    "equify_only_work_email": 0.30,  # Equify-only accounts (former staff) holding an acme-demo.fr email
    "source_phone_present": 0.85,
    "target_phone_present": 0.50,
    "be_target_phone_national": 0.20,  # Belgian numbers written 0470 ... on the target (no country hint)
    "source_birthdate_missing": 0.03,
    "target_birthdate_missing": 0.20,
    "target_birthdate_french_format": 0.40,  # of present target birth dates: dd/mm/yyyy
    "target_day_month_swap": 0.005,  # target birth dates with day and month swapped (when both <= 12)
    "source_matricule_missing": 0.05,
    "target_carries_matricule": 0.10,  # of truth pairs: the Equify account carries the Payfit matricule
    # Issue 14: ways one person's records differ that a name threshold alone turns into a create.
    "given_name_shortened": 0.10,  # per side, of compound given names: only the first part kept (Anne-Laure → Anne)
    "target_given_name_initials": 0.005,  # target rows with the given name as initials (J.-P., JP, J.-P, M.)
    "saint_surname": 0.004,  # persons whose surname starts with Saint/Sainte (Saint-Martin, Sainte-Beuve)
    "particle_abbreviated": 0.25,  # per side, of Saint/Sainte surnames: written St/Ste (Ste Beuve, St-Martin)
    "maghreb_surname": 0.5,  # of persons with a North-African given name: a North-African surname too
    "transliteration": 0.15,  # per side, of names with another usual spelling: that one (Youssef → Yousef)
    "source_married_name": 0.03,  # source rows: married name in lastName, birth name in birthName (Equify: birth)
    "source_birth_name_repeated": 0.15,  # source rows whose birthName repeats the lastName (no marriage)
    "email_plus_tag": 0.005,  # truth pairs with a +tag on one side's email (claire+rh@ / claire@)
    "gmail": 0.02,  # persons whose personal email is a Gmail address (dot-free form unique)
    "gmail_dots": 0.5,  # of Gmail truth pairs: dots differ between the sides (jean.martin@ / jeanmartin@)
    "near_email_name_typo": 0.5,  # of +tag / Gmail-dot truth pairs: also a one-letter typo in a given name
    "target_birthdate_digit_swap": 0.005,  # target birth dates with two adjacent digits swapped (1985 → 1958)
    "target_matricule_digit_swap": 0.02,  # of carried matricules: two adjacent digits swapped (10452 → 10425)
    "target_birthdate_wrong": 0.002,  # target birth dates entered wrongly: another day, 1 to 22 years later
}
#: Address countries of the persons.
COUNTRIES: dict[str, float] = {
    "FR": 0.92,
    "BE": 0.03,
    "CH": 0.015,
    "LU": 0.01,
    "DE": 0.01,
    "ES": 0.005,
    "IT": 0.005,
    "GB": 0.005,
}

# Rough order of popularity; compound first names included.
_FIRST_NAMES = """
Marie Jean Pierre Michel Nathalie Philippe Isabelle Sylvie Catherine Nicolas Christophe Stéphane Sophie
Frédéric Julien Thomas Alain Patrick Sandrine Céline Valérie Laurent David Sébastien Christine Véronique
Éric Camille Léa Emma Chloé Manon Sarah Laura Julie Aurélie Émilie Caroline Mathieu Guillaume Antoine
Alexandre Maxime Hugo Lucas Louis Nathan Théo Léo Gabriel Raphaël Arthur Jules Adam Paul Clément Romain
Kevin Florian Quentin Vincent François Françoise Jérôme Cédric Olivier Bruno Thierry Pascal Didier Dominique
Hélène Anne Monique Nicole Martine Brigitte Jacqueline Chantal Élodie Mélanie Audrey Vanessa Virginie Karine
Agnès Cécile Anaïs Inès Zoé Lola Jade Louise Alice Juliette Lina Mila Rose Ambre Clara Margaux Pauline
Marion Justine Océane Noémie Mathilde Héloïse Gaëlle Maëlle Loïc Maël Gaël Noël Joël Benoît Jérémy Grégory
Ludovic Sylvain Fabrice Franck Arnaud Yannick Benjamin Damien Anthony Jonathan Jordan Dylan Enzo Tom Ethan
Baptiste Victor Martin Simon Samuel Matthieu Xavier Hervé Gilles Yves Bernard Daniel Serge Claude Gérard
René Roger Marcel André Henri Georges Lucie Charlotte Margot Eva Lou Nina Agathe Capucine Apolline Thérèse
Ginette Josiane Mireille Odile Éléonore Ophélie Maïlys Aïcha Yasmine Mohamed Karim Rachid Nadia Fatima
Jean-Pierre Jean-Luc Jean-Marc Jean-François Jean-Claude Jean-Baptiste Jean-Michel Jean-Paul Jean-Louis
Marie-Claire Marie-Hélène Marie-Christine Anne-Sophie Anne-Laure Marie-Pierre Pierre-Louis Pierre-Yves
Marie-Anne Jean-Philippe Paul-Henri Louis-Marie Marie-Noëlle Jean-Noël Anne-Cécile
Annie Danielle Evelyne Florence Laurence Muriel Pascale Corinne Patricia Séverine Stéphanie Delphine Émeline
Estelle Gwenaëlle Solène Clémence Amandine Marine Morgane Elsa Léna Maëva Charline Coralie Alexia Maud Bérénice
Cyrielle Fanny Jeanne Lucile Armelle Blandine Ghislaine Joëlle Sabine Régine Colette Huguette Denise Yvette
Hugues Régis Rémi Rodolphe Stève Jacky Joseph Jacques Guy Lionel Marc Michaël Mickaël Noé Axel Timothée
Valentin Corentin Erwan Gwenaël Yann Tristan Killian Mathis Sacha Esteban Lenny Ilyes Rayan Bilal Medhi Nassim
Sofiane Yanis Amine Walid Youssef Samir Farid Hakim Malik Ousmane Mamadou Moussa Aminata Awa Fatou Salomé Naïs
Aurore Blanche Cassandre Diane Églantine Flavie Gabrielle Hortense Iris Joséphine Laetitia Mélissa Nadège Pénélope
Roxane Sixtine Tiphaine Victoire Yolande Adrien Aurélien Bastien Cyril Dimitri Edouard Fabien Gaëtan Gauthier
Grégoire Jérémie Joachim Lucien Marius Morgan Octave Pacôme Renaud Sylvère Thibaut Ulysse Vivien
Wilfried Yoann Zacharie Anne-Marie Marie-José Marie-Thérèse Jean-Yves Jean-Jacques Jean-Charles Pierre-Antoine
""".split()

_SURNAMES = """
Martin Bernard Thomas Petit Robert Richard Durand Dubois Moreau Laurent Simon Michel Lefèvre Leroy Roux David
Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine Rousseau Vincent Muller Lefebvre Faure André
Mercier Blanc Guérin Boyer Garnier Chevalier François Legrand Gauthier Garcia Perrin Robin Clément Morin
Nicolas Henry Roussel Mathieu Gautier Masson Marchand Duval Denis Dumont Marie Lemaire Noël Meyer Dufour
Meunier Brun Blanchard Giraud Joly Rivière Lucas Brunet Gaillard Barbier Arnaud Martinez Gérard Roche Renard
Schmitt Roy Leroux Colin Vidal Caron Picard Roger Fabre Aubert Lemoine Renaud Dumas Lacroix Olivier Philippe
Bourgeois Pierre Benoît Rey Leclerc Payet Rolland Leclercq Guillaume Lecomte Lopez Jean Dupuy Guillot Hubert
Berger Carpentier Sanchez Dupuis Moulin Louis Deschamps Huet Vasseur Perez Boucher Fleury Royer Klein Jacquet
Adam Paris Poirier Marty Aubry Guyot Carré Charles Renault Charpentier Ménard Maillard Baron Bertin Bailly
Hervé Schneider Fernandez Collet Léger Bouvier Julien Prévost Millet Perrot Daniel Cousin Germain Breton
Besson Langlois Rémy Pelletier Lévêque Perrier Leblanc Barré Lebrun Marchal Weber Mallet Hamon Boulanger
Jacob Monnier Michaud Rodriguez Guichard Gillet Étienne Grondin Poulain Tessier Chevallier Collin Chauvin
Bouchet Gay Lemaître Bénard Maréchal Humbert Reynaud Antoine Hoarau Perret Barthélemy Cordier Pichon Lejeune
Gilbert Lamy Delaunay Pasquier Carlier Laporte Gros Buisson Sauvage Rigaud Texier Lefrançois Maçon Besançon
Provençal Garçon Thibault Marechal Courtois Hardy Vallée Lebreton Bousquet Navarro Riviere Devaux
Pons Blondel Ferrand Jourdan Guillon Bigot Camus Boutin Chauvet Allard Langlais Labbé Bodin Bazin Pineau
Leconte Tanguy Bouquet Granger Raymond Régnier Joubert Colas Delmas Guérard Hoareau Ollivier Parent
Laine Benard Devos Barret Fouquet Guillou Dumoulin Lacombe Dubreuil Briand Forestier Ribeiro Lagarde Cuvelier
Ferreira Baudry Jolivet Hamel Thébault Vaillant Peltier Hoffmann Chartier Bonneau Delattre Evrard
Sabatier Brunel Dupré Marion Maury Chevrier Rocher Gomez Pascal Mary Vacher Verdier Godard Raynaud Lebon
""".split()
# Surnames with a particle (their words are part of the name: Le Gall, Da Silva).
_PARTICLE_SURNAMES = [
    "Le Gall",
    "Le Goff",
    "Le Roux",
    "Le Bihan",
    "Le Corre",
    "Le Guen",
    "Le Floch",
    "Le Meur",
    "Le Borgne",
    "Le Moal",
    "Le Gac",
    "Le Bris",
    "Da Silva",
    "Dos Santos",
    "Da Costa",
    "De Sousa",
    "De Oliveira",
    "Du Pont",
    "De La Roche",
    "Le Hénaff",
]
# Surnames beginning with Saint / Sainte (written St / Ste by some).
_SAINT_SURNAMES = [
    "Saint-Martin",
    "Saint-Jean",
    "Saint-Pierre",
    "Saint-Germain",
    "Saint-Laurent",
    "Saint-Hilaire",
    "Saint-André",
    "Saint-Clair",
    "Saint-Amand",
    "Saint-Cyr",
    "Saint-Paul",
    "Saint-Léger",
    "Saint-Denis",
    "Saint-Jacques",
    "Saint-Georges",
    "Sainte-Marie",
    "Sainte-Beuve",
    "Sainte-Croix",
    "Sainte-Rose",
    "Sainte-Claire",
]
# Given names with other usual spellings (transliterations of Arabic, Berber and West-African names).
_GIVEN_SPELLINGS: dict[str, tuple[str, ...]] = {
    "Mohamed": ("Mohammed", "Mohamad", "Muhammad", "Mohammad"),
    "Youssef": ("Yousef", "Youcef", "Yusuf"),
    "Karim": ("Kareem",),
    "Rachid": ("Rashid", "Rachide"),
    "Nadia": ("Nadiya",),
    "Fatima": ("Fatimah", "Fatma"),
    "Aïcha": ("Aisha", "Aïsha"),
    "Yasmine": ("Yassmine", "Jasmine"),
    "Samir": ("Sameer",),
    "Farid": ("Fareed",),
    "Hakim": ("Hakeem",),
    "Malik": ("Malick", "Malek"),
    "Amine": ("Amin",),
    "Walid": ("Oualid", "Waleed"),
    "Bilal": ("Bilel",),
    "Medhi": ("Mehdi", "Mahdi"),
    "Nassim": ("Nacim", "Nasim"),
    "Sofiane": ("Soufiane", "Sofyane"),
    "Yanis": ("Yannis", "Ianis"),
    "Ilyes": ("Ilyas", "Ilias"),
    "Rayan": ("Rayane",),
    "Moussa": ("Mousa", "Musa"),
    "Ousmane": ("Ousman", "Usman"),
    "Mamadou": ("Mamadu",),
    "Aminata": ("Aminatta",),
}
# North-African surnames: prefixes joined to roots (Benali, Bouaziz, Aitahmed) and standalone names.
_MAGHREB_PREFIXES = ("Ben", "Bel", "Bou", "Ait ", "Ould ")
_MAGHREB_ROOTS = (
    "ali ahmed said aziz kacem youcef moussa amar salah hamou rahal abdallah mansour kaddour aissa tahar "
    "larbi miloud slimane djilali brahim hocine chaabane mokhtar yahia"
).split()
_MAGHREB_STANDALONE = (
    "Haddad Mansouri Cherif Khelifi Saidi Hamdi Brahimi Amrani Slimani Boukhari Mokhtari Zeroual Djebbar "
    "Ouali Touati Meziane Hamidi Bouzidi Chaoui Kaddouri Benhamou Lahlou Tazi Alaoui Bennani Idrissi Chraibi "
    "Guerroudj Mebarki Ferhat Rahmani Belhadj Taleb Hadjadj Ziani Amara Boudiaf Khaldi Ghezali"
).split()
# Spelling rewrites of North-African surnames (one is applied: Haddad → Hadad, Ouali → Wali).
_SURNAME_SPELLINGS: tuple[tuple[str, str], ...] = (
    ("dd", "d"),
    ("ss", "s"),
    ("ou", "w"),
    ("ou", "u"),
    ("ch", "sh"),
    ("kh", "k"),
    ("dj", "j"),
    ("k", "q"),
    ("e", "a"),
    ("i", "y"),
    ("y", "i"),
    ("c", "k"),
)
# Syllables of made-up French-looking surnames (the long tail of the surname distribution).
_ONSETS = (
    "Ber Mar Du La Le Mo Ro Fa Gi Che Bou Cha Pe Ri Va Mon Ker Lan Tre Gal Ma Sau Ver Fon Bel Cor Dar Gué Jo "
    "Lo Na Pa Sa Ta Vi Bra Cla Gro Pré Ray Thi Vau Bre Dé Fer Hu Lau Mé Pla Quen Rou Ser Tou Vil Ar Es Or Bas "
    "Cas Dom Gan Hal Jou Lar Mil Nor Pou Rab Sol Tal Ven"
).split()
_MIDDLES = "- ri vi lan no ti ga mon bo ra li de sa ca lo mé rou ve ta chon bel cour mar pi gè".split()
_ENDINGS = (
    "et ot in on ard ier eau aud ais ac ec as ault elle ès ou y and ant ent ois ière eux at ol oux ic ange "
    "erre aux ain el ay enne ette ille ot iot uc ez"
).split()
_VOWELS = "aeiouyéèêëïîôâàù"
_BRIDGES = ("r", "l", "n", "t", "v", "s", "d", "ch")
_N_SYNTHETIC_SURNAMES = 150_000
# Share of people carrying one of the real surnames above; the rest carry a made-up one.
_REAL_SURNAME_SHARE = 0.15

_FR_FORMATS = (
    ("spaced", 0.40),  # 06 12 34 56 78
    ("intl_spaced", 0.15),  # +33 6 12 34 56 78
    ("e164", 0.15),  # +33612345678
    ("double_zero", 0.05),  # 0033612345678
    ("dotted", 0.10),  # 06.12.34.56.78
    ("compact", 0.15),  # 0612345678
)
_TYPO_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _zipf(k: int, s: float, offset: float) -> np.ndarray:
    """Zipf-Mandelbrot weights ``1 / (rank + offset) ** s`` over ``k`` ranks, summing to 1."""
    w = 1.0 / (np.arange(1, k + 1) + offset) ** s
    return w / w.sum()


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def _has_accent(text: str) -> bool:
    return _strip_accents(text) != text


def _slug(text: str) -> str:
    """Email local part of a name: accent-free, lower case, no spaces or apostrophes."""
    return _strip_accents(text).lower().replace(" ", "").replace("'", "")


def _map_unique(values: np.ndarray, func: Callable[[str], object]) -> np.ndarray:
    """Apply ``func`` once per distinct value (names repeat a lot), keeping None."""
    ser = pd.Series(values, dtype=object)
    uniq = pd.unique(ser.dropna())
    table = {u: func(u) for u in uniq}
    return ser.map(table).to_numpy(dtype=object)


def surname_distribution(seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """``(surnames, probabilities)`` of the surname draw (real ones, particles, then made-up ones)."""
    rng = np.random.default_rng([seed, 1])
    real = list(dict.fromkeys(_SURNAMES + _PARTICLE_SURNAMES))  # in rough order of popularity
    # Made-up names: onset + middle + ending, some with a second middle syllable.
    k = 2 * _N_SYNTHETIC_SURNAMES
    o = rng.integers(0, len(_ONSETS), k)
    m1 = rng.integers(0, len(_MIDDLES), k)
    m2 = np.where(rng.random(k) < 0.5, 0, rng.integers(0, len(_MIDDLES), k))
    e = rng.integers(0, len(_ENDINGS), k)
    mid = [x.strip("-") for x in _MIDDLES]
    real_keys = {_strip_accents(r).lower() for r in real}
    made: dict[str, None] = {}
    for a, b, c, d in zip(o.tolist(), m1.tolist(), m2.tolist(), e.tolist(), strict=True):
        name = _join_syllables(_ONSETS[a] + mid[b] + mid[c], _ENDINGS[d], bridge=_BRIDGES[(a + d) % len(_BRIDGES)])
        if name not in made and _strip_accents(name).lower() not in real_keys:
            made[name] = None
            if len(made) >= _N_SYNTHETIC_SURNAMES:
                break
    synthetic = list(made)
    names = np.array(real + synthetic, dtype=object)
    probs = np.concatenate(
        [
            _REAL_SURNAME_SHARE * _zipf(len(real), 1.0, 10.0),
            (1 - _REAL_SURNAME_SHARE) * _zipf(len(synthetic), 0.7, 50.0),
        ]
    )
    return names, probs / probs.sum()


def _join_syllables(stem: str, ending: str, *, bridge: str) -> str:
    """``stem + ending`` without a vowel clash: the stem's last vowel goes, or a consonant bridges them."""
    if stem[-1].lower() in _VOWELS and ending[0] in _VOWELS:
        cut = stem.rstrip(_VOWELS)
        stem = cut if len(cut) >= 3 else stem + bridge
    name = stem + ending
    return name[0] + name[1:].lower()


def _unique_emails(local: np.ndarray, domain: np.ndarray) -> np.ndarray:
    """``local@domain``, a number appended to repeats (jean.martin2@...) so that every address is unique."""
    email = pd.Series(local + "@" + domain, dtype=object)
    while True:
        rank = email.groupby(email, sort=False).cumcount().to_numpy()
        if not (rank > 0).any():
            return email.to_numpy(dtype=object)
        rep = rank > 0
        parts = email[rep].str.split("@", n=1, expand=True)
        email[rep] = parts[0] + (rank[rep] + 1).astype(str).astype(object) + "@" + parts[1]


def _unique_ints(rng: np.random.Generator, low: int, high: int, size: int) -> np.ndarray:
    """``size`` distinct integers drawn uniformly from ``[low, high)``."""
    out = np.empty(0, dtype=np.int64)
    while len(out) < size:
        draw = rng.integers(low, high, int((size - len(out)) * 1.05) + 16)
        out = pd.unique(np.concatenate([out, draw]))
    return out[:size]


def _phone_text(country: str, nsn: int, fmt: str) -> str:
    """A phone number as people write it; ``nsn``: the 9-digit national significant number."""
    s = f"{nsn:09d}"
    if country == "BE":  # 0470 12 34 56
        if fmt == "national":
            return f"0{s[:3]} {s[3:5]} {s[5:7]} {s[7:]}"
        if fmt == "e164":
            return "+32" + s
        return f"+32 {s[:3]} {s[3:5]} {s[5:7]} {s[7:]}"
    if country == "CH":  # 079 123 45 67
        if fmt == "national":
            return f"0{s[:2]} {s[2:5]} {s[5:7]} {s[7:]}"
        if fmt == "e164":
            return "+41" + s
        return f"+41 {s[:2]} {s[2:5]} {s[5:7]} {s[7:]}"
    pairs = f"{s[1:3]} {s[3:5]} {s[5:7]} {s[7:]}"
    if fmt == "spaced":
        return f"0{s[0]} {pairs}"
    if fmt == "intl_spaced":
        return f"+33 {s[0]} {pairs}"
    if fmt == "e164":
        return "+33" + s
    if fmt == "double_zero":
        return "0033" + s
    if fmt == "dotted":
        return f"0{s[0]}." + pairs.replace(" ", ".")
    return "0" + s


def _typo(rng: np.random.Generator, text: str) -> str:
    """One-letter typo: substitution, deletion, transposition or doubling, never a no-op."""
    letters = [i for i, c in enumerate(text) if c.isalpha()]
    if len(letters) < 4:
        return text
    i = letters[int(rng.integers(1, len(letters)))]  # keep the initial (people rarely mistype it)
    op = int(rng.integers(0, 4))
    if op == 1 and i + 1 < len(text) and text[i + 1].isalpha() and text[i + 1] != text[i]:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if op == 2:
        return text[:i] + text[i + 1 :]
    if op == 3:
        return text[:i] + text[i] + text[i:]
    choices = [c for c in _TYPO_LETTERS if c != text[i].lower()]
    c = choices[int(rng.integers(0, len(choices)))]
    return text[:i] + (c.upper() if text[i].isupper() else c) + text[i + 1 :]


def _decorate_email(rng: np.random.Generator, email: str) -> str:
    """Case change and/or invisible trailing characters (no-break space, zero-width space)."""
    case = int(rng.integers(0, 3))
    tail = ("", "\u00a0", "\u200b", "\u00a0\u200b")[int(rng.integers(0 if case else 1, 4))]
    local, _, domain = email.partition("@")
    if case == 1:
        email = ".".join(p[:1].upper() + p[1:] for p in local.split(".")) + "@" + domain[:1].upper() + domain[1:]
    elif case == 2:
        email = email.upper()
    return email + tail


_MAGHREB_GIVEN = frozenset(_GIVEN_SPELLINGS) - {"Ousmane", "Mamadou", "Aminata"}


def maghreb_surnames() -> list[str]:
    """The North-African surnames of the draw: prefix + root (``Benali``, ``Ait Ahmed``), then standalone ones."""
    joined = [p + (r.capitalize() if p.endswith(" ") else r) for p in _MAGHREB_PREFIXES for r in _MAGHREB_ROOTS]
    return list(dict.fromkeys(joined + _MAGHREB_STANDALONE))


def _other_spelling(rng: np.random.Generator, name: str, *, given: bool) -> str:
    """Another usual spelling of a given name (from a table) or a North-African surname (one rewrite);
    the name itself when it has none."""
    if given:
        options = _GIVEN_SPELLINGS.get(name, ())
        return options[int(rng.integers(0, len(options)))] if options else name
    low = name.lower()
    rules = [(a, b) for a, b in _SURNAME_SPELLINGS if a in low]
    if not rules:
        return name
    a, b = rules[int(rng.integers(0, len(rules)))]
    new = low.replace(a, b, 1)
    return " ".join(w[:1].upper() + w[1:] for w in new.split(" "))


def _initials(rng: np.random.Generator, first: str) -> str:
    """A given name as initials: ``Jean-Pierre`` → ``J.-P.``, ``JP``, ``J.P.`` or ``J-P``; ``Marie`` → ``M.``."""
    parts = [x for x in first.replace("-", " ").split() if x]
    letters = [x[0].upper() for x in parts]
    if len(letters) == 1:
        return letters[0] + "."
    style = int(rng.integers(0, 4))
    if style == 0:
        return ".-".join(letters) + "."
    if style == 1:
        return "".join(letters)
    if style == 2:
        return ".".join(letters) + "."
    return "-".join(letters)


def _abbreviate_saint(rng: np.random.Generator, last: str) -> str:
    """``Saint-Martin`` → ``St-Martin`` / ``St Martin``; ``Sainte-Beuve`` → ``Ste-Beuve`` / ``Ste Beuve``."""
    sep = "-" if rng.random() < 0.5 else " "
    for word, short in (("Sainte-", "Ste"), ("Saint-", "St")):
        if last.startswith(word):
            return short + sep + last[len(word) :]
    return last


def _swap_digits(rng: np.random.Generator, text: str, valid: Callable[[str], bool]) -> str:
    """Two adjacent different digits of ``text`` swapped, at a random place where ``valid`` accepts the
    result; ``text`` itself when there is none."""
    places = [i for i in range(len(text) - 1) if text[i].isdigit() and text[i + 1].isdigit() and text[i] != text[i + 1]]
    for k in rng.permutation(len(places)).tolist():
        i = places[k]
        new = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        if valid(new):
            return new
    return text


def _plausible_birth_date(iso: str) -> bool:
    """An ISO date that exists, born 1900-2010."""
    try:
        return 1900 <= date.fromisoformat(iso).year <= 2010
    except ValueError:
        return False


def _gmail_addresses(rng: np.random.Generator, local: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two spellings of one Gmail address per local part: ``(with dots, without)``; the dot-free forms
    are unique (``jeanmartin2@gmail.com`` for a repeat)."""
    plain = np.array([x.replace(".", "").replace("_", "") for x in local], dtype=object)
    plain = _unique_emails(plain, np.full(len(plain), "gmail.com", dtype=object))
    dotted = np.empty(len(plain), dtype=object)
    for k, (orig, addr) in enumerate(zip(local.tolist(), plain.tolist(), strict=True)):
        box = addr.split("@", 1)[0]
        clean = orig.replace("_", ".")
        if "." in clean and clean.replace(".", "") == box:
            dotted[k] = clean + "@gmail.com"
        else:
            i = int(rng.integers(1, max(2, len(box))))
            dotted[k] = box[:i] + "." + box[i:] + "@gmail.com"
    return dotted, plain


_PLUS_TAGS = ("rh", "paie", "payfit", "equify", "perso", "work")


def _plus_tag(rng: np.random.Generator, email: str) -> str:
    """``claire@example.fr`` → ``claire+rh@example.fr`` (a sub-address of the same mailbox)."""
    local, _, domain = email.partition("@")
    return f"{local}+{_PLUS_TAGS[int(rng.integers(0, len(_PLUS_TAGS)))]}@{domain}"


def _choice(rng: np.random.Generator, table: tuple[tuple[str, float], ...], size: int) -> np.ndarray:
    names = np.array([k for k, _ in table], dtype=object)
    p = np.array([v for _, v in table])
    return names[rng.choice(len(names), size, p=p / p.sum())]


def _vary_names(
    rng: np.random.Generator, first: np.ndarray, last: np.ndarray
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """One side's share of the issue-14 name kinds (rates per side, see :data:`NOISE`): a compound given
    name shortened to its first part, a Saint/Sainte surname abbreviated, another usual spelling of a given
    name or North-African surname. Returns the new ``(first, last)`` and a flag array per kind."""
    k = len(first)
    first, last = first.copy(), last.copy()
    short = np.array(["-" in f for f in first]) & (rng.random(k) < NOISE["given_name_shortened"])
    first[short] = [f.split("-", 1)[0] for f in first[short]]
    saint = np.array([x.startswith("Saint") for x in last]) & (rng.random(k) < NOISE["particle_abbreviated"])
    last[saint] = [_abbreviate_saint(rng, x) for x in last[saint]]
    given_ok = np.isin(first, list(_GIVEN_SPELLINGS))
    last_ok = np.isin(last, maghreb_surnames())
    other = (given_ok | last_ok) & (rng.random(k) < NOISE["transliteration"])
    pick_given = given_ok & (~last_ok | (rng.random(k) < 0.5))
    for i in np.flatnonzero(other).tolist():
        if pick_given[i]:
            first[i] = _other_spelling(rng, first[i], given=True)
        else:
            last[i] = _other_spelling(rng, last[i], given=False)
    return first, last, {"given_shortened": short, "particle_abbreviated": saint, "transliteration": other}


def generate(n: int, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``(source, target, truth)`` for ``n`` Payfit records and ``n`` Equify accounts (see the module doc)."""
    if n < 1:
        raise ValueError("n must be at least 1")
    rng = np.random.default_rng(seed)
    m = int(round(NOISE["overlap"] * n))
    n_persons = n + (n - m)  # source persons, then Equify-only persons

    # --- persons
    first_names = np.array(_FIRST_NAMES, dtype=object)
    first = first_names[rng.choice(len(first_names), n_persons, p=_zipf(len(first_names), 1.0, 40.0))]
    surnames, sprobs = surname_distribution(seed)
    last = surnames[rng.choice(len(surnames), n_persons, p=sprobs)]
    compound = rng.random(n_persons) < NOISE["compound_surname"]
    simple = np.array([" " not in s for s in surnames])
    second = surnames[simple][rng.choice(int(simple.sum()), int(compound.sum()))]
    last[compound] = last[compound] + "-" + second
    saint = rng.random(n_persons) < NOISE["saint_surname"]
    saints = np.array(_SAINT_SURNAMES, dtype=object)
    last[saint] = saints[rng.choice(len(saints), int(saint.sum()), p=_zipf(len(saints), 1.0, 2.0))]
    maghreb = np.isin(first, list(_MAGHREB_GIVEN)) & (rng.random(n_persons) < NOISE["maghreb_surname"]) & ~saint
    north = np.array(maghreb_surnames(), dtype=object)
    last[maghreb] = north[rng.choice(len(north), int(maghreb.sum()), p=_zipf(len(north), 0.8, 5.0))]
    span = (np.datetime64("2004-12-31") - np.datetime64("1955-01-01")).astype(int)
    birth_days = np.datetime64("1955-01-01") + rng.integers(0, span, n_persons).astype("timedelta64[D]")
    homonym = rng.random(n_persons) < NOISE["homonym"]
    twin = rng.integers(0, n_persons, n_persons)
    homonym &= twin != np.arange(n_persons)
    first[homonym] = first[twin[homonym]]
    last[homonym] = last[twin[homonym]]
    same_day = homonym & (birth_days == birth_days[twin])
    birth_days[same_day] += np.timedelta64(400, "D")
    is_homonym = homonym.copy()
    is_homonym[twin[homonym]] = True
    birth = np.datetime_as_string(birth_days, unit="D").astype(object)
    ctry_names = np.array(list(COUNTRIES), dtype=object)
    country = ctry_names[rng.choice(len(ctry_names), n_persons, p=np.array(list(COUNTRIES.values())))]

    # Emails: a personal one on example.fr/.com, a work one on acme-demo.fr, all unique.
    fs, ls = _map_unique(first, _slug), _map_unique(last, _slug)
    pattern = rng.choice(5, n_persons, p=[0.6, 0.15, 0.1, 0.1, 0.05])
    dotted = fs + "." + ls  # first.last
    local = dotted.copy()
    for k, sel in enumerate(pattern == k for k in range(1, 5)):
        if k == 0:  # flast
            local[sel] = [f[:1] + x for f, x in zip(fs[sel], ls[sel], strict=True)]
        elif k == 1:  # first_last
            local[sel] = [f + "_" + x for f, x in zip(fs[sel], ls[sel], strict=True)]
        elif k == 2:  # first.last + year of birth
            local[sel] = [d + b[2:4] for d, b in zip(dotted[sel], birth[sel], strict=True)]
        else:  # last.first
            local[sel] = [x + "." + f for f, x in zip(fs[sel], ls[sel], strict=True)]
    domain = np.where(rng.random(n_persons) < 0.5, "example.fr", "example.com").astype(object)
    personal = _unique_emails(local, domain)
    work = _unique_emails(dotted, np.full(n_persons, "acme-demo.fr", dtype=object))
    # Gmail: the personal address of a few; with or without dots, the same mailbox.
    gmail = rng.random(n_persons) < NOISE["gmail"]
    g_dotted, g_plain = _gmail_addresses(rng, local[gmail])
    g_dots_first = rng.random(int(gmail.sum())) < 0.5
    personal[gmail] = np.where(g_dots_first, g_dotted, g_plain)
    gmail_other = np.full(n_persons, None, dtype=object)  # the other spelling of a Gmail address
    gmail_other[gmail] = np.where(g_dots_first, g_plain, g_dotted)
    del fs, ls, dotted, local, domain

    # Phones: unique national significant numbers per country.
    phone_nsn = np.zeros(n_persons, dtype=np.int64)
    for code, (low, high) in {"BE": (460_000_000, 500_000_000), "CH": (750_000_000, 800_000_000)}.items():
        sel = country == code
        phone_nsn[sel] = _unique_ints(rng, low, high, int(sel.sum()))
    other = ~np.isin(country, ["BE", "CH"])
    phone_nsn[other] = _unique_ints(rng, 600_000_000, 800_000_000, int(other.sum()))
    phone_country = np.where(np.isin(country, ["BE", "CH"]), country, "FR").astype(object)

    # --- which persons are on which side
    src_p = np.arange(n)
    overlap = np.sort(rng.choice(n, m, replace=False))
    tgt_p = np.concatenate([overlap, np.arange(n, n_persons)])[rng.permutation(n)]
    src_ids = np.array([f"pf-{i + 1:07d}" for i in range(n)], dtype=object)
    tgt_ids = np.array([f"eq-{i + 1:07d}" for i in range(n)], dtype=object)
    tgt_row_of_person = np.full(n_persons, -1)
    tgt_row_of_person[tgt_p] = np.arange(n)
    in_truth_t = tgt_p < n  # target rows that are a source person

    # --- source fields
    s_first, s_last, s_kinds = _vary_names(rng, first[src_p], last[src_p])
    s_varied = s_first.copy(), s_last.copy()
    acc = rng.random(n) < NOISE["source_accents_dropped"]
    s_first[acc], s_last[acc] = _map_unique(s_first[acc], _strip_accents), _map_unique(s_last[acc], _strip_accents)
    # Married: Payfit's lastName holds the married name, birthName the birth name (which Equify keeps).
    s_birth_name = np.full(n, None, dtype=object)
    rows = np.flatnonzero(rng.random(n) < NOISE["source_married_name"])
    spouse = surnames[rng.choice(len(surnames), len(rows), p=sprobs)]
    rows, spouse = rows[spouse != s_last[rows]], spouse[spouse != s_last[rows]]
    married = np.zeros(n, dtype=bool)
    married[rows] = True
    s_birth_name[rows] = s_last[rows]
    s_last[rows] = spouse
    repeated = ~married & (rng.random(n) < NOISE["source_birth_name_repeated"])
    s_birth_name[repeated] = s_last[repeated]
    up = rng.random(n) < NOISE["source_last_upper"]
    s_last[up] = _map_unique(s_last[up], str.upper)
    with_birth_name = up & (s_birth_name != None)  # noqa: E711
    s_birth_name[with_birth_name] = _map_unique(s_birth_name[with_birth_name], str.upper)

    # Email mismatch (work vs personal) of truth pairs: half Payfit work / Equify personal, half the reverse.
    mismatch_person = np.zeros(n_persons, dtype=bool)
    mismatch_person[overlap[rng.random(m) < NOISE["email_work_vs_personal"]]] = True
    work_on_source = mismatch_person & (rng.random(n_persons) < 0.5)
    work_on_target = mismatch_person & ~work_on_source
    # Near-identical emails of truth pairs: a +tag on one side, or a Gmail address with other dots.
    near_ok = np.zeros(n_persons, dtype=bool)
    near_ok[overlap] = True
    near_ok &= ~mismatch_person
    plus_person = near_ok & (rng.random(n_persons) < NOISE["email_plus_tag"])
    plus_on_source = plus_person & (rng.random(n_persons) < 0.5)
    plus_on_target = plus_person & ~plus_on_source
    dots_person = near_ok & gmail & ~plus_person & (rng.random(n_persons) < NOISE["gmail_dots"])
    near_typo_person = (plus_person | dots_person) & (rng.random(n_persons) < NOISE["near_email_name_typo"])
    s_email = np.where(work_on_source[src_p], work[src_p], personal[src_p]).astype(object)
    shared = np.zeros(n, dtype=bool)
    n_shared_pairs = max(1, int(round(NOISE["shared_mailbox"] * n / 2))) if n >= 1000 else 0
    if n_shared_pairs:
        rows = rng.choice(n, 2 * n_shared_pairs, replace=False)
        for k, (a, b) in enumerate(rows.reshape(-1, 2).tolist(), start=1):
            s_email[a] = s_email[b] = f"accueil-{k}@acme-demo.fr"
        shared[rows] = True
    s_missing = rng.random(n) < NOISE["source_email_missing"]
    s_email[s_missing] = None
    s_plus = plus_on_source[src_p] & ~s_missing & ~shared
    s_email[s_plus] = [_plus_tag(rng, e) for e in s_email[s_plus]]
    s_deco = (rng.random(n) < NOISE["source_email_case_invisible"]) & ~s_missing
    s_email[s_deco] = [_decorate_email(rng, e) for e in s_email[s_deco]]

    s_phone = np.full(n, None, dtype=object)
    s_has_phone = rng.random(n) < NOISE["source_phone_present"]
    s_fmt = _choice(rng, _FR_FORMATS, n)
    s_fmt = np.where(np.isin(country[src_p], ["BE", "CH"]) & (rng.random(n) < 0.7), "national", s_fmt)
    for i in np.flatnonzero(s_has_phone).tolist():
        s_phone[i] = _phone_text(phone_country[i], int(phone_nsn[i]), s_fmt[i])

    s_birth = birth[src_p].copy()
    s_birth[rng.random(n) < NOISE["source_birthdate_missing"]] = None
    matricule = (rng.permutation(n) + 10_001).astype(str).astype(object)
    matricule[rng.random(n) < NOISE["source_matricule_missing"]] = None
    source = pd.DataFrame(
        {
            "id": src_ids,
            "firstName": s_first,
            "lastName": s_last,
            "email": s_email,
            "phoneNumber": s_phone,
            "birthDate": s_birth,
            "matricule": matricule,
            "country": country[src_p],
            "birthName": s_birth_name,
        }
    )

    # --- target fields (hand-entered: more noise)
    t_first, t_last, t_kinds = _vary_names(rng, first[tgt_p], last[tgt_p])
    t_varied = t_first.copy(), t_last.copy()
    initials = ~t_kinds["given_shortened"] & (rng.random(n) < NOISE["target_given_name_initials"])
    t_first[initials] = [_initials(rng, f) for f in t_first[initials]]
    swap = rng.random(n) < NOISE["target_name_swap"]
    t_first[swap], t_last[swap] = t_last[swap], t_first[swap]
    hyph_first = np.array(["-" in f for f in t_first]) & (rng.random(n) < NOISE["target_first_hyphen_to_space"])
    t_first[hyph_first] = [f.replace("-", " ") for f in t_first[hyph_first]]
    particle = np.array([" " in x and "-" not in x for x in t_last]) & (rng.random(n) < NOISE["target_particle_joined"])
    t_last[particle] = [x[0] + x[1:].replace(" ", "").lower() for x in t_last[particle]]
    double = np.array(["-" in x for x in t_last])
    draw = rng.random(n)
    hyph_last = double & (draw < NOISE["target_compound_hyphen_to_space"])
    saint_like = np.array([x.startswith(("Saint", "St-", "St ", "Ste-", "Ste ")) for x in t_last])
    part_only = double & ~saint_like & ~hyph_last & (draw > 1 - NOISE["target_compound_first_part_only"])
    t_last[hyph_last] = [x.replace("-", " ") for x in t_last[hyph_last]]
    t_last[part_only] = [x.split("-", 1)[0] for x in t_last[part_only]]
    typo = rng.random(n) < NOISE["target_name_typo"]
    typo_first = rng.random(n) < 0.5
    before = t_first.copy(), t_last.copy()
    for i in np.flatnonzero(typo).tolist():
        if typo_first[i]:
            t_first[i] = _typo(rng, t_first[i])
        else:
            t_last[i] = _typo(rng, t_last[i])
    typo = (t_first != before[0]) | (t_last != before[1])
    near_typo = near_typo_person[tgt_p] & ~typo & ~initials
    before_near = t_first.copy()
    t_first[near_typo] = [_typo(rng, f) for f in t_first[near_typo]]
    near_typo = t_first != before_near
    acc_t = rng.random(n) < NOISE["target_accents_dropped"]
    t_first[acc_t], t_last[acc_t] = (
        _map_unique(t_first[acc_t], _strip_accents),
        _map_unique(t_last[acc_t], _strip_accents),
    )
    case = rng.random(n)
    lu = case < NOISE["target_last_upper"]
    au = (case >= NOISE["target_last_upper"]) & (case < NOISE["target_last_upper"] + NOISE["target_all_upper"])
    al = (case >= 1 - NOISE["target_all_lower"]) & ~lu & ~au
    t_last[lu | au] = _map_unique(t_last[lu | au], str.upper)
    t_first[au] = _map_unique(t_first[au], str.upper)
    t_first[al], t_last[al] = _map_unique(t_first[al], str.lower), _map_unique(t_last[al], str.lower)

    former_staff = ~in_truth_t & (rng.random(n) < NOISE["equify_only_work_email"])
    t_email = np.where(work_on_target[tgt_p] | former_staff, work[tgt_p], personal[tgt_p]).astype(object)
    t_missing = rng.random(n) < NOISE["target_email_missing"]
    t_email[t_missing] = None
    t_dots = dots_person[tgt_p] & ~t_missing
    t_email[t_dots] = gmail_other[tgt_p[t_dots]]
    t_plus = plus_on_target[tgt_p] & ~t_missing
    t_email[t_plus] = [_plus_tag(rng, e) for e in t_email[t_plus]]
    t_deco = (rng.random(n) < NOISE["target_email_case_invisible"]) & ~t_missing
    t_email[t_deco] = [_decorate_email(rng, e) for e in t_email[t_deco]]

    t_phone = np.full(n, None, dtype=object)
    t_has_phone = rng.random(n) < NOISE["target_phone_present"]
    t_fmt = _choice(rng, _FR_FORMATS, n)
    be_nat = rng.random(n) < NOISE["be_target_phone_national"]
    t_fmt = np.where(np.isin(phone_country[tgt_p], ["BE", "CH"]), np.where(be_nat, "national", "intl"), t_fmt)
    t_fmt = np.where((phone_country[tgt_p] == "CH") & (t_fmt == "national"), "e164", t_fmt)  # Equify wants +41
    for i in np.flatnonzero(t_has_phone).tolist():
        p = tgt_p[i]
        t_phone[i] = _phone_text(phone_country[p], int(phone_nsn[p]), t_fmt[i])

    t_birth = birth[tgt_p].copy()
    day, month = np.array([b[8:10] for b in t_birth]), np.array([b[5:7] for b in t_birth])
    dm_swap = (rng.random(n) < NOISE["target_day_month_swap"]) & (day.astype(int) <= 12) & (day != month)
    t_birth[dm_swap] = [f"{b[:4]}-{b[8:10]}-{b[5:7]}" for b in t_birth[dm_swap]]
    digit_swap = ~dm_swap & (rng.random(n) < NOISE["target_birthdate_digit_swap"])
    t_birth[digit_swap] = [_swap_digits(rng, b, _plausible_birth_date) for b in t_birth[digit_swap]]
    digit_swap &= t_birth != birth[tgt_p]
    # A birth date entered wrongly (another day of another year): drawn from its own stream, so
    # every other draw stays what it was before this kind existed.
    wrong_rng = np.random.default_rng([seed, 14])
    wrong_birth = ~dm_swap & ~digit_swap & (wrong_rng.random(n) < NOISE["target_birthdate_wrong"])
    shift = wrong_rng.integers(400, 8000, n).astype("timedelta64[D]")
    moved = np.array(t_birth[wrong_birth], dtype="datetime64[D]") + shift[wrong_birth]
    t_birth[wrong_birth] = np.datetime_as_string(moved, unit="D").astype(object)
    french = rng.random(n) < NOISE["target_birthdate_french_format"]
    t_birth[french] = [f"{b[8:10]}/{b[5:7]}/{b[:4]}" for b in t_birth[french]]
    t_birth_missing = rng.random(n) < NOISE["target_birthdate_missing"]
    t_birth[t_birth_missing] = None
    t_matricule = np.full(n, None, dtype=object)
    carries = in_truth_t & (rng.random(n) < NOISE["target_carries_matricule"])
    t_matricule[carries] = matricule[tgt_p[carries]]
    m_swap = carries & ~pd.isna(t_matricule) & (rng.random(n) < NOISE["target_matricule_digit_swap"])
    t_matricule[m_swap] = [_swap_digits(rng, x, lambda v: v[0] != "0") for x in t_matricule[m_swap]]
    m_swap[m_swap] = t_matricule[m_swap] != matricule[tgt_p[m_swap]]
    target = pd.DataFrame(
        {
            "id": tgt_ids,
            "firstName": t_first,
            "lastName": t_last,
            "email": t_email,
            "phoneNumber": t_phone,
            "birthDate": t_birth,
            "matricule": t_matricule,
            "payfitId": np.full(n, None, dtype=object),
        }
    )

    # --- truth, with the noise kinds of each pair
    t_rows = tgt_row_of_person[overlap]
    s_rows = overlap
    tags = {
        "homonym": is_homonym[overlap],
        "swap": swap[t_rows],
        "typo": typo[t_rows],
        "accents": (acc[s_rows] | acc_t[t_rows])
        & (_map_unique(first[overlap], _has_accent) | _map_unique(last[overlap], _has_accent)).astype(bool),
        "first_hyphen": hyph_first[t_rows],
        "particle_joined": particle[t_rows],
        "compound_hyphen": hyph_last[t_rows],
        "compound_part": part_only[t_rows],
        "email_missing": s_missing[s_rows] | t_missing[t_rows],
        "work_vs_personal": mismatch_person[overlap] & ~s_missing[s_rows] & ~t_missing[t_rows],
        "email_decorated": s_deco[s_rows] | t_deco[t_rows],
        "shared_mailbox": shared[s_rows],
        "birth_missing": pd.isna(s_birth[s_rows]) | t_birth_missing[t_rows],
        "day_month_swap": dm_swap[t_rows] & ~t_birth_missing[t_rows] & ~pd.isna(s_birth[s_rows]),
        "matricule": carries[t_rows] & ~m_swap[t_rows] & ~pd.isna(matricule[s_rows]),
        # issue 14
        "given_shortened": s_kinds["given_shortened"][s_rows] ^ t_kinds["given_shortened"][t_rows],
        "initials": initials[t_rows],
        "particle_abbreviated": s_kinds["particle_abbreviated"][s_rows] ^ t_kinds["particle_abbreviated"][t_rows],
        "transliteration": (s_kinds["transliteration"][s_rows] | t_kinds["transliteration"][t_rows])
        & ((s_varied[0][s_rows] != t_varied[0][t_rows]) | (s_varied[1][s_rows] != t_varied[1][t_rows])),
        "married_name": married[s_rows],
        "plus_tag": (s_plus[s_rows] | t_plus[t_rows]) & ~s_missing[s_rows] & ~t_missing[t_rows],
        "gmail_dots": t_dots[t_rows] & ~s_missing[s_rows],
        "near_email_name_typo": near_typo[t_rows]
        & ((s_plus[s_rows] | t_plus[t_rows] | t_dots[t_rows]) & ~s_missing[s_rows] & ~t_missing[t_rows]),
        "birth_digit_swap": digit_swap[t_rows] & ~t_birth_missing[t_rows] & ~pd.isna(s_birth[s_rows]),
        "birth_wrong": wrong_birth[t_rows] & ~t_birth_missing[t_rows] & ~pd.isna(s_birth[s_rows]),
        "matricule_digit_swap": m_swap[t_rows] & ~pd.isna(matricule[s_rows]),
    }
    noise = np.full(m, "", dtype=object)
    for tag, flag in tags.items():
        noise[flag] = noise[flag] + tag + ";"
    truth = pd.DataFrame(
        {"source_id": src_ids[s_rows], "target_id": tgt_ids[t_rows], "noise": [x.rstrip(";") for x in noise]}
    )
    return source, target, truth


def main() -> None:
    parser = argparse.ArgumentParser(description="Write synthetic source.csv, target.csv and truth.csv.")
    parser.add_argument("n", type=int, help="records per side")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True, help="output folder (created)")
    args = parser.parse_args()
    source, target, truth = generate(args.n, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, frame in (("source", source), ("target", target), ("truth", truth)):
        frame.to_csv(args.out / f"{name}.csv", index=False)
    print(f"wrote {len(source)} source, {len(target)} target, {len(truth)} truth rows to {args.out}")


if __name__ == "__main__":
    main()
