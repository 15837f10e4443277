"""Messages the router learns the recalls route from."""

EXAMPLES: tuple[str, ...] = (
    "Is my car affected by a safety recall?",
    "Is there a recall on the car?",
    "I got a recall letter in the post, what does it mean?",
    "Which cars are included in the recall campaign?",
    "What is the recall campaign number?",
    "Do I have to pay for the recall repair?",
    "How do I check if my vehicle identification number is part of a recall?",
    "What does the recall fix?",
    "Is it safe to drive my car before the recall work is done?",
    "How long does the recall repair take at the workshop?",
    "Has the recall on the car been completed for my vehicle?",
    "Why is the car being recalled?",
)
