"""Social: explore, feed, follows, likes, comments, collections, profiles."""
