"""Pixel Studio: prompts in, image sets out, shared with people."""
