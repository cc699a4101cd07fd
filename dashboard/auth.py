"""Optional sign-in: with an OpenID Connect provider in .streamlit/secrets.toml ([auth]), `st.login` signs people
in and the library records the signed-in name as the author; without one, the library is team-wide and the author
is typed."""

from __future__ import annotations

from typing import Any

import streamlit as st

AUTHOR_MAX = 120


def configured() -> bool:
    """Whether .streamlit/secrets.toml configures an OIDC provider ([auth])."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def author() -> str | None:
    """The signed-in person's name (or e-mail) when sign-in is configured and they are signed in, else None."""
    if not configured():
        return None
    try:
        if st.user.is_logged_in:
            return str(st.user.get("name") or st.user.get("email") or "")[:AUTHOR_MAX] or None
    except Exception:  # an incomplete [auth] section
        return None
    return None


def sign_in_box(container: Any) -> None:
    """Sign in / out in the sidebar, only when a provider is configured."""
    if not configured():
        return
    who = author()
    if who:
        container.caption(f"Signed in as {who}".replace("*", "\\*").replace("_", "\\_"))
        container.button("Sign out", key="_auth.out", on_click=st.logout, icon=":material/logout:")
    else:
        container.button("Sign in", key="_auth.in", on_click=st.login, icon=":material/login:",
                         help="Saved versions then carry your name.")  # fmt: skip
