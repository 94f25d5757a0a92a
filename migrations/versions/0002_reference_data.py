"""Reference data: the 18 régions and 101 départements (INSEE COG), the aide au
poste socles per ETP published by arrêté, and the reference annual hours per kind.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (code, name, overseas)
REGIONS = [
    ("01", "Guadeloupe", True),
    ("02", "Martinique", True),
    ("03", "Guyane", True),
    ("04", "La Réunion", True),
    ("06", "Mayotte", True),
    ("11", "Île-de-France", False),
    ("24", "Centre-Val de Loire", False),
    ("27", "Bourgogne-Franche-Comté", False),
    ("28", "Normandie", False),
    ("32", "Hauts-de-France", False),
    ("44", "Grand Est", False),
    ("52", "Pays de la Loire", False),
    ("53", "Bretagne", False),
    ("75", "Nouvelle-Aquitaine", False),
    ("76", "Occitanie", False),
    ("84", "Auvergne-Rhône-Alpes", False),
    ("93", "Provence-Alpes-Côte d'Azur", False),
    ("94", "Corse", False),
]

# (code, name, région code)
DEPARTEMENTS = [
    ("01", "Ain", "84"),
    ("02", "Aisne", "32"),
    ("03", "Allier", "84"),
    ("04", "Alpes-de-Haute-Provence", "93"),
    ("05", "Hautes-Alpes", "93"),
    ("06", "Alpes-Maritimes", "93"),
    ("07", "Ardèche", "84"),
    ("08", "Ardennes", "44"),
    ("09", "Ariège", "76"),
    ("10", "Aube", "44"),
    ("11", "Aude", "76"),
    ("12", "Aveyron", "76"),
    ("13", "Bouches-du-Rhône", "93"),
    ("14", "Calvados", "28"),
    ("15", "Cantal", "84"),
    ("16", "Charente", "75"),
    ("17", "Charente-Maritime", "75"),
    ("18", "Cher", "24"),
    ("19", "Corrèze", "75"),
    ("2A", "Corse-du-Sud", "94"),
    ("2B", "Haute-Corse", "94"),
    ("21", "Côte-d'Or", "27"),
    ("22", "Côtes-d'Armor", "53"),
    ("23", "Creuse", "75"),
    ("24", "Dordogne", "75"),
    ("25", "Doubs", "27"),
    ("26", "Drôme", "84"),
    ("27", "Eure", "28"),
    ("28", "Eure-et-Loir", "24"),
    ("29", "Finistère", "53"),
    ("30", "Gard", "76"),
    ("31", "Haute-Garonne", "76"),
    ("32", "Gers", "76"),
    ("33", "Gironde", "75"),
    ("34", "Hérault", "76"),
    ("35", "Ille-et-Vilaine", "53"),
    ("36", "Indre", "24"),
    ("37", "Indre-et-Loire", "24"),
    ("38", "Isère", "84"),
    ("39", "Jura", "27"),
    ("40", "Landes", "75"),
    ("41", "Loir-et-Cher", "24"),
    ("42", "Loire", "84"),
    ("43", "Haute-Loire", "84"),
    ("44", "Loire-Atlantique", "52"),
    ("45", "Loiret", "24"),
    ("46", "Lot", "76"),
    ("47", "Lot-et-Garonne", "75"),
    ("48", "Lozère", "76"),
    ("49", "Maine-et-Loire", "52"),
    ("50", "Manche", "28"),
    ("51", "Marne", "44"),
    ("52", "Haute-Marne", "44"),
    ("53", "Mayenne", "52"),
    ("54", "Meurthe-et-Moselle", "44"),
    ("55", "Meuse", "44"),
    ("56", "Morbihan", "53"),
    ("57", "Moselle", "44"),
    ("58", "Nièvre", "27"),
    ("59", "Nord", "32"),
    ("60", "Oise", "32"),
    ("61", "Orne", "28"),
    ("62", "Pas-de-Calais", "32"),
    ("63", "Puy-de-Dôme", "84"),
    ("64", "Pyrénées-Atlantiques", "75"),
    ("65", "Hautes-Pyrénées", "76"),
    ("66", "Pyrénées-Orientales", "76"),
    ("67", "Bas-Rhin", "44"),
    ("68", "Haut-Rhin", "44"),
    ("69", "Rhône", "84"),
    ("70", "Haute-Saône", "27"),
    ("71", "Saône-et-Loire", "27"),
    ("72", "Sarthe", "52"),
    ("73", "Savoie", "84"),
    ("74", "Haute-Savoie", "84"),
    ("75", "Paris", "11"),
    ("76", "Seine-Maritime", "28"),
    ("77", "Seine-et-Marne", "11"),
    ("78", "Yvelines", "11"),
    ("79", "Deux-Sèvres", "75"),
    ("80", "Somme", "32"),
    ("81", "Tarn", "76"),
    ("82", "Tarn-et-Garonne", "76"),
    ("83", "Var", "93"),
    ("84", "Vaucluse", "93"),
    ("85", "Vendée", "52"),
    ("86", "Vienne", "75"),
    ("87", "Haute-Vienne", "75"),
    ("88", "Vosges", "44"),
    ("89", "Yonne", "27"),
    ("90", "Territoire de Belfort", "27"),
    ("91", "Essonne", "11"),
    ("92", "Hauts-de-Seine", "11"),
    ("93", "Seine-Saint-Denis", "11"),
    ("94", "Val-de-Marne", "11"),
    ("95", "Val-d'Oise", "11"),
    ("971", "Guadeloupe", "01"),
    ("972", "Martinique", "02"),
    ("973", "Guyane", "03"),
    ("974", "La Réunion", "04"),
    ("976", "Mayotte", "06"),
]

# Aide au poste socle per ETP and year, mainland, in euros, by in-force date (DOMAIN.md).
KINDS = ("EI", "ETTI", "AI", "ACI", "EITI")
AIDE_AU_POSTE = [
    (dt.date(2023, 1, 1), ("11819", "4535", "1536", "22692", None)),
    (dt.date(2023, 5, 1), ("12081", "4636", "1570", "23196", None)),
    (dt.date(2024, 1, 1), ("12218", "4688", "1588", "23458", None)),
    (dt.date(2024, 11, 1), ("12459", "4781", "1619", "23921", "6570")),
    (dt.date(2025, 1, 1), ("13304", "4781", "1619", "23921", "6570")),
]

# Reference annual hours of a full-time post: 1 607 h, 1 505 h for EITI.
REFERENCE_HOURS_FROM = dt.date(2023, 1, 1)
REFERENCE_HOURS = {"EI": "1607", "ETTI": "1607", "AI": "1607", "ACI": "1607", "EITI": "1505"}

regions = sa.table(
    "regions", sa.column("code"), sa.column("name"), sa.column("overseas", sa.Boolean)
)
departements = sa.table(
    "departements", sa.column("code"), sa.column("name"), sa.column("region_code")
)
aide_au_poste_rates = sa.table(
    "aide_au_poste_rates",
    sa.column("kind"),
    sa.column("in_force_from", sa.Date),
    sa.column("amount_per_etp", sa.Numeric),
)
reference_hours = sa.table(
    "reference_hours",
    sa.column("kind"),
    sa.column("in_force_from", sa.Date),
    sa.column("annual_hours", sa.Numeric),
)


def upgrade() -> None:
    op.bulk_insert(regions, [{"code": c, "name": n, "overseas": o} for c, n, o in REGIONS])
    op.bulk_insert(
        departements, [{"code": c, "name": n, "region_code": r} for c, n, r in DEPARTEMENTS]
    )
    op.bulk_insert(
        aide_au_poste_rates,
        [
            {"kind": kind, "in_force_from": since, "amount_per_etp": Decimal(amount)}
            for since, amounts in AIDE_AU_POSTE
            for kind, amount in zip(KINDS, amounts, strict=True)
            if amount is not None
        ],
    )
    op.bulk_insert(
        reference_hours,
        [
            {"kind": kind, "in_force_from": REFERENCE_HOURS_FROM, "annual_hours": Decimal(hours)}
            for kind, hours in REFERENCE_HOURS.items()
        ],
    )


def downgrade() -> None:
    for table in ("reference_hours", "aide_au_poste_rates", "departements", "regions"):
        op.execute(sa.text(f"DELETE FROM {table}"))
