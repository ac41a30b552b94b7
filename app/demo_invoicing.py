"""Demo invoicing data: what each demo client sells, to whom, and a year of documents.

Called by app.demo.seed_demo once the clients exist. For every client:
- the seller's details printed on its documents (legal form, capital, RCS,
  address, phone, VAT number computed from the SIREN, payment terms);
- its customers (« contacts »: companies and persons, some with SIREN, VAT
  number and auxiliary account), its article categories, articles and charges
  (fee, discount, sometimes a tax), drawn from a catalogue of its trade (the
  first word of its name: Boulangerie, Plomberie, Garage…);
- about a year of documents up to `today`, all through app.invoicing.documents
  (save_draft → issue, record_payment), in chronological order: invoices,
  partial and total credit notes, deposit invoices and the final invoices
  deducting them, payments (most in full, some partial, some invoices unpaid
  and overdue by 10 to 120 days, so that the aged balance has every bucket),
  and one or two drafts left unissued.

Deterministic: each client draws from its own generator, seeded by the demo
seed and the client's position, so a run with the same seed and `today` gives
the same numbers and amounts (only the wall-clock timestamps `created_at` and
`issued_at` differ). The client user's dossier gets the richest set.

Everything is flushed in the caller's transaction; seed_demo commits once.
"""
from __future__ import annotations

import datetime as dt
import random
import unicodedata
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal

from stdnum.fr import tva

from app.invoicing import documents as docs
from app.models import Article, ArticleCategory, Charge, Contact

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# --- Catalogues by trade ------------------------------------------------------------
#
# Articles: "category | label | g(oods)/s(ervices) | price HT | VAT rate | quantity"
# where quantity is "n" (fixed), "a-b" (whole numbers) or "a-b/step" (e.g. hours
# by half hours). Prices vary by ±15 % from one client to another.

CATALOGUES = {
    "bakery": dict(
        code="BOU",
        categories={"P": ("Pains", "701100"), "V": ("Viennoiseries et pâtisseries", "701200"),
                    "T": ("Traiteur et livraisons", "706100")},
        articles="""
            P | Baguette de tradition | g | 1.20 | 5.5 | 20-80
            P | Pain de campagne 500 g | g | 3.40 | 5.5 | 5-20
            P | Pain aux céréales | g | 3.90 | 5.5 | 5-15
            P | Pain de mie tranché | g | 4.20 | 5.5 | 4-12
            V | Croissant pur beurre | g | 1.10 | 5.5 | 20-120
            V | Pain au chocolat | g | 1.25 | 5.5 | 20-120
            V | Tarte aux pommes (6 parts) | g | 18.50 | 5.5 | 1-6
            V | Plateau de mignardises (30 pièces) | g | 42.00 | 5.5 | 1-4
            V | Pièce montée (par part) | g | 4.50 | 5.5 | 20-80
            T | Buffet petit-déjeuner (par personne) | s | 9.50 | 10 | 10-60
            T | Plateau-repas livré | s | 16.00 | 10 | 5-40
            T | Livraison en entreprise | s | 12.00 | 20 | 1
            T | Location de présentoir | s | 25.00 | 20 | 1-2
        """,
        fee=("Frais de livraison", "12.00"), tax=None,
        discount=("Remise professionnelle", "5"),
        jobs=["Réception de mariage", "Séminaire d'entreprise", "Inauguration"],
    ),
    "food": dict(
        code="EPI",
        categories={"C": ("Crèmerie et fromages", "707100"), "E": ("Épicerie fine", "707200"),
                    "B": ("Boissons et cave", "707300"), "S": ("Services", "706100")},
        articles="""
            C | Comté AOP 18 mois (kg) | g | 24.90 | 5.5 | 1-6/0.5
            C | Brie de Meaux AOP (kg) | g | 19.80 | 5.5 | 1-4/0.5
            C | Tomme de Savoie (kg) | g | 17.50 | 5.5 | 1-5/0.5
            C | Beurre de baratte 250 g | g | 4.60 | 5.5 | 4-24
            E | Huile d'olive vierge extra 75 cl | g | 14.90 | 5.5 | 2-12
            E | Confiture artisanale 370 g | g | 5.80 | 5.5 | 6-36
            E | Coffret épicerie fine | g | 39.00 | 5.5 | 1-20
            E | Plateau de fromages (10 personnes) | g | 55.00 | 5.5 | 1-3
            B | Jus de pomme artisanal 1 l | g | 4.20 | 5.5 | 6-24
            B | Vin rouge AOC Côtes-du-Rhône 75 cl | g | 11.50 | 20 | 6-36
            B | Champagne brut 75 cl | g | 29.00 | 20 | 6-24
            S | Dégustation commentée (par personne) | s | 25.00 | 20 | 6-20
            S | Livraison réfrigérée | s | 18.00 | 20 | 1
        """,
        fee=("Frais de port", "9.90"), tax=None,
        discount=("Remise fidélité", "5"),
        jobs=["Cocktail de fin d'année", "Coffrets cadeaux du comité d'entreprise"],
    ),
    "caterer": dict(
        code="TRA",
        categories={"R": ("Cocktails et buffets", "706100"), "E": ("Plats à emporter", "707100"),
                    "L": ("Service et location", "706200")},
        articles="""
            R | Cocktail dînatoire 12 pièces (par personne) | s | 22.00 | 10 | 20-120
            R | Buffet froid (par personne) | s | 26.50 | 10 | 15-80
            R | Menu séminaire (par personne) | s | 34.00 | 10 | 10-60
            R | Plateau-repas affaires | s | 19.50 | 10 | 5-40
            E | Plat cuisiné à emporter (portion) | g | 8.90 | 5.5 | 4-30
            E | Terrine maison (kg) | g | 28.00 | 5.5 | 1-4/0.5
            E | Foie gras mi-cuit 500 g | g | 49.00 | 5.5 | 1-6
            E | Vin blanc AOC (bouteille) | g | 12.00 | 20 | 6-36
            L | Maître d'hôtel (heure) | s | 38.00 | 20 | 4-16
            L | Location de vaisselle (par couvert) | s | 2.50 | 20 | 20-150
            L | Location de nappage | s | 8.00 | 20 | 4-20
            L | Livraison et installation | s | 45.00 | 20 | 1
        """,
        fee=("Frais de déplacement", "35.00"), tax=None,
        discount=("Remise événement", "5"),
        jobs=["Mariage", "Séminaire annuel", "Soirée de gala", "Cocktail d'inauguration"],
    ),
    "wine": dict(
        code="VIN",
        categories={"R": ("Vins rouges", "701100"), "B": ("Vins blancs, rosés et crémants", "701200"),
                    "O": ("Œnotourisme et boutique", "706100")},
        articles="""
            R | AOC rouge, cuvée tradition 75 cl | g | 9.80 | 20 | 6-60
            R | AOC rouge élevé en fût 75 cl | g | 16.50 | 20 | 6-36
            R | Magnum cuvée prestige 150 cl | g | 38.00 | 20 | 1-6
            R | Bag-in-box rouge 5 l | g | 24.00 | 20 | 1-10
            B | Blanc sec 75 cl | g | 10.40 | 20 | 6-48
            B | Rosé 75 cl | g | 8.90 | 20 | 6-48
            B | Crémant brut 75 cl | g | 12.60 | 20 | 6-36
            O | Jus de raisin pétillant 75 cl | g | 4.80 | 5.5 | 6-24
            O | Confiture de vin 250 g | g | 6.50 | 5.5 | 3-12
            O | Visite de cave et dégustation (par personne) | s | 15.00 | 20 | 2-30
            O | Atelier assemblage (par personne) | s | 45.00 | 20 | 4-16
            O | Coffret découverte 3 bouteilles | g | 34.00 | 20 | 1-25
            O | Gîte du domaine (nuit) | s | 95.00 | 10 | 1-7
        """,
        fee=("Frais de port", "15.00"), tax=None,
        discount=("Remise caviste", "8"),
        jobs=["Cuvée personnalisée", "Commande de fin d'année"],
    ),
    "carpentry": dict(
        code="MEN",
        categories={"F": ("Fournitures", "707100"), "P": ("Pose et main-d'œuvre", "704100"),
                    "R": ("Rénovation énergétique", "704200")},
        articles="""
            F | Porte intérieure chêne (fourniture) | g | 320.00 | 10 | 1-4
            F | Placard sur mesure (fourniture) | g | 1150.00 | 10 | 1-2
            F | Parquet chêne massif (m²) | g | 68.00 | 10 | 10-60
            F | Plinthes chêne (ml) | g | 6.80 | 10 | 10-60
            F | Escalier bois sur mesure (construction neuve) | g | 3900.00 | 20 | 1
            F | Quincaillerie et visserie | g | 18.00 | 20 | 1-3
            P | Main-d'œuvre menuisier (heure) | s | 52.00 | 10 | 2-24/0.5
            P | Main-d'œuvre, local professionnel (heure) | s | 52.00 | 20 | 2-24/0.5
            P | Pose de parquet (m²) | s | 32.00 | 10 | 10-60
            P | Agencement de boutique (forfait) | s | 2400.00 | 20 | 1
            P | Déplacement et métré | s | 45.00 | 20 | 1
            R | Fenêtre PVC double vitrage, fourniture et pose | s | 690.00 | 5.5 | 1-6
            R | Volet roulant isolant, fourniture et pose | s | 540.00 | 5.5 | 1-6
        """,
        fee=("Frais de déplacement", "35.00"), tax=None,
        discount=("Remise commerciale", "5"),
        jobs=["Rénovation d'une cuisine", "Agencement de boutique", "Remplacement des fenêtres",
              "Escalier sur mesure"],
    ),
    "plumbing": dict(
        code="PLO",
        categories={"F": ("Fournitures", "707100"), "M": ("Main-d'œuvre et dépannage", "704100"),
                    "R": ("Rénovation énergétique", "704200")},
        articles="""
            M | Main-d'œuvre plombier (heure) | s | 55.00 | 10 | 1-16/0.5
            M | Dépannage fuite (forfait) | s | 89.00 | 10 | 1
            M | Débouchage de canalisation | s | 140.00 | 10 | 1
            M | Entretien annuel chaudière gaz | s | 120.00 | 10 | 1
            M | Création de réseau, local commercial | s | 1450.00 | 20 | 1
            M | Déplacement | s | 35.00 | 20 | 1
            R | Chauffe-eau thermodynamique 200 l, fourniture et pose | s | 2890.00 | 5.5 | 1
            R | Pompe à chaleur air-eau, fourniture et pose | s | 9800.00 | 5.5 | 1
            F | Ballon électrique 150 l (fourniture) | g | 420.00 | 10 | 1
            F | Mitigeur thermostatique | g | 145.00 | 10 | 1-3
            F | WC suspendu complet | g | 390.00 | 10 | 1-2
            F | Receveur de douche extra-plat | g | 260.00 | 10 | 1
            F | Raccords et consommables | g | 24.00 | 20 | 1-4
        """,
        fee=("Frais de déplacement", "35.00"), tax=None,
        discount=("Remise commerciale", "5"),
        jobs=["Rénovation d'une salle de bains", "Installation d'une pompe à chaleur",
              "Plomberie d'un local commercial"],
    ),
    "electricity": dict(
        code="ELE",
        categories={"F": ("Matériel", "707100"), "T": ("Travaux", "704100"),
                    "R": ("Rénovation énergétique", "704200")},
        articles="""
            T | Main-d'œuvre électricien (heure) | s | 54.00 | 10 | 1-16/0.5
            T | Mise aux normes du tableau électrique | s | 1350.00 | 10 | 1
            T | Point lumineux, fourniture et pose | s | 95.00 | 10 | 1-12
            T | Prise de courant 16 A, fourniture et pose | s | 68.00 | 10 | 1-15
            T | Interphone vidéo, fourniture et pose | s | 480.00 | 10 | 1
            T | Installation électrique d'un local professionnel (forfait) | s | 3200.00 | 20 | 1
            T | Diagnostic électrique | s | 150.00 | 20 | 1
            T | Déplacement | s | 40.00 | 20 | 1
            R | Thermostat connecté et programmation, fourniture et pose | s | 320.00 | 5.5 | 1-2
            F | Câble R2V 3G2,5 (m) | g | 2.10 | 20 | 10-100
            F | Disjoncteur différentiel 30 mA | g | 78.00 | 20 | 1-4
            F | Spot LED encastrable | g | 22.00 | 10 | 4-20
        """,
        fee=("Frais de déplacement", "40.00"), tax=("Éco-participation DEEE", "2.50"),
        discount=("Remise commerciale", "5"),
        jobs=["Rénovation électrique d'un appartement", "Installation d'un local professionnel"],
    ),
    "roofing": dict(
        code="COU",
        categories={"T": ("Toiture", "704100"), "I": ("Isolation", "704200"),
                    "F": ("Fournitures et location", "707100")},
        articles="""
            T | Main-d'œuvre couvreur (heure) | s | 58.00 | 10 | 2-24/0.5
            T | Réfection de toiture en tuiles (m²) | s | 95.00 | 10 | 20-120
            T | Démoussage et traitement hydrofuge (m²) | s | 18.00 | 10 | 40-200
            T | Recherche de fuite | s | 180.00 | 10 | 1
            T | Couverture de bâtiment agricole (m²) | s | 64.00 | 20 | 100-400
            I | Isolation de combles perdus (m²) | s | 32.00 | 5.5 | 30-120
            I | Isolation sous rampants (m²) | s | 58.00 | 5.5 | 20-80
            I | Fenêtre de toit, fourniture et pose | s | 1120.00 | 5.5 | 1-3
            F | Gouttière zinc (ml) | g | 42.00 | 10 | 6-40
            F | Tuile terre cuite (unité) | g | 1.60 | 10 | 50-400
            F | Nacelle (location à la journée) | s | 260.00 | 20 | 1-3
            F | Échafaudage, montage et location | s | 750.00 | 20 | 1
        """,
        fee=("Frais de déplacement", "45.00"), tax=None,
        discount=("Remise commerciale", "5"),
        jobs=["Réfection de toiture", "Isolation des combles", "Couverture d'un hangar"],
    ),
    "masonry": dict(
        code="MAC",
        categories={"G": ("Gros œuvre", "704100"), "R": ("Rénovation", "704200"),
                    "M": ("Matériaux", "707100")},
        articles="""
            G | Main-d'œuvre maçon (heure) | s | 50.00 | 10 | 4-40/0.5
            G | Dalle béton (m²) | s | 85.00 | 20 | 10-80
            G | Mur en parpaings (m²) | s | 72.00 | 20 | 10-60
            G | Évacuation des gravats (benne) | s | 320.00 | 20 | 1-3
            R | Ouverture de mur porteur (forfait) | s | 2600.00 | 10 | 1
            R | Ravalement de façade (m²) | s | 48.00 | 10 | 40-200
            R | Isolation thermique par l'extérieur (m²) | s | 145.00 | 5.5 | 40-160
            R | Terrasse carrelée (m²) | s | 110.00 | 10 | 10-50
            R | Chape (m²) | s | 28.00 | 10 | 10-80
            M | Ciment 35 kg | g | 9.50 | 20 | 5-40
            M | Sable 0/4 (tonne) | g | 48.00 | 20 | 1-6
            M | Parpaing 20×20×50 (unité) | g | 1.80 | 20 | 50-400
        """,
        fee=("Frais de déplacement", "45.00"), tax=None,
        discount=("Remise commerciale", "3"),
        jobs=["Extension de maison", "Ravalement de façade", "Ouverture de mur porteur"],
    ),
    "sewing": dict(
        code="ATE",
        categories={"R": ("Retouches et réparations", "706100"), "C": ("Créations", "701100"),
                    "M": ("Mercerie et tissus", "707100")},
        articles="""
            R | Retouche d'ourlet | s | 12.00 | 20 | 1-6
            R | Retouche d'ajustement | s | 25.00 | 20 | 1-4
            R | Remplacement de fermeture éclair | s | 18.00 | 20 | 1-3
            R | Réfection d'assise de siège | s | 240.00 | 20 | 1-6
            C | Robe sur mesure | s | 420.00 | 20 | 1
            C | Rideaux sur mesure (lé) | s | 65.00 | 20 | 2-12
            C | Coussin déhoussable | g | 38.00 | 20 | 2-10
            C | Sac en cuir fait main | g | 180.00 | 20 | 1-3
            C | Ceinture en cuir | g | 55.00 | 20 | 1-5
            M | Tissu d'ameublement (m) | g | 29.00 | 20 | 2-20/0.5
            M | Mercerie (fil, boutons) | g | 6.50 | 20 | 1-5
            R | Atelier d'initiation à la couture (séance) | s | 45.00 | 20 | 1-10
        """,
        fee=("Frais d'envoi", "8.50"), tax=None,
        discount=("Remise fidélité", "10"),
        jobs=["Rideaux d'un hôtel", "Costumes de spectacle"],
    ),
    "garage": dict(
        code="GAR",
        categories={"P": ("Pièces détachées", "707100"), "A": ("Main-d'œuvre atelier", "706100"),
                    "S": ("Services", "706200")},
        articles="""
            A | Vidange et filtre à huile (forfait) | s | 89.00 | 20 | 1
            A | Main-d'œuvre mécanique (heure) | s | 68.00 | 20 | 1-8/0.5
            A | Diagnostic électronique | s | 59.00 | 20 | 1
            A | Montage et équilibrage (par roue) | s | 15.00 | 20 | 2-4
            A | Recharge de climatisation | s | 79.00 | 20 | 1
            P | Huile moteur 5W30 (litre) | g | 12.50 | 20 | 4-6
            P | Plaquettes de frein avant | g | 64.00 | 20 | 1
            P | Disques de frein (paire) | g | 118.00 | 20 | 1
            P | Pneumatique 205/55 R16 | g | 96.00 | 20 | 2-4
            P | Batterie 70 Ah | g | 139.00 | 20 | 1
            P | Balais d'essuie-glace | g | 24.00 | 20 | 1-2
            S | Contrôle pré-technique | s | 35.00 | 20 | 1
            S | Véhicule de courtoisie (jour) | s | 29.00 | 20 | 1-5
        """,
        fee=("Frais de remorquage", "95.00"), tax=("Forfait environnement (recyclage)", "4.90"),
        discount=("Remise flotte d'entreprise", "10"),
        jobs=["Remise en état d'un véhicule", "Entretien de la flotte"],
    ),
    "consulting": dict(
        code="CON",
        categories={"M": ("Missions de conseil", "706100"), "F": ("Formation", "706200"),
                    "D": ("Documentation", "707100")},
        articles="""
            M | Mission de conseil (jour) | s | 850.00 | 20 | 1-10/0.5
            M | Audit organisationnel (forfait) | s | 3200.00 | 20 | 1
            M | Accompagnement mensuel (abonnement) | s | 600.00 | 20 | 1
            M | Rédaction du rapport de mission | s | 950.00 | 20 | 1
            M | Entretien individuel (heure) | s | 120.00 | 20 | 1-6
            F | Formation inter-entreprises (par stagiaire) | s | 690.00 | 20 | 1-8
            F | Atelier collectif (demi-journée) | s | 1200.00 | 20 | 1-2
            F | Webinaire (par participant) | s | 150.00 | 20 | 3-20
            D | Support de formation imprimé | g | 35.00 | 20 | 1-12
            D | Ouvrage de référence | g | 29.00 | 5.5 | 1-10
            M | Frais de déplacement refacturés | s | 85.00 | 20 | 1-4
        """,
        fee=("Frais de dossier", "50.00"), tax=None,
        discount=("Remise partenaire", "10"),
        jobs=["Audit et plan d'action", "Programme de formation des managers",
              "Accompagnement à la transformation"],
    ),
    "studio": dict(
        code="STU",
        categories={"P": ("Photographie", "706100"), "G": ("Graphisme et vidéo", "706200"),
                    "T": ("Tirages et albums", "707100")},
        articles="""
            P | Séance photo portrait | s | 180.00 | 20 | 1-3
            P | Reportage événementiel (demi-journée) | s | 650.00 | 20 | 1-2
            P | Retouche photo (unité) | s | 15.00 | 20 | 5-40
            P | Photos de produits (par référence) | s | 25.00 | 20 | 10-80
            P | Location du studio (heure) | s | 60.00 | 20 | 2-8
            G | Création de logo | s | 900.00 | 20 | 1
            G | Charte graphique | s | 1800.00 | 20 | 1
            G | Montage d'une vidéo promotionnelle | s | 1400.00 | 20 | 1
            G | Cession de droits d'auteur (usage web, 1 an) | s | 400.00 | 10 | 1-3
            T | Tirage photo 30×40 | g | 28.00 | 20 | 1-20
            T | Album photo 30 pages | g | 240.00 | 20 | 1-2
            T | Livre photo d'art | g | 45.00 | 5.5 | 1-30
        """,
        fee=("Frais de déplacement", "60.00"), tax=None,
        discount=("Remise fidélité", "10"),
        jobs=["Identité visuelle complète", "Reportage du salon professionnel"],
    ),
    "bookshop": dict(
        code="LIB",
        categories={"L": ("Livres", "707100"), "P": ("Papeterie et jeux", "707200"),
                    "A": ("Animations", "706100")},
        articles="""
            L | Roman grand format | g | 21.90 | 5.5 | 1-30
            L | Livre de poche | g | 8.60 | 5.5 | 1-40
            L | Bande dessinée | g | 15.50 | 5.5 | 1-25
            L | Beau livre | g | 39.00 | 5.5 | 1-10
            L | Manuel scolaire | g | 24.50 | 5.5 | 10-120
            L | Dictionnaire | g | 32.00 | 5.5 | 1-30
            P | Cahier grand format | g | 3.90 | 20 | 10-200
            P | Stylo plume | g | 29.00 | 20 | 1-10
            P | Agenda | g | 14.50 | 20 | 1-20
            P | Jeu de société | g | 34.90 | 20 | 1-6
            A | Rencontre d'auteur (animation) | s | 250.00 | 20 | 1
            A | Emballage cadeau | s | 2.00 | 20 | 1-20
        """,
        fee=("Frais de port", "6.90"), tax=None,
        discount=("Remise collectivités", "9"),
        jobs=["Fonds de bibliothèque municipale", "Manuels de la rentrée scolaire"],
    ),
    "pharmacy": dict(
        code="PHA",
        categories={"P": ("Parapharmacie", "707100"), "M": ("Matériel médical", "707200"),
                    "S": ("Services", "706100")},
        articles="""
            M | Fauteuil roulant manuel | g | 560.00 | 5.5 | 1
            M | Déambulateur | g | 89.00 | 5.5 | 1-2
            M | Tensiomètre électronique | g | 49.00 | 20 | 1-5
            M | Thermomètre frontal | g | 29.00 | 20 | 1-5
            M | Trousse de premiers secours | g | 34.00 | 20 | 1-10
            P | Crème solaire SPF 50 | g | 16.90 | 20 | 1-12
            P | Gel hydroalcoolique 500 ml | g | 7.50 | 20 | 2-40
            P | Complément alimentaire | g | 19.90 | 5.5 | 1-6
            P | Médicament non remboursable | g | 8.50 | 10 | 1-6
            S | Location de fauteuil roulant (semaine) | s | 18.00 | 5.5 | 1-8
            S | Entretien pharmaceutique | s | 25.00 | 20 | 1
            S | Livraison à domicile | s | 6.00 | 20 | 1
        """,
        fee=("Frais de livraison", "6.00"), tax=None,
        discount=("Remise établissement de santé", "5"),
        jobs=["Équipement d'une maison de retraite"],
    ),
    "gardening": dict(
        code="JAR",
        categories={"E": ("Entretien", "706100"), "C": ("Création paysagère", "704100"),
                    "V": ("Végétaux et fournitures", "707100")},
        articles="""
            E | Entretien de jardin (heure) | s | 38.00 | 10 | 2-16/0.5
            E | Taille de haies (ml) | s | 6.50 | 10 | 10-120
            E | Élagage (forfait) | s | 480.00 | 10 | 1
            E | Évacuation des déchets verts (m³) | s | 35.00 | 20 | 1-8
            E | Contrat d'entretien mensuel (copropriété) | s | 320.00 | 20 | 1
            C | Abattage et dessouchage | s | 850.00 | 20 | 1
            C | Création de massif (m²) | s | 45.00 | 10 | 5-40
            C | Arrosage automatique, fourniture et pose | s | 1200.00 | 20 | 1
            V | Gazon en rouleau (m²) | g | 7.90 | 10 | 20-200
            V | Arbuste en conteneur | g | 24.00 | 10 | 3-30
            V | Terreau horticole 50 l | g | 11.50 | 10 | 2-20
            V | Paillage (m³) | g | 55.00 | 10 | 1-6
        """,
        fee=("Frais de déplacement", "30.00"), tax=None,
        discount=("Remise contrat annuel", "5"),
        jobs=["Aménagement paysager", "Création d'un jardin"],
    ),
    "transport": dict(
        code="TRS",
        categories={"L": ("Livraison et messagerie", "706100"), "A": ("Affrètement et déménagement", "706200"),
                    "F": ("Fournitures", "707100")},
        articles="""
            L | Course express intra-muros | s | 35.00 | 20 | 1-20
            L | Livraison messagerie (colis de moins de 30 kg) | s | 18.50 | 20 | 1-40
            L | Transport de palette (région) | s | 95.00 | 20 | 1-12
            A | Affrètement semi-remorque (jour) | s | 780.00 | 20 | 1-4
            A | Déménagement d'entreprise (forfait) | s | 2400.00 | 20 | 1
            A | Manutention (heure) | s | 42.00 | 20 | 2-16
            A | Stockage (palette par mois) | s | 12.00 | 20 | 5-60
            A | Navette de voyageurs | s | 260.00 | 10 | 1-6
            L | Surcharge gazole (forfait) | s | 25.00 | 20 | 1
            L | Hayon élévateur (supplément) | s | 30.00 | 20 | 1
            F | Carton d'emballage (unité) | g | 3.20 | 20 | 10-200
            F | Film étirable (rouleau) | g | 14.00 | 20 | 1-10
        """,
        fee=("Frais de dossier", "15.00"), tax=None,
        discount=("Remise volume", "5"),
        jobs=["Déménagement de bureaux", "Transport d'un salon professionnel"],
    ),
    "printing": dict(
        code="IMP",
        categories={"I": ("Impression", "701100"), "E": ("Édition", "701200"),
                    "S": ("Prépresse et services", "706100")},
        articles="""
            I | Cartes de visite (500 ex.) | g | 59.00 | 20 | 1-4
            I | Flyers A5 (1 000 ex.) | g | 89.00 | 20 | 1-5
            I | Affiches A2 (50 ex.) | g | 145.00 | 20 | 1-3
            I | Papier à en-tête (1 000 ex.) | g | 135.00 | 20 | 1-2
            I | Kakémono 85×200 | g | 120.00 | 20 | 1-4
            E | Brochure 16 pages (500 ex.) | g | 780.00 | 20 | 1
            E | Catalogue 32 pages (1 000 ex.) | g | 1950.00 | 20 | 1
            E | Livre broché (100 ex.) | g | 640.00 | 5.5 | 1-3
            S | Mise en page (heure) | s | 55.00 | 20 | 1-12/0.5
            S | Création graphique (forfait) | s | 350.00 | 20 | 1
            S | Bon à tirer supplémentaire | s | 25.00 | 20 | 1-3
            S | Reliure thermique (unité) | s | 4.50 | 20 | 10-100
        """,
        fee=("Frais de port", "18.00"), tax=None,
        discount=("Remise association", "7"),
        jobs=["Catalogue annuel", "Impression d'un livre"],
    ),
}

# The first word of a demo client's name (app.demo.COMPANY_WORDS) → its trade.
TRADE_OF_WORD = {
    "Boulangerie": "bakery", "Fromagerie": "food", "Épicerie": "food", "Traiteur": "caterer",
    "Vignobles": "wine", "Menuiserie": "carpentry", "Plomberie": "plumbing",
    "Électricité": "electricity", "Couverture": "roofing", "Maçonnerie": "masonry",
    "Atelier": "sewing", "Garage": "garage", "Cabinet": "consulting", "Conseil": "consulting",
    "Studio": "studio", "Librairie": "bookshop", "Pharmacie": "pharmacy",
    "Jardins": "gardening", "Transports": "transport", "Imprimerie": "printing",
}
# Trades that take deposits before a job (« facture d'acompte »).
DEPOSIT_TRADES = {"carpentry", "plumbing", "electricity", "roofing", "masonry", "caterer",
                  "consulting", "studio", "printing", "transport", "gardening", "sewing"}

# --- Places, names --------------------------------------------------------------------

# (postcode, city, RCS registry) around each demo cabinet: Paris (1), Lyon (2).
REGIONS = {
    1: [("75011", "Paris", "Paris"), ("75015", "Paris", "Paris"), ("75018", "Paris", "Paris"),
        ("75004", "Paris", "Paris"), ("92100", "Boulogne-Billancourt", "Nanterre"),
        ("92000", "Nanterre", "Nanterre"), ("93100", "Montreuil", "Bobigny"),
        ("93200", "Saint-Denis", "Bobigny"), ("78000", "Versailles", "Versailles"),
        ("94300", "Vincennes", "Créteil"), ("94000", "Créteil", "Créteil"),
        ("95100", "Argenteuil", "Pontoise"), ("77100", "Meaux", "Meaux"),
        ("91300", "Massy", "Évry")],
    2: [("69003", "Lyon", "Lyon"), ("69007", "Lyon", "Lyon"), ("69002", "Lyon", "Lyon"),
        ("69100", "Villeurbanne", "Lyon"), ("69200", "Vénissieux", "Lyon"),
        ("69300", "Caluire-et-Cuire", "Lyon"), ("69500", "Bron", "Lyon"),
        ("69400", "Villefranche-sur-Saône", "Villefranche-Tarare"),
        ("38200", "Vienne", "Vienne"), ("01000", "Bourg-en-Bresse", "Bourg-en-Bresse"),
        ("42000", "Saint-Étienne", "Saint-Étienne")],
}
PHONE_PREFIX = {1: "01", 2: "04"}
STREETS = [
    "rue de la République", "avenue Jean-Jaurès", "rue Victor-Hugo", "boulevard Gambetta",
    "rue Pasteur", "place de la Mairie", "rue des Lilas", "chemin du Moulin", "rue de la Gare",
    "avenue de la Libération", "rue du Général-Leclerc", "impasse des Tilleuls",
    "rue des Écoles", "allée des Peupliers", "rue Saint-Jacques", "quai des Célestins",
    "rue de Verdun", "boulevard Voltaire", "rue Émile-Zola", "rue du Faubourg",
]
ADDRESS_LINE2 = ["Bâtiment B", "ZA des Fontaines", "2e étage", "Parc d'activités du Levant",
                 "Zone artisanale", "Résidence Les Cèdres"]
SHARE_CAPITALS = {"SARL": [1000, 5000, 7500, 10000, 20000, 50000],
                  "SAS": [1000, 5000, 10000, 30000, 100000],
                  "EURL": [1000, 3000, 5000, 8000], "SASU": [500, 1000, 5000, 10000]}
FIRST_NAMES = ["Camille", "Léa", "Manon", "Chloé", "Inès", "Sarah", "Julie", "Emma", "Nathalie",
               "Isabelle", "Sylvie", "Catherine", "Lucas", "Hugo", "Louis", "Nicolas", "Antoine",
               "Pierre", "Mathieu", "Laurent", "Philippe", "Olivier", "Stéphane", "François",
               "Élodie", "Jérôme", "Anaïs", "Benoît"]
LAST_NAMES = ["Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Leroy",
              "Simon", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent",
              "Fournier", "Girard", "André", "Mercier", "Blanc", "Guérin", "Boyer", "Legrand",
              "Perrin", "Robin", "Morin", "Henry", "Roussel", "Masson", "Marchand", "Duval",
              "Denis", "Lemaire", "Dumont", "Barbier", "Lemoine", "Renaud", "Caron", "Joly"]
# Kinds of customer companies, with the legal forms they may take ("" : none shown).
CUSTOMER_KINDS = [
    ("Restaurant", ("SARL", "SAS", "")), ("Hôtel", ("SARL", "SAS", "")), ("SCI", ("",)),
    ("Café", ("SARL", "EURL", "")), ("Agence immobilière", ("SARL", "SAS")),
    ("Boutique", ("SARL", "SASU", "")), ("Crèche", ("SAS", "")),
    ("Syndic de copropriété", ("",)), ("Camping", ("SARL", "SAS")),
    ("Auto-école", ("SARL", "EURL")), ("Cabinet médical", ("SELARL", "SCM")),
    ("Brasserie", ("SARL", "SAS", "")), ("Fleuriste", ("EURL", "")),
    ("Laboratoire", ("SAS", "SELAS")), ("Association", ("",)), ("Salon de coiffure", ("EURL", "")),
]
CUSTOMER_NAMES = ["Le Petit Zinc", "des Tilleuls", "du Centre", "Belle Époque", "Les Marronniers",
                  "du Parc", "Saint-Martin", "La Fontaine", "Les Glycines", "du Port",
                  "Les Coquelicots", "Bellevue", "du Marché", "L'Horizon", "Les Acacias",
                  "Montplaisir", "du Lac", "Le Comptoir", "des Arts", "La Tour"]
PAYMENT_MODES = [("Virement", 55), ("Chèque", 20), ("Carte bancaire", 15), ("Prélèvement", 5),
                 ("Espèces", 5)]
CREDIT_REASONS_PARTIAL = ["retour de marchandise", "geste commercial", "prestation non réalisée",
                          "erreur de quantité"]
CREDIT_REASONS_TOTAL = ["erreur de destinataire", "commande annulée", "doublon de facturation"]

# Aged balance buckets of overdue days (due date to today) an unpaid invoice is put in.
OVERDUE_TARGETS = {"0-30": (10, 29), "31-60": (33, 58), "61-90": (63, 88), "91+": (93, 120)}


# --- Small helpers --------------------------------------------------------------------

def _ascii(text):
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _slug(text, sep="-"):
    words = "".join(c if c.isalnum() else " " for c in _ascii(text).lower()).split()
    return sep.join(words)


def vat_number_for(siren: str) -> str:
    """The French intra-community VAT number of a SIREN: FR + key + SIREN."""
    key = int(siren + "12") % 97
    number = f"FR{key:02d}{siren}"
    assert tva.is_valid(number), number
    return number


def _money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _weighted(rng, pairs):
    values, weights = zip(*pairs)
    return rng.choices(values, weights=weights)[0]


def _phone(rng, prefix):
    return f"{prefix} " + " ".join(f"{rng.randint(0, 99):02d}" for _ in range(4))


def _street(rng):
    return f"{rng.randint(1, 148)} {rng.choice(STREETS)}"


def _parse_articles(text):
    rows = []
    for raw in text.strip().splitlines():
        category, label, nature, price, rate, quantity = (part.strip() for part in raw.split("|"))
        step = Decimal("1")
        if "/" in quantity:
            quantity, step_text = quantity.split("/")
            step = Decimal(step_text)
        low, _, high = quantity.partition("-")
        rows.append(dict(category=category, label=label,
                         nature="goods" if nature == "g" else "services",
                         price=Decimal(price), rate=Decimal(rate),
                         quantity=(Decimal(low), Decimal(high or low), step)))
    return rows


def _quantity(rng, spec):
    low, high, step = spec
    steps = int((high - low) / step)
    return low + step * rng.randint(0, steps)


def trade_of(client_name: str) -> str:
    return TRADE_OF_WORD.get(client_name.split(" ")[0], "consulting")


# --- One client's dossier -----------------------------------------------------------

class _Dossier:
    """Plans a client's year of documents, then plays it in date order."""

    # Same day: deposits, then invoices, then credit notes, then payments.
    DEPOSIT, INVOICE, CREDIT, PAYMENT = range(4)

    def __init__(self, session, client, rng, today, region, rich):
        self.session, self.client, self.rng, self.today = session, client, rng, today
        self.region, self.rich = region, rich
        self.trade = trade_of(client.name)
        self.catalogue = CATALOGUES[self.trade]
        self.events = []
        self.payments = {}         # contact id → [(day, full payment plan)]
        self.counts = Counter()

    # Seller, customers, articles, charges -------------------------------------------
    def set_seller_details(self):
        client, rng = self.client, self.rng
        words = client.name.split(" ")
        legal_form = next((w for w in reversed(words) if w in ("SARL", "SAS", "EURL", "SASU", "EI")),
                          "SARL")
        postcode, city, registry = rng.choice(REGIONS[self.region])
        client.legal_form = legal_form
        client.share_capital = (str(rng.choice(SHARE_CAPITALS[legal_form]))
                                if legal_form in SHARE_CAPITALS else None)
        # An entrepreneur individuel is registered at the RNE, not the RCS.
        client.rcs_city = registry if legal_form != "EI" else None
        client.address_line1 = _street(rng)
        client.address_line2 = rng.choice(ADDRESS_LINE2) if rng.random() < 0.2 else None
        client.postcode, client.city = postcode, city
        client.phone = _phone(rng, PHONE_PREFIX[self.region])
        client.vat_number = vat_number_for(client.siren) if client.siren else None
        client.payment_terms_days = rng.choice((30, 30, 45))

    def create_reference_data(self):
        from app.demo import random_siren

        rng, client = self.rng, self.client
        catalogue = self.catalogue
        categories = {letter: ArticleCategory(client_id=client.id, name=name, account=account)
                      for letter, (name, account) in catalogue["categories"].items()}
        available = _parse_articles(catalogue["articles"])
        count = len(available) if self.rich else rng.randint(8, min(15, len(available)))
        chosen = sorted(rng.sample(range(len(available)), count))
        self.articles = []
        for number, index in enumerate(chosen, start=1):
            row = available[index]
            factor = Decimal(rng.randint(85, 115)) / 100
            price = _money(row["price"] * factor)
            if price >= 100:
                price = price.quantize(Decimal("1"))            # round list prices
            article = Article(
                client_id=client.id, reference=f"{catalogue['code']}-{number:03d}",
                label=row["label"], nature=row["nature"], unit_price_ht=_money(price),
                vat_rate=row["rate"], category=categories[row["category"]],
                # A few articles carry their own account (the rest use their category's).
                account="706800" if row["nature"] == "services" and rng.random() < 0.08 else None)
            article.quantity_spec = row["quantity"]
            self.articles.append(article)
        used = {row["category"] for row in (available[i] for i in chosen)}
        self.session.add_all([categories[letter] for letter in sorted(used)])
        self.session.add_all(self.articles)
        if len(used) < 2:   # never happens with 8+ articles over 3 categories, but keep 2–4
            self.session.add_all([c for letter, c in sorted(categories.items())
                                  if letter not in used][:2 - len(used)])

        rates = Counter(article.vat_rate for article in self.articles)
        main_rate = rates.most_common(1)[0][0]
        fee_label, fee_amount = catalogue["fee"]
        self.fee = Charge(client_id=client.id, kind="fee", label=fee_label,
                          amount=Decimal(fee_amount), vat_rate=Decimal("20"), account="708500")
        self.charges = [self.fee]
        self.discount = self.tax = None
        if self.rich or rng.random() < 0.7:
            label, percentage = catalogue["discount"]
            self.discount = Charge(client_id=client.id, kind="discount", label=label,
                                   percentage=Decimal(percentage), vat_rate=main_rate,
                                   account="709000")
            self.charges.append(self.discount)
        if catalogue["tax"] and (self.rich or rng.random() < 0.6):
            label, amount = catalogue["tax"]
            self.tax = Charge(client_id=client.id, kind="tax", label=label,
                              amount=Decimal(amount), vat_rate=Decimal("20"), account="708800")
            self.charges.append(self.tax)
        self.session.add_all(self.charges)

        contacts = []
        count = 12 if self.rich else rng.randint(6, 12)
        used_names, used_accounts = set(), set()
        for index in range(count):
            postcode, city, _ = (rng.choice(REGIONS[self.region]) if rng.random() < 0.85
                                 else rng.choice(REGIONS[3 - self.region]))
            if index % 5 in (0, 2, 4) or (self.trade == "consulting" and index % 5 != 3):
                kind, forms = rng.choice(CUSTOMER_KINDS)
                name = f"{kind} {rng.choice(CUSTOMER_NAMES)} {rng.choice(forms)}".strip()
                if name in used_names:
                    name = f"{name} ({city})"
                used_names.add(name)
                siren = random_siren(rng) if rng.random() < 0.65 else None
                contact = Contact(
                    client_id=client.id, is_company=True, name=name,
                    email=f"compta@{_slug(name)[:40].strip('-')}.example",
                    phone=_phone(rng, PHONE_PREFIX[self.region]), siren=siren,
                    vat_number=vat_number_for(siren) if siren else None)
            else:
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                contact = Contact(
                    client_id=client.id, is_company=False, name=last, first_name=first,
                    email=f"{_slug(first, '')}.{_slug(last, '')}@mail.example",
                    phone=_phone(rng, rng.choice(("06", "07"))))
            contact.address_line1 = _street(rng)
            if contact.is_company and rng.random() < 0.2:
                contact.address_line2 = rng.choice(ADDRESS_LINE2)
            contact.postcode, contact.city = postcode, city
            if rng.random() < 0.5:
                root = "C" + "".join(c for c in _ascii(contact.name).upper() if c.isalnum())[:8]
                code, number = root, 1
                while code in used_accounts:
                    number += 1
                    code = f"{root[:7]}{number}"
                used_accounts.add(code)
                contact.auxiliary_account = code
            contacts.append(contact)
        self.session.add_all(contacts)
        self.session.flush()
        self.contacts = contacts
        # A few regular customers get most of the documents.
        order = list(range(len(contacts)))
        rng.shuffle(order)
        self.contact_weights = [1 / (1 + rank) ** 0.9 for rank in order]

    # Documents: what to put on them ----------------------------------------------------
    def _contact(self, exclude=None):
        while True:
            contact = self.rng.choices(self.contacts, weights=self.contact_weights)[0]
            if contact is not exclude:
                return contact

    def _lines(self, count=None, rate=None):
        """Lines from the articles; one VAT rate unless the client is multi-VAT."""
        rng = self.rng
        pool = self.articles
        if rate is None and not self.client.multi_vat:
            rates = Counter(article.vat_rate for article in pool)
            rate = rng.choices(sorted(rates), weights=[rates[r] for r in sorted(rates)])[0]
        if rate is not None:
            pool = [article for article in pool if article.vat_rate == rate] or pool
        if count is None:
            count = _weighted(rng, [(1, 30), (2, 30), (3, 20), (4, 12), (5, 8)])
        picked = rng.sample(pool, min(count, len(pool)))
        lines = []
        for article in picked:
            discount = Decimal(rng.choice((5, 10))) if rng.random() < 0.08 else Decimal("0")
            lines.append(docs.LineInput(
                label=article.label, quantity=_quantity(rng, article.quantity_spec),
                unit_price_ht=article.unit_price_ht, vat_rate=article.vat_rate,
                discount_pct=discount, nature=article.nature, article_id=article.id))
        return lines

    def _charges(self, lines):
        """Charges that fit the document: a single-VAT document keeps one rate, and a
        discount only applies to documents wholly at its rate (never exceeds its base)."""
        rng = self.rng
        rates = {line.vat_rate for line in lines}
        fits = (lambda charge: self.client.multi_vat or rates == {charge.vat_rate})
        chosen = []
        has_goods = any(line.nature == "goods" for line in lines)
        if self.fee is not None and fits(self.fee) and rng.random() < (0.3 if has_goods else 0.12):
            chosen.append(self.fee)
        if self.tax is not None and has_goods and fits(self.tax) and rng.random() < 0.5:
            chosen.append(self.tax)
        if (self.discount is not None and rates == {self.discount.vat_rate}
                and rng.random() < 0.12):
            chosen.append(self.discount)
        return [docs.ChargeInput(charge.id) for charge in chosen]

    def _notes(self):
        rng = self.rng
        roll = rng.random()
        if roll < 0.15:
            return f"Votre bon de commande n° BC-{rng.randint(100, 999)}."
        if roll < 0.22:
            return "Merci de rappeler le numéro de facture avec votre règlement."
        return None

    # Planning -------------------------------------------------------------------------
    def _at(self, day, phase, action):
        self.events.append((day, phase, len(self.events), action))

    def _overdue_days(self, day):
        return (self.today - (day + dt.timedelta(days=self.client.payment_terms_days))).days

    def _default_fate(self, day):
        """Paid, partly paid or open, from how long the invoice has been due."""
        rng, overdue = self.rng, self._overdue_days(day)
        if overdue <= 0:
            return "paid" if rng.random() < 0.45 and day < self.today else "open"
        if overdue < 10 or overdue > 120:
            return "paid"
        roll = rng.random()
        return "paid" if roll < 0.78 else "partial" if roll < 0.88 else "open"

    def _pay_day(self, day, after=None):
        rng = self.rng
        pay = day + dt.timedelta(days=rng.randint(3, self.client.payment_terms_days + 20))
        pay = min(max(pay, after or day), self.today)
        return pay

    def plan_invoice(self, day, fate=None, lines=None, charges=None, contact=None,
                     deposit=None, credit=None, pay_after=None):
        """An invoice issued on `day`; `fate`: paid, partial, open. `credit`: None,
        "partial" or "total". Returns the dict that will hold the document."""
        rng = self.rng
        contact = contact or (deposit["contact"] if deposit else self._contact())
        lines = lines if lines is not None else self._lines()
        charges = charges if charges is not None else self._charges(lines)
        notes = self._notes()
        ref = {"contact": contact, "lines": lines, "charges": charges}
        fate = fate or self._default_fate(day)

        def issue():
            document = docs.save_draft(self.session, self.client, docs.DraftInput(
                kind="invoice", contact_id=contact.id, lines=lines, charges=charges,
                deposit_ids=[deposit["doc"].id] if deposit else [], issue_date=day,
                notes=notes if not deposit else
                f"Solde du chantier : déduction de l'acompte {deposit['doc'].number}."))
            docs.issue(self.session, self.client, document, self.today)
            ref["doc"] = document
            self.counts["invoice"] += 1
        self._at(day, self.INVOICE, issue)

        after = pay_after
        if credit == "total":
            credit_day = min(day + dt.timedelta(days=rng.randint(1, 12)), self.today)
            reason = rng.choice(CREDIT_REASONS_TOTAL)
            self.plan_credit_note(ref, credit_day, total=True, reason=reason)
            if reason == "erreur de destinataire":     # re-invoiced to the right customer
                self.plan_invoice(credit_day, lines=lines, charges=charges,
                                  contact=self._contact(exclude=contact))
            return ref
        if credit == "partial":
            credit_day = min(day + dt.timedelta(days=rng.randint(2, 20)), self.today)
            self.plan_credit_note(ref, credit_day, total=False)
            after = max(after or credit_day, credit_day)
        if fate == "paid":
            self.plan_payment(ref, self._pay_day(day, after), share=None,
                              earliest=max(day, after or day))
        elif fate == "partial":
            self.plan_payment(ref, self._pay_day(day, after),
                              share=Decimal(rng.randint(30, 70)) / 100)
        return ref

    def plan_credit_note(self, invoice, day, total, reason=None):
        rng = self.rng
        reason = reason or rng.choice(CREDIT_REASONS_TOTAL if total else CREDIT_REASONS_PARTIAL)
        line_index = rng.randrange(len(invoice["lines"]))

        def issue():
            corrected = invoice["doc"]
            if total:
                lines = docs.credit_note_lines(corrected)
                charges = [docs.ChargeInput(item.charge_id) for item in corrected.charges]
            else:
                source = corrected.lines[line_index]
                if source.quantity >= 2 and reason in ("retour de marchandise", "erreur de quantité"):
                    quantity = (source.quantity / 3).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
                    lines = [docs.LineInput(
                        label=f"{source.label} ({reason})", quantity=max(quantity, Decimal("1")),
                        unit_price_ht=source.unit_price_ht, vat_rate=source.vat_rate,
                        discount_pct=source.discount_pct, nature=source.nature,
                        article_id=source.article_id)]
                else:
                    price = max(_money(source.total_ht * Decimal("0.15")), CENT)
                    lines = [docs.LineInput(
                        label=f"{reason.capitalize()} : {source.label}", quantity=Decimal("1"),
                        unit_price_ht=price, vat_rate=source.vat_rate, nature=source.nature)]
                charges = []
            document = docs.save_draft(self.session, self.client, docs.DraftInput(
                kind="credit_note", contact_id=corrected.contact_id, lines=lines,
                charges=charges, corrects_invoice_id=corrected.id, issue_date=day,
                notes=f"Avoir sur la facture {corrected.number} du "
                      f"{corrected.issue_date.strftime('%d/%m/%Y')} : {reason}."))
            docs.issue(self.session, self.client, document, self.today)
            self.counts["credit_note_total" if total else "credit_note_partial"] += 1
        self._at(day, self.CREDIT, issue)

    def plan_payment(self, ref, day, share, earliest=None):
        """Pay what is due on `ref` on `day` (a share of it when partial). A customer
        often settles several documents at once: a full payment joins, one time in two,
        another full payment of the same customer due within 12 days (not before
        `earliest`, the day the document was issued or credited)."""
        contact = ref["contact"]
        if share is None:
            earliest = earliest or day
            joinable = sorted(
                (other_day, index) for index, (other_day, plan) in
                enumerate(self.payments.get(contact.id, ()))
                if earliest <= other_day <= day + dt.timedelta(days=12))
            if joinable and self.rng.random() < 0.5:
                _day, index = joinable[0]
                self.payments[contact.id][index][1]["items"].append((ref, None))
                return
        mode = _weighted(self.rng, PAYMENT_MODES if not contact.is_company
                         else [m for m in PAYMENT_MODES if m[0] != "Espèces"])
        plan = {"items": [(ref, share)], "mode": mode,
                "cheque": self.rng.randint(1000000, 9999999)}
        if share is None:
            self.payments.setdefault(contact.id, []).append((day, plan))

        def pay():
            allocations = []
            for item, part in plan["items"]:
                document = item["doc"]
                due = document.amount_due
                amount = due if part is None else max(_money(due * part), CENT)
                if amount > 0:
                    allocations.append(docs.AllocationInput(document.id, amount))
            if not allocations:
                return
            total = sum((item.amount for item in allocations), ZERO)
            mode = plan["mode"]
            if mode == "Espèces" and total > 1000:      # cash limit for individuals
                mode = "Chèque"
            reference = {
                "Virement": f"VIR {_ascii(contact.display_name).upper()[:24]}",
                "Chèque": f"Chèque n° {plan['cheque']}",
                "Prélèvement": f"PRLV SEPA {self.client.siren or ''}".strip(),
                "Carte bancaire": "CB",
            }.get(mode)
            docs.record_payment(self.session, self.client, docs.PaymentInput(
                contact_id=contact.id, date=day, amount=total, payment_mode=mode,
                reference=reference, allocations=allocations), self.today)
            self.counts["payment"] += 1
        self._at(day, self.PAYMENT, pay)

    def plan_deposit_job(self, start, final_day):
        """A deposit invoice on `start`, paid a few days later, and the final invoice
        deducting it on `final_day` (left as a draft when that day is still to come)."""
        rng = self.rng
        contact = self._contact()
        lines = self._lines(count=rng.randint(2, 4))
        charges = self._charges(lines)
        job = rng.choice(self.catalogue["jobs"])
        base = sum((line.quantity * line.unit_price_ht * (100 - line.discount_pct) / 100
                    for line in lines), Decimal("0"))
        pct = rng.choice((30, 30, 40, 50))
        main = Counter()
        for line in lines:
            main[line.vat_rate] += line.quantity * line.unit_price_ht
        rate = main.most_common(1)[0][0]
        deposit_line = docs.LineInput(
            label=f"Acompte de {pct} % : {job}", quantity=Decimal("1"),
            unit_price_ht=max(_money(base * pct / 100), CENT), vat_rate=rate,
            nature=lines[0].nature)
        deposit = {"contact": contact, "lines": [deposit_line], "charges": []}

        def issue_deposit():
            document = docs.save_draft(self.session, self.client, docs.DraftInput(
                kind="deposit", contact_id=contact.id, lines=[deposit_line], issue_date=start,
                notes=f"{job} : acompte à la commande, déduit de la facture de solde."))
            docs.issue(self.session, self.client, document, self.today)
            deposit["doc"] = document
            self.counts["deposit"] += 1
        self._at(start, self.DEPOSIT, issue_deposit)
        paid_on = min(start + dt.timedelta(days=rng.randint(1, 10)), self.today)
        self.plan_payment(deposit, paid_on, share=None, earliest=start)

        if final_day <= self.today:
            self.plan_invoice(final_day, lines=lines, charges=charges, contact=contact,
                              deposit=deposit)
        else:
            def draft_final():
                docs.save_draft(self.session, self.client, docs.DraftInput(
                    kind="invoice", contact_id=contact.id, lines=lines, charges=charges,
                    deposit_ids=[deposit["doc"].id],
                    notes=f"Solde : {job} (à émettre à la fin des travaux)."))
                self.counts["draft"] += 1
            self.drafts.append(draft_final)

    def plan_year(self):
        rng, today = self.rng, self.today
        terms = self.client.payment_terms_days
        start = today - dt.timedelta(days=365)
        self.drafts = []
        total = 25 if self.rich else rng.randint(8, 25)
        planned = 0

        # Deposits and their final invoices.
        jobs = 0
        if self.trade in DEPOSIT_TRADES or self.rich:
            jobs = 2 if self.rich else rng.choice((0, 1, 1, 2))
        for number in range(jobs):
            if self.rich and number == 1:        # a job still running: final still a draft
                begin = today - dt.timedelta(days=rng.randint(5, 20))
                end = today + dt.timedelta(days=30)
            else:
                begin = today - dt.timedelta(days=rng.randint(60, 330))
                end = begin + dt.timedelta(days=rng.randint(14, 75))
            self.plan_deposit_job(begin, end)
            planned += end <= today

        # Unpaid invoices in chosen buckets of the aged balance (all of them for the
        # client user's dossier), and at least one recent invoice not yet due.
        buckets = list(OVERDUE_TARGETS)
        chosen = buckets if self.rich else rng.sample(buckets, rng.randint(0, 3))
        for bucket in chosen:
            low, high = OVERDUE_TARGETS[bucket]
            day = today - dt.timedelta(days=terms + rng.randint(low, high))
            fate = "partial" if self.rich and bucket == "31-60" else "open"
            self.plan_invoice(day, fate=fate)
            planned += 1
        for _ in range(2 if self.rich else 1):
            self.plan_invoice(today - dt.timedelta(days=rng.randint(0, terms - 5)), fate="open")
            planned += 1

        # The rest over the year, a few of them corrected by credit notes.
        days = sorted(start + dt.timedelta(days=rng.randint(0, 364))
                      for _ in range(max(total - planned, 3)))
        credits = {}
        old = [i for i, day in enumerate(days) if day <= today - dt.timedelta(days=25)]
        if old:
            wanted = ["partial", "partial", "total"] if self.rich else \
                rng.sample(["partial", "total", "partial"], rng.randint(1, 3))
            for index, kind in zip(rng.sample(old, min(len(old), len(wanted))), wanted):
                credits[index] = kind
        for index, day in enumerate(days):
            self.plan_invoice(day, credit=credits.get(index))

        # Drafts: one or two invoices being prepared.
        for _ in range(2 if self.rich else rng.randint(1, 2)):
            contact, lines = self._contact(), self._lines()
            charges = self._charges(lines)

            def draft(contact=contact, lines=lines, charges=charges):
                docs.save_draft(self.session, self.client, docs.DraftInput(
                    kind="invoice", contact_id=contact.id, lines=lines, charges=charges))
                self.counts["draft"] += 1
            self.drafts.append(draft)

    def play(self):
        for _day, _phase, _seq, action in sorted(self.events, key=lambda e: e[:3]):
            action()
        for action in self.drafts:
            action()


# --- Entry point --------------------------------------------------------------------

def seed_invoicing(session, clients_by_cabinet, *, seed, today, rich_client=None):
    """Seller details, customers, catalogue and a year of documents for every client.

    `clients_by_cabinet`: {demo cabinet number (1 Paris, 2 Lyon): [Client, …]} as
    created by seed_demo; `rich_client`: the client user's dossier, which gets the
    fullest set. Returns counts per kind of row created."""
    totals = Counter()
    for region, clients in sorted(clients_by_cabinet.items()):
        for position, client in enumerate(clients):
            rng = random.Random(f"passerelle-demo-invoicing/{seed}/{region}/{position}")
            dossier = _Dossier(session, client, rng, today, region,
                               rich=client is rich_client)
            dossier.set_seller_details()
            dossier.create_reference_data()
            dossier.plan_year()
            dossier.play()
            totals.update(dossier.counts)
            totals.update(contacts=len(dossier.contacts), articles=len(dossier.articles),
                          charges=len(dossier.charges))
    session.flush()
    return dict(totals)
