"""Fill a database with many realistic organizations, to measure the directory at scale.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_scale python bench/seed_organizations.py 20000

From Python (tests, a shell): `from bench.seed_organizations import seed; seed(500)`.
Names, countries, kinds, thematic areas, ECOSOC status and verification state are drawn
from fixed word lists with a fixed random seed, so two runs give the same data. Rows are
written with bulk_create in batches; run ANALYZE afterwards so that the planner knows them.
"""

import os
import random
import sys
from datetime import timedelta
from pathlib import Path

BATCH_SIZE = 2000

# The organization's own words, by language, so that names look like a real directory's.
NAME_PATTERNS = {
    "en": [
        "{place} {topic} {body}",
        "{body} for {topic}",
        "{adjective} {body} on {topic}",
        "{place} {adjective} {body}",
        "{people} {body} of {place}",
    ],
    "fr": ["{body} {adjective} pour {topic}", "{body} {place} pour {topic}", "{body} {people} {place}"],
    "es": ["{body} {adjective} de {topic}", "{body} para {topic} {place}", "{body} de {people} {place}"],
}
# Feminine bodies only in French and Spanish, so that the adjectives agree.
WORDS = {
    "en": {
        "body": ["Network", "Alliance", "Foundation", "Association", "Coalition", "Institute", "Centre", "Forum",
                 "Initiative", "Council", "Trust", "Society", "Collective", "Union", "Project", "Observatory"],
        "topic": ["Drug Policy", "Harm Reduction", "Criminal Justice", "Prison Reform", "Anti-Corruption",
                  "Transparency", "Integrity", "Victims' Rights", "Youth Justice", "Crime Prevention",
                  "Restorative Justice", "Recovery", "Public Health", "Human Rights", "Women's Rights",
                  "Anti-Trafficking", "Migrant Rights", "Cybersecurity", "Environmental Justice", "Legal Aid"],
        "adjective": ["National", "International", "Independent", "Regional", "Community", "Global", "United",
                      "Open", "Civic", "Citizens'"],
        "people": ["Women's", "Youth", "Families'", "Lawyers'", "Doctors'", "Journalists'", "Students'",
                   "Peer", "Parents'", "Veterans'"],
    },
    "fr": {
        "body": ["Association", "Fondation", "Ligue", "Coalition", "Alliance", "Fédération", "Coordination"],
        "topic": ["la réduction des risques", "la justice pénale", "la prévention", "les droits des victimes",
                  "l'intégrité publique", "la réinsertion", "la santé communautaire"],
        "adjective": ["nationale", "africaine", "indépendante", "citoyenne", "régionale"],
        "people": ["des femmes", "des jeunes", "des juristes", "des familles"],
    },
    "es": {
        "body": ["Fundación", "Red", "Asociación", "Coalición", "Corporación", "Alianza", "Federación"],
        "topic": ["Reducción de Daños", "Justicia Penal", "Política de Drogas", "Transparencia",
                  "Prevención del Delito", "Derechos Humanos", "Integridad"],
        "adjective": ["Nacional", "Latinoamericana", "Ciudadana", "Independiente", "Regional"],
        "people": ["Mujeres", "Jóvenes", "Abogados", "Familias"],
    },
}
# (words in the name, the countries such an organization may have its headquarters in)
PLACES = {
    "en": [
        ("Kenya", "KE"), ("Nigeria", "NG"), ("Ghana", "GH"), ("Uganda", "UG"), ("India", "IN"), ("Pakistan", "PK"),
        ("Philippines", "PH"), ("Thailand", "TH"), ("Nepal", "NP"), ("Canada", "CA"), ("Australia", "AU"),
        ("Ireland", "IE"), ("Jamaica", "JM"), ("South Africa", "ZA"), ("Zambia", "ZM"), ("Malaysia", "MY"),
        ("Sri Lanka", "LK"), ("British", "GB"), ("American", "US"), ("New Zealand", "NZ"),
        ("Caribbean", "JM TT BB BS GY"), ("East African", "KE UG TZ RW"), ("Pacific", "FJ PG WS NZ AU"),
        ("Asian", "IN TH PH MY SG"), ("Nordic", "SE NO DK FI IS"), ("Balkan", "RS BA MK AL ME"),
        ("Central Asian", "KZ KG UZ TJ"), ("European", "BE NL DE AT GB"),
    ],
    "fr": [
        ("du Sénégal", "SN"), ("du Cameroun", "CM"), ("du Maroc", "MA"), ("de Côte d'Ivoire", "CI"),
        ("du Burkina Faso", "BF"), ("de Belgique", "BE"), ("de France", "FR"), ("de Tunisie", "TN"),
        ("du Mali", "ML"), ("de Suisse", "CH"), ("du Québec", "CA"), ("d'Haïti", "HT"), ("du Congo", "CD CG"),
    ],
    "es": [
        ("de México", "MX"), ("de Colombia", "CO"), ("del Perú", "PE"), ("de Chile", "CL"), ("de Argentina", "AR"),
        ("de Guatemala", "GT"), ("de Bolivia", "BO"), ("de España", "ES"), ("del Ecuador", "EC"),
        ("de Honduras", "HN"), ("de Centroamérica", "GT SV HN NI CR PA"), ("del Caribe", "DO CU PR"),
    ],
}
LANGUAGE_WEIGHTS = {"en": 6, "fr": 2, "es": 2}
SENTENCES = [
    "{name} works with communities, authorities and other civil society organizations on {topics}.",
    "Founded in {year}, it runs programmes on {topics} and advocates for evidence-based policies.",
    "It provides training, research and legal support, and takes part in the sessions of the commissions.",
    "Its members include practitioners, researchers and people with lived experience.",
]


def seed(count: int = 20000, *, random_seed: int = 2026, verified_share: float = 0.85) -> int:
    """Create `count` organizations with thematic areas; return how many were created.

    Slugs are "bench-<n>", so a second run with the same count would collide: seed an
    empty database, or delete the bench-* organizations first.
    """
    from django.db import transaction
    from django.utils import timezone

    from organizations.enums import EcosocStatus, OrganizationKind, VerificationState
    from organizations.models import Organization, ThematicArea
    from organizations.regions import regional_group_for

    rng = random.Random(random_seed)
    areas = list(ThematicArea.objects.all())
    if not areas:
        raise RuntimeError("No thematic areas: migrate the database first (migration 0004 seeds them).")
    kinds = [kind for kind, _label in OrganizationKind.choices]
    kind_weights = [8 if kind == OrganizationKind.NGO else 1 for kind in kinds]
    other_states = [VerificationState.PENDING, VerificationState.CHANGES_REQUESTED, VerificationState.REJECTED, VerificationState.ARCHIVED]
    languages = list(LANGUAGE_WEIGHTS)
    all_countries = sorted({code for places in PLACES.values() for _place, codes in places for code in codes.split()})
    now = timezone.now()
    through = Organization.thematic_areas.through
    created = 0
    with transaction.atomic():
        for start in range(0, count, BATCH_SIZE):
            organizations, chosen_areas = [], []
            for number in range(start, min(start + BATCH_SIZE, count)):
                language = rng.choices(languages, weights=[LANGUAGE_WEIGHTS[code] for code in languages])[0]
                words = WORDS[language]
                place, countries = rng.choice(PLACES[language])
                country = rng.choice(countries.split())
                name = rng.choice(NAME_PATTERNS[language]).format(
                    place=place,
                    topic=rng.choice(words["topic"]),
                    body=rng.choice(words["body"]),
                    adjective=rng.choice(words["adjective"]),
                    people=rng.choice(words["people"]),
                )
                acronym = "".join(word[0] for word in name.replace("-", " ").split() if word[0].isupper())[:8]
                ecosoc_status = rng.choices(
                    [EcosocStatus.NONE, EcosocStatus.ROSTER, EcosocStatus.SPECIAL, EcosocStatus.GENERAL], weights=[70, 5, 22, 3]
                )[0]
                year_founded = rng.randint(1950, 2024)
                its_areas = rng.sample(areas, rng.randint(1, 4))
                description = " ".join(
                    sentence.format(
                        name=name,
                        year=year_founded,
                        topics=", ".join(str(area.name).lower() for area in its_areas),
                    )
                    for sentence in rng.sample(SENTENCES, rng.randint(1, len(SENTENCES)))
                )
                organizations.append(
                    Organization(
                        name=name,
                        acronym=acronym,
                        slug=f"bench-{number}",
                        kind=rng.choices(kinds, weights=kind_weights)[0],
                        headquarters_country=country,
                        countries_of_work=sorted({country, *rng.sample(all_countries, rng.randint(0, 3))}),
                        # bulk_create skips save(), which derives the group.
                        regional_group=regional_group_for(country),
                        website=f"https://www.{acronym.lower() or 'org'}{number}.example/",
                        email=f"contact@{acronym.lower() or 'org'}{number}.example",
                        phone=f"+{rng.randint(1, 99)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
                        year_founded=year_founded,
                        description=description,
                        ecosoc_status=ecosoc_status,
                        ecosoc_year=None if ecosoc_status == EcosocStatus.NONE else rng.randint(max(1946, year_founded), 2025),
                        verification_state=(
                            VerificationState.VERIFIED if rng.random() < verified_share else rng.choice(other_states)
                        ),
                        created_at=now - timedelta(days=rng.randint(0, 3650), seconds=rng.randint(0, 86399)),
                    )
                )
                chosen_areas.append(its_areas)
            organizations = Organization.objects.bulk_create(organizations, batch_size=BATCH_SIZE)
            through.objects.bulk_create(
                [
                    through(organization_id=organization.pk, thematicarea_id=area.pk)
                    for organization, its_areas in zip(organizations, chosen_areas, strict=True)
                    for area in its_areas
                ],
                batch_size=BATCH_SIZE * 4,
            )
            created += len(organizations)
    return created


def main(argv: list[str]) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    if not os.environ.get("DATABASE_URL"):
        sys.exit("Set DATABASE_URL to the database to fill, e.g. postgres://postgres@127.0.0.1:5432/portal_scale")
    import django

    django.setup()
    count = int(argv[1]) if len(argv) > 1 else 20000
    print(f"Created {seed(count)} organizations.")


if __name__ == "__main__":
    main(sys.argv)
