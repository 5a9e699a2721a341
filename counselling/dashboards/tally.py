"""The case tally: counts per dashboard key, kept by a trigger on the case table (decision 065).

The trigger (installed by migration counselling 0007, PostgreSQL only) appends, per statement,
one signed row per key whose count changed: ``-1`` for each old row, ``+1`` for each new one,
summed, zeros dropped. An update that does not move a case to another key (most of them: a
conversation recorded, a note) appends nothing. ``compact`` folds the deltas into one row per
key; until then readers sum them, which is exact at every instant.
"""

from __future__ import annotations

from functools import partial

from django.conf import settings
from django.db import connection, transaction

from counselling.dashboards import outcomes, quarters

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

# From decision 110 on, the same deltas summed without the counsellor too: the national page
# reads one row per (office, key) instead of one per counsellor (a tenth of the rows).
OFFICE_KEY = tuple(column for column in KEY if column != "counsellor_id")
_OFFICE_COLUMNS = ", ".join(OFFICE_KEY)


def _changes(rows: str) -> str:
    old, new = f"SELECT {_KEY_OF_CASE}, -1 FROM old_cases", f"SELECT {_KEY_OF_CASE}, 1 FROM new_cases"  # noqa: S608
    return {"INSERT": new, "DELETE": old, "UPDATE": f"{old} UNION ALL {new}"}[rows]


def _both(rows: str) -> str:
    return f"""
    WITH moved AS (
      SELECT {_COLUMNS}, sum(d) AS n FROM ({_changes(rows)}) AS changed({_COLUMNS}, d)
      GROUP BY {_COLUMNS} HAVING sum(d) <> 0
    ), offices AS (
      INSERT INTO counselling_officetally ({_OFFICE_COLUMNS}, n)
      SELECT {_OFFICE_COLUMNS}, sum(n) FROM moved GROUP BY {_OFFICE_COLUMNS} HAVING sum(n) <> 0
    )
    INSERT INTO counselling_casetally ({_COLUMNS}, n) SELECT {_COLUMNS}, n FROM moved;"""  # noqa: S608


FUNCTION_WITH_OFFICES = f"""
CREATE OR REPLACE FUNCTION counselling_case_tally() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN {_both("INSERT")}
  ELSIF TG_OP = 'DELETE' THEN {_both("DELETE")}
  ELSE {_both("UPDATE")}
  END IF;
  RETURN NULL;
END $$;
"""

OFFICE_FILL = f"""
DELETE FROM counselling_officetally;
INSERT INTO counselling_officetally ({_OFFICE_COLUMNS}, n)
  SELECT {_OFFICE_COLUMNS}, sum(n) FROM counselling_casetally GROUP BY {_OFFICE_COLUMNS} HAVING sum(n) <> 0;
"""  # noqa: S608

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

def compaction(table: str, key: str, counts: tuple[str, ...] = ("n",)) -> str:
    """Fold the deltas of ``table``: the rows of every key that has more than one (or a zero
    row) are deleted and their sums inserted, in one statement. Rows appended meanwhile are not
    in its snapshot, so they stay, and nothing is counted twice; keys with one row are only read
    (decision 110: rewriting the whole tally every cycle cost seconds at 1M cases). The advisory
    lock of :func:`compact` keeps two compactions from summing the same rows."""
    zero = " AND ".join(f"{c} = 0" for c in counts)
    sums = ", ".join(f"sum({c})" for c in counts)
    nonzero = " OR ".join(f"sum({c}) <> 0" for c in counts)
    return f"""
WITH folded AS (
  SELECT ctid FROM (SELECT ctid, {zero} AS zero, count(*) OVER (PARTITION BY {key}) AS rows FROM {table}) AS keyed
  WHERE rows > 1 OR zero
), gone AS (
  DELETE FROM {table} WHERE ctid IN (SELECT ctid FROM folded) RETURNING {key}, {", ".join(counts)}
)
INSERT INTO {table} ({key}, {", ".join(counts)})
  SELECT {key}, {sums} FROM gone GROUP BY {key} HAVING {nonzero}
"""  # noqa: S608 (constant names)


COMPACT = compaction("counselling_casetally", _COLUMNS)


# --- conversations -------------------------------------------------------------------------------
# A conversation counts for the office of its case (as the live figures join it), in its local
# week. The conversation trigger follows inserts, status and date changes; the case trigger moves
# a case's conversations when the case moves to another office.
CONVERSATION_COLUMNS = "office_id, counsellor_id, week, status"


def _day(column: str, zone: str) -> str:
    """The Monday of the local week (what TruncWeek gives the live figures)."""
    return f"date_trunc('week', {column} AT TIME ZONE '{zone}')::date"


OFFICE_CONVERSATION_COLUMNS = "office_id, week, status"


def _conversations(rows: str, offices: bool) -> str:
    """Append ``rows`` (office, counsellor, week, status, n: grouped, no zero) to the conversation
    tally, and from decision 118 on (``offices``) their sums without the counsellor to the office
    conversation tally, in the same statement."""
    if not offices:
        return f"INSERT INTO counselling_conversationtally ({CONVERSATION_COLUMNS}, n) {rows};"
    return f"""WITH moved ({CONVERSATION_COLUMNS}, n) AS ({rows}), offices AS (
      INSERT INTO counselling_officeconversationtally ({OFFICE_CONVERSATION_COLUMNS}, n)
      SELECT {OFFICE_CONVERSATION_COLUMNS}, sum(n) FROM moved GROUP BY 1, 2, 3 HAVING sum(n) <> 0
    )
    INSERT INTO counselling_conversationtally ({CONVERSATION_COLUMNS}, n) SELECT {CONVERSATION_COLUMNS}, n FROM moved;"""  # noqa: S608


def conversation_function(zone: str, *, offices: bool = False) -> str:
    """The conversation trigger's function; ``offices``: writing the office conversation tally
    too (counselling 0019; without it, as counselling 0008 installed it)."""
    day = _day("v.planned_at", zone)
    insert = _conversations(f"""SELECT c.office_id, v.counsellor_id, {day}, v.status, count(*)
      FROM new_conversations v JOIN cases_case c ON c.id = v.case_id GROUP BY 1, 2, 3, 4""", offices)  # noqa: S608 (constant names, the zone from settings)
    delete = _conversations(f"""SELECT c.office_id, v.counsellor_id, {day}, v.status, -count(*)
      FROM old_conversations v JOIN cases_case c ON c.id = v.case_id GROUP BY 1, 2, 3, 4""", offices)  # noqa: S608 (constant names, the zone from settings)
    update = _conversations(f"""SELECT c.office_id, moved.counsellor_id, moved.week, moved.status, sum(moved.d) FROM (
        SELECT v.case_id, v.counsellor_id, {day} AS week, v.status, -1 AS d FROM old_conversations v
        UNION ALL
        SELECT v.case_id, v.counsellor_id, {day}, v.status, 1 FROM new_conversations v
      ) AS moved JOIN cases_case c ON c.id = moved.case_id
      GROUP BY 1, 2, 3, 4 HAVING sum(moved.d) <> 0""", offices)  # noqa: S608 (constant names, the zone from settings)
    return f"""
CREATE OR REPLACE FUNCTION counselling_conversation_tally() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    {insert}
  ELSIF TG_OP = 'DELETE' THEN
    {delete}
  ELSE
    {update}
  END IF;
  RETURN NULL;
END $$;
"""


def case_office_function(zone: str, *, offices: bool = False) -> str:
    day = _day("v.planned_at", zone)
    moves = _conversations(f"""SELECT office_id, counsellor_id, week, status, sum(d) FROM (
      SELECT o.office_id, v.counsellor_id, {day} AS week, v.status, -1 AS d
      FROM old_cases o JOIN new_cases c ON c.id = o.id AND c.office_id IS DISTINCT FROM o.office_id
      JOIN counselling_conversation v ON v.case_id = o.id
      UNION ALL
      SELECT c.office_id, v.counsellor_id, {day}, v.status, 1
      FROM old_cases o JOIN new_cases c ON c.id = o.id AND c.office_id IS DISTINCT FROM o.office_id
      JOIN counselling_conversation v ON v.case_id = o.id
    ) AS moved GROUP BY 1, 2, 3, 4 HAVING sum(d) <> 0""", offices)  # noqa: S608 (constant names, the zone from settings)
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
  {moves}
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


# The office conversation tally from the conversation tally (its sums without the counsellor):
# what counselling 0019, seed_volume and the rebuild write after the conversation tally's fill.
OFFICE_CONVERSATION_FILL = f"""
DELETE FROM counselling_officeconversationtally;
INSERT INTO counselling_officeconversationtally ({OFFICE_CONVERSATION_COLUMNS}, n)
  SELECT {OFFICE_CONVERSATION_COLUMNS}, sum(n) FROM counselling_conversationtally GROUP BY 1, 2, 3 HAVING sum(n) <> 0;
"""  # noqa: S608

CONVERSATION_COMPACT = compaction("counselling_conversationtally", CONVERSATION_COLUMNS)
OFFICE_CONVERSATION_COMPACT = compaction("counselling_officeconversationtally", OFFICE_CONVERSATION_COLUMNS)
OFFICE_COMPACT = compaction("counselling_officetally", _OFFICE_COLUMNS)
QUARTER_COMPACT = compaction("counselling_quartertally", "quarter, nationality",
                             ("persons", "orders", "firsts", "repeaters", "voluntary", "enforced"))
OUTCOME_COMPACT = outcomes.COMPACT  # the histogram packed per office (decision 121)


def available() -> bool:
    """The tally exists only where the trigger can keep it (PostgreSQL)."""
    return connection.vendor == "postgresql"


# The highest row id of each tally after this process last folded it: a tally nobody appended to
# since is not read again (decision 110). Only a shortcut: readers sum every row, so a delta
# committed late under a lower id is exact all the same, and folded with the next one.
_FOLDED_UP_TO: dict[str, int | None] = {}


def compact() -> None:
    if not available():
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext('counselling_casetally'))")
        if not cursor.fetchone()[0]:
            return
        for table, statement in (("counselling_casetally", COMPACT), ("counselling_officetally", OFFICE_COMPACT),
                                 ("counselling_conversationtally", CONVERSATION_COMPACT),
                                 ("counselling_officeconversationtally", OFFICE_CONVERSATION_COMPACT),
                                 ("counselling_quartertally", QUARTER_COMPACT),
                                 ("counselling_outcometally", OUTCOME_COMPACT)):
            cursor.execute(f"SELECT max(id) FROM {table}")  # noqa: S608 (constant names)
            highest = cursor.fetchone()[0]
            if table in _FOLDED_UP_TO and _FOLDED_UP_TO[table] == highest:
                continue
            cursor.execute(statement)
            cursor.execute(f"SELECT max(id) FROM {table}")  # noqa: S608
            # Remembered once the fold is committed (never a rolled-back one's).
            transaction.on_commit(partial(_FOLDED_UP_TO.__setitem__, table, cursor.fetchone()[0]))
    # The outcome tally's first day follows the calendar (decision 114), in its own short
    # transaction: it holds a share lock on the cases.
    outcomes.slide()


def rebuild() -> None:
    """Recount from the cases (the migration's fill; a repair after restoring only the case table)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("LOCK TABLE cases_case, counselling_conversation, cases_ordertoleave, cases_person IN SHARE MODE")
        cursor.execute(FILL)
        cursor.execute(OFFICE_FILL)  # from the case tally just filled
        cursor.execute(conversation_fill(settings.TIME_ZONE))
        cursor.execute(OFFICE_CONVERSATION_FILL)  # from the conversation tally just filled
        cursor.execute(quarters.FILL)
        outcomes.fill(cursor, settings.TIME_ZONE)
        cursor.execute(outcomes.COMPACT)  # the histogram packed per office, as the fold leaves it (decision 121)
