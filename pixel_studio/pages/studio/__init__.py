"""Studio pages: /create, /compare, /edit, sets and the image page."""
