"""The book-level pages over every chapter: the reproduction report, its studies, the landing page's views."""
