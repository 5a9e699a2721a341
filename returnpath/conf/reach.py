"""Settings of reaching the person (counselling.reach): the answer link and delivery callbacks."""

import environ

_env = environ.Env()

# The address people's links start with (the public host of ReturnPath's person page).
RETURNPATH_PUBLIC_BASE_URL = _env.str("RETURNPATH_PUBLIC_BASE_URL", default="http://127.0.0.1:8000")
# A link stops working this many days after it was made, and in any case one day after the appointment.
RETURNPATH_PERSON_LINK_MAX_AGE_DAYS = _env.int("RETURNPATH_PERSON_LINK_MAX_AGE_DAYS", default=60)
# Requests to the person's page per client address per minute, and answers per link per hour.
RETURNPATH_PERSON_PAGE_RATE = _env.int("RETURNPATH_PERSON_PAGE_RATE", default=30)
RETURNPATH_PERSON_ANSWERS_PER_HOUR = _env.int("RETURNPATH_PERSON_ANSWERS_PER_HOUR", default=10)
# Shared secrets of the message backends' delivery callbacks, "backend=secret,backend2=secret2".
# A backend without a secret has no callback endpoint (404).
RETURNPATH_DELIVERY_CALLBACK_SECRETS = _env.dict("RETURNPATH_DELIVERY_CALLBACK_SECRETS", default={})
