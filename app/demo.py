"""Demo data: two French cabinets, their staff and about sixty client dossiers,
each with its customers, catalogue and a year of invoicing (app.demo_invoicing).

Deterministic for a given --seed and reference date, so that a demo or a
benchmark can be rebuilt identically.
"""
import datetime as dt
import random

from stdnum import luhn

from app.models import PACKS, Client
from app.security import roles
from app.security.cabinets import add_staff_user, create_cabinet

COMPANY_WORDS = [
    "Boulangerie", "Menuiserie", "Atelier", "Garage", "Cabinet", "Librairie", "Fromagerie",
    "Plomberie", "Électricité", "Jardins", "Pharmacie", "Épicerie", "Studio", "Transports",
    "Conseil", "Imprimerie", "Couverture", "Maçonnerie", "Traiteur", "Vignobles",
]
COMPANY_NAMES = [
    "Dupont", "Lefèvre", "Moreau", "Girard", "Bonnet", "Mercier", "Rousseau", "Fournier",
    "Lambert", "Fontaine", "Chevalier", "Garnier", "Faure", "André", "Gauthier", "Perrin",
    "Morel", "Clément", "Blanchard", "Héraud", "Noël", "Ménard", "Brunet", "Dumas",
]
FORMS = ["SARL", "SAS", "EURL", "SASU", "EI"]

DEMO_STAFF = {
    1: [
        ("proprietaire", roles.OWNER, "Claire", "Martin", "Expert-comptable associée"),
        ("administrateur", roles.ADMINISTRATOR, "Julien", "Bernard", "Responsable de mission"),
        ("collaborateur", roles.COLLABORATOR, "Sophie", "Petit", "Collaboratrice comptable"),
        ("restreint", roles.RESTRICTED, "Thomas", "Robert", "Assistant comptable"),
    ],
    2: [
        ("proprietaire2", roles.OWNER, "Hélène", "Durand", "Expert-comptable"),
    ],
}
CABINETS = {
    1: dict(name="Cabinet Martin & Associés", siren="552100554", email="contact@martin-associes.fr",
            phone="01 42 68 53 00", address="12 rue de la Paix\n75002 Paris"),
    2: dict(name="Durand Expertise Comptable", siren="732829320", email="accueil@durand-expertise.fr",
            phone="04 78 92 15 40", address="8 quai Saint-Antoine\n69002 Lyon"),
}


def random_siren(rng):
    body = "".join(str(rng.randint(0, 9)) for _ in range(8))
    if body[0] == "0":
        body = "1" + body[1:]
    return body + luhn.calc_check_digit(body)


def _company_name(rng, used):
    name = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_NAMES)} {rng.choice(FORMS)}"
    candidate, number = name, 1
    # The word lists give 2 400 names: large demo sets number the homonyms.
    while candidate in used:
        number += 1
        candidate = f"{name} {number}"
    used.add(candidate)
    return candidate


def _slug(name):
    import unicodedata

    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(c for c in ascii_name.lower() if c.isalnum())[:24]


def seed_demo(security_manager, session, *, password, seed=2026, clients=60, today=None,
              invoicing=True):
    """Load the demo data into an empty database. Returns a summary dict.

    `invoicing`: also give every client its seller details, customers, catalogue and
    a year of documents (app.demo_invoicing); False for bulk client lists."""
    rng = random.Random(seed)
    today = today or dt.date.today()
    now = dt.datetime.combine(today, dt.time(9, 0))
    admin = security_manager.user_model(
        username="admin", email="admin@passerelle.example", first_name="Admin",
        last_name="Plateforme", active=True,
    )
    admin.password = security_manager.hash_password(password)
    admin.roles = [security_manager.find_role(roles.ADMIN)]
    session.add(admin)

    cabinets, staff = {}, {}
    for number, details in CABINETS.items():
        owner_login, _, first, last, job = DEMO_STAFF[number][0]
        cabinet = create_cabinet(
            security_manager, session, owner_username=owner_login,
            owner_email=f"{owner_login}@{details['email'].split('@')[1]}",
            owner_first_name=first, owner_last_name=last, owner_password=password, **details,
        )
        cabinet.owner.job_title = job
        cabinets[number] = cabinet
        staff[owner_login] = cabinet.owner
        for login, role_name, first, last, job in DEMO_STAFF[number][1:]:
            staff[login] = add_staff_user(
                security_manager, session, cabinet, role_name, username=login,
                email=f"{login}@{details['email'].split('@')[1]}", first_name=first,
                last_name=last, password=password, job_title=job,
            )

    used_names = set()
    per_cabinet = {1: clients - clients // 4, 2: clients // 4}
    created = {1: [], 2: []}
    for number, count in per_cabinet.items():
        cabinet = cabinets[number]
        # `restreint` is assigned below to exactly the first five clients of cabinet 1.
        collaborators = [u for login, u in staff.items()
                         if u.cabinet_id == cabinet.id and login != "restreint"]
        for index in range(count):
            name = _company_name(rng, used_names)
            created_at = now - dt.timedelta(days=rng.randint(0, 365), minutes=rng.randint(0, 600))
            last_login = None
            if rng.random() > 0.15:
                last_login = created_at + (now - created_at) * rng.random()
            has_dossier = rng.random() < 0.65
            client = Client(
                cabinet_id=cabinet.id, name=name, siren=random_siren(rng),
                email=f"contact@{_slug(name)}.fr", pack=rng.choice(PACKS),
                created_at=created_at, last_login_at=last_login,
                dossier_code=f"{number}{index + 1:04d}" if has_dossier else None,
                dossier_label=name.upper()[:120] if has_dossier else None,
                multi_vat=rng.random() < 0.3,
                collaborators=rng.sample(collaborators, k=min(len(collaborators), rng.randint(0, 2))),
            )
            session.add(client)
            created[number].append(client)
        session.flush()

    for client in created[1][:5]:
        client.collaborators.append(staff["restreint"])

    client_dossier = created[1][0]
    client_user = security_manager.user_model(
        username="client", email=client_dossier.email, first_name="Marc",
        last_name="Leroy", active=True, client_id=client_dossier.id,
    )
    client_user.password = security_manager.hash_password(password)
    client_user.roles = [security_manager.find_role(roles.CLIENT)]
    session.add(client_user)
    invoicing_counts = {}
    if invoicing:
        from app.demo_invoicing import seed_invoicing

        invoicing_counts = seed_invoicing(session, created, seed=seed, today=today,
                                          rich_client=client_dossier)
        from app.demo_plans import seed_plans

        invoicing_counts["plans"] = seed_plans(session, cabinets, created,
                                               always=[client_dossier])
        # The demo client user may see its accounting settings (« Paramètres comptables »).
        client_dossier.client_can_edit_accounting = True
    session.commit()
    return {
        "cabinets": len(cabinets),
        "clients": sum(len(v) for v in created.values()),
        "restricted_clients": 5,
        "client_dossier": client_dossier.name,
        "invoicing": invoicing_counts,
    }


DEMO_LOGINS = [
    ("admin", "Opérateur de la plateforme (menu Sécurité)"),
    ("proprietaire", "Cabinet Martin & Associés — Propriétaire"),
    ("administrateur", "Cabinet Martin & Associés — Administrateur"),
    ("collaborateur", "Cabinet Martin & Associés — Collaborateur"),
    ("restreint", "Cabinet Martin & Associés — Accès restreint (5 clients)"),
    ("proprietaire2", "Durand Expertise Comptable — Propriétaire"),
    ("client", "Utilisateur client d'un dossier du cabinet Martin"),
]
