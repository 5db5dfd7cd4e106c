from django.urls import path

from . import views
from .dashboard import views as dashboard

app_name = "outcomes"

urlpatterns = [
    path("indicateurs/", views.public_indicators, name="indicators"),
    path("indicateurs/definitions/", dashboard.definitions, name="definitions"),
    # The staff dashboard (outcomes.dashboard): 404 for anyone but staff.
    path("equipe/indicateurs/", dashboard.dashboard, name="dashboard"),
    path(
        "equipe/indicateurs/calculs/<int:pk>/etat/",
        dashboard.run_status,
        name="dashboard_run_status",
    ),
    path("equipe/indicateurs/export.xlsx", dashboard.export_xlsx, name="dashboard_export_xlsx"),
    path(
        "equipe/indicateurs/export/<slug:table>.csv",
        dashboard.export_csv,
        name="dashboard_export_csv",
    ),
    path("open-data/", views.open_data, name="open_data"),
    path(
        "open-data/indicators.json",
        views.open_data_indicators_json,
        name="open_data_indicators_json",
    ),
    path(
        "open-data/indicators.csv",
        views.open_data_indicators_csv,
        name="open_data_indicators_csv",
    ),
    # Generated files: trainings.csv|json, calls.csv|json (outcomes.open_data).
    path("open-data/<str:name>", views.open_data_file, name="open_data_file"),
]
