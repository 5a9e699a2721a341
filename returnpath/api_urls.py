# The REST API for external systems (filled in by cases.api).
urlpatterns: list = []
