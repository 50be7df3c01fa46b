"""The UN regional groups of Member States, from which an organization's group is derived."""

from .enums import RegionalGroup

_GROUPS = {
    RegionalGroup.AFRICAN: (
        "DZ AO BJ BW BF BI CV CM CF TD KM CG CD CI DJ EG GQ ER SZ ET GA GM GH GN GW KE LS LR LY MG MW ML "
        "MR MU MA MZ NA NE NG RW ST SN SC SL SO ZA SS SD TZ TG TN UG ZM ZW"
    ),
    RegionalGroup.ASIA_PACIFIC: (
        "AF BH BD BT BN KH CN CY FJ IN ID IR IQ JP JO KZ KI KW KG LA LB MY MV MH FM MN MM NR NP KP OM PK "
        "PW PG PH QA KR WS SA SG SB LK SY TJ TH TL TO TM TV AE UZ VU VN YE PS"
    ),
    RegionalGroup.EASTERN_EUROPEAN: "AL AM AZ BY BA BG HR CZ EE GE HU LV LT ME MD PL RO RU RS SK SI MK UA",
    RegionalGroup.LATIN_AMERICAN_CARIBBEAN: (
        "AG AR BS BB BZ BO BR CL CO CR CU DM DO EC SV GD GT GY HT HN JM MX NI PA PY PE KN LC VC SR TT UY VE"
    ),
    # The United States attends WEOG as an observer and is counted with it.
    RegionalGroup.WESTERN_EUROPEAN_OTHER: (
        "AD AT AU BE CA DK FI FR DE GR IS IE IL IT LI LU MT MC NL NZ NO PT SM ES SE CH TR GB US"
    ),
}

REGIONAL_GROUP_OF_COUNTRY: dict[str, str] = {
    code: group for group, codes in _GROUPS.items() for code in codes.split()
}


def regional_group_for(country_code: str) -> str:
    """The UN regional group of a country (ISO 3166-1 alpha-2); "" for a territory in none."""
    return REGIONAL_GROUP_OF_COUNTRY.get(str(country_code).upper(), "")
