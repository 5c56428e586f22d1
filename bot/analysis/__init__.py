"""Analysis of finished interviews: turning answers into vectors and finding the themes in them."""
