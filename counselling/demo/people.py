"""Plausible, clearly fictitious people: names, identity numbers, addresses.

Names are drawn at random from common given and family names of each nationality (some
written in their own script, as the person writes them), so any likeness to a real person is
chance. National register numbers are valid in format and checksum (python-stdnum) but are
invented; phone numbers are invented and e-mail addresses use the reserved ``.invalid`` domain.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from stdnum.be import bis, nn


@dataclass(frozen=True)
class Nationality:
    code: str
    weight: int
    languages: tuple[str, ...]
    male: tuple[str, ...]
    female: tuple[str, ...]
    family: tuple[str, ...]
    native: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]] | None = None  # male, female, family in own script


NATIONALITIES: tuple[Nationality, ...] = (
    Nationality("MA", 14, ("ar", "fr"), ("Youssef", "Mohamed", "Hamza", "Karim", "Anas", "Bilal"),
                ("Fatima Zahra", "Salma", "Imane", "Khadija", "Houda"), ("El Idrissi", "Benali", "Amrani", "Ouazzani", "Tahiri", "Bouzid"),
                (("يوسف", "حمزة"), ("سلمى", "إيمان"), ("الإدريسي", "بنعلي"))),
    Nationality("DZ", 8, ("ar", "fr"), ("Rachid", "Sofiane", "Amine", "Nassim"), ("Amel", "Lynda", "Nesrine"),
                ("Benaïssa", "Haddad", "Belkacem", "Chérif", "Mansouri")),
    Nationality("AF", 8, ("ps", "fa"), ("Ahmad Shah", "Mohammad Nabi", "Farid", "Wahid", "Zabihullah"), ("Mariam", "Zarghona", "Parwana"),
                ("Ahmadzai", "Noori", "Popal", "Rahimi", "Safi"), (("احمد شاه", "فرید"), ("مریم", "زرغونه"), ("احمدزی", "نوری"))),
    Nationality("ER", 6, ("ti", "en"), ("Yonas", "Mehari", "Tesfay", "Filmon"), ("Helen", "Selam", "Senait"),
                ("Tesfamariam", "Gebremedhin", "Habte", "Kidane", "Berhane"), (("ዮናስ", "መሓሪ"), ("ሰላም", "ሰናይት"), ("ተስፋማርያም", "ኪዳነ"))),
    Nationality("GE", 8, ("ka", "ru"), ("Giorgi", "Levan", "Davit", "Irakli"), ("Nino", "Tamar", "Mariam"),
                ("Beridze", "Kapanadze", "Gelashvili", "Lomidze", "Tsiklauri"), (("გიორგი", "ლევანი"), ("ნინო", "თამარი"), ("ბერიძე", "კაპანაძე"))),
    Nationality("AL", 6, ("sq", "en"), ("Arben", "Ermal", "Dritan", "Ëndri"), ("Elira", "Blerta", "Anjeza"),
                ("Hoxha", "Shehu", "Çela", "Dervishi", "Kelmendi")),
    Nationality("TR", 4, ("tr",), ("Mehmet", "Emre", "Burak", "Ahmet"), ("Ayşe", "Elif", "Zeynep"), ("Yılmaz", "Şahin", "Doğan", "Öztürk", "Çelik")),
    Nationality("BR", 5, ("pt",), ("João Pedro", "Lucas", "Thiago"), ("Ana Clara", "Beatriz", "Luíza"), ("Souza", "Araújo", "Conceição", "Gonçalves")),
    Nationality("CD", 6, ("fr", "ln"), ("Patrick", "Jean-Pierre", "Fiston", "Christian"), ("Grâce", "Merveille", "Nadège"),
                ("Mukendi", "Kabongo", "Ilunga", "Tshibangu", "Mbuyi")),
    Nationality("CM", 4, ("fr", "en"), ("Serge", "Joël", "Brice"), ("Chantal", "Estelle"), ("Nkoulou", "Mbarga", "Fotso", "Tchoupo")),
    Nationality("GN", 7, ("fr",), ("Mamadou", "Alpha", "Ibrahima", "Ousmane"), ("Mariama", "Kadiatou", "Aïssatou"),
                ("Diallo", "Barry", "Bah", "Camara", "Sow")),
    Nationality("SN", 4, ("fr", "wo"), ("Cheikh", "Moussa", "Abdoulaye"), ("Fatou", "Awa", "Ndèye"), ("Ndiaye", "Diop", "Fall", "Sarr", "Faye")),
    Nationality("IQ", 5, ("ar", "ku"), ("Ali", "Hussein", "Mustafa"), ("Zainab", "Noor"), ("Al-Jaburi", "Hassan", "Kadhim", "Al-Obaidi"),
                (("علي", "حسين"), ("زينب", "نور"), ("الجبوري", "كاظم"))),
    Nationality("RU", 3, ("ru",), ("Dmitri", "Sergei", "Ramzan"), ("Olga", "Madina"), ("Ivanov", "Kuznetsov", "Dudayev", "Petrov"),
                (("Дмитрий", "Сергей"), ("Ольга", "Мадина"), ("Иванов", "Кузнецов"))),
    Nationality("IN", 4, ("hi", "pa", "en"), ("Rahul", "Arjun", "Harpreet"), ("Priya", "Simran"), ("Singh", "Kaur", "Sharma", "Patel")),
    Nationality("VN", 3, ("vi",), ("Văn Hùng", "Minh Tuấn", "Đức Anh"), ("Thị Lan", "Thu Hà"), ("Nguyễn", "Trần", "Lê", "Phạm")),
    Nationality("MN", 2, ("mn", "ru"), ("Bat-Erdene", "Ganbold"), ("Oyunchimeg", "Sarangerel"), ("Dorj", "Bold", "Tömör"),
                (("Бат-Эрдэнэ", "Ганболд"), ("Оюунчимэг", "Сарангэрэл"), ("Дорж", "Болд"))),
    Nationality("SO", 3, ("so", "ar"), ("Abdirahman", "Mohamed Ali"), ("Hodan", "Fadumo"), ("Warsame", "Farah", "Abdi", "Jama")),
    Nationality("PK", 3, ("ur", "en"), ("Usman", "Bilal", "Imran"), ("Ayesha", "Sana"), ("Khan", "Qureshi", "Malik", "Butt")),
    Nationality("TN", 4, ("ar", "fr"), ("Hichem", "Walid", "Aymen"), ("Sonia", "Rim"), ("Ben Salah", "Trabelsi", "Jebali", "Gharbi")),
    Nationality("CO", 3, ("es",), ("Juan Camilo", "Andrés"), ("Valentina", "Daniela"), ("Rodríguez", "Gómez", "Muñoz", "Peña")),
)

# (weight, [(postcode, municipality, (streets...)), ...]) per region of residence.
ADDRESSES: tuple[tuple[int, tuple[tuple[str, str, tuple[str, ...]], ...]], ...] = (
    (35, (("1000", "Bruxelles", ("Rue Haute", "Rue des Tanneurs", "Rue Blaes")),
          ("1030", "Schaerbeek", ("Rue Josaphat", "Chaussée de Haecht", "Rue Royale Sainte-Marie")),
          ("1060", "Saint-Gilles", ("Chaussée de Waterloo", "Rue de Mérode")),
          ("1070", "Anderlecht", ("Rue Wayez", "Chaussée de Mons", "Rue de Fiennes")),
          ("1080", "Molenbeek-Saint-Jean", ("Chaussée de Gand", "Rue de Ribaucourt", "Boulevard Léopold II")),
          ("1210", "Saint-Josse-ten-Noode", ("Rue de Brabant", "Chaussée de Louvain")),
          ("1190", "Forest", ("Avenue Van Volxem",)),
          ("1140", "Evere", ("Rue de Paris",)),
          ("1020", "Laeken", ("Rue Marie-Christine",)))),
    (14, (("2060", "Antwerpen", ("Handelstraat", "Diepestraat", "Kerkstraat")),
          ("2140", "Borgerhout", ("Turnhoutsebaan", "Kroonstraat")),
          ("2100", "Deurne", ("Herentalsebaan",)),
          ("2800", "Mechelen", ("Hanswijkstraat", "Leopoldstraat")),
          ("2300", "Turnhout", ("Gasthuisstraat",)),
          ("2500", "Lier", ("Antwerpsestraat",)))),
    (10, (("9000", "Gent", ("Sleepstraat", "Dampoortstraat", "Wondelgemstraat")),
          ("9040", "Sint-Amandsberg", ("Antwerpsesteenweg",)),
          ("9100", "Sint-Niklaas", ("Stationsstraat",)),
          ("9300", "Aalst", ("Kerkstraat", "Gentsesteenweg")))),
    (10, (("4000", "Liège", ("Rue Saint-Léonard", "Rue Féronstrée")),
          ("4020", "Liège", ("Rue Puits-en-Sock",)),
          ("4100", "Seraing", ("Rue Cockerill",)),
          ("4800", "Verviers", ("Rue de Dison",)),
          ("4700", "Eupen", ("Aachener Straße", "Bergstraße")))),
    (8, (("6000", "Charleroi", ("Rue de Marcinelle", "Rue de Montigny")),
         ("6040", "Jumet", ("Chaussée de Bruxelles",)),
         ("7000", "Mons", ("Rue d'Havré",)),
         ("7100", "La Louvière", ("Rue Albert Ier",)),
         ("7500", "Tournai", ("Rue Royale",)))),
    (4, (("5000", "Namur", ("Rue de Fer", "Chaussée de Louvain")), ("5500", "Dinant", ("Rue Grande",)),
         ("5060", "Sambreville", ("Rue de la Station",)))),
    (4, (("3500", "Hasselt", ("Kuringersteenweg",)), ("3600", "Genk", ("Molenstraat", "Vennestraat")),
         ("3800", "Sint-Truiden", ("Tiensesteenweg",)))),
    (5, (("8000", "Brugge", ("Langestraat",)), ("8400", "Oostende", ("Torhoutsesteenweg",)),
         ("8500", "Kortrijk", ("Doorniksestraat",)), ("8900", "Ieper", ("Dikkebusseweg",)))),
    (4, (("3000", "Leuven", ("Diestsestraat",)), ("1800", "Vilvoorde", ("Leuvensestraat",)), ("1500", "Halle", ("Ninoofsesteenweg",)))),
    (3, (("1300", "Wavre", ("Rue du Pont du Christ",)), ("1400", "Nivelles", ("Rue de Namur",)), ("1480", "Tubize", ("Rue de Mons",)))),
    (3, (("6700", "Arlon", ("Grand-Rue",)), ("6840", "Neufchâteau", ("Avenue de la Gare",)),
         ("6900", "Marche-en-Famenne", ("Rue du Commerce",)))),
)


def pick_nationality(rng: random.Random) -> Nationality:
    return rng.choices(NATIONALITIES, weights=[n.weight for n in NATIONALITIES])[0]


def pick_name(rng: random.Random, nationality: Nationality, sex: str) -> tuple[str, str]:
    """(family name, given names); now and then written in the person's own script."""
    if nationality.native and rng.random() < 0.25:
        male, female, family = nationality.native
    else:
        male, female, family = nationality.male, nationality.female, nationality.family
    given = rng.choice(male if sex == "M" else female)
    return rng.choice(family), given


def pick_address(rng: random.Random) -> tuple[str, str, str]:
    """(street, postcode, municipality)."""
    region = rng.choices(ADDRESSES, weights=[w for w, _ in ADDRESSES])[0][1]
    postcode, municipality, streets = rng.choice(region)
    return f"{rng.choice(streets)} {rng.randint(1, 180)}", postcode, municipality


def identity_number(rng: random.Random, *, birth_date: dt.date, sex: str, bis_number: bool, taken: set[str]) -> str:
    """An invented national register (or bis) number whose birth date and checksum are valid.

    Serial numbers are odd for men and even for women; a bis number adds 40 to the month when
    the sex is known. Checksum: 97 − (number mod 97), with a leading 2 for births from 2000.
    """
    for _attempt in range(1000):
        serial = rng.randrange(1, 998)
        if (serial % 2 == 1) != (sex == "M"):
            serial += 1 if serial < 997 else -1
        month = birth_date.month + (40 if bis_number else 0)
        base = f"{birth_date:%y}{month:02d}{birth_date:%d}{serial:03d}"
        check = 97 - (int(("2" if birth_date.year >= 2000 else "") + base) % 97)
        number = f"{base}{check:02d}"
        if number in taken:
            continue
        (bis if bis_number else nn).validate(number)
        taken.add(number)
        return number
    raise RuntimeError("no free identity number")


def birth_date_for_age(rng: random.Random, *, on: dt.date, low: int, high: int) -> dt.date:
    """A birth date making the person ``low`` to ``high`` years old on ``on``."""
    latest = on.replace(year=on.year - low) if not (on.month == 2 and on.day == 29) else on.replace(year=on.year - low, day=28)
    span = (high - low) * 365 + 300
    return latest - dt.timedelta(days=rng.randint(0, span))


def phone_number(rng: random.Random) -> str:
    # Belgian mobile format, invented (+32 470 00 xx xx); reminders in the demo go to the logging SMS backend.
    return f"+32 470 00 {rng.randint(10, 99)} {rng.randint(10, 99)}"


def email_for(index: int) -> str:
    return f"person{index:04d}@example.invalid"
