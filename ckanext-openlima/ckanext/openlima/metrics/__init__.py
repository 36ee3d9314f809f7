"""Usage metrics without personal data: page views and downloads per dataset and day,
and the "¿Te fue útil?" rating."""
