"""Codes the exports translate: BCP 47 languages and ISO 3166 countries to the EU's
authority tables (Publications Office, http://publications.europa.eu/resource/authority/),
which name them by three-letter codes (ISO 639-2/T and ISO 3166-1 alpha-3)."""

from __future__ import annotations

EU_LANGUAGE = "http://publications.europa.eu/resource/authority/language"
EU_COUNTRY = "http://publications.europa.eu/resource/authority/country"

#: ISO 639-1 -> (EU language authority code, English name): the EU's official languages
#: and those of EEA, candidate and neighbouring countries
LANGUAGES: dict[str, tuple[str, str]] = {
    "bg": ("BUL", "Bulgarian"),
    "cs": ("CES", "Czech"),
    "da": ("DAN", "Danish"),
    "de": ("DEU", "German"),
    "el": ("ELL", "Greek"),
    "en": ("ENG", "English"),
    "es": ("SPA", "Spanish"),
    "et": ("EST", "Estonian"),
    "fi": ("FIN", "Finnish"),
    "fr": ("FRA", "French"),
    "ga": ("GLE", "Irish"),
    "hr": ("HRV", "Croatian"),
    "hu": ("HUN", "Hungarian"),
    "it": ("ITA", "Italian"),
    "lt": ("LIT", "Lithuanian"),
    "lv": ("LAV", "Latvian"),
    "mt": ("MLT", "Maltese"),
    "nl": ("NLD", "Dutch"),
    "pl": ("POL", "Polish"),
    "pt": ("POR", "Portuguese"),
    "ro": ("RON", "Romanian"),
    "sk": ("SLK", "Slovak"),
    "sl": ("SLV", "Slovenian"),
    "sv": ("SWE", "Swedish"),
    "is": ("ISL", "Icelandic"),
    "no": ("NOR", "Norwegian"),
    "nb": ("NOB", "Norwegian Bokmål"),
    "nn": ("NNO", "Norwegian Nynorsk"),
    "sq": ("SQI", "Albanian"),
    "bs": ("BOS", "Bosnian"),
    "mk": ("MKD", "Macedonian"),
    "sr": ("SRP", "Serbian"),
    "tr": ("TUR", "Turkish"),
    "uk": ("UKR", "Ukrainian"),
    "ka": ("KAT", "Georgian"),
    "lb": ("LTZ", "Luxembourgish"),
    "ca": ("CAT", "Catalan"),
    "eu": ("EUS", "Basque"),
    "gl": ("GLG", "Galician"),
    "cy": ("CYM", "Welsh"),
    "ru": ("RUS", "Russian"),
    "ar": ("ARA", "Arabic"),
    "zh": ("ZHO", "Chinese"),
}

#: ISO 3166-1 alpha-2 -> (alpha-3, English short name): EU, EEA, candidate and neighbouring
#: countries, and the largest partners
COUNTRIES: dict[str, tuple[str, str]] = {
    "AT": ("AUT", "Austria"),
    "BE": ("BEL", "Belgium"),
    "BG": ("BGR", "Bulgaria"),
    "HR": ("HRV", "Croatia"),
    "CY": ("CYP", "Cyprus"),
    "CZ": ("CZE", "Czechia"),
    "DK": ("DNK", "Denmark"),
    "EE": ("EST", "Estonia"),
    "FI": ("FIN", "Finland"),
    "FR": ("FRA", "France"),
    "DE": ("DEU", "Germany"),
    "GR": ("GRC", "Greece"),
    "HU": ("HUN", "Hungary"),
    "IE": ("IRL", "Ireland"),
    "IT": ("ITA", "Italy"),
    "LV": ("LVA", "Latvia"),
    "LT": ("LTU", "Lithuania"),
    "LU": ("LUX", "Luxembourg"),
    "MT": ("MLT", "Malta"),
    "NL": ("NLD", "Netherlands"),
    "PL": ("POL", "Poland"),
    "PT": ("PRT", "Portugal"),
    "RO": ("ROU", "Romania"),
    "SK": ("SVK", "Slovakia"),
    "SI": ("SVN", "Slovenia"),
    "ES": ("ESP", "Spain"),
    "SE": ("SWE", "Sweden"),
    "IS": ("ISL", "Iceland"),
    "LI": ("LIE", "Liechtenstein"),
    "NO": ("NOR", "Norway"),
    "CH": ("CHE", "Switzerland"),
    "GB": ("GBR", "United Kingdom"),
    "AL": ("ALB", "Albania"),
    "BA": ("BIH", "Bosnia and Herzegovina"),
    "GE": ("GEO", "Georgia"),
    "MD": ("MDA", "Moldova"),
    "ME": ("MNE", "Montenegro"),
    "MK": ("MKD", "North Macedonia"),
    "RS": ("SRB", "Serbia"),
    "TR": ("TUR", "Türkiye"),
    "UA": ("UKR", "Ukraine"),
    "AD": ("AND", "Andorra"),
    "MC": ("MCO", "Monaco"),
    "SM": ("SMR", "San Marino"),
    "VA": ("VAT", "Holy See"),
    "US": ("USA", "United States"),
    "CA": ("CAN", "Canada"),
    "AU": ("AUS", "Australia"),
    "NZ": ("NZL", "New Zealand"),
    "JP": ("JPN", "Japan"),
    "IN": ("IND", "India"),
    "CN": ("CHN", "China"),
    "BR": ("BRA", "Brazil"),
    "ZA": ("ZAF", "South Africa"),
}


def language(tag: str) -> tuple[str, str] | None:
    """(authority URI, English name) of a BCP 47 tag's language, if the table has it."""
    found = LANGUAGES.get(tag) or LANGUAGES.get(tag.split("-")[0].lower())
    return (f"{EU_LANGUAGE}/{found[0]}", found[1]) if found else None


def country(code: str) -> tuple[str, str] | None:
    """(authority URI, English name) of an ISO 3166-1 alpha-2 code, if the table has it."""
    found = COUNTRIES.get(code.upper())
    return (f"{EU_COUNTRY}/{found[0]}", found[1]) if found else None
