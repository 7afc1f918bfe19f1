"""The instructor's side of the course: hidden tests, source assembly and the grading pipeline."""
