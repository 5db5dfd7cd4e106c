import calendar
import datetime


def add_months(day: datetime.date, months: int) -> datetime.date:
    """`day` moved by `months` calendar months, clamped to the month's last day (31/01 + 1 =
    28/02 or 29/02), the convention used for label end dates and follow-up milestones."""
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    last_day = calendar.monthrange(year, month)[1]
    return day.replace(year=year, month=month, day=min(day.day, last_day))


def milestone_cutoff(as_of: datetime.date, months: int) -> datetime.date:
    """The last exit date whose `months`-month milestone falls on or before `as_of`.

    An exiter counts at milestone mK once exit + K months <= as-of. Because month arithmetic
    clamps (30/11 + 3 months = 28/02), several exit dates can share a milestone date, so the
    cut-off is found by stepping forward from the naive answer rather than by subtracting.
    """
    cutoff = add_months(as_of, -months)
    while add_months(cutoff + datetime.timedelta(days=1), months) <= as_of:
        cutoff += datetime.timedelta(days=1)
    return cutoff
