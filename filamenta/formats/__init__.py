"""The site's own date formats, over Django's (FORMAT_MODULE_PATH in settings/base.py).

Why: templates name a format (``date:"DATE_FORMAT"``) so French gets its own
("2 décembre 2026"); the site's English kept the day-month-year it always had
("2 December 2026") rather than Django's American "Dec. 2, 2026". French is
Django's as it comes.
"""
