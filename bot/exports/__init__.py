"""Files staff download (CSV), built from plain values that storage returns; no database here."""
