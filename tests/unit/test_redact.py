"""Quote redaction: emails, phones and names go, prices, dates, order numbers, brands and words stay."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.reports.redact import EMAIL, NAME, PHONE, redact

# (language, text, what must be gone)
EMAILS = [
    ("en", "Write to john.smith+shop@gmail.com for a refund", "john.smith+shop@gmail.com"),
    ("es", "mi correo es maria_lopez@empresa.es, escribidme", "maria_lopez@empresa.es"),
    ("pt", "mande para joao.silva@uol.com.br por favor", "joao.silva@uol.com.br"),
    ("en", "email me at john at gmail dot com", "john at gmail dot com"),
    ("es", "escribe a juan arroba hotmail punto com", "juan arroba hotmail punto com"),
    ("pt", "contato: ana [at] loja [dot] com [dot] br", "ana [at] loja [dot] com [dot] br"),
]
PHONES = [
    ("en", "Call me at +44 20 7946 0958 any time", "+44 20 7946 0958"),
    ("en", "their line (555) 123-4567 never answers", "(555) 123-4567"),
    ("en", "I called 555-123-4567 three times", "555-123-4567"),
    ("en", "toll free 1-800-123-4567", "1-800-123-4567"),
    ("es", "llámame al 612 34 56 78 si quieres", "612 34 56 78"),
    ("es", "o al +34 612345678 por la tarde", "+34 612345678"),
    ("es", "mi móvil 612345678, gracias", "612345678"),
    ("es", "teléfono 912 345 678 de la tienda", "912 345 678"),
    ("pt", "meu whatsapp (11) 98765-4321 para dúvidas", "(11) 98765-4321"),
    ("pt", "liguem 11 98765-4321 depois das 18h", "11 98765-4321"),
    ("pt", "o telefone da loja é (21) 3456-7890", "(21) 3456-7890"),
    ("pt", "ligue 3456-7890", "3456-7890"),
]
NAMES = [
    ("en", "My name is Will and I bought two", "Will"),
    ("en", "Thanks, Jessica! Great help", "Jessica"),
    ("en", "Ask for Mr. Smith at the desk", "Smith"),
    ("en", "I spoke to Jessica at customer service", "Jessica"),
    ("en", "Jake Gyllenhaal is great in it", "Gyllenhaal"),
    ("es", "Me llamo María José García y el producto es bueno", "García"),
    ("es", "nos atendió la Sra. López muy amable", "López"),
    ("es", "Pregunta por Carmen en la tienda", "Carmen"),
    ("es", "Gracias Alejandro por todo", "Alejandro"),
    ("pt", "Meu nome é João da Silva e comprei dois", "Silva"),
    ("pt", "Atendido por Ana, muito educada", "Ana"),
    ("pt", "Dona Maria sempre ajuda", "Maria"),
    ("pt", "o Thiago Brunet escreve bem", "Brunet"),
]
# must survive untouched
KEEP = [
    ("en", "order #123456 arrived late"),
    ("en", "order #555-123-4567 was refunded"),
    ("en", "2 x 500 ml for $12.99 on 12/05/2024, 65W charger, 3.5 stars"),
    ("en", "Tracking number 1Z999AA10123456784, ISBN 978-3-16-148410-0"),
    ("en", "Great product from Amazon. April was when I ordered it. Paris is lovely."),
    ("en", "Alexa works with the Echo Dot and my Apple Watch"),
    ("en", "I will buy again. May arrive late. Love it. Rose Gold finish, Bill me later."),
    ("en", "Thanks Amazon! Look at amazon dot com for details"),
    ("en", "CALL JOHN NOW"),
    ("en", "Earl Grey tea, Pandora beads and Brooks shoes"),
    ("es", "pedido 612345678 llegó tarde"),
    ("es", "Me costó 1.234,56 € y pesa 600 300 200 gramos"),
    ("es", "Llegó el 12.05.2024 a las 10:30, tallas 42 44 46 48"),
    ("es", "Linda caja, buena calidad. Con todo, Una maravilla."),
    ("es", "Hoy en Madrid, San José y Santiago hace frío"),
    ("pt", "R$ 129,90 em 3x de R$ 43,30, CEP 01310-100"),
    ("pt", "comprei em 2019-2020, modelo 1234-5678"),
    ("pt", "Linda cor, muito bonita. Seu produto chegou rápido."),
    ("pt", "Nota fiscal 3456-7890 e pedido 98765-4321"),
]


@pytest.mark.parametrize(("language", "text", "gone"), EMAILS)
def test_emails_are_redacted(language: str, text: str, gone: str) -> None:
    out = redact(text, language)
    assert gone not in out and EMAIL in out


@pytest.mark.parametrize(("language", "text", "gone"), PHONES)
def test_phone_numbers_are_redacted(language: str, text: str, gone: str) -> None:
    out = redact(text, language)
    assert gone not in out and PHONE in out and sum(c.isdigit() for c in out) < 4


@pytest.mark.parametrize(("language", "text", "gone"), NAMES)
def test_names_are_redacted(language: str, text: str, gone: str) -> None:
    out = redact(text, language)
    assert gone not in out and NAME in out


@pytest.mark.parametrize(("language", "text"), KEEP)
def test_prices_dates_orders_brands_and_words_survive(language: str, text: str) -> None:
    assert redact(text, language) == text


def test_whole_name_goes_in_one_token_with_its_title() -> None:
    assert redact("Me llamo María José García y ya", "es") == "Me llamo [name] y ya"
    assert redact("Ask for Mr. Smith or Mrs. Brown.", "en") == "Ask for [name] or [name]."
    assert redact("Meu nome é João da Silva.", "pt") == "Meu nome é [name]."


def test_language_gates_the_ambiguous_national_formats() -> None:
    assert redact("número 612345678 ok", "es") == "número [phone] ok"
    assert redact("número 612345678 ok", "en") == "número 612345678 ok"
    assert redact("ligue 3456-7890", None) == "ligue [phone]"  # said "call": a phone in any language
    assert redact("ver 3456-7890", "pt") == "ver [phone]"
    assert redact("ver 3456-7890", "es") == "ver 3456-7890"


def test_missing_language_and_empty_text() -> None:
    assert redact("", None) == ""
    assert redact("Thanks, Jessica", float("nan")) == "Thanks, [name]"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text", [t for _, t, _ in EMAILS + PHONES + NAMES] + [t for _, t in KEEP], ids=range(50)
)
def test_redacting_twice_is_redacting_once(text: str) -> None:
    for language in ("en", "es", "pt", None):
        once = redact(text, language)
        assert redact(once, language) == once


_VOCABULARY = (
    "Maria John Smith Mr. Sra. Dona da my name is thanks, ask for +44 (11) 555- 123 4567 98765-4321 "
    "612 34 56 78 @ at gmail dot com [at] . , # order 2024 R$ Amazon Will May"
)
_PIECES = st.sampled_from(_VOCABULARY.split(" "))


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=14), st.sampled_from(["en", "es", "pt", None]))
def test_redaction_is_idempotent_on_generated_text(pieces: list[str], language: str | None) -> None:
    text = " ".join(pieces)
    once = redact(text, language)
    assert redact(once, language) == once
