"""The library's tables: one row per scenario (its slug), one row per immutable version."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAME_MAX = 80  # the schema's limit on a scenario's name
AUTHOR_MAX = 120


class Base(DeclarativeBase):
    """Declarative base of the library's tables (Alembic's autogenerate compares against its metadata)."""


class ScenarioRow(Base):
    """A scenario in the library: its slug, when it was first saved, and when it was deleted (soft)."""

    __tablename__ = "scenarios"

    slug: Mapped[str] = mapped_column(String(60), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class VersionRow(Base):
    """One saved version: never updated after insert. ``body`` is the scenario as TOML, ``digest`` its SHA-256."""

    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("slug", "version", name="uq_versions_slug_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    slug: Mapped[str] = mapped_column(String(60), ForeignKey("scenarios.slug", name="fk_versions_slug"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    notes: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(AUTHOR_MAX), default="")
    saved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    body: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(64))
    schema_version: Mapped[int] = mapped_column(Integer)
