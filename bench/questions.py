"""What the load sessions ask: a cycle of real, different customer questions.

One question sent to every session measures one route, one retrieval and one cache-warm
prompt; customers ask about specifications, maintenance and appointments, and faults, in
their own words. These come from the sample corpus's evaluation set
(`tests/data/corpora/sample/questions.jsonl`) and the labelled routing set
(`tests/data/routing_labelled.jsonl`), on the sample knowledge base the benchmarks serve.

Each one goes to one specialist with the router sure enough not to ask the language model
(a routing call to the LLM simulator would stream a whole paced answer, which no real
routing call does), so every answer is the simulator's one answer, as through the relay.
Checked on 2026-11-23 by sending each through our server with the simulator at 30 tokens/s:
200 tokens each, first token within 0.4 s. Two-intent questions (two answers, 400 tokens)
and ones the router was unsure of ("can i run my sable on E85?", "Could you reserve a slot
for my Sable on the 21st at 8:00?") were left out.
"""

from __future__ import annotations

from itertools import zip_longest
from typing import Final

__all__ = ["QUESTIONS", "question"]

SPECS: Final = (
    "0 to 100 in the aster standard range, how many seconds?",
    "What's the WLTP range of the Aster Long Range AWD?",
    "how wide is an aster including the mirrors? tight garage",
    "How much torque does the Aster Performance make?",
    "how many litres is the aster boot with the rear seats up",
    "can the Aster Long Range pull a braked trailer, whats the limit",
    "What's the payload of the standard Ridge Hybrid (not the tow pack)?",
    "max braked towing on the Ridge Hybrid Tow Pack?",
    "how big is the fuel tank in the ridge",
    "how deep a river can the Ridge drive through",
    "torque figure for the Sable 1.5T?",
    "fuel tank size of the sable 2.0T GT",
    "Kerb weight of the Sable 1.5T?",
    "What's the top speed of the Sable GT",
    "boot capacity on a Sable 1.5T in litres?",
    "how long to charge an Aster Long Range from empty on a normal household socket?",
    "How far can a Ridge go in EV mode on battery only?",
    "What's the DC fast charge peak of the Aster Standard Range RWD?",
    "How quick is the Sable 2.0T GT to 100?",
    "Bed dimensions of the Ridge pickup?",
    "Is there a heat pump on the Standard Range Aster?",
)

MAINTENANCE: Final = (
    "how often does the Aster need servicing?",
    "how often should I rotate the tyres on my aster",
    "Ridge oil change interval?",
    "I tow a lot with my Ridge. When should the e-CVT fluid be replaced?",
    "how often does the sable 2.0T GT need an oil change",
    "Which oil grade goes in a Sable 1.5T?",
    "when does the dual clutch fluid need changing on the 1.5T sable",
    "what tyre pressures for an Aster Performance, normal driving?",
    "rear tyre psi on a ridge tow pack when towing?",
    "At what tread depth should summer tyres be replaced?",
    "how long does the powertrain warranty last",
    "Can I cancel my service appointment without paying anything?",
    "what are the service centre hours on Saturday?",
    "do I get a courtesy car while my car is being serviced?",
    "How long does a diagnostic check appointment take?",
    "Can you book my Ridge in for Wednesday 10:30?",
    "Do you have any free slots tomorrow morning for a tyre rotation?",
    "I'd like to book a service for my Aster next Tuesday",
    "I want an appointment for my annual inspection",
    "What's the maintenance schedule for the Ridge Hybrid?",
    "Does the workshop take evening appointments on Thursdays?",
    "How many km until my next scheduled service?",
)

TROUBLESHOOTING: Final = (
    "red oil can light just came on in my sable while driving!",
    "there's an amber snowflake symbol on my dash, what does it mean?",
    "my Ridge shows P0A80, what does that mean?",
    "got P0AA6 on the aster, can I still charge it?",
    "what's fault code P0420 on my sable",
    "screen says INF-204 and the app won't unlock my car",
    "Aster showing CHG-031 at a fast charger",
    "charging stopped with CHG-090, should I just try again?",
    "Sable gearbox feels like it's slipping",
    "Sable GT says AWD system overheating front-wheel drive only, what do I do",
    "my brakes scrape for the first couple of stops on wet mornings, is that bad?",
    "brake pedal is spongy and slowly sinks when I hold it",
    "the touchscreen froze, how do I restart it?",
    "my Sable just clicks when I try to start it and the dash lights go dim",
    "key fob seems dead, what battery does it take?",
    "what does P0A7F mean on a Ridge",
    "The Aster won't take a charge from my wallbox",
    "Check hybrid system warning on my Ridge",
    "my aster beeps and shows a red turtle symbol",
)

# Interleaved, so that any run of consecutive sessions asks all three specialists.
QUESTIONS: Final[tuple[str, ...]] = tuple(
    q for group in zip_longest(SPECS, MAINTENANCE, TROUBLESHOOTING) for q in group if q
)


def question(index: int) -> str:
    """The question session `index` asks (the cycle repeats)."""
    return QUESTIONS[index % len(QUESTIONS)]
