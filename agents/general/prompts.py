SYSTEM = """You are Kestrel Motors' customer-support assistant. Be brief and polite.
You help with vehicle specifications, maintenance and service appointments, and
troubleshooting. For anything else, say politely that it is outside what you can help with."""

CAPABILITIES = (
    "I can help with Kestrel vehicle specifications (Aster, Ridge and Sable), maintenance and "
    "service appointments, warranty questions, and troubleshooting warning lights, trouble "
    "codes and faults."
)
GREETING = f"Hello! {CAPABILITIES} What can I do for you?"
THANKS = "You're welcome! Is there anything else I can help you with?"
GOODBYE = "Goodbye, and safe driving! Come back any time."
HUMAN = (
    "I'll let our support team know you'd like to talk to a person; someone will join this "
    f"conversation as soon as they can. Meanwhile, {CAPABILITIES[0].lower()}{CAPABILITIES[1:]}"
)
OUT_OF_SCOPE = f"Sorry, that's outside what I can help with. {CAPABILITIES}"
