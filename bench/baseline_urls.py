"""The application's URLs plus ``/bench/raw-insert/`` (one INSERT per POST), for bench/scale.py only."""

import json

from django.db import connection
from django.http import JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def raw_insert(request):
    tag = json.loads(request.body)["tag"]
    with connection.cursor() as cursor:  # the table: bench/scale.py creates it before the server starts
        cursor.execute("INSERT INTO bench_raw_insert (tag) VALUES (%s) RETURNING id", [tag])
        row_id = cursor.fetchone()[0]
    return JsonResponse({"id": row_id}, status=201)


RAW_INSERT_TABLE = "CREATE TABLE IF NOT EXISTS bench_raw_insert (id bigserial PRIMARY KEY, tag text, at timestamptz DEFAULT now())"

urlpatterns = [path("bench/raw-insert/", raw_insert), path("", include("returnpath.urls"))]
