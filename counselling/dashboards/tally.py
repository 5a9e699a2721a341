"""The case tally: counts per dashboard key, kept by a trigger on the case table (decision 065).

The trigger (installed by migration counselling 0007, PostgreSQL only) appends, per statement,
one signed row per key whose count changed: ``-1`` for each old row, ``+1`` for each new one,
summed, zeros dropped. An update that does not move a case to another key (most of them: a
conversation recorded, a note) appends nothing. ``compact`` folds the deltas into one row per
key; until then readers sum them, which is exact at every instant.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection, transaction

KEY = ("office_id", "counsellor_id", "state", "target_group", "has_next", "has_deadline", "suspensive",
       "escalation_proposed", "lose_contact_proposed")

# The key as the trigger derives it from a case row (one fact: used by the trigger and the fill).
_KEY_OF_CASE = (
    "office_id, counsellor_id, state, target_group, next_conversation_at IS NOT NULL, departure_deadline IS NOT NULL, "
    "pending_suspensive_procedures > 0, escalation_proposed_at IS NOT NULL, lose_contact_proposed_at IS NOT NULL"
)
_COLUMNS = ", ".join(KEY)

FUNCTION = f"""
CREATE OR REPLACE FUNCTION counselling_case_tally() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO counselling_casetally ({_COLUMNS}, n)
      SELECT {_KEY_OF_CASE}, count(*) FROM new_cases GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO counselling_casetally ({_COLUMNS}, n)
      SELECT {_KEY_OF_CASE}, -count(*) FROM old_cases GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9;
  ELSE
    INSERT INTO counselling_casetally ({_COLUMNS}, n)
      SELECT {_COLUMNS}, sum(d) FROM (
        SELECT {_KEY_OF_CASE}, -1 AS d FROM old_cases
        UNION ALL
        SELECT {_KEY_OF_CASE}, 1 AS d FROM new_cases
      ) AS moved({_COLUMNS}, d)
      GROUP BY {_COLUMNS} HAVING sum(d) <> 0;
  END IF;
  RETURN NULL;
END $$;
"""  # noqa: S608 (constant column names, no input)

TRIGGERS = """
CREATE TRIGGER case_tally_insert AFTER INSERT ON cases_case REFERENCING NEW TABLE AS new_cases
  FOR EACH STATEMENT EXECUTE FUNCTION counselling_case_tally();
CREATE TRIGGER case_tally_update AFTER UPDATE ON cases_case REFERENCING OLD TABLE AS old_cases NEW TABLE AS new_cases
  FOR EACH STATEMENT EXECUTE FUNCTION counselling_case_tally();
CREATE TRIGGER case_tally_delete AFTER DELETE ON cases_case REFERENCING OLD TABLE AS old_cases
  FOR EACH STATEMENT EXECUTE FUNCTION counselling_case_tally();
"""

DROP = """
DROP TRIGGER IF EXISTS case_tally_insert ON cases_case;
DROP TRIGGER IF EXISTS case_tally_update ON cases_case;
DROP TRIGGER IF EXISTS case_tally_delete ON cases_case;
DROP FUNCTION IF EXISTS counselling_case_tally();
"""

FILL = f"""
DELETE FROM counselling_casetally;
INSERT INTO counselling_casetally ({_COLUMNS}, n)
  SELECT {_KEY_OF_CASE}, count(*) FROM cases_case GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9;
"""  # noqa: S608

# Deleting the deltas a snapshot sees and inserting their sums is one statement: rows appended
# meanwhile are not seen, so they stay, and nothing is counted twice. The advisory lock keeps
# two compactions from summing the same rows.
COMPACT = f"""
WITH gone AS (DELETE FROM counselling_casetally RETURNING {_COLUMNS}, n)
INSERT INTO counselling_casetally ({_COLUMNS}, n)
  SELECT {_COLUMNS}, sum(n) FROM gone GROUP BY {_COLUMNS} HAVING sum(n) <> 0
"""  # noqa: S608


# --- conversations -------------------------------------------------------------------------------
# A conversation counts for the office of its case (as the live figures join it), in its local
# week. The conversation trigger follows inserts, status and date changes; the case trigger moves
# a case's conversations when the case moves to another office.
CONVERSATION_COLUMNS = "office_id, counsellor_id, week, status"


def _day(column: str, zone: str) -> str:
    """The Monday of the local week (what TruncWeek gives the live figures)."""
    return f"date_trunc('week', {column} AT TIME ZONE '{zone}')::date"


def conversation_function(zone: str) -> str:
    day = _day("v.planned_at", zone)
    return f"""
CREATE OR REPLACE FUNCTION counselling_conversation_tally() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO counselling_conversationtally ({CONVERSATION_COLUMNS}, n)
      SELECT c.office_id, v.counsellor_id, {day}, v.status, count(*)
      FROM new_conversations v JOIN cases_case c ON c.id = v.case_id GROUP BY 1, 2, 3, 4;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO counselling_conversationtally ({CONVERSATION_COLUMNS}, n)
      SELECT c.office_id, v.counsellor_id, {day}, v.status, -count(*)
      FROM old_conversations v JOIN cases_case c ON c.id = v.case_id GROUP BY 1, 2, 3, 4;
  ELSE
    INSERT INTO counselling_conversationtally ({CONVERSATION_COLUMNS}, n)
      SELECT c.office_id, moved.counsellor_id, moved.week, moved.status, sum(moved.d) FROM (
        SELECT v.case_id, v.counsellor_id, {day} AS week, v.status, -1 AS d FROM old_conversations v
        UNION ALL
        SELECT v.case_id, v.counsellor_id, {day}, v.status, 1 FROM new_conversations v
      ) AS moved JOIN cases_case c ON c.id = moved.case_id
      GROUP BY 1, 2, 3, 4 HAVING sum(moved.d) <> 0;
  END IF;
  RETURN NULL;
END $$;
"""  # noqa: S608 (constant names, the zone from settings)


def case_office_function(zone: str) -> str:
    day = _day("v.planned_at", zone)
    return f"""
CREATE OR REPLACE FUNCTION counselling_case_office_moves() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Most updates of cases move none to another office (the sweeps, the steps): then the
  -- conversations are not read at all. plpgsql keeps a statement's plan for the session, and the
  -- plan made for a large update (a hash join over every conversation) cost a later batch of 500
  -- planned cases 1-2 s in this trigger (decision 111). EXCEPT (hashed or sorted, NULLs equal)
  -- and not a join: the transition tables have no statistics, and a nested loop over two of
  -- 20,000 rows took minutes.
  IF NOT EXISTS (SELECT id, office_id FROM new_cases EXCEPT SELECT id, office_id FROM old_cases) THEN
    RETURN NULL;
  END IF;
  INSERT INTO counselling_conversationtally ({CONVERSATION_COLUMNS}, n)
    SELECT office_id, counsellor_id, week, status, sum(d) FROM (
      SELECT o.office_id, v.counsellor_id, {day} AS week, v.status, -1 AS d
      FROM old_cases o JOIN new_cases c ON c.id = o.id AND c.office_id IS DISTINCT FROM o.office_id
      JOIN counselling_conversation v ON v.case_id = o.id
      UNION ALL
      SELECT c.office_id, v.counsellor_id, {day}, v.status, 1
      FROM old_cases o JOIN new_cases c ON c.id = o.id AND c.office_id IS DISTINCT FROM o.office_id
      JOIN counselling_conversation v ON v.case_id = o.id
    ) AS moved GROUP BY 1, 2, 3, 4 HAVING sum(d) <> 0;
  RETURN NULL;
END $$;
"""  # noqa: S608


CONVERSATION_TRIGGERS = """
CREATE TRIGGER conversation_tally_insert AFTER INSERT ON counselling_conversation REFERENCING NEW TABLE AS new_conversations
  FOR EACH STATEMENT EXECUTE FUNCTION counselling_conversation_tally();
CREATE TRIGGER conversation_tally_update AFTER UPDATE ON counselling_conversation
  REFERENCING OLD TABLE AS old_conversations NEW TABLE AS new_conversations
  FOR EACH STATEMENT EXECUTE FUNCTION counselling_conversation_tally();
CREATE TRIGGER conversation_tally_delete AFTER DELETE ON counselling_conversation REFERENCING OLD TABLE AS old_conversations
  FOR EACH STATEMENT EXECUTE FUNCTION counselling_conversation_tally();
CREATE TRIGGER case_office_moves AFTER UPDATE ON cases_case REFERENCING OLD TABLE AS old_cases NEW TABLE AS new_cases
  FOR EACH STATEMENT EXECUTE FUNCTION counselling_case_office_moves();
"""

CONVERSATION_DROP = """
DROP TRIGGER IF EXISTS conversation_tally_insert ON counselling_conversation;
DROP TRIGGER IF EXISTS conversation_tally_update ON counselling_conversation;
DROP TRIGGER IF EXISTS conversation_tally_delete ON counselling_conversation;
DROP TRIGGER IF EXISTS case_office_moves ON cases_case;
DROP FUNCTION IF EXISTS counselling_conversation_tally();
DROP FUNCTION IF EXISTS counselling_case_office_moves();
"""


def conversation_fill(zone: str) -> str:
    return f"""
DELETE FROM counselling_conversationtally;
INSERT INTO counselling_conversationtally ({CONVERSATION_COLUMNS}, n)
  SELECT c.office_id, v.counsellor_id, {_day("v.planned_at", zone)}, v.status, count(*)
  FROM counselling_conversation v JOIN cases_case c ON c.id = v.case_id GROUP BY 1, 2, 3, 4;
"""  # noqa: S608


CONVERSATION_COMPACT = f"""
WITH gone AS (DELETE FROM counselling_conversationtally RETURNING {CONVERSATION_COLUMNS}, n)
INSERT INTO counselling_conversationtally ({CONVERSATION_COLUMNS}, n)
  SELECT {CONVERSATION_COLUMNS}, sum(n) FROM gone GROUP BY {CONVERSATION_COLUMNS} HAVING sum(n) <> 0
"""  # noqa: S608


def available() -> bool:
    """The tally exists only where the trigger can keep it (PostgreSQL)."""
    return connection.vendor == "postgresql"


def compact() -> None:
    if not available():
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext('counselling_casetally'))")
        if cursor.fetchone()[0]:
            cursor.execute(COMPACT)
            cursor.execute(CONVERSATION_COMPACT)


def rebuild() -> None:
    """Recount from the cases (the migration's fill; a repair after restoring only the case table)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("LOCK TABLE cases_case, counselling_conversation IN SHARE MODE")
        cursor.execute(FILL)
        cursor.execute(conversation_fill(settings.TIME_ZONE))
