"""The national page's quarterly figures from a tally kept by triggers (decision 110).

Eurostat's tables (people ordered to leave, returns, by citizenship and quarter) and the repeat
orders are counts of *people*, not of rows: "people with a repeat order" needs each person's
number of orders, "repeat orders in the quarter" whether each order had an earlier one. So the
triggers keep two tables:

- ``counselling_personquarter``: one row per (person, quarter in which the person has an order
  or a return) with the person's orders in that quarter, whether the person's first order is in
  it (and whether the person has more than one order), and the returns (voluntary, enforced)
  of the person's cases in it, under the person's citizenship;
- ``counselling_quartertally``: signed deltas of their sums per (quarter, citizenship), as the
  case tally (decision 065): what the page reads, a few thousand rows whatever the history.

When an order, a case's person, return state or return date, or a person's citizenship changes,
the statement trigger recounts the affected people from their own orders and cases
(:data:`RECOUNT`, a handful of index lookups per person) and appends the difference between their
old and new rows to the tally. A recount rather than arithmetic on the change keeps every write
path right by construction: an order notified earlier than the first one, orders moved to another
case, cases moved to another person (a merge), deletions.

The figures then follow from the rows: people with orders = the people's first quarters (each
person has one), people with a repeat order = the firsts of people with more than one order,
orders of the quarter less the people whose first order is in it = the repeat orders of the
quarter (every order but a person's first has an earlier one).
"""

from __future__ import annotations

from django.db import connection


# The returns of a case ``c``, as the live figures define them (selectors.eurostat_returned).
def _voluntary(c: str) -> str:
    return f"{c}.state = 'departed' AND {c}.departed_on IS NOT NULL"


def _enforced(c: str) -> str:
    return f"{c}.state = 'removed' AND {c}.removed_on IS NOT NULL"


PERSON_COLUMNS = "person_id, quarter, nationality, orders, first, repeat, voluntary, enforced"
TALLY_COLUMNS = "quarter, nationality, persons, orders, firsts, repeaters, voluntary, enforced"


def _people_rows(where_case: str) -> str:
    """SELECT of the person-quarter rows of the people whose cases pass ``where_case`` (an SQL
    condition on ``c``, the case table): one fact, used by the trigger and by the fill."""
    return f"""
    SELECT x.person_id, x.quarter, p.nationality, x.orders,
           x.orders > 0 AND x.quarter = x.first_quarter,
           x.orders > 0 AND x.quarter = x.first_quarter AND x.total > 1,
           x.voluntary, x.enforced
    FROM (
      SELECT g.*, min(g.quarter) FILTER (WHERE g.orders > 0) OVER w AS first_quarter, sum(g.orders) OVER w AS total
      FROM (
      SELECT parts.person_id, parts.quarter, sum(parts.orders)::int AS orders,
             sum(parts.voluntary)::int AS voluntary, sum(parts.enforced)::int AS enforced
      FROM (
        SELECT c.person_id, date_trunc('quarter', o.notified_on)::date AS quarter,
               count(*) AS orders, 0 AS voluntary, 0 AS enforced
        FROM cases_ordertoleave o JOIN cases_case c ON c.id = o.case_id WHERE {where_case} GROUP BY 1, 2
        UNION ALL
        SELECT c.person_id, date_trunc('quarter', c.departed_on)::date, 0, count(*), 0
        FROM cases_case c WHERE ({where_case}) AND {_voluntary('c')} GROUP BY 1, 2
        UNION ALL
        SELECT c.person_id, date_trunc('quarter', c.removed_on)::date, 0, 0, count(*)
        FROM cases_case c WHERE ({where_case}) AND {_enforced('c')} GROUP BY 1, 2
      ) AS parts
      GROUP BY parts.person_id, parts.quarter
      ) AS g
      WINDOW w AS (PARTITION BY g.person_id)
    ) AS x JOIN cases_person p ON p.id = x.person_id
    """  # noqa: S608 (constant SQL)


def _sums(rows: str, sign: str = "1") -> str:
    """The tally columns summed over person-quarter ``rows`` (a relation with PERSON_COLUMNS)."""
    columns = ", ".join(f"sum({sign} * {c})" for c in ("(orders > 0)::int", "orders", "first::int", "repeat::int", "voluntary", "enforced"))
    return f"SELECT quarter, nationality, {columns} FROM {rows} GROUP BY quarter, nationality"  # noqa: S608


_NONZERO = ("sum(persons) <> 0 OR sum(orders) <> 0 OR sum(firsts) <> 0 OR sum(repeaters) <> 0 "
            "OR sum(voluntary) <> 0 OR sum(enforced) <> 0")

# Recount the people ``ids``: their old rows out, their new rows in, the difference to the tally.
# Planned once per session (decision 120): left to PostgreSQL's choice (plan_cache_mode auto), the
# statement was planned anew at every call, a custom plan for the array's values (its generic
# plan's estimate for ``= ANY(ids)`` never looked cheaper), about 1 ms of planning for 0.1 ms of
# index lookups on every order. The generic plan is the same index lookups per person, whatever
# the number of people (a recount of 20,000 people took no longer with it).
RECOUNT = f"""
CREATE OR REPLACE FUNCTION counselling_recount_people(ids bigint[]) RETURNS void LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan AS $$
BEGIN
  -- Nobody to recount (every new case but a departed or removed one): the statement below would
  -- still be planned, about a millisecond on every order (issue 15, decision 115).
  IF cardinality(ids) = 0 THEN RETURN; END IF;
  WITH gone AS (
    DELETE FROM counselling_personquarter WHERE person_id = ANY(ids) RETURNING {PERSON_COLUMNS}
  ), fresh AS (
    INSERT INTO counselling_personquarter ({PERSON_COLUMNS})
    {_people_rows("c.person_id = ANY(ids)")}
    RETURNING {PERSON_COLUMNS}
  ), moved ({TALLY_COLUMNS}) AS (
    {_sums("gone", "-1")}
    UNION ALL
    {_sums("fresh")}
  )
  INSERT INTO counselling_quartertally ({TALLY_COLUMNS})
  SELECT quarter, nationality, sum(persons), sum(orders), sum(firsts), sum(repeaters), sum(voluntary), sum(enforced)
  FROM moved GROUP BY quarter, nationality HAVING {_NONZERO};
END $$;
"""  # noqa: S608 (PL/pgSQL, not SQL: its statement's plan is kept for the session, not made on every call)

# seed_volume copies millions of rows before it builds the indexes a recount needs: it sets this
# for its transaction and fills the tables once at the end (FILL).
DEFERRED = "returnpath.people_tally_deferred"
_SKIP = f"IF current_setting('{DEFERRED}', true) = 'on' THEN RETURN NULL; END IF;"

# The person of a case changes only in a merge; the return figures with the state and dates.
def _return_key(c: str) -> str:
    return f"({c}.person_id, CASE WHEN {_voluntary(c)} THEN {c}.departed_on END, CASE WHEN {_enforced(c)} THEN {c}.removed_on END)"



FUNCTIONS = RECOUNT + f"""
CREATE OR REPLACE FUNCTION counselling_order_people() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  {_SKIP}
  IF TG_OP = 'INSERT' THEN
    PERFORM counselling_recount_people(ARRAY(
      SELECT DISTINCT c.person_id FROM new_orders o JOIN cases_case c ON c.id = o.case_id));
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM counselling_recount_people(ARRAY(
      SELECT DISTINCT c.person_id FROM old_orders o JOIN cases_case c ON c.id = o.case_id));
  ELSE
    PERFORM counselling_recount_people(ARRAY(
      SELECT DISTINCT c.person_id FROM old_orders o JOIN new_orders n ON n.id = o.id
      JOIN cases_case c ON c.id IN (o.case_id, n.case_id)
      WHERE (o.case_id, o.notified_on) IS DISTINCT FROM (n.case_id, n.notified_on)));
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION counselling_case_people() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  {_SKIP}
  IF TG_OP = 'INSERT' THEN
    PERFORM counselling_recount_people(ARRAY(
      SELECT DISTINCT c.person_id FROM new_cases c WHERE {_voluntary('c')} OR {_enforced('c')}));
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM counselling_recount_people(ARRAY(
      SELECT DISTINCT c.person_id FROM old_cases c WHERE {_voluntary('c')} OR {_enforced('c')}));
  ELSE
    PERFORM counselling_recount_people(ARRAY(
      SELECT DISTINCT unnest(ARRAY[o.person_id, c.person_id]) FROM old_cases o JOIN new_cases c ON c.id = o.id
      WHERE {_return_key('o')} IS DISTINCT FROM {_return_key('c')}));
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION counselling_person_people() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  {_SKIP}
  PERFORM counselling_recount_people(ARRAY(
    SELECT n.id FROM old_people o JOIN new_people n ON n.id = o.id WHERE o.nationality IS DISTINCT FROM n.nationality));
  RETURN NULL;
END $$;
"""  # noqa: S608

TRIGGERS = """
CREATE TRIGGER order_people_insert AFTER INSERT ON cases_ordertoleave REFERENCING NEW TABLE AS new_orders
  FOR EACH STATEMENT EXECUTE FUNCTION counselling_order_people();
CREATE TRIGGER order_people_update AFTER UPDATE ON cases_ordertoleave REFERENCING OLD TABLE AS old_orders NEW TABLE AS new_orders
  FOR EACH STATEMENT EXECUTE FUNCTION counselling_order_people();
CREATE TRIGGER order_people_delete AFTER DELETE ON cases_ordertoleave REFERENCING OLD TABLE AS old_orders
  FOR EACH STATEMENT EXECUTE FUNCTION counselling_order_people();
CREATE TRIGGER case_people_insert AFTER INSERT ON cases_case REFERENCING NEW TABLE AS new_cases
  FOR EACH STATEMENT EXECUTE FUNCTION counselling_case_people();
CREATE TRIGGER case_people_update AFTER UPDATE ON cases_case REFERENCING OLD TABLE AS old_cases NEW TABLE AS new_cases
  FOR EACH STATEMENT EXECUTE FUNCTION counselling_case_people();
CREATE TRIGGER case_people_delete AFTER DELETE ON cases_case REFERENCING OLD TABLE AS old_cases
  FOR EACH STATEMENT EXECUTE FUNCTION counselling_case_people();
CREATE TRIGGER person_people_update AFTER UPDATE ON cases_person REFERENCING OLD TABLE AS old_people NEW TABLE AS new_people
  FOR EACH STATEMENT EXECUTE FUNCTION counselling_person_people();
"""

DROP = """
DROP TRIGGER IF EXISTS order_people_insert ON cases_ordertoleave;
DROP TRIGGER IF EXISTS order_people_update ON cases_ordertoleave;
DROP TRIGGER IF EXISTS order_people_delete ON cases_ordertoleave;
DROP TRIGGER IF EXISTS case_people_insert ON cases_case;
DROP TRIGGER IF EXISTS case_people_update ON cases_case;
DROP TRIGGER IF EXISTS case_people_delete ON cases_case;
DROP TRIGGER IF EXISTS person_people_update ON cases_person;
DROP FUNCTION IF EXISTS counselling_order_people();
DROP FUNCTION IF EXISTS counselling_case_people();
DROP FUNCTION IF EXISTS counselling_person_people();
DROP FUNCTION IF EXISTS counselling_recount_people(bigint[]);
"""

FILL = f"""
DELETE FROM counselling_personquarter;
DELETE FROM counselling_quartertally;
INSERT INTO counselling_personquarter ({PERSON_COLUMNS}) {_people_rows("TRUE")};
INSERT INTO counselling_quartertally ({TALLY_COLUMNS}) {_sums("counselling_personquarter")};
"""  # noqa: S608


# What the national page reads: per citizenship, the quarter's figures and the all-time people.
READ = """
SELECT nationality,
       coalesce(sum(persons) FILTER (WHERE quarter = %(quarter)s), 0),
       coalesce(sum(voluntary) FILTER (WHERE quarter = %(quarter)s), 0),
       coalesce(sum(enforced) FILTER (WHERE quarter = %(quarter)s), 0),
       coalesce(sum(orders) FILTER (WHERE quarter = %(quarter)s), 0),
       coalesce(sum(firsts) FILTER (WHERE quarter = %(quarter)s), 0),
       sum(firsts), sum(repeaters)
FROM counselling_quartertally GROUP BY nationality
"""


def read(first_day) -> dict:
    """{"ordered": [{code, persons}], "returned": [{code, voluntary, enforced}], and the four
    repeat-order counts} for the quarter starting on ``first_day``: the rows the live queries
    (``selectors.eurostat_ordered`` / ``eurostat_returned`` / ``_repeat_orders``) give. One query."""
    ordered, returned = [], []
    people = repeat = orders = firsts = 0
    with connection.cursor() as cursor:
        cursor.execute(READ, {"quarter": first_day})
        for code, persons, voluntary, enforced, in_quarter, first_in_quarter, all_firsts, repeaters in cursor.fetchall():
            if persons:
                ordered.append({"code": code, "persons": persons})
            if voluntary or enforced:
                returned.append({"code": code, "voluntary": voluntary, "enforced": enforced})
            orders += in_quarter
            firsts += first_in_quarter
            people += all_firsts
            repeat += repeaters
    return {"ordered": ordered, "returned": returned, "people_with_orders": people, "people_with_repeat": repeat,
            "orders_in_period": orders, "repeat_orders_in_period": orders - firsts}
