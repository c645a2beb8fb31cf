"""Audience mode's storage: rooms, the drawings sent to them, and the limits on sending (no Streamlit)."""
