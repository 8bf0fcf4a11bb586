"""The complaint-theme taxonomy: a versioned YAML file users edit (``models/themes/taxonomy.yaml``).

Each theme has an id, a journey stage, descriptions and example complaints in en/es/pt, and cue patterns
(words that point at the touchpoint). The taxonomy's version is its declared ``version`` plus a hash of the
file's content, so any edit gives a new theme model version and the pipeline re-applies the themes to
every stored sentence.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pipeline.errors import ConfigError

LANGUAGES = ("en", "es", "pt")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml where PyYAML has it: ~15x faster


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(text: str) -> str:
    """Lowercase with accents removed: the form cue patterns are matched against."""
    return strip_accents(text.lower())


@dataclass(frozen=True)
class Theme:
    """One touchpoint customers complain about."""

    id: str
    stage: str
    description: dict[str, str]
    examples: dict[str, tuple[str, ...]]
    mentions: dict[str, tuple[str, ...]]
    cues: dict[str, tuple[re.Pattern[str], ...]]
    fallback: bool = False

    def cue_match(self, folded: str, language: str | None) -> bool:
        """Whether a cue of ``language`` (every language's when unknown) occurs in the folded text."""
        return _any_match(self.cues, folded, language)


def _any_match(patterns: dict[str, tuple[re.Pattern[str], ...]], folded: str, language: str | None) -> bool:
    languages = (language,) if language in patterns else tuple(patterns)
    return any(p.search(folded) for lang in languages for p in patterns[lang])


@dataclass(frozen=True)
class Taxonomy:
    """Themes in file order, the journey stages, generic problem cues and the version."""

    themes: tuple[Theme, ...]
    stages: tuple[str, ...]
    problem_cues: dict[str, tuple[re.Pattern[str], ...]]
    version: str
    path: Path

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.themes)

    def stage_of(self, theme_id: str) -> str:
        return next(t.stage for t in self.themes if t.id == theme_id)

    def has_problem_cue(self, folded: str, language: str | None) -> bool:
        return _any_match(self.problem_cues, folded, language)

    @classmethod
    def load(cls, path: Path) -> Taxonomy:
        """Read and check the taxonomy; every mistake is a ``ConfigError`` naming the theme and field."""
        try:
            raw_bytes = Path(path).read_bytes()
            data = yaml.load(raw_bytes, Loader=_SAFE_LOADER)
        except OSError as exc:
            raise ConfigError(f"cannot read theme taxonomy {path}: {exc}") from exc
        except yaml.YAMLError as exc:
            raise ConfigError(f"theme taxonomy {path} is not valid YAML: {exc}") from exc
        if not isinstance(data, dict) or not isinstance(data.get("themes"), list) or not data["themes"]:
            raise ConfigError(f"theme taxonomy {path}: expected a mapping with a non-empty `themes` list")
        stages = tuple(str(s) for s in data.get("stages") or ())
        if not stages:
            raise ConfigError(f"theme taxonomy {path}: `stages` must list the journey stages")
        themes = tuple(_theme(path, i, raw, stages) for i, raw in enumerate(data["themes"]))
        ids = [t.id for t in themes]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ConfigError(f"theme taxonomy {path}: duplicate theme ids {duplicates}")
        problem = _patterns(path, "problem_cues", data.get("problem_cues") or {})
        digest = hashlib.sha256(raw_bytes).hexdigest()[:8]
        return cls(themes, stages, problem, f"taxonomy-v{data.get('version', 0)}-{digest}", Path(path))


def _theme(path: Path, index: int, raw: Any, stages: tuple[str, ...]) -> Theme:
    where = f"theme taxonomy {path}, theme #{index + 1}"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping")
    theme_id = str(raw.get("id", ""))
    if not _ID.match(theme_id):
        raise ConfigError(f"{where}: id {theme_id!r} must be lowercase snake_case")
    where = f"theme taxonomy {path}, theme {theme_id!r}"
    stage = str(raw.get("stage", ""))
    if stage not in stages:
        raise ConfigError(f"{where}: stage {stage!r} is not one of {list(stages)}")
    description = raw.get("description") or {}
    examples = raw.get("examples") or {}
    for field, value in (("description", description), ("examples", examples)):
        missing = [lang for lang in LANGUAGES if not (isinstance(value, dict) and value.get(lang))]
        if missing:
            raise ConfigError(f"{where}: `{field}` needs {', '.join(missing)}")
    return Theme(
        id=theme_id,
        stage=stage,
        description={lang: str(description[lang]) for lang in LANGUAGES},
        examples={lang: tuple(str(e) for e in examples[lang]) for lang in examples},
        mentions=_texts(where, "mentions", raw.get("mentions") or {}),
        cues=_patterns(path, f"theme {theme_id!r} cues", raw.get("cues") or {}),
        fallback=bool(raw.get("fallback", False)),
    )


def _texts(where: str, field: str, raw: Any) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, dict) or not all(isinstance(v, list) for v in raw.values()):
        raise ConfigError(f"{where}: `{field}` must map each language to a list of sentences")
    return {str(lang): tuple(str(x) for x in texts) for lang, texts in raw.items()}


_GROUP_REFERENCE = re.compile(r"\\[1-9]|\(\?P=")


def _patterns(path: Path, where: str, raw: Any) -> dict[str, tuple[re.Pattern[str], ...]]:
    """Each language's patterns, checked one by one, then joined into one alternation where they can be.

    A sentence is tested against every theme's cues, so the nightly run makes one ``search`` per sentence,
    theme and language instead of one per pattern (ten times fewer at about ten cues a theme). Patterns
    that refer to their own groups by number, or whose flags do not combine, are kept apart.
    """
    if not isinstance(raw, dict):
        raise ConfigError(f"theme taxonomy {path}, {where}: expected a mapping of language to patterns")
    out: dict[str, tuple[re.Pattern[str], ...]] = {}
    for lang, patterns in raw.items():
        compiled = []
        for pattern in patterns or ():
            try:
                compiled.append(re.compile(strip_accents(str(pattern))))  # written lowercase
            except re.error as exc:
                raise ConfigError(
                    f"theme taxonomy {path}, {where} ({lang}): bad pattern {pattern!r}: {exc}"
                ) from exc
        out[str(lang)] = _joined(compiled)
    return out


def _joined(compiled: list[re.Pattern[str]]) -> tuple[re.Pattern[str], ...]:
    """One pattern matching wherever any of ``compiled`` does, or ``compiled`` itself if they won't join."""
    if len(compiled) < 2 or any(_GROUP_REFERENCE.search(p.pattern) for p in compiled):
        return tuple(compiled)
    try:
        return (re.compile("|".join(f"(?:{p.pattern})" for p in compiled)),)
    except re.error:  # e.g. a global flag such as (?i) inside one of them
        return tuple(compiled)
