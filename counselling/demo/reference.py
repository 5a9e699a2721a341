"""Belgian offices and facilities for the demo (DESIGN §2 and §8).

Office names, towns, capacities and restrictions follow the public sources of DESIGN §2. Street
addresses of the counselling offices are plausible central addresses chosen for the demo, not
the service's published ones; coordinates are those of the town. Service areas cover every
postcode 1000–9999: each province has a catch-all office and narrower areas for the others
(the narrowest range wins in ``office_for_postcode``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

BRUSSELS_LANGUAGES = ("nl", "fr", "en")
FLEMISH = ("nl", "en")
WALLOON = ("fr", "en")


@dataclass(frozen=True)
class OfficeSpec:
    code: str
    name: str
    kind: str
    province: str
    street: str
    postcode: str
    municipality: str
    latitude: float
    longitude: float
    languages: tuple[str, ...] = ()
    areas: tuple[tuple[int, int], ...] = ()
    walk_in_weekday: int | None = None  # Monday = 0
    capacity: int | None = None
    restriction: str = ""
    phone: str = ""
    staff: int = 0  # counsellors (besides the named demo users)
    extra: dict = field(default_factory=dict, compare=False)


WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")

R = "regional_office"
REGIONAL_OFFICES: tuple[OfficeSpec, ...] = (
    # Brussels-Capital (1000–1299); the first office opened here in October 2021.
    OfficeSpec("BXL-1", "Brussels – Pachéco", R, "brussels", "Boulevard Pachéco 44", "1000", "Bruxelles", 50.85280, 4.35970,
               BRUSSELS_LANGUAGES, ((1000, 1299),), 1, staff=3),
    OfficeSpec("BXL-2", "Brussels – Anderlecht", R, "brussels", "Chaussée de Mons 600", "1070", "Anderlecht", 50.83660, 4.30850,
               BRUSSELS_LANGUAGES, ((1060, 1089),), 3, staff=2),
    OfficeSpec("BXL-3", "Brussels – Schaerbeek", R, "brussels", "Chaussée de Haecht 226", "1030", "Schaerbeek", 50.86760, 4.37370,
               BRUSSELS_LANGUAGES, ((1030, 1030), (1140, 1140), (1210, 1210)), 2, staff=2),
    # Walloon Brabant (1300–1499)
    OfficeSpec("WAV-1", "Wavre", R, "walloon_brabant", "Rue du Pont du Christ 46", "1300", "Wavre", 50.71720, 4.60140,
               WALLOON, ((1300, 1499),), 1),
    OfficeSpec("NIV-1", "Nivelles", R, "walloon_brabant", "Rue de Namur 12", "1400", "Nivelles", 50.59830, 4.32850,
               WALLOON, ((1400, 1499),), 3),
    # Flemish Brabant (1500–1999, 3000–3499)
    OfficeSpec("LEU-1", "Leuven", R, "flemish_brabant", "Diestsesteenweg 40", "3000", "Leuven", 50.87980, 4.70050,
               FLEMISH, ((1500, 1999), (3000, 3499)), 2, staff=1),
    OfficeSpec("VIL-1", "Vilvoorde", R, "flemish_brabant", "Leuvensestraat 20", "1800", "Vilvoorde", 50.92810, 4.42450,
               FLEMISH, ((1800, 1999),), 4),
    OfficeSpec("HAL-1", "Halle", R, "flemish_brabant", "Basiliekstraat 15", "1500", "Halle", 50.73390, 4.23450,
               ("nl", "fr", "en"), ((1500, 1799),), 0),
    # Antwerp (2000–2999)
    OfficeSpec("ANT-1", "Antwerp – Centraal", R, "antwerp", "Italiëlei 4", "2000", "Antwerpen", 51.21940, 4.40250,
               FLEMISH, ((2000, 2999),), 2, staff=3),
    OfficeSpec("MEC-1", "Mechelen", R, "antwerp", "Hanswijkstraat 23", "2800", "Mechelen", 51.02590, 4.47760,
               FLEMISH, ((2500, 2599), (2800, 2899)), 1),
    OfficeSpec("TUR-1", "Turnhout", R, "antwerp", "Gasthuisstraat 10", "2300", "Turnhout", 51.32270, 4.94470,
               FLEMISH, ((2200, 2499),), 3),
    # Limburg (3500–3999)
    OfficeSpec("HAS-1", "Hasselt", R, "limburg", "Kuringersteenweg 31", "3500", "Hasselt", 50.93070, 5.33250,
               FLEMISH, ((3500, 3999),), 1, staff=1),
    OfficeSpec("GNK-1", "Genk", R, "limburg", "Molenstraat 18", "3600", "Genk", 50.96500, 5.50080,
               ("nl", "en", "tr"), ((3600, 3699),), 3),
    OfficeSpec("STR-1", "Sint-Truiden", R, "limburg", "Stapelstraat 7", "3800", "Sint-Truiden", 50.81660, 5.18620,
               FLEMISH, ((3800, 3899),), 2),
    # Liège (4000–4999); Eupen serves the German-speaking Community.
    OfficeSpec("LGE-1", "Liège", R, "liege", "Rue Saint-Léonard 120", "4000", "Liège", 50.63260, 5.57970,
               WALLOON, ((4000, 4999),), 2, staff=2),
    OfficeSpec("VER-1", "Verviers", R, "liege", "Rue de Dison 34", "4800", "Verviers", 50.58910, 5.86240,
               WALLOON, ((4800, 4899), (4900, 4999)), 0),
    OfficeSpec("EUP-1", "Eupen", R, "liege", "Aachener Straße 6", "4700", "Eupen", 50.62790, 6.03670,
               ("de", "fr", "en"), ((4700, 4799),), 1),
    # Namur (5000–5999)
    OfficeSpec("NAM-1", "Namur", R, "namur", "Rue de Fer 25", "5000", "Namur", 50.46690, 4.86750,
               WALLOON, ((5000, 5999),), 3, staff=1),
    OfficeSpec("DIN-1", "Dinant", R, "namur", "Rue Grande 80", "5500", "Dinant", 50.26060, 4.91220,
               WALLOON, ((5500, 5699),), 1),
    # Hainaut (6000–6599, 7000–7999)
    OfficeSpec("CRL-1", "Charleroi", R, "hainaut", "Boulevard Tirou 70", "6000", "Charleroi", 50.41080, 4.44460,
               WALLOON, ((6000, 6599),), 1, staff=1),
    OfficeSpec("MON-1", "Mons", R, "hainaut", "Rue d'Havré 48", "7000", "Mons", 50.45420, 3.95670,
               WALLOON, ((7000, 7999),), 2),
    OfficeSpec("TRN-1", "Tournai", R, "hainaut", "Rue Royale 33", "7500", "Tournai", 50.60560, 3.38800,
               WALLOON, ((7500, 7999),), 4),
    # Luxembourg (6600–6999); Neufchâteau was among the first seven offices.
    OfficeSpec("NEU-1", "Neufchâteau", R, "luxembourg", "Grand-Place 3", "6840", "Neufchâteau", 49.84110, 5.43530,
               WALLOON, ((6600, 6999),), 2),
    OfficeSpec("ARL-1", "Arlon", R, "luxembourg", "Grand-Rue 21", "6700", "Arlon", 49.68330, 5.81670,
               ("fr", "de", "en"), ((6700, 6799),), 3),
    OfficeSpec("MAR-1", "Marche-en-Famenne", R, "luxembourg", "Rue du Commerce 9", "6900", "Marche-en-Famenne", 50.22700, 5.34430,
               WALLOON, ((6900, 6999),), 1),
    # West Flanders (8000–8999)
    OfficeSpec("BRG-1", "Bruges", R, "west_flanders", "Langestraat 120", "8000", "Brugge", 51.20930, 3.22470,
               FLEMISH, ((8000, 8999),), 1, staff=1),
    OfficeSpec("OST-1", "Ostend", R, "west_flanders", "Torhoutsesteenweg 60", "8400", "Oostende", 51.21540, 2.92860,
               FLEMISH, ((8400, 8499), (8600, 8699)), 3),
    OfficeSpec("KRT-1", "Kortrijk", R, "west_flanders", "Doorniksestraat 52", "8500", "Kortrijk", 50.82790, 3.26490,
               ("nl", "fr", "en"), ((8500, 8599), (8700, 8799), (8900, 8999)), 2),
    # East Flanders (9000–9999)
    OfficeSpec("GNT-1", "Ghent", R, "east_flanders", "Dampoortstraat 39", "9000", "Gent", 51.05430, 3.71740,
               FLEMISH, ((9000, 9999),), 2, staff=2),
    OfficeSpec("AAL-1", "Aalst", R, "east_flanders", "Kerkstraat 11", "9300", "Aalst", 50.93780, 4.04030,
               FLEMISH, ((9300, 9499), (9500, 9599)), 4),
    OfficeSpec("SNK-1", "Sint-Niklaas", R, "east_flanders", "Stationsstraat 44", "9100", "Sint-Niklaas", 51.16500, 4.14370,
               FLEMISH, ((9100, 9199),), 1),
)

D = "return_desk"
RETURN_DESKS: tuple[OfficeSpec, ...] = (
    OfficeSpec("DESK-BXL", "Return desk Brussels", D, "brussels", "Rue des Chartreux 21", "1000", "Bruxelles", 50.84840, 4.34640,
               ("nl", "fr", "en", "ar")),
    OfficeSpec("DESK-GNT", "Return desk Ghent", D, "east_flanders", "Sint-Pietersnieuwstraat 12", "9000", "Gent", 51.04780, 3.72770,
               FLEMISH),
    OfficeSpec("DESK-LGE", "Return desk Liège", D, "liege", "Rue Paul Devaux 4", "4000", "Liège", 50.63800, 5.57300, WALLOON),
    OfficeSpec("DESK-ANT", "Return desk Antwerp", D, "antwerp", "Lange Kievitstraat 111", "2018", "Antwerpen", 51.21150, 4.42000,
               FLEMISH),
    OfficeSpec("DESK-CRL", "Return desk Charleroi", D, "hainaut", "Boulevard Joseph II 13", "6000", "Charleroi", 50.41270, 4.44170,
               WALLOON),
)

C, H, ORP = "closed_centre", "return_house", "open_return_place"
MEN, WOMEN, FAMILIES = "men_only", "women_only", "families_only"
FACILITIES: tuple[OfficeSpec, ...] = (
    # Closed centres, operational places March 2023.
    OfficeSpec("CC-127BIS", "Closed centre 127bis", C, "flemish_brabant", "Tervuursesteenweg 300", "1820", "Steenokkerzeel",
               50.90170, 4.49900, ("nl", "fr", "en"), capacity=120, restriction=MEN),
    OfficeSpec("CC-CARICOLE", "Caricole (border cases)", C, "flemish_brabant", "Tervuursesteenweg 302", "1820", "Steenokkerzeel",
               50.90120, 4.50020, ("nl", "fr", "en"), capacity=100),
    OfficeSpec("CC-BRUGES", "Closed centre Bruges", C, "west_flanders", "Legeweg 200", "8200", "Sint-Andries", 51.19340, 3.18370,
               ("nl", "fr", "en"), capacity=104),
    OfficeSpec("CC-MERKSPLAS", "Closed centre Merksplas", C, "antwerp", "Steenweg op Wortel 1A", "2330", "Merksplas", 51.37940,
               4.86040, ("nl", "fr", "en"), capacity=110, restriction=MEN),
    OfficeSpec("CC-VOTTEM", "Closed centre Vottem", C, "liege", "Rue Verte Voie 141", "4041", "Vottem", 50.67130, 5.58120,
               ("fr", "nl", "en"), capacity=77, restriction=MEN),
    OfficeSpec("CC-HOLSBEEK", "Closed centre Holsbeek", C, "flemish_brabant", "Gobbelsrode 2", "3220", "Holsbeek", 50.91560,
               4.76480, ("nl", "fr", "en"), capacity=28, restriction=WOMEN),
    # Return houses for families with minor children (capacity in units).
    OfficeSpec("RH-ZULTE", "Return houses Zulte", H, "east_flanders", "Staatsbaan 20", "9870", "Zulte", 50.91920, 3.44950,
               ("nl", "fr", "en"), capacity=6, restriction=FAMILIES),
    OfficeSpec("RH-TUBIZE", "Return houses Tubize", H, "walloon_brabant", "Rue de Mons 58", "1480", "Tubize", 50.69270, 4.20560,
               ("fr", "nl", "en"), capacity=5, restriction=FAMILIES),
    OfficeSpec("RH-SGW", "Return houses Sint-Gillis-Waas", H, "east_flanders", "Kerkstraat 30", "9170", "Sint-Gillis-Waas",
               51.21960, 4.12310, ("nl", "fr", "en"), capacity=7, restriction=FAMILIES),
    OfficeSpec("RH-TIELT", "Return houses Tielt", H, "west_flanders", "Ieperstraat 14", "8700", "Tielt", 50.99900, 3.32620,
               ("nl", "fr", "en"), capacity=3, restriction=FAMILIES),
    OfficeSpec("RH-BEAUVECHAIN", "Return houses Beauvechain", H, "walloon_brabant", "Place communale 1", "1320", "Beauvechain",
               50.78040, 4.77200, ("fr", "nl", "en"), capacity=6, restriction=FAMILIES),
    # Open return places: a stay of at most 30 days after leaving reception.
    OfficeSpec("ORP-HOLSBEEK", "Open return place Holsbeek", ORP, "flemish_brabant", "Dutselstraat 46", "3220", "Holsbeek", 50.92250,
               4.75230, ("nl", "fr", "en"), capacity=40),
    OfficeSpec("ORP-ARENDONK", "Open return place Arendonk", ORP, "antwerp", "Vrijheid 1", "2370", "Arendonk", 51.32130, 5.08420,
               ("nl", "fr", "en"), capacity=30),
)

ALL_OFFICES = REGIONAL_OFFICES + RETURN_DESKS + FACILITIES

# Consultation hours of counselling offices and return desks, Monday to Friday.
MORNING = ((9, 0), (12, 30))
AFTERNOON = ((13, 30), (17, 0))

# Counsellors' extra languages, given in turn to the staff of each office.
STAFF_LANGUAGE_SETS: tuple[tuple[str, ...], ...] = (
    ("ar",), ("ru", "ka"), ("ps", "fa"), ("es", "pt"), ("tr",), ("sq",), ("ti",), ("ur", "hi"),
)
STAFF_FIRST_NAMES = (
    "Sofie", "Pieter", "Nathalie", "Karim", "Els", "Julien", "Hanne", "Mehdi", "Lotte", "Aurélie", "Bram", "Inès",
    "Wouter", "Camille", "Yasmina", "Thomas", "Liesbeth", "Olivier", "Fien", "Maxime", "Annelies", "Samir", "Griet", "Hélène",
    "Jeroen", "Ayşe", "Dries", "Manon", "Koen", "Rachida", "Stijn", "Valérie", "Tine", "Jonas", "Ilse", "Mathilde",
)
STAFF_LAST_NAMES = (
    "Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens", "Wouters", "De Smet", "Dubois",
    "Lambert", "Dupont", "Martin", "Simon", "Laurent", "Lejeune", "Renard", "Vandenberghe", "Van Damme", "El Khattabi",
    "Hermans", "Michiels", "Leclercq", "Collard", "Desmet", "Verstraete", "Bosmans", "Charlier", "Denis",
)
