from django.urls import path

from . import views

app_name = "outcomes"

urlpatterns = [
    path("indicateurs/", views.public_indicators, name="indicators"),
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
]
