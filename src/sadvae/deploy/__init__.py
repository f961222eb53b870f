"""Deployment: model bundles, predict, fit on all labelled classes, ready models."""
