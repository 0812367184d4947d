"""CSV files people open in a spreadsheet: text is written so that it is shown, never run as a formula."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(text: str) -> str:
    """Text as a spreadsheet shows it: a leading quote keeps `=SUM(...)`, `+1`, `@cmd` from being run."""
    return f"'{text}" if text[:1] in FORMULA_STARTS else text
