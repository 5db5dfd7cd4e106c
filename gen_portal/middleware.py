"""Content Security Policy header (Django 5.2 has none built in).

DSFR's scripts and styles are served from our own static files, so `'self'` suffices; inline
style attributes are allowed because DSFR components set a few of them from JavaScript.
"""

POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", POLICY)
        return response


class FrenchFirstLocaleMiddleware:
    """French unless the visitor chose English with the language switch.

    Django's LocaleMiddleware follows the browser's Accept-Language; a French public service
    answers in French by default and lets people switch, so only the language cookie counts.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings
        from django.utils import translation

        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        available = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in available else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary = response.get("Vary", "")
        if "Cookie" not in patch_vary:
            response["Vary"] = f"{patch_vary}, Cookie" if patch_vary else "Cookie"
        translation.deactivate()
        return response
