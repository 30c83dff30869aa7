"""English dates as the site wrote them before it spoke French; everything else is Django's."""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
