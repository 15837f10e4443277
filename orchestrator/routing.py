"""The semantic router: labelled examples, cosine similarity, calibrated confidence. No I/O."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from rag.catalogue import Catalogue

Route = str  # a specialist's name in the registry (`agents.registry`)
GENERAL: Route = "general"  # the fallback route every registry has
TOP_N = 3
# Below this best similarity a message resembles no example well: it is out of scope.
OUT_OF_SCOPE_SIMILARITY = 0.30
CLAUSE_SPLIT = re.compile(
    r"(?<=[.?!;])\s+|\s*,?\s+\b(?:and also|also|and then|plus|and)\b\s+(?=(?:i|i'd|i'm|i'll|"
    r"can|could|would|please|book|what|how|when|is|are|do|does|my|the)\b)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class RouteDecision:
    route: Route
    confidence: float
    scores: dict[str, float]
    # No example resembles the message well (`OUT_OF_SCOPE_SIMILARITY`): routed to GENERAL for
    # that, not for resembling its examples.
    out_of_scope: bool = False


@dataclass(frozen=True)
class Intent:
    """One specialist a turn needs, with the part of the message that asks for it."""

    route: Route
    text: str
    confidence: float
    clause: int  # which clause of the message (0 = the whole message; REST: see `intents`)


# An intent whose text is several clauses joined: no text embedded before routing.
REST = -1


def _softmax(values: NDArray[np.float64], temperature: float) -> NDArray[np.float64]:
    scaled = (values - values.max()) / temperature
    exp = np.exp(scaled)
    return np.asarray(exp / exp.sum(), dtype=np.float64)


class SemanticRouter:
    """Scores a route by the mean of its TOP_N most similar examples; softmax gives confidence.

    The softmax temperature is fitted on the examples themselves (leave-one-out), so that the
    reported confidence tracks how often the router is right.
    """

    def __init__(self, examples: Mapping[str, Sequence[str]], vectors: NDArray[np.float32]) -> None:
        self.labels = np.asarray(
            [route for route, texts in examples.items() for _ in texts], dtype=np.str_
        )
        self.vectors = vectors
        self.routes: tuple[Route, ...] = tuple(examples)
        self.temperature = self._fit_temperature()

    def _route_scores(
        self, similarities: NDArray[np.float32], exclude: int | None = None
    ) -> NDArray[np.float64]:
        scores = np.empty(len(self.routes), dtype=np.float64)
        for i, route in enumerate(self.routes):
            mask = self.labels == route
            if exclude is not None:
                mask[exclude] = False
            top = np.sort(similarities[mask])[-TOP_N:]
            scores[i] = float(top.mean()) if top.size else 0.0
        return scores

    def _fit_temperature(self) -> float:
        similarity = self.vectors @ self.vectors.T
        all_scores = [self._route_scores(similarity[i], exclude=i) for i in range(len(self.labels))]
        truth = [self.routes.index(label) for label in self.labels]
        best, best_loss = 0.05, float("inf")
        for temperature in (0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.07, 0.1, 0.15, 0.2):
            loss = -sum(
                float(np.log(_softmax(s, temperature)[t] + 1e-12))
                for s, t in zip(all_scores, truth, strict=True)
            )
            if loss < best_loss:
                best, best_loss = temperature, loss
        return best

    def classify(self, vector: NDArray[np.float32]) -> RouteDecision:
        similarities = self.vectors @ vector
        scores = self._route_scores(similarities)
        probabilities = _softmax(scores, self.temperature)
        best = int(np.argmax(probabilities))
        route, confidence = self.routes[best], float(probabilities[best])
        out_of_scope = (
            float(similarities.max()) < OUT_OF_SCOPE_SIMILARITY and GENERAL in self.routes
        )
        if out_of_scope:
            route, confidence = GENERAL, max(confidence, 0.5)
        return RouteDecision(
            route=route,
            confidence=round(confidence, 4),
            scores={r: round(float(s), 4) for r, s in zip(self.routes, scores, strict=True)},
            out_of_scope=out_of_scope,
        )

    def within_scope(self, decision: RouteDecision) -> RouteDecision:
        """`decision` for a message known to be about the knowledge base's subject: the
        specialist's route it resembles most, the general route left out."""
        specialists = [r for r in self.routes if r != GENERAL]
        if not specialists:
            return decision
        scores = np.asarray([decision.scores[r] for r in self.routes], dtype=np.float64)
        probabilities = _softmax(scores, self.temperature)
        best = max(specialists, key=lambda r: decision.scores[r])
        confidence = float(probabilities[self.routes.index(best)])
        return replace(decision, route=best, confidence=round(confidence, 4), out_of_scope=False)


# A route the language model picks counts when the semantic router scores it this close to
# its best route (two-part questions measured 0.03-0.17 apart, a greeting's specialists 0.35).
ROUTE_SCORE_MARGIN = 0.2
MAX_MODEL_ROUTES = 2


def consistent_routes(
    chosen: Sequence[Route],
    scores: Mapping[str, float],
    *,
    margin: float = ROUTE_SCORE_MARGIN,
    most: int = MAX_MODEL_ROUTES,
) -> list[Route]:
    """The routes a language model chose that the semantic router's `scores` bear out: those
    scored within `margin` of the best score, best first, `most` of them at most; the general
    route only on its own (a greeting is no specialist's question). Empty when none is."""
    if not scores:
        return []
    best = max(scores.values())
    kept = sorted(
        (r for r in dict.fromkeys(chosen) if r in scores and scores[r] >= best - margin),
        key=lambda r: -scores[r],
    )[:most]
    if GENERAL in kept:
        return [GENERAL] if kept[0] == GENERAL else [r for r in kept if r != GENERAL]
    return kept


# The vehicle a follow-up was made standalone with: "…its payload? (Acme Nova)".
VEHICLE_SUFFIX = re.compile(r"\s*\([^()]*\)\s*$")


MIN_CLAUSE_WORDS = 3


def split_clauses(message: str) -> list[str]:
    """The separately-askable parts of a message ("my car shows P0A80 and I'd like to book").

    A trailing "(Brand Model)" added to make a follow-up standalone is context, not a clause.
    """
    text = VEHICLE_SUFFIX.sub("", message) or message
    parts = [p.strip(" ,;") for p in CLAUSE_SPLIT.split(text) if p and p.strip(" ,;")]
    # A part of a word or two ("what now?", "thanks") is no clause of its own, but is still
    # said: it goes with the clause before it (the first clause, when it comes first).
    clauses: list[str] = []
    opening = ""
    for part in parts:
        if len(part.split()) >= MIN_CLAUSE_WORDS:
            clauses.append(f"{opening} {part}".strip())
            opening = ""
        elif clauses:
            clauses[-1] = f"{clauses[-1]} {part}"
        else:
            opening = f"{opening} {part}".strip()
    return clauses if len(clauses) > 1 else [message]


def joined(clauses: Sequence[str]) -> str:
    """Clauses said again as one message, each kept apart from the next as the customer kept
    it: "What oil goes in the transfer case, how many litres?", not one run-on question that
    a specialist could not tell into its parts."""
    return " ".join(
        c if c.endswith((".", "?", "!", ";", ",")) or n == len(clauses) - 1 else f"{c},"
        for n, c in enumerate(clauses)
    )


# A clause that asks something of its own, or asks for something to be done.
ASKS = re.compile(
    r"\?\s*$|^\s*(?:can|could|would|will|please|pls|i'd like|i would like|i want|i need|book|"
    r"when|what|whats|what's|how|where|which|is|are|do|does|should)\b",
    re.IGNORECASE,
)
# A clause that leans on another ("can I still drive it?", "how urgent is that?").
LEANS_BACK = re.compile(r"\b(it|its|it's|that|this|them|they|there)\b", re.IGNORECASE)
# Whether to drive on ("can I keep driving to get home?", "is it safe to drive?") asks about
# what the message reports, not something new.
DRIVES_ON = re.compile(
    r"\b(?:keep|still|continue|carry on|go on)\s+(?:driving|riding|to drive|to ride)\b|"
    r"\bsafe to (?:drive|ride)\b|\b(?:drive|ride) (?:it )?(?:home|on)\b|\bget home\b",
    re.IGNORECASE,
)
# Asking to act on an appointment stands on its own even when it says "it".
ACTS = re.compile(r"\b(book|booked|booking|schedule|appointment|reserve|cancel|reschedule)\b", re.I)


def names_a_fault_code(message: str, catalogue: Catalogue | None = None) -> bool:
    """A message that quotes a code ("got TR-515 while towing") is about a fault; a code the
    documents are named by ("the FJ62", `Catalogue.designations`) is none."""
    return bool((catalogue or Catalogue()).codes_in(message))


# A message the display shows, quoted as it reads: capitalised words ending on what went
# wrong ("EPS Performance Reduced", "Traction Control Fault"), or a low level ("Low Oil
# Pressure"); not a name that only holds such a word ("New Vehicle Limited Warranty"), nor a
# feature named for what it warns of ("Lane Departure Warning").
DISPLAY_MESSAGE = re.compile(
    r"(?<=\s)(?:[A-Z][\w/&-]*\s+){1,5}?"
    r"(?:Fault|Failure|Failed|Malfunction|Reduced|Limited|Error|Unavailable|Inoperative|"
    r"High|Low)\b(?!\s+[A-Z])|(?<=\s)Low(?:\s+[A-Z][\w/&-]*){1,4}\b"
)


def names_a_display_message(message: str) -> bool:
    """A message that quotes a warning as the display shows it ("What does EPS Performance
    Reduced mean?", "when Low Oil Pressure comes up") is about a fault, as one that quotes a
    fault code is."""
    return DISPLAY_MESSAGE.search(message) is not None


def to_fault_route(
    message: str, route: Route, defers_codes: bool, catalogue: Catalogue | None = None
) -> bool:
    """Whether a message the router sent to `route` (a specialist's) goes to the fault route
    instead: it quotes a fault code and `route` defers codes to it, or it quotes a warning as
    the display shows it and asks to act on no appointment ("Low Oil Pressure came up, which
    level do I check?", not "book me in, it says Brake Fault")."""
    if route == GENERAL:
        return False
    if defers_codes and names_a_fault_code(message, catalogue):
        return True
    return names_a_display_message(message) and not ACTS.search(message)


HUMAN = re.compile(
    r"\b(human|real person|a person|someone|agent|operator|representative|staff)\b", re.I
)
WANTS = re.compile(r"\b(talk|speak|chat|connect|transfer|get|want|need)\b", re.I)


def asks_for_person(message: str) -> bool:
    """The customer wants to talk to a human (the general reply says so; staff are called)."""
    return bool(HUMAN.search(message) and WANTS.search(message))


def stands_alone(clause: str, route: str, fault_routes: Collection[str] = ()) -> bool:
    """Whether a clause is a second request in its own right, not context for the first.

    A fault reported in passing ("my car shows P0A80", routed to one of `fault_routes`) always
    is; anything else must ask its own question or request, without leaning on the rest
    ("can I still drive it?").
    """
    if route in fault_routes or ACTS.search(clause):
        return True
    if DRIVES_ON.search(clause):
        return False
    return bool(ASKS.search(clause)) and not LEANS_BACK.search(clause)


# A clause that asks something: a question mark, a question word opening it or what follows
# its colon ("With the big wheels: what size tyres does it run"), or a request. Not "when" or
# "how" inside a sentence that tells ("The light flickers when the engine is hot.").
QUESTION = re.compile(
    r"\?|(?:^|[:;–—-])\s*(?:what|whats|what's|which|how|when|where|why|can|could|would|"
    r"will|is|are|do|does|should|please|pls)\b|\b(?:i'd like|i would like|i want|i need)\b",
    re.IGNORECASE,
)


def asks_once(clauses: Sequence[str]) -> bool:
    """The message asks one question and says the rest ("My battery goes flat if the car
    sits for a few days. How much key-off current draw is acceptable?"): one clause asks,
    each other one only tells. Asking for an appointment is a request of its own."""
    if len(clauses) < 2 or any(ACTS.search(c) for c in clauses):
        return False
    return sum(1 for c in clauses if QUESTION.search(c)) == 1


def asked_at(intent: Intent, clauses: Sequence[str]) -> int:
    """Where in the message the intent's part is asked: the number of the clause its text
    opens with (0 for the whole message)."""
    if len(clauses) < 2:
        return 0
    return next((n for n, c in enumerate(clauses) if intent.text.startswith(c)), 0)


def intents(
    whole: RouteDecision,
    clauses: Sequence[str],
    clause_decisions: Sequence[RouteDecision],
    *,
    min_confidence: float = 0.6,
    fault_routes: Collection[str] = (),
    quotes_fault: bool = False,
) -> list[Intent]:
    """Every specialist the message needs; the whole message's route first.

    A fault described in words and one question asked of it ("The oil light flickers when
    it's hot at idle. What's the minimum oil pressure at idle?") is one request, the fault
    route's, where the whole message is most like one: the figure is asked to diagnose what
    was described. A fault quoted by its code or as the display words it (`quotes_fault`) is
    reported in its own right, and a question beside it may be another request ("My car
    shows P0420, and how often…").
    """
    if whole.route in fault_routes and not quotes_fault and asks_once(clauses):
        return [Intent(whole.route, joined(clauses), whole.confidence, 0)]
    found: list[Intent] = []
    if whole.route != GENERAL:
        found.append(Intent(whole.route, joined(clauses), whole.confidence, 0))
    for index, (text, decision) in enumerate(zip(clauses, clause_decisions, strict=True), 1):
        if decision.route == GENERAL or decision.confidence < min_confidence:
            continue
        if found and not stands_alone(text, decision.route, fault_routes):
            continue
        if any(i.route == decision.route for i in found):
            continue
        found.append(Intent(decision.route, text, decision.confidence, index))
    if found and len(found) > 1:
        # Each other specialist answers the clause that asks for it; the lead one answers the
        # rest of the message, the clauses that lean on its own ("…shows EN-326. What's wrong
        # with it, and can I book it in?": the diagnosis keeps the code).
        primary = next(
            (i for i, d in enumerate(clause_decisions, 1) if d.route == found[0].route), 0
        )
        if primary:
            taken = {i.clause for i in found[1:]}
            rest = [n for n in range(1, len(clauses) + 1) if n not in taken]
            text = joined([clauses[n - 1] for n in rest])
            clause = rest[0] if len(rest) == 1 else REST
            found[0] = Intent(found[0].route, text, found[0].confidence, clause)
    return found or [Intent(GENERAL, joined(clauses), whole.confidence, 0)]
