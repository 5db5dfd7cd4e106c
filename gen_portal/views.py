from django.shortcuts import render


def home(request):
    return render(request, "home.html")


def accessibility(request):
    return render(request, "pages/accessibility.html")


def legal_notice(request):
    return render(request, "pages/legal_notice.html")


def personal_data(request):
    return render(request, "pages/personal_data.html")
