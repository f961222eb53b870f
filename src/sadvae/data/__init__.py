"""Skeleton data: joint layouts, file readers, preprocessing, class names."""
