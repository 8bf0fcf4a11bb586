"""Seeded demo exports: nights of en/es/pt product reviews and seller feedback, with planted patterns.

``generate_demo`` writes, for each night, the files a marketplace or shop would drop in the landing zone::

    <landing>/reviews/generic_csv/<night>/reviews.csv
    <landing>/reviews/generic_jsonl/<night>/reviews.jsonl
    <landing>/reviews/generic_parquet/<night>/reviews.parquet
    <landing>/reviews/judgeme/<night>/judgeme_reviews.csv
    <landing>/seller_feedback/amazon_seller_central/<night>/<seller_id>.txt
    <landing>/seller_feedback/generic_csv/<night>/feedback.csv

and a JSON truth file listing what it planted: a delivery complaint spike for one seller, a fake-review
ring, mixed-sentiment products, an edited review, malformed records and tricky-but-valid texts.
The same seed and arguments always give byte-identical files: no wall-clock time, fixed ordering.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
import string
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["DemoManifest", "generate_demo"]

LANGUAGES = ("en", "es", "pt")
REVIEW_SOURCES = ("generic_csv", "generic_jsonl", "generic_parquet", "judgeme")
GENERIC_REVIEW_SOURCES = ("generic_csv", "generic_jsonl", "generic_parquet")
FEEDBACK_SOURCES = ("amazon_seller_central", "generic_csv")
CHANNELS = ("web", "app", "marketplace", "shopify")
AMAZON = "amazon_seller_central"
SPIKE_SELLER = "seller-03"
BACKFILL_DAYS = 42
SPIKE_NIGHTS = 5

_LANGUAGE_WEIGHTS = (0.45, 0.30, 0.25)
_CHANNEL_WEIGHTS = (0.35, 0.25, 0.25, 0.15)
_REVIEW_SOURCE_WEIGHTS = (0.30, 0.25, 0.25, 0.20)
_FEEDBACK_SOURCE_WEIGHTS = (0.55, 0.45)
_SELLER_IDS = tuple(f"seller-{i:02d}" for i in range(1, 9))
_WEEKDAY_FACTOR = (1.0, 0.95, 0.95, 1.0, 1.1, 1.3, 1.25)
_UNDECODABLE = "@@UNDECODABLE@@"
_UNDECODABLE_BYTES = b"\xff\xfe"

GENERIC_REVIEW_COLUMNS = (
    "review_id",
    "product_id",
    "reviewer_id",
    "rating",
    "title",
    "text",
    "review_date",
    "language",
    "channel",
    "verified_purchase",
    "seller_id",
    "product_title",
    "category",
    "helpful_votes",
)
JUDGEME_COLUMNS = (
    "title",
    "body",
    "rating",
    "review_date",
    "source",
    "curated",
    "reviewer_name",
    "reviewer_email",
    "product_id",
    "product_handle",
    "reply",
    "reply_date",
    "picture_urls",
    "ip_address",
    "location",
)
AMAZON_COLUMNS = (
    "Date",
    "Rating",
    "Comments",
    "Your Response",
    "Order ID",
    "Rater Email",
    "Arrived on time",
    "Item as described",
    "Customer service",
)
GENERIC_FEEDBACK_COLUMNS = (
    "feedback_id",
    "seller_id",
    "order_id",
    "reviewer_id",
    "rating",
    "comment",
    "feedback_date",
    "channel",
    "language",
    "arrived_on_time",
    "item_as_described",
    "service_ok",
)
_PARQUET_SCHEMA = pa.schema(
    [(c, pa.int64() if c in ("rating", "helpful_votes") else pa.string()) for c in GENERIC_REVIEW_COLUMNS]
).set(GENERIC_REVIEW_COLUMNS.index("verified_purchase"), pa.field("verified_purchase", pa.bool_()))

_FILE_NAMES = {
    ("reviews", "generic_csv"): "reviews.csv",
    ("reviews", "generic_jsonl"): "reviews.jsonl",
    ("reviews", "generic_parquet"): "reviews.parquet",
    ("reviews", "judgeme"): "judgeme_reviews.csv",
    ("seller_feedback", "generic_csv"): "feedback.csv",
}
# Which column holds the id, text, rating and date in each (kind, source).
_FIELDS = {
    ("reviews", "generic_csv"): ("review_id", "text", "rating", "review_date"),
    ("reviews", "generic_jsonl"): ("review_id", "text", "rating", "review_date"),
    ("reviews", "generic_parquet"): ("review_id", "text", "rating", "review_date"),
    ("reviews", "judgeme"): ("", "body", "rating", "review_date"),
    ("seller_feedback", AMAZON): ("Order ID", "Comments", "Rating", "Date"),
    ("seller_feedback", "generic_csv"): ("feedback_id", "comment", "rating", "feedback_date"),
}
_BAD_RATINGS: dict[str, tuple[Any, ...]] = {
    "generic_csv": ("five", "7", "0", "10"),
    "generic_jsonl": (7, "five", 0, 11),
    "generic_parquet": (0, 7, 9),
    "judgeme": ("0", "five", "7"),
    AMAZON: ("0", "6", "five"),
}
_BAD_DATES = {
    "iso": ("not a date", "2026-13-45", "yesterday", "31/02/20xx"),
    "judgeme": ("2026-13-45 25:61:00 UTC", "sometime last week", "32/13/2026 10:00"),
    AMAZON: ("13/45/26", "unknown", "00/00/00"),
}
# (kind, source, reason): shuffled, then dealt round-robin over the malformed nights (odd-numbered nights).
_MALFORMED_PLAN = (
    ("reviews", "generic_csv", "bad_rating"),
    ("reviews", "generic_jsonl", "broken_json"),
    ("reviews", "generic_parquet", "missing_id"),
    ("reviews", "judgeme", "empty_text"),
    ("seller_feedback", AMAZON, "bad_date"),
    ("seller_feedback", "generic_csv", "duplicate_id"),
    ("reviews", "generic_csv", "undecodable"),
    ("reviews", "generic_jsonl", "bad_rating"),
    ("reviews", "generic_parquet", "bad_date"),
    ("reviews", "judgeme", "bad_rating"),
    ("seller_feedback", AMAZON, "undecodable"),
    ("seller_feedback", "generic_csv", "bad_date"),
    ("reviews", "generic_csv", "duplicate_id"),
    ("reviews", "generic_jsonl", "missing_id"),
    ("reviews", "generic_parquet", "empty_text"),
    ("reviews", "judgeme", "bad_date"),
    ("seller_feedback", AMAZON, "bad_rating"),
    ("seller_feedback", "generic_csv", "missing_id"),
    ("reviews", "generic_csv", "empty_text"),
    ("reviews", "generic_jsonl", "duplicate_id"),
    ("reviews", "generic_parquet", "duplicate_id"),
    ("seller_feedback", "generic_csv", "bad_rating"),
    ("reviews", "generic_csv", "missing_id"),
    ("reviews", "generic_jsonl", "broken_json"),
    ("reviews", "judgeme", "undecodable"),
    ("seller_feedback", AMAZON, "missing_id"),
    ("seller_feedback", "generic_csv", "undecodable"),
)

# ---------------------------------------------------------------------------------------------------------
# Catalog
# ---------------------------------------------------------------------------------------------------------

# category -> (title, sized: whether size/fit is something buyers talk about)
_CATALOG: dict[str, tuple[tuple[str, bool], ...]] = {
    "electronics": (
        ("Wireless Noise-Cancelling Headphones", False),
        ("Bluetooth Portable Speaker", False),
        ("USB-C Fast Charger 65W", False),
        ("Smart Fitness Watch", False),
        ("4K Action Camera", False),
        ("Mechanical Keyboard", False),
        ("Wireless Ergonomic Mouse", False),
        ("10,000 mAh Power Bank", False),
    ),
    "home": (
        ("Stainless Steel Electric Kettle", False),
        ("Ceramic Non-Stick Frying Pan", False),
        ("Memory Foam Pillow", False),
        ("LED Desk Lamp", False),
        ("Cotton Bath Towel Set", False),
        ("Glass Food Storage Containers", False),
        ("Cordless Handheld Vacuum", False),
        ("Aromatherapy Diffuser", False),
    ),
    "fashion": (
        ("Men's Slim Fit Chino Pants", True),
        ("Women's Linen Summer Dress", True),
        ("Unisex Hooded Sweatshirt", True),
        ("Leather Ankle Boots", True),
        ("Classic Denim Jacket", True),
        ("Running Socks 6-Pack", True),
        ("Wool Knit Beanie", False),
        ("Canvas Low-Top Sneakers", True),
    ),
    "beauty": (
        ("Vitamin C Face Serum", False),
        ("Hydrating Face Moisturizer", False),
        ("Matte Liquid Lipstick", False),
        ("Argan Oil Shampoo", False),
        ("Mineral Sunscreen SPF 50", False),
        ("Volumizing Mascara", False),
        ("Electric Facial Cleansing Brush", False),
        ("Lavender Body Lotion", False),
    ),
    "sports": (
        ("Non-Slip Yoga Mat", False),
        ("Adjustable Dumbbell Set", False),
        ("Insulated Water Bottle 1L", False),
        ("Resistance Bands Set", False),
        ("Men's Trail Running Shoes", True),
        ("Women's Compression Leggings", True),
        ("Cycling Gloves", True),
        ("Foam Roller", False),
    ),
}
_WARRANTY_FACTOR = {"electronics": 1.0, "home": 0.7, "fashion": 0.0, "beauty": 0.15, "sports": 0.2}

_NAMES = {
    "en": (
        (
            "James",
            "Emily",
            "Michael",
            "Sarah",
            "David",
            "Jessica",
            "Daniel",
            "Ashley",
            "Chris",
            "Laura",
            "Kevin",
            "Megan",
            "Brian",
            "Rachel",
            "Ryan",
            "Olivia",
            "Jason",
            "Hannah",
            "Mark",
            "Chloe",
        ),
        (
            "Smith",
            "Johnson",
            "Carter",
            "Miller",
            "Davis",
            "Wilson",
            "Taylor",
            "Anderson",
            "Thomas",
            "Moore",
            "Clark",
            "Lewis",
            "Walker",
            "Hall",
            "Young",
            "King",
        ),
    ),
    "es": (
        (
            "María",
            "José",
            "Lucía",
            "Carlos",
            "Sofía",
            "Javier",
            "Carmen",
            "Alejandro",
            "Laura",
            "Miguel",
            "Elena",
            "Pablo",
            "Marta",
            "Diego",
            "Paula",
            "Sergio",
        ),
        (
            "García",
            "Fernández",
            "López",
            "Martínez",
            "Sánchez",
            "Pérez",
            "Gómez",
            "Díaz",
            "Ruiz",
            "Hernández",
            "Moreno",
            "Muñoz",
            "Romero",
            "Navarro",
        ),
    ),
    "pt": (
        (
            "Ana",
            "João",
            "Mariana",
            "Pedro",
            "Beatriz",
            "Lucas",
            "Juliana",
            "Gabriel",
            "Camila",
            "Rafael",
            "Fernanda",
            "Thiago",
            "Larissa",
            "Bruno",
            "Letícia",
            "Mateus",
        ),
        (
            "Souza",
            "Silva",
            "Santos",
            "Oliveira",
            "Pereira",
            "Lima",
            "Costa",
            "Ferreira",
            "Rodrigues",
            "Almeida",
            "Carvalho",
            "Gomes",
            "Ribeiro",
            "Martins",
        ),
    ),
}
_LOCATIONS = {
    "en": ("Austin, US", "Denver, US", "Leeds, GB", "Toronto, CA", "Chicago, US", "Manchester, GB"),
    "es": (
        "Madrid, ES",
        "Barcelona, ES",
        "Sevilla, ES",
        "Ciudad de México, MX",
        "Bogotá, CO",
        "Buenos Aires, AR",
    ),
    "pt": (
        "São Paulo, BR",
        "Rio de Janeiro, BR",
        "Belo Horizonte, BR",
        "Porto Alegre, BR",
        "Lisboa, PT",
        "Curitiba, BR",
    ),
}
_POOL_SIZES = {"en": 520, "es": 350, "pt": 290}
_RING_SIZE = 6
_IP_PREFIXES = ("192.0.2", "198.51.100", "203.0.113")

# ---------------------------------------------------------------------------------------------------------
# Text bank: per language, per touchpoint, (positive sentences, negative sentences)
# ---------------------------------------------------------------------------------------------------------

_Bank = dict[str, tuple[tuple[str, ...], tuple[str, ...]]]

_EN: _Bank = {
    "quality": (
        (
            "The quality is excellent, you can tell it's well made.",
            "Really solid product, much better than I expected for the price.",
            "Feels premium and does exactly what it should.",
            "I've used it every day for two weeks and it's still like new.",
            "Top quality, no complaints at all about the product itself.",
        ),
        (
            "The quality is poor, it started falling apart after a few days.",
            "Feels cheap and flimsy.",
            "Quality went downhill fast, it didn't even last a month.",
            "Very disappointing quality for a product in this price range.",
            "You can tell it's cheaply made.",
        ),
    ),
    "size_fit": (
        (
            "Fits true to size, I ordered my usual size and it's perfect.",
            "The fit is great and the size chart was accurate.",
            "Comfortable fit, not too tight and not too loose.",
            "Sizing is spot on, no need to exchange.",
        ),
        (
            "Runs really small, I had to order two sizes up.",
            "The size chart is way off, it's much bigger than stated.",
            "Terrible fit, too tight in some places and baggy in others.",
            "Way too narrow, I could barely get it on.",
        ),
    ),
    "delivery_speed": (
        (
            "Arrived in just {days} days, faster than promised.",
            "Super fast delivery, it was at my door the next morning.",
            "Shipping was quick and the tracking updates were accurate.",
            "Delivered earlier than the estimated date, great service.",
        ),
        (
            "Delivery took {days} days, way longer than the estimate.",
            "The package arrived more than a week late with no explanation.",
            "Tracking was stuck for days and the order showed up {days} days after the promised date.",
            "It finally arrived after {days} days, the delivery date kept getting pushed back.",
            "It took forever to arrive, I almost cancelled the order.",
        ),
    ),
    "shipping_cost": (
        (
            "Free shipping was a nice bonus.",
            "Shipping cost was reasonable.",
            "No hidden shipping fees, what you see is what you pay.",
        ),
        (
            "Shipping costs were ridiculous, almost as much as the item itself.",
            "They charged extra shipping at checkout that wasn't shown on the product page.",
            "Way too expensive to ship, I won't order again because of that.",
            "Paid for express shipping and it came with the standard service.",
        ),
    ),
    "packaging": (
        (
            "Carefully packaged, everything arrived in perfect condition.",
            "Nice packaging, it would make a great gift.",
            "Well protected box with plenty of padding.",
        ),
        (
            "The box was crushed and the item was damaged inside.",
            "Packaging was terrible, just a thin bag with no protection.",
            "Arrived with a dented box and a scratch on the front.",
            "The seal was broken when it arrived, it looked like it had been opened.",
        ),
    ),
    "wrong_item": (
        (
            "Received exactly the model and color I ordered.",
            "Everything in the order was correct, nothing missing.",
        ),
        (
            "I received the wrong item, a completely different model.",
            "Ordered the black one and got a pink one instead.",
            "Parts were missing from the box and the order was incomplete.",
            "They sent the wrong size even though my order was correct.",
        ),
    ),
    "returns_refunds": (
        (
            "The return was easy and the refund arrived in a few days.",
            "I exchanged it without any hassle, a free return label was included.",
            "The refund was processed quickly once they got the package back.",
        ),
        (
            "Returning it was a nightmare and I'm still waiting for my refund.",
            "They refused the return even though the item was defective.",
            "The refund took over a month and I had to call three times.",
            "I had to pay for the return shipping myself, not fair for a faulty product.",
        ),
    ),
    "customer_service": (
        (
            "Customer service answered within an hour and solved my question.",
            "The support team was friendly and really helpful.",
            "The seller replied quickly and was very polite.",
        ),
        (
            "Customer service never answered my emails.",
            "Support was rude and kept sending copy-paste answers.",
            "I contacted the seller twice and got no reply.",
            "The chat agent closed my ticket without solving anything.",
        ),
    ),
    "checkout_payment": (
        (
            "Checkout was quick and paying by card was easy.",
            "The payment went through without problems and I got the confirmation right away.",
            "Easy to order from the app, it took less than a minute.",
        ),
        (
            "I was charged twice at checkout and it took days to sort out.",
            "The payment page kept failing and I had to try three different cards.",
            "The discount code didn't work at checkout.",
            "The app crashed during payment and I wasn't sure if the order went through.",
        ),
    ),
    "product_info": (
        (
            "Exactly as described in the listing, the photos are accurate.",
            "The description and specs were accurate, no surprises.",
            "It looks just like the pictures.",
        ),
        (
            "The product doesn't match the description at all.",
            "The photos are misleading, the color is totally different in person.",
            "The listing says it's waterproof but it isn't.",
            "Several features listed on the page are simply not there.",
        ),
    ),
    "price_value": (
        (
            "Great value for money.",
            "For this price it's a bargain, I'd buy it again.",
            "Cheaper than in stores and just as good.",
            "Worth every penny.",
        ),
        (
            "Overpriced for what you get.",
            "Not worth the money, you can find better for half the price.",
            "Way too expensive for this quality.",
            "The price dropped right after I ordered, feels like a rip-off.",
        ),
    ),
    "warranty": (
        (
            "I had an issue after a few months and the warranty replacement was quick.",
            "Good after-sales support, they walked me through the setup.",
            "The warranty claim was handled in a week, very happy.",
        ),
        (
            "The warranty is useless, they keep asking for more photos and never replace it.",
            "It broke after three months and the manufacturer refuses to honor the warranty.",
            "No after-sales support at all, the phone number doesn't even work.",
            "They told me the warranty doesn't cover it, even though it broke by itself.",
        ),
    ),
}
_ES: _Bank = {
    "quality": (
        (
            "La calidad es excelente, se nota que está muy bien hecho.",
            "Muy buen producto, mucho mejor de lo que esperaba por el precio.",
            "Se siente de calidad y hace exactamente lo que tiene que hacer.",
            "Lo uso todos los días desde hace dos semanas y sigue como nuevo.",
            "Calidad de 10, ninguna queja sobre el producto en sí.",
        ),
        (
            "La calidad es malísima, se empezó a estropear a los pocos días.",
            "Se siente barato y endeble.",
            "La calidad deja mucho que desear, no duró ni un mes.",
            "Calidad muy decepcionante para un producto de este precio.",
            "Se nota que está hecho con materiales baratos.",
        ),
    ),
    "size_fit": (
        (
            "La talla es la correcta, pedí mi talla de siempre y me queda perfecto.",
            "Queda muy bien y la guía de tallas es precisa.",
            "Muy cómodo, ni muy apretado ni muy suelto.",
            "La talla es exacta, no tuve que cambiarlo.",
        ),
        (
            "Viene muy pequeño, tuve que pedir dos tallas más.",
            "La guía de tallas no tiene nada que ver, es mucho más grande de lo indicado.",
            "Queda fatal, aprieta por un lado y sobra tela por otro.",
            "Es demasiado estrecho, casi no me entra.",
        ),
    ),
    "delivery_speed": (
        (
            "Llegó en solo {days} días, antes de lo prometido.",
            "Envío rapidísimo, lo tenía en casa al día siguiente.",
            "El envío fue rápido y el seguimiento siempre estuvo actualizado.",
            "Llegó antes de la fecha estimada, genial.",
        ),
        (
            "La entrega tardó {days} días, mucho más de lo indicado.",
            "El paquete llegó con más de una semana de retraso y sin ninguna explicación.",
            "El seguimiento estuvo parado varios días y el pedido llegó {days} días después de lo prometido.",
            "Llegó por fin a los {days} días, la fecha de entrega no paraba de cambiar.",
            "Tardó una eternidad en llegar, casi cancelo el pedido.",
        ),
    ),
    "shipping_cost": (
        (
            "El envío gratis fue un buen detalle.",
            "El coste del envío fue razonable.",
            "Sin gastos ocultos, pagas lo que ves.",
        ),
        (
            "Los gastos de envío son un abuso, casi lo mismo que el producto.",
            "Me cobraron un envío extra al pagar que no aparecía en la ficha.",
            "El envío es carísimo, no volveré a pedir por eso.",
            "Pagué envío urgente y llegó por el servicio normal.",
        ),
    ),
    "packaging": (
        (
            "Muy bien embalado, todo llegó en perfecto estado.",
            "Presentación muy bonita, ideal para regalar.",
            "Caja bien protegida y con mucho relleno.",
        ),
        (
            "La caja llegó aplastada y el producto venía dañado.",
            "El embalaje era pésimo, solo una bolsa fina sin protección.",
            "Llegó con la caja abollada y un arañazo en el frente.",
            "El precinto estaba roto, parecía que lo habían abierto.",
        ),
    ),
    "wrong_item": (
        ("Recibí exactamente el modelo y el color que pedí.", "El pedido llegó completo y correcto."),
        (
            "Me enviaron un artículo equivocado, un modelo totalmente distinto.",
            "Pedí el negro y me llegó uno rosa.",
            "Faltaban piezas en la caja, el pedido llegó incompleto.",
            "Me mandaron otra talla aunque mi pedido estaba bien.",
        ),
    ),
    "returns_refunds": (
        (
            "La devolución fue sencilla y el reembolso llegó en pocos días.",
            "Lo cambié sin problema, incluían la etiqueta de devolución gratis.",
            "Me devolvieron el dinero rápido en cuanto recibieron el paquete.",
        ),
        (
            "Devolverlo fue una pesadilla y sigo esperando el reembolso.",
            "No aceptaron la devolución aunque el producto venía defectuoso.",
            "El reembolso tardó más de un mes y tuve que llamar tres veces.",
            "Tuve que pagar yo el envío de la devolución, no es justo con un producto defectuoso.",
        ),
    ),
    "customer_service": (
        (
            "Atención al cliente me respondió en menos de una hora y me resolvió la duda.",
            "El equipo de soporte fue muy amable y de gran ayuda.",
            "El vendedor contestó rápido y fue muy educado.",
        ),
        (
            "Atención al cliente nunca respondió a mis correos.",
            "El soporte fue maleducado y solo mandaban respuestas automáticas.",
            "Contacté dos veces con el vendedor y no obtuve respuesta.",
            "En el chat cerraron mi incidencia sin solucionar nada.",
        ),
    ),
    "checkout_payment": (
        (
            "El proceso de compra fue rápido y pagar con tarjeta muy fácil.",
            "El pago se hizo sin problemas y recibí la confirmación al momento.",
            "Muy fácil comprar desde la app, en menos de un minuto.",
        ),
        (
            "Me cobraron dos veces al pagar y tardaron días en solucionarlo.",
            "La página de pago fallaba una y otra vez, probé con tres tarjetas.",
            "El código de descuento no funcionó al pagar.",
            "La app se cerró durante el pago y no sabía si el pedido se había hecho.",
        ),
    ),
    "product_info": (
        (
            "Tal cual lo describen en el anuncio, las fotos son fieles.",
            "La descripción y las especificaciones son correctas, sin sorpresas.",
            "Es igual que en las fotos.",
        ),
        (
            "El producto no coincide para nada con la descripción.",
            "Las fotos engañan, el color es totalmente distinto en persona.",
            "El anuncio dice que es resistente al agua y no lo es.",
            "Varias de las características del anuncio simplemente no existen.",
        ),
    ),
    "price_value": (
        (
            "Muy buena relación calidad-precio.",
            "Por este precio es una ganga, lo volvería a comprar.",
            "Más barato que en tienda e igual de bueno.",
            "Vale cada euro que cuesta.",
        ),
        (
            "Demasiado caro para lo que es.",
            "No vale lo que cuesta, hay mejores por la mitad de precio.",
            "Carísimo para esta calidad.",
            "Bajaron el precio justo después de mi pedido, parece una tomadura de pelo.",
        ),
    ),
    "warranty": (
        (
            "Tuve un problema a los pocos meses y la garantía me lo cambió enseguida.",
            "Buen servicio posventa, me ayudaron con la instalación.",
            "Tramitaron la garantía en una semana, muy contento.",
        ),
        (
            "La garantía no sirve para nada, piden fotos y más fotos y nunca lo cambian.",
            "Se rompió a los tres meses y el fabricante no quiere cubrir la garantía.",
            "Cero servicio posventa, el teléfono ni siquiera funciona.",
            "Me dicen que la garantía no lo cubre, aunque se rompió solo.",
        ),
    ),
}
_PT: _Bank = {
    "quality": (
        (
            "A qualidade é excelente, dá pra ver que é muito bem feito.",
            "Produto muito bom, bem melhor do que eu esperava pelo preço.",
            "Parece de primeira linha e faz exatamente o que promete.",
            "Uso todos os dias há duas semanas e continua novinho.",
            "Qualidade nota 10, nenhuma reclamação sobre o produto em si.",
        ),
        (
            "A qualidade é péssima, começou a estragar em poucos dias.",
            "Parece barato e frágil.",
            "A qualidade deixa muito a desejar, não durou nem um mês.",
            "Qualidade muito decepcionante pra um produto dessa faixa de preço.",
            "Dá pra ver que é feito com material barato.",
        ),
    ),
    "size_fit": (
        (
            "O tamanho é certinho, pedi o de sempre e ficou perfeito.",
            "Veste muito bem e a tabela de medidas é precisa.",
            "Muito confortável, nem apertado nem largo.",
            "Tamanho exato, não precisei trocar.",
        ),
        (
            "Veio muito pequeno, tive que pedir dois números acima.",
            "A tabela de medidas não bate, é bem maior do que o indicado.",
            "Ficou horrível, aperta em uns lugares e sobra em outros.",
            "É estreito demais, mal consegui colocar.",
        ),
    ),
    "delivery_speed": (
        (
            "Chegou em apenas {days} dias, antes do prazo.",
            "Entrega super rápida, chegou no dia seguinte.",
            "O envio foi rápido e o rastreamento sempre atualizado.",
            "Chegou antes da data prevista, ótimo.",
        ),
        (
            "A entrega demorou {days} dias, muito além do prazo.",
            "O pacote chegou com mais de uma semana de atraso e sem nenhuma explicação.",
            "O rastreio ficou parado vários dias e o pedido chegou {days} dias depois do prometido.",
            "Chegou finalmente depois de {days} dias, a data de entrega não parava de mudar.",
            "Demorou uma eternidade pra chegar, quase cancelei o pedido.",
        ),
    ),
    "shipping_cost": (
        (
            "O frete grátis foi um ótimo bônus.",
            "O valor do frete foi justo.",
            "Sem taxas escondidas, você paga o que vê.",
        ),
        (
            "O frete é um absurdo, quase o preço do produto.",
            "Cobraram um frete extra no pagamento que não aparecia no anúncio.",
            "Frete caríssimo, não compro mais por causa disso.",
            "Paguei frete expresso e veio pelo envio normal.",
        ),
    ),
    "packaging": (
        (
            "Muito bem embalado, tudo chegou em perfeito estado.",
            "Embalagem linda, ótima pra presente.",
            "Caixa bem protegida e com bastante plástico bolha.",
        ),
        (
            "A caixa chegou amassada e o produto veio danificado.",
            "A embalagem era péssima, só um saquinho fino sem proteção.",
            "Chegou com a caixa amassada e um arranhão na frente.",
            "O lacre estava rompido, parecia que já tinha sido aberto.",
        ),
    ),
    "wrong_item": (
        ("Recebi exatamente o modelo e a cor que pedi.", "O pedido veio completo e certinho."),
        (
            "Recebi o produto errado, um modelo totalmente diferente.",
            "Pedi o preto e veio um rosa.",
            "Faltavam peças na caixa, o pedido veio incompleto.",
            "Mandaram outro tamanho, mesmo com meu pedido correto.",
        ),
    ),
    "returns_refunds": (
        (
            "A devolução foi fácil e o reembolso caiu em poucos dias.",
            "Troquei sem nenhum problema, a etiqueta de devolução era grátis.",
            "Devolveram o dinheiro rápido assim que receberam o pacote.",
        ),
        (
            "Devolver foi um pesadelo e ainda estou esperando o reembolso.",
            "Recusaram a devolução mesmo com o produto com defeito.",
            "O estorno levou mais de um mês e tive que ligar três vezes.",
            "Tive que pagar o frete da devolução, não é justo com um produto com defeito.",
        ),
    ),
    "customer_service": (
        (
            "O atendimento respondeu em menos de uma hora e resolveu minha dúvida.",
            "A equipe de suporte foi muito simpática e prestativa.",
            "O vendedor respondeu rápido e foi muito educado.",
        ),
        (
            "O atendimento nunca respondeu meus e-mails.",
            "O suporte foi grosseiro e só mandava respostas prontas.",
            "Entrei em contato duas vezes com o vendedor e não tive resposta.",
            "No chat encerraram meu chamado sem resolver nada.",
        ),
    ),
    "checkout_payment": (
        (
            "Finalizar a compra foi rápido e pagar com cartão foi fácil.",
            "O pagamento foi aprovado sem problemas e recebi a confirmação na hora.",
            "Muito fácil comprar pelo app, em menos de um minuto.",
        ),
        (
            "Fui cobrado duas vezes no pagamento e levaram dias pra resolver.",
            "A página de pagamento dava erro toda hora, tentei com três cartões.",
            "O cupom de desconto não funcionou na finalização da compra.",
            "O app travou durante o pagamento e fiquei sem saber se o pedido foi feito.",
        ),
    ),
    "product_info": (
        (
            "Igualzinho ao anúncio, as fotos são fiéis.",
            "A descrição e as especificações estão corretas, sem surpresas.",
            "É igual às fotos.",
        ),
        (
            "O produto não tem nada a ver com a descrição.",
            "As fotos enganam, a cor é totalmente diferente pessoalmente.",
            "O anúncio diz que é à prova d'água e não é.",
            "Várias características do anúncio simplesmente não existem.",
        ),
    ),
    "price_value": (
        (
            "Ótimo custo-benefício.",
            "Por esse preço é uma pechincha, compraria de novo.",
            "Mais barato que na loja e igualmente bom.",
            "Vale cada centavo.",
        ),
        (
            "Caro demais pelo que é.",
            "Não vale o preço, tem melhores pela metade do valor.",
            "Caríssimo pra essa qualidade.",
            "Baixaram o preço logo depois do meu pedido, me senti enganado.",
        ),
    ),
    "warranty": (
        (
            "Tive um problema depois de alguns meses e a garantia trocou rapidinho.",
            "Bom pós-venda, me ajudaram na instalação.",
            "Resolveram a garantia em uma semana, muito satisfeito.",
        ),
        (
            "A garantia não serve pra nada, pedem fotos e mais fotos e nunca trocam.",
            "Quebrou depois de três meses e o fabricante se recusa a cobrir a garantia.",
            "Zero pós-venda, o telefone nem funciona.",
            "Dizem que a garantia não cobre, mesmo tendo quebrado sozinho.",
        ),
    ),
}
_FRAGMENTS: dict[str, _Bank] = {"en": _EN, "es": _ES, "pt": _PT}

# Category-specific quality sentences: language -> category -> (positive, negative).
_CATEGORY_QUALITY: dict[str, _Bank] = {
    "en": {
        "electronics": (
            (
                "Battery life is great and it pairs instantly.",
                "Performance is excellent and setup took two minutes.",
            ),
            ("The battery dies in a couple of hours.", "It keeps disconnecting and freezing."),
        ),
        "home": (
            (
                "Easy to use, easy to clean and it looks great at home.",
                "Does its job perfectly every single day.",
            ),
            ("Hard to clean and it already looks worn.", "It barely does what it's supposed to do."),
        ),
        "fashion": (
            ("The fabric is soft and the stitching is neat.", "Still looks new after several washes."),
            ("The fabric pilled after the first wash.", "The stitching came loose within a week."),
        ),
        "beauty": (
            (
                "My skin feels amazing and the scent is subtle.",
                "A little goes a long way, it lasts for months.",
            ),
            (
                "It irritated my skin and the smell is way too strong.",
                "The texture is greasy and it did nothing for me.",
            ),
        ),
        "sports": (
            (
                "Held up great through weeks of hard workouts.",
                "Comfortable and sturdy, exactly what I needed for training.",
            ),
            ("It wore out after a handful of workouts.", "Not sturdy enough for real training."),
        ),
    },
    "es": {
        "electronics": (
            (
                "La batería dura muchísimo y se conecta al instante.",
                "Rinde de maravilla y se configura en dos minutos.",
            ),
            (
                "La batería se agota en un par de horas.",
                "Se desconecta y se queda colgado cada dos por tres.",
            ),
        ),
        "home": (
            (
                "Fácil de usar, fácil de limpiar y queda genial en casa.",
                "Cumple su función perfectamente todos los días.",
            ),
            ("Cuesta limpiarlo y ya parece gastado.", "Apenas cumple su función."),
        ),
        "fashion": (
            (
                "La tela es suave y las costuras están muy bien rematadas.",
                "Sigue como nuevo después de varios lavados.",
            ),
            ("La tela hizo bolitas tras el primer lavado.", "Las costuras se soltaron en una semana."),
        ),
        "beauty": (
            ("La piel me queda genial y el olor es suave.", "Cunde muchísimo, dura meses."),
            ("Me irritó la piel y el olor es demasiado fuerte.", "Textura grasienta y no me hizo nada."),
        ),
        "sports": (
            (
                "Ha aguantado semanas de entrenamientos duros.",
                "Cómodo y resistente, justo lo que necesitaba para entrenar.",
            ),
            ("Se desgastó en pocos entrenamientos.", "No aguanta un entrenamiento de verdad."),
        ),
    },
    "pt": {
        "electronics": (
            ("A bateria dura muito e conecta na hora.", "Desempenho excelente e configurei em dois minutos."),
            ("A bateria acaba em duas horas.", "Fica desconectando e travando toda hora."),
        ),
        "home": (
            (
                "Fácil de usar, fácil de limpar e fica lindo em casa.",
                "Cumpre a função perfeitamente todo dia.",
            ),
            ("Difícil de limpar e já parece gasto.", "Mal cumpre o que promete."),
        ),
        "fashion": (
            ("O tecido é macio e a costura é caprichada.", "Continua novo depois de várias lavagens."),
            ("O tecido fez bolinha depois da primeira lavagem.", "A costura soltou em uma semana."),
        ),
        "beauty": (
            ("Minha pele ficou ótima e o cheiro é suave.", "Rende muito, dura meses."),
            ("Irritou minha pele e o cheiro é forte demais.", "Textura oleosa e não fez efeito nenhum."),
        ),
        "sports": (
            (
                "Aguentou semanas de treino pesado.",
                "Confortável e resistente, exatamente o que eu precisava pra treinar.",
            ),
            ("Desgastou depois de poucos treinos.", "Não aguenta treino de verdade."),
        ),
    },
}

_PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "open_pos": (
            "Very happy with this purchase.",
            "Love it!",
            "Really impressed.",
            "Excellent purchase.",
            "Exactly what I was looking for.",
        ),
        "open_neu": ("It's okay.", "Mixed feelings about this one.", "Decent, but not perfect."),
        "open_neg": (
            "Very disappointed.",
            "Do not buy.",
            "Honestly a waste of money.",
            "Really bad experience.",
            "Not happy at all.",
        ),
        "close_pos": (
            "Highly recommended.",
            "Would buy again.",
            "Five stars from me.",
            "Will order from this shop again.",
        ),
        "close_neu": ("Might buy again if the price drops.", "Not sure I'd buy it again."),
        "close_neg": ("I won't buy from them again.", "Avoid.", "Returning it.", "Can't recommend it."),
        "title_pos": (
            "Great purchase",
            "Love it",
            "Excellent quality",
            "Exceeded my expectations",
            "Very happy",
            "Works perfectly",
            "Highly recommend",
            "Good value",
        ),
        "title_neu": ("It's okay", "Decent but not perfect", "Mixed feelings", "Could be better", "Average"),
        "title_neg": (
            "Disappointed",
            "Not worth it",
            "Poor experience",
            "Would not recommend",
            "Waste of money",
            "Very bad",
        ),
        "title_late": ("Arrived late", "Very slow delivery", "Way too slow", "Took forever to arrive"),
        "contrast": ("However,", "Unfortunately,", "The only downside:", "But", "On the other hand,"),
        "concede": ("To be fair,", "On the plus side,", "That said,"),
        "seller_pos": ("Great seller!", "Smooth transaction.", "A+++ seller.", "Thanks, all good."),
        "seller_neg": (
            "Disappointed with this seller.",
            "Bad experience.",
            "Would not buy from this seller again.",
        ),
        "reply_pos": ("Thanks so much for your review!", "We're so glad you like it, thank you!"),
        "reply_neg": (
            "We're sorry for the trouble. Please contact us with your order number and we'll make it right.",
            "Thank you for your feedback, we have shared it with our logistics partner.",
        ),
        "late_extra": (
            "The seller kept saying it was shipped but tracking showed nothing for a week.",
            "Ordered it for a birthday and it arrived way too late.",
            "The estimated delivery date passed and nobody could tell me where the package was.",
        ),
        "update_up": (
            "UPDATE: the seller contacted me and sent a replacement that works perfectly. Raising my rating.",
        ),
        "update_down": ("UPDATE: it stopped working after two weeks, lowering my rating.",),
        "update_title": ("Update: problem solved", "Updated review"),
    },
    "es": {
        "open_pos": (
            "Muy contento con la compra.",
            "¡Me encanta!",
            "Estoy encantada.",
            "Compra excelente.",
            "Justo lo que buscaba.",
        ),
        "open_neu": ("Está bien, sin más.", "Sensaciones encontradas.", "Correcto, pero mejorable."),
        "open_neg": (
            "Muy decepcionado.",
            "No lo compréis.",
            "Sinceramente, dinero tirado.",
            "Muy mala experiencia.",
            "Nada contento.",
        ),
        "close_pos": (
            "Totalmente recomendable.",
            "Lo volvería a comprar.",
            "Cinco estrellas.",
            "Repetiré con esta tienda.",
        ),
        "close_neu": ("Quizá lo vuelva a comprar si baja de precio.", "No sé si lo volvería a comprar."),
        "close_neg": ("No vuelvo a comprarles.", "Evitadlo.", "Lo voy a devolver.", "No lo recomiendo."),
        "title_pos": (
            "Gran compra",
            "Me encanta",
            "Calidad excelente",
            "Superó mis expectativas",
            "Muy contento",
            "Funciona perfecto",
            "Muy recomendable",
            "Buena relación calidad-precio",
        ),
        "title_neu": ("Está bien", "Correcto pero mejorable", "Ni fu ni fa", "Podría ser mejor", "Normalito"),
        "title_neg": (
            "Decepcionante",
            "No merece la pena",
            "Mala experiencia",
            "No lo recomiendo",
            "Dinero tirado",
            "Muy malo",
        ),
        "title_late": ("Llegó tarde", "Entrega lentísima", "Llegó tardísimo", "Tardó muchísimo"),
        "contrast": ("Por desgracia,", "Lo único malo:", "Pero", "Eso sí,", "Por otro lado,"),
        "concede": ("Por lo menos,", "Dicho esto,", "A su favor,"),
        "seller_pos": ("¡Gran vendedor!", "Todo correcto.", "Vendedor de 10.", "Gracias, todo perfecto."),
        "seller_neg": ("Decepcionado con este vendedor.", "Mala experiencia.", "No volvería a comprarle."),
        "reply_pos": ("¡Muchas gracias por tu reseña!", "Nos alegra mucho que te guste, ¡gracias!"),
        "reply_neg": (
            "Sentimos mucho las molestias. Escríbenos con tu número de pedido y lo solucionamos.",
            "Gracias por tu comentario, lo hemos trasladado a nuestro equipo de logística.",
        ),
        "late_extra": (
            "El vendedor decía que ya estaba enviado pero el seguimiento no se movió en una semana.",
            "Lo pedí para un cumpleaños y llegó tardísimo.",
            "Pasó la fecha estimada y nadie sabía decirme dónde estaba el paquete.",
        ),
        "update_up": (
            "ACTUALIZACIÓN: el vendedor se puso en contacto conmigo y me envió uno nuevo que "
            "funciona perfecto. Subo la valoración.",
        ),
        "update_down": ("ACTUALIZACIÓN: dejó de funcionar a las dos semanas, bajo la valoración.",),
        "update_title": ("Actualización: problema resuelto", "Reseña actualizada"),
    },
    "pt": {
        "open_pos": (
            "Muito satisfeito com a compra.",
            "Amei!",
            "Estou impressionada.",
            "Compra excelente.",
            "Exatamente o que eu procurava.",
        ),
        "open_neu": ("É ok, nada demais.", "Sentimentos mistos.", "Razoável, mas poderia ser melhor."),
        "open_neg": (
            "Muito decepcionado.",
            "Não comprem.",
            "Sinceramente, dinheiro jogado fora.",
            "Experiência muito ruim.",
            "Nada satisfeito.",
        ),
        "close_pos": (
            "Super recomendo.",
            "Compraria de novo.",
            "Cinco estrelas.",
            "Vou comprar mais vezes nessa loja.",
        ),
        "close_neu": ("Talvez compre de novo se baixar o preço.", "Não sei se compraria de novo."),
        "close_neg": ("Não compro mais com eles.", "Fujam.", "Vou devolver.", "Não recomendo."),
        "title_pos": (
            "Ótima compra",
            "Amei",
            "Qualidade excelente",
            "Superou minhas expectativas",
            "Muito satisfeito",
            "Funciona perfeitamente",
            "Recomendo muito",
            "Bom custo-benefício",
        ),
        "title_neu": ("É ok", "Razoável", "Mais ou menos", "Poderia ser melhor", "Mediano"),
        "title_neg": (
            "Decepcionante",
            "Não vale a pena",
            "Experiência ruim",
            "Não recomendo",
            "Dinheiro jogado fora",
            "Muito ruim",
        ),
        "title_late": ("Chegou atrasado", "Entrega muito lenta", "Atrasou muito", "Demorou demais"),
        "contrast": ("Porém,", "Infelizmente,", "O único problema:", "Mas", "Por outro lado,"),
        "concede": ("Pelo menos,", "Dito isso,", "O lado bom:"),
        "seller_pos": ("Ótimo vendedor!", "Tudo certo.", "Vendedor nota 10.", "Obrigado, tudo perfeito."),
        "seller_neg": (
            "Decepcionado com esse vendedor.",
            "Experiência ruim.",
            "Não compraria de novo com esse vendedor.",
        ),
        "reply_pos": ("Muito obrigado pela avaliação!", "Ficamos muito felizes que você gostou, obrigado!"),
        "reply_neg": (
            "Lamentamos muito o transtorno. Fale com a gente informando o número do pedido que resolvemos.",
            "Obrigado pelo retorno, já repassamos para nossa equipe de logística.",
        ),
        "late_extra": (
            "O vendedor dizia que já tinha enviado, mas o rastreio não mudou por uma semana.",
            "Comprei pra um aniversário e chegou muito atrasado.",
            "Passou a data prevista e ninguém sabia dizer onde estava o pacote.",
        ),
        "update_up": (
            "ATUALIZAÇÃO: o vendedor entrou em contato e mandou um novo, que funciona "
            "perfeitamente. Aumentando a nota.",
        ),
        "update_down": ("ATUALIZAÇÃO: parou de funcionar depois de duas semanas, diminuindo a nota.",),
        "update_title": ("Atualização: problema resolvido", "Avaliação atualizada"),
    },
}

_REVIEW_POS_WEIGHTS = {
    "quality": 4.0,
    "price_value": 2.0,
    "delivery_speed": 2.0,
    "packaging": 1.0,
    "shipping_cost": 0.6,
    "product_info": 1.0,
    "customer_service": 0.8,
    "returns_refunds": 0.3,
    "wrong_item": 0.3,
    "checkout_payment": 0.4,
    "warranty": 0.6,
    "size_fit": 2.0,
}
_REVIEW_NEG_WEIGHTS = {
    "quality": 3.0,
    "price_value": 1.2,
    "delivery_speed": 1.5,
    "packaging": 1.0,
    "shipping_cost": 0.8,
    "product_info": 1.2,
    "customer_service": 1.0,
    "returns_refunds": 1.0,
    "wrong_item": 0.8,
    "checkout_payment": 0.5,
    "warranty": 0.8,
    "size_fit": 2.0,
}
_FEEDBACK_POS_WEIGHTS = {
    "delivery_speed": 3.0,
    "packaging": 1.0,
    "product_info": 1.2,
    "customer_service": 1.0,
    "shipping_cost": 0.5,
    "wrong_item": 0.3,
}
_FEEDBACK_NEG_WEIGHTS = {
    "delivery_speed": 2.0,
    "packaging": 0.8,
    "wrong_item": 1.0,
    "product_info": 1.0,
    "customer_service": 1.2,
    "shipping_cost": 0.6,
    "returns_refunds": 0.8,
}
_MIXED_ASPECTS = (("quality", "delivery_speed"), ("price_value", "size_fit"), ("delivery_speed", "quality"))

_RING_SENTENCES = (
    "{Best} {thing} I have ever bought!",
    "{Amazing} quality and {super} fast shipping.",
    "I {highly} recommend it to {everyone}.",
    "Worth every penny, you will not regret it!",
    "{Five} stars, {best} seller ever!!!",
)
_RING_SWAPS = {
    "Best": ("Best", "The best", "Greatest"),
    "best": ("best", "greatest", "top"),
    "thing": ("product", "purchase", "item"),
    "Amazing": ("Amazing", "Incredible", "Awesome", "Outstanding"),
    "super": ("super", "very", "really"),
    "highly": ("highly", "totally", "100%"),
    "everyone": ("everyone", "anyone", "all my friends"),
    "Five": ("Five", "5", "FIVE"),
}
_RING_TITLES = ("Best purchase ever!", "Amazing product!!!", "Highly recommend!", "Five stars!", "Perfect!!!")

# Valid rows whose text must survive verbatim: (feature, language, rating, text).
_EDGE_REVIEWS = (
    (
        "quotes",
        "en",
        5,
        'My partner said "best purchase this year" and, honestly, I agree. It\'s "premium" for real.',
    ),
    (
        "commas_newlines",
        "es",
        4,
        "Muy buen producto, bien acabado, buen precio.\nLlegó en 3 días.\n\nLo recomiendo, sin duda.",
    ),
    (
        "html",
        "en",
        2,
        "<p>The page says <b>waterproof</b> but it leaked on day one.</p><br/>Not happy & won't reorder.",
    ),
    ("emoji", "pt", 5, "Amei demais 😍😍 chegou rapidinho 🚚💨 super recomendo 👍"),
    (
        "sql_injection",
        "en",
        3,
        "Robert'); DROP TABLE reviews;-- just kidding. It's OK, average quality for the price.",
    ),
    ("unicode_punctuation", "es", 5, "¡Perfecto! Tamaño ideal; color «azul cielo» precioso — 10/10 ★★★★★"),
)
_EDGE_FEEDBACK = (
    "quotes_commas",
    "en",
    5,
    'Fast shipping, well packed, exactly "as described". Thanks, will buy again!',
)


# ---------------------------------------------------------------------------------------------------------
# Data model
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoManifest:
    """What ``generate_demo`` wrote: the nights, every file, the truth file and row counts."""

    nights: list[str]
    files: list[Path]
    truth_path: Path
    review_rows: int
    feedback_rows: int
    malformed_rows: int


@dataclass(frozen=True)
class _Product:
    product_id: str
    title: str
    category: str
    seller_id: str
    handle: str
    sized: bool
    goodness: float


@dataclass(frozen=True)
class _Customer:
    customer_id: str
    language: str
    name: str
    email: str
    rater_email: str
    location: str
    ip: str


@dataclass(frozen=True)
class _Review:
    review_id: str
    product: _Product
    customer: _Customer
    rating: int
    title: str
    text: str
    when: datetime
    channel: str
    verified: bool
    helpful: int
    source: str
    tag: str = ""
    feature: str = ""
    reply: str = ""
    reply_when: datetime | None = None
    pictures: str = ""
    origin: str = "web"


@dataclass(frozen=True)
class _Feedback:
    feedback_id: str
    order_id: str
    seller_id: str
    customer: _Customer
    rating: int
    comment: str
    when: datetime
    channel: str
    source: str
    flags: tuple[str, str, str]
    response: str = ""
    tag: str = ""
    feature: str = ""


@dataclass
class _Record:
    """One data record of a file, before it is written."""

    values: dict[str, Any]
    key: tuple[str, str]
    tag: str = ""
    feature: str = ""
    reason: str = ""
    raw: str | None = None


@dataclass
class _File:
    kind: str
    source: str
    rel: str
    seller: str = ""
    records: list[_Record] = field(default_factory=list)


@dataclass(frozen=True)
class _Plan:
    """Where and when the patterns are planted."""

    start: date
    nights: tuple[date, ...]
    spike_dates: tuple[date, ...]
    burst: tuple[date, date]
    mixed: dict[str, tuple[str, str]]
    ring_targets: tuple[str, ...]
    ring_posts: tuple[tuple[str, str, date], ...]
    malformed_nights: tuple[int, ...]
    malformed_plan: tuple[tuple[str, str, str], ...]
    edit_night: int | None


@dataclass
class _World:
    """Shared state of one run: the random stream, catalog, customers, plan and id counters."""

    rng: random.Random
    products: tuple[_Product, ...]
    customers: dict[str, tuple[_Customer, ...]]
    cum_weights: dict[str, list[float]]
    ring: tuple[_Customer, ...]
    seller_goodness: dict[str, float]
    plan: _Plan
    review_no: int = 0
    feedback_no: int = 0
    orders: set[str] = field(default_factory=set)

    def next_review_id(self) -> str:
        """The next review id, ``rv-000001`` onwards."""
        self.review_no += 1
        return f"rv-{self.review_no:06d}"

    def next_feedback_id(self) -> str:
        """The next feedback id, ``fb-000001`` onwards."""
        self.feedback_no += 1
        return f"fb-{self.feedback_no:06d}"

    def plain_products(self) -> list[_Product]:
        """Products carrying no planted pattern."""
        planted = set(self.plan.mixed) | set(self.plan.ring_targets)
        return [p for p in self.products if p.seller_id != SPIKE_SELLER and p.product_id not in planted]


@dataclass
class _Outcome:
    """What the writers produced, for the manifest and the truth file."""

    files: list[Path] = field(default_factory=list)
    rels: list[str] = field(default_factory=list)
    counts: dict[str, dict[str, dict[str, dict[str, int]]]] = field(default_factory=dict)
    malformed: list[dict[str, Any]] = field(default_factory=list)
    edge: list[dict[str, Any]] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------------------
# Public entry point
# ---------------------------------------------------------------------------------------------------------


def generate_demo(
    landing_dir: Path, truth_path: Path, *, start: date, nights: int = 7, seed: int = 42
) -> DemoManifest:
    """Write ``nights`` nights of seeded demo exports under ``landing_dir`` and the planted truth as JSON.

    Args:
        landing_dir: root of the landing zone; files go to ``<kind>/<source>/<YYYY-MM-DD>/``.
        truth_path: where to write the JSON description of every planted pattern.
        start: the first night; nights are consecutive days from here. The first night also carries
            six weeks of older reviews and feedback (a backfill) so weekly trends exist.
        nights: how many nights to write (at least 1).
        seed: the random seed; the same seed and arguments give byte-identical files.

    Returns:
        A ``DemoManifest`` listing the nights, the files written and the row counts.
    """
    if nights < 1:
        raise ValueError(f"nights must be at least 1, got {nights}")
    world = _build_world(random.Random(seed), start, nights)
    reviews = _generate_reviews(world)
    feedback = _generate_feedback(world)
    reviews, edit = _plan_edit(world, reviews)
    outcome = _write_nights(world, Path(landing_dir), reviews, feedback, edit)
    truth = _truth(world, seed, reviews, feedback, edit, outcome)
    truth_path = Path(truth_path)
    truth_path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(truth, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    truth_path.write_text(text, encoding="utf-8")
    totals = truth["totals"]
    return DemoManifest(
        nights=[d.isoformat() for d in world.plan.nights],
        files=sorted(outcome.files),
        truth_path=truth_path,
        review_rows=totals["reviews"]["rows"],
        feedback_rows=totals["seller_feedback"]["rows"],
        malformed_rows=totals["reviews"]["malformed"] + totals["seller_feedback"]["malformed"],
    )


# ---------------------------------------------------------------------------------------------------------
# World: catalog, customers, plan
# ---------------------------------------------------------------------------------------------------------


def _build_world(rng: random.Random, start: date, nights: int) -> _World:
    """Draw the catalog, the customers and the plan of planted patterns."""
    products = _build_products(rng)
    customers, ring = _build_customers(rng)
    goodness = {s: round(rng.uniform(0.72, 0.93), 3) for s in _SELLER_IDS}
    cum = {lang: _zipf_cum(len(pool)) for lang, pool in customers.items()}
    plan = _build_plan(rng, start, nights, products, ring)
    return _World(rng, products, customers, cum, ring, goodness, plan)


def _slug(text: str) -> str:
    """``10,000 mAh Power Bank`` -> ``10-000-mah-power-bank``."""
    return re.sub(r"[^a-z0-9]+", "-", _ascii(text).lower()).strip("-")


def _ascii(text: str) -> str:
    """Drop accents: ``João`` -> ``Joao``."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _build_products(rng: random.Random) -> tuple[_Product, ...]:
    """Forty products in five categories, five per seller."""
    sellers = list(_SELLER_IDS) * 5
    rng.shuffle(sellers)
    entries = [(cat, title, sized) for cat, items in _CATALOG.items() for title, sized in items]
    return tuple(
        _Product(
            f"prod-{i:03d}",
            title,
            cat,
            sellers[i - 1],
            _slug(title),
            sized,
            round(rng.uniform(0.55, 0.93), 3),
        )
        for i, (cat, title, sized) in enumerate(entries, start=1)
    )


def _build_customers(rng: random.Random) -> tuple[dict[str, tuple[_Customer, ...]], tuple[_Customer, ...]]:
    """A pool of customers per language (fake names, e-mails, locations, IPs) and the ring's accounts."""
    total = sum(_POOL_SIZES.values()) + _RING_SIZE
    numbers = iter(rng.sample(range(10000, 100000), total))
    emails: set[str] = set()
    pools = {
        lang: tuple(_customer(rng, f"cust-{next(numbers)}", lang, emails) for _ in range(size))
        for lang, size in _POOL_SIZES.items()
    }
    ring = tuple(_customer(rng, f"cust-{next(numbers)}", "en", emails) for _ in range(_RING_SIZE))
    return pools, ring


def _customer(rng: random.Random, customer_id: str, lang: str, emails: set[str]) -> _Customer:
    """One fake customer with a unique example.com e-mail."""
    first, last = rng.choice(_NAMES[lang][0]), rng.choice(_NAMES[lang][1])
    email = ""
    while not email or email in emails:
        email = f"{_ascii(first).lower()}.{_ascii(last).lower()}{rng.randint(10, 99)}@example.com"
    emails.add(email)
    alphabet = string.ascii_lowercase + string.digits
    rater = "".join(rng.choice(alphabet) for _ in range(14)) + "@marketplace.example.com"
    ip = f"{rng.choice(_IP_PREFIXES)}.{rng.randint(1, 254)}"
    return _Customer(customer_id, lang, f"{first} {last}", email, rater, rng.choice(_LOCATIONS[lang]), ip)


def _zipf_cum(n: int) -> list[float]:
    """Cumulative weights so a few customers write many reviews and most write one or two."""
    total = 0.0
    out: list[float] = []
    for k in range(n):
        total += 1.0 / (k + 1) ** 0.6
        out.append(total)
    return out


def _build_plan(
    rng: random.Random, start: date, nights: int, products: Sequence[_Product], ring: Sequence[_Customer]
) -> _Plan:
    """Choose spike window, ring burst and targets, mixed products, malformed nights and the edit night."""
    days = tuple(start + timedelta(days=i) for i in range(nights))
    burst = _burst_dates(start, days)
    pool = [p for p in products if p.seller_id != SPIKE_SELLER]
    rng.shuffle(pool)
    sized = next(p for p in pool if p.sized)
    rest = [p for p in pool if p is not sized]
    mixed = {
        rest[0].product_id: _MIXED_ASPECTS[0],
        sized.product_id: _MIXED_ASPECTS[1],
        rest[1].product_id: _MIXED_ASPECTS[2],
    }
    targets = tuple(p.product_id for p in rest[2:5])
    others = [p.product_id for p in rest[5:]]
    all_days = _all_days(start, days)
    posts = [(c.customer_id, pid, rng.choice(burst)) for c in ring for pid in targets]
    posts += [(c.customer_id, rng.choice(others), rng.choice(all_days)) for c in ring]
    malformed = tuple(i for i in range(nights) if i % 2 == 1) or (0,)
    malformed_plan = list(_MALFORMED_PLAN)
    rng.shuffle(malformed_plan)
    return _Plan(
        start,
        days,
        days[max(0, nights - SPIKE_NIGHTS) :],
        burst,
        mixed,
        targets,
        tuple(posts),
        malformed,
        tuple(malformed_plan),
        min(3, nights - 1) if nights >= 2 else None,
    )


def _burst_dates(start: date, days: Sequence[date]) -> tuple[date, date]:
    """The ring's two-day burst: nights 2-3 (or the day before a single night, and that night)."""
    if len(days) < 2:
        return start - timedelta(days=1), start
    first = min(1, len(days) - 2)
    return days[first], days[first + 1]


def _all_days(start: date, nights: Sequence[date]) -> list[date]:
    """The backfill days before ``start`` followed by the nights."""
    return [start - timedelta(days=BACKFILL_DAYS - i) for i in range(BACKFILL_DAYS)] + list(nights)


# ---------------------------------------------------------------------------------------------------------
# Small random helpers
# ---------------------------------------------------------------------------------------------------------


def _pick(rng: random.Random, items: Sequence[Any], weights: Sequence[float]) -> Any:
    """One item drawn with the given weights."""
    return rng.choices(items, weights=weights)[0]


def _pick_language(rng: random.Random) -> str:
    return str(_pick(rng, LANGUAGES, _LANGUAGE_WEIGHTS))


def _pick_customer(w: _World, lang: str) -> _Customer:
    return w.rng.choices(w.customers[lang], cum_weights=w.cum_weights[lang])[0]


def _moment(rng: random.Random, day: date) -> datetime:
    """A time of day on ``day``, mostly during waking hours."""
    return datetime.combine(day, time(rng.randint(6, 23), rng.randint(0, 59), rng.randint(0, 59)))


def _draw_rating(rng: random.Random, goodness: float) -> int:
    """A star rating: J-shaped, better products get more fives."""
    weights = (0.55 * (1 - goodness), 0.45 * (1 - goodness), 0.12, 0.38 * goodness, 0.62 * goodness)
    return int(_pick(rng, (1, 2, 3, 4, 5), weights))


def _pick_touches(
    rng: random.Random, weights: dict[str, float], k: int, exclude: Sequence[str] = ()
) -> list[str]:
    """Up to ``k`` distinct touchpoints, each drawn with probability proportional to its weight."""
    pool = {t: wt for t, wt in weights.items() if wt > 0 and t not in exclude}
    picked: list[str] = []
    while pool and len(picked) < k:
        choice = rng.choices(list(pool), weights=list(pool.values()))[0]
        picked.append(choice)
        del pool[choice]
    return picked


def _touch_weights(product: _Product, positive: bool) -> dict[str, float]:
    """Touchpoint weights for a product: no size talk for unsized goods, warranty mostly for appliances."""
    weights = dict(_REVIEW_POS_WEIGHTS if positive else _REVIEW_NEG_WEIGHTS)
    weights["warranty"] *= _WARRANTY_FACTOR[product.category]
    if not product.sized:
        weights["size_fit"] = 0.0
    return weights


# ---------------------------------------------------------------------------------------------------------
# Text composition
# ---------------------------------------------------------------------------------------------------------


def _sentence(
    rng: random.Random,
    lang: str,
    touch: str,
    positive: bool,
    product: _Product | None,
    days: int | None = None,
) -> str:
    """One sentence about a touchpoint, in the given language and tone."""
    side = 0 if positive else 1
    if touch == "quality" and product is not None and rng.random() < 0.4:
        pool = _CATEGORY_QUALITY[lang][product.category][side]
    else:
        pool = _FRAGMENTS[lang][touch][side]
    if days is None:
        days = rng.randint(2, 4) if positive else rng.randint(7, 15)
    return rng.choice(pool).replace("{days}", str(days))


def _lower_first(text: str) -> str:
    """Lower-case the first letter so a sentence can follow a lead-in (English ``I`` stays)."""
    if text.startswith(("I ", "I'")):
        return text
    return text[:1].lower() + text[1:]


def _lead(rng: random.Random, leads: Sequence[str], sentence: str) -> str:
    """Prefix a sentence with a lead-in such as ``However,``."""
    return f"{rng.choice(leads)} {_lower_first(sentence)}"


def _tone(rating: int) -> str:
    return "pos" if rating >= 4 else "neu" if rating == 3 else "neg"


def _tone_mix(rng: random.Random, rating: int) -> tuple[int, int]:
    """How many positive and negative sentences a review with this rating gets."""
    if rating == 5:
        return rng.randint(1, 3), 0
    if rating == 4:
        return rng.randint(1, 2), int(rng.random() < 0.3)
    if rating == 3:
        return 1, 1
    if rating == 2:
        return int(rng.random() < 0.3), rng.randint(1, 2)
    return 0, rng.randint(1, 3)


def _arrange(rng: random.Random, lang: str, rating: int, good: list[str], bad: list[str]) -> str:
    """Order sentences by tone, add lead-ins, an opener and a closer."""
    ph = _PHRASES[lang]
    if rating >= 3:
        parts = good + [_lead(rng, ph["contrast"], s) if i == 0 else s for i, s in enumerate(bad)]
    else:
        parts = bad + [_lead(rng, ph["concede"], s) for s in good]
    tone = _tone(rating)
    if rng.random() < (0.5 if rating in (1, 5) else 0.3):
        parts.insert(0, rng.choice(ph[f"open_{tone}"]))
    if rng.random() < (0.4 if rating in (1, 5) else 0.25):
        parts.append(rng.choice(ph[f"close_{tone}"]))
    return " ".join(parts)


def _title(rng: random.Random, lang: str, rating: int, complaints: Sequence[str]) -> str:
    """A review title matching the rating (a delivery title when lateness is the complaint)."""
    ph = _PHRASES[lang]
    if rating <= 2 and "delivery_speed" in complaints and rng.random() < 0.5:
        return rng.choice(ph["title_late"])
    return rng.choice(ph[f"title_{_tone(rating)}"])


def _review_text(
    rng: random.Random, lang: str, rating: int, product: _Product, exclude: Sequence[str] = ()
) -> tuple[str, str]:
    """Title and body of an ordinary review whose tone follows the star rating."""
    n_pos, n_neg = _tone_mix(rng, rating)
    pos = _pick_touches(rng, _touch_weights(product, True), n_pos, exclude)
    neg = _pick_touches(rng, _touch_weights(product, False), n_neg, (*exclude, *pos))
    good = [_sentence(rng, lang, t, True, product) for t in pos]
    bad = [_sentence(rng, lang, t, False, product) for t in neg]
    return _title(rng, lang, rating, neg), _arrange(rng, lang, rating, good, bad)


def _late_text(rng: random.Random, lang: str, rating: int, product: _Product) -> tuple[str, str]:
    """Title and body of a review complaining that the order arrived late."""
    ph = _PHRASES[lang]
    parts = [_sentence(rng, lang, "delivery_speed", False, product, days=rng.randint(8, 16))]
    if rng.random() < 0.6:
        parts.append(rng.choice(ph["late_extra"]))
    if rating == 3:
        parts.append(_lead(rng, ph["concede"], _sentence(rng, lang, "customer_service", True, product)))
    elif rng.random() < 0.5:
        parts.append(rng.choice(ph["close_neg"]))
    return rng.choice(ph["title_late"]), " ".join(parts)


def _mixed_text(
    rng: random.Random, lang: str, rating: int, product: _Product, aspects: tuple[str, str]
) -> tuple[str, str]:
    """Title and body praising one aspect and complaining about another."""
    ph = _PHRASES[lang]
    good = _sentence(rng, lang, aspects[0], True, product)
    bad = _sentence(rng, lang, aspects[1], False, product)
    if rng.random() < 0.7:
        parts = [good, _lead(rng, ph["contrast"], bad)]
    else:
        parts = [bad, _lead(rng, ph["concede"], good)]
    if rng.random() < 0.3:
        parts.append(rng.choice(ph["close_neu"]))
    return _title(rng, lang, rating, (aspects[1],)), " ".join(parts)


def _ring_text(rng: random.Random) -> tuple[str, str]:
    """A templated five-star review: the same few sentences with small word swaps."""
    chosen = sorted(rng.sample(range(len(_RING_SENTENCES)), 3))

    def fill(m: re.Match[str]) -> str:
        return rng.choice(_RING_SWAPS[m.group(1)])

    body = " ".join(re.sub(r"\{(\w+)\}", fill, _RING_SENTENCES[i]) for i in chosen)
    return rng.choice(_RING_TITLES), body


def _feedback_text(rng: random.Random, lang: str, rating: int) -> tuple[str, list[str]]:
    """A seller-feedback comment and the touchpoints it complains about."""
    n_pos, n_neg = {5: (rng.randint(1, 2), 0), 4: (1, 0), 3: (1, 1)}.get(rating, (0, rng.randint(1, 2)))
    pos = _pick_touches(rng, _FEEDBACK_POS_WEIGHTS, n_pos)
    neg = _pick_touches(rng, _FEEDBACK_NEG_WEIGHTS, n_neg, pos)
    ph = _PHRASES[lang]
    parts = [_sentence(rng, lang, t, True, None) for t in pos]
    parts += [
        _lead(rng, ph["contrast"], s) if pos and i == 0 else s
        for i, s in enumerate(_sentence(rng, lang, t, False, None) for t in neg)
    ]
    if rating >= 4 and rng.random() < 0.5:
        parts.insert(0, rng.choice(ph["seller_pos"]))
    elif rating <= 2 and rng.random() < 0.4:
        parts.insert(0, rng.choice(ph["seller_neg"]))
    return " ".join(parts), neg


def _flag(rng: random.Random, failed: bool, rating: int) -> str:
    """An Amazon Yes/No/- answer: No where the comment complains about it."""
    if failed:
        return "No"
    if rating <= 2:
        return str(rng.choice(("Yes", "-")))
    return "-" if rng.random() < 0.15 else "Yes"


def _flags(rng: random.Random, rating: int, complaints: Sequence[str]) -> tuple[str, str, str]:
    """Arrived on time, item as described, customer service: consistent with the comment."""
    return (
        _flag(rng, "delivery_speed" in complaints, rating),
        _flag(rng, bool({"wrong_item", "product_info"} & set(complaints)), rating),
        _flag(rng, bool({"customer_service", "returns_refunds"} & set(complaints)), rating),
    )


# ---------------------------------------------------------------------------------------------------------
# Reviews
# ---------------------------------------------------------------------------------------------------------


def _generate_reviews(w: _World) -> list[_Review]:
    """Every review of the run, backfill included, day by day."""
    out: list[_Review] = []
    for day in _all_days(w.plan.start, w.plan.nights):
        out.extend(_organic_review(w, day) for _ in range(_review_volume(w.rng, day, w.plan.start)))
        out.extend(_spike_reviews(w, day))
        out.extend(_ring_reviews(w, day))
        out.extend(_edge_reviews(w, day))
    return out


def _review_volume(rng: random.Random, day: date, start: date) -> int:
    """Reviews on a day: 80-150 on a night, fewer per day in the backfill, more at weekends."""
    if day >= start:
        return rng.randint(80, 150)
    return round(rng.randint(24, 38) * _WEEKDAY_FACTOR[day.weekday()])


def _organic_review(w: _World, day: date) -> _Review:
    """A review by an ordinary customer; planted products and the spike seller get their patterns."""
    rng = w.rng
    product = rng.choice(w.products)
    customer = _pick_customer(w, _pick_language(rng))
    when = _moment(rng, day)
    if product.product_id in w.plan.mixed:
        return _mixed_review(w, product, customer, when)
    in_spike = product.seller_id == SPIKE_SELLER and day in w.plan.spike_dates
    if in_spike and rng.random() < 0.7:
        return _late_review(w, product, customer, when)
    source = str(_pick(rng, REVIEW_SOURCES, _REVIEW_SOURCE_WEIGHTS))
    return _normal_review(w, product, customer, when, source, ("delivery_speed",) if in_spike else ())


def _normal_review(
    w: _World,
    product: _Product,
    customer: _Customer,
    when: datetime,
    source: str,
    exclude: Sequence[str] = (),
) -> _Review:
    """A review whose rating follows the product's quality and whose text follows the rating."""
    rating = _draw_rating(w.rng, product.goodness)
    title, text = _review_text(w.rng, customer.language, rating, product, exclude)
    return _assemble_review(w, product, customer, when, rating, title, text, source)


def _mixed_review(w: _World, product: _Product, customer: _Customer, when: datetime) -> _Review:
    """A review of a mixed-sentiment product: one aspect praised, another criticised, 2-4 stars."""
    rng = w.rng
    rating = int(_pick(rng, (2, 3, 4), (0.25, 0.45, 0.30)))
    title, text = _mixed_text(rng, customer.language, rating, product, w.plan.mixed[product.product_id])
    source = rng.choice(GENERIC_REVIEW_SOURCES)
    return _assemble_review(w, product, customer, when, rating, title, text, source, tag="mixed")


def _late_review(w: _World, product: _Product, customer: _Customer, when: datetime) -> _Review:
    """A review of a spike-seller product complaining about late delivery."""
    rng = w.rng
    rating = int(_pick(rng, (1, 2, 3), (0.45, 0.40, 0.15)))
    title, text = _late_text(rng, customer.language, rating, product)
    source = rng.choice(GENERIC_REVIEW_SOURCES)
    return _assemble_review(w, product, customer, when, rating, title, text, source, tag="late")


def _spike_reviews(w: _World, day: date) -> list[_Review]:
    """Extra late-delivery reviews of the spike seller's products, in every language."""
    if day not in w.plan.spike_dates:
        return []
    rng = w.rng
    products = [p for p in w.products if p.seller_id == SPIKE_SELLER]
    out = []
    for i in range(rng.randint(4, 6)):
        lang = LANGUAGES[i] if i < len(LANGUAGES) else _pick_language(rng)
        out.append(_late_review(w, rng.choice(products), _pick_customer(w, lang), _moment(rng, day)))
    return out


def _ring_reviews(w: _World, day: date) -> list[_Review]:
    """The fake ring's templated five-star reviews posted on this day."""
    by_id = {c.customer_id: c for c in w.ring}
    by_product = {p.product_id: p for p in w.products}
    out = []
    for customer_id, product_id, posted in w.plan.ring_posts:
        if posted != day:
            continue
        title, text = _ring_text(w.rng)
        tag = "ring" if product_id in w.plan.ring_targets else "ring_other"
        source = w.rng.choice(GENERIC_REVIEW_SOURCES)
        out.append(
            _assemble_review(
                w,
                by_product[product_id],
                by_id[customer_id],
                _moment(w.rng, day),
                5,
                title,
                text,
                source,
                tag=tag,
                verified=False,
                channel=w.rng.choice(("web", "app")),
            )
        )
    return out


def _edge_reviews(w: _World, day: date) -> list[_Review]:
    """Valid reviews with quotes, newlines, HTML, emoji and SQL-looking text, rotated over the formats."""
    if day < w.plan.start:
        return []
    index = (day - w.plan.start).days
    out = []
    for i, (feature, lang, rating, text) in enumerate(_EDGE_REVIEWS):
        source = REVIEW_SOURCES[(i + index) % len(REVIEW_SOURCES)]
        title = _title(w.rng, lang, rating, ())
        product = w.rng.choice(w.plain_products())
        customer = _pick_customer(w, lang)
        out.append(
            _assemble_review(
                w,
                product,
                customer,
                _moment(w.rng, day),
                rating,
                title,
                text,
                source,
                tag="edge",
                feature=feature,
            )
        )
    return out


def _assemble_review(
    w: _World,
    product: _Product,
    customer: _Customer,
    when: datetime,
    rating: int,
    title: str,
    text: str,
    source: str,
    *,
    tag: str = "",
    feature: str = "",
    verified: bool | None = None,
    channel: str | None = None,
) -> _Review:
    """Fill in ids, channel, helpfulness and the Judge.me-only fields."""
    rng = w.rng
    review = _Review(
        review_id="" if source == "judgeme" else w.next_review_id(),
        product=product,
        customer=customer,
        rating=rating,
        title=title,
        text=text,
        when=when,
        channel=channel or _review_channel(rng, source),
        verified=rng.random() < 0.85 if verified is None else verified,
        helpful=0 if verified is False else min(int(rng.expovariate(0.4)), 60),
        source=source,
        tag=tag,
        feature=feature,
    )
    return _judgeme_extras(rng, review) if source == "judgeme" else review


def _review_channel(rng: random.Random, source: str) -> str:
    """Judge.me reviews come from the Shopify store; generic exports from any channel."""
    return "shopify" if source == "judgeme" else str(_pick(rng, CHANNELS, _CHANNEL_WEIGHTS))


def _judgeme_extras(rng: random.Random, review: _Review) -> _Review:
    """Origin (email/web), a shop reply on some reviews, pictures on a few."""
    ph = _PHRASES[review.customer.language]
    reply = ""
    if review.rating <= 2 and rng.random() < 0.45:
        reply = rng.choice(ph["reply_neg"])
    elif review.rating == 5 and rng.random() < 0.1:
        reply = rng.choice(ph["reply_pos"])
    end_of_day = datetime.combine(review.when.date(), time(23, 59, 59))
    reply_when = min(review.when + timedelta(hours=rng.randint(1, 6)), end_of_day) if reply else None
    pictures = ""
    if rng.random() < 0.12:
        pictures = ",".join(
            f"https://cdn.example.com/reviews/{rng.getrandbits(32):08x}.jpg" for _ in range(rng.randint(1, 2))
        )
    origin = "email" if rng.random() < 0.6 else "web"
    return replace(review, reply=reply, reply_when=reply_when, pictures=pictures, origin=origin)


def _plan_edit(w: _World, reviews: list[_Review]) -> tuple[list[_Review], tuple[_Review, _Review] | None]:
    """Pick a first-night review to be edited on a later night; mark the original."""
    if w.plan.edit_night is None:
        return reviews, None
    first = [
        i
        for i, r in enumerate(reviews)
        if r.when.date() == w.plan.start and not r.tag and r.source in GENERIC_REVIEW_SOURCES
    ]
    low = [i for i in first if reviews[i].rating <= 2]
    index = w.rng.choice(low or first)
    original = replace(reviews[index], tag="edit_original")
    ph = _PHRASES[original.customer.language]
    up = original.rating <= 3
    edited = replace(
        original,
        rating=4 if up else 2,
        title=w.rng.choice(ph["update_title"]),
        tag="edited",
        text=f"{w.rng.choice(ph['update_up' if up else 'update_down'])} {original.text}",
    )
    return reviews[:index] + [original] + reviews[index + 1 :], (original, edited)


# ---------------------------------------------------------------------------------------------------------
# Seller feedback
# ---------------------------------------------------------------------------------------------------------


def _generate_feedback(w: _World) -> list[_Feedback]:
    """Every seller-feedback record of the run, backfill included, day by day."""
    out: list[_Feedback] = []
    for day in _all_days(w.plan.start, w.plan.nights):
        count = w.rng.randint(30, 60) if day >= w.plan.start else w.rng.randint(5, 10)
        out.extend(_organic_feedback(w, day, first=i == 0) for i in range(count))
        out.extend(_spike_feedback(w, day))
        out.extend(_edge_feedback(w, day))
    return out


def _organic_feedback(w: _World, day: date, first: bool) -> _Feedback:
    """Feedback from an ordinary buyer; the spike seller's buyers complain during the spike."""
    rng = w.rng
    seller = rng.choice(_SELLER_IDS)
    customer = _pick_customer(w, _pick_language(rng))
    source = AMAZON if first else str(_pick(rng, FEEDBACK_SOURCES, _FEEDBACK_SOURCE_WEIGHTS))
    if seller == SPIKE_SELLER and day in w.plan.spike_dates:
        return _late_feedback(w, seller, customer, day, source)
    return _normal_feedback(w, seller, customer, day, source)


def _normal_feedback(w: _World, seller: str, customer: _Customer, day: date, source: str) -> _Feedback:
    """Feedback whose rating follows the seller's quality and whose comment and flags follow the rating."""
    rng = w.rng
    rating = _draw_rating(rng, w.seller_goodness[seller])
    comment, complaints = _feedback_text(rng, customer.language, rating)
    replies = _PHRASES[customer.language]["reply_neg"]
    response = rng.choice(replies) if rating <= 2 and rng.random() < 0.35 else ""
    return _assemble_feedback(
        w,
        seller,
        customer,
        _moment(rng, day),
        rating,
        comment,
        source,
        _flags(rng, rating, complaints),
        response,
    )


def _late_feedback(w: _World, seller: str, customer: _Customer, day: date, source: str) -> _Feedback:
    """Feedback complaining that the order arrived late (``Arrived on time = No``)."""
    rng = w.rng
    lang = customer.language
    ph = _PHRASES[lang]
    rating = int(_pick(rng, (1, 2, 3), (0.55, 0.35, 0.10)))
    parts = [_sentence(rng, lang, "delivery_speed", False, None, days=rng.randint(8, 16))]
    if rng.random() < 0.5:
        parts.append(rng.choice(ph["late_extra"]))
    if rating <= 2 and rng.random() < 0.4:
        parts.insert(0, rng.choice(ph["seller_neg"]))
    flags = ("No", str(rng.choice(("Yes", "-"))), str(rng.choice(("Yes", "-"))))
    response = rng.choice(ph["reply_neg"]) if rng.random() < 0.4 else ""
    return _assemble_feedback(
        w, seller, customer, _moment(rng, day), rating, " ".join(parts), source, flags, response, tag="late"
    )


def _spike_feedback(w: _World, day: date) -> list[_Feedback]:
    """Extra late-delivery feedback for the spike seller, in every language."""
    if day not in w.plan.spike_dates:
        return []
    rng = w.rng
    out = []
    for i in range(rng.randint(5, 7)):
        lang = LANGUAGES[i] if i < len(LANGUAGES) else _pick_language(rng)
        source = str(_pick(rng, FEEDBACK_SOURCES, _FEEDBACK_SOURCE_WEIGHTS))
        out.append(_late_feedback(w, SPIKE_SELLER, _pick_customer(w, lang), day, source))
    return out


def _edge_feedback(w: _World, day: date) -> list[_Feedback]:
    """One generic-CSV feedback per night whose comment has quotes and commas."""
    if day < w.plan.start:
        return []
    feature, lang, rating, text = _EDGE_FEEDBACK
    seller = w.rng.choice([s for s in _SELLER_IDS if s != SPIKE_SELLER])
    return [
        _assemble_feedback(
            w,
            seller,
            _pick_customer(w, lang),
            _moment(w.rng, day),
            rating,
            text,
            "generic_csv",
            ("Yes", "Yes", "Yes"),
            tag="edge",
            feature=feature,
        )
    ]


def _assemble_feedback(
    w: _World,
    seller: str,
    customer: _Customer,
    when: datetime,
    rating: int,
    comment: str,
    source: str,
    flags: tuple[str, str, str],
    response: str = "",
    *,
    tag: str = "",
    feature: str = "",
) -> _Feedback:
    """Fill in ids, order id and channel."""
    channel = "marketplace" if source == AMAZON else str(_pick(w.rng, CHANNELS, _CHANNEL_WEIGHTS))
    return _Feedback(
        feedback_id="" if source == AMAZON else w.next_feedback_id(),
        order_id=_order_id(w, source),
        seller_id=seller,
        customer=customer,
        rating=rating,
        comment=comment,
        when=when,
        channel=channel,
        source=source,
        flags=flags,
        response=response,
        tag=tag,
        feature=feature,
    )


def _order_id(w: _World, source: str) -> str:
    """A unique order id: ``112-1234567-1234567`` on Amazon, ``SO-12345678`` elsewhere."""
    rng = w.rng
    order = ""
    while not order or order in w.orders:
        if source == AMAZON:
            order = (
                f"{rng.choice(('111', '112', '113', '114'))}-{rng.randint(0, 9_999_999):07d}-"
                f"{rng.randint(0, 9_999_999):07d}"
            )
        else:
            order = f"SO-{rng.randint(10_000_000, 99_999_999)}"
    w.orders.add(order)
    return order


# ---------------------------------------------------------------------------------------------------------
# Rendering records
# ---------------------------------------------------------------------------------------------------------


def _review_record(r: _Review) -> _Record:
    """The file record for a review, in its source's columns."""
    values = _judgeme_values(r) if r.source == "judgeme" else _generic_review_values(r)
    return _Record(values, (r.when.isoformat(), r.review_id or r.customer.email), r.tag, r.feature)


def _generic_review_values(r: _Review) -> dict[str, Any]:
    """Generic review columns; Parquet carries the date only, CSV and JSONL the timestamp."""
    p = r.product
    stamp = r.when.isoformat(timespec="seconds")
    if r.source == "generic_parquet":
        stamp = r.when.date().isoformat()
    return {
        "review_id": r.review_id,
        "product_id": p.product_id,
        "reviewer_id": r.customer.customer_id,
        "rating": r.rating,
        "title": r.title,
        "text": r.text,
        "review_date": stamp,
        "language": r.customer.language,
        "channel": r.channel,
        "verified_purchase": r.verified,
        "seller_id": p.seller_id,
        "product_title": p.title,
        "category": p.category,
        "helpful_votes": r.helpful,
    }


def _judgeme_stamp(when: datetime | None) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S UTC") if when else ""


def _judgeme_values(r: _Review) -> dict[str, Any]:
    """Judge.me export columns (no review id; the shop's product id and handle)."""
    c = r.customer
    return {
        "title": r.title,
        "body": r.text,
        "rating": r.rating,
        "review_date": _judgeme_stamp(r.when),
        "source": r.origin,
        "curated": "ok",
        "reviewer_name": c.name,
        "reviewer_email": c.email,
        "product_id": r.product.product_id,
        "product_handle": r.product.handle,
        "reply": r.reply,
        "reply_date": _judgeme_stamp(r.reply_when),
        "picture_urls": r.pictures,
        "ip_address": c.ip,
        "location": c.location,
    }


def _feedback_record(f: _Feedback) -> _Record:
    """The file record for seller feedback, in its source's columns."""
    values = _amazon_values(f) if f.source == AMAZON else _generic_feedback_values(f)
    return _Record(values, (f.when.isoformat(), f.feedback_id or f.order_id), f.tag, f.feature)


def _tsv_safe(text: str) -> str:
    """Seller Central reports are unquoted: no tabs, newlines or double quotes inside a field."""
    return re.sub(r"[\t\r\n]+", " ", text).replace('"', "'")


def _amazon_values(f: _Feedback) -> dict[str, Any]:
    arrived, described, service = f.flags
    return {
        "Date": f.when.strftime("%m/%d/%y"),
        "Rating": f.rating,
        "Comments": _tsv_safe(f.comment),
        "Your Response": _tsv_safe(f.response),
        "Order ID": f.order_id,
        "Rater Email": f.customer.rater_email,
        "Arrived on time": arrived,
        "Item as described": described,
        "Customer service": service,
    }


def _as_bool(flag: str) -> bool | None:
    return {"Yes": True, "No": False}.get(flag)


def _generic_feedback_values(f: _Feedback) -> dict[str, Any]:
    arrived, described, service = f.flags
    return {
        "feedback_id": f.feedback_id,
        "seller_id": f.seller_id,
        "order_id": f.order_id,
        "reviewer_id": f.customer.customer_id,
        "rating": f.rating,
        "comment": f.comment,
        "feedback_date": f.when.date().isoformat(),
        "channel": f.channel,
        "language": f.customer.language,
        "arrived_on_time": _as_bool(arrived),
        "item_as_described": _as_bool(described),
        "service_ok": _as_bool(service),
    }


# ---------------------------------------------------------------------------------------------------------
# Nights: files, malformed records, writing
# ---------------------------------------------------------------------------------------------------------


def _night_index(plan: _Plan, day: date) -> int:
    """The night whose files carry a record dated ``day`` (backfill goes to the first night)."""
    return max((day - plan.start).days, 0)


def _write_nights(
    w: _World,
    landing: Path,
    reviews: list[_Review],
    feedback: list[_Feedback],
    edit: tuple[_Review, _Review] | None,
) -> _Outcome:
    """Bucket records by night, build each night's files, plant malformed records and write them."""
    plan = w.plan
    night_reviews: list[list[_Review]] = [[] for _ in plan.nights]
    night_feedback: list[list[_Feedback]] = [[] for _ in plan.nights]
    for r in reviews:
        night_reviews[_night_index(plan, r.when.date())].append(r)
    for f in feedback:
        night_feedback[_night_index(plan, f.when.date())].append(f)
    if edit is not None and plan.edit_night is not None:
        night_reviews[plan.edit_night].append(edit[1])
    outcome = _Outcome()
    for index, night in enumerate(plan.nights):
        files = _night_files(night.isoformat(), night_reviews[index], night_feedback[index])
        if index in plan.malformed_nights:
            _plant_malformed(w, files, night, _malformed_for(plan, index))
        for rel in sorted(files):
            outcome.files.append(_write_file(landing / rel, files[rel]))
            outcome.rels.append(rel)
            _collect(outcome, night.isoformat(), files[rel])
    return outcome


def _night_files(night: str, reviews: list[_Review], feedback: list[_Feedback]) -> dict[str, _File]:
    """One night's files with their records, sorted by time then id."""
    files: dict[str, _File] = {}
    for r in reviews:
        _file_for(files, "reviews", r.source, night, "").records.append(_review_record(r))
    for f in feedback:
        seller = f.seller_id if f.source == AMAZON else ""
        _file_for(files, "seller_feedback", f.source, night, seller).records.append(_feedback_record(f))
    for file in files.values():
        file.records.sort(key=lambda rec: rec.key)
    return files


def _file_for(files: dict[str, _File], kind: str, source: str, night: str, seller: str) -> _File:
    """The file a record of this kind and source goes to, created on first use."""
    name = f"{seller}.txt" if source == AMAZON and kind == "seller_feedback" else _FILE_NAMES[(kind, source)]
    rel = f"{kind}/{source}/{night}/{name}"
    if rel not in files:
        files[rel] = _File(kind, source, rel, seller)
    return files[rel]


def _malformed_for(plan: _Plan, index: int) -> tuple[tuple[str, str, str], ...]:
    """This night's share of the malformed-record plan."""
    slot = plan.malformed_nights.index(index)
    return plan.malformed_plan[slot :: len(plan.malformed_nights)]


def _plant_malformed(
    w: _World, files: dict[str, _File], night: date, plan: Sequence[tuple[str, str, str]]
) -> None:
    """Insert malformed records at random positions (a duplicate always after the record it copies)."""
    rng = w.rng
    for kind, source, reason in plan:
        target = _target_file(rng, files, kind, source, reason)
        if reason == "duplicate_id":
            plain = [i for i, rec in enumerate(target.records) if not rec.tag and not rec.reason]
            origin = rng.choice(plain)
            copy = _Record(dict(target.records[origin].values), target.records[origin].key, reason=reason)
            target.records.insert(rng.randint(origin + 1, len(target.records)), copy)
            continue
        record = _fresh_record(w, target, night)
        _corrupt(rng, record, target, reason)
        target.records.insert(rng.randint(0, len(target.records)), record)


def _target_file(rng: random.Random, files: dict[str, _File], kind: str, source: str, reason: str) -> _File:
    """A file of this kind and source to hold a malformed record (not the spike seller's, if possible)."""
    candidates = [f for f in files.values() if f.kind == kind and f.source == source]
    quiet = [f for f in candidates if f.seller != SPIKE_SELLER] or candidates
    if reason == "duplicate_id":
        quiet = [f for f in quiet if any(not r.tag and not r.reason for r in f.records)] or quiet
    return quiet[rng.randrange(len(quiet))]


def _fresh_record(w: _World, target: _File, night: date) -> _Record:
    """An ordinary record for ``target`` (to be corrupted), about a product or seller with no pattern."""
    rng = w.rng
    customer = _pick_customer(w, _pick_language(rng))
    if target.kind == "reviews":
        return _review_record(
            _normal_review(w, rng.choice(w.plain_products()), customer, _moment(rng, night), target.source)
        )
    seller = target.seller or rng.choice([s for s in _SELLER_IDS if s != SPIKE_SELLER])
    return _feedback_record(_normal_feedback(w, seller, customer, night, target.source))


def _corrupt(rng: random.Random, record: _Record, target: _File, reason: str) -> None:
    """Break one thing about a record so it fails with ``reason``."""
    id_col, text_col, rating_col, date_col = _FIELDS[(target.kind, target.source)]
    record.reason = reason
    values = record.values
    if reason == "empty_text":
        values[text_col] = ""
    elif reason == "bad_rating":
        values[rating_col] = rng.choice(_BAD_RATINGS[target.source])
    elif reason == "bad_date":
        values[date_col] = rng.choice(_BAD_DATES.get(target.source, _BAD_DATES["iso"]))
    elif reason == "missing_id":
        values[id_col] = None if target.source in ("generic_jsonl", "generic_parquet") else ""
    elif reason == "broken_json":
        line = json.dumps(values, ensure_ascii=False)
        record.raw = line[: len(line) * 2 // 3]
    elif reason == "undecodable":
        text = str(values[text_col])
        cut = len(text) // 2
        values[text_col] = f"{text[:cut]}{_UNDECODABLE}{text[cut:]}"
    else:
        raise ValueError(f"unknown malformed reason {reason!r}")


def _collect(outcome: _Outcome, night: str, file: _File) -> None:
    """Add a written file's counts, malformed records and edge cases to the outcome."""
    per_night = outcome.counts.setdefault(file.kind, {}).setdefault(file.source, {})
    entry = per_night.setdefault(night, {"rows": 0, "malformed": 0})
    entry["rows"] += len(file.records)
    for number, rec in enumerate(file.records, start=1):
        where = {"night": night, "kind": file.kind, "source": file.source, "file": file.rel, "record": number}
        if rec.reason:
            entry["malformed"] += 1
            outcome.malformed.append(where | {"reason": rec.reason})
        elif rec.tag == "edge":
            id_col, text_col, _, _ = _FIELDS[(file.kind, file.source)]
            ident = rec.values.get(id_col) if id_col else None
            outcome.edge.append(where | {"feature": rec.feature, "id": ident, "text": rec.values[text_col]})


def _write_file(path: Path, file: _File) -> Path:
    """Write one export file in its source's format; returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writers: dict[tuple[str, str], Callable[[list[_Record]], bytes]] = {
        ("reviews", "generic_csv"): lambda recs: _delimited_bytes(GENERIC_REVIEW_COLUMNS, recs),
        ("reviews", "generic_jsonl"): _jsonl_bytes,
        ("reviews", "generic_parquet"): _parquet_bytes,
        ("reviews", "judgeme"): lambda recs: _delimited_bytes(JUDGEME_COLUMNS, recs),
        ("seller_feedback", AMAZON): _tsv_bytes,
        ("seller_feedback", "generic_csv"): lambda recs: _delimited_bytes(GENERIC_FEEDBACK_COLUMNS, recs),
    }
    path.write_bytes(writers[(file.kind, file.source)](file.records))
    return path


def _cell(value: Any) -> str:
    """A value as CSV text: booleans as ``true``/``false``, missing as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _with_bad_bytes(text: str) -> bytes:
    """UTF-8 bytes, with the undecodable placeholder turned into invalid UTF-8."""
    return text.encode("utf-8").replace(_UNDECODABLE.encode("ascii"), _UNDECODABLE_BYTES)


def _delimited_bytes(columns: Sequence[str], records: list[_Record]) -> bytes:
    """CSV with a header row, minimal quoting and ``\\n`` line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([_cell(rec.values[c]) for c in columns] for rec in records)
    return _with_bad_bytes(buffer.getvalue())


def _tsv_bytes(records: list[_Record]) -> bytes:
    """Seller Central's tab-separated report: header row, unquoted fields."""
    lines = ["\t".join(AMAZON_COLUMNS)]
    lines += ["\t".join(_cell(rec.values[c]) for c in AMAZON_COLUMNS) for rec in records]
    return _with_bad_bytes("\n".join(lines) + "\n")


def _jsonl_bytes(records: list[_Record]) -> bytes:
    """One JSON object per line (a broken record keeps its truncated text)."""
    lines = [json.dumps(rec.values, ensure_ascii=False) if rec.raw is None else rec.raw for rec in records]
    return _with_bad_bytes("".join(line + "\n" for line in lines))


def _parquet_bytes(records: list[_Record]) -> bytes:
    """Parquet with typed columns: ratings and votes as integers, verified purchase as boolean."""
    table = pa.Table.from_pylist([rec.values for rec in records], schema=_PARQUET_SCHEMA)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="snappy")
    return bytes(sink.getvalue().to_pybytes())


# ---------------------------------------------------------------------------------------------------------
# Truth file
# ---------------------------------------------------------------------------------------------------------


def _truth(
    w: _World,
    seed: int,
    reviews: list[_Review],
    feedback: list[_Feedback],
    edit: tuple[_Review, _Review] | None,
    outcome: _Outcome,
) -> dict[str, Any]:
    """Everything the generator planted, for later checks of the pipeline's findings."""
    plan = w.plan
    return {
        "seed": seed,
        "start": plan.start.isoformat(),
        "nights": [d.isoformat() for d in plan.nights],
        "files": sorted(outcome.rels),
        "counts": outcome.counts,
        "totals": _totals(outcome),
        "backfill": _backfill_section(plan, reviews, feedback),
        "catalog": _catalog_section(w),
        "complaint_spike": _spike_section(w, reviews, feedback),
        "fake_ring": _ring_section(w, reviews),
        "mixed_products": _mixed_section(w, reviews),
        "edited_review": _edit_section(plan, edit),
        "malformed": {
            "description": "Records that must be rejected or quarantined, by 1-based data record number "
            "(header excluded); for duplicate_id the second occurrence is the bad one.",
            "records": outcome.malformed,
        },
        "edge_cases": {
            "description": "Valid records with quotes, commas, newlines, HTML, emoji or SQL-looking text; "
            "they must load with the text kept verbatim.",
            "records": outcome.edge,
        },
    }


def _totals(outcome: _Outcome) -> dict[str, dict[str, int]]:
    """Rows and malformed rows per kind, over all nights and sources."""
    return {
        kind: {
            "rows": sum(n["rows"] for per in sources.values() for n in per.values()),
            "malformed": sum(n["malformed"] for per in sources.values() for n in per.values()),
        }
        for kind, sources in outcome.counts.items()
    }


def _backfill_section(plan: _Plan, reviews: list[_Review], feedback: list[_Feedback]) -> dict[str, Any]:
    old_reviews = sum(1 for r in reviews if r.when.date() < plan.start)
    old_feedback = sum(1 for f in feedback if f.when.date() < plan.start)
    return {
        "description": "Older records dated before the first night, shipped in the first night's files.",
        "night": plan.start.isoformat(),
        "start": (plan.start - timedelta(days=BACKFILL_DAYS)).isoformat(),
        "end": (plan.start - timedelta(days=1)).isoformat(),
        "reviews": old_reviews,
        "seller_feedback": old_feedback,
    }


def _catalog_section(w: _World) -> dict[str, Any]:
    return {
        "description": "The demo catalog: every product with its title, category, seller and shop handle.",
        "products": [
            {
                "product_id": p.product_id,
                "title": p.title,
                "category": p.category,
                "seller_id": p.seller_id,
                "handle": p.handle,
            }
            for p in w.products
        ],
        "sellers": list(_SELLER_IDS),
    }


def _spike_section(w: _World, reviews: list[_Review], feedback: list[_Feedback]) -> dict[str, Any]:
    plan = w.plan
    late_reviews = [r for r in reviews if r.tag == "late"]
    late_feedback = [f for f in feedback if f.tag == "late"]
    return {
        "description": f"{SPIKE_SELLER} delivers late on these days: feedback with arrived-on-time = No, low "
        "ratings and delay comments, and late-delivery reviews of its products, in en/es/pt. "
        "Outside the window the seller is normal.",
        "seller_id": SPIKE_SELLER,
        "theme": "delivery",
        "start": plan.spike_dates[0].isoformat(),
        "end": plan.spike_dates[-1].isoformat(),
        "product_ids": sorted(p.product_id for p in w.products if p.seller_id == SPIKE_SELLER),
        "review_ids": sorted(r.review_id for r in late_reviews),
        "feedback_ids": sorted(f.feedback_id for f in late_feedback if f.feedback_id),
        "order_ids": sorted(f.order_id for f in late_feedback),
        "languages": sorted({r.customer.language for r in late_reviews}),
    }


def _ring_section(w: _World, reviews: list[_Review]) -> dict[str, Any]:
    ring = [r for r in reviews if r.tag in ("ring", "ring_other")]
    return {
        "description": "Accounts posting templated, unverified five-star reviews of the target products "
        "within a two-day burst; each also reviews one other product.",
        "reviewer_ids": sorted(c.customer_id for c in w.ring),
        "product_ids": sorted(w.plan.ring_targets),
        "review_ids": sorted(r.review_id for r in ring),
        "target_review_ids": sorted(r.review_id for r in ring if r.tag == "ring"),
        "burst_dates": [d.isoformat() for d in w.plan.burst],
    }


def _mixed_section(w: _World, reviews: list[_Review]) -> dict[str, Any]:
    products = []
    for product_id, (praised, complained) in sorted(w.plan.mixed.items()):
        ids = sorted(r.review_id for r in reviews if r.tag == "mixed" and r.product.product_id == product_id)
        products.append(
            {
                "product_id": product_id,
                "praised": praised,
                "complained": complained,
                "rating_range": [2, 4],
                "review_ids": ids,
            }
        )
    return {
        "description": "Products whose reviews praise one aspect and complain about another, rated 2 to 4.",
        "products": products,
    }


def _edit_section(plan: _Plan, edit: tuple[_Review, _Review] | None) -> dict[str, Any]:
    description = "A first-night review that reappears on a later night with the same id and new text/rating."
    if edit is None or plan.edit_night is None:
        return {"description": description + " (none: a single night)", "review_id": None}
    original, edited = edit
    name = _FILE_NAMES[("reviews", original.source)]
    first, later = plan.nights[0].isoformat(), plan.nights[plan.edit_night].isoformat()
    return {
        "description": description,
        "review_id": original.review_id,
        "source": original.source,
        "original_night": first,
        "edited_night": later,
        "original_file": f"reviews/{original.source}/{first}/{name}",
        "edited_file": f"reviews/{original.source}/{later}/{name}",
        "original_rating": original.rating,
        "edited_rating": edited.rating,
        "original_text": original.text,
        "edited_text": edited.text,
    }
