# placeholder, being written
from django.http import Http404


def _missing(request, *args, **kwargs):
    raise Http404


call_list = call_detail = call_admin_list = call_create_view = call_edit = _missing
call_publish = call_extend = _missing
