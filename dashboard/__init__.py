"""Acquisition Lab's Streamlit dashboard: thin UI over the simulation package."""
