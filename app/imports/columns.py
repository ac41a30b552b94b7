"""The columns of the two import templates, contacts and articles.

A template's first row holds the headers below, exactly and in this order: the
file format is French and is never translated (a file filled in by a firm in
Lyon is read the same way whatever the language of the screen that uploads it).
The explanations (`meaning`, `format`, `allowed`) are French msgids marked for
the catalogue; the template's « Mode d'emploi » sheet translates them with the
caller's gettext, after filling `%(rates)s` with the client's VAT rates.

`key` is the model's field (Contact, Article) the column fills, or a pseudo
field: `is_company` is read from « Type », `category` is the name of the
article's category (found or created by name).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Optional

from app.messages import N_


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool
    format: str
    allowed: str
    # The value of this column in each example row of the template (one or two rows).
    example: tuple
    # What the column holds, for the « Mode d'emploi » sheet.
    meaning: str = ""
    # The model column's width: a longer text is refused, never cut.
    max_length: Optional[int] = None


@dataclass(frozen=True)
class ImportKind:
    code: str
    label: str
    columns: tuple

    @property
    def headers(self) -> tuple:
        return tuple(column.header for column in self.columns)

    @property
    def keys(self) -> tuple:
        return tuple(column.key for column in self.columns)

    def column(self, key: str) -> Column:
        for column in self.columns:
            if column.key == key:
                return column
        raise KeyError(key)

    @property
    def example_rows(self) -> list:
        """The template's example rows: one value per column, in order."""
        count = max(len(column.example) for column in self.columns)
        return [[column.example[index] if index < len(column.example) else ""
                 for column in self.columns] for index in range(count)]


EMPTY_KEEPS = N_("Mise à jour : une cellule vide garde la valeur actuelle.")

CONTACT_COLUMNS = (
    Column("is_company", "Type", False,
           N_("« Société » ou « Particulier ». Vide : Société."),
           N_("Société, Particulier (« Entreprise », « Professionnel » et « Personne "
              "physique » sont aussi compris)."),
           ("Société", "Particulier"),
           N_("Un professionnel (société, entreprise individuelle, association…) ou un "
              "particulier.")),
    Column("name", "Nom ou raison sociale", True,
           N_("Texte, 200 caractères au plus."), "",
           ("Dupont Rénovation", "Martin"),
           N_("La raison sociale d'une société, le nom de famille d'un particulier."), 200),
    Column("first_name", "Prénom", False, N_("Texte, 100 caractères au plus."), "",
           ("", "Claire"), N_("Le prénom d'un particulier."), 100),
    Column("address_line1", "Adresse", False, N_("Texte, 200 caractères au plus."), "",
           ("12 rue des Lilas", "5 avenue Foch"), N_("Numéro et voie."), 200),
    Column("address_line2", "Complément d'adresse", False,
           N_("Texte, 200 caractères au plus."), "",
           ("Bâtiment B", ""), N_("Bâtiment, étage, lieu-dit, boîte postale…"), 200),
    Column("postcode", "Code postal", False,
           N_("Texte, 20 caractères au plus ; gardez le zéro initial (01000)."), "",
           ("69003", "75016"), "", 20),
    Column("city", "Ville", False, N_("Texte, 100 caractères au plus."), "",
           ("Lyon", "Paris"), "", 100),
    Column("country", "Pays", False,
           N_("Code ISO du pays sur deux lettres. Vide : FR."),
           N_("FR, BE, DE, CH… (le nom en toutes lettres, « France », est aussi compris)."),
           ("FR", "FR")),
    Column("email", "E-mail", False, N_("Une adresse e-mail, 320 caractères au plus."), "",
           ("contact@dupont-renovation.fr", "claire.martin@example.fr"),
           N_("L'adresse à laquelle envoyer les factures."), 320),
    Column("phone", "Téléphone", False, N_("Texte, 30 caractères au plus."), "",
           ("04 72 00 00 00", "06 12 34 56 78"), "", 30),
    Column("siren", "SIREN", False,
           N_("9 chiffres, espaces permis ; la clé de contrôle est vérifiée."), "",
           ("732829320", ""),
           N_("Le SIREN d'une société française. Il identifie le client : une ligne dont "
              "le SIREN existe déjà dans le dossier le met à jour (si vous l'avez demandé) ; "
              "sans SIREN, c'est le nom, le prénom et le code postal qui l'identifient.")),
    Column("vat_number", "N° de TVA intracommunautaire", False,
           N_("Code du pays suivi du numéro (FR44732829320) ; il est vérifié. Pour une "
              "société française, il doit correspondre au SIREN."), "",
           ("FR44732829320", "")),
    Column("auxiliary_account", "Compte auxiliaire", False,
           N_("Lettres sans accent et chiffres, 20 caractères au plus (mis en majuscules)."),
           "", ("DUPONT", ""),
           N_("Le compte du client dans la comptabilité (sous le collectif 411). Deux "
              "clients ne peuvent pas avoir le même.")),
)

ARTICLE_COLUMNS = (
    Column("reference", "Référence", False,
           N_("Texte, 40 caractères au plus, unique dans le dossier."), "",
           ("ART-001", "ART-002"),
           N_("Le code de l'article. Il l'identifie : une ligne dont la référence existe déjà "
              "dans le dossier le met à jour (si vous l'avez demandé) ; sans référence, c'est "
              "la désignation qui l'identifie."), 40),
    Column("label", "Désignation", True, N_("Texte, 200 caractères au plus."), "",
           ("Audit énergétique", "Thermostat connecté"),
           N_("Le libellé de l'article, repris sur les factures."), 200),
    Column("nature", "Nature", True, N_("« produit » ou « service »."),
           N_("produit (ou « bien »), service (ou « prestation »)."),
           ("service", "produit"),
           N_("Un bien vendu ou une prestation de services : la comptabilité les distingue "
              "(comptes de vente et de TVA).")),
    Column("unit_price_ht", "Prix unitaire HT", True,
           N_("Nombre positif ou nul, deux décimales au plus, virgule ou point décimal "
              "(1 234,56 ou 1234.56), sans séparateur de milliers autre que l'espace."), "",
           ("450,00", "129,90"), N_("Le prix hors taxes d'une unité, en euros.")),
    Column("vat_rate", "Taux de TVA", True,
           N_("Le taux en pourcentage : 20, 5,5 ou 20 %%."),
           N_("Un des taux de TVA du dossier : %(rates)s."),
           ("20", "20"), N_("Le taux de TVA appliqué à l'article.")),
    Column("category", "Catégorie", False, N_("Texte, 120 caractères au plus."), "",
           ("Prestations", "Matériel"),
           N_("La catégorie de l'article. Une catégorie qui n'existe pas encore dans le "
              "dossier est créée par l'import (les majuscules et les accents ne distinguent "
              "pas deux catégories)."), 120),
    Column("account", "Compte de vente", False,
           N_("Chiffres seulement, commençant par 70 (par exemple 706000), de la taille des "
              "comptes du plan au plus."), "",
           ("706000", ""),
           N_("Le compte de vente propre à l'article, s'il ne prend pas celui de sa catégorie "
              "ou de son taux de TVA. Il doit exister dans le plan comptable du dossier.")),
)

CONTACTS = ImportKind("contacts", N_("Clients facturés"), CONTACT_COLUMNS)
ARTICLES = ImportKind("articles", N_("Articles"), ARTICLE_COLUMNS)
KINDS = {kind.code: kind for kind in (CONTACTS, ARTICLES)}

# The accents NFKD separates from Latin letters (é → e + U+0301).
_COMBINING = re.compile("[\u0300-\u036f]")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'"})


def fold(text: str) -> str:
    """`text` as compared by the imports: case, accents, runs of spaces and the
    typographic apostrophe (a spreadsheet's autocorrect) do not count.
    « Complément d’Adresse » and « complement d'adresse » fold the same."""
    if not text.isascii():
        text = _COMBINING.sub("", unicodedata.normalize("NFKD", text.translate(_APOSTROPHES)))
    return " ".join(text.casefold().split())


__all__ = ["ARTICLES", "CONTACTS", "Column", "EMPTY_KEEPS", "ImportKind", "KINDS", "fold"]
