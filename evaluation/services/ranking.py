"""Ranks, cards (黄牌/红牌) and stars of a month's scores, by the scheme's thresholds."""

from __future__ import annotations

from ..models import Scheme


def card_of(scheme: Scheme, score: float, major: int, critical: int) -> str:
    if score < scheme.red_below or (scheme.red_on_critical and critical > 0):
        return "red"
    if score < scheme.yellow_below or (
        scheme.yellow_major_count and major >= scheme.yellow_major_count
    ):
        return "yellow"
    return "none"


def stars_of(scheme: Scheme, score: float, card: str) -> int:
    if card != "none":
        return 0
    for minimum, stars in scheme.star_thresholds or ():
        if score >= minimum:
            return int(stars)
    return 0


def rank(scheme: Scheme, scores: list) -> None:
    """Competition ranking (1, 1, 3) by score, highest first; card and stars."""
    scores.sort(key=lambda s: -s.score)
    previous = None
    for position, score in enumerate(scores, start=1):
        if previous is None or score.score != previous.score:
            score.rank = position
        else:
            score.rank = previous.rank
        previous = score
        score.card = card_of(scheme, score.score, score.major_count, score.critical_count)
        score.stars = stars_of(scheme, score.score, score.card)
