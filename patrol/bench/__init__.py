"""Benchmarks behind `patrol bench`; heavy imports happen inside the commands."""
