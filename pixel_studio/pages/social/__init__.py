"""Social pages: explore, feed, likes, collections, profiles, notifications."""
