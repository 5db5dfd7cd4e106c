from django.apps import AppConfig


class GenPortalConfig(AppConfig):
    name = "gen_portal"
    verbose_name = "Portail GEN"
